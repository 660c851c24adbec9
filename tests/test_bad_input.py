"""Bad input to the mirror and nncore.model: ValueError/TypeError naming the argument, never a
crash, never a silently wrong number."""

from __future__ import annotations

import numpy as np
import pytest

import nncore


def _net(dtype=np.float64):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 10)).astype(dtype)
    Y = (rng.random((1, 10)) > 0.5).astype(dtype)
    p = nncore.initialize_parameters_he([3, 4, 1], dtype=dtype)
    return X, Y, p


def _without(p, key):
    return {k: v for k, v in p.items() if k != key}


def _with(p, key, value):
    return {**p, key: value}


X, Y, P = _net()
NAN = X.copy()
NAN[1, 2] = np.nan


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: nncore.forward_propagation(X[:2], P), ValueError, r"W1'\] must have shape"),
        (lambda: nncore.forward_propagation(X.astype(int), P), TypeError, "X must be a numpy"),
        (lambda: nncore.forward_propagation(X.astype(np.float16), P), TypeError, "float16"),
        (lambda: nncore.forward_propagation(X.tolist(), P), TypeError, "X must be a numpy"),
        (lambda: nncore.forward_propagation(X.astype(np.float32), P), TypeError,
         r"parameters\['W1'\] must have dtype float32"),
        (lambda: nncore.forward_propagation(NAN, P), ValueError, "X contains NaN or inf"),
        (lambda: nncore.forward_propagation(X, _with(P, "W2", P["W2"] * np.inf)), ValueError,
         r"W2'\] contains NaN or inf"),
        (lambda: nncore.forward_propagation(X, _without(P, "b2")), ValueError, "missing 'b2'"),
        (lambda: nncore.forward_propagation(X, _without(P, "W1")), ValueError, "missing 'W1'"),
        (lambda: nncore.forward_propagation(X, _with(P, "b1", np.zeros((5, 1)))), ValueError,
         r"b1'\] must have shape \(4, 1\)"),
        (lambda: nncore.forward_propagation(X, _with(P, "W2", np.zeros((1, 5)))), ValueError,
         r"W2'\] must have shape \(any, 4\)"),
        (lambda: nncore.forward_propagation(X, P, "gelu"), ValueError, "hidden_activation"),
        (lambda: nncore.forward_propagation(X, [P]), TypeError, "parameters must be a dict"),
        (lambda: nncore.forward_propagation_with_dropout(X, P, keep_prob=0), ValueError,
         r"keep_prob must be a finite number in \(0.0, 1.0\]"),
        (lambda: nncore.forward_propagation_with_dropout(X, P, keep_prob=1.5), ValueError,
         "keep_prob"),
        (lambda: nncore.forward_propagation_with_dropout(X, P, keep_prob=np.nan), ValueError,
         "keep_prob"),
        (lambda: nncore.forward_propagation_with_dropout(X, P, 0.5, seed=-1), ValueError,
         "seed must be >= 0"),
        (lambda: nncore.forward_propagation_with_dropout(X, P, 0.5, masks=[np.ones((4, 9))]),
         ValueError, r"masks\[0\] must have shape \(4, 10\)"),
        (lambda: nncore.forward_propagation_with_dropout(X, P, 0.5, masks=[np.full((4, 10), 2)]),
         ValueError, "only 0 and 1"),
        (lambda: nncore.compute_cost(np.full((1, 10), 0.5), Y[:, :9]), ValueError,
         r"Y must have shape \(1, 10\)"),
        (lambda: nncore.compute_cost(np.full((1, 10), np.nan), Y), ValueError, "AL contains NaN"),
        (lambda: nncore.compute_cost_with_regularization(np.full((1, 10), 0.5), Y, P, -1),
         ValueError, "lambd"),
        (lambda: nncore.backward_propagation(X, Y, "caches"), TypeError, "caches must be"),
        (lambda: nncore.backward_propagation(X, Y, [1, 2]), TypeError, r"caches\[0\]"),
        (lambda: nncore.update_parameters_with_gd(P, {}, 0.1), ValueError,
         "grads is missing 'dW1'"),
        (lambda: nncore.update_parameters_with_gd(P, nncore.initialize_velocity(P), -0.1),
         ValueError, "learning_rate"),
        (lambda: nncore.update_parameters_with_momentum(
            P, nncore.initialize_velocity(P), nncore.initialize_velocity(P), 1.0, 0.1),
         ValueError, "beta"),
        (lambda: nncore.update_parameters_with_momentum(
            P, nncore.initialize_velocity(P), {}, 0.9, 0.1), ValueError, "v is missing 'dW1'"),
        (lambda: nncore.update_parameters_with_adam(P, *(nncore.initialize_velocity(P),) * 3, 0),
         ValueError, "t must be >= 1"),
        (lambda: nncore.update_parameters_with_adam(
            P, *(nncore.initialize_velocity(P),) * 3, 1, beta2=-0.1), ValueError, "beta2"),
        (lambda: nncore.update_parameters_with_adam(
            P, *(nncore.initialize_velocity(P),) * 3, 1, epsilon=0), ValueError, "epsilon"),
        (lambda: nncore.update_parameters_with_adam(
            P, nncore.initialize_velocity(P), nncore.initialize_velocity(P),
            {**nncore.initialize_velocity(P), "dW1": np.zeros((2, 2))}, 1), ValueError,
         r"s\['dW1'\] must have shape \(4, 3\)"),
        (lambda: nncore.random_mini_batches(X, Y, 0), ValueError, "mini_batch_size"),
        (lambda: nncore.random_mini_batches(X, Y[:, :5], 4), ValueError, r"Y must have shape \(any, 10\)"),
        (lambda: nncore.initialize_parameters_he([3, 0, 1]), ValueError, r"layers_dims\[1\]"),
        (lambda: nncore.initialize_parameters_he([3, 4, 1], dtype="int32"), TypeError, "dtype"),
        (lambda: nncore.gradient_check_n(P, {"dW1": np.zeros((4, 3))}, X, Y), ValueError,
         "gradients is missing 'db1'"),
        (lambda: nncore.gradient_check_n(
            P, {**nncore.initialize_velocity(P), "dW2": np.zeros((1, 2))}, X, Y), ValueError,
         "gradients has"),
    ],
)  # fmt: skip
def test_mirror_rejects(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"layers_dims": [2, 4, 1]}, ValueError, r"X must have shape \(2, any\)"),
        ({"Y": Y[:, :9]}, ValueError, r"Y must have shape \(1, 10\)"),
        ({"Y": np.full((1, 10), np.inf)}, ValueError, "Y contains NaN or inf"),
        ({"optimizer": "sgd"}, ValueError, "optimizer"),
        ({"initialization": "ones"}, ValueError, "initialization"),
        ({"initialization": _without(P, "b2")}, ValueError, "missing 'b2'"),
        ({"initialization": nncore.initialize_parameters_he([3, 5, 1])}, ValueError,
         r"initialization\['W2'\] must have shape \(1, 4\)|layers_dims"),
        ({"hidden_activation": "sigmoid"}, ValueError, "hidden_activation"),
        ({"learning_rate": -1e-3}, ValueError, "learning_rate"),
        ({"learning_rate": np.inf}, ValueError, "learning_rate"),
        ({"beta": -0.5}, ValueError, "beta"),
        ({"beta1": 1.0}, ValueError, "beta1"),
        ({"epsilon": -1e-8}, ValueError, "epsilon"),
        ({"lambd": -1}, ValueError, "lambd"),
        ({"keep_prob": 0}, ValueError, "keep_prob"),
        ({"mini_batch_size": 0}, ValueError, "mini_batch_size"),
        ({"mini_batch_size": 2.5}, TypeError, "mini_batch_size"),
        ({"num_epochs": -1}, ValueError, "num_epochs"),
        ({"decay": "cosine"}, ValueError, "decay"),
        ({"decay": lambda lr0, epoch, rate: -lr0}, ValueError, "non-positive or non-finite"),
        ({"decay_rate": -1}, ValueError, "decay_rate"),
    ],
)  # fmt: skip
def test_model_rejects(kwargs, error, match):
    args = {"X": X, "Y": Y, "layers_dims": [3, 4, 1], "num_epochs": 3, **kwargs}
    with pytest.raises(error, match=match):
        nncore.model(**args)


