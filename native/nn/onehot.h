// The weight gradient of a one-hot input, shared by the vanilla reference chunk (rnn.cc) and the stacked cells
// (stack.cc): dW [N, V] gets, in column x, the sum of the gradient rows dA[r] of every step r whose input is x.
// Deliberately one summation order (rows ascending) for both strategies, so the result never depends on which ran.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace charrnn {
namespace nn {

// Columns [j0, j1) of the per-token row sums: table [V, N] row v = Σ dA[r] over the rows r whose input is v (rows
// ascending). Column ranges are independent, so a caller may split N over threads without changing any sum.
inline void scatter_rows(const std::int32_t* inputs, std::size_t rows, const float* dA, std::size_t N, std::size_t V,
                         std::size_t j0, std::size_t j1, float* table) {
  for (std::size_t v = 0; v < V; v++) std::fill(table + v * N + j0, table + v * N + j1, 0.0f);
  for (std::size_t r = 0; r < rows; r++) {
    float* __restrict dst = table + static_cast<std::size_t>(inputs[r]) * N;
    const float* __restrict row = dA + r * N;
    for (std::size_t j = j0; j < j1; j++) dst[j] += row[j];
  }
}

// dst [cols, rows] = src [rows, cols]ᵀ (the one-hot weight [N, V] ↔ its per-token table [V, N]).
inline void transpose(std::size_t rows, std::size_t cols, const float* src, float* dst) {
  for (std::size_t j = 0; j < cols; j++)
    for (std::size_t i = 0; i < rows; i++) dst[j * rows + i] = src[i * cols + j];
}

// dA [rows, N]; `scratch` [V, N] (nullptr = strided adds straight into dW). With scratch, each row is added
// contiguously into its token's scratch row and dW is the scratch transposed once — cheaper when V ≤ rows.
inline void one_hot_weight_grad(const std::int32_t* inputs, std::size_t rows, const float* dA, std::size_t N,
                                std::size_t V, float* scratch, float* dW) {
  if (scratch != nullptr) {
    scatter_rows(inputs, rows, dA, N, V, 0, N, scratch);
    transpose(V, N, scratch, dW);
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
