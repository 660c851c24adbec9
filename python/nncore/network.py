"""``nncore.Network``: a dense network trained by the core, with state you can continue, save
and load."""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import secrets
import struct
import threading
import zipfile
import zlib

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


def _fitting(fit):
    """Make ``fit`` the only user of the network's state while it runs (see Notes in
    :class:`Network`): a second fit raises at once; fit waits for reads in progress."""

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        me = threading.get_ident()
        with self._guard:
            if self._fit_thread is not None:
                where = "in another thread" if self._fit_thread != me else "(from its callback)"
                raise RuntimeError(f"Network.fit is already running {where}")
            self._fit_thread = me
        try:
            with self._guard:  # reads in progress in other threads finish first
                self._guard.wait_for(lambda: self._readers == 0)
            return fit(self, *args, **kwargs)
        finally:
            with self._guard:
                self._fit_thread = None

    return wrapper


def _reader(what: str, in_fit_callback: bool = True):
    """Wrap a method that reads the network's state in :meth:`Network._reading`."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            with self._reading(what, in_fit_callback):
                return method(self, *args, **kwargs)

        return wrapper

    return decorate


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

    Notes
    -----
    Threads: the core trains without the GIL, so separate networks train in parallel from
    several threads, with bitwise the results of training them one after another. One network
    is not shared with a running ``fit``: while it runs, calling ``fit``, ``predict``,
    ``predict_proba``, ``parameters``, ``optimizer_state`` or ``save``, or copying or pickling
    the network, from another thread raises :class:`RuntimeError` at once (it never reads
    half-updated parameters); ``fit`` itself first waits for those calls already running in
    other threads. Any number of threads may predict with one network at the same time. A
    ``fit`` callback runs between epochs with the loop paused: there ``predict``,
    ``predict_proba`` and ``parameters`` see the current parameters, while ``save``,
    ``optimizer_state``, copying and a nested ``fit`` raise :class:`RuntimeError` (epochs,
    costs and optimizer counts are brought up to date only when ``fit`` returns).

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
            entropy = np.random.SeedSequence().entropy
            assert isinstance(entropy, int)  # drawn from the OS, never None or a sequence here
            seed = entropy % 2**31
        self.seed = chk.integer(seed, "seed", low=0, high=2**31 - 1)
        self.costs = np.zeros(0)
        self.epochs = 0
        self._optimizer: str | None = None
        self._v: np.ndarray | None = None
        self._s: np.ndarray | None = None
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

        Parameters
        ----------
        parameters : dict of numpy.ndarray
            ``{"W1": (n_1, n_x), "b1": (n_1, 1), ..., "WL", "bL"}``, all float64 or all
            float32; the dtype of ``W1`` sets the network's and ``layers_dims`` is read from
            the shapes. The arrays are copied.
        hidden_activation : {"relu", "tanh"}, optional
            Activation of the hidden layers.
        output : {"sigmoid", "softmax", "identity"}, optional
            Output layer and loss, as in :class:`Network`.
        seed : int, optional
            As in :class:`Network` (nothing is initialized, but it seeds the minibatch
            shuffles and dropout masks of :meth:`fit`); ``None`` draws one.

        Returns
        -------
        Network
            Untrained (``epochs == 0``, no optimizer state), with these parameters.

        Raises
        ------
        TypeError, ValueError
            If ``parameters`` is not such a dict (missing or extra keys, mixed dtypes,
            inconsistent shapes) or another argument is invalid.
        """
        chk.num_layers(parameters)
        dtype = chk.compute_dtype(parameters["W1"], "parameters['W1']")
        W, _ = chk.parameters_list(parameters, dtype)
        dims = [W[0].shape[1]] + [Wl.shape[0] for Wl in W]
        net = cls.__new__(cls)
        net._configure(dims, hidden_activation, output, dtype, seed)
        net._theta = flatten(parameters, net.layers_dims, net.dtype).copy()
        return net

    def save(self, path) -> None:
        """Write the network to a ``.npz`` file (a zip of ``.npy`` arrays; no pickle).

        The file is written under exactly ``path`` (``str`` or path-like; unlike
        :func:`numpy.savez`, no ``.npz`` is appended), atomically: the data go to a
        temporary file in the same directory, which then replaces ``path`` in one step, so an
        interrupted save leaves either the old file or none, never a partial one. A missing
        directory raises :class:`FileNotFoundError`.

        The archive holds exactly these members: ``format`` ("nncore.Network"),
        ``format_version`` (1), ``layers_dims``, ``hidden_activation``, ``output``, ``dtype``,
        ``seed``, ``theta`` (the flat parameters ``W1, b1, W2, b2, ...`` in C order),
        ``optimizer`` (name of the optimizer whose state follows, or "" if none), ``v`` and
        ``s`` (its moments, same layout as ``theta``; empty when the optimizer has none),
        ``t`` (Adam's step count), ``step`` (steps taken, keys the dropout masks), ``epochs``
        and ``costs`` (float64, one per epoch).

        Parameters
        ----------
        path : str or os.PathLike
            File to write (replaced if it exists).

        Raises
        ------
        FileNotFoundError
            If the directory of ``path`` does not exist.
        RuntimeError
            If called while ``fit`` runs on this network (from another thread or its
            callback).
        """
        with self._reading("save", in_fit_callback=False):
            empty = np.zeros(0, self.dtype)
            arrays = {
                "format": np.str_(FORMAT),
                "format_version": np.int64(FORMAT_VERSION),
                "layers_dims": np.asarray(self.layers_dims, dtype=np.int64),
                "hidden_activation": np.str_(self.hidden_activation),
                "output": np.str_(self.output),
                "dtype": np.str_(self.dtype.name),
                "seed": np.int64(self.seed),
                "theta": self._theta,
                "optimizer": np.str_(self._optimizer or ""),
                "v": self._v if self._v is not None else empty,
                "s": self._s if self._s is not None else empty,
                "t": np.int64(self._t),
                "step": np.int64(self._step),
                "epochs": np.int64(self.epochs),
                "costs": np.asarray(self.costs, dtype=np.float64),
            }
            _write_atomically(os.fspath(path), arrays)

    @classmethod
    def load(cls, path) -> Network:
        """Read a network written by :meth:`save`.

        Nothing in the file is trusted: every member's ``.npy`` header (dtype, shape, size) is
        checked against what the format requires before its data are read, so no object is
        unpickled and no declared size is allocated. A file that is not exactly what
        :meth:`save` writes -- truncated, corrupted (the zip's CRC is checked), with missing
        or unknown members, wrong dtypes or shapes, invalid choices or counts, or another
        ``format_version`` -- raises :class:`ValueError` naming the path and the problem.
        Non-finite parameters or costs are kept as saved (a diverged network loads back as
        it was).

        Parameters
        ----------
        path : str or os.PathLike
            A file written by :meth:`save`.

        Returns
        -------
        Network
            The saved network, with its parameters, optimizer state, ``epochs``, ``costs``
            and ``seed``: training it on continues as the saved one would have.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is not exactly what :meth:`save` writes.
        """
        name = os.fspath(path)
        with open(name, "rb") as f:
            try:
                with zipfile.ZipFile(f) as zf:
                    return cls._from_archive(_Archive(zf, os.fstat(f.fileno()).st_size))
            except _FileError as exc:
                raise ValueError(f"{name}: {exc}") from None
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
                    TypeError, KeyError, NotImplementedError, RuntimeError, OverflowError,
                    SyntaxError, zlib.error, struct.error) as exc:  # fmt: skip
                raise ValueError(
                    f"{name}: not a readable nncore.Network file ({type(exc).__name__}: {exc})"
                ) from exc

    @classmethod
    def _from_archive(cls, a: _Archive) -> Network:
        names = a.names()
        if "format" not in names:
            raise _FileError(f"not an nncore.Network file (members: {sorted(names)})")
        if (fmt := a.string("format")) != FORMAT:
            raise _FileError(f"not an nncore.Network file (format {fmt!r})")
        if (version := a.integer("format_version")) != FORMAT_VERSION:
            raise _FileError(f"format_version {version}, this nncore reads {FORMAT_VERSION}")
        if names != set(MEMBERS):
            raise _FileError(
                f"members must be exactly {list(MEMBERS)}; missing "
                f"{sorted(set(MEMBERS) - names)}, unknown {sorted(names - set(MEMBERS))}"
            )
        dtype = a.string("dtype")
        if dtype not in ("float64", "float32"):
            raise _FileError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        dims = a.array("layers_dims", "iu", None)
        net = cls.__new__(cls)
        try:
            net._configure(
                [int(d) for d in dims], a.string("hidden_activation"), a.string("output"),
                dtype, a.integer("seed"),
            )  # fmt: skip
        except (TypeError, ValueError) as exc:
            raise _FileError(str(exc)) from None
        optimizer = a.string("optimizer")
        if optimizer not in ("", *OPTIMIZER_CODES):
            raise _FileError(
                f"optimizer must be one of {('', *OPTIMIZER_CODES)}, got {optimizer!r}"
            )
        t, step, epochs = (a.integer(k, low=0) for k in ("t", "step", "epochs"))
        if t > step or (t and optimizer != "adam") or (not optimizer and step + epochs):
            raise _FileError(
                f"inconsistent counts: t={t}, step={step}, epochs={epochs}, optimizer={optimizer!r}"
            )
        if net.seed + epochs >= 2**32:
            raise _FileError(f"seed + epochs must be < 2**32, got {net.seed} + {epochs}")
        n = n_parameters(net.layers_dims)
        net._theta = a.array("theta", "f", (n,), net.dtype.itemsize)
        sizes = {"v": n if optimizer in ("momentum", "adam") else 0,
                 "s": n if optimizer == "adam" else 0}  # fmt: skip
        v, s = (a.array(k, "f", (sizes[k],), net.dtype.itemsize) for k in ("v", "s"))
        net._optimizer = optimizer or None
        net._v = v if sizes["v"] else None
        net._s = s if sizes["s"] else None
        net._t, net._step, net.epochs = t, step, epochs
        net.costs = a.array("costs", "f", (epochs,), 8)
        return net

    # -----------------------------------------------------------------------------------------
    # Threads: one fit at a time, and nobody reads the state while fit writes it
    # -----------------------------------------------------------------------------------------

    def __new__(cls, *args, **kwargs):
        # Here rather than in __init__ so that every way of making a Network (load,
        # from_parameters, copy, pickle) gets its own guard.
        self = super().__new__(cls)
        self._init_guard()
        return self

    def _init_guard(self) -> None:
        self._guard = threading.Condition(threading.Lock())
        self._fit_thread = None  # ident of the thread running fit
        self._readers = 0  # calls reading the state outside fit

    @contextlib.contextmanager
    def _reading(self, what: str, in_fit_callback: bool = True):
        """Read the state: refused while fit runs in another thread (the core writes the
        parameters in place without the GIL), and from fit's own callback unless
        ``in_fit_callback`` (there the loop is paused: the parameters are consistent, but
        epochs, costs and optimizer counts are brought up to date only when fit returns)."""
        me = threading.get_ident()
        with self._guard:
            owner = self._fit_thread
            if owner is not None and owner != me:
                raise RuntimeError(
                    f"Network.{what} called while Network.fit is running in another thread; "
                    "wait for fit to return (or use a copy made before)"
                )
            if owner is not None and not in_fit_callback:
                raise RuntimeError(
                    f"Network.{what} cannot be called from a fit callback: epochs, costs and "
                    "the optimizer state are brought up to date only when fit returns"
                )
            counted = owner is None
            if counted:
                self._readers += 1
        try:
            yield
        finally:
            if counted:
                with self._guard:
                    self._readers -= 1
                    if self._readers == 0:
                        self._guard.notify_all()

    def __getstate__(self) -> dict:
        with self._reading("__getstate__ (copy or pickle)", in_fit_callback=False):
            state = {k: v for k, v in self.__dict__.items()
                     if k not in ("_guard", "_fit_thread", "_readers")}  # fmt: skip
            # Copies: a shallow copy.copy must not share the buffers fit writes in place.
            for key in ("_theta", "_v", "_s"):
                if state.get(key) is not None:
                    state[key] = state[key].copy()
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._init_guard()

    # -----------------------------------------------------------------------------------------
    # Training
    # -----------------------------------------------------------------------------------------

    @_fitting
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
            Input, shape ``(n_x, m)`` with ``m >= 1``, finite: any real array-like (lists,
            integer or float arrays of any order and strides), converted once to the network's
            dtype; bool, complex, object and string arrays are refused with ``TypeError``.
        Y : array_like
            Targets (see ``output`` in the class docstring), converted like ``X``; labels of a
            ``"sigmoid"`` output must be 0 or 1.
        optimizer : {"adam", "momentum", "gd"}, optional
        learning_rate : float, optional
            Initial learning rate (> 0).
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
        num_epochs = chk.integer(num_epochs, "num_epochs", low=0, high=chk.MAX_INT64)
        batch = chk.batch_size(mini_batch_size, X.shape[1])
        callback_every = chk.integer(callback_every, "callback_every", low=1, high=chk.MAX_INT64)
        progress = chk.flag(progress, "progress")
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
        costs = np.full(num_epochs, np.nan)
        diverged: tuple[int, float, int] | None = None
        try:
            _, _, diverged = run(
                X, Y, self.layers_dims, hidden=self.hidden_activation, output=self.output,
                optimizer=optimizer, theta=self._theta,
                v=self._v if self._v is not None else empty,
                s=self._s if self._s is not None else empty, state=state,
                mini_batch_size=batch,
                num_epochs=num_epochs, shuffle_seed=self.seed + self.epochs, lambd=hp["lambd"],
                keep_prob=hp["keep_prob"], beta=hp["beta"], beta1=hp["beta1"],
                beta2=hp["beta2"], epsilon=hp["epsilon"], rates=rates, dropout_seed=self.seed,
                first_epoch=self.epochs, callback=callback, callback_every=callback_every,
                progress=progress, on_nonfinite=on_nonfinite, costs=costs,
            )  # fmt: skip
        finally:
            # Also when the callback raised: the counts follow what theta has learned (the
            # core wrote t, step and epochs_done into state before the exception came back).
            done = int(state[2])
            self._t, self._step = int(state[0]), int(state[1])
            self.epochs += done
            self.costs = np.concatenate([self.costs, costs[:done]])
        if diverged is not None and on_nonfinite == "raise":
            raise diverged_error(*diverged, self.parameters, list(self.costs))
        return self

    # -----------------------------------------------------------------------------------------
    # Inference
    # -----------------------------------------------------------------------------------------

    def _input(self, X) -> np.ndarray:
        """``X`` converted once to a C-ordered ``(n_x, m)`` array of the network's dtype."""
        X = chk.real_array(X, "X")
        X = chk.array2d(X, "X", self.dtype, rows=self.layers_dims[0], cast=True)
        chk.examples(X)
        return X

    def _targets(self, Y, m: int) -> np.ndarray:
        Y = chk.real_array(Y, "Y")
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
        return chk.labels(Y, "Y", self.dtype, n_out, m, sigmoid=self.output == "sigmoid")

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

    @_reader("predict_proba")
    def predict_proba(self, X) -> np.ndarray:
        """Output probabilities.

        Parameters
        ----------
        X : array_like
            Input, shape ``(n_x, m)`` with ``m >= 1``, finite real numbers (converted to the
            network's dtype, as in :meth:`fit`).

        Returns
        -------
        numpy.ndarray
            Shape ``(n_L, m)``, the network's dtype: the sigmoid outputs, or for
            ``output="softmax"`` columns summing to 1.

        Raises
        ------
        ValueError
            For ``output="identity"`` (use :meth:`predict`), or if ``X`` has the wrong shape
            or holds NaN or inf.
        TypeError
            If ``X`` is not an array of real numbers.
        """
        if self.output == "identity":
            raise ValueError("predict_proba needs output='sigmoid' or 'softmax'; use predict")
        return self._forward(X)

    @_reader("predict")
    def predict(self, X) -> np.ndarray:
        """Class labels or, for ``output="identity"``, the predicted values.

        Parameters
        ----------
        X : array_like
            Input, shape ``(n_x, m)`` with ``m >= 1``, finite real numbers (converted to the
            network's dtype, as in :meth:`fit`).

        Returns
        -------
        numpy.ndarray
            ``output="sigmoid"``: ``A > 0.5`` as int64 0/1, shape ``(n_L, m)``;
            ``"softmax"``: the index of the largest output of each column, int64, shape
            ``(1, m)``; ``"identity"``: the outputs, shape ``(n_L, m)``, the network's dtype.

        Raises
        ------
        TypeError, ValueError
            If ``X`` is not a finite real array of shape ``(n_x, m)``.
        """
        A = self._forward(X)
        if self.output == "sigmoid":
            return (A > 0.5).astype(np.int64)
        if self.output == "softmax":
            return np.argmax(A, axis=0).reshape(1, -1)
        return A

    @property
    @_reader("parameters")
    def parameters(self) -> dict[str, np.ndarray]:
        """The parameters as a course dict ``{"W1", "b1", ...}`` (copies).

        Assigning such a dict (same ``layers_dims``, the network's dtype, finite values)
        replaces them; the optimizer's state and the counts are kept.
        """
        return unflatten(self._theta, self.layers_dims)

    @parameters.setter
    def parameters(self, parameters: dict) -> None:
        with self._reading("parameters", in_fit_callback=False):
            self._theta[:] = flatten(parameters, self.layers_dims, self.dtype)

    @property
    @_reader("optimizer_state", in_fit_callback=False)
    def optimizer_state(self) -> dict:
        """The optimizer's state: ``optimizer``, ``t`` and the moments as course dicts."""
        state: dict[str, object] = {"optimizer": self._optimizer, "t": self._t}
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


