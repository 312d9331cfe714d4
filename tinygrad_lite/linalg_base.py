"""PyTorch's linalg inverse, determinants and solves: `tg.linalg.inv`, `det`, `slogdet`, `solve`.

Each works on a matrix or a batch of matrices (..., n, n) of float32 or float64, with gradients
of every order (the ops in `ops.linalg`). The top-level `tg.inverse`, `tg.det`, `tg.logdet`
and `tg.slogdet` are PyTorch's aliases of them.

>>> import tinygrad_lite as tg
>>> a = tg.tensor([[3.0, 1.0], [1.0, 2.0]])
>>> tg.linalg.solve(a, tg.tensor([9.0, 8.0])).tolist()
[2.0, 3.0]
>>> tg.linalg.slogdet(a).sign.item(), round(tg.linalg.det(a).item(), 12)
(1.0, 5.0)
"""

from __future__ import annotations

from typing import Any

from .ops import Solve
from .tensor import Tensor
from .tensor_more.matrices import SlogdetResult

__all__ = [
    "SlogdetResult",
    "det",
    "inv",
    "inverse",
    "logdet",
    "slogdet",
    "solve",
    "tensor_arg",
]


def tensor_arg(x: Any, fn: str) -> Tensor:
    """`x` if it is a Tensor; otherwise a TypeError naming `fn` (linalg takes no arrays)."""
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}: expected a Tensor, got {type(x).__name__}; wrap arrays with "
            "tinygrad_lite.tensor(...)"
        )
    return x


def inv(A: Tensor) -> Tensor:
    """A⁻¹ for a matrix or each matrix of a batch (..., n, n).

    Raises:
        numpy.linalg.LinAlgError: a singular matrix (a ValueError).
        TypeError: an integer or bool tensor.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.linalg.inv(tg.tensor([[2.0, 0.0], [0.0, 4.0]])).tolist()
        [[0.5, 0.0], [0.0, 0.25]]
    """
    return tensor_arg(A, "inv").inverse()


def det(A: Tensor) -> Tensor:
    """The determinant of a matrix or of each matrix of a batch (..., n, n), by LU factorisation.

    The gradient is the matrix of cofactors, also at a singular matrix (determinant 0), where
    it is not 0 if the rank is n − 1 (PyTorch gives 0 there when its LU meets an exact zero
    pivot).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.linalg.det(tg.tensor([[1.0, 2.0], [2.0, 4.0]])).item()
        0.0
    """
    return tensor_arg(A, "det").det()


def slogdet(A: Tensor) -> SlogdetResult:
    """(sign, log|det A|) for a matrix or each matrix of a batch, as a named tuple.

    log|det A| does not overflow where det(A) would; only it carries a gradient, A⁻ᵀ.

    Example:
        >>> import tinygrad_lite as tg
        >>> sign, logabsdet = tg.linalg.slogdet(tg.tensor([[0.0, 2.0], [3.0, 0.0]]))
        >>> sign.item(), round(logabsdet.exp().item(), 12)
        (-1.0, 6.0)
    """
    return tensor_arg(A, "slogdet").slogdet()


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A·X = B (`left=True`) or X·A = B (`left=False`), for A (..., n, n).

    B is a batch of vectors when it is 1-D or when its shape is A's without the last dim
    (PyTorch's rule); otherwise a batch of matrices, (..., n, k) for A·X = B and (..., k, n)
    for X·A = B (which, as in PyTorch, takes no vectors). The batch dims of A and B broadcast.

    Raises:
        numpy.linalg.LinAlgError: a singular A (a ValueError).
        ValueError: shapes that do not fit the equation.
        TypeError: an integer or bool tensor, or A and B of different dtypes (as PyTorch).

    Example:
        >>> import tinygrad_lite as tg
        >>> a = tg.tensor([[2.0, 0.0], [0.0, 4.0]])
        >>> tg.linalg.solve(a, tg.tensor([[2.0, 4.0]]), left=False).tolist()
        [[1.0, 1.0]]
    """
    A, B = tensor_arg(A, "solve"), tensor_arg(B, "solve")
    if A.ndim < 2 or B.ndim < 1:
        raise ValueError(
            f"solve: A must be (..., n, n) and B at least 1-D, got shapes {A.shape} and {B.shape}"
        )
    if A.dtype != B.dtype and A.dtype.kind == B.dtype.kind == "f":  # Solve refuses integers
        raise TypeError(f"solve: A and B must have the same dtype, got {A.dtype} and {B.dtype}")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if left:
        return Solve.apply(A, B.unsqueeze(-1)).squeeze(-1) if vector else Solve.apply(A, B)
    n = A.shape[-1]  # X·A = B is Aᵀ·Xᵀ = Bᵀ
    if vector or B.shape[-1] != n:
        raise ValueError(
            f"solve: A of shape {A.shape} and B of shape {B.shape} do not fit the equation "
            f"XA = B: B must be a batch of matrices (..., k, {n})"
            + (" (a row vector is (..., 1, n))" if vector else "")
        )
    return Solve.apply(A.mT, B.mT).mT


def inverse(input: Tensor) -> Tensor:
    """`torch.inverse`: the same as `linalg.inv`.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.inverse(tg.tensor([[0.0, 1.0], [1.0, 0.0]])).tolist()
        [[0.0, 1.0], [1.0, 0.0]]
    """
    return tensor_arg(input, "inverse").inverse()


def logdet(input: Tensor) -> Tensor:
    """The log-determinant of a matrix or each matrix of a batch: NaN where det < 0, −∞ where 0.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.logdet(tg.tensor([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])).tolist()
        [0.0, nan]
    """
    return tensor_arg(input, "logdet").logdet()
