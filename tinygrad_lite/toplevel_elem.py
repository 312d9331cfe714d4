"""PyTorch's remaining elementwise functions: nan_to_num, copysign, heaviside, signbit, rad2deg, ...

`tg.nan_to_num`, `tg.copysign`, `tg.heaviside`, `tg.signbit`, `tg.frac`, `tg.rad2deg`,
`tg.deg2rad`, `tg.logical_and/or/xor/not`, `tg.clamp_min` and `tg.clamp_max`, with PyTorch's
dtypes (integer inputs of a float function give the default float) and gradients (copysign's
is 0 where the input is 0; nan_to_num's is 0 where a value was replaced). Masks carry no
gradient.

>>> import tinygrad_lite as tg
>>> tg.nan_to_num(tg.tensor([float("nan"), 1.0]), nan=-1.0).tolist()
[-1.0, 1.0]
"""

from __future__ import annotations

from typing import Any

from .tensor import Tensor

__all__ = [
    "clamp_max", "clamp_min", "copysign", "deg2rad", "frac", "heaviside", "logical_and",
    "logical_not", "logical_or", "logical_xor", "nan_to_num", "rad2deg", "signbit",
]  # fmt: skip


def _t(x: Any, fn: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}: expected a Tensor, got {type(x).__name__}; wrap arrays with "
            "tinygrad_lite.tensor(...)"
        )
    return x


def nan_to_num(
    input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    """NaN, +∞ and −∞ replaced by `nan`, `posinf` and `neginf`; ints and bools copied unchanged.

    posinf and neginf default to the dtype's largest and smallest finite values. The gradient
    passes where the value was finite and is 0 where it was replaced.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.nan_to_num(tg.tensor([float("inf"), 2.0]), posinf=9.0).tolist()
        [9.0, 2.0]
    """
    return _t(input, "nan_to_num").nan_to_num(nan, posinf, neginf)


def copysign(input: Tensor, other: Any) -> Tensor:
    """|input| with the sign (sign bit, so −0.0 and −NaN count as negative) of `other`.

    Integers give the default float. The gradient to input is ±1 (0 where input is 0, as
    PyTorch's); `other` gets none (its derivative is 0 almost everywhere).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.copysign(tg.tensor([1.0, -2.0, 3.0]), tg.tensor([-1.0, 1.0, -0.0])).tolist()
        [-1.0, 2.0, -3.0]
    """
    return _t(input, "copysign").copysign(other)


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """The step function: 0 where input < 0, `values` where input == 0, 1 where input > 0.

    input and values must have one dtype (as in PyTorch); NaN input gives 0. `values` gets
    the gradient where input is 0 (PyTorch has no derivative here); input gets none.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.heaviside(tg.tensor([-1.0, 0.0, 2.0]), tg.tensor([0.5])).tolist()
        [0.0, 0.5, 1.0]
    """
    return _t(input, "heaviside").heaviside(_t(values, "heaviside"))


def signbit(input: Tensor) -> Tensor:
    """A bool tensor: where the sign bit is set (negative numbers, −0.0 and −NaN).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.signbit(tg.tensor([-0.0, 0.0, -2.0])).tolist()
        [True, False, True]
    """
    return _t(input, "signbit").signbit()


def frac(input: Tensor) -> Tensor:
    """The fractional part x − trunc(x), with x's sign (floats only); d/dx = 1."""
    return _t(input, "frac").frac()


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees, x·180/π (integers give the default float).

    Example:
        >>> import math, tinygrad_lite as tg
        >>> tg.rad2deg(tg.tensor([math.pi])).tolist()
        [180.0]
    """
    return _t(input, "rad2deg").rad2deg()


def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians, x·π/180 (integers give the default float).

    Example:
        >>> import tinygrad_lite as tg
        >>> round(tg.deg2rad(tg.tensor([180])).item(), 6)
        3.141593
    """
    return _t(input, "deg2rad").deg2rad()


def logical_and(input: Tensor, other: Any) -> Tensor:
    """A bool tensor: both nonzero (any dtypes, broadcast)."""
    return _t(input, "logical_and").logical_and(other)


def logical_or(input: Tensor, other: Any) -> Tensor:
    """A bool tensor: either nonzero (any dtypes, broadcast)."""
    return _t(input, "logical_or").logical_or(other)


def logical_xor(input: Tensor, other: Any) -> Tensor:
    """A bool tensor: exactly one nonzero (any dtypes, broadcast).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.logical_xor(tg.tensor([1, 0, 2]), tg.tensor([0.0, 0.0, 1.0])).tolist()
        [True, False, False]
    """
    return _t(input, "logical_xor").logical_xor(other)


def logical_not(input: Tensor) -> Tensor:
    """A bool tensor: where the values are zero."""
    return _t(input, "logical_not").logical_not()


def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """max(input, min) elementwise (`clamp(input, min=min)`)."""
    return _t(input, "clamp_min").clamp_min(min)


def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """min(input, max) elementwise (`clamp(input, max=max)`)."""
    return _t(input, "clamp_max").clamp_max(max)
