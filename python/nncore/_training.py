"""The training loop's Python side: flat parameter buffers, learning-rate schedules, progress
and interruption around one call into the core, and the course-exact ``model``."""

from __future__ import annotations

import numbers
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _core
from . import _validate as chk
from ._mirror import (
    HIDDEN,
    OPTIMIZER_CODES,
    core_for,
    schedule_lr_decay,
    update_lr,
    vector_to_dictionary,
)

OUTPUTS = {"sigmoid": 0, "softmax": 1, "identity": 2}
DECAYS = {"update_lr": update_lr, "schedule_lr_decay": schedule_lr_decay}
# How often the core hands control back to check for Ctrl-C and update a progress bar.
HOOK_SECONDS = 0.05


DROPOUT_RNGS = ("philox", "course")

# on_nonfinite: numpy's np.errstate vocabulary -> the core's NonFinite codes.
ON_NONFINITE = {"ignore": 0, "warn": 1, "raise": 2}


class TrainingInterrupted(UserWarning):
    """Training was stopped by Ctrl-C; what was learned so far is kept."""


class TrainingDiverged(FloatingPointError):
    """An epoch ended with a non-finite cost, parameters or optimizer state.

    Raised with ``on_nonfinite="raise"``, after the training state has been put back to the
    last finite one. A :class:`FloatingPointError` (what ``np.errstate(all="raise")`` raises
    for a floating-point fault), hence also an :class:`ArithmeticError`.

    Attributes
    ----------
    epoch : int
        Index of the epoch that ended non-finite, counted from 0 over all training so far
        (``costs[epoch]`` is where its cost would have gone).
    cost : float
        That epoch's cost (``nan`` or ``inf``; finite when only the parameters or optimizer
        state overflowed).
    epochs_kept : int
        Epochs whose state is kept: ``epoch``, or ``epoch - 1`` when the cost was already
        non-finite at the parameters the epoch started from (in full batch, the cost of an
        epoch is that of the parameters before its step). The state kept is the state after
        ``epochs_kept`` epochs, bit for bit.
    parameters : dict
        The parameters kept (copies).
    costs : list of float
        The costs kept, ``epochs_kept`` of them.
    """

    def __init__(self, message, epoch, cost, epochs_kept, parameters=None, costs=None):
        super().__init__(message)
        self.epoch = epoch
        self.cost = cost
        self.epochs_kept = epochs_kept
        self.parameters = parameters
        self.costs = costs


def n_parameters(dims: list[int]) -> int:
    """Number of weights and biases of a network with layer sizes ``dims``."""
    return sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims)))


def flatten(parameters: dict, dims: list[int], dt: np.dtype, name="parameters") -> np.ndarray:
    """One flat C-order buffer ``W1, b1, W2, b2, ...`` (the core's layout), checked."""
    W, b = chk.parameters_list(parameters, dt, n_x=dims[0], name=name)
    got = [dims[0]] + [Wl.shape[0] for Wl in W]
    if got != list(dims):
        raise ValueError(f"{name} have layers_dims {got}, expected {list(dims)}")
    return np.concatenate([a.ravel() for pair in zip(W, b) for a in pair]).astype(dt, copy=False)


def unflatten(theta: np.ndarray, dims: list[int], prefix: str = "") -> dict[str, np.ndarray]:
    """The course dict of (copies of) the arrays in a flat buffer, keys prefixed by ``prefix``."""
    return {prefix + key: a for key, a in vector_to_dictionary(theta, dims).items()}


def decay_function(decay):
    """``None``, the name of a course schedule, or a callable ``(lr0, epoch, rate) -> lr``."""
    if decay is None or callable(decay):
        return decay
    if isinstance(decay, str) and decay in DECAYS:
        return DECAYS[decay]
    raise ValueError(f"decay must be None, one of {tuple(DECAYS)} or a callable, got {decay!r}")


