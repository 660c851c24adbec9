"""Threads and processes: separate networks trained in parallel threads give bitwise the
results of training them one after another (the core releases the GIL and keeps no shared
state); the mirror likewise; a forked process trains like its parent; and one network shared
with a running ``fit`` refuses other calls instead of handing out torn parameters."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import nncore

N_THREADS = 8
# Generous bound on waits between threads; reached only when something is broken.
TIMEOUT = 20


def _problem(n_x, n_out, m, output, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    if output == "softmax":
        Y = rng.integers(0, n_out, (1, m))
    elif output == "sigmoid":
        Y = (rng.random((n_out, m)) > 0.5).astype(np.float64)
    else:
        Y = rng.standard_normal((n_out, m))
    return X, Y


# One configuration per thread: different architectures, dtypes, seeds, outputs, optimizers,
# all with dropout and minibatches.
CONFIGS = [
    {"dims": [4, 32, 16, 1], "output": "sigmoid", "hidden": "relu", "dtype": "float64",
     "optimizer": "adam", "seed": 1, "mini_batch_size": 64},
    {"dims": [4, 32, 16, 1], "output": "sigmoid", "hidden": "relu", "dtype": "float32",
     "optimizer": "adam", "seed": 1, "mini_batch_size": 64},
    {"dims": [5, 24, 3], "output": "softmax", "hidden": "tanh", "dtype": "float64",
     "optimizer": "momentum", "seed": 2, "mini_batch_size": 32},
    {"dims": [5, 24, 3], "output": "softmax", "hidden": "tanh", "dtype": "float32",
     "optimizer": "gd", "seed": 3, "mini_batch_size": 100},
    {"dims": [3, 40, 2], "output": "identity", "hidden": "relu", "dtype": "float64",
     "optimizer": "adam", "seed": 4, "mini_batch_size": 17},
    {"dims": [3, 16, 16, 16, 1], "output": "sigmoid", "hidden": "tanh", "dtype": "float32",
     "optimizer": "adam", "seed": 5, "mini_batch_size": 128},
    {"dims": [6, 33, 4], "output": "softmax", "hidden": "relu", "dtype": "float64",
     "optimizer": "adam", "seed": 6, "mini_batch_size": 50},
    {"dims": [2, 64, 1], "output": "identity", "hidden": "tanh", "dtype": "float32",
     "optimizer": "momentum", "seed": 7, "mini_batch_size": 40},
]  # fmt: skip


def _train(config, epochs=300, meet=None):
    """Fit one configuration; returns everything the run produced, as exact bytes. With
    ``meet`` (a barrier), the callback of the first epoch waits there: every thread is then
    inside its fit at once, however short the trainings."""

    def callback(epoch, cost):
        if epoch == 1:
            meet.wait()

    X, Y = _problem(config["dims"][0], config["dims"][-1], 400, config["output"],
                    config["seed"])  # fmt: skip
    net = nncore.Network(config["dims"], config["hidden"], config["output"],
                         dtype=config["dtype"], seed=config["seed"])  # fmt: skip
    net.fit(X, Y, optimizer=config["optimizer"], learning_rate=0.003, num_epochs=epochs,
            mini_batch_size=config["mini_batch_size"], keep_prob=0.8, lambd=0.1,
            decay="schedule_lr_decay", callback=None if meet is None else callback,
            callback_every=1)  # fmt: skip
    return _digest(net)


def _digest(net):
    state = net.optimizer_state
    moments = [a.tobytes() for key in ("v", "s") for a in state.get(key, {}).values()]
    return (
        [p.tobytes() for p in net.parameters.values()],
        net.costs.tobytes(),
        moments,
        state["t"],
        net.epochs,
    )


def _in_threads(fn, args):
    """``fn(a)`` for every ``a`` in its own thread, all released at once; returns the results
    and each call's (start, end) time."""
    barrier = threading.Barrier(len(args), timeout=TIMEOUT)

    def timed(a):
        barrier.wait()
        start = time.perf_counter()
        result = fn(a)
        return result, (start, time.perf_counter())

    with ThreadPoolExecutor(len(args)) as pool:
        out = list(pool.map(timed, args))
    return [r for r, _ in out], [t for _, t in out]


