"""W1 (circles, [2, 10, 5, 1], full batch, 15000 iterations) on the core with two threads and
with one, and the reference, in rounds: every run's time and the ratios.

Two threads split each step of W1 in two blocks of columns, one on each core, and the cores
exchange their blocks' sums every step. On a shared VM the host moves the two vCPUs closer
together or further apart (and at times runs one slower), for seconds to minutes, so a single
timing can mislead: this prints every run.

Each round times the reference too, and each nncore run is compared with its own round's
reference run (a round takes a few seconds, the host's slow periods tens of seconds or more:
a round's runs see the same machine).

Each round also measures what the two-thread step's speed hangs on: the round trip of a cache
line between this thread and the pool's worker, just before and just after the two-thread run.
On this VM it is about 130 ns while the host keeps the two vCPUs on one die and 500 ns or more
when it moves them apart, for seconds to minutes at a time. The two-thread ratios are then also
given for the rounds with a round trip under 250 ns both times ("near") and the others.

    python benchmarks/threads_w1.py [--rounds 12] [--no-reference]
"""

from __future__ import annotations

import argparse
import statistics
import time

import nncore
from nncore import _core, datasets
from nncore import reference as ref

DIMS = [2, 10, 5, 1]
NEAR = 250.0  # ns: a round trip below this, before and after the run, makes a "near" round


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
    trips: list[tuple[float, float]] = []  # round trip (ns) before and after each two-thread run
    try:
        run(nncore, X, Y)  # warm-up: the helper thread, the workspaces
        for _ in range(args.rounds):
            for threads, runs in times.items():
                nncore.set_num_threads(threads)
                before = _core.handoff_round_trip_ns() if threads == 2 else 0.0
                runs.append(run(nncore, X, Y))
                if threads == 2:
                    trips.append((before, _core.handoff_round_trip_ns()))
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
    print("cache-line round trip between the two threads, before / after each two-thread run (ns):")
    print("   " + " ".join(f"{a:.0f}/{b:.0f}" for a, b in trips))
    near = [max(trip) < NEAR for trip in trips]
    print(f"near rounds (both under {NEAR:.0f} ns): {sum(near)} of {len(near)}")
    for label, keep in (("near", True), ("other", False)):
        runs = [t for t, n in zip(times[2], near) if n == keep]
        if not runs:
            continue
        median = statistics.median(runs)
        line = f"   2 threads, {label} rounds: min {min(runs):.4f} median {median:.4f} s"
        if references:
            paired = [r / t for r, t, n in zip(references, times[2], near) if n == keep]
            line += f", reference / nncore median {statistics.median(paired):.1f}x"
            line += f" (min {min(paired):.1f}x, max {max(paired):.1f}x)"
        print(line)


if __name__ == "__main__":
    main()
