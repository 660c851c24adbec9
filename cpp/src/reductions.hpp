// Sums, dots and finiteness checks in a fixed order of additions.
#pragma once

#include "kernel_base.hpp"

namespace nncore {
namespace NNCORE_ISA {
namespace {

// Reproducibility: results must not depend on where an array sits in memory. Eigen peels the
// unaligned head of a mapped vector and handles it with scalar code, so reductions run here on
// eight fixed lanes, combined in a fixed order.
constexpr long kLanes = 8;

template <class T>
T combine(const T (&acc)[kLanes]) {
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

template <class T>
using Lanes = Eigen::Array<T, kLanes, 1>;

template <class T>
T combine(const Lanes<T>& acc) {
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

template <class T>
T dot(long n, const T* x, const T* y) {
  Lanes<T> acc = Lanes<T>::Zero();
  long j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    acc += Eigen::Map<const Lanes<T>>(x + j) * Eigen::Map<const Lanes<T>>(y + j);
  }
  T tail = T(0);
  for (; j < n; ++j) tail += x[j] * y[j];
  return combine(acc) + tail;
}

// Sum of x, skipping NaN like np.nansum.
template <class T>
T nansum(long n, const T* x) {
  T acc[kLanes] = {};
  long j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (long q = 0; q < kLanes; ++q) acc[q] += x[j + q] == x[j + q] ? x[j + q] : T(0);
  }
  T tail = T(0);
  for (; j < n; ++j) tail += x[j] == x[j] ? x[j] : T(0);
  return combine(acc) + tail;
}

template <class T>
T sum(long n, const T* x) {
  Lanes<T> acc = Lanes<T>::Zero();
  long j = 0;
  for (; j + kLanes <= n; j += kLanes) acc += Eigen::Map<const Lanes<T>>(x + j);
  T tail = T(0);
  for (; j < n; ++j) tail += x[j];
  return combine(acc) + tail;
}

// True when no x[i] is NaN or inf: x * 0 is 0 for finite x and NaN otherwise.
template <class T>
bool all_finite(long n, const T* x) {
  Lanes<T> acc = Lanes<T>::Zero();
  long j = 0;
  for (; j + kLanes <= n; j += kLanes) acc += Eigen::Map<const Lanes<T>>(x + j) * T(0);
  T tail = T(0);
  for (; j < n; ++j) tail += x[j] * T(0);
  const T total = combine(acc) + tail;
  return total == total;
}

template <class T>
double sum_squares(long n, const T* x) {
  return static_cast<double>(dot(n, x, x));
}

// The sum of a packet's lanes, pairwise in a fixed order (Eigen's predux for AVX-512 trips
// GCC 12's -Wuninitialized).
template <class T>
T hsum(const Packet<T>& p) {
  T lanes[kWidth<T>];
  ei::pstoreu(lanes, p);
  for (long w = kWidth<T> / 2; w >= 1; w /= 2) {
    for (long q = 0; q < w; ++q) lanes[q] += lanes[q + w];
  }
  return lanes[0];
}

// hsum of the packets p[0..N) into out[0..N), each added exactly as hsum adds it; for float64
// on AVX2, four at a time in registers (two lane swaps, two additions, one horizontal addition
// and a permutation for four sums, where hsum goes through memory for each).
template <class T, int N>
void hsums(const Packet<T>* p, T* out) {
  int i = 0;
#ifdef __AVX2__
  if constexpr (std::is_same_v<T, double> && kWidth<T> == 4) {
    for (; i + 4 <= N; i += 4) {
      // ab = (a0 + a2, a1 + a3, b0 + b2, b1 + b3), cd alike; hadd(ab, cd) = (a, c, b, d).
      const __m256d ab = _mm256_add_pd(_mm256_permute2f128_pd(p[i], p[i + 1], 0x20),
                                       _mm256_permute2f128_pd(p[i], p[i + 1], 0x31));
      const __m256d cd = _mm256_add_pd(_mm256_permute2f128_pd(p[i + 2], p[i + 3], 0x20),
                                       _mm256_permute2f128_pd(p[i + 2], p[i + 3], 0x31));
      _mm256_storeu_pd(out + i, _mm256_permute4x64_pd(_mm256_hadd_pd(ab, cd), 0xD8));
    }
  }
#endif
  for (; i < N; ++i) out[i] = hsum<T>(p[i]);
}

}  // namespace
}  // namespace NNCORE_ISA
}  // namespace nncore
