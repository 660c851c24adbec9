"""The names and codes the compiled module exports (one table each in
cpp/include/nncore/types.hpp), the training configuration it binds, and that every exported
name is accepted, and computed like the reference, wherever the Python side takes it."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import nncore
from nncore import _core
from nncore import reference as ref

TABLES = {
    "hidden_activations": _core.hidden_activations,
    "outputs": _core.outputs,
    "optimizers": _core.optimizers,
    "nonfinite_policies": _core.nonfinite_policies,
}
HIDDEN = list(_core.hidden_activations)
OPTIMIZERS = list(_core.optimizers)

CONFIG = {
    "optimizer": 0, "mini_batch_size": 0, "num_epochs": 1, "shuffle_seed": 0, "lambd": 0.0,
    "keep_prob": 1.0, "beta": 0.9, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
    "dropout_seed": 0, "callback_every": 0, "hook_seconds": 0.05, "on_nonfinite": 0,
}  # fmt: skip


def _data(m: int = 40):
    rng = np.random.RandomState(0)
    X = rng.randn(3, m)
    Y = (X[:1] + 0.5 * X[1:2] > 0).astype(np.float64)
    return X, Y


@pytest.mark.parametrize("table", TABLES)
def test_codes_are_the_positions_of_distinct_names(table):
    codes = TABLES[table]
    assert list(codes.values()) == list(range(len(codes)))
    assert all(isinstance(name, str) and name for name in codes)


def test_the_python_maps_are_the_module_tables():
    from nncore import _mirror, _training

    assert _core.hidden_activations == _mirror.HIDDEN
    assert _core.optimizers == _mirror.OPTIMIZER_CODES
    assert _core.optimizer_state == _mirror.OPTIMIZER_STATE
    assert _core.outputs == _training.OUTPUTS
    assert _core.nonfinite_policies == _training.ON_NONFINITE


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_optimizer_state_matches_the_reference_update(optimizer):
    """The slots the core keeps are the state the reference's update takes (an outside check
    of the one C++ rule: gd none, momentum v, adam v and s, ...)."""
    update = getattr(ref, f"update_parameters_with_{optimizer}")
    params = inspect.signature(update).parameters
    assert _core.optimizer_state[optimizer] == tuple(k for k in ("v", "s") if k in params)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_exported_name_trains_like_the_reference(hidden, optimizer):
    X, Y = _data()
    kwargs = dict(optimizer=optimizer, learning_rate=0.01, mini_batch_size=16, num_epochs=3,
                  hidden_activation=hidden)  # fmt: skip
    params, costs = nncore.model(X, Y, [3, 5, 1], **kwargs)
    want_params, want_costs = ref.model(X, Y, [3, 5, 1], **kwargs)
    np.testing.assert_allclose(costs, want_costs, rtol=1e-9)
    for key, want in want_params.items():
        np.testing.assert_allclose(params[key], want, rtol=1e-9, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_network_keeps_the_state_of_every_exported_optimizer(optimizer, tmp_path):
    """Network.fit accepts the name, and what it saves (the state the table says) loads."""
    X, Y = _data()
    net = nncore.Network([3, 4, 1], hidden_activation=HIDDEN[-1], seed=0)
    net.fit(X, Y, optimizer=optimizer, learning_rate=0.01, num_epochs=2)
    net.save(tmp_path / "net.npz")
    with np.load(tmp_path / "net.npz") as f:
        sizes = {k: f[k].size for k in ("v", "s")}
    n = sum(a.size for a in net.parameters.values())
    assert sizes == {k: n if k in _core.optimizer_state[optimizer] else 0 for k in ("v", "s")}
    loaded = nncore.Network.load(tmp_path / "net.npz")
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))


def test_an_unknown_name_is_refused_with_the_module_names():
    X, Y = _data()
    with pytest.raises(ValueError, match="optimizer") as info:
        nncore.model(X, Y, [3, 4, 1], optimizer="sgd", num_epochs=1)
    assert all(name in str(info.value) for name in OPTIMIZERS)
    with pytest.raises(ValueError, match="hidden_activation"):
        nncore.Network([3, 4, 1], hidden_activation="swish")


def test_train_config_takes_every_field_by_keyword():
    config = _core.TrainConfig(**CONFIG)
    assert {k: getattr(config, k) for k in CONFIG} == CONFIG
    config.lambd = 0.5
    assert config.lambd == 0.5


@pytest.mark.parametrize("missing", list(CONFIG))
def test_train_config_refuses_a_missing_field(missing):
    kwargs = {k: v for k, v in CONFIG.items() if k != missing}
    with pytest.raises(TypeError, match=f"missing keyword argument '{missing}'"):
        _core.TrainConfig(**kwargs)


def test_train_config_refuses_unknown_and_positional_arguments():
    with pytest.raises(TypeError, match="unexpected keyword argument 'lamda'"):
        _core.TrainConfig(**CONFIG, lamda=0.1)
    with pytest.raises(TypeError):
        _core.TrainConfig(*CONFIG.values())


@pytest.mark.parametrize(
    ("field", "value"),
    [("num_epochs", 1.5), ("shuffle_seed", -1), ("shuffle_seed", 2**32), ("lambd", "0"),
     ("dropout_seed", 2**64), ("optimizer", None)],
)  # fmt: skip
def test_train_config_refuses_a_value_of_the_wrong_type(field, value):
    with pytest.raises(TypeError, match=f"{field} expected"):
        _core.TrainConfig(**{**CONFIG, field: value})


def test_train_is_keyword_only():
    X, Y = _data(4)
    with pytest.raises(TypeError):
        _core.f64.train(X, Y)  # type: ignore[misc]
