// Full-batch training of a network whose input is wider than the batch (more features than
// examples, as the course's 12288-pixel images with 209 examples), by a linear optimizer: the
// first layer in its Gram form, which never forms the two products with X in the loop.
//
// Every step's gradient of W1 is (1/m) dZ1 X^T + (lambd/m) W1, and a linear optimizer (gd,
// momentum, Nesterov: Optimizer::kLinear) only ever adds multiples of W1, of its velocity v1
// and of such gradients. From a call's start (W1 = W0, v1 = V0), every W1-shaped quantity the
// loop holds is therefore
//     Q = q_w W0 + q_v V0 + Mq X^T        (scalars q_w, q_v; Mq of shape (n1, m)),
// stored as the coefficients [q_w, q_v, Mq] (2 + n1 m numbers), and the forward product is
//     W1 X = w_w (W0 X) + w_v (V0 X) + Mw (X^T X).
// With P0 = W0 X, PV = V0 X and the Gram matrix G = X^T X formed once per call, a step costs
// n1 m^2 multiply-adds in place of 2 n1 n_x m, and the optimizer's own unit steps the
// coefficients: for a linear unit, stepping the coefficients is stepping the matrices they
// stand for. W1 is formed again (one product) at periodic hooks, where a callback may read the
// parameters (not the optimizer's state, nor write either: Network refuses it), and W1 and v1
// when the call ends. Results equal the direct loop's up to rounding (the
// sums run in another order), not bitwise.
#pragma once

#include "optimizers.hpp"
#include "products.hpp"

namespace nncore {
namespace NNCORE_ISA {
namespace {

// Worth it when the per-step saving over the call's epochs outweighs the one-off products
// (G, P0, PV, W1 at each periodic hook, W1 and v1 at the end), in multiply-adds.
inline bool wide_input_pays(const Shape& net, long m, long epochs, long callback_every,
                            bool full_batch, bool linear_optimizer, bool fused) {
  const long n_x = net.dims[0], n1 = net.dims[1];
  if (!full_batch || !linear_optimizer || fused || !use_gemm(n1, n_x) || m > n_x) return false;
  const double dm = static_cast<double>(m), dx = static_cast<double>(n_x),
               d1 = static_cast<double>(n1), de = static_cast<double>(epochs);
  const double hooks = callback_every > 0 ? de / static_cast<double>(callback_every) : 0.0;
  const double saved = de * (2.0 * d1 * dx * dm - d1 * dm * dm);
  const double extra = dx * dm * dm + (4.0 + hooks) * d1 * dx * dm;
  return saved > 2.0 * extra;
}

template <class T>
class WideInput {
 public:
  bool active() const { return active_; }
  long n_coef() const { return 2 + n1_ * m_; }
  T* coef() { return coef_.data(); }
  T* coef_v() { return has_v_ ? coef_v_.data() : nullptr; }

  // Takes the call's W1 (and v1) as W0 (and V0) and forms G, P0, PV from the (n_x, m) X.
  void start(const Shape& net, long m, const T* X, const T* W1, const T* v1) {
    active_ = true;
    n_x_ = net.dims[0];
    n1_ = net.dims[1];
    m_ = m;
    X_ = X;
    has_v_ = v1 != nullptr;
    const std::size_t nw = static_cast<std::size_t>(n1_ * n_x_);
    const std::size_t nz = static_cast<std::size_t>(n1_ * m_);
    W0_.assign(W1, W1 + nw);
    G_.resize(static_cast<std::size_t>(m_ * m_));
    linear_backward_input(n_x_, m_, m_, X, X, G_.data());  // G = X^T X
    zeros_.assign(static_cast<std::size_t>(n1_), T(0));
    rowsums_.assign(static_cast<std::size_t>(n1_), T(0));
    P0_.resize(nz);
    linear_forward(n1_, n_x_, m_, W1, zeros_.data(), X, P0_.data());
    coef_.assign(static_cast<std::size_t>(n_coef()), T(0));
    grad_.assign(static_cast<std::size_t>(n_coef()), T(0));
    coef_[0] = T(1);
    w0w0_ = dot_double(W0_.data(), W0_.data());
    if (has_v_) {
      V0_.assign(v1, v1 + nw);
      PV_.resize(nz);
      linear_forward(n1_, n_x_, m_, v1, zeros_.data(), X, PV_.data());
      coef_v_.assign(static_cast<std::size_t>(n_coef()), T(0));
      coef_v_[1] = T(1);
      w0v0_ = dot_double(W0_.data(), V0_.data());
      v0v0_ = dot_double(V0_.data(), V0_.data());
    }
  }

