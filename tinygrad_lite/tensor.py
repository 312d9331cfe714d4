"""The Tensor: a NumPy array that remembers how it was made, so that it can backpropagate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import autograd
from . import ops as F
from .autograd import Context

__all__ = [
    "Tensor",
    "tensor",
    "zeros",
    "ones",
    "zeros_like",
    "ones_like",
    "randn",
    "rand",
    "arange",
]

DTypeLike = Any
Scalar = int | float | np.number[Any]


def _asarray(data: Any) -> np.ndarray:
    try:
        return np.asarray(data)
    except ValueError as e:  # ragged nested lists
        raise ValueError(
            f"Tensor: data must be rectangular (every row the same length), got a ragged "
            f"{type(data).__name__}: {e}"
        ) from None


def _to_array(data: Any, dtype: DTypeLike) -> np.ndarray:
    """Convert `data` to the array a Tensor holds (float64 unless it is float or `dtype` says)."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dt = np.dtype(dtype)
        if dt.kind not in "biuf":
            raise TypeError(f"Tensor: unsupported dtype {dt}; use a float, int or bool dtype")
        arr = _asarray(data)
        if arr.dtype.kind not in "biuf":
            raise TypeError(
                f"Tensor: data of dtype {arr.dtype} ({type(data).__name__}) is not numeric"
            )
        return arr.astype(dt, copy=False)
    arr = _asarray(data)
    kind = arr.dtype.kind
    if kind == "f":
        return arr
    if kind in "biu":
        return arr.astype(np.float64)
    raise TypeError(
        f"Tensor: data of dtype {arr.dtype} ({type(data).__name__}) is not numeric; "
        "expected numbers, nested lists of numbers or a numeric NumPy array"
    )


def _not_while_tracing(what: str) -> None:
    """Reading values in a compiled step would freeze them: refuse while tracing."""
    if autograd._tracer is not None and autograd._tracer.active():
        raise autograd.TraceError(
            f"compile: {what} reads tensor values while tracing a step, so the compiled step "
            "could not follow them; return the tensor from the step and read it afterwards"
        )


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept f(2, 3) and f((2, 3)) alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(int(s) for s in shape[0])
    return tuple(int(s) for s in shape)


