"""PyTorch's top-level elementary functions: tan, the inverse and hyperbolic ones, log2, lerp, ...

Each calls the Tensor method of the same name (see `tensor_math`), as the functions of `toplevel`
do, which re-exports them.
"""

from __future__ import annotations

from typing import Any

from .tensor import Tensor

__all__ = [
    "acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh",
    "asin", "asinh", "atan", "atan2", "atanh", "cosh", "exp2", "hypot", "lerp", "log10", "log2",
    "logaddexp", "logaddexp2", "logit", "sinc", "sinh", "tan", "xlogy",
]  # fmt: skip


def _t(x: Any, fn: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}: expected a Tensor, got {type(x).__name__}; wrap arrays with "
            f"tinygrad_lite.tensor(...) (or call numpy.{fn} on the array)"
        )
    return x


def tan(input: Tensor) -> Tensor:
    """The tangent tan x, elementwise."""
    return _t(input, "tan").tan()


def atan(input: Tensor) -> Tensor:
    """The arctangent, in (−π/2, π/2), elementwise."""
    return _t(input, "atan").atan()


def asin(input: Tensor) -> Tensor:
    """The arcsine, in [−π/2, π/2] (NaN outside [−1, 1]), elementwise."""
    return _t(input, "asin").asin()


def acos(input: Tensor) -> Tensor:
    """The arccosine, in [0, π] (NaN outside [−1, 1]), elementwise."""
    return _t(input, "acos").acos()


def sinh(input: Tensor) -> Tensor:
    """The hyperbolic sine (eˣ − e⁻ˣ)/2, elementwise."""
    return _t(input, "sinh").sinh()


def cosh(input: Tensor) -> Tensor:
    """The hyperbolic cosine (eˣ + e⁻ˣ)/2, elementwise."""
    return _t(input, "cosh").cosh()


def asinh(input: Tensor) -> Tensor:
    """The inverse hyperbolic sine ln(x + √(x² + 1)), elementwise."""
    return _t(input, "asinh").asinh()


def acosh(input: Tensor) -> Tensor:
    """The inverse hyperbolic cosine ln(x + √(x² − 1)) for x ≥ 1 (NaN below), elementwise."""
    return _t(input, "acosh").acosh()


def atanh(input: Tensor) -> Tensor:
    """The inverse hyperbolic tangent ½ ln((1 + x)/(1 − x)), elementwise."""
    return _t(input, "atanh").atanh()


arctan, arcsin, arccos = atan, asin, acos  # PyTorch's (and NumPy's) aliases
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def sinc(input: Tensor) -> Tensor:
    """The normalised sinc sin(πx)/(πx), 1 at 0, elementwise."""
    return _t(input, "sinc").sinc()


def log2(input: Tensor) -> Tensor:
    """The base-2 logarithm log₂ x, elementwise."""
    return _t(input, "log2").log2()


def log10(input: Tensor) -> Tensor:
    """The base-10 logarithm log₁₀ x, elementwise."""
    return _t(input, "log10").log10()


def exp2(input: Tensor) -> Tensor:
    """The power of two 2ˣ, elementwise."""
    return _t(input, "exp2").exp2()


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """The log-odds ln(x/(1 − x)), with x clamped to [eps, 1 − eps] when eps is given."""
    return _t(input, "logit").logit(eps)


def atan2(input: Tensor, other: Any) -> Tensor:
    """The angle of the point (other, input), in [−π, π], elementwise with broadcasting."""
    return _t(input, "atan2").atan2(other)


arctan2 = atan2


def hypot(input: Tensor, other: Any) -> Tensor:
    """The length √(input² + other²), without overflow, elementwise with broadcasting."""
    return _t(input, "hypot").hypot(other)


def logaddexp(input: Tensor, other: Any) -> Tensor:
    """The log-sum ln(e^input + e^other), without overflow, elementwise with broadcasting."""
    return _t(input, "logaddexp").logaddexp(other)


def logaddexp2(input: Tensor, other: Any) -> Tensor:
    """The log-sum log₂(2^input + 2^other), without overflow, elementwise with broadcasting."""
    return _t(input, "logaddexp2").logaddexp2(other)


def xlogy(input: Any, other: Any) -> Tensor:
    """The product input·ln(other), 0 where input is 0 (NaN where other is NaN).

    As in PyTorch, either operand may be a Python number (the other then a Tensor).
    """
    if not isinstance(input, Tensor) and isinstance(other, Tensor):
        return other._wrap(input, "xlogy").xlogy(other)
    return _t(input, "xlogy").xlogy(other)


def lerp(input: Tensor, end: Any, weight: Any) -> Tensor:
    """The interpolation input + weight·(end − input), rounded as PyTorch's (see `Tensor.lerp`).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.lerp(tg.tensor([0.0, 1.0]), tg.tensor([10.0, 3.0]), tg.tensor([0.5, 2.0])).tolist()
        [5.0, 5.0]
    """
    return _t(input, "lerp").lerp(end, weight)
