"""The tutorial's backward pass through dA2 = −(Y/A2 − (1 − Y)/(1 − A2)), then σ′.

Right on paper, it divides 0 by 0 once σ(Z2) rounds to exactly 1 (Z2 above about 37) or 0:
derived together, the sigmoid and the cross-entropy give dZ2 = A2 − Y, which has no division.
It shows only where the output saturates, so it is checked with values drawn up to ±60.
"""

import numpy as np

NETWORK, KIND, CAUSE = "two_layer", "sigmoid + cross-entropy saturation", "dZ2"
ELEMENTS = 60.0  # drawn values lie in [-ELEMENTS, ELEMENTS]


def backward(parameters, cache, X, Y):
    """dZ2 = dA2 ⊙ A2 ⊙ (1 − A2) with dA2 = −(Y/A2 − (1 − Y)/(1 − A2))."""
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dA2 = -(Y / A2 - (1 - Y) / (1 - A2))  # BUG: 0/0 when A2 rounds to 0 or 1
    dZ2 = dA2 * A2 * (1 - A2)  # should be A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dZ1": dZ1, "dW1": dW1, "db1": db1}
