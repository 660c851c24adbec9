// The training loop: its configuration (TrainConfig, built by keyword) and one call that runs
// every epoch in C++ with the GIL released, taking it back only in the hook.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "bind.hpp"
#include "nncore/dispatch.hpp"

namespace nncore {
namespace bindings {
namespace {

struct HookContext {
  py::object callback;  // callback(epochs_done, cost, periodic) -> bool (False stops)
  std::unique_ptr<py::error_already_set> error;
};

int train_hook(void* ctx, long epochs_done, double last_cost, int periodic) {
  auto* h = static_cast<HookContext*>(ctx);
  py::gil_scoped_acquire acquire;
  // Runs the Python signal handlers: Ctrl-C raises KeyboardInterrupt here, which stops the loop
  // with every array consistent and is re-raised to the caller, who keeps what was learned.
  if (PyErr_CheckSignals() != 0) {
    h->error = std::make_unique<py::error_already_set>();
    return 1;
  }
  if (h->callback.is_none()) return 0;
  try {
    const py::object keep_going = h->callback(epochs_done, last_cost, periodic != 0);
    return keep_going.is(py::bool_(false)) ? 1 : 0;
  } catch (py::error_already_set& e) {
    h->error = std::make_unique<py::error_already_set>(std::move(e));
    return 1;
  }
}

// Trains in place: theta, v, s, costs[0..epochs_done) and state = [t, step, epochs_done,
// status] are written as the loop goes, so they hold the progress even when an exception
// (KeyboardInterrupt, or one from the callback) is re-raised at the end. status is 0 (done),
// 1 (stopped by the hook) or 2 (diverged: stopped at a non-finite epoch, whose cost is in
// costs[epochs_done], with the state of the last finite one). Returns the first epoch of this
// call that ended with a non-finite cost or state, or -1 (always -1 with on_nonfinite = 0).
template <class T>
long train(const Array<T>& X, bool rows, const Array<T>& Y, const std::vector<long>& dims,
           int hidden, int output, Array<T>& theta, Array<T>& v, Array<T>& s,
           const Array<double>& learning_rates, Array<double>& costs,
           Array<std::int64_t>& state, const TrainConfig& config, const py::object& callback) {
  expect(dims.size() >= 2, "dims: expected [n_x, n_1, ..., n_L]");
  // Widths are capped (as in nncore._validate) so that the products below cannot overflow:
  // an overflowed parameter count would let a tiny theta pass the size check.
  constexpr long kMaxWidth = std::numeric_limits<std::int32_t>::max();
  for (long d : dims) expect(d >= 1 && d <= kMaxWidth, "dims: expected sizes in [1, 2**31 - 1]");
  const Shape net = shape_of(dims, hidden, output);
  const int optimizer = config.optimizer;
  expect_code(optimizer, kOptimizerNames, "optimizer");
  // rows: X is (m, n_x), one example per row (scikit-learn's layout), else (n_x, m).
  const int features = rows ? 1 : 0;
  expect(X.ndim() == 2 && X.shape(features) == dims.front() && X.shape(1 - features) >= 1,
         rows ? "X: expected shape (m, n_x) with m >= 1 (rows=True)"
              : "X: expected shape (n_x, m) with m >= 1");
  const long m = static_cast<long>(X.shape(1 - features));
  expect_shape(Y, dims.back(), m, "Y");
  // In 64 bits whatever `long` is (32 bits on Windows): every count must also fit a long.
  constexpr std::int64_t kMaxCount = std::numeric_limits<long>::max();
  std::int64_t n_params = 0;
  for (std::size_t l = 1; l < dims.size(); ++l) {
    const std::int64_t layer = std::int64_t{dims[l]} * dims[l - 1] + dims[l];  // < 2**63
    expect(n_params <= kMaxCount - layer, "dims: parameter count overflows");
    expect(std::int64_t{dims[l]} <= kMaxCount / m, "dims: workspace size overflows");
    n_params += layer;
  }
  expect(theta.ndim() == 1 && theta.shape(0) == n_params, "theta: expected the flat parameters");
  const bool has_v = keeps(optimizer, kStateV), has_s = keeps(optimizer, kStateS);
  expect(!has_v || (v.ndim() == 1 && v.shape(0) == n_params), "v: expected theta's size");
  expect(!has_s || (s.ndim() == 1 && s.shape(0) == n_params), "s: expected theta's size");
  const long num_epochs = config.num_epochs;
  expect(num_epochs >= 0, "num_epochs: expected >= 0");
  expect(costs.ndim() == 1 && costs.shape(0) >= num_epochs, "costs: expected num_epochs entries");
  expect(learning_rates.ndim() == 1 && learning_rates.shape(0) >= num_epochs,
         "learning_rates: expected num_epochs entries");
  expect(state.ndim() == 1 && state.shape(0) == 4, "state: expected [t, step, epochs, stopped]");
  expect(config.keep_prob > 0.0 && config.keep_prob <= 1.0,
         "keep_prob: expected a value in (0, 1]");
  expect(config.lambd >= 0.0, "lambd: expected a value >= 0");
  expect(config.hook_seconds > 0.0, "hook_seconds: expected > 0");
  expect_code(config.on_nonfinite, kNonFiniteNames, "on_nonfinite");

  std::int64_t* st = state.mutable_data();
  std::uint64_t step = static_cast<std::uint64_t>(st[1]);
  HookContext ctx{callback, nullptr};
  // The one place a TrainArgs is built, field by field.
  TrainArgs<T> args{};
  static_cast<TrainConfig&>(args) = config;
  args.net = net;
  args.m = m;
  args.n_x = dims.front();
  args.n_y = dims.back();
  args.x_rows = rows;
  args.X = X.data();
  args.Y = Y.data();
  args.theta = theta.mutable_data();
  args.v = has_v ? v.mutable_data() : nullptr;
  args.s = has_s ? s.mutable_data() : nullptr;
  args.learning_rates = learning_rates.data();
  args.t = &st[0];
  args.step = &step;
  args.costs = costs.mutable_data();
  args.hook = &train_hook;
  args.hook_ctx = &ctx;
  TrainResult result;
  {
    py::gil_scoped_release release;  // The hook takes the GIL back only when it runs.
    result = kernels<T>().train(args);
  }
  st[1] = static_cast<std::int64_t>(step);
  st[2] = result.epochs_done;
  st[3] = result.status;
  if (ctx.error) throw std::move(*ctx.error);
  return result.nonfinite_epoch;
}

template <class V>
std::string expected_value() {
  if (std::is_floating_point<V>::value) return "a float";
  return "an integer in [" + std::to_string(std::numeric_limits<V>::min()) + ", " +
         std::to_string(std::numeric_limits<V>::max()) + "]";
}

// config.<name> = kwargs[name], converted like an argument of that type (no float -> int).
template <class V>
void take(const py::kwargs& kwargs, const char* name, V& field) {
  if (!kwargs.contains(name)) {
    throw py::type_error(std::string("TrainConfig: missing keyword argument '") + name + "'");
  }
  py::detail::make_caster<V> caster;
  if (!caster.load(kwargs[name], true)) {
    throw py::type_error(std::string("TrainConfig: ") + name + " expected " + expected_value<V>() +
                         ", got " + py::repr(kwargs[name]).cast<std::string>());
  }
  field = py::detail::cast_op<V>(caster);
}

void bind_config(py::module_& m) {
  py::class_<TrainConfig> cls(m, "TrainConfig",
                              "The training loop's settings, all by keyword: TrainConfig(*, "
                              "optimizer=..., ..., on_nonfinite=...) with every field below.");
  // Every field is required and no other keyword is accepted, so none is left at a default.
  cls.def(py::init([](const py::kwargs& kwargs) {
    static const char* const names[] = {
#define NNCORE_NAME(type, name, what) #name,
        NNCORE_TRAIN_CONFIG(NNCORE_NAME)
#undef NNCORE_NAME
    };
    for (const auto& item : kwargs) {
      const std::string key = py::str(item.first);
      bool known = false;
      for (const char* name : names) known = known || key == name;
      if (!known) throw py::type_error("TrainConfig: unexpected keyword argument '" + key + "'");
    }
    TrainConfig config{};
#define NNCORE_TAKE(type, name, what) take(kwargs, #name, config.name);
    NNCORE_TRAIN_CONFIG(NNCORE_TAKE)
#undef NNCORE_TAKE
    return config;
  }));
#define NNCORE_BIND(type, name, what) cls.def_readwrite(#name, &TrainConfig::name, what);
  NNCORE_TRAIN_CONFIG(NNCORE_BIND)
#undef NNCORE_BIND
}

template <class T>
void bind_train_dtype(py::module_& m) {
  // Keyword-only: the arrays by name, the settings in one TrainConfig.
  m.def("train", &train<T>, py::kw_only(), py::arg("X").noconvert(),
        py::arg("rows").noconvert(), py::arg("Y").noconvert(), py::arg("dims"),
        py::arg("hidden"), py::arg("output"), py::arg("theta").noconvert(),
        py::arg("v").noconvert(), py::arg("s").noconvert(),
        py::arg("learning_rates").noconvert(), py::arg("costs").noconvert(),
        py::arg("state").noconvert(), py::arg("config"), py::arg("callback"),
        "The whole training loop in one call, in place; returns the first non-finite epoch or -1.");
}

}  // namespace

void bind_train(py::module_& m, py::module_& f32, py::module_& f64) {
  bind_config(m);  // first: train's signature names the class
  bind_train_dtype<float>(f32);
  bind_train_dtype<double>(f64);
}

}  // namespace bindings
}  // namespace nncore
