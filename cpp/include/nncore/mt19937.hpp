// numpy's legacy generator, reproduced bit for bit so that nncore.model shuffles minibatches
// exactly like the course's `np.random.seed(seed); np.random.permutation(m)`:
// MT19937 (Matsumoto & Nishimura 1998) seeded as numpy's `mt19937_seed`, and the
// Fisher-Yates shuffle of numpy's `RandomState.shuffle` with its masked-rejection
// `random_interval` (numpy/random/src/distributions, BSD licensed).
#pragma once

#include <cstdint>

#include "nncore/config.hpp"

namespace nncore {
namespace NNCORE_ISA {

class MT19937 {
 public:
  explicit MT19937(std::uint32_t seed) {
    for (int i = 0; i < kN; ++i) {
      key_[i] = seed;
      seed = 1812433253u * (seed ^ (seed >> 30)) + static_cast<std::uint32_t>(i + 1);
    }
    pos_ = kN;
  }

  std::uint32_t next32() {
    if (pos_ == kN) generate();
    return out_[pos_++];
  }

  // Uniform integer in [0, max] (max < 2^32), numpy's legacy `random_interval`.
  std::uint32_t interval(std::uint32_t max) {
    if (max == 0) return 0;
    std::uint32_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    std::uint32_t value;
    while ((value = (next32() & mask)) > max) {
    }
    return value;
  }

 private:
  static constexpr int kN = 624, kM = 397;
  // The next kN words, in place: word i from words i, i + 1 and i + kM (mod kN), the last two
  // not yet replaced for i < kN - kM, word i + kM - kN already replaced after. Without the
  // modulo, each of the three ranges is a loop without a dependency the compiler cannot
  // vectorize (words i + kM - kN < i - 8), and the tempering below is one vectorized pass too.
  static std::uint32_t twist(std::uint32_t a, std::uint32_t b, std::uint32_t c) {
    constexpr std::uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu, kMatrix = 0x9908b0dfu;
    const std::uint32_t y = (a & kUpper) | (b & kLower);
    return c ^ (y >> 1) ^ ((0u - (y & 1u)) & kMatrix);
  }
  void generate() {
    int i = 0;
    for (; i < kN - kM; ++i) key_[i] = twist(key_[i], key_[i + 1], key_[i + kM]);
    for (; i < kN - 1; ++i) key_[i] = twist(key_[i], key_[i + 1], key_[i + kM - kN]);
    key_[kN - 1] = twist(key_[kN - 1], key_[0], key_[kM - 1]);
    for (i = 0; i < kN; ++i) {  // the tempered outputs, all at once (a vectorized loop)
      std::uint32_t y = key_[i];
      y ^= y >> 11;
      y ^= (y << 7) & 0x9d2c5680u;
      y ^= (y << 15) & 0xefc60000u;
      y ^= y >> 18;
      out_[i] = y;
    }
    pos_ = 0;
  }
  std::uint32_t key_[kN];
  std::uint32_t out_[kN];
  int pos_;
};

// np.random.seed(seed); np.random.permutation(m), written into perm[0..m).
template <class Index>
void numpy_permutation(std::uint32_t seed, long m, Index* perm) {
  for (long i = 0; i < m; ++i) perm[i] = static_cast<Index>(i);
  if (m < 2) return;
  MT19937 rng(seed);
  for (long i = m - 1; i >= 1; --i) {
    const long j = static_cast<long>(rng.interval(static_cast<std::uint32_t>(i)));
    const Index tmp = perm[i];
    perm[i] = perm[j];
    perm[j] = tmp;
  }
}

}  // namespace NNCORE_ISA
}  // namespace nncore
