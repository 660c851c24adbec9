// The passes on lists of arrays, per dtype: forward, backward, the optimizer update, costs.
#include <cstdint>
#include <string>
#include <vector>

#include "bind.hpp"
#include "nncore/dispatch.hpp"

namespace nncore {
namespace bindings {
namespace {

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
  expect_code(optimizer, kOptimizerNames, "optimizer");
  const bool has_v = keeps(optimizer, kStateV), has_s = keeps(optimizer, kStateS);
  const std::size_t n = P.size();
  expect(G.size() == n, "grads: expected one gradient per parameter");
  expect(!has_v || V.size() == n, "v: expected one array per parameter");
  expect(!has_s || S.size() == n, "s: expected one array per parameter");
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
    if (has_v) same(V[k], "v");
    if (has_s) same(S[k], "s");
    if (optimizer == kAdam) {
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
                           has_v ? Vp.data() : nullptr,
                           has_s ? Sp.data() : nullptr,
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
double cost(int output, const Array<T>& A, const Array<T>& Y) {
  expect(A.ndim() == 2, "AL: expected 2 dimensions");
  expect_shape(Y, A.shape(0), A.shape(1), "Y");
  expect_code(output, kOutputNames, "output");
  return kernels<T>().cost(output, static_cast<long>(A.shape(0)), static_cast<long>(A.shape(1)),
                           A.data(), Y.data());
}

template <class T>
double cost_from_logits(int output, const Array<T>& Z, const Array<T>& Y) {
  expect(Z.ndim() == 2, "ZL: expected 2 dimensions");
  expect_shape(Y, Z.shape(0), Z.shape(1), "Y");
  expect_code(output, kOutputNames, "output");
  return kernels<T>().cost_from_logits(output, static_cast<long>(Z.shape(0)),
                                       static_cast<long>(Z.shape(1)), Z.data(), Y.data());
}

template <class T>
double sum_squares(const Array<T>& x) {
  return kernels<T>().sum_squares(static_cast<long>(x.size()), x.data());
}

// dZ = dA * g'(z) of a hidden activation, from its output A = g(z).
template <class T>
Array<T> activation_backward(int hidden, const Array<T>& dA, const Array<T>& A) {
  expect_code(hidden, kHiddenNames, "hidden");
  expect(dA.ndim() == 2, "dA: expected 2 dimensions");
  expect_shape(A, static_cast<long>(dA.shape(0)), static_cast<long>(dA.shape(1)), "A");
  Array<T> dZ({dA.shape(0), dA.shape(1)});
  T* out = dZ.mutable_data();
  py::gil_scoped_release release;  // Raw pointers only.
  kernels<T>().hidden_backward(hidden, static_cast<long>(dA.size()), dA.data(), A.data(), out);
  return dZ;
}

template <class T>
void bind_dtype(py::module_& m) {
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
  m.def("cost", &cost<T>, py::arg("output"), py::arg("AL").noconvert(), py::arg("Y").noconvert());
  m.def("cost_from_logits", &cost_from_logits<T>, py::arg("output"),
        py::arg("ZL").noconvert(), py::arg("Y").noconvert(),
        "Mean cost from the output pre-activation (finite if ZL is).");
  m.def("sum_squares", &sum_squares<T>, py::arg("x").noconvert());
  m.def("activation_backward", &activation_backward<T>, py::arg("hidden"),
        py::arg("dA").noconvert(), py::arg("A").noconvert(),
        "dZ = dA * g'(z) of a hidden activation, from its output A = g(z).");
}

}  // namespace

void bind_passes(py::module_& f32, py::module_& f64) {
  bind_dtype<float>(f32);
  bind_dtype<double>(f64);
}

}  // namespace bindings
}  // namespace nncore
