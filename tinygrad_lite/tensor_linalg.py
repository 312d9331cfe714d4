"""The Tensor's products beyond `@`: bmm, baddbmm, addmm, kron; and einsum, tensordot on tensors.

Each is PyTorch's, with its shape rules and errors; all but `einsum` are composed of existing
ops (matmul, reshape, permute, expand, multiply), so their gradients, of every order, are
those ops'. `einsum` reads the equation (`ops.plan_einsum`), takes diagonals for labels repeated
within an operand, broadcasts sizes of 1, and runs the `Einsum` op, whose gradient is again an
einsum. Mixed float dtypes promote, as in `matmul` (PyTorch refuses them).

>>> from tinygrad_lite import Tensor, einsum
>>> a = Tensor([[1.0, 2.0], [3.0, 4.0]])
>>> einsum("ii", a).item(), einsum("ij->j", a).tolist()
(5.0, [4.0, 6.0])
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from . import dtypes
from . import ops as F
from .shapes import broadcasts_to
from .tensor_shape import TensorShapeMethods, dim_arg

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["TensorLinalgMethods", "einsum", "scaled_sum", "tensordot"]


def _check_scalar(op: str, name: str, v: Any, integral: bool) -> None:
    """Check that alpha or beta is a number, an integer for integer tensors (PyTorch rounds)."""
    if not dtypes.is_scalar(v):
        raise TypeError(f"{op}: {name} must be a number, got {type(v).__name__} {v!r}")
    if integral and not isinstance(v, (bool, int, np.integer)):
        raise TypeError(
            f"{op}: {name}={v!r} must be an integer for integer tensors (PyTorch would "
            "round it toward zero silently)"
        )


def scaled_sum(op: str, input: Tensor, product: Tensor, beta: Any, alpha: Any) -> Tensor:
    """β·input + α·product, input broadcast to the product's shape; β = 0 ignores input.

    With β = 0 the input's values are not read, so NaN or ∞ there do not reach the result,
    and its gradient is 0, as PyTorch's addmm and baddbmm.
    """
    integral = np.result_type(input.data, product.data).kind in "biu"
    _check_scalar(op, "beta", beta, integral)
    _check_scalar(op, "alpha", alpha, integral)
    if not broadcasts_to(input.shape, product.shape):
        raise ValueError(
            f"{op}: input of shape {input.shape} does not broadcast to the product's shape "
            f"{product.shape}"
        )
    term = product if alpha == 1 else F.Mul.apply(product, product._wrap(alpha, op))
    if beta == 0:  # the product's values where the (all-true) condition holds; 0 to input
        return F.Where.apply(input._wrap(np.array(True), op), term, input)
    scaled = input if beta == 1 else F.Mul.apply(input, input._wrap(beta, op))
    return F.Add.apply(scaled, term)


def _dims_list(op: str, dims: Any, ndim: int, which: str) -> list[int]:
    if isinstance(dims, (int, np.integer)) or not isinstance(dims, (list, tuple)):
        raise TypeError(
            f"{op}: dims must be an int or two lists of dims, e.g. ([1, 2], [0, 1]); got "
            f"{which} dims {dims!r}"
        )
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"{op}: dims must hold ints, got {d!r} in {which} dims {dims!r}")
        a = dim_arg(d, ndim, op)
        if a in out:
            raise ValueError(f"{op}: dim {d} appears more than once in {which} dims {dims!r}")
        out.append(a)
    return out


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Σ over paired dims of a and b of a·b: a's last `dims` with b's first, or the lists.

    With dims = ([i1, i2, ...], [j1, j2, ...]), y[free a, free b] = Σ_k a[..k..]·b[..k..] over
    the index k running along a's dim i_m together with b's dim j_m. A contracted dim of size 1
    broadcasts against the other's size (as PyTorch). Computed as one matrix product of the
    permuted, reshaped operands.

    Raises:
        TypeError: dims is neither an int nor two lists of ints.
        ValueError: dims negative or beyond either operand's dimensions, lists of different
            lengths or with a repeated dim, contracted sizes that differ (neither 1).
    """
    op = "tensordot"
    if hasattr(dims, "_ctx"):  # an integer tensor, as PyTorch also takes
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)) and not isinstance(dims, bool):
        if not 0 <= dims <= min(a.ndim, b.ndim):
            raise ValueError(
                f"{op}: dims={dims} must be between 0 and the operands' dimensions "
                f"({a.ndim} and {b.ndim})"
            )
        da, db = list(range(a.ndim - int(dims), a.ndim)), list(range(int(dims)))
    else:
        if not isinstance(dims, (list, tuple)) or len(dims) != 2:
            raise TypeError(f"{op}: dims must be an int or two lists of dims, got {dims!r}")
        da = _dims_list(op, dims[0], a.ndim, "the first")
        db = _dims_list(op, dims[1], b.ndim, "the second")
        if len(da) != len(db):
            raise ValueError(f"{op}: the two lists of dims have different lengths: {dims!r}")
    sa, sb = list(a.shape), list(b.shape)
    for i, j in zip(da, db, strict=True):
        if sa[i] != sb[j]:
            if 1 not in (sa[i], sb[j]):
                raise ValueError(
                    f"{op}: contracted dimensions must match, but dim {i} of a has size {sa[i]} "
                    f"and dim {j} of b has size {sb[j]}"
                )
            sa[i] = sb[j] = max(sa[i], sb[j])
    a = a.expand(tuple(sa)) if tuple(sa) != a.shape else a
    b = b.expand(tuple(sb)) if tuple(sb) != b.shape else b
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = math.prod(sa[d] for d in da)
    m = math.prod(sa[d] for d in free_a)
    n = math.prod(sb[d] for d in free_b)
    left = a.permute(tuple(free_a + da)).reshape(m, k)
    right = b.permute(tuple(db + free_b)).reshape(k, n)
    shape = tuple(sa[d] for d in free_a) + tuple(sb[d] for d in free_b)
    return F.MatMul.apply(left, right).reshape(shape)


