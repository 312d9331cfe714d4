"""The tutorial's backward pass with tanh′ taken as 1 − A1 instead of 1 − A1²."""

import numpy as np

NETWORK, KIND, CAUSE = "two_layer", "wrong activation derivative", "dZ1"


def backward(parameters, cache, X, Y):
    """dZ1 = W2ᵀ·dZ2 ⊙ (1 − A1), where tanh′(Z1) = 1 − tanh²(Z1) = 1 − A1²."""
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(W2.T, dZ2) * (1 - A1)  # BUG: should be (1 - np.power(A1, 2))
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dZ1": dZ1, "dW1": dW1, "db1": db1}
