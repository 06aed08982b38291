// evaluateAsync: evaluate (session.cc) off the main thread. The ids and starting state are copied on the main thread;
// the evaluation runs in the AsyncWorker's Execute over the session's parameters (the session refuses every other
// call until it settles), with an interrupt (nn/interrupt.h) that asks the clock once per block whether the optional
// deadline has passed; the promise settles in OnOK / OnError with { totalNats, count, complete } (complete false:
// the deadline passed and nothing was kept).
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "nn/interrupt.h"
#include "session.h"
#include "session_worker.h"

namespace charrnn {
namespace binding {

class EvalWorker : public SessionWorker {
  using Clock = std::chrono::steady_clock;

 public:
  EvalWorker(Napi::Env env, Session* session, Napi::Object self, const ArrayArg<std::int32_t>& ids, const float* state0,
             std::size_t state_width, double budget_ms, const nn::Arenas& arenas)
      : SessionWorker(env, "charrnn.evaluateAsync", session, self),
        kernels_(&kernels::active()),
        params_(arenas.params),
        ids_(ids.data, ids.data + ids.length) {
    if (state0 != nullptr) state0_.assign(state0, state0 + state_width);
    if (std::isfinite(budget_ms)) {
      deadline_set_ = true;
      deadline_ = Clock::now() +
                  std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(budget_ms));
    }
  }

 protected:
  void Execute() override {
    // Asked by evaluate between blocks: past the deadline, it throws nn::Stopped and nothing is kept.
    const nn::Interrupt past_deadline{
        [](void* self) { return Clock::now() >= static_cast<EvalWorker*>(self)->deadline_; }, this};
    run_guarded([&] {
      try {
        nn::ScopedInterrupt scope(deadline_set_ ? &past_deadline : nullptr);
        total_ = session_->model_->evaluate(*kernels_, params_, ids_.data(), ids_.size(),
                                            state0_.empty() ? nullptr : state0_.data());
      } catch (const nn::Stopped&) { complete_ = false; }
    });
  }

  void OnOK() override {
    settle_guarded([&](Napi::Env env) -> Napi::Value {
      Napi::Object r = Napi::Object::New(env);
      r.Set("totalNats", Napi::Number::New(env, complete_ ? total_ : NAN));
      r.Set("count", Napi::Number::New(env, static_cast<double>(ids_.size() - 1)));
      r.Set("complete", Napi::Boolean::New(env, complete_));
      return r;
    });
  }

 private:
  const kernels::Table* kernels_;  // the table active when the call was made (setIsa refuses while this runs)
  const float* params_;
  std::vector<std::int32_t> ids_;  // private copies: user code cannot change them mid-run
  std::vector<float> state0_;
  Clock::time_point deadline_;
  bool deadline_set_ = false;
  double total_ = 0;
  bool complete_ = true;
};

Napi::Value Session::EvaluateAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_usable(env);
    expect_args(info, 3, "evaluateAsync");
    ArrayArg<std::int32_t> ids = i32_arg(env, info[0], "ids");
    const float* h0 = nullptr;
    if (!info[1].IsUndefined()) h0 = f32_exact(env, info[1], "hidden", model_->state_width()).data;
    const double budget = number_arg(env, info[2], "a number of milliseconds ≥ 0 (or Infinity)", "budgetMs");
    if (std::isnan(budget) || budget < 0)
      throw_range(env, "a number of milliseconds ≥ 0 (or Infinity)", "budgetMs", describe(info[2]));
    check_ids(env, ids, model_->vocab(), "ids");
    if (ids.length < 2)
      throw Napi::RangeError::New(
          env, "Expected at least 2 tokens for ids but received an Int32Array of length " + std::to_string(ids.length));
    const nn::Arenas a = arenas(env, 0);
    return start_async(
        new EvalWorker(env, this, info.This().As<Napi::Object>(), ids, h0, model_->state_width(), budget, a));
  });
}

}  // namespace binding
}  // namespace charrnn
