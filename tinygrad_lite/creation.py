"""Functions that make new tensors: from data, filled, random, ranges, like another tensor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import tracing
from .dtypes import DEFAULT_FLOAT, check_supported
from .rng import generator, manual_seed
from .tensor import DTypeLike, Tensor
from .tensor_shape import shape_arg

__all__ = [
    "tensor",
    "zeros",
    "ones",
    "full",
    "zeros_like",
    "ones_like",
    "full_like",
    "randn",
    "rand",
    "arange",
    "eye",
    "manual_seed",
    "generator",
]


def _new_shape(shape: tuple[Any, ...], fn: str) -> tuple[int, ...]:
    """The shape of a new tensor: integer sizes >= 0, given as f(2, 3) or f((2, 3))."""
    out = shape_arg(shape, fn)
    if any(n < 0 for n in out):
        raise ValueError(f"{fn}: sizes must be >= 0, got shape {out}")
    return out


def _dtype(dtype: DTypeLike, fn: str) -> np.dtype[Any]:
    return DEFAULT_FLOAT if dtype is None else check_supported(np.dtype(dtype), fn)


def tensor(data: Any, requires_grad: bool = False, dtype: DTypeLike = None) -> Tensor:
    """Create a Tensor from numbers, lists or an array (same rules as `Tensor(...)`)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(
    *shape: int | Sequence[int], dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of zeros of the given shape (float64 by default)."""
    return Tensor(np.zeros(_new_shape(shape, "zeros"), _dtype(dtype, "zeros")), requires_grad)


def ones(
    *shape: int | Sequence[int], dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of ones of the given shape (float64 by default)."""
    return Tensor(np.ones(_new_shape(shape, "ones"), _dtype(dtype, "ones")), requires_grad)


def full(
    shape: Sequence[int], fill_value: float, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of the given shape filled with `fill_value` (its dtype inferred, as PyTorch)."""
    dt = np.result_type(fill_value) if dtype is None else _dtype(dtype, "full")
    return Tensor(np.full(_new_shape((tuple(shape),), "full"), fill_value, dt), requires_grad)


def _like(t: Tensor | np.ndarray) -> np.ndarray:
    return t.data if isinstance(t, Tensor) else np.asarray(t)


def zeros_like(
    t: Tensor | np.ndarray, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """Zeros with the shape and (unless given) the dtype of `t`."""
    return Tensor(np.zeros_like(_like(t), dtype=dtype), requires_grad)


def ones_like(
    t: Tensor | np.ndarray, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """Ones with the shape and (unless given) the dtype of `t`."""
    return Tensor(np.ones_like(_like(t), dtype=dtype), requires_grad)


def full_like(
    t: Tensor | np.ndarray, fill_value: float, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """`fill_value` everywhere, with the shape and (unless given) the dtype of `t`."""
    return Tensor(np.full_like(_like(t), fill_value, dtype=dtype), requires_grad)


def randn(
    *shape: int | Sequence[int],
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard-normal samples; `seed`: an int, a Generator, or None (the default generator)."""
    dt = _dtype(dtype, "randn")
    draw = tracing.random_call(
        generator(seed).standard_normal, _new_shape(shape, "randn"), dtype=dt
    )
    return Tensor(draw, requires_grad)


def rand(
    *shape: int | Sequence[int],
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples in [0, 1); `seed`: an int, a Generator, or None (the default generator)."""
    dt = _dtype(dtype, "rand")
    draw = tracing.random_call(generator(seed).random, _new_shape(shape, "rand"), dtype=dt)
    return Tensor(draw, requires_grad)


def arange(
    start: float,
    stop: float | None = None,
    step: float = 1,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Evenly spaced values in [start, stop): int64 when every argument is an int, as PyTorch."""
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is None and values.dtype.kind == "f":
        dtype = DEFAULT_FLOAT
    return Tensor(values, requires_grad, dtype=dtype)


def eye(
    n: int, m: int | None = None, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """The n×m identity matrix (float64 by default)."""
    return Tensor(np.eye(n, m, dtype=_dtype(dtype, "eye")), requires_grad)


def empty(
    *shape: int | Sequence[int], dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of the given shape to be written before it is read: zeros here.

    PyTorch's holds whatever the memory held; zeros make a read-before-write visible.
    """
    return zeros(*shape, dtype=dtype, requires_grad=requires_grad)


def linspace(
    start: float, end: float, steps: int, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """`steps` evenly spaced values from `start` to `end`, both included (float64 by default)."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"linspace: steps must be an int >= 0, got {steps!r}")
    return Tensor(
        np.linspace(start, end, int(steps), dtype=_dtype(dtype, "linspace")), requires_grad
    )


def randint(
    low: int,
    high: int | None = None,
    size: Sequence[int] = (),
    *,
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = np.int64,
) -> Tensor:
    """Integers drawn uniformly from [low, high) (from [0, low) when `high` is left out)."""
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: needs low < high, got low={low} and high={high}")
    shape = _new_shape((size,) if isinstance(size, (int, np.integer)) else tuple(size), "randint")
    dt = check_supported(np.dtype(dtype), "randint")
    return Tensor(tracing.random_call(generator(seed).integers, low, high, shape, dtype=dt))


def randperm(n: int, *, seed: int | np.random.Generator | None = None) -> Tensor:
    """A random permutation of 0, 1, ..., n − 1 (int64)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n must be an int >= 0, got {n!r}")
    return Tensor(tracing.random_call(generator(seed).permutation, int(n)).astype(np.int64))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing the memory of a NumPy array (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    check_supported(array.dtype, "from_numpy")
    t = Tensor(array)
    if t.data is not array:
        raise TypeError(f"from_numpy: an array of dtype {array.dtype} cannot be shared")
    return t
