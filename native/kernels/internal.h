// Internal declarations shared by the kernel files (dispatch, reference, one file per ISA).
// Not part of the contract: nothing outside native/kernels/ and native/tests/ should include this.
#pragma once
#include <cstddef>

#include "kernels.h"

namespace charrnn {
namespace kernels {
namespace detail {

// Per-ISA tables. table_avx512() / table_avx2() return nullptr when the build has no such file (non-x86);
// whether the CPU supports it is decided in dispatch.cc, never here.
const Table& table_scalar();
const Table* table_avx512();
const Table* table_avx2();
const Table* table_neon();

// Registry slots (dispatch.cc): at most this many ISA tables in one build.
constexpr int kMaxTables = 4;

// Fill *out with `serial` whose gemm entries split large products over the thread pool (parallel.cc).
// Each slot in [0, kMaxTables) may be installed once, for one serial table.
void make_parallel(int slot, const Table& serial, Table* out);

// Shared scalar helpers (kernels_scalar.cc), also used by ISA files for tails.
void gemv_n_scalar(int M, int N, const float* A, int lda, const float* x, float* y, bool accumulate);
void gemv_t_scalar(int M, int N, const float* A, int lda, const float* x, float* y, bool accumulate);

}  // namespace detail
}  // namespace kernels
}  // namespace charrnn
