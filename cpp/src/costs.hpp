// The output layer's mean cost: from A as the course writes it (the mirror's compute_cost), and
// from the pre-activation Z, finite wherever Z is (what training records).
#pragma once

#include "activations.hpp"
#include "reductions.hpp"

namespace nncore {
namespace NNCORE_ISA {
namespace {

// Mean cost over the m columns; `terms` is scratch of n * m elements.
template <class T>
double cost_with(int output, long n, long m, const T* A, const T* Y, T* terms) {
  const long size = n * m;
  switch (static_cast<Output>(output)) {
    case kSigmoid:
      // -log(a) y - log(1 - a) (1 - y) as the course writes it; 0 * log 0 is NaN and skipped
      // like np.nansum skips it.
      chunked<T>(size, A, Y, terms, [](const Chunk<T>& a, const Chunk<T>& y, Chunk<T>& r) {
        r = (-(a.log())) * y + (-((T(1) - a).log())) * (T(1) - y);
      });
      break;
    case kSoftmax:
      chunked<T>(size, A, Y, terms, [](const Chunk<T>& a, const Chunk<T>& y, Chunk<T>& r) {
        r = (-(a.log())) * y;
      });
      break;
    case kIdentity:
      for (long e = 0; e < size; ++e) terms[e] = T(0.5) * (A[e] - Y[e]) * (A[e] - Y[e]);
      break;
  }
  return static_cast<double>(nansum(size, terms)) / static_cast<double>(m);
}


// The same mean cost from the output pre-activation Z, exact in exact arithmetic and finite
// wherever Z is: from A, a saturated sigmoid (A rounded to 0 or 1) gives log(0) = -inf, and
// 1 - A loses all digits long before that. NaN or inf in Z gives a non-finite cost (a plain
// sum, no NaN skipped: training relies on it to notice divergence). `terms` is scratch of
// n * m elements, `col` and `lse` of m.
template <class T>
double cost_from_logits_with(int output, long n, long m, const T* Z, const T* Y, T* terms,
                             T* col, T* lse) {
  const long size = n * m;
  switch (static_cast<Output>(output)) {
    case kSigmoid: {
    // -(y log a + (1 - y) log(1 - a)) with a = 1 / (1 + exp(-z)) is softplus(z) - z y
    // = max(z, 0) - z y + log1p(exp(-|z|)). Eigen 3.4 has no vectorized log1p for double, so
    // log1p(u) = log(w) u / (w - 1) with w = 1 + u (Goldberg; a few ulp), and u where w
    // rounds to 1 (the loop: select() would evaluate the whole chunk with scalar code).
    chunked<T>(size, Z, Y, terms, [](const Chunk<T>& z, const Chunk<T>& y, Chunk<T>& r) {
      const Chunk<T> base = z.max(T(0)) - z * y;
      const Chunk<T> u = (-z.abs()).exp();
      const Chunk<T> w = T(1) + u;
      r = base + w.log() * (u / (w - T(1)));
      for (int q = 0; q < kChunk; ++q) {
        if (w[q] == T(1)) r[q] = base[q] + u[q];
      }
    });
    break;
    }
    case kSoftmax: {
    // -sum_i y_i log softmax(z)_i = sum_i y_i (lse - z_i) per column, with
    // lse - z_i = log(sum_k exp(d_k)) - d_i and d = z - max(z) <= 0: exp cannot overflow, and
    // the sum is at least 1.
    VecMap<T> c(col, m), s(lse, m);
    c = ConstVecMap<T>(Z, m);
    for (long i = 1; i < n; ++i) c = c.max(ConstVecMap<T>(Z + i * m, m));
    s.setZero();
    for (long i = 0; i < n; ++i) {
      VecMap<T>(terms + i * m, m) = ConstVecMap<T>(Z + i * m, m) - c;
      chunked<T>(m, terms + i * m, nullptr, terms + i * m,
                 [](const Chunk<T>& d, const Chunk<T>&, Chunk<T>& r) { r = d.exp(); });
      s += ConstVecMap<T>(terms + i * m, m);
    }
    chunked<T>(m, lse, nullptr, lse,
               [](const Chunk<T>& x, const Chunk<T>&, Chunk<T>& r) { r = x.log(); });
    for (long i = 0; i < n; ++i) {
      VecMap<T>(terms + i * m, m) =
          ConstVecMap<T>(Y + i * m, m) * (s - (ConstVecMap<T>(Z + i * m, m) - c));
    }
    break;
    }
    case kIdentity:
      for (long e = 0; e < size; ++e) terms[e] = T(0.5) * (Z[e] - Y[e]) * (Z[e] - Y[e]);
      break;
  }
  return static_cast<double>(sum(size, terms)) / static_cast<double>(m);
}


}  // namespace
}  // namespace NNCORE_ISA
}  // namespace nncore
