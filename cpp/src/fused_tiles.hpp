// The fused step's register tiles: a layer's product with its epilogue (bias, activation,
// dropout; or the backward's dropout, activation derivative and db) in one pass over tiles of
// columns, the weight gradients in register blocks, and two special cases of the course's
// shapes (a two-input ReLU layer; a one-unit layer above ReLU units).
#pragma once

#include "activations.hpp"
#include "reductions.hpp"

namespace nncore {
namespace NNCORE_ISA {
namespace {

// epi(j, bias + sum_k C(r, k) in[k, j..j+NP packets)) for one tile of NP packets of row r; the
// terms are added in order of k, starting from the bias.
template <class T, int NP, class Epi>
inline void combine_tile(long depth, const T* c, long c_col, T b0, const T* in, long s, long j,
                         Epi& epi) {
  using P = Packet<T>;
  constexpr long W = kWidth<T>;
  P acc[NP];
  for (int q = 0; q < NP; ++q) acc[q] = ei::pset1<P>(b0);
  const T* x = in + j;
  for (long k = 0; k < depth; ++k, x += s) {
    const P w = ei::pset1<P>(c[k * c_col]);
    for (int q = 0; q < NP; ++q) acc[q] = ei::pmadd(w, ei::ploadu<P>(x + q * W), acc[q]);
  }
  for (int q = 0; q < NP; ++q) epi(j + q * W, acc[q]);
}

// For each of `rows` rows r: epi.row(r), the tiles of columns j0..j1 of that row (whole
// packets; rows are s apart), epi.end_row(r). C(r, k) = C[r * c_row + k * c_col]; bias may be
// nullptr.
template <class T, class Epi>
void combine_fused(long rows, long depth, long j0, long j1, long s, const T* C, long c_row,
                   long c_col, const T* bias, const T* in, Epi& epi) {
  constexpr long W = kWidth<T>;
  for (long r = 0; r < rows; ++r) {
    epi.row(r);
    const T* c = C + r * c_row;
    const T b0 = bias != nullptr ? bias[r] : T(0);
    long j = j0;
    for (; j + 8 * W <= j1; j += 8 * W) combine_tile<T, 8>(depth, c, c_col, b0, in, s, j, epi);
    if (j + 4 * W <= j1) {
      combine_tile<T, 4>(depth, c, c_col, b0, in, s, j, epi);
      j += 4 * W;
    }
    if (j + 2 * W <= j1) {
      combine_tile<T, 2>(depth, c, c_col, b0, in, s, j, epi);
      j += 2 * W;
    }
    if (j < j1) combine_tile<T, 1>(depth, c, c_col, b0, in, s, j, epi);
    epi.end_row(r);
  }
}

// Forward epilogues. `out` rows have stride s; dropout masks D are (n, m) contiguous (row
// stride m, read past m into the next row, or into kRowAlign zeros of slack after the last row,
// for the padding columns).
template <class T>
struct StoreRows {
  T* out;
  long s;
  T* o = nullptr;
  void row(long r) { o = out + r * s; }
  void operator()(long j, const Packet<T>& v) { ei::pstoreu(o + j, v); }
  void end_row(long) {}
};

// A hidden layer with a packet form of its activation (Unit::kPacketForward), and dropout.
template <class T, class Unit>
struct PacketForward {
  T* A;
  const T* D;  // nullptr without dropout
  T* Adrop;
  long s, m;
  Packet<T> kp;
  T *a = nullptr, *ad = nullptr;
  const T* d = nullptr;
  void row(long r) {
    a = A + r * s;
    if (D != nullptr) {
      ad = Adrop + r * s;
      d = D + r * m;
    }
  }
  void operator()(long j, const Packet<T>& z) {
    const Packet<T> v = Unit::forward(z);
    ei::pstoreu(a + j, v);
    if (D != nullptr) ei::pstoreu(ad + j, ei::pdiv(ei::pmul(v, ei::ploadu<Packet<T>>(d + j)), kp));
  }
  void end_row(long) {}
};

// A ReLU layer of two inputs without dropout (the course's first layers), NP packets of columns
// at a time: the inputs loaded once for all the rows (combine_fused loads them again for every
// row). The same terms in the same order as combine_fused (bitwise the same).
template <class T, int NP>
inline void relu_depth2_tile(long n_out, const T* W, const T* b, const T* in, long is, T* A,
                             long s, long j) {
  using P = Packet<T>;
  constexpr long Wd = kWidth<T>;
  P x0[NP], x1[NP];
  for (int q = 0; q < NP; ++q) {
    x0[q] = ei::ploadu<P>(in + j + q * Wd);
    x1[q] = ei::ploadu<P>(in + is + j + q * Wd);
  }
  for (long r = 0; r < n_out; ++r) {
    const P w0 = ei::pset1<P>(W[2 * r]), w1 = ei::pset1<P>(W[2 * r + 1]);
    const P b0 = ei::pset1<P>(b[r]);
    for (int q = 0; q < NP; ++q) {
      const P z = ei::pmadd(w1, x1[q], ei::pmadd(w0, x0[q], b0));
      ei::pstoreu(A + r * s + j + q * Wd, Relu<T>::forward(z));
    }
  }
}

template <class T>
void relu_depth2(long n_out, const T* W, const T* b, const T* in, long is, T* A, long s,
                 long cols) {
  constexpr long Wd = kWidth<T>;
  long j = 0;
  for (; j + 4 * Wd <= cols; j += 4 * Wd) relu_depth2_tile<T, 4>(n_out, W, b, in, is, A, s, j);
  for (; j < cols; j += Wd) relu_depth2_tile<T, 1>(n_out, W, b, in, is, A, s, j);
}

// Backward epilogue of hidden layer l: dA (the product) -> dA * D / keep_prob -> dZ = dA * g'(.)
// from A (Unit::backward); db = the row sums of dZ (unscaled, over these columns).
template <class T, class Unit>
struct HiddenBackward {
  const T* A;
  const T* D;
  long s, m;
  Packet<T> kp;
  T* dZ;
  T* db;
  const T *a = nullptr, *d = nullptr;
  T* dz = nullptr;
  Packet<T> sum = ei::pset1<Packet<T>>(T(0));
  void row(long r) {
    a = A + r * s;
    dz = dZ + r * s;
    if (D != nullptr) d = D + r * m;
    sum = ei::pset1<Packet<T>>(T(0));
  }
  void operator()(long j, Packet<T> v) {
    using P = Packet<T>;
    if (D != nullptr) v = ei::pdiv(ei::pmul(v, ei::ploadu<P>(d + j)), kp);
    const P av = ei::ploadu<P>(a + j);
    const P g = Unit::backward(v, av);
    ei::pstoreu(dz + j, g);
    sum = ei::padd(sum, g);
  }
  void end_row(long r) { db[r] = hsum<T>(sum); }
};

// out[r * n_in + k] = sum_j dZ[r, j] A[k, j] over the columns j0..j1 (rows of dZ s apart, of A
// sa apart) for an R x K block (R * K accumulators in registers, each input packet loaded once per
// block).
template <class T, int R, int K>
void dw_block(long j0, long j1, long s, const T* dZ, long sa, const T* A, long n_in, T* out) {
  using P = Packet<T>;
  constexpr long Wd = kWidth<T>;
  P acc[R][K];
  for (int r = 0; r < R; ++r) {
    for (int k = 0; k < K; ++k) acc[r][k] = ei::pset1<P>(T(0));
  }
  for (long j = j0; j < j1; j += Wd) {
    P a[K];
    for (int k = 0; k < K; ++k) a[k] = ei::ploadu<P>(A + k * sa + j);
    for (int r = 0; r < R; ++r) {
      const P d = ei::ploadu<P>(dZ + r * s + j);
      for (int k = 0; k < K; ++k) acc[r][k] = ei::pmadd(d, a[k], acc[r][k]);
    }
  }
  T sums[R * K];
  hsums<T, R * K>(&acc[0][0], sums);
  for (int r = 0; r < R; ++r) {
    for (int k = 0; k < K; ++k) out[r * n_in + k] = sums[r * K + k];
  }
}

// The widest dW block of R rows: R x K accumulators, K input packets and one of dZ in the 16
// registers. A single row gets up to 6 chains of additions (with 3 it is bound by their
// latency).
constexpr int dw_max_k(int R) { return R == 1 ? 6 : R == 2 ? 4 : R == 5 ? 2 : 3; }

template <class T>
using DwBlockFn = void (*)(long, long, long, const T*, long, const T*, long, T*);

template <class T, int R, int K>
constexpr DwBlockFn<T> dw_block_or_null() {
  if constexpr (K <= dw_max_k(R)) {
    return dw_block<T, R, K>;
  } else {
    return nullptr;
  }
}

template <class T, int R>
constexpr std::array<DwBlockFn<T>, 6> dw_blocks_of() {
  return {dw_block_or_null<T, R, 1>(), dw_block_or_null<T, R, 2>(), dw_block_or_null<T, R, 3>(),
          dw_block_or_null<T, R, 4>(), dw_block_or_null<T, R, 5>(), dw_block_or_null<T, R, 6>()};
}

// dW = dZ A^T over the columns j0..j1 for dZ (n_out rows s apart) and A (n_in rows sa apart),
// both padded (zero dZ there), unscaled; in blocks of at most 4 rows (dw_max_k columns). Every
// output is one chain of additions over the columns in order, whatever the blocks.
template <class T>
void dw_fused(long n_out, long n_in, long j0, long j1, long s, const T* dZ, long sa, const T* A,
              T* dW) {
  static constexpr std::array<DwBlockFn<T>, 6> kBlocks[5] = {
      dw_blocks_of<T, 1>(), dw_blocks_of<T, 2>(), dw_blocks_of<T, 3>(), dw_blocks_of<T, 4>(),
      dw_blocks_of<T, 5>()};
  // Rows four at a time, or for at most two inputs (a first layer's dW), in chunks of at most
  // five as even as they go (10: 5 + 5 rather than 4 + 4 + 2).
  const long max_rows = n_in <= 2 ? 5 : 4;
  const long chunks = (n_out + max_rows - 1) / max_rows;
  long R = 0;
  for (long r = 0, c = 0; r < n_out; r += R, ++c) {
    R = max_rows == 4 ? std::min<long>(4, n_out - r)
                      : (n_out - r + (chunks - c) - 1) / (chunks - c);
    const long k_max = dw_max_k(static_cast<int>(R));
    for (long k = 0; k < n_in; k += k_max) {
      const long K = std::min<long>(k_max, n_in - k);
      kBlocks[R - 1][K - 1](j0, j1, s, dZ + r * s, sa, A + k * sa, n_in, dW + r * n_in + k);
    }
  }
}

// For a layer of one unit above a ReLU layer of K units without dropout (W1's and W2's output
// layers): its dW (1 x K) = dz A^T, and the backward into the layer below, dZ_below[k] = W[k]
// dz where A[k] > 0 with its row sums db, in one pass that loads dz and A once for both. The
// same operations in the same order as dw_fused and the HiddenBackward pass of combine_fused
// (bitwise the same).
template <class T, int K>
void single_output_backward(long j0, long j1, long s, const T* dz, const T* A, const T* w,
                            T* dW, T* dZ_below, T* db) {
  using P = Packet<T>;
  constexpr long Wd = kWidth<T>;
  const P zero = ei::pset1<P>(T(0));
  P acc[K], sum[K];
  for (int k = 0; k < K; ++k) acc[k] = sum[k] = zero;
  for (long j = j0; j < j1; j += Wd) {
    const P d = ei::ploadu<P>(dz + j);
    for (int k = 0; k < K; ++k) {
      const P a = ei::ploadu<P>(A + k * s + j);
      acc[k] = ei::pmadd(d, a, acc[k]);
      const P g = ei::pand(ei::pmadd(ei::pset1<P>(w[k]), d, zero), ei::pcmp_lt(zero, a));
      ei::pstoreu(dZ_below + k * s + j, g);
      sum[k] = ei::padd(sum[k], g);
    }
  }
  hsums<T, K>(acc, dW);
  hsums<T, K>(sum, db);
}

// The widest layer below single_output_backward takes: 2 K accumulators, dz, A, W[k] and the
// product in the 16 registers.
constexpr long kSingleOutputMax = 5;

template <class T>
void single_output_backward(long n_in, long j0, long j1, long s, const T* dz, const T* A,
                            const T* w, T* dW, T* dZ_below, T* db) {
  using Fn = void (*)(long, long, long, const T*, const T*, const T*, T*, T*, T*);
  static constexpr Fn kFns[kSingleOutputMax] = {
      single_output_backward<T, 1>, single_output_backward<T, 2>, single_output_backward<T, 3>,
      single_output_backward<T, 4>, single_output_backward<T, 5>};
  kFns[n_in - 1](j0, j1, s, dz, A, w, dW, dZ_below, db);
}

}  // namespace
}  // namespace NNCORE_ISA
}  // namespace nncore
