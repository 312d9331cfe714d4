"""Pseudo-inverses and triangular solves, batched: Pinv and SolveTriangular.

Forwards are NumPy's (an SVD, or eigh for a Hermitian matrix; a solve on the triangle read);
backwards are PyTorch's formulas written with the ops themselves, so gradients of every order
exist. `SolveTriangular` is also what the Cholesky and QR backwards in `decomp` solve with.

>>> from tinygrad_lite import ops, tensor
>>> a, b = tensor([[2.0, 0.0], [1.0, 1.0]]), tensor([[2.0], [3.0]])
>>> ops.SolveTriangular.apply(a, b, upper=False, left=True, unitriangular=False).tolist()
[[1.0], [2.0]]
"""

from __future__ import annotations

import functools

from .. import tracing
from .base import Any, Context, Function, call, kept, np, register
from .linalg import _check_float, _mT, check_matrix, check_square

__all__ = ["Pinv", "SolveTriangular", "rank_mask", "spectrum"]


def spectrum(a: Any, hermitian: bool) -> tuple[Any, Any, Any]:
    """(U, s, Vh): the SVD, or with `hermitian` eigh of the lower triangle (s = λ, Vh = Uᵀ)."""
    if hermitian:
        w, u = np.linalg.eigh(a)
        return u, w, _mT(u)
    return np.linalg.svd(a, full_matrices=False)


def rank_mask(a: Any, s: Any, atol: Any, rtol: Any) -> Any:
    """Where |s| > max(atol, rtol·max|s|): the singular values that count (PyTorch's rule).

    Defaults: atol 0; rtol ε·max(m, n), or 0 where a positive atol is given.
    """
    eps = np.finfo(a.dtype).eps * max(a.shape[-2:])
    atol_ = np.asarray(0.0 if atol is None else atol, a.dtype)
    rtol_ = np.asarray(rtol if rtol is not None else np.where(atol_ > 0, 0.0, eps), a.dtype)
    big = np.abs(s).max(axis=-1, keepdims=True, initial=0.0)
    return np.abs(s) > np.maximum(atol_[..., None], rtol_[..., None] * big)


def _pinv(a: Any, atol: Any, rtol: Any, hermitian: bool) -> Any:
    u, s, vh = spectrum(a, hermitian)
    keep = rank_mask(a, s, atol, rtol)
    inverse = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(a.dtype)
    return (_mT(vh) * inverse[..., None, :]) @ _mT(u)


