// Run-time ISA selection: detects the CPU once, builds the best-first list of tables, honours CHARRNN_SIMD.
// Deliberately holds no kernels itself and never calls an ISA file's code before its CPU check passed.
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "internal.h"

namespace charrnn {
namespace kernels {
namespace {

bool cpu_has_avx2_fma() {
#if defined(__x86_64__) || defined(_M_X64)
#if defined(__GNUC__)
  // libgcc's detection also checks that the OS saves YMM state (XCR0), so this is safe to trust.
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
#else
  return false;
#endif
}

bool cpu_has_avx512f() {
#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
  // As above: libgcc reports avx512f only when the OS also saves the opmask and ZMM state (XCR0).
  __builtin_cpu_init();
  return cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

// Every table handed out is the multi-threaded wrapper of an ISA table (parallel.cc); with one thread
// configured it calls the ISA's gemm directly.
struct Registry {
  Table threaded[detail::kMaxTables];
  const Table* tables[detail::kMaxTables];  // best first, scalar last
  const char* names[detail::kMaxTables];
  int count = 0;
  Registry() {
    if (cpu_has_avx512f())  // the CPU check comes first: nothing of kernels_avx512.cc runs without it
      if (const Table* t = detail::table_avx512(); t != nullptr) add(t);
    if (cpu_has_avx2_fma())  // likewise for kernels_avx2.cc
      if (const Table* t = detail::table_avx2(); t != nullptr) add(t);
    if (const Table* t = detail::table_neon(); t != nullptr) add(t);  // NEON is baseline on aarch64
    add(&detail::table_scalar());
  }
  void add(const Table* serial) {
    detail::make_parallel(count, *serial, &threaded[count]);
    const Table* t = &threaded[count];
    tables[count] = t;
    names[count] = t->isa;
    count++;
  }
  const Table* find(const char* name) const {
    if (name == nullptr) return nullptr;
    for (int i = 0; i < count; i++)
      if (std::strcmp(tables[i]->isa, name) == 0) return tables[i];
    return nullptr;
  }
};

const Registry& registry() {
  static const Registry r;  // thread-safe one-time init (C++11 magic static)
  return r;
}

// The table chosen before any set_isa(): the best one, unless CHARRNN_SIMD names a supported one.
// An unknown or unsupported CHARRNN_SIMD value keeps the best table.
const Table* initial_table() {
  static const Table* const t = [] {
    const Registry& r = registry();
    const Table* forced = r.find(std::getenv("CHARRNN_SIMD"));
    return forced != nullptr ? forced : r.tables[0];
  }();
  return t;
}

std::atomic<const Table*> g_active{nullptr};

}  // namespace

const Table& active() {
  const Table* t = g_active.load(std::memory_order_acquire);
  if (t != nullptr) return *t;
  const Table* expected = nullptr;
  g_active.compare_exchange_strong(expected, initial_table(), std::memory_order_acq_rel);
  return *g_active.load(std::memory_order_acquire);
}

bool set_isa(const char* name) {
  const Table* t = registry().find(name);
  if (t == nullptr) return false;
  g_active.store(t, std::memory_order_release);
  return true;
}

const char* const* supported_isas(int* n) {
  const Registry& r = registry();
  if (n != nullptr) *n = r.count;
  return r.names;
}

const Table* table_for(const char* name) { return registry().find(name); }

}  // namespace kernels
}  // namespace charrnn
