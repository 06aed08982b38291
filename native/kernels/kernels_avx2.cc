// AVX2+FMA kernels (x86-64 only): packed, register-blocked gemm, gemv, level-1 ops, vectorised exp/tanh.
// Compiled for AVX2 only through the target pragma below (the build never passes -mavx2/-march=native);
// dispatch.cc calls into this file only after __builtin_cpu_supports("avx2") && ("fma") said yes.
// Deliberately single-threaded and free of std templates (a template instantiated here would carry AVX2
// code that the linker could pick for the scalar files too); everything but table_avx2() is TU-local.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "internal.h"

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
namespace kernels {
namespace {

using namespace avx2;

// ---------------------------------------------------------------------------------------------------------
// Blocking. Micro-tile MR×NR = 6×16: 12 ymm accumulators + 2 for B + 1 broadcast of A (15 of 16 registers).
// KC: one packed B micro-panel (KC×16 floats = 16 KiB) stays in L1 while A micro-panels stream past it.
// MC: the packed A block (MC×KC floats = 144 KiB) sits in L2 (512 KiB on EPYC Zen 2/3, 2 MiB on recent Xeons).
// NC: the packed B block (KC×NC = 4 MiB max) lives in L3; N in the char-RNN shapes is ≤ 512, so it is one block.
constexpr int kMR = 6;
constexpr int kNR = 16;
#ifndef CHARRNN_GEMM_KC  // overridable only for tuning runs of native/tests/kernel_bench
#define CHARRNN_GEMM_KC 256
#endif
#ifndef CHARRNN_GEMM_MC
#define CHARRNN_GEMM_MC 144
#endif
constexpr int kKC = CHARRNN_GEMM_KC;
constexpr int kMC = CHARRNN_GEMM_MC;  // multiple of kMR
constexpr int kNC = 4096;  // multiple of kNR

inline int min_int(int a, int b) { return a < b ? a : b; }



// ---------------------------------------------------------------------------------------------------------
// Per-thread packing scratch: 64-byte aligned, grown on demand, never freed per call (freed at thread exit).
struct ScratchBuf {
  float* data = nullptr;
  std::size_t cap = 0;
  ScratchBuf() = default;
  ScratchBuf(const ScratchBuf&) = delete;
  ScratchBuf& operator=(const ScratchBuf&) = delete;
  ~ScratchBuf() { std::free(data); }
  float* get(std::size_t n) {
    if (n <= cap) return data;
    const std::size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, bytes);
    if (p == nullptr) throw std::bad_alloc();
    std::free(data);
    data = static_cast<float*>(p);
    cap = bytes / sizeof(float);
    return data;
  }
};
struct Scratch {
  ScratchBuf a, b, x;
};
Scratch& scratch() {
  static thread_local Scratch s;
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Packing. Packed A: ceil(mc/6) micro-panels, each kc×6 (k-major, 6 rows interleaved), rows past mc are zero.
// Packed B: ceil(nc/16) micro-panels, each kc×16 (k-major), columns past nc are zero. Zero padding lets the
// edge tiles run the same micro-kernel; only their store is masked.

// A row-major (element (i,k) at A[i*lda + k]): NN and NT. 8×8 transposes, rows ≥ mr read as zero.
void pack_a_rows(int mc, int kc, const float* A, int lda, float* dst) {
  for (int i0 = 0; i0 < mc; i0 += kMR) {
    const int mr = min_int(kMR, mc - i0);
    const float* rows[kMR];
    for (int r = 0; r < kMR; r++) rows[r] = A + (std::size_t)(i0 + (r < mr ? r : 0)) * lda;
    float* d = dst + (std::size_t)i0 * kc;
    int k = 0;
    if (mr == kMR) {
      // Each transposed column is 8 lanes [r0..r5, 0, 0]; stores overlap by 2 floats, written in increasing
      // order so every lane ends right (the last one spills 2 floats into the slack after the buffer/panel).
      for (; k + 8 <= kc; k += 8) {
        __m256 r0 = _mm256_loadu_ps(rows[0] + k), r1 = _mm256_loadu_ps(rows[1] + k);
        __m256 r2 = _mm256_loadu_ps(rows[2] + k), r3 = _mm256_loadu_ps(rows[3] + k);
        __m256 r4 = _mm256_loadu_ps(rows[4] + k), r5 = _mm256_loadu_ps(rows[5] + k);
        __m256 r6 = _mm256_setzero_ps(), r7 = _mm256_setzero_ps();
        transpose8x8(r0, r1, r2, r3, r4, r5, r6, r7);
        float* o = d + (std::size_t)k * kMR;
        _mm256_storeu_ps(o + 0 * kMR, r0);
        _mm256_storeu_ps(o + 1 * kMR, r1);
        _mm256_storeu_ps(o + 2 * kMR, r2);
        _mm256_storeu_ps(o + 3 * kMR, r3);
        _mm256_storeu_ps(o + 4 * kMR, r4);
        _mm256_storeu_ps(o + 5 * kMR, r5);
        _mm256_storeu_ps(o + 6 * kMR, r6);
        _mm256_storeu_ps(o + 7 * kMR, r7);
      }
    }
    for (; k < kc; k++)
      for (int r = 0; r < kMR; r++) d[(std::size_t)k * kMR + r] = r < mr ? rows[r][k] : 0.0f;
  }
}

// A transposed (element (i,k) at A[k*lda + i]): TN. Six contiguous floats per k, masked so nothing past the
// matrix is read; the 8-lane stores overlap like above.
void pack_a_cols(int mc, int kc, const float* A, int lda, float* dst) {
  for (int i0 = 0; i0 < mc; i0 += kMR) {
    const int mr = min_int(kMR, mc - i0);
    const __m256i m = lane_mask(mr);
    float* d = dst + (std::size_t)i0 * kc;
    const float* a = A + i0;
    for (int k = 0; k < kc; k++) _mm256_storeu_ps(d + (std::size_t)k * kMR, _mm256_maskload_ps(a + (std::size_t)k * lda, m));
  }
}

// B row-major in (k, j) (element (k,j) at B[k*ldb + j]): NN and TN. Two (masked) loads per k.
void pack_b_rows(int kc, int nc, const float* B, int ldb, float* dst) {
  for (int j0 = 0; j0 < nc; j0 += kNR) {
    const int nr = min_int(kNR, nc - j0);
    float* d = dst + (std::size_t)j0 * kc;
    const float* b = B + j0;
    if (nr == kNR) {
      for (int k = 0; k < kc; k++) {
        const float* s = b + (std::size_t)k * ldb;
        _mm256_store_ps(d + (std::size_t)k * kNR, _mm256_loadu_ps(s));
        _mm256_store_ps(d + (std::size_t)k * kNR + 8, _mm256_loadu_ps(s + 8));
      }
    } else {
      const __m256i m0 = lane_mask(min_int(nr, 8)), m1 = lane_mask(nr > 8 ? nr - 8 : 0);
      for (int k = 0; k < kc; k++) {
        const float* s = b + (std::size_t)k * ldb;
        _mm256_store_ps(d + (std::size_t)k * kNR, _mm256_maskload_ps(s, m0));
        _mm256_store_ps(d + (std::size_t)k * kNR + 8, _mm256_maskload_ps(s + 8, m1));
      }
    }
  }
}

// B transposed (element (k,j) at B[j*ldb + k]): NT. 8×8 transposes of 8 source rows (= 8 output columns).
void pack_b_cols(int kc, int nc, const float* B, int ldb, float* dst) {
  for (int j0 = 0; j0 < nc; j0 += kNR) {
    float* d = dst + (std::size_t)j0 * kc;
    for (int h = 0; h < 2; h++) {
      const int jh = j0 + 8 * h;
      const int nv = jh < nc ? min_int(8, nc - jh) : 0;  // valid columns in this half
      float* dh = d + 8 * h;
      int k = 0;
      if (nv == 8) {
        const float* s = B + (std::size_t)jh * ldb;
        for (; k + 8 <= kc; k += 8) {
          __m256 r0 = _mm256_loadu_ps(s + 0 * (std::size_t)ldb + k), r1 = _mm256_loadu_ps(s + 1 * (std::size_t)ldb + k);
          __m256 r2 = _mm256_loadu_ps(s + 2 * (std::size_t)ldb + k), r3 = _mm256_loadu_ps(s + 3 * (std::size_t)ldb + k);
          __m256 r4 = _mm256_loadu_ps(s + 4 * (std::size_t)ldb + k), r5 = _mm256_loadu_ps(s + 5 * (std::size_t)ldb + k);
          __m256 r6 = _mm256_loadu_ps(s + 6 * (std::size_t)ldb + k), r7 = _mm256_loadu_ps(s + 7 * (std::size_t)ldb + k);
          transpose8x8(r0, r1, r2, r3, r4, r5, r6, r7);
          float* o = dh + (std::size_t)k * kNR;
          _mm256_store_ps(o + 0 * kNR, r0);
          _mm256_store_ps(o + 1 * kNR, r1);
          _mm256_store_ps(o + 2 * kNR, r2);
          _mm256_store_ps(o + 3 * kNR, r3);
          _mm256_store_ps(o + 4 * kNR, r4);
          _mm256_store_ps(o + 5 * kNR, r5);
          _mm256_store_ps(o + 6 * kNR, r6);
          _mm256_store_ps(o + 7 * kNR, r7);
        }
      }
      for (; k < kc; k++)
        for (int c = 0; c < 8; c++)
          dh[(std::size_t)k * kNR + c] = c < nv ? B[(std::size_t)(jh + c) * ldb + k] : 0.0f;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Micro-kernel: C[6,16] (=|+=) Ap[kc,6]ᵀ·Bp[kc,16]. `load_c` false overwrites C (first K block without
// accumulate). Full tiles store straight to C; edge tiles (mr<6 or nr<16) go through a stack tile and only
// the valid mr×nr corner is written.
void kernel_6x16(int kc, const float* __restrict a, const float* __restrict b, float* C, int ldc, bool load_c,
                 int mr, int nr) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int r = 0; r < mr; r++) _mm_prefetch(reinterpret_cast<const char*>(C + (std::size_t)r * ldc), _MM_HINT_T0);
#pragma GCC unroll 4
  for (int k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    __m256 av;
    av = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    c51 = _mm256_fmadd_ps(av, b1, c51);
    a += kMR;
    b += kNR;
  }
  if (mr == kMR && nr == kNR) {
    float* c = C;
#define CHARRNN_STORE_ROW(lo, hi)                                               \
  if (load_c) {                                                                 \
    lo = _mm256_add_ps(lo, _mm256_loadu_ps(c));                                 \
    hi = _mm256_add_ps(hi, _mm256_loadu_ps(c + 8));                             \
  }                                                                             \
  _mm256_storeu_ps(c, lo);                                                      \
  _mm256_storeu_ps(c + 8, hi);                                                  \
  c += ldc;
    CHARRNN_STORE_ROW(c00, c01)
    CHARRNN_STORE_ROW(c10, c11)
    CHARRNN_STORE_ROW(c20, c21)
    CHARRNN_STORE_ROW(c30, c31)
    CHARRNN_STORE_ROW(c40, c41)
    CHARRNN_STORE_ROW(c50, c51)
#undef CHARRNN_STORE_ROW
    return;
  }
  alignas(32) float t[kMR * kNR];
  _mm256_store_ps(t + 0, c00), _mm256_store_ps(t + 8, c01);
  _mm256_store_ps(t + 16, c10), _mm256_store_ps(t + 24, c11);
  _mm256_store_ps(t + 32, c20), _mm256_store_ps(t + 40, c21);
  _mm256_store_ps(t + 48, c30), _mm256_store_ps(t + 56, c31);
  _mm256_store_ps(t + 64, c40), _mm256_store_ps(t + 72, c41);
  _mm256_store_ps(t + 80, c50), _mm256_store_ps(t + 88, c51);
  const __m256i m0 = lane_mask(min_int(nr, 8)), m1 = lane_mask(nr > 8 ? nr - 8 : 0);
  for (int r = 0; r < mr; r++) {
    float* c = C + (std::size_t)r * ldc;
    __m256 lo = _mm256_load_ps(t + r * kNR), hi = _mm256_load_ps(t + r * kNR + 8);
    if (load_c) {
      lo = _mm256_add_ps(lo, _mm256_maskload_ps(c, m0));
      hi = _mm256_add_ps(hi, _mm256_maskload_ps(c + 8, m1));
    }
    _mm256_maskstore_ps(c, m0, lo);
    _mm256_maskstore_ps(c + 8, m1, hi);
  }
}

// Half-width micro-kernel for an edge panel with nr ≤ 8 valid columns (e.g. the 65th column of V=65): reads
// only the first 8 lanes of each 16-wide packed B row, so the padded half costs nothing.
void kernel_6x8(int kc, const float* __restrict a, const float* __restrict b, float* C, int ldc, bool load_c, int mr,
                int nr) {
  __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps(), c2 = _mm256_setzero_ps();
  __m256 c3 = _mm256_setzero_ps(), c4 = _mm256_setzero_ps(), c5 = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_load_ps(b);
    c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 0), b0, c0);
    c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 1), b0, c1);
    c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 2), b0, c2);
    c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 3), b0, c3);
    c4 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 4), b0, c4);
    c5 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 5), b0, c5);
    a += kMR;
    b += kNR;
  }
  const __m256 rows[kMR] = {c0, c1, c2, c3, c4, c5};
  const __m256i m = lane_mask(nr);
  for (int r = 0; r < mr; r++) {
    float* c = C + (std::size_t)r * ldc;
    __m256 v = rows[r];
    if (load_c) v = _mm256_add_ps(v, _mm256_maskload_ps(c, m));
    _mm256_maskstore_ps(c, m, v);
  }
}

