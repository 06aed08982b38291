// Kernel micro-benchmark: checks every variant (scalar, avx2, and OpenBLAS when installed) on each shape, then
// times it and prints GFLOP/s; then times the softmax, column-sum and optimizer entries at W2's sizes. The char-RNN
// shapes come from WORKLOADS (W2: B=32 T=64 H=512 V=65; W9: B=64 T=128, 3-layer LSTM H=512 E=128; W1: B=1
// H=100 V=65; W3: 2-layer LSTM H=256 E=64). Deliberately not a test (kernel_test.cc is). Single-threaded by
// default (thread CPU time); `--threads N` runs our kernels on the pool and OpenBLAS with N threads (wall time);
// `--wall` times a single thread in wall time too (the W9 bench compares its wall-time GFLOP/s with the peak).
// OpenBLAS is only dlopen'ed here, if present, as a yardstick: the project never links or requires it.
//   ./kernel_bench [--wall] [--threads N] [shape-filter [variant-filter]]   e.g. ./kernel_bench 1024   or
//   ./kernel_bench W2 avx2
//   ./kernel_bench rows [variant-filter]                          the softmax, column-sum and optimizer entries
#include <dlfcn.h>

#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../kernels/kernels.h"
#include "../util/threadpool.h"

using namespace charrnn::kernels;

namespace {

// ---- OpenBLAS (optional) -----------------------------------------------------------------------------------
using CblasSgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*,
                            int);
