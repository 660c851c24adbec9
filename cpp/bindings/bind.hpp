// Shared by the binding files (one bind_<topic>.cpp per topic; module.cpp assembles them):
// the array types that cross without a copy and the checks every topic makes.
//
// The public, validated API lives in python/nncore; the bindings still check every shape
// and length they rely on (std::invalid_argument becomes ValueError), take arrays only when
// they already have the right dtype and are C-contiguous (`noconvert`: nothing is copied), and
// release the GIL around the numerical work.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "nncore/types.hpp"

namespace nncore {
namespace bindings {

namespace py = pybind11;

template <class T>
using Array = py::array_t<T, py::array::c_style>;
template <class T>
using ArrayList = std::vector<Array<T>>;

inline void expect(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

template <class T>
void expect_shape(const Array<T>& a, long rows, long cols, const std::string& name) {
  expect(a.ndim() == 2 && a.shape(0) == rows && a.shape(1) == cols,
         name + ": expected shape (" + std::to_string(rows) + ", " + std::to_string(cols) + ")");
}

template <class T>
Array<T> empty(long rows, long cols) {
  return Array<T>({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
}

// `code` must be one of `table`'s: "optimizer: expected 0 (gd), 1 (momentum) or 2 (adam), got 7".
template <std::size_t N>
void expect_code(int code, const NamedCode (&table)[N], const char* what) {
  std::string options;
  for (std::size_t i = 0; i < N; ++i) {
    if (table[i].code == code) return;
    options += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::to_string(table[i].code) + " (" +
               table[i].name + ")";
  }
  throw std::invalid_argument(std::string(what) + ": expected " + options + ", got " +
                              std::to_string(code));
}

// Unnamed: they read types.hpp's tables, whose linkage is internal (one copy per file).
namespace {

// Whether `optimizer` (a checked code) keeps the state `slot`.
inline bool keeps(int optimizer, StateSlot slot) {
  return (kOptimizerNames[optimizer].state & slot) != 0;
}

inline Shape shape_of(const std::vector<long>& dims, int hidden, int output) {
  expect_code(hidden, kHiddenNames, "hidden");
  expect_code(output, kOutputNames, "output");
  return Shape{static_cast<int>(dims.size() - 1), dims.data(), hidden, output};
}

}  // namespace

// One per topic, each in bind_<topic>.cpp; f32 and f64 are the per-dtype submodules.
void bind_names(py::module_& m);
void bind_info(py::module_& m);
void bind_random(py::module_& m, py::module_& f32, py::module_& f64);
void bind_passes(py::module_& f32, py::module_& f64);
void bind_train(py::module_& m, py::module_& f32, py::module_& f64);

}  // namespace bindings
}  // namespace nncore
