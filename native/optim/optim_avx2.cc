// AVX2+FMA clipping and optimizer updates (x86-64 only): the same equations as optim.cc, in float32 lanes.
// Chosen by optim::clip_and_update when the active kernel table is "avx2" (so CHARRNN_SIMD=scalar and
// setIsa('scalar') keep the double-precision scalar loops). Compiled for AVX2 through the target pragma
// below only; the build never passes -mavx2. Deliberately no allocation and no std templates.
//
// One pass over the arenas when clip_norm = 0 (the norm is then only reported, never used: raw norm, value
// clipping, weight decay and the update happen in the same sweep); two passes otherwise (norms, then update).
// Numerics vs the double loops of optim.cc: the update arithmetic is float32 with correctly rounded
// sqrt/div (_mm256_sqrt_ps/_mm256_div_ps), so each stored value differs from the double-then-round result by
// a few float ulps at most (test/parity: "update on own gradient" bounds it at 1e-6 relative). An rsqrt +
// Newton step (or an rcp + FMA-corrected quotient) for Adagrad was tried and dropped: ≤ 10% on the sweep, which
// is then bound by its ~20 vector ALU ops per 8 lanes, and the rsqrt's 3e-7 relative error pushed the parity
// test's free-running 3-step Adagrad trajectory past its bound. Norms are
// sums of squares accumulated in float over blocks of 512 elements, then in double across blocks (relative
// error ≲ 1e-6, far inside the 1e-4 gradNorm tolerance).
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "optim_internal.h"

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
namespace optim {
namespace {

using namespace avx2;

using std::size_t;


// Σ of float accumulators (8 lanes) into a double accumulator.
inline __m256d widen_add(__m256d acc, __m256 v) {
  acc = _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  return _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

inline __m256 scale_exact(__m256 g, __m256d sd) {
  const __m128 lo = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(g)), sd));
  const __m128 hi = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(g, 1)), sd));
  return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
}

struct Consts {
  __m256 clip_hi, clip_lo;  // ±clip_value (used when clip_value > 0)
  __m256 scale;             // global-norm factor (1 when clip_norm = 0)
  __m256d scale_d;          // the same factor in double
  bool scaled;              // scale ≠ 1
  __m256 wd;                // weight-decay factor 1 − lr·wd
  __m256 lr, eps, mu, b1, omb1, b2, omb2, step_size, inv_sqrt_bc2;
};

// The update of 8 lanes: g = raw (clipped) gradient lanes; returns nothing, writes p/s/s2 lanes in place.
template <Kind K, bool kWd>
inline void update8(const Consts& c, __m256 g, __m256& p, __m256& s, __m256& s2) {
  if (kWd) p = _mm256_mul_ps(p, c.wd);
  // g·scale formed in double and rounded once (as optim.cc's double product), so scale's own float rounding
  // does not shift every element of a norm-clipped step the same way.
  const __m256 gi = c.scaled ? scale_exact(g, c.scale_d) : g;
  if (K == Kind::kSgd) {
    // momentum > 0 only (plain SGD has its own branch below, with s unused).
    s = _mm256_fmadd_ps(c.mu, s, gi);
    p = _mm256_fnmadd_ps(c.lr, s, p);
  } else if (K == Kind::kAdagrad) {
    s = _mm256_fmadd_ps(gi, gi, s);
    p = _mm256_sub_ps(p, _mm256_div_ps(_mm256_mul_ps(c.lr, gi), _mm256_sqrt_ps(_mm256_add_ps(s, c.eps))));
  } else if (K == Kind::kRmsprop) {
    s = _mm256_fmadd_ps(c.b2, s, _mm256_mul_ps(c.omb2, _mm256_mul_ps(gi, gi)));
    p = _mm256_sub_ps(p, _mm256_div_ps(_mm256_mul_ps(c.lr, gi), _mm256_add_ps(_mm256_sqrt_ps(s), c.eps)));
  } else {  // Adam
    s = _mm256_fmadd_ps(c.b1, s, _mm256_mul_ps(c.omb1, gi));
    s2 = _mm256_fmadd_ps(c.b2, s2, _mm256_mul_ps(c.omb2, _mm256_mul_ps(gi, gi)));
    const __m256 den = _mm256_fmadd_ps(_mm256_sqrt_ps(s2), c.inv_sqrt_bc2, c.eps);
    p = _mm256_sub_ps(p, _mm256_div_ps(_mm256_mul_ps(c.step_size, s), den));
  }
}