// Four-row micro-kernel for the rows a 6-row tiling leaves over (M = 32 streams = 6·5 + 2 would otherwise run a
// whole 6×16 tile for 2 rows): C[mr ≤ 4, 16] from rows of the packed A that may sit in two different 6-row
// micro-panels (row r reads a_r[k·6]). 8 accumulators still keep both FMA ports busy, so it costs ≈ 4/6 of a 6×16
// tile. Each row's arithmetic is that of kernel_6x16 (same FMA chain over k, same store), so results do not
// depend on which kernel ran a row.
void kernel_4x16(int kc, const float* a0, const float* a1, const float* a2, const float* a3,
                 const float* __restrict b, float* C, int ldc, bool load_c, int mr, int nr) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    const std::size_t o = (std::size_t)k * kMR;
    __m256 av;
    av = _mm256_broadcast_ss(a0 + o);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a1 + o);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a2 + o);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a3 + o);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    c31 = _mm256_fmadd_ps(av, b1, c31);
    b += kNR;
  }
  const __m256 lo[4] = {c00, c10, c20, c30}, hi[4] = {c01, c11, c21, c31};
  const __m256i m0 = lane_mask(min_int(nr, 8)), m1 = lane_mask(nr > 8 ? nr - 8 : 0);
  for (int r = 0; r < mr; r++) {
    float* c = C + (std::size_t)r * ldc;
    __m256 l = lo[r], h = hi[r];
    if (nr == kNR) {
      if (load_c) {
        l = _mm256_add_ps(l, _mm256_loadu_ps(c));
        h = _mm256_add_ps(h, _mm256_loadu_ps(c + 8));
      }
      _mm256_storeu_ps(c, l);
      _mm256_storeu_ps(c + 8, h);
    } else {
      if (load_c) {
        l = _mm256_add_ps(l, _mm256_maskload_ps(c, m0));
        h = _mm256_add_ps(h, _mm256_maskload_ps(c + 8, m1));
      }
      _mm256_maskstore_ps(c, m0, l);
      _mm256_maskstore_ps(c + 8, m1, h);
    }
  }
}

