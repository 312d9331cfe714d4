"""The tutorial's backward pass with dW2 not divided by m (the 1/m of the mean cost forgotten)."""

import numpy as np

NETWORK, KIND, CAUSE = "two_layer", "missing 1/m", "dW2"


def backward(parameters, cache, X, Y):
    """dW2 = dZ2·A1ᵀ, where the course has dW2 = dZ2·A1ᵀ / m."""
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T)  # BUG: should be np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dZ1": dZ1, "dW1": dW1, "db1": db1}