// Plain SGD without momentum: p ← p − lr·(g·scale); state untouched.
template <bool kWd>
inline void update8_plain_sgd(const Consts& c, __m256 g, __m256& p) {
  if (kWd) p = _mm256_mul_ps(p, c.wd);
  p = _mm256_fnmadd_ps(c.lr, c.scaled ? scale_exact(g, c.scale_d) : g, p);
}

// One block of ≤ 8 lanes (mask = all lanes when full). kFused: also clip and accumulate both norms here.
template <Kind K, bool kPlain, bool kWd, bool kClipV, bool kFused, bool kMasked>
inline void step8(const Consts& c, float* p, float* g, float* s, float* s2, __m256i m, __m256& sq, __m256& sqc) {
  __m256 gv = kMasked ? _mm256_maskload_ps(g, m) : _mm256_loadu_ps(g);
  if (kFused) {
    sq = _mm256_fmadd_ps(gv, gv, sq);
    if (kClipV) {
      // max(−c, g) then min(c, ·): a NaN lane comes out NaN (the second operand is returned for NaN).
      gv = _mm256_min_ps(c.clip_hi, _mm256_max_ps(c.clip_lo, gv));
      if (kMasked)
        _mm256_maskstore_ps(g, m, gv);
      else
        _mm256_storeu_ps(g, gv);
      sqc = _mm256_fmadd_ps(gv, gv, sqc);
    }
  }
  __m256 pv = kMasked ? _mm256_maskload_ps(p, m) : _mm256_loadu_ps(p);
  if (kPlain) {
    update8_plain_sgd<kWd>(c, gv, pv);
  } else {
    __m256 sv = kMasked ? _mm256_maskload_ps(s, m) : _mm256_loadu_ps(s);
    __m256 s2v = _mm256_setzero_ps();
    if (K == Kind::kAdam) s2v = kMasked ? _mm256_maskload_ps(s2, m) : _mm256_loadu_ps(s2);
    update8<K, kWd>(c, gv, pv, sv, s2v);
    if (kMasked) {
      _mm256_maskstore_ps(s, m, sv);
      if (K == Kind::kAdam) _mm256_maskstore_ps(s2, m, s2v);
    } else {
      _mm256_storeu_ps(s, sv);
      if (K == Kind::kAdam) _mm256_storeu_ps(s2, s2v);
    }
  }
  if (kMasked)
    _mm256_maskstore_ps(p, m, pv);
  else
    _mm256_storeu_ps(p, pv);
}

constexpr size_t kNormBlock = 512;  // float partial sums per block, then double across blocks

// The update sweep over [0, P). kFused: also the norms (raw into *sq_out, clipped into *sqc_out) and the
// value clipping; otherwise `g` already holds the clipped gradient.
template <Kind K, bool kPlain, bool kWd, bool kClipV, bool kFused>
void sweep(const Consts& c, float* p, float* g, float* s, float* s2, size_t P, double* sq_out, double* sqc_out) {
  __m256d sqd = _mm256_setzero_pd(), sqcd = _mm256_setzero_pd();
  const __m256i all = _mm256_set1_epi32(-1);
  size_t i = 0;
  while (i + 8 <= P) {
    const size_t end = (P - i) / 8 * 8 < kNormBlock ? i + (P - i) / 8 * 8 : i + kNormBlock;
    __m256 sq0 = _mm256_setzero_ps(), sq1 = _mm256_setzero_ps();
    __m256 sqc0 = _mm256_setzero_ps(), sqc1 = _mm256_setzero_ps();
    for (; i + 16 <= end; i += 16) {
      step8<K, kPlain, kWd, kClipV, kFused, false>(c, p + i, g + i, s + i, s2 + i, all, sq0, sqc0);
      step8<K, kPlain, kWd, kClipV, kFused, false>(c, p + i + 8, g + i + 8, s + i + 8, s2 + i + 8, all, sq1, sqc1);
    }
    for (; i + 8 <= end; i += 8) step8<K, kPlain, kWd, kClipV, kFused, false>(c, p + i, g + i, s + i, s2 + i, all, sq0, sqc0);
    if (kFused) {
      sqd = widen_add(sqd, _mm256_add_ps(sq0, sq1));
      if (kClipV) sqcd = widen_add(sqcd, _mm256_add_ps(sqc0, sqc1));
    }
  }
  if (i < P) {
    const __m256i m = lane_mask(P - i);
    __m256 sq0 = _mm256_setzero_ps(), sqc0 = _mm256_setzero_ps();
    step8<K, kPlain, kWd, kClipV, kFused, true>(c, p + i, g + i, s + i, s2 + i, m, sq0, sqc0);
    if (kFused) {
      sqd = widen_add(sqd, sq0);
      if (kClipV) sqcd = widen_add(sqcd, sqc0);
    }
  }
  if (kFused) {
    *sq_out = hsum256d(sqd);
    *sqc_out = kClipV ? hsum256d(sqcd) : *sq_out;
  }
}

