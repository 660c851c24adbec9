// nncore's own thread pool, for the few products and step blocks big enough to pay for a
// wake-up (the kernels decide which, from the shape alone). Not OpenMP: libgomp's pool hangs a
// forked child, and it would be a second pool beside numpy's BLAS. Compiled once (threads.cpp),
// free of Eigen, so the per-target kernels call it through a plain function pointer.
//
// Results never depend on the thread count: callers split their work into tasks whose number and
// bounds depend on the problem's shape only, and every task writes its own output; the pool only
// decides which thread runs which task.
//
// Failure and fork: when the system refuses a thread (an address-space or process-count limit),
// the pool keeps the threads it could start and runs with those (with none, every task runs on
// the calling thread); nothing aborts, and the results are the same. After fork() the child's
// pool is empty and is built afresh at its next use, so a forked child may go on training,
// including from inside a training callback; it never waits for a thread of its parent.
#pragma once

namespace nncore {

// Runs fn(ctx, 0) ... fn(ctx, n_tasks - 1) on up to num_threads() threads, the caller included,
// and returns when all are done. Inline (no pool) when num_threads() is 1, n_tasks is 1, or the
// pool is busy with another caller's job. fn must not call into Python. An exception thrown by a
// task is rethrown here (the first one; the other tasks still run).
using TaskFn = void (*)(void* ctx, long task);
void parallel_for(long n_tasks, TaskFn fn, void* ctx);

// Threads used for large products. The first call reads NNCORE_NUM_THREADS (an integer in
// [1, kMaxThreads]; anything else throws std::invalid_argument); unset or empty means
// min(CPUs this process may run on, 4).
int num_threads();
// Sets the count for every later call (throws std::invalid_argument outside [1, kMaxThreads]).
// The pool is rebuilt lazily at its next use.
void set_num_threads(int n);
constexpr int kMaxThreads = 256;

}  // namespace nncore
