"""PyTorch's spellings of what a Tensor does: dim, numel, t, mm, long, view_as, masked_fill, ...

Each is written with the ops and methods the Tensor already has, so it differentiates as they do
and computes what PyTorch computes; where PyTorch refuses a shape, so does the method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import autograd

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["TensorAliasMethods"]


def _other_shape(other: Any) -> tuple[int, ...]:
    return tuple(other.shape)


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

    def dim(self) -> int:
        """The number of dimensions (`ndim`)."""
        return int(self.data.ndim)

    def numel(self) -> int:
        """The number of elements (`size`)."""
        return int(self.data.size)

    def long(self) -> Tensor:
        """The values as int64 (floats truncated toward zero), as PyTorch's `.long()`."""
        return self.astype(np.int64)

    def type_as(self, other: Any) -> Tensor:
        """The values in `other`'s dtype."""
        return self.astype(other.dtype)

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
        self's dtype, as in PyTorch (an integer tensor filled with 2.7 holds 2).
        """
        m = mask.data if hasattr(mask, "_ctx") else np.asarray(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"masked_fill: the mask must be bool, got dtype {m.dtype}")
        shape = np.broadcast_shapes(m.shape, self.data.shape)
        if shape != self.data.shape:
            raise ValueError(
                f"masked_fill: a mask of shape {m.shape} does not broadcast to the tensor's "
                f"shape {self.data.shape}"
            )
        if hasattr(value, "_ctx"):
            if value.requires_grad or value.data.size != 1:
                raise TypeError(
                    "masked_fill: the value must be a number or a one-element tensor without grad"
                )
            value = value.data.reshape(())
        fill = np.asarray(value).astype(self.data.dtype)
        return self.where(~m, fill)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """`masked_fill` in place (see `tensor_inplace` for the rules)."""
        return self._in_place("masked_fill_", lambda a, m: a.masked_fill(m, value), mask)

    def _flags(self, test: Any) -> Tensor:
        return autograd._make_tensor(autograd.as_result(test(self.data)), False, None)

    def isnan(self) -> Tensor:
        """A bool tensor: where the values are NaN."""
        return self._flags(np.isnan)

    def isinf(self) -> Tensor:
        """A bool tensor: where the values are +inf or -inf."""
        return self._flags(np.isinf)

    def isfinite(self) -> Tensor:
        """A bool tensor: where the values are neither infinite nor NaN."""
        return self._flags(np.isfinite)

    def logical_not(self) -> Tensor:
        """A bool tensor: where the values are zero (False)."""
        return self._flags(np.logical_not)

    # last: in the class body these names would hide the builtins
    def int(self) -> Tensor:  # noqa: A003 - PyTorch's name
        """The values as int32, as PyTorch's `.int()`."""
        return self.astype(np.int32)

    def bool(self) -> Tensor:  # noqa: A003 - PyTorch's name
        """The values as bool (nonzero is True), as PyTorch's `.bool()`."""
        return self.astype(np.bool_)
