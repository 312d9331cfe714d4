"""PyTorch's linalg matrix exponential, solves and condition numbers: matrix_exp, cond, inv_ex, ...

`matrix_exp`, `tensorinv`, `tensorsolve`, `inv_ex`, `solve_ex` and `cond`, with `torch.linalg`'s
signatures, values and refusals. Each is composed of differentiable ops (products, `Inv`,
`Solve`), so gradients of every order come from the composition. `inv_ex` and `solve_ex` report
singular matrices in `info` (LAPACK's getrf code: the position of the first zero pivot of the LU
factorisation with partial pivoting) instead of raising, unless `check_errors=True`.

>>> import tinygrad_lite as tg
>>> from tinygrad_lite.linalg_solves import inv_ex
>>> inv_ex(tg.tensor([[[2.0, 0.0], [0.0, 4.0]], [[1.0, 2.0], [2.0, 4.0]]])).info.tolist()
[0, 2]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from . import ops as F
from . import tracing
from .linalg_base import solve, tensor_arg
from .linalg_decomp import svdvals
from .linalg_more import matrix_norm
from .ops import Inv
from .ops.linalg import check_matrix, check_square
from .tensor import Tensor
from .tensor_shape import dim_arg

__all__ = [
    "InvExResult",
    "SolveExResult",
    "cond",
    "inv_ex",
    "matrix_exp",
    "solve_ex",
    "tensorinv",
    "tensorsolve",
]


# bⱼ of the [m/m] Padé approximant of eˣ, (2m − j)! / (j! (m − j)!): integers, exact in float64.
_PADE = {
    m: tuple(
        float(math.factorial(2 * m - j) // (math.factorial(j) * math.factorial(m - j)))
        for j in range(m + 1)
    )
    for m in (3, 5, 7, 9, 13)
}
# (m, θₘ): the largest ‖A‖₁ for which rₘ(A) is e^A to the unit roundoff (Higham 2005, Table 2.3).
_THETA = {
    np.dtype(np.float64): (
        (3, 1.495585217958292e-2),
        (5, 2.539398330063230e-1),
        (7, 9.504178996162932e-1),
        (9, 2.097847961257068e0),
        (13, 5.371920351148152e0),
    ),
    np.dtype(np.float32): (
        (3, 4.258730016922831e-1),
        (5, 1.880152677804762e0),
        (7, 3.925724783138660e0),
    ),
}


def _pade(A: Tensor, m: int) -> Tensor:
    """rₘ(A) = (V − U)⁻¹(V + U), the [m/m] Padé approximant of e^A (U odd, V even in A)."""
    b = _PADE[m]
    eye = Tensor(np.eye(A.shape[-1], dtype=A.dtype))
    A2 = A @ A
    if m == 13:
        A4 = A2 @ A2
        A6 = A4 @ A2
        U = A @ (A6 @ (A6 * b[13] + A4 * b[11] + A2 * b[9]) + A6 * b[7] + A4 * b[5] + A2 * b[3]
                 + eye * b[1])  # fmt: skip
        V = A6 @ (A6 * b[12] + A4 * b[10] + A2 * b[8]) + A6 * b[6] + A4 * b[4] + A2 * b[2]
        V = V + eye * b[0]
    else:
        even = [eye, A2]  # A^0, A^2, ..., A^(m-1)
        while len(even) <= m // 2:
            even.append(even[-1] @ A2)
        odd, V = eye * b[1], eye * b[0]
        for j in range(1, len(even)):
            odd, V = odd + even[j] * b[2 * j + 1], V + even[j] * b[2 * j]
        U = A @ odd
    return F.Solve.apply(V - U, V + U)


def matrix_exp(A: Tensor) -> Tensor:
    """e^A = Σₖ Aᵏ/k! for a square matrix or each matrix of a batch (..., n, n).

    Scaling and squaring with a Padé approximant (Higham 2005): e^A = rₘ(A/2ˢ)^(2ˢ), the degree
    m ∈ {3, 5, 7, 9, 13} (float32: {3, 5, 7}) and s ≥ 0 picked from the 1-norm so that rₘ is
    exact to the unit roundoff (each matrix of a batch gets its own s). It is made of products
    and a solve, so its gradients of every order are those of the approximant, which match the
    true ones to the same accuracy. Measured against `torch.linalg.matrix_exp` for ‖A‖₁ from
    0.001 to 40: values and gradients agree to 1.5e-14 of their largest entry in float64, and
    to 2e-6 in float32. float32 and float64 only; a 1×1 matrix is exp(a). Inputs with ∞ or NaN
    give NaN, as in PyTorch.

    Raises:
        TypeError: a dtype other than float32 and float64.
        ValueError: matrices that are not square.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_solves import matrix_exp
        >>> matrix_exp(tg.tensor([[0.0, 1.0], [0.0, 0.0]])).tolist()
        [[1.0, 1.0], [0.0, 1.0]]
    """
    A = tensor_arg(A, "linalg.matrix_exp")
    F.check_square("linalg.matrix_exp", A.data)
    n, batch = A.shape[-1], A.shape[:-2]
    if A.numel() == 0:
        return A.clone()
    if n == 1:
        return A.exp()
    tracing.refuse_value_read("linalg.matrix_exp")  # the degree and s are read from the values
    norms = np.abs(A.data).sum(-2).max(-1).astype(np.float64)
    finite = np.isfinite(norms)
    thetas = _THETA[A.dtype]
    top = float(norms[finite].max(initial=0.0))
    for m, theta in thetas[:-1]:
        if top <= theta:
            return _pade(A, m)
    m, theta = thetas[-1]
    with np.errstate(divide="ignore"):
        s = np.where(finite, np.ceil(np.log2(np.where(finite, norms, 1.0) / theta)), 0.0)
    s = np.maximum(s, 0.0).astype(np.int64)
    scale = np.power(2.0, -s.reshape(batch + (1, 1))).astype(A.dtype)  # exact: powers of 2
    X = _pade(A * Tensor(scale), m)
    for k in range(int(s.max(initial=0))):
        square = X @ X
        X = square if np.all(s > k) else square.where(Tensor((s > k).reshape(batch + (1, 1))), X)
    return X


# ---------------------------------------------------------------------- tensor solves


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The tensor X of shape A.shape[ind:] + A.shape[:ind] with tensordot(X, A, ind) = I.

    A is read as a square matrix: its first `ind` dims are the rows, the others the columns
    (their sizes must have one product), inverted, and read back with the dims swapped.

    Raises:
        ValueError: ind not in 1..A.ndim, products that differ, or a singular matrix.
        TypeError: a dtype other than float32 and float64.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_solves import tensorinv
        >>> tensorinv(tg.eye(4).reshape(4, 2, 2) * 2.0, ind=1).shape
        (2, 2, 4)
    """
    fn = "linalg.tensorinv"
    A = tensor_arg(A, fn)
    if isinstance(ind, bool) or not isinstance(ind, (int, np.integer)):
        raise TypeError(f"{fn}: ind must be an int, got {ind!r}")
    if not 0 < ind <= A.ndim:
        raise ValueError(f"{fn}: ind must be in 1..{A.ndim} for shape {A.shape}, got {ind}")
    rows, cols = A.shape[:ind], A.shape[ind:]
    if math.prod(rows) != math.prod(cols):
        raise ValueError(
            f"{fn}: prod(A.shape[ind:]) = {math.prod(cols)} must equal prod(A.shape[:ind]) = "
            f"{math.prod(rows)} (shape {A.shape}, ind {ind})"
        )
    M = A.reshape(math.prod(cols), math.prod(cols))
    F.check_square(fn, M.data)
    return F.Inv.apply(M).reshape(cols + rows)


