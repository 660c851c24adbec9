"""nncore's main job: the course's three assignments on the fast core, beside the reference.

Run ``python -m nncore.course`` (or ``nncore-course``). For every experiment it trains with
``nncore.model`` at full length and prints one table: train and test accuracy (with the
course's published figures), the final cost, the time on the core, the time of the numpy
reference, the speed-up, and how closely the core's parameters agree with the reference's
after the same epochs. By default the reference runs the first ``--reference-epochs`` epochs
only and its full-length time is extrapolated (marked ``~``); ``--full-reference`` runs it to
the end. With matplotlib installed, cost curves and decision boundaries are written as PNG
files to ``--out``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

import numpy as np

from . import _training, build_info, datasets
from . import reference as ref
from ._mirror import accuracy

# The regularization assignment's published figures on its own data (datasets/data.mat):
# train / test accuracy after 30000 iterations.
PUBLISHED_REGULARIZATION = {
    "none": "0.9478672985781991 / 0.915",
    "L2 0.7": "0.9383886255924171 / 0.93",
    "dropout 0.86": "0.9289099526066351 / 0.95",
}


@dataclasses.dataclass
class Experiment:
    assignment: str
    name: str
    data: str
    layers_dims: list
    kwargs: dict
    published: str  # the course's figures, for comparison


# The regularization assignment's three runs; dropout with the course's fixed masks.
REGULARIZATION_RUNS: list[tuple[str, dict]] = [
    ("none", {}),
    ("L2 0.7", {"lambd": 0.7}),
    ("dropout 0.86", {"keep_prob": 0.86, "dropout_rng": "course"}),
]

EXPERIMENTS = [
    *(
        Experiment(
            "initialization", init, "circles", [2, 10, 5, 1],
            {"learning_rate": 0.01, "mini_batch_size": None, "num_epochs": 15000,
             "initialization": init},
            published,
        )
        for init, published in [
            ("zeros", "0.5 / 0.5"), ("random", "0.83 / 0.86"), ("he", "0.9933 / 0.96"),
            ("xavier", "-"),
        ]
    ),
    *(
        Experiment(
            "regularization", name, "2-D set", [2, 20, 3, 1],
            {"learning_rate": 0.3, "mini_batch_size": None, "num_epochs": 30000,
             "initialization": "xavier", **extra},
            f"({PUBLISHED_REGULARIZATION[name]})",
        )
        for name, extra in REGULARIZATION_RUNS
    ),
    *(
        Experiment(
            "optimization", name, "moons", [2, 5, 2, 1],
            {"optimizer": opt, "learning_rate": lr, "mini_batch_size": 64, "num_epochs": epochs,
             **extra},
            published,
        )
        for name, opt, lr, epochs, extra, published in [
            ("gd", "gd", 0.0007, 10000, {}, "0.7967"),
            ("momentum", "momentum", 0.0007, 10000, {}, "0.7967"),
            ("adam", "adam", 0.0007, 10000, {}, "0.94"),
            ("gd + decay", "gd", 0.1, 5000, {"decay": "schedule_lr_decay"}, "0.94-0.95"),
            ("momentum + decay", "momentum", 0.1, 5000, {"decay": "schedule_lr_decay"},
             "0.94-0.95"),
            ("adam + decay", "adam", 0.01, 5000, {"decay": "schedule_lr_decay"}, "0.94"),
        ]
    ),
]  # fmt: skip


def load(data: str, regularization_data: str | None = None):
    """``(train_X, train_Y, test_X, test_Y)``; moons has no test set (``None``). The 2-D set is
    the course's file when ``regularization_data`` names it, else the synthetic stand-in."""
    if data == "circles":
        return datasets.load_circles()
    if data == "moons":
        train_X, train_Y = datasets.load_moons()[:2]
        return train_X, train_Y, None, None
    if regularization_data is not None:
        # The course's file holds its labels as integers or floats; train in float64.
        return tuple(
            np.ascontiguousarray(a, dtype=np.float64)
            for a in datasets.load_2D_dataset(regularization_data)
        )
    return datasets.make_synthetic_2d_dataset()


