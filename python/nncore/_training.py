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
from ._flat import flatten, layers, unflatten
from ._mirror import (
    HIDDEN,
    OPTIMIZER_CODES,
    OPTIMIZER_STATE,
    core_for,
    schedule_lr_decay,
    update_lr,
)

OUTPUTS: dict[str, int] = dict(_core.outputs)
DECAYS = {"update_lr": update_lr, "schedule_lr_decay": schedule_lr_decay}
# How often the core hands control back to check for Ctrl-C and update a progress bar.
HOOK_SECONDS = 0.05


DROPOUT_RNGS = ("philox", "course")

# on_nonfinite: numpy's np.errstate vocabulary -> the core's NonFinite codes.
ON_NONFINITE: dict[str, int] = dict(_core.nonfinite_policies)


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
        ``epochs_kept`` epochs, bit for bit. The look-back reaches no further than the start
        of the ``fit`` call: diverging in its first epoch keeps the state it started from
        (``epochs_kept == epoch``), even when that state's own cost is non-finite.
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


def decay_function(decay):
    """``None``, the name of a course schedule, or a callable ``(lr0, epoch, rate) -> lr``."""
    if decay is None or callable(decay):
        return decay
    if isinstance(decay, str) and decay in DECAYS:
        return DECAYS[decay]
    raise ValueError(f"decay must be None, one of {tuple(DECAYS)} or a callable, got {decay!r}")


def schedule(lr0: float, first_epoch: int, num_epochs: int, decay, decay_rate: float):
    """``rates(first, n)`` for :func:`run`, after checking the rates of the first call's worth
    of epochs (so that a bad ``decay`` is refused before training starts)."""
    learning_rates(lr0, first_epoch, min(num_epochs, CHUNK_EPOCHS), decay, decay_rate)
    return lambda first, n: learning_rates(lr0, first, n, decay, decay_rate)


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


def keep_going(answer, name: str = "callback") -> bool:
    """The stop rule of a training callback: ``None`` (no return statement) goes on; a bool or
    an integer, Python or numpy, stops when false (``False``, ``np.False_``, ``0``: what
    ``return cost > tol`` gives on numpy floats); anything else raises ``TypeError`` (a
    string, a float, a list or an array of several values has no clear truth)."""
    if answer is None:
        return True
    if isinstance(answer, np.ndarray) and answer.shape == ():
        answer = answer[()]
    if isinstance(answer, (bool, np.bool_, numbers.Integral)):
        return bool(answer)
    raise TypeError(
        f"{name} must return None or a bool or integer (false stops training), got "
        f"{type(answer).__name__} {answer!r}"
    )


class _Progress:
    """tqdm when it is installed, else a one-line report on stderr. Never stops a training:
    with ``sys.stderr`` missing (``None``, as under pythonw), closed or broken, it stays
    silent."""

    def __init__(self, total: int, first_epoch: int):
        self.total = total
        self.shown = 0
        self.first_epoch = first_epoch
        self.bar = None
        self.silent = sys.stderr is None
        if self.silent:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = self._guarded(lambda: tqdm(total=total, unit="epoch", dynamic_ncols=True))

    def _guarded(self, write):
        """``write()``, or silence from now on if the stream fails."""
        if self.silent:
            return None
        try:
            return write()
        except (OSError, ValueError, AttributeError):  # closed, broken, or replaced by None
            self.silent = True
            return None

    def update(self, epochs_done: int, cost: float) -> None:
        bar = self.bar
        if bar is not None:

            def write():
                bar.update(epochs_done - self.shown)
                if cost == cost:
                    bar.set_postfix(cost=f"{cost:.6g}", refresh=False)
        else:
            epoch = self.first_epoch + epochs_done
            total = self.first_epoch + self.total

            def write():
                sys.stderr.write(f"\repoch {epoch}/{total}  cost {cost:.6g}")

        self._guarded(write)
        self.shown = epochs_done

    def close(self) -> None:
        bar = self.bar
        self._guarded(bar.close if bar is not None else lambda: sys.stderr.write("\n"))


# Epochs per call into the core: what the per-epoch buffers (costs and learning rates, 16 bytes
# an epoch) may hold, so that memory does not grow with num_epochs (1 MiB). The results do not
# depend on it: the shuffles, dropout masks and optimizer counts carry over between calls.
CHUNK_EPOCHS = 1 << 16


