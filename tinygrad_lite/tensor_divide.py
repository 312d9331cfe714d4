"""The Tensor's rounded divisions: `%` (remainder), fmod, `//` (floor_divide), div's modes.

Each computes what PyTorch computes, dtype included, with broadcasting and weak Python numbers
(see `dtypes`):

- `x % y` and `x.remainder(y)` take the divisor's sign, as Python's `%` (−7 % 3 = 2); a zero
  result keeps the dividend's sign, as in PyTorch (−6.0 % 3.0 is −0.0; NumPy's is 0.0).
  `x.fmod(y)` takes the dividend's sign, as C's (−7 fmod 3 = −1). Both differentiate:
  d/dx = 1, d/dy = −⌊x/y⌋ (remainder) or −trunc(x/y) (fmod).
- `x // y` and `x.floor_divide(y)` round the quotient down (Python's `//`, also for floats:
  1.0 // 0.1 is 9.0, where ⌊1.0/0.1⌋ would be 10.0); `x.div(y, rounding_mode="floor")` is
  the same and `rounding_mode="trunc"` rounds toward zero. A rounded quotient is piecewise
  constant: like `floor`, its result has no gradient (PyTorch's `//` refuses to backpropagate,
  its rounded `div` gives zeros).
- Integer operands stay integers; an integer divisor that holds a zero raises
  ZeroDivisionError and two bools are refused (both as in PyTorch). A float divisor of zero
  gives NaN or ±inf, with NumPy's warnings.
- A remainder is exact even where x/y overflows the float range (1e300 % 1e-300), as C's fmod
  and PyTorch's one-element path give it; PyTorch's vectorised kernels give NaN there.
- A float16 tensor divided by a Python number is computed in float32 with the number rounded
  to float32 only, as PyTorch's float16 kernels do (see `dtypes.opmath_operand`): true
  division rounds the quotient to float16 once, the rounded quotients round it after the floor
  or the truncation (−249.75 // 0.1 is −2498, not −2500 as with float16's 0.1; 3074 divided by
  3 with "trunc" is 1024, where float16 would round 1024.67 up to 1025 first). Remainders
  round the number to float16, as PyTorch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import dtypes
from . import ops as F
from .ops.base import no_broadcast
from .tensor_shape import constant_result

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["TensorDivideMethods", "ROUNDING_MODES"]

ROUNDING_MODES = (None, "trunc", "floor")


def rounded_quotient(x: Any, y: Any, mode: str, op: str) -> Tensor:
    """The quotient x / y rounded down ("floor") or toward zero ("trunc"), without gradient."""
    if mode not in ("floor", "trunc"):
        raise ValueError(f"{op}: rounding_mode must be one of {list(ROUNDING_MODES)}, got {mode!r}")
    dtype = F.check_operands(op, x, y)
    try:
        if mode == "floor":  # NumPy's floor_divide rounds the exact quotient, as Python
            q = np.floor_divide(x, y)
        elif dtype.kind == "f":
            q = np.trunc(np.divide(x, y))
        else:  # integers: the floored quotient, plus one where it was rounded down below 0
            q = np.floor_divide(x, y)
            q = q + ((np.remainder(x, y) != 0) & ((x < 0) != (y < 0)))
    except ValueError:
        raise no_broadcast(op, x, y) from None
    return constant_result(q)


def _half_rounded_quotient(x: Any, number: Any, mode: str, op: str) -> Tensor:
    """A float16 array divided by a Python number and rounded, as PyTorch: in float32."""
    y = dtypes.scalar_operand(number, dtypes.OPMATH, op)
    return constant_result(rounded_quotient(x.astype(y.dtype), y, mode, op).data.astype(x.dtype))


class TensorDivideMethods:
    """Remainders and rounded quotients of `Tensor` (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def _wrap(self, other: Any, op: str) -> Tensor: ...

        def _opmath(self, fn: Any, other: Any, op: str) -> Tensor: ...

        def _in_place(self, what: str, op: Any, other: Any, ufunc: Any = None) -> Tensor: ...

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """Self / other, with broadcasting: true division, or rounded ("trunc" or "floor").

        A rounded quotient has no gradient and keeps an integer dtype.

        Example:
            >>> from tinygrad_lite import Tensor
            >>> Tensor([-7, 7]).div(2, rounding_mode="trunc").tolist()
            [-3, 3]
        """
        if self.data.dtype is dtypes.HALF and other.__class__ in (float, int):
            if rounding_mode is None:
                return self._opmath(F.Div, other, "div")
            return _half_rounded_quotient(self.data, other, rounding_mode, "div")
        if rounding_mode is None:
            return F.Div.apply(self, self._wrap(other, "div"))
        return rounded_quotient(self.data, self._wrap(other, "div").data, rounding_mode, "div")

    def remainder(self, other: Any) -> Tensor:
        """Self − ⌊self/other⌋·other, with the divisor's sign (Python's and PyTorch's `%`).

        Example:
            >>> from tinygrad_lite import Tensor
            >>> (Tensor([-7.0, 7.0]) % 3).tolist()
            [2.0, 1.0]
        """
        return F.Remainder.apply(self, self._wrap(other, "remainder"))

    def fmod(self, other: Any) -> Tensor:
        """Self − trunc(self/other)·other, with the dividend's sign (C's fmod).

        Example:
            >>> from tinygrad_lite import Tensor
            >>> Tensor([-7.0, 7.0]).fmod(3).tolist()
            [-1.0, 1.0]
        """
        return F.Fmod.apply(self, self._wrap(other, "fmod"))

    def floor_divide(self, other: Any) -> Tensor:
        """⌊self/other⌋, as Python's `//` (no gradient; integers stay integers).

        Example:
            >>> from tinygrad_lite import Tensor
            >>> (Tensor([-7, 7]) // 2).tolist()
            [-4, 3]
        """
        if self.data.dtype is dtypes.HALF and other.__class__ in (float, int):
            return _half_rounded_quotient(self.data, other, "floor", "//")
        return rounded_quotient(self.data, self._wrap(other, "floor_divide").data, "floor", "//")

    def __mod__(self, other: Any) -> Tensor:
        return self.remainder(other)

    def __rmod__(self, other: Any) -> Tensor:
        return F.Remainder.apply(self._wrap(other, "remainder"), self)

    def __floordiv__(self, other: Any) -> Tensor:
        return self.floor_divide(other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return rounded_quotient(self._wrap(other, "floor_divide").data, self.data, "floor", "//")

    def __imod__(self, other: Any) -> Tensor:
        return self._in_place("%=", lambda a, b: a.remainder(b), other)

    def __ifloordiv__(self, other: Any) -> Tensor:
        return self._in_place("//=", lambda a, b: a.floor_divide(b), other)

    def remainder_(self, other: Any) -> Tensor:
        """Self %= other, in place."""
        return self._in_place("remainder_", lambda a, b: a.remainder(b), other)

    def fmod_(self, other: Any) -> Tensor:
        """Self = self.fmod(other), in place."""
        return self._in_place("fmod_", lambda a, b: a.fmod(b), other)
