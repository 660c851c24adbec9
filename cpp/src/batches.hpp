// Minibatches: the columns of a shuffled batch gathered into contiguous rows, from X in either
// layout (examples as columns or as rows).
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

// dst = src^T for the (rows, cols) src: dst is (cols, rows) with its rows ld >= rows apart
// (entries rows..ld of each are left alone). In 32 x 32 tiles (both sides of a tile stay in
// cache), blocks of the longer side spread over the pool.
template <class T>
void transpose(long rows, long cols, const T* src, T* dst, long ld) {
  constexpr long kTile = 32, kBlock = 1024;
  struct Ctx {
    long rows, cols, ld;
    const T* src;
    T* dst;
    bool by_cols;  // blocks of columns of src (else of rows)
  } ctx{rows, cols, ld, src, dst, cols >= rows};
  const long along = ctx.by_cols ? cols : rows;
  parallel_for(
      (along + kBlock - 1) / kBlock,
      [](void* p, long t) {
        const Ctx& c = *static_cast<const Ctx*>(p);
        const long c0 = c.by_cols ? t * kBlock : 0;
        const long c1 = c.by_cols ? std::min(c.cols, (t + 1) * kBlock) : c.cols;
        const long r0 = c.by_cols ? 0 : t * kBlock;
        const long r1 = c.by_cols ? c.rows : std::min(c.rows, (t + 1) * kBlock);
        for (long j0 = c0; j0 < c1; j0 += kTile) {
          const long j1 = std::min(c1, j0 + kTile);
          for (long i0 = r0; i0 < r1; i0 += kTile) {
            const long i1 = std::min(r1, i0 + kTile);
            for (long j = j0; j < j1; ++j) {
              for (long i = i0; i < i1; ++i) c.dst[j * c.ld + i] = c.src[i * c.cols + j];
            }
          }
        }
      },
      &ctx);
}

// The columns perm[0..mb) of X as the (rows, mb) matrix dst, read from XT = X^T (m, rows) (X with
// the examples as rows), where each example is one contiguous row: mb sequential streams
// instead of rows * mb random reads.
// The rows of dst are ds >= mb apart (columns mb..ds are set to zero).
template <class T>
void gather_rows_transposed(long rows, const T* XT, const std::int64_t* perm, long mb, T* dst,
                            long ds) {
  // Each task copies kTaskColumns columns: whole 64-byte lines when dst's rows start on lines
  // (the padded layout), so that two cores rarely write one line. A copy: the split cannot
  // change a value.
  constexpr long kGroup = 8, kTaskColumns = 64;
  struct Ctx {
    long rows, mb, ds;
    const T* XT;
    const std::int64_t* perm;
    T* dst;
  } ctx{rows, mb, ds, XT, perm, dst};
  const auto task = [](void* p, long t) {
    const Ctx& c = *static_cast<const Ctx*>(p);
    const long end = std::min(c.mb, (t + 1) * kTaskColumns);
    long j0 = t * kTaskColumns;
    for (; j0 + kGroup <= end; j0 += kGroup) {
      const T* s[kGroup];
      for (long q = 0; q < kGroup; ++q) s[q] = c.XT + c.perm[j0 + q] * c.rows;
      T* d = c.dst + j0;
      for (long r = 0; r < c.rows; ++r, d += c.ds) {
        for (long q = 0; q < kGroup; ++q) d[q] = s[q][r];
      }
    }
    for (; j0 < end; ++j0) {
      const T* s = c.XT + c.perm[j0] * c.rows;
      for (long r = 0; r < c.rows; ++r) c.dst[r * c.ds + j0] = s[r];
    }
  };
  const long n_tasks = (mb + kTaskColumns - 1) / kTaskColumns;
  // Below kSplitCopy elements a copy is done before a sleeping worker would wake.
  constexpr long kSplitCopy = 1L << 15;
  if (n_tasks > 1 && rows * mb >= kSplitCopy) {
    parallel_for(n_tasks, task, &ctx);
  } else {
    for (long t = 0; t < n_tasks; ++t) task(&ctx, t);
  }
  for (long r = 0; r < rows; ++r) std::fill(dst + r * ds + mb, dst + r * ds + ds, T(0));
}

}  // namespace
}  // namespace NNCORE_ISA
}  // namespace nncore
