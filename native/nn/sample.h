// Turning a next-token distribution into a token: the native twin of src/generate/draw.ts.
// Deliberately nothing else (no temperature, no top-k): those shape `probs` before this runs.
#pragma once
#include "../util/rng.h"

namespace charrnn {
namespace nn {

// Ancestral draw: u = rng.next_float(); total = Σ probs (double, index order); the first i whose double
// running sum exceeds u·total; if rounding leaves none, the last i with probs[i] > 0 (0 if there is none).
int draw_from_probs(const float* probs, int V, Xoshiro128ss& rng);

// First index of the maximum value (greedy decoding); comparisons exactly as argmax in draw.ts.
int argmax(const float* values, int V);

}  // namespace nn
}  // namespace charrnn