using CblasSgemv = void (*)(int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
CblasSgemm g_sgemm = nullptr;
CblasSgemv g_sgemv = nullptr;
const char* g_corename = "?";
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

int g_threads = 1;
bool g_wall = false;  // --wall: wall time even on one thread

void load_openblas() {
  setenv("OPENBLAS_NUM_THREADS", std::to_string(g_threads).c_str(), 1);  // as many threads as ours
  // Debian's OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to its SSE3 "Prescott" kernels;
  // compare with its best kernels for this CPU: AVX-512 (SkylakeX) where the CPU has it, else AVX2 (Haswell),
  // unless the caller chose a core type.
  __builtin_cpu_init();
  setenv("OPENBLAS_CORETYPE", __builtin_cpu_supports("avx512f") ? "SkylakeX" : "Haswell", 0);
  const char* names[] = {"libopenblas.so.0", "libopenblas.so", "/usr/lib/x86_64-linux-gnu/libopenblas.so.0"};
  for (const char* n : names) {
    void* h = dlopen(n, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) continue;
    g_sgemm = reinterpret_cast<CblasSgemm>(dlsym(h, "cblas_sgemm"));
    g_sgemv = reinterpret_cast<CblasSgemv>(dlsym(h, "cblas_sgemv"));
    if (auto set_threads = reinterpret_cast<void (*)(int)>(dlsym(h, "openblas_set_num_threads")))
      set_threads(g_threads);
    if (auto corename = reinterpret_cast<char* (*)()>(dlsym(h, "openblas_get_corename"))) g_corename = corename();
    if (g_sgemm != nullptr) return;
  }
}

// ---- shapes ----------------------------------------------------------------------------------------------
enum class Op { NN, NT, TN, GemvN, GemvT, Rows };  // Rows: gemv_n_rows, NT-shaped (C[M,N] = A[M,K]·B[N,K]ᵀ)
struct Shape {
  const char* name;
  Op op;
  int M, N, K;  // gemv: A[M,N], K unused
  bool accumulate;
};
const Shape kShapes[] = {
    {"peak nn 1024^3", Op::NN, 1024, 1024, 1024, false},
    {"peak nt 1024^3", Op::NT, 1024, 1024, 1024, false},
    {"peak tn 1024^3", Op::TN, 1024, 1024, 1024, false},
    {"W2 logits     nt  M=2048 N=65  K=512 ", Op::NT, 2048, 65, 512, false},
    {"W2 recurrence nt  M=32   N=512 K=512 ", Op::NT, 32, 512, 512, true},
    {"W2 dWhh       tn  M=512  N=512 K=2048", Op::TN, 512, 512, 2048, true},
    {"W2 dWhy       tn  M=65   N=512 K=2048", Op::TN, 65, 512, 2048, true},
    {"W2 dh(out)    nn  M=2048 N=512 K=65  ", Op::NN, 2048, 512, 65, false},
    {"W2 dh(rec)    nn  M=32   N=512 K=512 ", Op::NN, 32, 512, 512, true},
    {"W3 input proj nt  M=2048 N=1024 K=64  ", Op::NT, 2048, 1024, 64, true},
    {"W3 input proj nt  M=2048 N=1024 K=256 ", Op::NT, 2048, 1024, 256, true},
    {"W3 recurrence nt  M=32   N=1024 K=256 ", Op::NT, 32, 1024, 256, true},
    {"W3 dh(rec)    nn  M=32   N=256  K=1024", Op::NN, 32, 256, 1024, true},
    {"W3 dWhh       tn  M=1024 N=256  K=2048", Op::TN, 1024, 256, 2048, false},
    {"W3 dWih l0    tn  M=1024 N=64   K=2048", Op::TN, 1024, 64, 2048, false},
    {"W3 dX         nn  M=2048 N=256  K=1024", Op::NN, 2048, 256, 1024, false},
    {"W9 input proj nt  M=8192 N=2048 K=512 ", Op::NT, 8192, 2048, 512, false},
    {"W9 recurrence nt  M=64   N=2048 K=512 ", Op::NT, 64, 2048, 512, true},
    {"W9 dh(rec)    nn  M=64   N=512  K=2048", Op::NN, 64, 512, 2048, true},
    {"W9 dWhh       tn  M=2048 N=512  K=8192", Op::TN, 2048, 512, 8192, false},
    {"W9 dX         nn  M=8192 N=512  K=2048", Op::NN, 8192, 512, 2048, false},
    {"W1 gemv_n 100x100 (Whh·h)", Op::GemvN, 100, 100, 0, true},
    {"W1 gemv_t 100x100 (Whhᵀ·dh)", Op::GemvT, 100, 100, 0, true},
    {"W1 gemv_n 65x100  (Why·h)", Op::GemvN, 65, 100, 0, false},
    {"W1 gemv_t 65x100  (Whyᵀ·dy)", Op::GemvT, 65, 100, 0, false},
    {"W1 gemm M=1 nt N=100 K=100", Op::NT, 1, 100, 100, true},
    {"W6 rec  rows M=64 N=1024 K=256", Op::Rows, 64, 1024, 256, true},
    {"W6 rec  nt   M=64 N=1024 K=256", Op::NT, 64, 1024, 256, true},
    {"W6 in0  rows M=64 N=1024 K=64 ", Op::Rows, 64, 1024, 64, false},
    {"W6 dec  rows M=64 N=65   K=256", Op::Rows, 64, 65, 256, false},
    {"W6 dec  nt   M=64 N=65   K=256", Op::NT, 64, 65, 256, false},
};

struct Variant {
  std::string name;
  const Table* table;  // nullptr = OpenBLAS
};

struct Buffers {
  std::vector<float> A, B, C, x, y;
  int lda, ldb;
};

bool is_gemv(Op op) { return op == Op::GemvN || op == Op::GemvT; }

void run_once(const Variant& v, const Shape& s, Buffers& b) {
  if (is_gemv(s.op)) {
    if (v.table != nullptr)
      (s.op == Op::GemvN ? v.table->gemv_n : v.table->gemv_t)(s.M, s.N, b.A.data(), b.lda, b.x.data(), b.y.data(),
                                                              s.accumulate);
    else
      g_sgemv(kRowMajor, s.op == Op::GemvN ? kNoTrans : kTrans, s.M, s.N, 1.0f, b.A.data(), b.lda, b.x.data(), 1,
              s.accumulate ? 1.0f : 0.0f, b.y.data(), 1);
    return;
  }
  if (v.table != nullptr) {
    GemmFn f = s.op == Op::NN   ? v.table->gemm_nn
               : s.op == Op::NT ? v.table->gemm_nt
               : s.op == Op::TN ? v.table->gemm_tn
                                : v.table->gemv_n_rows;
    f(s.M, s.N, s.K, b.A.data(), b.lda, b.B.data(), b.ldb, b.C.data(), s.N, s.accumulate);
  } else {
    g_sgemm(kRowMajor, s.op == Op::TN ? kTrans : kNoTrans, s.op == Op::NT || s.op == Op::Rows ? kTrans : kNoTrans, s.M,
            s.N, s.K, 1.0f, b.A.data(), b.lda, b.B.data(), b.ldb, s.accumulate ? 1.0f : 0.0f, b.C.data(), s.N);
  }
}

// Check against a double-precision recomputation of sampled outputs (a full naive reference at 1024³ would
// take seconds per variant). Returns max |diff| / (Σ|a·b| + |c0|); float32 sums of K terms stay ≲ K·2^-24.
double check(const Variant& v, const Shape& s, Buffers& b, std::mt19937& rng) {
  const std::vector<float> c0 = is_gemv(s.op) ? b.y : b.C;
  run_once(v, s, b);
  const std::vector<float>& out = is_gemv(s.op) ? b.y : b.C;
  double worst = 0.0;
  const int rows = is_gemv(s.op) ? 1 : s.M;
  const int cols = is_gemv(s.op) ? (s.op == Op::GemvN ? s.M : s.N) : s.N;
  for (int t = 0; t < 256; t++) {
    const int i = (int)(rng() % rows), j = (int)(rng() % cols);
    double exact = 0.0, mag = 0.0;
    const std::size_t idx = (std::size_t)i * cols + j;
    if (is_gemv(s.op)) {
      const int len = s.op == Op::GemvN ? s.N : s.M;
      for (int k = 0; k < len; k++) {
        const double p = s.op == Op::GemvN ? (double)b.A[(std::size_t)j * b.lda + k] * b.x[k]
                                           : (double)b.A[(std::size_t)k * b.lda + j] * b.x[k];
        exact += p, mag += std::fabs(p);
      }
    } else {
      for (int k = 0; k < s.K; k++) {
        const float a = s.op == Op::TN ? b.A[(std::size_t)k * b.lda + i] : b.A[(std::size_t)i * b.lda + k];
        const float bb =
            s.op == Op::NT || s.op == Op::Rows ? b.B[(std::size_t)j * b.ldb + k] : b.B[(std::size_t)k * b.ldb + j];
        exact += (double)a * bb, mag += std::fabs((double)a * bb);
      }
    }
    if (s.accumulate) exact += c0[idx], mag += std::fabs(c0[idx]);
    const double r = std::fabs(out[idx] - exact) / (mag + 1e-30);
    if (!(r <= worst)) worst = r;
  }
  return worst;
}

// Thread CPU time, not wall time: the bench shares a small machine with builds and test runs, and being
// descheduled is not the kernel's cost. Best of 7 batches.
struct ThreadClock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<ThreadClock>;
  static time_point now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return time_point(duration((long long)ts.tv_sec * 1000000000LL + ts.tv_nsec));
  }
};