def _relative_difference(a: dict, b: dict) -> float:
    num = max(float(np.abs(a[k] - b[k]).max()) for k in a)
    den = max(float(np.abs(a[k]).max()) for k in a)
    return num / den if den else num


def run_experiment(
    exp: Experiment, reference_epochs: int | None, regularization_data: str | None = None
) -> dict:
    train_X, train_Y, test_X, test_Y = load(exp.data, regularization_data)
    course_data = exp.data == "2-D set" and regularization_data is not None
    kwargs = dict(exp.kwargs)
    epochs = kwargs["num_epochs"]
    (parameters, costs), fast_seconds = _training.elapsed(
        _training.model, train_X, train_Y, exp.layers_dims, **kwargs
    )
    row = {
        "assignment": exp.assignment,
        "experiment": exp.name,
        "train": accuracy(train_X, train_Y, parameters),
        "test": None if test_X is None else accuracy(test_X, test_Y, parameters),
        # On the course's own file its figures are the target, in full (no parentheses).
        "published": exp.published.strip("()") if course_data else exp.published,
        "exact": course_data,
        "cost": costs[-1],
        "fast_s": fast_seconds,
        "costs": costs,
        "parameters": parameters,
        "data": (train_X, train_Y),
        "layers_dims": exp.layers_dims,
    }
    # The reference, over the same (possibly fewer) epochs.
    n = epochs if reference_epochs is None else min(reference_epochs, epochs)
    kwargs["num_epochs"] = n
    (ref_parameters, _), ref_seconds = _training.elapsed(
        ref.model, train_X, train_Y, exp.layers_dims, **kwargs
    )
    row["ref_s"] = ref_seconds * epochs / n
    row["ref_estimated"] = n < epochs
    if kwargs.get("keep_prob", 1.0) < 1.0 and kwargs.get("dropout_rng") != "course":
        row["agreement"] = "own masks"
    else:
        same = (
            parameters
            if n == epochs
            else _training.model(train_X, train_Y, exp.layers_dims, **kwargs)[0]
        )
        row["agreement"] = f"{_relative_difference(ref_parameters, same):.1e}"
    if n == epochs:
        row["ref_train"] = ref.accuracy(train_X, train_Y, ref_parameters)
    return row


def format_table(rows: list[dict]) -> str:
    header = (
        "| assignment | experiment | train | test | published train / test | final cost "
        "| nncore s | reference s | speed-up | params vs reference |"
    )
    lines = [header, "|" + "---|" * 10]
    for r in rows:
        # Full precision where the course's exact figures are the comparison.
        fmt = repr if r.get("exact") else "{:.4f}".format
        train = fmt(r["train"])
        test = "-" if r["test"] is None else fmt(r["test"])
        approx = "~" if r["ref_estimated"] else ""
        lines.append(
            f"| {r['assignment']} | {r['experiment']} | {train} | {test} "
            f"| {r['published']} | {r['cost']:.6g} | {r['fast_s']:.3f} "
            f"| {approx}{r['ref_s']:.2f} | {approx}{r['ref_s'] / r['fast_s']:.0f}x "
            f"| {r['agreement']} |"
        )
    return "\n".join(lines)


