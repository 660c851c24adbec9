"""The gradient-checking assignment's helper module (``gc_utils``) on nncore.

The notebook's line ``from gc_utils import sigmoid, relu, dictionary_to_vector,
vector_to_dictionary, gradients_to_vector`` works with ``nncore.course_utils.gc_utils`` in its
place: these are nncore's functions (``vector_to_dictionary(theta)`` defaults to the
assignment's ``[4, 5, 3, 1]`` network).
"""

from __future__ import annotations

from .._mirror import (
    dictionary_to_vector,
    gradients_to_vector,
    relu,
    sigmoid,
    vector_to_dictionary,
)

__all__ = [
    "dictionary_to_vector",
    "gradients_to_vector",
    "relu",
    "sigmoid",
    "vector_to_dictionary",
]
