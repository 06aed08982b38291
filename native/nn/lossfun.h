// min-char-rnn's lossFun over five caller-owned tensors (the drop-in entry point, src/dropin/lossfun.ts): the same
// forward + BPTT as a Session's chunk (rnn_chunk_gradient, B = 1, reduction 'sum'), reached through a
// per-thread copy arena because the caller's Wxh, Whh, bh, Why, by are separate buffers, not one arena.
// Plain C++ over raw pointers: no napi.h, no validation (the binding checks every length, id and overlap
// first), no threads. Deliberately not a second implementation of the math.
//
// Shapes: Wxh [H,V]  Whh [H,H]  bh [H]  Why [V,H]  by [V]  (row-major, as min-char-rnn)
//         inputs, targets [T]   hprev, hout [H]   gradients: same shapes as their parameters
#pragma once
#include <cstddef>
#include <cstdint>

#include "../kernels/kernels.h"
#include "../util/scratch.h"
#include "layout.h"
#include "rnn.h"

namespace charrnn {
namespace nn {

struct SplitParams {
  const float *Wxh, *Whh, *bh, *Why, *by;
};
struct SplitGrads {
  float *dWxh, *dWhh, *dbh, *dWhy, *dby;
};

// Per-thread scratch of the drop-in path: the arena copies, the carried state and the chunk workspace.
struct LossFunWorkspace {
  Scratch<float> params;  // [P] used only when the caller's tensors are not already one arena in layout order
  Scratch<float> grads;   // [P] same
  Scratch<float> hidden;  // [H] h_T before it is copied to hout (so hout may be hprev itself)
  RnnWorkspace rnn;
};

// Σ_t −log p(targets[t]) (nats, double) over T ≥ 1 steps from hprev; writes every element of the five
// gradients (overwritten, unclipped, of the summed loss) and h_T into hout. hout may equal hprev; no other
// output may overlap any input or another output (checked by the caller).
double rnn_loss_fun(const kernels::Table& k, std::size_t H, std::size_t V, const SplitParams& p,
                    const std::int32_t* inputs, const std::int32_t* targets, int T, const float* hprev,
                    const SplitGrads& g, float* hout, LossFunWorkspace& ws);

}  // namespace nn
}  // namespace charrnn
