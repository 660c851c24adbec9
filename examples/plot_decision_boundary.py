"""Cost curves and decision boundaries with nncore.plot (needs matplotlib: nncore[plot]).

Run: python examples/plot_decision_boundary.py [output.png]
Trains without and with L2 regularization on nncore's 2-D set, and writes one figure.
"""

import sys

import matplotlib

matplotlib.use("Agg")  # write a file, no window
import matplotlib.pyplot as plt

import nncore
import nncore.plot
from nncore.datasets import make_synthetic_2d_dataset

out = sys.argv[1] if len(sys.argv) > 1 else "decision_boundary.png"
train_X, train_Y = make_synthetic_2d_dataset()[:2]

runs = {}
for name, lambd in [("no regularization", 0.0), ("L2, lambd=0.7", 0.7)]:
    runs[name] = nncore.model(
        train_X, train_Y, [2, 20, 3, 1], learning_rate=0.3, mini_batch_size=None,
        num_epochs=5000, initialization="xavier", lambd=lambd,
    )  # fmt: skip

fig, axes = plt.subplots(1, 3, figsize=(13, 4))
nncore.plot.cost_curves(
    {name: costs for name, (_, costs) in runs.items()}, every=100, unit="iterations",
    ax=axes[0], title="cost",
)  # fmt: skip
for ax, (name, (parameters, _)) in zip(axes[1:], runs.items()):
    nncore.plot.decision_boundary(
        parameters, train_X, train_Y, ax=ax, margin=0.25, alpha=0.7, title=name
    )
fig.tight_layout()
fig.savefig(out, dpi=80)
print(f"wrote {out}")
