#include "nncore/dispatch.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <stdexcept>

namespace nncore {

// One pair of tables per compiled target (kernels.cpp); CMake defines NNCORE_HAVE_<target>.
Kernels<float> kernels_f32_isa_generic();
Kernels<double> kernels_f64_isa_generic();
#ifdef NNCORE_HAVE_V3
Kernels<float> kernels_f32_isa_v3();
Kernels<double> kernels_f64_isa_v3();
#endif
#ifdef NNCORE_HAVE_V4
Kernels<float> kernels_f32_isa_v4();
Kernels<double> kernels_f64_isa_v4();
#endif

namespace {

struct Target {
  const char* name;
  Kernels<float> (*f32)();
  Kernels<double> (*f64)();
  bool (*cpu_has)();
};

bool always() { return true; }

// CMake compiles the x86-64-v3/v4 kernels only for GCC and Clang on x86-64, where these
// builtins exist; other targets (aarch64, MSVC) have the portable kernels alone.
#ifdef NNCORE_HAVE_V3
bool cpu_has_v3() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("bmi2");
}
#endif
#ifdef NNCORE_HAVE_V4
bool cpu_has_v4() {
  __builtin_cpu_init();
  return cpu_has_v3() && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
}
#endif

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"generic", &kernels_f32_isa_generic, &kernels_f64_isa_generic, &always},
#ifdef NNCORE_HAVE_V3
      {"x86-64-v3", &kernels_f32_isa_v3, &kernels_f64_isa_v3, &cpu_has_v3},
#endif
#ifdef NNCORE_HAVE_V4
      {"x86-64-v4", &kernels_f32_isa_v4, &kernels_f64_isa_v4, &cpu_has_v4},
#endif
  };
  return all;
}

struct Selected {
  std::string name;
  Kernels<float> f32;
  Kernels<double> f64;
};

// One immutable table per compiled target, built once. `set_isa` only swaps an atomic pointer,
// so a training running in another thread keeps the table it started with (no torn read).
const std::vector<Selected>& tables() {
  static const std::vector<Selected> all = [] {
    std::vector<Selected> v;
    // Only the targets this CPU runs: a table-building function of a wider target is itself
    // compiled for that target and may use its instructions (SIGILL seen with x86-64-v4).
    for (const Target& t : targets()) {
      v.push_back(t.cpu_has() ? Selected{t.name, t.f32(), t.f64()} : Selected{t.name, {}, {}});
    }
    return v;
  }();
  return all;
}

const Selected* find_supported(const std::string& name) {
  for (std::size_t i = 0; i < targets().size(); ++i) {
    if (name == targets()[i].name && targets()[i].cpu_has()) return &tables()[i];
  }
  return nullptr;
}

const Selected* initial() {
  const char* forced = std::getenv("NNCORE_ISA");
  if (forced != nullptr && *forced != '\0') {
    const Selected* t = find_supported(forced);
    if (t == nullptr) {
      std::string msg = std::string("NNCORE_ISA=") + forced +
                        " is not a target this build and CPU support; expected one of:";
      for (const std::string& s : supported_isas()) msg += " " + s;
      throw std::invalid_argument(msg);
    }
    return t;
  }
  const Selected* best = &tables().front();
  for (std::size_t i = 0; i < targets().size(); ++i) {
    if (targets()[i].cpu_has()) best = &tables()[i];
  }
  return best;
}

std::atomic<const Selected*>& selected() {
  static std::atomic<const Selected*> current{initial()};
  return current;
}

}  // namespace

std::vector<std::string> compiled_isas() {
  std::vector<std::string> names;
  for (const Target& t : targets()) names.emplace_back(t.name);
  return names;
}

std::vector<std::string> supported_isas() {
  std::vector<std::string> names;
  for (const Target& t : targets()) {
    if (t.cpu_has()) names.emplace_back(t.name);
  }
  return names;
}

std::string current_isa() { return selected().load()->name; }

void set_isa(const std::string& name) {
  const Selected* t = find_supported(name);
  if (t == nullptr) {
    std::string msg = "isa '" + name + "' is not supported here; expected one of:";
    for (const std::string& s : supported_isas()) msg += " " + s;
    throw std::invalid_argument(msg);
  }
  selected().store(t);
}

template <>
const Kernels<float>& kernels<float>() {
  return selected().load()->f32;
}
template <>
const Kernels<double>& kernels<double>() {
  return selected().load()->f64;
}

}  // namespace nncore
