// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
// counter-based generator, so each dropout keep decision is a pure function of
// (seed, step, layer, element) and cannot depend on thread count or SIMD target.
#pragma once

#include <algorithm>
#include <cstdint>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

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
// Elements begin .. end - 1 of it, into out[0 .. end - begin).
template <class T>
void dropout_mask_scalar(std::uint64_t seed, std::uint64_t step, std::uint32_t layer, long begin,
                         long end, std::uint64_t thr, T* out) {
  const std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  const std::uint32_t s0 = static_cast<std::uint32_t>(step), s1 = static_cast<std::uint32_t>(step >> 32);
  for (long e = begin / 4 * 4; e < end; e += 4) {
    const Philox4x32 r = philox4x32_10(static_cast<std::uint32_t>(e / 4), layer, s0, s1, k0, k1);
    for (long q = std::max(e, begin); q < std::min(e + 4, end); ++q) {
      out[q - begin] = r.v[q - e] < thr ? T(1) : T(0);
    }
  }
}

#if defined(__AVX2__)
// The same Philox rounds on 8 counters per register (word k of 8 blocks in one __m256i), two
// registers at a time for instruction-level parallelism: _mm256_mul_epu32 gives the 64-bit
// products of the even 32-bit lanes, the odd lanes go through a 32-bit shift. Exact integer
// arithmetic, so the words equal philox4x32_10's bit for bit.
constexpr int kPhiloxRegs = 2;

inline void philox_mulhilo(__m256i a, __m256i mult, __m256i& hi, __m256i& lo) {
  const __m256i even = _mm256_mul_epu32(a, mult);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), mult);
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

// Philox on 8 counters per register for one (seed, step, layer, threshold): pass(e, o) writes
// mask elements e .. e + kPerPass - 1 (e a multiple of 4) to o[0 .. kPerPass).
template <class T>
struct PhiloxAvx2 {
  static constexpr long kPerPass = 32 * kPhiloxRegs;  // 8 blocks of 4 words per register
  __m256i rk0[10], rk1[10], lay, st0, st1, lanes, bias, thr_b, one, m0, m1;
  bool keep_all;

  PhiloxAvx2(std::uint64_t seed, std::uint64_t step, std::uint32_t layer, std::uint64_t thr) {
    m0 = _mm256_set1_epi64x(0xD2511F53);
    m1 = _mm256_set1_epi64x(0xCD9E8D57);
    std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
      rk0[round] = _mm256_set1_epi32(static_cast<int>(k0));
      rk1[round] = _mm256_set1_epi32(static_cast<int>(k1));
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    lay = _mm256_set1_epi32(static_cast<int>(layer));
    st0 = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(step)));
    st1 = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(step >> 32)));
    lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    // word < thr as a signed comparison of both sides shifted by 2^31; thr = 2^32 keeps all.
    keep_all = thr > 0xFFFFFFFFu;
    bias = _mm256_set1_epi32(static_cast<int>(0x80000000u));
    thr_b = _mm256_xor_si256(_mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(thr))),
                             bias);
    one = _mm256_set1_epi32(1);
  }

  void pass(long e, T* out) const {
    __m256i c0[kPhiloxRegs], c1[kPhiloxRegs], c2[kPhiloxRegs], c3[kPhiloxRegs];
    for (int g = 0; g < kPhiloxRegs; ++g) {
      const std::uint32_t block = static_cast<std::uint32_t>(e / 4) + 8u * static_cast<std::uint32_t>(g);
      c0[g] = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(block)), lanes);
      c1[g] = lay;
      c2[g] = st0;
      c3[g] = st1;
    }
    for (int round = 0; round < 10; ++round) {
      for (int g = 0; g < kPhiloxRegs; ++g) {
        __m256i hi0, lo0, hi1, lo1;
        philox_mulhilo(c0[g], m0, hi0, lo0);
        philox_mulhilo(c2[g], m1, hi1, lo1);
        c0[g] = _mm256_xor_si256(_mm256_xor_si256(hi1, c1[g]), rk0[round]);
        c1[g] = lo1;
        c2[g] = _mm256_xor_si256(_mm256_xor_si256(hi0, c3[g]), rk1[round]);
        c3[g] = lo0;
      }
    }
    for (int g = 0; g < kPhiloxRegs; ++g) {
      // Transpose to element order: u[k] holds blocks k (low half) and k + 4 (high half).
      const __m256i t0 = _mm256_unpacklo_epi32(c0[g], c1[g]), t1 = _mm256_unpackhi_epi32(c0[g], c1[g]);
      const __m256i t2 = _mm256_unpacklo_epi32(c2[g], c3[g]), t3 = _mm256_unpackhi_epi32(c2[g], c3[g]);
      const __m256i u[4] = {_mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2),
                            _mm256_unpacklo_epi64(t1, t3), _mm256_unpackhi_epi64(t1, t3)};
      T* o = out + 32 * g;
      for (int k = 0; k < 4; ++k) {
        __m256i keep = one;
        if (!keep_all) {
          keep = _mm256_and_si256(_mm256_cmpgt_epi32(thr_b, _mm256_xor_si256(u[k], bias)), one);
        }
        if constexpr (sizeof(T) == 8) {
          _mm256_storeu_pd(reinterpret_cast<double*>(o + 4 * k),
                           _mm256_cvtepi32_pd(_mm256_castsi256_si128(keep)));
          _mm256_storeu_pd(reinterpret_cast<double*>(o + 4 * k + 16),
                           _mm256_cvtepi32_pd(_mm256_extracti128_si256(keep, 1)));
        } else {
          const __m256 f = _mm256_cvtepi32_ps(keep);
          _mm_storeu_ps(reinterpret_cast<float*>(o + 4 * k), _mm256_castps256_ps128(f));
          _mm_storeu_ps(reinterpret_cast<float*>(o + 4 * k + 16), _mm256_extractf128_ps(f, 1));
        }
      }
    }
  }
};

