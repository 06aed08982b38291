// 'classify' / 'tag' models over padded sequence batches (see seq.h); the math of src/backends/js/seq.ts in float32.
#include "seq.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "onehot.h"

namespace charrnn {
namespace nn {

using kernels::Table;

namespace {

struct DirLayer {
  std::size_t H, In, GH;
  std::size_t wih, whh, bih, bhh;
};

struct DirScratch {
  Scratch<float> hs;    // [(T+1)·B, H]: forward h_t in block t+1 (block 0 zero), reverse h_t in block t (block T zero)
  Scratch<float> cs;    // LSTM: same blocks
  Scratch<float> tc;    // LSTM: tanh(c_t) [T·B, H]
  Scratch<float> acts;  // [T·B, G·H] post-activation gates (rnn: h), 0 at padded rows
  Scratch<float> hn;    // GRU: W_hn·h + b_hn [T·B, H]
};

}  // namespace

struct SeqModel::Impl {
  SeqConfig c;
  std::size_t G = 1, D = 1, L = 0, P = 0, emb = 0, dec_w = 0, dec_b = 0;
  std::size_t max_gh = 0, max_h = 0, max_in = 0, max_w = 0, widest = 0;
  std::vector<std::vector<DirLayer>> layers;  // [l][d]
  std::vector<std::size_t> widths;            // D·H_l
  std::vector<Tensor> names;
  // scratch
  std::vector<std::vector<DirScratch>> s;  // [l][d]
  std::vector<Scratch<float>> xs;          // [L+1]: xs[l] input of layer l (l ≥ 1 or embedding), xs[L] head input
  std::vector<Scratch<float>> masks;       // [L]: [T·B, D·H_l]
  Scratch<std::int32_t> ids;               // time-major ids [T·B]
  Scratch<unsigned char> valid;            // [T·B]
  Scratch<float> feat, y, dh_a, dh_b, dai, dah, dhnext, dc, dhstep, direct, rec, whh, bias, part;
  Scratch<std::int32_t> argmax;
  Scratch<double> acc;

  Tensor add(const std::string& name, std::size_t size) {
    Tensor t{name, P, size};
    P += size;
    names.push_back(t);
    return t;
  }

  explicit Impl(const SeqConfig& cfg) : c(cfg) {
    const StackConfig& sc = c.stack;
    G = gate_count(sc.cell);
    D = c.bidirectional ? 2 : 1;
    L = sc.hidden.size();
    if (sc.E > 0) emb = add("embedding.weight", sc.V * sc.E).offset;
    layers.resize(L);
    for (std::size_t l = 0; l < L; l++) {
      const std::size_t H = sc.hidden[l];
      const std::size_t In = l > 0 ? D * sc.hidden[l - 1] : sc.E > 0 ? sc.E : sc.V;
      for (std::size_t d = 0; d < D; d++) {
        const std::string sfx = "_l" + std::to_string(l) + (d == 1 ? "_reverse" : "");
        DirLayer dl{H, In, G * H, 0, 0, 0, 0};
        dl.wih = add("rnn.weight_ih" + sfx, G * H * In).offset;
        dl.whh = add("rnn.weight_hh" + sfx, G * H * H).offset;
        dl.bih = add("rnn.bias_ih" + sfx, G * H).offset;
        dl.bhh = add("rnn.bias_hh" + sfx, G * H).offset;
        layers[l].push_back(dl);
      }
      widths.push_back(D * H);
      max_gh = std::max(max_gh, G * H);
      max_h = std::max(max_h, H);
      max_in = std::max(max_in, In);
      max_w = std::max(max_w, D * H);
    }
    dec_w = add("decoder.weight", c.C * widths.back()).offset;
    dec_b = add("decoder.bias", c.C).offset;
    widest = std::max({max_gh, max_w, c.C, sc.E});
    s.resize(L);
    for (std::size_t l = 0; l < L; l++) s[l] = std::vector<DirScratch>(D);
    xs = std::vector<Scratch<float>>(L + 1);
    masks = std::vector<Scratch<float>>(L);
  }

