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
On this VM the host places the two vCPUs in one of three ways, for seconds to minutes at a time,
and the round trip tells them apart: about 130 ns ("close": on one die, presumably), 500 ns or
more ("far"), and 50-70 ns ("shared"), where the two vCPUs turn out to share one core's
compute: two one-thread processes pinned to them each ran 1.86 times slower, and two threads
train no faster than one. (Round trips of microseconds or more are a vCPU the host has paused:
"paused".) The two-thread ratios are also given for each placement (both round trips in its
range; "changed" when they are not).

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
# The placements by round trip (ns): [low, high).
PLACEMENTS = {
    "shared": (0.0, 90.0),
    "close": (90.0, 250.0),
    "far": (400.0, 2000.0),
    "paused": (2000.0, float("inf")),  # a vCPU descheduled by the host: no placement to tell
}


def placement(trip: tuple[float, float]) -> str:
    """The placement both round trips of a run fall in, else "changed"."""
    for name, (low, high) in PLACEMENTS.items():
        if all(low <= t < high for t in trip):
            return name
    return "changed"


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
    places = [placement(trip) for trip in trips]
    print("placements: " + ", ".join(f"{name} {places.count(name)}"
                                     for name in (*PLACEMENTS, "changed")))  # fmt: skip
    for name in (*PLACEMENTS, "changed"):
        rounds = [i for i, p in enumerate(places) if p == name]
        if not rounds:
            continue
        runs = [times[2][i] for i in rounds]
        median = statistics.median(runs)
        line = f"   2 threads, {name}: min {min(runs):.4f} median {median:.4f} s"
        if references:
            paired = [references[i] / times[2][i] for i in rounds]
            line += f", reference / nncore median {statistics.median(paired):.1f}x"
            line += f" (min {min(paired):.1f}x, max {max(paired):.1f}x)"
        print(line)


if __name__ == "__main__":
    main()
