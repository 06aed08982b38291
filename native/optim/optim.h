// Gradient clipping (value, global norm) and the optimizer updates, as flat loops over the arenas.
// The exact equations are those of src/backends/js/optim.ts (applyUpdate), computed in double over
// float32 storage in the same order, so both backends agree to rounding. No napi.h, no allocation.
#pragma once
#include <cstddef>

#include "../kernels/kernels.h"

namespace charrnn {
namespace optim {

// The hyper-parameters are the kernel table's (its clip_update entry runs the sweep); these are their names here.
using Kind = kernels::OptimKind;
using Hyper = kernels::OptimHyper;

// Number of optimizer-state slots (copies of the parameter layout) a kind needs.
inline std::size_t slots(Kind kind) { return kind == Kind::kAdam ? 2 : 1; }

// Clip then update P parameters in place:
//   gradNorm = ‖g‖; clip_value > 0: g ← clamp(g) in the arena; n = ‖g‖ after that;
//   scale = clip_norm > 0 && n > clip_norm ? clip_norm/(n + 1e-6) : 1 (folded into the update, arena untouched);
//   weight decay; then sgd | adagrad | rmsprop | adam (equations in native/kernels/portable.cc). state holds
//   slots(kind)·P floats.
// Returns gradNorm (before any clipping).
// Runs the active kernel table's clip_update: the double-precision loops on "scalar" (kernels::clip_update_f64,
// also clip_and_update_scalar on any table), the float32 x86 sweep on "avx2"/"avx512" (kernels_x86_optim.inc).
double clip_and_update(const Hyper& h, float* params, float* grads, float* state, std::size_t P);
double clip_and_update_scalar(const Hyper& h, float* params, float* grads, float* state, std::size_t P);

}  // namespace optim
}  // namespace charrnn
