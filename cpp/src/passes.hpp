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
    if (W[l] != nullptr) linear_forward(n_out, n_in, m, W[l], b[l], in, Z[l]);
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
// dbl = (1/m) rowsum(dZl), dA = W^T dZ (times D / keep_prob), dZ = dA * g'(Z), g' from A = g(Z)
// (Z is not read: it stays in the signature for the mirror's caches). dZ and dA are two
// scratch buffers of at least max(n_l) * m elements. dW[0] == nullptr: the first layer's
// gradient is left to the caller, with dZ1 in dZ (wide_input.hpp).
template <class T>
void backward_pass(const Shape& net, long m, const T* Y, const T* const* W, const T* const* Aprev,
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
    linear_backward_input(n_out, n_in, m, W[l], dZ, dA);
    const long size = n_in * m;
    VecMap<T> da(dA, size);
    if (D != nullptr) da = da * ConstVecMap<T>(D[l - 1], size) / kp;
    hidden_backward(net.hidden, size, dA, A[l - 1], dZ);
  }
}

}  // namespace
}  // namespace NNCORE_ISA
}  // namespace nncore
