// The vanilla tanh RNN over a whole chunk: forward, full BPTT, evaluation, one step, the sampling loop.
// Plain C++ over the parameter arena (layout.h) and caller-validated inputs: ids must already be in
// [0, V), sizes within the caps checked by the binding. Scratch lives in RnnWorkspace, grown when the
// chunk shape grows and never allocated per step. Deliberately no validation, no threads, no napi.h.
//
// Shapes (time-major, row r = t·B + b):
//   inputs, targets [T, B]   hidden [B, H]   Hs [(T+1), B, H] (Hs[0] = carried state)
//   Y / dY [T·B, V]          dHs / dA [T·B, H]
#pragma once
#include <cstddef>
#include <cstdint>

#include "../kernels/kernels.h"
#include "../util/rng.h"
#include "../util/scratch.h"
#include "layout.h"
#include "sample.h"

namespace charrnn {
namespace nn {

struct RnnWorkspace {
  Scratch<float> hs;    // [(T+1)·B, H] hidden states
  Scratch<float> y;     // [T·B, V] logits, then dY in place
  Scratch<float> dhs;   // [T·B, H] dh, then dA in place
  Scratch<float> xt;    // [V, H] Wxhᵀ + bh (forward) / dWxhᵀ (backward), used when V ≤ T·B
  Scratch<double> acc;  // [V + H] bias-gradient sums
  Scratch<float> vec;   // [H + V] one-step scratch (pre-activation, logits)
  Scratch<float> isa;   // the table's rnn_chunk scratch (rnn_chunk_scratch floats), when the table has one
};

// Grow the workspace for a B × T chunk (throws std::bad_alloc), so a later rnn_chunk_gradient with the same
// kernel table (default: kernels::active()) never allocates.
void rnn_reserve(const RnnLayout& L, int B, int T, RnnWorkspace& ws);
void rnn_reserve(const kernels::Table& k, const RnnLayout& L, int B, int T, RnnWorkspace& ws);

// Forward + BPTT over B streams × T steps. When the table has an rnn_chunk kernel (avx2, avx512) and
// H ≤ kernels::kRnnChunkMaxHidden this runs it (same math, restructured; float32 rounding differs); otherwise the
// loops in rnn.cc over the table's gemm. Writes every
// element of `grads` (overwritten, unclipped) and the carried state h_T into `hidden` [B, H]. dy = (p − onehot)·scale.
// Returns Σ −log p(target) (double).
double rnn_chunk_gradient(const kernels::Table& k, const RnnLayout& L, const float* params, float* grads,
                          const std::int32_t* inputs, const std::int32_t* targets, int B, int T, float* hidden,
                          float scale, RnnWorkspace& ws);

// Score one stream of n ≥ 2 ids from h0 [H] (zero when null; never written): Σ_{i<n-1} −log p(ids[i+1] | ids[..i]).
double rnn_evaluate(const kernels::Table& k, const RnnLayout& L, const float* params, const std::int32_t* ids,
                    std::size_t n, const float* h0, RnnWorkspace& ws);

// hidden [H] ← tanh(Wxh[:, token] + bh + Whh·hidden); probs [V] ← softmax((Why·hidden + by)/temperature).
void rnn_step(const kernels::Table& k, const RnnLayout& L, const float* params, float* hidden, int token, float* probs,
              double temperature, RnnWorkspace& ws);

// rnn_step for n streams: hidden [n, H] (stream b's row, in place), tokens [n], probs [n, V]; stream b's result is
// bit for bit rnn_step's (the products through kernels::gemv_n_rows).
void rnn_step_batch(const kernels::Table& k, const RnnLayout& L, const float* params, float* hidden,
                    const std::int32_t* tokens, int n, float* probs, double temperature, RnnWorkspace& ws);

// Feed every prime token (n_prime ≥ 1), then `length` times pick a token from the current probs by `picker`
// (the transform rule, then argmax when greedy, else draw_from_probs with `rng`), write it to out[i] and feed it
// back. probs [V] is caller scratch. Greedy decoding uses temperature 1 (as the JS backend).
void rnn_sample(const kernels::Table& k, const RnnLayout& L, const float* params, float* hidden,
                const std::int32_t* prime, std::size_t n_prime, std::int32_t* out, std::size_t length,
                double temperature, bool greedy, Xoshiro128ss& rng, float* probs, RnnWorkspace& ws,
                TokenPicker& picker);

}  // namespace nn
}  // namespace charrnn