def test_threads_train_bitwise_like_one_after_another():
    sequential = [_train(c) for c in CONFIGS]
    meet = threading.Barrier(len(CONFIGS), timeout=TIMEOUT)
    concurrent, spans = _in_threads(lambda c: _train(c, meet=meet), CONFIGS)
    # All eight were inside fit at the same moment (they met in their first callbacks), so
    # this did test parallel training. (Timing alone did not ensure it: with faster training,
    # one thread finished before the last one started.)
    assert max(s for s, _ in spans) < min(e for _, e in spans)
    for config, one, other in zip(CONFIGS, sequential, concurrent):
        assert one == other, config
    # The float32 and float64 twins differ, so the comparison can tell results apart.
    assert sequential[0] != sequential[1]


def _mirror_run(seed):
    """A bit of everything in the mirror, repeated: dropout forward/backward, costs, Adam,
    minibatches and the whole course model."""
    dt = np.float32 if seed % 2 else np.float64
    dims = [3, 12 + seed, 7, 1]
    X, Y = _problem(3, 1, 300, "sigmoid", seed)
    X = X.astype(dt)
    p = nncore.initialize_parameters_he(dims, seed=seed, dtype=dt)
    v, s = nncore.initialize_adam(p)
    out = []
    for t in range(1, 31):
        AL, caches = nncore.forward_propagation_with_dropout(X, p, keep_prob=0.7, seed=seed + t)
        cost = nncore.compute_cost_with_regularization(AL, Y, p, 0.2)
        grads = nncore.backward_propagation_with_dropout(X, Y, caches, 0.7)
        p, v, s, _, _ = nncore.update_parameters_with_adam(p, grads, v, s, t, 0.01)
        out.append(np.float64(cost).tobytes())
    batches = nncore.random_mini_batches(X, Y, 64, seed=seed)
    out += [a.tobytes() for batch in batches for a in batch]
    out += [a.tobytes() for a in p.values()]
    params, costs = nncore.model(X, Y, dims, optimizer="adam", num_epochs=40, keep_prob=0.9)
    out += [a.tobytes() for a in params.values()] + [np.array(costs).tobytes()]
    return out


def test_mirror_in_threads_bitwise_like_one_after_another():
    seeds = list(range(N_THREADS))
    sequential = [_mirror_run(s) for s in seeds]
    concurrent, _ = _in_threads(_mirror_run, seeds)
    for seed, one, other in zip(seeds, sequential, concurrent):
        assert one == other, seed


