// The kernels of one SIMD target. CMake compiles this file once per target with
// -DNNCORE_ISA=<isa> -DEigen=Eigen_<isa> and that target's -march, so every inline function and
// every Eigen template lands in a namespace of its own (see config.hpp); dispatch.cpp sees only
// the plain tables at the bottom.
//
// Layout: every matrix is row-major (n_rows, m) like a C-contiguous numpy array, one example per
// column, so the element-wise passes run along contiguous rows of length m.
#include <Eigen/Core>
#if defined(__AVX2__)
#include <immintrin.h>
#endif
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "nncore/config.hpp"
#include "nncore/mt19937.hpp"
#include "nncore/philox.hpp"
#include "nncore/threads.hpp"
#include "nncore/types.hpp"

namespace nncore {
namespace NNCORE_ISA {
namespace {

// std::vector's member functions are weak symbols named after the vector's type, merged by the
// linker across translation units: without this allocator, every target's vectors would share
// one copy, compiled for whichever target the linker met first (x86-64-v4 code on an AVX2 CPU
// is a SIGILL). The allocator's type carries this target's namespace into those names.
// CMake checks after each build that the targets share no weak symbol.
template <class T>
struct Allocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = Allocator<U>;
  };
  Allocator() = default;
  template <class U>
  Allocator(const Allocator<U>&) noexcept {}
};
template <class T>
using Vec = std::vector<T, Allocator<T>>;

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MatMap = Eigen::Map<RowMat<T>>;
template <class T>
using ConstMatMap = Eigen::Map<const RowMat<T>>;
template <class T>
using VecMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstVecMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// Products with few weights run as row axpys and dots over the m examples, which stay in cache
// and skip the packing of a general matrix product; larger ones go to Eigen's blocked GEMM.
inline bool use_gemm(long n_out, long n_in) { return n_out * n_in > 1024; }

// Reproducibility: results must not depend on where an array sits in memory. Eigen peels the
// unaligned head of a mapped vector and handles it with scalar code, so (a) reductions run here
// on eight fixed lanes, and (b) exp, log and tanh are applied to aligned fixed-size chunks,
// where every element takes the same SIMD path whatever its address or position.
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

constexpr int kChunk = 16;
template <class T>
using Chunk = Eigen::Array<T, kChunk, 1>;

// out[i] = op(x[i], y[i]) through aligned chunks of 16 (y may be nullptr).
template <class T, class Op>
void chunked(long n, const T* x, const T* y, T* out, Op op) {
  Chunk<T> cx, cy, r;
  cy.setConstant(T(0.5));
  for (long i = 0; i < n; i += kChunk) {
    const long len = std::min<long>(kChunk, n - i);
    if (len < kChunk) cx.setConstant(T(0.5));
    std::copy(x + i, x + i + len, cx.data());
    if (y != nullptr) std::copy(y + i, y + i + len, cy.data());
    op(cx, cy, r);
    std::copy(r.data(), r.data() + len, out + i);
  }
}

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
// order of its K terms, whatever the number of threads. Smaller products are one call, as before.
// Threshold: below about 2 M multiply-adds (~0.1 ms on one core) waking a thread costs more than
// it gains.
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

// Z = W A + b: W (n_out, n_in), A (n_in, m), b (n_out).
template <class T>
void linear_forward(long n_out, long n_in, long m, const T* W, const T* b, const T* A, T* Z) {
  if (use_gemm(n_out, n_in)) {
    split_product(n_out, m, n_in, [&](bool rows, long s, long len) {
      if (rows) {
        MatMap<T>(Z + s * m, len, m).noalias() =
            ConstMatMap<T>(W + s * n_in, len, n_in) * ConstMatMap<T>(A, n_in, m);
      } else {
        StridedMap<T>(Z + s, n_out, len, Eigen::OuterStride<>(m)).noalias() =
            ConstMatMap<T>(W, n_out, n_in) *
            ConstStridedMap<T>(A + s, n_in, len, Eigen::OuterStride<>(m));
      }
    });
    for (long i = 0; i < n_out; ++i) VecMap<T>(Z + i * m, m) += b[i];
    return;
  }
  combine_rows(n_out, n_in, m, W, n_in, 1, b, A, Z);
}

// dW = scale * dZ A^T + l2 * W, db = scale * rowsum(dZ).
template <class T>
void linear_backward_params(long n_out, long n_in, long m, const T* dZ, const T* A, const T* W,
                            T scale, T l2, T* dW, T* db) {
  if (use_gemm(n_out, n_in)) {
    split_product(n_out, n_in, m, [&](bool rows, long s, long len) {
      if (rows) {
        MatMap<T>(dW + s * n_in, len, n_in).noalias() =
            ConstMatMap<T>(dZ + s * m, len, m) * ConstMatMap<T>(A, n_in, m).transpose();
      } else {
        StridedMap<T>(dW + s, n_out, len, Eigen::OuterStride<>(n_in)).noalias() =
            ConstMatMap<T>(dZ, n_out, m) * ConstMatMap<T>(A + s * m, len, m).transpose();
      }
    });
    VecMap<T>(dW, n_out * n_in) *= scale;
  } else {
    for (long i = 0; i < n_out; ++i) dots(n_in, m, dZ + i * m, A, scale, dW + i * n_in);
  }
  if (l2 != T(0)) {
    for (long e = 0; e < n_out * n_in; ++e) dW[e] += l2 * W[e];
  }
  for (long i = 0; i < n_out; ++i) db[i] = scale * sum(m, dZ + i * m);
}

// dA = W^T dZ: W (n_out, n_in), dZ (n_out, m), dA (n_in, m).
template <class T>
void linear_backward_input(long n_out, long n_in, long m, const T* W, const T* dZ, T* dA) {
  if (use_gemm(n_out, n_in)) {
    split_product(n_in, m, n_out, [&](bool rows, long s, long len) {
      if (rows) {
        MatMap<T>(dA + s * m, len, m).noalias() =
            ConstStridedMap<T>(W + s, n_out, len, Eigen::OuterStride<>(n_in)).transpose() *
            ConstMatMap<T>(dZ, n_out, m);
      } else {
        StridedMap<T>(dA + s, n_in, len, Eigen::OuterStride<>(m)).noalias() =
            ConstMatMap<T>(W, n_out, n_in).transpose() *
            ConstStridedMap<T>(dZ + s, n_out, len, Eigen::OuterStride<>(m));
      }
    });
    return;
  }
  combine_rows(n_in, n_out, m, W, 1, n_in, static_cast<const T*>(nullptr), dZ, dA);
}

template <class T>
void hidden_activation(int hidden, long size, const T* Z, T* A) {
  if (hidden == kRelu) {
    for (long e = 0; e < size; ++e) A[e] = Z[e] > T(0) ? Z[e] : T(0);
  } else {
    chunked<T>(size, Z, nullptr, A, [](const Chunk<T>& z, const Chunk<T>&, Chunk<T>& r) {
      r = z.tanh();
    });
  }
}

// Sigmoid as the course writes it, 1 / (1 + exp(-z)), exactly 0 where exp(-z) overflows.
template <class T>
void sigmoid(long size, const T* Z, T* A) {
  chunked<T>(size, Z, nullptr, A, [](const Chunk<T>& z, const Chunk<T>&, Chunk<T>& r) {
    // (select() would make Eigen 3.4 evaluate the whole expression with scalar exp.)
    r = T(1) / (T(1) + (-z).exp());
    const T overflow = -std::log(std::numeric_limits<T>::max());
    for (int q = 0; q < kChunk; ++q) {
      if (z[q] < overflow) r[q] = T(0);
    }
  });
}

// Softmax over each column of the (n, m) row-major Z.
template <class T>
void softmax(long n, long m, const T* Z, T* A, T* col) {
  VecMap<T> c(col, m);
  c = ConstVecMap<T>(Z, m);
  for (long i = 1; i < n; ++i) c = c.max(ConstVecMap<T>(Z + i * m, m));
  for (long i = 0; i < n; ++i) {
    VecMap<T>(A + i * m, m) = ConstVecMap<T>(Z + i * m, m) - c;
    chunked<T>(m, A + i * m, nullptr, A + i * m,
               [](const Chunk<T>& d, const Chunk<T>&, Chunk<T>& r) { r = d.exp(); });
  }
  c = ConstVecMap<T>(A, m);
  for (long i = 1; i < n; ++i) c += ConstVecMap<T>(A + i * m, m);
  c = T(1) / c;
  for (long i = 0; i < n; ++i) VecMap<T>(A + i * m, m) *= c;
}

template <class T>
void output_activation(int output, long n, long m, const T* Z, T* A, T* col) {
  if (output == kSigmoid) {
    sigmoid(n * m, Z, A);
  } else if (output == kSoftmax) {
    softmax(n, m, Z, A, col);
  } else {
    std::copy(Z, Z + n * m, A);
  }
}

// Mean cost over the m columns; `terms` is scratch of n * m elements.
template <class T>
double cost_with(int output, long n, long m, const T* A, const T* Y, T* terms) {
  const long size = n * m;
  if (output == kSigmoid) {
    // -log(a) y - log(1 - a) (1 - y) as the course writes it; 0 * log 0 is NaN and skipped
    // like np.nansum skips it.
    chunked<T>(size, A, Y, terms, [](const Chunk<T>& a, const Chunk<T>& y, Chunk<T>& r) {
      r = (-(a.log())) * y + (-((T(1) - a).log())) * (T(1) - y);
    });
  } else if (output == kSoftmax) {
    chunked<T>(size, A, Y, terms, [](const Chunk<T>& a, const Chunk<T>& y, Chunk<T>& r) {
      r = (-(a.log())) * y;
    });
  } else {
    for (long e = 0; e < size; ++e) terms[e] = T(0.5) * (A[e] - Y[e]) * (A[e] - Y[e]);
  }
  return static_cast<double>(nansum(size, terms)) / static_cast<double>(m);
}

template <class T>
double cost(int output, long n, long m, const T* A, const T* Y) {
  Vec<T> terms(static_cast<std::size_t>(n * m));
  return cost_with(output, n, m, A, Y, terms.data());
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
  if (output == kSigmoid) {
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
  } else if (output == kSoftmax) {
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
  } else {
    for (long e = 0; e < size; ++e) terms[e] = T(0.5) * (Z[e] - Y[e]) * (Z[e] - Y[e]);
  }
  return static_cast<double>(sum(size, terms)) / static_cast<double>(m);
}

template <class T>
double cost_from_logits(int output, long n, long m, const T* Z, const T* Y) {
  Vec<T> terms(static_cast<std::size_t>(n * m)), col(static_cast<std::size_t>(m)),
      lse(static_cast<std::size_t>(m));
  return cost_from_logits_with(output, n, m, Z, Y, terms.data(), col.data(), lse.data());
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

template <class T>
void dropout(std::uint64_t seed, std::uint64_t step, std::uint32_t layer, long n, long m,
             double keep_prob, T* out) {
  dropout_mask<T>(seed, step, layer, n, m, keep_prob, out);
}

// Layer l (0-based) has n_out = dims[l + 1] units and n_in = dims[l] inputs.
// Forward pass over m examples; Aprev[l] is the input of layer l (X or the dropped activation).
template <class T>
void forward_pass(const Shape& net, long m, const T* X, const T* const* W, const T* const* b,
                  double keep_prob, int mask_mode, std::uint64_t seed, std::uint64_t step,
                  T* const* Z, T* const* A, T* const* D, T* const* Adrop, T* col) {
  const T* in = X;
  const T kp = static_cast<T>(keep_prob);
  for (int l = 0; l < net.L; ++l) {
    const long n_out = net.dims[l + 1], n_in = net.dims[l];
    linear_forward(n_out, n_in, m, W[l], b[l], in, Z[l]);
    if (l == net.L - 1) {
      output_activation(net.output, n_out, m, Z[l], A[l], col);
      break;
    }
    hidden_activation(net.hidden, n_out * m, Z[l], A[l]);
    in = A[l];
    if (mask_mode != kNoDropout) {
      if (mask_mode == kGenerateMasks) {
        dropout_mask<T>(seed, step, static_cast<std::uint32_t>(l + 1), n_out, m, keep_prob, D[l]);
      }
      const long size = n_out * m;
      VecMap<T>(Adrop[l], size) =
          ConstVecMap<T>(A[l], size) * ConstVecMap<T>(D[l], size) / kp;
      in = Adrop[l];
    }
  }
}

// Backward pass in the course's order: dZL = AL - Y, dWl = (1/m) dZl Aprev^T + (lambd/m) Wl,
// dbl = (1/m) rowsum(dZl), dA = W^T dZ (times D / keep_prob), dZ = dA * g'(Z).
// dZ and dA are two scratch buffers of at least max(n_l) * m elements.
template <class T>
void backward_pass(const Shape& net, long m, const T* Y, const T* const* W, const T* const* Aprev,
                   const T* const* Z, const T* const* A, const T* const* D, double lambd,
                   double keep_prob, T* const* dW, T* const* db, T* dZ, T* dA) {
  const int L = net.L;
  const T scale = static_cast<T>(1.0 / static_cast<double>(m));
  const T l2 = static_cast<T>(lambd / static_cast<double>(m));
  const T kp = static_cast<T>(keep_prob);
  {
    const long size = net.dims[L] * m;
    VecMap<T>(dZ, size) = ConstVecMap<T>(A[L - 1], size) - ConstVecMap<T>(Y, size);
  }
  for (int l = L - 1; l >= 0; --l) {
    const long n_out = net.dims[l + 1], n_in = net.dims[l];
    linear_backward_params(n_out, n_in, m, dZ, Aprev[l], W[l], scale, l2, dW[l], db[l]);
    if (l == 0) break;
    linear_backward_input(n_out, n_in, m, W[l], dZ, dA);
    const long size = n_in * m;
    VecMap<T> da(dA, size);
    if (D != nullptr) da = da * ConstVecMap<T>(D[l - 1], size) / kp;
    if (net.hidden == kRelu) {
      const T* z = Z[l - 1];  // (a loop: Eigen 3.4's select() does not vectorize)
      for (long e = 0; e < size; ++e) dZ[e] = z[e] > T(0) ? dA[e] : T(0);
    } else {
      VecMap<T>(dZ, size) = da * (T(1) - ConstVecMap<T>(A[l - 1], size).square());
    }
  }
}

// Widest layer after the input: the backward scratch holds dZ and dA of layers 1..L only
// (no gradient flows into the input layer, which may be very wide).
long max_units(const Shape& net) {
  long n = 0;
  for (int l = 1; l <= net.L; ++l) n = std::max(n, net.dims[l]);
  return n;
}

template <class T>
void forward(const ForwardArgs<T>& a) {
  Vec<T> col(static_cast<std::size_t>(a.m));
  forward_pass(a.net, a.m, a.X, a.W, a.b, a.keep_prob, a.mask_mode, a.seed, a.step, a.Z, a.A,
               a.D, a.Adrop, col.data());
}

template <class T>
void backward(const BackwardArgs<T>& a) {
  const std::size_t size = static_cast<std::size_t>(max_units(a.net) * a.m);
  Vec<T> dZ(size), dA(size);
  backward_pass(a.net, a.m, a.Y, a.W, a.Aprev, a.Z, a.A, a.D, a.lambd, a.keep_prob, a.dW, a.db,
                dZ.data(), dA.data());
}

// One fused pass of the optimizer over n elements.
template <class T>
void update_block(int optimizer, long n, T* p, const T* g, T* v, T* s, T* vc, T* sc, T lr, T beta,
                  T beta1, T beta2, T eps, T bc1, T bc2) {
  if (optimizer == kGD) {
    for (long i = 0; i < n; ++i) p[i] -= lr * g[i];
  } else if (optimizer == kMomentum) {
    const T one_minus = T(1) - beta;
    for (long i = 0; i < n; ++i) {
      v[i] = beta * v[i] + one_minus * g[i];
      p[i] -= lr * v[i];
    }
  } else {
    const T c1 = T(1) - beta1, c2 = T(1) - beta2;
    for (long i = 0; i < n; ++i) {
      const T vi = beta1 * v[i] + c1 * g[i];
      const T si = beta2 * s[i] + c2 * (g[i] * g[i]);
      v[i] = vi;
      s[i] = si;
      const T vhat = vi / bc1, shat = si / bc2;
      if (vc != nullptr) {
        vc[i] = vhat;
        sc[i] = shat;
      }
      p[i] -= lr * vhat / (std::sqrt(shat) + eps);
    }
  }
}

template <class T>
void update(const UpdateArgs<T>& a) {
  const double bc1 = 1.0 - std::pow(a.beta1, static_cast<double>(a.t));
  const double bc2 = 1.0 - std::pow(a.beta2, static_cast<double>(a.t));
  for (long k = 0; k < a.n_arrays; ++k) {
    update_block<T>(a.optimizer, a.sizes[k], a.P[k], a.G[k], a.V ? a.V[k] : nullptr,
                    a.S ? a.S[k] : nullptr, a.Vc ? a.Vc[k] : nullptr, a.Sc ? a.Sc[k] : nullptr,
                    static_cast<T>(a.learning_rate), static_cast<T>(a.beta),
                    static_cast<T>(a.beta1), static_cast<T>(a.beta2), static_cast<T>(a.epsilon),
                    static_cast<T>(bc1), static_cast<T>(bc2));
  }
}

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

// ---------------------------------------------------------------------------------------------
// The training step of a small network (every product below the GEMM threshold, sigmoid or
// identity output), fused: each layer's product, bias and activation in one pass that keeps a
// tile of columns in registers; the output layer's sigmoid, dZ, cost and db in one pass with a
// single exp; the backward product, dropout and activation derivative in one pass, with db. The
// multiply-adds are explicit FMAs where the target has them (Eigen's pmadd). Rows are padded to
// a whole number of SIMD packets (columns m..s of X and Y are zero, and dZ is masked to zero
// there), so every example takes the same SIMD path, whatever m and whatever the alignment of
// the caller's arrays. Hidden layers keep no Z: ReLU's derivative reads A > 0 (the same test as
// Z > 0, NaN included), tanh's reads A.
namespace ei = Eigen::internal;
template <class T>
using Packet = typename ei::packet_traits<T>::type;
template <class T>
constexpr long kWidth = ei::unpacket_traits<Packet<T>>::size;

// m rounded up to whole packets and whole 64-byte cache lines: the row stride of the padded
// layout. With rows starting on cache lines, two threads working on different columns never
// write the same line (a shared line bouncing between cores made a split step 3x slower).
template <class T>
constexpr long kRowAlign = std::max<long>(kWidth<T>, 64 / static_cast<long>(sizeof(T)));
template <class T>
long padded(long m) {
  return (m + kRowAlign<T> - 1) / kRowAlign<T> * kRowAlign<T>;
}

// A zeroed buffer on pages of its own: data() starts on a 4096-byte boundary and nothing else
// shares its last page. The hardware prefetchers stay within a page, so a core running along one
// block's buffers never pulls in the lines of another block's, which another core is writing.
// Movable (the heap block moves with the
// vector, so data() stays valid), not copyable (a copy's data() would point into the source).
template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&&) noexcept = default;
  AlignedBuffer& operator=(AlignedBuffer&&) noexcept = default;
  void assign(std::size_t n) {
    constexpr std::size_t kPage = 4096 / sizeof(T);
    buf_.assign((n + kPage - 1) / kPage * kPage + kPage, T(0));
    const auto addr = reinterpret_cast<std::uintptr_t>(buf_.data());
    data_ = buf_.data() + ((4096 - addr % 4096) % 4096) / sizeof(T);
  }
  T* data() { return data_; }
  const T* data() const { return data_; }

