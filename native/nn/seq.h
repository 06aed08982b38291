// 'classify' and 'tag' models over a padded batch of whole, independent sequences: uni- or bidirectional stacks of
// Elman (tanh/relu), LSTM or GRU layers in PyTorch's gate order, two-bias form and `_reverse` naming, one-hot or
// learned-embedding input, dropout on each layer's output, and a linear head (tag: every true step; classify: the
// 'last' / 'mean' / 'max' read-out). Forward, backward and the weighted cross-entropy: the same operations and
// semantics as JsSeqSession (src/backends/js/seq.ts), in float32 with the kernel table. Masking: at a padded step
// (t ≥ lengths[b]) every layer's h (and c) is 0 and no gradient flows through it. Every matrix product goes through
// the kernel table (input projections of all steps as one gemm per layer and direction, the recurrence as one gemm
// per step across the batch, with W_hh packed once per pass), so results do not depend on the thread count.
// Deliberately no validation (the binding checks every id, length, label and weight first), no napi.h.
//
// Shapes (internally time-major, row r = t·B + b; D = 2 when bidirectional; G gates):
//   batch ids [B, T] row-major; lengths [B]; labels classify [B], tag [B, T] (−1 = not counted)
//   per layer l and direction d: W_ih [G·H_l, In_l]  W_hh [G·H_l, H_l]  b_ih, b_hh [G·H_l]; In_l = E | V | D·H_{l−1}
//   head: decoder.weight [C, D·H_top], decoder.bias [C];  logits classify [B, C], tag [B, T, C] (padded rows 0)
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../kernels/kernels.h"
#include "../util/rng.h"
#include "../util/scratch.h"
#include "stack.h"

namespace charrnn {
namespace nn {

enum class Task { kClassify = 1, kTag = 2 };
enum class Pooling { kLast = 0, kMean = 1, kMax = 2 };

struct SeqConfig {
  StackConfig stack;  // cell, relu, V, E, hidden widths, dropout
  bool bidirectional = false;
  Task task = Task::kClassify;
  std::size_t C = 2;
  Pooling pooling = Pooling::kLast;
};

// A padded batch, already validated: ids in [0, V), lengths in [1, T], labels in [0, C) (tag: or −1),
// class_weights [C] finite ≥ 0 or null.
struct SeqBatch {
  const std::int32_t* ids;
  const std::int32_t* lengths;
  const std::int32_t* labels;  // null for forward()
  int B, T;
  const float* class_weights;
};

class SeqModel {
 public:
  explicit SeqModel(const SeqConfig& c);
  ~SeqModel();
  std::size_t param_count() const;
  // max(G·max H, D·max H, C, E): the row width the scratch cap B·T·widest_row() is checked against.
  std::size_t widest_row() const;
  bool has_dropout() const;
  std::size_t num_classes() const;
  std::size_t vocab() const;
  Task task() const;
  struct Tensor {
    std::string name;
    std::size_t offset, size;
  };
  std::vector<Tensor> tensors() const;
  // Grow the workspace for a B × T training batch (throws std::bad_alloc), so that a later gradient() of that shape
  // never allocates (an AsyncWorker's Execute relies on it).
  void reserve(int B, int T);
  // Forward + backward of one batch: writes every element of grads (overwritten, unclipped); masks drawn from
  // rng (advanced) when has_dropout(). Returns the weighted mean loss (0, with zero grads, when nothing counts).
  double gradient(const kernels::Table& k, const float* params, float* grads, const SeqBatch& batch, Xoshiro128ss* rng);
  // Logits without dropout: classify [B, C]; tag [B·T, C] row-major b·T + t, padded rows 0.
  void forward(const kernels::Table& k, const float* params, const SeqBatch& batch, float* logits);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nn
}  // namespace charrnn