def tensorsolve(A: Tensor, B: Tensor, dims: Sequence[int] | None = None) -> Tensor:
    """The tensor X of shape A.shape[B.ndim:] with tensordot(A, X, X.ndim) = B.

    `dims` are dims of A moved to the end first. A is read as a square matrix whose rows are
    its first B.ndim dims (as PyTorch, only their product, that of B, is checked).

    Raises:
        ValueError: shapes that do not make a square system, or a singular matrix.
        TypeError: A and B of different dtypes, or not float32/float64.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_solves import tensorsolve
        >>> tensorsolve(tg.eye(6).reshape(2, 3, 6) * 2.0, tg.ones(2, 3)).tolist()
        [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    """
    fn = "linalg.tensorsolve"
    A, B = tensor_arg(A, fn), tensor_arg(B, fn)
    if dims is not None:
        if not isinstance(dims, (tuple, list)):
            raise TypeError(f"{fn}: dims must be a tuple of ints, got {dims!r}")
        src = [dim_arg(d, A.ndim, fn) for d in dims]
        A = A.movedim(src, list(range(A.ndim - len(src), A.ndim)))
    if B.ndim > A.ndim:
        raise ValueError(f"{fn}: B has more dims than A: shapes {A.shape} and {B.shape}")
    shape = A.shape[B.ndim :]
    n = math.prod(shape)
    if n != B.numel() or A.numel() != n * n:
        raise ValueError(
            f"{fn}: A of shape {A.shape} and B of shape {B.shape} do not make a square system: "
            f"prod(A.shape[B.ndim:]) = {n}, B has {B.numel()} elements, A {A.numel()}"
        )
    if A.dtype != B.dtype:
        raise TypeError(f"{fn}: A and B must have the same dtype, got {A.dtype} and {B.dtype}")
    M = A.reshape(n, n)
    F.check_square(fn, M.data)
    return F.Solve.apply(M, B.reshape(n, 1)).reshape(shape)


