// The mirror's entry points: one forward or backward pass over whole arrays, one optimizer
// update, a dropout mask, a cost.
#include "costs.hpp"
#include "entry.hpp"
#include "optimizers.hpp"
#include "passes.hpp"

namespace nncore {
namespace NNCORE_ISA {

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

template <class T>
void update(const UpdateArgs<T>& a) {
  update_arrays(a);
}

template <class T>
void dropout(std::uint64_t seed, std::uint64_t step, std::uint32_t layer, long n, long m,
             double keep_prob, T* out) {
  dropout_mask<T>(seed, step, layer, n, m, keep_prob, out);
}

template <class T>
double cost(int output, long n, long m, const T* A, const T* Y) {
  Vec<T> terms(static_cast<std::size_t>(n * m));
  return cost_with(output, n, m, A, Y, terms.data());
}

template <class T>
double cost_from_logits(int output, long n, long m, const T* Z, const T* Y) {
  Vec<T> terms(static_cast<std::size_t>(n * m)), col(static_cast<std::size_t>(m)),
      lse(static_cast<std::size_t>(m));
  return cost_from_logits_with(output, n, m, Z, Y, terms.data(), col.data(), lse.data());
}

template <class T>
double sum_of_squares(long n, const T* x) {
  return sum_squares(n, x);
}

template <class T>
void activation_backward(int hidden, long n, const T* dA, const T* A, T* dZ) {
  hidden_backward(hidden, n, dA, A, dZ);
}

#define NNCORE_INSTANTIATE(T)                                                                  \
  template void forward<T>(const ForwardArgs<T>&);                                             \
  template void backward<T>(const BackwardArgs<T>&);                                           \
  template void update<T>(const UpdateArgs<T>&);                                               \
  template void dropout<T>(std::uint64_t, std::uint64_t, std::uint32_t, long, long, double, T*); \
  template double cost<T>(int, long, long, const T*, const T*);                                \
  template double cost_from_logits<T>(int, long, long, const T*, const T*);                    \
  template double sum_of_squares<T>(long, const T*);                                          \
  template void activation_backward<T>(int, long, const T*, const T*, T*);
NNCORE_INSTANTIATE(float)
NNCORE_INSTANTIATE(double)
#undef NNCORE_INSTANTIATE

}  // namespace NNCORE_ISA
}  // namespace nncore
