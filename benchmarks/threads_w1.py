"""W1 (circles, [2, 10, 5, 1], full batch, 15000 iterations) on the core with two threads and
with one, alternately, and the reference once: every run's time and the ratios.

Two threads split each step of W1 in two blocks of columns, the second on another core, and
the step waits for the slower block. On a shared VM the host sometimes runs one vCPU slower
than the other, for minutes, so a single timing can mislead: this prints every run.

    python benchmarks/threads_w1.py [--rounds 12] [--no-reference]
"""

from __future__ import annotations

import argparse
import statistics
import time

import nncore
from nncore import datasets
from nncore import reference as ref

DIMS = [2, 10, 5, 1]


def run(engine, X, Y) -> float:
    start = time.perf_counter()
    engine.model(X, Y, DIMS, learning_rate=0.01, num_epochs=15000, initialization="he",
                 mini_batch_size=None)  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=12, help="runs per thread count")
    parser.add_argument("--no-reference", action="store_true", help="skip the numpy reference")
    args = parser.parse_args()
    X, Y = datasets.load_circles()[:2]
    previous = nncore.get_num_threads()
    times: dict[int, list[float]] = {2: [], 1: []}
    try:
        for _ in range(args.rounds):
            for threads, runs in times.items():
                nncore.set_num_threads(threads)
                runs.append(run(nncore, X, Y))
    finally:
        nncore.set_num_threads(previous)
    reference = None if args.no_reference else run(ref, X, Y)
    for threads, runs in times.items():
        best, median = min(runs), statistics.median(runs)
        line = f"{threads} thread{'s' if threads > 1 else ' '}: min {best:.4f} median {median:.4f}"
        line += f" max {max(runs):.4f} s"
        if reference is not None:
            ratios = reference / best, reference / median
            line += f"   reference / min {ratios[0]:.1f}x, / median {ratios[1]:.1f}x"
        print(line)
        print("   " + " ".join(f"{t:.3f}" for t in runs))
    if reference is not None:
        print(f"reference: {reference:.3f} s (one run)")


if __name__ == "__main__":
    main()
