"""Instructions and simulated cache misses per training step, nncore beside PyTorch, counted by
valgrind's cachegrind on one of compare.py's workloads (W5 by default).

    python benchmarks/counts.py [--steps N] [--warmup K] [--engines nncore,torch]
                                [--workload W5] [--json F] [--top N]

What is counted. Each engine trains the workload in a child process under
``valgrind --tool=cachegrind --cache-sim=yes``, on one thread (``NNCORE_NUM_THREADS=1``,
``torch.set_num_threads(1)``, ``OMP_NUM_THREADS=1``), with compare.py's data, initial
parameters and training function (``prepare_nncore``, ``prepare_torch``), so it is the same
loop compare.py times. Cachegrind counts every instruction it runs (``Ir``), the data reads and
writes (``Dr``, ``Dw``) and the misses of a simulated first-level data cache (D1) and
last-level cache (LL), deterministically, whatever else the machine is doing.

How the training steps are isolated. Cachegrind cannot be switched on and off from Python (its
client requests are C macros), and a child's own work (starting Python, importing the engine,
loading the data, building the network, the peer's warm-up) is many training steps' worth. So
every engine runs twice, identically but for the number of steps: ``K`` (``--warmup``) and
``K + N`` (``--steps``); the per-step counts are the difference of the two runs divided by
``N``, function by function. What is the same in both runs (start-up, imports, one-time
allocation, the first calls' lazy initialisation) cancels; what grows with the run is counted
at its share per step, including the work a run does once per example rather than once per
step (the shuffle, nncore's one copy of X per call, PyTorch's gathered epoch). A step is one
optimizer update: a minibatch of a one-epoch workload (W5: K and K + N minibatches of the
data's first examples, in files written by this process so that loading costs no counted
work), or for a multi-epoch workload whole epochs (``--steps`` is rounded up to them).

Caches. valgrind simulates two levels. They are set from the machine's own caches
(``/sys/devices/system/cpu/cpu0/cache``): D1 and I1 as its L1, LL as its last level; where
that is not readable (or not a power of two), valgrind's own choice. The table prints what was
simulated. The counts are a model (no prefetcher, no out-of-order overlap): they show how much
data each part moves and misses, not its time.

SIMD target. valgrind does not run AVX-512: under it the CPU reports no AVX-512, so nncore's
runtime dispatch picks its x86-64-v3 (AVX2 + FMA) kernels and PyTorch's MKL its AVX2 paths.
The counts are of those paths even on a machine whose native runs use AVX-512.

Function names and groups. The breakdown comes from ``cg_annotate``'s function table,
grouped by patterns on the names (``GROUPS``; the first that matches wins). The installed
nncore is a Release build, whose ``_core`` pybind11 strips of its symbol table: its functions
are then all "???" (unnamed; the tool says so) and only the totals mean something. For names,
run the tool on a build with symbols of the same code, e.g. in a separate environment::

    pip install --no-build-isolation -e . -Ccmake.build-type=RelWithDebInfo \\
        -Cbuild-dir=build/relwithdebinfo

pybind11 strips only Release and MinSizeRel builds; nncore's ``-O3`` (CMakeLists.txt's own
compile options, after CMake's ``-O2 -g`` of RelWithDebInfo) keeps the kernels' code that of
the Release build; only pybind11's link-time optimisation of the bindings (Release only) is
left out, and the bindings run once per training call, not per step.

The run skips cleanly (a message, exit status 0) without valgrind; an engine that is not
installed (PyTorch) is left out with a message.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# cachegrind's events with --cache-sim=yes (instruction fetches, data reads, data writes, and the
# first-level and last-level misses of each).
EVENTS = ("Ir", "I1mr", "ILmr", "Dr", "D1mr", "DLmr", "Dw", "D1mw", "DLmw")

# Where the instructions go: (group, regular expression searched in cg_annotate's
# "file:function"), first match wins; what matches none is "other". The file is the source of
# the instructions, so code inlined from one of nncore's one-concern headers (batches.hpp,
# optimizers.hpp, activations.hpp, ...) counts for that concern.
_PYTHON = (
    r"ceval\.c:|/Objects/|/Python/|obmalloc|pybind11|\?\?\?:(FLOAT|BOOL|LONG)_|PyArray|mapiter"
)
GROUPS: dict[str, list[tuple[str, str]]] = {
    "nncore": [
        ("GEMM micro-kernel", r"gebp_kernel|gebp_traits"),
        ("packing", r"gemm_pack_(lhs|rhs)"),
        ("optimizer", r"optimizers\.hpp:|Adam<|step_parallel"),
        (
            "gather (shuffle, transpose, minibatch)",
            r"batches\.hpp:|Batches<|transpose|numpy_permutation|mt19937",
        ),
        ("zeroing (memset)", r"memset"),
        (
            "elementwise/activations",
            r"activations\.hpp:|costs\.hpp:|reductions\.hpp:|softmax|relu|pexp|linear_forward|"
            r"linear_backward|sum<",
        ),
        (
            "threads",
            r"threads\.cpp:|nncore::\(anonymous namespace\)::Pool|parallel_for|futex|"
            r"pthread_cond|sched_yield",
        ),
        ("Python side (interpreter, numpy input checks)", _PYTHON),
    ],
    "torch": [
        ("MKL sgemm kernel", r"mkl_blas_\w*sgemm_kernel"),
        ("packing", r"mkl_blas_\w*(copy|pack)"),
        ("optimizer", r"(?i)adam|optim"),
        ("gather (shuffled epoch, X[:, perm])", r"index_kernel|index_select|gather"),
        ("zeroing (memset)", r"memset"),
        (
            "elementwise/activations",
            r"VectorizedLoop2d|Sleef|softmax|relu|threshold|inner_sum|reduce|nll_loss|cross_entropy",
        ),
        (
            "Python, dispatch, autograd, allocation",
            _PYTHON + r"|c10::|at::|torch::|autograd|malloc|free|tls_get_addr",
        ),
    ],
}
OTHER = "other"
UNNAMED = "???"

# Python's own process: what a child runs, given the engine, the workload, the steps and the
# data file (written by the parent).
CHILD_FLAG = "--child"


def parse_annotate(text: str) -> tuple[list[str], dict[str, list[int]], dict[str, str]]:
    """Parse ``cg_annotate`` (or ``callgrind_annotate``) output.

    Parameters
    ----------
    text : str
        The annotator's output with its header and function table (``--auto=no``).

    Returns
    -------
    events : list of str
        The events of the columns ("Events shown").
    functions : dict
        ``{"file:function": counts}``, counts in the order of ``events``; the program's totals
        under the key ``"PROGRAM TOTALS"``. A function listed twice (two files of one name
        elsewhere) is summed.
    header : dict
        The header's ``key: value`` lines (cache configuration, command, ...).
    """
    events: list[str] = []
    header: dict[str, str] = {}
    functions: dict[str, list[int]] = {}
    number = r"(?:[\d,]+|\.)(?:\s+\([^)]*\))?"  # "1,234", "." (zero), "1,234 (5.0%)"
    row = None
    for line in text.splitlines():
        if not events:
            key, sep, value = line.partition(":")
            if sep and key.strip() and not key.startswith(" "):
                header[key.strip()] = value.strip()
                if key.strip() == "Events shown":
                    events = value.split()
                    row = re.compile(
                        r"^\s*>?\s*" + r"\s+".join(f"({number})" for _ in events) + r"\s+(\S.*)$"
                    )
            continue
        assert row is not None
        m = row.match(line)
        if m is None:
            continue
        name = m.group(len(events) + 1).strip()
        name = re.sub(r"\s+\[[^\]]*\]$", "", name)  # callgrind_annotate's " [object]"
        counts = [_count(m.group(i + 1)) for i in range(len(events))]
        if name.startswith("PROGRAM TOTALS"):
            name = "PROGRAM TOTALS"
        old = functions.get(name)
        functions[name] = counts if old is None else [a + b for a, b in zip(old, counts)]
    if not events:
        raise ValueError("not cg_annotate output: no 'Events shown:' line")
    return events, functions, header


def _count(field: str) -> int:
    digits = field.split("(")[0].strip().replace(",", "")
    return 0 if digits in (".", "") else int(digits)


def as_events(events: list[str], counts: list[int]) -> dict[str, int]:
    """``counts`` by event name, every one of EVENTS present (0 when not recorded)."""
    got = dict(zip(events, counts))
    return {e: got.get(e, 0) for e in EVENTS}


def difference(
    long: dict[str, dict[str, int]], short: dict[str, dict[str, int]], steps: int
) -> dict[str, dict[str, float]]:
    """Per-step counts by function: ``(long - short) / steps`` for every function in either."""
    zero = dict.fromkeys(EVENTS, 0)
    return {
        name: {e: (long.get(name, zero)[e] - short.get(name, zero)[e]) / steps for e in EVENTS}
        for name in long.keys() | short.keys()
    }


def group_of(engine: str, name: str) -> str:
    """The group of a function (cg_annotate's "file:function") for ``engine``'s breakdown."""
    if name.rsplit(":", 1)[-1].strip() == UNNAMED:
        return UNNAMED
    for group, pattern in GROUPS.get(engine, []):
        if re.search(pattern, name):
            return group
    return OTHER


def summarize(per_step: dict[str, dict[str, float]], engine: str) -> dict:
    """Totals and groups of one engine's per-step counts.

    Returns
    -------
    dict
        ``total`` (the program's counts per step, with the derived ``D1 misses`` and
        ``LL misses``), ``groups`` (``{group: counts}`` in GROUPS' order, then "other" and
        unnamed code) and ``functions`` (every function's counts, largest Ir first).
    """
    names = [n for n in per_step if n != "PROGRAM TOTALS"]
    order = [g for g, _ in GROUPS.get(engine, [])] + [OTHER, UNNAMED]
    groups = {g: dict.fromkeys(EVENTS, 0.0) for g in order}
    for name in names:
        sums = groups[group_of(engine, name)]
        for e in EVENTS:
            sums[e] += per_step[name][e]
    total = per_step.get("PROGRAM TOTALS") or {
        e: sum(per_step[n][e] for n in names) for e in EVENTS
    }
    functions = sorted(names, key=lambda n: -per_step[n]["Ir"])
    return {
        "total": derived(total),
        "groups": {g: derived(c) for g, c in groups.items() if any(c.values())},
        "functions": [{"name": n, **derived(per_step[n])} for n in functions],
    }


def derived(c: dict) -> dict:
    """The counts plus ``D1 misses`` (data reads and writes) and ``LL misses`` (instruction
    and data)."""
    return {
        **c,
        "D1 misses": c["D1mr"] + c["D1mw"],
        "LL misses": c["ILmr"] + c["DLmr"] + c["DLmw"],
    }


# ---------------------------------------------------------------------------------------------
# Running the engines under cachegrind
# ---------------------------------------------------------------------------------------------


def machine_caches() -> list[str]:
    """valgrind's --I1/--D1/--LL options for this machine's L1 and last-level caches (sysfs),
    or [] (valgrind's own choice) when they are unreadable or not powers of two."""
    root = Path("/sys/devices/system/cpu/cpu0/cache")
    levels: dict[str, tuple[int, int, int]] = {}
    try:
        for index in sorted(root.glob("index*")):
            kind = (index / "type").read_text().strip()
            level = int((index / "level").read_text())
            size = (index / "size").read_text().strip()
            size_b = int(size[:-1]) * 1024 if size.endswith("K") else int(size)
            ways = int((index / "ways_of_associativity").read_text())
            line = int((index / "coherency_line_size").read_text())
            if level == 1 and kind in ("Data", "Instruction"):
                levels["D1" if kind == "Data" else "I1"] = (size_b, ways, line)
            elif kind == "Unified" and level >= 2:
                levels["LL"] = (size_b, ways, line)  # the last one listed: the last level
    except (OSError, ValueError):
        return []
    if set(levels) != {"I1", "D1", "LL"}:
        return []
    for size_b, ways, line in levels.values():
        sets = size_b // max(1, ways * line)
        if ways < 1 or sets < 1 or sets & (sets - 1) or line & (line - 1):
            return []
    return [f"--{k}={s},{w},{ln}" for k, (s, w, ln) in levels.items()]


def plan(wl, steps: int) -> dict:
    """How to run ``steps`` optimizer updates of workload ``wl``: ``{"examples": m or None,
    "epochs": e, "steps": the steps that makes}``. One-epoch workloads take the first
    ``steps`` minibatches' examples; others run whole epochs."""
    if wl.num_epochs == 1:
        batch = wl.mini_batch_size
        if batch is None:
            raise ValueError(f"{wl.key}: one full-batch step is the whole run")
        return {"examples": steps * batch, "epochs": 1, "steps": steps}
    return {"examples": None, "epochs": steps, "steps": steps}  # epochs; see steps_per_epoch


def steps_per_epoch(wl, m: int) -> int:
    return math.ceil(m / (wl.mini_batch_size or m))


def child(engine: str, key: str, folder: Path, epochs: int) -> None:
    """Train once (the run that cachegrind counts) and print what ran as one JSON line."""
    sys.path.insert(0, str(HERE))
    import numpy as np

    import compare
    import nncore

    wl = next(w for w in compare.WORKLOADS if w.key == key)
    X, Y = np.load(folder / "X.npy"), np.load(folder / "Y.npy")
    init = compare.initial_parameters(wl)
    info: dict = {"nncore": nncore.build_info()}
    if engine == "torch":
        import torch

        # compare.prepare_torch sets two threads; this tool counts one.
        set_threads = torch.set_num_threads
        torch.set_num_threads = lambda n: set_threads(1)  # type: ignore[assignment]
        set_threads(1)
        info["torch"] = {"version": torch.__version__, "threads": torch.get_num_threads(),
                         "cpu_capability": torch.backends.cpu.get_cpu_capability()}  # fmt: skip
    train = compare.PREPARE[engine](wl, X, Y, init, epochs)
    info["cost"] = train()
    print(json.dumps(info), flush=True)


def run_counted(engine: str, key: str, folder: Path, epochs: int, out: Path, caches: list[str]):
    """One child under cachegrind; returns (its JSON line, cg_annotate's output)."""
    env = dict(os.environ)
    env.update(NNCORE_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", PYTHONHASHSEED="0")  # fmt: skip
    cmd = [
        "valgrind", "--tool=cachegrind", "--cache-sim=yes", *caches,
        f"--cachegrind-out-file={out}", sys.executable, str(Path(__file__).resolve()),
        CHILD_FLAG, engine, key, str(folder), str(epochs),
    ]  # fmt: skip
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(
            f"{engine} under cachegrind failed ({r.returncode}):\n{r.stderr[-3000:]}"
        )
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("{")][-1]
    annotate = subprocess.run(
        ["cg_annotate", "--auto=no", "--threshold=0", str(out)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(line), annotate.stdout


def has_symbol_table(path: str) -> bool | None:
    """Whether the ELF file at ``path`` has a ``.symtab`` (None: not an ELF file)."""
    try:
        with open(path, "rb") as f:
            elf = f.read()
    except OSError:
        return None
    if elf[:4] != b"\x7fELF" or elf[4] != 2:  # 64-bit only
        return None
    big = elf[5] == 2

    def word(at: int, n: int) -> int:
        return int.from_bytes(elf[at : at + n], "big" if big else "little")

    shoff, shentsize, shnum, shstrndx = word(0x28, 8), word(0x3A, 2), word(0x3C, 2), word(0x3E, 2)
    strtab = word(shoff + shstrndx * shentsize + 0x18, 8)
    for i in range(shnum):
        name_at = strtab + word(shoff + i * shentsize, 4)
        if elf[name_at : elf.index(b"\0", name_at)] == b".symtab":
            return True
    return False


def count_engine(engine: str, wl, X, Y, warmup: int, steps: int, caches: list[str], tmp: Path):
    """Per-step counts of ``engine`` on ``wl``: runs of ``warmup`` and ``warmup + steps`` steps
    under cachegrind, differenced. Returns ``(summary, info, header, steps counted)``."""
    import numpy as np

    runs = []
    if wl.num_epochs == 1:
        lengths = [(warmup, 1), (warmup + steps, 1)]
        counted = steps
    else:
        per_epoch = steps_per_epoch(wl, X.shape[1])
        short, extra = math.ceil(warmup / per_epoch), max(1, math.ceil(steps / per_epoch))
        lengths = [(short * per_epoch, short), ((short + extra) * per_epoch, short + extra)]
        counted = extra * per_epoch
    for n, epochs in lengths:
        folder = tmp / f"{engine}-{n}"
        folder.mkdir()
        m = n * wl.mini_batch_size if wl.num_epochs == 1 else X.shape[1]
        # .npy files: numpy reads them with one read() into the array, no counted copying.
        np.save(folder / "X.npy", np.ascontiguousarray(X[:, :m]))
        np.save(folder / "Y.npy", np.ascontiguousarray(Y[:, :m]))
        print(f"  {engine}: {n} steps under cachegrind ...", file=sys.stderr, flush=True)
        info, text = run_counted(engine, wl.key, folder, epochs, folder / "cg.out", caches)
        events, functions, header = parse_annotate(text)
        runs.append({name: as_events(events, c) for name, c in functions.items()})
    per_step = difference(runs[1], runs[0], counted)
    return summarize(per_step, engine), info, header, counted


def macs_per_step(wl) -> float:
    """Multiply-adds of one minibatch's products (compare.workload_flops over one batch)."""
    import compare

    one = compare.Workload(**{**wl.__dict__, "num_epochs": 1})
    batch = wl.mini_batch_size or wl.data()[0].shape[1]
    return compare.workload_flops(one, batch) / 2


def short_name(name: str) -> str:
    """cg_annotate's "file:function" with the file's folders left out."""
    file, sep, function = name.partition(":")
    return f"{Path(file).name}{sep}{function}"


def fmt(x: float) -> str:
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.2f} M"
    if abs(x) >= 1e3:
        return f"{x / 1e3:,.1f} k"
    return f"{x:,.0f}"


def tables(results: dict, macs: float) -> str:
    lines = [
        "| engine | instructions (Ir) | data reads | data writes | D1 misses | LL misses "
        "| Ir per multiply-add |",
        "|---|---|---|---|---|---|---|",
    ]
    for engine, r in results.items():
        t = r["summary"]["total"]
        cells = [fmt(t[k]) for k in ("Ir", "Dr", "Dw", "D1 misses", "LL misses")]
        lines.append(f"| {engine} | " + " | ".join(cells) + f" | {t['Ir'] / macs:.3f} |")
    lines += [
        "",
        "| engine | where | Ir | share of Ir | data reads + writes | D1 misses | LL misses |",
        "|---|---|---|---|---|---|---|",
    ]
    for engine, r in results.items():
        total = r["summary"]["total"]["Ir"]
        for group, c in r["summary"]["groups"].items():
            label = "unnamed code (no symbols)" if group == UNNAMED else group
            cells = [fmt(c["Ir"]), f"{c['Ir'] / total:.1%}", fmt(c["Dr"] + c["Dw"]),
                     fmt(c["D1 misses"]), fmt(c["LL misses"])]  # fmt: skip
            lines.append(f"| {engine} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="counted steps (default 20)")
    parser.add_argument("--warmup", type=int, default=4,
                        help="steps of the shorter run, subtracted (default 4)")  # fmt: skip
    parser.add_argument("--engines", default="nncore,torch", help="nncore,torch (default both)")
    parser.add_argument("--workload", default="W5", help="a compare.py workload (default W5)")
    parser.add_argument("--top", type=int, default=10, help="functions listed per engine")
    parser.add_argument("--json", help="also write the counts to this file")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.warmup < 1:
        parser.error("--steps and --warmup must be >= 1")
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in engines if e not in ("nncore", "torch")]
    if unknown or not engines:
        parser.error(f"--engines: expected nncore and/or torch, got {args.engines!r}")

    missing = [t for t in ("valgrind", "cg_annotate") if shutil.which(t) is None]
    if missing:
        print(f"skipped: {' and '.join(missing)} not found (install valgrind)")
        return 0
    if "torch" in engines:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("PyTorch is not installed: its counts are left out")
            engines.remove("torch")
    if not engines:
        print("skipped: no engine to count")
        return 0

    sys.path.insert(0, str(HERE))
    import compare
    import nncore

    wl = next((w for w in compare.WORKLOADS if w.key == args.workload), None)
    if wl is None:
        parser.error(f"--workload: one of {[w.key for w in compare.WORKLOADS]}")
    if wl.num_epochs == 1 and wl.mini_batch_size is None:
        parser.error(f"--workload {wl.key}: a one-epoch full-batch run has a single step")
    X, Y = wl.data()
    caches = machine_caches()
    symbols = has_symbol_table(nncore._core.__file__)
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="nncore-counts-") as tmp:
        for engine in engines:
            summary, info, header, counted = count_engine(
                engine, wl, X, Y, args.warmup, args.steps, caches, Path(tmp)
            )
            results[engine] = {"summary": summary, "info": info, "steps": counted}
    macs = macs_per_step(wl)

    print(f"## Counts per training step: {wl.label}\n")
    print(f"- cachegrind, one thread; per step = (run of {args.warmup}+{args.steps} steps - "
          f"run of {args.warmup}) / {counted} (W5: minibatches; others: whole epochs)")  # fmt: skip
    for key in ("I1 cache", "D1 cache", "LL cache"):
        print(f"- simulated {key}: {header.get(key, '?')}")
    if "nncore" in results:
        isa = results["nncore"]["info"]["nncore"]["isa"]
        print(f"- nncore {nncore.build_info()['version']}: SIMD target under valgrind {isa} "
              "(valgrind runs no AVX-512)")  # fmt: skip
    if symbols is False and "nncore" in results:
        print(f"- nncore's {Path(nncore._core.__file__).name} has no symbol table: its functions "
              "are unnamed (a RelWithDebInfo build names them; see the docstring)")  # fmt: skip
    if "torch" in results:
        t = results["torch"]["info"]["torch"]
        print(f"- PyTorch {t['version']}, {t['threads']} thread, CPU capability under valgrind "
              f"{t['cpu_capability']}")  # fmt: skip
    print(f"- multiply-adds per step (compare.workload_flops / 2): {macs:,.0f}\n")
    print(tables(results, macs))
    for engine, r in results.items():
        print(f"\n{engine}: the {args.top} functions with the most instructions per step\n")
        for f in r["summary"]["functions"][: args.top]:
            print(f"  {fmt(f['Ir']):>12}  D1 miss {fmt(f['D1 misses']):>10}  "
                  f"LL miss {fmt(f['LL misses']):>10}  {short_name(f['name'])[:150]}")  # fmt: skip
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"workload": wl.key, "macs_per_step": macs, "caches": caches,
                       "nncore_symbols": symbols, "results": results}, f, indent=1)  # fmt: skip
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == CHILD_FLAG:
        child(sys.argv[2], sys.argv[3], Path(sys.argv[4]), int(sys.argv[5]))
        sys.exit(0)
    sys.exit(main())
