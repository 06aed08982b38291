// Every model other than the vanilla one, over a whole chunk: stacked Elman (tanh/relu), LSTM and GRU layers in
// PyTorch's gate order and two-bias form, one-hot or learned-embedding input, dropout on each layer's output
// (training only), a linear decoder. Forward, full BPTT, evaluation, one step and the sampling loop: the same
// operations and semantics as JsStackSession (src/backends/js/stack.ts). Plain C++ over the parameter arena and
// caller-validated inputs: ids must already be in [0, V), sizes within the caps checked by the binding. Scratch
// lives in StackWorkspace, grown when a shape grows, never per step. Every matrix product goes through the kernel
// table. Deliberately no validation, no threads, no napi.h; the vanilla model keeps its own path (rnn.h).
//
// Shapes (time-major, row r = t·B + b; G = 1 rnn, 4 lstm (i, f, g, o), 3 gru (r, z, n); In_0 = E or V):
//   inputs, targets [T, B]
//   per layer l: W_ih [G·H_l, In_l]  W_hh [G·H_l, H_l]  b_ih, b_hh [G·H_l]
//                Hs [(T+1)·B, H_l] (block 0 = carried state)   Cs (LSTM) same   acts [T·B, G·H_l] (post-activation)
//   decoder: W [V, H_top]  b [V]     Y / dY [T·B, V]
//   state of B streams: h of every layer [B, H_l], bottom first, then (LSTM) c of every layer (stateSize in
//   src/model/layout.ts).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../kernels/kernels.h"
#include "../util/rng.h"
#include "../util/scratch.h"
#include "sample.h"

namespace charrnn {
namespace nn {

enum class Cell { kRnn = 0, kLstm = 1, kGru = 2 };

// Gates per cell: 1 (rnn), 4 (lstm), 3 (gru).
inline std::size_t gate_count(Cell c) { return c == Cell::kLstm ? 4 : c == Cell::kGru ? 3 : 1; }

struct StackConfig {
  Cell cell = Cell::kRnn;
  bool relu = false;                // cell 'rnn' only
  std::size_t V = 0;                // vocabulary
  std::size_t E = 0;                // embedding width; 0 = one-hot input
  std::vector<std::size_t> hidden;  // width of each layer, bottom first
  double dropout = 0;               // [0, 1): on each layer's output while training
};

struct StackLayer {
  std::size_t H, In, GH;           // GH = G·H
  std::size_t wih, whh, bih, bhh;  // arena offsets
};

// The arena layout of src/model/layout.ts for a non-vanilla model (names, order, shapes), and the state layout.
struct StackLayout {
  StackConfig config;
  std::size_t G = 1;
  std::size_t emb = 0;  // embedding.weight [V, E] (only when E > 0)
  std::vector<StackLayer> layers;
  std::size_t dec_w = 0, dec_b = 0;  // decoder.weight [V, H_top], decoder.bias [V]
  std::size_t size = 0;              // P
  std::size_t state_width = 0;       // stateSize(config, 1): Σ H_l, doubled for an LSTM
  std::size_t max_h = 0, max_gh = 0, max_in = 0;

