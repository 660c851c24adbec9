// The entry points of one SIMD target's kernels, instantiated for float and double by the files
// that define them (passes.cpp, train.cpp) and gathered into the target's table by kernels.cpp.
#pragma once

#include <cstdint>

#include "nncore/config.hpp"
#include "nncore/types.hpp"

namespace nncore {
namespace NNCORE_ISA {

template <class T>
void forward(const ForwardArgs<T>& a);
template <class T>
void backward(const BackwardArgs<T>& a);
template <class T>
void update(const UpdateArgs<T>& a);
template <class T>
void dropout(std::uint64_t seed, std::uint64_t step, std::uint32_t layer, long n, long m,
             double keep_prob, T* out);
template <class T>
double cost(int output, long n, long m, const T* A, const T* Y);
template <class T>
double cost_from_logits(int output, long n, long m, const T* Z, const T* Y);
template <class T>
double sum_of_squares(long n, const T* x);
template <class T>
void activation_backward(int hidden, long n, const T* dA, const T* A, T* dZ);
template <class T>
TrainResult train(const TrainArgs<T>& a);

}  // namespace NNCORE_ISA
}  // namespace nncore
