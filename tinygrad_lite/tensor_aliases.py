"""PyTorch's spellings of what a Tensor does: dim, numel, t, mm, to, eq, norm, dot, round, ...

Each is written with the ops and methods the Tensor already has, so it differentiates as they do
and computes what PyTorch computes; where PyTorch refuses a shape or a dtype, so does the
method. Rounding (floor, ceil, round, trunc) gives a result without gradient, as `sign` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import autograd, dtypes, tracing
from .tensor_shape import array_of, constant_result, shape_arg

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["TensorAliasMethods"]


def _other_shape(other: Any) -> tuple[int, ...]:
    return tuple(other.shape)


def _leaf(values: np.ndarray, requires_grad: bool) -> Tensor:
    t = autograd._make_tensor(values, False, None)
    return t.requires_grad_() if requires_grad else t  # (which refuses an integer dtype)


_DEVICES = {"cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "ipu", "privateuseone"}


def _is_device(arg: Any) -> bool:
    if isinstance(arg, str):
        return arg.split(":")[0] in _DEVICES
    return type(arg).__name__ == "device"  # torch.device("cpu") and the like


def check_device(device: Any, op: str) -> None:
    """Accept the CPU ("cpu", "cpu:0", torch.device("cpu")); refuse any other device."""
    name = str(device)
    if name.split(":")[0] != "cpu":
        raise RuntimeError(
            f"{op}: tinygrad_lite computes with NumPy on the CPU; there is no device {name!r} "
            '(use "cpu", or leave the device out)'
        )


def to_args(args: tuple[Any, ...], dtype: Any, device: Any, op: str) -> Any:
    """The dtype that `to(...)`'s arguments ask for (None: keep it), after checking the device.

    PyTorch's forms: `to(dtype)`, `to(device)`, `to(device, dtype)`, `to(other_tensor)`.
    """
    for arg in args:
        if hasattr(arg, "_ctx"):
            dtype = arg.dtype
        elif _is_device(arg):
            device = arg
        elif arg is not None:
            dtype = arg
    if device is not None:
        check_device(device, op)
    return dtype


def _elementwise(result: Any, op: str, other: Any) -> Any:
    """`result` of `==` or `!=`, which Python gives as a bool where the Tensor declined."""
    if result.__class__ is bool:
        raise TypeError(f"{op}: cannot compare a Tensor with {type(other).__name__} {other!r}")
    return result


class TensorAliasMethods:
    """PyTorch's names for Tensor methods (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def astype(self, dtype: Any) -> Tensor: ...  # noqa: D102 - see Tensor
        def reshape(self, *shape: Any) -> Tensor: ...  # noqa: D102
        def expand(self, *shape: Any) -> Tensor: ...  # noqa: D102
        def transpose(self, dim0: int, dim1: int) -> Tensor: ...  # noqa: D102
        def matmul(self, other: Any) -> Tensor: ...  # noqa: D102
        def where(self, condition: Any, other: Any) -> Tensor: ...  # noqa: D102
        def _in_place(self, what: str, op: Any, other: Any) -> Tensor: ...
        def clamp(self, min: Any = None, max: Any = None) -> Tensor: ...  # noqa: D102
        def sqrt(self) -> Tensor: ...  # noqa: D102
        def abs(self) -> Tensor: ...  # noqa: D102
        def clone(self) -> Tensor: ...  # noqa: D102
        def sum(self, dim: Any = None, keepdim: Any = None) -> Tensor: ...  # noqa: D102
        def amax(self, dim: Any = None, keepdim: Any = None) -> Tensor: ...  # noqa: D102
        def amin(self, dim: Any = None, keepdim: Any = None) -> Tensor: ...  # noqa: D102
        def __eq__(self, other: Any) -> Tensor: ...  # type: ignore[override]  # noqa: D105
        def __ne__(self, other: Any) -> Tensor: ...  # type: ignore[override]  # noqa: D105
        def __lt__(self, other: Any) -> Tensor: ...  # noqa: D105
        def __le__(self, other: Any) -> Tensor: ...  # noqa: D105
        def __gt__(self, other: Any) -> Tensor: ...  # noqa: D105
        def __ge__(self, other: Any) -> Tensor: ...  # noqa: D105
        def __sub__(self, other: Any) -> Tensor: ...  # noqa: D105
        def __mul__(self, other: Any) -> Tensor: ...  # noqa: D105
        def __truediv__(self, other: Any) -> Tensor: ...  # noqa: D105
        def __rtruediv__(self, other: Any) -> Tensor: ...  # noqa: D105

    # ------------------------------------------------------------------ device and memory

    @property
    def device(self) -> str:
        """Where the values live: always "cpu" (NumPy arrays in memory)."""
        return "cpu"

    def cpu(self) -> Tensor:
        """Self: the values are already on the CPU."""
        return self  # type: ignore[return-value]

    def contiguous(self, memory_format: Any = None) -> Tensor:
        """Self when laid out in C order, else a C-ordered copy (never a view), as PyTorch's."""
        data = self.data
        if not isinstance(data, np.ndarray) or data.flags.c_contiguous:
            return self  # type: ignore[return-value]
        from . import ops

        return ops.Clone.apply(self, order="C")

    def to(self, *args: Any, dtype: Any = None, device: Any = None, copy: bool = False) -> Tensor:
        """The values in another dtype: `to(dtype)`, `to("cpu")`, `to(device, dtype)`, `to(t)`.

        Self when nothing changes (and `copy` is False), as in PyTorch; a device other than the
        CPU is refused.
        """
        target = to_args(args, dtype, device, "to")
        if target is not None and np.dtype(target) != self.data.dtype:
            return self.astype(target)
        return self.clone() if copy else self  # type: ignore[return-value]

    def new_zeros(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """Zeros of shape `size`, in self's dtype unless `dtype` is given."""
        return self.new_full(
            shape_arg(size, "new_zeros"), 0, dtype=dtype, requires_grad=requires_grad
        )

    def new_ones(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """Ones of shape `size`, in self's dtype unless `dtype` is given."""
        return self.new_full(
            shape_arg(size, "new_ones"), 1, dtype=dtype, requires_grad=requires_grad
        )

    def new_full(
        self, size: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False
    ) -> Tensor:
        """`fill_value` everywhere in shape `size`, cast to self's dtype (2.7 → 2 in an int one)."""
        shape = shape_arg((size,) if isinstance(size, (int, np.integer)) else tuple(size))
        fill = dtypes.checked_fill(fill_value, np.dtype(dtype or self.data.dtype), "new_full")
        return _leaf(np.full(shape, fill), requires_grad)

    def new_tensor(self, data: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """A new leaf holding a copy of `data`, in self's dtype unless `dtype` is given."""
        return _leaf(np.array(array_of(data)).astype(dtype or self.data.dtype), requires_grad)

    # ------------------------------------------------------------------ counts and casts

    def dim(self) -> int:
        """The number of dimensions (`ndim`)."""
        return int(self.data.ndim)

    def numel(self) -> int:
        """The number of elements (`size`)."""
        return int(self.data.size)

    def long(self) -> Tensor:
        """As int64 (floats truncated toward zero; self if int64), as PyTorch's `.long()`."""
        return self.to(np.int64)

    def type_as(self, other: Any) -> Tensor:
        """The values in `other`'s dtype: self when it has it already, as in PyTorch."""
        return self.to(other.dtype)

    def t(self) -> Tensor:
        """The transpose of a matrix; a 0-D or 1-D tensor as it is (PyTorch's `t`)."""
        if self.data.ndim > 2:
            raise ValueError(
                f"t: expects a tensor of at most 2 dimensions, got shape {self.data.shape}; "
                "use transpose(dim0, dim1) or mT"
            )
        if self.data.ndim < 2:
            return self.reshape(self.data.shape)
        return self.transpose(0, 1)

    def mm(self, other: Any) -> Tensor:
        """The product of two matrices (2-D only, as PyTorch's `mm`)."""
        shape = _other_shape(other)
        if self.data.ndim != 2 or len(shape) != 2:
            raise ValueError(
                f"mm: both operands must be matrices, got shapes {self.data.shape} and {shape}; "
                "use matmul (@) for vectors and batches"
            )
        return self.matmul(other)

    def view_as(self, other: Any) -> Tensor:
        """Self reshaped to `other`'s shape."""
        return self.reshape(_other_shape(other))

    def reshape_as(self, other: Any) -> Tensor:
        """Self reshaped to `other`'s shape."""
        return self.reshape(_other_shape(other))

    def expand_as(self, other: Any) -> Tensor:
        """Self broadcast to `other`'s shape."""
        return self.expand(_other_shape(other))

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """`value` where the bool `mask` holds, else self (the gradient flows where it does not).

        The mask broadcasts to self's shape (never the other way), and the value is cast to
        self's dtype, as in PyTorch (an integer tensor filled with 2.7 holds 2; NaN, ±∞ or a
        number beyond the dtype's range is refused: `dtypes.checked_fill`).
        """
        m = array_of(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"masked_fill: the mask must be bool, got dtype {m.dtype}")
        shape = np.broadcast_shapes(m.shape, self.data.shape)
        if shape != self.data.shape:
            raise ValueError(
                f"masked_fill: a mask of shape {m.shape} does not broadcast to the tensor's "
                f"shape {self.data.shape}"
            )
        if hasattr(value, "_ctx") and value.requires_grad:  # the gradient reaches the value
            if value.data.ndim != 0:
                raise ValueError(
                    f"masked_fill: a value that requires grad must be a 0-d tensor, got shape "
                    f"{value.data.shape}"
                )
            v = value if value.data.dtype == self.data.dtype else value.astype(self.data.dtype)
            return v.where(m, self)
        if hasattr(value, "_ctx"):
            if value.data.size != 1:
                raise ValueError(
                    f"masked_fill: the value must be a number or a one-element tensor, got "
                    f"shape {value.data.shape}"
                )
            value = value.data.reshape(())
        return self.where(~m, dtypes.checked_fill(value, self.data.dtype, "masked_fill"))

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """`masked_fill` in place (see `tensor_inplace` for the rules)."""
        return self._in_place("masked_fill_", lambda a, m: a.masked_fill(m, value), mask)

    def isnan(self) -> Tensor:
        """A bool tensor: where the values are NaN."""
        return constant_result(np.isnan(self.data))

    def isinf(self) -> Tensor:
        """A bool tensor: where the values are +inf or -inf."""
        return constant_result(np.isinf(self.data))

    def isfinite(self) -> Tensor:
        """A bool tensor: where the values are neither infinite nor NaN."""
        return constant_result(np.isfinite(self.data))

    def logical_not(self) -> Tensor:
        """A bool tensor: where the values are zero (False)."""
        return constant_result(np.logical_not(self.data))

    # ------------------------------------------------------------------ comparisons

    def eq(self, other: Any) -> Tensor:
        """A bool tensor: self == other (a TypeError for None, a list, ..., as PyTorch)."""
        return _elementwise(self == other, "eq", other)

    def ne(self, other: Any) -> Tensor:
        """A bool tensor: self != other (a TypeError for None, a list, ..., as PyTorch)."""
        return _elementwise(self != other, "ne", other)

    def lt(self, other: Any) -> Tensor:
        """A bool tensor: self < other."""
        return self < other

    def le(self, other: Any) -> Tensor:
        """A bool tensor: self <= other."""
        return self <= other

    def gt(self, other: Any) -> Tensor:
        """A bool tensor: self > other."""
        return self > other

    def ge(self, other: Any) -> Tensor:
        """A bool tensor: self >= other."""
        return self >= other

    def logical_and(self, other: Any) -> Tensor:
        """A bool tensor: both nonzero (any dtypes, as PyTorch's)."""
        return constant_result(np.logical_and(self.data, array_of(other)))

    def logical_or(self, other: Any) -> Tensor:
        """A bool tensor: either nonzero."""
        return constant_result(np.logical_or(self.data, array_of(other)))

    def logical_xor(self, other: Any) -> Tensor:
        """A bool tensor: exactly one nonzero."""
        return constant_result(np.logical_xor(self.data, array_of(other)))

    def isclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> Tensor:
        """A bool tensor: |self − other| ≤ atol + rtol·|other| (PyTorch's and NumPy's test)."""
        return constant_result(np.isclose(self.data, array_of(other), rtol, atol, equal_nan))

    def allclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> bool:
        """Whether `isclose` holds everywhere (a Python bool)."""
        tracing.refuse_value_read("allclose()")
        return bool(np.allclose(self.data, array_of(other), rtol, atol, equal_nan))

    def equal(self, other: Any) -> bool:
        """Whether `other` has the same shape and the same values (a Python bool; NaN ≠ NaN)."""
        tracing.refuse_value_read("equal()")
        o = array_of(other)
        return self.data.shape == o.shape and bool(np.array_equal(self.data, o))

    # ------------------------------------------------------------------ arithmetic

    def clamp_min(self, min: Any) -> Tensor:
        """`clamp(min=min)`."""
        return self.clamp(min=min)

    def clamp_max(self, max: Any) -> Tensor:
        """`clamp(max=max)`."""
        return self.clamp(max=max)

    def true_divide(self, other: Any) -> Tensor:
        """Self / other."""
        return self / other

    def reciprocal(self) -> Tensor:
        """1/x (an integer tensor gives floats); d/dx = −1/x²."""
        return 1.0 / self

    def rsqrt(self) -> Tensor:
        """1/√x; d/dx = −½x^(−3/2)."""
        return 1.0 / self.sqrt()

    def _rounded(self, name: str, values: Any) -> Tensor:
        if self.data.dtype.kind == "b":
            raise TypeError(f"{name}: not defined for bool tensors (as in PyTorch)")
        return constant_result(self.data.copy() if self.data.dtype.kind in "iu" else values())

    def floor(self) -> Tensor:
        """The largest integer ≤ x, in x's dtype; the result has no gradient."""
        return self._rounded("floor", lambda: np.floor(self.data))

    def ceil(self) -> Tensor:
        """The smallest integer ≥ x, in x's dtype; the result has no gradient."""
        return self._rounded("ceil", lambda: np.ceil(self.data))

    def trunc(self) -> Tensor:
        """X rounded toward zero, in x's dtype; the result has no gradient."""
        return self._rounded("trunc", lambda: np.trunc(self.data))

    def round(self, decimals: int = 0) -> Tensor:
        """X rounded to `decimals` places, halves to even (0.5 → 0, 1.5 → 2); no gradient.

        PyTorch's formula: rint(x·10^d)/10^d, or rint(x/10^−d)·10^−d for negative d.
        """

        def rounded() -> Any:
            if decimals == 0:
                return np.rint(self.data)
            if decimals > 0:
                return np.rint(self.data * 10.0**decimals) / 10.0**decimals
            return np.rint(self.data / 10.0**-decimals) * 10.0**-decimals

        return self._rounded("round", rounded)

    def frac(self) -> Tensor:
        """The fractional part x − trunc(x), with x's sign; d/dx = 1."""
        if self.data.dtype.kind != "f":
            raise TypeError(f"frac: needs a float tensor, got dtype {self.data.dtype}")
        return self - self.trunc()

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
        """The p-norm over `dim` (all elements by default): p = 2 ("fro"), 1, inf, −inf, 0, p > 1.

        p = 2 is √(Σ x²) (its gradient 0 where the norm is 0), p = 1 Σ|x|, ±inf max/min |x|
        (ties share the gradient), 0 the count of nonzeros (no gradient), any other p > 1
        (Σ|x|^p)^(1/p) (its gradient 0 where the norm is 0, as in PyTorch). p < 1 other than 0
        is refused.
        """
        if self.data.dtype.kind != "f":
            raise TypeError(f"norm: needs a float tensor, got dtype {self.data.dtype}")
        if isinstance(dim, (tuple, list)) and not dim:
            raise ValueError(
                f"norm: dim={dim!r} is ambiguous: PyTorch takes the norm over all dims for an "
                "empty dim, NumPy (axis=()) over none; pass dim=None for all dims"
            )
        if p in ("fro", 2):
            from . import ops

            return ops.Norm.apply(self, axis=dim, keepdims=keepdim)
        if p == 1:
            return self.abs().sum(dim, keepdim)
        if p in (np.inf, -np.inf):
            a = self.abs()
            return a.amax(dim, keepdim) if p > 0 else a.amin(dim, keepdim)
        if p == 0:
            return (self != 0).astype(self.data.dtype).sum(dim, keepdim).detach()
        if (
            isinstance(p, (int, float, np.integer, np.floating))
            and not isinstance(p, bool)
            and p > 1
        ):
            total = (self.abs() ** p).sum(dim, keepdim)
            nonzero = total != 0  # (Σ|x|^p)^(1/p) has an infinite slope at 0: its gradient is 0
            return (total.where(nonzero, 1.0) ** (1.0 / p)).where(nonzero, 0.0)
        raise ValueError(
            f"norm: p={p!r} is not supported; use 2 ('fro'), 1, inf, -inf, 0 or a number > 1"
        )

    # ------------------------------------------------------------------ matrices and vectors

    def _vectors(self, other: Any, name: str) -> None:
        o = _other_shape(other)
        if self.data.ndim != 1 or len(o) != 1:
            raise ValueError(f"{name}: needs two 1-D tensors, got shapes {self.data.shape} and {o}")

    def dot(self, other: Any) -> Tensor:
        """Σ self_i·other_i of two vectors of one length and one dtype (as PyTorch's dot)."""
        self._vectors(other, "dot")
        if other.dtype != self.data.dtype or other.shape != self.data.shape:
            raise ValueError(
                f"dot: needs vectors of one length and dtype, got {self.data.shape} "
                f"{self.data.dtype} and {tuple(other.shape)} {other.dtype}"
            )
        return self.matmul(other)

    def outer(self, other: Any) -> Tensor:
        """The matrix self_i·other_j of two vectors."""
        self._vectors(other, "outer")
        return self.reshape(-1, 1) * other.reshape(1, -1)

    # last: in the class body these names would hide the builtins
    def int(self) -> Tensor:  # noqa: A003 - PyTorch's name
        """The values as int32 (self if int32), as PyTorch's `.int()`."""
        return self.to(np.int32)

    def bool(self) -> Tensor:  # noqa: A003 - PyTorch's name
        """The values as bool (nonzero is True; self if bool), as PyTorch's `.bool()`."""
        return self.to(np.bool_)

    def float(self) -> Tensor:  # noqa: A003 - PyTorch's name
        """The values as float32 (self if float32), as PyTorch's `.float()`."""
        return self.to(np.float32)

    def double(self) -> Tensor:
        """The values as float64 (self if float64), as PyTorch's `.double()`."""
        return self.to(np.float64)