  static StackLayout of(const StackConfig& c);
  std::size_t top_h() const { return layers.back().H; }
  // Offsets of layer l's h (and LSTM c) block inside a state of B streams.
  std::size_t h_offset(std::size_t l, std::size_t B) const;
  std::size_t c_offset(std::size_t l, std::size_t B) const;
  // PyTorch-style names with offsets and sizes, in arena order (for the layout export and its test).
  struct Tensor {
    std::string name;
    std::size_t offset, size;
  };
  std::vector<Tensor> tensors() const;
};

struct StackLayerScratch {
  Scratch<float> hs;    // [(T+1)·B, H]
  Scratch<float> cs;    // LSTM: [(T+1)·B, H]
  Scratch<float> tc;    // LSTM: tanh(c_t) [T·B, H]
  Scratch<float> acts;  // [T·B, G·H] post-activation gates (rnn: h)
  Scratch<float> hn;    // GRU: W_hn·h + b_hn [T·B, H]
  Scratch<float> mask;  // dropout: [T·B, H]
  Scratch<float> out;   // dropout: the dropped output [T·B, H] (the next layer's / decoder's input)
};

struct StackWorkspace {
  explicit StackWorkspace(std::size_t n_layers) : layer(new StackLayerScratch[n_layers]) {}
  std::unique_ptr<StackLayerScratch[]> layer;
  Scratch<float> x0;           // embedding gather [T·B, E]
  Scratch<float> table;        // one-hot first layer: W_ihᵀ + bias [V, G·H_0] forward; dW_ihᵀ backward
  Scratch<float> bias;         // [max G·H] b_ih (+ b_hh where it adds) of one layer
  Scratch<float> rec;          // GRU: h_{t−1}·W_hhᵀ [B, G·H]
  Scratch<float> whh;          // W_hh of the layer being run, pre-packed once per chunk for its T per-step products
  Scratch<float> y;            // [T·B, V] logits, then dY in place
  Scratch<float> dh[2];        // [T·B, max(H, In)] output gradient of the current layer / input gradient (ping-pong)
  Scratch<float> dai;          // [T·B, max G·H] input-side pre-activation gradient
  Scratch<float> dah;          // GRU: hidden-side pre-activation gradient (differs in the n slice)
  Scratch<float> dc;           // LSTM: [B, max H] cell-state gradient carried back through time
  Scratch<float> state;        // evaluate: the running state of one stream
  Scratch<float> batch_state;  // stack_step_batch: the n streams' states in the B-stream layout
  Scratch<double> acc;         // [2·max G·H + V] bias-gradient sums
};

// Grow the workspace for a B × T training chunk (throws std::bad_alloc), so that a later stack_chunk_gradient
// with the same shape never allocates.
void stack_reserve(const StackLayout& L, int B, int T, StackWorkspace& ws);

// Forward + BPTT over B streams × T steps, from and into `state` (stateSize(B) floats: read as the state at t = 0,
// overwritten with the state after step T). When config.dropout > 0, the masks are drawn from `rng` (advanced in
// place) in drawDropoutMasks' order: t → layer → stream → unit, keep iff next_float() ≥ p, scale 1/(1 − p).
// Writes every element of `grads` (overwritten, unclipped); dY = (p − onehot)·scale. Returns Σ −log p(target).
double stack_chunk_gradient(const kernels::Table& k, const StackLayout& L, const float* params, float* grads,
                            const std::int32_t* inputs, const std::int32_t* targets, int B, int T, float* state,
                            Xoshiro128ss* rng, float scale, StackWorkspace& ws);

// Score one stream of n ≥ 2 ids from state0 (stateSize(1); zero when null; never written), no dropout:
// Σ_{i<n-1} −log p(ids[i+1] | ids[..i]).
double stack_evaluate(const kernels::Table& k, const StackLayout& L, const float* params, const std::int32_t* ids,
                      std::size_t n, const float* state0, StackWorkspace& ws);

// Feed `token` into `state` (stateSize(1), in place; no dropout); probs [V] ← softmax(logits / temperature).
void stack_step(const kernels::Table& k, const StackLayout& L, const float* params, float* state, int token,
                float* probs, double temperature, StackWorkspace& ws);

// stack_step for n streams at once: states [n, stateSize(1)] (stream b's state contiguous at b·stateSize(1), in
// place), tokens [n], probs [n, V]. One product per layer and weight for all streams (gemv_n_rows), and each stream's
// result is bit for bit what stack_step gives it alone.
void stack_step_batch(const kernels::Table& k, const StackLayout& L, const float* params, float* states,
                      const std::int32_t* tokens, int n, float* probs, double temperature, StackWorkspace& ws);

// Feed every prime token (n_prime ≥ 1), then `length` times pick a token from the current probs by `picker`
// (the transform rule, then argmax when greedy, with temperature 1; else draw_from_probs with `rng`), write it
// to out[i] and feed it back.
void stack_sample(const kernels::Table& k, const StackLayout& L, const float* params, float* state,
                  const std::int32_t* prime, std::size_t n_prime, std::int32_t* out, std::size_t length,
                  double temperature, bool greedy, Xoshiro128ss& rng, float* probs, StackWorkspace& ws,
                  TokenPicker& picker);

}  // namespace nn
}  // namespace charrnn
