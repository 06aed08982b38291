// Softmax / cross-entropy rows: see softmax.h. Sums in double so the loss matches the float64 JS
// reference to float rounding of the logits; exponentials from the active kernel table.
#include "softmax.h"

#include <cmath>
#include <cstddef>

namespace charrnn {
namespace nn {

namespace {

// row[i] ← exp(row[i] − max row); returns Σ exp (double) and the max in *m.
inline double exp_shifted(const kernels::Table& k, float* row, int V, float* m_out) {
  float m = row[0];
  for (int i = 1; i < V; i++)
    if (row[i] > m) m = row[i];
  for (int i = 0; i < V; i++) row[i] -= m;
  k.exp(static_cast<std::size_t>(V), row, row);
  double sum = 0.0;
  for (int i = 0; i < V; i++) sum += row[i];
  *m_out = m;
  return sum;
}

}  // namespace

double softmax_xent_backward(const kernels::Table& k, float* Y, int R, int V, const std::int32_t* targets, float scale,
                             double* dby_acc) {
  return kernels::softmax_xent_rows(k.exp, Y, R, V, targets, scale, dby_acc);
}

double softmax_xent_loss(const kernels::Table& k, float* Y, int R, int V, const std::int32_t* targets) {
  double loss = 0.0;
  for (int r = 0; r < R; r++) {
    float* row = Y + static_cast<std::size_t>(r) * V;
    const float yt = row[targets[r]];
    float m;
    const double sum = exp_shifted(k, row, V, &m);
    loss += std::log(sum) - static_cast<double>(yt - m);
  }
  return loss;
}

void softmax_temperature(const kernels::Table& k, const float* y, float* probs, int V, double temperature) {
  float m = y[0];
  for (int i = 1; i < V; i++)
    if (y[i] > m) m = y[i];
  for (int i = 0; i < V; i++) {
    double z = (static_cast<double>(y[i]) - m) / temperature;
    if (z < -1000.0) z = -1000.0;  // NaN passes through unchanged
    probs[i] = static_cast<float>(z);
  }
  k.exp(static_cast<std::size_t>(V), probs, probs);
  double sum = 0.0;
  for (int i = 0; i < V; i++) sum += probs[i];
  for (int i = 0; i < V; i++) probs[i] = static_cast<float>(probs[i] / sum);
}

}  // namespace nn
}  // namespace charrnn
