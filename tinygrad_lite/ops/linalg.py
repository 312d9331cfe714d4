"""Matrix inverse, determinant, log-determinant and linear solves, batched over leading dims.

The forwards are NumPy's LAPACK-backed `np.linalg.inv`, `det`, `slogdet` and `solve` (LU
factorisations, as PyTorch's). The backwards are written with the ops themselves (`Inv`,
`Solve`, matmul, transpose), so that they have gradients of every order:

    d inv:    Ā = −Yᵀ·Ḡ·Yᵀ            (Y = A⁻¹)
    d det:    Ā = ḡ·det(A)·A⁻ᵀ
    d log|det|: Ā = ḡ·A⁻ᵀ
    d solve:  B̄ = solve(Aᵀ, Ḡ),  Ā = −B̄·Xᵀ   (X = solve(A, B))

Only float32 and float64 matrices are accepted (integers are refused, as PyTorch does); a
singular matrix makes `inv` and `solve` raise `np.linalg.LinAlgError`, a ValueError.

>>> from tinygrad_lite import ops, tensor
>>> ops.Inv.apply(tensor([[2.0, 0.0], [0.0, 4.0]])).tolist()
[[0.5, 0.0], [0.0, 0.25]]
>>> round(ops.Det.apply(tensor([[2.0, 1.0], [1.0, 3.0]])).item(), 12)
5.0
"""

from __future__ import annotations

import itertools

from .. import tracing
from .base import Any, Context, Function, call, is_tensor, np, register, value
from .shape import Transpose

__all__ = [
    "Det",
    "Inv",
    "Slogdet",
    "SlogdetSign",
    "Solve",
    "check_matrix",
    "check_square",
    "leibniz_det",
]


def _mT(x: Any) -> Any:
    """The transpose of every matrix of a batch (the last two dims swapped)."""
    n = x.ndim
    return call(Transpose, x, axes=(*range(n - 2), n - 1, n - 2))


def _check_float(op: str, name: str, a: Any) -> None:
    if a.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{op}: expected a float32 or float64 tensor for {name}, got {a.dtype} (integer and "
            "bool matrices are refused, as in PyTorch); convert it first, e.g. A.double()"
        )


def check_matrix(op: str, a: Any, name: str = "A") -> None:
    """Refuse `a` (TypeError, ValueError) unless it is a float32 or float64 batch (..., m, n)."""
    _check_float(op, name, a)
    if a.ndim < 2:
        raise ValueError(f"{op}: {name} must be (..., m, n), got shape {tuple(a.shape)}")


def check_square(op: str, a: Any, name: str = "A") -> None:
    """Refuse `a` unless it is a float32 or float64 batch of square matrices (..., n, n).

    Raises:
        TypeError: another dtype.
        ValueError: fewer than two dims, or matrices that are not square.
    """
    _check_float(op, name, a)
    if a.ndim < 2:
        raise ValueError(
            f"{op}: {name} must be a matrix or a batch of matrices (..., n, n), got shape "
            f"{tuple(a.shape)}"
        )
    if a.shape[-1] != a.shape[-2]:
        raise ValueError(
            f"{op}: {name} must be a batch of square matrices, but they are "
            f"{a.shape[-2]} by {a.shape[-1]} (shape {tuple(a.shape)})"
        )


def _singular(op: str, a: Any) -> np.linalg.LinAlgError:
    """The error for a singular matrix, naming the first singular one of a batch."""
    where = ""
    if a.ndim > 2 and isinstance(a, np.ndarray):
        zero = np.argwhere(np.linalg.det(a) == 0)  # a zero pivot gives an exact 0
        if len(zero):
            where = f" (batch element {tuple(int(i) for i in zero[0])} of shape {a.shape})"
    return np.linalg.LinAlgError(
        f"{op}: the matrix{where} is singular (its LU factorisation has a zero pivot), so "
        "it has no inverse"
    )


