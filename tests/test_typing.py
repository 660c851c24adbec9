"""The types that ship with the package: py.typed and the stub of the compiled module."""

from __future__ import annotations

import ast
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import nncore
from nncore import _core

PACKAGE = pathlib.Path(nncore.__file__).resolve().parent
ROOT = pathlib.Path(__file__).resolve().parent.parent
STUB = PACKAGE / "_core.pyi"
PROTOCOLS = {"f64": "_F64Kernels", "f32": "_F32Kernels"}


def _stub() -> ast.Module:
    return ast.parse(STUB.read_text())


def _parameters(a: ast.arguments) -> list[str]:
    """Parameter names, with ``"*"`` where the keyword-only ones start (as pybind11 shows)."""
    star = ["*"] if a.kwonlyargs else []
    return [p.arg for p in [*a.posonlyargs, *a.args]] + star + [p.arg for p in a.kwonlyargs]


def _functions(body: list[ast.stmt]) -> dict[str, list[str]]:
    """Public functions of a stub body with their parameter names."""
    out = {}
    for node in body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            out[node.name] = _parameters(node.args)
    return out


def _classes() -> dict[str, ast.ClassDef]:
    return {n.name: n for n in _stub().body if isinstance(n, ast.ClassDef)}


def _public(module) -> set[str]:
    return {n for n in dir(module) if not n.startswith("_")}


def _runtime_parameters(fn) -> list[str]:
    """Parameter names from pybind11's signature line (``name(a: T, b: list[T, U]) -> R``)."""
    line = fn.__doc__.splitlines()[0]
    inner = line[line.index("(") + 1 : line.rindex(") ->")]
    names, depth, start = [], 0, 0
    for i, ch in enumerate(inner + ","):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "," and depth == 0:
            part = inner[start:i].strip()
            if part:
                names.append(part.split(":")[0].strip())
            start = i + 1
    return names


def test_the_package_is_marked_typed():
    assert (PACKAGE / "py.typed").is_file()
    assert STUB.is_file()


def test_stub_declares_exactly_the_module_names():
    tree = _stub()
    declared = set(_functions(tree.body))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            declared.add(node.target.id)
        elif isinstance(node, ast.ClassDef):
            declared.add(node.name)
    declared = {n for n in declared if not n.startswith("_")}
    assert declared == _public(_core)


@pytest.mark.parametrize("submodule", ["f64", "f32"])
def test_kernel_protocols_declare_exactly_the_submodule_functions(submodule):
    declared = _functions(_classes()[PROTOCOLS[submodule]].body)
    runtime = getattr(_core, submodule)
    assert set(declared) == _public(runtime)
    for name, params in declared.items():
        assert params == _runtime_parameters(getattr(runtime, name)), name


def test_stub_parameters_match_the_bindings():
    for name, params in _functions(_stub().body).items():
        assert params == _runtime_parameters(getattr(_core, name)), name


def test_train_config_stub_declares_exactly_the_fields():
    """The stub's TrainConfig: one annotated attribute per field of the bound struct, in its
    order, and a keyword-only constructor taking exactly those fields (the runtime constructor
    takes **kwargs and refuses a missing or unknown one, checked in tests/test_names.py)."""
    runtime = [n for n, v in vars(_core.TrainConfig).items() if isinstance(v, property)]
    node = _classes()["TrainConfig"]
    attributes = [
        n.target.id
        for n in node.body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
    ]
    assert attributes == runtime
    (init,) = [n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"]
    assert _parameters(init.args) == ["self", "*", *runtime]


def _mypy_or_skip() -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("needs mypy")


def test_stubtest(tmp_path):
    """mypy's stubtest against the imported module (top-level names: pybind11 functions carry
    no inspectable signature, which the parameter test above covers from their docstrings)."""
    _mypy_or_skip()
    stubs = tmp_path / "stubs" / "nncore"
    stubs.mkdir(parents=True)
    (stubs / "__init__.pyi").write_text("")
    shutil.copy(STUB, stubs / "_core.pyi")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\npython_version = 3.10\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "nncore._core", "--mypy-config-file",
         str(config)],
        cwd=tmp_path, env={**os.environ, "MYPYPATH": str(tmp_path / "stubs")},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_on_the_typed_modules_and_examples(tmp_path):
    _mypy_or_skip()
    files = [
        PACKAGE / "plot.py",
        PACKAGE / "course.py",
        PACKAGE / "_training.py",
        PACKAGE / "_types.py",
        PACKAGE / "datasets.py",
        *sorted((ROOT / "examples").glob("*.py")),
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--python-version", "3.10", "--follow-imports=silent",
         "--ignore-missing-imports", "--cache-dir", str(tmp_path / "cache"),
         *map(str, files)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