// Elements [0, total rounded down to a whole pass); returns where the scalar tail starts.
template <class T>
long dropout_mask_avx2(std::uint64_t seed, std::uint64_t step, std::uint32_t layer, long total,
                       std::uint64_t thr, T* out) {
  const PhiloxAvx2<T> philox(seed, step, layer, thr);
  const long end = total / philox.kPerPass * philox.kPerPass;
  for (long e = 0; e < end; e += philox.kPerPass) philox.pass(e, out + e);
  return end;
}
#endif

template <class T>
void dropout_mask(std::uint64_t seed, std::uint64_t step, std::uint32_t layer, long n, long m,
                  double keep_prob, T* out) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8, "float or double masks");
  const std::uint64_t thr = keep_threshold(keep_prob);
  const long total = n * m;
  long begin = 0;
#if defined(__AVX2__)
  begin = dropout_mask_avx2<T>(seed, step, layer, total, thr, out);
#endif
  dropout_mask_scalar<T>(seed, step, layer, begin, total, thr, out + begin);
}

// Elements begin .. end - 1 of dropout_mask's numbering, into out[0 .. end - begin): a part of
// one row, for a block of columns.
template <class T>
void dropout_mask_range(std::uint64_t seed, std::uint64_t step, std::uint32_t layer, long begin,
                        long end, double keep_prob, T* out) {
  const std::uint64_t thr = keep_threshold(keep_prob);
#if defined(__AVX2__)
  const PhiloxAvx2<T> philox(seed, step, layer, thr);
  for (long e = begin / 4 * 4; e < end; e += philox.kPerPass) {
    if (e >= begin && e + philox.kPerPass <= end) {
      philox.pass(e, out + (e - begin));
    } else {  // a partial pass: through a buffer
      T words[PhiloxAvx2<T>::kPerPass];
      philox.pass(e, words);
      for (long q = std::max(e, begin); q < std::min(e + philox.kPerPass, end); ++q) {
        out[q - begin] = words[q - e];
      }
    }
  }
#else
  dropout_mask_scalar<T>(seed, step, layer, begin, end, thr, out);
#endif
}

}  // namespace NNCORE_ISA
}  // namespace nncore
