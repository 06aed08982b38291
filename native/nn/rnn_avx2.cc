// AVX2+FMA vanilla-RNN chunk (x86-64 only): the same forward + BPTT as rnn_chunk_gradient in rnn.cc, with the
// recurrence restructured so that only the truly sequential products run per step, and those on weights
// prepared ONCE per chunk:
//   B = 1: Whhᵀ transposed once into zero-padded rows (ld = H rounded up to 8); each step is a register-blocked
//          "broadcast x[k], accumulate up to 13 vectors of y" gemv over those rows (forward) or over the rows of
//          Whh itself (backward, last vector masked), with the input column (Wxh[:, x] + bh) as the forward
//          accumulator's initial value, and the dh add and the (1 − h²) factor in the backward epilogue.
//   B > 1: Whhᵀ (forward) and Whh (backward) packed into 16-column panels once; each step runs 6/5/4-row
//          micro-tiles straight over the row-major [B, H] state (no per-step packing) with the input rows
//          (forward) or dh and (1 − h²) (backward) fused into the tile's store.
// Everything else is a whole-chunk gemm (output layer, dWhy, dHs, dWhh), as in rnn.cc: through the kernel table,
// or for short chunks (T·B ≤ 64, W1) through small_gemm below, which reads its operands in place (no packing).
// Compiled for AVX2 through the target pragma below only (never -mavx2); rnn.cc calls it only when the active
// kernel table is "avx2". Deliberately no std templates here (an AVX2 instantiation could be picked by the
// linker for the scalar files), no allocation (rnn_reserve grew the workspace); the B > 1 steps split over the
// thread pool by column panels (bit-identical for any thread count).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "rnn_internal.h"
#include "../util/threadpool.h"

#if defined(__x86_64__) || defined(_M_X64)

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#include <immintrin.h>

#include "../util/avx2_util.h"

