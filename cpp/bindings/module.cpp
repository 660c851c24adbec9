// nncore._core: the private bridge between Python and the kernels; one bind_<topic>.cpp per
// topic, called from here.
//
// The public, validated API lives in python/nncore; these functions still check every shape
// and length they rely on (std::invalid_argument becomes ValueError), take arrays only when
// they already have the right dtype and are C-contiguous (`noconvert`: nothing is copied), and
// release the GIL around the numerical work.
#include "nncore/threads.hpp"

#include "common.hpp"

PYBIND11_MODULE(_core, m) {
  using namespace nncore::bind;
  m.doc() = "nncore's C++ core (private: use the nncore package).";
  m.def_submodule("f32", "float32 kernels");
  m.def_submodule("f64", "float64 kernels");
  bind_names(m);
  bind_kernels(m);
  bind_train(m);
  bind_system(m);
  // Selects the target now, so that a bad NNCORE_ISA fails the import with its message.
  nncore::current_isa();
  // Reads NNCORE_NUM_THREADS now, for the same reason.
  nncore::num_threads();
}