// The mc rows of one packed A block against one B micro-panel: 6-row tiles, and the leftover rows (mc mod 6 of
// 1..4, with one more 6-row tile's worth when that gives two full 4-row tiles) through kernel_4x16.
void run_tiles(int mc, int kc, const float* ap, const float* bpanel, float* C, int ldc, bool load_c, int nr) {
  if (nr <= 8) {
    for (int ir = 0; ir < mc; ir += kMR)
      kernel_6x8(kc, ap + (std::size_t)ir * kc, bpanel, C + (std::size_t)ir * ldc, ldc, load_c, min_int(kMR, mc - ir),
                 nr);
    return;
  }
  const int tail = mc % kMR;
  int split = mc - tail;  // rows [0, split) in 6-row tiles
  if (tail == 5) split = mc;
  else if (tail > 0 && tail <= 2 && mc >= kMR + tail) split -= kMR;  // e.g. 32 = 6·4 + 4 + 4
  for (int ir = 0; ir < split; ir += kMR)
    kernel_6x16(kc, ap + (std::size_t)ir * kc, bpanel, C + (std::size_t)ir * ldc, ldc, load_c, min_int(kMR, mc - ir),
                nr);
  // Row i of the block lives in micro-panel i/6 at lane i%6.
  auto row = [&](int i) { return ap + (std::size_t)(i / kMR) * kMR * kc + i % kMR; };
  for (int i = split; i < mc; i += 4) {
    const int mr = min_int(4, mc - i);
    kernel_4x16(kc, row(i), row(i + (mr > 1 ? 1 : 0)), row(i + (mr > 2 ? 2 : 0)), row(i + (mr > 3 ? 3 : 0)), bpanel,
                C + (std::size_t)i * ldc, ldc, load_c, mr, nr);
  }
}

