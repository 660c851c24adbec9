// Minibatches: the columns of a shuffled batch gathered into contiguous rows.
#pragma once

#include "kernel_base.hpp"

namespace nncore {
namespace NNCORE_ISA {
namespace {

// Copies the columns perm[0..mb) of the (rows, m) matrix src into the (rows, mb) matrix dst,
// whose rows are ds >= mb apart (columns mb..ds are set to zero).
template <class T>
void gather_columns(long rows, long m, const T* src, const std::int64_t* perm, long mb, T* dst,
                    long ds) {
  for (long r = 0; r < rows; ++r) {
    const T* s = src + r * m;
    T* d = dst + r * ds;
    for (long j = 0; j < mb; ++j) d[j] = s[perm[j]];
    std::fill(d + mb, d + ds, T(0));
  }
}

// XT (m, rows) = X^T for the (rows, m) X, in 32 x 32 tiles (both sides of a tile stay in cache),
// column blocks of X spread over the pool.
template <class T>
void transpose(long rows, long m, const T* X, T* XT) {
  constexpr long kTile = 32, kBlock = 1024;
  struct Ctx {
    long rows, m;
    const T* X;
    T* XT;
  } ctx{rows, m, X, XT};
  parallel_for(
      (m + kBlock - 1) / kBlock,
      [](void* p, long t) {
        const Ctx& c = *static_cast<const Ctx*>(p);
        const long j_end = std::min(c.m, (t + 1) * kBlock);
        for (long j0 = t * kBlock; j0 < j_end; j0 += kTile) {
          const long j1 = std::min(j_end, j0 + kTile);
          for (long r0 = 0; r0 < c.rows; r0 += kTile) {
            const long r1 = std::min(c.rows, r0 + kTile);
            for (long j = j0; j < j1; ++j) {
              for (long r = r0; r < r1; ++r) c.XT[j * c.rows + r] = c.X[r * c.m + j];
            }
          }
        }
      },
      &ctx);
}

// The columns perm[0..mb) of X as the (rows, mb) matrix dst, read from XT = X^T (m, rows), where
// each example is one contiguous row: mb sequential streams instead of rows * mb random reads.
// The rows of dst are ds >= mb apart (columns mb..ds are set to zero).
template <class T>
void gather_rows_transposed(long rows, const T* XT, const std::int64_t* perm, long mb, T* dst,
                            long ds) {
  constexpr long kGroup = 8;
  long j0 = 0;
  for (; j0 + kGroup <= mb; j0 += kGroup) {
    const T* s[kGroup];
    for (long q = 0; q < kGroup; ++q) s[q] = XT + perm[j0 + q] * rows;
    T* d = dst + j0;
    for (long r = 0; r < rows; ++r, d += ds) {
      for (long q = 0; q < kGroup; ++q) d[q] = s[q][r];
    }
  }
  for (; j0 < mb; ++j0) {
    const T* s = XT + perm[j0] * rows;
    for (long r = 0; r < rows; ++r) dst[r * ds + j0] = s[r];
  }
  for (long r = 0; r < rows; ++r) std::fill(dst + r * ds + mb, dst + r * ds + ds, T(0));
}

}  // namespace
}  // namespace NNCORE_ISA
}  // namespace nncore
