// The training loop, nncore._core.f64.train / .f32.train: the whole loop in one call, in place,
// with a hook that takes the GIL only between steps (Ctrl-C, progress, the callback).
#include "common.hpp"

namespace nncore {
namespace bind {
namespace {

// The training configuration: every scalar of a training call, by name (bound as
// nncore._core.TrainConfig with keyword-only fields), so that no two values can swap places.
struct TrainConfig {
  std::vector<long> dims;  // [n_x, n_1, ..., n_L]
  int hidden = kRelu, output = kSigmoid, optimizer = kGD;
  long mini_batch_size = 0;  // <= 0: full batch
  long num_epochs = 0;
  std::uint32_t shuffle_seed = 0;
  double lambd = 0.0, keep_prob = 1.0;
  double beta = 0.9, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  std::uint64_t dropout_seed = 0;
  long callback_every = 0;  // 0: no periodic call
  double hook_seconds = 0.05;
  int on_nonfinite = kIgnoreNonFinite;
};

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
long train(const Array<T>& X, const Array<T>& Y, Array<T>& theta, Array<T>& v, Array<T>& s,
           Array<double>& costs, Array<std::int64_t>& state,
           const Array<double>& learning_rates, const TrainConfig& c,
           const py::object& callback) {
  const std::vector<long>& dims = c.dims;
  const int optimizer = c.optimizer;
  const long num_epochs = c.num_epochs;
  const double lambd = c.lambd, keep_prob = c.keep_prob;
  expect(dims.size() >= 2, "dims: expected [n_x, n_1, ..., n_L]");
  // Widths are capped (as in nncore._validate) so that the products below cannot overflow:
  // an overflowed parameter count would let a tiny theta pass the size check.
  constexpr long kMaxWidth = std::numeric_limits<std::int32_t>::max();
  for (long d : dims) expect(d >= 1 && d <= kMaxWidth, "dims: expected sizes in [1, 2**31 - 1]");
  const Shape net = shape_of(dims, c.hidden, c.output);
  expect_code(optimizer, optimizer_name, "optimizer");
  const OptimizerSlots slots = optimizer_slots(static_cast<Optimizer>(optimizer));
  expect(X.ndim() == 2 && X.shape(0) == dims.front() && X.shape(1) >= 1,
         "X: expected shape (n_x, m) with m >= 1");
  const long m = static_cast<long>(X.shape(1));
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
  expect(!slots.v || (v.ndim() == 1 && v.shape(0) == n_params), "v: expected theta's size");
  expect(!slots.s || (s.ndim() == 1 && s.shape(0) == n_params), "s: expected theta's size");
  expect(num_epochs >= 0, "num_epochs: expected >= 0");
  expect(costs.ndim() == 1 && costs.shape(0) >= num_epochs, "costs: expected num_epochs entries");
  expect(learning_rates.ndim() == 1 && learning_rates.shape(0) >= num_epochs,
         "learning_rates: expected num_epochs entries");
  expect(state.ndim() == 1 && state.shape(0) == 4, "state: expected [t, step, epochs, stopped]");
  expect(keep_prob > 0.0 && keep_prob <= 1.0, "keep_prob: expected a value in (0, 1]");
  expect(lambd >= 0.0, "lambd: expected a value >= 0");
  expect(c.hook_seconds > 0.0, "hook_seconds: expected > 0");
  expect_code(c.on_nonfinite, nonfinite_name, "on_nonfinite");

  std::int64_t* st = state.mutable_data();
  std::uint64_t step = static_cast<std::uint64_t>(st[1]);
  HookContext ctx{callback, nullptr};
  const TrainArgs<T> args{net,
                          optimizer,
                          m,
                          dims.front(),
                          dims.back(),
                          X.data(),
                          Y.data(),
                          theta.mutable_data(),
                          slots.v ? v.mutable_data() : nullptr,
                          slots.s ? s.mutable_data() : nullptr,
                          c.mini_batch_size,
                          num_epochs,
                          c.shuffle_seed,
                          lambd,
                          keep_prob,
                          Hyper{c.beta, c.beta1, c.beta2, c.epsilon},
                          learning_rates.data(),
                          &st[0],
                          c.dropout_seed,
                          &step,
                          costs.mutable_data(),
                          &train_hook,
                          &ctx,
                          c.callback_every,
                          c.hook_seconds,
                          c.on_nonfinite};
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

template <class T>
void bind_train_dtype(py::module_ m) {
  m.def("train", &train<T>, py::arg("X").noconvert(), py::arg("Y").noconvert(),
        py::arg("theta").noconvert(), py::arg("v").noconvert(), py::arg("s").noconvert(),
        py::arg("costs").noconvert(), py::arg("state").noconvert(),
        py::arg("learning_rates").noconvert(), py::kw_only(), py::arg("config"),
        py::arg("callback"),
        "The whole training loop in one call, in place; returns the first non-finite epoch or -1.");
}

}  // namespace

void bind_train(py::module_& m) {
  py::class_<TrainConfig>(m, "TrainConfig",
                          "The scalars of a training call, by name (nncore._core.f64.train).")
      .def(py::init([](std::vector<long> dims, int hidden, int output, int optimizer,
                       long mini_batch_size, long num_epochs, std::uint32_t shuffle_seed,
                       double lambd, double keep_prob, double beta, double beta1, double beta2,
                       double epsilon, std::uint64_t dropout_seed, long callback_every,
                       double hook_seconds, int on_nonfinite) {
             return TrainConfig{std::move(dims), hidden,       output,        optimizer,
                                mini_batch_size, num_epochs,   shuffle_seed,  lambd,
                                keep_prob,       beta,         beta1,         beta2,
                                epsilon,         dropout_seed, callback_every, hook_seconds,
                                on_nonfinite};
           }),
           py::kw_only(), py::arg("dims"), py::arg("hidden"), py::arg("output"),
           py::arg("optimizer"), py::arg("mini_batch_size"), py::arg("num_epochs"),
           py::arg("shuffle_seed"), py::arg("lambd"), py::arg("keep_prob"), py::arg("beta"),
           py::arg("beta1"), py::arg("beta2"), py::arg("epsilon"), py::arg("dropout_seed"),
           py::arg("callback_every"), py::arg("hook_seconds"), py::arg("on_nonfinite"))
      .def_readonly("dims", &TrainConfig::dims)
      .def_readonly("hidden", &TrainConfig::hidden)
      .def_readonly("output", &TrainConfig::output)
      .def_readonly("optimizer", &TrainConfig::optimizer)
      .def_readonly("mini_batch_size", &TrainConfig::mini_batch_size)
      .def_readonly("num_epochs", &TrainConfig::num_epochs)
      .def_readonly("shuffle_seed", &TrainConfig::shuffle_seed)
      .def_readonly("lambd", &TrainConfig::lambd)
      .def_readonly("keep_prob", &TrainConfig::keep_prob)
      .def_readonly("beta", &TrainConfig::beta)
      .def_readonly("beta1", &TrainConfig::beta1)
      .def_readonly("beta2", &TrainConfig::beta2)
      .def_readonly("epsilon", &TrainConfig::epsilon)
      .def_readonly("dropout_seed", &TrainConfig::dropout_seed)
      .def_readonly("callback_every", &TrainConfig::callback_every)
      .def_readonly("hook_seconds", &TrainConfig::hook_seconds)
      .def_readonly("on_nonfinite", &TrainConfig::on_nonfinite);
  bind_train_dtype<float>(m.attr("f32").cast<py::module_>());
  bind_train_dtype<double>(m.attr("f64").cast<py::module_>());
}

}  // namespace bind
}  // namespace nncore
