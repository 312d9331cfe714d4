"""The basic losses on Tensors, as PyTorch's `F`: binary cross-entropy, cross-entropy, nll, mse.

`binary_cross_entropy_with_logits` is fused with the sigmoid, stable for any logit; a third
positional argument that is not a string is the weight, in PyTorch's argument order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .fn_tensors import tensor_like
from .loss_checks import in_dtype_of, reduced
from .ops import class_losses as _class_losses
from .ops import losses as _losses
from .ops.losses import check_reduction
from .shapes import broadcasts_to
from .tensor import Tensor

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "mse_loss",
    "nll_loss",
]


def _weighted(terms: Tensor, weight: Any, reduction: str) -> Tensor:
    """The per-element `terms` times `weight` (broadcast to their shape), then reduced."""
    if weight is not None:
        w = in_dtype_of(tensor_like(weight, terms), terms)
        if not broadcasts_to(w.shape, terms.shape):
            raise ValueError(
                f"the weight's shape {w.shape} does not broadcast to the loss's {terms.shape}"
            )
        terms = terms * w
    return reduced(terms, reduction)


def _weight_or_reduction(owner: str, reduction: Any, weight: Any) -> tuple[str, Any]:
    """The reduction and the weight: PyTorch's third positional argument is the weight."""
    if isinstance(reduction, str):
        return reduction, weight
    if weight is not None:
        raise TypeError(f"{owner}: the weight is given twice (third argument and weight=)")
    return "mean", reduction


def binary_cross_entropy(
    probs: Any, targets: Any, reduction: Any = "mean", *, weight: Any = None
) -> Tensor:
    """The tutorial's cost: J = -[y·ln p + (1-y)·ln(1-p)], the mean over all elements by default.

    As in PyTorch's `BCELoss`, each log is clamped at -100, so a probability of exactly 0 or 1
    gives a large but finite loss; `weight` (broadcast to the shape) rescales each element's
    term before the reduction, as PyTorch's. A third argument that is not a string is the
    weight, as in PyTorch's argument order. See `ops.losses.binary_cross_entropy`.
    """
    reduction, weight = _weight_or_reduction("binary_cross_entropy", reduction, weight)
    if weight is None:
        return _losses.binary_cross_entropy(probs, targets, reduction)
    check_reduction("binary_cross_entropy", reduction)
    return _weighted(_losses.binary_cross_entropy(probs, targets, "none"), weight, reduction)


def binary_cross_entropy_with_logits(
    logits: Any,
    targets: Any,
    reduction: Any = "mean",
    *,
    weight: Any = None,
    pos_weight: Any = None,
) -> Tensor:
    """BCE of σ(z) fused with the sigmoid: J = max(z,0) - z·y + ln(1 + e^(-|z|)); dJ/dz = σ(z) - y.

    `weight` rescales each element's term; `pos_weight` (broadcast along the last dimension,
    one per class) weighs the positive part, J = -[p·y·ln σ(z) + (1-y)·ln(1-σ(z))], as PyTorch's
    (for unbalanced labels: p = negatives/positives). A third argument that is not a string is
    the weight, as in PyTorch's argument order. See
    `ops.losses.binary_cross_entropy_with_logits`.
    """
    reduction, weight = _weight_or_reduction("binary_cross_entropy_with_logits", reduction, weight)
    if weight is None and pos_weight is None:
        return _losses.binary_cross_entropy_with_logits(logits, targets, reduction)
    check_reduction("binary_cross_entropy_with_logits", reduction)
    terms = _losses.binary_cross_entropy_with_logits(logits, targets, "none")
    if pos_weight is not None:
        # -p·y·ln σ(z) - (1-y)·ln σ(-z) = the terms above - (p - 1)·y·ln σ(z)
        z = tensor_like(logits)
        y = tensor_like(targets, z)
        terms = terms - (in_dtype_of(tensor_like(pos_weight, z), z) - 1.0) * y * z.log_sigmoid()
    return _weighted(terms, weight, reduction)


def mse_loss(inputs: Tensor, targets: Tensor | np.ndarray, reduction: str = "mean") -> Tensor:
    """Mean squared error: J = (1/n) Σ (x - y)² ("sum" and "none" as in PyTorch).

    Raises:
        ValueError: shapes differ, or a bad reduction.
    """
    check_reduction("mse_loss", reduction)
    y = targets if isinstance(targets, Tensor) else Tensor(np.asarray(targets), dtype=inputs.dtype)
    if inputs.shape != y.shape:
        raise ValueError(
            f"mse_loss: input shape {inputs.shape} and target shape {y.shape} differ; "
            "targets must have exactly the input's shape"
        )
    d = inputs - y
    return reduced(d * d, reduction)


def cross_entropy(
    logits: Any,
    target: Any,
    reduction: Any = "mean",
    dim: int = 1,
    *,
    weight: Any = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> Any:
    """Softmax cross-entropy, J = -Σ_c a_c·ln softmax(x)_c (see `ops.class_losses`).

    A third argument that is not a string is the class weight, as in PyTorch's argument order.
    """
    reduction, weight = _weight_or_reduction("cross_entropy", reduction, weight)
    return _class_losses.cross_entropy(
        logits,
        target,
        reduction,
        dim,
        weight=weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
    )


def nll_loss(
    log_probs: Any,
    target: Any,
    reduction: Any = "mean",
    dim: int = 1,
    *,
    weight: Any = None,
    ignore_index: int = -100,
) -> Any:
    """Negative log-likelihood J = -w[t]·log_probs[t] (see `ops.class_losses.nll_loss`).

    A third argument that is not a string is the class weight, as in PyTorch's argument order.
    """
    reduction, weight = _weight_or_reduction("nll_loss", reduction, weight)
    return _class_losses.nll_loss(
        log_probs, target, reduction, dim, weight=weight, ignore_index=ignore_index
    )
