"""``nncore.Network``: a dense network trained by the core, with state you can continue, save
and load."""

from __future__ import annotations

import contextlib
import functools
import threading

import numpy as np

from . import _mirror, _npz
from . import _validate as chk
from ._flat import flatten, layers, n_parameters, unflatten
from ._mirror import HIDDEN, OPTIMIZER_CODES, OPTIMIZER_STATE, core_for
from ._training import (
    ON_NONFINITE,
    OUTPUTS,
    check_hyperparameters,
    decay_function,
    diverged_error,
    run,
    schedule,
    totals,
)

__all__ = ["Network"]

INITIALIZATIONS = ("he", "xavier", "random", "zeros", "deep")
# Bound on the memory of predict's forward pass (the activations of every layer, and the block
# of X converted to the network's dtype and layout) beyond its input and output: X is forwarded
# in blocks of examples that fit. Small enough that a block's arrays stay in the last-level
# cache and below glibc's largest mmap threshold (32 MiB): larger blocks got fresh pages from
# the kernel for every block, zeroed and faulted in.
PREDICT_BYTES = 8 * 2**20


def _slot_sizes(optimizer: str, n: int) -> dict[str, int]:
    """Sizes of the optimizer state ``v`` and ``s`` for ``n`` parameters (0: not kept)."""
    kept = OPTIMIZER_STATE.get(optimizer, ())
    return {slot: n if slot in kept else 0 for slot in ("v", "s")}


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

    Same ``(n_x, m)`` layout as the course: one column per example; ``layout="rows"`` takes
    and gives every array of examples transposed (scikit-learn's ``(m, n_x)``).

    Parameters
    ----------
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``.
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
        Activation of the hidden layers.
    output : {"sigmoid", "softmax", "identity"}, optional
        ``"sigmoid"`` with binary cross-entropy (the course's; labels 0/1 of shape
        ``(n_L, m)``), ``"softmax"`` with categorical cross-entropy (``n_L >= 2`` classes;
        labels one-hot ``(n_L, m)``, or probabilities ``(n_L, m)``: columns of non-negative
        entries summing to 1 within ``max(1e-6, 4 n_L eps)``, or integers ``(1, m)``),
        ``"identity"`` with mean squared
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
        hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
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
            try:
                self._check_state()
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"cannot save the network: {exc}") from None
            empty = np.zeros(0, self.dtype)
            arrays = {
                "format": np.str_(_npz.FORMAT),
                "format_version": np.int64(_npz.FORMAT_VERSION),
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
            _npz.write(path, arrays)

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
        with _npz.reading(path) as archive:
            return cls._from_archive(archive)

    @classmethod
    def _from_archive(cls, a: _npz.Archive) -> Network:
        names = a.names()
        if "format" not in names:
            raise _npz.FileError(f"not an nncore.Network file (members: {sorted(names)})")
        if (fmt := a.string("format")) != _npz.FORMAT:
            raise _npz.FileError(f"not an nncore.Network file (format {fmt!r})")
        if (version := a.integer("format_version")) != _npz.FORMAT_VERSION:
            raise _npz.FileError(
                f"format_version {version}, this nncore reads {_npz.FORMAT_VERSION}"
            )
        if names != set(_npz.MEMBERS):
            raise _npz.FileError(
                f"members must be exactly {list(_npz.MEMBERS)}; missing "
                f"{sorted(set(_npz.MEMBERS) - names)}, unknown {sorted(names - set(_npz.MEMBERS))}"
            )
        dtype = a.string("dtype")
        if dtype not in ("float64", "float32"):
            raise _npz.FileError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        dims = a.array("layers_dims", "iu", None)
        net = cls.__new__(cls)
        try:
            net._configure(
                [int(d) for d in dims], a.string("hidden_activation"), a.string("output"),
                dtype, a.integer("seed"),
            )  # fmt: skip
        except (TypeError, ValueError) as exc:
            raise _npz.FileError(str(exc)) from None
        optimizer = a.string("optimizer")
        net._optimizer = optimizer or None
        net._t, net._step, net.epochs = (a.integer(k, low=0) for k in ("t", "step", "epochs"))
        # The rules are _check_state's, the same that save applies: first those of the counts,
        # then every array is read bounded by a size derived from them, then the arrays'.
        try:
            net._check_state(arrays=False)
            n = n_parameters(net.layers_dims)
            net._theta = a.array("theta", "f", (n,), net.dtype.itemsize)
            sizes = _slot_sizes(optimizer, n)
            v, s = (a.array(k, "f", (sizes[k],), net.dtype.itemsize) for k in ("v", "s"))
            net._v = v if sizes["v"] else None
            net._s = s if sizes["s"] else None
            net.costs = a.array("costs", "f", (net.epochs,), 8)
            net._check_state()
        except (TypeError, ValueError) as exc:
            raise _npz.FileError(str(exc)) from None
        return net

    def _check_state(self, arrays: bool = True) -> None:
        """The rules a network's state obeys, checked wherever it is written or read back
        (save, load, pickling, fit, predict): a public attribute changed by hand to something
        :meth:`load` would refuse raises ``ValueError``/``TypeError`` naming it, so that what
        :meth:`save` writes always loads. Sizes and counts, not values: O(1). ``arrays=False``
        checks the counts only (load reads the arrays after them, sized by them)."""
        dims = chk.layers_dims(self.layers_dims)
        chk.choice(self.hidden_activation, "hidden_activation", HIDDEN)
        chk.choice(self.output, "output", OUTPUTS)
        if self.output == "softmax" and dims[-1] < 2:
            raise ValueError(
                f"output='softmax' needs at least 2 output units, got layers_dims {dims}"
            )
        dtype = chk.float_dtype(self.dtype)
        seed = chk.integer(self.seed, "seed", low=0, high=2**31 - 1)
        epochs = chk.integer(self.epochs, "epochs", low=0, high=chk.MAX_INT64)
        if seed + epochs >= 2**32:
            raise ValueError(f"seed + epochs must be < 2**32, got {seed} + {epochs}")
        optimizer = self._optimizer or ""
        if optimizer not in ("", *OPTIMIZER_CODES):
            raise ValueError(
                f"optimizer must be one of {('', *OPTIMIZER_CODES)}, got {optimizer!r}"
            )
        t = chk.integer(self._t, "t", low=0, high=chk.MAX_INT64)
        step = chk.integer(self._step, "step", low=0, high=chk.MAX_INT64)
        if t > step or (t and optimizer != "adam") or (not optimizer and step + epochs):
            raise ValueError(
                f"inconsistent counts: t={t}, step={step}, epochs={epochs}, optimizer={optimizer!r}"
            )
        if not arrays:
            return
        n = n_parameters(dims)
        sizes = _slot_sizes(optimizer, n)
        for name, a, size in (("theta", self._theta, n), ("v", self._v, sizes["v"]),
                              ("s", self._s, sizes["s"])):  # fmt: skip
            if a is None and size == 0 and name != "theta":
                continue
            if not isinstance(a, np.ndarray) or a.dtype != dtype or a.shape != (size,):
                got = f"{a.dtype} {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__
                raise ValueError(
                    f"{name} must have shape ({size},) and dtype {dtype} (layers_dims "
                    f"{dims}, optimizer {optimizer!r}), got {got}"
                )
        try:
            costs = np.asarray(self.costs)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"costs must be an array of epochs real numbers: {exc}") from None
        if costs.dtype.kind not in "iuf" or costs.shape != (epochs,):
            raise ValueError(
                f"costs must have shape ({epochs},) (one per epoch, epochs = {epochs}) and real "
                f"values, got {costs.dtype} {costs.shape}"
            )

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
            try:
                self._check_state()
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"cannot copy or pickle the network: {exc}") from None
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
        layout: str = "columns",
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
        optimizer : {"adam", "momentum", "gd", "rmsprop", "nesterov"}, optional
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
            Momentum coefficient (``"momentum"``, ``"nesterov"``).
        beta1, beta2, epsilon : float, optional
            Adam hyperparameters (``"rmsprop"`` uses ``beta2`` and ``epsilon``).
        callback : callable, optional
            ``callback(epoch, cost)`` after every ``callback_every`` epochs. It returns
            ``None`` (no return statement) to go on, or a bool or integer, Python or numpy,
            which stops training when false (``False``, ``np.False_``, ``0``: so
            ``return cost > tol`` works on numpy floats); any other answer raises
            ``TypeError``.
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
        layout : {"columns", "rows"}, optional
            ``"columns"``: ``X`` is ``(n_x, m)`` and ``Y`` ``(n_L, m)``, one column per
            example (the course's). ``"rows"``: ``X`` is ``(m, n_x)`` and ``Y`` ``(m, n_L)``,
            one row per example (scikit-learn's); the core reads such an ``X`` in place, so a
            C-contiguous ``X`` of the network's dtype is not copied at all (see
            ``docs/sklearn.md``). Either layout trains bitwise alike.

        Returns
        -------
        Network
            ``self``. Calling ``fit`` again continues where it stopped, optimizer state
            included (Adam's ``t`` and moments); switching optimizer starts its state afresh.
            Ctrl-C stops training, warns (:class:`nncore.TrainingInterrupted`) and returns
            normally with everything learned up to the last whole epoch: a stop in the middle
            of an epoch puts back the state that epoch started from (parameters, optimizer
            state, ``t`` and ``step``), so that continuing gives bit for bit the uninterrupted
            run. An exception from a signal handler, the callback or ``decay`` leaves the
            same consistent state behind it.

        Notes
        -----
        The recorded cost is computed from the output pre-activation ``Z`` (sigmoid:
        ``max(z, 0) - z y + log1p(exp(-|z|))``; softmax: ``logsumexp(z) - sum(y z)`` per
        column), so a saturated output gives a large finite cost where the course's formula
        on ``A`` gives ``inf``; see ``docs/numerics.md``.
        """
        try:
            self._check_state()
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"cannot fit the network: {exc}") from None
        rows = chk.choice(layout, "layout", chk.LAYOUTS) == "rows"
        X = self._input(X, rows)
        Y = self._targets(Y, X.shape[0 if rows else 1], rows)
        chk.choice(optimizer, "optimizer", OPTIMIZER_CODES)
        hp = check_hyperparameters(
            learning_rate, beta, beta1, beta2, epsilon, lambd, keep_prob, decay_rate
        )
        num_epochs = chk.integer(num_epochs, "num_epochs", low=0, high=chk.MAX_INT64)
        batch = chk.batch_size(mini_batch_size, Y.shape[1])
        callback_every = chk.integer(callback_every, "callback_every", low=1, high=chk.MAX_INT64)
        progress = chk.flag(progress, "progress")
        chk.choice(on_nonfinite, "on_nonfinite", ON_NONFINITE)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        rates = schedule(
            hp["learning_rate"], self.epochs, num_epochs, decay_function(decay), hp["decay_rate"]
        )
        if self.seed + self.epochs + num_epochs >= 2**32:
            raise ValueError(
                f"num_epochs must be < {2**32 - self.seed - self.epochs} here: seed + epochs "
                f"trained + num_epochs keys the shuffles and must stay below 2**32, got "
                f"{self.seed} + {self.epochs} + {num_epochs}"
            )

        if optimizer != self._optimizer:
            self._optimizer = optimizer
            sizes = _slot_sizes(optimizer, self._theta.size)
            self._v = np.zeros_like(self._theta) if sizes["v"] else None
            self._s = np.zeros_like(self._theta) if sizes["s"] else None
            self._t = 0
        empty = np.zeros(0, self.dtype)
        state = np.array([self._t, self._step, 0, 0], dtype=np.int64)
        chunks: list = []
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
                progress=progress, on_nonfinite=on_nonfinite, chunks=chunks, rows=rows,
            )  # fmt: skip
        finally:
            # Whatever exception came (from the callback, a signal handler, a decay function):
            # the counts follow what theta has learned, which the core wrote into the chunks.
            self._t, self._step, done, costs = totals(state, chunks)
            self.epochs += done
            self.costs = np.concatenate([self.costs, costs])
        if diverged is not None and on_nonfinite == "raise":
            raise diverged_error(*diverged, self.parameters, list(self.costs))
        return self

    # -----------------------------------------------------------------------------------------
    # Inference
    # -----------------------------------------------------------------------------------------

    def _input(self, X, rows: bool = False) -> np.ndarray:
        """``X`` converted once to a C-ordered array of the network's dtype, ``(n_x, m)``, or
        ``(m, n_x)`` with ``rows``."""
        n_x = self.layers_dims[0]
        X = chk.real_array(X, "X")
        X = chk.array2d(X, "X", self.dtype, rows=None if rows else n_x,
                        cols=n_x if rows else None, cast=True)  # fmt: skip
        chk.examples(X, rows=rows)
        return X

    def _targets(self, Y, m: int, rows: bool = False) -> np.ndarray:
        """``Y`` checked and converted to the core's ``(n_L, m)``; with ``rows`` it comes as
        ``(m, n_L)`` (a vector of ``m`` labels in either layout)."""
        Y = chk.real_array(Y, "Y")
        n_out = self.layers_dims[-1]
        if Y.ndim == 1:
            Y = Y.reshape(1, -1)
        elif rows and Y.ndim == 2:
            if Y.shape[0] != m:
                raise ValueError(f"Y must have shape ({m}, {n_out}) (layout='rows'), got {Y.shape}")
            Y = Y.T
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
        Y = chk.labels(Y, "Y", self.dtype, n_out, m, sigmoid=self.output == "sigmoid")
        return chk.distributions(Y, "Y") if self.output == "softmax" else Y

    def _forward(self, X, layout: str) -> np.ndarray:
        """The output activations, ``(n_L, m)`` (``(m, n_L)`` in the rows layout); refuses to
        answer from non-finite parameters or with a non-finite output (see Notes of
        :meth:`predict`)."""
        try:
            self._check_state()
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"cannot predict: {exc}") from None
        rows = chk.choice(layout, "layout", chk.LAYOUTS) == "rows"
        n_x = self.layers_dims[0]
        X = chk.real_array(X, "X")
        chk.matrix(X, "X", rows=None if rows else n_x, cols=n_x if rows else None)
        m = chk.examples(X, rows=rows)
        if not np.isfinite(self._theta).all():
            raise ValueError(
                "cannot predict: the network's parameters hold NaN or inf (a training that "
                "diverged with on_nonfinite='warn' or 'ignore', or such a network loaded); "
                "train it on from finite parameters or load a finite one"
            )
        W, b = map(list, zip(*layers(self._theta, self.layers_dims)))
        # The forward pass keeps Z and A of every layer, and takes X as a C-ordered (n_x, m) of
        # the network's dtype: in blocks of examples, each converted (transposed from the rows
        # layout) on its own, the memory it takes beyond X and the output is bounded whatever
        # m (each example is independent).
        per_example = (2 * sum(self.layers_dims[1:]) + n_x) * self.dtype.itemsize
        block = max(1, PREDICT_BYTES // per_example)
        out = np.empty((m, self.layers_dims[-1]) if rows else (self.layers_dims[-1], m), self.dtype)
        for start in range(0, m, block):
            part = slice(start, start + block)
            Xb = np.ascontiguousarray(X[part].T if rows else X[:, part], dtype=self.dtype)
            if not chk.all_finite(Xb):
                raise ValueError("X contains NaN or inf")
            _, A, _, _ = core_for(self.dtype).forward(
                Xb, W, b, HIDDEN[self.hidden_activation], OUTPUTS[self.output], 1.0, 0, [], 0, 0
            )
            if rows:
                out[part] = A[-1].T
            else:
                out[:, part] = A[-1]
            del A, Xb  # before the next block's: one block's activations at a time
        finite = chk.all_finite(out)
        if not finite:
            bad = int(np.argmax(~np.isfinite(out).all(axis=1 if rows else 0)))
            raise ValueError(
                f"cannot predict: the output of example {bad} ({'row' if rows else 'column'} "
                f"of X) is NaN or inf: the parameters are finite but overflow "
                f"{self.dtype.name} for this input"
            )
        return out

    @_reader("predict_proba")
    def predict_proba(self, X, layout: str = "columns") -> np.ndarray:
        """Output probabilities.

        Parameters
        ----------
        X : array_like
            Input, shape ``(n_x, m)`` with ``m >= 1``, finite real numbers (converted to the
            network's dtype, as in :meth:`fit`).
        layout : {"columns", "rows"}, optional
            ``"rows"``: ``X`` is ``(m, n_x)`` and the result ``(m, n_L)``, one row per
            example.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_L, m)``, the network's dtype: the sigmoid outputs, or for
            ``output="softmax"`` columns summing to 1 (its transpose with ``layout="rows"``).

        Raises
        ------
        ValueError
            For ``output="identity"`` (use :meth:`predict`), if ``X`` has the wrong shape
            or holds NaN or inf, or if the network cannot give a finite answer (see Notes of
            :meth:`predict`).
        TypeError
            If ``X`` is not an array of real numbers.
        """
        if self.output == "identity":
            raise ValueError("predict_proba needs output='sigmoid' or 'softmax'; use predict")
        return self._forward(X, layout)

    @_reader("predict")
    def predict(self, X, layout: str = "columns") -> np.ndarray:
        """Class labels or, for ``output="identity"``, the predicted values.

        Parameters
        ----------
        X : array_like
            Input, shape ``(n_x, m)`` with ``m >= 1``, finite real numbers (converted to the
            network's dtype, as in :meth:`fit`).
        layout : {"columns", "rows"}, optional
            ``"rows"``: ``X`` is ``(m, n_x)`` and the result the transpose of the columns
            layout's (``(m, n_L)``, or ``(m, 1)`` for softmax), one row per example.

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
        ValueError
            If the parameters hold NaN or inf, or the output of some example is NaN or inf.

        Notes
        -----
        A network never answers with a number it cannot stand behind: there is no class for
        a NaN probability (``argmax`` and ``> 0.5`` would silently say class 0), so
        :meth:`predict` and :meth:`predict_proba` raise ``ValueError`` when the parameters hold
        NaN or inf (a training that diverged with ``on_nonfinite="warn"`` or ``"ignore"``,
        or such a network loaded) or when finite parameters overflow the dtype for some
        input (the message names the first such example). :attr:`parameters` still reads
        such a network, to inspect it.

        Memory: the forward pass keeps every layer's activations, so a large ``X`` goes
        through it in blocks of examples, each converted to the network's dtype and layout on
        its own (at most ``PREDICT_BYTES``, 8 MiB, of activations and converted input at a
        time, whatever ``m``). Each example's result agrees with a one-pass forward to
        rounding.
        """
        A = self._forward(X, layout)
        axis = 1 if layout == "rows" else 0  # (checked by _forward)
        if self.output == "sigmoid":
            return (A > 0.5).astype(np.int64)
        if self.output == "softmax":
            return np.expand_dims(np.argmax(A, axis=axis), axis)
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
