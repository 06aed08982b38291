// Multi-threaded gemm and gemv: wraps one ISA table's serial kernels so that a large product is split into
// independent column (or row) blocks of the output, one per pool thread (native/util/threadpool.h). Each block
// is a complete serial call over the whole reduction, with block edges on the kernels' own blocking boundaries
// (gemm micro-tiles; gemv_n's 8-row and gemv_t's 32-column blocks), so every output element is computed by the
// same instructions in the same order whatever the thread count: results are bit-identical for 1 or N threads.
// Small products (below kMinParallelMacs / kMinParallelGemv) stay on the calling thread.
// Deliberately no SIMD here and no packing of its own: the ISA kernels do all the arithmetic.
#include "internal.h"
#include "../util/threadpool.h"

namespace charrnn {
namespace kernels {
namespace detail {
namespace {

// Below this many multiply-adds a second thread costs more (wake-up, cache traffic) than it saves.
constexpr long long kMinParallelMacs = 1LL << 18;
// Block granularity: multiples of the widest micro-tile (6×16 AVX2: columns by 16, rows by 24 = 4·6 = 3·8).
constexpr int kColUnit = 16;
constexpr int kRowUnit = 24;

enum class Form { NN, NT, TN };

// How a product with M rows and `cols` columns of output (and `macs` multiply-adds) splits over the pool: into
// `parts` blocks of whole `unit`s of columns (the longer side) or rows; parts == 1 runs it inline.
struct Split {
  bool cols;
  int unit, units, parts;
  // Output range [lo, hi) of `part` within [0, total), as even as possible in whole units.
  void range(int part, int total, int* lo, int* hi) const {
    const int u0 = static_cast<int>(static_cast<long long>(units) * part / parts);
    const int u1 = static_cast<int>(static_cast<long long>(units) * (part + 1) / parts);
    *lo = u0 * unit;
    *hi = u1 * unit < total ? u1 * unit : total;
  }
};

Split plan(int M, int cols, long long macs, int col_unit) {
  Split s{cols >= M, 1, 1, 1};
  const int threads = par::threads();
  if (threads <= 1 || M <= 0 || cols <= 0 || macs < kMinParallelMacs) return s;
  s.unit = s.cols ? col_unit : kRowUnit;
  s.units = ((s.cols ? cols : M) + s.unit - 1) / s.unit;
  s.parts = s.units < threads ? s.units : threads;
  return s;
}

struct Job {
  GemmFn fn;
  Form form;
  int M, N, K;
  const float* A;
  int lda;
  const float* B;
  int ldb;
  float* C;
  int ldc;
  bool accumulate;
  Split split;
};

void run_block(void* ctx, int part) {
  const Job& j = *static_cast<const Job*>(ctx);
  int lo, hi;
  j.split.range(part, j.split.cols ? j.N : j.M, &lo, &hi);
  if (hi <= lo) return;
  const std::size_t off = static_cast<std::size_t>(lo);
  if (j.split.cols) {
    // C[:, lo:hi] = op(A)·op(B)[:, lo:hi]: B's columns are its rows in the NT form.
    const float* B = j.form == Form::NT ? j.B + off * static_cast<std::size_t>(j.ldb) : j.B + off;
    j.fn(j.M, hi - lo, j.K, j.A, j.lda, B, j.ldb, j.C + off, j.ldc, j.accumulate);
  } else {
    // C[lo:hi, :] = op(A)[lo:hi, :]·op(B): A's rows are its columns in the TN form.
    const float* A = j.form == Form::TN ? j.A + off : j.A + off * static_cast<std::size_t>(j.lda);
    j.fn(hi - lo, j.N, j.K, A, j.lda, j.B, j.ldb, j.C + off * static_cast<std::size_t>(j.ldc), j.ldc, j.accumulate);
  }
}

void parallel_gemm(GemmFn fn, Form form, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                   float* C, int ldc, bool accumulate) {
  const Split split = plan(M, N, static_cast<long long>(M) * N * K, kColUnit);
  if (split.parts > 1) {
    Job job{fn, form, M, N, K, A, lda, B, ldb, C, ldc, accumulate, split};
    par::run(split.parts, run_block, &job);
    return;
  }
  fn(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

// Pre-packed gemm: columns [j0, j1) in kPackedColUnit units (or rows by kRowUnit when M is the longer side).
struct PbJob {
  GemmPbFn fn;
  int M, N, K;
  const float* A;
  int lda;
  const float* Bp;
  int j0, j1;
  float* C;
  int ldc;
  bool accumulate;
  Split split;
};

void run_pb_block(void* ctx, int part) {
  const PbJob& j = *static_cast<const PbJob*>(ctx);
  int lo, hi;
  j.split.range(part, j.split.cols ? j.j1 - j.j0 : j.M, &lo, &hi);
  if (hi <= lo) return;
  if (j.split.cols) {
    j.fn(j.M, j.N, j.K, j.A, j.lda, j.Bp, j.j0 + lo, j.j0 + hi, j.C, j.ldc, j.accumulate);
  } else {
    const std::size_t off = static_cast<std::size_t>(lo);
    j.fn(hi - lo, j.N, j.K, j.A + off * static_cast<std::size_t>(j.lda), j.lda, j.Bp, j.j0, j.j1,
         j.C + off * static_cast<std::size_t>(j.ldc), j.ldc, j.accumulate);
  }
}

void parallel_pb(GemmPbFn fn, int M, int N, int K, const float* A, int lda, const float* Bp, int j0, int j1, float* C,
                 int ldc, bool accumulate) {
  const Split split = plan(M, j1 - j0, static_cast<long long>(M) * (j1 - j0) * K, kPackedColUnit);
  if (split.parts > 1) {
    PbJob job{fn, M, N, K, A, lda, Bp, j0, j1, C, ldc, accumulate, split};
    par::run(split.parts, run_pb_block, &job);
    return;
  }
  fn(M, N, K, A, lda, Bp, j0, j1, C, ldc, accumulate);
}

// gemv: a weight matrix of at least this many elements is worth splitting (sampling streams ~MBs per step).
constexpr long long kMinParallelGemv = 1LL << 16;
constexpr int kGemvRowUnit = 8;   // gemv_n blocks rows by 8
constexpr int kGemvColUnit = 32;  // gemv_t blocks columns by 32

struct GemvJob {
  GemvFn fn;
  bool transposed;  // gemv_t: split columns of A (= elements of y); gemv_n: split rows
  int M, N;
  const float* A;
  int lda;
  const float* x;
  float* y;
  bool accumulate;
  Split split;
};

void run_gemv_block(void* ctx, int part) {
  const GemvJob& j = *static_cast<const GemvJob*>(ctx);
  int lo, hi;
  j.split.range(part, j.transposed ? j.N : j.M, &lo, &hi);
  if (hi <= lo) return;
  const std::size_t off = static_cast<std::size_t>(lo);
  if (j.transposed)  // y[lo:hi] (+)= A[:, lo:hi]ᵀ·x
    j.fn(j.M, hi - lo, j.A + off, j.lda, j.x, j.y + off, j.accumulate);
  else  // y[lo:hi] (+)= A[lo:hi, :]·x
    j.fn(hi - lo, j.N, j.A + off * static_cast<std::size_t>(j.lda), j.lda, j.x, j.y + off, j.accumulate);
}

void parallel_gemv(GemvFn fn, bool transposed, int M, int N, const float* A, int lda, const float* x, float* y,
                   bool accumulate) {
  const int threads = par::threads();
  if (threads > 1 && M > 0 && N > 0 && static_cast<long long>(M) * N >= kMinParallelGemv) {
    Split split{transposed, transposed ? kGemvColUnit : kGemvRowUnit, 0, 0};
    split.units = ((transposed ? N : M) + split.unit - 1) / split.unit;
    split.parts = split.units < threads ? split.units : threads;
    if (split.parts > 1) {
      GemvJob job{fn, transposed, M, N, A, lda, x, y, accumulate, split};
      par::run(split.parts, run_gemv_block, &job);
      return;
    }
  }
  fn(M, N, A, lda, x, y, accumulate);
}

// gemv_n_rows: the weight rows (columns of C) split in gemv_n's 8-row units, so each part's rows are 8-row blocks
// or tail rows exactly as in the whole call (the row-for-row contract holds for any split); with fewer than two
// units of weight rows, the streams (rows of C) split instead.
void parallel_rows(GemmFn fn, int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                   bool accumulate) {
  const int threads = par::threads();
  if (threads > 1 && M > 0 && N > 0 && static_cast<long long>(M) * N * K >= kMinParallelMacs) {
    Split split{N >= 2 * kGemvRowUnit, 0, 0, 0};
    split.unit = split.cols ? kGemvRowUnit : 1;
    split.units = split.cols ? (N + kGemvRowUnit - 1) / kGemvRowUnit : M;
    split.parts = split.units < threads ? split.units : threads;
    if (split.parts > 1) {
      // gemm's NT block split: a column block reads the weight rows [lo, hi), a row block the streams [lo, hi).
      Job job{fn, Form::NT, M, N, K, A, lda, B, ldb, C, ldc, accumulate, split};
      par::run(split.parts, run_block, &job);
      return;
    }
  }
  fn(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

// One set of wrappers per registry slot (a function pointer cannot capture which serial table it wraps).
const Table* g_serial[kMaxTables];

template <int S>
void par_nn(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc, bool acc) {
  parallel_gemm(g_serial[S]->gemm_nn, Form::NN, M, N, K, A, lda, B, ldb, C, ldc, acc);
}
template <int S>
void par_nt(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc, bool acc) {
  parallel_gemm(g_serial[S]->gemm_nt, Form::NT, M, N, K, A, lda, B, ldb, C, ldc, acc);
}
template <int S>
void par_tn(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc, bool acc) {
  parallel_gemm(g_serial[S]->gemm_tn, Form::TN, M, N, K, A, lda, B, ldb, C, ldc, acc);
}

template <int S>
void par_gemv_n(int M, int N, const float* A, int lda, const float* x, float* y, bool acc) {
  parallel_gemv(g_serial[S]->gemv_n, false, M, N, A, lda, x, y, acc);
}
template <int S>
void par_gemv_t(int M, int N, const float* A, int lda, const float* x, float* y, bool acc) {
  parallel_gemv(g_serial[S]->gemv_t, true, M, N, A, lda, x, y, acc);
}

template <int S>
void par_rows(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc, bool acc) {
  parallel_rows(g_serial[S]->gemv_n_rows, M, N, K, A, lda, B, ldb, C, ldc, acc);
}

template <int S>
void par_pb(int M, int N, int K, const float* A, int lda, const float* Bp, int j0, int j1, float* C, int ldc,
            bool acc) {
  parallel_pb(g_serial[S]->gemm_pb, M, N, K, A, lda, Bp, j0, j1, C, ldc, acc);
}

template <int S>
void install(const Table& serial, Table* out) {
  g_serial[S] = &serial;
  *out = serial;
  out->gemm_nn = par_nn<S>;
  out->gemm_nt = par_nt<S>;
  out->gemm_tn = par_tn<S>;
  out->gemv_n = par_gemv_n<S>;
  out->gemv_t = par_gemv_t<S>;
  out->gemm_pb = par_pb<S>;
  out->gemv_n_rows = par_rows<S>;
}

}  // namespace

void make_parallel(int slot, const Table& serial, Table* out) {
  switch (slot) {
    case 0: return install<0>(serial, out);
    case 1: return install<1>(serial, out);
    case 2: return install<2>(serial, out);
    default: return install<3>(serial, out);
  }
}

}  // namespace detail
}  // namespace kernels
}  // namespace charrnn
