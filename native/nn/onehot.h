// The weight gradient of a one-hot input, shared by the vanilla reference chunk (rnn.cc) and the stacked cells
// (stack.cc): dW [N, V] gets, in column x, the sum of the gradient rows dA[r] of every step r whose input is x.
// Deliberately one summation order (rows ascending) for both strategies, so the result never depends on which ran.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace charrnn {
namespace nn {

// dA [rows, N]; `scratch` [V, N] (nullptr = strided adds straight into dW). With scratch, each row is added
// contiguously into its token's scratch row and dW is the scratch transposed once — cheaper when V ≤ rows.
inline void one_hot_weight_grad(const std::int32_t* inputs, std::size_t rows, const float* dA, std::size_t N,
                                std::size_t V, float* scratch, float* dW) {
  if (scratch != nullptr) {
    std::fill(scratch, scratch + V * N, 0.0f);
    for (std::size_t r = 0; r < rows; r++) {
      float* dst = scratch + static_cast<std::size_t>(inputs[r]) * N;
      const float* row = dA + r * N;
      for (std::size_t j = 0; j < N; j++) dst[j] += row[j];
    }
    for (std::size_t j = 0; j < N; j++)
      for (std::size_t v = 0; v < V; v++) dW[j * V + v] = scratch[v * N + j];
  } else {
    std::fill(dW, dW + N * V, 0.0f);
    for (std::size_t r = 0; r < rows; r++) {
      const std::size_t x = static_cast<std::size_t>(inputs[r]);
      const float* row = dA + r * N;
      for (std::size_t j = 0; j < N; j++) dW[j * V + x] += row[j];
    }
  }
}

}  // namespace nn
}  // namespace charrnn
