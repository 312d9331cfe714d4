"""Matrix decompositions: Cholesky, symmetric eigen, QR and SVD (`solves` has pinv, triangles).

Forwards are NumPy's LAPACK routines; backwards are PyTorch's formulas written with the ops
themselves (matmul, `Cat`, `SolveTriangular` for each R⁻¹ or L⁻¹), so gradients of every order
exist. A backward may read only its op's inputs and output, so a decomposition's factors are
packed into one array whose column j holds the j-th of each (λⱼ, vⱼ; uⱼ, σⱼ, vⱼ; qⱼ and row j of
R): one LAPACK call gives factors whose signs agree. `tinygrad_lite.linalg_decomp` unpacks them.
`Cholesky` and `Eigh` factor S = (A + Aᵀ)/2, so that PyTorch's symmetric gradient is exactly
the derivative of what they compute. Eigen- and singular vectors are LAPACK's, each defined up to
sign; their gradient, which does not exist where the values repeat, is refused there.

>>> from tinygrad_lite import ops, tensor
>>> ops.Cholesky.apply(tensor([[4.0, 2.0], [2.0, 5.0]])).tolist()
[[2.0, 0.0], [1.0, 2.0]]
"""

from __future__ import annotations

import functools

from .. import tracing
from .base import Any, Context, Function, call, is_tensor, kept, np, register, value
from .linalg import _mT, check_matrix, check_square
from .shape import Cat
from .solves import SolveTriangular

__all__ = ["QR", "SVD", "Cholesky", "Eigh"]


def _diag_embed(v: Any) -> Any:
    """The diagonal matrices with the vectors v (..., k) on their diagonals."""
    return v[..., None] * np.eye(v.shape[-1], dtype=v.dtype)


def _copyltu(m: Any) -> Any:
    """tril(M) + tril(M, −1)ᵀ: the symmetric matrix with M's lower triangle."""
    n = m.shape[-1]
    return kept(m, np.tri(n, dtype=bool)) + _mT(kept(m, np.tri(n, k=-1, dtype=bool)))


def _refuse_repeated(op: str, what: str, gaps: Any, values: Any) -> None:
    """Refuse a gradient that would divide by a zero gap between two of `values`."""
    if np.any((gaps == 0) & ~np.eye(gaps.shape[-1], dtype=bool)):
        raise np.linalg.LinAlgError(
            f"{op}: the vectors' gradient does not exist where {what}s repeat, as they do here: "
            f"{np.asarray(values).tolist()} (PyTorch returns inf or NaN); a function of the "
            f"{what}s alone, or of a whole eigenspace, is differentiable"
        )


def _backward(fn: Any, grad: Any, out: Any) -> tuple[Any]:
    """fn(grad, out) on Tensors, or as one call a compiled step makes anew (it tests values)."""
    return (fn(grad, out) if is_tensor(out) else tracing.replayed(fn, grad, out),)


def _sorted_eig(x: Any, descending: bool = False) -> tuple[Any, Any]:
    """The tests' eigenpairs of symmetric x by the general routine `np.linalg.eig`, sorted."""
    w, v = np.linalg.eig(x)
    order = np.argsort(-w.real if descending else w.real, axis=-1)
    v = np.take_along_axis(v.real, order[..., None, :], -1)
    return np.take_along_axis(w.real, order, -1), v / np.linalg.norm(v, axis=-2, keepdims=True)


def _signs_of(lapack: Any, v: Any) -> Any:
    """±1 per column: the signs that turn the columns v into LAPACK's (the tests' gauge)."""
    return np.where(np.sum(v * lapack, axis=-2, keepdims=True) < 0, -1.0, 1.0)


def _cholesky(a: Any) -> Any:
    try:
        return np.linalg.cholesky((a + _mT(a)) * 0.5)
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(
            f"cholesky: the matrix (or a matrix of the batch, shape {a.shape}) is not "
            "positive-definite; linalg.cholesky_ex tells which and where"
        ) from None


