"""nncore.plot, headless: the content of the figures, not only that they were drawn."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

import nncore  # noqa: E402
from nncore import plot  # noqa: E402
from nncore.datasets import make_synthetic_2d_dataset  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.fixture(scope="module")
def trained():
    X, Y = make_synthetic_2d_dataset()[:2]
    net = nncore.Network([2, 8, 1], seed=3).fit(X, Y, learning_rate=0.01, num_epochs=60)
    return net, X, Y


def _contour(ax) -> ContourSet:
    sets = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(sets) == 1
    return sets[0]


def _scatter(ax) -> PathCollection:
    points = [c for c in ax.collections if type(c) is PathCollection]
    assert len(points) == 1
    return points[0]


# ---------------------------------------------------------------------------------------------
# Cost curves
# ---------------------------------------------------------------------------------------------


def test_cost_curves_of_several_runs(ax):
    runs = {"gd": [0.9, 0.7, 0.5, 0.4], "adam": np.array([0.8, 0.3, 0.2, 0.1])}
    assert plot.cost_curves(runs, ax=ax, title="moons") is ax
    assert len(ax.lines) == 2
    for line, (label, costs) in zip(ax.lines, runs.items()):
        assert line.get_label() == label
        np.testing.assert_array_equal(line.get_xdata(), np.arange(4))
        np.testing.assert_array_equal(line.get_ydata(), costs)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["gd", "adam"]
    assert ax.get_xlabel() == "epochs"
    assert ax.get_ylabel() == "cost"
    assert ax.get_title() == "moons"
    assert ax.get_yscale() == "linear"


def test_cost_curves_every_hundred_like_the_course(ax):
    costs = np.linspace(1.0, 0.1, 1000)
    plot.cost_curves(costs, every=100, unit="iterations", ax=ax, yscale="log")
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_ydata(), costs[::100])
    np.testing.assert_array_equal(line.get_xdata(), np.arange(10))
    assert ax.get_xlabel() == "iterations (per hundreds)"
    assert ax.get_yscale() == "log"
    assert ax.get_legend() is None  # no labels, no legend


def test_cost_curves_of_networks_and_lists_with_labels(ax, trained):
    net = trained[0]
    other = [1.0, 0.5]
    plot.cost_curves([net, other], labels=["net", "other"], every=7, ax=ax)
    assert [line.get_label() for line in ax.lines] == ["net", "other"]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), net.costs[::7])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [1.0])
    assert ax.get_xlabel() == "epochs (per 7)"


def test_cost_curves_default_to_the_current_axes():
    fig, ax = plt.subplots()
    try:
        assert plot.cost_curves([3.0, 2.0]) is ax
        assert len(ax.lines) == 1
    finally:
        plt.close(fig)


def test_cost_curves_keep_inf_like_the_course(ax):
    plot.cost_curves([np.inf, 2.0, 1.0], ax=ax)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [np.inf, 2.0, 1.0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"costs": []}, ValueError, "costs is empty"),
        ({"costs": {}}, ValueError, "empty mapping"),
        ({"costs": "abc"}, TypeError, "costs must be"),
        ({"costs": 3.0}, TypeError, "costs must be"),
        ({"costs": [[1.0], []]}, ValueError, r"costs\[1\] is empty"),
        ({"costs": [[[1.0]]]}, ValueError, r"costs\[0\] must be 1-D"),
        ({"costs": [1.0, 2.0], "labels": ["a", "b"]}, ValueError, "labels has 2 entries"),
        ({"costs": {"a": [1.0]}, "labels": ["a"]}, ValueError, "labels must not be given"),
        ({"costs": [1.0], "every": 0}, ValueError, "every must be an integer >= 1"),
        ({"costs": [1.0], "every": 1.5}, ValueError, "every must be an integer >= 1"),
        ({"costs": [1.0], "yscale": "symlog"}, ValueError, "yscale must be"),
        ({"costs": [1.0], "unit": "steps"}, ValueError, "unit must be"),
        ({"costs": [["a", "b"]]}, TypeError, r"costs\[0\] must be a sequence of real numbers"),
    ],
)
def test_cost_curves_bad_input(ax, kwargs, error, match):
    with pytest.raises(error, match=match):
        plot.cost_curves(ax=ax, **kwargs)
    assert not ax.lines


# ---------------------------------------------------------------------------------------------
# Decision boundaries
# ---------------------------------------------------------------------------------------------


def _check_boundary(ax, X, Y, predict, margin, resolution):
    cs = _contour(ax)
    assert cs.filled
    np.testing.assert_array_equal(cs.levels, [-0.5, 0.5, 1.5])  # one band per class
    assert cs.get_cmap().name == "Spectral"
    (lo, hi) = (cs.norm.vmin, cs.norm.vmax)
    assert (lo, hi) == (0.0, 1.0)
    # The grid spans the points plus the margin.
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x0 == pytest.approx(X[0].min() - margin)
    assert x1 == pytest.approx(X[0].max() + margin)
    assert y0 == pytest.approx(X[1].min() - margin)
    assert y1 == pytest.approx(X[1].max() + margin)
    # The filled regions are the model's predictions: both classes are drawn and the
    # contour's data equals the labels the model gives on the same grid.
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    expected = np.asarray(predict(np.vstack([xx.ravel(), yy.ravel()]))).reshape(xx.shape)
    assert set(np.unique(expected)) == {0, 1}
    assert (cs.zmin, cs.zmax) == (0.0, 1.0)  # both classes are filled
    sc = _scatter(ax)
    np.testing.assert_array_equal(sc.get_offsets(), X.T)
    np.testing.assert_array_equal(sc.get_array(), Y.ravel())
    assert sc.norm is cs.norm or (sc.norm.vmin, sc.norm.vmax) == (lo, hi)
    ax.figure.canvas.draw()
    cmap = plt.get_cmap("Spectral")
    colours = {tuple(c) for c in np.round(sc.get_facecolors()[:, :3], 6)}
    assert colours == {tuple(np.round(cmap(0.0)[:3], 6)), tuple(np.round(cmap(1.0)[:3], 6))}
    assert ax.get_xlabel() == "x1"
    assert ax.get_ylabel() == "x2"
    return expected


def test_decision_boundary_of_a_network(ax, trained):
    net, X, Y = trained
    assert plot.decision_boundary(net, X, Y, ax=ax, title="net") is ax
    _check_boundary(ax, X, Y, net.predict, margin=1.0, resolution=200)
    assert ax.get_title() == "net"


def test_decision_boundary_of_a_parameter_dict_and_of_a_callable(trained):
    net, X, Y = trained
    params = net.parameters
    figs = []
    try:
        for model in (params, lambda G: nncore.predict_dec(params, G)):
            fig, ax = plt.subplots()
            figs.append(fig)
            plot.decision_boundary(model, X, Y, ax=ax, margin=0.25, resolution=50)
            _check_boundary(ax, X, Y, net.predict, margin=0.25, resolution=50)
    finally:
        for fig in figs:
            plt.close(fig)


def test_decision_boundary_regions_follow_the_model(ax):
    # A known classifier: class 1 right of x1 = 0. The filled band of class 1 must start there.
    X = np.array([[-1.0, -0.5, 0.5, 1.0], [0.0, 1.0, 0.0, 1.0]])
    Y = np.array([[0, 0, 1, 1]])
    plot.decision_boundary(lambda G: (G[0] > 0).reshape(1, -1), X, Y, ax=ax, margin=0.0,
                           resolution=101)  # fmt: skip
    cs = _contour(ax)
    # allsegs[k] are the outlines of band k; band 1 (class 1) lies in x1 >= 0 (within a cell).
    band1 = np.concatenate(cs.allsegs[1])
    band0 = np.concatenate(cs.allsegs[0])
    assert band1[:, 0].min() >= -0.02
    assert band0[:, 0].max() <= 0.02


def test_decision_boundary_with_softmax_labels(ax):
    X = np.array([[0.0, 1.0, 2.0, 0.5], [0.0, 1.0, 2.0, 1.5]])
    Y = np.eye(3)[:, [0, 1, 2, 1]]  # one-hot (3, m)

    def classes(G):
        return np.clip(np.floor(G[0] + 0.5), 0, 2).astype(int)  # labels 0, 1, 2, shape (n,)

    plot.decision_boundary(classes, X, Y, ax=ax)
    cs = _contour(ax)
    np.testing.assert_array_equal(cs.levels, [-0.5, 0.5, 1.5, 2.5])
    np.testing.assert_array_equal(_scatter(ax).get_array(), [0, 1, 2, 1])


def test_decision_boundary_defaults_to_the_current_axes(trained):
    net, X, Y = trained
    fig, ax = plt.subplots()
    try:
        assert plot.decision_boundary(net, X, Y, resolution=20) is ax
        assert len(ax.collections) == 2
    finally:
        plt.close(fig)


def _good():
    X = np.array([[0.0, 1.0], [0.0, 1.0]])
    return X, np.array([[0, 1]])


@pytest.mark.parametrize(
    ("model", "X", "Y", "kwargs", "error", "match"),
    [
        ("nope", None, None, {}, TypeError, "model must be an nncore.Network"),
        (None, np.zeros((3, 4)), np.zeros((1, 4)), {}, ValueError, r"X must have shape \(2, m\)"),
        (None, np.zeros((2, 0)), np.zeros((1, 0)), {}, ValueError, r"X must have shape \(2, m\)"),
        (None, np.array([[0.0, np.nan], [0, 1]]), None, {}, ValueError, "X contains NaN"),
        (None, np.array([["a", "b"], ["c", "d"]]), None, {}, TypeError, "X must hold real"),
        (None, None, np.zeros((1, 3)), {}, ValueError, r"Y must have shape \(1, 2\)"),
        (None, None, np.array([[0.2, 0.7]]), {}, ValueError, "Y must be integer class labels"),
        (None, None, None, {"margin": -1.0}, ValueError, "margin must be"),
        (None, None, None, {"margin": float("inf")}, ValueError, "margin must be"),
        (None, None, None, {"resolution": 1}, ValueError, r"resolution must be in \[2, 2048\]"),
        (None, None, None, {"resolution": 10**6}, ValueError, r"resolution must be in \[2, 2048\]"),
        (None, None, None, {"resolution": 2.5}, TypeError, "resolution must be an integer"),
        (lambda G: np.zeros((1, 3)), None, None, {}, ValueError, "the model's predictions must"),
        (lambda G: G[:1] * 0.3, None, None, {}, ValueError, "predictions must be integer class"),
    ],
)
def test_decision_boundary_bad_input(ax, model, X, Y, kwargs, error, match):
    gX, gY = _good()
    model = (lambda G: G[:1] > 0) if model is None else model
    with pytest.raises(error, match=match):
        plot.decision_boundary(
            model, gX if X is None else X, gY if Y is None else Y, ax=ax, **kwargs
        )
    assert not ax.collections


def test_parameter_dict_in_float32(ax, trained):
    net, X, Y = trained
    params = {k: v.astype(np.float32) for k, v in net.parameters.items()}
    plot.decision_boundary(params, X, Y, ax=ax, resolution=30)
    assert _contour(ax).levels.tolist() == [-0.5, 0.5, 1.5]


# ---------------------------------------------------------------------------------------------
# matplotlib stays optional
# ---------------------------------------------------------------------------------------------


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )  # fmt: skip


def test_importing_nncore_does_not_import_matplotlib():
    proc = _run("import sys, nncore; sys.exit('matplotlib' in sys.modules)")
    assert proc.returncode == 0, proc.stderr


def test_missing_matplotlib_names_the_plot_extra():
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "try:\n    import nncore.plot\n"
        "except ImportError as e:\n    sys.stdout.write(str(e)); sys.exit(0)\n"
        "sys.exit(1)"
    )
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    assert "nncore[plot]" in proc.stdout
    assert "matplotlib" in proc.stdout
