// nncore._core: the private bridge between Python and the kernels. One bind_<topic>.cpp per
// topic (see bind.hpp for the rules every binding follows); this file only assembles them.
#include "bind.hpp"

PYBIND11_MODULE(_core, m) {
  namespace py = pybind11;
  using namespace nncore::bindings;
  m.doc() = "nncore's C++ core (private: use the nncore package).";
  py::module_ f32 = m.def_submodule("f32", "float32 kernels");
  py::module_ f64 = m.def_submodule("f64", "float64 kernels");
  bind_names(m);
  bind_passes(f32, f64);
  bind_random(m, f32, f64);
  bind_train(m, f32, f64);
  bind_info(m);  // last: it selects the SIMD target and reads the thread count at import
}
