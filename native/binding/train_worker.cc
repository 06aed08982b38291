// trainChunkAsync: validation, pointer capture and input copies on the main thread; the chunk and the update run
// in the AsyncWorker's Execute (no N-API there, no allocation: the model's workspace is reserved beforehand); the
// carried state and the advanced mask stream are written back and the promise settled in OnOK / OnError.
#include <cstring>
#include <string>

#include "kernels/kernels.h"
#include "session.h"
#include "session_worker.h"

namespace charrnn {
namespace binding {

class TrainWorker : public SessionWorker {
 public:
  TrainWorker(Napi::Env env, Session* session, Napi::Object self, Napi::Value hidden, Napi::Value rng,
              const ChunkArgs& c, const optim::Hyper& hyper, const nn::Arenas& arenas)
      : SessionWorker(env, "charrnn.trainChunkAsync", session, self),
        hidden_(Napi::Persistent(hidden.As<Napi::Float32Array>())),
        kernels_(&kernels::active()),
        hyper_(hyper),
        arenas_(arenas) {
    const std::size_t BT = static_cast<std::size_t>(c.B) * c.T;
    const std::size_t BH = static_cast<std::size_t>(c.B) * session->model_->state_width();
    std::int32_t* inputs = session->async_inputs_.grow(BT);
    std::int32_t* targets = session->async_targets_.grow(BT);
    float* hidden_copy = session->async_hidden_.grow(BH);
    std::memcpy(inputs, c.inputs.data, BT * sizeof(std::int32_t));
    std::memcpy(targets, c.targets.data, BT * sizeof(std::int32_t));
    std::memcpy(hidden_copy, c.hidden.data, BH * sizeof(float));
    hidden_length_ = BH;
    std::uint32_t* rng_copy = nullptr;  // null when the model has no dropout
    if (c.rng.data != nullptr) {        // the dropout mask stream: copied in, advanced by Execute, written back in OnOK
      rng_ = Napi::Persistent(rng.As<Napi::Uint32Array>());
      std::memcpy(session->async_rng_, c.rng.data, sizeof session->async_rng_);
      rng_copy = session->async_rng_;
    }
    chunk_ = {inputs, targets, c.B, c.T, hidden_copy, rng_copy, c.scale};
  }

 protected:
  void Execute() override {
    run_guarded([&] { result_ = session_->model_->train_chunk(*kernels_, arenas_, chunk_, hyper_); });
  }

  void OnOK() override {
    settle_guarded([&](Napi::Env env) -> Napi::Value {
      Napi::Float32Array hidden = hidden_.Value();
      Napi::Value buffer = hidden.ArrayBuffer();
      if ((buffer.IsArrayBuffer() && buffer.As<Napi::ArrayBuffer>().IsDetached()) ||
          hidden.ElementLength() != hidden_length_) {
        reject(Napi::Error::New(env,
                                "trainChunkAsync finished but its hidden Float32Array was detached or "
                                "resized while it ran; the carried state could not be written back"));
        return Napi::Value();
      }
      std::memcpy(hidden.Data(), chunk_.state, hidden_length_ * sizeof(float));
      if (chunk_.rng_state != nullptr) {
        Napi::Uint32Array rng = rng_.Value();
        Napi::Value rbuf = rng.ArrayBuffer();
        if ((rbuf.IsArrayBuffer() && rbuf.As<Napi::ArrayBuffer>().IsDetached()) || rng.ElementLength() != 4) {
          reject(Napi::Error::New(env,
                                  "trainChunkAsync finished but its rngState Uint32Array was detached or "
                                  "resized while it ran; the advanced mask stream could not be written back"));
          return Napi::Value();
        }
        std::memcpy(rng.Data(), chunk_.rng_state, 4 * sizeof(std::uint32_t));
      }
      return chunk_result(env, result_, chunk_.B, chunk_.T);
    });
  }

 private:
  Napi::Reference<Napi::Float32Array> hidden_;
  Napi::Reference<Napi::Uint32Array> rng_;
  const kernels::Table* kernels_;  // the table active when the call was made (setIsa refuses while this runs)
  optim::Hyper hyper_;
  nn::Arenas arenas_;
  nn::Chunk chunk_{};  // over the session's private copies of inputs, targets, state and mask stream
  std::size_t hidden_length_ = 0;
  nn::ChunkResult result_{0, 0};
};

Napi::Value Session::TrainChunkAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_usable(env);
    expect_args(info, 8, "trainChunkAsync");
    const ChunkArgs c = chunk_args(info, 8);
    const optim::Hyper h = hyper_args(info);
    const nn::Arenas a = arenas(env, optim::slots(h.kind) * model_->param_count());
    // Grow the workspace here, on the main thread, so Execute never allocates (and cannot fail for memory).
    model_->reserve(kernels::active(), c.B, c.T);
    return start_async(new TrainWorker(env, this, info.This().As<Napi::Object>(), info[2],
                                       c.rng.data != nullptr ? info[8] : env.Undefined(), c, h, a));
  });
}

}  // namespace binding
}  // namespace charrnn