def _pinv_reference(a: Any, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Any:
    """(AᵀA)⁻¹Aᵀ for m ≥ n, Aᵀ(AAᵀ)⁻¹ otherwise: of full-rank matrices only."""
    if a.shape[-2] >= a.shape[-1]:
        return np.linalg.solve(_mT(a) @ a, _mT(a))
    return _mT(np.linalg.solve(a @ _mT(a), a))


@register("pinv", arity=1, domain="well_conditioned", kind="pinv", reference=_pinv_reference)
class Pinv(Function):
    """P = A⁺ (..., n, m), the Moore–Penrose pseudo-inverse: V·diag(1/σ)·Uᵀ over the σ that count.

    The σ > max(atol, rtol·σ₁) count (see `rank_mask`); `hermitian`: from the eigenvalues of A's
    lower triangle. Ā = −Pᵀ·P̄·Pᵀ + (I − A·P)·P̄ᵀ·P·Pᵀ + Pᵀ·P·P̄ᵀ·(I − P·A) (PyTorch's
    formula, with A as given): the derivative where the rank does not change.
    """

    @staticmethod
    def forward(
        ctx: Context, a: Any, atol: Any = None, rtol: Any = None, hermitian: Any = False
    ) -> Any:
        (check_square if hermitian else check_matrix)("pinv", a)
        out = tracing.replayed(
            functools.partial(_pinv, atol=atol, rtol=rtol, hermitian=hermitian), a
        )
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        a, p = ctx.saved
        pt, gt = _mT(p), _mT(grad)
        if a.shape[-2] <= a.shape[-1]:  # PyTorch's order: the smaller products
            k = gt @ p
            kpt = k @ pt
            return (-_mT(p @ k) + kpt - (a @ p) @ kpt + (pt @ p) @ (gt - k @ a),)
        k = p @ gt
        ptk = pt @ k
        return (-_mT(k @ p) + (gt - a @ k) @ p @ pt + ptk - ptk @ p @ a,)

    formula = ("−{out}ᵀ·{g}·{out}ᵀ + (I − {0}·{out})·{g}ᵀ·{out}·{out}ᵀ + …",)


def _triangle(n: int, upper: bool, unitriangular: bool) -> Any:
    """Where the triangle a triangular solve reads lies (the diagonal left out if unit)."""
    lower = np.tri(n, k=-1 if unitriangular else 0, dtype=bool)
    return lower.T if upper else lower


def _triangular(a: Any, upper: bool, unitriangular: bool) -> Any:
    t = np.where(_triangle(a.shape[-1], upper, unitriangular), a, 0)
    return t + np.eye(a.shape[-1], dtype=a.dtype) if unitriangular else t


def _solve_triangular(a: Any, b: Any, upper: bool, left: bool, unitriangular: bool) -> Any:
    t = _triangular(a, upper, unitriangular)
    zero = np.argwhere(np.diagonal(t, axis1=-2, axis2=-1) == 0)
    if len(zero):
        raise np.linalg.LinAlgError(
            f"solve_triangular: the triangle is singular: a zero on its diagonal (position "
            f"{tuple(int(i) for i in zero[0])} of the diagonals {t.shape[:-1]}; PyTorch "
            "returns inf or NaN)"
        )
    if not left:  # X·T = B is Tᵀ·Xᵀ = Bᵀ
        t, b = _mT(t), _mT(b)
    batch, n = np.broadcast_shapes(t.shape[:-2], b.shape[:-2]), t.shape[-1]
    x = np.linalg.solve(
        np.broadcast_to(t, batch + (n, n)), np.broadcast_to(b, batch + b.shape[-2:])
    )
    return x if left else _mT(x)


def _solve_triangular_reference(
    a: Any, b: Any, upper: bool, left: bool = True, unitriangular: bool = False
) -> Any:
    inverse = np.linalg.inv(_triangular(a, upper, unitriangular))
    return inverse @ b if left else b @ inverse


@register(
    "solve_triangular",
    arity=2,
    domain=("well_conditioned", "real"),
    kind="triangular",
    reference=_solve_triangular_reference,
)
class SolveTriangular(Function):
    """X with T·X = B (`left`) or X·T = B, for T the upper or lower triangle of A.

    T's diagonal is taken as ones if `unitriangular`; A (..., n, n), B (..., n, k) (or
    (..., k, n) for X·T = B), batch dims broadcast. B̄ = the same solve with Tᵀ and Ḡ;
    Ā = −B̄·Xᵀ (or −Xᵀ·B̄) on T's triangle only, 0 elsewhere.

    Raises:
        np.linalg.LinAlgError: a zero on T's diagonal (a ValueError).
        ValueError: shapes that do not fit the equation.
    """

    @staticmethod
    def forward(
        ctx: Context, a: Any, b: Any, upper: bool, left: bool = True, unitriangular: bool = False
    ) -> Any:
        check_square("solve_triangular", a)
        _check_float("solve_triangular", "B", b)
        n, eq = a.shape[-1], ("AX = B", "(..., n, k)") if left else ("XA = B", "(..., k, n)")
        try:
            fits = b.ndim >= 2 and b.shape[-2 if left else -1] == n
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2] if fits else ())
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"solve_triangular: A of shape {tuple(a.shape)} and B of shape {tuple(b.shape)} "
                f"do not fit the equation {eq[0]}: B must be {eq[1]} with n = {n}, and batch "
                "dims that broadcast"
            )
        params = {"upper": upper, "left": left, "unitriangular": unitriangular}
        out = tracing.replayed(functools.partial(_solve_triangular, **params), a, b)
        ctx.save_for_backward(a, out, params)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        a, x, params = ctx.saved
        gb = call(SolveTriangular, _mT(a), grad, **{**params, "upper": not params["upper"]})
        if not ctx.needs_input_grad[0]:
            return (None, gb)
        ga = -(gb @ _mT(x)) if params["left"] else -(_mT(x) @ gb)
        ga = kept(ga, _triangle(a.shape[-1], params["upper"], params["unitriangular"]))
        return (ga, gb if ctx.needs_input_grad[1] else None)

    formula = ("−tri(solve_triangular({0}ᵀ, {g}) · {out}ᵀ)", "solve_triangular({0}ᵀ, {g})")
