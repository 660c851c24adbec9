// The linear layer's three products (Z = W A + b, dW = dZ A^T, dA = W^T dZ): row axpys and dots
// for small weight matrices, Eigen's GEMM split into shape-determined blocks on the pool for
// large ones.
#pragma once

#include "reductions.hpp"

namespace nncore {
namespace NNCORE_ISA {
namespace {

// out[r, :] = bias[r] + sum_k C(r, k) in[k, :] for small C (C(r, k) = C[r * c_row + k * c_col]):
// tiles of kTile columns stay in registers for the whole sum over k (in order, from the bias).
template <class T>
void combine_rows(long rows, long depth, long m, const T* C, long c_row, long c_col,
                  const T* bias, const T* in, T* out) {
  constexpr long kTile = 64 / static_cast<long>(sizeof(T));  // 8 doubles or 16 floats
  using Tile = Eigen::Array<T, kTile, 1>;
  for (long r = 0; r < rows; ++r) {
    const T* c = C + r * c_row;
    const T b0 = bias != nullptr ? bias[r] : T(0);
    T* o = out + r * m;
    long j0 = 0;
    for (; j0 + 2 * kTile <= m; j0 += 2 * kTile) {
      Tile acc0 = Tile::Constant(b0), acc1 = Tile::Constant(b0);
      const T* x = in + j0;
      for (long k = 0; k < depth; ++k, x += m) {
        const T ck = c[k * c_col];
        acc0 += ck * Eigen::Map<const Tile>(x);
        acc1 += ck * Eigen::Map<const Tile>(x + kTile);
      }
      Eigen::Map<Tile>(o + j0) = acc0;
      Eigen::Map<Tile>(o + j0 + kTile) = acc1;
    }
    if (j0 + kTile <= m) {
      Tile acc = Tile::Constant(b0);
      const T* x = in + j0;
      for (long k = 0; k < depth; ++k, x += m) acc += c[k * c_col] * Eigen::Map<const Tile>(x);
      Eigen::Map<Tile>(o + j0) = acc;
      j0 += kTile;
    }
    for (long j = j0; j < m; ++j) {
      T a = b0;
      for (long k = 0; k < depth; ++k) a += c[k * c_col] * in[k * m + j];
      o[j] = a;
    }
  }
}

// out[k] = scale * dot(x, Y[k, :]) for k < n: four rows per pass share each load of x, with
// the same lanes and order as dot(), so the results equal n separate dot() calls.
template <class T>
void dots(long n, long m, const T* x, const T* Y, T scale, T* out) {
  long k = 0;
  for (; k + 4 <= n; k += 4) {
    const T* y0 = Y + k * m;
    const T* y1 = y0 + m;
    const T* y2 = y1 + m;
    const T* y3 = y2 + m;
    Lanes<T> a0 = Lanes<T>::Zero(), a1 = a0, a2 = a0, a3 = a0;
    long j = 0;
    for (; j + kLanes <= m; j += kLanes) {
      const Lanes<T> d = Eigen::Map<const Lanes<T>>(x + j);
      a0 += d * Eigen::Map<const Lanes<T>>(y0 + j);
      a1 += d * Eigen::Map<const Lanes<T>>(y1 + j);
      a2 += d * Eigen::Map<const Lanes<T>>(y2 + j);
      a3 += d * Eigen::Map<const Lanes<T>>(y3 + j);
    }
    T t0 = T(0), t1 = T(0), t2 = T(0), t3 = T(0);
    for (; j < m; ++j) {
      t0 += x[j] * y0[j];
      t1 += x[j] * y1[j];
      t2 += x[j] * y2[j];
      t3 += x[j] * y3[j];
    }
    out[k] = scale * (combine(a0) + t0);
    out[k + 1] = scale * (combine(a1) + t1);
    out[k + 2] = scale * (combine(a2) + t2);
    out[k + 3] = scale * (combine(a3) + t3);
  }
  for (; k < n; ++k) out[k] = scale * dot(m, x, Y + k * m);
}

// Large products run as independent blocks of their output, on the thread pool. A product with
// output (R, C) and depth K is split along the longer of R and C (the operand that every block
// reads whole is then the smaller one), into blocks whose bounds depend on the shape only: every
// element of the result is computed by the same Eigen call, with the same blocking and the same
// order of its K terms, whatever the number of threads. Smaller products are one call.
// Threshold: below about 2 M multiply-adds waking a thread costs more than it gains.
constexpr long kSplitWork = 1L << 21;

// Block length for splitting a dimension of n: about n / 4 rounded up to a multiple of 16, so up
// to 4 blocks (the default thread count is at most 4). Each block packs the shared operand again,
// so more blocks cost more on one thread (W4's Z1 = W1 X repacks W1 once per block).
inline long split_block(long n) { return std::max<long>(32, (n + 4 * 16 - 1) / (4 * 16) * 16); }

// Calls block(along_rows, start, len) for the blocks of an (R, C) output of depth K.
template <class Block>
void split_product(long R, long C, long K, const Block& block) {
  if (R * C * K < kSplitWork) {
    block(true, 0, R);
    return;
  }
  struct Ctx {
    const Block* block;
    bool rows;
    long n, len;
  } ctx{&block, R >= C, R >= C ? R : C, split_block(R >= C ? R : C)};
  const long n_tasks = (ctx.n + ctx.len - 1) / ctx.len;
  parallel_for(
      n_tasks,
      [](void* p, long t) {
        const Ctx& c = *static_cast<const Ctx*>(p);
        const long start = t * c.len;
        (*c.block)(c.rows, start, std::min(c.len, c.n - start));
      },
      &ctx);
}

template <class T>
using StridedMap = Eigen::Map<RowMat<T>, 0, Eigen::OuterStride<>>;
template <class T>
using ConstStridedMap = Eigen::Map<const RowMat<T>, 0, Eigen::OuterStride<>>;

// Each block of a split product finishes its own part of the output (L2 term, the epilogues
// below) while it is in that core's cache: element by element, so the result is the same as
// one pass after the product.

// An epilogue finish(r0, nr, c0, nc) is called on each finished rectangle of a product's output,
// rows r0 .. r0 + nr and columns c0 .. c0 + nc, on the core that computed it and while it is in
// that core's cache. The rectangles tile the output exactly once.
struct NoFinish {
  void operator()(long, long, long, long) const {}
};

// Calls span(e0, len) for the runs of contiguous elements of the rectangle (r0, nr, c0, nc) of
// a row-major array with m columns: one run when the rectangle has whole rows.
template <class Span>
void for_each_run(long m, long r0, long nr, long c0, long nc, const Span& span) {
  if (nc == m) {
    span(r0 * m, nr * m);
    return;
  }
  for (long r = r0; r < r0 + nr; ++r) span(r * m + c0, nc);
}

// Z = W A + b: W (n_out, n_in), A (n_in, m), b (n_out); then finish() on Z's blocks.
template <class T, class Finish = NoFinish>
void linear_forward(long n_out, long n_in, long m, const T* W, const T* b, const T* A, T* Z,
                    const Finish& finish = {}) {
  if (use_gemm(n_out, n_in)) {
    const ConstVecMap<T> bias(b, n_out);
    split_product(n_out, m, n_in, [&](bool rows, long s, long len) {
      // Z starts as the bias and the product accumulates onto it: no pass to zero Z first
      // and none to add b after.
      if (rows) {
        MatMap<T> z(Z + s * m, len, m);
        z.colwise() = bias.segment(s, len).matrix();
        z.noalias() += ConstMatMap<T>(W + s * n_in, len, n_in) * ConstMatMap<T>(A, n_in, m);
        finish(s, len, 0, m);
      } else {
        StridedMap<T> z(Z + s, n_out, len, Eigen::OuterStride<>(m));
        z.colwise() = bias.matrix();
        z.noalias() += ConstMatMap<T>(W, n_out, n_in) *
                       ConstStridedMap<T>(A + s, n_in, len, Eigen::OuterStride<>(m));
        finish(0, n_out, s, len);
      }
    });
    return;
  }
  combine_rows(n_out, n_in, m, W, n_in, 1, b, A, Z);
  finish(0, n_out, 0, m);
}

// dW = scale * dZ A^T + l2 * W, db = scale * rowsum(dZ).
template <class T>
void linear_backward_params(long n_out, long n_in, long m, const T* dZ, const T* A, const T* W,
                            T scale, T l2, T* dW, T* db) {
  if (use_gemm(n_out, n_in)) {
    // scale rides in the product (GEMM's alpha, applied as each result is stored): no pass of
    // its own over dW.
    split_product(n_out, n_in, m, [&](bool rows, long s, long len) {
      if (rows) {
        MatMap<T> dw(dW + s * n_in, len, n_in);
        dw.noalias() =
            (scale * ConstMatMap<T>(dZ + s * m, len, m)) * ConstMatMap<T>(A, n_in, m).transpose();
        if (l2 != T(0)) dw.array() += l2 * ConstMatMap<T>(W + s * n_in, len, n_in).array();
      } else {
        StridedMap<T> dw(dW + s, n_out, len, Eigen::OuterStride<>(n_in));
        dw.noalias() =
            (scale * ConstMatMap<T>(dZ, n_out, m)) * ConstMatMap<T>(A + s * m, len, m).transpose();
        const ConstStridedMap<T> w(W + s, n_out, len, Eigen::OuterStride<>(n_in));
        if (l2 != T(0)) dw.array() += l2 * w.array();
      }
    });
  } else {
    for (long i = 0; i < n_out; ++i) dots(n_in, m, dZ + i * m, A, scale, dW + i * n_in);
    if (l2 != T(0)) {
      for (long e = 0; e < n_out * n_in; ++e) dW[e] += l2 * W[e];
    }
  }
  for (long i = 0; i < n_out; ++i) db[i] = scale * sum(m, dZ + i * m);
}

// dA = W^T dZ: W (n_out, n_in), dZ (n_out, m), dA (n_in, m); then finish() on dA's blocks.
template <class T, class Finish = NoFinish>
void linear_backward_input(long n_out, long n_in, long m, const T* W, const T* dZ, T* dA,
                           const Finish& finish = {}) {
  if (use_gemm(n_out, n_in)) {
    split_product(n_in, m, n_out, [&](bool rows, long s, long len) {
      if (rows) {
        MatMap<T>(dA + s * m, len, m).noalias() =
            ConstStridedMap<T>(W + s, n_out, len, Eigen::OuterStride<>(n_in)).transpose() *
            ConstMatMap<T>(dZ, n_out, m);
        finish(s, len, 0, m);
      } else {
        StridedMap<T>(dA + s, n_in, len, Eigen::OuterStride<>(m)).noalias() =
            ConstMatMap<T>(W, n_out, n_in).transpose() *
            ConstStridedMap<T>(dZ + s, n_out, len, Eigen::OuterStride<>(m));
        finish(0, n_in, s, len);
      }
    });
    return;
  }
  combine_rows(n_in, n_out, m, W, 1, n_in, static_cast<const T*>(nullptr), dZ, dA);
  finish(0, n_in, 0, m);
}

}  // namespace
}  // namespace NNCORE_ISA
}  // namespace nncore
