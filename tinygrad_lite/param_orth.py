"""PyTorch's `nn.utils.parametrizations.orthogonal`: a weight kept orthogonal by a parametrization.

The maps (matrix exponential, Cayley, Householder) are written with differentiable ops, so
gradients of every order reach the original; `param_maps` gathers it with the norms.
"""

from __future__ import annotations

from enum import Enum, auto
from typing import Any, TypeVar

import numpy as np

from .fn_tensors import cat
from .linalg_base import solve
from .linalg_solves import matrix_exp
from .module import Module
from .parametrize import register_parametrization
from .rng import generator as default_generator
from .tensor import Tensor

__all__ = ["orthogonal"]

M = TypeVar("M", bound=Module)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _eye_like(shape: tuple[int, ...], dtype: Any, value: float = 1.0) -> np.ndarray:
    """Zeros of `shape` with `value` on the diagonal of each matrix (rectangular allowed)."""
    out = np.zeros(shape, dtype=dtype)
    k = min(shape[-2], shape[-1])
    out[..., np.arange(k), np.arange(k)] = value
    return out


def _householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first k columns of H₁H₂···H_k, Hᵢ = I − τᵢ vᵢvᵢᵀ (torch's householder_product).

    vᵢ is column i of A below the diagonal, with 1 on the diagonal and 0 above; A is (..., n, k)
    with n >= k and τ is (..., k). Written with products, so it is differentiable in A and τ.
    """
    n, k = A.shape[-2], A.shape[-1]
    eye = _eye_like((n, k), A.dtype)
    V = A.tril(-1) + Tensor(eye)
    Q: Tensor = Tensor(np.broadcast_to(eye, A.shape).copy())
    for i in reversed(range(k)):
        v = V[..., :, i : i + 1]
        t = tau[..., i : i + 1].unsqueeze(-1)
        Q = Q - (v * t) @ (v.mT @ Q)
    return Q


def _is_orthogonal(Q: np.ndarray) -> bool:
    n, k = Q.shape[-2], Q.shape[-1]
    eps = 10.0 * n * np.finfo(Q.dtype).eps
    return bool(np.allclose(np.swapaxes(Q, -1, -2) @ Q, np.eye(k, dtype=Q.dtype), atol=eps))


def _make_orthogonal(A: np.ndarray) -> np.ndarray:
    """The Q of A = QR (A tall) with diag(R) made non-negative by flipping Q's columns."""
    q, r = np.linalg.qr(A)
    return (q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]).astype(A.dtype)