namespace charrnn {
namespace nn {
namespace {

using namespace avx2;

using std::size_t;

constexpr int kNR = 16;     // panel width (columns of the packed weights) for B > 1
constexpr int kMaxVec = 13;  // accumulators of the B = 1 gemv (13 + 1 broadcast ≤ 16 ymm registers)


inline size_t round8(size_t n) { return (n + 7) / 8 * 8; }

// ---------------------------------------------------------------------------------------------------------
// Weight preparation (once per chunk)


// dst[c·ldd + r] = W[r·ldw + c] for r < R, c < C: 8×8 register transposes, scalar edges.
void transpose(const float* W, size_t ldw, size_t R, size_t C, float* dst, size_t ldd) {
  size_t r = 0;
  for (; r + 8 <= R; r += 8) {
    const float* w = W + r * ldw;
    size_t c = 0;
    for (; c + 8 <= C; c += 8) {
      __m256 r0 = _mm256_loadu_ps(w + c), r1 = _mm256_loadu_ps(w + ldw + c);
      __m256 r2 = _mm256_loadu_ps(w + 2 * ldw + c), r3 = _mm256_loadu_ps(w + 3 * ldw + c);
      __m256 r4 = _mm256_loadu_ps(w + 4 * ldw + c), r5 = _mm256_loadu_ps(w + 5 * ldw + c);
      __m256 r6 = _mm256_loadu_ps(w + 6 * ldw + c), r7 = _mm256_loadu_ps(w + 7 * ldw + c);
      transpose8x8(r0, r1, r2, r3, r4, r5, r6, r7);
      float* d = dst + c * ldd + r;
      _mm256_storeu_ps(d, r0);
      _mm256_storeu_ps(d + ldd, r1);
      _mm256_storeu_ps(d + 2 * ldd, r2);
      _mm256_storeu_ps(d + 3 * ldd, r3);
      _mm256_storeu_ps(d + 4 * ldd, r4);
      _mm256_storeu_ps(d + 5 * ldd, r5);
      _mm256_storeu_ps(d + 6 * ldd, r6);
      _mm256_storeu_ps(d + 7 * ldd, r7);
    }
    for (; c < C; c++)
      for (size_t i = 0; i < 8; i++) dst[c * ldd + r + i] = w[i * ldw + c];
  }
  for (; r < R; r++)
    for (size_t c = 0; c < C; c++) dst[c * ldd + r] = W[r * ldw + c];
}

// dst[c·ldd + r] = W[r·ldw + c] for r < R, c < C, and 0 for R ≤ r < round8(R) (ldd ≥ round8(R)): every block is
// an 8×8 register transpose (masked loads at the column edge, zero rows past R), so each store is 8 floats wide
// (transpose()'s scalar edge loops cost as much as its blocks at W1's sizes, 100 = 12·8 + 4).
void transpose_padded(const float* W, size_t ldw, size_t R, size_t C, float* dst, size_t ldd) {
  const __m256 zero = _mm256_setzero_ps();
  for (size_t r = 0; r < R; r += 8) {
    const size_t nrow = R - r < 8 ? R - r : 8;
    for (size_t c = 0; c < C; c += 8) {
      const size_t ncol = C - c < 8 ? C - c : 8;
      const __m256i cm = lane_mask(static_cast<int>(ncol));
      const float* w = W + r * ldw + c;
      float* d = dst + c * ldd + r;
      __m256 x[8];
      if (nrow == 8 && ncol == 8) {
#pragma GCC unroll 8
        for (size_t i = 0; i < 8; i++) x[i] = _mm256_loadu_ps(w + i * ldw);
      } else {
#pragma GCC unroll 8
        for (size_t i = 0; i < 8; i++) x[i] = i >= nrow ? zero : _mm256_maskload_ps(w + i * ldw, cm);
      }
      transpose8x8(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
      if (ncol == 8) {
#pragma GCC unroll 8
        for (size_t j = 0; j < 8; j++) _mm256_storeu_ps(d + j * ldd, x[j]);
      } else {
        for (size_t j = 0; j < ncol; j++) _mm256_storeu_ps(d + j * ldd, x[j]);
      }
    }
  }
}

// dst [H, Hp] = Wᵀ for W [H, H] (columns H..Hp zero).
void pad_transpose(const float* W, size_t H, size_t Hp, float* dst) { transpose_padded(W, H, H, H, dst, Hp); }

// Panels for the B > 1 recurrence: operand element (k, j), k < K, j < N, packed as ceil(N/16) panels of
// [K][16] floats (columns past N zero). `transposed`: element (k, j) = W[j·ld + k] (forward, h·Whhᵀ);
// otherwise W[k·ld + j] (backward, da·Whh).
void pack_panels(const float* W, size_t ld, int K, int N, bool transposed, float* dst) {
  for (int j0 = 0; j0 < N; j0 += kNR) {
    float* d = dst + static_cast<size_t>(j0) * K;
    const int nr = N - j0 < kNR ? N - j0 : kNR;
    if (transposed) {
      if (nr < kNR) std::memset(d, 0, static_cast<size_t>(K) * kNR * sizeof(float));
      transpose(W + static_cast<size_t>(j0) * ld, ld, static_cast<size_t>(nr), static_cast<size_t>(K), d, kNR);
    } else {
      for (int k = 0; k < K; k++) {
        const float* src = W + static_cast<size_t>(k) * ld + j0;
        float* o = d + static_cast<size_t>(k) * kNR;
        for (int c = 0; c < kNR; c++) o[c] = c < nr ? src[c] : 0.0f;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// B = 1: y[0, 8·NV) = init + Σ_k x[k]·M[k·ld + ·], M padded (every 8-lane load is inside a row of ld ≥ 8·NV).

// kMasked: the last vector of each row is partial (M not padded): masked load with `last`.
template <int NV, bool kMasked = false>
inline void gemv_rows_block(int K, const float* x, const float* M, size_t ld, __m256 (&acc)[kMaxVec],
                            __m256i last = __m256i()) {
  const float* m = M;
  int k = 0;
  for (; k < K; k++, m += ld) {
    const __m256 xb = _mm256_broadcast_ss(x + k);
#pragma GCC unroll 13
    for (int v = 0; v < NV; v++) {
      const __m256 w = kMasked && v == NV - 1 ? _mm256_maskload_ps(m + 8 * v, last) : _mm256_loadu_ps(m + 8 * v);
      acc[v] = _mm256_fmadd_ps(xb, w, acc[v]);
    }
  }
}

// Forward, one block of NV vectors starting at column c0: z = xin + hprev·(WhhT rows) → hcur[c0 ..], n valid.
template <int NV>
void fwd_block(int H, const float* hprev, const float* WT, size_t ld, const float* xin, float* hcur, int c0) {
  __m256 acc[kMaxVec];
  const int n = H - c0;  // valid columns from c0 (≥ 8·(NV−1) + 1)
#pragma GCC unroll 13
  for (int v = 0; v < NV; v++) acc[v] = _mm256_loadu_ps(xin + c0 + 8 * v);  // xin is padded to Hp
  gemv_rows_block<NV>(H, hprev, WT + c0, ld, acc);
#pragma GCC unroll 13
  for (int v = 0; v < NV; v++) {
    const int left = n - 8 * v;
    if (left >= 8)
      _mm256_storeu_ps(hcur + c0 + 8 * v, acc[v]);
    else
      _mm256_maskstore_ps(hcur + c0 + 8 * v, lane_mask(left), acc[v]);
  }
}

// Backward, one block: da_prev[c] = (Σ_i da[i]·Whh[i, c] + dh_prev[c])·(1 − h_prev[c]²); dh_prev is overwritten
// by da_prev (same buffer).
// Reads Whh itself (ld = H, unpadded): the block's last vector is masked when the row ends inside it.
template <int NV>
void bwd_block(int H, const float* da, const float* Wp, size_t ld, const float* hprev, float* dprev, int c0) {
  __m256 acc[kMaxVec];
#pragma GCC unroll 13
  for (int v = 0; v < NV; v++) acc[v] = _mm256_setzero_ps();
  const int n = H - c0;
  if (n < 8 * NV)
    gemv_rows_block<NV, true>(H, da, Wp + c0, ld, acc, lane_mask(n - 8 * (NV - 1)));
  else
    gemv_rows_block<NV>(H, da, Wp + c0, ld, acc);
  const __m256 one = _mm256_set1_ps(1.0f);
#pragma GCC unroll 13
  for (int v = 0; v < NV; v++) {
    const int left = n - 8 * v;
    float* d = dprev + c0 + 8 * v;
    const float* h = hprev + c0 + 8 * v;
    if (left >= 8) {
      const __m256 hv = _mm256_loadu_ps(h);
      const __m256 g = _mm256_add_ps(acc[v], _mm256_loadu_ps(d));
      _mm256_storeu_ps(d, _mm256_mul_ps(_mm256_fnmadd_ps(hv, hv, one), g));
    } else {
      const __m256i m = lane_mask(left);
      const __m256 hv = _mm256_maskload_ps(h, m);
      const __m256 g = _mm256_add_ps(acc[v], _mm256_maskload_ps(d, m));
      _mm256_maskstore_ps(d, m, _mm256_mul_ps(_mm256_fnmadd_ps(hv, hv, one), g));
    }
  }
}

using FwdBlockFn = void (*)(int, const float*, const float*, size_t, const float*, float*, int);
using BwdBlockFn = void (*)(int, const float*, const float*, size_t, const float*, float*, int);
const FwdBlockFn kFwdBlock[kMaxVec + 1] = {nullptr,        fwd_block<1>,  fwd_block<2>,  fwd_block<3>, fwd_block<4>,
                                           fwd_block<5>,   fwd_block<6>,  fwd_block<7>,  fwd_block<8>, fwd_block<9>,
                                           fwd_block<10>,  fwd_block<11>, fwd_block<12>, fwd_block<13>};
const BwdBlockFn kBwdBlock[kMaxVec + 1] = {nullptr,        bwd_block<1>,  bwd_block<2>,  bwd_block<3>, bwd_block<4>,
                                           bwd_block<5>,   bwd_block<6>,  bwd_block<7>,  bwd_block<8>, bwd_block<9>,
                                           bwd_block<10>,  bwd_block<11>, bwd_block<12>, bwd_block<13>};

// Column blocks of a row of H: ceil(H/8) vectors split into nb balanced blocks of ≤ kMaxVec vectors.
struct Blocks {
  int nb;
  int start[64];
  int nv[64];
};
Blocks column_blocks(int H) {
  Blocks b{};
  const int nvec = (H + 7) / 8;
  const int nb = (nvec + kMaxVec - 1) / kMaxVec;
  b.nb = nb;
  int v0 = 0;
  for (int i = 0; i < nb; i++) {
    const int n = (nvec - v0) / (nb - i);  // the later blocks get the remainder (≥ as many)
    b.start[i] = 8 * v0;
    b.nv[i] = n;
    v0 += n;
  }
  return b;
}

// ---------------------------------------------------------------------------------------------------------
// B > 1: micro-tiles of MR rows × 16 columns over the row-major state A [rows, K] (lda) and one packed panel.

template <int MR>
inline void tile(int K, const float* A, size_t lda, const float* bp, __m256 (&c)[6][2]) {
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) c[r][0] = c[r][1] = _mm256_setzero_ps();
  const float* a = A;
#pragma GCC unroll 2
  for (int k = 0; k < K; k++) {
    const __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const __m256 av = _mm256_broadcast_ss(a + r * lda);
      c[r][0] = _mm256_fmadd_ps(av, b0, c[r][0]);
      c[r][1] = _mm256_fmadd_ps(av, b1, c[r][1]);
    }
    a++;
    bp += kNR;
  }
}

// Forward tile: z[b, j] = (h·Whhᵀ)[b, j] + xrow_b[j] stored to hcur (tanh applied per step afterwards).
template <int MR>
void fwd_tile(int K, const float* hprev, size_t ld, const float* bp, const float* const* xrows, float* hcur, int j0,
              int nr) {
  __m256 c[6][2];
  tile<MR>(K, hprev, ld, bp, c);
  if (nr == kNR) {
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const float* x = xrows[r] + j0;
      float* o = hcur + r * ld + j0;
      _mm256_storeu_ps(o, _mm256_add_ps(c[r][0], _mm256_loadu_ps(x)));
      _mm256_storeu_ps(o + 8, _mm256_add_ps(c[r][1], _mm256_loadu_ps(x + 8)));
    }
  } else {
    const __m256i m0 = lane_mask(nr < 8 ? nr : 8), m1 = lane_mask(nr > 8 ? nr - 8 : 0);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const float* x = xrows[r] + j0;
      float* o = hcur + r * ld + j0;
      _mm256_maskstore_ps(o, m0, _mm256_add_ps(c[r][0], _mm256_maskload_ps(x, m0)));
      _mm256_maskstore_ps(o + 8, m1, _mm256_add_ps(c[r][1], _mm256_maskload_ps(x + 8, m1)));
    }
  }
}

// Backward tile: dprev[b, j] = ((da·Whh)[b, j] + dprev[b, j])·(1 − hprev[b, j]²), in place.
template <int MR>
void bwd_tile(int K, const float* da, size_t ld, const float* bp, const float* hprev, float* dprev, int j0, int nr) {
  __m256 c[6][2];
  tile<MR>(K, da, ld, bp, c);
  const __m256 one = _mm256_set1_ps(1.0f);
  if (nr == kNR) {
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const float* h = hprev + r * ld + j0;
      float* d = dprev + r * ld + j0;
      const __m256 h0 = _mm256_loadu_ps(h), h1 = _mm256_loadu_ps(h + 8);
      _mm256_storeu_ps(d, _mm256_mul_ps(_mm256_fnmadd_ps(h0, h0, one), _mm256_add_ps(c[r][0], _mm256_loadu_ps(d))));
      _mm256_storeu_ps(d + 8,
                       _mm256_mul_ps(_mm256_fnmadd_ps(h1, h1, one), _mm256_add_ps(c[r][1], _mm256_loadu_ps(d + 8))));
    }
  } else {
    const __m256i m0 = lane_mask(nr < 8 ? nr : 8), m1 = lane_mask(nr > 8 ? nr - 8 : 0);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const float* h = hprev + r * ld + j0;
      float* d = dprev + r * ld + j0;
      const __m256 h0 = _mm256_maskload_ps(h, m0), h1 = _mm256_maskload_ps(h + 8, m1);
      _mm256_maskstore_ps(d, m0,
                          _mm256_mul_ps(_mm256_fnmadd_ps(h0, h0, one), _mm256_add_ps(c[r][0], _mm256_maskload_ps(d, m0))));
      _mm256_maskstore_ps(
          d + 8, m1, _mm256_mul_ps(_mm256_fnmadd_ps(h1, h1, one), _mm256_add_ps(c[r][1], _mm256_maskload_ps(d + 8, m1))));
    }
  }
}

using FwdTileFn = void (*)(int, const float*, size_t, const float*, const float* const*, float*, int, int);
using BwdTileFn = void (*)(int, const float*, size_t, const float*, const float*, float*, int, int);
const FwdTileFn kFwdTile[7] = {nullptr, fwd_tile<1>, fwd_tile<2>, fwd_tile<3>, fwd_tile<4>, fwd_tile<5>, fwd_tile<6>};
const BwdTileFn kBwdTile[7] = {nullptr, bwd_tile<1>, bwd_tile<2>, bwd_tile<3>, bwd_tile<4>, bwd_tile<5>, bwd_tile<6>};

// Row tiles of B rows: sixes, with a remainder of 1..3 merged into the last six and split into two tiles of
// ≥ 3 rows (4+3, 4+4, 5+4), so every tile keeps ≥ 6 independent FMA chains where it can.
int row_tiles(int B, int* start, int* rows) {
  int n = 0, b = 0;
  const int r = B % 6;
  const int full = B / 6;
  const int sixes = (r >= 1 && r <= 3 && full >= 1) ? full - 1 : full;
  for (int i = 0; i < sixes; i++, b += 6) start[n] = b, rows[n++] = 6;
  int left = B - b;
  if (left > 6) {  // 7, 8, 9: two tiles
    const int first = (left + 1) / 2;
    start[n] = b, rows[n++] = first, b += first, left -= first;
  }
  if (left > 0) start[n] = b, rows[n++] = left;
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// One step's B > 1 product split over the thread pool by column panels: part p runs panels [p·n/parts,
// (p+1)·n/parts) for every row tile. Each output element is computed by the same tile code whatever the split,
// so results do not depend on the thread count. Small steps (below kMinStepMacs) stay on one thread.
constexpr long long kMinStepMacs = 1LL << 18;

struct StepJob {
  int H;
  const float* in;       // forward: hprev; backward: da
  const float* w;        // packed panels
  const float* const* xrows;  // forward only
  const float* hprev;    // backward only
  float* out;            // forward: hcur; backward: dprev
  const int* tstart;
  const int* trows;
  int ntiles, panels, parts;
};

int step_parts(int B, int H, int panels) {
  const long long macs = static_cast<long long>(B) * H * H;
  const int threads = par::threads();
  if (threads <= 1 || macs < kMinStepMacs) return 1;
  return panels < threads ? panels : threads;
}

// Panels [p0, p1) of part `part`, every row tile: forward tiles when `forward`, else backward tiles.
inline void step_part(const StepJob& j, int part, bool forward) {
  const size_t H = static_cast<size_t>(j.H);
  const int p0 = j.panels * part / j.parts, p1 = j.panels * (part + 1) / j.parts;
  for (int p = p0; p < p1; p++) {
    const int j0 = p * kNR;
    const float* bp = j.w + static_cast<size_t>(j0) * H;
    const int nr = j.H - j0 < kNR ? j.H - j0 : kNR;
    for (int ti = 0; ti < j.ntiles; ti++) {
      const size_t b0 = static_cast<size_t>(j.tstart[ti]);
      if (forward)
        kFwdTile[j.trows[ti]](j.H, j.in + b0 * H, H, bp, j.xrows + b0, j.out + b0 * H, j0, nr);
      else
        kBwdTile[j.trows[ti]](j.H, j.in + b0 * H, H, bp, j.hprev + b0 * H, j.out + b0 * H, j0, nr);
    }
  }
}

void fwd_step_part(void* ctx, int part) { step_part(*static_cast<const StepJob*>(ctx), part, true); }
void bwd_step_part(void* ctx, int part) { step_part(*static_cast<const StepJob*>(ctx), part, false); }

// ---------------------------------------------------------------------------------------------------------
// Small unpacked gemm for the whole-chunk products of short chunks (T·B ≤ kSmallRows, e.g. W1's 25 rows): at
// these sizes the kernel table's packing and edge handling cost as much as the FMAs, so B's rows are read in
// place and A is broadcast straight from memory with arbitrary strides (which covers NN and TN; NT takes a
// transposed copy of its right operand).
//   C [M, N] (ldc) = bias[j] (or 0) + Σ_k A(i, k)·B[k·ldb + j],   A(i, k) = A[i·ai + k·ak].
// Micro-tiles of MR ≤ 6 rows × NV ≤ 2 vectors; the last vector of a row's final block is masked (kMask).

constexpr int kSmallRows = 64;

template <int MR, int NV, bool kMask>
void small_tile(int K, const float* A, size_t ai, size_t ak, const float* B, size_t ldb, const float* bias, float* C,
                size_t ldc, __m256i last) {
  __m256 c[MR][NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; v++) {
    const bool masked = kMask && v == NV - 1;
    __m256 b0 = _mm256_setzero_ps();
    if (bias != nullptr) b0 = masked ? _mm256_maskload_ps(bias + 8 * v, last) : _mm256_loadu_ps(bias + 8 * v);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) c[r][v] = b0;
  }
  const float* b = B;
  const float* a = A;
  for (int k = 0; k < K; k++, b += ldb, a += ak) {
    __m256 bv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++)
      bv[v] = kMask && v == NV - 1 ? _mm256_maskload_ps(b + 8 * v, last) : _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const __m256 av = _mm256_broadcast_ss(a + r * ai);
#pragma GCC unroll 2
      for (int v = 0; v < NV; v++) c[r][v] = _mm256_fmadd_ps(av, bv[v], c[r][v]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) {
      float* o = C + r * ldc + 8 * v;
      if (kMask && v == NV - 1)
        _mm256_maskstore_ps(o, last, c[r][v]);
      else
        _mm256_storeu_ps(o, c[r][v]);
    }
  }
}

using SmallTileFn = void (*)(int, const float*, size_t, size_t, const float*, size_t, const float*, float*, size_t,
                             __m256i);
// [MR][variant]: variant 0 = 2 full vectors, 1 = 2 vectors (last masked), 2 = 1 full, 3 = 1 masked.
const SmallTileFn kSmallTile[7][4] = {
    {nullptr, nullptr, nullptr, nullptr},
    {small_tile<1, 2, false>, small_tile<1, 2, true>, small_tile<1, 1, false>, small_tile<1, 1, true>},
    {small_tile<2, 2, false>, small_tile<2, 2, true>, small_tile<2, 1, false>, small_tile<2, 1, true>},
    {small_tile<3, 2, false>, small_tile<3, 2, true>, small_tile<3, 1, false>, small_tile<3, 1, true>},
    {small_tile<4, 2, false>, small_tile<4, 2, true>, small_tile<4, 1, false>, small_tile<4, 1, true>},
    {small_tile<5, 2, false>, small_tile<5, 2, true>, small_tile<5, 1, false>, small_tile<5, 1, true>},
    {small_tile<6, 2, false>, small_tile<6, 2, true>, small_tile<6, 1, false>, small_tile<6, 1, true>},
};

// Rows split into ceil(M/6) balanced tiles (25 → 5×5, 100 → 15×6 + 2×5), columns into 16-wide blocks.
void small_gemm(int M, int N, int K, const float* A, size_t ai, size_t ak, const float* B, size_t ldb,
                const float* bias, float* C, size_t ldc) {
  const int ntiles = (M + 5) / 6;
  const int base = M / ntiles, extra = M % ntiles;
  for (int j0 = 0; j0 < N; j0 += 16) {
    const int nr = N - j0 < 16 ? N - j0 : 16;
    const int variant = nr == 16 ? 0 : nr > 8 ? 1 : nr == 8 ? 2 : 3;
    const __m256i last = lane_mask(nr & 7 ? nr & 7 : 8);
    int i0 = 0;
    for (int t = 0; t < ntiles; t++) {
      const int mr = base + (t < extra ? 1 : 0);
      kSmallTile[mr][variant](K, A + static_cast<size_t>(i0) * ai, ai, ak, B + j0, ldb,
                              bias == nullptr ? nullptr : bias + j0, C + static_cast<size_t>(i0) * ldc + j0, ldc,
                              last);
      i0 += mr;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Softmax + cross-entropy over the chunk's logits

inline float hmax256(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}


// softmax_xent_backward (softmax.h) in vector form: Y [R, V] logits → dY = (softmax − onehot)·scale in place;
// returns Σ −log p(target) (double); adds Σ_r dY[r, :] into dby [V] (double). Same arithmetic as softmax.cc:
// float32 row max and shift, the table's exp, then Σ exp, p = e/Σ, (p − onehot)·scale and the dby sums in double
// lanes (one rounding per dY element), so the two paths differ only in summation order.
double softmax_xent(const kernels::Table& k, float* Y, size_t R, size_t V, const std::int32_t* targets, float scale,
                    double* dby) {
  const size_t Vv = V / 8 * 8;
  const int tail = static_cast<int>(V - Vv);
  const __m256i tm = lane_mask(tail);
  const __m256 ninf = _mm256_set1_ps(-__builtin_inff());
  const __m256d sc = _mm256_set1_pd(static_cast<double>(scale));
  double loss = 0.0;
  for (size_t r = 0; r < R; r++) {
    float* row = Y + r * V;
    const size_t tgt = static_cast<size_t>(targets[r]);
    const float yt = row[tgt];
    __m256 mv = ninf;
    for (size_t i = 0; i < Vv; i += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(row + i));
    if (tail) mv = _mm256_max_ps(mv, _mm256_blendv_ps(ninf, _mm256_maskload_ps(row + Vv, tm), _mm256_castsi256_ps(tm)));
    const float m = hmax256(mv);  // a NaN or +inf logit makes the row (and the loss) NaN, as in softmax.cc
    const __m256 mb = _mm256_set1_ps(m);
    for (size_t i = 0; i < Vv; i += 8) _mm256_storeu_ps(row + i, _mm256_sub_ps(_mm256_loadu_ps(row + i), mb));
    if (tail) _mm256_maskstore_ps(row + Vv, tm, _mm256_sub_ps(_mm256_maskload_ps(row + Vv, tm), mb));
    k.exp(V, row, row);
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    for (size_t i = 0; i < Vv; i += 8) {
      const __m256 e = _mm256_loadu_ps(row + i);
      s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
      s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    double sum = hsum256d(_mm256_add_pd(s0, s1));
    for (size_t i = Vv; i < V; i++) sum += row[i];
    loss += __builtin_log(sum) - static_cast<double>(yt - m);
    const double inv = 1.0 / sum;
    const double pt = row[tgt] * inv;
    const __m256d f = _mm256_set1_pd(inv);
    for (size_t i = 0; i < Vv; i += 8) {
      const __m256 e = _mm256_loadu_ps(row + i);
      const __m256d d0 = _mm256_mul_pd(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(e)), f), sc);
      const __m256d d1 = _mm256_mul_pd(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)), f), sc);
      _mm256_storeu_pd(dby + i, _mm256_add_pd(_mm256_loadu_pd(dby + i), d0));
      _mm256_storeu_pd(dby + i + 4, _mm256_add_pd(_mm256_loadu_pd(dby + i + 4), d1));
      _mm256_storeu_ps(row + i, _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(d0)), _mm256_cvtpd_ps(d1), 1));
    }
    for (size_t i = Vv; i < V; i++) {
      const double d = row[i] * inv * scale;
      row[i] = static_cast<float>(d);
      dby[i] += d;
    }
    // the target: (p − 1)·scale, replacing the p·scale written above
    const double dt = (pt - 1.0) * scale;
    dby[tgt] += dt - pt * scale;
    row[tgt] = static_cast<float>(dt);
  }
  return loss;
}

