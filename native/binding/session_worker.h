// What every asynchronous call of a Session shares (trainChunkAsync in train_worker.cc, evaluateAsync in
// eval_worker.cc): its promise, a reference that keeps the session alive while it runs, the busy mark that the
// session refuses other calls under (set by Session::start_async, cleared exactly once when it settles), and the
// error paths of Execute and OnOK. A subclass computes in Execute() (no N-API there) and settles in OnOK().
#pragma once
#include <napi.h>

#include <new>
#include <string>

#include "args.h"
#include "session.h"

namespace charrnn {
namespace binding {

class SessionWorker : public Napi::AsyncWorker {
 public:
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  SessionWorker(Napi::Env env, const char* name, Session* session, Napi::Object self)
      : Napi::AsyncWorker(env, name),
        session_(session),
        deferred_(Napi::Promise::Deferred::New(env)),
        self_(Napi::Persistent(self)) {}

  // Runs `work` (in Execute), turning what it throws into the promise's rejection.
  template <typename Work>
  void run_guarded(Work&& work) {
    try {
      work();
    } catch (const std::bad_alloc&) { SetError(kOutOfMemory); } catch (const std::exception& e) {
      SetError(std::string(kNativeErrorPrefix) + e.what());
    } catch (...) { SetError(kUnknownError); }
  }

  // In OnOK: clears the busy mark, then resolves with what `settle` returns (it may reject by itself and return an
  // empty value); anything it throws rejects.
  template <typename Settle>
  void settle_guarded(Settle&& settle) {
    Napi::Env env = Env();
    finish();
    try {
      Napi::Value v = settle(env);
      if (!v.IsEmpty()) deferred_.Resolve(v);
    } catch (const Napi::Error& e) { deferred_.Reject(e.Value()); } catch (...) {
      deferred_.Reject(Napi::Error::New(env, kUnknownError).Value());
    }
  }

  void reject(const Napi::Error& e) { deferred_.Reject(e.Value()); }

  void OnError(const Napi::Error& e) override {
    finish();
    deferred_.Reject(e.Value());
  }

  Session* session_;

 private:
  void finish() {
    if (!finished_) {
      finished_ = true;
      session_->FinishAsync();
    }
  }

  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference self_;  // keeps the session (and through it the arenas it references) alive while this runs
  bool finished_ = false;
};

}  // namespace binding
}  // namespace charrnn
