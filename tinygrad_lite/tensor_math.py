"""The Tensor's elementary functions: tan, the inverse and hyperbolic ones, log2, atan2, lerp, ...

PyTorch's names and meanings, with its aliases (`arcsin` for `asin`, `arctan2` for `atan2`, ...),
which are also NumPy's names, so `np.arcsin(x)` on a Tensor runs `x.arcsin()` (see `interop`).
Each is an op (`tinygrad_lite.ops`), so it differentiates to any order, with PyTorch's values and
derivatives at the edges (asin′(±1) = ∞, logit′ = 0 outside its eps clamp, xlogy(0, 0) = 0).

Integer and bool inputs give the default float (float64); float32 stays float32. The binary
functions broadcast, and take a Python number as the other operand without changing the
tensor's dtype. `lerp` rounds as PyTorch does, one fused multiply-add per element, so its values
equal PyTorch's to the bit (a float16 lerp with a number as the weight runs in float32, as
PyTorch's does).

Example:
    >>> from tinygrad_lite import Tensor
    >>> x = Tensor([0.0, 0.5], requires_grad=True)
    >>> x.asin().sum().backward()
    >>> x.grad.tolist()  # 1/√(1 − x²)
    [1.0, 1.1547005383792517]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import dtypes
from . import ops as F

if TYPE_CHECKING:
    import numpy as np

    from .tensor import Tensor

__all__ = ["TensorMathMethods"]


class TensorMathMethods:
    """Elementary functions of `Tensor` (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def _wrap(self, other: Any, op: str) -> Tensor: ...

    # ------------------------------------------------------------------ trigonometry

    def tan(self) -> Tensor:
        """Elementwise tangent tan x; its derivative is 1 + tan² x."""
        return F.Tan.apply(self)

    def atan(self) -> Tensor:
        """Elementwise arctangent, in (−π/2, π/2); its derivative is 1/(1 + x²)."""
        return F.Atan.apply(self)

    def asin(self) -> Tensor:
        """Elementwise arcsine, in [−π/2, π/2] (NaN outside [−1, 1]); derivative 1/√(1 − x²)."""
        return F.Asin.apply(self)

    def acos(self) -> Tensor:
        """Elementwise arccosine, in [0, π] (NaN outside [−1, 1]); derivative −1/√(1 − x²)."""
        return F.Acos.apply(self)

    def atan2(self, other: Any) -> Tensor:
        """The angle of the point (other, self), in [−π, π], elementwise: PyTorch's atan2.

        The derivatives are other/(self² + other²) and −self/(self² + other²), both 0 at the
        origin (PyTorch's). Broadcasts.
        """
        return F.Atan2.apply(self, self._wrap(other, "atan2"))

    def hypot(self, other: Any) -> Tensor:
        """Elementwise √(self² + other²), without overflow; derivatives self/z and other/z."""
        return F.Hypot.apply(self, self._wrap(other, "hypot"))

    def sinc(self) -> Tensor:
        """Elementwise normalised sinc, sin(πx)/(πx), 1 at 0 (where its derivative is 0)."""
        return F.Sinc.apply(self)

    # ------------------------------------------------------------------ hyperbolic

    def sinh(self) -> Tensor:
        """Elementwise hyperbolic sine (eˣ − e⁻ˣ)/2; its derivative is cosh x."""
        return F.Sinh.apply(self)

    def cosh(self) -> Tensor:
        """Elementwise hyperbolic cosine (eˣ + e⁻ˣ)/2; its derivative is sinh x."""
        return F.Cosh.apply(self)

    def asinh(self) -> Tensor:
        """Elementwise inverse hyperbolic sine ln(x + √(x² + 1)); derivative 1/√(x² + 1)."""
        return F.Asinh.apply(self)

    def acosh(self) -> Tensor:
        """Elementwise inverse hyperbolic cosine, for x ≥ 1 (NaN below); derivative 1/√(x² − 1)."""
        return F.Acosh.apply(self)

    def atanh(self) -> Tensor:
        """Elementwise inverse hyperbolic tangent ½ ln((1 + x)/(1 − x)); derivative 1/(1 − x²)."""
        return F.Atanh.apply(self)

    # ------------------------------------------------------------------ logarithms

    def log2(self) -> Tensor:
        """Elementwise base-2 logarithm; its derivative is 1/(x ln 2)."""
        return F.Log2.apply(self)

    def log10(self) -> Tensor:
        """Elementwise base-10 logarithm; its derivative is 1/(x ln 10)."""
        return F.Log10.apply(self)

    def exp2(self) -> Tensor:
        """Elementwise 2ˣ; its derivative is 2ˣ ln 2."""
        return F.Exp2.apply(self)

    def logit(self, eps: float | None = None) -> Tensor:
        """Elementwise ln(z/(1 − z)), the inverse of the sigmoid, with z = self.

        Args:
            eps: when given (and ≥ 0), z is self clamped to [eps, 1 − eps], and the derivative
                is 0 outside that interval, as in PyTorch. Without it, values outside [0, 1]
                give NaN.
        """
        return F.Logit.apply(self, eps=eps)

    def logaddexp(self, other: Any) -> Tensor:
        """Elementwise ln(eˢᵉˡᶠ + eᵒᵗʰᵉʳ), without overflow; derivatives σ(self − other), ...

        Broadcasts; the derivative for `other` is σ(other − self).
        """
        return F.LogAddExp.apply(self, self._wrap(other, "logaddexp"))

    def logaddexp2(self, other: Any) -> Tensor:
        """Elementwise log₂(2ˢᵉˡᶠ + 2ᵒᵗʰᵉʳ), without overflow (broadcasts)."""
        return F.LogAddExp2.apply(self, self._wrap(other, "logaddexp2"))

    def xlogy(self, other: Any) -> Tensor:
        """Elementwise self·ln(other), and 0 where self is 0, even where other is 0 or ∞.

        NaN where other is NaN. Derivatives ln(other) and self/other, with PyTorch's values
        where self = 0 (see `ops.XLogY`). Broadcasts.
        """
        return F.XLogY.apply(self, self._wrap(other, "xlogy"))

    # ------------------------------------------------------------------ interpolation

    def lerp(self, end: Any, weight: Any) -> Tensor:
        """Self + weight·(end − self), elementwise with broadcasting: a number or a tensor weight.

        Rounded as PyTorch rounds it (one fused multiply-add from the end nearer to the weight,
        see `ops.lerp`). The derivatives are 1 − weight, weight and end − self.

        Example:
            >>> from tinygrad_lite import Tensor
            >>> Tensor([0.0, 10.0]).lerp(Tensor([1.0, 20.0]), 0.25).tolist()
            [0.25, 12.5]
        """
        e = self._wrap(end, "lerp")
        if self.data.dtype is dtypes.HALF and weight.__class__ in (float, int):
            if e.data.dtype is dtypes.HALF:  # PyTorch lerps in float32, the weight unrounded
                w = dtypes.scalar_operand(weight, dtypes.OPMATH, "lerp")
                x, y = F.Cast.apply(self, dtype=w.dtype), F.Cast.apply(e, dtype=w.dtype)
                z = F.Lerp.apply(x, y, e._make(w, False, None))
                return F.Cast.apply(z, dtype=e.data.dtype)
        return F.Lerp.apply(self, e, self._wrap(weight, "lerp"))

    # ------------------------------------------------------------------ aliases (NumPy's names)

    def arctan(self) -> Tensor:
        """Alias of `atan`."""
        return self.atan()

    def arcsin(self) -> Tensor:
        """Alias of `asin`."""
        return self.asin()

    def arccos(self) -> Tensor:
        """Alias of `acos`."""
        return self.acos()

    def arcsinh(self) -> Tensor:
        """Alias of `asinh`."""
        return self.asinh()

    def arccosh(self) -> Tensor:
        """Alias of `acosh`."""
        return self.acosh()

    def arctanh(self) -> Tensor:
        """Alias of `atanh`."""
        return self.atanh()

    def arctan2(self, other: Any) -> Tensor:
        """Alias of `atan2`."""
        return self.atan2(other)
