"""scikit-learn estimators backed by :class:`nncore.Network`: ``MLPClassifier`` and
``MLPRegressor``.

They take scikit-learn's ``(n_samples, n_features)`` layout and the parameters of
:class:`sklearn.neural_network.MLPClassifier` / ``MLPRegressor`` (scikit-learn's own test
module ``sklearn/neural_network/tests/test_mlp.py`` runs on them: see ``docs/sklearn.md``).
The network is :attr:`network_`; these classes translate layouts, labels and parameters and
decide when to stop. Training takes one of three routes:

- the core's training loop (``Network.fit``), for ``solver="sgd"``/``"adam"`` on dense ``X``
  without per-example weights: the whole epoch runs in C++;
- a minibatch loop in Python over the core's forward and backward kernels, for what that loop
  does not do: ``sample_weight`` that is not constant, ``loss="poisson"``, sparse ``X``
  (densified one minibatch at a time, never whole), ``shuffle=False``, classical momentum with
  a changing learning rate, ``momentum=1``, and Nesterov momentum when the core has no
  ``"nesterov"`` optimizer;
- ``solver="lbfgs"``: scipy's L-BFGS-B over the full-batch loss and gradient of the same
  kernels (sparse ``X`` densified in blocks of rows).

The second and third use :func:`_loss_and_gradient`: the weighted mean loss of scikit-learn
(>= 1.7), ``sum_i w_i loss_i / sum_i w_i + alpha / (2 sum_i w_i) sum ||W||^2``. Its gradient
comes from the core's backward pass with the targets moved: for the canonical losses (sigmoid
and binary cross-entropy, softmax and categorical cross-entropy, identity and squared error,
exp and Poisson deviance) ``d loss_i / d z_i = p_i - y_i``, so targets
``y'_i = a_i - c_i (p_i - y_i)`` make the core's ``(a - y') / m`` equal the weighted gradient.

scikit-learn (>= 1.6) is an optional dependency: ``import nncore`` does not import it, this
module does.
"""

from __future__ import annotations

import numbers
import warnings
from typing import ClassVar

import numpy as np

try:
    import scipy.optimize
    import scipy.sparse
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils import check_random_state, column_or_1d, gen_batches
    from sklearn.utils._param_validation import Interval, Options, StrOptions
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import check_classification_targets, unique_labels
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "nncore.sklearn needs scikit-learn >= 1.6 (pip install 'scikit-learn>=1.6'); "
        f"importing it failed: {exc}"
    ) from exc

from . import _mirror
from ._mirror import HIDDEN, OPTIMIZER_CODES
from ._training import OUTPUTS, TrainingDiverged
from .network import INITIALIZATIONS, Network

__all__ = ["MLPClassifier", "MLPRegressor"]

# scikit-learn's names of the output activations.
OUT_ACTIVATIONS = {"sigmoid": "logistic", "softmax": "softmax", "identity": "identity"}
MAX_SEED = 2**31
# Values of X handled at once (blocks of rows, 8 MiB of float64): the full-batch loss of
# lbfgs transposes a block of a dense X (or densifies one of a sparse X) at a time, predictions
# densify a sparse X a block at a time; minibatches are their own size.
BLOCK_VALUES = 2**20
DIVERGED = (
    "Solver produced non-finite parameter weights. The input data may contain large values "
    "and need to be preprocessed (or lower learning_rate_init)."
)


class _LearningRate:
    """scikit-learn's learning-rate schedules: what its optimizers keep in ``learning_rate``.

    ``"constant"`` keeps ``learning_rate_init``; ``"invscaling"`` sets
    ``learning_rate_init / (t + 1) ** power_t`` after each epoch, ``t`` being the training
    samples seen; ``"adaptive"`` divides by 5 each time training would stop for lack of
    improvement, until it is at most 1e-6. Adam ignores schedules (``"constant"``).
    """

    def __init__(self, schedule: str, learning_rate_init: float, power_t: float):
        self.schedule = schedule
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.learning_rate = learning_rate_init

    def rate_after(self, t: int) -> float:
        """The rate of an epoch that starts after ``t`` samples (after the first epoch)."""
        if self.schedule == "invscaling":
            return self.learning_rate_init / (t + 1) ** self.power_t
        return self.learning_rate

    def iteration_ends(self, t: int) -> None:
        self.learning_rate = self.rate_after(t)

    def trigger_stopping(self, msg: str, verbose) -> bool:
        """``True`` to stop; ``"adaptive"`` lowers the rate instead while it is above 1e-6."""
        if self.schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + f" Setting learning rate to {self.learning_rate:f}")
        return False


def _rows(X, dtype) -> np.ndarray:
    """Rows of ``X`` (dense, or CSR: densified now) as the core's C-contiguous ``(n_x, m)``."""
    if scipy.sparse.issparse(X):
        X = X.toarray()
    return np.ascontiguousarray(X.T, dtype=dtype)