def learning_rates(lr0: float, first_epoch: int, num_epochs: int, decay, decay_rate: float):
    """Learning rate of each epoch: epoch 0 uses ``lr0``, epoch ``k > 0`` uses
    ``decay(lr0, k - 1, decay_rate)`` (the course recomputes it after each epoch)."""
    rates = np.full(num_epochs, lr0, dtype=np.float64)
    if decay is not None:
        for i in range(num_epochs):
            k = first_epoch + i
            if k > 0:
                rate = decay(lr0, k - 1, decay_rate)
                if isinstance(rate, (bool, np.bool_)) or not isinstance(rate, numbers.Real):
                    raise TypeError(
                        f"decay must return a real number, got {type(rate).__name__} "
                        f"for epoch {k - 1}"
                    )
                rates[i] = rate
        bad = ~(np.isfinite(rates) & (rates > 0))
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                "decay produced a non-positive or non-finite learning rate: "
                f"{float(rates[i])!r} for epoch {first_epoch + i - 1}"
            )
    return rates


class _Progress:
    """tqdm when it is installed, else a one-line report on stderr."""

    def __init__(self, total: int, first_epoch: int):
        self.total = total
        self.shown = 0
        self.first_epoch = first_epoch
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self.bar = None
        else:
            self.bar = tqdm(total=total, unit="epoch", dynamic_ncols=True)

    def update(self, epochs_done: int, cost: float) -> None:
        if self.bar is not None:
            self.bar.update(epochs_done - self.shown)
            if cost == cost:
                self.bar.set_postfix(cost=f"{cost:.6g}", refresh=False)
        else:
            epoch = self.first_epoch + epochs_done
            sys.stderr.write(f"\repoch {epoch}/{self.first_epoch + self.total}  cost {cost:.6g}")
        self.shown = epochs_done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        else:
            sys.stderr.write("\n")


def run(
    X,
    Y,
    dims,
    *,
    hidden,
    output,
    optimizer,
    theta,
    v,
    s,
    state,
    mini_batch_size,
    num_epochs,
    shuffle_seed,
    lambd,
    keep_prob,
    beta,
    beta1,
    beta2,
    epsilon,
    rates,
    dropout_seed,
    first_epoch=0,
    callback=None,
    callback_every=1,
    progress=False,
    on_nonfinite="raise",
    costs=None,
) -> tuple[np.ndarray, bool, tuple[int, float, int] | None]:
    """One call into the core's training loop, in place on theta, v, s and state
    (``[t, step, epochs_done, status]``). Returns ``(costs, interrupted, diverged)``.

    Ctrl-C stops the loop at the next check (every ``HOOK_SECONDS``), warns with
    :class:`TrainingInterrupted` and returns normally with the progress made.

    ``diverged`` is ``None``, or ``(epoch, cost, epochs_kept)`` for the first epoch (counted
    from ``first_epoch``) that ended with a non-finite cost or state: with
    ``on_nonfinite="raise"`` the core stopped there and theta, v, s, state and the returned
    costs are those after ``epochs_kept`` epochs, the last finite state (see
    :class:`TrainingDiverged`); with ``"warn"`` training went on (and this function warned);
    with ``"ignore"`` nothing is checked and it is always ``None``. The caller raises
    :func:`diverged_error`, so that it can first store what was kept.

    ``costs``, if given, is the ``num_epochs`` buffer the core writes the costs into, so that a
    caller still has them when an exception (from the callback) leaves this function.
    """
    if costs is None:
        costs = np.full(num_epochs, np.nan)
    bar = _Progress(num_epochs, first_epoch) if progress else None

    def hook(epochs_done, cost, periodic):
        if bar is not None:
            bar.update(epochs_done, cost)
        if periodic and callback is not None:
            return callback(first_epoch + epochs_done, cost) is not False
        return True

    interrupted = False
    diverged: tuple[int, float, int] | None = None
    state[2:] = 0
    try:
        bad = core_for(theta.dtype).train(
            X, Y, theta, v, s, costs, state, list(dims), HIDDEN[hidden], OUTPUTS[output],
            OPTIMIZER_CODES[optimizer], mini_batch_size, num_epochs, shuffle_seed, lambd,
            keep_prob, beta, beta1, beta2, epsilon, rates, dropout_seed, hook,
            callback_every if callback is not None else 0, HOOK_SECONDS,
            ON_NONFINITE[on_nonfinite],
        )  # fmt: skip
        if bad >= 0:
            diverged = (first_epoch + bad, float(costs[bad]), first_epoch + int(state[2]))
            if on_nonfinite == "warn":
                warnings.warn(
                    f"training diverged: {_what_diverged(*diverged[:2])}; training went on "
                    "(on_nonfinite='warn'), the parameters may hold NaN or inf",
                    RuntimeWarning,
                    stacklevel=3,
                )
    except KeyboardInterrupt:
        interrupted = True
        warnings.warn(
            f"training interrupted after {int(state[2])} of {num_epochs} epochs; the "
            "parameters, optimizer state and costs reached so far are kept",
            TrainingInterrupted,
            stacklevel=3,
        )
    finally:
        if bar is not None:
            done = int(state[2])
            bar.update(done, float(costs[done - 1]) if done else float("nan"))
            bar.close()
    return costs[: int(state[2])], interrupted, diverged


