// Standalone correctness test of native/kernels: every dispatch table this CPU supports against the naive
// reference (gemm/gemv/level-1 over many shapes and strides), the exp/tanh error sweeps, and the row and optimizer
// entries against their portable forms. No Node needed (the rnn_chunk entry: rnn_chunk_test.cc).
// Deliberately not a benchmark (see kernel_bench.cc). Exit status 0 = all passed.
//   ./kernel_test               default sweep (bit-pattern stride 61 for exp/tanh, ~3e7 points each)
//   ./kernel_test --quick       stride 997 (used by `make asan`)
//   ./kernel_test --exhaustive  every float in the documented ranges (slow: minutes)
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "../kernels/kernels.h"
#include "../util/scratch.h"
#include "../util/threadpool.h"

using namespace charrnn::kernels;

namespace {

int g_failures = 0;
#define CHECK(cond, ...)                                 \
  do {                                                   \
    if (!(cond)) {                                       \
      g_failures++;                                      \
      if (g_failures < 30) {                             \
        std::printf("FAIL %s:%d: ", __FILE__, __LINE__); \
        std::printf(__VA_ARGS__);                        \
        std::printf("\n");                               \
      }                                                  \
    }                                                    \
  } while (0)

std::mt19937_64 g_rng(20240611);
float uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(g_rng); }
int randint(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g_rng); }

std::vector<float> random_vec(std::size_t n) {
  std::vector<float> v(n);
  for (auto& x : v) x = uniform(-1.0f, 1.0f);
  return v;
}

// Tolerance for a float32 sum of K products, both sides computed in float: each result is within
// γ_K·Σ|a_k·b_k| of the exact value, γ_K ≈ K·u (u = 2^-24, standard error bound for recursive summation; FMA
// and blocked/reordered summation only tighten it). Two such results differ by at most 2·γ_K·Σ|a·b|, plus
// u·|C0| when accumulating. We allow 2·(K+2)·u·(Σ|a·b| + |C0|) + 1e-30 — the worst case, not typical; the
// worst observed |diff|/tolerance is printed (≈0.4, reached at tiny K where one rounding is the whole error;
// for K ≥ 64 it is ~0.01).
constexpr double kU = 5.9604644775390625e-8;  // 2^-24

enum class Form { NN, NT, TN };
const char* form_name(Form f) { return f == Form::NN ? "nn" : f == Form::NT ? "nt" : "tn"; }

struct GemmCase {
  Form form;
  int M, N, K;
  int pad_a, pad_b, pad_c;  // extra row stride beyond the logical width
  bool accumulate;
};

double g_worst_ratio = 0.0;  // max |diff| / tolerance seen over all gemm checks

void check_gemm(const Table& t, const GemmCase& c) {
  const int M = c.M, N = c.N, K = c.K;
  // Storage shapes: NN A[M,K] B[K,N]; NT A[M,K] B[N,K]; TN A[K,M] B[K,N]
  const int a_rows = c.form == Form::TN ? K : M, a_cols = c.form == Form::TN ? M : K;
  const int b_rows = c.form == Form::NT ? N : K, b_cols = c.form == Form::NT ? K : N;
  const int lda = a_cols + c.pad_a, ldb = b_cols + c.pad_b, ldc = N + c.pad_c;
  std::vector<float> A = random_vec((std::size_t)a_rows * lda + 1), B = random_vec((std::size_t)b_rows * ldb + 1);
  std::vector<float> C0 = random_vec((std::size_t)M * ldc + 1);
  std::vector<float> Cref = C0, Ct = C0;
  GemmFn ref = c.form == Form::NN ? gemm_nn_ref : c.form == Form::NT ? gemm_nt_ref : gemm_tn_ref;
  GemmFn fn = c.form == Form::NN ? t.gemm_nn : c.form == Form::NT ? t.gemm_nt : t.gemm_tn;
  fn(M, N, K, A.data(), lda, B.data(), ldb, Ct.data(), ldc, c.accumulate);
  // Rows of C to check: all of them, or for the big shapes (> 4M multiply-adds) the first, last and 14 random
  // rows, each recomputed by the reference as a one-row product (the naive loops would take seconds otherwise).
  std::vector<int> rows;
  if ((double)M * N * K <= 4e6) {
    for (int i = 0; i < M; i++) rows.push_back(i);
  } else {
    rows = {0, M - 1};
    for (int r = 0; r < 14; r++) rows.push_back(randint(0, M - 1));
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());  // accumulate twice into a row = wrong ref
  }
  for (int i : rows) {
    const float* a_row = c.form == Form::TN ? A.data() + i : A.data() + (std::size_t)i * lda;
    ref(1, N, K, a_row, lda, B.data(), ldb, Cref.data() + (std::size_t)i * ldc, ldc, c.accumulate);
  }
  double maxdiff = 0.0;
  int bad = 0;
  for (int i : rows) {
    for (int j = 0; j < ldc; j++) {
      const std::size_t idx = (std::size_t)i * ldc + j;
      if (j >= N) {  // padding columns must be untouched
        if (std::memcmp(&Ct[idx], &C0[idx], sizeof(float)) != 0) bad++;
        continue;
      }
      double mag = c.accumulate ? std::fabs(C0[idx]) : 0.0;
      for (int k = 0; k < K; k++) {
        const float a = c.form == Form::TN ? A[(std::size_t)k * lda + i] : A[(std::size_t)i * lda + k];
        const float b = c.form == Form::NT ? B[(std::size_t)j * ldb + k] : B[(std::size_t)k * ldb + j];
        mag += std::fabs((double)a * b);
      }
      const double tol = 2.0 * (K + 2) * kU * mag + 1e-30;
      const double d = std::fabs((double)Ct[idx] - Cref[idx]);
      if (!(d <= tol)) bad++;  // also catches NaN
      if (d > maxdiff) maxdiff = d;
      if (d / tol > g_worst_ratio) g_worst_ratio = d / tol;
    }
  }
  if (std::memcmp(&Ct[(std::size_t)M * ldc], &C0[(std::size_t)M * ldc], sizeof(float)) != 0) bad++;  // past the end
  CHECK(bad == 0, "%s gemm_%s M=%d N=%d K=%d lda=%d ldb=%d ldc=%d acc=%d: %d bad elements, max |diff| %.3g", t.isa,
        form_name(c.form), M, N, K, lda, ldb, ldc, (int)c.accumulate, bad, maxdiff);
}

