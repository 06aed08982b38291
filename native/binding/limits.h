// The bounds the binding enforces on every argument: one definition of each, the same values as the TS facade's
// (src/model/config.ts MAX_*; test/unit/limits.test.ts checks they agree through
// the binding's exported `limits`). Every message that states a bound builds it from these constants.
#pragma once
#include <cstdint>
#include <string>

namespace charrnn {
namespace binding {

constexpr std::int64_t kMaxHidden = 16384;                           // width of one layer
constexpr std::int64_t kMaxVocab = std::int64_t{1} << 20;            // vocabulary size
constexpr std::int64_t kMaxLayers = 64;                              // stacked layers
constexpr std::int64_t kMaxEmbedding = 16384;                        // embedding width
constexpr std::int64_t kMaxClasses = std::int64_t{1} << 16;          // labels of a 'classify' / 'tag' model
constexpr std::int64_t kMaxScratchElements = std::int64_t{1} << 29;  // B·T·max(row width) per call
constexpr std::int64_t kMaxSampleLength = std::int64_t{1} << 30;     // tokens per sample call (and its window)
constexpr std::int64_t kMaxInt = 2147483647;                         // kernel sizes, strides and top-k are C ints
constexpr std::int64_t kMaxSafeInteger = 9007199254740991;           // Number.MAX_SAFE_INTEGER

// "[lo, hi]" of two bounds, the interval notation of every range message.
inline std::string interval(std::int64_t lo, std::int64_t hi) {
  return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
}

}  // namespace binding
}  // namespace charrnn
