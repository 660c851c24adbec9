// The table of one SIMD target: what ties the per-concern files together. CMake compiles this
// file and the other kernel files (passes.cpp, train.cpp) once per target, each time in a
// namespace of the target's own (config.hpp); dispatch.cpp sees only the plain tables below.
#include <Eigen/Core>

#include "entry.hpp"

namespace nncore {
namespace NNCORE_ISA {

#define NNCORE_STR2(x) #x
#define NNCORE_STR(x) NNCORE_STR2(x)

// Eigen cuts a product's depth into k-panels from the L1 data cache size it reads off the CPU,
// and each panel's partial sum is rounded into the result: the same product on the same target
// would round differently on machines with another L1 (32 KiB on many cores, 48 KiB on recent
// Intel ones). The size is pinned for the target's whole Eigen (its own namespace, config.hpp) before
// the target's table exists, so a target's results do not depend on the machine's caches; the
// L2 and L3 sizes, which only partition the output, stay the machine's.
namespace {

constexpr long kGemmL1Bytes = 32 * 1024;

long pin_gemm_blocking() {
  static const long l1 = [] {
    Eigen::setCpuCacheSizes(kGemmL1Bytes, Eigen::l2CacheSize(), Eigen::l3CacheSize());
    return static_cast<long>(Eigen::l1CacheSize());
  }();
  return l1;
}

}  // namespace

template <class T>
Kernels<T> make_kernels() {
  const long l1 = pin_gemm_blocking();
  return Kernels<T>{NNCORE_STR(NNCORE_ISA), &forward<T>, &backward<T>, &update<T>, &dropout<T>,
                    &cost<T>, &cost_from_logits<T>, &sum_of_squares<T>, &activation_backward<T>,
                    &train<T>, l1};
}

}  // namespace NNCORE_ISA

// The only symbols the kernel files export besides the entry points: one table per dtype,
// named after the target.
#define NNCORE_CAT2(a, b) a##b
#define NNCORE_CAT(a, b) NNCORE_CAT2(a, b)
Kernels<float> NNCORE_CAT(kernels_f32_, NNCORE_ISA)() {
  return NNCORE_ISA::make_kernels<float>();
}
Kernels<double> NNCORE_CAT(kernels_f64_, NNCORE_ISA)() {
  return NNCORE_ISA::make_kernels<double>();
}

}  // namespace nncore