void test_gemm(const Table& t) {
  const int before = g_failures;
  std::vector<GemmCase> cases;
  for (Form f : {Form::NN, Form::NT, Form::TN}) {
    // The char-RNN shapes (W2: B=32 T=64 H=512 V=65; W1: B=1 H=100 V=65) and the awkward sizes.
    const int shapes[][3] = {{2048, 65, 512}, {32, 512, 512}, {512, 512, 2048}, {65, 512, 2048}, {2048, 512, 65},
                             {1, 100, 100},   {1, 65, 100},   {1, 100, 65},     {100, 1, 100},   {1, 1, 1},
                             {3, 3, 3},       {65, 65, 65},   {100, 100, 100},  {1, 3, 65},      {7, 17, 300},
                             {13, 33, 257},   {145, 97, 513}, {6, 16, 256},     {0, 5, 5},       {5, 0, 5},
                             {5, 5, 0},       {1, 7, 0}};
    for (auto& s : shapes)
      for (int acc = 0; acc < 2; acc++) cases.push_back({f, s[0], s[1], s[2], acc * 3, acc * 5, acc * 7, acc == 1});
    for (int r = 0; r < 300; r++)
      cases.push_back({f, randint(0, 70), randint(0, 70), randint(0, 70), randint(0, 9), randint(0, 9), randint(0, 9),
                       randint(0, 1) == 1});
  }
  for (const auto& c : cases) check_gemm(t, c);
  std::printf("  %-6s gemm nn/nt/tn: %zu cases, worst |diff|/tolerance %.3g  %s\n", t.isa, cases.size(), g_worst_ratio,
              g_failures == before ? "ok" : "FAILED");
}

void test_gemv(const Table& t) {
  const int before = g_failures;
  int n_cases = 0;
  for (int r = 0; r < 400; r++) {
    const int M = r < 4 ? (r < 2 ? 100 : 65) : randint(0, 130);
    const int N = r < 4 ? 100 : randint(0, 130);
    const int lda = N + (r < 4 ? 0 : randint(0, 5));
    const bool acc = (r & 1) == 1;
    std::vector<float> A = random_vec((std::size_t)M * lda + 1), xn = random_vec(N), xt = random_vec(M);
    std::vector<float> yn0 = random_vec(M + 1), yt0 = random_vec(N + 1);
    std::vector<float> yn = yn0, yt = yt0, yn_ref = yn0, yt_ref = yt0;
    t.gemv_n(M, N, A.data(), lda, xn.data(), yn.data(), acc);
    t.gemv_t(M, N, A.data(), lda, xt.data(), yt.data(), acc);
    // references through the gemm references: y_n[M,1] = A·x (NN with B = x as [N,1]); y_t[1,N] = xᵀ·A (NN)
    gemm_nn_ref(M, 1, N, A.data(), lda, xn.data(), 1, yn_ref.data(), 1, acc);
    gemm_nn_ref(1, N, M, xt.data(), M, A.data(), lda, yt_ref.data(), N, acc);
    for (int i = 0; i < M; i++) {
      double mag = acc ? std::fabs(yn0[i]) : 0.0;
      for (int j = 0; j < N; j++) mag += std::fabs((double)A[(std::size_t)i * lda + j] * xn[j]);
      const double d = std::fabs((double)yn[i] - yn_ref[i]);
      CHECK(d <= 2.0 * (N + 2) * kU * mag + 1e-30, "%s gemv_n M=%d N=%d lda=%d acc=%d i=%d diff %.3g", t.isa, M, N, lda,
            (int)acc, i, d);
    }
    for (int j = 0; j < N; j++) {
      double mag = acc ? std::fabs(yt0[j]) : 0.0;
      for (int i = 0; i < M; i++) mag += std::fabs((double)A[(std::size_t)i * lda + j] * xt[i]);
      const double d = std::fabs((double)yt[j] - yt_ref[j]);
      CHECK(d <= 2.0 * (M + 2) * kU * mag + 1e-30, "%s gemv_t M=%d N=%d lda=%d acc=%d j=%d diff %.3g", t.isa, M, N, lda,
            (int)acc, j, d);
    }
    CHECK(yn[M] == yn0[M] && yt[N] == yt0[N], "%s gemv M=%d N=%d wrote past y", t.isa, M, N);
    n_cases++;
  }
  std::printf("  %-6s gemv n/t: %d cases  %s\n", t.isa, n_cases, g_failures == before ? "ok" : "FAILED");
}

