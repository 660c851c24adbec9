// nncore._core: the private bridge between Python and the kernels.
//
// The public, validated API lives in python/nncore; these functions still check every shape
// and length they rely on (std::invalid_argument becomes ValueError), take arrays only when
// they already have the right dtype and are C-contiguous (`noconvert`: nothing is copied), and
// release the GIL around the numerical work.
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
#include "nncore/mt19937.hpp"
#include "nncore/philox.hpp"
#include "nncore/threads.hpp"
#include "nncore/types.hpp"

namespace py = pybind11;

namespace nncore {
namespace {

template <class T>
using Array = py::array_t<T, py::array::c_style>;
template <class T>
using ArrayList = std::vector<Array<T>>;

void expect(bool ok, const std::string& what) {
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

Shape shape_of(const std::vector<long>& dims, int hidden, int output) {
  expect(hidden == kRelu || hidden == kTanh, "hidden: expected 0 (relu) or 1 (tanh)");
  expect(output == kSigmoid || output == kSoftmax || output == kIdentity,
         "output: expected 0 (sigmoid), 1 (softmax) or 2 (identity)");
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

template <class T>
py::tuple forward(const Array<T>& X, const ArrayList<T>& W, const ArrayList<T>& b, int hidden,
                  int output, double keep_prob, int mask_mode, const ArrayList<T>& masks,
                  std::uint64_t seed, std::uint64_t step) {
  expect(X.ndim() == 2, "X: expected 2 dimensions");
  const long m = static_cast<long>(X.shape(1));
  const std::vector<long> dims = dims_of(W, b, static_cast<long>(X.shape(0)));
  const Shape net = shape_of(dims, hidden, output);
  expect(keep_prob > 0.0 && keep_prob <= 1.0, "keep_prob: expected a value in (0, 1]");
  expect(mask_mode >= kNoDropout && mask_mode <= kGenerateMasks, "mask_mode: expected 0, 1 or 2");
  const int L = net.L;
  ArrayList<T> Z, A, D, Adrop;
  for (int l = 0; l < L; ++l) {
    Z.push_back(empty<T>(dims[l + 1], m));
    A.push_back(empty<T>(dims[l + 1], m));
    if (mask_mode != kNoDropout && l < L - 1) {
      Adrop.push_back(empty<T>(dims[l + 1], m));
      if (mask_mode == kGivenMasks) {
        expect(masks.size() == static_cast<std::size_t>(L - 1),
               "masks: expected one mask per hidden layer");
        expect_shape(masks[l], dims[l + 1], m, "D" + std::to_string(l + 1));
        D.push_back(masks[l]);
      } else {
        D.push_back(empty<T>(dims[l + 1], m));
      }
    }
  }
  const auto Wp = cptrs(W), bp = cptrs(b);
  auto Zp = mptrs(Z), Ap = mptrs(A), Dp = mptrs(D), Adp = mptrs(Adrop);
  const ForwardArgs<T> args{net,       m,         X.data(), Wp.data(),  bp.data(),
                            keep_prob, mask_mode, seed,     step,       Zp.data(),
                            Ap.data(), Dp.data(), Adp.data()};
  {
    py::gil_scoped_release release;  // Only raw pointers from here on.
    kernels<T>().forward(args);
  }
  return py::make_tuple(Z, A, D, Adrop);
}

template <class T>
py::tuple backward(const Array<T>& Y, const ArrayList<T>& W, const ArrayList<T>& Aprev,
                   const ArrayList<T>& Z, const ArrayList<T>& A, const ArrayList<T>& D,
                   int hidden, int output, double lambd, double keep_prob) {
  expect(!Aprev.empty() && Aprev[0].ndim() == 2, "Aprev: expected a list starting with X");
  const long m = static_cast<long>(Aprev[0].shape(1));
  std::vector<long> dims{static_cast<long>(Aprev[0].shape(0))};
  for (std::size_t l = 0; l < W.size(); ++l) {
    expect(W[l].ndim() == 2, "W" + std::to_string(l + 1) + ": expected 2 dimensions");
    dims.push_back(static_cast<long>(W[l].shape(0)));
  }
  const Shape net = shape_of(dims, hidden, output);
  const int L = net.L;
  expect(L >= 1, "W: expected at least one layer");
  expect(Aprev.size() == W.size() && Z.size() == W.size() && A.size() == W.size(),
         "Aprev, Z, A: expected one array per layer");
  expect(D.empty() || D.size() == W.size() - 1, "D: expected one mask per hidden layer or none");
  expect(keep_prob > 0.0 && keep_prob <= 1.0, "keep_prob: expected a value in (0, 1]");
  expect(lambd >= 0.0, "lambd: expected a value >= 0");
  expect_shape(Y, dims[L], m, "Y");
  ArrayList<T> dW, db;
  for (int l = 0; l < L; ++l) {
    const std::string idx = std::to_string(l + 1);
    expect_shape(W[l], dims[l + 1], dims[l], "W" + idx);
    expect_shape(Aprev[l], dims[l], m, "A_prev of layer " + idx);
    expect_shape(Z[l], dims[l + 1], m, "Z" + idx);
    expect_shape(A[l], dims[l + 1], m, "A" + idx);
    if (!D.empty() && l < L - 1) expect_shape(D[l], dims[l + 1], m, "D" + idx);
    dW.push_back(empty<T>(dims[l + 1], dims[l]));
    db.push_back(empty<T>(dims[l + 1], 1));
  }
  const auto Wp = cptrs(W), Ap_ = cptrs(Aprev), Zp = cptrs(Z), Ap = cptrs(A), Dp = cptrs(D);
  auto dWp = mptrs(dW), dbp = mptrs(db);
  const BackwardArgs<T> args{net,       m,         Y.data(),
                             Wp.data(), Ap_.data(), Zp.data(),
                             Ap.data(), D.empty() ? nullptr : Dp.data(),
                             lambd,     keep_prob, dWp.data(),
                             dbp.data()};
  {
    py::gil_scoped_release release;
    kernels<T>().backward(args);
  }
  return py::make_tuple(dW, db);
}

// In-place optimizer step on lists of arrays; returns Adam's bias-corrected moments.
template <class T>
py::object update(int optimizer, ArrayList<T>& P, const ArrayList<T>& G, ArrayList<T>& V,
                  ArrayList<T>& S, double learning_rate, double beta, double beta1, double beta2,
                  double epsilon, long t) {
  expect(optimizer == kGD || optimizer == kMomentum || optimizer == kAdam,
         "optimizer: expected 0 (gd), 1 (momentum) or 2 (adam)");
  const std::size_t n = P.size();
  expect(G.size() == n, "grads: expected one gradient per parameter");
  expect(optimizer == kGD || V.size() == n, "v: expected one array per parameter");
  expect(optimizer != kAdam || S.size() == n, "s: expected one array per parameter");
  expect(optimizer != kAdam || t >= 1, "t: expected t >= 1");
  std::vector<long> sizes;
  ArrayList<T> Vc, Sc;
  for (std::size_t k = 0; k < n; ++k) {
    expect(P[k].ndim() >= 1, "P: expected arrays of 1 or 2 dimensions");
    const long size = static_cast<long>(P[k].size());
    auto same = [&](const Array<T>& a, const char* what) {
      expect(a.ndim() == P[k].ndim() && a.size() == size,
             std::string(what) + ": expected the shape of parameter " + std::to_string(k));
    };
    same(G[k], "grads");
    if (optimizer != kGD) same(V[k], "v");
    if (optimizer == kAdam) {
      same(S[k], "s");
      Vc.push_back(empty<T>(P[k].shape(0), P[k].ndim() > 1 ? P[k].shape(1) : 1));
      Sc.push_back(empty<T>(P[k].shape(0), P[k].ndim() > 1 ? P[k].shape(1) : 1));
    }
    sizes.push_back(size);
  }
  auto Pp = mptrs(P), Vp = mptrs(V), Sp = mptrs(S), Vcp = mptrs(Vc), Scp = mptrs(Sc);
  const auto Gp = cptrs(G);
  const bool adam = optimizer == kAdam;
  const UpdateArgs<T> args{optimizer,
                           static_cast<long>(n),
                           sizes.data(),
                           Pp.data(),
                           Gp.data(),
                           optimizer == kGD ? nullptr : Vp.data(),
                           adam ? Sp.data() : nullptr,
                           adam ? Vcp.data() : nullptr,
                           adam ? Scp.data() : nullptr,
                           learning_rate,
                           beta,
                           beta1,
                           beta2,
                           epsilon,
                           t};
  {
    py::gil_scoped_release release;
    kernels<T>().update(args);
  }
  if (!adam) return py::none();
  return py::make_tuple(Vc, Sc);
}

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
double cost(int output, const Array<T>& A, const Array<T>& Y) {
  expect(A.ndim() == 2, "AL: expected 2 dimensions");
  expect_shape(Y, A.shape(0), A.shape(1), "Y");
  expect(output == kSigmoid || output == kSoftmax || output == kIdentity,
         "output: expected 0, 1 or 2");
  return kernels<T>().cost(output, static_cast<long>(A.shape(0)), static_cast<long>(A.shape(1)),
                           A.data(), Y.data());
}

template <class T>
double cost_from_logits(int output, const Array<T>& Z, const Array<T>& Y) {
  expect(Z.ndim() == 2, "ZL: expected 2 dimensions");
  expect_shape(Y, Z.shape(0), Z.shape(1), "Y");
  expect(output == kSigmoid || output == kSoftmax || output == kIdentity,
         "output: expected 0, 1 or 2");
  return kernels<T>().cost_from_logits(output, static_cast<long>(Z.shape(0)),
                                       static_cast<long>(Z.shape(1)), Z.data(), Y.data());
}

template <class T>
double sum_squares(const Array<T>& x) {
  return kernels<T>().sum_squares(static_cast<long>(x.size()), x.data());
}

// --- The training loop ----------------------------------------------------------------------

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
           Array<double>& costs, Array<std::int64_t>& state, const std::vector<long>& dims,
           int hidden, int output, int optimizer, long mini_batch_size, long num_epochs,
           std::uint32_t shuffle_seed, double lambd, double keep_prob, double beta, double beta1,
           double beta2, double epsilon, const Array<double>& learning_rates,
           std::uint64_t dropout_seed, const py::object& callback, long callback_every,
           double hook_seconds, int on_nonfinite) {
  expect(dims.size() >= 2, "dims: expected [n_x, n_1, ..., n_L]");
  // Widths are capped (as in nncore._validate) so that the products below cannot overflow:
  // an overflowed parameter count would let a tiny theta pass the size check.
  constexpr long kMaxWidth = std::numeric_limits<std::int32_t>::max();
  for (long d : dims) expect(d >= 1 && d <= kMaxWidth, "dims: expected sizes in [1, 2**31 - 1]");
  const Shape net = shape_of(dims, hidden, output);
  expect(optimizer == kGD || optimizer == kMomentum || optimizer == kAdam,
         "optimizer: expected 0, 1 or 2");
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
  expect(optimizer == kGD || (v.ndim() == 1 && v.shape(0) == n_params), "v: expected theta's size");
  expect(optimizer != kAdam || (s.ndim() == 1 && s.shape(0) == n_params), "s: expected theta's size");
  expect(num_epochs >= 0, "num_epochs: expected >= 0");
  expect(costs.ndim() == 1 && costs.shape(0) >= num_epochs, "costs: expected num_epochs entries");
  expect(learning_rates.ndim() == 1 && learning_rates.shape(0) >= num_epochs,
         "learning_rates: expected num_epochs entries");
  expect(state.ndim() == 1 && state.shape(0) == 4, "state: expected [t, step, epochs, stopped]");
  expect(keep_prob > 0.0 && keep_prob <= 1.0, "keep_prob: expected a value in (0, 1]");
  expect(lambd >= 0.0, "lambd: expected a value >= 0");
  expect(hook_seconds > 0.0, "hook_seconds: expected > 0");
  expect(on_nonfinite >= kIgnoreNonFinite && on_nonfinite <= kStopNonFinite,
         "on_nonfinite: expected 0 (ignore), 1 (report) or 2 (stop)");

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
                          optimizer == kGD ? nullptr : v.mutable_data(),
                          optimizer == kAdam ? s.mutable_data() : nullptr,
                          mini_batch_size,
                          num_epochs,
                          shuffle_seed,
                          lambd,
                          keep_prob,
                          beta,
                          beta1,
                          beta2,
                          epsilon,
                          learning_rates.data(),
                          &st[0],
                          dropout_seed,
                          &step,
                          costs.mutable_data(),
                          &train_hook,
                          &ctx,
                          callback_every,
                          hook_seconds,
                          on_nonfinite};
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
void bind_dtype(py::module_ m) {
  m.def("forward", &forward<T>, py::arg("X").noconvert(), py::arg("W").noconvert(),
        py::arg("b").noconvert(), py::arg("hidden"), py::arg("output"), py::arg("keep_prob"),
        py::arg("mask_mode"), py::arg("masks").noconvert(), py::arg("seed"), py::arg("step"),
        "Forward pass; returns (Z, A, D, A_dropped) lists.");
  m.def("backward", &backward<T>, py::arg("Y").noconvert(), py::arg("W").noconvert(),
        py::arg("A_prev").noconvert(), py::arg("Z").noconvert(), py::arg("A").noconvert(),
        py::arg("D").noconvert(), py::arg("hidden"), py::arg("output"), py::arg("lambd"),
        py::arg("keep_prob"), "Backward pass; returns (dW, db) lists.");
  m.def("update", &update<T>, py::arg("optimizer"), py::arg("P").noconvert(),
        py::arg("G").noconvert(), py::arg("V").noconvert(), py::arg("S").noconvert(),
        py::arg("learning_rate"), py::arg("beta"), py::arg("beta1"), py::arg("beta2"),
        py::arg("epsilon"), py::arg("t"),
        "Optimizer step in place on P (and V, S); Adam returns (v_corrected, s_corrected).");
  m.def("dropout_mask", &dropout_mask<T>, py::arg("seed"), py::arg("step"), py::arg("layer"),
        py::arg("n"), py::arg("m"), py::arg("keep_prob"), "Philox keep mask (1 kept, 0 dropped).");
  m.def("cost", &cost<T>, py::arg("output"), py::arg("AL").noconvert(), py::arg("Y").noconvert());
  m.def("cost_from_logits", &cost_from_logits<T>, py::arg("output"),
        py::arg("ZL").noconvert(), py::arg("Y").noconvert(),
        "Mean cost from the output pre-activation (finite if ZL is).");
  m.def("sum_squares", &sum_squares<T>, py::arg("x").noconvert());
  m.def("train", &train<T>, py::arg("X").noconvert(), py::arg("Y").noconvert(),
        py::arg("theta").noconvert(), py::arg("v").noconvert(), py::arg("s").noconvert(),
        py::arg("costs").noconvert(), py::arg("state").noconvert(), py::arg("dims"),
        py::arg("hidden"), py::arg("output"), py::arg("optimizer"), py::arg("mini_batch_size"),
        py::arg("num_epochs"), py::arg("shuffle_seed"), py::arg("lambd"), py::arg("keep_prob"),
        py::arg("beta"), py::arg("beta1"), py::arg("beta2"), py::arg("epsilon"),
        py::arg("learning_rates").noconvert(), py::arg("dropout_seed"), py::arg("callback"),
        py::arg("callback_every"), py::arg("hook_seconds"), py::arg("on_nonfinite"),
        "The whole training loop in one call, in place; returns the first non-finite epoch or -1.");
}

}  // namespace
}  // namespace nncore

PYBIND11_MODULE(_core, m) {
  using namespace nncore;
  m.doc() = "nncore's C++ core (private: use the nncore package).";
  bind_dtype<float>(m.def_submodule("f32", "float32 kernels"));
  bind_dtype<double>(m.def_submodule("f64", "float64 kernels"));
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
  m.attr("compiler") = NNCORE_COMPILER;
  m.attr("eigen_version") = NNCORE_EIGEN_VERSION;
  m.attr("version") = NNCORE_VERSION;
  // Selects the target now, so that a bad NNCORE_ISA fails the import with its message.
  current_isa();
  // Reads NNCORE_NUM_THREADS now, for the same reason.
  num_threads();
}
