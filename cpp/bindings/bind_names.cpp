// The names and codes of types.hpp's tables, the Python side's only source for them.
#include <cstddef>

#include "bind.hpp"

namespace nncore {
namespace bindings {
namespace {

// {name: code} of one table, in the table's order.
template <std::size_t N>
py::dict codes(const NamedCode (&table)[N]) {
  py::dict out;
  for (const NamedCode& e : table) out[py::str(e.name)] = e.code;
  return out;
}

}  // namespace

// The tables of types.hpp, the only source of these names on the Python side.
void bind_names(py::module_& m) {
  m.attr("hidden_activations") = codes(kHiddenNames);
  m.attr("outputs") = codes(kOutputNames);
  m.attr("optimizers") = codes(kOptimizerNames);
  m.attr("nonfinite_policies") = codes(kNonFiniteNames);
  py::dict state;
  for (const NamedCode& e : kOptimizerNames) {
    py::list slots;
    if (e.state & kStateV) slots.append("v");
    if (e.state & kStateS) slots.append("s");
    state[py::str(e.name)] = py::tuple(slots);
  }
  m.attr("optimizer_state") = state;
}

}  // namespace bindings
}  // namespace nncore
