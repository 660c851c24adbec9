// The training loop: epochs of (shuffled) batches, each a fused or an unfused step and one
// optimizer step, the cost recorded per epoch, a hook between steps for Ctrl-C, progress and
// callbacks, and the divergence check that can put the state back to the last finite epoch.
// Every buffer is allocated before the first epoch.
#include <chrono>

#include "nncore/mt19937.hpp"

#include "batches.hpp"
#include "costs.hpp"
#include "entry.hpp"
#include "fused_step.hpp"
#include "optimizers.hpp"
#include "passes.hpp"
#include "wide_input.hpp"

namespace nncore {
namespace NNCORE_ISA {
namespace {

// Views of the flat parameter vector theta (W1, b1, W2, b2, ...) and of the gradient, laid out
// alike.
template <class T>
struct FlatParams {
  Vec<long> offset;  // of W_l; b_l follows it
  long n = 0;
  Vec<T> grad;
  Vec<const T*> W, b;
  Vec<T*> dW, db;
  FlatParams(const Shape& net, const T* theta)
      : offset(net.L), W(net.L), b(net.L), dW(net.L), db(net.L) {
    for (int l = 0; l < net.L; ++l) {
      offset[l] = n;
      n += net.dims[l + 1] * net.dims[l] + net.dims[l + 1];
    }
    grad.resize(static_cast<std::size_t>(n));
    for (int l = 0; l < net.L; ++l) {
      const long nw = net.dims[l + 1] * net.dims[l];
      W[l] = theta + offset[l];
      b[l] = theta + offset[l] + nw;
      dW[l] = grad.data() + offset[l];
      db[l] = grad.data() + offset[l] + nw;
    }
  }
};

// The unfused step's (n_l, mb) arrays for batches of at most mbs examples.
template <class T>
struct UnfusedWork {
  Vec<Vec<T>> Zs, As, Ds, Adrops;
  Vec<T*> Z, A, D, Adrop, dW;
  Vec<const T*> Aprev, Zc, Ac, Dc, W;
  Vec<T> dZ, dA, col;

  void allocate(const Shape& net, long mbs, bool dropout_on) {
    const std::size_t L = static_cast<std::size_t>(net.L);
    for (auto* v : {&Zs, &As, &Ds, &Adrops}) v->resize(L);
    for (auto* v : {&Z, &A, &D, &Adrop, &dW}) v->resize(L);
    for (auto* v : {&Aprev, &Zc, &Ac, &Dc, &W}) v->resize(L);
    for (int l = 0; l < net.L; ++l) {
      const std::size_t size = static_cast<std::size_t>(net.dims[l + 1] * mbs);
      Zs[l].resize(size);
      As[l].resize(size);
      if (dropout_on && l < net.L - 1) {
        Ds[l].resize(size);
        Adrops[l].resize(size);
      }
      Zc[l] = Z[l] = Zs[l].data();
      Ac[l] = A[l] = As[l].data();
      Dc[l] = D[l] = Ds[l].data();
      Adrop[l] = Adrops[l].data();
    }
    const std::size_t scratch = static_cast<std::size_t>(max_units(net) * mbs);
    dZ.resize(scratch);
    dA.resize(scratch);
    col.resize(static_cast<std::size_t>(mbs));
  }

  // The passes' weights and weight gradients: p's, but none for the first layer when it runs
  // in its Gram form (the passes then leave its products to WideInput).
  void bind(const FlatParams<T>& p, bool wide) {
    std::copy(p.W.begin(), p.W.end(), W.begin());
    std::copy(p.dW.begin(), p.dW.end(), dW.begin());
    if (wide) {
      W[0] = nullptr;
      dW[0] = nullptr;
    }
  }