void test_level1(const Table& t) {
  const int before = g_failures;
  for (int r = 0; r < 300; r++) {
    const std::size_t n = r < 100 ? (std::size_t)r : (std::size_t)randint(0, 5000);
    std::vector<float> x = random_vec(n + 1), y = random_vec(n + 1);
    const float alpha = uniform(-2.0f, 2.0f);
    std::vector<float> y2 = y, x2 = x;
    t.axpy(n, alpha, x.data(), y2.data());
    for (std::size_t i = 0; i < n; i++)
      CHECK(std::fabs(y2[i] - (y[i] + (double)alpha * x[i])) <= 4 * kU * (std::fabs(y[i]) + std::fabs(alpha * x[i])),
            "%s axpy n=%zu i=%zu", t.isa, n, i);
    CHECK(y2[n] == y[n], "%s axpy n=%zu wrote past the end", t.isa, n);
    t.scal(n, alpha, x2.data());
    for (std::size_t i = 0; i < n; i++) CHECK(x2[i] == alpha * x[i], "%s scal n=%zu i=%zu", t.isa, n, i);
    CHECK(x2[n] == x[n], "%s scal n=%zu wrote past the end", t.isa, n);
    double exact = 0.0, mag = 0.0;
    for (std::size_t i = 0; i < n; i++) exact += (double)x[i] * y[i], mag += std::fabs((double)x[i] * y[i]);
    const float d = t.dot(n, x.data(), y.data());
    CHECK(std::fabs(d - exact) <= (n + 2) * kU * mag + 1e-30, "%s dot n=%zu: %g vs %g", t.isa, n, d, exact);
  }
  std::printf("  %-6s axpy/scal/dot  %s\n", t.isa, g_failures == before ? "ok" : "FAILED");
}

// --- exp / tanh ------------------------------------------------------------------------------------------
// Documented bounds (kernels_avx2.cc): exp rel ≤ 2.5e-7 on normal results, tanh rel ≤ 5e-7 on [-20, 20].
// The scalar table calls libm (≤ 1 ulp), so the same bounds hold for it.
constexpr double kExpRelBound = 2.5e-7;
constexpr double kTanhRelBound = 5e-7;

