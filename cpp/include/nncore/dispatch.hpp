// Runtime choice of the SIMD target: the kernels are compiled once per target (kernels.cpp) and
// the best one the CPU supports is chosen on first use, unless NNCORE_ISA names another.
#pragma once

#include <string>
#include <vector>

#include "nncore/types.hpp"

namespace nncore {

// Targets compiled into this build, best last ("generic", "x86-64-v3", "x86-64-v4").
std::vector<std::string> compiled_isas();
// Compiled targets this CPU can run.
std::vector<std::string> supported_isas();
// The target in use.
std::string current_isa();
// Switches every later call to `name`; throws std::invalid_argument if it is not supported.
void set_isa(const std::string& name);

template <class T>
const Kernels<T>& kernels();

}  // namespace nncore
