// What the bind_<topic>.cpp files share: array types, argument checks, pointer lists.
// Every check throws std::invalid_argument (ValueError in Python) naming the argument.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "nncore/dispatch.hpp"
#include "nncore/types.hpp"

namespace py = pybind11;

namespace nncore {
namespace bind {

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

// Network shape from the weight list; checks W[l] against b[l] and W[l-1].
template <class T>
std::vector<long> dims_of(const ArrayList<T>& W, const ArrayList<T>& b, long n_x) {
  expect(!W.empty() && W.size() == b.size(), "W and b: expected the same nonzero length");
  std::vector<long> dims{n_x};
  for (std::size_t l = 0; l < W.size(); ++l) {
    const std::string idx = std::to_string(l + 1);
    expect(W[l].ndim() == 2, "W" + idx + ": expected 2 dimensions");
    expect_shape(W[l], W[l].shape(0), dims.back(), "W" + idx);
    expect_shape(b[l], W[l].shape(0), 1, "b" + idx);
    dims.push_back(static_cast<long>(W[l].shape(0)));
  }
  return dims;
}

// A code of one of the enums of types.hpp, checked against its name table.
template <class Enum>
void expect_code(int code, const char* (*name)(Enum), const std::string& what) {
  expect(code >= 0 && name(static_cast<Enum>(code)) != nullptr,
         what + ": expected a code from the module's codes table, got " + std::to_string(code));
}

inline Shape shape_of(const std::vector<long>& dims, int hidden, int output) {
  expect_code(hidden, hidden_name, "hidden");
  expect_code(output, output_name, "output");
  return Shape{static_cast<int>(dims.size() - 1), dims.data(), hidden, output};
}

template <class T>
std::vector<const T*> cptrs(const ArrayList<T>& arrays) {
  std::vector<const T*> p;
  for (const auto& a : arrays) p.push_back(a.data());
  return p;
}

template <class T>
std::vector<T*> mptrs(ArrayList<T>& arrays) {
  std::vector<T*> p;
  for (auto& a : arrays) p.push_back(a.mutable_data());
  return p;
}

// One function per topic, each defining its part of the module (module.cpp calls them all).
void bind_names(py::module_& m);
void bind_kernels(py::module_& m);
void bind_train(py::module_& m);
void bind_system(py::module_& m);

}  // namespace bind
}  // namespace nncore