# ---------------------------------------------------------------------------------------------
# The file format: writing atomically, reading without trusting the file
# ---------------------------------------------------------------------------------------------

MEMBERS = ("format", "format_version", "layers_dims", "hidden_activation", "output", "dtype",
           "seed", "theta", "optimizer", "v", "s", "t", "step", "epochs", "costs")  # fmt: skip
# Longest string member accepted (characters); the real ones are at most 14.
MAX_STRING = 64


class _FileError(Exception):
    """What is wrong with a file being loaded; becomes a ValueError naming the path."""


def _write_atomically(path: str, arrays: dict) -> None:
    """``np.savez`` into a fresh temporary file next to ``path``, synced, then renamed over
    ``path`` (``os.replace`` is atomic on POSIX and Windows)."""
    directory, base = os.path.split(path)
    directory = directory or "."
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            errno.ENOENT, f"cannot save the network: directory {directory!r} does not exist", path
        )
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            # O_EXCL: never write through someone else's file; mode 0o666 lets the umask decide
            # the permissions, as for any new file.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)  # fmt: skip
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class _Archive:
    """The members of a zip of ``.npy`` files, each read only after its header has been
    checked: no pickle, and no declared size is believed before it is compared with what the
    format expects and what the file can hold."""

    def __init__(self, zf: zipfile.ZipFile, file_size: int):
        self.zf = zf
        self.file_size = file_size
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in zf.infolist():
            name = info.filename.removesuffix(".npy")
            if name in self.infos or not info.filename.endswith(".npy"):
                raise _FileError(
                    f"not an nncore.Network file (unexpected or repeated zip member "
                    f"{info.filename!r})"
                )
            self.infos[name] = info

    def names(self) -> set[str]:
        return set(self.infos)

    def string(self, name: str) -> str:
        return str(self.array(name, "U", (), None)[()])

    def integer(self, name: str, low: int | None = None) -> int:
        value = int(self.array(name, "iu", (), None)[()])
        if low is not None and value < low:
            raise _FileError(f"{name} must be >= {low}, got {value}")
        if value >= 2**63:
            raise _FileError(f"{name} must be < 2**63, got {value}")
        return value

    def array(self, name: str, kinds: str, shape, itemsize=None) -> np.ndarray:
        """Member ``name`` as a native-byte-order array of a dtype kind in ``kinds`` (and
        ``itemsize`` bytes, if given) and shape ``shape`` (``None``: any 1-D)."""
        try:
            return self._array(name, kinds, shape, itemsize)
        except _FileError:
            raise
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, TypeError, KeyError,
                NotImplementedError, RuntimeError, OverflowError, SyntaxError, zlib.error,
                struct.error) as exc:  # fmt: skip
            raise _FileError(f"{name}: unreadable ({type(exc).__name__}: {exc})") from exc

    def _array(self, name, kinds, shape, itemsize) -> np.ndarray:
        info = self.infos[name]
        if info.flag_bits & 0x1:
            raise _FileError(f"{name}: encrypted zip member")
        if info.compress_type == zipfile.ZIP_STORED:
            plausible = info.file_size == info.compress_size
        elif info.compress_type == zipfile.ZIP_DEFLATED:  # expands at most ~1032 times
            plausible = info.file_size <= 1100 * info.compress_size + 4096
        else:  # bzip2 and lzma can expand far more: no bound to check the size against
            raise _FileError(f"{name}: zip compression method {info.compress_type} not accepted")
        if not plausible or info.header_offset + info.compress_size > self.file_size:
            raise _FileError(
                f"{name}: zip member declares {info.file_size} bytes, more than the file holds"
            )
        with self.zf.open(info) as fp:
            version = np.lib.format.read_magic(fp)
            if version == (1, 0):
                dims, _, dt = np.lib.format.read_array_header_1_0(fp)
            elif version == (2, 0):
                dims, _, dt = np.lib.format.read_array_header_2_0(fp)
            else:
                raise _FileError(f"{name}: unsupported .npy version {version}")
            want = f"dtype kind {kinds!r}" + (f" of {itemsize} bytes" if itemsize else "")
            if (
                dt.kind not in kinds or dt.hasobject or dt.fields is not None
                or dt.subdtype is not None or (itemsize is not None and dt.itemsize != itemsize)
                or (dt.kind == "U" and dt.itemsize > 4 * MAX_STRING)
            ):  # fmt: skip
                raise _FileError(f"{name} must have {want}, got dtype {dt.str!r}")
            if shape is None:
                if len(dims) != 1:
                    raise _FileError(f"{name} must be 1-D, got shape {dims}")
            elif dims != shape:
                raise _FileError(f"{name} must have shape {shape}, got {dims}")
            count = 1
            for d in dims:
                count *= d
            nbytes = count * dt.itemsize
            if info.file_size != fp.tell() + nbytes:
                raise _FileError(
                    f"{name}: header declares {nbytes} bytes of data, the member holds "
                    f"{info.file_size - fp.tell()}"
                )
            data = fp.read(nbytes)
            if len(data) != nbytes or fp.read(1):
                raise _FileError(f"{name}: truncated member")
        return np.frombuffer(data, dt, count).reshape(dims).astype(dt.newbyteorder("="))