template <typename clk>
double seconds_per_call(const Variant& v, const Shape& s, Buffers& b) {
  for (int w = 0; w < 3; w++) run_once(v, s, b);
  int reps = 1;
  double best = 1e30;
  for (;;) {  // grow reps until one batch takes ≥ 20 ms
    const auto t0 = clk::now();
    for (int r = 0; r < reps; r++) run_once(v, s, b);
    const double dt = std::chrono::duration<double>(clk::now() - t0).count();
    if (dt >= 0.02) {
      best = dt / reps;
      break;
    }
    reps *= 2;
  }
  for (int batch = 0; batch < 7; batch++) {
    const auto t0 = clk::now();
    for (int r = 0; r < reps; r++) run_once(v, s, b);
    const double dt = std::chrono::duration<double>(clk::now() - t0).count() / reps;
    if (dt < best) best = dt;
  }
  return best;
}

// The same best-of-7 timing for any callable (the row and optimizer entries below).
template <typename clk, typename F>
double seconds_per_run(F f) {
  for (int w = 0; w < 3; w++) f();
  int reps = 1;
  double best = 1e30;
  for (;;) {
    const auto t0 = clk::now();
    for (int r = 0; r < reps; r++) f();
    const double dt = std::chrono::duration<double>(clk::now() - t0).count();
    if (dt >= 0.02) {
      best = dt / reps;
      break;
    }
    reps *= 2;
  }
  for (int batch = 0; batch < 7; batch++) {
    const auto t0 = clk::now();
    for (int r = 0; r < reps; r++) f();
    const double dt = std::chrono::duration<double>(clk::now() - t0).count() / reps;
    if (dt < best) best = dt;
  }
  return best;
}