def _blocks(n: int, X, dense_too: bool = False):
    """Slices of ``n`` rows of ``X`` to handle at once: blocks of ``BLOCK_VALUES`` values for a
    sparse ``X`` (and a dense one with ``dense_too``), else all of them."""
    if not (dense_too or scipy.sparse.issparse(X)):
        return [slice(0, n)]
    return gen_batches(n, max(1, BLOCK_VALUES // X.shape[1]))


def _example_losses(kind: str, Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Loss of each example (column) from the output pre-activation ``Z``.

    ``kind`` is the network output or ``"poisson"`` (identity network, ``exp`` link). The
    cross-entropies are computed from ``Z`` (as the core's recorded cost) so saturation gives a
    large finite loss; Poisson is the half deviance scikit-learn uses, without constants.
    """
    if kind == "sigmoid":
        return np.sum(np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z))), axis=0)
    if kind == "softmax":
        top = Z.max(axis=0)
        lse = top + np.log(np.sum(np.exp(Z - top), axis=0))
        return lse - np.sum(Y * Z, axis=0)
    if kind == "poisson":
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1)), 0)
        return np.sum(np.exp(Z) - Y * Z + ylogy - Y, axis=0)
    return 0.5 * np.sum((Z - Y) ** 2, axis=0)


def _loss_and_gradient(net: Network, kind: str, W, b, X, Y, w, alpha: float, rows=None):
    """Weighted mean loss and its gradient over the examples ``rows`` of ``X`` (all if None).

    ``kind`` is ``"poisson"`` (the network's identity output is the log of the prediction)
    or anything else for the loss of the network's output.

    ``W``, ``b``: the core's parameter lists (``(n_out, n_in)``, ``(n_out, 1)``) in the
    network's dtype. ``X``: ``(n_samples, n_features)``, dense or CSR. ``Y``: targets
    ``(n_samples, n_outputs)`` (one-hot or 0/1 for classifiers). ``w``: weights (n_samples,).
    Returns ``(loss, dW, db)`` with the gradient lists in the network's dtype.
    """
    kernels = _mirror.core_for(net.dtype)
    hidden, output = HIDDEN[net.hidden_activation], OUTPUTS[net.output]
    kind = "poisson" if kind == "poisson" else net.output
    idx = np.arange(X.shape[0]) if rows is None else rows
    total = float(np.sum(w[idx], dtype=np.float64))
    loss = 0.0
    dW = [np.zeros_like(Wl) for Wl in W]
    db = [np.zeros_like(bl) for bl in b]
    # In blocks of rows, dense X too: one block at a time is transposed (a slice when rows is
    # None, so no copy of X is made), so the memory is a block's whatever n_samples.
    for block in _blocks(len(idx), X, dense_too=True):
        sel = block if rows is None else idx[block]
        Xb = _rows(X[sel], net.dtype)
        Yb = np.ascontiguousarray(Y[sel].T, dtype=net.dtype)
        wb = w[sel].astype(net.dtype)
        Z, A, _, _ = kernels.forward(Xb, W, b, hidden, output, 1.0, 0, [], 0, 0)
        P = np.exp(Z[-1]) if kind == "poisson" else A[-1]
        loss += float(np.dot(_example_losses(kind, Z[-1], Yb), wb))
        # Moved targets: the core's (A - Y') / m is then sum_i w_i (p_i - y_i) a_i / total.
        c = wb * (len(wb) / total)
        Ymoved = np.ascontiguousarray(A[-1] - c * (P - Yb))
        gW, gb = kernels.backward(Ymoved, W, [Xb, *A[:-1]], Z, A, [], hidden, output, 0.0, 1.0)
        for l in range(len(W)):
            dW[l] += gW[l]
            db[l] += gb[l]
    squares = sum(float(np.dot(Wl.ravel(), Wl.ravel())) for Wl in W)
    loss = loss / total + 0.5 * alpha * squares / total
    for l, Wl in enumerate(W):
        dW[l] += (alpha / total) * Wl
    return loss, dW, db


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, the training runs, layouts."""

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(numbers.Real, 0, None, closed="neither")],
        "power_t": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(numbers.Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "beta_1": [Interval(numbers.Real, 0, 1, closed="left")],
        "beta_2": [Interval(numbers.Real, 0, 1, closed="left")],
        "epsilon": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Options(numbers.Real, {np.inf}),
        ],
        "max_fun": [Interval(numbers.Integral, 1, None, closed="left")],
        "keep_prob": [Interval(numbers.Real, 0, 1, closed="right")],
        "initialization": [StrOptions({"glorot", *INITIALIZATIONS})],
        "dtype": [None, StrOptions({"float64", "float32"}), type, np.dtype],
    }

    _output_for_score: str | None = None  # set by subclasses
    _loss_kind = "log_loss"

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        keep_prob=1.0,
        initialization="glorot",
        dtype=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.keep_prob = keep_prob
        self.initialization = initialization
        self.dtype = dtype

    # -----------------------------------------------------------------------------------------
    # Parameters
    # -----------------------------------------------------------------------------------------

    def _sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _check_support(self) -> None:
        """What scikit-learn accepts but this build of nncore cannot do, refused clearly."""
        if self.activation not in HIDDEN:
            raise ValueError(
                f"activation={self.activation!r} needs a core with that hidden activation; "
                f"this build of nncore has {tuple(HIDDEN)}"
            )
        if self.keep_prob < 1 and self.solver == "lbfgs":
            raise ValueError("keep_prob < 1 (dropout) needs solver='sgd' or 'adam'")

    def _dtype_for(self, X) -> np.dtype:
        """The network's dtype: ``dtype`` if given, else ``X``'s (float32 stays float32)."""
        if self.dtype is not None:
            return np.dtype(self.dtype)
        return np.dtype(np.float32) if X.dtype == np.float32 else np.dtype(np.float64)

    def _momentum_route(self) -> dict | None:
        """``Network.fit`` arguments of ``solver="sgd"``, or ``None`` if the core cannot.

        scikit-learn's momentum is ``u = momentum u - lr g; W += u``; the course's
        ``v = beta v + (1 - beta) g; W -= lr' v``. With ``beta = momentum`` and
        ``lr' = lr / (1 - momentum)`` the two take the same steps (``u = -lr' v``) while the
        rate is constant; a changing rate (``"invscaling"``, ``"adaptive"``) would rescale the
        course's past steps, so those runs take the Python loop. Nesterov's form
        (scikit-learn's ``W += momentum u - lr g``) is the core's ``"nesterov"`` optimizer
        when it has one.
        """
        m = float(self.momentum)
        if m == 0:
            return {"optimizer": "gd", "scale": 1.0}
        if self.nesterovs_momentum:
            if "nesterov" in OPTIMIZER_CODES:
                return {"optimizer": "nesterov", "beta": m, "scale": 1.0}
            return None
        if m >= 1 or self.learning_rate != "constant":
            return None
        return {"optimizer": "momentum", "beta": m, "scale": 1.0 / (1.0 - m)}

    # -----------------------------------------------------------------------------------------
    # Layout and predictions
    # -----------------------------------------------------------------------------------------

    def _check_X(self, X):
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], reset=False, dtype=(np.float64, np.float32)
        )
        return X.tocsr() if scipy.sparse.issparse(X) else X

    def _raw(self, X) -> np.ndarray:
        """The network's output ``(n_outputs, n_samples)`` (a transposed view) for checked
        ``X``. The network takes the rows as they are and converts them a block at a time."""
        net = self.network_
        forward = net.predict if net.output == "identity" else net.predict_proba
        parts = [
            forward(X[block].toarray() if scipy.sparse.issparse(X) else X[block], layout="rows")
            for block in _blocks(X.shape[0], X)
        ]
        A = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
        if self._loss_kind == "poisson":
            A = np.exp(A)
        return A.T

    def _output(self, X) -> np.ndarray:
        """The network's output for ``X`` in scikit-learn's layout ``(n_samples, n_outputs)``."""
        check_is_fitted(self)
        return self._raw(self._check_X(X)).T

    # -----------------------------------------------------------------------------------------
    # Parameters in scikit-learn's layout (the network holds them)
    # -----------------------------------------------------------------------------------------

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weights, ``coefs_[i]`` of shape ``(n_in, n_out)`` (``W{i+1}.T``). Copies; assign a
        whole list (``est.coefs_ = [...]``) to change the network's."""
        check_is_fitted(self, "network_")
        p = self.network_.parameters
        return [p[f"W{l}"].T.copy() for l in range(1, len(self.network_.layers_dims))]

    @coefs_.setter
    def coefs_(self, coefs) -> None:
        self._set_layers(coefs, None)

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Biases, ``intercepts_[i]`` of shape ``(n_out,)``. Copies; assign a whole list to
        change the network's."""
        check_is_fitted(self, "network_")
        p = self.network_.parameters
        return [p[f"b{l}"].ravel() for l in range(1, len(self.network_.layers_dims))]

    @intercepts_.setter
    def intercepts_(self, intercepts) -> None:
        self._set_layers(None, intercepts)

    def _set_layers(self, coefs, intercepts) -> None:
        if not hasattr(self, "network_"):
            raise AttributeError(
                "coefs_ and intercepts_ can be assigned once the estimator is fitted (they "
                "replace the parameters of network_, which sets the architecture)"
            )
        net = self.network_
        L = len(net.layers_dims) - 1
        p = net.parameters
        for name, values in (("coefs_", coefs), ("intercepts_", intercepts)):
            if values is None:
                continue
            if len(values) != L:
                raise ValueError(f"{name} must be a list of {L} arrays, got {len(values)}")
            for l, a in enumerate(values, start=1):
                key = f"W{l}" if name == "coefs_" else f"b{l}"
                want = p[key].shape
                a = np.asarray(a, dtype=net.dtype)
                a = a.T if name == "coefs_" else a.reshape(-1, 1)
                if a.shape != want:
                    raise ValueError(
                        f"{name}[{l - 1}] has shape {a.T.shape if name == 'coefs_' else a.shape}"
                        f", expected {want[::-1] if name == 'coefs_' else (want[0],)}"
                    )
                p[key] = a
        net.parameters = p

    def _packed(self) -> np.ndarray:
        """Parameters packed as scikit-learn's lbfgs packs them (coefs, then intercepts)."""
        return np.concatenate([c.ravel() for c in self.coefs_ + self.intercepts_])

    def _unpack(self, theta) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The core's ``W``, ``b`` lists from scikit-learn's packing, in the network's dtype."""
        dims = self.network_.layers_dims
        dt = self.network_.dtype
        W, b, at = [], [], 0
        for l in range(1, len(dims)):
            n = dims[l - 1] * dims[l]
            W.append(np.ascontiguousarray(theta[at : at + n].reshape(dims[l - 1], dims[l]).T, dt))
            at += n
        for l in range(1, len(dims)):
            b.append(np.ascontiguousarray(theta[at : at + dims[l]].reshape(-1, 1), dt))
            at += dims[l]
        return W, b

    def _loss_grad_lbfgs(self, packed, X, Y, sample_weight, *unused):
        """Loss and gradient at ``packed`` (scikit-learn's packing and signature).

        Parameters
        ----------
        packed : ndarray
            Coefficients then intercepts, raveled, as scikit-learn's ``_pack``.
        X : array_like or sparse matrix of shape (n_samples, n_features)
        Y : array_like of shape (n_samples, n_outputs)
            Targets as the network sees them (binarized labels for a classifier).
        sample_weight : array_like of shape (n_samples,) or None
        *unused
            scikit-learn's work buffers; not needed.

        Returns
        -------
        loss : float
        grad : ndarray of float64, scikit-learn's packing
        """
        W, b = self._unpack(np.asarray(packed))
        X = X.tocsr() if scipy.sparse.issparse(X) else np.asarray(X)
        Y = np.asarray(Y, dtype=np.float64).reshape(X.shape[0], -1)
        w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
        loss, dW, db = _loss_and_gradient(
            self.network_, self._loss_kind, W, b, X, Y, w, float(self.alpha)
        )
        grad = np.concatenate([g.T.ravel() for g in dW] + [g.ravel() for g in db])
        return loss, grad.astype(np.float64)

    # -----------------------------------------------------------------------------------------
    # Training
    # -----------------------------------------------------------------------------------------

    def _initialize(self, n_features: int, n_outputs: int, dtype, rng) -> None:
        sizes = self._sizes()
        dims = [n_features, *sizes, n_outputs]
        if self.initialization == "glorot":
            # scikit-learn's draw, in its order: same random_state, same initial parameters.
            factor = 2.0 if self.activation == "logistic" else 6.0
            init = {}
            for l in range(1, len(dims)):
                bound = np.sqrt(factor / (dims[l - 1] + dims[l]))
                init[f"W{l}"] = rng.uniform(-bound, bound, (dims[l - 1], dims[l])).T.astype(dtype)
                init[f"b{l}"] = rng.uniform(-bound, bound, dims[l]).reshape(-1, 1).astype(dtype)
        rs = self.random_state
        if isinstance(rs, numbers.Integral) and 0 <= int(rs) < MAX_SEED:
            seed = int(rs)
        else:
            seed = int(rng.randint(MAX_SEED))
        self.network_ = Network(
            dims,
            hidden_activation=self.activation,
            output=self._network_output(),
            initialization="zeros" if self.initialization == "glorot" else self.initialization,
            dtype=dtype,
            seed=seed,
        )
        if self.initialization == "glorot":
            self.network_.parameters = init
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(dims)
        self.out_activation_ = (
            "exp" if self._loss_kind == "poisson" else (OUT_ACTIVATIONS[self.network_.output])
        )
        self.n_iter_ = 0
        self.t_ = 0
        self._slow_state: dict | None = None
        if self.solver != "lbfgs":
            self.loss_curve_: list = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_: list | None = []
                self.best_validation_score_: float | None = -np.inf
                self.best_loss_: float | None = None
            else:
                self.validation_scores_ = None
                self.best_validation_score_ = None
                self.best_loss_ = np.inf

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
        self._validate_params()
        self._check_support()
        sizes = self._sizes()
        first = not hasattr(self, "network_") or not (self.warm_start or incremental)
        X, y, Y = self._validate_input(X, y, incremental, first, classes)
        if scipy.sparse.issparse(X):
            X = X.tocsr()
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        self._random_state = rng = check_random_state(self.random_state)
        dtype = self._dtype_for(X)
        if first:
            self._initialize(X.shape[1], Y.shape[1], dtype, rng)
        else:
            self._check_continuation(sizes, Y.shape[1], dtype)
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, sample_weight)
        else:
            self._fit_stochastic(X, y, Y, sample_weight, incremental, rng)
        if not all(np.isfinite(a).all() for a in self.network_.parameters.values()):
            raise ValueError(DIVERGED)
        return self

    def _check_continuation(self, sizes, n_outputs: int, dtype) -> None:
        """A warm start or ``partial_fit`` must match the network it continues."""
        net = self.network_
        want = [net.layers_dims[0], *sizes, n_outputs]
        if want != net.layers_dims or self.activation != net.hidden_activation:
            raise ValueError(
                f"cannot continue training: the network has layers_dims {net.layers_dims} "
                f"and activation {net.hidden_activation!r}, the parameters ask for {want} and "
                f"{self.activation!r}; fit with warm_start=False to start afresh"
            )
        if self.dtype is not None and dtype != net.dtype:
            raise ValueError(
                f"cannot continue training: the network is {net.dtype}, dtype={self.dtype!r}"
            )

    def _fit_lbfgs(self, X, Y, sample_weight) -> None:
        opt = scipy.optimize.minimize(
            self._loss_grad_lbfgs,
            self._packed().astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
            args=(X, Y, sample_weight),
        )
        self.n_iter_ = min(int(opt.nit), self.max_iter)
        if opt.status != 0:
            warnings.warn(
                f"lbfgs failed to converge after {self.n_iter_} iteration(s) "
                f"(status={opt.status}):\n{opt.message}\n\nIncrease the number of iterations "
                f"to improve the convergence (max_iter={self.max_iter}).",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.loss_ = float(opt.fun)
        W, b = self._unpack(opt.x)
        self.network_.parameters = {
            k: a for l in range(len(W)) for k, a in ((f"W{l + 1}", W[l]), (f"b{l + 1}", b[l]))
        }

    def _fit_stochastic(self, X, y, Y, sample_weight, incremental, rng) -> None:
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if not incremental or not hasattr(self, "_optimizer"):
            schedule = self.learning_rate if self.solver == "sgd" else "constant"
            self._optimizer = _LearningRate(
                schedule, float(self.learning_rate_init), float(self.power_t)
            )
        net = self.network_
        self._diverged = False
        w = sample_weight
        X_val = y_val = w_val = None
        if self.early_stopping:
            X, X_val, Y, y_val, w, w_val = self._split(X, Y, w, rng)
            if self.validation_scores_ is None:  # warm start after a fit without it
                self.validation_scores_, self.best_validation_score_ = [], -np.inf
            self._best = net.parameters
        elif self.best_loss_ is None:  # warm start after a fit with early stopping
            self.best_loss_ = np.inf
        n = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. It is going to "
                    "be clipped",
                    UserWarning,
                    stacklevel=3,
                )
            batch_size = int(np.clip(self.batch_size, 1, n))
        epochs = 1 if incremental else int(self.max_iter)
        self.n_iter_ = 0
        route = self._route(X, w)
        state = {"stop": False, "restart": False, "lr": self._optimizer.learning_rate}

        def end_epoch(cost) -> bool:
            """scikit-learn's bookkeeping after an epoch; ``False`` ends this run of epochs."""
            cost = net.dtype.type(cost)
            self.n_iter_ += 1
            self.t_ += n
            self.loss_ = cost
            self.loss_curve_.append(cost)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {cost:.8f}")
            self._update_no_improvement_count(X_val, y_val, w_val)
            self._optimizer.iteration_ends(self.t_)
            if self._no_improvement_count > self.n_iter_no_change:
                what = "Validation score" if self.early_stopping else "Training loss"
                msg = (
                    f"{what} did not improve more than tol={self.tol:f} for "
                    f"{self.n_iter_no_change} consecutive epochs."
                )
                if self._optimizer.trigger_stopping(msg, self.verbose):
                    state["stop"] = True
                    return False
                self._no_improvement_count = 0
            if (
                self._optimizer.schedule == "adaptive"
                and self._optimizer.learning_rate != state["lr"]
            ):
                state["restart"] = True  # the core's loop takes one rate per run of epochs
                return False
            return True

        try:
            if route is None:
                self._train_slow(X, Y, w, batch_size, epochs, end_epoch, state)
            else:
                self._train_core(X, Y, w, batch_size, epochs, route, end_epoch, state)
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=3)
        if self.early_stopping:
            net.parameters = self._best
            del self._best  # a copy of the parameters, not needed once restored
        if not state["stop"] and not incremental and self.n_iter_ == self.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _split(self, X, Y, w, rng):
        # scikit-learn stratifies single-output classification only, on the encoded labels.
        single = self._output_for_score == "classes" and Y.shape[1] == 1
        stratify = Y.astype(bool) if single else None
        arrays = [X, Y] if w is None else [X, Y, w]
        try:
            parts = train_test_split(
                *arrays, random_state=rng, test_size=self.validation_fraction, stratify=stratify
            )
        except ValueError as e:
            if stratify is None or "least populated class" not in str(e):
                raise
            names = ", ".join(
                f"{v} is {self.classes_[int(v)].tolist()!r}" for v in np.unique(stratify)
            )
            raise ValueError(f"{e} (encoded labels of y: {names})") from e
        X, X_val, Y, Y_val = parts[:4]
        w, w_val = (parts[4], parts[5]) if w is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return X, X_val, Y, self._targets_of(Y_val), w, w_val

    def _update_no_improvement_count(self, X_val, y_val, w_val) -> None:
        """scikit-learn's rule (a NaN score or loss counts as an improvement, as there)."""
        if self.early_stopping:
            score = self._validation_score(X_val, y_val, w_val)
            assert self.validation_scores_ is not None
            assert self.best_validation_score_ is not None
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best = self.network_.parameters
        else:
            last = self.loss_curve_[-1]
            assert self.best_loss_ is not None  # set by _fit_stochastic without early stopping
            if last > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if last < self.best_loss_:
                self.best_loss_ = last

    def _validation_score(self, X_val, y_val, w_val) -> float:
        if self._diverged:
            return float("nan")
        try:
            A = self._raw(X_val)
        except ValueError:  # X_val is checked: Network refuses non-finite parameters or outputs
            return float("nan")
        # A diverging (finite but huge) prediction overflows in the score's squares: NaN or -inf.
        with np.errstate(over="ignore", invalid="ignore"):
            return float(self._score_function(y_val, self._decode(A), sample_weight=w_val))

    def _route(self, X, w) -> dict | None:
        """``Network.fit`` arguments when the core's loop can train this run, else ``None``."""
        if self._loss_kind == "poisson" or scipy.sparse.issparse(X) or not self.shuffle:
            return None
        if w is not None and not np.all(w == w[0]):
            return None
        # Constant weights c: the weighted mean loss is the mean loss, the penalty alpha / c.
        lambd = float(self.alpha) / (1.0 if w is None else float(w[0]))
        if self.solver == "adam":
            return {"optimizer": "adam", "beta1": self.beta_1, "beta2": self.beta_2,
                    "epsilon": self.epsilon, "scale": 1.0, "lambd": lambd}  # fmt: skip
        route = self._momentum_route()
        return None if route is None else {**route, "lambd": lambd}

    def _train_core(self, X, Y, w, batch_size, epochs, route, end_epoch, state) -> None:
        """Epochs in the core's loop; a new run of epochs when the adaptive rate changes."""
        net = self.network_
        args = {k: v for k, v in route.items() if k != "scale"}
        # One batch of every example is full-batch descent: same steps without the shuffle.
        mbs = None if batch_size >= X.shape[0] else batch_size
        opt = self._optimizer
        nonfinite = "ignore" if self.early_stopping else "raise"
        while self.n_iter_ < epochs:
            state["lr"], state["restart"] = opt.learning_rate, False
            first, t0, n, now = net.epochs, self.t_, X.shape[0], opt.learning_rate

            def decay(lr, k, _rate, first=first, t0=t0, n=n, now=now):
                # Network asks for the rate of its epoch k + 1, the run's epoch j: invscaling's
                # after the samples seen by then, the current rate for the run's first.
                j = k + 1 - first
                return route["scale"] * (now if j == 0 else opt.rate_after(t0 + j * n))

            try:
                # The rows as they are: the core reads a C-contiguous X of the network's dtype
                # in place (Network.fit converts anything else once).
                net.fit(X, Y, layout="rows", mini_batch_size=mbs, num_epochs=epochs - self.n_iter_,
                        learning_rate=route["scale"] * opt.learning_rate,
                        decay=decay if opt.schedule == "invscaling" else None,
                        callback=lambda epoch, cost: end_epoch(cost), callback_every=1,
                        keep_prob=float(self.keep_prob), on_nonfinite=nonfinite,
                        **args)  # fmt: skip
            except TrainingDiverged as e:  # the network is back at its last finite state
                raise ValueError(DIVERGED) from e
            if not state["restart"]:  # stopped, done, or interrupted (Network.fit warned)
                break

    def _train_slow(self, X, Y, w, batch_size, epochs, end_epoch, state) -> None:
        """Epochs as a minibatch loop in Python over the core's forward and backward kernels."""
        if self.keep_prob < 1:
            raise ValueError(
                "keep_prob < 1 (dropout) needs the core's training loop: dense X, constant "
                "sample_weight, loss='squared_error', shuffle=True"
            )
        net = self.network_
        n = X.shape[0]
        w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
        p = net.parameters
        L = len(net.layers_dims) - 1
        params = [p[f"W{l}"] for l in range(1, L + 1)] + [p[f"b{l}"] for l in range(1, L + 1)]
        slow = self._slow_state
        if slow is None or len(slow["v"]) != len(params):
            slow = self._slow_state = {
                "v": [np.zeros_like(a) for a in params],
                "s": [np.zeros_like(a) for a in params],
                "t": 0,
                "epochs": 0,  # epochs of this loop, which Network's counts do not include
            }
        alpha = float(self.alpha)
        # A diverging run overflows on the way to NaN; the checks below handle it.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self._epochs_slow(X, Y, w, batch_size, epochs, end_epoch, state, params, slow, alpha)

    def _epochs_slow(self, X, Y, w, batch_size, epochs, end_epoch, state, params, slow, alpha):
        net = self.network_
        n = X.shape[0]
        L = len(params) // 2
        while self.n_iter_ < epochs and not state["stop"]:
            if self.shuffle:
                # The core's order for its epoch `epochs` (the shuffle of minibatch runs).
                order = np.random.RandomState(net.seed + net.epochs + slow["epochs"] + 1)
                order = order.permutation(n)
            else:
                order = np.arange(n)
            lr = self._optimizer.learning_rate
            total = 0.0
            for batch in gen_batches(n, batch_size):
                rows = order[batch]
                loss, dW, db = _loss_and_gradient(
                    net, self._loss_kind, params[:L], params[L:], X, Y, w, alpha, rows
                )
                total += loss * len(rows)
                self._step(params, dW + db, slow, lr)
            slow["epochs"] += 1
            if all(np.isfinite(a).all() for a in params):
                net.parameters = {
                    key: a
                    for l in range(L)
                    for key, a in ((f"W{l + 1}", params[l]), (f"b{l + 1}", params[L + l]))
                }
            elif self.early_stopping:  # scikit-learn trains on, scoring NaN
                self._diverged = True
            else:
                raise ValueError(DIVERGED)
            end_epoch(total / n)

    def _step(self, params, grads, slow, lr) -> None:
        """One optimizer step in place: the core's Adam (the course's form) or scikit-learn's
        SGD with momentum (``u = momentum u - lr g``; Nesterov adds ``momentum u - lr g``)."""
        if self.solver == "adam":
            slow["t"] += 1
            t, b1, b2 = slow["t"], float(self.beta_1), float(self.beta_2)
            for P, G, V, S in zip(params, grads, slow["v"], slow["s"]):
                V *= b1
                V += (1 - b1) * G
                S *= b2
                S += (1 - b2) * G * G
                P -= lr * (V / (1 - b1**t)) / (np.sqrt(S / (1 - b2**t)) + self.epsilon)
            return
        m = float(self.momentum)
        for P, G, U in zip(params, grads, slow["v"]):
            U *= m
            U -= lr * G
            if self.nesterovs_momentum:
                P += m * U - lr * G
            else:
                P += U

    def fit(self, X, y, sample_weight=None):
        """Train the network on ``X`` and ``y``.

        Parameters
        ----------
        X : array_like or sparse matrix of shape (n_samples, n_features)
            Training data (a sparse matrix is densified one minibatch or block at a time).
        y : array_like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: class labels (classifier) or real values (regressor).
        sample_weight : array_like of shape (n_samples,), optional
            Weights of the examples in the loss (scikit-learn's weighted mean).

        Returns
        -------
        self
            The fitted estimator. With ``warm_start=True`` a fitted estimator continues
            training the same network, optimizer state included.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def _check_solver(self) -> bool:
        if self.solver not in ("sgd", "adam"):
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. {self.solver} is "
                "not stochastic."
            )
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained by nncore's core.

    Binary problems get one sigmoid output unit (binary cross-entropy), multi-class problems a
    softmax output (categorical cross-entropy) and multi-label problems (a 0/1 indicator
    matrix ``y``) one sigmoid unit per label.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Units of each hidden layer.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of the hidden layers ("logistic" and "identity" need a core that has them;
        otherwise ``fit`` says so).
    solver : {"adam", "sgd", "lbfgs"}, default="adam"
        ``"sgd"``: minibatch gradient descent with ``momentum`` (Nesterov's when
        ``nesterovs_momentum``) and the ``learning_rate`` schedule. ``"lbfgs"``: scipy's
        L-BFGS-B over the full-batch loss and gradient.
    alpha : float, default=0.0001
        L2 penalty ``alpha / (2 * batch) * sum ||W||^2`` added to the loss of each minibatch
        of ``batch`` examples (``batch`` is the sum of the weights with ``sample_weight``).
    batch_size : int or "auto", default="auto"
        Minibatch size; ``"auto"`` is ``min(200, n_samples)``. Larger than the number of
        samples: clipped, with a warning.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        ``solver="sgd"``'s schedule, as scikit-learn's.
    learning_rate_init : float, default=0.001
        Initial learning rate.
    power_t : float, default=0.5
        Exponent of ``"invscaling"``.
    max_iter : int, default=200
        Maximum number of epochs per call of :meth:`fit` (iterations for ``"lbfgs"``).
    shuffle : bool, default=True
        Shuffle the examples every epoch.
    random_state : int, RandomState instance or None, default=None
        Draws the initial parameters as scikit-learn does (same ``random_state``, same
        initial parameters with ``initialization="glorot"``). An int in ``[0, 2**31)`` is also
        the network's seed (minibatch shuffles, dropout masks); other values draw the seed.
        Also splits the validation set of ``early_stopping``.
    tol : float, default=1e-4
        Training stops when the loss (or, with ``early_stopping``, the validation accuracy)
        has not improved by at least ``tol`` for ``n_iter_no_change`` consecutive epochs.
    verbose : bool, default=False
        Print the loss after every epoch.
    warm_start : bool, default=False
        Continue training the fitted network on the next :meth:`fit`. nncore's core keeps
        the optimizer's moments (scikit-learn restarts them), so ``fit`` with ``max_iter=a``
        then a warm ``fit`` with ``max_iter=b`` trains like one ``fit`` of ``a + b`` epochs.
    momentum : float, default=0.9
        Momentum of ``solver="sgd"``, in ``[0, 1]``.
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for ``solver="sgd"``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for single-output
        problems) and stop when its accuracy stops improving; the best epoch's parameters are
        kept. A diverging run gives NaN scores, as in scikit-learn.
    validation_fraction : float, default=0.1
        Share of the training data held out for ``early_stopping``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates of the first and second moments, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Adam's epsilon (the course adds it to the bias-corrected ``sqrt(s)``; scikit-learn
        to the uncorrected one, so Adam runs differ from scikit-learn's in the last digits).
    n_iter_no_change : int or np.inf, default=10
        Epochs without improvement by ``tol`` before training stops.
    max_fun : int, default=15000
        Maximum number of loss evaluations of ``"lbfgs"``.
    keep_prob : float, default=1.0
        nncore's inverted dropout: keep probability of the hidden units during training
        (the core's loop only).
    initialization : {"glorot", "he", "xavier", "random", "zeros", "deep"}, default="glorot"
        ``"glorot"`` is scikit-learn's Glorot-uniform draw (bound ``sqrt(6 / (fan_in +
        fan_out))``, 2 instead of 6 for ``"logistic"``); the others are the course's.
    dtype : {None, "float64", "float32"}, default=None
        Dtype of the parameters and of the whole computation; ``None`` follows ``X``
        (float32 stays float32, anything else is float64), as scikit-learn.

    Attributes
    ----------
    network_ : nncore.Network
        The trained network (course layout: ``W`` is ``(n_out, n_in)``).
    classes_ : ndarray of shape (n_classes,)
        Class labels (any labels scikit-learn's ``LabelBinarizer`` accepts).
    coefs_, intercepts_ : list of ndarray
        Parameters in scikit-learn's layout (``coefs_[i] = W{i+1}.T``): copies; assigning a
        list replaces the network's.
    loss_ : float
        Loss of the last epoch (of the solution, for ``"lbfgs"``).
    loss_curve_ : list of float
        Loss of every epoch (``"sgd"``/``"adam"``; over warm starts and ``partial_fit``).
    best_loss_ : float or None
        Lowest loss reached (``None`` with ``early_stopping``).
    validation_scores_ : list of float or None
        Validation accuracy after every epoch (``early_stopping`` only).
    best_validation_score_ : float or None
        Best validation accuracy (``early_stopping`` only).
    n_iter_ : int
        Epochs (iterations of ``"lbfgs"``) run by the last call of :meth:`fit`.
    t_ : int
        Training samples seen (``n_samples * epochs``).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` had string column names.
    n_outputs_ : int
        Output units.
    n_layers_ : int
        Layers including input and output.
    out_activation_ : {"logistic", "softmax"}
        Output activation, in scikit-learn's names.

    Notes
    -----
    scikit-learn's ``test_mlp.py`` runs on this class with only its import changed; two of
    its tests drive scikit-learn's private internals and are out of scope: ``test_fit``
    assigns ``coefs_[i]`` element-wise into a list and sets private optimizer state
    (``_coef_velocity``) before ``partial_fit``; here ``coefs_`` is a copy, assigned whole.
    ``test_gradient`` runs on ``_loss_grad_lbfgs``, which has scikit-learn's signature. Nine
    of its tests use the hidden activations ``"identity"`` or ``"logistic"``, which need a
    core that has them (``fit`` says so otherwise).

    Other differences from :class:`sklearn.neural_network.MLPClassifier`: Adam's epsilon
    (above); ``warm_start`` keeps the optimizer's moments; ``verbose`` prints like
    scikit-learn. See ``docs/sklearn.md``.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from nncore.sklearn import MLPClassifier
    >>> X, y = make_moons(200, noise=0.1, random_state=0)
    >>> clf = MLPClassifier((16, 16), learning_rate_init=0.01, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    """

    _output_for_score = "classes"

    def _network_output(self) -> str:
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "sigmoid"

    def _score_function(self, y, y_pred, sample_weight=None):
        return accuracy_score(y, y_pred, sample_weight=sample_weight)

    def _validate_input(self, X, y, incremental, reset, classes):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if incremental and not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            if y.ndim == 2:  # multilabel: the classes are the indicator's values
                self._label_binarizer = LabelBinarizer().fit(y)
            else:
                self._label_binarizer = LabelBinarizer().fit(np.asarray(classes))
            self.classes_ = self._label_binarizer.classes_
            extra = np.setdiff1d(unique_labels(y), self.classes_)
            if len(extra):
                raise ValueError(
                    f"`y` has classes not in `classes`: `classes` has {self.classes_}, "
                    f"'y' also has {extra}."
                )
        elif not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            if (
                classes is not None
                and y.ndim == 1
                and not np.array_equal(np.unique(classes), self.classes_)
            ):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on the first call to "
                    f"partial_fit ({self.classes_})"
                )
            seen = unique_labels(y)
            if self.warm_start and not incremental:
                if set(seen) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in the "
                        f"previous call to fit. Previously got {self.classes_}, `y` has {seen}"
                    )
            elif len(np.setdiff1d(seen, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {seen}."
                )
        Y = self._label_binarizer.transform(y)
        return X, y, Y

    def _targets_of(self, Y) -> np.ndarray:
        """Labels back from the network's targets (for validation scores)."""
        return self._label_binarizer.inverse_transform(Y)

    def _decode(self, A) -> np.ndarray:
        """Labels of network outputs ``A`` ``(n_outputs, m)``, thresholds as Network.predict."""
        kind = self._label_binarizer.y_type_
        if kind == "multiclass":
            return self.classes_[np.argmax(A, axis=0)]
        hits = (A > 0.5).astype(np.int64)
        if kind == "multilabel-indicator":
            return hits.T
        if len(self.classes_) == 1:
            return np.full(A.shape[1], self.classes_[0])
        return self.classes_[hits[0]]

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train one epoch on ``X`` and ``y``, continuing the network if there is one.

        Parameters
        ----------
        X : array_like or sparse matrix of shape (n_samples, n_features)
        y : array_like of shape (n_samples,) or (n_samples, n_labels)
            Class labels (an indicator matrix for multi-label problems).
        sample_weight : array_like of shape (n_samples,), optional
            Weights of the examples in the loss.
        classes : array_like of shape (n_classes,), optional
            All the classes; required on the first call, optional (and checked) later.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True, classes=classes)

    def predict(self, X) -> np.ndarray:
        """Predicted class labels.

        Parameters
        ----------
        X : array_like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from :attr:`classes_` (the 0/1 indicator matrix for multi-label ``y``):
            the same decisions as ``network_.predict(X.T)``.
        """
        check_is_fitted(self)
        return self._decode(self._raw(self._check_X(X)))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : array_like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probability of each class of :attr:`classes_` (of each label, for multi-label).
        """
        A = self._output(X)
        if self._label_binarizer.y_type_ == "binary":
            return np.column_stack([1 - A[:, 0], A[:, 0]])
        return A

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array_like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor trained by nncore's core.

    Identity output with the loss ``sum((A - Y)**2) / (2 * batch)`` summed over the outputs
    (scikit-learn's averages over the outputs too, so for ``n_outputs > 1`` its loss and
    gradients are ``n_outputs`` times smaller; for one output they are the same), or with
    ``loss="poisson"`` an exponential output and the Poisson deviance.

    Parameters
    ----------
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate, \
learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose, warm_start, \
momentum, nesterovs_momentum, early_stopping, validation_fraction, beta_1, beta_2, epsilon, \
n_iter_no_change, max_fun, keep_prob, initialization, dtype
        As in :class:`MLPClassifier` (validation scores are R²).
    loss : {"squared_error", "poisson"}, default="squared_error"
        ``"poisson"``: predictions ``exp(network output)``, the half Poisson deviance as loss
        (its minibatches run in the Python loop over the core's kernels).

    Attributes
    ----------
    network_ : nncore.Network
        The trained network (identity output; with ``loss="poisson"`` its output is the log
        of the prediction).
    coefs_, intercepts_ : list of ndarray
        As in :class:`MLPClassifier`.
    loss_, loss_curve_, best_loss_, validation_scores_, best_validation_score_, n_iter_, t_
        As in :class:`MLPClassifier` (validation scores are R²).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` had string column names.
    n_outputs_ : int
    n_layers_ : int
    out_activation_ : {"identity", "exp"}

    Notes
    -----
    The differences from :class:`sklearn.neural_network.MLPRegressor` are those listed under
    :class:`MLPClassifier`, plus the loss summed over outputs (above).

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from nncore.sklearn import MLPRegressor
    >>> X, y = make_regression(200, 4, noise=1.0, random_state=0)
    >>> reg = MLPRegressor((32,), learning_rate_init=0.01, max_iter=500, random_state=0)
    >>> reg.fit(X, y / 100).score(X, y / 100) > 0.95
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        **_BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }
    _output_for_score = "values"

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        loss="squared_error",
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        keep_prob=1.0,
        initialization="glorot",
        dtype=None,
    ):
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init,
            power_t=power_t, max_iter=max_iter, shuffle=shuffle, random_state=random_state,
            tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            keep_prob=keep_prob, initialization=initialization, dtype=dtype,
        )  # fmt: skip
        self.loss = loss

    @property
    def _loss_kind(self) -> str:  # type: ignore[override]
        return "poisson" if self.loss == "poisson" else "squared_error"

    def _network_output(self) -> str:
        return "identity"

    def _score_function(self, y, y_pred, sample_weight=None):
        return r2_score(y, y_pred, sample_weight=sample_weight)

    def _validate_input(self, X, y, incremental, reset, classes):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and (np.asarray(y) < 0).any():
            raise ValueError("loss='poisson' needs non-negative targets y")
        return X, y, y.reshape(y.shape[0], -1)

    def _targets_of(self, Y) -> np.ndarray:
        return Y[:, 0] if Y.shape[1] == 1 else Y

    def _decode(self, A) -> np.ndarray:
        return A[0] if A.shape[0] == 1 else A.T

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None):
        """Train one epoch on ``X`` and ``y``, continuing the network if there is one.

        Parameters
        ----------
        X : array_like or sparse matrix of shape (n_samples, n_features)
        y : array_like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array_like of shape (n_samples,), optional
            Weights of the examples in the loss.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X) -> np.ndarray:
        """Predicted values.

        Parameters
        ----------
        X : array_like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            ``network_.predict(X.T).T`` (its ``exp`` for ``loss="poisson"``), flattened when
            there is one output; in the network's dtype.
        """
        A = self._output(X)
        return A[:, 0] if A.shape[1] == 1 else A

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