  void reserve(int B, int T, bool training, bool drop) {
    const std::size_t TB = static_cast<std::size_t>(T) * B;
    const bool lstm = c.stack.cell == Cell::kLstm, gru = c.stack.cell == Cell::kGru;
    for (std::size_t l = 0; l < L; l++) {
      for (std::size_t d = 0; d < D; d++) {
        const DirLayer& dl = layers[l][d];
        DirScratch& ds = s[l][d];
        ds.hs.grow((TB + B) * dl.H);
        ds.acts.grow(TB * dl.GH);
        if (lstm) {
          ds.cs.grow((TB + B) * dl.H);
          ds.tc.grow(TB * dl.H);
        }
        if (gru) ds.hn.grow(TB * dl.H);
      }
      if (l > 0 || c.stack.E > 0) xs[l].grow(TB * layers[l][0].In);
      if (drop) masks[l].grow(TB * widths[l]);
    }
    xs[L].grow(TB * widths.back());
    ids.grow(TB);
    valid.grow(TB);
    feat.grow(static_cast<std::size_t>(B) * widths.back());
    argmax.grow(static_cast<std::size_t>(B) * widths.back());
    y.grow(TB * c.C);
    rec.grow(static_cast<std::size_t>(B) * max_gh);
    constexpr std::size_t u = kernels::kPackedColUnit;
    const auto up = [](std::size_t n) { return (n + u - 1) / u * u; };
    std::size_t packed = 0;
    for (const auto& ld : layers) packed = std::max({packed, ld[0].H * up(ld[0].GH), ld[0].GH * up(ld[0].H)});
    whh.grow(packed);
    bias.grow(max_gh);
    part.grow(std::max(max_gh, c.C));
    acc.grow(2 * max_gh + c.C);
    if (!training) return;
    const std::size_t width = std::max(max_w, c.stack.E);  // layer outputs, and an embedding's input gradient
    dh_a.grow(TB * width);
    dh_b.grow(TB * width);
    dai.grow(TB * max_gh);
    if (gru) dah.grow(TB * max_gh);
    dhnext.grow(static_cast<std::size_t>(B) * max_h);
    dc.grow(static_cast<std::size_t>(B) * max_h);
    dhstep.grow(static_cast<std::size_t>(B) * max_h);
    direct.grow(static_cast<std::size_t>(B) * max_h);
  }

  // op(W) for B rows per step: W_hhᵀ forward (W [N, K], trans) or W_hh backward (W [K, N]); packed once per pass.
  struct Rec {
    const Table* k;
    int M, N, K;
    const float* W;
    int ldw;
    bool trans;
    const float* packed;
    void mul(const float* A, int lda, float* C, int ldc, bool acc) const {
      if (packed != nullptr)
        k->gemm_pb(M, N, K, A, lda, packed, 0, N, C, ldc, acc);
      else if (M == 1 && trans)
        k->gemv_n(N, K, W, ldw, A, C, acc);
      else if (M == 1)
        k->gemv_t(K, N, W, ldw, A, C, acc);
      else if (trans)
        k->gemm_nt(M, N, K, A, lda, W, ldw, C, ldc, acc);
      else
        k->gemm_nn(M, N, K, A, lda, W, ldw, C, ldc, acc);
    }
  };
  Rec recurrent(const Table& k, int B, int T, int N, int K, const float* W, bool trans) {
    Rec r{&k, B, N, K, W, trans ? K : N, trans, nullptr};
    if (B >= 2 && T >= 2) {
      float* p = whh.grow(k.packed_b_size(K, N));
      k.pack_b(K, N, W, r.ldw, trans, p);
      r.packed = p;
    }
    return r;
  }

