"""The L-layer backward pass whose bias gradients are sums, not means: db = Σ_cols dZ."""

import numpy as np

from .networks import deep_backward_from

NETWORK, KIND, CAUSE = "deep", "missing 1/m", "db3"


def L_model_backward(AL, Y, caches):
    """The course's L_model_backward with db_k = Σ_cols dZ_k instead of Σ_cols dZ_k / m."""
    grads = {}
    L = len(caches)
    m = AL.shape[1]
    dZ = AL - Y.reshape(AL.shape)
    for k in range(L, 0, -1):
        (A_prev, W, b), (Z, activation) = caches[k - 1]
        if k < L:
            dZ = np.where(Z > 0, grads[f"dA{k}"], 0.0)
        grads[f"dZ{k}"] = dZ
        grads[f"dW{k}"] = np.dot(dZ, A_prev.T) / m
        grads[f"db{k}"] = np.sum(dZ, axis=1, keepdims=True)  # BUG: should be divided by m
        grads[f"dA{k - 1}"] = np.dot(W.T, dZ)
    return grads


backward = deep_backward_from(L_model_backward)