def _new_shape(shape: tuple[Any, ...], fn: str) -> tuple[int, ...]:
    """The shape of a new tensor: like `_shape_arg`, and every size must be >= 0."""
    out = _shape_arg(shape)
    if any(n < 0 for n in out):
        raise ValueError(f"{fn}: sizes must be >= 0, got shape {out}")
    return out


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Args:
        data: numbers, nested lists or a NumPy array. Python numbers, lists and integer or
            bool arrays become float64 unless `dtype` is given; float arrays keep their dtype
            (float32 stays float32 through every op).
        requires_grad: track operations on this tensor so that `backward` fills `.grad`.
        dtype: the NumPy dtype to store.

    Attributes:
        data: the live NumPy array (not a copy: writing into it changes the tensor).
        grad: the accumulated gradient (a Tensor) of a leaf after `backward`, else None.
        requires_grad: whether gradients flow to this tensor.

    Example:
        >>> from tinygrad_lite import Tensor
        >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        Tensor([2., 4., 6.])
    """

    __slots__ = ("data", "_grad", "requires_grad", "_ctx", "__weakref__")

    # NumPy defers `ndarray + Tensor` to Tensor.__radd__ instead of treating us as an array.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: DTypeLike = None) -> None:
        arr = _to_array(data, dtype)
        if requires_grad and arr.dtype.kind != "f":
            raise TypeError(
                f"Tensor: only floating-point tensors can require grad, got dtype {arr.dtype}"
            )
        self.data: np.ndarray = arr
        self._grad: Tensor | None = None
        self.requires_grad: bool = bool(requires_grad)
        self._ctx: Context | None = None

    @classmethod
    def _make(cls, data: np.ndarray, requires_grad: bool, ctx: Context | None) -> Tensor:
        """Wrap an array without conversion or checks (the engine's fast path)."""
        t = object.__new__(cls)
        t.data = data
        t._grad = None
        t.requires_grad = requires_grad
        t._ctx = ctx
        return t

    # ------------------------------------------------------------------ properties

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements."""
        return self.data.size

    @property
    def dtype(self) -> np.dtype[Any]:
        """The NumPy dtype of the data."""
        return self.data.dtype

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient of a leaf after `backward` (a Tensor), else None."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if autograd._tracer is not None:
            autograd._tracer.record_set_grad(self, value)
        self._grad = value

    @property
    def grad_fn(self) -> type[autograd.Function] | None:
        """The Function class that created this tensor (None for leaves)."""
        return None if self._ctx is None else self._ctx.fn

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than by an op that tracks grad."""
        return self._ctx is None

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed)."""
        return F.Transpose.apply(self)

    # ------------------------------------------------------------------ conversion

    def numpy(self) -> np.ndarray:
        """Return the data as a NumPy array (the same array, not a copy)."""
        return self.data

    def item(self) -> float:
        """Return the single element as a Python number."""
        _not_while_tracing("item()")
        if self.data.size != 1:
            raise ValueError(
                f"item: only a tensor with one element can be converted to a Python number, "
                f"got shape {self.data.shape}"
            )
        return self.data.item()

    def detach(self) -> Tensor:
        """Return a tensor sharing this data, cut from the graph (requires_grad False)."""
        t = Tensor._make(self.data, False, None)
        if autograd._tracer is not None:
            autograd._tracer.alias(t, self)
        return t

    def __array__(self, dtype: DTypeLike = None, copy: bool | None = None) -> np.ndarray:
        _not_while_tracing("np.asarray()")
        if dtype is None:
            return self.data
        return self.data.astype(dtype)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __bool__(self) -> bool:
        _not_while_tracing("bool()")
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.data.shape} is ambiguous; "
                "use (t != 0).numpy().any() or .all()"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = ""
        if self.data.dtype != np.float64:
            extra += f", dtype={self.data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn=<{self._ctx.fn.__name__}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    __hash__ = object.__hash__

    # ------------------------------------------------------------------ autograd

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad`.

        Args:
            grad: the gradient flowing into self; omit it for a one-element tensor.
            retain_graph: keep the graph so that backward can run through it again.
        """
        autograd.backward(self, grad, retain_graph)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` in place on a leaf and return self."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad_: only floating-point tensors can require grad, "
                f"got dtype {self.data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    # ------------------------------------------------------------------ arithmetic

    def _wrap(self, other: Any) -> Tensor:
        """Turn a Python scalar or array into a constant Tensor (scalars take self's dtype)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (int, float, np.number)) and not isinstance(other, bool):
            return Tensor._make(np.asarray(other, dtype=self.data.dtype), False, None)
        return Tensor(other)

    def __add__(self, other: Tensor | Scalar | np.ndarray) -> Tensor:
        return F.Add.apply(self, self._wrap(other))

    def __radd__(self, other: Scalar | np.ndarray) -> Tensor:
        return F.Add.apply(self._wrap(other), self)

    def __sub__(self, other: Tensor | Scalar | np.ndarray) -> Tensor:
        return F.Sub.apply(self, self._wrap(other))

    def __rsub__(self, other: Scalar | np.ndarray) -> Tensor:
        return F.Sub.apply(self._wrap(other), self)

    def __mul__(self, other: Tensor | Scalar | np.ndarray) -> Tensor:
        return F.Mul.apply(self, self._wrap(other))

    def __rmul__(self, other: Scalar | np.ndarray) -> Tensor:
        return F.Mul.apply(self._wrap(other), self)

    def __truediv__(self, other: Tensor | Scalar | np.ndarray) -> Tensor:
        return F.Div.apply(self, self._wrap(other))

    def __rtruediv__(self, other: Scalar | np.ndarray) -> Tensor:
        return F.Div.apply(self._wrap(other), self)

    def __neg__(self) -> Tensor:
        return F.Neg.apply(self)

    def __pow__(self, exponent: Tensor | Scalar) -> Tensor:
        if isinstance(exponent, Tensor):
            return F.PowTensor.apply(self, exponent)
        if isinstance(exponent, (int, float, np.number)) and not isinstance(exponent, bool):
            return F.Pow.apply(self, exponent=float(exponent))
        raise TypeError(f"pow: exponent must be a number or a Tensor, got {type(exponent)}")

    def __rpow__(self, base: Scalar) -> Tensor:
        return F.PowTensor.apply(self._wrap(base), self)

    def __matmul__(self, other: Tensor | np.ndarray) -> Tensor:
        return F.MatMul.apply(self, self._wrap(other))

    def __rmatmul__(self, other: np.ndarray) -> Tensor:
        return F.MatMul.apply(self._wrap(other), self)

    # ------------------------------------------------------------------ comparisons

    def _compare(self, other: Any, op: Any) -> Tensor:
        _not_while_tracing("a comparison")
        o = other.data if isinstance(other, Tensor) else other
        return Tensor._make(np.asarray(op(self.data, o)), False, None)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    # ------------------------------------------------------------------ unary maths

    def tanh(self) -> Tensor:
        """Elementwise tanh."""
        return F.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        """Elementwise logistic sigmoid 1 / (1 + e^(-x)), stable for large |x|."""
        return F.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        """Elementwise max(x, 0)."""
        return F.ReLU.apply(self)

    def exp(self) -> Tensor:
        """Elementwise e^x."""
        return F.Exp.apply(self)

    def log(self) -> Tensor:
        """Elementwise natural logarithm."""
        return F.Log.apply(self)

    def log_sigmoid(self) -> Tensor:
        """Elementwise ln σ(x), stable for large |x|."""
        return F.LogSigmoid.apply(self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Limit values to [min, max]; the gradient is zero where a bound is active."""
        return F.Clamp.apply(self, min=min, max=max)

    # ------------------------------------------------------------------ reductions

    def sum(self, axis: F.Axis = None, keepdims: bool = False) -> Tensor:
        """Sum over `axis` (an int, a tuple, or None for all)."""
        return F.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: F.Axis = None, keepdims: bool = False) -> Tensor:
        """Mean over `axis` (an int, a tuple, or None for all)."""
        return F.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: F.Axis = None, keepdims: bool = False) -> Tensor:
        """Maximum over `axis`; ties share the gradient evenly."""
        return F.Max.apply(self, axis=axis, keepdims=keepdims)

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """Return the same values with a new shape (`-1` infers one dimension)."""
        return F.Reshape.apply(self, shape=_shape_arg(shape))

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute the axes (reverse them when none are given)."""
        return F.Transpose.apply(self, axes=_shape_arg(axes) if axes else None)

    def __getitem__(self, index: Any) -> Tensor:
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        return F.GetItem.apply(self, index=index)


autograd._make_tensor = Tensor._make


# ---------------------------------------------------------------------- factories


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(
            f"seed must be an int, a numpy.random.Generator or None, got "
            f"{type(seed).__name__} {seed!r}"
        )
    return np.random.default_rng(seed)


def tensor(data: Any, requires_grad: bool = False, dtype: DTypeLike = None) -> Tensor:
    """Create a Tensor from numbers, lists or an array (same rules as `Tensor(...)`)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(
    *shape: int | Sequence[int], dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of zeros of the given shape (float64 by default)."""
    return Tensor(
        np.zeros(_new_shape(shape, "zeros"), dtype=np.float64 if dtype is None else dtype),
        requires_grad,
    )


def ones(
    *shape: int | Sequence[int], dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of ones of the given shape (float64 by default)."""
    return Tensor(
        np.ones(_new_shape(shape, "ones"), dtype=np.float64 if dtype is None else dtype),
        requires_grad,
    )


def zeros_like(
    t: Tensor | np.ndarray, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """Zeros with the shape (and, unless given, the dtype) of `t`."""
    return Tensor(np.zeros_like(np.asarray(t), dtype=dtype), requires_grad)


def ones_like(
    t: Tensor | np.ndarray, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """Ones with the shape (and, unless given, the dtype) of `t`."""
    return Tensor(np.ones_like(np.asarray(t), dtype=dtype), requires_grad)


def randn(
    *shape: int | Sequence[int],
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard-normal samples; `seed` is an int or a `numpy.random.Generator`."""
    dt = np.dtype(np.float64 if dtype is None else dtype)
    return Tensor(_rng(seed).standard_normal(_new_shape(shape, "randn"), dtype=dt), requires_grad)


def rand(
    *shape: int | Sequence[int],
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples in [0, 1); `seed` is an int or a `numpy.random.Generator`."""
    dt = np.dtype(np.float64 if dtype is None else dtype)
    return Tensor(_rng(seed).random(_new_shape(shape, "rand"), dtype=dt), requires_grad)


def arange(
    start: float,
    stop: float | None = None,
    step: float = 1,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Evenly spaced values in [start, stop) (float64 by default)."""
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return Tensor(values, requires_grad, dtype=np.float64 if dtype is None else dtype)