 private:
  Vec<T> buf_;
  T* data_ = nullptr;
};

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
// and a permutation for four sums, where hsum goes through memory for each). With the wider
// dW blocks below, W1's three dW products went from 0.98 to 0.78 us a block (minimum of 10 runs
// of a C++ harness, rdtsc around each pass; 152 columns).
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

bool fused_step_applies(const Shape& net) {
  if (net.output == kSoftmax) return false;
  for (int l = 0; l < net.L; ++l) {
    if (use_gemm(net.dims[l + 1], net.dims[l])) return false;
  }
  return true;
}

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

template <class T>
Packet<T> relu(const Packet<T>& z) {  // z > 0 ? z : 0, NaN to 0 like the unfused kernel
  return ei::pand(z, ei::pcmp_lt(ei::pset1<Packet<T>>(T(0)), z));
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

template <class T>
struct ReluForward {
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
    const Packet<T> v = relu<T>(z);
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
      ei::pstoreu(A + r * s + j + q * Wd, relu<T>(z));
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
// from A (ReLU: A > 0; tanh: 1 - A^2); db = the row sums of dZ (unscaled, over these columns).
template <class T>
struct HiddenBackward {
  int hidden;
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
    const P g = hidden == kRelu ? ei::pand(v, ei::pcmp_lt(ei::pset1<P>(T(0)), av))
                                : ei::pmul(v, ei::psub(ei::pset1<P>(T(1)), ei::pmul(av, av)));
    ei::pstoreu(dz + j, g);
    sum = ei::padd(sum, g);
  }
  void end_row(long r) { db[r] = hsum<T>(sum); }
};

// out[r * n_in + k] = sum_j dZ[r, j] A[k, j] over the columns j0..j1 (rows of dZ s apart, of A
// sa apart) for an R x K block (R * K accumulators in registers, each input packet loaded once per
// block). (Two sets of accumulators for the small blocks, to hide the FMA latency, and blocks
// balanced as 3 + 2 rows instead of 4 + 1 were tried: no measurable change on W1.)
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
// registers. A single row gets up to 6 chains of additions, where 3 left it bound by their
// latency (W1's dW3, 1 x 5, was two blocks of 1 x 3 and 1 x 2).
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
  // five as even as they go (10: 5 + 5, where 4 + 4 + 2 made 0.26 us of W1's block 0.23; five
  // rows by two inputs against four by three for dW2 of W1: 0.48 us against 0.44).
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

// The sigmoid output's exp(-|z|). Eigen's pexp serves every target but the one most machines
// run (AVX2 + FMA, float64), where it is dedicated: for arguments <= 0 only, with no special
// cases to handle (Eigen's has a rational approximation and a general ldexp). With the log1p
// that went with it (since replaced by the products below), the output pass of a block of W1
// (152 examples) went from 0.91 to 0.50 us. Accuracy, over 16 million logits in [-750, 750]:
// within 1.0 ulp (Eigen's 1.7); test_sigmoid_output_is_accurate_at_any_logit checks the cost
// and dZ against 40 digits.
template <class T>
Packet<T> exp_neg_abs(const Packet<T>& z) {
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
// float64, and float32 lanes (at most 2^35 each) are combined in float64. Against one log1p
// per packet (nncore's own, 2 ulp, with a division), W1's step on one core went from 5.74 to
// 5.42 us (minimum of 6 alternated runs, C++ harness, 2026-11-26).
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
// The packets' exp and division are interleaved: one packet's chain of them is latency-bound
// (W1's output pass took 2.5 us a step one packet at a time, a third of the step).
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

// A step runs in blocks of columns (examples), cut at cache lines (no two blocks write one):
// - at most kBlockColumns each, so that a block's activations stay in its core's own caches
//   (W1's [2, 10, 5, 1] at m = 1200 in one pass: 41 us/step; in blocks of 512 on one thread:
//   32 us);
// - at least two when the step is worth kSplitMacs multiply-adds of the forward pass (kept
//   since results depend on the blocks: the sums of each block are added in block order).
// The blocks depend on the shape only, never on the thread count.
constexpr long kBlockColumns = 512;
constexpr long kSplitMacs = 8192;

template <class T>
long fused_blocks(const Shape& net, long mb) {
  const long s = padded<T>(mb);
  const long n = (s + kBlockColumns - 1) / kBlockColumns;
  if (n > 1 || s < 2 * kRowAlign<T>) return n;
  long macs = 0;
  for (int l = 0; l < net.L; ++l) macs += net.dims[l + 1] * net.dims[l];
  return macs * s >= kSplitMacs ? 2 : 1;
}

// The first column of block t of n (t = n: the end) on rows of s columns: whole cache lines,
// as even as they go, the first block taking the odd line; of two blocks of at least 8 lines
// and an even count, the first takes one line more (a split that balanced a second core
// starting late; kept because the results depend on where the blocks are cut).
template <class T>
long block_start(long s, long n, long t) {
  const long lines = s / kRowAlign<T>;
  if (n == 2 && t == 1) return ((lines + 1) / 2 + (lines % 2 == 0 && lines >= 8)) * kRowAlign<T>;
  return std::min(s, (lines + n - 1) / n * t * kRowAlign<T>);
}

// One column block's own buffers. Blocks never share a buffer: two cores writing neighbouring
// columns of one row-major buffer slow each other down twice over (W1 at m = 300 in two halves
// on two threads: 7 us a half, against 3.5 with a buffer each), although no cache line is
// written by both (the hardware prefetchers running along the rows, presumably).
template <class T>
struct FusedBlock {
  long s = 0;                      // the row stride: the widest this block gets, in whole lines
  Vec<AlignedBuffer<T>> A, Adrop;  // hidden layers' activations, and after dropout
  Vec<AlignedBuffer<T>> D;         // hidden layers' dropout masks, generated by the block
  AlignedBuffer<T> Z, dZ, dA;      // the output's Z; two backward scratch buffers
  // The unscaled gradient sums (W1, b1, W2, ...), then the cost.
  AlignedBuffer<T> part;
  Vec<const T*> in;                // the input of each layer but the first (A, or A after dropout)
  // This block's copy of the parameters, taken at the start of each step: on another core,
  // one burst of misses instead of one miss at a time in the products.
  AlignedBuffer<T> theta;
  Vec<const T*> W, b;  // into theta
};

// The buffers of the fused step for batches of mbs examples (and a last one of mb_last, if not
// 0): the blocks', and the arguments of the current step.
template <class T>
struct FusedWork {
  // The current step's arguments, read by every block (on other cores too): rewritten only
  // where they change, so that the line stays in every core's cache.
  struct Step {
    const Shape* net;
    long mb, s, n_blocks;
    const T* X;
    const T* Y;
    const T* theta;
    double keep_prob;
    std::uint64_t seed, step;  // the dropout masks' key and counter
  };
  alignas(64) Step step{};
  Vec<FusedBlock<T>> blocks;
  Vec<const T*> parts;  // the blocks' sums of the current step
  Vec<long> offset;   // of W_l in the gradient; b_l follows it
  long n_params = 0;  // blocks[t].part[n_params] is block t's cost
  void allocate(const Shape& net, long mbs, long mb_last, bool dropout_on) {
    const int L = net.L;
    offset.assign(static_cast<std::size_t>(L), 0);
    n_params = 0;
    for (int l = 0; l < L; ++l) {
      offset[l] = n_params;
      n_params += net.dims[l + 1] * net.dims[l] + net.dims[l + 1];
    }
    blocks.resize(static_cast<std::size_t>(fused_blocks<T>(net, mbs)));
    parts.assign(blocks.size(), nullptr);
    for (std::size_t t = 0; t < blocks.size(); ++t) {
      FusedBlock<T>& w = blocks[t];
      w.s = 0;
      for (const long mb : {mbs, mb_last}) {
        const long s = padded<T>(mb), n = fused_blocks<T>(net, mb);
        const long t_ = static_cast<long>(t);
        if (mb > 0 && t_ < n) {
          w.s = std::max(w.s, block_start<T>(s, n, t_ + 1) - block_start<T>(s, n, t_));
        }
      }
      w.A.resize(static_cast<std::size_t>(L));
      w.Adrop.resize(w.A.size());
      w.D.resize(w.A.size());
      w.in.assign(w.A.size(), nullptr);
      for (int l = 0; l + 1 < L; ++l) {
        const std::size_t size = static_cast<std::size_t>(net.dims[l + 1] * w.s);
        w.A[l].assign(size);
        if (dropout_on) {
          w.Adrop[l].assign(size);
          w.D[l].assign(size);
        }
        w.in[l + 1] = dropout_on ? w.Adrop[l].data() : w.A[l].data();
      }
      w.Z.assign(static_cast<std::size_t>(net.dims[L] * w.s));
      w.dZ.assign(static_cast<std::size_t>(max_units(net) * w.s));
      w.dA.assign(static_cast<std::size_t>(max_units(net) * w.s));
      w.part.assign(static_cast<std::size_t>(n_params + 1));
      w.theta.assign(static_cast<std::size_t>(n_params));
      w.W.resize(static_cast<std::size_t>(L));
      w.b.resize(w.W.size());
      for (int l = 0; l < L; ++l) {
        w.W[l] = w.theta.data() + offset[l];
        w.b[l] = w.W[l] + net.dims[l + 1] * net.dims[l];
      }
    }
  }
};

// Columns j0..j1 (whole lines) of a step on the padded batch X, Y (rows xs apart) of mb
// examples, with the n_params parameters theta (W1, b1, W2, ...) and, with dropout, the masks
// of Philox (seed, step) for these columns (the numbering of dropout_mask on (n_l, mb)): the
// unscaled gradient sums of these columns, then the sum of their cost terms, into part (n_params
// + 1 elements).
template <class T>
void fused_block(const Shape& net, long mb, long j0, long j1, long xs, const T* X, const T* Y,
                 const T* theta, double keep_prob, std::uint64_t seed, std::uint64_t step,
                 const Vec<long>& offset, long n_params, FusedBlock<T>& w, T* const part) {
  const int L = net.L;
  std::copy(theta, theta + n_params, w.theta.data());
  const T* const* W = w.W.data();
  const T* const* b = w.b.data();
  const long s = w.s, cols = j1 - j0;
  const bool dropout_on = keep_prob < 1.0;
  const Packet<T> kp = ei::pset1<Packet<T>>(static_cast<T>(keep_prob));
  // The input of layer l and its row stride: the batch's X, then this block's own buffers.
  const auto in = [&](int l) { return l == 0 ? X + j0 : w.in[l]; };
  const auto in_s = [&](int l) { return l == 0 ? xs : s; };
  const auto mask = [&](int l) { return dropout_on ? w.D[l].data() : nullptr; };
  for (int l = 0; dropout_on && l + 1 < L; ++l) {
    for (long r = 0; r < net.dims[l + 1]; ++r) {
      dropout_mask_range<T>(seed, step, static_cast<std::uint32_t>(l + 1), r * mb + j0, r * mb + j1,
                            keep_prob, w.D[l].data() + r * s);
    }
  }
  for (int l = 0; l + 1 < L; ++l) {
    const long n_out = net.dims[l + 1], n_in = net.dims[l];
    T* a = w.A[l].data();
    if (net.hidden == kRelu && n_in == 2 && !dropout_on) {
      relu_depth2(n_out, W[l], b[l], in(l), in_s(l), a, s, cols);
    } else if (net.hidden == kRelu) {
      ReluForward<T> epi{a, mask(l), w.Adrop[l].data(), s, s, kp};
      combine_fused(n_out, n_in, 0, cols, in_s(l), W[l], n_in, 1, b[l], in(l), epi);
    } else {
      StoreRows<T> epi{a, s};
      combine_fused(n_out, n_in, 0, cols, in_s(l), W[l], n_in, 1, b[l], in(l), epi);
      for (long r = 0; r < n_out; ++r) {
        T* row = a + r * s;
        hidden_activation(kTanh, cols, row, row);
        if (dropout_on) {
          VecMap<T>(w.Adrop[l].data() + r * s, cols) = ConstVecMap<T>(row, cols) *
                                                       ConstVecMap<T>(mask(l) + r * s, cols) /
                                                       static_cast<T>(keep_prob);
        }
      }
    }
  }
  {
    StoreRows<T> epi{w.Z.data(), s};
    combine_fused(net.dims[L], net.dims[L - 1], 0, cols, in_s(L - 1), W[L - 1], net.dims[L - 1], 1,
                  b[L - 1], in(L - 1), epi);
  }
  T* dZ = w.dZ.data();
  T* next = w.dA.data();
  const long n_last = net.dims[L] * net.dims[L - 1];
  part[n_params] =  // after the last gradient
      output_fused(net.output, net.dims[L], mb - j0, 0, cols, s, w.Z.data(), xs, Y + j0, dZ,
                   part + offset[L - 1] + n_last);
  for (int l = L - 1; l >= 0; --l) {
    const long n_out = net.dims[l + 1], n_in = net.dims[l];
    T* const db = l == 0 ? nullptr : part + offset[l - 1] + net.dims[l] * net.dims[l - 1];
    if (l > 0 && n_out == 1 && n_in <= kSingleOutputMax && net.hidden == kRelu && !dropout_on) {
      single_output_backward(n_in, 0, cols, s, dZ, w.A[l - 1].data(), W[l], part + offset[l], next,
                             db);
      std::swap(dZ, next);
      continue;
    }
    dw_fused(n_out, n_in, 0, cols, s, dZ, in_s(l), in(l), part + offset[l]);
    if (l == 0) break;
    HiddenBackward<T> epi{net.hidden, w.A[l - 1].data(), mask(l - 1), s, s, kp, next, db};
    combine_fused(n_in, n_out, 0, cols, s, W[l], 1, n_in, static_cast<const T*>(nullptr), dZ, epi);
    std::swap(dZ, next);
  }
}

// The step's gradient from its blocks' sums parts[0..n_blocks), added in block order (the same
// on every thread count): dW = (1/mb) sum + (lambd/mb) W, db
// = (1/mb) sum, into grad. Returns the mean cost (without the L2 term).
template <class T>
double gradient_from_parts(const Shape& net, long mb, const Vec<long>& offset, long n_params,
                           const T* const* parts, long n_blocks, const T* theta, double lambd,
                           T* grad) {
  const T scale = static_cast<T>(1.0 / static_cast<double>(mb));
  const T l2 = static_cast<T>(lambd / static_cast<double>(mb));
  for (long e = 0; e < n_params; ++e) {
    T total = parts[0][e];
    for (long t = 1; t < n_blocks; ++t) total += parts[t][e];
    grad[e] = scale * total;
  }
  for (int l = 0; l2 != T(0) && l < net.L; ++l) {  // the weights, not the biases
    const long n_w = net.dims[l + 1] * net.dims[l];
    for (long e = offset[l]; e < offset[l] + n_w; ++e) grad[e] += l2 * theta[e];
  }
  T cost = parts[0][n_params];
  for (long t = 1; t < n_blocks; ++t) cost += parts[t][n_params];
  return static_cast<double>(cost) / static_cast<double>(mb);
}

// One step on the padded batch X (n_x, s), Y (n_y, s) of mb examples with the parameters theta:
// the gradients into grad (W1, b1, W2, ...: dW = (1/mb) dZ A^T + (lambd/mb) W, db = (1/mb)
// rowsum(dZ)); returns the mean cost (without the L2 term). A big batch is several blocks of
// columns (on the thread pool when there are more than two); their sums are
// added in block order, so the result is the same on any number of threads.
template <class T>
double fused_step(const Shape& net, long mb, const T* X, const T* Y, const T* theta,
                  double keep_prob, std::uint64_t seed, std::uint64_t step, double lambd,
                  FusedWork<T>& w, T* grad) {
  const long s = padded<T>(mb);
  const long n_blocks = fused_blocks<T>(net, mb);
  typename FusedWork<T>::Step& st = w.step;
  const auto set = [](auto& field, auto value) {
    if (field != value) field = value;
  };
  set(st.net, &net);
  set(st.mb, mb);
  set(st.s, s);
  set(st.n_blocks, n_blocks);
  set(st.X, X);
  set(st.Y, Y);
  set(st.theta, theta);
  set(st.keep_prob, keep_prob);
  if (keep_prob < 1.0) {  // (without dropout, the line is left as it is)
    set(st.seed, seed);
    set(st.step, step);
  }
  const auto block = [](void* p, long t) {
    FusedWork<T>& w = *static_cast<FusedWork<T>*>(p);
    const typename FusedWork<T>::Step& c = w.step;
    fused_block<T>(*c.net, c.mb, block_start<T>(c.s, c.n_blocks, t),
                   block_start<T>(c.s, c.n_blocks, t + 1), c.s, c.X, c.Y, c.theta, c.keep_prob,
                   c.seed, c.step, w.offset, w.n_params, w.blocks[t], w.blocks[t].part.data());
  };
  // Two blocks (the small batches of kSplitMacs) run on this thread: a step is a few
  // microseconds, and handing a block to another core every step costs more than it saves once
  // the machine has other work (BENCHMARKS.md, "Threads"). Blocks of kBlockColumns are long
  // enough for the pool.
  if (n_blocks <= 2) {
    for (long t = 0; t < n_blocks; ++t) block(&w, t);
  } else {
    parallel_for(n_blocks, block, &w);
  }
  for (long t = 0; t < n_blocks; ++t) w.parts[t] = w.blocks[t].part.data();
  return gradient_from_parts<T>(net, mb, w.offset, w.n_params, w.parts.data(), n_blocks, theta,
                                lambd, grad);
}

// The training state at an epoch boundary (same-size assign: no allocation after the first).
template <class T>
struct Snapshot {
  Vec<T> theta, v, s;
  std::int64_t t = 0;
  std::uint64_t step = 0;

  void save(std::size_t n, const T* theta_, const T* v_, const T* s_, std::int64_t t_,
            std::uint64_t step_) {
    theta.assign(theta_, theta_ + n);
    if (v_ != nullptr) v.assign(v_, v_ + n);
    if (s_ != nullptr) s.assign(s_, s_ + n);
    t = t_;
    step = step_;
  }
  void restore(std::size_t n, T* theta_, T* v_, T* s_, std::int64_t* t_,
               std::uint64_t* step_) const {
    std::copy(theta.begin(), theta.begin() + static_cast<long>(n), theta_);
    if (v_ != nullptr) std::copy(v.begin(), v.begin() + static_cast<long>(n), v_);
    if (s_ != nullptr) std::copy(s.begin(), s.begin() + static_cast<long>(n), s_);
    *t_ = t;
    *step_ = step;
  }
};

// The whole training loop; every buffer is allocated here, once.
template <class T>
TrainResult train(const TrainArgs<T>& a) {
  using Clock = std::chrono::steady_clock;
  const Shape& net = a.net;
  const int L = net.L;
  const bool full_batch = a.mini_batch_size <= 0 || a.mini_batch_size >= a.m;
  const long mbs = full_batch ? a.m : a.mini_batch_size;
  const bool dropout_on = a.keep_prob < 1.0;

  // Views of the flat parameter vector: W1, b1, W2, b2, ...
  Vec<const T*> W(L), b(L);
  Vec<T*> dW(L), db(L);
  long n_params = 0;
  Vec<long> w_offset(L);
  for (int l = 0; l < L; ++l) {
    w_offset[l] = n_params;
    n_params += net.dims[l + 1] * net.dims[l] + net.dims[l + 1];
  }
  Vec<T> grad(static_cast<std::size_t>(n_params));
  for (int l = 0; l < L; ++l) {
    const long nw = net.dims[l + 1] * net.dims[l];
    W[l] = a.theta + w_offset[l];
    b[l] = a.theta + w_offset[l] + nw;
    dW[l] = grad.data() + w_offset[l];
    db[l] = grad.data() + w_offset[l] + nw;
  }

  // Activations for a batch of at most mbs examples: the fused step's padded buffers, or the
  // unfused passes' (n_l, mb) arrays.
  const bool fused = fused_step_applies(net);
  FusedWork<T> fw;
  Vec<Vec<T>> Zs(L), As(L), Ds(L), Adrops(L);
  Vec<T*> Z(L), A(L), D(L), Adrop(L);
  Vec<const T*> Aprev(L), Zc(L), Ac(L), Dc(L);
  Vec<T> dZ, dA, col;
  if (fused) {
    fw.allocate(net, mbs, a.m % mbs, dropout_on);
  } else {
    for (int l = 0; l < L; ++l) {
      const std::size_t size = static_cast<std::size_t>(net.dims[l + 1] * mbs);
      Zs[l].resize(size);
      As[l].resize(size);
      Z[l] = Zs[l].data();
      A[l] = As[l].data();
      if (dropout_on && l < L - 1) {
        Ds[l].resize(size);
        Adrops[l].resize(size);
      }
      D[l] = Ds[l].data();
      Adrop[l] = Adrops[l].data();
      Zc[l] = Z[l];
      Ac[l] = A[l];
      Dc[l] = D[l];
    }
    const std::size_t scratch = static_cast<std::size_t>(max_units(net) * mbs);
    dZ.resize(scratch);
    dA.resize(scratch);
    col.resize(static_cast<std::size_t>(mbs));
  }
  // The batch's X and Y: a's own arrays (full batch, unfused), or copies with rows `stride`
  // apart: padded to whole packets for the fused step, gathered for minibatches.
  const long stride = fused ? padded<T>(mbs) : mbs;
  Vec<T> XT;
  AlignedBuffer<T> Xb, Yb;  // (on pages of their own: other cores read them, see AlignedBuffer)
  Vec<std::int64_t> perm;
  if (!full_batch) {
    // One transposed copy of X per call (the size of X) makes every minibatch's gather read
    // whole examples; on MNIST-sized X the column gather cost 14% of an epoch.
    XT.resize(static_cast<std::size_t>(a.n_x * a.m));
    transpose(a.n_x, a.m, a.X, XT.data());
    perm.resize(static_cast<std::size_t>(a.m));
  }
  if (!full_batch || fused) {
    Xb.assign(static_cast<std::size_t>(a.n_x * stride));
    Yb.assign(static_cast<std::size_t>(a.n_y * stride));
  }
  if (full_batch && fused) {
    for (long r = 0; r < a.n_x; ++r) {
      std::copy(a.X + r * a.m, a.X + (r + 1) * a.m, Xb.data() + r * stride);
    }
    for (long r = 0; r < a.n_y; ++r) {
      std::copy(a.Y + r * a.m, a.Y + (r + 1) * a.m, Yb.data() + r * stride);
    }
  }

  const T beta = static_cast<T>(a.beta), beta1 = static_cast<T>(a.beta1),
          beta2 = static_cast<T>(a.beta2), eps = static_cast<T>(a.epsilon);
  std::int64_t t = *a.t;
  std::uint64_t step = *a.step;
  TrainResult result{0, kDone, -1};
  auto last_hook = Clock::now();
  const auto hook_period = std::chrono::duration<double>(a.hook_seconds);
  double last_cost = std::numeric_limits<double>::quiet_NaN();

  // Divergence: every epoch ends with a check of its cost and of theta, v, s (one pass over
  // the state). To stop at the last finite state, the state is copied at each finite epoch
  // boundary (an optimizer step cannot be undone in floating point, and with minibatches a
  // non-finite epoch has already taken several steps); O(parameters) per epoch against
  // O(parameters * m) for the epoch itself. Two copies are kept, the ends of the last two
  // epochs: a state whose own cost (the first step of the next epoch; all of it in full batch)
  // is non-finite is not a finite state, and then the one before is restored.
  const bool check = a.on_nonfinite != kIgnoreNonFinite;
  const bool stop_nonfinite = a.on_nonfinite == kStopNonFinite;
  const std::size_t np = static_cast<std::size_t>(n_params);
  Snapshot<T> saved[2];
  int newest = 0;  // saved[newest]: end of the previous epoch; the other: the one before
  long saved_epochs[2] = {0, 0};
  if (stop_nonfinite) {
    for (Snapshot<T>& sv : saved) sv.save(np, a.theta, a.v, a.s, t, step);
  }
  // Interruption (Ctrl-C, an exception from a signal handler or a progress hook): the loop
  // stops only with the state of an epoch boundary, so that continuing gives exactly the
  // uninterrupted run. Between epochs it stops where it is; in the middle of an epoch (several
  // steps per epoch) it puts back the state the epoch started from: saved[newest] when the
  // divergence check keeps one, else a copy taken at the start of each epoch.
  const bool mid_epoch_hooks = a.hook != nullptr && mbs < a.m;
  Snapshot<T> epoch_start;

  // One optimizer step (Adam's counter t first).
  const auto optimizer_step = [optimizer = a.optimizer, n_params, beta, beta1, beta2, eps,
                               beta1_d = a.beta1, beta2_d = a.beta2](
                                  T lr, std::int64_t& t_, T* theta, const T* g, T* v, T* s) {
    T bc1 = T(1), bc2 = T(1);
    if (optimizer == kAdam) {
      ++t_;
      bc1 = static_cast<T>(1.0 - std::pow(beta1_d, static_cast<double>(t_)));
      bc2 = static_cast<T>(1.0 - std::pow(beta2_d, static_cast<double>(t_)));
    }
    update_block<T>(optimizer, n_params, theta, g, v, s, nullptr, nullptr, lr, beta, beta1, beta2,
                    eps, bc1, bc2);
  };

  const auto epochs = [&] {
    for (long epoch = 0; epoch < a.num_epochs; ++epoch) {
      if (!full_batch) {
        numpy_permutation(a.shuffle_seed + static_cast<std::uint32_t>(epoch) + 1u, a.m,
                          perm.data());
      }
      const T lr = static_cast<T>(a.learning_rates[epoch]);
      if (mid_epoch_hooks && !stop_nonfinite) epoch_start.save(np, a.theta, a.v, a.s, t, step);
      double cost_total = 0.0, cost_step = 0.0;
      double first_cost = 0.0;  // the cost at the state the epoch started from (first step)
      for (long start = 0; start < a.m; start += mbs) {
        const long mb = std::min(mbs, a.m - start);
        const T* Xp = full_batch && !fused ? a.X : Xb.data();
        const T* Yp = full_batch && !fused ? a.Y : Yb.data();
        if (!full_batch) {
          const long ds = fused ? padded<T>(mb) : mb;
          gather_rows_transposed(a.n_x, XT.data(), perm.data() + start, mb, Xb.data(), ds);
          gather_columns(a.n_y, a.m, a.Y, perm.data() + start, mb, Yb.data(), ds);
        }
        if (fused) {
          cost_step = fused_step<T>(net, mb, Xp, Yp, a.theta, a.keep_prob, a.dropout_seed, step,
                                    a.lambd, fw, grad.data());
        } else {
          forward_pass<T>(net, mb, Xp, W.data(), b.data(), a.keep_prob,
                          dropout_on ? kGenerateMasks : kNoDropout, a.dropout_seed, step, Z.data(),
                          A.data(), D.data(), Adrop.data(), col.data());
          // (dZ, col and dA are free until the backward pass.)
          cost_step = cost_from_logits_with<T>(net.output, net.dims[L], mb, Z[L - 1], Yp, dZ.data(),
                                               col.data(), dA.data());
          Aprev[0] = Xp;
          for (int l = 1; l < L; ++l) Aprev[l] = dropout_on ? Adrop[l - 1] : A[l - 1];
          backward_pass<T>(net, mb, Yp, W.data(), Aprev.data(), Zc.data(), Ac.data(),
                           dropout_on ? Dc.data() : nullptr, a.lambd, a.keep_prob, dW.data(),
                           db.data(), dZ.data(), dA.data());
        }
        if (a.lambd != 0.0) {
          double squares = 0.0;
          for (int l = 0; l < L; ++l) {
            squares += sum_squares<T>(net.dims[l + 1] * net.dims[l], W[l]);
          }
          cost_step += 1.0 / static_cast<double>(mb) * (a.lambd / 2.0) * squares;
        }
        if (start == 0) first_cost = cost_step;
        cost_total += cost_step * static_cast<double>(mb);
        ++step;
        optimizer_step(lr, t, a.theta, grad.data(), a.v, a.s);
        if (mid_epoch_hooks && start + mbs < a.m && Clock::now() - last_hook >= hook_period) {
          last_hook = Clock::now();
          if (a.hook(a.hook_ctx, result.epochs_done, last_cost, 0) != 0) {
            const Snapshot<T>& begun = stop_nonfinite ? saved[newest] : epoch_start;
            begun.restore(np, a.theta, a.v, a.s, &t, &step);
            result.status = kStopped;
            break;
          }
        }
      }
      if (result.status == kStopped) break;
      last_cost = full_batch ? cost_step : cost_total / static_cast<double>(a.m);
      a.costs[epoch] = last_cost;
      if (check) {
        const bool finite = std::isfinite(last_cost) && all_finite(n_params, a.theta) &&
                            (a.v == nullptr || all_finite(n_params, a.v)) &&
                            (a.s == nullptr || all_finite(n_params, a.s));
        if (!finite && result.nonfinite_epoch < 0) result.nonfinite_epoch = epoch;
        if (!finite && stop_nonfinite) {
          const int back = std::isfinite(first_cost) ? newest : 1 - newest;
          saved[back].restore(np, a.theta, a.v, a.s, &t, &step);
          result.epochs_done = saved_epochs[back];
          result.status = kDiverged;
          break;
        }
        if (stop_nonfinite) {
          newest = 1 - newest;
          saved[newest].save(np, a.theta, a.v, a.s, t, step);
          saved_epochs[newest] = epoch + 1;
        }
      }
      result.epochs_done = epoch + 1;
      const bool callback_due =
          a.hook != nullptr && a.callback_every > 0 && result.epochs_done % a.callback_every == 0;
      if (callback_due || (a.hook != nullptr && Clock::now() - last_hook >= hook_period)) {
        last_hook = Clock::now();
        if (a.hook(a.hook_ctx, result.epochs_done, last_cost, callback_due ? 1 : 0) != 0) {
          result.status = kStopped;
          break;
        }
      }
    }
  };
  epochs();
  *a.t = t;
  *a.step = step;
  return result;
}

}  // namespace

#define NNCORE_STR2(x) #x
#define NNCORE_STR(x) NNCORE_STR2(x)

template <class T>
Kernels<T> make_kernels() {
  return Kernels<T>{NNCORE_STR(NNCORE_ISA), &forward<T>, &backward<T>, &update<T>, &dropout<T>,
                    &cost<T>, &cost_from_logits<T>, &sum_squares<T>, &train<T>};
}

}  // namespace NNCORE_ISA

// The only symbols this translation unit exports: one table per dtype, named after the target.
#define NNCORE_CAT2(a, b) a##b
#define NNCORE_CAT(a, b) NNCORE_CAT2(a, b)
Kernels<float> NNCORE_CAT(kernels_f32_, NNCORE_ISA)() {
  return NNCORE_ISA::make_kernels<float>();
}
Kernels<double> NNCORE_CAT(kernels_f64_, NNCORE_ISA)() {
  return NNCORE_ISA::make_kernels<double>();
}

}  // namespace nncore
