// nncore's own thread pool, for the few products big enough to pay for a wake-up (kernels.cpp
// decides which, from the shape alone). Not OpenMP: libgomp's pool hangs a forked child, and it
// would be a second pool beside numpy's BLAS. Compiled once (threads.cpp), free of Eigen, so the
// per-target kernels call it through a plain function pointer.
//
// Results never depend on the thread count: callers split their work into tasks whose number and
// bounds depend on the problem's shape only, and every task writes its own output; the pool only
// decides which thread runs which task.
#pragma once

namespace nncore {

// Runs fn(ctx, 0) ... fn(ctx, n_tasks - 1) on up to num_threads() threads, the caller included,
// and returns when all are done. Inline (no pool) when num_threads() is 1, n_tasks is 1, or the
// pool is busy with another caller's job. fn must not call into Python. An exception thrown by a
// task is rethrown here (the first one; the other tasks still run).
using TaskFn = void (*)(void* ctx, long task);
void parallel_for(long n_tasks, TaskFn fn, void* ctx);

// Runs main(ctx, 1) on the calling thread and, beside it, helper(ctx, 0) on a pool worker;
// returns when both have returned (main's exception, else the helper's, is rethrown). Returns
// false, having run main(ctx, 0) alone, when there is no worker to spare (num_threads() is 1, or
// the pool is busy with another caller's job). Even with a worker the helper may start late, or
// only after main has returned: main must not wait for it without a time limit, and must tell
// it (through ctx) to return. parallel_for called from either runs inline (the pool is taken).
bool run_with_helper(TaskFn main, TaskFn helper, void* ctx);

// Threads used for large products. The first call reads NNCORE_NUM_THREADS (an integer in
// [1, kMaxThreads]; anything else throws std::invalid_argument); unset or empty means
// min(CPUs this process may run on, 4).
int num_threads();
// Sets the count for every later call (throws std::invalid_argument outside [1, kMaxThreads]).
// The pool is rebuilt lazily at its next use; a forked child builds its own.
void set_num_threads(int n);
constexpr int kMaxThreads = 256;

// Nanoseconds for one round trip of a cache line between the calling thread and a pool worker
// (the mean over `rounds`: one thread writes a flag, the other answers on another): the cost of a
// handoff between the two cores of a paired step. NaN without a worker, or when the worker has
// not started within 100 ms. A diagnostic for benchmarks: on a VM it changes as the host moves
// the vCPUs (130 ns on this machine's vCPUs on one die, 530 ns and more when it moves them apart).
double handoff_round_trip_ns(long rounds);

// A pause for spin-wait loops (x86 PAUSE, aarch64 YIELD).
void cpu_relax();

}  // namespace nncore
