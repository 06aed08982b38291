// NEON kernels (aarch64 only, where NEON is baseline): level-1 ops and gemv in 4-lane NEON; gemm, tanh and exp
// reuse the scalar table. Deliberately minimal: it cannot be tested on the x86 CI, so it stays small enough to
// read for correctness. Off aarch64 this file only says "no NEON table".
#include "internal.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#include <cstddef>

namespace charrnn {
namespace kernels {
namespace {

float dot_f32_neon(std::size_t n, const float* x, const float* y) {
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = vdupq_n_f32(0.0f);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 = vfmaq_f32(s0, vld1q_f32(x + i), vld1q_f32(y + i));
    s1 = vfmaq_f32(s1, vld1q_f32(x + i + 4), vld1q_f32(y + i + 4));
  }
  float s = vaddvq_f32(vaddq_f32(s0, s1));
  for (; i < n; i++) s += x[i] * y[i];
  return s;
}

void axpy_f32_neon(std::size_t n, float alpha, const float* x, float* y) {
  const float32x4_t a = vdupq_n_f32(alpha);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vfmaq_f32(vld1q_f32(y + i), a, vld1q_f32(x + i)));
  for (; i < n; i++) y[i] += alpha * x[i];
}

void scal_f32_neon(std::size_t n, float alpha, float* x) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(x + i, vmulq_n_f32(vld1q_f32(x + i), alpha));
  for (; i < n; i++) x[i] *= alpha;
}

// y[M] (+)= A[M,N]·x[N]
void gemv_n_f32_neon(int M, int N, const float* A, int lda, const float* x, float* y, bool accumulate) {
  for (int i = 0; i < M; i++) {
    const float s = dot_f32_neon((std::size_t)(N > 0 ? N : 0), A + (std::size_t)i * lda, x);
    y[i] = accumulate ? y[i] + s : s;
  }
}

// y[N] (+)= A[M,N]ᵀ·x[M]
void gemv_t_f32_neon(int M, int N, const float* A, int lda, const float* x, float* y, bool accumulate) {
  if (N <= 0) return;
  if (!accumulate)
    for (int j = 0; j < N; j++) y[j] = 0.0f;
  for (int i = 0; i < M; i++) axpy_f32_neon((std::size_t)N, x[i], A + (std::size_t)i * lda, y);
}

// Row i of C = gemv_n_f32_neon of row i of A (the gemv_n_rows contract).
void gemv_n_rows_neon(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                      bool accumulate) {
  for (int i = 0; i < M; i++)
    gemv_n_f32_neon(N, K, B, ldb, A + (std::size_t)i * lda, C + (std::size_t)i * ldc, accumulate);
}

Table make_neon_table() {
  Table t = detail::table_scalar();
  t.isa = "neon";
  t.gemv_n = gemv_n_f32_neon;
  t.gemv_t = gemv_t_f32_neon;
  t.gemv_n_rows = gemv_n_rows_neon;
  t.axpy = axpy_f32_neon;
  t.scal = scal_f32_neon;
  t.dot = dot_f32_neon;
  return t;
}

}  // namespace

namespace detail {
const Table* table_neon() {
  static const Table t = make_neon_table();
  return &t;
}
}  // namespace detail
}  // namespace kernels
}  // namespace charrnn

#else

namespace charrnn {
namespace kernels {
namespace detail {
const Table* table_neon() { return nullptr; }
}  // namespace detail
}  // namespace kernels
}  // namespace charrnn

#endif
