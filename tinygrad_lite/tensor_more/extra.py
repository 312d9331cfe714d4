"""PyTorch's Tensor predicates, sizes, casts and aliases: is_signed, nelement, half, subtract, ...

What PyTorch code asks of a tensor and the other names it calls methods by. The predicates
answer for what a Tensor here is: real values (bool, integer or float) in a NumPy array on the
CPU, so `is_complex()`, `is_cuda` and `is_sparse` are False, and `conj()`, `resolve_conj()` and
`real` are the tensor itself, as PyTorch's are for a real tensor. `is_contiguous()` reports the
NumPy array's layout (C order), which follows NumPy's copies and views, not PyTorch's strides.
Each alias calls the method it names, so it computes and differentiates as that one does.

>>> from tinygrad_lite import tensor
>>> x = tensor([[1.0, 2.0], [3.0, 4.0]])
>>> x.nelement(), x.element_size(), x.is_floating_point(), x.subtract(1.0, alpha=2).tolist()
(4, 8, True, [[-1.0, 0.0], [1.0, 2.0]])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes, tracing

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["TensorExtraMethods", "TYPE_NAMES"]

# PyTorch's legacy tensor type names (`t.type()`) for the dtypes a Tensor holds
TYPE_NAMES = {
    np.dtype(np.float64): "torch.DoubleTensor",
    np.dtype(np.float32): "torch.FloatTensor",
    np.dtype(np.float16): "torch.HalfTensor",
    np.dtype(np.int64): "torch.LongTensor",
    np.dtype(np.int32): "torch.IntTensor",
    np.dtype(np.int16): "torch.ShortTensor",
    np.dtype(np.int8): "torch.CharTensor",
    np.dtype(np.uint8): "torch.ByteTensor",
    np.dtype(np.uint16): "torch.UInt16Tensor",
    np.dtype(np.uint32): "torch.UInt32Tensor",
    np.dtype(np.uint64): "torch.UInt64Tensor",
    np.dtype(np.bool_): "torch.BoolTensor",
}


def _is_contiguous_format(memory_format: Any) -> bool:
    return memory_format is None or str(memory_format) == "torch.contiguous_format"


class TensorExtraMethods:
    """Predicates, sizes, casts and aliases of `Tensor` (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def _wrap(self, other: Any, op: str) -> Tensor: ...

    # ------------------------------------------------------------------ predicates

    def is_floating_point(self) -> bool:
        """Whether the dtype is a float (float16, float32 or float64)."""
        return self.data.dtype.kind == "f"

    def is_complex(self) -> bool:
        """False: a Tensor holds real numbers only."""
        return False

    def is_signed(self) -> bool:
        """Whether the dtype holds negative numbers: signed integers and floats (not bool, uint)."""
        return self.data.dtype.kind in "if"

    def is_conj(self) -> bool:
        """False: a real tensor is never a lazily conjugated view."""
        return False

    def is_neg(self) -> bool:
        """False: a real tensor is never a lazily negated view."""
        return False

    def is_inference(self) -> bool:
        """False: `inference_mode` here is `no_grad`, which makes ordinary tensors."""
        return False

    def is_nonzero(self) -> bool:
        """Whether the one element is nonzero (NaN counts as nonzero), as `bool(t)`.

        Raises:
            ValueError: the tensor has no element, or more than one.
        """
        tracing.refuse_value_read("is_nonzero()")
        n = self.data.size
        if n != 1:
            what = "no values" if n == 0 else "more than one value"
            raise ValueError(
                f"is_nonzero: the truth value of a tensor with {what} (shape {self.data.shape}) "
                "is ambiguous; use (t != 0).any() or .all()"
            )
        return bool(self.data.reshape(()))

    def is_same_size(self, other: Any) -> bool:
        """Whether `other` has the same shape (its dtype does not matter)."""
        return tuple(self.data.shape) == tuple(other.shape)

    def is_contiguous(self, memory_format: Any = None) -> bool:
        """Whether the array is laid out in C order without gaps (NumPy's C_CONTIGUOUS flag).

        The layout is NumPy's: a result here may be a copy where PyTorch's is a strided view
        (or the other way), so the answer can differ from PyTorch's for the same code. Only the
        default format is known (PyTorch's `torch.contiguous_format`); channels-last is refused.
        """
        if not _is_contiguous_format(memory_format):
            raise ValueError(
                f"is_contiguous: memory_format {memory_format!r} is not supported; arrays here "
                "have one layout, C order (torch.contiguous_format)"
            )
        return bool(self.data.flags.c_contiguous)

    def is_pinned(self) -> bool:
        """False: there is no device memory to pin for."""
        return False

    def is_shared(self) -> bool:
        """False: the array is not in shared memory."""
        return False

    @property
    def is_cpu(self) -> bool:
        """True: the values live in memory, as NumPy arrays (see `device`)."""
        return True

    @property
    def is_cuda(self) -> bool:
        """False: there is no GPU here."""
        return False

    @property
    def is_sparse(self) -> bool:
        """False: every Tensor is dense."""
        return False

    @property
    def is_quantized(self) -> bool:
        """False: there are no quantized dtypes."""
        return False

    @property
    def is_meta(self) -> bool:
        """False: every Tensor holds its values."""
        return False

    def get_device(self) -> int:
        """-1, PyTorch's answer for a tensor on the CPU."""
        return -1

    # ------------------------------------------------------------------ sizes

    def nelement(self) -> int:
        """The number of elements (`numel`)."""
        return int(self.data.size)

    def ndimension(self) -> int:
        """The number of dimensions (`dim`)."""
        return int(self.data.ndim)

    def element_size(self) -> int:
        """The bytes one element takes (8 for float64)."""
        return int(self.data.dtype.itemsize)

    @property
    def itemsize(self) -> int:
        """The bytes one element takes (8 for float64)."""
        return int(self.data.dtype.itemsize)

    @property
    def nbytes(self) -> int:
        """The bytes the elements take: numel × itemsize (a broadcast view counts in full)."""
        return int(self.data.size * self.data.dtype.itemsize)

    # ------------------------------------------------------------------ casts

    def _as(self, dtype: Any) -> Tensor:
        x: Tensor = self  # type: ignore[assignment]
        return x.to(dtype)

    def byte(self) -> Tensor:
        """The values as uint8 (self if uint8), as PyTorch's `.byte()`."""
        return self._as(np.uint8)

    def char(self) -> Tensor:
        """The values as int8 (self if int8), as PyTorch's `.char()`."""
        return self._as(np.int8)

    def short(self) -> Tensor:
        """The values as int16 (self if int16), as PyTorch's `.short()`."""
        return self._as(np.int16)

    def half(self) -> Tensor:
        """The values as float16 (self if float16), as PyTorch's `.half()`."""
        return self._as(np.float16)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:  # noqa: A003
        """PyTorch's legacy type: its name ("torch.DoubleTensor"), or the values in `dtype`.

        `dtype` is a dtype or a legacy name such as "torch.FloatTensor"; self comes back when
        it has that dtype already.
        """
        if dtype is None:
            return TYPE_NAMES[self.data.dtype]
        if isinstance(dtype, str):
            names = {name: dt for dt, name in TYPE_NAMES.items()}
            if dtype not in names:
                raise ValueError(
                    f"type: unknown tensor type {dtype!r}; use one of {sorted(names)} or a dtype"
                )
            dtype = names[dtype]
        return self._as(dtype)

    def new_empty(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """A new tensor of shape `size` in self's dtype (or `dtype`); its values are zeros.

        PyTorch leaves the values uninitialised, so any values are its answer too.
        """
        x: Tensor = self  # type: ignore[assignment]
        return x.new_zeros(*size, dtype=dtype, requires_grad=requires_grad)

    # ------------------------------------------------------------------ real numbers

    def conj(self) -> Tensor:
        """Self: the complex conjugate of a real tensor is the tensor itself (as PyTorch's)."""
        return self  # type: ignore[return-value]

    def conj_physical(self) -> Tensor:
        """Self: the conjugate of a real tensor (PyTorch's returns self too)."""
        return self  # type: ignore[return-value]

    def conj_physical_(self) -> Tensor:
        """Self, unchanged: conjugating a real tensor in place changes nothing."""
        return self  # type: ignore[return-value]

    def resolve_conj(self) -> Tensor:
        """Self: a real tensor has no lazy conjugation to resolve."""
        return self  # type: ignore[return-value]

    def resolve_neg(self) -> Tensor:
        """Self: a real tensor has no lazy negation to resolve."""
        return self  # type: ignore[return-value]

    @property
    def real(self) -> Tensor:
        """Self: the real part of a real tensor (PyTorch's `real` is self too)."""
        return self  # type: ignore[return-value]

    @property
    def imag(self) -> Tensor:
        """Refused, as in PyTorch: a real tensor has no imaginary part to view."""
        raise TypeError(
            f"imag: not defined for a real tensor (dtype {self.data.dtype}); tensors here hold "
            "real numbers only, whose imaginary part is zeros_like(t)"
        )

    @property
    def H(self) -> Tensor:
        """The conjugate transpose of a matrix: for real values its transpose (2-D only)."""
        if self.data.ndim != 2:
            raise ValueError(
                f"H: only supported on matrices (2-D tensors), got shape {self.data.shape}; "
                "use mH for batches of matrices"
            )
        return self.adjoint()

    @property
    def mH(self) -> Tensor:
        """The conjugate transpose of the last two dimensions (for real values, `mT`)."""
        return self.adjoint()

    def adjoint(self) -> Tensor:
        """The conjugate transpose of the last two dimensions: for real values, `mT`."""
        x: Tensor = self  # type: ignore[assignment]
        if x.ndim < 2:
            raise ValueError(
                f"adjoint: only supported on matrices or batches of matrices, got shape {x.shape}"
            )
        return x.transpose(-2, -1)

    # ------------------------------------------------------------------ arithmetic aliases

    def absolute(self) -> Tensor:
        """`abs`: |x|; refused for bool tensors, as in PyTorch."""
        x: Tensor = self  # type: ignore[assignment]
        if x.dtype.kind == "b":
            raise TypeError("absolute: not defined for bool tensors (PyTorch refuses too)")
        return x.abs()

    def negative(self) -> Tensor:
        """`neg`: −x."""
        x: Tensor = self  # type: ignore[assignment]
        return x.neg()

    def positive(self) -> Tensor:
        """Self (+x), as PyTorch's; refused for bool tensors, as there."""
        if self.data.dtype.kind == "b":
            raise TypeError("positive: the + operator is not defined for bool tensors")
        return self  # type: ignore[return-value]

    def multiply(self, other: Any) -> Tensor:
        """`mul`: self·other, with broadcasting."""
        x: Tensor = self  # type: ignore[assignment]
        return x.mul(other)

    def subtract(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """Self − alpha·other, with broadcasting (PyTorch's `sub` with its `alpha`).

        Raises:
            TypeError: a bool operand, alpha is not a number, or a float alpha for integer
                operands (where PyTorch refuses them too).
        """
        x: Tensor = self  # type: ignore[assignment]
        o = self._wrap(other, "subtract")
        if x.dtype.kind == "b" or o.dtype.kind == "b" or isinstance(other, (bool, np.bool_)):
            raise TypeError(
                f"subtract: not defined for bool operands (dtypes {x.dtype} and {o.dtype}), as "
                "in PyTorch; use logical_xor or bitwise_not for bools, or convert them first"
            )
        if not dtypes.is_scalar(alpha) or isinstance(alpha, (bool, np.bool_)):
            raise TypeError(f"subtract: alpha must be a number, got {alpha!r}")
        if dtypes.result_type(x.data, o.data).kind in "iu" and not isinstance(
            alpha, (int, np.integer)
        ):
            raise TypeError(
                f"subtract: alpha={alpha!r} must be an integer for integer tensors (PyTorch "
                "refuses a float alpha there too)"
            )
        return x.sub(o if alpha == 1 else o * alpha)

    def divide(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """`div`: self / other, or rounded ("trunc" or "floor")."""
        x: Tensor = self  # type: ignore[assignment]
        return x.div(other, rounding_mode=rounding_mode)

    def fix(self) -> Tensor:
        """`trunc`: x rounded toward zero, in x's dtype; no gradient."""
        x: Tensor = self  # type: ignore[assignment]
        return x.trunc()

    def ger(self, vec2: Any) -> Tensor:
        """`outer`: the matrix self_i·vec2_j of two vectors (PyTorch's older name)."""
        x: Tensor = self  # type: ignore[assignment]
        return x.outer(vec2)

    # ------------------------------------------------------------------ comparison aliases

    def greater(self, other: Any) -> Tensor:
        """`gt`: a bool tensor, self > other."""
        x: Tensor = self  # type: ignore[assignment]
        return x > other

    def greater_equal(self, other: Any) -> Tensor:
        """`ge`: a bool tensor, self >= other."""
        x: Tensor = self  # type: ignore[assignment]
        return x >= other

    def less(self, other: Any) -> Tensor:
        """`lt`: a bool tensor, self < other."""
        x: Tensor = self  # type: ignore[assignment]
        return x < other

    def less_equal(self, other: Any) -> Tensor:
        """`le`: a bool tensor, self <= other."""
        x: Tensor = self  # type: ignore[assignment]
        return x <= other

    def not_equal(self, other: Any) -> Tensor:
        """`ne`: a bool tensor, self != other."""
        x: Tensor = self  # type: ignore[assignment]
        return x != other

    # ------------------------------------------------------------------ shapes

    def ravel(self) -> Tensor:
        """The values as one dimension, in C order (`reshape(-1)`)."""
        x: Tensor = self  # type: ignore[assignment]
        return x.reshape(-1)

    def narrow_copy(self, dim: int, start: int, length: int) -> Tensor:
        """`narrow` as a copy: `length` elements from `start` along `dim`, in new memory."""
        x: Tensor = self  # type: ignore[assignment]
        return x.narrow(dim, start, length).clone()

    def argwhere(self) -> Tensor:
        """The int64 positions of the nonzero elements, one row each (`nonzero()`)."""
        x: Tensor = self  # type: ignore[assignment]
        return x.nonzero()

    # ------------------------------------------------------------------ the graph

    def detach_(self) -> Tensor:
        """Cut self from the graph in place: it becomes a leaf that does not require grad.

        Raises:
            tracing.TraceError: while a step is compiled (its replay could not repeat it).
        """
        if tracing.current is not None and tracing.current.active():
            raise tracing.TraceError(
                "compile: detach_ changes a tensor's place in the graph, which a replay cannot "
                "repeat; use detach(), which makes a new tensor"
            )
        t: Tensor = self  # type: ignore[assignment]
        t._ctx = None
        t._requires_grad = False
        return t
