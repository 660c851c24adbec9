"""Every public callable has a numpydoc docstring: a ``Parameters`` section when it takes
arguments and a ``Returns`` (or ``Yields``) section unless it returns ``None``.

Parametrized by qualified name, so a failure names the function.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap

import pytest

import nncore
import nncore.datasets
import nncore.plot
import nncore.reference

SECTION = re.compile(r"^\s*(\w+)\s*\n\s*-{3,}\s*$", re.MULTILINE)


def _sections(doc: str | None) -> set[str]:
    return set(SECTION.findall(inspect.cleandoc(doc or "")))


def _targets() -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for name in nncore.__all__:
        obj = getattr(nncore, name)
        if callable(obj):
            out.append((f"nncore.{name}", obj))
    ref = nncore.reference
    for name, obj in vars(ref).items():
        if not name.startswith("_") and inspect.isfunction(obj) and obj.__module__ == ref.__name__:
            out.append((f"nncore.reference.{name}", obj))
    for mod in (nncore.plot, nncore.datasets):
        for name in mod.__all__:
            out.append((f"{mod.__name__}.{name}", getattr(mod, name)))
    classes: list[type] = [nncore.Network]
    try:
        import nncore.sklearn as sk
    except ImportError:
        pass
    else:
        classes += [getattr(sk, name) for name in sk.__all__]
    for cls in classes:
        prefix = f"{cls.__module__}.{cls.__qualname__}"
        for name, member in inspect.getmembers(cls):
            if name.startswith("_"):
                continue
            raw = inspect.getattr_static(cls, name)
            if isinstance(raw, property):
                continue
            if not callable(member):
                continue
            defined_here = getattr(member, "__module__", "") or ""
            if not defined_here.startswith("nncore"):
                continue  # inherited from scikit-learn (get_params, score, ...)
            out.append((f"{prefix}.{name}", member))
    return out


TARGETS = _targets()


def _takes_arguments(fn) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return any(p not in ("self", "cls") for p in sig.parameters)


def _returns_none(fn) -> bool:
    """Annotated ``-> None``, or no ``return <value>`` in the source."""
    fn = inspect.unwrap(fn)
    ann = getattr(fn, "__annotations__", {}).get("return", inspect.Signature.empty)
    if ann in (None, "None"):
        return True
    if ann is not inspect.Signature.empty:
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    top = tree.body[0]
    nodes = [top]
    while nodes:  # walk the body, not nested functions or classes
        node = nodes.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            if isinstance(child, ast.Return) and child.value is not None:
                return False
            if isinstance(child, (ast.Yield, ast.YieldFrom)):
                return False
            nodes.append(child)
    return True


def test_targets_found():
    names = {name for name, _ in TARGETS}
    assert "nncore.reference.model" in names
    assert "nncore.network.Network.predict" in names
    assert len(names) == len(TARGETS)


@pytest.mark.parametrize(("name", "obj"), TARGETS, ids=[name for name, _ in TARGETS])
def test_numpydoc_sections(name, obj):
    doc = obj.__doc__
    assert (doc or "").strip(), f"{name} has no docstring"
    sections = _sections(doc)
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return  # exceptions: the attributes are the interface
        init = obj.__init__
        if init is not object.__init__ and _takes_arguments(init):
            assert "Parameters" in sections, f"{name}: class docstring lacks Parameters"
        return
    missing = []
    if _takes_arguments(obj) and "Parameters" not in sections:
        missing.append("Parameters")
    if not _returns_none(obj) and not sections & {"Returns", "Yields"}:
        missing.append("Returns")
    assert not missing, f"{name}: docstring lacks {' and '.join(missing)}"