  // Forward, cost (without the L2 term) and backward on the (n, mb) batch X, Y; the first
  // layer's products in their Gram form when `wide` is active (as bound).
  double step(const TrainArgs<T>& a, FlatParams<T>& p, long mb, const T* X, const T* Y,
              std::uint64_t step, WideInput<T>& wide) {
    const Shape& net = a.net;
    const int L = net.L;
    const bool dropout_on = a.keep_prob < 1.0;
    if (wide.active()) wide.forward(p.b[0], Z[0]);
    forward_pass<T>(net, mb, X, W.data(), p.b.data(), a.keep_prob,
                    dropout_on ? kGenerateMasks : kNoDropout, a.dropout_seed, step, Z.data(),
                    A.data(), D.data(), Adrop.data(), col.data());
    // (dZ, col and dA are free until the backward pass.)
    const double cost = cost_from_logits_with<T>(net.output, net.dims[L], mb, Z[L - 1], Y,
                                                 dZ.data(), col.data(), dA.data());
    Aprev[0] = X;
    for (int l = 1; l < L; ++l) Aprev[l] = dropout_on ? Adrop[l - 1] : A[l - 1];
    const T* dZ1 = backward_pass<T>(net, mb, Y, p.W.data(), Aprev.data(), Zc.data(), Ac.data(),
                                    dropout_on ? Dc.data() : nullptr, a.lambd, a.keep_prob,
                                    dW.data(), p.db.data(), dZ.data(), dA.data());
    if (wide.active()) {
      wide.backward(dZ1, static_cast<T>(1.0 / static_cast<double>(mb)),
                    static_cast<T>(a.lambd / static_cast<double>(mb)), p.db[0]);
    }
    return cost;
  }
};

// The batches of an epoch: a's own X, Y (full batch, unfused, examples as columns), or copies
// with rows `stride` apart: padded to whole packets for the fused step, gathered for
// minibatches, transposed from examples as rows.
//
// Minibatches gather whole examples from X with the examples as rows (a column gather is one
// cache line per element): the caller's own array when it comes that way, else one transposed
// copy per call. Full batch in the rows layout takes the one transposed copy it needs (into the
// padded buffer for the fused step). The batches hold the same numbers in either layout, so
// training gives bitwise the same results.
template <class T>
struct Batches {
  bool full_batch, fused;
  long mbs, stride;
  const T* examples = nullptr;  // X with the examples as rows, (m, n_x), for minibatches
  RawBuffer<T> XT;              // a transposed copy of X, when one is needed (written in full)
  AlignedBuffer<T> Xb, Yb;  // (on pages of their own: other cores read them, see AlignedBuffer)
  Vec<std::int64_t> perm;

  Batches(const TrainArgs<T>& a, bool fused_)
      : full_batch(a.mini_batch_size <= 0 || a.mini_batch_size >= a.m),
        fused(fused_),
        mbs(full_batch ? a.m : a.mini_batch_size),
        stride(fused ? padded<T>(mbs) : mbs) {
    if (!full_batch || fused) {
      Xb.assign(static_cast<std::size_t>(a.n_x * stride));
      Yb.assign(static_cast<std::size_t>(a.n_y * stride));
    }
    if (!full_batch) {
      examples = a.x_rows ? a.X : transposed(a.n_x, a.m, a.X, a.n_x);
      perm.resize(static_cast<std::size_t>(a.m));
    } else if (a.x_rows && !fused) {
      transposed(a.m, a.n_x, a.X, a.m);
    } else if (a.x_rows) {
      transpose(a.m, a.n_x, a.X, Xb.data(), stride);
    }
    if (full_batch && fused) {
      for (long r = 0; !a.x_rows && r < a.n_x; ++r) {
        std::copy(a.X + r * a.m, a.X + (r + 1) * a.m, Xb.data() + r * stride);
      }
      for (long r = 0; r < a.n_y; ++r) {
        std::copy(a.Y + r * a.m, a.Y + (r + 1) * a.m, Yb.data() + r * stride);
      }
    }
  }

  // XT = the (rows, cols) src transposed, with its rows ld apart.
  const T* transposed(long rows, long cols, const T* src, long ld) {
    XT.allocate(static_cast<std::size_t>(cols * ld));
    transpose(rows, cols, src, XT.data(), ld);
    return XT.data();
  }

