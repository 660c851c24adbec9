// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
// counter-based generator, so each dropout keep decision is a pure function of
// (seed, step, layer, element) and cannot depend on thread count or SIMD target.
#pragma once

#include <cstdint>

#include "nncore/config.hpp"

namespace nncore {
namespace NNCORE_ISA {

struct Philox4x32 {
  std::uint32_t v[4];
};

inline Philox4x32 philox4x32_10(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2,
                                std::uint32_t c3, std::uint32_t k0, std::uint32_t k1) {
  constexpr std::uint64_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = kM0 * c0;
    const std::uint64_t p1 = kM1 * c2;
    const std::uint32_t hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
    const std::uint32_t hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += kW0;
    k1 += kW1;
  }
  return {{c0, c1, c2, c3}};
}

// Keep threshold on a 32-bit word: P(word < threshold) = keep_prob up to 2^-32, and
// keep_prob = 1 keeps everything. Integer comparison: identical for float and double.
inline std::uint64_t keep_threshold(double keep_prob) {
  if (keep_prob >= 1.0) return std::uint64_t{1} << 32;
  return static_cast<std::uint64_t>(keep_prob * 4294967296.0);
}

// Mask of an (n, m) row-major activation: element e = i*m + j is kept when word e % 4 of
// Philox(counter = (e / 4, layer, step_lo, step_hi), key = seed) is below the threshold.
template <class T>
void dropout_mask(std::uint64_t seed, std::uint64_t step, std::uint32_t layer, long n, long m,
                  double keep_prob, T* out) {
  const std::uint64_t thr = keep_threshold(keep_prob);
  const std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  const std::uint32_t s0 = static_cast<std::uint32_t>(step), s1 = static_cast<std::uint32_t>(step >> 32);
  const long total = n * m;
  for (long e = 0; e < total; e += 4) {
    const Philox4x32 r = philox4x32_10(static_cast<std::uint32_t>(e / 4), layer, s0, s1, k0, k1);
    const long len = total - e < 4 ? total - e : 4;
    for (long q = 0; q < len; ++q) out[e + q] = r.v[q] < thr ? T(1) : T(0);
  }
}

}  // namespace NNCORE_ISA
}  // namespace nncore
