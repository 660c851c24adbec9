"""``nncore.Network``: a dense network trained by the core, with state you can continue, save
and load."""

from __future__ import annotations

import os

import numpy as np

from . import _mirror
from . import _validate as chk
from ._mirror import HIDDEN, OPTIMIZER_CODES, core_for
from ._training import (
    ON_NONFINITE,
    OUTPUTS,
    check_hyperparameters,
    decay_function,
    diverged_error,
    flatten,
    learning_rates,
    n_parameters,
    run,
    unflatten,
)

__all__ = ["Network"]

INITIALIZATIONS = ("he", "xavier", "random", "zeros", "deep")
FORMAT = "nncore.Network"
FORMAT_VERSION = 1


class Network:
    """A dense network ``[LINEAR -> hidden] * (L-1) -> LINEAR -> output``.

    Same ``(n_x, m)`` layout as the course: one column per example.

    Parameters
    ----------
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``.
    hidden_activation : {"relu", "tanh"}, optional
        Activation of the hidden layers.
    output : {"sigmoid", "softmax", "identity"}, optional
        ``"sigmoid"`` with binary cross-entropy (the course's; labels 0/1 of shape
        ``(n_L, m)``), ``"softmax"`` with categorical cross-entropy (``n_L >= 2`` classes;
        labels one-hot ``(n_L, m)`` or integers ``(1, m)``), ``"identity"`` with mean squared
        error ``sum((A - Y)**2) / (2 m)`` for regression.
    initialization : {"he", "xavier", "random", "zeros", "deep"}, optional
        Initializer of the course (drawn like ``np.random.seed(seed); np.random.randn``).
    dtype : {"float64", "float32"}, optional
        Dtype of parameters, activations, gradients and optimizer state.
    seed : int, optional
        Seeds the initializer (the course uses 3), the minibatch shuffles (epoch ``k`` is
        shuffled like ``np.random.seed(seed + k + 1)``) and the dropout masks. ``None`` draws
        one; it is kept in :attr:`seed`, so every run can be repeated.

    Attributes
    ----------
    costs : numpy.ndarray
        Cost of every epoch trained so far (over all calls of :meth:`fit`).
    epochs : int
        Epochs trained so far.

    Examples
    --------
    >>> import nncore
    >>> from nncore.datasets import load_moons
    >>> X, Y = load_moons()[:2]
    >>> net = nncore.Network([2, 5, 2, 1], seed=3).fit(X, Y, num_epochs=100)
    >>> net.predict(X).shape
    (1, 300)
    """

    def __init__(
        self,
        layers_dims,
        hidden_activation: str = "relu",
        output: str = "sigmoid",
        initialization: str = "he",
        dtype="float64",
        seed: int | None = None,
    ):
        self._configure(layers_dims, hidden_activation, output, dtype, seed)
        chk.choice(initialization, "initialization", INITIALIZATIONS)
        if initialization == "zeros":
            init = _mirror.initialize_parameters_zeros(self.layers_dims, dtype=self.dtype)
        else:
            initializer = getattr(_mirror, f"initialize_parameters_{initialization}")
            init = initializer(self.layers_dims, self.seed, dtype=self.dtype)
        self._theta = flatten(init, self.layers_dims, self.dtype)

    def _configure(self, layers_dims, hidden_activation, output, dtype, seed) -> None:
        self.layers_dims = chk.layers_dims(layers_dims)
        self.hidden_activation = chk.choice(hidden_activation, "hidden_activation", HIDDEN)
        self.output = chk.choice(output, "output", OUTPUTS)
        if output == "softmax" and self.layers_dims[-1] < 2:
            raise ValueError(
                f"output='softmax' needs at least 2 output units, got layers_dims {layers_dims}"
            )
        self.dtype = chk.float_dtype(dtype)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**31)
        self.seed = chk.integer(seed, "seed", low=0)
        if self.seed >= 2**31:
            raise ValueError(f"seed must be < 2**31, got {seed}")
        self.costs = np.zeros(0)
        self.epochs = 0
        self._optimizer = None
        self._v = self._s = None
        self._t = 0
        self._step = 0

    # -----------------------------------------------------------------------------------------
    # Construction from parameters, saving, loading
    # -----------------------------------------------------------------------------------------

    @classmethod
    def from_parameters(
        cls,
        parameters: dict,
        hidden_activation: str = "relu",
        output: str = "sigmoid",
        seed: int | None = None,
    ) -> Network:
        """A network starting from a course parameter dict (``W1, b1, ..., WL, bL``).

        The dtype of ``parameters["W1"]`` (float64 or float32) sets the network's; the arrays
        are copied.
        """
        L = chk.num_layers(parameters)
        dtype = chk.compute_dtype(parameters["W1"], "parameters['W1']")
        W1 = parameters["W1"]
        if W1.ndim != 2:
            raise ValueError(f"parameters['W1'] must be 2-D, got shape {W1.shape}")
        dims = [W1.shape[1]] + [np.shape(parameters[f"W{l}"])[0] for l in range(1, L + 1)]
        net = cls.__new__(cls)
        net._configure(dims, hidden_activation, output, dtype, seed)
        net._theta = flatten(parameters, net.layers_dims, net.dtype).copy()
        return net

    def save(self, path) -> None:
        """Write the network to a ``.npz`` file (no pickle).

        The archive holds: ``format`` ("nncore.Network"), ``format_version`` (1),
        ``layers_dims``, ``hidden_activation``, ``output``, ``dtype``, ``seed``, ``theta``
        (the flat parameters ``W1, b1, W2, b2, ...`` in C order), ``optimizer`` (name of the
        optimizer whose state follows, or "" if none), ``v`` and ``s`` (its moments, same
        layout as ``theta``, possibly empty), ``t`` (Adam's step count), ``step`` (steps
        taken, keys the dropout masks), ``epochs`` and ``costs``.
        """
        empty = np.zeros(0, self.dtype)
        np.savez(
            os.fspath(path),
            format=np.str_(FORMAT),
            format_version=np.int64(FORMAT_VERSION),
            layers_dims=np.asarray(self.layers_dims, dtype=np.int64),
            hidden_activation=np.str_(self.hidden_activation),
            output=np.str_(self.output),
            dtype=np.str_(self.dtype.name),
            seed=np.int64(self.seed),
            theta=self._theta,
            optimizer=np.str_(self._optimizer or ""),
            v=self._v if self._v is not None else empty,
            s=self._s if self._s is not None else empty,
            t=np.int64(self._t),
            step=np.int64(self._step),
            epochs=np.int64(self.epochs),
            costs=self.costs,
        )

    @classmethod
    def load(cls, path) -> Network:
        """Read a network written by :meth:`save` (``allow_pickle=False``)."""
        with np.load(os.fspath(path), allow_pickle=False) as f:
            missing = {"format", "format_version", "layers_dims", "theta"} - set(f.files)
            if missing or str(f["format"]) != FORMAT:
                raise ValueError(f"{path} is not an nncore.Network file (missing {missing})")
            if int(f["format_version"]) != FORMAT_VERSION:
                raise ValueError(
                    f"{path} has format_version {int(f['format_version'])}, "
                    f"this nncore reads {FORMAT_VERSION}"
                )
            net = cls.__new__(cls)
            net._configure(
                [int(d) for d in f["layers_dims"]],
                str(f["hidden_activation"]),
                str(f["output"]),
                str(f["dtype"]),
                int(f["seed"]),
            )
            n = n_parameters(net.layers_dims)
            theta = f["theta"]
            if theta.shape != (n,) or theta.dtype != net.dtype:
                raise ValueError(f"{path}: theta must have shape ({n},) and dtype {net.dtype}")
            net._theta = theta.copy()
            optimizer = str(f["optimizer"])
            if optimizer:
                net._optimizer = chk.choice(optimizer, "optimizer", OPTIMIZER_CODES)
                net._v = f["v"].copy() if optimizer != "gd" else None
                net._s = f["s"].copy() if optimizer == "adam" else None
                for name, arr in (("v", net._v), ("s", net._s)):
                    if arr is not None and (arr.shape != (n,) or arr.dtype != net.dtype):
                        raise ValueError(f"{path}: {name} must have theta's shape and dtype")
            net._t = int(f["t"])
            net._step = int(f["step"])
            net.epochs = int(f["epochs"])
            net.costs = f["costs"].astype(np.float64)
        return net

    # -----------------------------------------------------------------------------------------
    # Training
    # -----------------------------------------------------------------------------------------

    def fit(
        self,
        X,
        Y,
        optimizer: str = "adam",
        learning_rate: float = 0.0007,
        mini_batch_size: int | None = 64,
        num_epochs: int = 1000,
        lambd: float = 0.0,
        keep_prob: float = 1.0,
        decay=None,
        decay_rate: float = 1.0,
        beta: float = 0.9,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        callback=None,
        callback_every: int = 10,
        progress: bool = False,
        on_nonfinite: str = "raise",
    ) -> Network:
        """Train on ``X`` (``(n_x, m)``) and ``Y``; the whole loop runs in the core.

        Parameters
        ----------
        X : array_like
            Input, shape ``(n_x, m)``; converted to the network's dtype.
        Y : array_like
            Targets (see ``output`` in the class docstring).
        optimizer : {"adam", "momentum", "gd"}, optional
        learning_rate : float, optional
            Initial learning rate (>= 0).
        mini_batch_size : int or None, optional
            Examples per minibatch (shuffled every epoch); ``None`` for full batch.
        num_epochs : int, optional
        lambd : float, optional
            L2 regularization strength.
        keep_prob : float, optional
            Dropout keep probability of the hidden units, in ``(0, 1]``.
        decay : {None, "update_lr", "schedule_lr_decay"} or callable, optional
            Learning-rate schedule ``decay(learning_rate, epoch, decay_rate)``; epochs count
            from the network's first training epoch.
        decay_rate : float, optional
        beta : float, optional
            Momentum coefficient.
        beta1, beta2, epsilon : float, optional
            Adam hyperparameters.
        callback : callable, optional
            ``callback(epoch, cost)`` after every ``callback_every`` epochs; returning
            ``False`` stops training.
        callback_every : int, optional
        progress : bool, optional
            Show a progress bar (tqdm when it is installed).
        on_nonfinite : {"raise", "warn", "ignore"}, optional
            When an epoch ends with a NaN or infinite cost, parameters or optimizer state (a
            learning rate too large, float32 overflow): ``"raise"`` stops there, puts the
            network back to the end of the last finite epoch (parameters, optimizer state,
            ``costs`` and ``epochs``) and raises :class:`nncore.TrainingDiverged` naming the
            epoch, after which ``fit`` can continue, for instance with a lower learning rate;
            ``"warn"`` trains on and issues one ``RuntimeWarning``; ``"ignore"`` trains on
            silently.

        Returns
        -------
        Network
            ``self``. Calling ``fit`` again continues where it stopped, optimizer state
            included (Adam's ``t`` and moments); switching optimizer starts its state afresh.
            Ctrl-C stops training, warns (:class:`nncore.TrainingInterrupted`) and returns
            normally with everything learned so far.

        Notes
        -----
        The recorded cost is computed from the output pre-activation ``Z`` (sigmoid:
        ``max(z, 0) - z y + log1p(exp(-|z|))``; softmax: ``logsumexp(z) - sum(y z)`` per
        column), so a saturated output gives a large finite cost where the course's formula
        on ``A`` gives ``inf``; see ``docs/numerics.md``.
        """
        X = self._input(X)
        Y = self._targets(Y, X.shape[1])
        chk.choice(optimizer, "optimizer", OPTIMIZER_CODES)
        hp = check_hyperparameters(
            learning_rate, beta, beta1, beta2, epsilon, lambd, keep_prob, decay_rate
        )
        num_epochs = chk.integer(num_epochs, "num_epochs", low=0)
        if mini_batch_size is not None:
            mini_batch_size = chk.integer(mini_batch_size, "mini_batch_size", low=1)
        callback_every = chk.integer(callback_every, "callback_every", low=1)
        chk.choice(on_nonfinite, "on_nonfinite", ON_NONFINITE)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        rates = learning_rates(
            hp["learning_rate"], self.epochs, num_epochs, decay_function(decay), hp["decay_rate"]
        )
        if self.seed + self.epochs + num_epochs >= 2**32:
            raise ValueError("seed + epochs trained must stay below 2**32")

        if optimizer != self._optimizer:
            self._optimizer = optimizer
            self._v = np.zeros_like(self._theta) if optimizer != "gd" else None
            self._s = np.zeros_like(self._theta) if optimizer == "adam" else None
            self._t = 0
        empty = np.zeros(0, self.dtype)
        state = np.array([self._t, self._step, 0, 0], dtype=np.int64)
        costs, _, diverged = run(
            X, Y, self.layers_dims, hidden=self.hidden_activation, output=self.output,
            optimizer=optimizer, theta=self._theta,
            v=self._v if self._v is not None else empty,
            s=self._s if self._s is not None else empty, state=state,
            mini_batch_size=0 if mini_batch_size is None else mini_batch_size,
            num_epochs=num_epochs, shuffle_seed=self.seed + self.epochs, lambd=hp["lambd"],
            keep_prob=hp["keep_prob"], beta=hp["beta"], beta1=hp["beta1"], beta2=hp["beta2"],
            epsilon=hp["epsilon"], rates=rates, dropout_seed=self.seed, first_epoch=self.epochs,
            callback=callback, callback_every=callback_every, progress=progress,
            on_nonfinite=on_nonfinite,
        )  # fmt: skip
        self._t, self._step = int(state[0]), int(state[1])
        self.epochs += len(costs)
        self.costs = np.concatenate([self.costs, costs])
        if diverged is not None and on_nonfinite == "raise":
            raise diverged_error(*diverged, self.parameters, list(self.costs))
        return self

    # -----------------------------------------------------------------------------------------
    # Inference
    # -----------------------------------------------------------------------------------------

    def _input(self, X) -> np.ndarray:
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise TypeError(f"X must hold real numbers, got dtype {X.dtype}")
        return chk.array2d(X, "X", self.dtype, rows=self.layers_dims[0], cast=True)

    def _targets(self, Y, m: int) -> np.ndarray:
        Y = np.asarray(Y)
        if Y.dtype.kind not in "biuf":
            raise TypeError(f"Y must hold real numbers, got dtype {Y.dtype}")
        n_out = self.layers_dims[-1]
        if Y.ndim == 1:
            Y = Y.reshape(1, -1)
        if self.output == "softmax" and Y.shape == (1, m) and n_out > 1:
            labels = Y.ravel()
            if not np.isfinite(labels).all() or (labels != np.round(labels)).any():
                raise ValueError("Y: integer class labels expected for output='softmax'")
            if labels.min(initial=0) < 0 or labels.max(initial=0) >= n_out:
                raise ValueError(
                    f"Y: class labels must be in [0, {n_out}), got range "
                    f"[{labels.min()}, {labels.max()}]"
                )
            one_hot = np.zeros((n_out, m), dtype=self.dtype)
            one_hot[labels.astype(np.int64), np.arange(m)] = 1
            return one_hot
        return chk.array2d(Y, "Y", self.dtype, rows=n_out, cols=m, cast=True)

    def _forward(self, X) -> np.ndarray:
        X = self._input(X)
        W, b = [], []
        offset = 0
        for l in range(1, len(self.layers_dims)):
            n_out, n_in = self.layers_dims[l], self.layers_dims[l - 1]
            W.append(self._theta[offset : offset + n_out * n_in].reshape(n_out, n_in))
            offset += n_out * n_in
            b.append(self._theta[offset : offset + n_out].reshape(n_out, 1))
            offset += n_out
        _, A, _, _ = core_for(self.dtype).forward(
            X, W, b, HIDDEN[self.hidden_activation], OUTPUTS[self.output], 1.0, 0, [], 0, 0
        )
        return A[-1]

    def predict_proba(self, X) -> np.ndarray:
        """Output probabilities: ``sigmoid`` ``(n_L, m)``, or ``softmax`` columns summing to 1."""
        if self.output == "identity":
            raise ValueError("predict_proba needs output='sigmoid' or 'softmax'; use predict")
        return self._forward(X)

    def predict(self, X) -> np.ndarray:
        """Class labels (sigmoid: ``A > 0.5`` as 0/1; softmax: the argmax, shape ``(1, m)``)
        or, for ``output="identity"``, the predicted values."""
        A = self._forward(X)
        if self.output == "sigmoid":
            return (A > 0.5).astype(np.int64)
        if self.output == "softmax":
            return np.argmax(A, axis=0).reshape(1, -1)
        return A

    @property
    def parameters(self) -> dict[str, np.ndarray]:
        """The parameters as a course dict ``{"W1", "b1", ...}`` (copies)."""
        return unflatten(self._theta, self.layers_dims)

    @property
    def optimizer_state(self) -> dict:
        """The optimizer's state: ``optimizer``, ``t`` and the moments as course dicts."""
        state = {"optimizer": self._optimizer, "t": self._t}
        if self._v is not None:
            state["v"] = unflatten(self._v, self.layers_dims, prefix="d")
        if self._s is not None:
            state["s"] = unflatten(self._s, self.layers_dims, prefix="d")
        return state

    def __repr__(self) -> str:
        return (
            f"Network({self.layers_dims}, hidden_activation={self.hidden_activation!r}, "
            f"output={self.output!r}, dtype={self.dtype.name!r}, seed={self.seed}) "
            f"# {self.epochs} epochs trained"
        )
