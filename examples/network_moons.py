"""The object API: nncore.Network on the course's moons, trained, continued, saved, loaded.

Run: python examples/network_moons.py  (needs scikit-learn: pip install nncore[datasets])
"""

import os
import tempfile

import numpy as np

import nncore
from nncore.datasets import load_moons

X, Y = load_moons()  # (2, 300), (1, 300)

net = nncore.Network([2, 5, 2, 1], seed=3)  # relu hidden layers, sigmoid output, He init
net.fit(X, Y, optimizer="adam", learning_rate=0.0007, mini_batch_size=64, num_epochs=2000)
print(f"after {net.epochs} epochs: cost {net.costs[-1]:.4f}")
net.fit(X, Y, optimizer="adam", learning_rate=0.0007, num_epochs=2000)  # continues, with Adam state
accuracy = float(np.mean(net.predict(X) == Y))
print(f"after {net.epochs} epochs: cost {net.costs[-1]:.4f}, train accuracy {accuracy:.3f}")

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "moons.npz")
    net.save(path)  # a plain .npz, no pickle
    again = nncore.Network.load(path)
same = np.array_equal(again.predict_proba(X), net.predict_proba(X))
print(f"{again!r}")
print(f"loaded network predicts the same: {same}")