def _chunk(done: int, remaining: int, callback_every: int) -> tuple[int, int]:
    """``(epochs, core_callback_every)`` of the next call into the core, ``done`` epochs into
    the run: a callback falls after every ``callback_every`` epochs of the run, so a call
    starts on a multiple of ``callback_every`` or ends on the next one."""
    if callback_every == 0:
        return min(CHUNK_EPOCHS, remaining), 0
    if callback_every <= CHUNK_EPOCHS:  # starts stay multiples of callback_every
        return min(CHUNK_EPOCHS // callback_every * callback_every, remaining), callback_every
    due = (done // callback_every + 1) * callback_every
    n = min(CHUNK_EPOCHS, due - done, remaining)
    return n, (n if done + n == due else 0)


def totals(state: np.ndarray, chunks: list) -> tuple[int, int, int, np.ndarray]:
    """``(t, step, epochs_done, costs)`` of a :func:`run` from its initial ``state`` and the
    ``chunks`` it recorded: what the core wrote, hence what theta has learned, also when an
    exception left ``run`` at any point."""
    if not chunks:
        return int(state[0]), int(state[1]), 0, np.zeros(0)
    last = chunks[-1][1]
    done = [int(st[2]) for _, st in chunks]
    costs = np.concatenate([c[:k] for (c, _), k in zip(chunks, done)])
    return int(last[0]), int(last[1]), sum(done), costs


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
    chunks=None,
    rows=False,
) -> tuple[np.ndarray, bool, tuple[int, float, int] | None]:
    """The core's training loop, in place on theta, v and s, starting from ``state``
    (``[t, step, ...]``). Returns ``(costs, interrupted, diverged)``. ``X`` is ``(n_x, m)``,
    or ``(m, n_x)`` (one example per row) with ``rows=True``; ``Y`` is ``(n_y, m)``.

    ``rates(first, n)`` gives the learning rates of epochs ``first .. first + n - 1``
    (counted from the network's first epoch). The epochs go to the core in calls of at most
    :data:`CHUNK_EPOCHS`; each call's costs buffer and ``[t, step, epochs_done, status]`` are
    appended to ``chunks`` (a list the caller may pass) before the core writes them, so that
    :func:`totals` gives the progress made whatever exception leaves this function.

    Ctrl-C stops the loop at the next check (every ``HOOK_SECONDS``), warns with
    :class:`TrainingInterrupted` and returns normally with the progress made, at an epoch
    boundary (the core puts back the start of an epoch it was in the middle of).

    ``diverged`` is ``None``, or ``(epoch, cost, epochs_kept)`` for the first epoch (counted
    from ``first_epoch``) that ended with a non-finite cost or state: with
    ``on_nonfinite="raise"`` the core stopped there and theta, v, s and the returned costs are
    those after ``epochs_kept`` epochs, the last finite state (see :class:`TrainingDiverged`;
    the core looks back no further than the start of its call, so a divergence in the first
    epoch of a call runs the previous call again with that epoch added); with ``"warn"``
    training went on
    (and this function warned); with ``"ignore"`` nothing is checked and it is always
    ``None``. The caller raises :func:`diverged_error`, so that it can first store what was
    kept.
    """
    if chunks is None:
        chunks = []
    bar = _Progress(num_epochs, first_epoch) if progress else None
    offset = 0  # epochs done before the current call into the core

    def hook(epochs_done, cost, periodic):
        if bar is not None:
            bar.update(offset + epochs_done, cost)
        if periodic and callback is not None:
            return keep_going(callback(first_epoch + offset + epochs_done, cost))
        return True

    interrupted = False
    diverged: tuple[int, float, int] | None = None
    every = callback_every if callback is not None else 0
    # The loop's settings, by name; each call below sets its own epochs, seed and period.
    config = _core.TrainConfig(
        optimizer=OPTIMIZER_CODES[optimizer], mini_batch_size=mini_batch_size, num_epochs=0,
        shuffle_seed=shuffle_seed, lambd=lambd, keep_prob=keep_prob, beta=beta, beta1=beta1,
        beta2=beta2, epsilon=epsilon, dropout_seed=dropout_seed, callback_every=0,
        hook_seconds=HOOK_SECONDS, on_nonfinite=ON_NONFINITE[on_nonfinite],
    )  # fmt: skip
    # The core looks back for the last finite state no further than the start of its call;
    # one epoch before that lies in the previous call, whose start is kept to run it again.
    look_back = on_nonfinite == "raise"
    previous: tuple | None = None

    def call(n: int, core_every: int) -> tuple[int, np.ndarray, np.ndarray]:
        """Epochs ``offset .. offset + n - 1`` in one call into the core, recorded in chunks;
        returns the core's answer (first non-finite epoch or -1), the costs and the state."""
        st = (chunks[-1][1] if chunks else state).copy()
        st[2:] = 0
        costs = np.full(n, np.nan)
        chunks.append((costs, st))
        config.num_epochs, config.callback_every = n, core_every
        config.shuffle_seed = shuffle_seed + offset
        bad = core_for(theta.dtype).train(
            X=X, rows=rows, Y=Y, dims=list(dims), hidden=HIDDEN[hidden], output=OUTPUTS[output],
            theta=theta, v=v, s=s, learning_rates=rates(first_epoch + offset, n), costs=costs,
            state=st, config=config, callback=hook,
        )  # fmt: skip
        return bad, costs, st

    try:
        while offset < num_epochs:
            n, chunk_every = _chunk(offset, num_epochs - offset, every)
            if look_back:
                kept = (offset, theta.copy(), v.copy(), s.copy(), len(chunks))
            bad, costs, st = call(n, chunk_every)
            done = int(st[2])
            if bad == 0 and done == 0 and look_back and previous is not None:
                # Diverged in the first epoch of this call: run the previous call again with
                # this epoch added (bitwise the same epochs; its callbacks are not repeated),
                # so that the look-back is that of one uninterrupted call.
                offset, theta0, v0, s0, first_chunk = previous
                theta[:], v[:], s[:] = theta0, v0, s0
                del chunks[first_chunk:]
                n = kept[0] - offset + 1
                bad, costs, st = call(n, 0)
                done = int(st[2])
            previous = kept if look_back else None
            if bad >= 0 and diverged is None:
                at = first_epoch + offset
                diverged = (at + bad, float(costs[bad]), at + done)
                if on_nonfinite == "warn":
                    warnings.warn(
                        f"training diverged: {_what_diverged(*diverged[:2])}; training went on "
                        "(on_nonfinite='warn'), the parameters may hold NaN or inf",
                        RuntimeWarning,
                        stacklevel=3,
                    )
            offset += done
            if done < n or st[3] != 0:  # stopped by the callback, or at a non-finite epoch
                break
    except KeyboardInterrupt:
        interrupted = True
        warnings.warn(
            f"training interrupted after {totals(state, chunks)[2]} of {num_epochs} epochs; "
            "the parameters, optimizer state and costs reached so far are kept",
            TrainingInterrupted,
            stacklevel=3,
        )
    finally:
        if bar is not None:
            _, _, done, costs = totals(state, chunks)
            bar.update(done, float(costs[done - 1]) if done else float("nan"))
            bar.close()
    t, step, _, costs = totals(state, chunks)
    state[0], state[1] = t, step
    return costs, interrupted, diverged


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
    optimizer : {"gd", "momentum", "adam", "rmsprop", "nesterov"}, optional
        Update rule.
    learning_rate : float, optional
        Initial learning rate.
    mini_batch_size : int or None, optional
        Minibatch size; ``None`` for full-batch gradient descent (one step per epoch).
    beta : float, optional
        Momentum coefficient (``"momentum"``, ``"nesterov"``).
    beta1, beta2, epsilon : float, optional
        Adam hyperparameters (``"rmsprop"`` uses ``beta2`` and ``epsilon``).
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
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
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
        of the last whole epoch are returned.
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
    # Epoch i is shuffled like np.random.seed(10 + i + 1), and seeds are below 2**32.
    num_epochs = chk.integer(num_epochs, "num_epochs", low=0, high=2**32 - 12)
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
    v, s = (np.zeros_like(theta) if k in OPTIMIZER_STATE[optimizer] else np.zeros(0, dt)
            for k in ("v", "s"))  # fmt: skip
    rates = schedule(hp["learning_rate"], 0, num_epochs, decay_fn, hp["decay_rate"])

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
    from ._mirror import course_masks

    kernels = core_for(theta.dtype)
    m = X.shape[1]
    L = len(dims) - 1
    # Views of the flat buffers, updated in place by the core: one copy and one finiteness
    # check per epoch cover every array.
    P = [a for pair in layers(theta, dims) for a in pair]
    V = [a for pair in layers(v, dims) for a in pair] if v.size else []
    S = [a for pair in layers(s, dims) for a in pair] if s.size else []
    kp, lambd = hp["keep_prob"], hp["lambd"]
    masks: dict[int, list[np.ndarray]] = {}  # by batch size: every forward pass reseeds
    code = OPTIMIZER_CODES[optimizer]
    costs: list[float] = []
    t = 0
    kept = theta.copy()
    try:
        for i in range(num_epochs):
            if i % CHUNK_EPOCHS == 0:
                chunk_rates = rates(i, min(CHUNK_EPOCHS, num_epochs - i))
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
                lr = float(chunk_rates[i % CHUNK_EPOCHS])
                kernels.update(
                    code, P, G, V, S, lr, hp["beta"], hp["beta1"], hp["beta2"], hp["epsilon"],
                    max(t, 1),
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
