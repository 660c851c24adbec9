"""nncore.Network: outputs against numpy implementations, finite differences, continuation,
save/load, callbacks and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import nncore
from nncore import reference as ref


def _data(n_x, n_out, m, output, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    if output == "sigmoid":
        Y = (rng.random((n_out, m)) > 0.5).astype(np.float64)
    elif output == "softmax":
        Y = np.eye(n_out)[:, rng.integers(0, n_out, m)]
    else:
        Y = rng.standard_normal((n_out, m))
    return X, Y


def _numpy_forward(parameters, X, hidden, output):
    L = len(parameters) // 2
    A = X
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]
        if l < L:
            A = np.maximum(Z, 0) if hidden == "relu" else np.tanh(Z)
        elif output == "sigmoid":
            A = 1 / (1 + np.exp(-Z))
        elif output == "softmax":
            E = np.exp(Z - Z.max(axis=0))
            A = E / E.sum(axis=0)
        else:
            A = Z
    return A


def _numpy_cost(parameters, X, Y, hidden, output, lambd=0.0):
    A = _numpy_forward(parameters, X, hidden, output)
    m = X.shape[1]
    if output == "sigmoid":
        J = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    elif output == "softmax":
        J = -np.sum(Y * np.log(A)) / m
    else:
        J = np.sum((A - Y) ** 2) / (2 * m)
    L = len(parameters) // 2
    return J + lambd / (2 * m) * sum(np.sum(parameters[f"W{l}"] ** 2) for l in range(1, L + 1))


def _one_step_gradient(net, X, Y, lambd=0.0):
    """The core's gradient, read off one full-batch gradient-descent step with rate 1."""
    before = net.parameters
    net.fit(X, Y, optimizer="gd", learning_rate=1.0, mini_batch_size=None, num_epochs=1,
            lambd=lambd)  # fmt: skip
    after = net.parameters
    return before, {k: before[k] - after[k] for k in before}


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
@pytest.mark.parametrize("hidden", ["relu", "tanh"])
@pytest.mark.parametrize("seed", [0, 1])
def test_outputs_match_numpy(output, hidden, seed, central_differences):
    n_out = 1 if output == "sigmoid" else 4
    X, Y = _data(5, n_out, 37, output, seed)
    net = nncore.Network([5, 17, 3, n_out], hidden, output, seed=seed)
    p = net.parameters
    A = _numpy_forward(p, X, hidden, output)
    if output == "identity":
        np.testing.assert_allclose(net.predict(X), A, rtol=1e-12, atol=1e-14)
    else:
        np.testing.assert_allclose(net.predict_proba(X), A, rtol=1e-12, atol=1e-14)
    before, grad = _one_step_gradient(net, X, Y, lambd=0.3)
    # The recorded cost is the cost at the parameters before the step.
    assert net.costs[0] == pytest.approx(_numpy_cost(before, X, Y, hidden, output, 0.3), rel=1e-12)
    # Finite differences of the numpy cost along every parameter.
    fds = central_differences(lambda p: _numpy_cost(p, X, Y, hidden, output, 0.3), before, 1e-6)
    for key, fd in fds.items():
        np.testing.assert_allclose(grad[key], fd, rtol=1e-5, atol=1e-8, err_msg=key)


def test_softmax_integer_labels_equal_one_hot():
    X, Y = _data(3, 4, 50, "softmax", 2)
    labels = Y.argmax(axis=0).reshape(1, -1)
    a = nncore.Network([3, 8, 4], output="softmax", seed=1).fit(X, Y, num_epochs=20)
    b = nncore.Network([3, 8, 4], output="softmax", seed=1).fit(X, labels, num_epochs=20)
    np.testing.assert_array_equal(a.costs, b.costs)
    assert b.predict(X).shape == (1, 50)
    np.testing.assert_allclose(b.predict_proba(X).sum(axis=0), 1.0, rtol=1e-12)