// ---------------------------------------------------------------------------------------------------------
// gemv

// y[M] (+)= A[M,N]·x[N]. Eight rows at a time (8 independent FMA chains), reduced with a transposing hadd
// tree to one vector of 8 outputs; the N tail is a masked load, so no scalar remainder loop in the hot rows.
void gemv_n_f32_avx2(int M, int N, const float* A, int lda, const float* x, float* y, bool accumulate) {
  if (M <= 0) return;
  const int nfull = N & ~7;
  const int ntail = N - nfull;
  const __m256i mt = lane_mask(ntail);
  int i = 0;
  for (; i + 8 <= M; i += 8) {
    const float* a = A + (std::size_t)i * lda;
    const std::size_t s = (std::size_t)lda;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    __m256 s4 = _mm256_setzero_ps(), s5 = _mm256_setzero_ps(), s6 = _mm256_setzero_ps(), s7 = _mm256_setzero_ps();
    int j = 0;
    for (; j < nfull; j += 8) {
      const __m256 xv = _mm256_loadu_ps(x + j);
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), xv, s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + s + j), xv, s1);
      s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + 2 * s + j), xv, s2);
      s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + 3 * s + j), xv, s3);
      s4 = _mm256_fmadd_ps(_mm256_loadu_ps(a + 4 * s + j), xv, s4);
      s5 = _mm256_fmadd_ps(_mm256_loadu_ps(a + 5 * s + j), xv, s5);
      s6 = _mm256_fmadd_ps(_mm256_loadu_ps(a + 6 * s + j), xv, s6);
      s7 = _mm256_fmadd_ps(_mm256_loadu_ps(a + 7 * s + j), xv, s7);
    }
    if (ntail) {
      const __m256 xv = _mm256_maskload_ps(x + j, mt);
      s0 = _mm256_fmadd_ps(_mm256_maskload_ps(a + j, mt), xv, s0);
      s1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + s + j, mt), xv, s1);
      s2 = _mm256_fmadd_ps(_mm256_maskload_ps(a + 2 * s + j, mt), xv, s2);
      s3 = _mm256_fmadd_ps(_mm256_maskload_ps(a + 3 * s + j, mt), xv, s3);
      s4 = _mm256_fmadd_ps(_mm256_maskload_ps(a + 4 * s + j, mt), xv, s4);
      s5 = _mm256_fmadd_ps(_mm256_maskload_ps(a + 5 * s + j, mt), xv, s5);
      s6 = _mm256_fmadd_ps(_mm256_maskload_ps(a + 6 * s + j, mt), xv, s6);
      s7 = _mm256_fmadd_ps(_mm256_maskload_ps(a + 7 * s + j, mt), xv, s7);
    }
    // hadd tree: lanes of the result = [Σs0..Σs7]
    const __m256 h01 = _mm256_hadd_ps(s0, s1), h23 = _mm256_hadd_ps(s2, s3);
    const __m256 h45 = _mm256_hadd_ps(s4, s5), h67 = _mm256_hadd_ps(s6, s7);
    const __m256 h0123 = _mm256_hadd_ps(h01, h23), h4567 = _mm256_hadd_ps(h45, h67);
    __m256 r = _mm256_add_ps(_mm256_permute2f128_ps(h0123, h4567, 0x20), _mm256_permute2f128_ps(h0123, h4567, 0x31));
    if (accumulate) r = _mm256_add_ps(r, _mm256_loadu_ps(y + i));
    _mm256_storeu_ps(y + i, r);
  }
  for (; i < M; i++) {
    const float* a = A + (std::size_t)i * lda;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int j = 0;
    for (; j + 16 <= nfull; j += 16) {
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(x + j), s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(x + j + 8), s1);
    }
    if (j < nfull) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(x + j), s0), j += 8;
    if (ntail) s1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + j, mt), _mm256_maskload_ps(x + j, mt), s1);
    const float v = hsum256(_mm256_add_ps(s0, s1));
    y[i] = accumulate ? y[i] + v : v;
  }
}

