// The Session ObjectWrap: one nn::Model bound to the caller's three arenas (params, grads, optState), worked on in
// place. Every method re-checks what it dereferences and refuses to run while the session is busy (an async chunk
// in flight) or disposed; those two errors carry stable codes. Deliberately no math (nn::Model does it) and no
// knowledge of which model implementation runs.
//
//   new Session(cell, activation, vocabSize, hiddenSizes, embeddingSize, dropout, params, grads, optState)
//     .gradient(inputs, targets, hidden, batch, steps, reduction, rngState?): number
//     .trainChunk(inputs, targets, hidden, batch, steps, reduction, kind, hyper, rngState?): { loss, gradNorm }
//     .trainChunkAsync(same): Promise<{ loss, gradNorm }>          (train_worker.cc)
//       (rngState: Uint32Array(4), required when dropout > 0, advanced in place; ignored otherwise)
//     .evaluate(ids, hidden?): { totalNats, count }
//     .evaluateAsync(ids, hidden | undefined, budgetMs): Promise<{ totalNats, count, complete }>   (eval_worker.cc)
//       (budgetMs: Infinity, or a time after which it gives up: complete false, totalNats NaN)
//     .step(hidden, token, probs, temperature): undefined
//     .stepBatch(states, tokens, probs, temperature): undefined   (n = tokens.length streams, each state contiguous)
//     .sample(hidden, prime, length, temperature, greedy, rngState[, banned, penalty, window, topK, topP]): Int32Array
//     .dispose(): undefined
#pragma once
#include <napi.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "args.h"
#include "nn/interrupt.h"
#include "nn/model.h"
#include "optim/optim.h"
#include "util/scratch.h"

namespace charrnn {
namespace binding {

constexpr const char* kBusy =
    "model is busy: an asynchronous call (trainChunkAsync or evaluateAsync) is still running; await it first";
constexpr const char* kBusyCode = "ERR_CHARRNN_BUSY";
constexpr const char* kDisposed = "This backend session has been disposed";
constexpr const char* kDisposedCode = "ERR_CHARRNN_DISPOSED";

// Order of the Float64Array `hyper` argument of trainChunk (exported as hyperFields).
constexpr const char* kHyperFields[] = {"lr",          "momentum",  "beta1",    "beta2", "eps",
                                        "weightDecay", "clipValue", "clipNorm", "step"};
constexpr std::size_t kHyperCount = sizeof(kHyperFields) / sizeof(kHyperFields[0]);

// Asynchronous chunks running in the process: setIsa / setThreads refuse while any runs.
extern std::atomic<int> g_async_in_flight;

// The checked arguments of one chunk call.
struct ChunkArgs {
  ArrayArg<std::int32_t> inputs, targets;  // private copies (see Session::private_ids)
  ArrayArg<float> hidden;
  ArrayArg<std::uint32_t> rng;  // the dropout mask stream (data null when the model has no dropout)
  int B, T;
  float scale;  // reduction 'mean': 1/(B·T); 'sum': 1
};

class TrainWorker;
class EvalWorker;
class SessionWorker;

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Session(const Napi::CallbackInfo& info);

  // Called by the worker when it completes (main thread).
  void FinishAsync();

 private:
  friend class TrainWorker;
  friend class EvalWorker;

  void check_usable(Napi::Env env) const;
  // The arenas, re-read from their references on every call (a buffer may have been detached or resized).
  nn::Arenas arenas(Napi::Env env, std::size_t opt_needed);
  // inputs, targets, hidden, batch, steps at info[0..4]; the dropout mask stream at info[rng_index]; then the
  // reduction at info[5] (checked in that order, as the messages of the fuzz tests expect).
  ChunkArgs chunk_args(const Napi::CallbackInfo& info, std::size_t rng_index);
  // kind at info[6], hyper Float64Array at info[7].
  optim::Hyper hyper_args(const Napi::CallbackInfo& info);
  // Marks the session busy and queues `worker` (settling clears the mark); on failure undoes both and rethrows.
  Napi::Promise start_async(SessionWorker* worker);
  static std::int32_t* private_ids(Scratch<std::int32_t>& dst, const ArrayArg<std::int32_t>& ids);

  Napi::Value Gradient(const Napi::CallbackInfo& info);
  Napi::Value TrainChunk(const Napi::CallbackInfo& info);
  Napi::Value TrainChunkAsync(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value EvaluateAsync(const Napi::CallbackInfo& info);
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value StepBatch(const Napi::CallbackInfo& info);
  Napi::Value Sample(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::unique_ptr<nn::Model> model_;
  Napi::Reference<Napi::Float32Array> params_, grads_, opt_;
  bool disposed_ = false;
  bool busy_ = false;
  Scratch<std::int32_t> ids_inputs_, ids_targets_;  // private_ids copies (synchronous calls)
  // Private copies of an async chunk's inputs, so user code cannot detach them mid-run.
  Scratch<std::int32_t> async_inputs_, async_targets_;
  Scratch<float> async_hidden_;
  std::uint32_t async_rng_[4] = {0, 0, 0, 0};
  // The synchronous trainChunk's { loss, gradNorm }: one object per session, its two properties overwritten on
  // every call through cached keys (a fresh object cost ~1.5 µs of map transitions and key interning per call,
  // ~3% of a W1 chunk). native.ts copies the two numbers out before the next call. The keys live in an array
  // (Node 20's napi_create_reference takes objects only).
  Napi::ObjectReference train_result_;
  Napi::Reference<Napi::Array> result_keys_;
  Napi::Object train_result(Napi::Env env, const nn::ChunkResult& r, int B, int T);
};

// True once the Node environment of the calling thread is being torn down (its worker was terminated, or the
// process is exiting). Call on that thread only. Used as the nn::Interrupt of long synchronous calls (evaluate,
// sample), so that worker.terminate() ends them within a block instead of waiting for their end.
bool env_stopping(napi_env env);

// The optimizer kind (a string) and the Float64Array of hyper-parameters (kHyperFields order), checked.
optim::Hyper hyper_from(Napi::Env env, Napi::Value kind, Napi::Value hyper);

// { loss, gradNorm } of a chunk whose loss sum covered B·T positions.
Napi::Object chunk_result(Napi::Env env, const nn::ChunkResult& r, int B, int T);

}  // namespace binding
}  // namespace charrnn
