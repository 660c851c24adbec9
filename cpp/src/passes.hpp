// The unfused forward and backward passes over whole (n_l, m) arrays: the mirror's functions, and
// training steps of networks the fused step does not take (softmax, large layers).
#pragma once

#include "nncore/philox.hpp"

#include "activations.hpp"
#include "products.hpp"

namespace nncore {
namespace NNCORE_ISA {
namespace {

// Layer l (0-based) has n_out = dims[l + 1] units and n_in = dims[l] inputs.
// Forward pass over m examples; Aprev[l] is the input of layer l (X or the dropped activation).
// W[0] == nullptr: Z[0] is already there (the first layer in its Gram form, wide_input.hpp).
template <class T>
void forward_pass(const Shape& net, long m, const T* X, const T* const* W, const T* const* b,
                  double keep_prob, int mask_mode, std::uint64_t seed, std::uint64_t step,
                  T* const* Z, T* const* A, T* const* D, T* const* Adrop, T* col) {
  const T* in = X;
  const T kp = static_cast<T>(keep_prob);
  for (int l = 0; l < net.L; ++l) {
    const long n_out = net.dims[l + 1], n_in = net.dims[l];
    if (l == net.L - 1) {
      if (W[l] != nullptr) linear_forward(n_out, n_in, m, W[l], b[l], in, Z[l]);
      output_activation(net.output, n_out, m, Z[l], A[l], col);
      break;
    }
    // The hidden activation and dropout, element by element, on each block of Z as the product
    // finishes it (dropout_mask_range numbers elements as dropout_mask does).
    const auto activate = [&](long r0, long nr, long c0, long nc) {
      for_each_run(m, r0, nr, c0, nc, [&](long e0, long len) {
        hidden_activation(net.hidden, len, Z[l] + e0, A[l] + e0);
        if (mask_mode == kNoDropout) return;
        if (mask_mode == kGenerateMasks) {
          dropout_mask_range<T>(seed, step, static_cast<std::uint32_t>(l + 1), e0, e0 + len,
                                keep_prob, D[l] + e0);
        }
        VecMap<T>(Adrop[l] + e0, len) =
            ConstVecMap<T>(A[l] + e0, len) * ConstVecMap<T>(D[l] + e0, len) / kp;
      });
    };
    if (W[l] != nullptr) {
      linear_forward(n_out, n_in, m, W[l], b[l], in, Z[l], activate);
    } else {
      activate(0, n_out, 0, m);
    }
    in = mask_mode != kNoDropout ? Adrop[l] : A[l];
  }
}

// Backward pass in the course's order: dZL = AL - Y, dWl = (1/m) dZl Aprev^T + (lambd/m) Wl,
// dbl = (1/m) rowsum(dZl), dA = W^T dZ (times D / keep_prob), dZ = dA * g'(Z), g' from A = g(Z)
// (Z is not read: it stays in the signature for the mirror's caches). dZ and dA are two
// scratch buffers of at least max(n_l) * m elements; they trade roles at every layer (dA's
// blocks become dZ in place, as the product finishes them). dW[0] == nullptr: the first layer's
// gradient is left to the caller, with dZ1 where the returned pointer points (wide_input.hpp).
template <class T>
T* backward_pass(const Shape& net, long m, const T* Y, const T* const* W, const T* const* Aprev,
                 const T* const* /*Z*/, const T* const* A, const T* const* D, double lambd,
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
    if (dW[l] != nullptr) {
      linear_backward_params(n_out, n_in, m, dZ, Aprev[l], W[l], scale, l2, dW[l], db[l]);
    }
    if (l == 0) break;
    const auto to_dz = [&](long r0, long nr, long c0, long nc) {
      for_each_run(m, r0, nr, c0, nc, [&](long e0, long len) {
        VecMap<T> da(dA + e0, len);
        if (D != nullptr) da = da * ConstVecMap<T>(D[l - 1] + e0, len) / kp;
        hidden_backward(net.hidden, len, dA + e0, A[l - 1] + e0, dA + e0);
      });
    };
    linear_backward_input(n_out, n_in, m, W[l], dZ, dA, to_dz);
    std::swap(dZ, dA);
  }
  return dZ;
}

}  // namespace
}  // namespace NNCORE_ISA
}  // namespace nncore
