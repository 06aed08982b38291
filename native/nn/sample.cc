// Token draws: see sample.h. Must stay operation-for-operation identical to src/generate/draw.ts.
#include "sample.h"

namespace charrnn {
namespace nn {

int draw_from_probs(const float* probs, int V, Xoshiro128ss& rng) {
  const double u = rng.next_float();
  double total = 0.0;
  for (int i = 0; i < V; i++) total += probs[i];
  const double target = u * total;
  double cum = 0.0;
  int last = -1;
  for (int i = 0; i < V; i++) {
    const double p = probs[i];
    cum += p;
    if (cum > target) return i;
    if (p > 0) last = i;
  }
  return last < 0 ? 0 : last;
}

int argmax(const float* values, int V) {
  int best = 0;
  float best_value = values[0];
  for (int i = 1; i < V; i++) {
    if (values[i] > best_value) {
      best_value = values[i];
      best = i;
    }
  }
  return best;
}

}  // namespace nn
}  // namespace charrnn
