"""scikit-learn estimators backed by :class:`nncore.Network`: ``MLPClassifier`` and
``MLPRegressor``.

They take scikit-learn's ``(n_samples, n_features)`` layout and most of the parameters of
:class:`sklearn.neural_network.MLPClassifier` / ``MLPRegressor``; the whole training loop runs
in nncore's core. The network is :attr:`network_`; these classes only translate layouts,
labels and parameters, and decide when to stop.

Layout: ``Network`` wants one column per example, so ``fit``, ``partial_fit`` and every
prediction method convert ``X`` once per call with ``np.ascontiguousarray(X.T, dtype)`` (one
copy, and none at all when ``X`` is already a Fortran-ordered array of the network's dtype).
Nothing is copied per minibatch or per epoch.

scikit-learn (>= 1.6) is an optional dependency: ``import nncore`` does not import it, this
module does.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils import check_random_state, column_or_1d
    from sklearn.utils.multiclass import check_classification_targets, unique_labels
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "nncore.sklearn needs scikit-learn >= 1.6 (pip install 'scikit-learn>=1.6'); "
        f"importing it failed: {exc}"
    ) from exc

from . import _validate as chk
from ._mirror import HIDDEN
from ._training import TrainingDiverged
from .network import INITIALIZATIONS, Network

__all__ = ["MLPClassifier", "MLPRegressor"]

SOLVERS = ("adam", "sgd")
# scikit-learn's names of the output activations.
OUT_ACTIVATIONS = {"sigmoid": "logistic", "softmax": "softmax", "identity": "identity"}
MAX_SEED = 2**31


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, the training run, layouts."""

    _output_for_score: str | None = None  # set by subclasses

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate_init=0.001,
        max_iter=200,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        keep_prob=1.0,
        initialization="he",
        dtype="float64",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.keep_prob = keep_prob
        self.initialization = initialization
        self.dtype = dtype

    # -----------------------------------------------------------------------------------------
    # Parameters
    # -----------------------------------------------------------------------------------------

    def _check_params(self) -> dict:
        """The constructor's parameters, checked (scikit-learn checks at fit time)."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = [sizes]
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
            raise TypeError(
                f"hidden_layer_sizes must be an int or a sequence of ints, got {sizes!r}"
            )
        sizes = [chk.integer(s, f"hidden_layer_sizes[{i}]", low=1) for i, s in enumerate(sizes)]
        if self.activation not in HIDDEN:
            raise ValueError(
                f"activation must be one of {tuple(HIDDEN)} (nncore has no 'identity' or "
                f"'logistic' hidden layers), got {self.activation!r}"
            )
        if self.solver not in SOLVERS:
            raise ValueError(
                f"solver must be one of {SOLVERS} ('lbfgs' is not supported), got {self.solver!r}"
            )
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            chk.integer(self.batch_size, "batch_size", low=1)
        for name in ("warm_start", "early_stopping"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool, got {getattr(self, name)!r}")
        if not isinstance(self.verbose, (bool, np.bool_, numbers.Integral)):
            raise TypeError(f"verbose must be a bool or an int, got {self.verbose!r}")
        chk.choice(self.initialization, "initialization", INITIALIZATIONS)
        return {
            "sizes": sizes,
            "alpha": chk.real(self.alpha, "alpha", low=0.0),
            "learning_rate_init": chk.real(
                self.learning_rate_init, "learning_rate_init", low=0.0, low_open=True
            ),
            "max_iter": chk.integer(self.max_iter, "max_iter", low=1),
            "tol": chk.real(self.tol, "tol", low=0.0),
            "momentum": chk.real(self.momentum, "momentum", 0.0, 1.0, high_open=True),
            "validation_fraction": chk.real(
                self.validation_fraction, "validation_fraction", 0.0, 1.0, True, True
            ),
            "beta_1": chk.real(self.beta_1, "beta_1", 0.0, 1.0, high_open=True),
            "beta_2": chk.real(self.beta_2, "beta_2", 0.0, 1.0, high_open=True),
            "epsilon": chk.real(self.epsilon, "epsilon", low=0.0, low_open=True),
            "n_iter_no_change": chk.integer(self.n_iter_no_change, "n_iter_no_change", low=1),
            "keep_prob": chk.keep_prob(self.keep_prob),
            "dtype": chk.float_dtype(self.dtype),
        }

    def _optimizer_args(self, p: dict) -> dict:
        """``Network.fit`` arguments of the solver.

        scikit-learn's SGD momentum is ``u = momentum u - lr g; W += u``; the course's is
        ``v = beta v + (1 - beta) g; W -= lr' v``. With ``beta = momentum`` and
        ``lr' = lr / (1 - momentum)`` the two give the same steps (``u = -lr' v``).
        """
        lr = p["learning_rate_init"]
        if self.solver == "adam":
            return {
                "optimizer": "adam",
                "learning_rate": lr,
                "beta1": p["beta_1"],
                "beta2": p["beta_2"],
                "epsilon": p["epsilon"],
            }
        if p["momentum"] > 0:
            m = p["momentum"]
            return {"optimizer": "momentum", "learning_rate": lr / (1.0 - m), "beta": m}
        return {"optimizer": "gd", "learning_rate": lr}

    # -----------------------------------------------------------------------------------------
    # Layout
    # -----------------------------------------------------------------------------------------

    def _columns(self, X, reset: bool = False) -> np.ndarray:
        """Checked ``X`` (n_samples, n_features) as the network's C-contiguous ``(n_x, m)``."""
        X = validate_data(self, X, reset=reset, dtype=(np.float64, np.float32))
        return np.ascontiguousarray(X.T, dtype=self.network_.dtype)

    def _raw(self, X_cols) -> np.ndarray:
        """The network's output ``(n_outputs, m)`` through its public (thread-guarded) API."""
        net = self.network_
        return net.predict(X_cols) if net.output == "identity" else net.predict_proba(X_cols)

    def _output(self, X) -> np.ndarray:
        """The network's output for ``X`` in scikit-learn's layout ``(n_samples, n_outputs)``."""
        check_is_fitted(self)
        return self._raw(self._columns(X)).T

    # -----------------------------------------------------------------------------------------
    # Training
    # -----------------------------------------------------------------------------------------

    def _fit(self, X, y, incremental: bool, classes=None):
        p = self._check_params()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        first = not hasattr(self, "network_") or not (self.warm_start or incremental)
        X, y, Y = self._validate_input(X, y, incremental, first, classes)
        n_features = X.shape[1]
        rng = check_random_state(self.random_state)

        if first:
            rs = self.random_state
            if isinstance(rs, numbers.Integral) and 0 <= int(rs) < MAX_SEED:
                seed = int(rs)
            else:
                seed = int(rng.randint(MAX_SEED))
            self.network_ = Network(
                [n_features, *p["sizes"], Y.shape[1]],
                hidden_activation=self.activation,
                output=self._network_output(),
                initialization=self.initialization,
                dtype=p["dtype"],
                seed=seed,
            )
            self.n_outputs_ = Y.shape[1]
            self.n_layers_ = len(self.network_.layers_dims)
            self.out_activation_ = OUT_ACTIVATIONS[self.network_.output]
            self.t_ = 0
            self.loss_curve_: list[float] = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_: list[float] | None = []
                self.best_validation_score_: float | None = -np.inf
                self.best_loss_: float | None = None
            else:
                self.validation_scores_ = None
                self.best_validation_score_ = None
                self.best_loss_ = np.inf
        else:
            self._check_continuation(p, Y.shape[1])
        net = self.network_

        if self.early_stopping:
            stratify = y if (self._output_for_score == "classes" and y.ndim == 1) else None
            X, X_val, Y, _, _, y_val = train_test_split(
                X,
                Y,
                y,
                random_state=rng,
                test_size=p["validation_fraction"],
                stratify=stratify,
            )
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
            X_val = np.ascontiguousarray(X_val.T, dtype=net.dtype)
            if self.best_validation_score_ is None:  # warm start after a fit without it
                self.validation_scores_, self.best_validation_score_ = [], -np.inf
            best_theta = net._theta.copy()
        elif self.best_loss_ is None:  # warm start after a fit with early stopping
            self.best_loss_ = np.inf
        n_train = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_train)
        else:
            batch_size = self.batch_size
            if batch_size > n_train:
                warnings.warn(
                    f"Got `batch_size` ({batch_size}) larger than sample size ({n_train}). "
                    "It is going to be clipped",
                    UserWarning,
                    stacklevel=3,
                )
        # One batch of every example is full-batch descent: same steps without the shuffle.
        mini_batch_size = None if batch_size >= n_train else int(batch_size)
        # The one conversion to the network's layout (see the module docstring).
        XT = np.ascontiguousarray(X.T, dtype=net.dtype)
        YT = np.ascontiguousarray(Y.T, dtype=net.dtype)

        self.n_iter_ = 0
        stop = []

        def after_epoch(epoch, cost):
            # Called by the core after every epoch, with the parameters of that epoch.
            cost = float(cost)
            self.n_iter_ += 1
            self.t_ += n_train
            self.loss_curve_.append(cost)
            self.loss_ = cost
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {cost:.8f}")
            if self.early_stopping:
                score = self._validation_score(X_val, y_val)
                self.validation_scores_.append(score)
                if self.verbose:
                    print(f"Validation score: {score:f}")
                if score < self.best_validation_score_ + p["tol"]:
                    self._no_improvement_count += 1
                else:
                    self._no_improvement_count = 0
                if score > self.best_validation_score_:
                    self.best_validation_score_ = score
                    best_theta[:] = net._theta
            else:
                if cost > self.best_loss_ - p["tol"]:
                    self._no_improvement_count += 1
                else:
                    self._no_improvement_count = 0
                self.best_loss_ = min(self.best_loss_, cost)
            if self._no_improvement_count > p["n_iter_no_change"]:
                stop.append(True)
                if self.verbose:
                    what = "Validation score" if self.early_stopping else "Training loss"
                    print(
                        f"{what} did not improve more than tol={p['tol']:f} for "
                        f"{p['n_iter_no_change']} consecutive epochs. Stopping."
                    )
                return False
            return True

        try:
            net.fit(
                XT,
                YT,
                mini_batch_size=mini_batch_size,
                num_epochs=1 if incremental else p["max_iter"],
                lambd=p["alpha"],
                keep_prob=p["keep_prob"],
                callback=after_epoch,
                callback_every=1,
                on_nonfinite="raise",
                **self._optimizer_args(p),
            )
        except TrainingDiverged as e:  # the network is back at its last finite state
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may contain large "
                "values and need to be preprocessed (or lower learning_rate_init)."
            ) from e
        if self.early_stopping:  # the parameters of the best validation score
            net._theta[:] = best_theta
        if not np.isfinite(net._theta).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may contain large "
                "values and need to be preprocessed (or lower learning_rate_init)."
            )
        if stop:
            if not incremental:
                self._no_improvement_count = 0
        elif not incremental and self.n_iter_ == p["max_iter"]:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({p['max_iter']}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _check_continuation(self, p: dict, n_outputs: int) -> None:
        """A warm start or ``partial_fit`` must match the network it continues."""
        net = self.network_
        want = [net.layers_dims[0], *p["sizes"], n_outputs]
        if (
            want != net.layers_dims
            or self.activation != net.hidden_activation
            or p["dtype"] != net.dtype
        ):
            raise ValueError(
                f"cannot continue training: the network has layers_dims {net.layers_dims}, "
                f"activation {net.hidden_activation!r} and dtype {net.dtype}, the parameters "
                f"ask for {want}, {self.activation!r} and {p['dtype']}; fit with "
                "warm_start=False to start afresh"
            )

    # -----------------------------------------------------------------------------------------
    # Fitted attributes in scikit-learn's layout
    # -----------------------------------------------------------------------------------------

    def _layers(self):
        net = self.network_
        offset = 0
        for l in range(1, len(net.layers_dims)):
            n_out, n_in = net.layers_dims[l], net.layers_dims[l - 1]
            W = net._theta[offset : offset + n_out * n_in].reshape(n_out, n_in)
            offset += n_out * n_in
            yield W, net._theta[offset : offset + n_out]
            offset += n_out

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weights, ``coefs_[i]`` of shape ``(n_in, n_out)`` (``W{i+1}.T``); views of the
        network's parameters, so writing into them changes the network."""
        check_is_fitted(self)
        return [W.T for W, _ in self._layers()]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Biases, ``intercepts_[i]`` of shape ``(n_out,)``; views of the network's
        parameters."""
        check_is_fitted(self)
        return [b for _, b in self._layers()]

    def fit(self, X, y):
        """Train the network on ``X`` and ``y`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training data (dense; converted once to the network's layout and dtype).
        y : array_like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: class labels (classifier) or real values (regressor).

        Returns
        -------
        self
            The fitted estimator. With ``warm_start=True`` a fitted estimator continues
            training the same network, optimizer state included.
        """
        return self._fit(X, y, incremental=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained by nncore's core.

    Binary problems get one sigmoid output unit (binary cross-entropy), multi-class problems a
    softmax output (categorical cross-entropy) and multi-label problems (a 0/1 indicator
    matrix ``y``) one sigmoid unit per label.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Units of each hidden layer (may be empty: logistic / softmax regression).
    activation : {"relu", "tanh"}, default="relu"
        Activation of the hidden layers.
    solver : {"adam", "sgd"}, default="adam"
        ``"sgd"`` is minibatch gradient descent with classical momentum ``momentum`` (plain
        gradient descent when ``momentum=0``).
    alpha : float, default=0.0001
        L2 penalty ``alpha / (2 * batch) * sum ||W||^2`` added to the loss of each minibatch
        of ``batch`` examples: scikit-learn's convention, which is the course's ``lambd``.
    batch_size : int or "auto", default="auto"
        Minibatch size; ``"auto"`` is ``min(200, n_samples)``. Larger than the number of
        samples: clipped, with a warning.
    learning_rate_init : float, default=0.001
        Learning rate, constant throughout training.
    max_iter : int, default=200
        Maximum number of epochs per call of :meth:`fit`.
    random_state : int, RandomState instance or None, default=None
        An int in ``[0, 2**31)`` is the network's seed (initialization, minibatch shuffles,
        dropout masks): ``random_state=3`` trains exactly like ``nncore.Network(..., seed=3)``.
        Other values draw the seed. Also splits the validation set of ``early_stopping``.
    tol : float, default=1e-4
        Training stops when the loss (or, with ``early_stopping``, the validation accuracy)
        has not improved by at least ``tol`` for ``n_iter_no_change`` consecutive epochs.
    verbose : bool, default=False
        Print the loss after every epoch.
    warm_start : bool, default=False
        Continue training the fitted network on the next :meth:`fit`, with its optimizer
        state (scikit-learn restarts the optimizer instead), so ``fit`` with ``max_iter=a``
        then a warm ``fit`` with ``max_iter=b`` trains exactly like one ``fit`` of ``a + b``
        epochs.
    momentum : float, default=0.9
        Momentum of ``solver="sgd"``, in ``[0, 1)``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified) and stop when its
        accuracy stops improving; the parameters of the best epoch are kept.
    validation_fraction : float, default=0.1
        Share of the training data held out for ``early_stopping``, in ``(0, 1)``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates of the first and second moments, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Adam's epsilon (the course adds it to the bias-corrected ``sqrt(s)``; scikit-learn
        to the uncorrected one, so Adam runs differ from scikit-learn's in the last digits).
    n_iter_no_change : int, default=10
        Epochs without improvement by ``tol`` before training stops.
    keep_prob : float, default=1.0
        nncore's inverted dropout: keep probability of the hidden units during training.
    initialization : {"he", "xavier", "random", "zeros", "deep"}, default="he"
        nncore's (the course's) initializers; scikit-learn uses Glorot-uniform.
    dtype : {"float64", "float32"}, default="float64"
        Dtype of the parameters and of the whole computation.

    Attributes
    ----------
    network_ : nncore.Network
        The trained network (course layout: ``W`` is ``(n_out, n_in)``).
    classes_ : ndarray of shape (n_classes,)
        Class labels (any labels scikit-learn's ``LabelBinarizer`` accepts).
    coefs_, intercepts_ : list of ndarray
        Parameters in scikit-learn's layout (``coefs_[i] = W{i+1}.T``), views of the network's.
    loss_ : float
        Loss of the last epoch.
    loss_curve_ : list of float
        Loss of every epoch (over warm starts and :meth:`partial_fit` calls).
    best_loss_ : float or None
        Lowest loss reached (``None`` with ``early_stopping``).
    validation_scores_ : list of float or None
        Validation accuracy after every epoch (``early_stopping`` only).
    best_validation_score_ : float or None
        Best validation accuracy (``early_stopping`` only).
    n_iter_ : int
        Epochs run by the last call of :meth:`fit` (1 after :meth:`partial_fit`).
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
    Differences from :class:`sklearn.neural_network.MLPClassifier`: no ``lbfgs`` solver, no
    ``identity``/``logistic`` hidden activations, no learning-rate schedules
    (``learning_rate``, ``power_t``), no Nesterov momentum (``nesterovs_momentum``), no
    ``sample_weight``, no sparse input, and minibatches are always shuffled (no ``shuffle``
    parameter; a single batch of all examples is not shuffled, as it makes no difference).
    ``verbose`` prints like scikit-learn.

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

    def _validate_input(self, X, y, incremental, reset, classes):
        X, y = validate_data(
            self, X, y, multi_output=True, dtype=(np.float64, np.float32), reset=reset
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if incremental and not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            reset = True
            labels = np.asarray(classes)
        else:
            labels = y
        if reset or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(labels)
            self.classes_ = self._label_binarizer.classes_
            if len(self.classes_) < 2:
                raise ValueError(
                    "MLPClassifier needs samples of at least 2 classes in the data, got 1 "
                    f"class: {self.classes_[0]!r}"
                )
        else:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
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

    def _validation_score(self, X_cols, y) -> float:
        A = self._raw(X_cols)
        if not np.isfinite(A).all():
            return np.nan
        return float(accuracy_score(y, self._labels(A)))

    def _labels(self, A) -> np.ndarray:
        """Labels of network outputs ``A`` ``(n_outputs, m)``, thresholds as Network.predict."""
        kind = self._label_binarizer.y_type_
        if kind == "multiclass":
            return self.classes_[np.argmax(A, axis=0)]
        hits = (A > 0.5).astype(np.int64)
        if kind == "multilabel-indicator":
            return hits.T
        return self.classes_[hits[0]]

    def partial_fit(self, X, y, classes=None):
        """Train one epoch on ``X`` and ``y``, continuing the network if there is one.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
            Class labels.
        classes : array_like of shape (n_classes,), optional
            All the classes; required on the first call, optional (and checked) later.

        Returns
        -------
        self
        """
        return self._fit(X, y, incremental=True, classes=classes)

    def predict(self, X) -> np.ndarray:
        """Predicted class labels.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from :attr:`classes_` (the 0/1 indicator matrix for multi-label ``y``):
            the same decisions as ``network_.predict(X.T)``.
        """
        check_is_fitted(self)
        return self._labels(self._raw(self._columns(X)))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

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
        X : array_like of shape (n_samples, n_features)

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
    gradients are ``n_outputs`` times smaller; for one output they are the same).

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Units of each hidden layer (may be empty: linear regression).
    activation : {"relu", "tanh"}, default="relu"
        Activation of the hidden layers.
    solver : {"adam", "sgd"}, default="adam"
        ``"sgd"`` is minibatch gradient descent with classical momentum ``momentum`` (plain
        gradient descent when ``momentum=0``), the same steps as scikit-learn's ``"sgd"``
        with ``learning_rate="constant"`` and ``nesterovs_momentum=False``.
    alpha : float, default=0.0001
        L2 penalty ``alpha / (2 * batch) * sum ||W||^2`` added to the loss of each minibatch
        of ``batch`` examples: scikit-learn's convention, which is the course's ``lambd``.
    batch_size : int or "auto", default="auto"
        Minibatch size; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate_init : float, default=0.001
        Learning rate, constant throughout training.
    max_iter : int, default=200
        Maximum number of epochs per call of :meth:`fit`.
    random_state : int, RandomState instance or None, default=None
        An int in ``[0, 2**31)`` is the network's seed (``nncore.Network(..., seed=...)``);
        other values draw the seed. Also splits the validation set of ``early_stopping``.
    tol : float, default=1e-4
        Training stops when the loss (or, with ``early_stopping``, the validation R²) has not
        improved by at least ``tol`` for ``n_iter_no_change`` consecutive epochs.
    verbose : bool, default=False
        Print the loss after every epoch.
    warm_start : bool, default=False
        Continue training the fitted network on the next :meth:`fit`, optimizer state
        included (scikit-learn restarts the optimizer).
    momentum : float, default=0.9
        Momentum of ``solver="sgd"``, in ``[0, 1)``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when its R² stops
        improving; the parameters of the best epoch are kept.
    validation_fraction : float, default=0.1
        Share of the training data held out for ``early_stopping``, in ``(0, 1)``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Adam's epsilon (added to the bias-corrected ``sqrt(s)``, as in the course).
    n_iter_no_change : int, default=10
        Epochs without improvement by ``tol`` before training stops.
    keep_prob : float, default=1.0
        nncore's inverted dropout: keep probability of the hidden units during training.
    initialization : {"he", "xavier", "random", "zeros", "deep"}, default="he"
        nncore's (the course's) initializers.
    dtype : {"float64", "float32"}, default="float64"
        Dtype of the parameters and of the whole computation.

    Attributes
    ----------
    network_ : nncore.Network
        The trained network.
    coefs_, intercepts_ : list of ndarray
        Parameters in scikit-learn's layout (``coefs_[i] = W{i+1}.T``), views of the network's.
    loss_, loss_curve_, best_loss_, validation_scores_, best_validation_score_, n_iter_, t_
        As in :class:`MLPClassifier` (validation scores are R²).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` had string column names.
    n_outputs_ : int
    n_layers_ : int
    out_activation_ : "identity"

    Notes
    -----
    The differences from :class:`sklearn.neural_network.MLPRegressor` are those listed under
    :class:`MLPClassifier`, plus: no ``loss="poisson"``.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from nncore.sklearn import MLPRegressor
    >>> X, y = make_regression(200, 4, noise=1.0, random_state=0)
    >>> reg = MLPRegressor((32,), learning_rate_init=0.01, max_iter=500, random_state=0)
    >>> reg.fit(X, y / 100).score(X, y / 100) > 0.95
    True
    """

    _output_for_score = "values"

    def _network_output(self) -> str:
        return "identity"

    def _validate_input(self, X, y, incremental, reset, classes):
        X, y = validate_data(
            self,
            X,
            y,
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y, y.reshape(y.shape[0], -1)

    def _validation_score(self, X_cols, y) -> float:
        A = self._raw(X_cols)
        if not np.isfinite(A).all():
            return np.nan
        return float(r2_score(y, A.T.reshape(y.shape)))

    def partial_fit(self, X, y):
        """Train one epoch on ``X`` and ``y``, continuing the network if there is one.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        self
        """
        return self._fit(X, y, incremental=True)

    def predict(self, X) -> np.ndarray:
        """Predicted values.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            ``network_.predict(X.T).T``, flattened when there is one output.
        """
        A = self._output(X)
        return A[:, 0] if A.shape[1] == 1 else A

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