float from_bits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
std::uint32_t to_bits(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Calls `visit(x, f(x))` for all floats of one sign with magnitude in [lo, hi] (0 ≤ lo ≤ hi), stepping
// `stride` bit patterns (both ends always included), evaluating f in chunks of 1M so that an exhaustive
// sweep (stride 1, ~1e9 points) needs no big buffers.
template <typename Visit>
std::size_t sweep(MapFn f, float lo, float hi, bool negative, std::uint32_t stride, Visit visit) {
  const std::size_t chunk = 1 << 20;
  std::vector<float> xs, ys(chunk);
  xs.reserve(chunk);
  std::size_t count = 0;
  auto flush = [&] {
    f(xs.size(), xs.data(), ys.data());
    for (std::size_t i = 0; i < xs.size(); i++) visit(xs[i], ys[i]);
    count += xs.size();
    xs.clear();
  };
  const std::uint64_t b0 = to_bits(lo), b1 = to_bits(hi);
  for (std::uint64_t b = b0; b <= b1; b += stride) {
    const float x = from_bits((std::uint32_t)b);
    xs.push_back(negative ? -x : x);
    if (xs.size() == chunk) flush();
  }
  xs.push_back(negative ? -hi : hi);
  flush();
  return count;
}

void test_exp(const Table& t, std::uint32_t stride) {
  const int before = g_failures;
  double max_rel = 0.0, at = 0.0;
  std::size_t n = 0;
  // Normal results: x in [-87.33, 88.72] (e^x ≥ FLT_MIN = 1.18e-38 ⇔ x ≥ -87.3365).
  auto rel = [&](float x, float y) {
    const double e = std::exp((double)x);
    const double r = std::fabs(y - e) / e;
    if (!(r <= max_rel)) max_rel = r, at = x;
  };
  n += sweep(t.exp, 0.0f, 88.72f, false, stride, rel);
  n += sweep(t.exp, 0.0f, 87.33f, true, stride, rel);
  CHECK(max_rel <= kExpRelBound, "%s exp max rel error %.3g at x=%.9g exceeds %.3g", t.isa, max_rel, at, kExpRelBound);
  // Subnormal range and beyond: absolute error ≤ 1.5 subnormal ulp (2^-149), never negative.
  double max_sub = 0.0;
  sweep(t.exp, 87.33f, 200.0f, true, stride > 1 ? 7 : 1, [&](float x, float y) {
    const double d = std::fabs(y - std::exp((double)x));
    if (!(d <= max_sub)) max_sub = d;
    CHECK(y >= 0.0f, "%s exp(%g) = %g negative", t.isa, x, y);
  });
  CHECK(max_sub <= 1.5 * 1.401298464e-45, "%s exp subnormal abs error %.3g", t.isa, max_sub);
  const float specials[] = {-INFINITY, -1000.0f, -104.0f, 88.73f, 89.0f, 1000.0f, INFINITY, NAN, -NAN, 0.0f, -0.0f};
  float out[11];
  t.exp(11, specials, out);
  CHECK(out[0] == 0.0f && out[1] == 0.0f && out[2] == 0.0f, "%s exp underflow: %g %g %g", t.isa, out[0], out[1],
        out[2]);
  CHECK(std::isinf(out[3]) && std::isinf(out[4]) && std::isinf(out[5]) && std::isinf(out[6]) && out[6] > 0,
        "%s exp overflow: %g %g %g %g", t.isa, out[3], out[4], out[5], out[6]);
  CHECK(std::isnan(out[7]) && std::isnan(out[8]), "%s exp(NaN) = %g, %g", t.isa, out[7], out[8]);
  CHECK(out[9] == 1.0f && out[10] == 1.0f, "%s exp(±0) = %g, %g", t.isa, out[9], out[10]);
  std::printf("  %-6s exp : %zu points, max rel error %.3g (at x=%.9g; bound %.2g), subnormal abs %.2g  %s\n", t.isa, n,
              max_rel, at, kExpRelBound, max_sub, g_failures == before ? "ok" : "FAILED");
}

void test_tanh(const Table& t, std::uint32_t stride) {
  const int before = g_failures;
  double max_rel = 0.0, at = 0.0, max_abs_small = 0.0;
  std::size_t n = 0;
  bool odd = true;
  auto visit = [&](float x, float y) {
    const double e = std::tanh((double)x);
    const double d = std::fabs(y - e);
    const double r = e == 0.0 ? d : d / std::fabs(e);
    if (!(r <= max_rel)) max_rel = r, at = x;
    if (std::fabs(x) < 1e-3f && d > max_abs_small) max_abs_small = d;
    if (std::signbit(x) != std::signbit(y)) odd = false;
  };
  for (int neg = 0; neg < 2; neg++) {
    n += sweep(t.tanh, 0.0f, 20.0f, neg == 1, stride, visit);
    if (stride > 1) n += sweep(t.tanh, 0.6f, 0.65f, neg == 1, 1, visit);  // every float around the branch at 0.625
  }
  CHECK(max_rel <= kTanhRelBound, "%s tanh max rel error %.3g at x=%.9g exceeds %.3g", t.isa, max_rel, at,
        kTanhRelBound);
  CHECK(odd, "%s tanh: sign of the result differs from the sign of x", t.isa);
  const float specials[] = {-INFINITY, -1000.0f, 1000.0f, INFINITY, NAN, 0.0f, -0.0f, 1e-40f, -1e-40f};
  float out[9];
  t.tanh(9, specials, out);
  CHECK(out[0] == -1.0f && out[1] == -1.0f && out[2] == 1.0f && out[3] == 1.0f, "%s tanh(±big): %g %g %g %g", t.isa,
        out[0], out[1], out[2], out[3]);
  CHECK(std::isnan(out[4]), "%s tanh(NaN) = %g", t.isa, out[4]);
  CHECK(out[5] == 0.0f && !std::signbit(out[5]) && out[6] == 0.0f && std::signbit(out[6]), "%s tanh(±0)", t.isa);
  CHECK(out[7] == 1e-40f && out[8] == -1e-40f, "%s tanh(subnormal) = %g, %g", t.isa, out[7], out[8]);
  std::vector<float> v = {0.1f, -0.5f, 2.0f, -3.0f, 0.7f};  // in place
  t.tanh(v.size(), v.data(), v.data());
  CHECK(std::fabs(v[2] - std::tanh(2.0)) < 1e-6, "%s tanh in place", t.isa);
  std::printf(
      "  %-6s tanh: %zu points, max rel error %.3g (at x=%.9g; bound %.2g), max abs error for |x|<1e-3 %.3g  %s\n",
      t.isa, n, max_rel, at, kTanhRelBound, max_abs_small, g_failures == before ? "ok" : "FAILED");
}

void test_dispatch() {
  const int before = g_failures;
  int n = 0;
  const char* const* names = supported_isas(&n);
  CHECK(n >= 1 && std::strcmp(names[n - 1], "scalar") == 0, "supported_isas must end with scalar");
  const char* initial = active().isa;
  const char* env = std::getenv("CHARRNN_SIMD");
  if (env == nullptr || table_for(env) == nullptr)
    CHECK(std::strcmp(initial, names[0]) == 0, "active() should be the best ISA (%s), got %s", names[0], initial);
  else
    CHECK(std::strcmp(initial, env) == 0, "CHARRNN_SIMD=%s ignored (active %s)", env, initial);
  CHECK(!set_isa("bogus") && std::strcmp(active().isa, initial) == 0, "set_isa(bogus) must fail and change nothing");
  CHECK(set_isa("scalar") && std::strcmp(active().isa, "scalar") == 0, "set_isa(scalar)");
  CHECK(set_isa(names[0]) && std::strcmp(active().isa, names[0]) == 0, "set_isa(best)");
  CHECK(table_for("bogus") == nullptr && table_for(nullptr) == nullptr, "table_for(bogus)");
  std::printf("  dispatch: supported =");
  for (int i = 0; i < n; i++) std::printf(" %s", names[i]);
  std::printf(" (initial active: %s)  %s\n", initial, g_failures == before ? "ok" : "FAILED");
}

// The pool itself: every task of every job runs exactly once, across many back-to-back tiny jobs (where late
// workers race the next job), resizes between jobs (a stop before a new thread first runs), and 1..4 threads.
struct CountJob {
  std::vector<int>* hits;
};
void count_task(void* ctx, int i) { (*static_cast<CountJob*>(ctx)->hits)[static_cast<std::size_t>(i)]++; }

void test_pool() {
  const int before = g_failures;
  const int saved = charrnn::par::threads();
  long jobs = 0;
  for (int round = 0; round < 40; round++) {
    charrnn::par::set_threads(1 + round % 4);
    for (int j = 0; j < 500; j++, jobs++) {
      const int n = 1 + (j * 7 + round) % 9;
      std::vector<int> hits(static_cast<std::size_t>(n), 0);
      CountJob job{&hits};
      charrnn::par::run(n, count_task, &job);
      for (int i = 0; i < n; i++)
        CHECK(hits[static_cast<std::size_t>(i)] == 1, "pool: task %d of %d ran %d times (threads %d)", i, n,
              hits[static_cast<std::size_t>(i)], charrnn::par::threads());
    }
  }
  CHECK(!charrnn::par::set_threads(0) && !charrnn::par::set_threads(charrnn::par::kMaxThreads + 1),
        "set_threads must refuse 0 and > kMaxThreads");
  charrnn::par::set_threads(saved);
  std::printf("  pool: %ld jobs over 1-4 threads with resizes, every task exactly once  %s\n", jobs,
              g_failures == before ? "ok" : "FAILED");
}

// Pre-packed B (pack_b + gemm_pb): against the naive reference with the gemm tolerance, for both source layouts,
// K across several KC blocks, edge panels and M = 1; a product cut into column ranges (multiples of the packed
// unit) and any thread count give bit-identical results to the whole product on one thread.
void test_packed(const Table& t) {
  const int before = g_failures;
  const int saved = charrnn::par::threads();
  const int shapes[][3] = {{32, 1024, 256}, {32, 256, 1024}, {7, 17, 300}, {1, 65, 100}, {13, 33, 513},
                           {6, 16, 256},    {64, 1000, 77},  {3, 5, 0},    {0, 8, 8},    {2048, 64, 40}};
  int cases = 0;
  for (auto& sh : shapes)
    for (bool trans : {false, true})
      for (bool acc : {false, true}) {
        const int M = sh[0], N = sh[1], K = sh[2];
        const int ldb = (trans ? K : N) + 3, lda = K + 2, ldc = N + 1;
        const auto A = random_vec((std::size_t)M * lda + 1);
        const auto B = random_vec((std::size_t)(trans ? N : K) * ldb + 1);
        const auto C0 = random_vec((std::size_t)M * ldc + 1);
        charrnn::Scratch<float> Bp;  // 64-byte aligned, as pack_b requires
        Bp.grow(t.packed_b_size(K, N) + 1);
        t.pack_b(K, N, B.data(), ldb, trans, Bp.data());
        charrnn::par::set_threads(1);
        std::vector<float> C = C0;
        t.gemm_pb(M, N, K, A.data(), lda, Bp.data(), 0, N, C.data(), ldc, acc);
        int bad = 0;
        for (int i = 0; i < M; i++)
          for (int j = 0; j < ldc; j++) {
            const std::size_t idx = (std::size_t)i * ldc + j;
            if (j >= N) {
              if (std::memcmp(&C[idx], &C0[idx], sizeof(float)) != 0) bad++;
              continue;
            }
            double exact = acc ? C0[idx] : 0.0, mag = acc ? std::fabs(C0[idx]) : 0.0;
            for (int k = 0; k < K; k++) {
              const double p = (double)A[(std::size_t)i * lda + k] *
                               (trans ? B[(std::size_t)j * ldb + k] : B[(std::size_t)k * ldb + j]);
              exact += p;
              mag += std::fabs(p);
            }
            if (!(std::fabs(C[idx] - exact) <= (K + 2) * kU * mag + 1e-30)) bad++;
          }
        if (std::memcmp(&C[(std::size_t)M * ldc], &C0[(std::size_t)M * ldc], sizeof(float)) != 0) bad++;
        CHECK(bad == 0, "%s gemm_pb M=%d N=%d K=%d trans=%d acc=%d: %d bad elements", t.isa, M, N, K, trans, acc, bad);
        // Column ranges at random unit boundaries, then 2..4 threads: bit-identical.
        std::vector<float> Cs = C0;
        for (int j0 = 0; j0 < N;) {
          const int j1 = std::min(N, j0 + kPackedColUnit * randint(1, 4));
          t.gemm_pb(M, N, K, A.data(), lda, Bp.data(), j0, j1, Cs.data(), ldc, acc);
          j0 = j1;
        }
        CHECK(std::memcmp(Cs.data(), C.data(), C.size() * sizeof(float)) == 0,
              "%s gemm_pb M=%d N=%d K=%d: column ranges differ from the whole", t.isa, M, N, K);
        for (int threads : {2, 3, 4}) {
          charrnn::par::set_threads(threads);
          std::vector<float> Ct = C0;
          t.gemm_pb(M, N, K, A.data(), lda, Bp.data(), 0, N, Ct.data(), ldc, acc);
          CHECK(std::memcmp(Ct.data(), C.data(), C.size() * sizeof(float)) == 0,
                "%s gemm_pb M=%d N=%d K=%d: %d threads differ from 1", t.isa, M, N, K, threads);
        }
        cases++;
      }
  charrnn::par::set_threads(saved);
  std::printf("  %-6s pre-packed gemm: %d cases (reference, column ranges, threads 1-4)  %s\n", t.isa, cases,
              g_failures == before ? "ok" : "FAILED");
}

// The thread pool splits large gemms into blocks of C: the result must be bit-identical for any thread count
// (same instructions, same order per element), for every form, with and without accumulation, at shapes whose
// split falls inside a micro-tile edge (N = 1000, M = 1001) as well as W2/W3 shapes.
// gemv_n_rows: row i of C is gemv_n of row i of A, bit for bit, for any M (odd and even stream counts, weight-row
// counts around the 8-row blocks, reduction lengths with and without a masked tail, padded strides), and for 1–4
// threads (each thread count against gemv_n on that same thread count).
void test_gemv_rows(const Table& t) {
  const int before = g_failures;
  const int saved = charrnn::par::threads();
  int cases = 0;
  struct Shape {
    int M, N, K;
  };
  const Shape fixed[] = {{64, 1024, 256}, {64, 65, 256}, {1, 1024, 320}, {3, 65, 100}, {65, 400, 100}, {2, 7, 5}};
  for (int r = 0; r < 160; r++) {
    const Shape s = r < 6 ? fixed[r] : Shape{randint(1, 9), randint(1, 40), randint(0, 40)};
    const int M = s.M, N = s.N, K = s.K;
    const int lda = K + (r & 3), ldb = K + ((r >> 2) & 3), ldc = N + (r % 3);
    const bool acc = (r & 1) == 1;
    const auto A = random_vec(static_cast<std::size_t>(M) * lda + 1);
    const auto B = random_vec(static_cast<std::size_t>(N) * ldb + 1);
    const auto C0 = random_vec(static_cast<std::size_t>(M) * ldc + 1);
    for (int threads : {1, 2, 3, 4}) {
      if (threads > 1 && r >= 12) break;
      charrnn::par::set_threads(threads);
      std::vector<float> C = C0, want = C0;
      t.gemv_n_rows(M, N, K, A.data(), lda, B.data(), ldb, C.data(), ldc, acc);
      for (int i = 0; i < M; i++)
        t.gemv_n(N, K, B.data(), ldb, A.data() + static_cast<std::size_t>(i) * lda,
                 want.data() + static_cast<std::size_t>(i) * ldc, acc);
      CHECK(std::memcmp(C.data(), want.data(), C.size() * sizeof(float)) == 0,
            "%s gemv_n_rows M=%d N=%d K=%d acc=%d threads=%d: differs from gemv_n row by row", t.isa, M, N, K, (int)acc,
            threads);
      cases++;
    }
  }
  charrnn::par::set_threads(saved);
  std::printf("  %-6s gemv_n_rows = gemv_n per row: %d cases  %s\n", t.isa, cases,
              g_failures == before ? "ok" : "FAILED");
}

void test_threads(const Table& t) {
  const int before = g_failures;
  const int saved = charrnn::par::threads();
  struct Shape {
    int M, N, K;
  };
  // {26, 16, 700}: split by rows, row 18..23 is a 4-row tile on one thread (26 = 18 + 4 + 4) and a 6-row tile on two.
  const Shape shapes[] = {{32, 2048, 512}, {1024, 320, 2048}, {1001, 1000, 77},
                          {2048, 65, 256}, {64, 64, 64},      {26, 16, 700}};
  int cases = 0;
  for (Form f : {Form::NN, Form::NT, Form::TN})
    for (const Shape& s : shapes)
      for (bool acc : {false, true}) {
        const int M = s.M, N = s.N, K = s.K;
        const int lda = f == Form::TN ? M : K, ldb = f == Form::NT ? K : N;
        const auto A = random_vec(static_cast<std::size_t>(M) * K);
        const auto B = random_vec(static_cast<std::size_t>(K) * N);
        const auto C0 = random_vec(static_cast<std::size_t>(M) * N);
        std::vector<float> ref;
        for (int threads : {1, 2, 3, 4}) {
          charrnn::par::set_threads(threads);
          std::vector<float> C = C0;
          GemmFn fn = f == Form::NN ? t.gemm_nn : f == Form::NT ? t.gemm_nt : t.gemm_tn;
          fn(M, N, K, A.data(), lda, B.data(), ldb, C.data(), N, acc);
          if (threads == 1)
            ref = C;
          else
            CHECK(std::memcmp(C.data(), ref.data(), C.size() * sizeof(float)) == 0,
                  "%s gemm_%s %dx%dx%d acc=%d: %d threads differ from 1", t.isa, form_name(f), M, N, K, acc, threads);
        }
        cases++;
      }
  // gemv (the sampling loop's products): W3's layer shapes, an odd one, both forms.
  const Shape vshapes[] = {{1024, 320, 0}, {1024, 512, 0}, {1001, 333, 0}, {65, 256, 0}};
  for (bool transposed : {false, true})
    for (const Shape& s : vshapes)
      for (bool acc : {false, true}) {
        const int M = s.M, N = s.N;
        const auto A = random_vec(static_cast<std::size_t>(M) * N);
        const auto x = random_vec(static_cast<std::size_t>(transposed ? M : N));
        const auto y0 = random_vec(static_cast<std::size_t>(transposed ? N : M));
        std::vector<float> ref;
        for (int threads : {1, 2, 3, 4}) {
          charrnn::par::set_threads(threads);
          std::vector<float> y = y0;
          (transposed ? t.gemv_t : t.gemv_n)(M, N, A.data(), N, x.data(), y.data(), acc);
          if (threads == 1)
            ref = y;
          else
            CHECK(std::memcmp(y.data(), ref.data(), y.size() * sizeof(float)) == 0,
                  "%s gemv_%s %dx%d acc=%d: %d threads differ from 1", t.isa, transposed ? "t" : "n", M, N, acc,
                  threads);
        }
        cases++;
      }
  charrnn::par::set_threads(saved);
  std::printf("  %-6s gemm/gemv threads 1/2/3/4: %d cases bit-identical  %s\n", t.isa, cases,
              g_failures == before ? "ok" : "FAILED");
}

// The row entries: colsum gives the same bits on every table (one double add per element and row, rows in order);
// softmax_xent is softmax_xent_rows over the table's exp on "scalar" (bit for bit) and a vector form elsewhere that
// sums in another order (loss and dby to double rounding, dY to a float ulp or two).
void test_rows(const Table& t) {
  const int before = g_failures;
  int cases = 0;
  for (std::size_t R : {1, 3, 25, 100})
    for (std::size_t N : {1, 7, 8, 9, 65, 100, 513}) {
      const auto src = random_vec(R * N);
      std::vector<double> ref(N + 1), got(N + 1);
      for (std::size_t j = 0; j <= N; j++) ref[j] = got[j] = uniform(-1.0f, 1.0f);
      for (std::size_t r = 0; r < R; r++)
        for (std::size_t j = 0; j < N; j++) ref[j] += src[r * N + j];
      t.colsum(R, N, src.data(), got.data());
      CHECK(std::memcmp(ref.data(), got.data(), (N + 1) * sizeof(double)) == 0, "%s colsum R=%zu N=%zu", t.isa, R, N);
      cases++;
    }
  const bool exact = std::strcmp(t.isa, "scalar") == 0;
  for (int R : {1, 5, 33})
    for (int V : {2, 7, 8, 9, 65, 100}) {
      std::vector<float> y((std::size_t)R * V + 1);
      for (auto& v : y) v = uniform(-5.0f, 5.0f);
      std::vector<std::int32_t> tg((std::size_t)R);
      for (auto& x : tg) x = randint(0, V - 1);
      std::vector<float> yr = y;
      std::vector<double> dr((std::size_t)V + 1, 0.25), dg((std::size_t)V + 1, 0.25);
      const double lr = softmax_xent_rows(t.exp, yr.data(), R, V, tg.data(), 0.5f, dr.data());
      const double lg = t.softmax_xent(y.data(), R, V, tg.data(), 0.5f, dg.data());
      if (exact) {
        CHECK(lr == lg && std::memcmp(yr.data(), y.data(), y.size() * sizeof(float)) == 0 &&
                  std::memcmp(dr.data(), dg.data(), dr.size() * sizeof(double)) == 0,
              "%s softmax_xent R=%d V=%d differs from softmax_xent_rows", t.isa, R, V);
      } else {
        CHECK(std::fabs(lr - lg) <= 1e-12 * std::fabs(lr), "%s softmax_xent R=%d V=%d loss %.17g vs %.17g", t.isa, R, V,
              lg, lr);
        for (std::size_t i = 0; i < y.size(); i++)
          CHECK(std::fabs(y[i] - yr[i]) <= 2.5e-7 * std::fabs(yr[i]) + 1e-30, "%s softmax_xent R=%d V=%d dY[%zu]",
                t.isa, R, V, i);
        for (std::size_t i = 0; i < dr.size(); i++)
          CHECK(std::fabs(dg[i] - dr[i]) <= 1e-13 * R, "%s softmax_xent R=%d V=%d dby[%zu]", t.isa, R, V, i);
      }
      cases++;
    }
  std::printf("  %-6s colsum/softmax_xent: %d cases  %s\n", t.isa, cases, g_failures == before ? "ok" : "FAILED");
}

// The clip + update sweep against the double loops (clip_update_f64): bit for bit on "scalar" and whenever eps is
// below float range; otherwise the float32 sweep, within a few float ulps per stored value (the bound the JS
// parity suite also uses: 1e-6 relative). Every kind, both clipping modes, weight decay, tails, nothing written
// past P.
void test_clip_update(const Table& t) {
  const int before = g_failures;
  const bool exact = std::strcmp(t.isa, "scalar") == 0;
  int cases = 0;
  const OptimKind kinds[] = {OptimKind::kSgd, OptimKind::kAdagrad, OptimKind::kRmsprop, OptimKind::kAdam};
  for (OptimKind kind : kinds)
    for (double momentum : {0.0, 0.9}) {
      if (momentum > 0 && kind != OptimKind::kSgd) continue;
      for (int clip = 0; clip < 3; clip++)
        for (double wd : {0.0, 1e-3})
          for (double eps : {1e-8, 1e-31})
            for (std::size_t P : {1, 7, 8, 9, 31, 513, 1030}) {
              OptimHyper h{kind, 0.01, momentum, 0.9, 0.999, eps, wd, clip == 1 ? 0.3 : 0.0, clip == 2 ? 2.0 : 0.0, 3};
              const std::size_t S = (kind == OptimKind::kAdam ? 2 : 1) * P;
              std::vector<float> p0 = random_vec(P + 1), g0 = random_vec(P + 1), s0(S + 1);
              for (auto& v : s0) v = uniform(0.0f, 0.5f);
              std::vector<float> pr = p0, gr = g0, sr = s0, pg = p0, gg = g0, sg = s0;
              const double nr = clip_update_f64(h, pr.data(), gr.data(), sr.data(), P);
              const double ng = t.clip_update(h, pg.data(), gg.data(), sg.data(), P);
              CHECK(pg[P] == p0[P] && gg[P] == g0[P] && sg[S] == s0[S], "%s clip_update P=%zu wrote past the end",
                    t.isa, P);
              if (exact || eps < 1e-30) {
                CHECK(nr == ng && pr == pg && gr == gg && sr == sg,
                      "%s clip_update kind=%d clip=%d wd=%g eps=%g P=%zu differs from clip_update_f64", t.isa,
                      (int)kind, clip, wd, eps, P);
              } else {
                CHECK(std::fabs(nr - ng) <= 1e-6 * nr, "%s clip_update norm %.9g vs %.9g", t.isa, ng, nr);
                // Per stored value, relative to the larger of its old and new magnitude (an update that cancels
                // most of p keeps the rounding error of the operands, not of the small result).
                double worst = 0;
                for (std::size_t i = 0; i < P; i++)
                  worst = std::max(worst, std::fabs(pg[i] - pr[i]) /
                                              std::max({1e-6, (double)std::fabs(pr[i]), (double)std::fabs(p0[i])}));
                for (std::size_t i = 0; i < S; i++)
                  worst = std::max(worst, std::fabs(sg[i] - sr[i]) /
                                              std::max({1e-6, (double)std::fabs(sr[i]), (double)std::fabs(s0[i])}));
                CHECK(gg == gr, "%s clip_update kind=%d clip=%d P=%zu: clipped gradient differs", t.isa, (int)kind,
                      clip, P);
                CHECK(worst <= 1e-6, "%s clip_update kind=%d clip=%d wd=%g P=%zu: max rel diff %.3g", t.isa, (int)kind,
                      clip, wd, P, worst);
              }
              cases++;
            }
    }
  CHECK((t.rnn_chunk == nullptr) == (t.rnn_chunk_scratch == nullptr), "%s: rnn_chunk without its scratch size", t.isa);
  std::printf("  %-6s clip_update: %d cases  %s\n", t.isa, cases, g_failures == before ? "ok" : "FAILED");
}

}  // namespace

