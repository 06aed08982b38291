// Vanilla RNN chunk math: see rnn.h for shapes. Whole-chunk gemms wherever the recurrence allows it
// (output layer forward/backward, dWhh); the recurrence itself is one gemm (gemv when B = 1) per step.
#include "rnn.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "interrupt.h"
#include "onehot.h"
#include "sample.h"
#include "softmax.h"

namespace charrnn {
namespace nn {

namespace {

using std::size_t;

// A[B,H] += (Wxh[:, x_b] + bh) for each stream b. With xt != null, xt [V,H] holds Wxhᵀ + bh (contiguous rows).
inline void add_input(const RnnLayout& L, const float* params, const float* xt, const std::int32_t* ids, int B,
                      float* a) {
  const size_t H = L.H, V = L.V;
  const float* Wxh = params + L.Wxh;
  const float* bh = params + L.bh;
  for (int b = 0; b < B; b++) {
    float* row = a + static_cast<size_t>(b) * H;
    const size_t x = static_cast<size_t>(ids[b]);
    if (xt != nullptr) {
      const float* src = xt + x * H;
      for (size_t i = 0; i < H; i++) row[i] += src[i];
    } else {
      for (size_t i = 0; i < H; i++) row[i] += Wxh[i * V + x] + bh[i];
    }
  }
}

// xt [V,H] = Wxhᵀ + bh (bh broadcast over rows).
void build_input_table(const RnnLayout& L, const float* params, float* xt) {
  const size_t H = L.H, V = L.V;
  const float* Wxh = params + L.Wxh;
  const float* bh = params + L.bh;
  for (size_t i = 0; i < H; i++) {
    const float* wrow = Wxh + i * V;
    const float b = bh[i];
    for (size_t v = 0; v < V; v++) xt[v * H + i] = wrow[v] + b;
  }
}

// One recurrence step for B streams: hcur [B,H] = tanh(hprev·Whhᵀ + Wxh[:, x] + bh).
inline void recur(const kernels::Table& k, const RnnLayout& L, const float* params, const float* xt,
                  const std::int32_t* ids, int B, const float* hprev, float* hcur) {
  const int H = static_cast<int>(L.H);
  const float* Whh = params + L.Whh;
  if (B == 1)
    k.gemv_n(H, H, Whh, H, hprev, hcur, false);
  else
    k.gemm_nt(B, H, H, hprev, H, Whh, H, hcur, H, false);
  add_input(L, params, xt, ids, B, hcur);
  k.tanh(static_cast<size_t>(B) * L.H, hcur, hcur);
}

// Y [R,V] = Hs [R,H]·Whyᵀ + by.
inline void output_logits(const kernels::Table& k, const RnnLayout& L, const float* params, const float* hs, int R,
                          float* y) {
  const int H = static_cast<int>(L.H), V = static_cast<int>(L.V);
  const float* Why = params + L.Why;
  const float* by = params + L.by;
  if (R == 1)
    k.gemv_n(V, H, Why, H, hs, y, false);
  else
    k.gemm_nt(R, V, H, hs, H, Why, H, y, V, false);
  for (int r = 0; r < R; r++) {
    float* row = y + static_cast<size_t>(r) * L.V;
    for (int v = 0; v < V; v++) row[v] += by[v];
  }
}

}  // namespace

namespace {

// The table's specialised chunk, when it has one for this size.
bool use_isa_chunk(const kernels::Table& k, const RnnLayout& L) {
  return k.rnn_chunk != nullptr && L.H <= static_cast<size_t>(kernels::kRnnChunkMaxHidden);
}

}  // namespace

void rnn_reserve(const RnnLayout& L, int B, int T, RnnWorkspace& ws) { rnn_reserve(kernels::active(), L, B, T, ws); }

void rnn_reserve(const kernels::Table& k, const RnnLayout& L, int B, int T, RnnWorkspace& ws) {
  const size_t H = L.H, V = L.V;
  const size_t TB = static_cast<size_t>(T) * B;
  ws.hs.grow((TB + static_cast<size_t>(B)) * H);  // (T+1)·B·H
  ws.y.grow(TB * V);
  ws.dhs.grow(TB * H);
  if (V <= TB) ws.xt.grow(V * H);
  ws.acc.grow(V + H);
  if (use_isa_chunk(k, L)) ws.isa.grow(k.rnn_chunk_scratch(B, T, static_cast<int>(H), static_cast<int>(V)));
}

double rnn_chunk_gradient(const kernels::Table& k, const RnnLayout& L, const float* params, float* grads,
                          const std::int32_t* inputs, const std::int32_t* targets, int B, int T, float* hidden,
                          float scale, RnnWorkspace& ws) {
  if (use_isa_chunk(k, L)) {
    rnn_reserve(k, L, B, T, ws);
    const int Hi = static_cast<int>(L.H), Vi = static_cast<int>(L.V);
    kernels::RnnChunk c{B,
                        T,
                        Hi,
                        Vi,
                        params + L.Wxh,
                        params + L.Whh,
                        params + L.bh,
                        params + L.Why,
                        params + L.by,
                        grads + L.Wxh,
                        grads + L.Whh,
                        grads + L.bh,
                        grads + L.Why,
                        grads + L.by,
                        inputs,
                        targets,
                        hidden,
                        scale,
                        ws.hs.data(),
                        ws.y.data(),
                        ws.dhs.data(),
                        ws.xt.data(),
                        ws.acc.data(),
                        ws.isa.data()};
    return k.rnn_chunk(k, c);
  }
  const size_t H = L.H, V = L.V;
  const int Hi = static_cast<int>(H), Vi = static_cast<int>(V);
  const size_t BH = static_cast<size_t>(B) * H;
  const size_t TB = static_cast<size_t>(T) * B;
  const int TBi = static_cast<int>(TB);
  const bool use_table = V <= TB;  // transposing Wxh costs V·H, the strided gather T·B·H (same rule in rnn_reserve)

  rnn_reserve(k, L, B, T, ws);
  float* hs = ws.hs.data();
  float* y = ws.y.data();
  float* dhs = ws.dhs.data();
  float* xt = use_table ? ws.xt.data() : nullptr;
  double* acc = ws.acc.data();

  // ---- forward: Hs, then the output layer over the whole chunk ----
  std::memcpy(hs, hidden, BH * sizeof(float));
  if (use_table) build_input_table(L, params, xt);
  for (int t = 0; t < T; t++) {
    float* hprev = hs + static_cast<size_t>(t) * BH;
    recur(k, L, params, xt, inputs + static_cast<size_t>(t) * B, B, hprev, hprev + BH);
  }
  std::memcpy(hidden, hs + static_cast<size_t>(T) * BH, BH * sizeof(float));  // carry h_T
  const float* hs1 = hs + BH;                                                 // h_1..h_T [T·B, H]
  output_logits(k, L, params, hs1, TBi, y);

  // ---- softmax + cross-entropy: Y → dY in place, dby in double ----
  double* dby = acc;
  double* dbh = acc + V;
  std::fill(acc, acc + V + H, 0.0);
  // The portable softmax over the table's exp: the scalar table's softmax_xent entry itself; on the x86 tables
  // these loops run only above kRnnChunkMaxHidden, where they have always used this form.
  const double loss = softmax_xent_backward(k, y, TBi, Vi, targets, scale, dby);

  // ---- output layer backward: dWhy = dYᵀ·Hs1, dHs = dY·Why ----
  float* dWhy = grads + L.Why;
  k.gemm_tn(Vi, Hi, TBi, y, Vi, hs1, Hi, dWhy, Hi, false);
  k.gemm_nn(TBi, Hi, Vi, y, Vi, params + L.Why, Hi, dhs, Hi, false);

  // ---- BPTT: dA_t = (1 − h_t²)⊙dH_t;  dH_{t−1} += dA_t·Whh (dh from h₀ is discarded) ----
  const float* Whh = params + L.Whh;
  for (int t = T - 1; t >= 0; t--) {
    float* da = dhs + static_cast<size_t>(t) * BH;
    const float* h = hs1 + static_cast<size_t>(t) * BH;
    for (size_t i = 0; i < BH; i++) da[i] = (1.0f - h[i] * h[i]) * da[i];
    if (t == 0) break;
    float* dprev = da - BH;
    if (B == 1)
      k.gemv_t(Hi, Hi, Whh, Hi, da, dprev, true);
    else
      k.gemm_nn(B, Hi, Hi, da, Hi, Whh, Hi, dprev, Hi, true);
  }
  const float* dA = dhs;  // [T·B, H]

  // ---- dWhh = dAᵀ·H_prev over the whole chunk; dbh = Σ dA; dWxh[:, x] += dA row ----
  k.gemm_tn(Hi, Hi, TBi, dA, Hi, hs, Hi, grads + L.Whh, Hi, false);
  k.colsum(TB, H, dA, dbh);
  one_hot_weight_grad(inputs, TB, dA, H, V, use_table ? xt : nullptr, grads + L.Wxh);
  for (size_t i = 0; i < H; i++) grads[L.bh + i] = static_cast<float>(dbh[i]);
  for (size_t v = 0; v < V; v++) grads[L.by + v] = static_cast<float>(dby[v]);
  return loss;
}

double rnn_evaluate(const kernels::Table& k, const RnnLayout& L, const float* params, const std::int32_t* ids,
                    std::size_t n, const float* h0, RnnWorkspace& ws) {
  // Blocks of up to kBlock positions: the recurrence step by step (gemv), the output layer as one gemm.
  constexpr size_t kBlock = 128;
  const size_t H = L.H, V = L.V;
  float* hs = ws.hs.grow((kBlock + 1) * H);
  float* y = ws.y.grow(kBlock * V);
  if (h0 != nullptr)
    std::memcpy(hs, h0, H * sizeof(float));
  else
    std::fill(hs, hs + H, 0.0f);
  double total = 0.0;
  for (size_t pos = 0; pos + 1 < n; pos += kBlock) {
    check_interrupt();
    const size_t len = std::min(kBlock, n - 1 - pos);
    for (size_t j = 0; j < len; j++) recur(k, L, params, nullptr, ids + pos + j, 1, hs + j * H, hs + (j + 1) * H);
    output_logits(k, L, params, hs + H, static_cast<int>(len), y);
    total += softmax_xent_loss(k, y, static_cast<int>(len), static_cast<int>(V), ids + pos + 1);
    std::memcpy(hs, hs + len * H, H * sizeof(float));
  }
  return total;
}

void rnn_step(const kernels::Table& k, const RnnLayout& L, const float* params, float* hidden, int token, float* probs,
              double temperature, RnnWorkspace& ws) {
  const size_t H = L.H;
  float* vec = ws.vec.grow(H + L.V);
  float* a = vec;
  float* y = vec + H;
  const std::int32_t id = token;
  recur(k, L, params, nullptr, &id, 1, hidden, a);
  std::memcpy(hidden, a, H * sizeof(float));
  output_logits(k, L, params, hidden, 1, y);
  softmax_temperature(k, y, probs, static_cast<int>(L.V), temperature);
}

void rnn_step_batch(const kernels::Table& k, const RnnLayout& L, const float* params, float* hidden,
                    const std::int32_t* tokens, int n, float* probs, double temperature, RnnWorkspace& ws) {
  if (n == 1) return rnn_step(k, L, params, hidden, tokens[0], probs, temperature, ws);
  const size_t H = L.H, V = L.V, N = static_cast<size_t>(n);
  const int Hi = static_cast<int>(H), Vi = static_cast<int>(V);
  float* a = ws.vec.grow(N * (H + V));
  float* y = a + N * H;
  // recur() and output_logits() of rnn_step, row by row the same arithmetic (gemv_n_rows = gemv_n per stream).
  k.gemv_n_rows(n, Hi, Hi, hidden, Hi, params + L.Whh, Hi, a, Hi, false);
  add_input(L, params, nullptr, tokens, n, a);
  k.tanh(N * H, a, a);
  std::memcpy(hidden, a, N * H * sizeof(float));
  k.gemv_n_rows(n, Vi, Hi, hidden, Hi, params + L.Why, Hi, y, Vi, false);
  const float* by = params + L.by;
  for (size_t b = 0; b < N; b++) {
    float* row = y + b * V;
    for (size_t v = 0; v < V; v++) row[v] += by[v];
    softmax_temperature(k, row, probs + b * V, Vi, temperature);
  }
}

void rnn_sample(const kernels::Table& k, const RnnLayout& L, const float* params, float* hidden,
                const std::int32_t* prime, std::size_t n_prime, std::int32_t* out, std::size_t length,
                double temperature, bool greedy, Xoshiro128ss& rng, float* probs, RnnWorkspace& ws,
                TokenPicker& picker) {
  const double t = greedy ? 1.0 : temperature;  // as the JS backend: argmax of the untempered distribution
  sample_loop(prime, n_prime, out, length, greedy, rng, probs, picker,
              [&](int tok) { rnn_step(k, L, params, hidden, tok, probs, t, ws); });
}

}  // namespace nn
}  // namespace charrnn
