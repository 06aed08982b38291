// A deadline for long loops (evaluate checks it once per block of positions): past it, the loop throws Interrupted
// and its result is discarded. Deliberately tiny: a clock read per block costs nothing next to a block's gemm.
#pragma once
#include <chrono>
#include <exception>

namespace charrnn {
namespace nn {

struct Deadline {
  std::chrono::steady_clock::time_point at = std::chrono::steady_clock::time_point::max();
  bool passed() const { return std::chrono::steady_clock::now() >= at; }
};

// Thrown by a loop whose Deadline passed; nothing it computed is kept.
struct Interrupted : std::exception {
  const char* what() const noexcept override { return "interrupted: the deadline passed"; }
};

inline void check_deadline(const Deadline* d) {
  if (d != nullptr && d->passed()) throw Interrupted();
}

}  // namespace nn
}  // namespace charrnn
