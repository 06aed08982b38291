// Softmax and cross-entropy over rows of logits [R, V], plus the temperature softmax used for sampling.
// Plain C++ over raw pointers (no napi.h); exp goes through the active kernel table.
// Deliberately no allocation: every buffer is owned by the caller.
#pragma once
#include <cstdint>

#include "../kernels/kernels.h"

namespace charrnn {
namespace nn {

// Y [R, V] logits (bias already added) → dY [R, V] in place, dY = (softmax(y) − onehot(target))·scale.
// Returns Σ_r −log p_r(target_r) accumulated in double; adds Σ_r dY[r, :] into dby_acc [V] (double).
// The portable form over the table's exp (kernels::softmax_xent_rows), whatever the table: on "scalar" it is that
// table's softmax_xent entry itself; the x86 tables' vector entry sums in another order, and the callers of this
// function (the stacked cells, rnn.cc's loops) keep the bits they had before the entry existed.
double softmax_xent_backward(const kernels::Table& k, float* Y, int R, int V, const std::int32_t* targets, float scale,
                             double* dby_acc);

// Y [R, V] logits → Σ_r −log p_r(target_r) (double). Y is clobbered (used as exp scratch).
double softmax_xent_loss(const kernels::Table& k, float* Y, int R, int V, const std::int32_t* targets);

// probs [V] = softmax(y / temperature): m = max y, e_i = exp((y_i − m)/temperature), probs_i = e_i / Σe.
// (y_i − m)/temperature is formed in double and floored at −1000 (exp underflows to 0 long before).
// y [V] is read only; probs may not alias y.
void softmax_temperature(const kernels::Table& k, const float* y, float* probs, int V, double temperature);

}  // namespace nn
}  // namespace charrnn