// y[N] (+)= A[M,N]ᵀ·x[M]. Column blocks of 32 (4 accumulators × 2 row phases = 8 FMA chains) kept in registers
// across all M rows, then blocks of 8 with 4 row phases; the last partial block uses masked loads/stores.
void gemv_t_f32_avx2(int M, int N, const float* A, int lda, const float* x, float* y, bool accumulate) {
  if (N <= 0) return;
  const std::size_t s = (std::size_t)lda;
  int j = 0;
  for (; j + 32 <= N; j += 32) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps(), b2 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps();
    const float* a = A + j;
    int i = 0;
    for (; i + 2 <= M; i += 2) {
      const __m256 x0 = _mm256_broadcast_ss(x + i), x1 = _mm256_broadcast_ss(x + i + 1);
      const float* r0 = a + (std::size_t)i * s;
      const float* r1 = r0 + s;
      a0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0), a0);
      a1 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0 + 8), a1);
      a2 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0 + 16), a2);
      a3 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0 + 24), a3);
      b0 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(r1), b0);
      b1 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(r1 + 8), b1);
      b2 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(r1 + 16), b2);
      b3 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(r1 + 24), b3);
    }
    if (i < M) {
      const __m256 x0 = _mm256_broadcast_ss(x + i);
      const float* r0 = a + (std::size_t)i * s;
      a0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0), a0);
      a1 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0 + 8), a1);
      a2 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0 + 16), a2);
      a3 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0 + 24), a3);
    }
    a0 = _mm256_add_ps(a0, b0), a1 = _mm256_add_ps(a1, b1), a2 = _mm256_add_ps(a2, b2), a3 = _mm256_add_ps(a3, b3);
    if (accumulate) {
      a0 = _mm256_add_ps(a0, _mm256_loadu_ps(y + j));
      a1 = _mm256_add_ps(a1, _mm256_loadu_ps(y + j + 8));
      a2 = _mm256_add_ps(a2, _mm256_loadu_ps(y + j + 16));
      a3 = _mm256_add_ps(a3, _mm256_loadu_ps(y + j + 24));
    }
    _mm256_storeu_ps(y + j, a0);
    _mm256_storeu_ps(y + j + 8, a1);
    _mm256_storeu_ps(y + j + 16, a2);
    _mm256_storeu_ps(y + j + 24, a3);
  }
  for (; j < N; j += 8) {
    const __m256i m = lane_mask(min_int(8, N - j));
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    const float* a = A + j;
    int i = 0;
    for (; i + 4 <= M; i += 4) {
      const float* r0 = a + (std::size_t)i * s;
      a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + i), _mm256_maskload_ps(r0, m), a0);
      a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + i + 1), _mm256_maskload_ps(r0 + s, m), a1);
      a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + i + 2), _mm256_maskload_ps(r0 + 2 * s, m), a2);
      a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + i + 3), _mm256_maskload_ps(r0 + 3 * s, m), a3);
    }
    for (; i < M; i++) a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + i), _mm256_maskload_ps(a + (std::size_t)i * s, m), a0);
    a0 = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
    if (accumulate) a0 = _mm256_add_ps(a0, _mm256_maskload_ps(y + j, m));
    _mm256_maskstore_ps(y + j, m, a0);
  }
}

