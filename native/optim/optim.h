// Gradient clipping (value, global norm) and the optimizer updates, as flat loops over the arenas.
// The exact equations are those of src/backends/js/optim.ts (applyUpdate), computed in double over
// float32 storage in the same order, so both backends agree to rounding. No napi.h, no allocation.
#pragma once
#include <cstddef>

namespace charrnn {
namespace optim {

enum class Kind { kSgd = 0, kAdagrad = 1, kRmsprop = 2, kAdam = 3 };

// Number of optimizer-state slots (copies of the parameter layout) a kind needs.
inline std::size_t slots(Kind kind) { return kind == Kind::kAdam ? 2 : 1; }

struct Hyper {
  Kind kind;
  double lr;            // > 0
  double momentum;      // [0, 1)
  double beta1, beta2;  // [0, 1)
  double eps;           // > 0
  double weight_decay;  // ≥ 0, decoupled: p ← p·(1 − lr·wd)
  double clip_value;    // ≥ 0, 0 = off
  double clip_norm;     // ≥ 0, 0 = off
  double step;          // ≥ 1, Adam bias correction
};

// L2 norm of g [n], accumulated in double.
double l2_norm(const float* g, std::size_t n);

// Clamp every g [n] to [−c, c] in place; returns the L2 norm afterwards (double).
double clip_value(float* g, std::size_t n, double c);

// Clip then update P parameters in place:
//   gradNorm = ‖g‖; clip_value > 0: g ← clamp(g) in the arena; n = ‖g‖ after that;
//   scale = clip_norm > 0 && n > clip_norm ? clip_norm/(n + 1e-6) : 1 (folded into the update, arena untouched);
//   weight decay; then sgd | adagrad | rmsprop | adam (see optim.cc). state holds slots(kind)·P floats.
// Returns gradNorm (before any clipping).
// Dispatches on the active kernel table: "avx2" runs the float32 AVX2 sweep (optim_avx2.cc), anything else
// the double-precision loops (clip_and_update_scalar).
double clip_and_update(const Hyper& h, float* params, float* grads, float* state, std::size_t P);
double clip_and_update_scalar(const Hyper& h, float* params, float* grads, float* state, std::size_t P);

}  // namespace optim
}  // namespace charrnn
