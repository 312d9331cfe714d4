"""PyTorch's linalg decompositions: `cholesky`, `eigh`, `qr`, `svd`, `pinv`, `lstsq`, ...

`cholesky`, `cholesky_ex`, `eigh`, `eigvalsh`, `qr`, `svd`, `svdvals`, `pinv`, `lstsq`,
`solve_triangular` and `matrix_rank`, with `torch.linalg`'s signatures, named tuples,
values, dtypes (float32 and float64; integers are refused) and gradients, of every order: the
ops behind them (`ops.decomp`) write their backwards with differentiable ops. Each works on a
matrix or a batch of matrices (..., m, n). Eigenvectors and singular vectors are LAPACK's and,
as in PyTorch, each is defined up to its sign only.

>>> import tinygrad_lite as tg
>>> from tinygrad_lite.linalg_decomp import eigh
>>> eigh(tg.tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues.tolist()
[1.0, 3.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from . import tracing
from .linalg_base import tensor_arg
from .ops import QR, SVD, Cholesky, Eigh, Pinv, SolveTriangular
from .ops.linalg import check_matrix, check_square
from .tensor import Tensor

__all__ = ["CholeskyExResult", "EighResult", "LstsqResult", "QRResult", "SVDResult", "cholesky",
           "cholesky_ex", "eigh", "eigvalsh", "lstsq", "matrix_rank", "pinv", "qr",
           "solve_triangular", "svd", "svdvals"]  # fmt: skip


class CholeskyExResult(NamedTuple):
    """What `cholesky_ex` returns: the factor and, per matrix, 0 or the failed minor's order."""

    L: Tensor
    info: Tensor


class EighResult(NamedTuple):
    """What `eigh` returns: A = V·diag(λ)·Vᵀ, λ ascending, V's columns orthonormal."""

    eigenvalues: Tensor
    eigenvectors: Tensor


class QRResult(NamedTuple):
    """What `qr` returns: A = Q·R, Q with orthonormal columns, R upper triangular."""

    Q: Tensor
    R: Tensor


class SVDResult(NamedTuple):
    """What `svd` returns: A = U·diag(S)·Vh, S descending."""

    U: Tensor
    S: Tensor
    Vh: Tensor


class LstsqResult(NamedTuple):
    """What `lstsq` returns (as PyTorch's default driver: residuals and singular values empty)."""

    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


def _symmetric(A: Tensor, upper: bool) -> Tensor:
    """The symmetric matrix of A's lower (or `upper`) triangle, passing its gradient to A as is.

    PyTorch reads one triangle and hands A the gradient of a function of symmetric matrices
    (symmetric itself). The value is therefore the symmetric matrix itself, exactly, plus
    B − B, zero, with B = A (0 where A is not finite): gradients of every order reach A
    unchanged, as PyTorch's do, and the other triangle, even ∞ or NaN, is never read.
    """
    keep = np.tri(A.shape[-1], dtype=bool)
    C = A.detach()
    S = C.where(Tensor(keep.T if upper else keep), C.mT)
    if not A.requires_grad:
        return S
    B = A.where(A.isfinite(), 0.0)
    return S + (B - B.detach())


