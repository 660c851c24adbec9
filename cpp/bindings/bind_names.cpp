// The names of the choices Python passes by name, with their codes, from the one table of each
// (the name functions of types.hpp): nncore's Python takes its maps from here instead of copying
// the enums by hand.
#include "common.hpp"

namespace nncore {
namespace bind {
namespace {

// {name: code} for codes 0, 1, ... while name(code) knows one (codes are contiguous).
template <class Enum>
py::dict names_of(const char* (*name)(Enum)) {
  py::dict d;
  for (int code = 0; name(static_cast<Enum>(code)) != nullptr; ++code) {
    d[py::str(name(static_cast<Enum>(code)))] = code;
  }
  return d;
}

}  // namespace

void bind_names(py::module_& m) {
  py::dict codes;
  codes["hidden"] = names_of(hidden_name);
  codes["output"] = names_of(output_name);
  codes["optimizer"] = names_of(optimizer_name);
  codes["on_nonfinite"] = names_of(nonfinite_name);
  m.attr("codes") = codes;
  // {optimizer: the state it keeps, a tuple of "v" and/or "s"}.
  py::dict slots;
  for (int code = 0; optimizer_name(static_cast<Optimizer>(code)) != nullptr; ++code) {
    const OptimizerSlots s = optimizer_slots(static_cast<Optimizer>(code));
    py::list kept;
    if (s.v) kept.append("v");
    if (s.s) kept.append("s");
    slots[py::str(optimizer_name(static_cast<Optimizer>(code)))] = py::tuple(kept);
  }
  m.attr("optimizer_slots") = slots;
}

}  // namespace bind
}  // namespace nncore
