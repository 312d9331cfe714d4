"""Softmin and threshold on Tensors, as PyTorch's `F.softmin` and `F.threshold`.

>>> import numpy as np
>>> from tinygrad_lite.act_extras import threshold
>>> threshold(np.array([-1.0, 0.5, 2.0]), 0.5, 9.0).tolist()
[9.0, 9.0, 2.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import DTypeLike, Tensor
from .tensor_shape import dim_arg

__all__ = ["check_dim", "check_real", "float_cast", "softmin", "threshold"]


def check_real(owner: str, name: str, value: Any) -> float:
    """Raise unless `value` is a real number (int or float, not a bool); return it as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"{owner}: {name} must be a real number, got {type(value).__name__} {value!r}"
        )
    return float(value)


def check_dim(owner: str, dim: Any, ndim: int | None = None) -> int:
    """A softmax-like function's `dim`: an int, or None for PyTorch's implicit choice.

    PyTorch's implicit dimension (deprecated there) is 0 for 0-d, 1-d and 3-d inputs and 1
    otherwise; it is taken here where it is the last dimension (inputs of at most 2
    dimensions) and refused elsewhere, where it is easily mistaken.

    Raises:
        TypeError: dim is None for an input of more than 2 dimensions, or not an int.
    """
    if dim is None:
        if ndim is not None and ndim <= 2:
            return -1
        raise TypeError(
            f"{owner}: give dim, the dimension to normalise (e.g. dim=1 for rows of classes); "
            "PyTorch's implicit choice of dimension (deprecated) is not taken"
            + (f" for a {ndim}-d input" if ndim is not None else "")
        )
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{owner}: dim must be an int, got {type(dim).__name__} {dim!r}")
    return int(dim)


def softmin(input: Tensor | np.ndarray, dim: int | None = None, dtype: DTypeLike = None) -> Tensor:
    """e^(−x) / Σ e^(−x) along `dim`, as PyTorch's `F.softmin`: softmax(−x).

    Small inputs get large weights; the outputs along `dim` are positive and sum to 1.

    Args:
        input: a floating-point tensor (or any tensor, with `dtype`).
        dim: the dimension along which the outputs sum to 1 (None: the last, for at most 2-d).
        dtype: a floating-point dtype to cast the input to first (as PyTorch's `dtype`).

    Returns:
        A tensor of the input's shape.

    Raises:
        TypeError: dim is None (for more than 2 dimensions) or not an int, the input is not
            floating point (and no dtype is given), or dtype is not floating point.
        IndexError: dim out of range for the input.

    >>> import numpy as np
    >>> softmin(np.array([0.0, np.log(3.0)]), dim=0).tolist()
    [0.75, 0.25]
    """
    x = float_cast("softmin", input, dtype)
    return (-x).softmax(dim_arg(check_dim("softmin", dim, x.ndim), x.ndim, "softmin"))


def float_cast(owner: str, input: Tensor | np.ndarray, dtype: DTypeLike) -> Tensor:
    """The input as a floating-point Tensor, cast to `dtype` first if given (PyTorch's `dtype=`).

    Raises:
        TypeError: dtype is not floating point, or the input is not and no dtype is given.
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    if dtype is not None:
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"{owner}: dtype must be a floating-point dtype, got {dt}")
        x = x.astype(dt)
    if x.dtype.kind != "f":
        raise TypeError(
            f"{owner}: needs a floating-point input, got dtype {x.dtype} (or pass dtype=)"
        )
    return x


def threshold(
    input: Tensor | np.ndarray, threshold: float, value: float, inplace: bool = False
) -> Tensor:
    """Keep x where x > threshold, else put `value`, as PyTorch's `F.threshold`.

    An element equal to the threshold is replaced. The gradient is 1 where x > threshold and
    0 elsewhere (0 at the threshold too, as PyTorch); a NaN is kept and passes the gradient.

    Args:
        input: a tensor of any shape (an integer one keeps its dtype: `value` must be a whole
            number then).
        threshold: the level at or below which elements are replaced.
        value: what replaces them.
        inplace: write the result into the input tensor.

    Returns:
        A tensor of the input's shape and dtype.

    Raises:
        TypeError: threshold or value is not a real number.
        ValueError: a value that is not a whole number for an integer input.

    >>> import numpy as np
    >>> threshold(np.array([0.0, 1.0, 2.0]), 1.0, -1.0).tolist()
    [-1.0, -1.0, 2.0]
    """
    th = check_real("threshold", "threshold", threshold)
    v = check_real("threshold", "value", value)
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.dtype.kind != "f":
        if not v.is_integer():
            raise ValueError(f"threshold: value {value!r} does not fit the input's dtype {x.dtype}")
        fill: float | int = int(v)
    else:
        fill = v

    def of(t: Tensor) -> Tensor:
        return t.where(~(t <= th), fill)  # NaN <= th is False: a NaN is kept

    if inplace:
        return x._in_place("threshold", lambda a, _: of(a), None)
    return of(x)
