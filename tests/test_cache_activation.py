"""A course cache tuple remembers the hidden activation of the forward pass that made it.

The tuple holds only arrays, as the course's does; a backward pass given the caches of a tanh
forward and no ``hidden_activation`` used to differentiate relu and return wrong gradients
without a word. Now the default is the caches' own activation, a plain tuple (built by hand, as
the course's tests do) means relu, and a contradicting name is refused.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import nncore
from nncore import reference as ref

MODULES = [pytest.param(ref, id="reference"), pytest.param(nncore, id="nncore")]
HIDDEN = ["tanh", "relu"]


def _problem():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((3, 11))
    Y = (rng.random((1, 11)) > 0.5).astype(np.float64)
    p = nncore.initialize_parameters_he([3, 4, 3, 1], seed=5)
    p = {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in p.items()}
    return X, Y, p


def _backwards(mod):
    """(forward, backward) pairs: plain, L2 and dropout."""
    return [
        (lambda X, p, h: mod.forward_propagation(X, p, h), mod.backward_propagation),
        (
            lambda X, p, h: mod.forward_propagation(X, p, h),
            lambda X, Y, c, **kw: mod.backward_propagation_with_regularization(X, Y, c, 0.3, **kw),
        ),
        (
            lambda X, p, h: mod.forward_propagation_with_dropout(X, p, 0.8, hidden_activation=h),
            lambda X, Y, c, **kw: mod.backward_propagation_with_dropout(X, Y, c, 0.8, **kw),
        ),
    ]


@pytest.mark.parametrize("mod", MODULES)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backward_differentiates_the_caches_own_activation(mod, hidden):
    X, Y, p = _problem()
    for forward, backward in _backwards(mod):
        _, caches = forward(X, p, hidden)
        assert isinstance(caches, tuple)
        implicit = backward(X, Y, caches)
        explicit = backward(X, Y, caches, hidden_activation=hidden)
        assert list(implicit) == list(explicit)
        for key in explicit:
            np.testing.assert_array_equal(implicit[key], explicit[key], err_msg=key)


@pytest.mark.parametrize("mod", MODULES)
def test_a_contradicting_activation_is_refused(mod):
    X, Y, p = _problem()
    _, caches = mod.forward_propagation(X, p, "tanh")
    with pytest.raises(ValueError, match=r"hidden_activation is 'relu'.*'tanh'"):
        mod.backward_propagation(X, Y, caches, hidden_activation="relu")


@pytest.mark.parametrize("mod", MODULES)
def test_a_plain_tuple_means_relu(mod):
    X, Y, p = _problem()
    _, caches = mod.forward_propagation(X, p, "relu")
    plain = tuple(caches)
    assert type(plain) is tuple
    got = mod.backward_propagation(X, Y, plain)
    want = mod.backward_propagation(X, Y, caches, hidden_activation="relu")
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    # and a plain tuple takes any activation it is told
    tanh = mod.backward_propagation(X, Y, plain, hidden_activation="tanh")
    assert not np.array_equal(tanh["dW1"], got["dW1"])


@pytest.mark.parametrize("mod", MODULES)
def test_caches_survive_pickling_with_their_activation(mod):
    X, _, p = _problem()
    _, caches = mod.forward_propagation(X, p, "tanh")
    back = pickle.loads(pickle.dumps(caches))
    assert back.hidden_activation == "tanh"
    assert len(back) == len(caches)
    for a, b in zip(back, caches):
        np.testing.assert_array_equal(a, b)
