#include "nncore/threads.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
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

namespace {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
  _mm_pause();
#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
  asm volatile("yield");
#endif
}

// The one wait of the pool, on both sides (a worker waiting for a job, the caller waiting for its
// tasks): poll done() for up to kSpin, then sleep on cv until it holds. The spin bridges the gap
// between two parallel regions of one training step (waking a sleeping thread costs tens of
// microseconds); kSpin is short enough not to hold a core that has nothing to do. Whoever makes
// done() true takes the mutex before notifying, so a sleeper cannot miss it.
constexpr std::chrono::microseconds kSpin{20};

template <class Done>
void spin_then_park(std::mutex& m, std::condition_variable& cv, const Done& done) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 1;; ++i) {
    if (done()) return;
    cpu_relax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() - start > kSpin) break;
  }
  std::unique_lock<std::mutex> lk(m);
  cv.wait(lk, done);
}

// n - 1 workers; the thread that calls run() is the n-th. One job at a time: run() is guarded by
// try_claim(), and a second caller (another Python thread training at the same time) runs its tasks
// inline instead of waiting.
class Pool {
 public:
  // Starts up to n_threads - 1 workers. A thread the system refuses (std::thread throws: no
  // address space for its stack, or a process-count limit) ends the starting: the pool keeps
  // the workers it has, every one of them joinable and joined by the destructor.
  explicit Pool(int n_threads) : requested_(n_threads) {
    workers_.reserve(static_cast<std::size_t>(n_threads - 1));
    for (int i = 0; i + 1 < n_threads; ++i) {
      try {
        workers_.emplace_back([this] { work(); });
      } catch (const std::exception&) {
        break;
      }
    }
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

  int requested() const { return requested_; }
  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // Taken for a whole job (an atomic flag, not a mutex: a training hook may call back into
  // nncore on the thread that holds it, and then runs its tasks inline).
  bool try_claim() { return !busy_.exchange(true, std::memory_order_acquire); }
  void release() { busy_.store(false, std::memory_order_release); }

  // The caller waits for its tasks to be done, not for every worker to wake: on a loaded
  // machine a worker may get a core only after the caller has run all the tasks itself.
  void run(long n_tasks, TaskFn fn, void* ctx) {
    const std::uint64_t gen = publish(n_tasks, fn, ctx);
    drain(gen, fn, ctx, n_tasks);
    wait(n_tasks);
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
    spin_then_park(m_, done_, [&] { return done_count_.load(std::memory_order_acquire) == n_tasks; });
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
      spin_then_park(m_, wake_, job_or_stop);
      std::unique_lock<std::mutex> lk(m_);
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
  int requested_;
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
// threads that do not exist) and builds a new one at its next use. A pool the parent's caller
// still holds (a fork from inside a parallel task) is never claimed again in the child: the
// child's parallel_for asks current_pool() for the new one.
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
  if (!g_pool || g_pool->requested() != n) {
    g_pool.reset();  // (the old pool's threads end before the new one's start)
    g_pool = std::make_shared<Pool>(n);
  }
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

}  // namespace nncore