class _Orthogonal(Module):
    """The parametrization of `orthogonal` (PyTorch's, map by map)."""

    def __init__(
        self, weight: Tensor, orthogonal_map: _OrthMaps, *, use_trivialization: bool = True
    ) -> None:
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        """Q(X): an orthogonal matrix (orthonormal columns, or rows if wide) from each X."""
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                X = cat([X, Tensor(np.zeros((*X.shape[:-2], n, n - k), X.dtype))], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = matrix_exp(A)
            else:
                Id = Tensor(np.eye(n, dtype=A.dtype))
                Q = solve(Id - 0.5 * A, Id + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # torch casts the diagonal (±1) to int: no gradient reaches it
            Q = Q * X.diagonal(dim1=-2, dim2=-1).trunc().unsqueeze(-2)
        if "base" in self.__dict__["_buffers"]:
            base = self.__dict__["_buffers"]["base"]
            if base is None:
                raise RuntimeError(
                    "orthogonal: the base of the trivialization is not set; assign the weight "
                    "(module.weight = W) to set it"
                )
            Q = base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        """The original that gives Q (Q is made orthogonal first if it is not), no gradient.

        With the trivialization, `base` becomes Q (completed to a square orthogonal matrix
        with random columns if Q is not square) and the original is −I; without, only the
        Householder map is invertible (from the QR factorisation of Q).
        """
        if Q.shape != self.shape:
            raise ValueError(
                f"Expected a matrix or batch of matrices of shape {self.shape}. "
                f"Got a tensor of shape {Q.shape}."
            )
        q = Q.data
        n, k = q.shape[-2], q.shape[-1]
        transpose = n < k
        if transpose:
            q = np.swapaxes(q, -1, -2)
            n, k = k, n
        if "base" not in self.__dict__["_buffers"]:
            if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                raise NotImplementedError(
                    "It is not possible to assign to the matrix exponential or the Cayley "
                    "parametrizations when use_trivialization=False."
                )
            h, tau = np.linalg.qr(q, mode="raw")  # LAPACK's geqrf, transposed
            A = np.swapaxes(h, -1, -2).astype(q.dtype)
            diag = np.diagonal(A, axis1=-2, axis2=-1)
            signs = np.sign(diag) * np.where(tau == 0.0, -1.0, 1.0)
            idx = np.arange(diag.shape[-1])
            A[..., idx, idx] = signs
            return Tensor(np.swapaxes(A, -1, -2).copy() if transpose else A)
        if n == k:
            base = q.copy() if _is_orthogonal(q) else _make_orthogonal(q)
        else:
            rng = default_generator(None)
            N = rng.standard_normal((*q.shape[:-2], n, n - k)).astype(q.dtype)
            base = _make_orthogonal(np.concatenate([q, N], axis=-1))
        self.base = Tensor(base)
        return Tensor(_eye_like(Q.shape, Q.dtype, -1.0))


def orthogonal(
    module: M,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> M:
    r"""Constrain a matrix (or batch of matrices) to be orthogonal, as PyTorch's.

    The weight Q (n × k, or a batch) stays orthogonal: QᵀQ = I if tall, QQᵀ = I if wide. A
    wide weight is computed transposed. The maps from the original X (tall, n ≥ k):

    - "matrix_exp": Q = exp(A)[:, :k] with A = L − Lᵀ, L = tril(X) padded with zeros to n × n.
    - "cayley": Q = (I − A/2)⁻¹(I + A/2)[:, :k], the same A.
    - "householder": Q = H₁···H_k[:, :k] · diag(trunc(diag X)), Hᵢ = I − τᵢvᵢvᵢᵀ with vᵢ the
      i-th column of tril(X, −1) (1 on the diagonal) and τᵢ = 2 / (1 + ‖tril(X, −1)ᵢ‖²).

    The default map is "matrix_exp" for square weights and "householder" otherwise. With
    `use_trivialization` (the default), the parametrization keeps a buffer `base` and
    returns base · Q(X): registering (or assigning `module.weight = W`) sets base to W made
    orthogonal (W itself if it is, else the Q of its QR with diag(R) ≥ 0; a non-square W is
    completed with random columns from the library's generator) and the original to −I, so
    the weight starts at W. Without it, only "householder" can be assigned (the original
    becomes the QR's reflectors); the others keep the original and assignment raises
    NotImplementedError.

    Args:
        module: the module holding the weight.
        name: its name (a Parameter or buffer, at least 2-d).
        orthogonal_map: "matrix_exp", "cayley", "householder" or None.
        use_trivialization: keep `base` and parametrize around it.

    Returns:
        The module itself.

    Raises:
        ValueError: no tensor `name`, fewer than 2 dimensions, or an unknown map.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import nn
        >>> from tinygrad_lite.param_orth import orthogonal
        >>> m = orthogonal(nn.Linear(3, 5, seed=0))
        >>> W = m.weight.data
        >>> bool(np.allclose(W.T @ W, np.eye(3))), m.parametrizations.weight.original.shape
        (True, (5, 3))
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(
            f"orthogonal: {type(module).__name__} has no parameter or buffer with name {name!r}"
        )
    if weight.ndim < 2:
        raise ValueError(
            f"orthogonal: expected a matrix or batch of matrices. Got a tensor of {weight.ndim} "
            f"dimensions (shape {weight.shape})."
        )
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square else "householder"
    maps = ("matrix_exp", "cayley", "householder")
    if orthogonal_map not in maps:
        raise ValueError(
            'orthogonal: orthogonal_map has to be one of "matrix_exp", "cayley", '
            f'"householder". Got: {orthogonal_map!r}'
        )
    orth = _Orthogonal(
        weight, _OrthMaps[orthogonal_map], use_trivialization=bool(use_trivialization)
    )
    register_parametrization(module, name, orth, unsafe=True)
    return module
