// AVX-512 kernels (x86-64 only): the body of kernels_x86.inc compiled for AVX-512F (+ AVX2, FMA) through the target
// pragma below, whose gemm micro-kernels use zmm registers (the build never passes -mavx512f/-march=native);
// dispatch.cc calls into this file only after __builtin_cpu_supports("avx512f"), ("avx2") and ("fma") said yes.
// Everything but table_avx512() is TU-local.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "internal.h"
#include "../util/threadpool.h"

#if defined(__x86_64__) || defined(_M_X64)

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
#endif
#include <immintrin.h>

#define CHARRNN_X86_ISA "avx512"
#define CHARRNN_X86_AVX512 1
#include "kernels_x86.inc"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace charrnn {
namespace kernels {
namespace detail {
// Outside the AVX-512 region on purpose: returning the table's address must be safe on any x86-64 CPU.
const Table* table_avx512() { return &kTable; }
}  // namespace detail
}  // namespace kernels
}  // namespace charrnn

#else  // not x86-64: no AVX-512 table in this build

namespace charrnn {
namespace kernels {
namespace detail {
const Table* table_avx512() { return nullptr; }
}  // namespace detail
}  // namespace kernels
}  // namespace charrnn

#endif
