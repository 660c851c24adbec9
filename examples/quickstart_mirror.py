"""The course mirror: the functions of nncore.reference, same names and shapes, on the core.

Run: python examples/quickstart_mirror.py  (numpy only; a second or two)
"""

import numpy as np

import nncore
from nncore import reference as ref
from nncore.datasets import make_synthetic_2d_dataset

train_X, train_Y, test_X, test_Y = (
    make_synthetic_2d_dataset()
)  # (2, 211), (1, 211), (2, 200), (1, 200)
layers_dims = [2, 20, 3, 1]

# One step by hand, exactly as in the course notebooks.
parameters = nncore.initialize_parameters_he(layers_dims)  # seed 3, like the course
AL, caches = nncore.forward_propagation(train_X, parameters)
cost = nncore.compute_cost(AL, train_Y)
grads = nncore.backward_propagation(train_X, train_Y, caches)
v, s = nncore.initialize_adam(parameters)
parameters, v, s, _, _ = nncore.update_parameters_with_adam(parameters, grads, v, s, t=1)
print(f"cost before the first Adam step: {cost:.6f}")

# The same step with the numpy reference gives the same numbers.
r_params = ref.initialize_parameters_he(layers_dims)
r_AL, r_caches = ref.forward_propagation(train_X, r_params)
r_grads = ref.backward_propagation(train_X, train_Y, r_caches)
print(f"max |dW1 - reference dW1|: {np.abs(grads['dW1'] - r_grads['dW1']).max():.1e}")

# A whole training run in one call (the loop runs in C++), then the accuracies.
parameters, costs = nncore.model(
    train_X, train_Y, layers_dims, learning_rate=0.3, mini_batch_size=None,
    num_epochs=3000, initialization="xavier", lambd=0.7,
)  # fmt: skip
train_accuracy = nncore.accuracy(train_X, train_Y, parameters)
test_accuracy = nncore.accuracy(test_X, test_Y, parameters)
print(f"after {len(costs)} epochs: cost {costs[-1]:.4f}")
print(f"train accuracy {train_accuracy:.3f}, test accuracy {test_accuracy:.3f}")