# ---------------------------------------------------------------------- solves reporting errors


class InvExResult(NamedTuple):
    """What `inv_ex` returns.

    Attributes:
        inverse: A⁻¹ for each matrix; NaN for a singular one.
        info: int32, of A's batch shape: 0, or the position (from 1) of the first zero pivot.
    """

    inverse: Tensor
    info: Tensor


class SolveExResult(NamedTuple):
    """What `solve_ex` returns.

    Attributes:
        result: the solution X; NaN for the matrices A that are singular.
        info: int32, of A's batch shape: 0, or the position (from 1) of the first zero pivot.
    """

    result: Tensor
    info: Tensor


def _lu_pivots(a: np.ndarray) -> np.ndarray:
    """The pivots Uⱼⱼ of LU with partial pivoting (LAPACK getrf's steps) of each matrix: (B, n)."""
    n = a.shape[-1]
    u = a.reshape(math.prod(a.shape[:-2]), n, n).copy()
    rows, pivots = np.arange(u.shape[0]), np.zeros(u.shape[:2], a.dtype)
    with np.errstate(all="ignore"):
        for j in range(n):
            p = j + np.argmax(np.abs(u[:, j:, j]), axis=1)
            top = u[rows, j].copy()
            u[rows, j], u[rows, p] = u[rows, p], top
            pivot = pivots[:, j] = u[:, j, j]
            safe = np.where(pivot == 0, 1, pivot)[:, None]  # a zero pivot's column is zero
            col = u[:, j + 1 :, j]
            col = np.where(np.abs(safe) >= np.finfo(a.dtype).tiny, col * (1 / safe), col / safe)
            u[:, j + 1 :, j + 1 :] -= col[:, :, None] * u[:, None, j, j + 1 :]
    return pivots


def _guarded(fn: str, A: Tensor, compute: Callable[[Tensor], Tensor], trailing: int) -> Any:
    """compute(A), and info, with each singular matrix of A replaced by I and its result NaN.

    Matrices with ∞ or NaN also give NaN (PyTorch's values; NumPy's LAPACK calls them singular).
    """
    tracing.refuse_value_read(fn)  # info is read from the values
    a, n, batch = A.data, A.shape[-1], A.shape[:-2]
    pivots = _lu_pivots(a)
    zero = pivots == 0
    info = (zero.argmax(-1) + 1) * zero.any(-1) if n else np.zeros(len(zero), np.int32)
    info = info.astype(np.int32)
    nonfinite = ~np.isfinite(a.reshape(-1, n * n)).all(-1) if n else np.zeros(len(info), bool)
    while True:
        bad = ((info != 0) | nonfinite).reshape(batch + (1, 1))
        safe = A.where(Tensor(~bad), Tensor(np.eye(n, dtype=A.dtype))) if bad.any() else A
        try:
            out = compute(safe)
            break
        except np.linalg.LinAlgError:  # LAPACK met a zero pivot that rounding hid above
            flat, before = a.reshape(-1, n, n), info.copy()
            for k in np.flatnonzero(~bad.reshape(-1)):
                try:
                    np.linalg.inv(flat[k])
                except np.linalg.LinAlgError:
                    info[k] = 1 + np.argmin(np.abs(pivots[k]))
            if np.array_equal(info, before):
                raise
    if bad.any():
        out = out.where(Tensor(~bad.reshape(batch + (1,) * trailing)), math.nan)
    return out, info.reshape(batch)


