#include "nncore/threads.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define NNCORE_HAVE_PTHREAD_ATFORK 1
#endif
#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#include <emmintrin.h>  // _mm_pause
#endif

namespace nncore {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
  _mm_pause();
#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
  asm volatile("yield");
#endif
}

namespace {

// Polls done() for up to `limit`; true as soon as it holds, false if the time ran out (the
// caller then sleeps on a condition variable). The pool's limit, kSpin, is long enough to
// bridge the gap between two steps of a small network's training (about 1 us: W1's layers at
// m = 1200 on two threads take 21 us/step, against 52 us when every step wakes a sleeping
// worker), short enough not to hold a core that has nothing to do: spinning 100 us made W4 f32
// and W5 7-14% slower than no spin, 20 us did not (same session, best of 3).
constexpr std::chrono::microseconds kSpin{20};

template <class Done>
bool spin_until(const Done& done, std::chrono::microseconds limit = kSpin) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 1;; ++i) {
    if (done()) return true;
    cpu_relax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() - start > limit) return done();
  }
}

// n - 1 workers; the thread that calls run() is the n-th. One job at a time: run() is guarded by
// try_claim(), and a second caller (another Python thread training at the same time) runs its tasks
// inline instead of waiting.
class Pool {
 public:
  explicit Pool(int n_threads) {
    workers_.reserve(static_cast<std::size_t>(n_threads - 1));
    for (int i = 0; i + 1 < n_threads; ++i) workers_.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_.store(true, std::memory_order_relaxed);
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // Taken for a whole job (an atomic flag, not a mutex: a training hook may call back into
  // nncore on the thread that holds it, and then runs its tasks inline).
  bool try_claim() { return !busy_.exchange(true, std::memory_order_acquire); }
  void release() { busy_.store(false, std::memory_order_release); }

  // The caller waits for its tasks to be done, not for every worker to wake: on a loaded
  // machine a worker may get a core only after the caller has run all the tasks itself.
  // Both sides spin a little before they sleep (see spin_until): a training step of a small
  // network is a few microseconds, less than waking a sleeping thread takes.
  void run(long n_tasks, TaskFn fn, void* ctx) {
    const std::uint64_t gen = publish(n_tasks, fn, ctx);
    drain(gen, fn, ctx, n_tasks);
    wait(n_tasks);
  }

  // main(ctx, 1) here, fn(ctx, 0) as a one-task job for the workers; then the caller drains
  // that job too (it runs fn itself if no worker has claimed it yet) and waits for it.
  void run_beside(TaskFn main, TaskFn fn, void* ctx) {
    const std::uint64_t gen = publish(1, fn, ctx);
    std::exception_ptr main_error;
    try {
      main(ctx, 1);
    } catch (...) {
      main_error = std::current_exception();
    }
    drain(gen, fn, ctx, 1);
    try {
      wait(1);
    } catch (...) {
      if (!main_error) throw;
    }
    if (main_error) std::rethrow_exception(main_error);
  }

 private:
  std::uint64_t publish(long n_tasks, TaskFn fn, void* ctx) {
    std::uint64_t gen;
    {
      std::lock_guard<std::mutex> lk(m_);
      fn_ = fn;
      ctx_ = ctx;
      n_tasks_ = n_tasks;
      done_count_.store(0, std::memory_order_relaxed);
      error_ = nullptr;
      gen = generation_.load(std::memory_order_relaxed) + 1;
      next_.store(gen << 32, std::memory_order_release);
      generation_.store(gen, std::memory_order_release);
    }
    wake_.notify_all();
    return gen;
  }

  void wait(long n_tasks) {
    const auto all_done = [&] { return done_count_.load(std::memory_order_acquire) == n_tasks; };
    if (!spin_until(all_done)) {
      std::unique_lock<std::mutex> lk(m_);
      done_.wait(lk, all_done);
    }
    std::lock_guard<std::mutex> lk(m_);
    if (error_) std::rethrow_exception(error_);
  }

  // next_ holds (generation << 32) | next task: a worker that wakes late, after its job ended,
  // sees another generation and claims nothing, so a task always runs with its own job's fn/ctx.
  // A job cannot end before every claimed task is done, so fn and ctx stay valid meanwhile.
  void drain(std::uint64_t gen, TaskFn fn, void* ctx, long n_tasks) {
    for (;;) {
      std::uint64_t s = next_.load(std::memory_order_acquire);
      long t = 0;
      for (;;) {
        t = static_cast<long>(s & 0xffffffffu);
        if ((s >> 32) != (gen & 0xffffffffu) || t >= n_tasks) return;
        if (next_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) break;
      }
      try {
        fn(ctx, t);
      } catch (...) {
        std::lock_guard<std::mutex> lk(m_);
        if (!error_) error_ = std::current_exception();
      }
      // The last task wakes a caller that went to sleep; taking m_ first means the caller is
      // either before its check of the count (and sees it) or inside wait() (and is notified).
      if (done_count_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_tasks) {
        std::lock_guard<std::mutex> lk(m_);
        done_.notify_one();
      }
    }
  }

  void work() {
    std::uint64_t seen = 0;
    for (;;) {
      const auto job_or_stop = [&] {
        return stop_.load(std::memory_order_relaxed) ||
               generation_.load(std::memory_order_acquire) != seen;
      };
      spin_until(job_or_stop);
      std::unique_lock<std::mutex> lk(m_);
      wake_.wait(lk, job_or_stop);
      if (stop_.load(std::memory_order_relaxed)) return;
      seen = generation_.load(std::memory_order_relaxed);
      const TaskFn fn = fn_;
      void* const ctx = ctx_;
      const long n_tasks = n_tasks_;
      lk.unlock();
      drain(seen, fn, ctx, n_tasks);
    }
  }

  std::atomic<bool> busy_{false};
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable wake_, done_;
  // The current job; written under m_ before the workers are woken.
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
  long n_tasks_ = 0;
  std::atomic<long> done_count_{0};
  std::atomic<std::uint64_t> next_{0};
  // Written under m_ (so a sleeping worker cannot miss a change), read by spinning workers too.
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
};

int default_threads() {
  int cpus = 0;
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cpus = CPU_COUNT(&set);
#endif
  if (cpus <= 0) cpus = static_cast<int>(std::thread::hardware_concurrency());
  if (cpus <= 0) cpus = 1;
  // Beyond 4 threads the products of a dense layer on a minibatch are too small to gain.
  return cpus < 4 ? cpus : 4;
}

int parse_threads(const char* text) {
  const std::string s(text);
  std::size_t used = 0;
  long n = 0;
  try {
    n = std::stol(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != s.size() || n < 1 || n > kMaxThreads) {
    throw std::invalid_argument("NNCORE_NUM_THREADS=" + s + ": expected an integer from 1 to " +
                                std::to_string(kMaxThreads));
  }
  return static_cast<int>(n);
}

// Guards the two below. Held only for a moment, and across fork() (see register_atfork).
std::mutex g_config;
int g_threads = 0;  // 0: not read yet
std::shared_ptr<Pool> g_pool;

// After fork() the child has only the forking thread: the pool's workers are gone and its mutexes
// may be locked forever. The child drops the pool without destroying it (joining would wait on
// threads that do not exist) and builds a new one at its next use.
void before_fork() { g_config.lock(); }
void after_fork_parent() { g_config.unlock(); }
void after_fork_child() {
  new std::shared_ptr<Pool>(std::move(g_pool));  // deliberately leaked
  g_config.unlock();
}

void register_atfork() {
#ifdef NNCORE_HAVE_PTHREAD_ATFORK
  static const int registered =
      pthread_atfork(&before_fork, &after_fork_parent, &after_fork_child);
  (void)registered;
#endif
}

int threads_locked() {
  if (g_threads == 0) {
    const char* env = std::getenv("NNCORE_NUM_THREADS");
    g_threads = env != nullptr && *env != '\0' ? parse_threads(env) : default_threads();
  }
  return g_threads;
}

// The pool when num_threads() > 1 (built or rebuilt for that count), else null.
std::shared_ptr<Pool> current_pool() {
  std::lock_guard<std::mutex> lk(g_config);
  const int n = threads_locked();
  if (n == 1) return nullptr;
  register_atfork();
  if (!g_pool || g_pool->size() != n) g_pool = std::make_shared<Pool>(n);
  return g_pool;  // kept alive by the caller's copy even if set_num_threads replaces it meanwhile
}

struct Claim {  // releases the pool at the end of a job, exception or not
  Pool* pool;
  ~Claim() { pool->release(); }
};

}  // namespace

int num_threads() {
  std::lock_guard<std::mutex> lk(g_config);
  return threads_locked();
}

void set_num_threads(int n) {
  if (n < 1 || n > kMaxThreads) {
    throw std::invalid_argument("n: expected an integer from 1 to " +
                                std::to_string(kMaxThreads) + ", got " + std::to_string(n));
  }
  std::lock_guard<std::mutex> lk(g_config);
  g_threads = n;
}

void parallel_for(long n_tasks, TaskFn fn, void* ctx) {
  std::shared_ptr<Pool> pool;
  if (n_tasks > 1) pool = current_pool();
  if (pool && pool->try_claim()) {
    const Claim claim{pool.get()};
    pool->run(n_tasks, fn, ctx);
    return;
  }
  for (long t = 0; t < n_tasks; ++t) fn(ctx, t);
}

bool run_with_helper(TaskFn main, TaskFn helper, void* ctx) {
  const std::shared_ptr<Pool> pool = current_pool();
  if (pool && pool->try_claim()) {
    const Claim claim{pool.get()};
    pool->run_beside(main, helper, ctx);
    return true;
  }
  main(ctx, 0);
  return false;
}

double handoff_round_trip_ns(long rounds) {
  struct Ctx {
    alignas(64) std::atomic<long> ping{0};  // the round the caller is in; -1: stop
    alignas(64) std::atomic<long> pong{0};  // the last round the helper answered
    long rounds = 0;
    double ns = std::numeric_limits<double>::quiet_NaN();
  } c;
  c.rounds = rounds;
  const auto main = [](void* p, long with_helper) {
    Ctx& c = *static_cast<Ctx*>(p);
    using Clock = std::chrono::steady_clock;
    if (with_helper != 0) {
      // Round 0 waits for the helper to start (a sleeping worker takes a while to wake).
      c.ping.store(0, std::memory_order_release);
      const auto answered = [&c] { return c.pong.load(std::memory_order_acquire) == 1; };
      const bool started = spin_until(answered, std::chrono::milliseconds(100));
      if (started) {
        const auto start = Clock::now();
        for (long i = 1; i <= c.rounds; ++i) {
          c.ping.store(i, std::memory_order_release);
          while (c.pong.load(std::memory_order_acquire) != i + 1) cpu_relax();
        }
        c.ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
               static_cast<double>(c.rounds);
      }
    }
    c.ping.store(-1, std::memory_order_release);
  };
  const auto helper = [](void* p, long) {
    Ctx& c = *static_cast<Ctx*>(p);
    for (long seen = -2;;) {
      const long i = c.ping.load(std::memory_order_acquire);
      if (i == -1) return;
      if (i != seen) {
        seen = i;
        c.pong.store(i + 1, std::memory_order_release);
      }
      cpu_relax();
    }
  };
  run_with_helper(main, helper, &c);
  return c.ns;
}

}  // namespace nncore