  void forward_dir(const Table& k, const float* params, std::size_t l, std::size_t d, int B, int T, bool drop) {
    const StackConfig& sc = c.stack;
    const DirLayer& dl = layers[l][d];
    DirScratch& ds = s[l][d];
    const std::size_t H = dl.H, GH = dl.GH, In = dl.In, V = sc.V;
    const int Hi = static_cast<int>(H), GHi = static_cast<int>(GH), Ini = static_cast<int>(In);
    const std::size_t TB = static_cast<std::size_t>(T) * B, BH = static_cast<std::size_t>(B) * H;
    const bool lstm = sc.cell == Cell::kLstm, gru = sc.cell == Cell::kGru;
    float* hs = ds.hs.data();
    float* cs = lstm ? ds.cs.data() : nullptr;
    float* tc = lstm ? ds.tc.data() : nullptr;
    float* A = ds.acts.data();
    float* hn = gru ? ds.hn.data() : nullptr;
    const unsigned char* ok = valid.data();
    const float* bih = params + dl.bih;
    const float* bhh = params + dl.bhh;
    float* bs = bias.data();  // b_ih + b_hh (GRU n slice: b_in only)
    for (std::size_t j = 0; j < GH; j++) bs[j] = gru && j >= 2 * H ? bih[j] : bih[j] + bhh[j];
    // Input projection of all steps: A [T·B, G·H] = X·W_ihᵀ (one-hot: a column gather).
    const float* Wih = params + dl.wih;
    if (l == 0 && sc.E == 0) {
      const std::int32_t* x = ids.data();
      for (std::size_t r = 0; r < TB; r++) {
        float* a = A + r * GH;
        const std::size_t v = static_cast<std::size_t>(x[r]);
        for (std::size_t j = 0; j < GH; j++) a[j] = Wih[j * V + v];
      }
    } else {
      k.gemm_nt(static_cast<int>(TB), GHi, Ini, xs[l].data(), Ini, Wih, Ini, A, GHi, false);
    }
    const std::size_t zero = d == 0 ? 0 : static_cast<std::size_t>(T) * BH;
    std::fill(hs + zero, hs + zero + BH, 0.0f);
    if (lstm) std::fill(cs + zero, cs + zero + BH, 0.0f);
    const Rec rm = recurrent(k, B, T, GHi, Hi, params + dl.whh, true);
    for (int step = 0; step < T; step++) {
      const int t = d == 0 ? step : T - 1 - step;
      const std::size_t prev = static_cast<std::size_t>(d == 0 ? t : t + 1) * BH;
      const std::size_t cur = static_cast<std::size_t>(d == 0 ? t + 1 : t) * BH;
      const float* hprev = hs + prev;
      float* hcur = hs + cur;
      float* a = A + static_cast<std::size_t>(t) * B * GH;
      const unsigned char* okt = ok + static_cast<std::size_t>(t) * B;
      if (sc.cell == Cell::kRnn) {
        rm.mul(hprev, Hi, a, GHi, true);
        for (int b = 0; b < B; b++) {
          float* ab = a + static_cast<std::size_t>(b) * H;
          for (std::size_t i = 0; i < H; i++) ab[i] += bs[i];
        }
        if (sc.relu) {
          for (std::size_t i = 0; i < BH; i++) a[i] = a[i] > 0 ? a[i] : 0.0f;
        } else {
          k.tanh(BH, a, a);
        }
        for (int b = 0; b < B; b++)
          if (!okt[b]) std::fill(a + static_cast<std::size_t>(b) * H, a + static_cast<std::size_t>(b + 1) * H, 0.0f);
        std::memcpy(hcur, a, BH * sizeof(float));
      } else if (lstm) {
        rm.mul(hprev, Hi, a, GHi, true);
        for (int b = 0; b < B; b++) {
          float* e = a + static_cast<std::size_t>(b) * GH;
          for (std::size_t j = 0; j < 2 * H; j++) e[j] = -(e[j] + bs[j]);
          for (std::size_t j = 2 * H; j < 3 * H; j++) e[j] = -2.0f * (e[j] + bs[j]);
          for (std::size_t j = 3 * H; j < 4 * H; j++) e[j] = -(e[j] + bs[j]);
        }
        k.exp(static_cast<std::size_t>(B) * GH, a, a);
        float* ccur = cs + cur;
        const float* cprev = cs + prev;
        for (int b = 0; b < B; b++) {
          float* e = a + static_cast<std::size_t>(b) * GH;
          float* cb = ccur + static_cast<std::size_t>(b) * H;
          if (!okt[b]) {
            std::fill(e, e + GH, 0.0f);
            std::fill(cb, cb + H, 0.0f);
            continue;
          }
          const float* cp = cprev + static_cast<std::size_t>(b) * H;
          for (std::size_t i = 0; i < H; i++) {
            const float ig = 1.0f / (1.0f + e[i]);
            const float fg = 1.0f / (1.0f + e[H + i]);
            const float gg = 2.0f / (1.0f + e[2 * H + i]) - 1.0f;
            const float og = 1.0f / (1.0f + e[3 * H + i]);
            e[i] = ig;
            e[H + i] = fg;
            e[2 * H + i] = gg;
            e[3 * H + i] = og;
            cb[i] = fg * cp[i] + ig * gg;
          }
        }
        float* tct = tc + static_cast<std::size_t>(t) * BH;
        k.tanh(BH, ccur, tct);
        for (int b = 0; b < B; b++) {
          const float* o = a + static_cast<std::size_t>(b) * GH + 3 * H;
          const float* tb = tct + static_cast<std::size_t>(b) * H;
          float* h = hcur + static_cast<std::size_t>(b) * H;
          for (std::size_t i = 0; i < H; i++) h[i] = o[i] * tb[i];  // padded rows: o = 0, so h = 0
        }
      } else {
        float* rc = rec.data();
        rm.mul(hprev, Hi, rc, GHi, false);
        const float* bhn = bhh + 2 * H;
        for (int b = 0; b < B; b++) {
          float* g = a + static_cast<std::size_t>(b) * GH;
          float* h = hcur + static_cast<std::size_t>(b) * H;
          float* hnr = hn + (static_cast<std::size_t>(t) * B + b) * H;
          if (!okt[b]) {
            std::fill(g, g + GH, 0.0f);
            std::fill(h, h + H, 0.0f);
            std::fill(hnr, hnr + H, 0.0f);
            continue;
          }
          const float* rr = rc + static_cast<std::size_t>(b) * GH;
          for (std::size_t j = 0; j < 2 * H; j++) g[j] = -(g[j] + rr[j] + bs[j]);
          k.exp(2 * H, g, g);
          for (std::size_t i = 0; i < H; i++) {
            const float rg = 1.0f / (1.0f + g[i]);
            g[i] = rg;
            g[H + i] = 1.0f / (1.0f + g[H + i]);
            const float v = rr[2 * H + i] + bhn[i];
            hnr[i] = v;
            g[2 * H + i] = -2.0f * (g[2 * H + i] + bs[2 * H + i] + rg * v);
          }
          k.exp(H, g + 2 * H, g + 2 * H);
          const float* hp = hprev + static_cast<std::size_t>(b) * H;
          for (std::size_t i = 0; i < H; i++) {
            const float zg = g[H + i];
            const float ng = 2.0f / (1.0f + g[2 * H + i]) - 1.0f;
            g[2 * H + i] = ng;
            h[i] = (1.0f - zg) * ng + zg * hp[i];
          }
        }
      }
    }
    // This direction's half of the layer output (dropped out when training).
    const std::size_t W = widths[l];
    float* next = xs[l + 1].data();
    const float* m = drop ? masks[l].data() : nullptr;
    for (int t = 0; t < T; t++) {
      const float* src = hs + static_cast<std::size_t>(d == 0 ? t + 1 : t) * BH;
      for (int b = 0; b < B; b++) {
        const std::size_t o = (static_cast<std::size_t>(t) * B + b) * W + d * H;
        const float* h = src + static_cast<std::size_t>(b) * H;
        if (m != nullptr)
          for (std::size_t i = 0; i < H; i++) next[o + i] = h[i] * m[o + i];
        else
          std::memcpy(next + o, h, H * sizeof(float));
      }
    }
  }