// ---------------------------------------------------------------------------------------------------------
// gemm driver (Goto/BLIS loop nest): jc (NC) → pc (KC, pack B) → ic (MC, pack A) → jr (NR) → ir (MR).
// `a_trans`: A element (i,k) lives at A[k*lda+i] (TN); `b_trans`: B element (k,j) lives at B[j*ldb+k] (NT).
void gemm_packed(int M, int N, int K, const float* A, int lda, bool a_trans, const float* B, int ldb, bool b_trans,
                 float* C, int ldc, bool accumulate) {
  Scratch& sc = scratch();
  const int nc_max = min_int(N, kNC);
  const int kc_max = min_int(K, kKC);
  const int mc_max = min_int(M, kMC);
  // +16 floats of slack: pack_a_rows' overlapping 8-lane stores spill 2 floats past the last panel.
  float* bp = sc.b.get((std::size_t)kc_max * ((nc_max + kNR - 1) / kNR * kNR) + 16);
  float* ap = sc.a.get((std::size_t)kc_max * ((mc_max + kMR - 1) / kMR * kMR) + 16);
  for (int jc = 0; jc < N; jc += kNC) {
    const int nc = min_int(kNC, N - jc);
    for (int pc = 0; pc < K; pc += kKC) {
      const int kc = min_int(kKC, K - pc);
      const bool load_c = accumulate || pc > 0;
      if (b_trans)
        pack_b_cols(kc, nc, B + (std::size_t)jc * ldb + pc, ldb, bp);
      else
        pack_b_rows(kc, nc, B + (std::size_t)pc * ldb + jc, ldb, bp);
      for (int ic = 0; ic < M; ic += kMC) {
        const int mc = min_int(kMC, M - ic);
        if (a_trans)
          pack_a_cols(mc, kc, A + (std::size_t)pc * lda + ic, lda, ap);
        else
          pack_a_rows(mc, kc, A + (std::size_t)ic * lda + pc, lda, ap);
        for (int jr = 0; jr < nc; jr += kNR)
          run_tiles(mc, kc, ap, bp + (std::size_t)jr * kc, C + (std::size_t)ic * ldc + jc + jr, ldc, load_c,
                    min_int(kNR, nc - jr));
      }
    }
  }
}

// Pre-packed B: the same panels gemm_packed builds per call, for all of [0,N) at once. K block p (rows pc..pc+kc)
// starts at pc·Np (Np = N rounded up to 16) and holds ceil(N/16) micro-panels of kc×16, panel q at q·16·kc.
// gemm_pb runs gemm_packed's loop nest (one jc block) over the panels of [j0, j1): same kernels, same order.
inline int round_nr(int n) { return (n + kNR - 1) / kNR * kNR; }

std::size_t packed_b_size_avx2(int K, int N) {
  return K > 0 && N > 0 ? (std::size_t)K * (std::size_t)round_nr(N) : 0;
}

void pack_b_avx2(int K, int N, const float* B, int ldb, bool trans, float* dst) {
  const std::size_t np = (std::size_t)round_nr(N);
  for (int pc = 0; pc < K; pc += kKC) {
    const int kc = min_int(kKC, K - pc);
    if (trans)
      pack_b_cols(kc, N, B + pc, ldb, dst + (std::size_t)pc * np);
    else
      pack_b_rows(kc, N, B + (std::size_t)pc * ldb, ldb, dst + (std::size_t)pc * np);
  }
}

void zero_c(int M, int N, float* C, int ldc);

