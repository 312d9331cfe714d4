"""Losses and composite functions built on the ops, with fused, numerically stable forms."""

from __future__ import annotations

import numpy as np

from . import ops
from .tensor import Tensor

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "mse_loss",
    "log_sigmoid",
    "tanh",
    "sigmoid",
    "relu",
]


def _as_tensor(x: Tensor | np.ndarray | float, like: Tensor) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor(np.asarray(x), dtype=like.dtype)


def _check_pair(name: str, inputs: Tensor, targets: Tensor) -> None:
    if inputs.shape != targets.shape:
        raise ValueError(
            f"{name}: input shape {inputs.shape} and target shape {targets.shape} differ; "
            "targets must have exactly the input's shape"
        )
    if inputs.size == 0:
        raise ValueError(f"{name}: empty input (shape {inputs.shape})")


def binary_cross_entropy(probs: Tensor, targets: Tensor | np.ndarray) -> Tensor:
    """The tutorial's cost: J = -(1/n) Σ [y·ln p + (1-y)·ln(1-p)], the mean over all elements.

    As in PyTorch's `BCELoss`, each log is clamped at -100, so a probability of exactly 0 or 1
    gives a large but finite loss (at most 100 per element) rather than inf or NaN.

    Args:
        probs: probabilities in [0, 1], e.g. the sigmoid output A2.
        targets: labels in [0, 1] of the same shape.

    Raises:
        ValueError: shapes differ, targets lie outside [0, 1], or probs lie outside [0, 1].
    """
    y = _as_tensor(targets, probs)
    _check_pair("binary_cross_entropy", probs, y)
    return ops.BinaryCrossEntropy.apply(probs, y)


def binary_cross_entropy_with_logits(logits: Tensor, targets: Tensor | np.ndarray) -> Tensor:
    """BCE of σ(z) fused with the sigmoid: J = (1/n) Σ [max(z,0) - z·y + ln(1 + e^(-|z|))].

    Finite loss and gradient for any finite logits (even ±1000); the gradient is (σ(z) - y)/n,
    the tutorial's dZ2 = A2 - Y scaled by the mean.

    Raises:
        ValueError: shapes differ or targets lie outside [0, 1].
    """
    y = _as_tensor(targets, logits)
    _check_pair("binary_cross_entropy_with_logits", logits, y)
    return ops.BinaryCrossEntropyWithLogits.apply(logits, y)


def mse_loss(inputs: Tensor, targets: Tensor | np.ndarray) -> Tensor:
    """Mean squared error: J = (1/n) Σ (x - y)².

    Raises:
        ValueError: shapes differ.
    """
    y = _as_tensor(targets, inputs)
    _check_pair("mse_loss", inputs, y)
    d = inputs - y
    return (d * d).mean()


def log_sigmoid(x: Tensor) -> Tensor:
    """Return ln σ(x), stable for large |x|."""
    return x.log_sigmoid()


def tanh(x: Tensor) -> Tensor:
    """Elementwise tanh."""
    return x.tanh()


def sigmoid(x: Tensor) -> Tensor:
    """Elementwise logistic sigmoid."""
    return x.sigmoid()


def relu(x: Tensor) -> Tensor:
    """Elementwise max(x, 0)."""
    return x.relu()