  void forward(const Table& k, const float* params, const SeqBatch& bt, bool drop, Xoshiro128ss* rng) {
    const int B = bt.B, T = bt.T;
    const std::size_t TB = static_cast<std::size_t>(T) * B;
    std::int32_t* x = ids.data();
    unsigned char* ok = valid.data();
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) {
        const std::size_t r = static_cast<std::size_t>(t) * B + b;
        x[r] = bt.ids[static_cast<std::size_t>(b) * T + t];
        ok[r] = t < bt.lengths[b] ? 1 : 0;
      }
    if (drop) {  // drawSequenceMasks' order: t → layer → sequence → unit
      const double p = c.stack.dropout;
      const float keep = static_cast<float>(1.0 / (1.0 - p));
      for (int t = 0; t < T; t++)
        for (std::size_t l = 0; l < L; l++) {
          const std::size_t W = widths[l];
          float* m = masks[l].data() + static_cast<std::size_t>(t) * B * W;
          for (std::size_t i = 0; i < static_cast<std::size_t>(B) * W; i++) m[i] = rng->next_float() >= p ? keep : 0.0f;
        }
    }
    if (c.stack.E > 0) {
      const std::size_t E = c.stack.E;
      float* x0 = xs[0].data();
      const float* e = params + emb;
      for (std::size_t r = 0; r < TB; r++)
        std::memcpy(x0 + r * E, e + static_cast<std::size_t>(x[r]) * E, E * sizeof(float));
    }
    for (std::size_t l = 0; l < L; l++)
      for (std::size_t d = 0; d < D; d++) forward_dir(k, params, l, d, B, T, drop);
  }

