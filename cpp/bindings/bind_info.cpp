// What the build is and runs on: version, compiler, Eigen, the SIMD targets, the thread pool.
#include "bind.hpp"
#include "nncore/dispatch.hpp"
#include "nncore/threads.hpp"

namespace nncore {
namespace bindings {

void bind_info(py::module_& m) {
  m.def("current_isa", &current_isa);
  m.def("set_isa", &set_isa, py::arg("name"));
  m.def("compiled_isas", &compiled_isas);
  m.def("supported_isas", &supported_isas);
  m.def("gemm_l1_bytes", [] { return kernels<double>().gemm_l1_bytes; });
  m.def("num_threads", &num_threads);
  m.def("set_num_threads", &set_num_threads, py::arg("n"));
  m.attr("compiler") = NNCORE_COMPILER;
  m.attr("eigen_version") = NNCORE_EIGEN_VERSION;
  m.attr("version") = NNCORE_VERSION;
  // Selects the target now, so that a bad NNCORE_ISA fails the import with its message.
  current_isa();
  // Reads NNCORE_NUM_THREADS now, for the same reason.
  num_threads();
}

}  // namespace bindings
}  // namespace nncore
