// min-char-rnn's lossFun over split tensors: copy in, rnn_chunk_gradient, copy out (see lossfun.h).
// The copies cost O(P) per call against the chunk's O(T·P) arithmetic; when the caller's tensors already
// sit back to back in arena order (views of one buffer), they are used in place and nothing is copied.
#include "lossfun.h"

#include <cstring>

namespace charrnn {
namespace nn {

namespace {

using std::size_t;

// Pointer equality only (no ordering of unrelated pointers): is `next` exactly `n` elements after `base`?
inline bool follows(const float* base, size_t n, const float* next) { return base + n == next; }

}  // namespace

double rnn_loss_fun(const kernels::Table& k, size_t H, size_t V, const SplitParams& p, const std::int32_t* inputs,
                    const std::int32_t* targets, int T, const float* hprev, const SplitGrads& g, float* hout,
                    LossFunWorkspace& ws) {
  const RnnLayout L = RnnLayout::of(H, V);
  const bool params_packed = follows(p.Wxh, H * V, p.Whh) && follows(p.Whh, H * H, p.bh) && follows(p.bh, H, p.Why) &&
                             follows(p.Why, V * H, p.by);
  const bool grads_packed = follows(g.dWxh, H * V, g.dWhh) && follows(g.dWhh, H * H, g.dbh) &&
                            follows(g.dbh, H, g.dWhy) && follows(g.dWhy, V * H, g.dby);
  const float* params = p.Wxh;
  if (!params_packed) {
    float* a = ws.params.grow(L.size);
    std::memcpy(a + L.Wxh, p.Wxh, H * V * sizeof(float));
    std::memcpy(a + L.Whh, p.Whh, H * H * sizeof(float));
    std::memcpy(a + L.bh, p.bh, H * sizeof(float));
    std::memcpy(a + L.Why, p.Why, V * H * sizeof(float));
    std::memcpy(a + L.by, p.by, V * sizeof(float));
    params = a;
  }
  float* grads = grads_packed ? g.dWxh : ws.grads.grow(L.size);
  float* hidden = ws.hidden.grow(H);
  std::memcpy(hidden, hprev, H * sizeof(float));

  const double loss = rnn_chunk_gradient(k, L, params, grads, inputs, targets, 1, T, hidden, 1.0f, ws.rnn);

  if (!grads_packed) {
    std::memcpy(g.dWxh, grads + L.Wxh, H * V * sizeof(float));
    std::memcpy(g.dWhh, grads + L.Whh, H * H * sizeof(float));
    std::memcpy(g.dbh, grads + L.bh, H * sizeof(float));
    std::memcpy(g.dWhy, grads + L.Why, V * H * sizeof(float));
    std::memcpy(g.dby, grads + L.by, V * sizeof(float));
  }
  std::memcpy(hout, hidden, H * sizeof(float));
  return loss;
}

}  // namespace nn
}  // namespace charrnn