def _factor(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L, info) for symmetric s: info 0, or the order k of the first minor that is not PD.

    There L is what LAPACK's unblocked potf2 leaves (and PyTorch returns): the columns before k
    factored, the failed pivot sₖₖ − Σⱼ Lₖⱼ² in its place, s's lower triangle after it.
    """
    out, info = np.tril(s), np.zeros(s.shape[:-2], dtype=np.int32)
    with np.errstate(all="ignore"):
        _potf2(out, info)
    return out, info


def _potf2(out: np.ndarray, info: np.ndarray) -> None:
    for i in np.ndindex(out.shape[:-2]):
        a = out[i]
        for j in range(a.shape[-1]):
            pivot = a[j, j] - a[j, :j] @ a[j, :j]
            if not pivot > 0:  # NaN too, as LAPACK
                a[j, j], info[i] = pivot, j + 1
                break
            a[j, j] = np.sqrt(pivot)
            a[j + 1 :, j] = (a[j + 1 :, j] - a[j + 1 :, :j] @ a[j, :j]) / a[j, j]


def _finite(fn: str) -> Callable[[np.ndarray], None]:
    """A check that a matrix with ∞ or NaN fails as not positive-definite (LAPACK's NaN L)."""

    def check(s: np.ndarray) -> None:
        if not np.isfinite(s).all():
            info = _factor(s)[1]
            if info.any():
                raise _not_pd(fn, info)

    return check


def _not_pd(fn: str, info: np.ndarray) -> np.linalg.LinAlgError:
    k = tuple(int(i) for i in np.argwhere(info)[0])
    return np.linalg.LinAlgError(
        f"{fn}: the matrix" + (f" (batch element {k})" if k else "") + " is not positive-"
        f"definite: its leading minor of order {int(info[k])} is not, so the factorisation "
        "could not be completed"
    )  # fmt: skip


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """L with A = L·Lᵀ (lower triangular, positive diagonal), or U = Lᵀ with `upper`.

    Only A's lower (`upper`: upper) triangle is read, and the gradient is PyTorch's: symmetric,
    that of a function of symmetric matrices.

    Raises:
        numpy.linalg.LinAlgError: a matrix that is not positive-definite (a ValueError).
        TypeError, ValueError: an integer tensor, or matrices that are not square.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_decomp import cholesky
        >>> cholesky(tg.tensor([[4.0, 2.0], [2.0, 5.0]]), upper=True).tolist()
        [[2.0, 1.0], [0.0, 2.0]]
    """
    check_square("cholesky", tensor_arg(A, "cholesky"))
    S = _symmetric(A, upper)
    tracing.value_check(_finite("cholesky"), S.data)
    try:
        L = Cholesky.apply(S)
    except np.linalg.LinAlgError:
        raise _not_pd("cholesky", _factor(S.data)[1]) from None
    return L.mT if upper else L


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> CholeskyExResult:
    """(L, info): `cholesky` that reports instead of raising; info is int32 per matrix.

    info is 0 where A is positive-definite, else the order k of its first leading minor that is
    not; L is then what LAPACK leaves (see PyTorch), with gradient 0. `check_errors=True`
    raises instead.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_decomp import cholesky_ex
        >>> cholesky_ex(tg.tensor([[1.0, 2.0], [2.0, 1.0]])).info.item()
        2
    """
    tracing.refuse_value_read("linalg.cholesky_ex")  # info is read from the values
    check_square("cholesky_ex", tensor_arg(A, "cholesky_ex"))
    S = _symmetric(A, upper)
    try:
        _finite("cholesky_ex")(S.data)
        L, info = Cholesky.apply(S), np.zeros(A.shape[:-2], np.int32)
    except np.linalg.LinAlgError:
        low, info = _factor(S.data)
        if check_errors:
            raise _not_pd("cholesky_ex", info) from None
        good = Tensor((info == 0)[..., None, None])
        L = Cholesky.apply(S.where(good, Tensor(np.eye(A.shape[-1], dtype=A.dtype))))
        L = L.where(good, Tensor(low))
    return CholeskyExResult(L.mT if upper else L, Tensor(info))


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:  # noqa: N803 - PyTorch's name
    """(λ, V) with A·V = V·diag(λ): eigenvalues ascending, orthonormal eigenvectors (columns).

    Only A's lower (UPLO="U": upper) triangle is read; the gradient is PyTorch's, symmetric.
    Each eigenvector is defined up to its sign; where eigenvalues repeat, the eigenvectors'
    gradient does not exist and is refused (PyTorch returns inf or NaN).

    Raises:
        numpy.linalg.LinAlgError: in backward, repeated eigenvalues and a gradient on V.
        ValueError: UPLO other than "L" and "U", or matrices that are not square.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_decomp import eigh
        >>> abs(eigh(tg.tensor([[2.0, 0.0], [0.0, 1.0]])).eigenvectors).tolist()
        [[0.0, 1.0], [1.0, 0.0]]
    """
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    check_square("eigh", tensor_arg(A, "eigh"))
    out = Eigh.apply(_symmetric(A, UPLO == "U"))
    return EighResult(out[..., 0, :], out[..., 1:, :])


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:  # noqa: N803 - PyTorch's name
    """The eigenvalues of a symmetric matrix (of A's lower or upper triangle), ascending.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_decomp import eigvalsh
        >>> eigvalsh(tg.tensor([[2.0, 1.0], [1.0, 2.0]])).tolist()
        [1.0, 3.0]
    """
    return eigh(A, UPLO).eigenvalues


def qr(A: Tensor, mode: str = "reduced") -> QRResult:
    """(Q, R) with A = Q·R (Householder reflections, LAPACK's signs), for A (..., m, n).

    mode "reduced": Q (m, k), R (k, n), k = min(m, n); "complete": Q (m, m), R (m, n);
    "r": R only (Q is empty). As in PyTorch, mode "r", and "complete" for m > n, have no
    gradient (its backward raises NotImplementedError).

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_decomp import qr
        >>> qr(tg.tensor([[0.0, 2.0], [3.0, 4.0]])).R.tolist()
        [[-3.0, -4.0], [0.0, -2.0]]
    """
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    A = tensor_arg(A, "qr")
    m = A.shape[-2] if A.ndim >= 2 else 0
    out = QR.apply(A, mode=mode)
    R = out[..., m:, :].mT
    Q = Tensor(np.zeros((0,), A.dtype)) if mode == "r" else out[..., :m, :]
    return QRResult(Q, R)


def svd(A: Tensor, full_matrices: bool = True) -> SVDResult:
    """(U, S, Vh) with A = U·diag(S)·Vh: singular values descending, for A (..., m, n).

    `full_matrices` (PyTorch's default): U (m, m) and Vh (n, n), whose columns (rows) past
    k = min(m, n) get no gradient, as in PyTorch; else U (m, k), Vh (k, n). Singular vectors are
    defined up to sign; where singular values repeat (or one is 0, for m ≠ n) their gradient
    does not exist and is refused (PyTorch returns inf or NaN).

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_decomp import svd
        >>> svd(tg.tensor([[0.0, 2.0], [3.0, 0.0]])).S.tolist()
        [3.0, 2.0]
    """
    A = tensor_arg(A, "svd")
    m, n = A.shape[-2:] if A.ndim >= 2 else (0, 0)
    out = SVD.apply(A, full_matrices=full_matrices)
    k = min(m, n)
    U = out[..., :m, : m if full_matrices else k]
    return SVDResult(U, out[..., m, :k], out[..., m + 1 :, : n if full_matrices else k].mT)


def svdvals(A: Tensor) -> Tensor:
    """The singular values of A (..., m, n), descending; their gradient is U·diag(S̄)·Vh.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_decomp import svdvals
        >>> svdvals(tg.tensor([[3.0, 0.0], [0.0, -4.0]])).tolist()
        [4.0, 3.0]
    """
    return svd(A, full_matrices=False).S


def _tolerance(x: Any, fn: str, name: str) -> Any:
    """A tolerance as a number or an array (tolerances carry no gradient)."""
    if x is None or isinstance(x, (int, float, np.number)) and not isinstance(x, bool):
        return x
    if isinstance(x, Tensor):
        return x.data
    raise TypeError(f"{fn}: {name} must be a number or a Tensor, got {type(x).__name__}")


def pinv(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """A⁺, the Moore–Penrose pseudo-inverse (..., n, m), from the singular values that count.

    Those σ > max(atol, rtol·σ₁) count; by default atol = 0 and rtol = ε·max(m, n) (rtol = 0
    when only a positive atol is given). `hermitian`: from the eigenvalues of A's lower
    triangle. The gradient is PyTorch's formula, the derivative where the rank is constant.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_decomp import pinv
        >>> pinv(tg.tensor([[2.0], [0.0]])).tolist()
        [[0.5, 0.0]]
    """
    atol, rtol = _tolerance(atol, "pinv", "atol"), _tolerance(rtol, "pinv", "rtol")
    return Pinv.apply(tensor_arg(A, "pinv"), atol=atol, rtol=rtol, hermitian=hermitian)


def matrix_rank(
    A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False
) -> Tensor:
    """The number of singular values of each matrix that count, as in `pinv` (int64, no gradient).

    Those σ > max(atol, rtol·σ₁) count, with `pinv`'s defaults; `hermitian`: the |eigenvalues|
    of A's lower triangle.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_decomp import matrix_rank
        >>> matrix_rank(tg.tensor([[1.0, 2.0], [2.0, 4.0]])).item()
        1
    """
    atol, rtol = _tolerance(atol, "matrix_rank", "atol"), _tolerance(rtol, "matrix_rank", "rtol")
    (check_square if hermitian else check_matrix)("matrix_rank", tensor_arg(A, "matrix_rank"))
    s = (eigvalsh(A).abs() if hermitian else svdvals(A)).detach()
    eps = np.finfo(A.dtype).eps * max(A.shape[-2:])
    atol_ = np.asarray(0.0 if atol is None else atol, A.dtype)
    rtol_ = np.asarray(rtol if rtol is not None else np.where(atol_ > 0, 0.0, eps), A.dtype)
    if s.shape[-1] == 0:
        return Tensor(np.zeros(s.shape[:-1], np.int64))
    tol = Tensor(rtol_[..., None]) * s.amax(-1, keepdim=True)
    return (s > tol.maximum(Tensor(atol_[..., None]))).sum(-1)


def solve_triangular(
    A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Tensor:
    """X with T·X = B (`left`) or X·T = B, T the upper or lower triangle of A (..., n, n).

    T's diagonal is taken as ones if `unitriangular`; the other triangle is not read (its
    gradient is 0). B is (..., n, k), or (..., k, n) for X·T = B; batch dims broadcast.

    Raises:
        numpy.linalg.LinAlgError: a zero on T's diagonal (PyTorch returns inf or NaN).
        ValueError: shapes that do not fit the equation.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_decomp import solve_triangular
        >>> a = tg.tensor([[2.0, 0.0], [1.0, 1.0]])
        >>> solve_triangular(a, tg.tensor([[2.0], [3.0]]), upper=False).tolist()
        [[1.0], [2.0]]
    """
    A, B = tensor_arg(A, "solve_triangular"), tensor_arg(B, "solve_triangular")
    return SolveTriangular.apply(A, B, upper=upper, left=left, unitriangular=unitriangular)


def lstsq(
    A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None
) -> LstsqResult:
    """The least-squares solution X of min ‖A·X − B‖ (the least-norm one), as PyTorch's "gelsy".

    X = A⁺·B with the pseudo-inverse's singular values > rcond·σ₁ (rcond ε·max(m, n) by default),
    so its gradient is PyTorch's (that of `pinv`). B is (..., m, k), or (..., m) when it has one
    dim less than A; batch dims broadcast. As PyTorch's default driver: rank (int64) is given,
    residuals and singular_values are empty. Other drivers are refused.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_decomp import lstsq
        >>> a = tg.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
        >>> lstsq(a, tg.tensor([1.0, 2.0, 3.0])).solution.tolist()
        [1.0, 2.0]
    """
    A, B = tensor_arg(A, "lstsq"), tensor_arg(B, "lstsq")
    if driver not in (None, "gelsy"):
        raise ValueError(
            f"lstsq: driver {driver!r} is not supported; only PyTorch's CPU default 'gelsy' is"
        )
    check_matrix("lstsq", A)
    if A.dtype != B.dtype:
        raise TypeError(f"lstsq: A and B must have one dtype, got {A.dtype} and {B.dtype}")
    vector = A.ndim - B.ndim == 1
    if A.ndim - B.ndim not in (0, 1) or B.shape[-1 if vector else -2] != A.shape[-2]:
        raise ValueError(
            f"lstsq: A of shape {A.shape} and B of shape {B.shape} do not fit: B must be "
            f"(..., {A.shape[-2]}, k), or (..., {A.shape[-2]}) with one dim less than A"
        )
    X = Pinv.apply(A, rtol=rcond) @ (B.unsqueeze(-1) if vector else B)
    X, rank = X.squeeze(-1) if vector else X, matrix_rank(A, rtol=rcond)
    return LstsqResult(X, Tensor(np.zeros((0,), A.dtype)), rank, Tensor(np.zeros((0,), A.dtype)))