FORK_SCRIPT = textwrap.dedent(
    """
    import json, multiprocessing, os, sys, threading, warnings
    import numpy as np
    import nncore

    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 300))
    Y = (X[:1] * X[1:2] > 0).astype(np.float64)
    KW = dict(num_epochs=40, mini_batch_size=32, keep_prob=0.8)

    def digest(net):
        return [net.costs.tolist()] + [a.tobytes().hex() for a in net.parameters.values()]

    def fresh(dtype):
        return nncore.Network([4, 16, 8, 1], dtype=dtype, seed=9).fit(X, Y, **KW)

    def in_child(fn):
        # fork, run fn in the child, send its digest back through a pipe
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(r)
                with os.fdopen(w, "w") as f:
                    json.dump(fn(), f)
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        with os.fdopen(r) as f:
            text = f.read()
        _, status = os.waitpid(pid, 0)
        return json.loads(text) if status == 0 else "child failed"

    def mp_target(queue):
        queue.put(digest(fresh("float32")))

    out = {}
    net = fresh("float64")  # trained before the fork; child and parent both continue it
    out["child_continues"] = in_child(lambda: digest(net.fit(X, Y, **KW)))
    out["parent"] = digest(net.fit(X, Y, **KW))
    out["parent_f32"] = digest(fresh("float32"))
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=mp_target, args=(queue,))
    proc.start()
    out["mp_child_f32"] = queue.get(timeout=60)
    proc.join(60)
    out["mp_exitcode"] = proc.exitcode

    # Fork while another thread is inside the core's training loop (no GIL held there).
    inside = threading.Event()
    def busy():
        def callback(epoch, cost):
            inside.set()
        nncore.Network([4, 64, 64, 1], seed=1).fit(X, Y, num_epochs=2000, callback=callback,
                                                   callback_every=1)
    thread = threading.Thread(target=busy)
    thread.start()
    inside.wait(60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
        out["busy_fork_child"] = in_child(lambda: digest(fresh("float64").fit(X, Y, **KW)))
    out["busy_was_running"] = thread.is_alive()
    thread.join()
    with open(sys.argv[1], "w") as f:  # not stdout: an editable install may log there
        json.dump(out, f)
    """
)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_forked_process_trains_like_the_parent(tmp_path):
    script = tmp_path / "fork_check.py"
    script.write_text(FORK_SCRIPT)
    result = tmp_path / "result.json"
    proc = subprocess.run([sys.executable, str(script), str(result)], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(result.read_text())
    assert out["child_continues"] == out["parent"]
    assert out["mp_child_f32"] == out["parent_f32"]
    assert out["mp_exitcode"] == 0
    assert out["busy_was_running"]
    # A fresh float64 network trained twice as long as "fresh" equals "parent" (fresh + fit).
    assert out["busy_fork_child"] == out["parent"]
    assert out["parent"] != out["parent_f32"]


# ---------------------------------------------------------------------------------------------
# One network, two threads
# ---------------------------------------------------------------------------------------------


def _blocked_fit(net, X, Y, **kwargs):
    """Start ``net.fit`` in a thread whose callback parks (at its first call) until released."""
    inside, release = threading.Event(), threading.Event()
    errors = []

    def callback(epoch, cost):
        if not inside.is_set():
            inside.set()
            assert release.wait(TIMEOUT)

    def target():
        try:
            net.fit(X, Y, callback=callback, callback_every=5, **kwargs)
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    assert inside.wait(TIMEOUT)
    return thread, release, errors


KW = {"num_epochs": 20, "mini_batch_size": 16, "keep_prob": 0.8}


def test_calls_from_another_thread_during_fit_are_refused(tmp_path):
    X, Y = _problem(3, 1, 64, "sigmoid", 0)
    reference = nncore.Network([3, 5, 1], seed=2).fit(X, Y, **KW)
    net = nncore.Network([3, 5, 1], seed=2)
    thread, release, errors = _blocked_fit(net, X, Y, **KW)
    try:
        # fit is certainly running (parked in its callback): every use is refused at once.
        with pytest.raises(RuntimeError, match=r"Network\.fit is already running in another"):
            net.fit(X, Y, num_epochs=1)
        calls = {
            "predict": lambda: net.predict(X),
            "predict_proba": lambda: net.predict_proba(X),
            "parameters": lambda: net.parameters,
            "optimizer_state": lambda: net.optimizer_state,
            "save": lambda: net.save(tmp_path / "n.npz"),
            "__getstate__": lambda: copy.deepcopy(net),
        }
        for name, call in calls.items():
            with pytest.raises(RuntimeError, match=rf"Network\.{name}.* in another thread"):
                call()
        with pytest.raises(RuntimeError, match="in another thread"):
            copy.copy(net)
        with pytest.raises(RuntimeError, match="in another thread"):
            pickle.dumps(net)
        assert not (tmp_path / "n.npz").exists()
        assert list(tmp_path.iterdir()) == []
    finally:
        release.set()
        thread.join(TIMEOUT)
    assert errors == []
    # The refused calls changed nothing: the run equals an undisturbed one, bit for bit.
    assert _digest(net) == _digest(reference)
    # And the network is usable again.
    net.fit(X, Y, num_epochs=2)
    np.testing.assert_array_equal(net.predict(X).shape, (1, 64))


def test_fit_callback_sees_current_parameters_but_cannot_save(tmp_path):
    X, Y = _problem(3, 1, 64, "sigmoid", 1)
    after10 = nncore.Network([3, 6, 1], seed=4).fit(X, Y, **{**KW, "num_epochs": 10})
    net = nncore.Network([3, 6, 1], seed=4)
    seen = {}

    def callback(epoch, cost):
        if epoch != 10:
            return
        seen["proba"] = net.predict_proba(X)
        seen["parameters"] = net.parameters
        with pytest.raises(RuntimeError, match="cannot be called from a fit callback"):
            net.save(tmp_path / "n.npz")
        with pytest.raises(RuntimeError, match="cannot be called from a fit callback"):
            net.optimizer_state  # noqa: B018 -- the property raises
        with pytest.raises(RuntimeError, match="cannot be called from a fit callback"):
            copy.deepcopy(net)
        with pytest.raises(RuntimeError, match=r"already running \(from its callback\)"):
            net.fit(X, Y, num_epochs=1)
        seen["checked"] = True

    net.fit(X, Y, callback=callback, callback_every=5, **KW)
    assert seen.pop("checked")
    # The parameters read in the callback are exactly those after 10 epochs.
    np.testing.assert_array_equal(seen["proba"], after10.predict_proba(X))
    for key, value in after10.parameters.items():
        np.testing.assert_array_equal(seen["parameters"][key], value)
    assert not (tmp_path / "n.npz").exists()
    assert net.epochs == 20


def test_fit_is_released_after_an_exception():
    X, Y = _problem(3, 1, 64, "sigmoid", 2)
    net = nncore.Network([3, 4, 1], seed=1)

    def callback(epoch, cost):
        raise ValueError("from the callback")

    with pytest.raises(ValueError, match="from the callback"):
        net.fit(X, Y, callback=callback, callback_every=1, num_epochs=5)
    with pytest.raises(ValueError, match="learning_rate"):
        net.fit(X, Y, learning_rate=-1.0)
    net.fit(X, Y, num_epochs=3)
    assert net.predict(X).shape == (1, 64)


def test_fit_waits_for_reads_already_running():
    X, Y = _problem(3, 1, 64, "sigmoid", 3)
    net = nncore.Network([3, 4, 1], seed=1)
    reading, release, started = threading.Event(), threading.Event(), threading.Event()

    def reader():  # a read in progress (save or predict), held open
        with net._reading("test"):
            reading.set()
            assert release.wait(TIMEOUT)

    def fitter():
        net.fit(X, Y, num_epochs=3, callback=lambda e, c: started.set(), callback_every=1)

    with ThreadPoolExecutor(2) as pool:
        r = pool.submit(reader)
        assert reading.wait(TIMEOUT)
        f = pool.submit(fitter)
        assert not started.wait(0.3), "fit ran while a read was in progress"
        # fit has claimed the network: new reads are refused while it waits.
        with pytest.raises(RuntimeError, match="in another thread"):
            net.predict(X)
        release.set()
        r.result(TIMEOUT)
        f.result(TIMEOUT)
    assert started.is_set()
    assert net.epochs == 3


def test_many_threads_predict_with_one_network():
    X, Y = _problem(5, 3, 200, "softmax", 4)
    net = nncore.Network([5, 20, 3], output="softmax", seed=3).fit(X, Y, num_epochs=5)
    inputs = [np.random.default_rng(i).standard_normal((5, 300)) for i in range(N_THREADS)]
    expected = [net.predict_proba(x) for x in inputs]

    def many(x):
        return [net.predict_proba(x) for _ in range(50)]

    results, _ = _in_threads(many, inputs)
    for want, got in zip(expected, results):
        for g in got:
            np.testing.assert_array_equal(g, want)


def _pickled(protocol):
    return lambda net: pickle.loads(pickle.dumps(net, protocol=protocol))


DUPLICATES = [copy.copy, copy.deepcopy] + [_pickled(p) for p in range(pickle.HIGHEST_PROTOCOL + 1)]


@pytest.mark.parametrize("duplicate", DUPLICATES)
def test_copies_are_independent_and_train_identically(duplicate):
    X, Y = _problem(3, 1, 64, "sigmoid", 5)
    net = nncore.Network([3, 5, 1], seed=6).fit(X, Y, **KW)
    before = _digest(net)
    dup = duplicate(net)
    assert _digest(dup) == before
    dup.fit(X, Y, **KW)
    assert _digest(net) == before, "training the copy changed the original"
    net.fit(X, Y, **KW)
    assert _digest(net) == _digest(dup)
    # Each copy has its own guard: the copy trains while the original's fit is running.
    thread, release, errors = _blocked_fit(net, X, Y, **KW)
    try:
        dup.fit(X, Y, num_epochs=2)
    finally:
        release.set()
        thread.join(TIMEOUT)
    assert errors == []
