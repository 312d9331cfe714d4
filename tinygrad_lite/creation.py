"""Functions that make new tensors: from data, filled, random, ranges, like another tensor."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import dtypes, tracing
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
    """A new tensor holding a copy of `data`: numbers, lists, an array or a Tensor.

    The dtype rules are `Tensor(...)`'s. As `torch.tensor`, the data is always copied (an array
    or a Tensor given is never shared; `from_numpy` shares) and a Tensor's graph is left behind.

    Example:
        >>> import numpy as np
        >>> import tinygrad_lite as tg
        >>> a = np.zeros(2)
        >>> t = tg.tensor(a)
        >>> a[0] = 1.0
        >>> t.tolist()
        [0.0, 0.0]
    """
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        data = data.copy()
    out = Tensor(data, requires_grad=requires_grad, dtype=dtype)
    if isinstance(data, np.ndarray) and np.shares_memory(out.data, data) and out.data is not data:
        out.data = out.data.copy()  # a view that Tensor made of the copy: still private
    return out


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
    """A tensor of the given shape filled with `fill_value` (its dtype inferred, as PyTorch).

    Without `dtype`, a bool fills a bool tensor, an int (a NumPy one too) an int64 one, and a
    float the default float (float64), as PyTorch infers it from the kind of the value. A value
    the dtype cannot hold (NaN or 1e20 into an integer dtype, 300 into int8) is refused, as
    PyTorch refuses it, where NumPy would wrap it around (`dtypes.checked_fill`).
    """
    dt = _scalar_dtype(fill_value) if dtype is None else _dtype(dtype, "full")
    shape_ = _new_shape((tuple(shape),), "full")
    return Tensor(np.full(shape_, dtypes.checked_fill(fill_value, dt, "full"), dt), requires_grad)


def _scalar_dtype(value: Any) -> np.dtype[Any]:
    """PyTorch's dtype for a Python or NumPy scalar: bool, int64 or the default float."""
    kind = np.result_type(value).kind
    if kind == "b":
        return np.dtype(np.bool_)
    if kind in "iu":
        return np.dtype(np.int64)
    return DEFAULT_FLOAT if kind == "f" else np.result_type(value)


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
    """`fill_value` everywhere, with the shape and (unless given) the dtype of `t`.

    A value the dtype cannot hold is refused, as by `full`.
    """
    like = _like(t)
    dt = like.dtype if dtype is None else np.dtype(dtype)
    return Tensor(
        np.full_like(like, dtypes.checked_fill(fill_value, dt, "full_like"), dt), requires_grad
    )


def _float_like(
    t: Tensor | np.ndarray, dtype: DTypeLike, fn: str
) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """The shape and the float dtype of a random *_like draw: `t`'s unless `dtype` is given."""
    like = _like(t)
    dt = like.dtype if dtype is None else check_supported(np.dtype(dtype), fn)
    if dt.kind != "f":  # as PyTorch, which has no uniform or normal integers
        raise TypeError(f"{fn}: draws floats, got dtype {dt}; pass a float dtype (np.float64)")
    return like.shape, dt


