// The stacked / gated chunk (native/nn/stack.cc) over awkward shapes the JS parity suite does not reach, without
// Node (so it runs under the sanitizers directly): every cell, 1–3 layers of unequal widths off every SIMD width,
// one-hot or embedded input (T·B on both sides of V: the input-table and direct paths), dropout off and on, B from 1 to
// 7 (gemv steps, the 6 + 1 row tile split), T = 1 and 4. For each case:
//   - the avx2 table against the scalar one: loss 1e-5 relative, every gradient 1e-4·max|g| + 1e-6 per tensor,
//     carried state 3e-5 absolute (float32 sums in different orders), the mask stream bit-identical;
//   - every gradient element written (the arena starts as NaN), and nothing outside the arena touched (guards);
//   - evaluate() of one stream equals the loss of a B = 1 chunk over the same ids from the same state.
// Build and run: `make -C native/tests stack_test && native/tests/stack_test` (`make asan` runs it under ASan+UBSan).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "../nn/stack.h"

using namespace charrnn;

namespace {

int g_fails = 0;

void fail(const char* what, const char* label, double got, double want) {
  if (g_fails++ < 20) std::printf("FAIL %s: %s (%.9g vs %.9g)\n", label, what, got, want);
}

struct Run {
  std::vector<float> grads, state;
  Xoshiro128ss rng;
  double loss;
};

constexpr float kGuard = 12345.0f;
constexpr std::size_t kPad = 16;

Run run_chunk(const kernels::Table& k, const nn::StackLayout& L, const std::vector<float>& params,
              const std::vector<std::int32_t>& in, const std::vector<std::int32_t>& tg, int B, int T,
              const std::vector<float>& state0, nn::StackWorkspace& ws) {
  Run r;
  std::vector<float> g(L.size + 2 * kPad, kGuard);
  std::fill(g.begin() + kPad, g.begin() + kPad + L.size, NAN);
  r.state = state0;
  r.rng = Xoshiro128ss{{1u, 2u, 3u, 4u}};
  r.loss = nn::stack_chunk_gradient(k, L, params.data(), g.data() + kPad, in.data(), tg.data(), B, T, r.state.data(),
                                    L.config.dropout > 0 ? &r.rng : nullptr, 1.0f / (B * T), ws);
  for (std::size_t i = 0; i < kPad; i++)
    if (g[i] != kGuard || g[kPad + L.size + i] != kGuard) fail("write outside the gradient arena", k.isa, g[i], kGuard);
  r.grads.assign(g.begin() + kPad, g.begin() + kPad + L.size);
  return r;
}

}  // namespace

int main() {
  const kernels::Table* sca = kernels::table_for("scalar");
  const kernels::Table* avx = kernels::table_for("avx2");
  if (avx == nullptr) std::printf("stack_test: no avx2 table on this build/CPU; checking the scalar path alone\n");
  std::mt19937 gen(11);
  std::normal_distribution<float> nd(0.0f, 0.4f);
  int cases = 0;
  for (nn::Cell cell : {nn::Cell::kRnn, nn::Cell::kLstm, nn::Cell::kGru})
    for (int layers : {1, 2, 3})
      for (std::size_t E : {std::size_t{0}, std::size_t{5}})
        for (double p : {0.0, 0.4})
          for (int B : {1, 2, 7})
            for (int T : {1, 4}) {
              nn::StackConfig c;
              c.cell = cell;
              c.relu = cell == nn::Cell::kRnn && layers == 2;
              c.V = B * T >= 11 ? 11 : 13;  // one-hot: V ≤ T·B (table) when B·T ≥ 11, strided otherwise
              c.E = E;
              c.dropout = p;
              const std::size_t widths[] = {9, 17, 1};
              for (int l = 0; l < layers; l++) c.hidden.push_back(widths[l]);
              const nn::StackLayout L = nn::StackLayout::of(c);
              char label[160];
              std::snprintf(label, sizeof label, "cell %d layers %d E %zu p %.1f B %d T %d", static_cast<int>(cell),
                            layers, E, p, B, T);
              std::vector<float> params(L.size);
              for (float& w : params) w = nd(gen);
              std::vector<std::int32_t> in(B * T), tg(B * T);
              for (int i = 0; i < B * T; i++) {
                in[i] = static_cast<std::int32_t>(gen() % c.V);
                tg[i] = static_cast<std::int32_t>(gen() % c.V);
              }
              std::vector<float> state0(B * L.state_width);
              for (float& h : state0) h = nd(gen);
              nn::StackWorkspace ws1(L.layers.size()), ws2(L.layers.size());
              const Run a = run_chunk(*sca, L, params, in, tg, B, T, state0, ws1);
              for (std::size_t i = 0; i < L.size; i++)
                if (!std::isfinite(a.grads[i])) {
                  fail("gradient element not written (or not finite)", label, a.grads[i], 0);
                  break;
                }
              if (avx != nullptr) {
                const Run b = run_chunk(*avx, L, params, in, tg, B, T, state0, ws2);
                if (!(std::fabs(a.loss - b.loss) <= 1e-5 * std::fabs(a.loss))) fail("loss", label, b.loss, a.loss);
                for (const nn::StackLayout::Tensor& t : L.tensors()) {
                  double scale = 0, diff = 0;
                  for (std::size_t i = t.offset; i < t.offset + t.size; i++) {
                    scale = std::fmax(scale, std::fabs(a.grads[i]));
                    diff = std::fmax(diff, std::fabs(a.grads[i] - b.grads[i]));
                  }
                  if (!(diff <= 1e-4 * scale + 1e-6)) fail(t.name.c_str(), label, diff, 1e-4 * scale + 1e-6);
                }
                for (std::size_t i = 0; i < a.state.size(); i++)
                  if (!(std::fabs(a.state[i] - b.state[i]) <= 3e-5)) {
                    fail("carried state", label, b.state[i], a.state[i]);
                    break;
                  }
                if (std::memcmp(a.rng.s, b.rng.s, sizeof a.rng.s) != 0) fail("mask stream", label, 0, 0);
              }
              if (p == 0 && B == 1) {
                // evaluate(ids[0..T]) scores ids[1..T] after ids[0..T−1]: the chunk with targets = the next ids.
                std::vector<std::int32_t> ids(T + 1);
                for (int i = 0; i <= T; i++) ids[i] = static_cast<std::int32_t>(gen() % c.V);
                std::vector<std::int32_t> next(ids.begin() + 1, ids.end());
                std::vector<float> s = state0;
                const Run r = run_chunk(*sca, L, params, ids, next, 1, T, state0, ws1);
                const double e = nn::stack_evaluate(*sca, L, params.data(), ids.data(), ids.size(), s.data(), ws1);
                if (!(std::fabs(e - r.loss) <= 1e-6 * std::fabs(r.loss)))
                  fail("evaluate vs chunk loss", label, e, r.loss);
              }
              cases++;
            }
  std::printf("stack_test: %d cases, %d failures\n", cases, g_fails);
  return g_fails == 0 ? 0 : 1;
}