  // The head's input: classify → feat [B, top] read out of xs[L]; tag → xs[L] itself.
  const float* readout(const SeqBatch& bt, int* rows) {
    const int B = bt.B, T = bt.T;
    const std::size_t top = widths.back();
    const float* xL = xs[L].data();
    if (c.task == Task::kTag) {
      *rows = B * T;
      return xL;
    }
    *rows = B;
    float* F = feat.data();
    const std::size_t H = layers[L - 1][0].H;
    for (int b = 0; b < B; b++) {
      const int n = bt.lengths[b];
      float* f = F + static_cast<std::size_t>(b) * top;
      if (c.pooling == Pooling::kLast) {
        std::memcpy(f, xL + (static_cast<std::size_t>(n - 1) * B + b) * top, H * sizeof(float));
        if (D == 2) std::memcpy(f + H, xL + static_cast<std::size_t>(b) * top + H, H * sizeof(float));
      } else if (c.pooling == Pooling::kMean) {
        std::fill(f, f + top, 0.0f);
        for (int t = 0; t < n; t++) {
          const float* row = xL + (static_cast<std::size_t>(t) * B + b) * top;
          for (std::size_t i = 0; i < top; i++) f[i] += row[i];
        }
        const float inv = 1.0f / static_cast<float>(n);
        for (std::size_t i = 0; i < top; i++) f[i] *= inv;
      } else {
        std::int32_t* am = argmax.data() + static_cast<std::size_t>(b) * top;
        std::memcpy(f, xL + static_cast<std::size_t>(b) * top, top * sizeof(float));
        std::fill(am, am + top, 0);
        for (int t = 1; t < n; t++) {
          const float* row = xL + (static_cast<std::size_t>(t) * B + b) * top;
          for (std::size_t i = 0; i < top; i++)
            if (row[i] > f[i]) {
              f[i] = row[i];
              am[i] = t;
            }
        }
      }
    }
    return F;
  }

  // Column sums of rows [R, N] into acc [N] (double), rows ascending.
  static void col_sums(std::size_t R, std::size_t N, const float* rows, double* out) {
    std::fill(out, out + N, 0.0);
    for (std::size_t r = 0; r < R; r++)
      for (std::size_t j = 0; j < N; j++) out[j] += rows[r * N + j];
  }

