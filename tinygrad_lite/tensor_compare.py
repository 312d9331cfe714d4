"""The Tensor's comparison and bitwise operators: ==, !=, <, <=, >, >=, &, |, ^, ~, << and >>.

They live in a base class of `Tensor` (through `tensor_methods.TensorMethods`) so that each file
stays readable; each is written out, so readers, IDEs and mypy see them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import autograd, tracing

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["TensorCompareMethods"]

_OPERANDS = (int, float, complex, np.generic, np.ndarray)  # what a comparison takes (and Tensors)


class TensorCompareMethods:
    """Comparison and bitwise operators of `Tensor`; comparisons give bool tensors, no gradient."""

    __slots__ = ()

    if TYPE_CHECKING:  # provided by Tensor
        data: Any

        def _wrap(self, other: Any, op: str) -> Tensor: ...

        # (the bitwise methods are tensor_more's)
        def bitwise_and(self, other: Any) -> Tensor:
            """See `tensor_more.elem`."""

        def bitwise_or(self, other: Any) -> Tensor:
            """See `tensor_more.elem`."""

        def bitwise_xor(self, other: Any) -> Tensor:
            """See `tensor_more.elem`."""

        def bitwise_not(self) -> Tensor:
            """See `tensor_more.elem`."""

        def bitwise_left_shift(self, other: Any) -> Tensor:
            """See `tensor_more.elem`."""

        def bitwise_right_shift(self, other: Any) -> Tensor:
            """See `tensor_more.elem`."""

    # ------------------------------------------------------------------ comparisons

    def _compare(self, other: Any, op: Any) -> Tensor:
        if not isinstance(other, _OPERANDS):
            if hasattr(other, "_ctx"):
                other = other.data
            elif not tracing.is_traced(other):
                # None, lists, strings: as in PyTorch, == is then False, != True, < a TypeError
                return NotImplemented
        return autograd._make_tensor(autograd.as_result(op(self.data, other)), False, None)

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

    # &, |, ^, ~, << and >> are PyTorch's bitwise operators: on bools the logical ones, on
    # integers bit by bit (a bool beside an int, or a number, promotes: `mask & 1` is int64).

    def __and__(self, other: Any) -> Tensor:
        return self.bitwise_and(other)

    def __or__(self, other: Any) -> Tensor:
        return self.bitwise_or(other)

    def __xor__(self, other: Any) -> Tensor:
        return self.bitwise_xor(other)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self) -> Tensor:
        return self.bitwise_not()

    def __lshift__(self, other: Any) -> Tensor:
        return self.bitwise_left_shift(other)

    def __rshift__(self, other: Any) -> Tensor:
        return self.bitwise_right_shift(other)

    def __rlshift__(self, other: Any) -> Tensor:
        return self._wrap(other, "bitwise_left_shift").bitwise_left_shift(self)

    def __rrshift__(self, other: Any) -> Tensor:
        return self._wrap(other, "bitwise_right_shift").bitwise_right_shift(self)
