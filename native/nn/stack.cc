// Stacked / gated models over a whole chunk: see stack.h for shapes. Per layer, the input projections of all T·B
// rows are one gemm (X·W_ihᵀ; layer 0 of a long enough chunk: a lookup in a per-token table); only the recurrent
// product h_{t−1}·W_hhᵀ runs per step (all B streams at once); the gate non-linearities are vectorised over rows
// through the kernel table's exp / tanh. Backward keeps every step's gate gradients, so the weight gradients are
// one gemm each over the chunk (dW_ih = dGᵀ·X, dW_hh = dGᵀ·H_prev, dX = dG·W_ih), as is the decoder.
#include "stack.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "interrupt.h"
#include "onehot.h"
#include "sample.h"
#include "softmax.h"
#include "../util/threadpool.h"

namespace charrnn {
namespace nn {

using std::size_t;

StackLayout StackLayout::of(const StackConfig& c) {
  StackLayout L;
  L.config = c;
  L.G = gate_count(c.cell);
  size_t off = 0;
  if (c.E > 0) {
    L.emb = 0;
    off = c.V * c.E;
  }
  for (size_t l = 0; l < c.hidden.size(); l++) {
    StackLayer ly{};
    ly.H = c.hidden[l];
    ly.In = l > 0 ? c.hidden[l - 1] : (c.E > 0 ? c.E : c.V);
    ly.GH = L.G * ly.H;
    ly.wih = off;
    ly.whh = ly.wih + ly.GH * ly.In;
    ly.bih = ly.whh + ly.GH * ly.H;
    ly.bhh = ly.bih + ly.GH;
    off = ly.bhh + ly.GH;
    L.layers.push_back(ly);
    L.max_h = std::max(L.max_h, ly.H);
    L.max_gh = std::max(L.max_gh, ly.GH);
    L.max_in = std::max(L.max_in, ly.In);
    L.state_width += ly.H;
  }
  L.dec_w = off;
  L.dec_b = L.dec_w + c.V * L.top_h();
  L.size = L.dec_b + c.V;
  if (c.cell == Cell::kLstm) L.state_width *= 2;
  return L;
}

size_t StackLayout::h_offset(size_t l, size_t B) const {
  size_t o = 0;
  for (size_t j = 0; j < l; j++) o += B * layers[j].H;
  return o;
}

size_t StackLayout::c_offset(size_t l, size_t B) const {
  size_t o = h_offset(layers.size(), B);
  for (size_t j = 0; j < l; j++) o += B * layers[j].H;
  return o;
}

std::vector<StackLayout::Tensor> StackLayout::tensors() const {
  std::vector<Tensor> t;
  if (config.E > 0) t.push_back({"embedding.weight", emb, config.V * config.E});
  for (size_t l = 0; l < layers.size(); l++) {
    const StackLayer& ly = layers[l];
    const std::string s = std::to_string(l);
    t.push_back({"rnn.weight_ih_l" + s, ly.wih, ly.GH * ly.In});
    t.push_back({"rnn.weight_hh_l" + s, ly.whh, ly.GH * ly.H});
    t.push_back({"rnn.bias_ih_l" + s, ly.bih, ly.GH});
    t.push_back({"rnn.bias_hh_l" + s, ly.bhh, ly.GH});
  }
  t.push_back({"decoder.weight", dec_w, config.V * top_h()});
  t.push_back({"decoder.bias", dec_b, config.V});
  return t;
}

namespace {

using kernels::Table;

// C[M,N] (+)= A[M,K]·B[N,K]ᵀ; one row (one stream) through gemv.
inline void mm_nt(const Table& k, int M, int N, int K, const float* A, int lda, const float* Bm, int ldb, float* C,
                  int ldc, bool acc) {
  if (M == 1)
    k.gemv_n(N, K, Bm, ldb, A, C, acc);
  else
    k.gemm_nt(M, N, K, A, lda, Bm, ldb, C, ldc, acc);
}

// C[M,N] (+)= A[M,K]·B[K,N]; one row through gemv.
inline void mm_nn(const Table& k, int M, int N, int K, const float* A, int lda, const float* Bm, int ldb, float* C,
                  int ldc, bool acc) {
  if (M == 1)
    k.gemv_t(K, N, Bm, ldb, A, C, acc);
  else
    k.gemm_nn(M, N, K, A, lda, Bm, ldb, C, ldc, acc);
}

// C[M,N] (+)= A[M,K]·B[N,K]ᵀ in the batched step: one stream through gemv (as stack_step), several through
// gemv_n_rows, which gives every stream exactly gemv's bits — so a stream of a batch equals a one-stream step.
inline void mm_rows(const Table& k, int M, int N, int K, const float* A, int lda, const float* Bm, int ldb, float* C,
                    int ldc, bool acc) {
  if (M == 1)
    k.gemv_n(N, K, Bm, ldb, A, C, acc);
  else
    k.gemv_n_rows(M, N, K, A, lda, Bm, ldb, C, ldc, acc);
}

// The recurrent products repeat one weight T times: with several streams (B ≥ 2) and steps, W_hh is packed once
// per chunk (kernels::Table::pack_b) instead of once per step. One stream keeps gemv, which reads W_hh directly.
struct Recurrent {
  const Table* k;
  int M, N, K;
  const float* W;  // unpacked: the nt / nn operand as stored
  int ldw;
  bool trans;
  const float* packed;  // nullptr: unpacked
  // C [M, N] (+)= A [M, K]·op(W)
  void mul(const float* A, int lda, float* C, int ldc, bool acc) const {
    if (packed != nullptr)
      k->gemm_pb(M, N, K, A, lda, packed, 0, N, C, ldc, acc);
    else if (trans)
      mm_nt(*k, M, N, K, A, lda, W, ldw, C, ldc, acc);
    else
      mm_nn(*k, M, N, K, A, lda, W, ldw, C, ldc, acc);
  }
};

// op(W) = W_hhᵀ (forward: trans, W [N, K]) or W_hh (backward: W [K, N]) for B rows per step over T steps.
Recurrent recurrent(const Table& k, int B, int T, int N, int K, const float* W, bool trans, StackWorkspace& ws) {
  Recurrent r{&k, B, N, K, W, trans ? K : N, trans, nullptr};
  if (B >= 2 && T >= 2) {
    float* p = ws.whh.grow(k.packed_b_size(K, N));
    k.pack_b(K, N, W, r.ldw, trans, p);
    r.packed = p;
  }
  return r;
}

// ---- Splitting a step's element-wise work over the thread pool by stream rows: each row's arithmetic is the same
// whatever the split (the vectorised exp/tanh work lane by lane), so results do not depend on the thread count.
// Below kMinParallelElems elements per step one thread does it all.
constexpr size_t kMinParallelElems = 8192;

int row_parts(int B, size_t row_elems) {
  const int threads = par::threads();
  if (threads <= 1 || static_cast<size_t>(B) * row_elems < kMinParallelElems) return 1;
  return B < threads ? B : threads;
}

inline int part_begin(int rows, int parts, int p) { return rows * p / parts; }

// ---- Gate math. Every loop works on restrict-qualified rows so that the compiler vectorises it; the
// exponentials come from the kernel table in as few, as long calls as the data layout allows.
// σ(x) = 1 / (1 + e^{−x}) and tanh(x) = 2 / (1 + e^{−2x}) − 1 (e^{−x} = +inf gives 0 and −1, NaN stays NaN;
// the tanh form is exact to ≈ 1e-7 absolute, which is all the gradients need).

// x [n] += bias [n]
inline void add_bias(size_t n, float* __restrict x, const float* __restrict bias) {
  for (size_t j = 0; j < n; j++) x[j] += bias[j];
}

// LSTM, one row [4H] of pre-activations (i, f, g, o) without the bias: the exponent of each gate's form, in place.
inline void lstm_exponents(size_t H, float* __restrict a, const float* __restrict bias) {
  for (size_t j = 0; j < 2 * H; j++) a[j] = -(a[j] + bias[j]);
  for (size_t j = 2 * H; j < 3 * H; j++) a[j] = -2.0f * (a[j] + bias[j]);
  for (size_t j = 3 * H; j < 4 * H; j++) a[j] = -(a[j] + bias[j]);
}

// LSTM, one row: e [4H] holds the exponentials → the gate activations (i, f, g, o) in place; c = f·c' + i·g.
inline void lstm_cell(size_t H, float* __restrict e, const float* __restrict cprev, float* __restrict c) {
  for (size_t i = 0; i < H; i++) {
    const float ig = 1.0f / (1.0f + e[i]);
    const float fg = 1.0f / (1.0f + e[H + i]);
    const float gg = 2.0f / (1.0f + e[2 * H + i]) - 1.0f;
    const float og = 1.0f / (1.0f + e[3 * H + i]);
    e[i] = ig;
    e[H + i] = fg;
    e[2 * H + i] = gg;
    e[3 * H + i] = og;
    c[i] = fg * cprev[i] + ig * gg;
  }
}

// LSTM backward, one row: gates g [4H], c_{t−1}, tanh(c_t), dh_t; dc carries dc_{t+1} in and dc_t·f out.
inline void lstm_backward_row(size_t H, const float* __restrict g, const float* __restrict cprev,
                              const float* __restrict tc, const float* __restrict dh, float* __restrict dc,
                              float* __restrict da) {
  for (size_t i = 0; i < H; i++) {
    const float ig = g[i], fg = g[H + i], gg = g[2 * H + i], og = g[3 * H + i];
    const float t = tc[i];
    const float d = dc[i] + dh[i] * og * (1.0f - t * t);
    da[i] = d * gg * ig * (1.0f - ig);
    da[H + i] = d * cprev[i] * fg * (1.0f - fg);
    da[2 * H + i] = d * ig * (1.0f - gg * gg);
    da[3 * H + i] = dh[i] * t * og * (1.0f - og);
    dc[i] = d * fg;
  }
}

// One LSTM step's gate math for rows [b0, b1): i, f, g, o from the pre-activations (+ both biases), the cell
// c = f·c' + i·g, and h = o·tanh(c) (tanh(c) kept for BPTT).
struct LstmStepJob {
  const Table* k;
  size_t H;
  int B, parts;
  float* a;  // [B, 4H] pre-activations, turned into gate values in place
  const float* bias;
  const float* cprev;
  float* ccur;
  float* tcur;
  float* hcur;
};

void lstm_step_rows(void* ctx, int part) {
  const LstmStepJob& j = *static_cast<const LstmStepJob*>(ctx);
  const size_t H = j.H, GH = 4 * H;
  const size_t b0 = static_cast<size_t>(part_begin(j.B, j.parts, part));
  const size_t b1 = static_cast<size_t>(part_begin(j.B, j.parts, part + 1));
  for (size_t b = b0; b < b1; b++) lstm_exponents(H, j.a + b * GH, j.bias);
  j.k->exp((b1 - b0) * GH, j.a + b0 * GH, j.a + b0 * GH);  // one call over the rows' whole [rows, 4H] block
  for (size_t b = b0; b < b1; b++) lstm_cell(H, j.a + b * GH, j.cprev + b * H, j.ccur + b * H);
  j.k->tanh((b1 - b0) * H, j.ccur + b0 * H, j.tcur + b0 * H);
  for (size_t b = b0; b < b1; b++) {
    const float* o = j.a + b * GH + 3 * H;
    const float* tcb = j.tcur + b * H;
    float* h = j.hcur + b * H;
    for (size_t i = 0; i < H; i++) h[i] = o[i] * tcb[i];
  }
}

// BPTT of one LSTM step for rows [b0, b1).
struct LstmBackJob {
  size_t H, BH;
  int B, parts, t;
  const float* A;
  const float* cs;
  const float* tc;
  const float* dh;
  float* dc;
  float* dai;
};

void lstm_back_rows(void* ctx, int part) {
  const LstmBackJob& j = *static_cast<const LstmBackJob*>(ctx);
  const size_t H = j.H, GH = 4 * H;
  const int b0 = part_begin(j.B, j.parts, part), b1 = part_begin(j.B, j.parts, part + 1);
  for (int b = b0; b < b1; b++) {
    const size_t row = static_cast<size_t>(j.t) * j.B + b;
    lstm_backward_row(H, j.A + row * GH, j.cs + static_cast<size_t>(j.t) * j.BH + static_cast<size_t>(b) * H,
                      j.tc + row * H, j.dh + static_cast<size_t>(b) * H, j.dc + static_cast<size_t>(b) * H,
                      j.dai + row * GH);
  }
}

// GRU, one row: a [3H] = W_ih·x, rec [3H] = W_hh·h', bias = b_ih + b_hh (r, z), b_in (n) → the exponents of r
// and z in a[0..2H).
inline void gru_exponents(size_t H, float* __restrict a, const float* __restrict rec, const float* __restrict bias) {
  for (size_t j = 0; j < 2 * H; j++) a[j] = -(a[j] + rec[j] + bias[j]);
}

// GRU, one row: a[0..2H) holds e^{−x} → r, z; hn = W_hn·h' + b_hn; a[2H..3H) ← the exponent of n's tanh form,
// −2·(W_in·x + b_in + r·hn).
inline void gru_gates(size_t H, float* __restrict a, const float* __restrict rec, const float* __restrict bias,
                      const float* __restrict bhn, float* __restrict hn) {
  for (size_t i = 0; i < H; i++) {
    const float rg = 1.0f / (1.0f + a[i]);
    a[i] = rg;
    a[H + i] = 1.0f / (1.0f + a[H + i]);
    const float v = rec[2 * H + i] + bhn[i];
    hn[i] = v;
    a[2 * H + i] = -2.0f * (a[2 * H + i] + bias[2 * H + i] + rg * v);
  }
}

// GRU, one row: a[2H..3H) holds e^{−2x} → n; h = (1 − z)·n + z·h'.
inline void gru_output(size_t H, float* __restrict a, const float* __restrict hprev, float* __restrict h) {
  for (size_t i = 0; i < H; i++) {
    const float zg = a[H + i];
    const float ng = 2.0f / (1.0f + a[2 * H + i]) - 1.0f;
    a[2 * H + i] = ng;
    h[i] = (1.0f - zg) * ng + zg * hprev[i];
  }
}

// GRU backward, one row: the input-side (da) and hidden-side (dah) pre-activation gradients; dprev (when not
// null) receives the direct path dh·z of h = … + z·h'.
inline void gru_backward_row(size_t H, const float* __restrict g, const float* __restrict hn,
                             const float* __restrict hprev, const float* __restrict dh, float* __restrict da,
                             float* __restrict dah, float* __restrict dprev) {
  for (size_t i = 0; i < H; i++) {
    const float rg = g[i], zg = g[H + i], ng = g[2 * H + i];
    const float dn = dh[i] * (1.0f - zg) * (1.0f - ng * ng);
    const float dr = dn * hn[i] * rg * (1.0f - rg);
    const float dz = dh[i] * (hprev[i] - ng) * zg * (1.0f - zg);
    da[i] = dr;
    da[H + i] = dz;
    da[2 * H + i] = dn;
    dah[i] = dr;
    dah[H + i] = dz;
    dah[2 * H + i] = dn * rg;
  }
  if (dprev != nullptr)
    for (size_t i = 0; i < H; i++) dprev[i] += dh[i] * g[H + i];
}

// Column sums of rows [R, N] into acc [N] (double): float partial sums over blocks of 32 rows (vectorised, ≤ 32
// terms each), accumulated in double. part [N] is scratch.
void column_sums(size_t R, size_t N, const float* rows, double* acc, float* part) {
  constexpr size_t kBlock = 32;
  std::fill(acc, acc + N, 0.0);
  for (size_t r0 = 0; r0 < R; r0 += kBlock) {
    const size_t r1 = std::min(R, r0 + kBlock);
    std::memcpy(part, rows + r0 * N, N * sizeof(float));
    for (size_t r = r0 + 1; r < r1; r++) {
      const float* __restrict src = rows + r * N;
      float* __restrict dst = part;
      for (size_t j = 0; j < N; j++) dst[j] += src[j];
    }
    for (size_t j = 0; j < N; j++) acc[j] += part[j];
  }
}

// Layer 0's input projection as a table lookup when the chunk has at least V rows: row v of the table [V, G·H] is
// what token v contributes (one-hot: column v of W_ih; embedding: emb[v]·W_ihᵀ, since the embedding and W_ih are
// both linear). Backward, the table holds each token's summed gate gradients instead (scatter_rows), from which
// dW_ih (= dTableᵀ·emb) and the embedding gradient (= dTable·W_ih) are two V-row products instead of two T·B-row
// ones: for W3 that removes 7.5% of a chunk's FLOPs.
inline bool input_table(const StackLayout& L, size_t TB) { return L.config.V <= TB; }

// scatter_rows over the thread pool by column ranges of 64 (each sum keeps its row order, so the result is the
// same whatever the split).
struct ScatterJob {
  const std::int32_t* inputs;
  size_t rows, N, V;
  int parts;
  const float* dA;
  float* table;
};

void scatter_cols(void* ctx, int part) {
  const ScatterJob& j = *static_cast<const ScatterJob*>(ctx);
  const size_t units = (j.N + 63) / 64;
  const size_t j0 = std::min(j.N, units * part / j.parts * 64), j1 = std::min(j.N, units * (part + 1) / j.parts * 64);
  scatter_rows(j.inputs, j.rows, j.dA, j.N, j.V, j0, j1, j.table);
}

void scatter_rows_parallel(const std::int32_t* inputs, size_t rows, const float* dA, size_t N, size_t V, float* table) {
  const int threads = par::threads();
  const size_t units = (N + 63) / 64;
  int parts = threads <= 1 || rows * N < 8 * kMinParallelElems ? 1 : threads;
  if (static_cast<size_t>(parts) > units) parts = static_cast<int>(units);
  ScatterJob job{inputs, rows, N, V, parts, dA, table};
  par::run(parts, scatter_cols, &job);
}

// Grow every buffer a B × T pass needs: forward only (evaluate, step) or forward + backward (training).
void reserve(const StackLayout& L, int B, int T, bool training, bool drop, StackWorkspace& ws) {
  const StackConfig& c = L.config;
  const size_t TB = static_cast<size_t>(T) * B;
  const bool lstm = c.cell == Cell::kLstm, gru = c.cell == Cell::kGru;
  for (size_t l = 0; l < L.layers.size(); l++) {
    const StackLayer& ly = L.layers[l];
    StackLayerScratch& s = ws.layer[l];
    s.hs.grow((TB + B) * ly.H);
    s.acts.grow(TB * ly.GH);
    if (lstm) {
      s.cs.grow((TB + B) * ly.H);
      s.tc.grow(TB * ly.H);
    }
    if (gru) s.hn.grow(TB * ly.H);
    if (drop) {
      s.mask.grow(TB * ly.H);
      s.out.grow(TB * ly.H);
    }
  }
  if (B >= 2 && T >= 2) {  // the pre-packed W_hh of recurrent(): K·N rounded up to whole packed columns
    constexpr size_t u = kernels::kPackedColUnit;
    const auto up = [](size_t n) { return (n + u - 1) / u * u; };
    size_t packed = 0;
    for (const StackLayer& ly : L.layers) packed = std::max({packed, ly.H * up(ly.GH), ly.GH * up(ly.H)});
    ws.whh.grow(packed);
  }
  // Both layer-0 paths: a pass reserved for T·B rows may run shorter blocks (evaluate's last one) below V.
  if (c.E > 0) ws.x0.grow(TB * c.E);
  if (input_table(L, TB)) ws.table.grow(c.V * L.layers[0].GH);
  ws.bias.grow(L.max_gh);
  if (gru) ws.rec.grow(static_cast<size_t>(B) * L.max_gh);
  ws.y.grow(TB * c.V);
  ws.state.grow(L.state_width);
  if (!training) return;
  const size_t width = std::max(L.max_h, c.E);
  ws.dh[0].grow(TB * width);
  ws.dh[1].grow(TB * width);
  ws.dai.grow(TB * L.max_gh);
  if (gru) ws.dah.grow(TB * L.max_gh);
  if (lstm) ws.dc.grow(static_cast<size_t>(B) * L.max_h);
  ws.acc.grow(2 * L.max_gh + c.V);
}

// The input of layer l (l ≥ 1, or l = 0 with an embedding) as left by the forward pass: [T·B, In_l].
const float* layer_input(const StackLayout& L, size_t l, int B, bool drop, StackWorkspace& ws) {
  if (l == 0) return ws.x0.data();
  const StackLayerScratch& below = ws.layer[l - 1];
  return drop ? below.out.data() : below.hs.data() + static_cast<size_t>(B) * L.layers[l - 1].H;
}

// Forward of layer l over B streams × T steps: reads its state block from `state`, writes the state after step T
// back there, and leaves Hs / Cs / tanh(Cs) / acts / hn (and the dropped output) in the workspace.
// `rows` (the batched step, T = 1): every product through mm_rows and no layer-0 table, so each stream's arithmetic
// is the one-stream step's whatever B.
void forward_layer(const Table& k, const StackLayout& L, size_t l, const float* params, const std::int32_t* inputs,
                   int B, int T, float* state, bool drop, StackWorkspace& ws, bool rows) {
  const StackConfig& c = L.config;
  const StackLayer& ly = L.layers[l];
  StackLayerScratch& s = ws.layer[l];
  const size_t H = ly.H, GH = ly.GH, In = ly.In, V = c.V;
  const int Hi = static_cast<int>(H), GHi = static_cast<int>(GH), Ini = static_cast<int>(In);
  const size_t TB = static_cast<size_t>(T) * B, BH = static_cast<size_t>(B) * H;
  const bool lstm = c.cell == Cell::kLstm, gru = c.cell == Cell::kGru;
  float* hs = s.hs.data();
  float* cs = lstm ? s.cs.data() : nullptr;
  float* tc = lstm ? s.tc.data() : nullptr;
  float* A = s.acts.data();
  float* hn = gru ? s.hn.data() : nullptr;
  std::memcpy(hs, state + L.h_offset(l, B), BH * sizeof(float));
  if (lstm) std::memcpy(cs, state + L.c_offset(l, B), BH * sizeof(float));

  // Both biases enter every pre-activation, except GRU's b_hn, which is multiplied by r. They are added in the
  // step's gate math below (already a pass over the step's pre-activations), not to the whole chunk here.
  const float* bih = params + ly.bih;
  const float* bhh = params + ly.bhh;
  float* bias = ws.bias.data();
  for (size_t j = 0; j < GH; j++) bias[j] = gru && j >= 2 * H ? bih[j] : bih[j] + bhh[j];

  // Input projection of the whole chunk: A [T·B, G·H] = X·W_ihᵀ (layer 0: a table lookup, see input_table).
  const float* Wih = params + ly.wih;
  if (l == 0 && !rows && input_table(L, TB)) {
    float* table = ws.table.data();  // [V, G·H] = W_ihᵀ, or emb·W_ihᵀ
    if (c.E > 0)
      mm_nt(k, static_cast<int>(V), GHi, Ini, params + L.emb, Ini, Wih, Ini, table, GHi, false);
    else
      transpose(GH, V, Wih, table);
    for (size_t r = 0; r < TB; r++)
      std::memcpy(A + r * GH, table + static_cast<size_t>(inputs[r]) * GH, GH * sizeof(float));
  } else if (l == 0 && c.E == 0) {
    for (size_t r = 0; r < TB; r++) {
      const size_t x = static_cast<size_t>(inputs[r]);
      float* a = A + r * GH;
      for (size_t j = 0; j < GH; j++) a[j] = Wih[j * V + x];
    }
  } else if (rows) {
    mm_rows(k, static_cast<int>(TB), GHi, Ini, layer_input(L, l, B, drop, ws), Ini, Wih, Ini, A, GHi, false);
  } else {
    mm_nt(k, static_cast<int>(TB), GHi, Ini, layer_input(L, l, B, drop, ws), Ini, Wih, Ini, A, GHi, false);
  }

  // The recurrence, all B streams per step: a [B, G·H] (+)= h_{t−1}·W_hhᵀ.
  const Recurrent rec_mul = rows ? Recurrent{&k, B, GHi, Hi, params + ly.whh, Hi, true, nullptr}
                                 : recurrent(k, B, T, GHi, Hi, params + ly.whh, true, ws);
  const auto recur_mul = [&](const float* hprev, float* C, bool acc) {
    if (rows)
      mm_rows(k, B, GHi, Hi, hprev, Hi, params + ly.whh, Hi, C, GHi, acc);
    else
      rec_mul.mul(hprev, Hi, C, GHi, acc);
  };
  for (int t = 0; t < T; t++) {
    const float* hprev = hs + static_cast<size_t>(t) * BH;
    float* hcur = hs + static_cast<size_t>(t + 1) * BH;
    float* a = A + static_cast<size_t>(t) * B * GH;
    if (c.cell == Cell::kRnn) {
      recur_mul(hprev, a, true);
      for (int b = 0; b < B; b++) add_bias(H, a + static_cast<size_t>(b) * H, bias);
      if (c.relu) {
        for (size_t i = 0; i < BH; i++) a[i] = a[i] > 0 ? a[i] : 0.0f;
      } else {
        k.tanh(BH, a, a);
      }
      std::memcpy(hcur, a, BH * sizeof(float));
    } else if (lstm) {
      // i, f, g, o = σ, σ, tanh, σ of (W_ih·x + b_ih + W_hh·h + b_hh); c = f·c' + i·g; h = o·tanh(c)
      recur_mul(hprev, a, true);
      LstmStepJob job{&k,
                      H,
                      B,
                      row_parts(B, GH),
                      a,
                      bias,
                      cs + static_cast<size_t>(t) * BH,
                      cs + static_cast<size_t>(t + 1) * BH,
                      tc + static_cast<size_t>(t) * BH,
                      hcur};
      par::run(job.parts, lstm_step_rows, &job);
    } else {
      // r, z = σ(W_i·x + b_i + W_h·h + b_h); n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)); h = (1−z)·n + z·h'
      float* rec = ws.rec.data();
      recur_mul(hprev, rec, false);
      const float* bhn = bhh + 2 * H;
      for (int b = 0; b < B; b++) {
        float* g = a + static_cast<size_t>(b) * GH;
        const float* rr = rec + static_cast<size_t>(b) * GH;
        gru_exponents(H, g, rr, bias);
        k.exp(2 * H, g, g);
        gru_gates(H, g, rr, bias, bhn, hn + (static_cast<size_t>(t) * B + b) * H);
        k.exp(H, g + 2 * H, g + 2 * H);
        gru_output(H, g, hprev + static_cast<size_t>(b) * H, hcur + static_cast<size_t>(b) * H);
      }
    }
  }

  if (drop) {
    const float* m = s.mask.data();
    float* out = s.out.data();
    const float* h = hs + BH;
    for (size_t i = 0; i < TB * H; i++) out[i] = h[i] * m[i];
  }
  std::memcpy(state + L.h_offset(l, B), hs + static_cast<size_t>(T) * BH, BH * sizeof(float));
  if (lstm) std::memcpy(state + L.c_offset(l, B), cs + static_cast<size_t>(T) * BH, BH * sizeof(float));
}

// Forward of the whole stack; returns the decoder's input [T·B, H_top] (inside the workspace).
const float* forward(const Table& k, const StackLayout& L, const float* params, const std::int32_t* inputs, int B,
                     int T, float* state, bool drop, StackWorkspace& ws, bool rows = false) {
  const StackConfig& c = L.config;
  const size_t TB = static_cast<size_t>(T) * B;
  if (c.E > 0 && (rows || !input_table(L, TB))) {
    float* x0 = ws.x0.data();
    const float* emb = params + L.emb;
    for (size_t r = 0; r < TB; r++)
      std::memcpy(x0 + r * c.E, emb + static_cast<size_t>(inputs[r]) * c.E, c.E * sizeof(float));
  }
  for (size_t l = 0; l < L.layers.size(); l++) forward_layer(k, L, l, params, inputs, B, T, state, drop, ws, rows);
  return layer_input(L, L.layers.size(), B, drop, ws);
}

// Y [R, V] = X [R, H_top]·decoderᵀ + bias (`rows`: the batched step's products, see mm_rows).
void decode(const Table& k, const StackLayout& L, const float* params, const float* x, int R, float* y,
            bool rows = false) {
  const int V = static_cast<int>(L.config.V), H = static_cast<int>(L.top_h());
  if (rows)
    mm_rows(k, R, V, H, x, H, params + L.dec_w, H, y, V, false);
  else
    mm_nt(k, R, V, H, x, H, params + L.dec_w, H, y, V, false);
  const float* b = params + L.dec_b;
  for (int r = 0; r < R; r++) {
    float* row = y + static_cast<size_t>(r) * V;
    for (int v = 0; v < V; v++) row[v] += b[v];
  }
}

// BPTT of layer l: dH [T·B, H] holds the gradient w.r.t. the layer's raw outputs h_1..h_T (after the dropout mask);
// it is consumed (through-time terms are added into it). Writes the layer's weight and bias gradients and, unless
// the layer is a first layer (whose input gradient, where there is one, goes straight into the embedding gradient),
// the gradient w.r.t. its input into dX [T·B, In].
void backward_layer(const Table& k, const StackLayout& L, size_t l, const float* params, float* grads,
                    const std::int32_t* inputs, int B, int T, bool drop, float* dH, float* dX, StackWorkspace& ws) {
  const StackConfig& c = L.config;
  const StackLayer& ly = L.layers[l];
  StackLayerScratch& s = ws.layer[l];
  const size_t H = ly.H, GH = ly.GH, In = ly.In, V = c.V;
  const int Hi = static_cast<int>(H), GHi = static_cast<int>(GH), Ini = static_cast<int>(In);
  const size_t TB = static_cast<size_t>(T) * B, BH = static_cast<size_t>(B) * H;
  const int TBi = static_cast<int>(TB);
  const bool lstm = c.cell == Cell::kLstm, gru = c.cell == Cell::kGru;
  const float* hs = s.hs.data();
  const float* cs = lstm ? s.cs.data() : nullptr;
  const float* tc = lstm ? s.tc.data() : nullptr;
  const float* A = s.acts.data();
  const float* hn = gru ? s.hn.data() : nullptr;
  float* dai = ws.dai.data();
  float* dah = gru ? ws.dah.data() : dai;  // GRU: the hidden side differs in its n slice (× r)
  float* dc = lstm ? ws.dc.data() : nullptr;
  if (lstm) std::fill(dc, dc + BH, 0.0f);
  // dh_{t−1} [B, H] += dA_h[t]·W_hh at every step but the first.
  const Recurrent rec_mul = recurrent(k, B, T, Hi, GHi, params + ly.whh, false, ws);

  for (int t = T - 1; t >= 0; t--) {
    float* dh = dH + static_cast<size_t>(t) * BH;  // complete: the step t+1 terms were added into it
    const float* hprev = hs + static_cast<size_t>(t) * BH;
    if (lstm) {
      LstmBackJob job{H, BH, B, row_parts(B, GH), t, A, cs, tc, dh, dc, dai};
      par::run(job.parts, lstm_back_rows, &job);
    } else {
      for (int b = 0; b < B; b++) {
        const size_t row = static_cast<size_t>(t) * B + b;
        const float* g = A + row * GH;
        float* di = dai + row * GH;
        const float* dhb = dh + static_cast<size_t>(b) * H;
        if (c.cell == Cell::kRnn) {
          if (c.relu) {
            for (size_t i = 0; i < H; i++) di[i] = g[i] > 0 ? dhb[i] : 0.0f;
          } else {
            for (size_t i = 0; i < H; i++) di[i] = (1.0f - g[i] * g[i]) * dhb[i];
          }
        } else {
          // t > 0: the direct path h_t = … + z·h_{t−1} into dh_{t−1}
          float* dprev = t > 0 ? dh - BH + static_cast<size_t>(b) * H : nullptr;
          gru_backward_row(H, g, hn + row * H, hprev + static_cast<size_t>(b) * H, dhb, di, dah + row * GH, dprev);
        }
      }
    }
    // dh_{t−1} += dA_h[t]·W_hh for all B streams (the gradient w.r.t. the carried-in state is not needed)
    if (t > 0) rec_mul.mul(dah + static_cast<size_t>(t) * B * GH, GHi, dh - BH, Hi, true);
  }

  // Bias gradients: Σ over the chunk's rows (the same for both biases except GRU's n slice).
  double* acc = ws.acc.data();
  column_sums(TB, GH, dai, acc, ws.bias.data());
  if (gru)
    column_sums(TB, GH, dah, acc + GH, ws.bias.data());
  else
    std::copy(acc, acc + GH, acc + GH);
  for (size_t j = 0; j < GH; j++) {
    grads[ly.bih + j] = static_cast<float>(acc[j]);
    grads[ly.bhh + j] = static_cast<float>(acc[GH + j]);
  }

  // dW_hh [G·H, H] = dA_hᵀ·H_prev over the whole chunk.
  k.gemm_tn(GHi, Hi, TBi, dah, GHi, hs, Hi, grads + ly.whh, Hi, false);
  float* dWih = grads + ly.wih;
  if (l == 0 && input_table(L, TB)) {
    float* dtable = ws.table.data();  // [V, G·H]: row v = Σ dA_i over the rows whose input is v
    scatter_rows_parallel(inputs, TB, dai, GH, V, dtable);
    if (c.E == 0) {
      transpose(V, GH, dtable, dWih);  // dW_ih [G·H, V] = dTableᵀ
    } else {
      const int Vi = static_cast<int>(V);
      k.gemm_tn(GHi, Ini, Vi, dtable, GHi, params + L.emb, Ini, dWih, Ini, false);           // dW_ih = dTableᵀ·emb
      mm_nn(k, Vi, Ini, GHi, dtable, GHi, params + ly.wih, Ini, grads + L.emb, Ini, false);  // dEmb = dTable·W_ih
    }
    return;
  }
  if (l == 0 && c.E == 0) {
    one_hot_weight_grad(inputs, TB, dai, GH, V, nullptr, dWih);  // dW_ih[:, x] += dA_i row
    return;
  }
  const float* X = layer_input(L, l, B, drop, ws);
  k.gemm_tn(GHi, Ini, TBi, dai, GHi, X, Ini, dWih, Ini, false);             // dW_ih = dA_iᵀ·X
  mm_nn(k, TBi, Ini, GHi, dai, GHi, params + ly.wih, Ini, dX, Ini, false);  // dX = dA_i·W_ih
}

}  // namespace

void stack_reserve(const StackLayout& L, int B, int T, StackWorkspace& ws) {
  reserve(L, B, T, true, L.config.dropout > 0, ws);
}

double stack_chunk_gradient(const Table& k, const StackLayout& L, const float* params, float* grads,
                            const std::int32_t* inputs, const std::int32_t* targets, int B, int T, float* state,
                            Xoshiro128ss* rng, float scale, StackWorkspace& ws) {
  const StackConfig& c = L.config;
  const bool drop = c.dropout > 0;
  stack_reserve(L, B, T, ws);
  const size_t TB = static_cast<size_t>(T) * B;
  const int TBi = static_cast<int>(TB), V = static_cast<int>(c.V), Ht = static_cast<int>(L.top_h());

  // Dropout masks, in drawDropoutMasks' order (t → layer → stream → unit) from the shared stream.
  if (drop) {
    const double p = c.dropout;
    const float keep = static_cast<float>(1.0 / (1.0 - p));
    for (int t = 0; t < T; t++)
      for (size_t l = 0; l < L.layers.size(); l++) {
        const size_t H = L.layers[l].H;
        float* m = ws.layer[l].mask.data() + static_cast<size_t>(t) * B * H;
        for (size_t i = 0; i < static_cast<size_t>(B) * H; i++) m[i] = rng->next_float() >= p ? keep : 0.0f;
      }
  }

  // ---- forward, decoder, softmax + cross-entropy (dY in place, the decoder bias gradient in double) ----
  const float* xtop = forward(k, L, params, inputs, B, T, state, drop, ws);
  float* y = ws.y.data();
  decode(k, L, params, xtop, TBi, y);
  double* dby = ws.acc.data();
  std::fill(dby, dby + c.V, 0.0);
  const double loss = softmax_xent_backward(k, y, TBi, V, targets, scale, dby);
  for (size_t v = 0; v < c.V; v++) grads[L.dec_b + v] = static_cast<float>(dby[v]);

  // ---- decoder backward: dW = dYᵀ·X_top, dX_top = dY·W ----
  k.gemm_tn(V, Ht, TBi, y, V, xtop, Ht, grads + L.dec_w, Ht, false);
  float* dH = ws.dh[0].data();
  float* dX = ws.dh[1].data();
  k.gemm_nn(TBi, Ht, V, y, V, params + L.dec_w, Ht, dH, Ht, false);

  // ---- the layers, top down; dH ping-pongs with dX (layer l's input gradient is layer l−1's output gradient) ----
  for (size_t l = L.layers.size(); l-- > 0;) {
    if (drop) {
      const float* m = ws.layer[l].mask.data();
      for (size_t i = 0; i < TB * L.layers[l].H; i++) dH[i] *= m[i];
    }
    backward_layer(k, L, l, params, grads, inputs, B, T, drop, dH, dX, ws);
    std::swap(dH, dX);
  }

  // ---- embedding: scatter-add the first layer's input gradient (now in dH), unless backward_layer wrote it ----
  if (c.E > 0 && !input_table(L, TB)) {
    const size_t E = c.E;
    float* dEmb = grads + L.emb;
    std::fill(dEmb, dEmb + c.V * E, 0.0f);
    for (size_t r = 0; r < TB; r++) {
      float* dst = dEmb + static_cast<size_t>(inputs[r]) * E;
      const float* src = dH + r * E;
      for (size_t i = 0; i < E; i++) dst[i] += src[i];
    }
  }
  return loss;
}

double stack_evaluate(const Table& k, const StackLayout& L, const float* params, const std::int32_t* ids, size_t n,
                      const float* state0, StackWorkspace& ws) {
  // Blocks of up to kBlock positions: each layer over the block (input projections as one gemm, the recurrence
  // step by step), then the decoder over the block.
  constexpr size_t kBlock = 128;
  reserve(L, 1, static_cast<int>(std::min(kBlock, n - 1)), false, false, ws);
  float* state = ws.state.data();
  if (state0 != nullptr)
    std::memcpy(state, state0, L.state_width * sizeof(float));
  else
    std::fill(state, state + L.state_width, 0.0f);
  double total = 0.0;
  for (size_t pos = 0; pos + 1 < n; pos += kBlock) {
    check_interrupt();
    const int len = static_cast<int>(std::min(kBlock, n - 1 - pos));
    const float* xtop = forward(k, L, params, ids + pos, 1, len, state, false, ws);
    float* y = ws.y.data();
    decode(k, L, params, xtop, len, y);
    total += softmax_xent_loss(k, y, len, static_cast<int>(L.config.V), ids + pos + 1);
  }
  return total;
}

void stack_step(const Table& k, const StackLayout& L, const float* params, float* state, int token, float* probs,
                double temperature, StackWorkspace& ws) {
  reserve(L, 1, 1, false, false, ws);
  const std::int32_t id = token;
  const float* xtop = forward(k, L, params, &id, 1, 1, state, false, ws);
  float* y = ws.y.data();
  decode(k, L, params, xtop, 1, y);
  softmax_temperature(k, y, probs, static_cast<int>(L.config.V), temperature);
}

void stack_step_batch(const Table& k, const StackLayout& L, const float* params, float* states,
                      const std::int32_t* tokens, int n, float* probs, double temperature, StackWorkspace& ws) {
  reserve(L, n, 1, false, false, ws);
  const size_t W = L.state_width, N = static_cast<size_t>(n), V = L.config.V;
  const bool lstm = L.config.cell == Cell::kLstm;
  float* batch = ws.batch_state.grow(N * W);
  // Stream b's state (contiguous, stateSize(1)) ↔ row b of each block of the B-stream layout.
  const auto move = [&](bool gather) {
    for (size_t l = 0; l < L.layers.size(); l++) {
      const size_t H = L.layers[l].H;
      for (int part = 0; part < (lstm ? 2 : 1); part++) {
        const size_t one = part == 0 ? L.h_offset(l, 1) : L.c_offset(l, 1);
        const size_t many = part == 0 ? L.h_offset(l, N) : L.c_offset(l, N);
        for (size_t b = 0; b < N; b++) {
          float* s = states + b * W + one;
          float* m = batch + many + b * H;
          if (gather)
            std::memcpy(m, s, H * sizeof(float));
          else
            std::memcpy(s, m, H * sizeof(float));
        }
      }
    }
  };
  move(true);
  const float* xtop = forward(k, L, params, tokens, n, 1, batch, false, ws, true);
  float* y = ws.y.data();
  decode(k, L, params, xtop, n, y, true);
  for (size_t b = 0; b < N; b++) softmax_temperature(k, y + b * V, probs + b * V, static_cast<int>(V), temperature);
  move(false);
}

void stack_sample(const Table& k, const StackLayout& L, const float* params, float* state, const std::int32_t* prime,
                  size_t n_prime, std::int32_t* out, size_t length, double temperature, bool greedy, Xoshiro128ss& rng,
                  float* probs, StackWorkspace& ws, TokenPicker& picker) {
  const double t = greedy ? 1.0 : temperature;  // as the JS backend: argmax of the untempered distribution
  sample_loop(prime, n_prime, out, length, greedy, rng, probs, picker,
              [&](int tok) { stack_step(k, L, params, state, tok, probs, t, ws); });
}

}  // namespace nn
}  // namespace charrnn