// The AVX-512 table runs the AVX2 table's packing and per-element FMA order with wider tiles (kernels_x86.inc), so
// both must give bit-identical gemm and pre-packed gemm results: checked on the awkward and the char-RNN shapes.
void test_x86_twins() {
  const Table* a = table_for("avx2");
  const Table* z = table_for("avx512");
  if (a == nullptr || z == nullptr) {
    std::printf("  avx512 vs avx2: not both supported here, skipped\n");
    return;
  }
  const int before = g_failures;
  const int shapes[][3] = {{32, 1024, 256}, {32, 256, 1024}, {2048, 1024, 64}, {1024, 256, 2048}, {65, 256, 2048},
                           {2048, 65, 256}, {7, 17, 300},    {13, 33, 513},    {145, 97, 513},    {1, 65, 100},
                           {25, 47, 31},    {12, 32, 5},     {11, 31, 600},    {2, 3, 4}};
  int cases = 0;
  for (auto& sh : shapes)
    for (Form f : {Form::NN, Form::NT, Form::TN})
      for (bool acc : {false, true}) {
        const int M = sh[0], N = sh[1], K = sh[2];
        const int lda = (f == Form::TN ? M : K) + 1, ldb = (f == Form::NT ? K : N) + 2, ldc = N + 3;
        const auto A = random_vec((std::size_t)(f == Form::TN ? K : M) * lda);
        const auto B = random_vec((std::size_t)(f == Form::NT ? N : K) * ldb);
        const auto C0 = random_vec((std::size_t)M * ldc);
        std::vector<float> Ca = C0, Cz = C0;
        const GemmFn fa = f == Form::NN ? a->gemm_nn : f == Form::NT ? a->gemm_nt : a->gemm_tn;
        const GemmFn fz = f == Form::NN ? z->gemm_nn : f == Form::NT ? z->gemm_nt : z->gemm_tn;
        fa(M, N, K, A.data(), lda, B.data(), ldb, Ca.data(), ldc, acc);
        fz(M, N, K, A.data(), lda, B.data(), ldb, Cz.data(), ldc, acc);
        CHECK(std::memcmp(Ca.data(), Cz.data(), Ca.size() * sizeof(float)) == 0,
              "avx512 gemm_%s M=%d N=%d K=%d acc=%d differs from avx2", form_name(f), M, N, K, (int)acc);
        cases++;
        if (f == Form::TN) continue;
        const bool trans = f == Form::NT;  // pre-packed B of the same operand
        charrnn::Scratch<float> Pa, Pz;
        Pa.grow(a->packed_b_size(K, N) + 1);
        Pz.grow(z->packed_b_size(K, N) + 1);
        a->pack_b(K, N, B.data(), ldb, trans, Pa.data());
        z->pack_b(K, N, B.data(), ldb, trans, Pz.data());
        std::vector<float> Da = C0, Dz = C0;
        a->gemm_pb(M, N, K, A.data(), lda, Pa.data(), 0, N, Da.data(), ldc, acc);
        z->gemm_pb(M, N, K, A.data(), lda, Pz.data(), 0, N, Dz.data(), ldc, acc);
        CHECK(std::memcmp(Da.data(), Dz.data(), Da.size() * sizeof(float)) == 0,
              "avx512 gemm_pb M=%d N=%d K=%d trans=%d acc=%d differs from avx2", M, N, K, (int)trans, (int)acc);
        cases++;
      }
  std::printf("  avx512 vs avx2: %d gemm / pre-packed gemm cases bit-identical  %s\n", cases,
              g_failures == before ? "ok" : "FAILED");
}

int main(int argc, char** argv) {
  const bool exhaustive = argc > 1 && std::strcmp(argv[1], "--exhaustive") == 0;
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;  // for the slow sanitizer build
  const std::uint32_t stride = exhaustive ? 1 : quick ? 997 : 61;
  std::printf("kernel_test%s\n", exhaustive ? " (exhaustive exp/tanh sweeps)" : "");
  test_dispatch();
  test_pool();
  int n = 0;
  const char* const* names = supported_isas(&n);
  for (int i = 0; i < n; i++) {
    const Table* t = table_for(names[i]);
    g_worst_ratio = 0.0;
    test_gemm(*t);
    test_threads(*t);
    test_packed(*t);
    test_gemv(*t);
    test_gemv_rows(*t);
    test_level1(*t);
    test_exp(*t, stride);
    test_tanh(*t, stride);
    test_rows(*t);
    test_clip_update(*t);
  }
  test_x86_twins();
  if (g_failures) {
    std::printf("%d check(s) FAILED\n", g_failures);
    return 1;
  }
  std::printf("all kernel tests passed\n");
  return 0;
}
