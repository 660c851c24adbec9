"""The thread pool: settings, bitwise-identical results for every thread count, fork safety.

The networks here have layers big enough (n_out * n_in * m >= 2**21 multiply-adds) that their
products are split into blocks and run on the pool; the splits cover both directions (rows and
columns of the output) for Z = W A, dW = dZ A^T and dA = W^T dZ.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import nncore
from nncore import _threads
from nncore import reference as ref


@pytest.fixture
def restore_threads():
    previous = nncore.get_num_threads()
    yield
    nncore.set_num_threads(previous)


def _data(n_x, m, seed, dtype):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m)).astype(dtype)
    Y = (rng.random((1, m)) > 0.5).astype(dtype)
    return X, Y


# (dims, m, mini_batch_size): full batch splits every product by columns; minibatches of 64 split
# Z1, Z2, dW1 and dA2 by rows and dW2 by columns. The second network has 233,000 parameters:
# its optimizer step runs in chunks on the pool (optimizers.hpp, step_parallel).
CASES = [
    ([300, 128, 64, 1], 256, None),
    ([200, 512, 256, 1], 192, 64),
    # Small layers (the fused step): batches of more than 512 examples run as blocks of columns
    # on the pool (1100: three blocks, the last one short; minibatches of 600: two, then one).
    ([2, 10, 5, 1], 1100, None),
    ([3, 16, 8, 1], 1300, 600),
    # Smaller batches worth at least 8192 multiply-adds a forward pass run as two blocks (on the
    # calling thread): W1's shape in full batch; minibatches of 112 (two blocks of 56) with a
    # last batch of 104 (one block, wider than 56) or of 26.
    ([2, 10, 5, 1], 300, None),
    ([2, 10, 5, 1], 328, 112),
    ([2, 20, 3, 1], 250, 112),
]


def _train(X, Y, dims, mbs, threads):
    nncore.set_num_threads(threads)
    return nncore.model(X, Y, dims, optimizer="adam", learning_rate=1e-3, mini_batch_size=mbs,
                        num_epochs=3, keep_prob=0.9, lambd=0.1)  # fmt: skip


@pytest.mark.usefixtures("restore_threads")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("dims", "m", "mbs"), CASES)
def test_results_do_not_depend_on_the_thread_count(isa, dims, m, mbs, dtype):
    X, Y = _data(dims[0], m, 7, dtype)
    p1, c1 = _train(X, Y, dims, mbs, 1)
    for threads in (2, 3):
        p, c = _train(X, Y, dims, mbs, threads)
        assert c == c1, threads
        for k in p1:
            assert p[k].dtype == dtype
            np.testing.assert_array_equal(p[k], p1[k], err_msg=f"{k}, {threads} threads")


@pytest.mark.usefixtures("restore_threads")
@pytest.mark.parametrize(("dims", "m", "mbs"), CASES)
def test_split_products_match_the_reference(isa, dims, m, mbs):
    X, Y = _data(dims[0], m, 11, np.float64)
    nncore.set_num_threads(2)
    kwargs = {"optimizer": "gd", "learning_rate": 0.01, "mini_batch_size": mbs, "num_epochs": 4}
    params, costs = nncore.model(X, Y, dims, **kwargs)
    rparams, rcosts = ref.model(X, Y, dims, **kwargs)
    np.testing.assert_allclose(costs, rcosts, rtol=1e-9)
    for k in rparams:
        np.testing.assert_allclose(params[k], rparams[k], rtol=1e-9, atol=1e-12, err_msg=k)


@pytest.mark.usefixtures("restore_threads")
def test_set_and_get_num_threads():
    for n in (1, 3, 2):
        nncore.set_num_threads(n)
        assert nncore.get_num_threads() == n
        assert nncore.build_info()["num_threads"] == n


@pytest.mark.usefixtures("restore_threads")
@pytest.mark.parametrize(
    ("n", "error"), [(0, ValueError), (-1, ValueError), (257, ValueError), (2.0, TypeError),
                     ("2", TypeError), (True, TypeError), (None, TypeError)]
)  # fmt: skip
def test_bad_thread_counts_are_refused(n, error):
    before = nncore.get_num_threads()
    with pytest.raises(error, match="n: expected an integer"):
        nncore.set_num_threads(n)
    assert nncore.get_num_threads() == before


def _result(r):
    """The words of the script's RESULT line (an editable install may print its rebuild)."""
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, r.stdout
    return lines[0].split()[1:]