// `./kernel_bench rows` (and a run without filter): the per-chunk entries outside gemm at W2's sizes: softmax +
// cross-entropy over the chunk's logits, the bias column sums, and the Adam clip-norm sweep over the whole arena. µs
// per call (correctness: kernel_test.cc).
void bench_rows(const std::vector<const Table*>& tables) {
  constexpr int R = 2048, V = 65, H = 512;
  constexpr std::size_t P = (std::size_t)H * V * 2 + (std::size_t)H * H + H + V;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> y((std::size_t)R * V), rows((std::size_t)R * H), p(P), g(P), st(2 * P);
  for (auto* v : {&y, &rows, &p, &g})
    for (float& f : *v) f = u(rng);
  for (float& f : st) f = 0.5f * (u(rng) + 1.0f);
  std::vector<std::int32_t> tg(R);
  for (auto& t : tg) t = (int)(rng() % V);
  std::vector<double> acc(H > V ? H : V);
  const OptimHyper adam{OptimKind::kAdam, 2e-3, 0, 0.9, 0.999, 1e-8, 0, 0, 5, 10};
  for (const Table* t : tables) {
    struct Row {
      const char* name;
      double us;
    } out[3] = {};
    auto us = [](auto f) {
      return 1e6 * (g_threads == 1 && !g_wall ? seconds_per_run<ThreadClock>(f)
                                              : seconds_per_run<std::chrono::steady_clock>(f));
    };
    out[0] = {"W2 softmax_xent 2048x65", us([&] { t->softmax_xent(y.data(), R, V, tg.data(), 1.0f / R, acc.data()); })};
    out[1] = {"W2 colsum 2048x512", us([&] { t->colsum(R, H, rows.data(), acc.data()); })};
    out[2] = {"W2 clip_update adam clip-norm P=329281",
              us([&] { t->clip_update(adam, p.data(), g.data(), st.data(), P); })};
    for (const Row& r : out) std::printf("%-40s %-9s %10s %10.2f\n", r.name, t->isa, "", r.us);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--wall") == 0) {
    g_wall = true;
    argc -= 1, argv += 1;
  }
  if (argc > 2 && std::strcmp(argv[1], "--threads") == 0) {
    g_threads = std::atoi(argv[2]);
    if (g_threads < 1 || g_threads > charrnn::par::kMaxThreads) {
      std::fprintf(stderr, "kernel_bench: --threads wants an integer in [1, %d]\n", charrnn::par::kMaxThreads);
      return 2;
    }
    argc -= 2, argv += 2;
  }
  charrnn::par::set_threads(g_threads);
  const char* filter = argc > 1 ? argv[1] : nullptr;
  const char* vfilter = argc > 2 ? argv[2] : nullptr;  // e.g. "avx2" or "a" (avx2 + openblas)
  load_openblas();
  std::vector<Variant> variants;
  int n = 0;
  const char* const* names = supported_isas(&n);
  for (int i = n - 1; i >= 0; i--) variants.push_back({names[i], table_for(names[i])});  // scalar first
  if (g_sgemm != nullptr) variants.push_back({"openblas", nullptr});
  if (g_sgemm != nullptr) std::printf("OpenBLAS core: %s\n", g_corename);
  if (g_threads == 1 && !g_wall)
    std::printf("kernel_bench: single thread, thread CPU time, best of 7 batches (≥ 20 ms each); variants:");
  else
    std::printf("kernel_bench: %d threads, wall time, best of 7 batches (≥ 20 ms each); variants:", g_threads);
  for (auto& v : variants) std::printf(" %s", v.name.c_str());
  std::printf("%s\n", g_sgemm ? "" : "  (OpenBLAS not found: apt-get install libopenblas0 to compare)");
  std::printf("%-40s %-9s %10s %10s %10s\n", "shape", "variant", "GFLOP/s", "us/call", "check");
  std::mt19937 rng(7);
  bool all_ok = true;
  for (const Shape& s : kShapes) {
    if (filter != nullptr && std::strstr(s.name, filter) == nullptr) continue;
    Buffers b;
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    if (is_gemv(s.op)) {
      b.lda = s.N;
      b.A.resize((std::size_t)s.M * s.N);
      b.x.resize(s.op == Op::GemvN ? s.N : s.M);
      b.y.resize(s.op == Op::GemvN ? s.M : s.N);
    } else {
      const int ar = s.op == Op::TN ? s.K : s.M, ac = s.op == Op::TN ? s.M : s.K;
      const bool bt = s.op == Op::NT || s.op == Op::Rows;
      const int br = bt ? s.N : s.K, bc = bt ? s.K : s.N;
      b.lda = ac, b.ldb = bc;
      b.A.resize((std::size_t)ar * ac);
      b.B.resize((std::size_t)br * bc);
      b.C.resize((std::size_t)s.M * s.N);
    }
    for (auto* vec : {&b.A, &b.B, &b.C, &b.x, &b.y})
      for (float& f : *vec) f = u(rng);
    const double flops = is_gemv(s.op) ? 2.0 * s.M * s.N : 2.0 * s.M * s.N * s.K;
    for (const Variant& v : variants) {
      if (v.table == nullptr && is_gemv(s.op) && g_sgemv == nullptr) continue;
      if (vfilter != nullptr && std::strstr(v.name.c_str(), vfilter) == nullptr) continue;
      const double err = check(v, s, b, rng);
      // float32 sums of ≤ 2048 products: relative to Σ|a·b|, ≤ K·2^-24 ≈ 1.2e-4 worst case, ~1e-6 typical.
      const bool ok = err <= (is_gemv(s.op) ? s.N + s.M : s.K + 2) * 5.96e-8;
      all_ok = all_ok && ok;
      const double t = g_threads == 1 && !g_wall ? seconds_per_call<ThreadClock>(v, s, b)
                                                 : seconds_per_call<std::chrono::steady_clock>(v, s, b);
      std::printf("%-40s %-9s %10.2f %10.2f %6.1e%s\n", s.name, v.name.c_str(), flops / t * 1e-9, t * 1e6, err,
                  ok ? "" : " FAIL");
      std::fflush(stdout);
    }
  }
  std::vector<const Table*> tables;
  for (int i = n - 1; i >= 0; i--)
    if (vfilter == nullptr || std::strstr(names[i], vfilter) != nullptr) tables.push_back(table_for(names[i]));
  if (filter == nullptr || std::strcmp(filter, "rows") == 0) bench_rows(tables);  // not under the gemm filters
  return all_ok ? 0 : 1;
}
