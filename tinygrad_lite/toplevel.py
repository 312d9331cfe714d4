"""PyTorch's top-level functions on tensors: `tg.sigmoid(x)`, `tg.sum(x, dim=1)`, `tg.tril(x)`, ...

Each calls the Tensor method of the same name with the same arguments, so `tg.f(x, ...)` and
`x.f(...)` are one computation (PyTorch's pairs, such as `torch.sum(x, 1)` and `x.sum(1)`).
The input must be a Tensor, as in PyTorch; NumPy arrays go through NumPy's own functions, which
dispatch to the same ops when given tensors (see `interop`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .autograd import inference_mode
from .tensor import Tensor
from .toplevel_math import (
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cosh,
    exp2,
    hypot,
    lerp,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    logit,
    sinc,
    sinh,
    tan,
    xlogy,
)

__all__ = [
    "abs", "acos", "acosh", "allclose", "amax", "amin", "arccos", "arccosh", "arcsin", "arcsinh",
    "arctan", "arctan2", "arctanh", "argmax", "argmin", "asin", "asinh", "atan", "atan2", "atanh",
    "broadcast_to", "chunk", "clamp", "cosh", "diag", "div", "dot", "equal", "exp", "exp2",
    "flatten", "floor_divide", "fmod", "hypot", "inference_mode", "is_tensor", "isclose", "lerp",
    "log", "log10", "log2", "log_softmax", "logaddexp", "logaddexp2", "logit", "logsumexp",
    "matmul", "max", "mean", "min", "mm", "norm", "numel", "outer", "permute", "prod", "relu",
    "remainder", "reshape", "sigmoid", "sinc", "sinh", "softmax", "split", "sqrt", "squeeze", "std",
    "sum", "tan", "tanh", "transpose", "tril", "triu", "unsqueeze", "var", "xlogy",
]  # fmt: skip


def _t(x: Any, fn: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}: expected a Tensor, got {type(x).__name__}; wrap arrays with "
            f"tinygrad_lite.tensor(...) (or call numpy.{fn} on the array)"
        )
    return x


def is_tensor(obj: Any) -> bool:
    """Whether `obj` is a Tensor (a Parameter included)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements."""
    return _t(input, "numel").numel()


# ---------------------------------------------------------------------- elementwise


def abs(input: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    """The absolute value |x|, elementwise."""
    return _t(input, "abs").abs()


def sqrt(input: Tensor) -> Tensor:
    """The square root √x, elementwise."""
    return _t(input, "sqrt").sqrt()


def exp(input: Tensor) -> Tensor:
    """The exponential eˣ, elementwise."""
    return _t(input, "exp").exp()


def log(input: Tensor) -> Tensor:
    """The natural logarithm ln x, elementwise."""
    return _t(input, "log").log()


def sigmoid(input: Tensor) -> Tensor:
    """The logistic sigmoid σ(x) = 1/(1 + e⁻ˣ), elementwise."""
    return _t(input, "sigmoid").sigmoid()


def tanh(input: Tensor) -> Tensor:
    """The hyperbolic tangent tanh x, elementwise."""
    return _t(input, "tanh").tanh()


def relu(input: Tensor) -> Tensor:
    """The rectifier max(x, 0), elementwise."""
    return _t(input, "relu").relu()


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """The values limited to [min, max]."""
    return _t(input, "clamp").clamp(min, max)


def softmax(input: Tensor, dim: int) -> Tensor:
    """The softmax e^x / Σ e^x along `dim`."""
    return _t(input, "softmax").softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    """The log-softmax x − ln Σ e^x along `dim`."""
    return _t(input, "log_softmax").log_softmax(dim)


# ---------------------------------------------------------------------- reductions


def sum(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """The sum over `dim` (every element by default)."""
    return _t(input, "sum").sum(dim, keepdim)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The mean over `dim` (every element by default)."""
    return _t(input, "mean").mean(dim, keepdim)


