// One native model interface: a config in, a model out that trains a chunk, evaluates, steps and samples over the
// caller's parameter arena. The binding (native/binding/) talks to this and nothing below it. Which implementation
// runs (min-char-rnn's one-layer tanh fast path in rnn.h, or the stacked / gated cells in stack.h) is chosen inside
// model.cc by the config's shape; callers never branch on it. Workspaces live inside the model.
// Deliberately no validation (the binding checks every argument first), no napi.h, no threads of its own.
//
// Shapes (time-major, row r = t·B + b): inputs, targets [T, B]; state [B, state_width()] (stateSize in
// src/model/layout.ts: every layer's h, bottom first, then an LSTM's c); probs [V].
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../kernels/kernels.h"
#include "../optim/optim.h"
#include "../util/rng.h"
#include "../util/scratch.h"
#include "sample.h"
#include "stack.h"  // nn::Cell

namespace charrnn {
namespace nn {

// What a model is: the native twin of src/model/config.ts's ModelConfig (already validated).
struct ModelConfig {
  Cell cell = Cell::kRnn;
  bool relu = false;                // activation 'relu' (cell 'rnn' only); else tanh
  std::size_t V = 0;                // vocabulary
  std::vector<std::size_t> hidden;  // width of each layer, bottom first
  std::size_t E = 0;                // embedding width; 0 = one-hot input
  double dropout = 0;               // [0, 1): on each layer's output while training
};

// The caller's arenas, worked on in place: params and grads [P], opt [slots(kind)·P].
struct Arenas {
  float* params;
  float* grads;
  float* opt;
};

// One training chunk of B streams × T steps. `state` [B, state_width()] is read as the state at t = 0 and
// overwritten with the state after step T. `rng_state` (4 words) is the dropout mask stream, advanced in place;
// required when has_dropout(), ignored (may be null) otherwise. dY = (p − onehot)·scale.
struct Chunk {
  const std::int32_t* inputs;
  const std::int32_t* targets;
  int B, T;
  float* state;
  std::uint32_t* rng_state;
  float scale;
};

struct ChunkResult {
  double loss_sum;   // Σ −log p(target) over the B·T positions
  double grad_norm;  // ‖g‖ before clipping
};

class Model {
 public:
  // The implementation that fits the config's shape (allocation failures throw std::bad_alloc).
  static std::unique_ptr<Model> make(const ModelConfig& config);
  virtual ~Model() = default;

  // Sizes the binding checks arguments against.
  std::size_t param_count() const { return P_; }            // P: arena length
  std::size_t vocab() const { return V_; }                  // V
  std::size_t state_width() const { return state_width_; }  // state of one stream
  // max(G·max H, V, E): the row width that the scratch cap B·T·widest_row() is checked against.
  std::size_t widest_row() const { return widest_; }
  virtual bool has_dropout() const = 0;

  // The arena layout (names, offsets, sizes in arena order): src/model/layout.ts's, checked by test/parity.
  struct Tensor {
    std::string name;
    std::size_t offset, size;
  };
  virtual std::vector<Tensor> tensors() const = 0;

  // Grow the workspace for a B × T chunk on table k (throws std::bad_alloc), so that a later gradient /
  // train_chunk with that shape and table never allocates (an AsyncWorker's Execute relies on it).
  virtual void reserve(const kernels::Table& k, int B, int T) = 0;

  // Forward + BPTT of one chunk: writes every element of a.grads (overwritten, unclipped). Returns Σ −log p.
  virtual double gradient(const kernels::Table& k, const Arenas& a, const Chunk& c) = 0;

  // gradient(), then clip and update the parameters in place by `hyper` (optim::clip_and_update).
  ChunkResult train_chunk(const kernels::Table& k, const Arenas& a, const Chunk& c, const optim::Hyper& hyper);

  // Score one stream of n ≥ 2 ids from state0 [state_width()] (zero when null; never written), no dropout:
  // Σ_{i<n-1} −log p(ids[i+1] | ids[..i]). Between blocks it asks the thread's interrupt (nn/interrupt.h).
  virtual double evaluate(const kernels::Table& k, const float* params, const std::int32_t* ids, std::size_t n,
                          const float* state0) = 0;

  // Feed `token` into state [state_width()] (in place); probs [V] ← softmax(logits / temperature).
  virtual void step(const kernels::Table& k, const float* params, float* state, int token, float* probs,
                    double temperature) = 0;

  // step() for n ≥ 1 streams in one pass: states [n, state_width()] (stream b's state at b·state_width(), in place),
  // tokens [n], probs [n, V]. Stream b's result is bit for bit what step() gives it alone (kernels::gemv_n_rows).
  virtual void step_batch(const kernels::Table& k, const float* params, float* states, const std::int32_t* tokens,
                          int n, float* probs, double temperature) = 0;

  // Feed every prime token (n_prime ≥ 1), then `length` times pick a token by the transform rule of `spec`
  // (then argmax when greedy, else a draw from rng_state: 4 words, advanced in place), write it to out[i] and feed
  // it back. state [state_width()] is advanced in place. Greedy callers pass temperature 1 (as the JS backend).
  void sample(const kernels::Table& k, const float* params, float* state, const std::int32_t* prime,
              std::size_t n_prime, std::int32_t* out, std::size_t length, double temperature, bool greedy,
              std::uint32_t* rng_state, const TransformSpec& spec);

 protected:
  Model(std::size_t P, std::size_t V, std::size_t state_width, std::size_t widest)
      : P_(P), V_(V), state_width_(state_width), widest_(widest) {}
  // The sampling loop of the implementation; probs [V] is scratch owned by this object.
  virtual void sample_impl(const kernels::Table& k, const float* params, float* state, const std::int32_t* prime,
                           std::size_t n_prime, std::int32_t* out, std::size_t length, double temperature, bool greedy,
                           Xoshiro128ss& rng, float* probs, TokenPicker& picker) = 0;

 private:
  std::size_t P_, V_, state_width_, widest_;
  Scratch<float> probs_;
};

}  // namespace nn
}  // namespace charrnn
