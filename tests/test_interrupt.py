"""Ctrl-C during training: a real SIGINT sent to a subprocess stops fit/model promptly, warns,
and keeps what was learned (the process exits normally)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

FIT = """
    net = nncore.Network({dims}, seed=0)
    before = net.parameters["W1"].copy()
    def started(epoch, cost):
        if epoch == 1:
            print("STARTED", flush=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.fit(X, Y, num_epochs=10**7, callback=started, callback_every=1{more})
    print("EPOCHS", net.epochs, len(net.costs), flush=True)
    print("CHANGED", bool((net.parameters["W1"] != before).any()), flush=True)
    print("T", net.optimizer_state["t"], flush=True)
"""

SCRIPT = {
    "fit": FIT.format(dims=[2, 64, 64, 1], more=""),
    # A small network on the whole batch: the fused step in two column blocks, the second on
    # a helper thread (the training thread must stop it on the way out).
    "fit_two_blocks": FIT.format(dims=[2, 10, 5, 1], more=", mini_batch_size=None"),
    "model": """
        # print_cost prints "Cost after epoch 0" from inside the core's loop: training has begun
        # (a signal during model()'s argument checks would be a plain KeyboardInterrupt).
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            params, costs = nncore.model(X, Y, [2, 64, 64, 1], optimizer="adam",
                                         num_epochs=10**7, print_cost=True)
        print("EPOCHS", len(costs), len(costs), flush=True)
        print("CHANGED", True, flush=True)
        print("T", 0, flush=True)
    """,
}

PRELUDE = """
import warnings
import numpy as np
import nncore
rng = np.random.default_rng(0)
X = rng.standard_normal((2, 500))
Y = (X[:1] * X[1:] > 0).astype(np.float64)
"""

EPILOGUE = """
print("WARNED", any(issubclass(w.category, nncore.TrainingInterrupted) for w in caught),
      flush=True)
"""


@pytest.mark.parametrize("entry", ["fit", "fit_two_blocks", "model"])
def test_sigint_stops_training_and_keeps_progress(entry):
    code = PRELUDE + textwrap.dedent(SCRIPT[entry]) + EPILOGUE
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = ""
        deadline = time.monotonic() + 120
        while "STARTED" not in line and "Cost after epoch 0:" not in line:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "training never started"
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=30)
        stopped_after = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    report = dict(line.split(" ", 1) for line in out.strip().splitlines())
    epochs, n_costs = map(int, report["EPOCHS"].split())
    assert 1 <= epochs < 10**7
    assert n_costs == epochs
    assert report["CHANGED"] == "True"
    assert report["WARNED"] == "True", err
    if entry.startswith("fit"):
        # Adam's step count kept (8 minibatches per epoch; 1 for the whole batch)
        assert int(report["T"]) >= epochs
    # Generous bound (a loaded machine): the loop checks for signals every 0.05 s.
    assert stopped_after < 10