def _cholesky_reference(a: Any) -> Any:
    """Cholesky–Banachiewicz: Lᵢⱼ = (Sᵢⱼ − Σₖ LᵢₖLⱼₖ)/Lⱼⱼ and Lᵢᵢ = √(Sᵢᵢ − Σₖ Lᵢₖ²)."""
    s, low = (a + _mT(a)) / 2, np.zeros_like(a)
    for i in range(a.shape[-1]):
        for j in range(i + 1):
            t = s[..., i, j] - np.sum(low[..., i, :j] * low[..., j, :j], axis=-1)
            low[..., i, j] = np.sqrt(t) if i == j else t / low[..., j, j]
    return low


@register("cholesky", arity=1, domain="spd", kind="square", reference=_cholesky_reference)
class Cholesky(Function):
    """L = chol(S), S = (A + Aᵀ)/2: lower triangular with a positive diagonal and L·Lᵀ = S.

    Ā = L⁻ᵀ·Φ·L⁻¹ with Φ = (P + tril(P, −1)ᵀ)/2 and P = tril(Lᵀ·L̄) (PyTorch's formula).

    Raises:
        np.linalg.LinAlgError: a matrix that is not positive-definite (a ValueError).
    """

    @staticmethod
    def forward(ctx: Context, a: Any) -> Any:
        check_square("cholesky", a)
        out = tracing.replayed(_cholesky, a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (low,) = ctx.saved
        n = low.shape[-1]
        p = kept(_mT(low) @ grad, np.tri(n, dtype=bool))
        phi = (p + _mT(kept(p, np.tri(n, k=-1, dtype=bool)))) * 0.5
        x = call(SolveTriangular, _mT(low), phi, upper=True)
        return (call(SolveTriangular, low, x, upper=False, left=False),)

    formula = ("{out}⁻ᵀ · Φ({out}ᵀ · {g}) · {out}⁻¹",)


def _eigh(a: Any) -> Any:
    w, v = np.linalg.eigh((a + _mT(a)) * 0.5)
    return np.concatenate([w[..., None, :], v], axis=-2)


def _eigh_reference(a: Any) -> Any:
    s = (a + _mT(a)) / 2
    w, v = _sorted_eig(s)
    return np.concatenate([w[..., None, :], v * _signs_of(np.linalg.eigh(s)[1], v)], axis=-2)


def _eigh_gradient(grad: Any, out: Any) -> Any:
    w, v, gv = out[..., 0, :], out[..., 1:, :], grad[..., 1:, :]
    inner = _diag_embed(grad[..., 0, :])
    if np.any(value(gv) != 0):  # (with none, repeated eigenvalues are fine)
        gaps = w[..., None, :] - w[..., :, None]  # Eᵢⱼ = λⱼ − λᵢ
        _refuse_repeated("eigh", "eigenvalue", value(gaps), value(w))
        x = _mT(v) @ gv
        inner = inner + (x - _mT(x)) * 0.5 / (gaps + np.eye(w.shape[-1], dtype=w.dtype))
    return v @ inner @ _mT(v)


@register("eigh", arity=1, domain="separated", kind="square", reference=_eigh_reference)
class Eigh(Function):
    """S·V = V·diag(λ) for S = (A + Aᵀ)/2, packed as (..., n + 1, n): row 0 λ, rows 1: V.

    λ ascends; V's columns are orthonormal eigenvectors with LAPACK's signs.
    Ā = V·(diag(λ̄) + skew(Vᵀ·V̄)/2 ⊘ E)·Vᵀ with Eᵢⱼ = λⱼ − λᵢ (PyTorch's formula).

    Raises:
        np.linalg.LinAlgError: in the backward, repeated eigenvalues and a gradient on V.
    """

    @staticmethod
    def forward(ctx: Context, a: Any) -> Any:
        check_square("eigh", a)
        out = tracing.replayed(_eigh, a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        return _backward(_eigh_gradient, grad, ctx.saved[0])

    formula = ("V · (diag(ḡ_λ) + skew(Vᵀ · ḡ_V)/2 ⊘ E) · Vᵀ",)


def _qr(a: Any, mode: str) -> Any:
    q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
    return np.concatenate([q, _mT(r)], axis=-2)


def _qr_reference(a: Any, mode: str = "reduced") -> Any:
    """Householder reflections as LAPACK's dlarfg makes them: β = −sign(α)·‖x‖, none if x = αe₁."""
    (m, n), kq = a.shape[-2:], a.shape[-2] if mode == "complete" else min(a.shape[-2:])
    out = np.zeros(a.shape[:-2] + (m + n, kq))
    for i in np.ndindex(a.shape[:-2]):
        r, q = a[i].astype(np.float64), np.eye(m)
        for j in range(min(m, n)):
            x = r[j:, j].copy()
            if np.any(x[1:]):
                x[0] += np.copysign(np.linalg.norm(x), x[0])  # x − β·e₁
                h = np.eye(m - j) - 2 * np.outer(x, x) / (x @ x)
                r[j:], q[:, j:] = h @ r[j:], q[:, j:] @ h
        out[i] = np.concatenate([q[:, :kq], np.triu(r[:kq]).T])
    return out


def _qr_square_gradient(q: Any, r: Any, gq: Any, gr: Any) -> Any:
    """Ā = (Q̄ + Q·copyltu(R·R̄ᵀ − Q̄ᵀ·Q))·R⁻ᵀ for A = QR with R square."""
    b = gq + q @ _copyltu(r @ _mT(gr) - _mT(gq) @ q)
    return call(SolveTriangular, _mT(r), b, upper=False, left=False)


@register("qr", arity=1, domain="separated", kind="qr", reference=_qr_reference)
class QR(Function):
    """A = Q·R by Householder reflections, packed as (..., m + n, k): rows :m Q, rows m: Rᵀ.

    k = min(m, n), or m for mode "complete". For m ≥ n, Ā = (Q̄ + Q·copyltu(M))·R⁻ᵀ with
    M = R·R̄ᵀ − Q̄ᵀ·Q (PyTorch's formula); for m < n the same for the first m columns X = Q·U,
    with Q̄ + Y·V̄ᵀ for Q̄, and Ȳ = Q·V̄ for the rest Y = Q·V (R = [U V]). As in PyTorch, mode
    "r" (which computes Q too) has no gradient, nor has a complete QR of a tall matrix.

    Raises:
        NotImplementedError: in the backward, mode "r", or "complete" with m > n.
    """

    @staticmethod
    def forward(ctx: Context, a: Any, mode: str = "reduced") -> Any:
        check_matrix("qr", a)
        if mode not in ("reduced", "complete", "r"):
            raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
        out = tracing.replayed(functools.partial(_qr, mode=mode), a)
        ctx.save_for_backward(out, tuple(a.shape[-2:]), mode)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        out, (m, n), mode = ctx.saved
        if mode == "r" or (mode == "complete" and m > n):
            raise NotImplementedError(
                "qr: the derivative needs Q, which mode='r' does not return; use mode='reduced'"
                if mode == "r"
                else f"qr: mode='complete' of a tall {m}×{n} matrix is not differentiable (Q's "
                "last columns are any orthonormal completion); use mode='reduced'"
            )
        q, r = out[..., :m, :], _mT(out[..., m:, :])
        gq, gr = grad[..., :m, :], _mT(grad[..., m:, :])
        if m >= n:
            return (_qr_square_gradient(q, r, gq, gr),)
        gv = gr[..., m:]
        gx = _qr_square_gradient(q, r[..., :m], gq + q @ r[..., m:] @ _mT(gv), gr[..., :m])
        return (call(Cat, gx, q @ gv, dim=-1),)

    formula = ("(ḡ_Q + Q · copyltu(R · ḡ_Rᵀ − ḡ_Qᵀ · Q)) · R⁻ᵀ",)


def _svd(a: Any, full_matrices: bool) -> Any:
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    width = max(u.shape[-1], vh.shape[-2])
    parts = [u, s[..., None, :], _mT(vh)]  # the full factors' extra columns beside zeros
    pad = [((0, 0),) * (x.ndim - 1) + ((0, width - x.shape[-1]),) for x in parts]
    return np.concatenate([np.pad(x, p) for x, p in zip(parts, pad, strict=True)], axis=-2)


def _svd_reference(a: Any, full_matrices: bool = False) -> Any:
    """σ² and V (or U) as the eigenpairs of AᵀA (or AAᵀ), then AV/σ (or AᵀU/σ); reduced only."""
    tall = a.shape[-2] >= a.shape[-1]
    w, x = _sorted_eig(_mT(a) @ a if tall else a @ _mT(a), descending=True)
    s = np.sqrt(w)
    y = ((a if tall else _mT(a)) @ x) / s[..., None, :]
    u, v = (y, x) if tall else (x, y)
    flip = _signs_of(np.linalg.svd(a, full_matrices=False)[0], u)
    return np.concatenate([u * flip, s[..., None, :], v * flip], axis=-2)


def _svd_gradient(grad: Any, out: Any, m: int, n: int) -> Any:
    k = min(m, n)
    u, s, v = out[..., :m, :k], out[..., m, :k], out[..., m + 1 :, :k]
    gu, gs, gv = grad[..., :m, :k], grad[..., m, :k], grad[..., m + 1 :, :k]
    inner = _diag_embed(gs)
    du, dv = bool(np.any(value(gu) != 0)), bool(np.any(value(gv) != 0))
    if du or dv:
        s2 = s * s
        gaps = s2[..., None, :] - s2[..., :, None]  # Eⱼₖ = σₖ² − σⱼ²
        _refuse_repeated("svd", "singular value", value(gaps), value(s))
        if ((du and m > k) or (dv and n > k)) and np.any(value(s) == 0):
            raise np.linalg.LinAlgError(
                f"svd: the singular vectors' gradient of a {m}×{n} matrix divides by its "
                f"singular values, and one is 0: {value(s).tolist()} (PyTorch returns inf or NaN)"
            )
        gaps = gaps + np.eye(k, dtype=s.dtype)
        if du:
            x = _mT(u) @ gu
            inner = inner + (x - _mT(x)) / gaps * s[..., None, :]
        if dv:
            y = _mT(v) @ gv
            inner = inner + s[..., :, None] * ((y - _mT(y)) / gaps)
    ga = u @ inner @ _mT(v)
    if du and m > k:  # (I − UUᵀ)·Ū·S⁻¹·Vᵀ
        ga = ga + ((gu - u @ (_mT(u) @ gu)) / s[..., None, :]) @ _mT(v)
    if dv and n > k:  # U·S⁻¹·V̄ᵀ·(I − VVᵀ)
        ga = ga + u @ _mT((gv - v @ (_mT(v) @ gv)) / s[..., None, :])
    return ga


@register("svd", arity=1, domain="separated", kind="svd", reference=_svd_reference)
class SVD(Function):
    """A = U·diag(S)·Vᵀ, packed as (..., m + 1 + n, w): rows :m U, row m S, rows m + 1: V.

    S descends; V = Vhᵀ; w = min(m, n), or max(m, n) with `full_matrices` (zeros pad).
    Ā = U·(skew(UᵀŪ) ⊘ E·S + S·skew(VᵀV̄) ⊘ E + diag(S̄))·Vᵀ + (I − UUᵀ)·Ū·S⁻¹·Vᵀ +
    U·S⁻¹·V̄ᵀ·(I − VVᵀ), with skew(X) = X − Xᵀ and Eⱼₖ = σₖ² − σⱼ² (PyTorch's formula). With
    `full_matrices`, as in PyTorch, the columns of U and V past min(m, n) (any orthonormal
    completion) carry no gradient.

    Raises:
        np.linalg.LinAlgError: in the backward, a gradient on U or V and repeated singular
            values (or, for m ≠ n, a zero one).
    """

    @staticmethod
    def forward(ctx: Context, a: Any, full_matrices: bool = False) -> Any:
        check_matrix("svd", a)
        out = tracing.replayed(functools.partial(_svd, full_matrices=full_matrices), a)
        ctx.save_for_backward(out, tuple(a.shape[-2:]))
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        out, (m, n) = ctx.saved
        return _backward(functools.partial(_svd_gradient, m=m, n=n), grad, out)

    formula = ("U · (skew(Uᵀ·ḡ_U) ⊘ E · S + S · skew(Vᵀ·ḡ_V) ⊘ E + diag(ḡ_S)) · Vᵀ + …",)