def _run(code, env_threads=None, timeout=120):
    """Runs code in a child interpreter; on timeout, kills it and every process it forked."""
    # Without the budget variables of joblib's workers, which lower the default (test_budgets).
    env = {k: v for k, v in os.environ.items() if k not in _threads.BUDGET_VARIABLES}
    env.pop("NNCORE_NUM_THREADS", None)
    if env_threads is not None:
        env["NNCORE_NUM_THREADS"] = env_threads
    with subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as proc:  # fmt: skip
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5", "3 ", "257"])
def test_bad_environment_variable_fails_the_import(value):
    r = _run("import nncore", env_threads=value)
    assert r.returncode != 0
    assert f"NNCORE_NUM_THREADS={value}: expected an integer from 1 to 256" in r.stderr


def test_environment_variable_and_default():
    r = _run("import nncore; print('RESULT', nncore.get_num_threads())", env_threads="3")
    assert _result(r) == ["3"]
    cpus = "len(os.sched_getaffinity(0))" if hasattr(os, "sched_getaffinity") else "os.cpu_count()"
    r = _run(f"import os, nncore; print('RESULT', nncore.get_num_threads(), {cpus})")
    n, cpus = map(int, _result(r))
    assert n == min(cpus, 4)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_trains_with_threads():
    # In a subprocess, so that pytest's own process never forks with live threads.
    code = """
        import os, sys, warnings
        import numpy as np
        import nncore

        warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads, on purpose
        rng = np.random.default_rng(3)
        X = rng.standard_normal((300, 256))
        Y = (rng.random((1, 256)) > 0.5).astype(float)
        dims = [300, 128, 64, 1]

        def train():
            return nncore.model(X, Y, dims, optimizer="adam", mini_batch_size=None,
                                num_epochs=3)[0]

        nncore.set_num_threads(2)
        train()  # the pool exists now, with a worker thread
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            p = train()
            os.write(w, b"".join(p[k].tobytes() for k in sorted(p)))
            os._exit(0)
        os.close(w)
        chunks = []
        while chunk := os.read(r, 1 << 20):
            chunks.append(chunk)
        _, status = os.waitpid(pid, 0)
        p = train()
        same = b"".join(chunks) == b"".join(p[k].tobytes() for k in sorted(p))
        print("RESULT", os.waitstatus_to_exitcode(status), same)
    """
    assert _result(_run(code, timeout=120)) == ["0", "True"]


# Full batch in two blocks (W1's shape at m = 300, or W2's). Long runs, every optimizer,
# learning-rate decay, dropout, L2 and a second fit that continues the first: two threads give
# bitwise what one gives.
TWO_BLOCKS = [
    ([2, 10, 5, 1], 300, {"optimizer": "gd", "learning_rate": 0.05}),
    (
        [2, 10, 5, 1],
        300,
        {"optimizer": "momentum", "learning_rate": 0.05, "decay": "update_lr", "decay_rate": 0.01},
    ),
    (
        [2, 10, 5, 1],
        311,
        {"optimizer": "adam", "learning_rate": 0.01, "keep_prob": 0.8, "lambd": 0.3},
    ),
    (
        [2, 20, 3, 1],
        211,
        {
            "optimizer": "adam",
            "learning_rate": 0.02,
            "decay": "schedule_lr_decay",
            "decay_rate": 0.5,
            "lambd": 0.7,
        },
    ),
]


def _fit_twice(X, Y, dims, kwargs, threads):
    nncore.set_num_threads(threads)
    net = nncore.Network(dims, dtype=X.dtype, seed=5)
    net.fit(X, Y, mini_batch_size=None, num_epochs=150, **kwargs)
    first = {k: v.copy() for k, v in net.parameters.items()}
    net.fit(X, Y, mini_batch_size=None, num_epochs=70, **kwargs)
    return first, net


