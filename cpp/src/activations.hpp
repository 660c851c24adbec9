// The activations. A hidden activation is one unit, a traits struct with
//   forward(n, z, a)         a = g(z) over n elements (the unfused passes, and the fused step's
//                            rows when the unit has no packet form),
//   forward(z)               the same on one SIMD packet (kPacketForward units only),
//   backward(da, a)          dZ = dA * g'(z), written from a = g(z), on a scalar or a packet
//                            (every unit's derivative is a function of its output, so the fused
//                            step keeps no Z for hidden layers),
// and with_hidden() the one switch from the code to the unit (no default: -Wswitch finds a unit
// left out). The output activations (sigmoid, softmax, identity) come with their costs.
#pragma once

#include "kernel_base.hpp"

namespace nncore {
namespace NNCORE_ISA {
namespace {

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

template <class T>
struct Relu {
  static constexpr bool kPacketForward = true;
  static void forward(long n, const T* z, T* a) {
    for (long e = 0; e < n; ++e) a[e] = z[e] > T(0) ? z[e] : T(0);
  }
  static Packet<T> forward(const Packet<T>& z) {  // NaN to 0, like the loop
    return ei::pand(z, ei::pcmp_lt(ei::pset1<Packet<T>>(T(0)), z));
  }
  // a > 0 exactly where z > 0 (NaN included: its a is 0).
  static T backward(T da, T a) { return a > T(0) ? da : T(0); }
  static Packet<T> backward(const Packet<T>& da, const Packet<T>& a) {
    return ei::pand(da, ei::pcmp_lt(ei::pset1<Packet<T>>(T(0)), a));
  }
};

// Leaky ReLU: z for z > 0, else 0.01 z; its derivative at 0 is the left side's 0.01 (as relu's
// is 0). a > 0 exactly where z > 0.
template <class T>
struct LeakyRelu {
  static constexpr bool kPacketForward = true;
  static constexpr T kSlope = T(0.01);
  static void forward(long n, const T* z, T* a) {
    for (long e = 0; e < n; ++e) a[e] = z[e] > T(0) ? z[e] : kSlope * z[e];
  }
  static Packet<T> forward(const Packet<T>& z) {
    using P = Packet<T>;
    return ei::pselect(ei::pcmp_lt(ei::pset1<P>(T(0)), z), z, ei::pmul(ei::pset1<P>(kSlope), z));
  }
  static T backward(T da, T a) { return a > T(0) ? da : kSlope * da; }
  static Packet<T> backward(const Packet<T>& da, const Packet<T>& a) {
    using P = Packet<T>;
    return ei::pselect(ei::pcmp_lt(ei::pset1<P>(T(0)), a), da, ei::pmul(ei::pset1<P>(kSlope), da));
  }
};

template <class T>
struct Tanh {
  static constexpr bool kPacketForward = false;
  static void forward(long n, const T* z, T* a) {
    chunked<T>(n, z, nullptr, a, [](const Chunk<T>& x, const Chunk<T>&, Chunk<T>& r) {
      r = x.tanh();
    });
  }
  static Packet<T> forward(const Packet<T>& z) { return z; }  // (unused: kPacketForward)
  static T backward(T da, T a) { return da * (T(1) - a * a); }
  static Packet<T> backward(const Packet<T>& da, const Packet<T>& a) {
    using P = Packet<T>;
    return ei::pmul(da, ei::psub(ei::pset1<P>(T(1)), ei::pmul(a, a)));
  }
};

// The logistic sigmoid as a hidden activation: g' = a (1 - a).
template <class T>
struct Logistic {
  static constexpr bool kPacketForward = false;
  static void forward(long n, const T* z, T* a) { sigmoid(n, z, a); }
  static Packet<T> forward(const Packet<T>& z) { return z; }  // (unused: kPacketForward)
  static T backward(T da, T a) { return da * (a * (T(1) - a)); }
  static Packet<T> backward(const Packet<T>& da, const Packet<T>& a) {
    using P = Packet<T>;
    return ei::pmul(da, ei::pmul(a, ei::psub(ei::pset1<P>(T(1)), a)));
  }
};

template <class T>
struct IdentityHidden {
  static constexpr bool kPacketForward = true;
  static void forward(long n, const T* z, T* a) { std::copy(z, z + n, a); }
  static Packet<T> forward(const Packet<T>& z) { return z; }
  static T backward(T da, T) { return da; }
  static Packet<T> backward(const Packet<T>& da, const Packet<T>&) { return da; }
};

// f(Unit{}) for the unit of `hidden`; throws for a code that names none (the bindings check
// codes first, so that is a bug).
template <class T, class F>
decltype(auto) with_hidden(int hidden, F&& f) {
  switch (static_cast<Hidden>(hidden)) {
    case kRelu:
      return f(Relu<T>{});
    case kTanh:
      return f(Tanh<T>{});
    case kLogistic:
      return f(Logistic<T>{});
    case kIdentityHidden:
      return f(IdentityHidden<T>{});
    case kLeakyRelu:
      return f(LeakyRelu<T>{});
  }
  throw std::invalid_argument("hidden: not an activation code");
}

template <class T>
void hidden_activation(int hidden, long size, const T* Z, T* A) {
  with_hidden<T>(hidden, [&](auto unit) { unit.forward(size, Z, A); });
}

// dZ = dA * g'(z) from A = g(z), in place of dA's values into dZ (a loop: Eigen 3.4's select()
// does not vectorize).
template <class T>
void hidden_backward(int hidden, long size, const T* dA, const T* A, T* dZ) {
  with_hidden<T>(hidden, [&](auto unit) {
    for (long e = 0; e < size; ++e) dZ[e] = unit.backward(dA[e], A[e]);
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
  switch (static_cast<Output>(output)) {
    case kSigmoid:
      sigmoid(n * m, Z, A);
      return;
    case kSoftmax:
      softmax(n, m, Z, A, col);
      return;
    case kIdentity:
      std::copy(Z, Z + n * m, A);
      return;
  }
  throw std::invalid_argument("output: not an output code");
}

}  // namespace
}  // namespace NNCORE_ISA
}  // namespace nncore
