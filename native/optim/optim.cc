// Clipping and updates: see optim.h. The sweeps themselves are kernel-table entries (clip_update): the double
// loops of native/kernels/portable.cc on the scalar table, the float32 x86 sweep (kernels_x86_optim.inc) on the
// avx2 and avx512 tables; CHARRNN_SIMD / setIsa choose between them like every other kernel.
#include "optim.h"

#include <cmath>

namespace charrnn {
namespace optim {

using std::size_t;

double l2_norm(const float* g, size_t n) {
  double sq = 0.0;
  for (size_t i = 0; i < n; i++) sq += static_cast<double>(g[i]) * g[i];
  return std::sqrt(sq);
}

double clip_value(float* g, size_t n, double c) {
  double sq = 0.0;
  for (size_t i = 0; i < n; i++) {
    double v = g[i];
    if (v > c)
      v = c;
    else if (v < -c)
      v = -c;
    g[i] = static_cast<float>(v);
    sq += v * v;
  }
  return std::sqrt(sq);
}

double clip_and_update(const Hyper& h, float* p, float* g, float* s, size_t P) {
  return kernels::active().clip_update(h, p, g, s, P);
}

double clip_and_update_scalar(const Hyper& h, float* p, float* g, float* s, size_t P) {
  return kernels::clip_update_f64(h, p, g, s, P);
}

}  // namespace optim
}  // namespace charrnn