  void backward_dir(const Table& k, const float* params, float* grads, std::size_t l, std::size_t d, int B, int T,
                    const float* dH, float* dX) {
    const StackConfig& sc = c.stack;
    const DirLayer& dl = layers[l][d];
    DirScratch& ds = s[l][d];
    const std::size_t H = dl.H, GH = dl.GH, In = dl.In, W = widths[l];
    const int Hi = static_cast<int>(H), GHi = static_cast<int>(GH), Ini = static_cast<int>(In);
    const std::size_t TB = static_cast<std::size_t>(T) * B, BH = static_cast<std::size_t>(B) * H;
    const int TBi = static_cast<int>(TB);
    const bool lstm = sc.cell == Cell::kLstm, gru = sc.cell == Cell::kGru;
    const float* hs = ds.hs.data();
    const float* cs = lstm ? ds.cs.data() : nullptr;
    const float* tc = lstm ? ds.tc.data() : nullptr;
    const float* A = ds.acts.data();
    const float* hn = gru ? ds.hn.data() : nullptr;
    const unsigned char* ok = valid.data();
    float* di_all = dai.data();
    float* dh_all = gru ? dah.data() : di_all;
    float* dn = dhnext.data();
    float* dcn = dc.data();
    float* dhs = dhstep.data();
    float* dir = direct.data();
    std::fill(dn, dn + BH, 0.0f);
    std::fill(dcn, dcn + BH, 0.0f);
    const Rec rm = recurrent(k, B, T, Hi, GHi, params + dl.whh, false);
    for (int step = 0; step < T; step++) {
      const int t = d == 0 ? T - 1 - step : step;
      const std::size_t prev = static_cast<std::size_t>(d == 0 ? t : t + 1) * BH;
      for (int b = 0; b < B; b++) {
        const std::size_t row = static_cast<std::size_t>(t) * B + b;
        const std::size_t sb = static_cast<std::size_t>(b) * H;
        float* di = di_all + row * GH;
        float* dhh = dh_all + row * GH;
        if (!ok[row]) {
          std::fill(di, di + GH, 0.0f);
          if (gru) std::fill(dhh, dhh + GH, 0.0f);
          std::fill(dcn + sb, dcn + sb + H, 0.0f);
          std::fill(dir + sb, dir + sb + H, 0.0f);
          continue;
        }
        float* dh = dhs + sb;
        const float* up = dH + row * W + d * H;
        for (std::size_t i = 0; i < H; i++) dh[i] = up[i] + dn[sb + i];
        const float* g = A + row * GH;
        if (sc.cell == Cell::kRnn) {
          if (sc.relu) {
            for (std::size_t i = 0; i < H; i++) di[i] = g[i] > 0 ? dh[i] : 0.0f;
          } else {
            for (std::size_t i = 0; i < H; i++) di[i] = (1.0f - g[i] * g[i]) * dh[i];
          }
        } else if (lstm) {
          const float* cp = cs + prev + sb;
          const float* tcr = tc + row * H;
          float* dcb = dcn + sb;
          for (std::size_t i = 0; i < H; i++) {
            const float ig = g[i], fg = g[H + i], gg = g[2 * H + i], og = g[3 * H + i];
            const float tt = tcr[i];
            const float dcv = dcb[i] + dh[i] * og * (1.0f - tt * tt);
            di[i] = dcv * gg * ig * (1.0f - ig);
            di[H + i] = dcv * cp[i] * fg * (1.0f - fg);
            di[2 * H + i] = dcv * ig * (1.0f - gg * gg);
            di[3 * H + i] = dh[i] * tt * og * (1.0f - og);
            dcb[i] = dcv * fg;
          }
        } else {
          const float* hp = hs + prev + sb;
          const float* hnr = hn + row * H;
          for (std::size_t i = 0; i < H; i++) {
            const float rg = g[i], zg = g[H + i], ng = g[2 * H + i];
            const float dnv = dh[i] * (1.0f - zg) * (1.0f - ng * ng);
            const float dr = dnv * hnr[i] * rg * (1.0f - rg);
            const float dz = dh[i] * (hp[i] - ng) * zg * (1.0f - zg);
            di[i] = dr;
            di[H + i] = dz;
            di[2 * H + i] = dnv;
            dhh[i] = dr;
            dhh[H + i] = dz;
            dhh[2 * H + i] = dnv * rg;
            dir[sb + i] = dh[i] * zg;
          }
        }
      }
      // dh of the previous step (in this direction's order) = dA_h[t]·W_hh (+ GRU's z·dh)
      rm.mul(dh_all + static_cast<std::size_t>(t) * B * GH, GHi, dn, Hi, false);
      if (gru)
        for (std::size_t i = 0; i < BH; i++) dn[i] += dir[i];
    }
    double* ac = acc.data();
    col_sums(TB, GH, di_all, ac);
    if (gru)
      col_sums(TB, GH, dh_all, ac + GH);
    else
      std::copy(ac, ac + GH, ac + GH);
    for (std::size_t j = 0; j < GH; j++) {
      grads[dl.bih + j] = static_cast<float>(ac[j]);
      grads[dl.bhh + j] = static_cast<float>(ac[GH + j]);
    }
    // dW_hh = dA_hᵀ·H_prev: previous states are hs blocks 0..T−1 (forward) or 1..T (reverse), row-aligned.
    k.gemm_tn(GHi, Hi, TBi, dh_all, GHi, hs + (d == 0 ? 0 : BH), Hi, grads + dl.whh, Hi, false);
    float* dWih = grads + dl.wih;
    if (l == 0 && sc.E == 0) {
      one_hot_weight_grad(ids.data(), TB, di_all, GH, sc.V, nullptr, dWih);
      return;
    }
    k.gemm_tn(GHi, Ini, TBi, di_all, GHi, xs[l].data(), Ini, dWih, Ini, false);
    k.gemm_nn(TBi, Ini, GHi, di_all, GHi, params + dl.wih, Ini, dX, Ini, d > 0);  // dX (+)= dA_i·W_ih
  }