@pytest.mark.usefixtures("restore_threads")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("dims", "m", "kwargs"), TWO_BLOCKS)
def test_two_block_full_batch_training_is_bitwise_one_core(dims, m, kwargs, dtype):
    X, Y = _data(dims[0], m, 17, dtype)
    first1, net1 = _fit_twice(X, Y, dims, kwargs, 1)
    first2, net2 = _fit_twice(X, Y, dims, kwargs, 2)
    np.testing.assert_array_equal(net2.costs, net1.costs)
    for k in net1.parameters:
        np.testing.assert_array_equal(first2[k], first1[k], err_msg=f"{k} after the first fit")
        np.testing.assert_array_equal(net2.parameters[k], net1.parameters[k], err_msg=k)
    state1, state2 = net1.optimizer_state, net2.optimizer_state
    assert state2["t"] == state1["t"]
    for moment in ("v", "s"):
        for k in state1.get(moment, {}):
            np.testing.assert_array_equal(state2[moment][k], state1[moment][k], err_msg=k)


@pytest.mark.usefixtures("restore_threads")
@pytest.mark.parametrize("stop_at", [1, 30, 57])
def test_two_block_training_stopped_by_the_callback_is_bitwise_one_core(stop_at):
    X, Y = _data(2, 300, 19, np.float64)
    results = []
    for threads in (1, 2):
        nncore.set_num_threads(threads)
        net = nncore.Network([2, 10, 5, 1], seed=3)
        net.fit(X, Y, optimizer="adam", learning_rate=0.01, mini_batch_size=None, num_epochs=100,
                callback=lambda epoch, cost: epoch < stop_at, callback_every=1)  # fmt: skip
        assert net.epochs == stop_at
        results.append(net)
    for k in results[0].parameters:
        np.testing.assert_array_equal(results[1].parameters[k], results[0].parameters[k])
    np.testing.assert_array_equal(results[1].costs, results[0].costs)


@pytest.mark.usefixtures("restore_threads")
def test_two_block_training_that_diverges_is_bitwise_one_core():
    # A learning rate that overflows: the loop stops and restores the last finite state.
    X, Y = _data(2, 300, 23, np.float64)
    X *= 1e150
    results = []
    for threads in (1, 2):
        nncore.set_num_threads(threads)
        net = nncore.Network([2, 10, 5, 1], seed=3)
        with pytest.raises(nncore.TrainingDiverged):
            net.fit(X, Y, optimizer="gd", learning_rate=1e10, mini_batch_size=None,
                    num_epochs=50)  # fmt: skip
        results.append(net)
    assert results[0].epochs < 50
    assert results[1].epochs == results[0].epochs
    for k in results[0].parameters:
        np.testing.assert_array_equal(results[1].parameters[k], results[0].parameters[k])


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs os.sched_setaffinity")
def test_two_threads_on_one_cpu_train_like_one():
    # Two threads where the process may use one CPU only, on steps of three blocks (the pool's
    # worker and the caller take turns on the CPU): same numbers, and no hang (the subprocess's
    # timeout).
    code = """
        import os
        cpu = sorted(os.sched_getaffinity(0))[0]
        os.sched_setaffinity(0, {cpu})
        import numpy as np
        import nncore

        rng = np.random.default_rng(29)
        X = rng.standard_normal((2, 1100))
        Y = (rng.random((1, 1100)) > 0.5).astype(float)

        def train(threads):
            nncore.set_num_threads(threads)
            return nncore.model(X, Y, [2, 10, 5, 1], optimizer="momentum", learning_rate=0.02,
                                mini_batch_size=None, num_epochs=500)

        p2, c2 = train(2)
        p1, c1 = train(1)
        same = c1 == c2 and all(np.array_equal(p1[k], p2[k]) for k in p1)
        print("RESULT", nncore.get_num_threads(), same)
    """
    assert _result(_run(code, timeout=300)) == ["1", "True"]


