"""The tutorial's backward pass with dW1 computed as a product in the wrong order (Xᵀ-side)."""

import numpy as np

NETWORK, KIND, CAUSE = "two_layer", "transposed product", "dW1"


def backward(parameters, cache, X, Y):
    """dW1 = X·dZ1ᵀ / m, the transpose of the course's dW1 = dZ1·Xᵀ / m."""
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = np.dot(X, dZ1.T) / m  # BUG: should be np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dZ1": dZ1, "dW1": dW1, "db1": db1}
