"""The Tensor's special functions: lgamma, digamma, polygamma, mvlgamma, erfinv, i0 and in place.

PyTorch's methods with its dtypes (an integer or bool tensor gives the default float; mvlgamma
refuses bools, as PyTorch does), its values at the poles and its gradients, of every order:
lgamma′ = ψ, ψ′ = ψ⁽¹⁾, ψ⁽ⁿ⁾′ = ψ⁽ⁿ⁺¹⁾, erfinv′ = √π/2·e^(erfinv²), I₀′ = I₁. The in-place forms
follow `tensor_inplace`'s rules (a float result into an integer tensor is refused).

>>> from tinygrad_lite import tensor
>>> x = tensor([1.0, 2.0, 0.5])
>>> x.digamma().round(decimals=10).tolist()
[-0.5772156649, 0.4227843351, -1.963510026]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes
from ..ops.bessel import I0
from ..ops.erfs import Erfc, Erfinv
from ..ops.gammas import Digamma, Lgamma, Polygamma

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["TensorSpecialMethods", "check_order"]


def check_order(n: Any, op: str = "polygamma") -> int:
    """`n` as the order of a polygamma: a Python or NumPy integer ≥ 0, as PyTorch requires."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{op}: n must be an int, got {type(n).__name__} {n!r}")
    if n < 0:
        raise ValueError(f"{op}: polygamma(n, x) does not support negative n, got n = {n}")
    return int(n)


def _check_p(p: Any, x: Tensor, op: str) -> int:
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
        raise TypeError(f"{op}: p must be an int, got {type(p).__name__} {p!r}")
    if p < 1:
        raise ValueError(f"{op}: p has to be greater than or equal to 1, got p = {p}")
    if x.data.dtype == np.bool_:
        raise TypeError(f"{op}: the input tensor may not be a boolean tensor")
    return int(p)


class TensorSpecialMethods:
    """Special-function methods of `Tensor` (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def _in_place(
            self, what: str, op: Callable[[Any, Any], Tensor], other: Any, ufunc: Any = None
        ) -> Tensor: ...

    def lgamma(self) -> Tensor:
        """The log-gamma function ln |Γ(x)|, elementwise (+∞ at the poles); d/dx = ψ(x).

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1.0, 3.0, 0.0]).lgamma().tolist()
            [0.0, 0.6931471805599453, inf]
        """
        return Lgamma.apply(self)

    def digamma(self) -> Tensor:
        """ψ(x) = Γ′(x)/Γ(x), elementwise; ψ(±0) = ∓∞, NaN at the negative integers.

        d/dx = ψ⁽¹⁾(x).
        """
        return Digamma.apply(self)

    def polygamma(self, n: int) -> Tensor:
        """ψ⁽ⁿ⁾(x), the n-th derivative of ψ (n ≥ 0; ψ⁽⁰⁾ = ψ), elementwise.

        ψ⁽ⁿ⁾(x) = (−1)ⁿ⁺¹ n! Σₖ 1/(x + k)ⁿ⁺¹ for n ≥ 1; d/dx = ψ⁽ⁿ⁺¹⁾(x).

        Example:
            >>> from tinygrad_lite import tensor
            >>> round(tensor([1.0]).polygamma(1).item(), 12)  # π²/6
            1.644934066848
        """
        n = check_order(n)
        return Digamma.apply(self) if n == 0 else Polygamma.apply(self, n=n)

    def mvlgamma(self, p: int) -> Tensor:
        """The multivariate log-gamma ln Γₚ(x) = p(p − 1)/4·ln π + Σᵢ₌₀^(p−1) lgamma(x − i/2).

        Example:
            >>> from tinygrad_lite import tensor
            >>> round(tensor([2.5]).mvlgamma(2).item(), 10)
            0.8570478134
        """
        t: Tensor = self  # type: ignore[assignment]
        p = _check_p(p, t, "mvlgamma")
        if t.data.dtype.kind != "f":
            t = t.astype(dtypes.DEFAULT_FLOAT)
        # x − (p − 1)/2, ..., x − ½, x: PyTorch's order of the terms
        offsets = (np.arange(p, dtype=np.float64)[::-1] * -0.5).astype(t.data.dtype)
        args = t.unsqueeze(-1) + offsets
        return Lgamma.apply(args).sum(-1) + p * (p - 1) * 0.25 * math.log(math.pi)

    def erfinv(self) -> Tensor:
        """The inverse error function: erf(erfinv(x)) = x; ±∞ at ±1, NaN outside [−1, 1].

        d/dx = √π/2·e^(erfinv(x)²).
        """
        return Erfinv.apply(self)

    def erfc(self) -> Tensor:
        """1 − erf(x), accurate where it is tiny (x ≫ 1); d/dx = −2/√π·e^(−x²)."""
        return Erfc.apply(self)

    def i0(self) -> Tensor:
        """I₀(x) = Σₖ (x/2)²ᵏ/(k!)², the modified Bessel function of order 0; d/dx = I₁(x)."""
        return I0.apply(self)

    # ------------------------------------------------------------------ in place

    def lgamma_(self) -> Tensor:
        """`lgamma` in place."""
        return self._in_place("lgamma_", lambda a, _: a.lgamma(), None)

    def digamma_(self) -> Tensor:
        """`digamma` in place."""
        return self._in_place("digamma_", lambda a, _: a.digamma(), None)

    def polygamma_(self, n: int) -> Tensor:
        """`polygamma` in place."""
        n = check_order(n, "polygamma_")
        return self._in_place("polygamma_", lambda a, _: a.polygamma(n), None)

    def mvlgamma_(self, p: int) -> Tensor:
        """`mvlgamma` in place."""
        return self._in_place("mvlgamma_", lambda a, _: a.mvlgamma(p), None)

    def erfinv_(self) -> Tensor:
        """`erfinv` in place."""
        return self._in_place("erfinv_", lambda a, _: a.erfinv(), None)

    def i0_(self) -> Tensor:
        """`i0` in place."""
        return self._in_place("i0_", lambda a, _: a.i0(), None)

    def erfc_(self) -> Tensor:
        """`erfc` in place."""
        return self._in_place("erfc_", lambda a, _: a.erfc(), None)