def leibniz_det(a: Any) -> Any:
    """det(A) = Σ over permutations σ of sign(σ)·Π_i A[i, σ(i)]: the tests' independent formula.

    n! terms: meant for the small matrices of the tests.
    """
    n = a.shape[-1]
    total = np.zeros(a.shape[:-2], dtype=a.dtype)
    for perm in itertools.permutations(range(n)):
        inversions = sum(perm[i] > perm[j] for i in range(n) for j in range(i + 1, n))
        term = np.prod(a[..., list(range(n)), list(perm)], axis=-1)
        total = total + (-term if inversions % 2 else term)
    return total


def _per_matrix(scale: Any) -> Any:
    """`scale` of the batch shape, reshaped to multiply every element of each matrix."""
    return scale.reshape(tuple(scale.shape) + (1, 1))


@register(
    "inv",
    arity=1,
    domain="well_conditioned",
    kind="square",
    reference=lambda a: np.linalg.solve(a, np.broadcast_to(np.eye(a.shape[-1]), a.shape)),
)
class Inv(Function):
    """Y = A⁻¹ for each matrix of the batch; Ā = −Yᵀ·Ḡ·Yᵀ (the derivative of A⁻¹ is −A⁻¹·dA·A⁻¹).

    Raises:
        np.linalg.LinAlgError: a singular matrix (a ValueError).
    """

    @staticmethod
    def forward(ctx: Context, a: Any) -> Any:
        check_square("inv", a)
        try:
            y = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise _singular("inv", a) from None
        # all NaN for a matrix holding a NaN, as PyTorch (LAPACK may leave some entries finite)
        y = np.where(np.isnan(a).any(axis=(-2, -1), keepdims=True), np.nan, y)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (y,) = ctx.saved
        yt = _mT(y)
        return (-(yt @ grad @ yt),)

    formula = ("−{out}ᵀ · {g} · {out}ᵀ",)


@register("det", arity=1, domain="well_conditioned", kind="square", reference=leibniz_det)
class Det(Function):
    """y = det(A) for each matrix of the batch (by LU, as PyTorch); Ā = ḡ·y·A⁻ᵀ.

    Ā is ḡ times the matrix of cofactors, which y·A⁻ᵀ is where A is invertible. A singular
    matrix (y = 0) has the cofactors from its SVD instead: not 0 where the rank is n − 1
    (PyTorch gives 0 where its LU meets an exact zero pivot). The gradient of that gradient at
    a singular matrix is refused.
    """

    @staticmethod
    def forward(ctx: Context, a: Any) -> Any:
        check_square("det", a)
        y = np.linalg.det(a)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        a, y = ctx.saved
        if not is_tensor(a):  # the singular branch reads values: a compiled step retakes it
            return (tracing.replayed(_det_gradient, grad, a, y),)
        if np.any(value(y) == 0):
            raise NotImplementedError(
                "det: the gradient of a gradient at a singular matrix is not supported"
            )
        return (_per_matrix(grad * y) * _mT(call(Inv, a)),)

    formula = ("{g} ⊙ {out} ⊙ {0}⁻ᵀ",)


def _det_gradient(grad: Any, a: Any, y: Any) -> Any:
    """ḡ·det(A)·A⁻ᵀ; for a singular matrix (det(A) = 0), ḡ times its cofactors."""
    singular = y == 0
    if not np.any(singular):
        return _per_matrix(grad * y) * _mT(call(Inv, a))
    eye = np.eye(a.shape[-1], dtype=a.dtype)  # stands in for a singular A in the inverse
    out = _per_matrix(grad * y) * _mT(call(Inv, np.where(_per_matrix(singular), eye, a)))
    g = np.broadcast_to(grad, y.shape)[singular]
    out[singular] = _per_matrix(g) * _cofactors(a[singular])
    return out


