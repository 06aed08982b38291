// Clipping and updates: see optim.h. The sweeps themselves are kernel-table entries (clip_update): the double
// loops of native/kernels/portable.cc on the scalar table, the float32 x86 sweep (kernels_x86_optim.inc) on the
// avx2 and avx512 tables; CHARRNN_SIMD / setIsa choose between them like every other kernel.
#include "optim.h"

namespace charrnn {
namespace optim {

using std::size_t;

double clip_and_update(const Hyper& h, float* p, float* g, float* s, size_t P) {
  return kernels::active().clip_update(h, p, g, s, P);
}

double clip_and_update_scalar(const Hyper& h, float* p, float* g, float* s, size_t P) {
  return kernels::clip_update_f64(h, p, g, s, P);
}

}  // namespace optim
}  // namespace charrnn
