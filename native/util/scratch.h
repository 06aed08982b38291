// Aligned, grow-only float scratch for the native sessions: allocated when a shape grows, never per step.
// Deliberately not a general container: no copy, no shrink; contents are undefined after grow().
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>

namespace charrnn {

template <typename Elem>
class Scratch {
 public:
  static constexpr std::size_t kAlign = 64;  // one cache line; enough for any SIMD width we dispatch to

  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { std::free(data_); }

  // Ensure room for n elements (throws std::bad_alloc). Existing contents are not preserved.
  Elem* grow(std::size_t n) {
    if (n <= capacity_) return data_;
    std::size_t bytes = n * sizeof(Elem);
    bytes = (bytes + kAlign - 1) / kAlign * kAlign;
    void* p = std::aligned_alloc(kAlign, bytes);
    if (p == nullptr) throw std::bad_alloc();
    std::free(data_);
    data_ = static_cast<Elem*>(p);
    capacity_ = n;
    return data_;
  }

  Elem* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }

 private:
  Elem* data_ = nullptr;
  std::size_t capacity_ = 0;
};

}  // namespace charrnn