def _sublist_label(v: Any) -> str:
    if v is Ellipsis:
        return "..."
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 0 <= v < 52:
        return chr(ord("A") + int(v)) if v < 26 else chr(ord("a") + int(v) - 26)
    raise TypeError(f"einsum: a sublist label must be an int in [0, 52) or Ellipsis, got {v!r}")


def sublist_equation(args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """einsum(a, [0, 1], b, [1, 2], [0, 2]) as ("AB,BC->AC", (a, b)): NumPy's and PyTorch's."""
    pairs, rest = args[: len(args) // 2 * 2], args[len(args) // 2 * 2 :]
    operands, terms = pairs[0::2], pairs[1::2]
    for t in (*terms, *rest):
        if not isinstance(t, (list, tuple)):
            raise TypeError(
                "einsum: the first argument must be the equation (a str), or the sublist form "
                f"einsum(a, [0, 1], b, [1, 2], [0, 2]); got a {type(t).__name__} where a "
                "list of labels belongs"
            )
    if not operands:
        raise TypeError("einsum: the operands must be one or more Tensors, got []")
    equation = ",".join("".join(_sublist_label(v) for v in t) for t in terms)
    if rest:
        equation += "->" + "".join(_sublist_label(v) for v in rest[0])
    return equation, operands


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, as torch.einsum: y[out] = Σ over the other labels of Π operands.

    `equation` names each operand's dimensions with letters, "ij,jk->ik" (a matrix product);
    without "->" the output is the labels that occur once, in alphabetical order. "..." stands
    for dimensions that broadcast (from the right); a label repeated within an operand takes
    its diagonal ("ii->i"); a dimension of size 1 broadcasts against its label's size. The
    operands may also be given as one list. The gradient is an einsum too, so it has
    gradients of every order.

    The sublist form names the labels with integers instead: `einsum(a, [0, 1], b, [1, 2],
    [0, 2])` is `einsum("AB,BC->AC", a, b)` (0–25 stand for A–Z and 26–51 for a–z, `...`
    is written `Ellipsis`; without the last list, the output is implicit, as above).

    Raises:
        TypeError: no operands, an operand that is not a Tensor, a label that is not an int
            in [0, 52) or Ellipsis.
        ValueError: see `ops.plan_einsum`.
    """
    if not isinstance(equation, str):
        equation, operands = sublist_equation((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands or not all(hasattr(x, "_ctx") for x in operands):
        kinds = [type(x).__name__ for x in operands]
        raise TypeError(f"einsum: the operands must be one or more Tensors, got {kinds}")
    ts: list[Tensor] = list(operands)
    plan = F.plan_einsum(equation, [t.shape for t in ts])
    terms = []
    for i, term in enumerate(plan.terms):
        t = ts[i]
        while len(set(term)) < len(term):  # a repeated label: its diagonal, moved last
            c = next(c for c in term if term.count(c) > 1)
            p = term.index(c)
            q = term.index(c, p + 1)
            t = t.diagonal(0, p, q)
            term = term[:p] + term[p + 1 : q] + term[q + 1 :] + c
        full = tuple(plan.sizes[c] for c in term)
        ts[i] = t.expand(full) if full != t.shape else t
        terms.append(term)
    return F.Einsum.apply(*ts, equation=",".join(terms) + "->" + plan.output)


class TensorLinalgMethods(TensorShapeMethods):
    """Batched and scaled matrix products and the Kronecker product of `Tensor`."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def _wrap(self, other: Any, op: str) -> Tensor: ...

    def bmm(self, mat2: Any) -> Tensor:
        """The products of two batches of matrices: y[b] = self[b] @ mat2[b].

        Both must be 3-D, (B, n, k) and (B, k, p), with the same batch size B (no broadcasting,
        as PyTorch's bmm; `matmul` broadcasts).

        Example:
            >>> from tinygrad_lite import ones
            >>> ones(2, 3, 4).bmm(ones(2, 4, 5)).shape
            (2, 3, 5)
        """
        b = self._wrap(mat2, "bmm")
        for name, t in (("batch1", self), ("batch2", b)):
            if t.ndim != 3:
                raise ValueError(f"bmm: {name} must be a 3-D tensor, got shape {t.shape}")
        (nb, _, k), (mb, kb, _) = self.shape, b.shape
        if (mb, kb) != (nb, k):
            raise ValueError(
                f"bmm: batch2 of shape {b.shape} must have shape ({nb}, {k}, p) to multiply "
                f"batch1 of shape {self.shape}"
            )
        return F.MatMul.apply(self, b)

    def baddbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """β·self + α·(batch1 @ batch2) for batches of matrices (see `bmm`).

        Self broadcasts to the product's shape (B, n, p). With β = 0 self is ignored (NaN and
        ∞ there included) and gets a zero gradient, as in PyTorch.
        """
        a = self._wrap(batch1, "baddbmm")
        return scaled_sum("baddbmm", self, a.bmm(batch2), beta, alpha)  # type: ignore[arg-type]

    def addmm(self, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """β·self + α·(mat1 @ mat2) for two matrices (n, k) and (k, p).

        Self broadcasts to (n, p). With β = 0 self is ignored (NaN and ∞ there included) and
        gets a zero gradient, as in PyTorch.
        """
        a, b = self._wrap(mat1, "addmm"), self._wrap(mat2, "addmm")
        for name, t in (("mat1", a), ("mat2", b)):
            if t.ndim != 2:
                raise ValueError(f"addmm: {name} must be a matrix, got shape {t.shape}")
        if a.shape[1] != b.shape[0]:
            (n, k), (k2, p) = a.shape, b.shape
            raise ValueError(
                f"addmm: mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{p})"
            )
        return scaled_sum("addmm", self, F.MatMul.apply(a, b), beta, alpha)  # type: ignore[arg-type]

    def kron(self, other: Any) -> Tensor:
        """The Kronecker product: y[i·m + k] = self[i]·other[k] in every dimension.

        The operand with fewer dimensions gets leading dimensions of size 1; the result's
        size is the product of the two sizes in each dimension.

        Example:
            >>> from tinygrad_lite import Tensor
            >>> Tensor([1, 10]).kron(Tensor([1, 2, 3])).tolist()
            [1, 2, 3, 10, 20, 30]
        """
        b = self._wrap(other, "kron")
        n = max(self.ndim, b.ndim)
        sa = (1,) * (n - self.ndim) + self.shape
        sb = (1,) * (n - b.ndim) + b.shape
        # a's dims at even places and b's at odd ones: the product interleaves them
        left = self.reshape(tuple(d for s in sa for d in (s, 1)))
        right = b.reshape(tuple(d for s in sb for d in (1, s)))
        return F.Mul.apply(left, right).reshape(tuple(x * y for x, y in zip(sa, sb, strict=True)))
