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

// Optimizer sweep: clip then update P parameters in place (the equations are documented in native/optim/optim.cc,
// which owns the public entry point optim::clip_and_update). state holds slots(kind)·P floats (Adam: m1 then m2).
// Returns the L2 norm of the raw gradient (before any clipping).
enum class OptimKind { kSgd = 0, kAdagrad = 1, kRmsprop = 2, kAdam = 3 };
struct OptimHyper {
  OptimKind kind;
  double lr;            // > 0
  double momentum;      // [0, 1)
  double beta1, beta2;  // [0, 1)
  double eps;           // > 0
  double weight_decay;  // ≥ 0, decoupled: p ← p·(1 − lr·wd)
  double clip_value;    // ≥ 0, 0 = off
  double clip_norm;     // ≥ 0, 0 = off
  double step;          // ≥ 1, Adam bias correction
};
using ClipUpdateFn = double (*)(const OptimHyper& h, float* params, float* grads, float* state, std::size_t P);

// Softmax + cross-entropy over rows of logits: Y [R,V] (bias already added) → dY = (softmax(y) − onehot)·scale in
// place; returns Σ_r −log p_r(target_r) (double) and adds Σ_r dY[r, :] into dby [V] (double).
using SoftmaxXentFn = double (*)(float* Y, int R, int V, const std::int32_t* targets, float scale, double* dby);
// Column sums: dst[j] += Σ_r src[r·N + j] for j < N, rows ascending, every add in double. Every table gives the same
// bits (one rounding per add, one order).
using ColSumFn = void (*)(std::size_t R, std::size_t N, const float* src, double* dst);

// The vanilla tanh RNN chunk (forward + full BPTT, the math of native/nn/rnn.h) as one ISA kernel, for ISAs whose
// restructured recurrence beats rnn.cc's loops over the table. Plain pointers: weights Wxh [H,V], Whh [H,H],
// bh [H], Why [V,H], by [V] and their gradients (every element written, unclipped); inputs/targets [T,B] in
// [0,V); hidden [B,H] in: h_0, out: h_T. Caller scratch: hs [(T+1)·B·H], y [T·B·V], dhs [T·B·H], xt [V·H] (when
// V ≤ T·B, else unused), acc [V+H] doubles, and isa [rnn_chunk_scratch(B, T, H, V)] floats (64-byte aligned).
// Returns Σ −log p(target). Handles H ≤ kRnnChunkMaxHidden; the caller runs its own loops above that.
constexpr int kRnnChunkMaxHidden = 4096;
struct RnnChunk {
  int B, T, H, V;
  const float *Wxh, *Whh, *bh, *Why, *by;
  float *dWxh, *dWhh, *dbh, *dWhy, *dby;
  const std::int32_t *inputs, *targets;
  float* hidden;
  float scale;
  float *hs, *y, *dhs, *xt;
  double* acc;
  float* isa;
};
struct Table;
using RnnChunkFn = double (*)(const Table& k, const RnnChunk& c);
using RnnChunkScratchFn = std::size_t (*)(int B, int T, int H, int V);

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
  ClipUpdateFn clip_update;
  SoftmaxXentFn softmax_xent;
  ColSumFn colsum;
  RnnChunkFn rnn_chunk;                 // nullptr: no specialised chunk (scalar, neon), the caller's loops run
  RnnChunkScratchFn rnn_chunk_scratch;  // nullptr exactly when rnn_chunk is
  // C[M,N] (+)= A[M,K]·B[N,K]ᵀ computed as M matrix-vector products that share B: row i of C is bit for bit
  // gemv_n(N, K, B, ldb, A + i·lda, C + i·ldc, accumulate) of this table, whatever M. Batched inference runs its
  // streams through it, so stream i of a batch equals a one-stream step exactly (the gemm forms above sum in
  // another order). Rows of B are reused from L1 across the M rows of A.
  GemmFn gemv_n_rows;
};

const Table& active();
// Force an ISA by name; returns false (and changes nothing) if it is unknown or unsupported on this CPU.
bool set_isa(const char* name);
// Which ISAs this build contains and this CPU supports, best first (e.g. {"avx512","avx2","scalar"}); count in *n.
const char* const* supported_isas(int* n);
// The table of one ISA by name without changing active() (for tests, benchmarks and per-ISA parity runs);
// nullptr if the name is unknown, not built in, or unsupported on this CPU.
const Table* table_for(const char* name);

// Naive references (always scalar, unblocked): used for awkward shapes and to check every variant.
void gemm_nn_ref(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                 bool accumulate);
void gemm_nt_ref(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                 bool accumulate);
void gemm_tn_ref(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                 bool accumulate);

// Portable forms that the scalar table runs and that other code may call on any table:
//   softmax_xent_rows: the SoftmaxXentFn contract with the given exp (a table's `exp`): float32 row max and shift,
//     exp, then Σ exp, p = e/Σ, (p − onehot)·scale and the dby sums in double, all in index order. The scalar
//     table's softmax_xent is this with its own exp; the stacked cells run it with the active table's exp.
//   clip_update_f64: the ClipUpdateFn contract in double arithmetic over float32 storage, mirroring the JS
//     reference line by line (the scalar table's clip_update, and the fallback of the others for eps < 1e-30).
double softmax_xent_rows(MapFn exp, float* Y, int R, int V, const std::int32_t* targets, float scale, double* dby);
double clip_update_f64(const OptimHyper& h, float* params, float* grads, float* state, std::size_t P);

}  // namespace kernels
}  // namespace charrnn
