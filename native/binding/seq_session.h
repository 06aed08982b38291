// The SeqSession ObjectWrap: one nn::SeqModel ('classify' / 'tag', uni- or bidirectional) bound to the caller's
// three arenas, worked on in place. Every method re-checks what it dereferences (ids in [0, V), lengths in [1, T],
// labels in range, sizes, class weights) before any pointer is followed; a disposed session refuses every call.
// Deliberately no math (nn/seq.h does it).
//
//   new SeqSession(cell, activation, vocabSize, hiddenSizes, embeddingSize, dropout,
//                  task, numClasses, bidirectional, pooling, params, grads, optState)
//     .gradient(ids, lengths, labels, B, T, classWeights | undefined, rngState | undefined): number
//     .train(ids, lengths, labels, B, T, classWeights | undefined, rngState | undefined, kind, hyper): { loss, gradNorm
//     } .forward(ids, lengths, B, T): Float32Array   (classify [B·C]; tag [B·T·C], padded rows 0) .tensors(): { name,
//     offset, size }[] .dispose(): undefined
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>

#include "args.h"
#include "nn/seq.h"
#include "optim/optim.h"
#include "util/scratch.h"

namespace charrnn {
namespace binding {

class SeqTrainWorker;

class SeqSession : public Napi::ObjectWrap<SeqSession> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit SeqSession(const Napi::CallbackInfo& info);
  // Called by the worker when it settles (main thread).
  void FinishAsync();

 private:
  friend class SeqTrainWorker;
  struct BatchArgs {
    nn::SeqBatch batch;
    ArrayArg<std::uint32_t> rng;
  };
  // ids, lengths, labels (when with_labels), B, T at info[0..4] (info[0], info[1], info[2 or -], …).
  BatchArgs batch_args(const Napi::CallbackInfo& info, bool with_labels);
  void check_usable(Napi::Env env) const;
  Napi::Value Gradient(const Napi::CallbackInfo& info);
  Napi::Value Train(const Napi::CallbackInfo& info);
  Napi::Value TrainAsync(const Napi::CallbackInfo& info);
  Napi::Value Forward(const Napi::CallbackInfo& info);
  Napi::Value Tensors(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::unique_ptr<nn::SeqModel> model_;
  Napi::Reference<Napi::Float32Array> params_, grads_, opt_;
  bool disposed_ = false;
  bool busy_ = false;
  std::uint32_t async_rng_[4] = {0, 0, 0, 0};
  // Private copies of the batch (checked and used from there).
  Scratch<std::int32_t> ids_, lengths_, labels_;
  Scratch<float> weights_;
};

}  // namespace binding
}  // namespace charrnn
