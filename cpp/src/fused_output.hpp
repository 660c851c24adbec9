// The fused step's output layer: sigmoid (or identity), dZ, db and the cost terms in one pass
// with a single exp and division per element.
#pragma once

#include "reductions.hpp"

namespace nncore {
namespace NNCORE_ISA {
namespace {

// The sigmoid output's exp(-|z|). Eigen's pexp serves every target but the one most machines
// run (AVX2 + FMA, float64), where it is dedicated: for arguments <= 0 only, with no special
// cases to handle (Eigen's has a rational approximation and a general ldexp), which makes it
// the cheaper of the two. Accuracy: within 1.0 ulp over [-750, 750] (Eigen's 1.7);
// test_sigmoid_output_is_accurate_at_any_logit checks the cost and dZ against 40 digits.
template <class T>
inline Packet<T> exp_neg_abs(const Packet<T>& z) {
  return ei::pexp(ei::pnegate(ei::pabs(z)));
}

#if defined(__AVX2__) && defined(__FMA__) && !defined(EIGEN_VECTORIZE_AVX512)
// exp(x) for x = -|z| <= 0, to about 1 ulp: x = k ln2 + t with |t| <= ln2/2 (k rounded to
// nearest by the 1.5 * 2^52 shifter, ln2 in two parts), exp(t) by its Taylor series to t^13
// (the first term left out is below 4e-18 relative), times 2^k built in the exponent bits
// (k >= -1022: the product rounds into the subnormals, gradually). Below x = -708.74, where k
// would be -1023, the result is 0: an absolute error under 1.6e-308 (the smallest normal double
// is 2.2e-308), where the reference's 1 / (1 + exp(-z)) is 0 too from z < -709.78. NaN stays
// NaN.
template <>
inline Packet<double> exp_neg_abs<double>(const Packet<double>& z) {
  const __m256d x0 = ei::pnegate(ei::pabs(z)), lowest = _mm256_set1_pd(-708.74);
  const __m256d x = _mm256_max_pd(lowest, x0);  // NaN stays NaN (max returns its second)
  const __m256d shifter = _mm256_set1_pd(0x1.8p52);
  const __m256d kd = _mm256_fmadd_pd(x, _mm256_set1_pd(0x1.71547652b82fep0), shifter);
  const __m256d k = _mm256_sub_pd(kd, shifter);
  __m256d t = _mm256_fnmadd_pd(k, _mm256_set1_pd(0x1.62e42fefa39efp-1), x);
  t = _mm256_fnmadd_pd(k, _mm256_set1_pd(0x1.abc9e3b39803fp-56), t);
  // 1/n! for n = 13 down to 0.
  static constexpr double kInvFactorial[] = {
      1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
      1.0 / 362880.0,     1.0 / 40320.0,     1.0 / 5040.0,      1.0 / 720.0,
      1.0 / 120.0,        1.0 / 24.0,        1.0 / 6.0,         0.5,
      1.0,                1.0};
  __m256d p = _mm256_set1_pd(kInvFactorial[0]);
  for (int n = 1; n < 14; ++n) p = _mm256_fmadd_pd(p, t, _mm256_set1_pd(kInvFactorial[n]));
  // kd's low mantissa bits hold 2^51 + k: adding the bias and shifting the sum's low 12 bits
  // into the exponent field gives the bits of 2^k (k in [-1022, 0]).
  const __m256i bits =
      _mm256_slli_epi64(_mm256_add_epi64(_mm256_castpd_si256(kd), _mm256_set1_epi64x(1023)), 52);
  const __m256d u = _mm256_mul_pd(p, _mm256_castsi256_pd(bits));
  return _mm256_andnot_pd(_mm256_cmp_pd(x0, lowest, _CMP_LT_OQ), u);
}
#endif

// The sigmoid cost's log1p(exp(-|z|)) terms are not taken one by one: their sum over a row is
// the log of a product, sum_j log1p(u_j) = log1p(prod_j (1 + u_j) - 1). Accumulators keep
// p = prod (1 + u) - 1 as p <- p + u + p u (fma(p, u, p + u): every term is >= 0, so each
// factor adds at most two roundings relative to p, three without FMA; tiny u keep their full
// precision, where 1 + u would round them away), and each row ends with one log1p of their
// combination. Over n factors the relative error of p is at most 3n roundings, and so is that
// of log1p(p) (as p / ((1 + p) log1p(p)) <= 1): the order of the rounding of a sum of n terms.
// A row of a block has at most kBlockColumns factors, so 1 + p <= 2^512: no overflow in
// float64, and float32 lanes (at most 2^35 each) are combined in float64. One log1p a row is
// cheaper than one (with its division) per packet.
template <class T>
double log1p_products(const Packet<T>* lp) {  // lp[0..4)
  constexpr long W = kWidth<T>;
  const auto mul = [](const auto& a, const auto& b) {  // (1 + a)(1 + b) - 1
    return ei::pmadd(a, b, ei::padd(a, b));
  };
  T lanes[4 * W];
  long n = 4 * W;
  if constexpr (std::is_same_v<T, double>) {
    ei::pstoreu(lanes, mul(mul(lp[0], lp[1]), mul(lp[2], lp[3])));
    n = W;
  } else {
    for (int q = 0; q < 4; ++q) ei::pstoreu(lanes + q * W, lp[q]);
  }
  double p = 0.0;
  for (long e = 0; e < n; ++e) {
    const double x = static_cast<double>(lanes[e]);
    p = (p + x) + p * x;  // (not std::fma: a library call on targets without FMA)
  }
  return std::log1p(p);
}

// NP packets of the output layer from column j of row z, y (see output_fused): dZ into dz,
// its sum into sum, the cost terms into cost (for the sigmoid: max(z, 0) - z y, and the
// products of 1 + exp(-|z|) into lp[q], see log1p_products), packet by packet in order of j.
// The packets' exp and division are interleaved: one packet's chain of them is latency-bound.
template <class T, int NP>
inline void output_tile(int output, long m, long j, const T* z_row, const T* y_row, T* dz_row,
                        Packet<T>& sum, Packet<T>& cost, Packet<T>* lp) {
  using P = Packet<T>;
  constexpr long W = kWidth<T>;
  const P zero = ei::pset1<P>(T(0)), one = ei::pset1<P>(T(1));
  P z[NP], y[NP], d[NP], c[NP], u[NP];
  for (int q = 0; q < NP; ++q) {
    z[q] = ei::ploadu<P>(z_row + j + q * W);
    y[q] = ei::ploadu<P>(y_row + j + q * W);
  }
  if (output == kSigmoid) {
    for (int q = 0; q < NP; ++q) u[q] = exp_neg_abs<T>(z[q]);
    for (int q = 0; q < NP; ++q) {
      const P r = ei::pdiv(one, ei::padd(one, u[q]));
      d[q] = ei::psub(ei::pselect(ei::pcmp_le(zero, z[q]), r, ei::pmul(u[q], r)), y[q]);
      c[q] = ei::psub(ei::pmax(z[q], zero), ei::pmul(z[q], y[q]));
    }
  } else {
    const P half = ei::pset1<P>(T(0.5));
    for (int q = 0; q < NP; ++q) {
      u[q] = zero;  // (unused)
      d[q] = ei::psub(z[q], y[q]);
      c[q] = ei::pmul(ei::pmul(half, d[q]), d[q]);
    }
  }
  for (int q = 0; q < NP; ++q) {
    const long jq = j + q * W;
    if (jq + W > m) {  // the last packet: keep lanes jq + lane < m
      const P keep = ei::pcmp_lt(ei::plset<P>(T(0)), ei::pset1<P>(static_cast<T>(m - jq)));
      d[q] = ei::pand(d[q], keep);
      c[q] = ei::pand(c[q], keep);
      if (output == kSigmoid) u[q] = ei::pand(u[q], keep);
    }
    if (output == kSigmoid) lp[q] = ei::pmadd(lp[q], u[q], ei::padd(lp[q], u[q]));
    ei::pstoreu(dz_row + jq, d[q]);
    sum = ei::padd(sum, d[q]);
    cost = ei::padd(cost, c[q]);
  }
}

// The output layer from its Z (n rows s apart; Y's rows ys apart), columns j0..j1: dZ = A - Y
// with A = sigmoid(Z) or Z, zero in the columns from m on (padding); db = the row sums of dZ.
// Returns the sum of the cost terms (the same stable terms as cost_from_logits_with; for the
// sigmoid, the sum of max(z, 0) - z y plus each row's log1p_products). The sigmoid and dZ share
// one exp and one division: u = exp(-|z|), r = 1/(1 + u); A = r for z >= 0 and u r below.
template <class T>
T output_fused(int output, long n, long m, long j0, long j1, long s, const T* Z, long ys,
               const T* Y, T* dZ, T* db) {
  using P = Packet<T>;
  constexpr long W = kWidth<T>;
  P cost = ei::pset1<P>(T(0));
  double logs = 0.0;
  for (long i = 0; i < n; ++i) {
    P sum = ei::pset1<P>(T(0));
    P lp[4] = {sum, sum, sum, sum};
    const T *z = Z + i * s, *y = Y + i * ys;
    T* dz = dZ + i * s;
    long j = j0;
    for (; j + 4 * W <= j1; j += 4 * W) output_tile<T, 4>(output, m, j, z, y, dz, sum, cost, lp);
    for (; j < j1; j += W) output_tile<T, 1>(output, m, j, z, y, dz, sum, cost, lp);
    db[i] = hsum<T>(sum);
    if (output == kSigmoid) logs += log1p_products<T>(lp);
  }
  return hsum<T>(cost) + static_cast<T>(logs);
}

}  // namespace
}  // namespace NNCORE_ISA
}  // namespace nncore