def prod(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The product over `dim` (every element by default)."""
    return _t(input, "prod").prod(dim, keepdim)


def _unbiased(fn: str, dim: Any, unbiased: Any) -> tuple[Any, Any]:
    """PyTorch's (input, unbiased) form: a bool in place of dim is `unbiased`."""
    if isinstance(dim, (bool, np.bool_)):
        if unbiased is not None:
            raise TypeError(f"{fn}: unbiased given twice ({dim!r} and {unbiased!r})")
        return None, bool(dim)
    return dim, unbiased


def std(
    input: Tensor,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """√(Σ (x − x̄)²/(n − correction)) over `dim`; correction 1 (Bessel's) by default.

    PyTorch's forms: std(x, dim, unbiased, keepdim), std(x, unbiased) and correction=.
    """
    dim, unbiased = _unbiased("std", dim, unbiased)
    return _t(input, "std").std(dim, unbiased, keepdim, correction=correction)


def var(
    input: Tensor,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """Σ (x − x̄)²/(n − correction) over `dim`; correction 1 (Bessel's) by default.

    PyTorch's forms: var(x, dim, unbiased, keepdim), var(x, unbiased) and correction=.
    """
    dim, unbiased = _unbiased("var", dim, unbiased)
    return _t(input, "var").var(dim, unbiased, keepdim, correction=correction)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """The log-sum-exp ln Σ e^x over `dim`, computed stably."""
    return _t(input, "logsumexp").logsumexp(dim, keepdim)


def amax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The largest values over `dim`."""
    return _t(input, "amax").amax(dim, keepdim)


def amin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The smallest values over `dim`."""
    return _t(input, "amin").amin(dim, keepdim)


def max(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A001
    """`input.max(...)`: the largest value, or (values, indices) along a `dim`."""
    return _t(input, "max").max(*args, **kwargs)


def min(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A001
    """`input.min(...)`: the smallest value, or (values, indices) along a `dim`."""
    return _t(input, "min").min(*args, **kwargs)


def argmax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The index of the largest value (over everything, or along `dim`)."""
    return _t(input, "argmax").argmax(dim, keepdim)


def argmin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The index of the smallest value (over everything, or along `dim`)."""
    return _t(input, "argmin").argmin(dim, keepdim)


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """The p-norm over `dim` (see `Tensor.norm`).

    The nuclear norm (p="nuc") is `tg.linalg.matrix_norm(x, "nuc")`.
    """
    x = _t(input, "norm")
    if isinstance(p, str) and p == "nuc":
        raise ValueError(
            "norm: for the nuclear norm use tinygrad_lite.linalg.matrix_norm(x, 'nuc')"
        )
    return x.norm(p, dim, keepdim)


# ---------------------------------------------------------------------- division


def div(input: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """The quotient input / other, or rounded down ("floor") or toward zero ("trunc")."""
    return _t(input, "div").div(other, rounding_mode=rounding_mode)


def remainder(input: Tensor, other: Any) -> Tensor:
    """The remainder input % other, with the divisor's sign (Python's `%`)."""
    return _t(input, "remainder").remainder(other)


def fmod(input: Tensor, other: Any) -> Tensor:
    """The remainder of input / other with the dividend's sign (C's fmod)."""
    return _t(input, "fmod").fmod(other)


def floor_divide(input: Tensor, other: Any) -> Tensor:
    """The quotient input // other, rounded rounded down (no gradient)."""
    return _t(input, "floor_divide").floor_divide(other)


# ---------------------------------------------------------------------- products


def matmul(input: Tensor, other: Any) -> Tensor:
    """The product input @ other, with NumPy's (and PyTorch's) rules for vectors and batches."""
    return _t(input, "matmul").matmul(other)


def mm(input: Tensor, mat2: Any) -> Tensor:
    """The product of two matrices."""
    return _t(input, "mm").mm(mat2)


def dot(input: Tensor, other: Any) -> Tensor:
    """The dot product of two vectors of one length and dtype."""
    return _t(input, "dot").dot(other)


def outer(input: Tensor, vec2: Any) -> Tensor:
    """The outer product of two vectors."""
    return _t(input, "outer").outer(vec2)


# ---------------------------------------------------------------------- shapes


def reshape(input: Tensor, shape: Sequence[int]) -> Tensor:
    """The values in another shape."""
    return _t(input, "reshape").reshape(shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dimensions start_dim..end_dim merged into one."""
    return _t(input, "flatten").flatten(start_dim, end_dim)


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Dimensions of size 1 removed (all, or `dim`)."""
    return _t(input, "squeeze").squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """A dimension of size 1 inserted at `dim`."""
    return _t(input, "unsqueeze").unsqueeze(dim)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Dimensions dim0 and dim1 swapped."""
    return _t(input, "transpose").transpose(dim0, dim1)


def permute(input: Tensor, dims: Sequence[int]) -> Tensor:
    """The dimensions reordered: result dimension i is input's dimension dims[i]."""
    return _t(input, "permute").permute(dims)


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    """The values broadcast to `size`."""
    return _t(input, "broadcast_to").broadcast_to(size)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces along `dim` of one size (the last may be shorter) or of the listed sizes."""
    return _t(tensor, "split").split(split_size_or_sections, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most `chunks` pieces along `dim` (see `Tensor.chunk`)."""
    return _t(input, "chunk").chunk(chunks, dim)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A vector's diagonal matrix, or a matrix's diagonal."""
    return _t(input, "diag").diag(diagonal)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle; zeros above `diagonal`."""
    return _t(input, "tril").tril(diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle; zeros below `diagonal`."""
    return _t(input, "triu").triu(diagonal)


# ---------------------------------------------------------------------- comparisons


def allclose(
    input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """Whether |input − other| ≤ atol + rtol·|other| everywhere."""
    return _t(input, "allclose").allclose(other, rtol, atol, equal_nan)


def isclose(
    input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """A bool tensor: |input − other| ≤ atol + rtol·|other|."""
    return _t(input, "isclose").isclose(other, rtol, atol, equal_nan)


def equal(input: Tensor, other: Any) -> bool:
    """Whether the two have the same shape and values."""
    return _t(input, "equal").equal(other)