  double gradient(const Table& k, const float* params, float* grads, const SeqBatch& bt, Xoshiro128ss* rng) {
    const bool drop = c.stack.dropout > 0;
    reserve(bt.B, bt.T, true, drop);
    forward(k, params, bt, drop, rng);
    const int B = bt.B, T = bt.T;
    const std::size_t TB = static_cast<std::size_t>(T) * B;
    const std::size_t C = c.C, top = widths.back();
    const int Ci = static_cast<int>(C), topi = static_cast<int>(top);
    int rows = 0;
    const float* x = readout(bt, &rows);
    float* Y = y.data();
    k.gemm_nt(rows, Ci, topi, x, topi, params + dec_w, topi, Y, Ci, false);
    const bool tag = c.task == Task::kTag;
    const float* db = params + dec_b;
    double loss = 0, wsum = 0;
    const unsigned char* ok = valid.data();
    for (int r = 0; r < rows; r++) {
      float* yr = Y + static_cast<std::size_t>(r) * C;
      int label = -1;
      if (tag) {
        const int t = r / B, b = r - t * B;
        if (ok[r]) label = bt.labels[static_cast<std::size_t>(b) * T + t];
      } else {
        label = bt.labels[r];
      }
      if (label < 0) {
        std::fill(yr, yr + C, 0.0f);
        continue;
      }
      const double w = bt.class_weights != nullptr ? bt.class_weights[label] : 1.0;
      float mx = -INFINITY;
      for (std::size_t j = 0; j < C; j++) {
        yr[j] += db[j];
        mx = std::max(mx, yr[j]);
      }
      const float ylab = yr[label];
      for (std::size_t j = 0; j < C; j++) yr[j] -= mx;
      k.exp(C, yr, yr);
      double sum = 0;
      for (std::size_t j = 0; j < C; j++) sum += yr[j];
      loss += w * (std::log(sum) - (static_cast<double>(ylab) - mx));
      wsum += w;
      const float inv = static_cast<float>(1.0 / sum);
      for (std::size_t j = 0; j < C; j++) yr[j] *= inv;
      yr[label] -= 1.0f;
      const float wf = static_cast<float>(w);
      for (std::size_t j = 0; j < C; j++) yr[j] *= wf;
    }
    if (wsum == 0) {
      std::fill(grads, grads + P, 0.0f);
      return 0;
    }
    const float scale = static_cast<float>(1.0 / wsum);
    for (std::size_t i = 0; i < static_cast<std::size_t>(rows) * C; i++) Y[i] *= scale;
    double* ac = acc.data();
    col_sums(static_cast<std::size_t>(rows), C, Y, ac);
    for (std::size_t j = 0; j < C; j++) grads[dec_b + j] = static_cast<float>(ac[j]);
    k.gemm_tn(Ci, topi, rows, Y, Ci, x, topi, grads + dec_w, topi, false);
    float* dH = dh_a.data();
    float* dX = dh_b.data();
    if (tag) {
      k.gemm_nn(static_cast<int>(TB), topi, Ci, Y, Ci, params + dec_w, topi, dH, topi, false);
    } else {
      float* dF = feat.data();  // the read-out is no longer needed
      k.gemm_nn(B, topi, Ci, Y, Ci, params + dec_w, topi, dF, topi, false);
      std::fill(dH, dH + TB * top, 0.0f);
      const std::size_t H = layers[L - 1][0].H;
      for (int b = 0; b < B; b++) {
        const int n = bt.lengths[b];
        const float* f = dF + static_cast<std::size_t>(b) * top;
        if (c.pooling == Pooling::kLast) {
          float* o = dH + (static_cast<std::size_t>(n - 1) * B + b) * top;
          for (std::size_t i = 0; i < H; i++) o[i] += f[i];
          if (D == 2) {
            float* o0 = dH + static_cast<std::size_t>(b) * top + H;
            for (std::size_t i = 0; i < H; i++) o0[i] += f[H + i];
          }
        } else if (c.pooling == Pooling::kMean) {
          const float inv = 1.0f / static_cast<float>(n);
          for (int t = 0; t < n; t++) {
            float* o = dH + (static_cast<std::size_t>(t) * B + b) * top;
            for (std::size_t i = 0; i < top; i++) o[i] += f[i] * inv;
          }
        } else {
          const std::int32_t* am = argmax.data() + static_cast<std::size_t>(b) * top;
          for (std::size_t i = 0; i < top; i++) dH[(static_cast<std::size_t>(am[i]) * B + b) * top + i] += f[i];
        }
      }
    }
    for (std::size_t l = L; l-- > 0;) {
      const std::size_t W = widths[l];
      if (drop) {
        const float* m = masks[l].data();
        for (std::size_t i = 0; i < TB * W; i++) dH[i] *= m[i];
      }
      for (std::size_t d = 0; d < D; d++) backward_dir(k, params, grads, l, d, B, T, dH, dX);
      std::swap(dH, dX);
    }
    if (c.stack.E > 0) {  // the first layer's input gradient (now in dH) into the embedding rows
      const std::size_t E = c.stack.E;
      float* dEmb = grads + emb;
      std::fill(dEmb, dEmb + c.stack.V * E, 0.0f);
      const std::int32_t* xi = ids.data();
      for (std::size_t r = 0; r < TB; r++) {
        float* dst = dEmb + static_cast<std::size_t>(xi[r]) * E;
        const float* src = dH + r * E;
        for (std::size_t i = 0; i < E; i++) dst[i] += src[i];
      }
    }
    return loss / wsum;
  }

