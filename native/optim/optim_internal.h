// Internal declarations of the optimizer files (optim.cc dispatches, optim_avx2.cc implements).
// Not part of the contract: nothing outside native/optim/ should include this.
#pragma once
#include <cstddef>

#include "optim.h"

namespace charrnn {
namespace optim {
namespace detail {

// False on builds without the AVX2 file's code (non-x86); the caller must also check the CPU, which it does
// by dispatching only when the active kernel table is "avx2".
bool have_clip_and_update_avx2();
// clip_and_update in AVX2+FMA float32 lanes (see optim_avx2.cc for its numerics).
double clip_and_update_avx2(const Hyper& h, float* params, float* grads, float* state, std::size_t P);

}  // namespace detail
}  // namespace optim
}  // namespace charrnn