def test_from_reference_parameters_matches_the_reference_model():
    X, Y = _data(2, 1, 150, "sigmoid", 3)
    p = ref.initialize_parameters_he([2, 5, 2, 1], seed=3)
    # seed=10 makes the network shuffle like the course's model (seed 10, incremented per epoch)
    net = nncore.Network.from_parameters(p, seed=10)
    net.fit(X, Y, optimizer="adam", learning_rate=0.0007, mini_batch_size=64, num_epochs=40)
    rp, rc = ref.model(X, Y, [2, 5, 2, 1], optimizer="adam", num_epochs=40, initialization=p)
    for key in rp:
        np.testing.assert_allclose(net.parameters[key], rp[key], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(net.costs, rc, rtol=1e-12)
    assert net.optimizer_state["t"] == 40 * 3


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_fit_continues_exactly(tmp_path, optimizer):
    X, Y = _data(2, 1, 100, "sigmoid", 4)
    kwargs = {"optimizer": optimizer, "learning_rate": 0.01, "mini_batch_size": 32,
              "keep_prob": 0.8, "decay": "update_lr", "decay_rate": 0.1}  # fmt: skip
    whole = nncore.Network([2, 6, 1], seed=5).fit(X, Y, num_epochs=30, **kwargs)
    part = nncore.Network([2, 6, 1], seed=5).fit(X, Y, num_epochs=12, **kwargs)
    part.save(tmp_path / "net.npz")
    loaded = nncore.Network.load(tmp_path / "net.npz")
    for net in (part, loaded):
        net.fit(X, Y, num_epochs=18, **kwargs)
        np.testing.assert_array_equal(net.costs, whole.costs)
        for key, value in whole.parameters.items():
            np.testing.assert_array_equal(net.parameters[key], value)
        assert net.epochs == 30


def test_save_load_round_trip_and_no_pickle(tmp_path):
    net = nncore.Network([3, 4, 2], "tanh", "softmax", dtype="float32", seed=7)
    net.fit(np.ones((3, 10), np.float32), np.zeros((1, 10), np.int64), num_epochs=3)
    path = tmp_path / "n.npz"
    net.save(path)
    with np.load(path, allow_pickle=False) as f:
        assert str(f["format"]) == "nncore.Network"
        assert {a.dtype.kind for a in f.values()} <= {"U", "i", "f"}
    back = nncore.Network.load(path)
    assert (back.layers_dims, back.hidden_activation, back.output, back.dtype, back.seed) == (
        [3, 4, 2], "tanh", "softmax", np.dtype(np.float32), 7
    )  # fmt: skip
    assert back.optimizer_state["t"] == net.optimizer_state["t"] == 3
    np.save(tmp_path / "other.npy", np.zeros(3))
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match=r"not an nncore\.Network file"):
        nncore.Network.load(tmp_path / "other.npz")


def test_float32_network_stays_float32():
    X, Y = _data(4, 1, 64, "sigmoid", 6)
    net = nncore.Network([4, 9, 1], dtype="float32", seed=2).fit(X, Y, num_epochs=50)
    assert {a.dtype for a in net.parameters.values()} == {np.dtype(np.float32)}
    assert net.predict_proba(X).dtype == np.float32
    ref64 = nncore.Network([4, 9, 1], dtype="float64", seed=2).fit(X, Y, num_epochs=50)
    for key, value in ref64.parameters.items():
        np.testing.assert_allclose(net.parameters[key], value, rtol=1e-3, atol=1e-4)


def test_callback_every_and_stop():
    X, Y = _data(2, 1, 64, "sigmoid", 8)
    seen = []

    def callback(epoch, cost):
        seen.append((epoch, cost))
        return epoch < 30

    net = nncore.Network([2, 4, 1], seed=1).fit(X, Y, num_epochs=100, callback=callback,
                                                 callback_every=10)  # fmt: skip
    assert [e for e, _ in seen] == [10, 20, 30]
    assert net.epochs == 30
    assert seen[-1][1] == net.costs[-1]


def test_callback_exception_propagates_and_keeps_progress():
    X, Y = _data(2, 1, 64, "sigmoid", 9)
    net = nncore.Network([2, 4, 1], seed=1)

    def callback(epoch, cost):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        net.fit(X, Y, num_epochs=100, callback=callback, callback_every=5)


