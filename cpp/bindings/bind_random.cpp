// The random streams the core shares with numpy and the tests: the legacy MT19937
// permutation of the course's minibatches and the Philox blocks of the dropout masks.
#include <cstdint>

#include "bind.hpp"
#include "nncore/dispatch.hpp"
#include "nncore/mt19937.hpp"
#include "nncore/philox.hpp"

namespace nncore {
namespace bindings {
namespace {

template <class T>
Array<T> dropout_mask(std::uint64_t seed, std::uint64_t step, std::uint32_t layer, long n, long m,
                      double keep_prob) {
  expect(n >= 0 && m >= 0, "n, m: expected sizes >= 0");
  expect(keep_prob > 0.0 && keep_prob <= 1.0, "keep_prob: expected a value in (0, 1]");
  Array<T> out = empty<T>(n, m);
  T* p = out.mutable_data();
  py::gil_scoped_release release;
  kernels<T>().dropout_mask(seed, step, layer, n, m, keep_prob, p);
  return out;
}

template <class T>
void def_dropout_mask(py::module_& m) {
  m.def("dropout_mask", &dropout_mask<T>, py::arg("seed"), py::arg("step"), py::arg("layer"),
        py::arg("n"), py::arg("m"), py::arg("keep_prob"), "Philox keep mask (1 kept, 0 dropped).");
}

}  // namespace

void bind_random(py::module_& m, py::module_& f32, py::module_& f64) {
  def_dropout_mask<float>(f32);
  def_dropout_mask<double>(f64);
  m.def(
      "numpy_permutation",
      [](std::uint32_t seed, long n) {
        expect(n >= 0, "n: expected >= 0");
        py::array_t<std::int64_t> out(n);
        isa_generic::numpy_permutation(seed, n, out.mutable_data());
        return out;
      },
      py::arg("seed"), py::arg("n"), "np.random.seed(seed); np.random.permutation(n), in C++.");
  m.def(
      "philox4x32_10",
      [](std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3, std::uint32_t k0,
         std::uint32_t k1) {
        const auto r = isa_generic::philox4x32_10(c0, c1, c2, c3, k0, k1);
        return py::make_tuple(r.v[0], r.v[1], r.v[2], r.v[3]);
      },
      "One Philox4x32-10 block (for known-answer tests).");
}

}  // namespace bindings
}  // namespace nncore
