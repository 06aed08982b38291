// Portable scalar kernels (the last entry of every dispatch table): cache-aware loop orders, no intrinsics,
// compiled with no ISA flags. Deliberately not register-blocked by hand: it is the safe path, not the fast one.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "internal.h"

namespace charrnn {
namespace kernels {
namespace {

constexpr int kBlockK = 256;  // rows of B kept hot while sweeping a block of C
constexpr int kBlockM = 64;   // rows of C per block (64 × N floats stays in L2 for N ≤ ~2k)

void zero_c(int M, int N, float* C, int ldc) {
  for (int i = 0; i < M; i++) std::memset(C + (std::size_t)i * ldc, 0, sizeof(float) * (std::size_t)N);
}

// y[n] += a · x[n]: the inner loop of the nn/tn forms (the compiler vectorises it for the baseline ISA).
inline void axpy_row(int n, float a, const float* x, float* y) {
  for (int j = 0; j < n; j++) y[j] += a * x[j];
}

// Σ x·y with four partial sums (independent chains; order differs from the reference only by rounding).
inline float dot_row(int n, const float* x, const float* y) {
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    s0 += x[k] * y[k];
    s1 += x[k + 1] * y[k + 1];
    s2 += x[k + 2] * y[k + 2];
    s3 += x[k + 3] * y[k + 3];
  }
  for (; k < n; k++) s0 += x[k] * y[k];
  return (s0 + s1) + (s2 + s3);
}

// C[M,N] (+)= A[M,K]·B[K,N]
void gemm_nn_f32_scalar(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                        bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (!accumulate) zero_c(M, N, C, ldc);
  for (int k0 = 0; k0 < K; k0 += kBlockK) {
    const int kb = K - k0 < kBlockK ? K - k0 : kBlockK;
    for (int i = 0; i < M; i++) {
      const float* a = A + (std::size_t)i * lda + k0;
      float* c = C + (std::size_t)i * ldc;
      for (int k = 0; k < kb; k++) axpy_row(N, a[k], B + (std::size_t)(k0 + k) * ldb, c);
    }
  }
}

// C[M,N] (+)= A[M,K]·B[N,K]ᵀ
void gemm_nt_f32_scalar(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                        bool accumulate) {
  for (int i = 0; i < M; i++) {
    const float* a = A + (std::size_t)i * lda;
    float* c = C + (std::size_t)i * ldc;
    for (int j = 0; j < N; j++) {
      const float s = dot_row(K, a, B + (std::size_t)j * ldb);
      c[j] = accumulate ? c[j] + s : s;
    }
  }
}

// C[M,N] (+)= A[K,M]ᵀ·B[K,N]
void gemm_tn_f32_scalar(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                        bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (!accumulate) zero_c(M, N, C, ldc);
  for (int i0 = 0; i0 < M; i0 += kBlockM) {
    const int ib = M - i0 < kBlockM ? M - i0 : kBlockM;
    for (int k = 0; k < K; k++) {
      const float* a = A + (std::size_t)k * lda + i0;
      const float* b = B + (std::size_t)k * ldb;
      for (int i = 0; i < ib; i++) axpy_row(N, a[i], b, C + (std::size_t)(i0 + i) * ldc);
    }
  }
}

void axpy_f32_scalar(std::size_t n, float alpha, const float* x, float* y) {
  for (std::size_t i = 0; i < n; i++) y[i] += alpha * x[i];
}

void scal_f32_scalar(std::size_t n, float alpha, float* x) {
  for (std::size_t i = 0; i < n; i++) x[i] *= alpha;
}

float dot_f32_scalar(std::size_t n, const float* x, const float* y) {
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  std::size_t k = 0;
  for (; k + 4 <= n; k += 4) {
    s0 += x[k] * y[k];
    s1 += x[k + 1] * y[k + 1];
    s2 += x[k + 2] * y[k + 2];
    s3 += x[k + 3] * y[k + 3];
  }
  for (; k < n; k++) s0 += x[k] * y[k];
  return (s0 + s1) + (s2 + s3);
}

// Exact to float rounding of the libm result (std::tanh/std::exp on float are correctly rounded or ≤1 ulp).
void tanh_f32_scalar(std::size_t n, const float* x, float* y) {
  for (std::size_t i = 0; i < n; i++) y[i] = std::tanh(x[i]);
}
void exp_f32_scalar(std::size_t n, const float* x, float* y) {
  for (std::size_t i = 0; i < n; i++) y[i] = std::exp(x[i]);
}

// Pre-packed B (scalar and NEON): op(B) as a plain row-major [K,N] copy, multiplied by gemm_nn.
std::size_t packed_b_size_scalar(int K, int N) { return K > 0 && N > 0 ? (std::size_t)K * (std::size_t)N : 0; }

void pack_b_scalar(int K, int N, const float* B, int ldb, bool trans, float* dst) {
  for (int k = 0; k < K; k++)
    for (int j = 0; j < N; j++)
      dst[(std::size_t)k * N + j] = trans ? B[(std::size_t)j * ldb + k] : B[(std::size_t)k * ldb + j];
}

void gemm_pb_scalar(int M, int N, int K, const float* A, int lda, const float* Bp, int j0, int j1, float* C, int ldc,
                    bool accumulate) {
  if (j1 <= j0) return;
  gemm_nn_f32_scalar(M, j1 - j0, K, A, lda, Bp + j0, N, C + j0, ldc, accumulate);
}

double softmax_xent_scalar(float* Y, int R, int V, const std::int32_t* targets, float scale, double* dby) {
  return softmax_xent_rows(exp_f32_scalar, Y, R, V, targets, scale, dby);
}

void colsum_scalar(std::size_t R, std::size_t N, const float* src, double* dst) {
  for (std::size_t r = 0; r < R; r++) {
    const float* row = src + r * N;
    for (std::size_t j = 0; j < N; j++) dst[j] += row[j];
  }
}

// Row i of C = gemv_n_scalar of row i of A (the gemv_n_rows contract: the same function, row by row).
void gemv_n_rows_scalar(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                        bool accumulate) {
  for (int i = 0; i < M; i++)
    detail::gemv_n_scalar(N, K, B, ldb, A + (std::size_t)i * lda, C + (std::size_t)i * ldc, accumulate);
}

const Table kScalarTable{"scalar",
                         gemm_nn_f32_scalar,
                         gemm_nt_f32_scalar,
                         gemm_tn_f32_scalar,
                         detail::gemv_n_scalar,
                         detail::gemv_t_scalar,
                         axpy_f32_scalar,
                         scal_f32_scalar,
                         dot_f32_scalar,
                         tanh_f32_scalar,
                         exp_f32_scalar,
                         packed_b_size_scalar,
                         pack_b_scalar,
                         gemm_pb_scalar,
                         clip_update_f64,
                         softmax_xent_scalar,
                         colsum_scalar,
                         nullptr,
                         nullptr,
                         gemv_n_rows_scalar};

}  // namespace

namespace detail {

// y[M] (+)= A[M,N]·x[N]
void gemv_n_scalar(int M, int N, const float* A, int lda, const float* x, float* y, bool accumulate) {
  for (int i = 0; i < M; i++) {
    const float s = dot_row(N, A + (std::size_t)i * lda, x);
    y[i] = accumulate ? y[i] + s : s;
  }
}

// y[N] (+)= A[M,N]ᵀ·x[M]
void gemv_t_scalar(int M, int N, const float* A, int lda, const float* x, float* y, bool accumulate) {
  if (N <= 0) return;
  if (!accumulate) std::memset(y, 0, sizeof(float) * (std::size_t)N);
  for (int i = 0; i < M; i++) axpy_row(N, x[i], A + (std::size_t)i * lda, y);
}

const Table& table_scalar() { return kScalarTable; }

}  // namespace detail
}  // namespace kernels
}  // namespace charrnn
