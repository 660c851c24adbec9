// The table of one SIMD target: what ties the per-concern files together. CMake compiles this
// file and the other kernel files (passes.cpp, train.cpp) once per target, each time in a
// namespace of the target's own (config.hpp); dispatch.cpp sees only the plain tables below.
#include "entry.hpp"

namespace nncore {
namespace NNCORE_ISA {

#define NNCORE_STR2(x) #x
#define NNCORE_STR(x) NNCORE_STR2(x)

template <class T>
Kernels<T> make_kernels() {
  return Kernels<T>{NNCORE_STR(NNCORE_ISA), &forward<T>, &backward<T>, &update<T>, &dropout<T>,
                    &cost<T>, &cost_from_logits<T>, &sum_of_squares<T>, &activation_backward<T>,
                    &train<T>};
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
