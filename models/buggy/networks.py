"""The networks of the catalogue, written as a learner would: forward with NumPy calls.

`two_layer_forward` and `deep_forward` compute the cost as `check_backward` wants it (a Tensor
when the arrays are Tensors, since NumPy calls on Tensors run the library's ops), with a cache
of named intermediates. The cost is the cross-entropy written from the logits,
J = mean(max(Z, 0) − Z·Y + log(1 + e^(−|Z|))), which stays finite where σ(Z) rounds to 0 or 1,
so that a backward pass that breaks down there can be caught. The backward passes that go with
them are the course's: `models.manual.backward_propagation` as it is, and
`models.manual_deep.L_model_backward` through `deep_backward`, which unpacks the cache. The
third network is one convolutional layer (the convolution notebook's), cost ½ Σ Z², whose
window products are NumPy calls too, checked against `models.manual_conv.conv_backward`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import manual_conv, manual_deep

__all__ = [
    "CONV",
    "CONV_HPARAMETERS",
    "DEEP",
    "DEEP_DIMS",
    "TWO_LAYER",
    "conv_backward",
    "conv_backward_from",
    "conv_forward",
    "deep_backward",
    "deep_backward_from",
    "deep_forward",
    "two_layer_backward",
    "two_layer_forward",
]

M = 5  # examples per drawn batch
# check_backward's inputs, params and labels for each network.
TWO_LAYER: dict[str, Any] = {
    "inputs": {"X": (2, M), "Y": (1, M)},
    "params": {"W1": (4, 2), "b1": (4, 1), "W2": (1, 4), "b2": (1, 1)},
    "labels": ("Y",),
}
DEEP_DIMS = (2, 3, 3, 1)  # two hidden layers of the same size, so a layer mix-up can keep shapes
DEEP: dict[str, Any] = {
    "inputs": {"X": (DEEP_DIMS[0], M), "Y": (1, M)},
    "params": {
        name: shape
        for k in range(1, len(DEEP_DIMS))
        for name, shape in (
            (f"W{k}", (DEEP_DIMS[k], DEEP_DIMS[k - 1])),
            (f"b{k}", (DEEP_DIMS[k], 1)),
        )
    },
    "labels": ("Y",),
}
CONV_HPARAMETERS = {"stride": 2, "pad": 1}
CONV: dict[str, Any] = {  # channels last, as the course: a batch of 5×5 images with 2 channels
    "inputs": {"A_prev": (M, 5, 5, 2)},
    "params": {"W": (3, 3, 2, 3), "b": (1, 1, 1, 3)},
    "m": M,
}


def _logit_cost(Z: Any, Y: Any) -> Any:
    """J = mean over examples of max(Z, 0) − Z·Y + log(1 + e^(−|Z|)), the BCE of σ(Z)."""
    m = Y.shape[1]
    return np.sum(np.maximum(Z, 0.0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))) / m


def two_layer_forward(X: Any, Y: Any, W1: Any, b1: Any, W2: Any, b2: Any) -> tuple[Any, dict]:
    """The tutorial's forward pass and cost; the cache holds Z1, A1, Z2 and A2."""
    Z1 = np.dot(W1, X) + b1
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2, A1) + b2
    with np.errstate(over="ignore"):
        A2 = 1 / (1 + np.exp(-Z2))
    return _logit_cost(Z2, Y), {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def two_layer_backward(parameters: dict, cache: dict, X: Any, Y: Any) -> dict:
    """The tutorial's backward pass, also returning dZ2 and dZ1 (m·∂J/∂Z, as in the course)."""
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dZ1": dZ1, "dW1": dW1, "db1": db1}


def deep_forward(X: Any, Y: Any, parameters: dict) -> tuple[Any, dict]:
    """[LINEAR → RELU] × (L − 1) → LINEAR → SIGMOID, built from the course's own layers.

    The cache names A0 (= X), Z1, A1, ..., ZL, AL, and keeps the course's list of layer
    caches under "caches" for `L_model_backward`.
    """
    L = len(parameters) // 2
    A, caches, cache = X, [], {"A0": X}
    for k in range(1, L + 1):
        activation = "relu" if k < L else "sigmoid"
        A, layer = manual_deep.linear_activation_forward(
            A, parameters[f"W{k}"], parameters[f"b{k}"], activation
        )
        caches.append(layer)
        cache[f"Z{k}"], cache[f"A{k}"] = layer[1][0], A
    cache["caches"], cache["AL"] = caches, A
    return _logit_cost(cache[f"Z{L}"], Y), cache


def deep_backward_from(L_model_backward: Callable[..., dict]) -> Callable[..., dict]:
    """A backward for `check_backward` that calls the course-style `L_model_backward`."""

    def backward(Y: Any, cache: dict) -> dict:
        return L_model_backward(cache["AL"], Y, cache["caches"])

    backward.__doc__ = L_model_backward.__doc__
    return backward


deep_backward = deep_backward_from(manual_deep.L_model_backward)


def conv_forward(A_prev: Any, W: Any, b: Any) -> tuple[Any, dict]:
    """One convolution (stride 2, padding 1), window by window with np.dot; J = ½ Σ Z².

    With that cost dJ/dZ = Z, the gradient the course's example hands its conv_backward.
    """
    s, p = CONV_HPARAMETERS["stride"], CONV_HPARAMETERS["pad"]
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    A_pad = np.pad(A_prev, ((0, 0), (p, p), (p, p), (0, 0)))
    n_H, n_W = (n_H_prev + 2 * p - f) // s + 1, (n_W_prev + 2 * p - f) // s + 1
    columns = []
    for h in range(n_H):
        for w in range(n_W):
            window = A_pad[:, h * s : h * s + f, w * s : w * s + f, :]
            columns.append(np.dot(window.reshape(m, -1), W.reshape(-1, n_C)))
    Z = np.stack(columns, axis=1).reshape(m, n_H, n_W, n_C) + b
    return 0.5 * np.sum(Z * Z), {"Z": Z}


def conv_backward_from(conv_backward: Callable[..., Any]) -> Callable[..., dict]:
    """A backward for `check_backward` that calls a course-style `conv_backward(dZ, cache)`."""

    def backward(A_prev: Any, W: Any, b: Any, cache: dict) -> dict:
        dZ = cache["Z"]
        dA_prev, dW, db = conv_backward(dZ, (A_prev, W, b, CONV_HPARAMETERS))
        return {"dZ": dZ, "dA_prev": dA_prev, "dW": dW, "db": db}

    backward.__doc__ = conv_backward.__doc__
    return backward


conv_backward = conv_backward_from(manual_conv.conv_backward)