  // Z1 = W1 X + b1.
  void forward(const T* b1, T* Z1) const {
    linear_forward(n1_, m_, m_, coef_.data() + 2, b1, G_.data(), Z1);
    const long size = n1_ * m_;
    VecMap<T> z(Z1, size);
    z += coef_[0] * ConstVecMap<T>(P0_.data(), size);
    if (has_v_) z += coef_[1] * ConstVecMap<T>(PV_.data(), size);
  }

  // The coefficients of dW1 = (1/m) dZ1 X^T + (lambd/m) W1, and db1 = (1/m) rowsum(dZ1).
  void backward(const T* dZ1, T scale, T l2, T* db1) {
    grad_[0] = l2 * coef_[0];
    grad_[1] = l2 * coef_[1];
    const long size = n1_ * m_;
    VecMap<T>(grad_.data() + 2, size) = scale * ConstVecMap<T>(dZ1, size) +
                                        l2 * ConstVecMap<T>(coef_.data() + 2, size);
    for (long i = 0; i < n1_; ++i) db1[i] = scale * sum(m_, dZ1 + i * m_);
  }

  // One step of the (linear) optimizer unit on the coefficients.
  template <class Unit>
  void step(Unit unit, const StepConstants<T>& c) {
    unit.step(n_coef(), coef_.data(), grad_.data(), coef_v(), nullptr, c, nullptr, nullptr);
  }

  // ||W1||^2 (the L2 term) at the coefficients of the last forward(b1, Z1), in double:
  // with W1 = w_w W0 + w_v V0 + Mw X^T and W1 X = Z1 - b1,
  // ||W1||^2 = w_w <W1, W0> + w_v <W1, V0> + <Z1 - b1, Mw>, where
  // <W1, W0> = w_w ||W0||^2 + w_v <V0, W0> + <Mw, P0> and <W1, V0> likewise with PV.
  double squares(const T* b1, const T* Z1) const {
    const double ww = coef_[0], wv = coef_[1];
    const T* M = coef_.data() + 2;
    double mz = 0.0, mp = 0.0, mv = 0.0;
    for (long i = 0; i < n1_; ++i) {
      for (long j = 0; j < m_; ++j) {
        const long e = i * m_ + j;
        const double mij = M[e];
        mz += mij * (static_cast<double>(Z1[e]) - static_cast<double>(b1[i]));
        mp += mij * static_cast<double>(P0_[e]);
        if (has_v_) mv += mij * static_cast<double>(PV_[e]);
      }
    }
    return ww * (ww * w0w0_ + wv * w0v0_ + mp) + wv * (ww * w0v0_ + wv * v0v0_ + mv) + mz;
  }

  bool finite() const {
    return all_finite(n_coef(), coef_.data()) &&
           (!has_v_ || all_finite(n_coef(), coef_v_.data()));
  }

  // W1 (and v1, unless nullptr) from their coefficients.
  void form(T* W1, T* v1) {
    form_one(coef_.data(), W1);
    if (has_v_ && v1 != nullptr) form_one(coef_v_.data(), v1);
  }

 private:
  // Q = q_w W0 + q_v V0 + Mq X^T.
  void form_one(const T* q, T* Q) {
    linear_backward_params(n1_, n_x_, m_, q + 2, X_, W0_.data(), T(1), T(0), Q, rowsums_.data());
    const long size = n1_ * n_x_;
    VecMap<T> out(Q, size);
    out += q[0] * ConstVecMap<T>(W0_.data(), size);
    if (has_v_) out += q[1] * ConstVecMap<T>(V0_.data(), size);
  }

  double dot_double(const T* x, const T* y) const {
    double acc = 0.0;
    for (long e = 0; e < n1_ * n_x_; ++e) acc += static_cast<double>(x[e]) * y[e];
    return acc;
  }

  bool active_ = false, has_v_ = false;
  double w0w0_ = 0.0, w0v0_ = 0.0, v0v0_ = 0.0;
  long n_x_ = 0, n1_ = 0, m_ = 0;
  const T* X_ = nullptr;
  Vec<T> W0_, V0_, G_, P0_, PV_, coef_, coef_v_, grad_, zeros_, rowsums_;
};

}  // namespace
}  // namespace NNCORE_ISA
}  // namespace nncore
