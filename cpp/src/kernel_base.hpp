// What every per-target kernel file shares: the includes, containers and maps, SIMD packets,
// the padded row layout, aligned chunks. CMake compiles each kernel translation unit once per
// SIMD target with -DNNCORE_ISA=<isa> -DEigen=Eigen_<isa> and that target's -march, so every
// inline function and every Eigen template lands in a namespace of its own (see config.hpp).
// Helpers live in anonymous namespaces: each translation unit has its own copy, and no weak
// symbol is shared between targets (cmake/check_weak_symbols.cmake checks it).
//
// Layout: every matrix is row-major (n_rows, m) like a C-contiguous numpy array, one example per
// column, so the element-wise passes run along contiguous rows of length m.
#pragma once

#include <Eigen/Core>
#if defined(__AVX2__)
#include <immintrin.h>
#endif
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <vector>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "nncore/config.hpp"
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

// Widest layer after the input: the backward scratch holds dZ and dA of layers 1..L only
// (no gradient flows into the input layer, which may be very wide).
inline long max_units(const Shape& net) {
  long n = 0;
  for (int l = 1; l <= net.L; ++l) n = std::max(n, net.dims[l]);
  return n;
}

// exp, log and tanh are applied to aligned fixed-size chunks, where every element takes the
// same SIMD path whatever its address or position (Eigen peels the unaligned head of a mapped
// vector and handles it with scalar code): results do not depend on where an array sits.
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

// SIMD packets of the target (the fused step's explicit vector code).
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
inline long padded(long m) {
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

// A buffer left uninitialized, for arrays written in full before they are read (no pass of
// zeros over a copy of a large training set). A large one starts on a 2 MiB boundary, and on
// Linux the kernel is asked to back it with huge pages: a fresh mapping costs a page fault per
// 4 KiB page otherwise, which for a few hundred MB is a noticeable share of an epoch.
template <class T>
class RawBuffer {
 public:
  void allocate(std::size_t n) {
    constexpr std::size_t kHuge = std::size_t(2) << 20;
    const std::size_t bytes = n * sizeof(T);
    const std::size_t align = bytes >= kHuge ? kHuge : 64;
    mem_.reset(new unsigned char[bytes + align]);
    const auto addr = reinterpret_cast<std::uintptr_t>(mem_.get());
    data_ = reinterpret_cast<T*>((addr + align - 1) / align * align);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (align == kHuge) madvise(data_, bytes / kHuge * kHuge, MADV_HUGEPAGE);  // advice only
#endif
  }
  T* data() { return data_; }
  const T* data() const { return data_; }

 private:
  std::unique_ptr<unsigned char[]> mem_;
  T* data_ = nullptr;
};

}  // namespace
}  // namespace NNCORE_ISA
}  // namespace nncore
