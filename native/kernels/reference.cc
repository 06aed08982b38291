// Naive gemm references: obviously-correct triple loops, used to check every ISA variant and for tiny shapes.
// Deliberately unblocked and unvectorised-by-design (the compiler may still vectorise); never tuned.
#include <cstddef>

#include "kernels.h"

namespace charrnn {
namespace kernels {

// C[M,N] (+)= A[M,K]·B[K,N]
void gemm_nn_ref(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                 bool accumulate) {
  for (int i = 0; i < M; i++) {
    float* c = C + (std::size_t)i * ldc;
    for (int j = 0; j < N; j++) {
      float s = 0.0f;
      for (int k = 0; k < K; k++) s += A[(std::size_t)i * lda + k] * B[(std::size_t)k * ldb + j];
      c[j] = accumulate ? c[j] + s : s;
    }
  }
}

// C[M,N] (+)= A[M,K]·B[N,K]ᵀ
void gemm_nt_ref(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                 bool accumulate) {
  for (int i = 0; i < M; i++) {
    float* c = C + (std::size_t)i * ldc;
    for (int j = 0; j < N; j++) {
      float s = 0.0f;
      for (int k = 0; k < K; k++) s += A[(std::size_t)i * lda + k] * B[(std::size_t)j * ldb + k];
      c[j] = accumulate ? c[j] + s : s;
    }
  }
}

// C[M,N] (+)= A[K,M]ᵀ·B[K,N]
void gemm_tn_ref(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                 bool accumulate) {
  for (int i = 0; i < M; i++) {
    float* c = C + (std::size_t)i * ldc;
    for (int j = 0; j < N; j++) {
      float s = 0.0f;
      for (int k = 0; k < K; k++) s += A[(std::size_t)k * lda + i] * B[(std::size_t)k * ldb + j];
      c[j] = accumulate ? c[j] + s : s;
    }
  }
}

}  // namespace kernels
}  // namespace charrnn