void gemm_pb_avx2(int M, int N, int K, const float* A, int lda, const float* Bp, int j0, int j1, float* C, int ldc,
                  bool accumulate) {
  if (M <= 0 || j1 <= j0) return;
  if (K <= 0) {
    if (!accumulate) zero_c(M, j1 - j0, C + j0, ldc);
    return;
  }
  const std::size_t np = (std::size_t)round_nr(N);
  const int kc_max = min_int(K, kKC);
  const int mc_max = min_int(M, kMC);
  float* ap = scratch().a.get((std::size_t)kc_max * ((mc_max + kMR - 1) / kMR * kMR) + 16);
  for (int pc = 0; pc < K; pc += kKC) {
    const int kc = min_int(kKC, K - pc);
    const bool load_c = accumulate || pc > 0;
    const float* bp = Bp + (std::size_t)pc * np;
    for (int ic = 0; ic < M; ic += kMC) {
      const int mc = min_int(kMC, M - ic);
      pack_a_rows(mc, kc, A + (std::size_t)ic * lda + pc, lda, ap);
      for (int jr = j0; jr < j1; jr += kNR)
        run_tiles(mc, kc, ap, bp + (std::size_t)jr * kc, C + (std::size_t)ic * ldc + jr, ldc, load_c,
                  min_int(kNR, j1 - jr));
    }
  }
}

// Shapes where packing costs more than it saves run the naive reference (tiny products only).
inline bool tiny(int M, int N, int K) { return (long long)M * N * K <= 512; }

void zero_c(int M, int N, float* C, int ldc) {
  for (int i = 0; i < M; i++) std::memset(C + (std::size_t)i * ldc, 0, sizeof(float) * (std::size_t)N);
}

// C[M,N] (+)= A[M,K]·B[K,N]   (e.g. dX[B·T,H] = dY[B·T,V]·W[V,H]; h[B,H] = x[B,H]·W[H,H]ᵀ stored as NN)
void gemm_nn_f32_avx2(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                      bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) zero_c(M, N, C, ldc);
    return;
  }
  if (M == 1) return gemv_t_f32_avx2(K, N, B, ldb, A, C, accumulate);  // C[1,N] = Bᵀ·a
  if (tiny(M, N, K)) return gemm_nn_ref(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
  gemm_packed(M, N, K, A, lda, false, B, ldb, false, C, ldc, accumulate);
}

// C[M,N] (+)= A[M,K]·B[N,K]ᵀ   (e.g. logits[B·T,V] = h[B·T,H]·Why[V,H]ᵀ; recurrence h[B,H]·Whh[H,H]ᵀ)
void gemm_nt_f32_avx2(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                      bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) zero_c(M, N, C, ldc);
    return;
  }
  if (M == 1) return gemv_n_f32_avx2(N, K, B, ldb, A, C, accumulate);  // C[1,N] = B·a
  if (tiny(M, N, K)) return gemm_nt_ref(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
  gemm_packed(M, N, K, A, lda, false, B, ldb, true, C, ldc, accumulate);
}

// C[M,N] (+)= A[K,M]ᵀ·B[K,N]   (weight gradients: dW[H,H] = h[B·T,H]ᵀ·dh[B·T,H])
void gemm_tn_f32_avx2(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                      bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) zero_c(M, N, C, ldc);
    return;
  }
  if (M == 1) {  // A is a strided column: gather it, then C[1,N] = Bᵀ·a
    float* xa = scratch().x.get((std::size_t)K);
    for (int k = 0; k < K; k++) xa[k] = A[(std::size_t)k * lda];
    return gemv_t_f32_avx2(K, N, B, ldb, xa, C, accumulate);
  }
  if (tiny(M, N, K)) return gemm_tn_ref(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
  gemm_packed(M, N, K, A, lda, true, B, ldb, false, C, ldc, accumulate);
}

// ---------------------------------------------------------------------------------------------------------
// Level 1

void axpy_f32_avx2(std::size_t n, float alpha, const float* x, float* y) {
  const __m256 av = _mm256_set1_ps(alpha);
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    _mm256_storeu_ps(y + i + 8, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8)));
    _mm256_storeu_ps(y + i + 16, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16)));
    _mm256_storeu_ps(y + i + 24, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24)));
  }
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  if (i < n) {
    const __m256i m = lane_mask((int)(n - i));
    _mm256_maskstore_ps(y + i, m, _mm256_fmadd_ps(av, _mm256_maskload_ps(x + i, m), _mm256_maskload_ps(y + i, m)));
  }
}

void scal_f32_avx2(std::size_t n, float alpha, float* x) {
  const __m256 av = _mm256_set1_ps(alpha);
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    _mm256_storeu_ps(x + i, _mm256_mul_ps(av, _mm256_loadu_ps(x + i)));
    _mm256_storeu_ps(x + i + 8, _mm256_mul_ps(av, _mm256_loadu_ps(x + i + 8)));
    _mm256_storeu_ps(x + i + 16, _mm256_mul_ps(av, _mm256_loadu_ps(x + i + 16)));
    _mm256_storeu_ps(x + i + 24, _mm256_mul_ps(av, _mm256_loadu_ps(x + i + 24)));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(av, _mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = lane_mask((int)(n - i));
    _mm256_maskstore_ps(x + i, m, _mm256_mul_ps(av, _mm256_maskload_ps(x + i, m)));
  }
}