def test_noncontiguous_inputs_give_the_contiguous_result():
    rng = np.random.default_rng(3)
    wide = rng.standard_normal((3, 20))
    Xs = wide[:, ::2]
    assert not Xs.flags.c_contiguous
    a, _ = nncore.forward_propagation(Xs, P)
    b, _ = nncore.forward_propagation(np.ascontiguousarray(Xs), P)
    c, _ = nncore.forward_propagation(np.asfortranarray(Xs), P)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(c, b)
    pf = {k: np.asfortranarray(v) for k, v in P.items()}
    np.testing.assert_array_equal(nncore.forward_propagation(Xs, pf)[0], b)


def test_integer_labels_are_accepted():
    AL = np.full((1, 10), 0.25)
    assert nncore.compute_cost(AL, Y.astype(np.int64)) == nncore.compute_cost(AL, Y)


def test_core_checks_too():
    """The private core re-checks what it relies on, and refuses to copy or convert."""
    from nncore import _core

    W = [P["W1"], P["W2"]]
    b = [P["b1"], P["b2"]]
    with pytest.raises(ValueError, match="W2: expected shape"):
        _core.f64.forward(X, [W[0], np.zeros((1, 5))], b, 0, 0, 1.0, 0, [], 0, 0)
    with pytest.raises(TypeError):
        _core.f64.forward(X.astype(np.float32), W, b, 0, 0, 1.0, 0, [], 0, 0)
    with pytest.raises(TypeError):
        _core.f64.forward(np.asfortranarray(X), W, b, 0, 0, 1.0, 0, [], 0, 0)
    with pytest.raises(ValueError, match="keep_prob"):
        _core.f64.dropout_mask(0, 0, 1, 3, 3, 0.0)
