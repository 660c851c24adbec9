"""Two builds (or two SIMD targets) of nncore side by side on compare.py's workloads, runs
alternated.

    python benchmarks/ab.py OLD NEW [--only W1,W2] [--rounds 5] [--threads 1,2] [--processes 1]
    python benchmarks/ab.py python@x86-64-v3 python@x86-64-v4 --only W4f32,W5 --threads 2

OLD and NEW are folders that each hold an ``nncore`` package with its compiled ``_core`` (for
example ``git archive <commit> python/nncore | tar -x -C old`` plus that build's ``_core*.so``
copied into ``old/python/nncore``; pass ``old/python``). ``FOLDER@ISA`` runs that build on the
SIMD target ISA (``nncore._core.set_isa``), so one build's targets can be compared. Every
timing is one whole training run (compare.py's ``prepare_nncore``) in a fresh interpreter, so
the two builds never share a process; each round runs every (workload, threads, build) once,
the builds in alternating order, so that a change in the machine's load hits both alike.
``--processes N`` starts N identical runs at once per timing (each its own interpreter) and
records each one's time: the throughput question of N processes sharing the machine. Prints
the median and the minimum per cell and the ratio NEW / OLD of the medians (< 1: NEW is
faster).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Runs in the child: imports nncore from ROOT only (not an editable install's finder), then
# times one run of the workload with compare.py's own setup.
CHILD = """
import json, sys, time
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()]
sys.path.insert(0, {root!r})
sys.path.insert(1, {here!r})
import nncore
assert nncore.__file__.startswith({root!r}), nncore.__file__
if {isa!r}:
    nncore._core.set_isa({isa!r})
nncore.set_num_threads({threads})
import compare
wl = next(w for w in compare.WORKLOADS if w.key == {key!r})
X, Y = wl.data()
train = compare.prepare_nncore(wl, X, Y, compare.initial_parameters(wl), wl.num_epochs)
start = time.perf_counter()
cost = train()
print(json.dumps([time.perf_counter() - start, cost]))
"""


def runs(spec: str, key: str, threads: int, processes: int) -> list[float]:
    """The times of `processes` runs started together of the build ``FOLDER[@ISA]``."""
    root, _, isa = spec.partition("@")
    code = CHILD.format(
        root=os.path.abspath(root), here=str(HERE), threads=threads, key=key, isa=isa
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    times = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"a run of {key} failed with {root}")
        times.append(json.loads(out.splitlines()[-1])[0])
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--only", default="W1,W2", help="comma-separated workload keys")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--processes", type=int, default=1, help="runs started together")
    args = parser.parse_args(argv)
    roots = {"old": args.old, "new": args.new}
    keys = [k.strip() for k in args.only.split(",") if k.strip()]
    threads = [int(t) for t in args.threads.split(",")]
    times: dict = {}
    for r in range(args.rounds):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        for key in keys:
            for n in threads:
                for build in order:
                    ts = runs(roots[build], key, n, args.processes)
                    times.setdefault((key, n, build), []).extend(ts)
                    shown = ", ".join(f"{t:.4f}" for t in ts)
                    print(f"round {r + 1} {key} {n} thread(s) {build}: {shown} s", flush=True)
    print("\n| workload | threads | old: median (min) s | new: median (min) s | new / old |")
    print("|---|---|---|---|---|")
    for key in keys:
        for n in threads:
            old, new = times[(key, n, "old")], times[(key, n, "new")]
            mo, mn = statistics.median(old), statistics.median(new)
            print(
                f"| {key} | {n} | {mo:.4f} ({min(old):.4f}) | {mn:.4f} ({min(new):.4f}) "
                f"| {mn / mo:.2f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
