// The build and the machine: SIMD targets, threads, version strings, and two generators exposed
// for known-answer tests.
#include "nncore/mt19937.hpp"
#include "nncore/philox.hpp"
#include "nncore/threads.hpp"

#include "common.hpp"

namespace nncore {
namespace bind {

void bind_system(py::module_& m) {
  m.def("current_isa", &current_isa);
  m.def("set_isa", &set_isa, py::arg("name"));
  m.def("compiled_isas", &compiled_isas);
  m.def("supported_isas", &supported_isas);
  m.def("num_threads", &num_threads);
  m.def("set_num_threads", &set_num_threads, py::arg("n"));
  m.def(
      "numpy_permutation",
      [](std::uint32_t seed, long n) {
        expect(n >= 0, "n: expected >= 0");
        py::array_t<std::int64_t> out(n);
        nncore::isa_generic::numpy_permutation(seed, n, out.mutable_data());
        return out;
      },
      py::arg("seed"), py::arg("n"), "np.random.seed(seed); np.random.permutation(n), in C++.");
  m.def(
      "philox4x32_10",
      [](std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3, std::uint32_t k0,
         std::uint32_t k1) {
        const auto r = nncore::isa_generic::philox4x32_10(c0, c1, c2, c3, k0, k1);
        return py::make_tuple(r.v[0], r.v[1], r.v[2], r.v[3]);
      },
      "One Philox4x32-10 block (for known-answer tests).");
  m.attr("compiler") = NNCORE_COMPILER;
  m.attr("eigen_version") = NNCORE_EIGEN_VERSION;
  m.attr("version") = NNCORE_VERSION;
}

}  // namespace bind
}  // namespace nncore
