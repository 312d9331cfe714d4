"""Square matrices of a Tensor: matrix_power, det, inverse, slogdet, logdet as methods.

Each works on a matrix or a batch of matrices (..., n, n); the determinants and the inverse are
the `ops.linalg` ops (float32 or float64, gradients of every order), the powers products taken
in PyTorch's order. `tg.matrix_power` calls `Tensor.matrix_power`; `tg.linalg` has the same
determinants and inverse as functions.

>>> from tinygrad_lite import tensor
>>> a = tensor([[3.0, 1.0], [1.0, 2.0]])
>>> round(a.det().item(), 12), a.slogdet().sign.item()
(5.0, 1.0)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .. import ops as F
from ..tensor_shape import constant_result

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["SlogdetResult", "TensorMatrixMethods"]


class SlogdetResult(NamedTuple):
    """What `slogdet` returns: det(A) = sign·exp(logabsdet).

    Attributes:
        sign: −1, 0 or 1 for each matrix (no gradient).
        logabsdet: log|det A| for each matrix (−∞ for a singular one).
    """

    sign: Tensor
    logabsdet: Tensor


class TensorMatrixMethods:
    """Powers, determinants and the inverse of `Tensor`'s square matrices."""

    __slots__ = ()

    def matrix_power(self, n: int) -> Tensor:
        """The n-th power of a (batch of) square matrices; n = 0 gives the identity.

        The products are taken in PyTorch's order (binary powers), so the rounding is the same.
        A negative n is the power of the inverse (float matrices only; a singular one is
        refused), as PyTorch computes it.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[1, 1], [0, 1]]).matrix_power(3).tolist()
            [[1, 3], [0, 1]]
        """
        a: Tensor = self  # type: ignore[assignment]
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"matrix_power: n must be an int, got {n!r}")
        if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
            raise ValueError(
                f"matrix_power: needs (batches of) square matrices, got shape {a.shape}"
            )
        n = int(n)
        if n < 0:
            if a.dtype.kind != "f":
                raise TypeError(
                    f"matrix_power: n = {n} takes the inverse, which needs floating-point "
                    f"matrices, got dtype {a.dtype}"
                )
            a, n = F.Inv.apply(a), -n
        if n == 0:  # the identity, in the graph with gradient 0 (as PyTorch's), NaN or not
            eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
            everywhere = constant_result(np.ones(a.shape, dtype=bool))
            return F.Where.apply(everywhere, constant_result(np.ascontiguousarray(eye)), a)
        if n == 1:
            return a.clone()
        if n == 2:
            return a @ a
        if n == 3:
            return (a @ a) @ a
        z: Tensor | None = None
        result: Tensor | None = None
        while n > 0:
            bit, n = n % 2, n // 2
            z = a if z is None else z @ z
            if bit:
                result = z if result is None else result @ z
        assert result is not None
        return result

    def det(self) -> Tensor:
        """The determinant of a matrix or of each matrix of a batch (..., n, n), by LU.

        A singular matrix has determinant 0 and, as in PyTorch, gradient 0.
        """
        return F.Det.apply(self)

    def inverse(self) -> Tensor:
        """A⁻¹ for a matrix or each matrix of a batch (..., n, n); a singular one is refused."""
        return F.Inv.apply(self)

    def slogdet(self) -> SlogdetResult:
        """(sign, log|det A|) for a matrix or each matrix of a batch, as a named tuple.

        log|det A| does not overflow where det(A) would; only it carries a gradient, A⁻ᵀ.
        """
        return SlogdetResult(F.SlogdetSign.apply(self), F.Slogdet.apply(self))

    def logdet(self) -> Tensor:
        """Log det A for a matrix or each matrix of a batch: NaN where det < 0, −∞ where 0.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]]).logdet().tolist()
            [0.0, nan]
        """
        sign, logabsdet = self.slogdet()
        nan = constant_result(np.array(np.nan, dtype=logabsdet.dtype))
        return F.Where.apply(sign < 0, nan, logabsdet)