  void forward_logits(const Table& k, const float* params, const SeqBatch& bt, float* out) {
    reserve(bt.B, bt.T, false, false);
    forward(k, params, bt, false, nullptr);
    const int B = bt.B, T = bt.T;
    const std::size_t C = c.C, top = widths.back();
    const int Ci = static_cast<int>(C), topi = static_cast<int>(top);
    int rows = 0;
    const float* x = readout(bt, &rows);
    float* Y = y.data();
    k.gemm_nt(rows, Ci, topi, x, topi, params + dec_w, topi, Y, Ci, false);
    const float* db = params + dec_b;
    const bool tag = c.task == Task::kTag;
    if (tag) std::fill(out, out + static_cast<std::size_t>(rows) * C, 0.0f);
    for (int r = 0; r < rows; r++) {
      std::size_t o = static_cast<std::size_t>(r) * C;
      if (tag) {
        if (!valid.data()[r]) continue;
        const int t = r / B, b = r - t * B;
        o = (static_cast<std::size_t>(b) * T + t) * C;
      }
      const float* yr = Y + static_cast<std::size_t>(r) * C;
      for (std::size_t j = 0; j < C; j++) out[o + j] = yr[j] + db[j];
    }
  }
};

SeqModel::SeqModel(const SeqConfig& c) : impl_(new Impl(c)) {}
SeqModel::~SeqModel() = default;
std::size_t SeqModel::param_count() const { return impl_->P; }
std::size_t SeqModel::widest_row() const { return impl_->widest; }
bool SeqModel::has_dropout() const { return impl_->c.stack.dropout > 0; }
std::size_t SeqModel::num_classes() const { return impl_->c.C; }
std::size_t SeqModel::vocab() const { return impl_->c.stack.V; }
Task SeqModel::task() const { return impl_->c.task; }
std::vector<SeqModel::Tensor> SeqModel::tensors() const { return impl_->names; }

void SeqModel::reserve(int B, int T) { impl_->reserve(B, T, true, impl_->c.stack.dropout > 0); }

double SeqModel::gradient(const Table& k, const float* params, float* grads, const SeqBatch& batch, Xoshiro128ss* rng) {
  return impl_->gradient(k, params, grads, batch, rng);
}

void SeqModel::forward(const Table& k, const float* params, const SeqBatch& batch, float* logits) {
  impl_->forward_logits(k, params, batch, logits);
}

}  // namespace nn
}  // namespace charrnn