# --- Issue 20, items 1 and 2: thread starts that fail, and fork() inside a fit callback. -------

_LIMITED_START = """
    import os, resource, sys
    import numpy as np
    import nncore

    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 256))
    Y = (rng.random((1, 256)) > 0.5).astype(float)
    dims = [300, 128, 64, 1]  # products big enough for the pool

    def train(threads):
        nncore.set_num_threads(threads)
        return nncore.model(X, Y, dims, optimizer="adam", mini_batch_size=None, num_epochs=2)

    p1, c1 = train(1)
    limit()
    p, c = train(THREADS)  # the pool cannot start (all of) its threads
    same = c == c1 and all(np.array_equal(p[k], p1[k]) for k in p1)
    print("RESULT", same)
"""


def _limited_start(limit, threads):
    code = textwrap.dedent(_LIMITED_START).replace("THREADS", str(threads))
    return _run(textwrap.dedent(limit) + code, timeout=120)


@pytest.mark.skipif(sys.platform != "linux", reason="address-space limits as on Linux")
def test_pool_that_cannot_map_thread_stacks_runs_with_the_threads_it_has():
    # An address-space limit a little above the process's size: the first thread stacks (8 MiB
    # each) do not fit. The pool used to be destroyed half-built ("terminate called without an
    # active exception", SIGABRT, or a hang in pthread_cond_destroy).
    limit = """
        import resource
        def limit():
            with open("/proc/self/statm") as f:
                size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            resource.setrlimit(resource.RLIMIT_AS, (size + (12 << 20),) * 2)
    """
    assert _result(_limited_start(limit, 4)) == ["True"]


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform != "linux", reason="Linux")
def test_pool_under_a_process_limit_runs_with_the_threads_it_has():
    # RLIMIT_NPROC (threads count as processes): 256 threads asked, a handful allowed. The limit
    # does not bind root, so a root run first becomes an unprivileged user.
    limit = """
        import resource
        def limit():
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            resource.setrlimit(resource.RLIMIT_NPROC, (4, 4))
    """
    assert _result(_limited_start(limit, 256)) == ["True"]


_FORK_IN_CALLBACK = """
    import os, sys, warnings
    import numpy as np
    import nncore

    warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads, on purpose
    nncore.set_num_threads(2)
    rng = np.random.default_rng(5)
    X = rng.standard_normal((DIMS[0], M))
    Y = (rng.random((1, M)) > 0.5).astype(float)
    kwargs = dict(optimizer="adam", learning_rate=0.01, mini_batch_size=MBS, num_epochs=20)

    def fit(callback=None):
        net = nncore.Network(DIMS, seed=3)
        return net.fit(X, Y, callback=callback, callback_every=1, **kwargs)

    def callback(epoch, cost):
        if epoch == 5 and os.getpid() == parent:
            pid = os.fork()
            if pid == 0:
                return True  # the child carries on training
            children.append(pid)
        return True

    parent, children = os.getpid(), []
    net = fit(callback)
    want = fit()
    same = all(np.array_equal(net.parameters[k], want.parameters[k]) for k in want.parameters)
    if os.getpid() != parent:  # the child, after its training: a second fit, with threads
        os._exit(0 if same and fit().epochs == 20 else 3)
    _, status = os.waitpid(children[0], 0)
    print("RESULT", os.waitstatus_to_exitcode(status), same)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize(
    ("dims", "m", "mbs"),
    [([2, 10, 5, 1], 300, None), ([2, 20, 5, 1], 300, 64), ([300, 128, 64, 1], 256, 64)],
)
def test_fork_in_a_fit_callback_child_carries_on_training(dims, m, mbs):
    # The child of a fork() in a callback has only the forking thread; it used to wait for ever
    # for a helper thread that existed only in the parent (the two-block steps).
    code = textwrap.dedent(_FORK_IN_CALLBACK)
    code = code.replace("DIMS", repr(dims)).replace("MBS", repr(mbs)).replace("M", str(m))
    assert _result(_run(code, timeout=120)) == ["0", "True"]