def _cofactors(a: Any) -> Any:
    """The matrices of cofactors of a batch of square matrices, from their SVDs.

    With A = U·diag(s)·Vᵀ, the cofactors are det(U)·det(V)·U·diag(∏_{j≠i} s_j)·Vᵀ: exact
    in every rank, where det(A)·A⁻ᵀ needs an inverse (0 unless the rank is n − 1).
    """
    u, s, vh = np.linalg.svd(a)
    n = s.shape[-1]
    ones = np.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., : n - 1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return _per_matrix(sign) * ((u * (before * after)[..., None, :]) @ vh)


@register(
    "slogdet",
    arity=1,
    domain="well_conditioned",
    kind="square",
    reference=lambda a: np.log(np.abs(leibniz_det(a))),
)
class Slogdet(Function):
    """y = log|det A| for each matrix of the batch (slogdet's `logabsdet`); Ā = ḡ·A⁻ᵀ.

    The sign is `SlogdetSign`. A singular matrix gives −∞, where the gradient does not exist:
    the backward refuses it.
    """

    @staticmethod
    def forward(ctx: Context, a: Any) -> Any:
        check_square("slogdet", a)
        _, y = np.linalg.slogdet(a)
        ctx.save_for_backward(a)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (a,) = ctx.saved
        try:
            inverse = call(Inv, a)
        except np.linalg.LinAlgError:
            raise np.linalg.LinAlgError(
                "slogdet: the matrix is singular (log|det A| = −inf): the gradient of "
                "log|det A| does not exist there"
            ) from None
        return (_per_matrix(grad) * _mT(inverse),)

    formula = ("{g} ⊙ {0}⁻ᵀ",)


@register(
    "slogdet_sign",
    arity=1,
    domain="well_conditioned",
    kind="square",
    reference=lambda a: np.sign(leibniz_det(a)),
)
class SlogdetSign(Function):
    """s = the sign of det A (−1, 0 or 1) for each matrix of the batch; no gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx: Context, a: Any) -> Any:
        check_square("slogdet", a)
        sign, logabsdet = np.linalg.slogdet(a)
        return np.where(np.isnan(logabsdet), 0.0, sign)  # PyTorch's sign of a NaN matrix: 0

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[None]:
        return (None,)


def _solve_reference(a: Any, b: Any) -> Any:
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return np.linalg.inv(a) @ np.broadcast_to(b, batch + b.shape[-2:])


@register(
    "solve",
    arity=2,
    domain=("well_conditioned", "real"),
    kind="solve",
    reference=_solve_reference,
)
class Solve(Function):
    """X = A⁻¹·B, the solution of A·X = B, for matrices B (..., n, k) (batch dims broadcast).

    B̄ = solve(Aᵀ, Ḡ) and Ā = −B̄·Xᵀ. `tinygrad_lite.linalg.solve` reads PyTorch's other forms
    (B a vector or a batch of vectors, X·A = B) into this one.

    Raises:
        np.linalg.LinAlgError: a singular matrix (a ValueError).
    """

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        check_square("solve", a)
        _check_float("solve", "B", b)
        n = a.shape[-1]
        if b.ndim < 2 or b.shape[-2] != n:
            raise ValueError(
                f"solve: A of shape {tuple(a.shape)} and B of shape {tuple(b.shape)} do not fit "
                f"the equation AX = B: B must be (..., {n}, k)"
            )
        try:
            batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ValueError(
                f"solve: the batch dims of A {tuple(a.shape[:-2])} and of B "
                f"{tuple(b.shape[:-2])} do not broadcast together"
            ) from None
        try:  # both at the batch shape: NumPy reads B as matrices, whatever its version
            x = np.linalg.solve(
                np.broadcast_to(a, batch + (n, n)), np.broadcast_to(b, batch + b.shape[-2:])
            )
        except np.linalg.LinAlgError:
            raise _singular("solve", a) from None
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        a, x = ctx.saved
        gb = call(Solve, _mT(a), grad)
        ga = -(gb @ _mT(x)) if ctx.needs_input_grad[0] else None
        return (ga, gb if ctx.needs_input_grad[1] else None)

    formula = ("−solve({0}ᵀ, {g}) · {out}ᵀ", "solve({0}ᵀ, {g})")
