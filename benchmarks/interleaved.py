"""compare.py's measuring: engines timed in interleaved rounds, the GEMM peak, paired ratios.

A shared machine's speed drifts, by tens of percent within minutes. Timing all repeats of one
engine, then all repeats of the next, lets that drift land on one engine and not another, so
ratios between engines swing from run to run. Here every round runs every engine once, in an
order that rotates from round to round (round ``r`` starts with engine ``r mod n``: over any
``n`` consecutive rounds each engine takes each place once), so drift hits all engines alike;
and a ratio is also taken within each round (the *paired* ratio) and then summarized by its
median over the rounds, so that a slow round slows both sides of its own ratio.

The GEMM peak is measured once at the start of the run (``gemm_peak``: both dtypes, best of
several products) and, shorter, at the start of every round (``GemmProbe``: the workload's
dtype only, best of ``GEMM_ROUND_PRODUCTS`` products), before the round's first engine and
outside every engine's clock. Before every engine's clock starts, a garbage collection and a
pause of ``SETTLE_SECONDS`` let threads still spinning from the probe or the previous engine go
idle; as the order rotates, every engine follows the probe equally often (once in any ``n``
consecutive rounds), so what else the products leave behind (evicted caches) falls on all
engines alike, as the previous engine of a round does.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import statistics
import time
from typing import Callable, Sequence

import numpy as np

GEMM_SIZE = 2048
GEMM_ROUND_PRODUCTS = 3  # products per round's probe; its rate is the best of them
# Pause before every engine's clock starts: BLAS (OpenMP) threads keep spinning for some
# milliseconds after a product, on the cores the next engine would be timed on.
SETTLE_SECONDS = 0.05


@dataclasses.dataclass
class Timing:
    times: list  # seconds of the runs actually made, one per round, in round order
    scale: float  # full run / run made (1 unless extrapolated)
    cost: float  # final cost of the last run

    @property
    def best(self):
        return min(self.times) * self.scale

    @property
    def median(self):
        return statistics.median(self.times) * self.scale

    def scaled(self, r: int) -> float:
        """Round ``r``'s time, scaled to the full run."""
        return self.times[r] * self.scale


@dataclasses.dataclass
class Rounds:
    """What ``run_rounds`` measured, round by round."""

    order: list  # per round, the engines in the order they ran
    times: dict  # engine -> seconds, one per round (index r: round r)
    costs: dict  # engine -> final cost of its last run
    peaks: list | None  # GFLOP/s of the probe at the start of each round (None: no probe)


def rotation(engines: Sequence[str], r: int) -> list:
    """The order of round ``r``: ``engines`` rotated to start at ``engines[r mod n]``."""
    k = r % len(engines)
    return [*engines[k:], *engines[:k]]


def run_rounds(
    trains: dict,
    repeat: int,
    probe: Callable[[], float] | None = None,
    clock: Callable[[], float] = time.perf_counter,
    settle: float = SETTLE_SECONDS,
) -> Rounds:
    """Run ``repeat`` rounds; each runs ``probe`` (when given) and then every engine of
    ``trains`` (name -> function training once and returning the final cost) once, in the
    order ``rotation(list(trains), r)``. Each engine's clock covers its call only; before it
    starts, a garbage collection and a pause of ``settle`` seconds."""
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")
    engines = list(trains)
    order: list = []
    times: dict = {e: [] for e in engines}
    costs: dict = {e: math.nan for e in engines}
    peaks: list | None = None if probe is None else []
    for r in range(repeat):
        if peaks is not None and probe is not None:
            peaks.append(probe())
        order.append(rotation(engines, r))
        for engine in order[-1]:
            gc.collect()
            time.sleep(settle)
            start = clock()
            costs[engine] = trains[engine]()
            times[engine].append(clock() - start)
    return Rounds(order, times, costs, peaks)


def paired_ratio(others: Sequence[Timing], mine: Timing) -> float | None:
    """Median over rounds of (the fastest of ``others`` in that round) / ``mine`` in that
    round, on times scaled to the full run; None when ``others`` is empty. > 1: ``mine`` is
    faster."""
    if not others:
        return None
    per_round = [min(t.scaled(r) for t in others) / mine.scaled(r) for r in range(len(mine.times))]
    return statistics.median(per_round)


def paired_share(flops: float, mine: Timing, peaks: Sequence[float]) -> float:
    """Median over rounds of (``flops`` / ``mine``'s time that round) / (``peaks`` that round,
    GFLOP/s): the share of the GEMM peak of the same round."""
    per_round = [flops / mine.scaled(r) / 1e9 / peaks[r] for r in range(len(mine.times))]
    return statistics.median(per_round)


class GemmProbe:
    """``GEMM_SIZE``-square products of one dtype on ``threads`` threads, through PyTorch
    (MKL) when installed, else numpy's BLAS (limited with threadpoolctl when it is there).
    Calling it returns the best rate of ``products`` products, GFLOP/s; the operands are made
    and one product run (warm-up) when it is built."""

    def __init__(self, dtype: str, threads: int, products: int = GEMM_ROUND_PRODUCTS):
        n = GEMM_SIZE
        self.flops = 2.0 * n**3
        self.threads = threads
        self.products = products
        try:
            import torch

            torch.set_num_threads(threads)
            self.product: Callable = torch.matmul
            blas = "MKL" if torch.backends.mkl.is_available() else "its BLAS"
            self.library = f"torch {torch.__version__} ({blas})"
            g = torch.Generator().manual_seed(0)
            self.operands: list = [
                torch.rand(n, n, generator=g, dtype=getattr(torch, dtype)) for _ in "ab"
            ]
        except ImportError:
            self.product = np.matmul
            self.library = f"numpy {np.__version__}"
            rng = np.random.default_rng(0)
            self.operands = [rng.random((n, n)).astype(dtype) for _ in "ab"]
        self(1)  # warm-up

    def __call__(self, products: int | None = None) -> float:
        try:
            from threadpoolctl import threadpool_limits

            limits = threadpool_limits(self.threads, user_api="blas")
        except ImportError:
            limits = None
        try:
            best = math.inf
            for _ in range(self.products if products is None else products):
                start = time.perf_counter()
                self.product(*self.operands)
                best = min(best, time.perf_counter() - start)
        finally:
            if limits is not None:
                limits.restore_original_limits()
        return self.flops / best / 1e9


def gemm_peak(threads: int, repeat: int = 5) -> dict:
    """``{"float32": GFLOP/s, "float64": GFLOP/s, "library": ...}``: the best rate of
    ``repeat`` ``GEMM_SIZE``-square products per dtype on ``threads`` threads (``GemmProbe``)."""
    rates: dict = {}
    for dtype in ("float32", "float64"):
        probe = GemmProbe(dtype, threads, repeat)
        rates["library"] = probe.library
        rates[dtype] = probe()
    return rates
