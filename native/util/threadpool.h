// The addon's one thread pool: a fixed set of worker threads that run the tasks of one job at a time with the
// calling thread taking part. Used to split gemm and element-wise work across cores.
// Deliberately tiny: no futures, no queues, no work stealing, no exceptions through it (tasks must not throw).
// A job submitted while another runs (a second model training on another thread), from inside a task, or with
// one thread configured runs inline on the caller, so the pool can never deadlock and results never depend on
// which thread ran a task (tasks write disjoint outputs).
#pragma once

namespace charrnn {
namespace par {

using TaskFn = void (*)(void* ctx, int task);

// Threads used by run(), including the caller (≥ 1). Initially CHARRNN_THREADS when it is an integer in
// [1, kMaxThreads], else the number of CPUs the OS reports (1 if unknown).
int threads();

// Resize the pool to n threads in total (1 = everything inline). Returns false (changing nothing) when n is
// outside [1, kMaxThreads]. Waits for a running job to finish first.
bool set_threads(int n);

constexpr int kMaxThreads = 256;

// Run fn(ctx, i) for every i in [0, n) and return when all have finished. Tasks are handed out dynamically;
// each runs exactly once, on some thread of the pool or the caller.
void run(int n, TaskFn fn, void* ctx);

}  // namespace par
}  // namespace charrnn