// Norm pass (two-pass mode): raw Σg² and, with value clipping, clamp g in place and Σ clamp(g)².
template <bool kClipV>
void norms(const Consts& c, float* g, size_t P, double* sq_out, double* sqc_out) {
  __m256d sqd = _mm256_setzero_pd(), sqcd = _mm256_setzero_pd();
  size_t i = 0;
  while (i + 8 <= P) {
    const size_t end = (P - i) / 8 * 8 < kNormBlock ? i + (P - i) / 8 * 8 : i + kNormBlock;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
    for (; i + 16 <= end; i += 16) {
      __m256 v0 = _mm256_loadu_ps(g + i), v1 = _mm256_loadu_ps(g + i + 8);
      a0 = _mm256_fmadd_ps(v0, v0, a0);
      a1 = _mm256_fmadd_ps(v1, v1, a1);
      if (kClipV) {
        v0 = _mm256_min_ps(c.clip_hi, _mm256_max_ps(c.clip_lo, v0));
        v1 = _mm256_min_ps(c.clip_hi, _mm256_max_ps(c.clip_lo, v1));
        _mm256_storeu_ps(g + i, v0);
        _mm256_storeu_ps(g + i + 8, v1);
        b0 = _mm256_fmadd_ps(v0, v0, b0);
        b1 = _mm256_fmadd_ps(v1, v1, b1);
      }
    }
    for (; i + 8 <= end; i += 8) {
      __m256 v0 = _mm256_loadu_ps(g + i);
      a0 = _mm256_fmadd_ps(v0, v0, a0);
      if (kClipV) {
        v0 = _mm256_min_ps(c.clip_hi, _mm256_max_ps(c.clip_lo, v0));
        _mm256_storeu_ps(g + i, v0);
        b0 = _mm256_fmadd_ps(v0, v0, b0);
      }
    }
    sqd = widen_add(sqd, _mm256_add_ps(a0, a1));
    if (kClipV) sqcd = widen_add(sqcd, _mm256_add_ps(b0, b1));
  }
  if (i < P) {
    const __m256i m = lane_mask(P - i);
    __m256 v0 = _mm256_maskload_ps(g + i, m);  // masked-off lanes read as 0
    sqd = widen_add(sqd, _mm256_mul_ps(v0, v0));
    if (kClipV) {
      v0 = _mm256_min_ps(c.clip_hi, _mm256_max_ps(c.clip_lo, v0));
      _mm256_maskstore_ps(g + i, m, v0);
      sqcd = widen_add(sqcd, _mm256_mul_ps(v0, v0));
    }
  }
  *sq_out = hsum256d(sqd);
  *sqc_out = kClipV ? hsum256d(sqcd) : *sq_out;
}

template <Kind K, bool kPlain, bool kWd>
void run_kind(const Consts& c, bool clipv, bool fused, float* p, float* g, float* s, float* s2, size_t P, double* sq,
              double* sqc) {
  if (fused) {
    if (clipv)
      sweep<K, kPlain, kWd, true, true>(c, p, g, s, s2, P, sq, sqc);
    else
      sweep<K, kPlain, kWd, false, true>(c, p, g, s, s2, P, sq, sqc);
  } else {
    sweep<K, kPlain, kWd, false, false>(c, p, g, s, s2, P, sq, sqc);
  }
}

