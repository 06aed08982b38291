// The thread pool behind par::run (see threadpool.h). One job at a time: the caller publishes the job, takes
// tasks itself alongside the workers, and returns when every task has finished (see the job word below).
// Workers spin for a short while after a job (training submits one per step, microseconds apart), then sleep on
// a condition variable; the sleeper count makes the caller's wake-up cheap when nobody sleeps.
// Deliberately leaked at exit (never destroyed): no static-destruction order issues with Node's shutdown.
#include "threadpool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace charrnn {
namespace par {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

// How long an idle worker spins before it sleeps.
constexpr auto kSpin = std::chrono::microseconds(500);

thread_local bool tl_in_task = false;

int initial_threads() {
  if (const char* s = std::getenv("CHARRNN_THREADS")) {
    char* end = nullptr;
    long v = std::strtol(s, &end, 10);
    if (end != s && *end == '\0' && v >= 1 && v <= kMaxThreads) return static_cast<int>(v);
  }
  unsigned hw = std::thread::hardware_concurrency();
  if (hw == 0) return 1;
  return hw > static_cast<unsigned>(kMaxThreads) ? kMaxThreads : static_cast<int>(hw);
}

// The job word packs (generation << 32 | next task index). An odd generation means "no job": the caller closes
// the previous job (odd), rewrites the job fields, then opens the new one (even). A worker claims a task with a
// compare-and-swap on the word that also checks the generation it read the fields under, so a worker that
// woke late can never run a task with another job's fields, and the caller never waits for idle workers: it
// claims whatever is left itself and returns once every task has finished.
class Pool {
 public:
  explicit Pool(int n) { start(n); }

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int n) {
    lock_busy();
    stop_workers();
    start(n);
    busy_.clear(std::memory_order_release);
  }

  void run(int n, TaskFn fn, void* ctx) {
    if (n <= 0) return;
    if (n == 1 || workers_.empty() || tl_in_task || busy_.test_and_set(std::memory_order_acquire)) {
      for (int i = 0; i < n; i++) fn(ctx, i);
      return;
    }
    const std::uint64_t closed = ((word_.load(std::memory_order_relaxed) >> 32) + 1) | 1;  // next odd
    word_.store(closed << 32, std::memory_order_seq_cst);
    fn_.store(fn, std::memory_order_relaxed);
    ctx_.store(ctx, std::memory_order_relaxed);
    n_.store(n, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    const std::uint64_t gen = closed + 1;  // even: open
    word_.store(gen << 32, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lk(m_);
      cv_.notify_all();
    }
    take_tasks(gen, fn, ctx, n);
    for (int spins = 0; done_.load(std::memory_order_acquire) < n; spins++)
      if (spins < 1024)
        cpu_relax();
      else
        std::this_thread::yield();  // a worker holding a task was descheduled: give it the core
    busy_.clear(std::memory_order_release);
  }

 private:
  void start(int n) {
    stop_.store(false, std::memory_order_relaxed);
    workers_.reserve(static_cast<std::size_t>(n - 1));
    // The generation a worker starts from is read here, not on the new thread: a stop issued before the thread
    // first runs must still look like a change to it.
    const std::uint64_t gen = word_.load(std::memory_order_acquire) >> 32;
    for (int i = 1; i < n; i++) workers_.emplace_back([this, gen] { work(gen); });
  }

  void stop_workers() {
    stop_.store(true, std::memory_order_seq_cst);
    const std::uint64_t closed = ((word_.load(std::memory_order_relaxed) >> 32) + 1) | 1;
    word_.store(closed << 32, std::memory_order_seq_cst);  // a new (odd) generation wakes everyone
    {
      std::lock_guard<std::mutex> lk(m_);
      cv_.notify_all();
    }
    for (std::thread& t : workers_) t.join();
    workers_.clear();
  }

  void lock_busy() {
    while (busy_.test_and_set(std::memory_order_acquire)) std::this_thread::yield();
  }

  // Claim and run tasks of job `gen` until none is left or the job is no longer current.
  void take_tasks(std::uint64_t gen, TaskFn fn, void* ctx, int n) {
    tl_in_task = true;
    std::uint64_t w = word_.load(std::memory_order_acquire);
    while ((w >> 32) == gen && static_cast<int>(w & 0xffffffffu) < n) {
      if (!word_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      fn(ctx, static_cast<int>(w & 0xffffffffu));
      done_.fetch_add(1, std::memory_order_release);
      w = word_.load(std::memory_order_acquire);
    }
    tl_in_task = false;
  }

  void work(std::uint64_t seen) {
    for (;;) {
      seen = wait_for_change(seen);
      if (stop_.load(std::memory_order_acquire)) return;
      if (seen & 1) continue;  // closed: the caller is writing the next job's fields
      // Read under generation `seen`; take_tasks' compare-and-swap only succeeds while it is still current.
      TaskFn fn = fn_.load(std::memory_order_relaxed);
      void* ctx = ctx_.load(std::memory_order_relaxed);
      const int n = n_.load(std::memory_order_relaxed);
      take_tasks(seen, fn, ctx, n);
    }
  }

  // Wait until the generation differs from `seen`; returns the new one.
  std::uint64_t wait_for_change(std::uint64_t seen) {
    const auto until = std::chrono::steady_clock::now() + kSpin;
    for (int i = 0;; i++) {
      const std::uint64_t g = word_.load(std::memory_order_acquire) >> 32;
      if (g != seen || stop_.load(std::memory_order_acquire)) return g;
      cpu_relax();
      if ((i & 63) == 63 && std::chrono::steady_clock::now() > until) break;
    }
    std::unique_lock<std::mutex> lk(m_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    std::uint64_t g = seen;
    cv_.wait(lk, [&] {
      g = word_.load(std::memory_order_seq_cst) >> 32;
      return g != seen || stop_.load(std::memory_order_seq_cst);
    });
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
    return g;
  }

  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<std::uint64_t> word_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::atomic_flag busy_ = ATOMIC_FLAG_INIT;
  // The current job's fields: atomics because a late worker may read them while the caller rewrites them (it
  // then fails its claim and never uses what it read).
  std::atomic<TaskFn> fn_{nullptr};
  std::atomic<void*> ctx_{nullptr};
  std::atomic<int> n_{0};
  std::atomic<int> done_{0};
};

Pool& pool() {
  static Pool* const p = new Pool(initial_threads());  // leaked on purpose (see the header comment)
  return *p;
}

}  // namespace

int threads() { return pool().threads(); }

bool set_threads(int n) {
  if (n < 1 || n > kMaxThreads) return false;
  Pool& p = pool();
  if (p.threads() != n) p.resize(n);
  return true;
}

void run(int n, TaskFn fn, void* ctx) { pool().run(n, fn, ctx); }

}  // namespace par
}  // namespace charrnn
