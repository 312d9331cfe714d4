"""The bilinear form on Tensors, as PyTorch's `F.bilinear`: y = x₁ᵀ A x₂ + b for each output.

>>> import numpy as np
>>> from tinygrad_lite.bilinear import bilinear
>>> bilinear(np.array([1.0, 2.0]), np.array([3.0]), np.array([[[1.0], [1.0]]])).tolist()
[9.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["bilinear"]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check(x1: Tensor, x2: Tensor, w: Tensor, b: Tensor | None) -> None:
    """Raise unless the shapes and dtypes fit together, in PyTorch's order of checks."""
    if x1.ndim != x2.ndim:
        raise ValueError(
            f"bilinear: the inputs must have the same number of dimensions, got shapes "
            f"{x1.shape} and {x2.shape}"
        )
    if x1.ndim == 0:
        raise ValueError("bilinear: the inputs must have at least 1 dimension (the features)")
    if x1.shape[:-1] != x2.shape[:-1]:
        raise ValueError(
            f"bilinear: the inputs' batch dimensions differ: shapes {x1.shape} and {x2.shape}"
        )
    if w.ndim != 3:
        raise ValueError(
            f"bilinear: weight must be (out_features, in1_features, in2_features), got shape "
            f"{w.shape}"
        )
    for k, x in ((1, x1), (2, x2)):
        if x.shape[-1] != w.shape[k]:
            raise ValueError(
                f"bilinear: input{k} has {x.shape[-1]} features but the weight of shape "
                f"{w.shape} expects {w.shape[k]}"
            )
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"bilinear: bias must have shape ({w.shape[0]},), got {b.shape}")
    dtypes = {x1.dtype, x2.dtype, w.dtype} | ({b.dtype} if b is not None else set())
    if len(dtypes) > 1:
        raise TypeError(
            f"bilinear: the inputs, weight and bias must have one dtype, got input1 "
            f"{x1.dtype}, input2 {x2.dtype}, weight {w.dtype}"
            + ("" if b is None else f", bias {b.dtype}")
        )


def bilinear(
    input1: Tensor | np.ndarray,
    input2: Tensor | np.ndarray,
    weight: Tensor | np.ndarray,
    bias: Tensor | np.ndarray | None = None,
) -> Tensor:
    """y[..., o] = Σᵢⱼ x₁[..., i] A[o, i, j] x₂[..., j] + b[o], as PyTorch's `F.bilinear`.

    Computed as the outer product x₁x₂ᵀ, flattened, times the flattened weights: a product of
    differentiable ops, so gradients of every order follow.

    Args:
        input1: (*, in1_features).
        input2: (*, in2_features), with the same leading dimensions.
        weight: A, (out_features, in1_features, in2_features).
        bias: b, (out_features,), or None.

    Returns:
        (*, out_features).

    Raises:
        ValueError: the shapes do not fit together (the message names them).
        TypeError: the inputs, weight and bias do not share one dtype.

    >>> import numpy as np
    >>> bilinear(np.ones((4, 2)), np.ones((4, 3)), np.ones((5, 2, 3))).shape
    (4, 5)
    """
    x1, x2, w = _tensor(input1), _tensor(input2), _tensor(weight)
    b = None if bias is None else _tensor(bias)
    _check(x1, x2, w, b)
    out, n1, n2 = w.shape
    lead = x1.shape[:-1]
    outer = (x1.unsqueeze(-1) * x2.unsqueeze(-2)).reshape(*lead, n1 * n2)
    y = outer @ w.reshape(out, n1 * n2).transpose(0, 1)
    return y if b is None else y + b
