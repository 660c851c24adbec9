"""benchmarks/compare.py's rounds: every engine once per round in a rotating order, the GEMM
probe at the start of every round, ratios paired within a round; and the script end to end
(tables, ``--quick``, ``--json``).

Nothing here is timed: the engines are fakes that advance a fake clock by set amounts, the
machine's drift is a set factor per round and the GEMM probe a fake returning a set rate, so
every figure the script derives is known exactly.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
if not (BENCHMARKS / "compare.py").exists():
    pytest.skip("needs the checkout's benchmarks/", allow_module_level=True)
sys.path.insert(0, str(BENCHMARKS))
import compare  # noqa: E402
from interleaved import Timing, paired_ratio, paired_share, rotation, run_rounds  # noqa: E402

# The machine's speed per round (1.7: a round 1.7 times slower than the first).
DRIFT = [1.0, 1.7, 0.6, 1.3, 0.9]
PEAK = 100.0  # GFLOP/s of the probe on the machine at speed 1


class Machine:
    """A fake clock and a log. The probe starts a round; an engine's run takes its base time
    times the drift of the current round, so an engine timed outside its round, or a time
    filed under another round, shows."""

    def __init__(self, drift=DRIFT):
        self.drift = drift
        self.now = 0.0
        self.round = -1
        self.log: list = []

    def new_workload(self):
        """The probe of a new workload: its rounds count from 0 again."""
        self.round = -1
        return self.probe

    def clock(self) -> float:
        return self.now

    def probe(self) -> float:
        self.round += 1
        self.log.append("probe")
        self.now += 1000.0  # the probe's own time must not reach any engine's
        return PEAK / self.drift[self.round]

    def engine(self, name: str, base: float, cost: float = 0.5):
        def train():
            self.log.append(name)
            self.now += base * self.drift[max(self.round, 0)]
            return cost

        return train


def test_rotation_starts_each_round_one_engine_later():
    engines = ["a", "b", "c"]
    assert [rotation(engines, r) for r in range(4)] == [
        ["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "b", "c"],
    ]  # fmt: skip


def test_rounds_run_the_probe_then_every_engine_once_in_rotating_order():
    machine = Machine()
    trains = {e: machine.engine(e, 1.0) for e in ("reference", "torch", "jax", "nncore")}
    rounds = run_rounds(trains, 5, machine.probe, clock=machine.clock, settle=0)
    expected = [rotation(list(trains), r) for r in range(5)]
    assert rounds.order == expected
    assert machine.log == [x for order in expected for x in ["probe", *order]]
    # Over any 4 consecutive rounds each engine takes each place once.
    for window in (expected[:4], expected[1:5]):
        for place in range(4):
            assert sorted(order[place] for order in window) == sorted(trains)
    assert rounds.peaks == [PEAK / d for d in DRIFT]


def test_each_time_is_filed_under_its_own_round_and_engine():
    machine = Machine()
    base = {"reference": 30.0, "torch": 1.5, "jax": 2.0, "nncore": 1.0}
    trains = {e: machine.engine(e, b, cost=b / 10) for e, b in base.items()}
    rounds = run_rounds(trains, len(DRIFT), machine.probe, clock=machine.clock, settle=0)
    for e, b in base.items():
        assert rounds.times[e] == pytest.approx([b * d for d in DRIFT], rel=1e-12)
        assert rounds.costs[e] == b / 10


def test_without_a_probe_no_peaks_and_bad_repeat_rejected():
    machine = Machine()
    rounds = run_rounds({"x": machine.engine("x", 1.0)}, 1, clock=machine.clock, settle=0)
    assert rounds.peaks is None
    assert rounds.times == {"x": [1.0]}
    with pytest.raises(ValueError, match="repeat"):
        run_rounds({"x": machine.engine("x", 1.0)}, 0)


def test_paired_ratio_takes_the_faster_peer_of_each_round():
    # Per round the faster peer is jax, jax, torch: 2.8/2.0, 2.0/0.8, 1.2/1.0 -> median 1.4.
    # Every mis-pairing gives another figure: medians 2.4, bests 1.5, one peer throughout
    # 1.5 or 2.5, nncore's rounds shifted by one 2.0 or by two 1.5, all sorted 1.5.
    mine = Timing([2.0, 0.8, 1.0], 1.0, 0.0)
    torch = Timing([3.0, 2.4, 1.2], 1.0, 0.0)
    jax = Timing([2.8, 2.0, 4.0], 1.0, 0.0)
    assert paired_ratio([torch, jax], mine) == pytest.approx(1.4)
    assert paired_ratio([jax, torch], mine) == pytest.approx(1.4)
    assert paired_ratio([torch], mine) == pytest.approx(1.5)
    assert paired_ratio([], mine) is None
    # Extrapolated (--quick): the peers ran a tenth and are scaled by 10.
    short = [Timing([t / 10 for t in p.times], 10.0, 0.0) for p in (torch, jax)]
    assert paired_ratio(short, mine) == pytest.approx(1.4)


def test_paired_share_uses_each_rounds_own_peak():
    flops = 6e9
    mine = Timing([2.0, 0.8, 1.0], 1.0, 0.0)  # 3, 7.5, 6 GFLOP/s
    peaks = [10.0, 50.0, 8.0]  # shares 0.3, 0.15, 0.75
    assert paired_share(flops, mine, peaks) == pytest.approx(0.3)
    # Against the peaks of other rounds the figure would differ:
    assert paired_share(flops, mine, peaks[::-1]) != pytest.approx(0.3)


def test_drift_from_round_to_round_cancels_out_of_the_paired_figures():
    machine = Machine()
    base = {"torch": 1.5, "jax": 2.0, "nncore": 1.0}
    rounds = run_rounds(
        {e: machine.engine(e, b) for e, b in base.items()}, len(DRIFT), machine.probe,
        clock=machine.clock, settle=0,
    )  # fmt: skip
    timings = {e: Timing(rounds.times[e], 1.0, 0.0) for e in base}
    assert rounds.peaks is not None
    assert paired_ratio([timings["torch"], timings["jax"]], timings["nncore"]) == pytest.approx(
        1.5, rel=1e-12
    )
    # 40 GFLOP per run at 1 s and PEAK 100 GFLOP/s at speed 1: 40% in every round.
    assert paired_share(40e9, timings["nncore"], rounds.peaks) == pytest.approx(0.4, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# The script end to end, with fake engines and a fake GEMM
# ---------------------------------------------------------------------------------------------

BASE = {"reference": 30.0, "torch": 1.5, "jax": 2.0, "nncore": 1.0}


@pytest.fixture
def fake_run(monkeypatch):
    machine = Machine()

    def prepare(engine):
        def prepare_engine(wl, X, Y, init, epochs):
            if engine == "reference" and wl.dtype != "float64":
                return None  # as the real reference: float64 only
            # A shortened (--quick) run takes its share of the time.
            return machine.engine(engine, BASE[engine] * epochs / wl.num_epochs, cost=0.25)

        return prepare_engine

    monkeypatch.setattr(compare, "PREPARE", {e: prepare(e) for e in BASE})
    monkeypatch.setattr(compare, "peer_available", lambda name: "0.0-fake")
    monkeypatch.setattr(
        compare,
        "gemm_peak",
        lambda threads: {"library": "fake", "float32": 200.0, "float64": 100.0},
    )
    monkeypatch.setattr(compare, "GemmProbe", lambda dtype, threads: machine.new_workload())
    monkeypatch.setattr(
        compare, "run_rounds", functools.partial(run_rounds, clock=machine.clock, settle=0)
    )
    return machine


def test_compare_main_quick_json(fake_run, tmp_path, capsys):
    out = tmp_path / "out.json"
    assert compare.main(["--only", "W4", "--quick", "--repeat", "3", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "## Paired: median over the 3 rounds" in printed
    assert "nncore    best    0.600 s  median    1.000 s  (rounds: 1.000, 1.700, 0.600)" in printed
    data = json.loads(out.read_text())
    assert data["repeat"] == 3
    assert data["quick"] is True
    engines = list(BASE)
    for key, dtype in (("W4", "float64"), ("W4f32", "float32")):
        row = data["results"][key]
        ran = engines if dtype == "float64" else [e for e in engines if e != "reference"]
        assert row["rounds"]["order"] == [rotation(ran, r) for r in range(3)]
        assert row["rounds"]["gemm_peak"] == pytest.approx([PEAK / d for d in DRIFT[:3]])
        for e in ran:
            scale = 1.0 if e == "nncore" else 10.0
            assert row[e]["scale"] == pytest.approx(scale)
            assert row[e]["times"] == pytest.approx([BASE[e] / scale * d for d in DRIFT[:3]])
        assert row["paired"]["best peer / nncore"] == pytest.approx(1.5)
        assert row["paired"]["best peer extrapolated"] is True
        if dtype == "float64":
            assert row["paired"]["reference / nncore"] == pytest.approx(30.0)
        else:
            assert row["paired"]["reference / nncore"] is None
        wl = next(w for w in compare.WORKLOADS if w.key == key)
        flops = compare.workload_flops(wl, 209)
        assert row["flops"] == pytest.approx(flops)
        assert row["paired"]["share"] == pytest.approx(flops / 1.0 / 1e9 / PEAK)
        assert row["nncore@short"] == 0.25
    paired_rows = printed.split("## Paired")[1].split("\n\n")[1].splitlines()
    assert paired_rows[2].split(" | ")[1:3] == ["~30.00x", "~1.50x"]
    assert paired_rows[3].split(" | ")[1:3] == ["", "~1.50x"]