def _check(fn: str, a: np.ndarray, info: np.ndarray, check_errors: bool) -> None:
    if check_errors and info.any():
        k = tuple(int(i) for i in np.argwhere(info != 0)[0])
        where = f" (batch element {k} of shape {a.shape})" if k else ""
        raise np.linalg.LinAlgError(
            f"{fn}: the matrix{where} is singular: the pivot {int(info[k])} of its LU "
            "factorisation is zero"
        )


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvExResult:
    """(A⁻¹, info) for a matrix or each matrix of a batch (..., n, n): `inv` that reports errors.

    info is 0 for an invertible matrix and the position (from 1) of the first zero pivot of its
    LU factorisation for a singular one, whose inverse is NaN (PyTorch leaves whatever LAPACK
    wrote) with gradient 0; `check_errors=True` raises instead. A matrix holding ∞ or NaN also
    gives NaN. The gradient is `inv`'s.

    Raises:
        numpy.linalg.LinAlgError: a singular matrix with check_errors (a ValueError).
        TypeError, ValueError: as `linalg.inv`.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_solves import inv_ex
        >>> inverse, info = inv_ex(tg.tensor([[2.0, 0.0], [0.0, 4.0]]))
        >>> inverse.tolist(), info.item()
        ([[0.5, 0.0], [0.0, 0.25]], 0)
    """
    fn = "linalg.inv_ex"
    A = tensor_arg(A, fn)
    F.check_square(fn, A.data)
    inverse, info = _guarded(fn, A, F.Inv.apply, 2)
    _check(fn, A.data, info, check_errors)
    return InvExResult(inverse, Tensor(info))


def solve_ex(
    A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False
) -> SolveExResult:
    """(X, info) with A·X = B (X·A = B if not left): `linalg.solve` that reports errors.

    B takes `linalg.solve`'s forms. info has A's batch shape: 0, or for a singular A the
    position (from 1) of the first zero pivot of its LU factorisation, X then being NaN for it
    (with gradient 0); `check_errors=True` raises instead.

    Raises:
        numpy.linalg.LinAlgError: a singular matrix with check_errors (a ValueError).
        TypeError: A and B of different dtypes.
        ValueError: as `linalg.solve`.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_solves import solve_ex
        >>> a = tg.tensor([[[2.0, 0.0], [0.0, 4.0]], [[0.0, 0.0], [0.0, 1.0]]])
        >>> x, info = solve_ex(a, tg.tensor([2.0, 4.0]))
        >>> x.tolist(), info.tolist()
        ([[1.0, 1.0], [nan, nan]], [0, 1])
    """
    fn = "linalg.solve_ex"
    A, B = tensor_arg(A, fn), tensor_arg(B, fn)
    F.check_square(fn, A.data)
    if A.dtype != B.dtype:
        raise TypeError(f"{fn}: A and B must have the same dtype, got {A.dtype} and {B.dtype}")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    result, info = _guarded(fn, A, lambda a: solve(a, B, left=left), 1 if vector else 2)
    _check(fn, A.data, info, check_errors)
    return SolveExResult(result, Tensor(info))


_NORMS = ("fro", "nuc", 1, -1, math.inf, -math.inf)


def cond(A: Tensor, p: Any = None) -> Tensor:
    """The condition number of each matrix in the p-norm: ‖A‖ₚ·‖A⁻¹‖ₚ (σ₁/σₙ for p = None or 2).

    p = None, 2 or −2 (σₙ/σ₁) take any (..., m, n); 'fro', 'nuc', 1, −1, inf and −inf square
    matrices, for which a singular one gives inf (with gradient 0), as in PyTorch.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_solves import cond
        >>> a = tg.tensor([[4.0, 0.0], [1.0, 2.0]])
        >>> round(cond(a).item(), 12), round(cond(a, 1).item(), 12)
        (2.162591906796, 2.5)
    """
    check_matrix("cond", tensor_arg(A, "cond"))
    if p is not None and p not in (2, -2) + _NORMS or isinstance(p, bool):
        raise ValueError(
            f"cond: p must be None, 2, -2, 'fro', 'nuc', 1, -1, inf or -inf, got {p!r}"
        )
    if A.numel() == 0:  # PyTorch's value for empty matrices
        return Tensor(np.zeros(A.shape[:-2], A.dtype))
    if p in (None, 2, -2):
        s = svdvals(A)
        return s[..., -1] / s[..., 0] if p == -2 else s[..., 0] / s[..., -1]
    check_square(f"cond (p={p!r})", A)
    try:
        return matrix_norm(A, p) * matrix_norm(Inv.apply(A), p)
    except np.linalg.LinAlgError:
        tracing.refuse_value_read("linalg.cond")  # which matrices are singular
    good = np.ones(A.shape[:-2], bool)
    for i in np.ndindex(good.shape):
        try:
            np.linalg.inv(A.data[i])
        except np.linalg.LinAlgError:
            good[i] = False
    safe = A.where(Tensor(good[..., None, None]), Tensor(np.eye(A.shape[-1], dtype=A.dtype)))
    return (matrix_norm(safe, p) * matrix_norm(Inv.apply(safe), p)).where(Tensor(good), math.inf)
