"""The L-layer backward pass that forgets relu′: dZ = dA, as if the hidden layers were linear.

Both hidden layers have the mistake: the first wrong gradient is dZ2, or dZ1 where every Z2 is
positive (there dZ2 = dA2 happens to be right).
"""

import numpy as np

from .networks import deep_backward_from

NETWORK, KIND, CAUSE = "deep", "wrong activation derivative", ("dZ2", "dZ1")


def L_model_backward(AL, Y, caches):
    """The course's L_model_backward with dZ_k = dA_k instead of dA_k ⊙ [Z_k > 0]."""
    grads = {}
    L = len(caches)
    m = AL.shape[1]
    dZ = AL - Y.reshape(AL.shape)
    for k in range(L, 0, -1):
        (A_prev, W, b), (Z, activation) = caches[k - 1]
        if k < L:
            dZ = grads[f"dA{k}"]  # BUG: should be np.where(Z > 0, grads[f"dA{k}"], 0.0)
        grads[f"dZ{k}"] = dZ
        grads[f"dW{k}"] = np.dot(dZ, A_prev.T) / m
        grads[f"db{k}"] = np.sum(dZ, axis=1, keepdims=True) / m
        grads[f"dA{k - 1}"] = np.dot(W.T, dZ)
    return grads


backward = deep_backward_from(L_model_backward)