def _what_diverged(epoch: int, cost: float, epochs_kept: int | None = None) -> str:
    if np.isfinite(cost):
        return f"epoch {epoch} (counting from 0) left NaN or inf in the parameters or optimizer"
    what = f"the cost of epoch {epoch} (counting from 0) is {cost}"
    if epochs_kept is not None and epochs_kept < epoch:
        what += ", already at the parameters the epoch started from"
    return what


def diverged_error(
    epoch: int, cost: float, epochs_kept: int, parameters=None, costs=None
) -> TrainingDiverged:
    """The :class:`TrainingDiverged` for ``run``'s ``diverged`` with ``on_nonfinite="raise"``."""
    return TrainingDiverged(
        f"training diverged: {_what_diverged(epoch, cost, epochs_kept)}; kept the parameters, "
        f"optimizer state and costs after {epochs_kept} epochs, the last finite ones (lower "
        "the learning rate and continue, or pass on_nonfinite='warn' or 'ignore' to train on "
        "regardless)",
        epoch,
        cost,
        epochs_kept,
        parameters,
        costs,
    )


def check_hyperparameters(
    learning_rate, beta, beta1, beta2, epsilon, lambd, keep_prob, decay_rate
) -> dict:
    """The checked hyperparameters as floats, by name (``ValueError``/``TypeError`` if bad)."""
    return {
        "learning_rate": chk.learning_rate(learning_rate),
        "beta": chk.real(beta, "beta", 0.0, 1.0, high_open=True),
        "beta1": chk.real(beta1, "beta1", 0.0, 1.0, high_open=True),
        "beta2": chk.real(beta2, "beta2", 0.0, 1.0, high_open=True),
        "epsilon": chk.real(epsilon, "epsilon", low=0.0, low_open=True),
        "lambd": chk.real(lambd, "lambd", low=0.0),
        "keep_prob": chk.keep_prob(keep_prob),
        "decay_rate": chk.real(decay_rate, "decay_rate", low=0.0),
    }


