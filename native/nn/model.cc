// The implementations behind nn::Model and the rule that picks one by shape: min-char-rnn's fast path (rnn.h: one
// tanh layer over one-hot input, no dropout, the seeds' arena layout Wxh, Whh, bh, Why, by) where the config is
// that shape, the stacked / gated cells (stack.h, PyTorch's layout) for every other one. The same rule as
// src/model/config.ts, so both sides agree on the arena layout. Deliberately no validation and no napi.h.
#include "model.h"

#include <algorithm>
#include <cstring>

#include "layout.h"
#include "rnn.h"

namespace charrnn {
namespace nn {
namespace {

// The mask stream as the cells take it: copied in, advanced, copied back (null when there is none).
template <class Fn>
double with_rng(std::uint32_t* rng_state, Fn&& fn) {
  if (rng_state == nullptr) return fn(nullptr);
  Xoshiro128ss rng{{0, 0, 0, 0}};
  std::memcpy(rng.s, rng_state, sizeof rng.s);
  const double r = fn(&rng);
  std::memcpy(rng_state, rng.s, sizeof rng.s);
  return r;
}

// One tanh layer over one-hot input, no dropout: nn/rnn.h's chunk (its own SIMD path for B = 1 and small H).
class OneLayerTanh final : public Model {
 public:
  explicit OneLayerTanh(const RnnLayout& L) : Model(L.size, L.V, L.H, std::max(L.H, L.V)), L_(L) {}

  bool has_dropout() const override { return false; }

  std::vector<Tensor> tensors() const override {
    return {{"Wxh", L_.Wxh, L_.H * L_.V},
            {"Whh", L_.Whh, L_.H * L_.H},
            {"bh", L_.bh, L_.H},
            {"Why", L_.Why, L_.V * L_.H},
            {"by", L_.by, L_.V}};
  }

  void reserve(const kernels::Table& k, int B, int T) override { rnn_reserve(k, L_, B, T, ws_); }

  double gradient(const kernels::Table& k, const Arenas& a, const Chunk& c) override {
    return rnn_chunk_gradient(k, L_, a.params, a.grads, c.inputs, c.targets, c.B, c.T, c.state, c.scale, ws_);
  }

  double evaluate(const kernels::Table& k, const float* params, const std::int32_t* ids, std::size_t n,
                  const float* state0) override {
    return rnn_evaluate(k, L_, params, ids, n, state0, ws_);
  }

  void step(const kernels::Table& k, const float* params, float* state, int token, float* probs,
            double temperature) override {
    rnn_step(k, L_, params, state, token, probs, temperature, ws_);
  }

  void step_batch(const kernels::Table& k, const float* params, float* states, const std::int32_t* tokens, int n,
                  float* probs, double temperature) override {
    rnn_step_batch(k, L_, params, states, tokens, n, probs, temperature, ws_);
  }

 protected:
  void sample_impl(const kernels::Table& k, const float* params, float* state, const std::int32_t* prime,
                   std::size_t n_prime, std::int32_t* out, std::size_t length, double temperature, bool greedy,
                   Xoshiro128ss& rng, float* probs, TokenPicker& picker) override {
    rnn_sample(k, L_, params, state, prime, n_prime, out, length, temperature, greedy, rng, probs, ws_, picker);
  }

 private:
  RnnLayout L_;
  RnnWorkspace ws_;
};

// Stacked Elman (tanh / relu), LSTM and GRU layers, one-hot or embedded input, dropout: nn/stack.h.
class Stacked final : public Model {
 public:
  explicit Stacked(const StackLayout& L)
      : Model(L.size, L.config.V, L.state_width, std::max({L.G * L.max_h, L.config.V, L.config.E})),
        L_(L),
        ws_(L.layers.size()) {}

  bool has_dropout() const override { return L_.config.dropout > 0; }

  std::vector<Tensor> tensors() const override {
    std::vector<Tensor> out;
    for (const StackLayout::Tensor& t : L_.tensors()) out.push_back({t.name, t.offset, t.size});
    return out;
  }

  void reserve(const kernels::Table&, int B, int T) override { stack_reserve(L_, B, T, ws_); }

  double gradient(const kernels::Table& k, const Arenas& a, const Chunk& c) override {
    return with_rng(c.rng_state, [&](Xoshiro128ss* rng) {
      return stack_chunk_gradient(k, L_, a.params, a.grads, c.inputs, c.targets, c.B, c.T, c.state, rng, c.scale, ws_);
    });
  }

  double evaluate(const kernels::Table& k, const float* params, const std::int32_t* ids, std::size_t n,
                  const float* state0) override {
    return stack_evaluate(k, L_, params, ids, n, state0, ws_);
  }

  void step(const kernels::Table& k, const float* params, float* state, int token, float* probs,
            double temperature) override {
    stack_step(k, L_, params, state, token, probs, temperature, ws_);
  }

  void step_batch(const kernels::Table& k, const float* params, float* states, const std::int32_t* tokens, int n,
                  float* probs, double temperature) override {
    stack_step_batch(k, L_, params, states, tokens, n, probs, temperature, ws_);
  }

 protected:
  void sample_impl(const kernels::Table& k, const float* params, float* state, const std::int32_t* prime,
                   std::size_t n_prime, std::int32_t* out, std::size_t length, double temperature, bool greedy,
                   Xoshiro128ss& rng, float* probs, TokenPicker& picker) override {
    stack_sample(k, L_, params, state, prime, n_prime, out, length, temperature, greedy, rng, probs, ws_, picker);
  }

 private:
  StackLayout L_;
  StackWorkspace ws_;
};

// min-char-rnn's shape (isVanilla() in src/model/config.ts): one tanh layer, one-hot input, no dropout.
bool is_one_layer_tanh(const ModelConfig& c) {
  return c.cell == Cell::kRnn && !c.relu && c.hidden.size() == 1 && c.E == 0 && c.dropout == 0;
}

}  // namespace

std::unique_ptr<Model> Model::make(const ModelConfig& config) {
  if (is_one_layer_tanh(config))
    return std::unique_ptr<Model>(new OneLayerTanh(RnnLayout::of(config.hidden[0], config.V)));
  StackConfig s;
  s.cell = config.cell;
  s.relu = config.relu;
  s.V = config.V;
  s.E = config.E;
  s.hidden = config.hidden;
  s.dropout = config.dropout;
  return std::unique_ptr<Model>(new Stacked(StackLayout::of(s)));
}

ChunkResult Model::train_chunk(const kernels::Table& k, const Arenas& a, const Chunk& c, const optim::Hyper& hyper) {
  ChunkResult r;
  r.loss_sum = gradient(k, a, c);
  r.grad_norm = optim::clip_and_update(hyper, a.params, a.grads, a.opt, P_);
  return r;
}

void Model::sample(const kernels::Table& k, const float* params, float* state, const std::int32_t* prime,
                   std::size_t n_prime, std::int32_t* out, std::size_t length, double temperature, bool greedy,
                   std::uint32_t* rng_state, const TransformSpec& spec) {
  TokenPicker picker(spec, static_cast<int>(V_));
  float* probs = probs_.grow(V_);
  Xoshiro128ss rng{{rng_state[0], rng_state[1], rng_state[2], rng_state[3]}};
  sample_impl(k, params, state, prime, n_prime, out, length, temperature, greedy, rng, probs, picker);
  std::memcpy(rng_state, rng.s, sizeof rng.s);
}

}  // namespace nn
}  // namespace charrnn