template <bool kWd>
void run(const Hyper& h, const Consts& c, bool clipv, bool fused, float* p, float* g, float* s, size_t P, double* sq,
         double* sqc) {
  switch (h.kind) {
    case Kind::kSgd:
      if (h.momentum > 0)
        run_kind<Kind::kSgd, false, kWd>(c, clipv, fused, p, g, s, s, P, sq, sqc);
      else
        run_kind<Kind::kSgd, true, kWd>(c, clipv, fused, p, g, s, s, P, sq, sqc);
      break;
    case Kind::kAdagrad: run_kind<Kind::kAdagrad, false, kWd>(c, clipv, fused, p, g, s, s, P, sq, sqc); break;
    case Kind::kRmsprop: run_kind<Kind::kRmsprop, false, kWd>(c, clipv, fused, p, g, s, s, P, sq, sqc); break;
    case Kind::kAdam: run_kind<Kind::kAdam, false, kWd>(c, clipv, fused, p, g, s, s + P, P, sq, sqc); break;
  }
}

}  // namespace

namespace detail {

bool have_clip_and_update_avx2() { return true; }

double clip_and_update_avx2(const Hyper& h, float* p, float* g, float* s, size_t P) {
  Consts c{};
  const bool clipv = h.clip_value > 0;
  const bool fused = !(h.clip_norm > 0);  // scale is 1 whenever clip_norm is off: one sweep does it all
  c.clip_hi = _mm256_set1_ps(static_cast<float>(h.clip_value));
  c.clip_lo = _mm256_set1_ps(static_cast<float>(-h.clip_value));
  c.lr = _mm256_set1_ps(static_cast<float>(h.lr));
  c.eps = _mm256_set1_ps(static_cast<float>(h.eps));
  c.mu = _mm256_set1_ps(static_cast<float>(h.momentum));
  c.b1 = _mm256_set1_ps(static_cast<float>(h.beta1));
  c.omb1 = _mm256_set1_ps(static_cast<float>(1 - h.beta1));
  c.b2 = _mm256_set1_ps(static_cast<float>(h.beta2));
  c.omb2 = _mm256_set1_ps(static_cast<float>(1 - h.beta2));
  if (h.kind == Kind::kAdam) {
    c.step_size = _mm256_set1_ps(static_cast<float>(h.lr / (1 - std::pow(h.beta1, h.step))));
    c.inv_sqrt_bc2 = _mm256_set1_ps(static_cast<float>(1 / std::sqrt(1 - std::pow(h.beta2, h.step))));
  }
  c.wd = _mm256_set1_ps(static_cast<float>(1.0 - h.lr * h.weight_decay));
  double sq = 0, sqc = 0;
  if (!fused) {
    if (clipv)
      norms<true>(c, g, P, &sq, &sqc);
    else
      norms<false>(c, g, P, &sq, &sqc);
    const double norm = std::sqrt(sqc);
    const double scale = norm > h.clip_norm ? h.clip_norm / (norm + 1e-6) : 1.0;
    c.scale = _mm256_set1_ps(static_cast<float>(scale));
    c.scale_d = _mm256_set1_pd(scale);
    c.scaled = scale != 1.0;
  } else {
    c.scale = _mm256_set1_ps(1.0f);
    c.scale_d = _mm256_set1_pd(1.0);
    c.scaled = false;
  }
  if (h.weight_decay > 0)
    run<true>(h, c, clipv, fused, p, g, s, P, &sq, &sqc);
  else
    run<false>(h, c, clipv, fused, p, g, s, P, &sq, &sqc);
  return std::sqrt(sq);
}

}  // namespace detail
}  // namespace optim
}  // namespace charrnn

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else  // not x86-64: no AVX2 variant in this build

namespace charrnn {
namespace optim {
namespace detail {
bool have_clip_and_update_avx2() { return false; }
double clip_and_update_avx2(const Hyper&, float*, float*, float*, std::size_t) { return 0.0; }  // never called
}  // namespace detail
}  // namespace optim
}  // namespace charrnn

#endif
