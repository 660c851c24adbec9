// The optimizers. An optimizer is one unit: a struct whose step(n, p, g, v, s, c, vc, sc) takes
// one fused pass over n parameters p with their gradients g and its state (v and/or s, as
// optimizer_slots() in types.hpp says), used by the mirror's update and by the training loop;
// with_optimizer() is the one switch from the code to the unit (no default: -Wswitch finds a
// unit left out). kCountsSteps: the unit advances Adam's step counter t. kLinear: the step is a
// linear map of (p, g, v) and uses no other state, so stepping coefficients that stand for
// these vectors steps the vectors (wide_input.hpp relies on it).
//
// Every constant a step derives from a hyperparameter (1 - beta, the bias corrections, the
// learning rate, ...) is computed in double from the double hyperparameter and rounded to T
// once (StepConstants): computing 1 - beta after rounding beta to float loses it (beta = 1 -
// 1e-8 rounds to 1, and Adam then never steps), and a correction from the double beta beside a
// decay from the rounded one no longer cancel.
#pragma once

#include "kernel_base.hpp"

namespace nncore {
namespace NNCORE_ISA {
namespace {

template <class T>
struct StepConstants {
  T lr, beta, one_minus_beta, beta1, one_minus_beta1, beta2, one_minus_beta2, eps;
  T bc1 = T(1), bc2 = T(1);  // Adam's bias corrections 1 - beta^t
  StepConstants(double learning_rate, const Hyper& h, std::int64_t t)
      : lr(static_cast<T>(learning_rate)),
        beta(static_cast<T>(h.beta)),
        one_minus_beta(static_cast<T>(1.0 - h.beta)),
        beta1(static_cast<T>(h.beta1)),
        one_minus_beta1(static_cast<T>(1.0 - h.beta1)),
        beta2(static_cast<T>(h.beta2)),
        one_minus_beta2(static_cast<T>(1.0 - h.beta2)),
        eps(static_cast<T>(h.epsilon)) {
    if (t > 0) {
      bc1 = static_cast<T>(1.0 - std::pow(h.beta1, static_cast<double>(t)));
      bc2 = static_cast<T>(1.0 - std::pow(h.beta2, static_cast<double>(t)));
    }
  }
};

// theta -= lr g
template <class T>
struct Gd {
  static constexpr bool kLinear = true;
  static constexpr bool kCountsSteps = false;
  static void step(long n, T* p, const T* g, T*, T*, const StepConstants<T>& c, T*, T*) {
    for (long i = 0; i < n; ++i) p[i] -= c.lr * g[i];
  }
};

// The course's momentum: v = beta v + (1 - beta) g; theta -= lr v
template <class T>
struct Momentum {
  static constexpr bool kLinear = true;
  static constexpr bool kCountsSteps = false;
  static void step(long n, T* p, const T* g, T* v, T*, const StepConstants<T>& c, T*, T*) {
    for (long i = 0; i < n; ++i) {
      v[i] = c.beta * v[i] + c.one_minus_beta * g[i];
      p[i] -= c.lr * v[i];
    }
  }
};

// Nesterov momentum in scikit-learn's form: v = beta v - lr g; theta += beta v - lr g
template <class T>
struct Nesterov {
  static constexpr bool kLinear = true;
  static constexpr bool kCountsSteps = false;
  static void step(long n, T* p, const T* g, T* v, T*, const StepConstants<T>& c, T*, T*) {
    for (long i = 0; i < n; ++i) {
      const T lg = c.lr * g[i];
      v[i] = c.beta * v[i] - lg;
      p[i] += c.beta * v[i] - lg;
    }
  }
};

// RMSprop: s = beta2 s + (1 - beta2) g^2; theta -= lr g / (sqrt(s) + epsilon)
template <class T>
struct Rmsprop {
  static constexpr bool kLinear = false;
  static constexpr bool kCountsSteps = false;
  static void step(long n, T* p, const T* g, T*, T* s, const StepConstants<T>& c, T*, T*) {
    for (long i = 0; i < n; ++i) {
      s[i] = c.beta2 * s[i] + c.one_minus_beta2 * (g[i] * g[i]);
      p[i] -= c.lr * g[i] / (std::sqrt(s[i]) + c.eps);
    }
  }
};

// Adam with the course's bias corrections (t counts Adam's steps, from 1); the corrected
// moments also go to vc, sc when they are given (the mirror returns them).
template <class T>
struct Adam {
  static constexpr bool kLinear = false;
  static constexpr bool kCountsSteps = true;
  static void step(long n, T* p, const T* g, T* v, T* s, const StepConstants<T>& c, T* vc,
                   T* sc) {
    for (long i = 0; i < n; ++i) {
      const T vi = c.beta1 * v[i] + c.one_minus_beta1 * g[i];
      const T si = c.beta2 * s[i] + c.one_minus_beta2 * (g[i] * g[i]);
      v[i] = vi;
      s[i] = si;
      const T vhat = vi / c.bc1, shat = si / c.bc2;
      if (vc != nullptr) {
        vc[i] = vhat;
        sc[i] = shat;
      }
      p[i] -= c.lr * vhat / (std::sqrt(shat) + c.eps);
    }
  }
};

template <class T, class F>
decltype(auto) with_optimizer(int optimizer, F&& f) {
  switch (static_cast<Optimizer>(optimizer)) {
    case kGD:
      return f(Gd<T>{});
    case kMomentum:
      return f(Momentum<T>{});
    case kAdam:
      return f(Adam<T>{});
    case kRmsprop:
      return f(Rmsprop<T>{});
    case kNesterov:
      return f(Nesterov<T>{});
  }
  throw std::invalid_argument("optimizer: not an optimizer code");
}

// unit.step over n parameters, in chunks on the pool when there are many: a step is element by
// element, so the chunks change nothing in the result, and a large network's parameters and
// state (Adam: four arrays) stream through both cores' caches at once.
constexpr long kStepChunk = 1L << 15;
template <class T, class Unit>
void step_parallel(Unit unit, long n, T* p, const T* g, T* v, T* s, const StepConstants<T>& c) {
  if (n < 2 * kStepChunk) {
    unit.step(n, p, g, v, s, c, nullptr, nullptr);
    return;
  }
  struct Ctx {
    long n;
    T *p, *v, *s;
    const T* g;
    const StepConstants<T>* c;
  } ctx{n, p, v, s, g, &c};
  parallel_for(
      (n + kStepChunk - 1) / kStepChunk,
      [](void* q, long task) {
        const Ctx& x = *static_cast<const Ctx*>(q);
        const long i = task * kStepChunk;
        const auto at = [i](T* a) { return a != nullptr ? a + i : nullptr; };
        Unit::step(std::min(kStepChunk, x.n - i), x.p + i, x.g + i, at(x.v), at(x.s), *x.c,
                   nullptr, nullptr);
      },
      &ctx);
}

// One optimizer step of the training loop over the n flat parameters (Adam's t advanced first).
template <class T>
void optimizer_step(int optimizer, const Hyper& h, double lr, std::int64_t& t, long n, T* theta,
                    const T* g, T* v, T* s) {
  with_optimizer<T>(optimizer, [&](auto unit) {
    if (unit.kCountsSteps) ++t;
    const StepConstants<T> c(lr, h, unit.kCountsSteps ? t : 0);
    step_parallel(unit, n, theta, g, v, s, c);
  });
}

// The mirror's update: the arrays of UpdateArgs, t already advanced by the caller.
template <class T>
void update_arrays(const UpdateArgs<T>& a) {
  with_optimizer<T>(a.optimizer, [&](auto unit) {
    const Hyper h{a.beta, a.beta1, a.beta2, a.epsilon};
    const StepConstants<T> c(a.learning_rate, h, unit.kCountsSteps ? a.t : 0);
    for (long k = 0; k < a.n_arrays; ++k) {
      unit.step(a.sizes[k], a.P[k], a.G[k], a.V ? a.V[k] : nullptr, a.S ? a.S[k] : nullptr, c,
                a.Vc ? a.Vc[k] : nullptr, a.Sc ? a.Sc[k] : nullptr);
    }
  });
}

}  // namespace
}  // namespace NNCORE_ISA
}  // namespace nncore
