// The x86 tables' rnn_chunk entry (native/kernels/kernels_x86_rnn.inc) against the loops of native/nn/rnn.cc run
// with the scalar kernel table, over awkward shapes the JS parity suite does not reach: every B from 1 to 9 (the
// 6/5/4-row tile split), H and V off every SIMD width, T·B on both sides of V (both dWxh strategies, the ≤ 64-row
// column path); and the avx512 table's chunk bit for bit against the avx2 one. `make -C native/tests rnn_chunk_test`
// (`make test` runs it; `make asan` under the sanitizers).
// Tolerances: loss 1e-5 relative, gradients 1e-4·max|g| + 1e-6, h_T 3e-5 absolute (float32 sums in a different
// order on each side; weights N(0, 0.3²) make pre-activations of H = 130 reach |z| ≈ 4).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>
#include <random>
#include "../nn/rnn.h"
using namespace charrnn;
int main() {
  const kernels::Table* avx = kernels::table_for("avx2");
  if (avx == nullptr) {
    std::printf("rnn_chunk_test: no avx2 table on this build/CPU; nothing to compare\n");
    return 0;
  }
  const kernels::Table* sca = kernels::table_for("scalar");
  const kernels::Table* zmm = kernels::table_for("avx512");  // nullptr on CPUs without AVX-512
  if (sca->rnn_chunk != nullptr || avx->rnn_chunk == nullptr) {
    std::printf("rnn_chunk_test: the scalar table must have no rnn_chunk and the avx2 table one\n");
    return 1;
  }
  int twins = 0;
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0, 0.3f);
  int fails = 0, cases = 0;
  int Hs[] = {1, 3, 8, 13, 16, 17, 37, 100, 104, 130};
  int Vs[] = {2, 9, 29, 65};
  for (int H : Hs)
    for (int V : Vs)
      for (int B : {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 32})
        for (int T : {1, 2, 5}) {
          auto L = nn::RnnLayout::of(H, V);
          std::vector<float> p(L.size), g1(L.size, 7.f), g2(L.size, -7.f), h1(B * H), h2;
          for (auto& x : p) x = nd(rng);
          for (auto& x : h1) x = std::tanh(nd(rng));
          h2 = h1;
          const std::vector<float> h0 = h1;
          std::vector<int32_t> in(B * T), tg(B * T);
          for (int i = 0; i < B * T; i++) {
            in[i] = rng() % V;
            tg[i] = rng() % V;
          }
          nn::RnnWorkspace w1, w2;
          double l1 =
              nn::rnn_chunk_gradient(*avx, L, p.data(), g1.data(), in.data(), tg.data(), B, T, h1.data(), 0.5f, w1);
          double l2 =
              nn::rnn_chunk_gradient(*sca, L, p.data(), g2.data(), in.data(), tg.data(), B, T, h2.data(), 0.5f, w2);
          cases++;
          double gmax = 0, gd = 0, hd = 0;
          for (size_t i = 0; i < L.size; i++) {
            gmax = std::fmax(gmax, std::fabs(g2[i]));
            gd = std::fmax(gd, std::fabs(g1[i] - g2[i]));
            if (!std::isfinite(g1[i])) gd = 1e9;
          }
          for (size_t i = 0; i < h1.size(); i++) hd = std::fmax(hd, std::fabs(h1[i] - h2[i]));
          bool bad = std::fabs(l1 - l2) > 1e-5 * std::fabs(l2) + 1e-6 || gd > 1e-4 * gmax + 1e-6 || hd > 3e-5;
          if (bad) {
            fails++;
            if (fails < 20)
              printf("FAIL H=%d V=%d B=%d T=%d loss %g vs %g gd %g (gmax %g) hd %g\n", H, V, B, T, l1, l2, gd, gmax,
                     hd);
          }
          if (zmm != nullptr) {  // same inputs on the avx512 table: every gradient, h_T and the loss bit for bit
            std::vector<float> g3(L.size, 3.f), h3 = h0;
            nn::RnnWorkspace w3;
            const double l3 =
                nn::rnn_chunk_gradient(*zmm, L, p.data(), g3.data(), in.data(), tg.data(), B, T, h3.data(), 0.5f, w3);
            twins++;
            if (l3 != l1 || std::memcmp(g3.data(), g1.data(), g1.size() * sizeof(float)) != 0 ||
                std::memcmp(h3.data(), h1.data(), h1.size() * sizeof(float)) != 0) {
              fails++;
              if (fails < 20) printf("FAIL H=%d V=%d B=%d T=%d: avx512 chunk differs from avx2\n", H, V, B, T);
            }
          }
        }
  printf("%d cases against the scalar loops, %d avx512 vs avx2 bit for bit, %d failures\n", cases, twins, fails);
  return fails != 0;
}
