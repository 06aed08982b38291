// A stop request from outside a long native loop: the binding installs one for the span of a call on its thread
// (ScopedInterrupt), and the loops that can run for seconds (evaluate's blocks, sampling's prime and tokens) call
// check_interrupt() between blocks, which throws Stopped once the request says so. Used so that a call made by a
// Node worker that is being terminated ends within a block instead of running to its end (the environment can
// only be torn down once the call has returned), and by evaluateAsync for its deadline (its request reads the
// clock). Deliberately no Node and no clock here (what asks is the binding's business), and thread-local rather
// than a parameter of every loop: the loops run on the calling thread (the thread pool's tasks never check it),
// and a call without a scope costs one load.
#pragma once
#include <exception>

namespace charrnn {
namespace nn {

struct Interrupt {
  bool (*requested)(void* ctx);  // asked on the loop's thread between blocks; true = stop now
  void* ctx;
};

// Thrown by check_interrupt(): the call was abandoned and its outputs are partly written (discard them).
struct Stopped : std::exception {
  const char* what() const noexcept override { return "stopped: the caller asked to interrupt this call"; }
};

namespace detail {
inline thread_local const Interrupt* tl_interrupt = nullptr;
}  // namespace detail

// Installs `interrupt` (may be null) on this thread for the scope's lifetime; scopes nest.
class ScopedInterrupt {
 public:
  explicit ScopedInterrupt(const Interrupt* interrupt) : prev_(detail::tl_interrupt) {
    detail::tl_interrupt = interrupt;
  }
  ~ScopedInterrupt() { detail::tl_interrupt = prev_; }
  ScopedInterrupt(const ScopedInterrupt&) = delete;
  ScopedInterrupt& operator=(const ScopedInterrupt&) = delete;

 private:
  const Interrupt* prev_;
};

// Between blocks of a long loop: throws Stopped when this thread's interrupt is requested.
inline void check_interrupt() {
  const Interrupt* i = detail::tl_interrupt;
  if (i != nullptr && i->requested(i->ctx)) throw Stopped();
}

}  // namespace nn
}  // namespace charrnn