def model(
    X,
    Y,
    layers_dims,
    optimizer: str = "gd",
    learning_rate: float = 0.0007,
    mini_batch_size: int | None = 64,
    beta: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
    num_epochs: int = 10000,
    initialization="he",
    lambd: float = 0.0,
    keep_prob: float = 1.0,
    decay=None,
    decay_rate: float = 1.0,
    hidden_activation: str = "relu",
    print_cost: bool = False,
    dropout_rng: str = "philox",
    on_nonfinite: str = "warn",
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Train the network with the whole loop in one call into the core.

    Same arguments and results as :func:`nncore.reference.model`, and the same numbers: the
    minibatches are shuffled with the core's copy of numpy's legacy MT19937
    (``np.random.seed(10 + i + 1); np.random.permutation(m)`` in epoch ``i``), so for equal
    arguments the parameters and costs agree with the reference to rounding (about 1e-9
    relative after 10000 epochs in float64). Two differences: with ``keep_prob < 1`` the
    dropout masks come from the core's Philox generator (fresh each step, reproducible; not
    numpy's), and the dtype of ``X`` (float64 or float32) is the dtype of the training.

    Arguments are checked as in the rest of the mirror: ``X`` must be a finite float64 or
    float32 numpy array (integer arrays are refused with ``TypeError``, as everywhere in the
    mirror; :class:`nncore.Network` converts instead) of shape ``(layers_dims[0], m)``,
    ``m >= 1``; ``Y`` holds labels 0 or 1 (integer or float) of shape ``(layers_dims[-1], m)``;
    ``learning_rate > 0``, ``0 <= beta, beta1, beta2 < 1``, ``epsilon > 0``, ``lambd >= 0``,
    ``0 < keep_prob <= 1``, ``decay_rate >= 0``, all finite; ``num_epochs >= 0`` and
    ``mini_batch_size >= 1`` integers. A bad argument raises ``ValueError`` or ``TypeError``
    naming it.

    Numerics (see ``docs/numerics.md``): the recorded cost is computed from the output
    pre-activation ``Z`` as ``max(z, 0) - z y + log1p(exp(-|z|))``, equal to the course's
    ``-(y log a + (1 - y) log(1 - a))`` in exact arithmetic and to the reference to rounding,
    but finite where the reference's ``nansum`` of logs of a saturated output gives ``inf``
    (the course's large random initialization: the reference's ``costs[0]`` is ``inf``,
    nncore's a large finite number). The parameters do not depend on it.

    ``on_nonfinite`` says what happens when an epoch ends with a NaN or infinite cost,
    parameters or optimizer state (a learning rate too large, float32 overflow):
    ``"warn"`` (default) trains on like the reference, which carries NaN to the end, and
    issues one ``RuntimeWarning`` naming the first such epoch; ``"raise"`` stops at that
    epoch and raises :class:`TrainingDiverged`, whose ``parameters`` and ``costs``
    attributes hold the state after the last finite epoch; ``"ignore"`` trains on silently
    (no check at all).

    Parameters
    ----------
    X : numpy.ndarray
        Input, shape ``(n_x, m)``, float64 or float32 (sets the dtype of the training).
    Y : numpy.ndarray
        Labels 0/1, shape ``(n_L, m)`` (the course: ``(1, m)``).
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``.
    optimizer : {"gd", "momentum", "adam"}, optional
        Update rule.
    learning_rate : float, optional
        Initial learning rate.
    mini_batch_size : int or None, optional
        Minibatch size; ``None`` for full-batch gradient descent (one step per epoch).
    beta : float, optional
        Momentum coefficient.
    beta1, beta2, epsilon : float, optional
        Adam hyperparameters.
    num_epochs : int, optional
        Passes over the data.
    initialization : {"he", "xavier", "random", "zeros", "deep"} or dict, optional
        Initializer of the course (seed 3), or a parameter dict to start from (copied).
    lambd : float, optional
        L2 regularization strength.
    keep_prob : float, optional
        Dropout keep probability of the hidden units, in ``(0, 1]``.
    decay : {None, "update_lr", "schedule_lr_decay"} or callable, optional
        Learning-rate schedule ``decay(learning_rate0, epoch, decay_rate)``, applied after
        each epoch.
    decay_rate : float, optional
        Passed to ``decay``.
    hidden_activation : {"relu", "tanh"}, optional
        Activation of the hidden layers.
    print_cost : bool, optional
        Print the cost every 1000 epochs, as the course does.
    dropout_rng : {"philox", "course"}, optional
        The dropout masks (with ``keep_prob < 1``): ``"philox"`` draws fresh ones at every
        step from the core's counter-based generator; ``"course"`` uses the course's masks
        (numpy's legacy generator seeded 1 at each forward pass, ``rand < keep_prob`` layer by
        layer, so every step reuses the same masks), which reproduces the course's dropout run
        and ``nncore.reference.model(..., dropout_rng="course")``. The core's one-call loop
        draws its own masks, so ``"course"`` runs a loop in Python over the core's forward,
        backward and update kernels (one call each per step).
    on_nonfinite : {"warn", "raise", "ignore"}, optional
        What to do when an epoch ends non-finite (see above).

    Returns
    -------
    parameters : dict of numpy.ndarray
        The trained ``W1, b1, ..., WL, bL``, in the dtype of ``X``.
    costs : list of float
        One cost per epoch (for minibatches the epoch's summed cost divided by ``m``).

    Raises
    ------
    TypeError, ValueError
        On bad input, naming the argument, before anything reaches the core.
    TrainingDiverged
        With ``on_nonfinite="raise"``, when an epoch ends non-finite.

    Warns
    -----
    TrainingInterrupted
        When Ctrl-C stops training (within a fraction of a second); the parameters and costs
        reached so far are returned.
    RuntimeWarning
        With ``on_nonfinite="warn"``, naming the first epoch that ended non-finite.
    """
    dt = chk.compute_dtype(X)
    dims = chk.layers_dims(layers_dims)
    X = chk.array2d(X, "X", dt, rows=dims[0])
    m = chk.examples(X)
    Y = chk.labels(Y, "Y", dt, dims[-1], m)
    chk.flag(print_cost, "print_cost")
    chk.choice(optimizer, "optimizer", OPTIMIZER_CODES)
    chk.choice(hidden_activation, "hidden_activation", HIDDEN)
    hp = check_hyperparameters(
        learning_rate, beta, beta1, beta2, epsilon, lambd, keep_prob, decay_rate
    )
    num_epochs = chk.integer(num_epochs, "num_epochs", low=0, high=chk.MAX_INT64)
    batch = chk.batch_size(mini_batch_size, m)
    decay_fn = decay_function(decay)
    chk.choice(on_nonfinite, "on_nonfinite", ON_NONFINITE)
    chk.choice(dropout_rng, "dropout_rng", DROPOUT_RNGS)

    if isinstance(initialization, dict):
        theta = flatten(initialization, dims, dt, name="initialization").copy()
    else:
        from . import _mirror

        chk.choice(initialization, "initialization", ("zeros", "random", "he", "xavier", "deep"))
        if initialization == "zeros":
            init = _mirror.initialize_parameters_zeros(dims, dtype=dt)
        else:
            init = getattr(_mirror, f"initialize_parameters_{initialization}")(dims, 3, dtype=dt)
        theta = flatten(init, dims, dt)
    state = np.zeros(4, dtype=np.int64)
    v = np.zeros_like(theta) if optimizer != "gd" else np.zeros(0, dt)
    s = np.zeros_like(theta) if optimizer == "adam" else np.zeros(0, dt)
    rates = learning_rates(hp["learning_rate"], 0, num_epochs, decay_fn, hp["decay_rate"])

    def printer(epoch, cost):
        if (epoch - 1) % 1000 == 0:
            print(f"Cost after epoch {epoch - 1}: {cost:f}")

    if dropout_rng == "course" and hp["keep_prob"] < 1:
        return _train_with_course_masks(
            X, Y, dims, theta, v, s, hidden_activation, optimizer, hp, batch, num_epochs,
            rates, print_cost, on_nonfinite,
        )  # fmt: skip
    costs, _, diverged = run(
        X, Y, dims, hidden=hidden_activation, output="sigmoid", optimizer=optimizer,
        theta=theta, v=v, s=s, state=state,
        mini_batch_size=batch,
        num_epochs=num_epochs, shuffle_seed=10, lambd=hp["lambd"], keep_prob=hp["keep_prob"],
        beta=hp["beta"], beta1=hp["beta1"], beta2=hp["beta2"], epsilon=hp["epsilon"],
        rates=rates, dropout_seed=0, callback=printer if print_cost else None,
        on_nonfinite=on_nonfinite,
    )  # fmt: skip
    parameters, cost_list = unflatten(theta, dims), costs.tolist()  # (float64: Python floats)
    if diverged is not None and on_nonfinite == "raise":
        raise diverged_error(*diverged, parameters, cost_list)
    return parameters, cost_list


def _train_with_course_masks(
    X,
    Y,
    dims,
    theta,
    v,
    s,
    hidden,
    optimizer,
    hp,
    batch,
    num_epochs,
    rates,
    print_cost,
    on_nonfinite,
) -> tuple[dict[str, np.ndarray], list[float]]:
    """``model``'s loop with the course's fixed dropout masks, in Python over the core's
    kernels (the core's one-call loop draws its own masks). Same schedule as the core's loop
    and the reference: shuffle seed ``10 + i + 1`` in epoch ``i`` unless full batch, Adam's
    ``t`` counted across epochs, the cost from the output's logits."""
    from ._mirror import course_masks, unflatten_lists

    kernels = core_for(theta.dtype)
    m = X.shape[1]
    L = len(dims) - 1
    # Views of the flat buffers, updated in place by the core: one copy and one finiteness
    # check per epoch cover every array.
    P = unflatten_lists(theta, dims)
    V = unflatten_lists(v, dims) if v.size else []
    S = unflatten_lists(s, dims) if s.size else []
    kp, lambd = hp["keep_prob"], hp["lambd"]
    masks: dict[int, list[np.ndarray]] = {}  # by batch size: every forward pass reseeds
    code = OPTIMIZER_CODES[optimizer]
    costs: list[float] = []
    t = 0
    kept = theta.copy()
    try:
        for i in range(num_epochs):
            kept[:] = theta  # what "raise" and Ctrl-C fall back to
            if batch == 0:
                batches = [(X, Y)]
            else:
                perm = _core.numpy_permutation(10 + i + 1, m)
                Xs, Ys = X[:, perm], Y[:, perm]
                cut = range(0, m, batch)
                batches = [(Xs[:, k : k + batch].copy(), Ys[:, k : k + batch].copy()) for k in cut]
            total = 0.0
            for Xb, Yb in batches:
                mb = Xb.shape[1]
                if mb not in masks:
                    masks[mb] = course_masks(dims, mb, kp, theta.dtype)
                D = masks[mb]
                W, b = P[0::2], P[1::2]
                Z, A, _, Adrop = kernels.forward(Xb, W, b, HIDDEN[hidden], 0, kp, 1, D, 0, 0)
                cost = kernels.cost_from_logits(0, Z[-1], Yb)
                if lambd > 0:
                    squares = sum(kernels.sum_squares(Wl) for Wl in W)
                    cost += (1 / mb) * (lambd / 2) * squares
                total += cost * mb
                Aprev = [Xb] + [Adrop[l] for l in range(L - 1)]
                dW, db = kernels.backward(Yb, W, Aprev, Z, A, D, HIDDEN[hidden], 0, lambd, kp)
                G = [g for pair in zip(dW, db) for g in pair]
                if optimizer == "adam":
                    t += 1
                kernels.update(
                    code, P, G, V, S, float(rates[i]), hp["beta"], hp["beta1"], hp["beta2"],
                    hp["epsilon"], max(t, 1),
                )  # fmt: skip
            epoch_cost = cost if batch == 0 else total / m
            if on_nonfinite != "ignore" and not (
                np.isfinite(epoch_cost) and np.isfinite(theta).all()
                and np.isfinite(v).all() and np.isfinite(s).all()
            ):  # fmt: skip
                if on_nonfinite == "raise":
                    parameters = unflatten(kept, dims)
                    raise diverged_error(i, float(epoch_cost), i, parameters, costs)
                warnings.warn(
                    f"training diverged: {_what_diverged(i, float(epoch_cost))}; training "
                    "went on (on_nonfinite='warn'), the parameters may hold NaN or inf",
                    RuntimeWarning,
                    stacklevel=3,
                )
                on_nonfinite = "ignore"  # one warning, as the core's loop
            costs.append(float(epoch_cost))
            if print_cost and i % 1000 == 0:
                print(f"Cost after epoch {i}: {epoch_cost:f}")
    except KeyboardInterrupt:
        warnings.warn(
            f"training interrupted after {len(costs)} of {num_epochs} epochs; the "
            "parameters, optimizer state and costs reached so far are kept",
            TrainingInterrupted,
            stacklevel=3,
        )
        if len(costs) < num_epochs:
            theta[:] = kept  # the epoch in progress is dropped, as the core's loop stops
    return unflatten(theta, dims), costs


def elapsed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """``(result, seconds)`` of one call (for the course job and benchmarks)."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start