float dot_f32_avx2(std::size_t n, const float* x, const float* y) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), s3);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
  if (i < n) {
    const __m256i m = lane_mask((int)(n - i));
    s1 = _mm256_fmadd_ps(_mm256_maskload_ps(x + i, m), _mm256_maskload_ps(y + i, m), s1);
  }
  return hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

// ---------------------------------------------------------------------------------------------------------
// exp and tanh

// e^x for 8 lanes. Measured (native/tests/kernel_test.cc --exhaustive, all 2.2e9 floats in [-87.33, 88.72],
// i.e. every input whose result is a normal float): max relative error vs double std::exp = 1.19e-7 (≈ 1 ulp;
// bound asserted in the test: 2.5e-7). Subnormal results (x in [-103.97, -87.34]) are scaled in two steps so
// they round once (absolute error ≤ 1.1e-45, under one subnormal ulp); x < -103.97 and -inf give +0;
// x > 88.7228 and +inf give +inf, like std::exp (no silent clamp to FLT_MAX); NaN in gives NaN out.
// Method: n = round(x·log2 e), r = x − n·ln2 (two-constant Cody–Waite), e^r by the Cephes degree-6 polynomial
// on |r| ≤ ln2/2, then ·2^(n/2)·2^(n−n/2) so that subnormal results and 2^128-overflow both round once.
inline __m256 exp256(__m256 x) {
  const __m256 xc = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(89.0f)), _mm256_set1_ps(-104.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 r2 = _mm256_mul_ps(r, r);
  p = _mm256_fmadd_ps(p, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i ni = _mm256_cvtps_epi32(n);  // in [-150, 128]
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);  // both halves in [-75, 64]: valid normal exponents
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  const __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));  // NaN passes through
}

// tanh(x) for 8 lanes. Measured (native/tests/kernel_test.cc --exhaustive, all 2.2e9 floats in [-20, 20]): max
// relative error vs double std::tanh = 1.45e-7 (at x = 0.62535, just past the branch switch; ≈ 1.2 ulp; bound
// asserted in the test: 5e-7); max absolute error for |x| < 1e-3 = 3.9e-11; tiny and subnormal x give x
// exactly (±0 keep their sign); |x| ≥ 9.1 gives ±1 exactly; ±inf gives ±1; NaN gives NaN.
// Method: |x| < 0.625: Cephes odd polynomial x + x³·P(x²); otherwise 1 − 2/(e^{2|x|} + 1) with exp256, then
// the sign of x is copied back.
inline __m256 tanh256(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 ax = _mm256_andnot_ps(sign, x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), ax, ax);
  const __m256 e = exp256(_mm256_add_ps(ax, ax));
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 big = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  __m256 y = _mm256_blendv_ps(big, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
  y = _mm256_or_ps(y, _mm256_and_ps(x, sign));  // tanh is odd: both branches work on |x|, sign copied back
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

void exp_f32_avx2(std::size_t n, const float* x, float* y) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp256(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = lane_mask((int)(n - i));
    _mm256_maskstore_ps(y + i, m, exp256(_mm256_maskload_ps(x + i, m)));
  }
}

void tanh_f32_avx2(std::size_t n, const float* x, float* y) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, tanh256(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = lane_mask((int)(n - i));
    _mm256_maskstore_ps(y + i, m, tanh256(_mm256_maskload_ps(x + i, m)));
  }
}

const Table kAvx2Table{"avx2",         gemm_nn_f32_avx2, gemm_nt_f32_avx2, gemm_tn_f32_avx2,
                       gemv_n_f32_avx2, gemv_t_f32_avx2, axpy_f32_avx2,    scal_f32_avx2,
                       dot_f32_avx2,    tanh_f32_avx2,   exp_f32_avx2,
                       packed_b_size_avx2, pack_b_avx2,  gemm_pb_avx2};

}  // namespace
}  // namespace kernels
}  // namespace charrnn

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace charrnn {
namespace kernels {
namespace detail {
// Outside the AVX2 region on purpose: returning the table's address must be safe on any x86-64 CPU.
const Table* table_avx2() { return &kAvx2Table; }
}  // namespace detail
}  // namespace kernels
}  // namespace charrnn

#else  // not x86-64: no AVX2 table in this build

namespace charrnn {
namespace kernels {
namespace detail {
const Table* table_avx2() { return nullptr; }
}  // namespace detail
}  // namespace kernels
}  // namespace charrnn

#endif
