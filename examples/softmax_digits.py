"""A softmax classifier in float32 on scikit-learn's 8x8 digits (10 classes).

Run: python examples/softmax_digits.py  (needs scikit-learn: pip install nncore[datasets])
"""

import numpy as np
from sklearn.datasets import load_digits

import nncore

digits = load_digits()
X = (digits.data / 16.0).T.astype(np.float32)  # (64, 1797): one column per image
y = digits.target.reshape(1, -1)  # integer labels 0..9, shape (1, m)
rng = np.random.default_rng(0)
order = rng.permutation(X.shape[1])
train, test = order[:1400], order[1400:]

net = nncore.Network([64, 32, 10], output="softmax", dtype="float32", seed=0)
net.fit(X[:, train], y[:, train], optimizer="adam", learning_rate=0.005, mini_batch_size=64,
        num_epochs=60)  # fmt: skip
train_accuracy = float(np.mean(net.predict(X[:, train]) == y[:, train]))
test_accuracy = float(np.mean(net.predict(X[:, test]) == y[:, test]))
print(f"float32 softmax, {net.epochs} epochs: final cost {net.costs[-1]:.4f}")
print(f"train accuracy {train_accuracy:.3f}, test accuracy {test_accuracy:.3f}")
print(f"probabilities of the first test image sum to {net.predict_proba(X[:, test[:1]]).sum():.4f}")