def write_plots(rows: list[dict], out: str) -> list[str]:
    """Cost curves per assignment and one decision boundary per experiment (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import plot

    os.makedirs(out, exist_ok=True)
    written = []
    for assignment in dict.fromkeys(r["assignment"] for r in rows):
        group = [r for r in rows if r["assignment"] == assignment]
        fig, ax = plt.subplots(figsize=(7, 4))
        plot.cost_curves(
            {r["experiment"]: r["costs"] for r in group},
            ax=ax, title=f"{assignment}: cost", yscale="log",
        )  # fmt: skip
        path = os.path.join(out, f"{assignment}_costs.png")
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
        fig, axes = plt.subplots(1, len(group), figsize=(3.2 * len(group), 3.2), squeeze=False)
        for ax, r in zip(axes[0], group):
            X, Y = r["data"]
            plot.decision_boundary(
                r["parameters"], X, Y, ax=ax, margin=0.5, resolution=200, alpha=0.8,
                point_size=6, title=r["experiment"],
            )  # fmt: skip
            ax.set(xticks=[], yticks=[], xlabel="", ylabel="")
        path = os.path.join(out, f"{assignment}_boundaries.png")
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nncore-course",
        description="The course experiments on nncore's fast core, beside the numpy reference.",
    )
    parser.add_argument(
        "--full-reference", action="store_true",
        help="run the reference to full length too (several minutes) instead of estimating",
    )  # fmt: skip
    parser.add_argument(
        "--reference-epochs", type=int, default=500,
        help="epochs the reference runs when not --full-reference (default 500)",
    )  # fmt: skip
    parser.add_argument("--out", default="nncore-course-output", help="folder for the PNG plots")
    parser.add_argument("--no-plots", action="store_true", help="do not write plots")
    parser.add_argument(
        "--only", default=None,
        help="comma-separated assignments to run (initialization, regularization, optimization)",
    )  # fmt: skip
    parser.add_argument(
        "--regularization-data", default=None, metavar="PATH",
        help="the course's regularization data set (its datasets/data.mat) for the "
        "regularization rows; without it a synthetic stand-in is used",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.reference_epochs < 1:
        parser.error("--reference-epochs must be >= 1")
    experiments = EXPERIMENTS
    if args.only:
        wanted = {s.strip() for s in args.only.split(",")}
        unknown = wanted - {e.assignment for e in EXPERIMENTS}
        if unknown:
            parser.error(f"unknown assignment(s) {sorted(unknown)}")
        experiments = [e for e in EXPERIMENTS if e.assignment in wanted]
    if args.regularization_data is not None:
        try:
            datasets.load_2D_dataset(args.regularization_data)
        except (OSError, ValueError, ImportError) as exc:
            parser.error(str(exc))

    info = build_info()
    print(f"nncore {info['version']} on {info['isa']} ({info['compiler']}, Eigen {info['eigen']})")
    start = time.perf_counter()
    rows = []
    for exp in experiments:
        reference_epochs = None if args.full_reference else args.reference_epochs
        rows.append(run_experiment(exp, reference_epochs, args.regularization_data))
        print(f"  {exp.assignment:>14} {exp.name:<17} done", file=sys.stderr)
    print()
    print(format_table(rows))
    print()
    if not args.full_reference:
        print(
            f"~ reference time extrapolated from its first {args.reference_epochs} epochs; "
            "'params vs reference' compares the parameters after those epochs "
            "(max abs difference / max abs value). --full-reference runs it to the end."
        )
    else:
        print("reference train accuracy at full length: " + ", ".join(
            f"{r['experiment']} {r['ref_train']:.4f}" for r in rows
        ))  # fmt: skip
    if any(r["experiment"] == "random" for r in rows):
        print(
            "random: the large weights make this run chaotic; rounding differences grow "
            "~1000x per 100 epochs (the reference against itself with W1 changed by one ulp "
            "differs by 3e-3 after 500 epochs), yet both land on the course's accuracies."
        )
    if any(r["assignment"] == "regularization" for r in rows):
        if args.regularization_data is None:
            print(
                "regularization: on nncore's SYNTHETIC 2-D set (make_synthetic_2d_dataset), "
                "standing in for the course's data; the published figures in parentheses are "
                "the course's own set (pass --regularization-data PATH to its data.mat)."
            )
        else:
            print(
                f"regularization: on the course's data ({args.regularization_data}); dropout "
                "with the course's masks (dropout_rng='course'); published figures beside."
            )
    if not args.no_plots:
        try:
            written = write_plots(rows, args.out)
        except ImportError:
            print("matplotlib is not installed: no plots (pip install nncore[plot])")
        else:
            print(f"plots: {len(written)} PNG files in {os.path.abspath(args.out)}")
    print(f"total {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
