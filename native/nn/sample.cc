// Token draws: see sample.h. Must stay operation-for-operation identical to src/sampling/draw.ts and to
// Transformer in src/sampling/transform.ts.
#include "sample.h"

#include <algorithm>

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

TokenPicker::TokenPicker(const TransformSpec& spec, int V)
    : spec_(spec),
      V_(V),
      w_(spec.identity() ? 0 : static_cast<std::size_t>(V)),
      order_(spec.identity() ? 0 : static_cast<std::size_t>(V)),
      marked_(spec.identity() ? 0 : static_cast<std::size_t>(V), 0) {}

int TokenPicker::pick(const float* probs, const std::int32_t* prime, std::size_t n_prime, const std::int32_t* out,
                      std::size_t n_out, bool greedy, Xoshiro128ss& rng) {
  if (spec_.identity()) return greedy ? argmax(probs, V_) : draw_from_probs(probs, V_, rng);
  const int V = V_;
  float* w = w_.data();
  std::copy(probs, probs + V, w);
  // 1. banned
  for (std::size_t j = 0; j < spec_.n_banned; j++) w[spec_.banned[j]] = 0.0f;
  // 2. repetition penalty over the distinct ids among the last `window` history tokens
  if (spec_.repetition_penalty != 1.0) {
    const std::size_t n = n_prime + n_out;
    const std::size_t from = n > spec_.repetition_window ? n - spec_.repetition_window : 0;
    auto hist = [&](std::size_t j) { return j < n_prime ? prime[j] : out[j - n_prime]; };
    for (std::size_t j = from; j < n; j++) {
      const std::int32_t id = hist(j);
      if (marked_[id]) continue;
      marked_[id] = 1;
      w[id] = static_cast<float>(static_cast<double>(w[id]) / spec_.repetition_penalty);
    }
    for (std::size_t j = from; j < n; j++) marked_[hist(j)] = 0;
  }
  // 3–4. top-k and top-p over the ranking by w descending, ties by ascending id
  const int k = spec_.top_k > 0 && spec_.top_k < V ? spec_.top_k : 0;
  if (k > 0 || spec_.top_p < 1.0) {
    std::int32_t* order = order_.data();
    for (int i = 0; i < V; i++) order[i] = i;
    std::sort(order, order + V, [w](std::int32_t a, std::int32_t b) { return w[a] > w[b] || (w[a] == w[b] && a < b); });
    if (k > 0)
      for (int r = k; r < V; r++) w[order[r]] = 0.0f;
    if (spec_.top_p < 1.0) {
      double total = 0.0;
      for (int i = 0; i < V; i++) total += w[i];
      const double target = spec_.top_p * total;
      double c = 0.0;
      int keep = V;
      for (int r = 0; r < V; r++) {
        c += w[order[r]];
        if (c >= target) {
          keep = r + 1;
          break;
        }
      }
      for (int r = keep; r < V; r++) w[order[r]] = 0.0f;
    }
  }
  // 5. pick; Σ w = 0 → the first unbanned id with the largest p, without a draw
  double total = 0.0;
  for (int i = 0; i < V; i++) total += w[i];
  if (total == 0.0) {
    std::copy(probs, probs + V, w);
    for (std::size_t j = 0; j < spec_.n_banned; j++) w[spec_.banned[j]] = -1.0f;
    return argmax(w, V);
  }
  return greedy ? argmax(w, V) : draw_from_probs(w, V, rng);
}

}  // namespace nn
}  // namespace charrnn
