"""W1 (circles, [2, 10, 5, 1], full batch, 15000 iterations) on the core with two threads and
with one, and the reference, in rounds: every run's time and the ratios.

Two threads split each step of W1 in two blocks of columns, the second on another core, and
the step waits for the slower block. On a shared VM the host sometimes runs one vCPU slower
than the other, for minutes, so a single timing can mislead: this prints every run.

Each round times the reference too, and each nncore run is compared with its own round's
reference run (a round takes a few seconds, the host's slow periods tens of seconds or more:
a round's runs see the same machine).

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
    references: list[float] = []
    try:
        run(nncore, X, Y)  # warm-up: the helper thread, the workspaces
        for _ in range(args.rounds):
            for threads, runs in times.items():
                nncore.set_num_threads(threads)
                runs.append(run(nncore, X, Y))
            if not args.no_reference:
                references.append(run(ref, X, Y))
    finally:
        nncore.set_num_threads(previous)
    for threads, runs in times.items():
        best, median = min(runs), statistics.median(runs)
        line = f"{threads} thread{'s' if threads > 1 else ' '}: min {best:.4f} median {median:.4f}"
        line += f" max {max(runs):.4f} s"
        if references:
            paired = [r / t for r, t in zip(references, runs)]
            line += f"   reference / nncore, per round: median {statistics.median(paired):.1f}x"
            line += f" (min {min(paired):.1f}x, max {max(paired):.1f}x)"
        print(line)
        print("   " + " ".join(f"{t:.3f}" for t in runs))
    if references:
        print(f"reference: min {min(references):.3f} median {statistics.median(references):.3f} s")
        print("   " + " ".join(f"{t:.3f}" for t in references))


if __name__ == "__main__":
    main()
