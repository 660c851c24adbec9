"""The flat parameter layout, in one place: the core keeps all weights and biases in one C-order
buffer ``theta = [W1, b1, W2, b2, ..., WL, bL]`` (``Wl`` of shape ``(n_l, n_{l-1})`` row by
row, then ``bl``). Optimizer moments (``v``, ``s``) share the layout. Everything that slices
such a buffer into layers goes through :func:`layers`."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from . import _validate as chk


def n_parameters(dims: list[int]) -> int:
    """Number of weights and biases of a network with layer sizes ``dims``."""
    return sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims)))


def layers(theta: np.ndarray, dims: list[int]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(W_l, b_l)`` for each layer: views into ``theta`` (writes go through), ``W_l`` of
    shape ``(n_l, n_{l-1})`` and ``b_l`` of shape ``(n_l, 1)``."""
    if theta.size != n_parameters(dims):
        raise ValueError(
            f"theta holds {theta.size} values, layers_dims {list(dims)} need {n_parameters(dims)}"
        )
    flat = theta.reshape(-1)
    offset = 0
    for l in range(1, len(dims)):
        n_out, n_in = dims[l], dims[l - 1]
        W = flat[offset : offset + n_out * n_in].reshape(n_out, n_in)
        offset += n_out * n_in
        yield W, flat[offset : offset + n_out].reshape(n_out, 1)
        offset += n_out


def flatten(parameters: dict, dims: list[int], dt: np.dtype, name="parameters") -> np.ndarray:
    """One flat buffer ``W1, b1, W2, b2, ...`` of a course dict, checked (finite, shapes
    ``dims``, dtype ``dt``)."""
    W, b = chk.parameters_list(parameters, dt, n_x=dims[0], name=name)
    got = [dims[0]] + [Wl.shape[0] for Wl in W]
    if got != list(dims):
        raise ValueError(f"{name} have layers_dims {got}, expected {list(dims)}")
    return np.concatenate([a.ravel() for pair in zip(W, b) for a in pair]).astype(dt, copy=False)


def unflatten(theta: np.ndarray, dims: list[int], prefix: str = "") -> dict[str, np.ndarray]:
    """The course dict of copies of the arrays in a flat buffer, keys prefixed by ``prefix``
    (``"d"`` for optimizer moments: ``dW1, db1, ...``)."""
    out: dict[str, np.ndarray] = {}
    for l, (W, b) in enumerate(layers(theta, dims), start=1):
        out[f"{prefix}W{l}"] = W.copy()
        out[f"{prefix}b{l}"] = b.copy()
    return out