  // Epoch e (0-based, this call) shuffles like np.random.seed(shuffle_seed + e + 1).
  void shuffle(const TrainArgs<T>& a, long epoch) {
    if (full_batch) return;
    numpy_permutation(a.shuffle_seed + static_cast<std::uint32_t>(epoch) + 1u, a.m, perm.data());
  }

  // The batch of mb examples from `start` of the epoch's order: its X and Y.
  std::pair<const T*, const T*> get(const TrainArgs<T>& a, long start, long mb) {
    if (full_batch) {
      if (fused) return {Xb.data(), Yb.data()};
      return {a.x_rows ? XT.data() : a.X, a.Y};
    }
    const long ds = fused ? padded<T>(mb) : mb;
    gather_rows_transposed(a.n_x, examples, perm.data() + start, mb, Xb.data(), ds);
    gather_columns(a.n_y, a.m, a.Y, perm.data() + start, mb, Yb.data(), ds);
    return {Xb.data(), Yb.data()};
  }
};

// The training state at an epoch boundary (same-size assign: no allocation after the first).
template <class T>
struct Snapshot {
  Vec<T> theta, v, s, coef, coef_v;  // (coef, coef_v: WideInput's, when active)
  std::int64_t t = 0;
  std::uint64_t step = 0;

  void save(std::size_t n, const T* theta_, const T* v_, const T* s_, std::int64_t t_,
            std::uint64_t step_) {
    theta.assign(theta_, theta_ + n);
    if (v_ != nullptr) v.assign(v_, v_ + n);
    if (s_ != nullptr) s.assign(s_, s_ + n);
    t = t_;
    step = step_;
  }
  void restore(std::size_t n, T* theta_, T* v_, T* s_, std::int64_t* t_,
               std::uint64_t* step_) const {
    std::copy(theta.begin(), theta.begin() + static_cast<long>(n), theta_);
    if (v_ != nullptr) std::copy(v.begin(), v.begin() + static_cast<long>(n), v_);
    if (s_ != nullptr) std::copy(s.begin(), s.begin() + static_cast<long>(n), s_);
    *t_ = t;
    *step_ = step;
  }
};

// Divergence: every epoch ends with a check of its cost and of theta, v, s (one pass over the
// state). To stop at the last finite state, the state is copied at each finite epoch boundary
// (an optimizer step cannot be undone in floating point, and with minibatches a non-finite
// epoch has already taken several steps); O(parameters) per epoch against O(parameters * m)
// for the epoch itself. Two copies are kept, the ends of the last two epochs: a state whose own
// cost (the first step of the next epoch; all of it in full batch) is non-finite is not a
// finite state, and then the one before is restored.
template <class T>
struct Divergence {
  Snapshot<T> saved[2];
  int newest = 0;  // saved[newest]: end of the previous epoch; the other: the one before
  long saved_epochs[2] = {0, 0};
};

// The loop's state across epochs.
//
// Interruption (Ctrl-C, an exception from a signal handler or a progress hook): the loop stops
// only with the state of an epoch boundary, so that continuing gives exactly the uninterrupted
// run. Between epochs it stops where it is; in the middle of an epoch (several steps per epoch)
// it puts back the state the epoch started from: the divergence check's newest snapshot when it
// keeps one, else a copy taken at the start of each epoch.
template <class T>
class Loop {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Loop(const TrainArgs<T>& a)
      : a_(a),
        params_(a.net, a.theta),
        fused_(fused_step_applies(a.net)),
        batches_(a, fused_),
        mid_epoch_hooks_(a.hook != nullptr && batches_.mbs < a.m),
        t_(*a.t),
        step_(*a.step),
        last_hook_(Clock::now()) {
    if (fused_) {
      fw_.allocate(a.net, batches_.mbs, a.m % batches_.mbs, a.keep_prob < 1.0);
    } else {
      unfused_.allocate(a.net, batches_.mbs, a.keep_prob < 1.0);
    }
    const bool linear = with_optimizer<T>(a.optimizer, [](auto unit) { return unit.kLinear; });
    if (wide_input_pays(a.net, a.m, a.num_epochs, a.callback_every, batches_.full_batch, linear,
                        fused_)) {
      wide_.start(a.net, a.m, batches_.get(a, 0, a.m).first, a.theta, a.v);
    }
    if (!fused_) unfused_.bind(params_, wide_.active());
    if (a.on_nonfinite == kStopNonFinite) {
      for (Snapshot<T>& sv : div_.saved) save(sv);
    }
  }

