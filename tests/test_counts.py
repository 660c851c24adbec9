"""benchmarks/counts.py without valgrind: the parsing of cg_annotate's and callgrind_annotate's
function tables (hand-written snippets in their formats), the per-step difference and the
grouping, and the clean skip when valgrind or PyTorch is missing. Nothing here runs valgrind."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

COUNTS = Path(__file__).resolve().parents[1] / "benchmarks" / "counts.py"


@pytest.fixture(scope="module")
def counts():
    spec = importlib.util.spec_from_file_location("nncore_bench_counts", COUNTS)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DATA = Path(__file__).resolve().parent / "data"

# tests/data/cg_annotate.txt: cg_annotate (valgrind 3.19) with --auto=no, written by hand in its
# format: a header, the totals, the function table. The numbers are made up; the kernel's name
# has spaces and commas, one row has zeros printed as "0".
CG_ANNOTATE = (DATA / "cg_annotate.txt").read_text()

CALLGRIND_ANNOTATE = """\
Profile data file 'callgrind.out.1' (creator: callgrind-3.19.0)
I1 cache: 32768 B, 64 B, 8-way associative
Events recorded:  Ir Dr Dw
Events shown:     Ir Dr Dw
--------------------------------------------------------------------------------
      Ir      Dr     Dw
--------------------------------------------------------------------------------
1,000,000 300,000 50,000  PROGRAM TOTALS

--------------------------------------------------------------------------------
    Ir      Dr     Dw  file:function
--------------------------------------------------------------------------------
900,000 280,000 40,000  ???:mkl_blas_avx2_sgemm_kernel_0 [/lib/libtorch_cpu.so]
100,000  20,000      .  ???:at::native::fused_adam_kernel(float*) [/lib/libtorch_cpu.so]
"""


def test_cg_annotate_table_is_parsed(counts):
    events, functions, header = counts.parse_annotate(CG_ANNOTATE)
    assert events == list(counts.EVENTS)
    assert header["LL cache"] == "33554432 B, 64 B, 16-way associative"
    assert functions["PROGRAM TOTALS"] == [2000100, 30, 7, 600000, 41000, 900, 90000, 5000, 300]
    kernel = next(n for n in functions if "gebp_kernel" in n)
    assert kernel.endswith("::operator()(float*, long)")
    assert functions[kernel][:4] == [1500000, 10, 2, 400000]
    assert functions["???:memset"] == [100, 0, 0, 0, 0, 0, 0, 0, 0]
    assert len(functions) == 5


def test_callgrind_annotate_table_is_parsed(counts):
    events, functions, _ = counts.parse_annotate(CALLGRIND_ANNOTATE)
    assert events == ["Ir", "Dr", "Dw"]
    assert functions["???:mkl_blas_avx2_sgemm_kernel_0"] == [900000, 280000, 40000]
    assert functions["???:at::native::fused_adam_kernel(float*)"] == [100000, 20000, 0]
    as_events = counts.as_events(events, functions["PROGRAM TOTALS"])
    assert as_events["Dw"] == 50000
    assert as_events["D1mr"] == 0


def test_text_without_a_header_is_refused(counts):
    with pytest.raises(ValueError, match="Events shown"):
        counts.parse_annotate("1,000 ???:main\n")


def test_per_step_difference_and_groups(counts):
    events, functions, _ = counts.parse_annotate(CG_ANNOTATE)
    long = {n: counts.as_events(events, c) for n, c in functions.items()}
    # The short run: the same functions with a quarter of the kernel's and Adam's counts, the
    # unnamed code and memset unchanged (one-time work that must cancel).
    short = {
        n: {e: v // 4 if ("gebp" in n or "adam" in n) else v for e, v in c.items()}
        for n, c in long.items()
    }
    short["PROGRAM TOTALS"] = {
        e: sum(c[e] for n, c in short.items() if n != "PROGRAM TOTALS") for e in counts.EVENTS
    }
    per_step = counts.difference(long, short, 3)
    summary = counts.summarize(per_step, "nncore")
    groups = summary["groups"]
    assert groups["GEMM micro-kernel"]["Ir"] == pytest.approx(1500000 * 3 / 4 / 3)
    assert groups["optimizer"]["Ir"] == pytest.approx(300000 * 3 / 4 / 3)
    assert groups["optimizer"]["LL misses"] == pytest.approx((1 + 700 + 200 - 0 - 175 - 50) / 3)
    assert groups["GEMM micro-kernel"]["D1 misses"] == pytest.approx(31000 * 3 / 4 / 3)
    assert set(groups) == {"GEMM micro-kernel", "optimizer"}  # the rest cancelled
    assert summary["total"]["Ir"] == pytest.approx((1500000 + 300000) * 3 / 4 / 3)
    assert summary["functions"][0]["name"].startswith("/src/products.hpp:")


def test_unnamed_and_unmatched_functions_are_kept_apart(counts):
    assert counts.group_of("nncore", "???:???") == counts.UNNAMED
    assert counts.group_of("nncore", "/x.cpp:nncore::isa_v3::something_new()") == counts.OTHER
    assert counts.group_of("torch", "???:mkl_blas_avx2_sgemm_kernel_0") == "MKL sgemm kernel"


def test_symbol_table_check(counts, tmp_path):
    text = tmp_path / "not-elf"
    text.write_text("hello")
    assert counts.has_symbol_table(str(text)) is None
    assert counts.has_symbol_table(str(tmp_path / "missing")) is None
    assert counts.has_symbol_table(os.path.realpath(sys.executable)) in (True, False)


def test_skips_cleanly_without_valgrind(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # an empty folder: no valgrind on PATH
    r = subprocess.run([sys.executable, str(COUNTS), "--steps", "1"], env=env,
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "skipped: valgrind and cg_annotate not found" in r.stdout


def test_skips_cleanly_without_torch(counts, monkeypatch, capsys):
    monkeypatch.setattr(counts.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    assert counts.main(["--engines", "torch"]) == 0
    out = capsys.readouterr().out
    assert "PyTorch is not installed" in out
    assert "skipped: no engine to count" in out
