#include "nncore/threads.hpp"

#include <atomic>
#include <condition_variable>
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

namespace nncore {
namespace {

// n - 1 workers; the thread that calls run() is the n-th. One job at a time: run() is guarded by
// `busy`, and a second caller (another Python thread training at the same time) runs its tasks
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
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  std::mutex busy;

  void run(long n_tasks, TaskFn fn, void* ctx) {
    {
      std::lock_guard<std::mutex> lk(m_);
      fn_ = fn;
      ctx_ = ctx;
      n_tasks_ = n_tasks;
      next_.store(0, std::memory_order_relaxed);
      idle_ = 0;
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    drain();
    std::unique_lock<std::mutex> lk(m_);
    // Every worker acknowledges every job, so the job's fields stay valid until all have left.
    done_.wait(lk, [this] { return idle_ == workers_.size(); });
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void drain() {
    for (;;) {
      const long t = next_.fetch_add(1, std::memory_order_relaxed);
      if (t >= n_tasks_) return;
      try {
        fn_(ctx_, t);
      } catch (...) {
        std::lock_guard<std::mutex> lk(m_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }

  void work() {
    unsigned long seen = 0;
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      wake_.wait(lk, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      lk.unlock();
      drain();
      lk.lock();
      if (++idle_ == workers_.size()) done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable wake_, done_;
  // The current job; written under m_ before the workers are woken.
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
  long n_tasks_ = 0;
  std::atomic<long> next_{0};
  std::size_t idle_ = 0;
  unsigned long generation_ = 0;
  bool stop_ = false;
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
  if (n_tasks > 1) {
    std::lock_guard<std::mutex> lk(g_config);
    const int n = threads_locked();
    if (n > 1) {
      register_atfork();
      if (!g_pool || g_pool->size() != n) g_pool = std::make_shared<Pool>(n);
      pool = g_pool;  // kept alive by this copy even if set_num_threads replaces it meanwhile
    }
  }
  if (pool) {
    std::unique_lock<std::mutex> busy(pool->busy, std::try_to_lock);
    if (busy.owns_lock()) {
      pool->run(n_tasks, fn, ctx);
      return;
    }
  }
  for (long t = 0; t < n_tasks; ++t) fn(ctx, t);
}

}  // namespace nncore