  TrainResult run() {
    for (long epoch = 0; epoch < a_.num_epochs; ++epoch) {
      if (!run_epoch(epoch)) break;
    }
    if (wide_.active()) wide_.form(a_.theta, a_.v);
    *a_.t = t_;
    *a_.step = step_;
    return result_;
  }

 private:
  std::size_t n() const { return static_cast<std::size_t>(params_.n); }

  void save(Snapshot<T>& sv) {
    sv.save(n(), a_.theta, a_.v, a_.s, t_, step_);
    if (wide_.active()) {
      const auto nc = static_cast<std::size_t>(wide_.n_coef());
      sv.coef.assign(wide_.coef(), wide_.coef() + nc);
      if (wide_.coef_v() != nullptr) sv.coef_v.assign(wide_.coef_v(), wide_.coef_v() + nc);
    }
  }
  void restore(const Snapshot<T>& sv) {
    sv.restore(n(), a_.theta, a_.v, a_.s, &t_, &step_);
    if (wide_.active()) {
      std::copy(sv.coef.begin(), sv.coef.end(), wide_.coef());
      if (wide_.coef_v() != nullptr) std::copy(sv.coef_v.begin(), sv.coef_v.end(), wide_.coef_v());
    }
  }

  // One optimizer step over the flat parameters; with the first layer in its Gram form, W1's
  // block is stepped in its coefficients instead (the unit is linear there).
  void optimize(double lr) {
    const Hyper h{a_.beta, a_.beta1, a_.beta2, a_.epsilon};
    if (!wide_.active()) {
      optimizer_step<T>(a_.optimizer, h, lr, t_, params_.n, a_.theta, params_.grad.data(), a_.v,
                        a_.s);
      return;
    }
    const long skip = a_.net.dims[1] * a_.net.dims[0];
    const auto after = [skip](T* x) { return x != nullptr ? x + skip : nullptr; };
    with_optimizer<T>(a_.optimizer, [&](auto unit) {
      const StepConstants<T> c(lr, h, 0);
      step_parallel(unit, params_.n - skip, a_.theta + skip, params_.grad.data() + skip,
                    after(a_.v), after(a_.s), c);
      wide_.step(unit, c);
    });
  }

  // One epoch; false when the loop stops (hook, divergence).
  bool run_epoch(long epoch) {
    batches_.shuffle(a_, epoch);
    const double lr = a_.learning_rates[epoch];
    const bool stop_nonfinite = a_.on_nonfinite == kStopNonFinite;
    if (mid_epoch_hooks_ && !stop_nonfinite) {
      save(epoch_start_);
    }
    double cost_total = 0.0, cost_step = 0.0;
    double first_cost = 0.0;  // the cost at the state the epoch started from (first step)
    for (long start = 0; start < a_.m; start += batches_.mbs) {
      const long mb = std::min(batches_.mbs, a_.m - start);
      cost_step = step(start, mb);
      if (start == 0) first_cost = cost_step;
      cost_total += cost_step * static_cast<double>(mb);
      ++step_;
      optimize(lr);
      if (mid_epoch_hooks_ && start + batches_.mbs < a_.m &&
          Clock::now() - last_hook_ >= hook_period()) {
        last_hook_ = Clock::now();
        if (a_.hook(a_.hook_ctx, result_.epochs_done, last_cost_, 0) != 0) {
          const Snapshot<T>& begun = stop_nonfinite ? div_.saved[div_.newest] : epoch_start_;
          restore(begun);
          result_.status = kStopped;
          return false;
        }
      }
    }
    last_cost_ = batches_.full_batch ? cost_step : cost_total / static_cast<double>(a_.m);
    a_.costs[epoch] = last_cost_;
    if (a_.on_nonfinite != kIgnoreNonFinite && !check_finite(epoch, first_cost)) return false;
    result_.epochs_done = epoch + 1;
    const bool callback_due = a_.hook != nullptr && a_.callback_every > 0 &&
                              result_.epochs_done % a_.callback_every == 0;
    if (callback_due || (a_.hook != nullptr && Clock::now() - last_hook_ >= hook_period())) {
      last_hook_ = Clock::now();
      if (callback_due && wide_.active()) wide_.form(a_.theta, nullptr);  // a callback reads W1
      if (a_.hook(a_.hook_ctx, result_.epochs_done, last_cost_, callback_due ? 1 : 0) != 0) {
        result_.status = kStopped;
        return false;
      }
    }
    return true;
  }

