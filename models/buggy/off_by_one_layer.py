"""The L-layer backward pass taking relu′ at the next layer's Z: caches[k] for caches[k − 1].

Layer k's cache is caches[k − 1] (the list starts at layer 1); caches[k] belongs to layer k + 1.
The shapes still fit (Z3 broadcasts, Z2 has Z1's shape), so nothing crashes: dZ2 comes out as
dA2 ⊙ [Z3 > 0] instead of dA2 ⊙ [Z2 > 0].
"""

import numpy as np

from .networks import deep_backward_from

NETWORK, KIND, CAUSE = "deep", "off-by-one layer index", "dZ2"


def L_model_backward(AL, Y, caches):
    """The course's L_model_backward with the relu′ of each hidden layer read one layer up."""
    grads = {}
    L = len(caches)
    m = AL.shape[1]
    dZ = AL - Y.reshape(AL.shape)
    for k in range(L, 0, -1):
        (A_prev, W, b), (Z, activation) = caches[k - 1]
        if k < L:
            Z_next = caches[k][1][0]  # BUG: layer k's Z is caches[k - 1][1][0]
            dZ = np.where(Z_next > 0, grads[f"dA{k}"], 0.0)
        grads[f"dZ{k}"] = dZ
        grads[f"dW{k}"] = np.dot(dZ, A_prev.T) / m
        grads[f"db{k}"] = np.sum(dZ, axis=1, keepdims=True) / m
        grads[f"dA{k - 1}"] = np.dot(W.T, dZ)
    return grads


backward = deep_backward_from(L_model_backward)