def test_progress_bar_runs(capsys):
    X, Y = _data(2, 1, 64, "sigmoid", 10)
    nncore.Network([2, 4, 1], seed=1).fit(X, Y, num_epochs=20, progress=True)
    assert "20/20" in capsys.readouterr().err


def test_divergence_raises():  # (the details are in test_numerics.py)
    X, Y = _data(2, 1, 64, "identity", 11)
    net = nncore.Network([2, 4, 1], output="identity", seed=1)
    with pytest.raises(nncore.TrainingDiverged, match="training diverged"):
        net.fit(X * 1e3, Y, optimizer="gd", learning_rate=10.0, num_epochs=50)
    assert 0 < net.epochs < 50
    assert np.isfinite(net.costs).all()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"layers_dims": [2]}, ValueError, "layers_dims"),
        ({"layers_dims": [2, 0, 1]}, ValueError, r"layers_dims\[1\]"),
        ({"layers_dims": [2, 3, 1], "output": "softmax"}, ValueError, "softmax"),
        ({"layers_dims": [2, 3, 1], "output": "relu"}, ValueError, "output"),
        ({"layers_dims": [2, 3, 1], "hidden_activation": "gelu"}, ValueError, "hidden_act"),
        ({"layers_dims": [2, 3, 1], "dtype": "float16"}, TypeError, "dtype"),
        ({"layers_dims": [2, 3, 1], "initialization": "ones"}, ValueError, "initialization"),
        ({"layers_dims": [2, 3, 1], "seed": -1}, ValueError, "seed"),
    ],
)
def test_bad_construction(kwargs, error, match):
    with pytest.raises(error, match=match):
        nncore.Network(**kwargs)


@pytest.mark.parametrize(
    ("X_shape", "Y", "kwargs", "error", "match"),
    [
        ((3, 10), np.zeros((1, 10)), {}, ValueError, r"X must have shape \(2, any\)"),
        ((2, 10), np.zeros((1, 9)), {}, ValueError, "Y must have shape"),
        ((2, 10), np.zeros((1, 10)), {"learning_rate": -1}, ValueError, "learning_rate"),
        ((2, 10), np.zeros((1, 10)), {"keep_prob": 0}, ValueError, "keep_prob"),
        ((2, 10), np.zeros((1, 10)), {"beta1": 1.0}, ValueError, "beta1"),
        ((2, 10), np.zeros((1, 10)), {"mini_batch_size": 0}, ValueError, "mini_batch_size"),
        ((2, 10), np.zeros((1, 10)), {"num_epochs": 2.5}, TypeError, "num_epochs"),
        ((2, 10), np.zeros((1, 10)), {"optimizer": "sgd"}, ValueError, "optimizer"),
        ((2, 10), np.zeros((1, 10)), {"decay": "cosine"}, ValueError, "decay"),
        ((2, 10), np.zeros((1, 10)), {"callback": 3}, TypeError, "callback"),
        ((2, 10), np.full((1, 10), np.nan), {}, ValueError, "Y contains NaN"),
    ],
)
def test_bad_fit_arguments(X_shape, Y, kwargs, error, match):
    net = nncore.Network([2, 3, 1], seed=0)
    with pytest.raises(error, match=match):
        net.fit(np.zeros(X_shape), Y, **kwargs)
    assert net.epochs == 0


def test_bad_softmax_labels_and_identity_proba():
    net = nncore.Network([2, 3, 3], output="softmax", seed=0)
    with pytest.raises(ValueError, match=r"class labels must be in \[0, 3\)"):
        net.fit(np.zeros((2, 4)), np.array([[0, 1, 2, 3]]))
    with pytest.raises(ValueError, match="integer class labels"):
        net.fit(np.zeros((2, 4)), np.array([[0, 1.5, 2, 1]]))
    with pytest.raises(ValueError, match="predict_proba"):
        nncore.Network([2, 3, 1], output="identity", seed=0).predict_proba(np.zeros((2, 4)))
    with pytest.raises(TypeError, match="X must hold real numbers"):
        net.predict(np.array([["a", "b"]] * 2))