// ---------------------------------------------------------------------------------------------------------
// The chunk

// dst[i] += Σ over rows r of src[r·H + i]  (i < H), accumulated in double (as rnn.cc's dbh).
void column_sums(const float* src, size_t R, size_t H, double* dst) {
  const size_t Hv = H / 8 * 8;
  for (size_t r = 0; r < R; r++) {
    const float* row = src + r * H;
    for (size_t i = 0; i < Hv; i += 8) {
      const __m256 v = _mm256_loadu_ps(row + i);
      _mm256_storeu_pd(dst + i, _mm256_add_pd(_mm256_loadu_pd(dst + i), _mm256_cvtps_pd(_mm256_castps256_ps128(v))));
      _mm256_storeu_pd(dst + i + 4,
                       _mm256_add_pd(_mm256_loadu_pd(dst + i + 4), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))));
    }
    for (size_t i = Hv; i < H; i++) dst[i] += row[i];
  }
}

}  // namespace

namespace detail {

bool have_rnn_avx2() { return true; }

double rnn_chunk_gradient_avx2(const kernels::Table& k, const RnnLayout& L, const float* params, float* grads,
                               const std::int32_t* inputs, const std::int32_t* targets, int B, int T, float* hidden,
                               float scale, RnnWorkspace& ws) {
  const size_t H = L.H, V = L.V;
  const int Hi = static_cast<int>(H), Vi = static_cast<int>(V);
  const size_t Hp = round8(H);
  const size_t BH = static_cast<size_t>(B) * H;
  const size_t TB = static_cast<size_t>(T) * B;
  const int TBi = static_cast<int>(TB);
  const bool use_table = V <= TB;

  float* hs = ws.hs.data();
  float* y = ws.y.data();
  float* dhs = ws.dhs.data();
  float* xt = use_table ? ws.xt.data() : nullptr;
  double* acc = ws.acc.data();
  float* wf = ws.wf.data();  // forward weights: B = 1 padded Whhᵀ [H, Hp]; B > 1 panels of Whhᵀ
  float* wb = ws.wb.data();  // backward weights (B > 1): panels of Whh
  float* xin = ws.xin.data();  // [B, Hp] per-step input rows when there is no table; B = 1: always
  const float* Wxh = params + L.Wxh;
  const float* Whh = params + L.Whh;
  const float* bh = params + L.bh;

  // ---- forward ----
  std::memcpy(hs, hidden, BH * sizeof(float));
  if (B == 1) {
    pad_transpose(Whh, H, Hp, wf);
    const Blocks cb = column_blocks(Hi);
    for (size_t i = H; i < Hp; i++) xin[i] = 0.0f;
    for (int t = 0; t < T; t++) {
      const float* hprev = hs + static_cast<size_t>(t) * H;
      float* hcur = hs + static_cast<size_t>(t + 1) * H;
      const size_t x = static_cast<size_t>(inputs[t]);
      for (size_t i = 0; i < H; i++) xin[i] = Wxh[i * V + x] + bh[i];
      for (int b = 0; b < cb.nb; b++) kFwdBlock[cb.nv[b]](Hi, hprev, wf, Hp, xin, hcur, cb.start[b]);
      k.tanh(H, hcur, hcur);
    }
  } else {
    if (use_table) {  // xt [V, H] = Wxhᵀ + bh
      transpose(Wxh, V, H, V, xt, H);
      for (size_t v = 0; v < V; v++) {
        float* row = xt + v * H;
        for (size_t i = 0; i < H; i++) row[i] += bh[i];
      }
    }
    pack_panels(Whh, H, Hi, Hi, true, wf);
    int* tstart = ws.tiles.data();
    int* trows = tstart + (B + 3);
    const int ntiles = row_tiles(B, tstart, trows);
    const int panels = (Hi + kNR - 1) / kNR;
    const int parts = step_parts(B, Hi, panels);
    const float** xrows = ws.rows.data();
    for (int t = 0; t < T; t++) {
      float* hcur = hs + static_cast<size_t>(t + 1) * BH;
      const float* hprev = hcur - BH;
      const std::int32_t* ids = inputs + static_cast<size_t>(t) * B;
      for (int b = 0; b < B; b++) {
        const size_t x = static_cast<size_t>(ids[b]);
        if (use_table) {
          xrows[b] = xt + x * H;
        } else {
          float* row = xin + static_cast<size_t>(b) * H;
          for (size_t i = 0; i < H; i++) row[i] = Wxh[i * V + x] + bh[i];
          xrows[b] = row;
        }
      }
      StepJob job{Hi, hprev, wf, xrows, nullptr, hcur, tstart, trows, ntiles, panels, parts};
      par::run(parts, fwd_step_part, &job);
      k.tanh(BH, hcur, hcur);
    }
  }
  std::memcpy(hidden, hs + static_cast<size_t>(T) * BH, BH * sizeof(float));  // carry h_T
  const float* hs1 = hs + BH;                                                  // h_1..h_T [T·B, H]

  // ---- output layer: Y = Hs1·Whyᵀ + by; softmax + cross-entropy → dY in place ----
  const float* Why = params + L.Why;
  const float* by = params + L.by;
  const bool small = TBi <= kSmallRows;
  if (small) {
    const size_t Vp = round8(V);
    float* whyT = ws.wy.data();  // [H, Vp] = Whyᵀ (columns V..Vp zero)
    transpose_padded(Why, H, V, H, whyT, Vp);
    small_gemm(TBi, Vi, Hi, hs1, H, 1, whyT, Vp, by, y, V);
  } else {
    k.gemm_nt(TBi, Vi, Hi, hs1, Hi, Why, Hi, y, Vi, false);
    for (size_t r = 0; r < TB; r++) {
      float* row = y + r * V;
      for (size_t v = 0; v < V; v++) row[v] += by[v];
    }
  }
  double* dby = acc;
  double* dbh = acc + V;
  for (size_t i = 0; i < V + H; i++) acc[i] = 0.0;
  const double loss = softmax_xent(k, y, TB, V, targets, scale, dby);
  if (small) {
    small_gemm(Vi, Hi, TBi, y, 1, V, hs1, H, nullptr, grads + L.Why, H);  // dWhy = dYᵀ·Hs1
    small_gemm(TBi, Hi, Vi, y, V, 1, Why, H, nullptr, dhs, H);            // dHs = dY·Why
  } else {
    k.gemm_tn(Vi, Hi, TBi, y, Vi, hs1, Hi, grads + L.Why, Hi, false);  // dWhy = dYᵀ·Hs1
    k.gemm_nn(TBi, Hi, Vi, y, Vi, Why, Hi, dhs, Hi, false);            // dHs = dY·Why
  }

  // ---- BPTT: dA_{T−1} = (1 − h²)⊙dH_{T−1}; dA_{t−1} = (dH_{t−1} + dA_t·Whh)⊙(1 − h_{t−1}²) ----
  {
    float* da = dhs + static_cast<size_t>(T - 1) * BH;
    const float* h = hs1 + static_cast<size_t>(T - 1) * BH;
    for (size_t i = 0; i < BH; i++) da[i] = (1.0f - h[i] * h[i]) * da[i];
  }
  if (T > 1) {
    if (B == 1) {
      const Blocks cb = column_blocks(Hi);
      for (int t = T - 1; t >= 1; t--) {
        const float* da = dhs + static_cast<size_t>(t) * H;
        float* dprev = dhs + static_cast<size_t>(t - 1) * H;
        const float* hprev = hs1 + static_cast<size_t>(t - 1) * H;
        for (int b = 0; b < cb.nb; b++) kBwdBlock[cb.nv[b]](Hi, da, Whh, H, hprev, dprev, cb.start[b]);
      }
    } else {
      pack_panels(Whh, H, Hi, Hi, false, wb);
      int* tstart = ws.tiles.data();
      int* trows = tstart + (B + 3);
      const int ntiles = row_tiles(B, tstart, trows);
      const int panels = (Hi + kNR - 1) / kNR;
      const int parts = step_parts(B, Hi, panels);
      for (int t = T - 1; t >= 1; t--) {
        const float* da = dhs + static_cast<size_t>(t) * BH;
        float* dprev = dhs + static_cast<size_t>(t - 1) * BH;
        const float* hprev = hs1 + static_cast<size_t>(t - 1) * BH;
        StepJob job{Hi, da, wb, nullptr, hprev, dprev, tstart, trows, ntiles, panels, parts};
        par::run(parts, bwd_step_part, &job);
      }
    }
  }
  const float* dA = dhs;  // [T·B, H]

  // ---- dWhh = dAᵀ·H_prev; dbh = Σ dA; dWxh[:, x] += dA row ----
  if (small)
    small_gemm(Hi, Hi, TBi, dA, 1, H, hs, H, nullptr, grads + L.Whh, H);  // dWhh = dAᵀ·H_prev
  else
    k.gemm_tn(Hi, Hi, TBi, dA, Hi, hs, Hi, grads + L.Whh, Hi, false);
  column_sums(dA, TB, H, dbh);
  float* dWxh = grads + L.Wxh;
  if (use_table) {
    for (size_t i = 0; i < V * H; i++) xt[i] = 0.0f;
    for (size_t r = 0; r < TB; r++) {
      float* dst = xt + static_cast<size_t>(inputs[r]) * H;
      const float* row = dA + r * H;
      for (size_t i = 0; i < H; i++) dst[i] += row[i];
    }
    transpose(xt, H, V, H, dWxh, V);  // dWxh [H, V] = xtᵀ
  } else {
    std::memset(dWxh, 0, H * V * sizeof(float));
    if (TB <= 64) {
      // Few rows (W1: 25): per distinct input id, sum its rows contiguously (same order as the strided
      // version, so the same float result) and write the column once, instead of T·B strided RMW passes.
      float* col = ws.vec.data();
      for (size_t r = 0; r < TB; r++) {
        const std::int32_t x = inputs[r];
        bool seen = false;
        for (size_t q = 0; q < r && !seen; q++) seen = inputs[q] == x;
        if (seen) continue;
        std::memcpy(col, dA + r * H, H * sizeof(float));
        for (size_t q = r + 1; q < TB; q++) {
          if (inputs[q] != x) continue;
          const float* row = dA + q * H;
          for (size_t i = 0; i < H; i++) col[i] += row[i];
        }
        float* dst = dWxh + static_cast<size_t>(x);
        for (size_t i = 0; i < H; i++) dst[i * V] = col[i];
      }
    } else {
      for (size_t r = 0; r < TB; r++) {
        const size_t x = static_cast<size_t>(inputs[r]);
        const float* row = dA + r * H;
        for (size_t i = 0; i < H; i++) dWxh[i * V + x] += row[i];
      }
    }
  }
  for (size_t i = 0; i < H; i++) grads[L.bh + i] = static_cast<float>(dbh[i]);
  for (size_t v = 0; v < V; v++) grads[L.by + v] = static_cast<float>(dby[v]);
  return loss;
}

}  // namespace detail
}  // namespace nn
}  // namespace charrnn

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else  // not x86-64: no AVX2 variant in this build

namespace charrnn {
namespace nn {
namespace detail {
bool have_rnn_avx2() { return false; }
double rnn_chunk_gradient_avx2(const kernels::Table&, const RnnLayout&, const float*, float*, const std::int32_t*,
                               const std::int32_t*, int, int, float*, float, RnnWorkspace&) {
  return 0.0;  // never called: rnn.cc dispatches here only when the active table is "avx2"
}
}  // namespace detail
}  // namespace nn
}  // namespace charrnn

#endif
