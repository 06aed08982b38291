// BLAS-style float32 kernels of charrnn: the contract every ISA variant implements.
// Plain C++ over raw pointers and sizes: no napi.h, no allocation visible to callers. The tables handed out by
// active()/table_for() split large gemm/gemv over the thread pool (parallel.cc); the ISA kernels themselves are
// single-threaded.
// Row-major everywhere. Shapes in the project's vocabulary: B batch, T steps, H hidden, V vocab, E embed.
#pragma once
#include <cstddef>
#include <cstdint>

namespace charrnn {
namespace kernels {

// All gemm forms compute C[M,N] = op(A)·op(B) (accumulate=false) or C += op(A)·op(B) (accumulate=true).
// lda/ldb/ldc are row strides in elements. M, N or K may be 0 (K = 0 with accumulate=false zeroes C).
//   gemm_nn: A [M,K], B [K,N]
//   gemm_nt: A [M,K], B [N,K]   (C = A·Bᵀ)
//   gemm_tn: A [K,M], B [K,N]   (C = Aᵀ·B)
using GemmFn = void (*)(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                        bool accumulate);
// gemv_n: y[M] (+)= A[M,N]·x[N];  gemv_t: y[N] (+)= A[M,N]ᵀ·x[M]
using GemvFn = void (*)(int M, int N, const float* A, int lda, const float* x, float* y, bool accumulate);
using AxpyFn = void (*)(std::size_t n, float alpha, const float* x, float* y);  // y += alpha·x
using ScalFn = void (*)(std::size_t n, float alpha, float* x);                  // x *= alpha
using DotFn = float (*)(std::size_t n, const float* x, const float* y);         // Σ x·y
using MapFn = void (*)(std::size_t n, const float* x, float* y);                // y = f(x), x == y allowed

// Pre-packed B operand. A weight that many products in a row multiply (the recurrent W_hh over a chunk's T steps,
// forward and backward) is packed once into the ISA's private layout instead of once per product:
//   packed_b_size(K, N)                  floats the packing of a [K,N] operand occupies, at most
//                                        K·(N rounded up to kPackedColUnit) for every table;
//   pack_b(K, N, B, ldb, trans, dst)     op(B)[K,N] into dst (64-byte aligned), op(B)(k,j) = trans ? B[j·ldb + k]
//                                        : B[k·ldb + j];
//   gemm_pb(M, N, K, A, lda, Bp, j0, j1, C, ldc, accumulate)
//                                        C[:, j0:j1] (+)= A[M,K]·op(B)[:, j0:j1] for a packing Bp of width N;
//                                        C points at column 0; j0 is a multiple of kPackedColUnit (or 0).
// gemm_pb gives the same value per element as the matching unpacked gemm form would up to summation order; for a
// given table it is deterministic and independent of how [0, N) is cut into column ranges.
constexpr int kPackedColUnit = 16;
using PackedSizeFn = std::size_t (*)(int K, int N);
using PackBFn = void (*)(int K, int N, const float* B, int ldb, bool trans, float* dst);
using GemmPbFn = void (*)(int M, int N, int K, const float* A, int lda, const float* Bp, int j0, int j1, float* C,
                          int ldc, bool accumulate);

// One dispatch table per ISA; `active()` is chosen once at load (best supported first, scalar last),
// overridable by CHARRNN_SIMD=scalar|avx2|avx512 or set_isa().
struct Table {
  const char* isa;  // "avx512", "avx2", "neon", "scalar"
  GemmFn gemm_nn, gemm_nt, gemm_tn;
  GemvFn gemv_n, gemv_t;
  AxpyFn axpy;
  ScalFn scal;
  DotFn dot;
  MapFn tanh;  // vectorised tanh; max error documented in the ISA file and tested
  MapFn exp;   // vectorised exp; same
  PackedSizeFn packed_b_size;
  PackBFn pack_b;
  GemmPbFn gemm_pb;
};

const Table& active();
// Whether a table's CPU also runs the AVX2+FMA code outside the kernel table (the vanilla-RNN chunk, the optimizer
// sweep): true for "avx2" and "avx512" (every AVX-512 table is chosen only on a CPU with AVX2 and FMA too).
bool implies_avx2(const Table& t);
// Force an ISA by name; returns false (and changes nothing) if it is unknown or unsupported on this CPU.
bool set_isa(const char* name);
// Which ISAs this build contains and this CPU supports, best first (e.g. {"avx512","avx2","scalar"}); count in *n.
const char* const* supported_isas(int* n);
// The table of one ISA by name without changing active() (for tests, benchmarks and per-ISA parity runs);
// nullptr if the name is unknown, not built in, or unsupported on this CPU.
const Table* table_for(const char* name);

// Naive references (always scalar, unblocked): used for awkward shapes and to check every variant.
void gemm_nn_ref(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc, bool accumulate);
void gemm_nt_ref(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc, bool accumulate);
void gemm_tn_ref(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc, bool accumulate);

}  // namespace kernels
}  // namespace charrnn
