// Turning a next-token distribution into a token: the native twin of src/sampling/draw.ts and of the generation
// rule of src/sampling/transform.ts (banned tokens, repetition penalty, top-k, top-p, then the draw).
// Deliberately no temperature (the softmax applies it before this runs) and no text (stop sequences are TS's).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../util/rng.h"
#include "interrupt.h"

namespace charrnn {
namespace nn {

// Ancestral draw: u = rng.next_float(); total = Σ probs (double, index order); the first i whose double
// running sum exceeds u·total; if rounding leaves none, the last i with probs[i] > 0 (0 if there is none).
int draw_from_probs(const float* probs, int V, Xoshiro128ss& rng);

// First index of the maximum value (greedy decoding); comparisons exactly as argmax in draw.ts.
int argmax(const float* values, int V);

// Generation options of the transform rule (src/sampling/transform.ts); the defaults change nothing.
struct TransformSpec {
  const std::int32_t* banned = nullptr;  // ids never picked (validated in range by the caller)
  std::size_t n_banned = 0;
  double repetition_penalty = 1.0;  // θ ≥ 1
  std::size_t repetition_window = 64;
  int top_k = 0;       // 0 or ≥ V = off
  double top_p = 1.0;  // (0, 1]; 1 = off
  bool identity() const { return n_banned == 0 && repetition_penalty == 1.0 && top_k == 0 && top_p == 1.0; }
};

// Picks each token of a sampling loop by the transform rule, operation for operation as Transformer.pick in
// transform.ts (float32 storage; float64 sums, products and divisions; ties by ascending id). The history is the
// prime followed by the tokens generated so far. Scratch is sized once (V floats/ints).
class TokenPicker {
 public:
  TokenPicker(const TransformSpec& spec, int V);
  int pick(const float* probs, const std::int32_t* prime, std::size_t n_prime, const std::int32_t* out,
           std::size_t n_out, bool greedy, Xoshiro128ss& rng);

 private:
  const TransformSpec spec_;
  const int V_;
  std::vector<float> w_;
  std::vector<std::int32_t> order_;
  std::vector<unsigned char> marked_;
};

// The sampling loop of every model: feed the prime, then pick → record → feed each new token. `step(token)` runs the
// model one step and leaves the next distribution in `probs` (greedy callers feed it the untempered distribution,
// as the JS backend does). Checks check_interrupt() every 64 tokens (interrupt.h: throws Stopped).
template <class Step>
void sample_loop(const std::int32_t* prime, std::size_t n_prime, std::int32_t* out, std::size_t length, bool greedy,
                 Xoshiro128ss& rng, const float* probs, TokenPicker& picker, Step&& step) {
  constexpr std::size_t kCheckEvery = 64;  // tokens between check_interrupt() calls
  for (std::size_t i = 0; i < n_prime; i++) {
    if (i % kCheckEvery == kCheckEvery - 1) check_interrupt();
    step(prime[i]);
  }
  for (std::size_t i = 0; i < length; i++) {
    if (i % kCheckEvery == kCheckEvery - 1) check_interrupt();
    const int tok = picker.pick(probs, prime, n_prime, out, i, greedy, rng);
    out[i] = tok;
    step(tok);
  }
}

}  // namespace nn
}  // namespace charrnn
