// Internal declarations of the vanilla-RNN files (rnn.cc dispatches, rnn_avx2.cc implements the AVX2 chunk).
// Not part of the contract: nothing outside native/nn/ should include this.
#pragma once
#include <cstddef>
#include <cstdint>

#include "rnn.h"

namespace charrnn {
namespace nn {
namespace detail {

// The AVX2 chunk handles H up to this (its weight copies cost 2·H·H floats of scratch; its column blocking
// of the B = 1 recurrence is sized for it). Larger models take the loops of rnn.cc.
constexpr std::size_t kAvx2MaxHidden = 4096;

// False on builds without the AVX2 file's code (non-x86).
bool have_rnn_avx2();

// rnn_chunk_gradient's contract (see rnn.h); `ws` must have been grown by rnn_reserve with the same table.
double rnn_chunk_gradient_avx2(const kernels::Table& k, const RnnLayout& L, const float* params, float* grads,
                               const std::int32_t* inputs, const std::int32_t* targets, int B, int T, float* hidden,
                               float scale, RnnWorkspace& ws);

}  // namespace detail
}  // namespace nn
}  // namespace charrnn