def rand_like(
    t: Tensor | np.ndarray,
    *,
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """`rand`'s uniform samples in [0, 1) with the shape and (unless given) the dtype of `t`.

    The dtype must be a float one: an integer or bool `t` needs a float `dtype`, as in PyTorch.

    Example:
        >>> import numpy as np
        >>> import tinygrad_lite as tg
        >>> tg.rand_like(tg.zeros(2, 3, dtype=np.float32)).dtype
        dtype('float32')
    """
    shape, dt = _float_like(t, dtype, "rand_like")
    return rand(shape, seed=seed, dtype=dt, requires_grad=requires_grad)


def randn_like(
    t: Tensor | np.ndarray,
    *,
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """`randn`'s standard-normal samples with the shape and (unless given) the dtype of `t`.

    The dtype must be a float one, as for `rand_like`.
    """
    shape, dt = _float_like(t, dtype, "randn_like")
    return randn(shape, seed=seed, dtype=dt, requires_grad=requires_grad)


def randint_like(
    t: Tensor | np.ndarray,
    low: int = 0,
    high: int | None = None,
    *,
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """`randint`'s integers in [low, high) ([0, low) without `high`), shaped as `t`.

    In `t`'s dtype unless `dtype` is given: a float dtype holds the integers as floats (and may
    require grad), as PyTorch's `randint_like`; `high - 1` must fit an integer dtype.

    Example:
        >>> import tinygrad_lite as tg
        >>> x = tg.randint_like(tg.zeros(2, 3), 3, 6)
        >>> x.dtype, bool(((x.data >= 3) & (x.data < 6)).all())
        (dtype('float64'), True)
    """
    like = _like(t)
    dt = like.dtype if dtype is None else check_supported(np.dtype(dtype), "randint_like")
    if high is None:
        low, high = 0, low
    bounds = np.iinfo(dt) if dt.kind in "iu" else None
    if not low < high or (bounds is not None and not bounds.min <= low <= high - 1 <= bounds.max):
        raise ValueError(
            f"randint_like: needs low < high, both within dtype {dt}, got low={low} and high={high}"
        )
    drawn = randint(low, high, like.shape, seed=seed, dtype=np.int64 if dt.kind == "f" else dt)
    return Tensor(drawn.data, requires_grad, dtype=dt)


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
    start: float | None = None,
    end: float | None = None,
    step: float = 1,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Evenly spaced values start, start + step, ... in [start, end), as PyTorch computes them.

    `arange(n)` is [0, n); `arange(end=n)` too, as in PyTorch.

    The dtype is int64 when every argument is an int, else the default float (float64). With an
    integer `dtype` the values are the truncated start plus multiples of the truncated step, as
    PyTorch computes them, and the length is PyTorch's too: for int64 that of the truncated
    range (arange(0, 5, 1.5, dtype=int64) is [0, 1, 2, 3, 4]), for the narrower integers that
    of the range as given (arange(0, 5, 1.5, dtype=int32) is [0, 1, 2, 3], and
    arange(0, 1, 0.3, dtype=int32) is [0, 0, 0, 0]).

    Raises:
        ValueError: a zero step, a step whose sign does not lead from start to stop, or a
            bound that is not finite.
    """
    if end is None:
        if start is None:
            raise TypeError("arange: give end (arange(end), arange(start, end[, step]))")
        start, end = 0, start
    elif start is None:
        start = 0
    stop = end
    dt: np.dtype[Any] | None = None if dtype is None else np.dtype(dtype)
    floats = any(np.result_type(v).kind == "f" for v in (start, stop, step))
    if dt is None:
        dt = DEFAULT_FLOAT if floats else np.dtype(np.int64)
    if not all(math.isfinite(v) for v in (start, stop, step)):  # also refuses NaN
        raise ValueError(f"arange: start, end and step must be finite, got {start}, {stop}, {step}")
    if step == 0 or (dt == np.int64 and int(step) == 0):
        raise ValueError(f"arange: step must be nonzero, got {step}")
    if (stop - start) * step < 0:
        raise ValueError(
            f"arange: the bounds and the step's sign are inconsistent: from {start} to {stop} "
            f"by {step}"
        )
    size = max(math.ceil((stop - start) / step), 0)  # PyTorch's length, and its start + i·step
    if dt.kind in "iu":  # PyTorch steps in int64 from the truncated start by the truncated step
        start, step = int(start), int(step)
        if dt == np.int64:  # and counts int64's length on the truncated bounds too
            size = max(-((start - int(stop)) // step), 0)
        floats = False
    values: np.ndarray = np.arange(size, dtype=np.float64 if floats else np.int64)
    return Tensor((start + step * values).astype(dt), requires_grad)


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
    """`steps` evenly spaced values from `start` to `end`, both included (float64 by default).

    Computed as PyTorch computes them: with step = (end − start)/(steps − 1), the first half is
    start + i·step and the second end − (steps − 1 − i)·step, in the dtype (an integer dtype:
    start and end truncated to ints, the values computed in float64 and truncated).
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"linspace: steps must be an int >= 0, got {steps!r}")
    dt, n = _dtype(dtype, "linspace"), int(steps)
    work = dt if dt.kind == "f" else np.dtype(np.float64)
    if dt.kind in "iu":
        start, end = int(start), int(end)
    s, e = work.type(start), work.type(end)
    if n == 1:
        return Tensor(np.array([s]).astype(dt), requires_grad)
    i = np.arange(n)
    with np.errstate(over="ignore", invalid="ignore"):  # ±∞ bounds: PyTorch's NaN and ∞
        step = (e - s) / work.type(n - 1)
        up, down = s + step * i.astype(work), e - step * (n - 1 - i).astype(work)
        values = np.where(i < n // 2, up, down)
    return Tensor(values.astype(dt), requires_grad)


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


def as_tensor(data: Any, dtype: DTypeLike = None) -> Tensor:
    """`data` as a tensor, sharing memory where it can (PyTorch's `as_tensor`).

    A Tensor of the dtype asked for (or of any, with no dtype) is returned itself, and one of
    another dtype converted (in the graph); a NumPy array whose dtype is kept shares its memory,
    as with `from_numpy`; anything else is copied, as by `tensor`.

    Example:
        >>> import numpy as np
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.creation import as_tensor
        >>> a = np.zeros(2)
        >>> t = as_tensor(a)
        >>> a[0] = 1.0
        >>> t.tolist(), as_tensor(t) is t
        ([1.0, 0.0], True)
    """
    if isinstance(data, Tensor):
        return data if dtype is None or np.dtype(dtype) == data.dtype else data.astype(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        t = Tensor(data)
        if t.data is data:
            return t
    return tensor(data, dtype=dtype)


def empty_like(
    t: Tensor | np.ndarray, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """A tensor with the shape and (unless given) the dtype of `t`, to be written: zeros here."""
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad)


def logspace(
    start: float,
    end: float,
    steps: int,
    base: float = 10.0,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """The `steps` powers base^x for x = linspace(start, end, steps), base^start to base^end.

    The exponents are `linspace`'s, in float64 for an integer `dtype` (whose start and end are
    truncated to ints first, as PyTorch's), and the powers are taken in the dtype.

    Example:
        >>> from tinygrad_lite.creation import logspace
        >>> logspace(0, 3, 4).tolist()
        [1.0, 10.0, 100.0, 1000.0]
    """
    dt = _dtype(dtype, "logspace")
    work = dt if dt.kind == "f" else np.dtype(np.float64)
    if dt.kind in "iu":
        start, end = int(start), int(end)
    exponents = linspace(start, end, steps, dtype=work).data
    with np.errstate(over="ignore", invalid="ignore"):  # ∞ beyond the range, as PyTorch
        return Tensor(np.power(work.type(base), exponents).astype(dt), requires_grad)