  // The gradient of one batch into params_.grad; returns its cost with the L2 term.
  double step(long start, long mb) {
    const std::pair<const T*, const T*> xy = batches_.get(a_, start, mb);
    double cost = fused_ ? fused_step<T>(a_.net, mb, xy.first, xy.second, a_.theta, a_.keep_prob,
                                         a_.dropout_seed, step_, a_.lambd, fw_,
                                         params_.grad.data())
                         : unfused_.step(a_, params_, mb, xy.first, xy.second, step_, wide_);
    if (a_.lambd != 0.0) {
      double squares = 0.0;
      for (int l = 0; l < a_.net.L; ++l) {
        squares += l == 0 && wide_.active()
                       ? wide_.squares(params_.b[0], unfused_.Z[0])
                       : sum_squares<T>(a_.net.dims[l + 1] * a_.net.dims[l], params_.W[l]);
      }
      cost += 1.0 / static_cast<double>(mb) * (a_.lambd / 2.0) * squares;
    }
    return cost;
  }

  // The end-of-epoch check; false when training stops here (kStopNonFinite), the state put
  // back to the last finite epoch.
  bool check_finite(long epoch, double first_cost) {
    const long np = params_.n;
    const bool finite = std::isfinite(last_cost_) && all_finite(np, a_.theta) &&
                        (a_.v == nullptr || all_finite(np, a_.v)) &&
                        (a_.s == nullptr || all_finite(np, a_.s)) &&
                        (!wide_.active() || wide_.finite());
    if (!finite && result_.nonfinite_epoch < 0) result_.nonfinite_epoch = epoch;
    if (a_.on_nonfinite != kStopNonFinite) return true;
    if (!finite) {
      const int back = std::isfinite(first_cost) ? div_.newest : 1 - div_.newest;
      restore(div_.saved[back]);
      result_.epochs_done = div_.saved_epochs[back];
      result_.status = kDiverged;
      return false;
    }
    div_.newest = 1 - div_.newest;
    save(div_.saved[div_.newest]);
    div_.saved_epochs[div_.newest] = epoch + 1;
    return true;
  }

  std::chrono::duration<double> hook_period() const {
    return std::chrono::duration<double>(a_.hook_seconds);
  }

  const TrainArgs<T>& a_;
  FlatParams<T> params_;
  bool fused_;
  Batches<T> batches_;
  FusedWork<T> fw_;
  UnfusedWork<T> unfused_;
  WideInput<T> wide_;
  Divergence<T> div_;
  bool mid_epoch_hooks_;
  Snapshot<T> epoch_start_;  // (mid_epoch_hooks_ without the divergence check's snapshots)
  std::int64_t t_;
  std::uint64_t step_;
  TrainResult result_{0, kDone, -1};
  Clock::time_point last_hook_;
  double last_cost_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace

template <class T>
TrainResult train(const TrainArgs<T>& a) {
  return Loop<T>(a).run();
}

template TrainResult train<float>(const TrainArgs<float>&);
template TrainResult train<double>(const TrainArgs<double>&);

}  // namespace NNCORE_ISA
}  // namespace nncore
