// The portable row and optimizer forms of the kernel contract (kernels.h): softmax_xent_rows over any table's exp,
// and the double-precision clip + update sweep. The scalar table runs both; the stacked cells run the softmax with
// the active table's exp; the x86 tables fall back to the sweep for an eps below float range. No intrinsics, no ISA
// flags, no allocation.
//   sgd:      momentum > 0 ? (v ← μv + g; p ← p − lr·v) : p ← p − lr·g
//   adagrad:  m ← m + g²;  p ← p − lr·g / √(m + eps)             (min-char-rnn's form)
//   rmsprop:  m ← β2·m + (1−β2)·g²;  p ← p − lr·g / (√m + eps)   (PyTorch's form)
//   adam:     m1 ← β1·m1 + (1−β1)·g;  m2 ← β2·m2 + (1−β2)·g²;
//             p ← p − (lr / (1−β1^t))·m1 / (√m2 / √(1−β2^t) + eps)
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "kernels.h"

namespace charrnn {
namespace kernels {

using std::size_t;

double softmax_xent_rows(MapFn exp, float* Y, int R, int V, const std::int32_t* targets, float scale, double* dby) {
  double loss = 0.0;
  for (int r = 0; r < R; r++) {
    float* row = Y + static_cast<size_t>(r) * V;
    const int tgt = targets[r];
    const float yt = row[tgt];
    float m = row[0];
    for (int i = 1; i < V; i++)
      if (row[i] > m) m = row[i];
    for (int i = 0; i < V; i++) row[i] -= m;
    exp(static_cast<size_t>(V), row, row);
    double sum = 0.0;
    for (int i = 0; i < V; i++) sum += row[i];
    loss += std::log(sum) - static_cast<double>(yt - m);
    const double inv = 1.0 / sum;
    for (int i = 0; i < V; i++) {
      const double p = row[i] * inv;
      const double d = (i == tgt ? p - 1.0 : p) * scale;
      row[i] = static_cast<float>(d);
      dby[i] += d;
    }
  }
  return loss;
}

namespace {

double l2_norm(const float* g, size_t n) {
  double sq = 0.0;
  for (size_t i = 0; i < n; i++) sq += static_cast<double>(g[i]) * g[i];
  return std::sqrt(sq);
}

double clip_values(float* g, size_t n, double c) {
  double sq = 0.0;
  for (size_t i = 0; i < n; i++) {
    double v = g[i];
    if (v > c)
      v = c;
    else if (v < -c)
      v = -c;
    g[i] = static_cast<float>(v);
    sq += v * v;
  }
  return std::sqrt(sq);
}

}  // namespace

// Each loop mirrors applyUpdate in src/backends/js/optim.ts line by line (double arithmetic, float32 stores, state
// re-read after its store), so js/native differ only by the gradients they are fed.
double clip_update_f64(const OptimHyper& h, float* p, float* g, float* s, size_t P) {
  const double grad_norm = l2_norm(g, P);
  double norm = grad_norm;
  if (h.clip_value > 0) norm = clip_values(g, P, h.clip_value);
  const double scale = h.clip_norm > 0 && norm > h.clip_norm ? h.clip_norm / (norm + 1e-6) : 1.0;
  const double lr = h.lr;
  if (h.weight_decay > 0) {
    const double f = 1.0 - lr * h.weight_decay;
    for (size_t i = 0; i < P; i++) p[i] = static_cast<float>(p[i] * f);
  }
  switch (h.kind) {
    case OptimKind::kSgd:
      if (h.momentum > 0) {
        const double mu = h.momentum;
        for (size_t i = 0; i < P; i++) {
          s[i] = static_cast<float>(mu * s[i] + g[i] * scale);
          p[i] = static_cast<float>(p[i] - lr * s[i]);
        }
      } else {
        for (size_t i = 0; i < P; i++) p[i] = static_cast<float>(p[i] - lr * (g[i] * scale));
      }
      break;
    case OptimKind::kAdagrad: {
      const double eps = h.eps;
      for (size_t i = 0; i < P; i++) {
        const double gi = g[i] * scale;
        s[i] = static_cast<float>(s[i] + gi * gi);
        p[i] = static_cast<float>(p[i] - (lr * gi) / std::sqrt(s[i] + eps));
      }
      break;
    }
    case OptimKind::kRmsprop: {
      const double b2 = h.beta2, eps = h.eps;
      for (size_t i = 0; i < P; i++) {
        const double gi = g[i] * scale;
        s[i] = static_cast<float>(b2 * s[i] + (1 - b2) * gi * gi);
        p[i] = static_cast<float>(p[i] - (lr * gi) / (std::sqrt(static_cast<double>(s[i])) + eps));
      }
      break;
    }
    case OptimKind::kAdam: {
      const double b1 = h.beta1, b2 = h.beta2, eps = h.eps;
      const double step_size = lr / (1 - std::pow(b1, h.step));
      const double sqrt_bc2 = std::sqrt(1 - std::pow(b2, h.step));
      float* m1 = s;
      float* m2 = s + P;
      for (size_t i = 0; i < P; i++) {
        const double gi = g[i] * scale;
        m1[i] = static_cast<float>(b1 * m1[i] + (1 - b1) * gi);
        m2[i] = static_cast<float>(b2 * m2[i] + (1 - b2) * gi * gi);
        p[i] =
            static_cast<float>(p[i] - (step_size * m1[i]) / (std::sqrt(static_cast<double>(m2[i])) / sqrt_bc2 + eps));
      }
      break;
    }
  }
  return grad_norm;
}

}  // namespace kernels
}  // namespace charrnn
