"""The Tensor's vector and scaled products: mv, cross, inner, dist, addmv, addr, addcmul, ...

PyTorch's methods, with its formulas (so the same rounding where the order of operations decides
it), its shape and dtype rules and its gradients at kinks (a distance's gradient is 0 where the
distance is 0). Each is composed of existing ops (matrix products, `Cat`, arithmetic), so
gradients of every order and `tinygrad_lite.compile` work. The β·self + α·P products (addmv,
addr, addbmm) are `addmm`'s: β = 0 ignores self, NaN included. The top-level
`tg.cross`, `tg.inner`, `tg.vdot` and `tg.dist` call these methods.

>>> from tinygrad_lite import tensor
>>> tensor([[1.0, 2.0], [3.0, 4.0]]).mv(tensor([1.0, 1.0])).tolist()
[3.0, 7.0]
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes
from .. import ops as F
from ..tensor_shape import constant_result, dim_arg

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = [
    "TensorProductMethods", "check_floats", "check_same_dtype", "grad_operand",
    "p_norm", "with_gradient_of",
]  # fmt: skip


def check_same_dtype(fn: str, a: Tensor, b: Tensor) -> None:
    """Refuse two tensors of different dtypes (PyTorch's products do not promote)."""
    if a.dtype != b.dtype:
        raise TypeError(f"{fn}: needs tensors of one dtype, got {a.dtype} and {b.dtype}")


def check_floats(fn: str, *ts: Tensor) -> None:
    """Refuse tensors that do not hold floats."""
    for t in ts:
        if t.dtype.kind != "f":
            raise TypeError(f"{fn}: needs float tensors, got dtype {t.dtype}")


def with_gradient_of(value: Tensor, path: Tensor) -> Tensor:
    """`value` exactly (it is added to path − path, which is 0), with the gradient of `path`."""
    return value.detach() + (path - path.detach())


def p_norm(d: Tensor, p: float, dim: int | tuple[int, ...] | None) -> Tensor:
    """(Σ |d|^p)^(1/p) over `dim` for 0 < p (not 1, 2, ∞), gradient 0 where d or the norm is 0."""
    a = d.abs()
    nonzero = a != 0
    s = a.where(nonzero, 1.0).pow(p).where(nonzero, 0.0).sum(dim)
    positive = s != 0
    return s.where(positive, 1.0).pow(1.0 / p).where(positive, 0.0)


def grad_operand(*operands: Any) -> Any:
    """The operand an in-place op reports to `_in_place`: one that requires grad, if any does.

    `_in_place` records the op when the tensor or this operand requires grad, so an op of
    several tensor operands (addmm_'s matrices, lerp_'s end and weight) passes the one that
    does.
    """
    tensors = [o for o in operands if hasattr(o, "_ctx")]
    return next((o for o in tensors if o._requires_grad), tensors[0] if tensors else None)


def _as_tensor(x: Any, other: Any, op: str) -> Tensor:
    return other if hasattr(other, "_ctx") else x._wrap(other, op)


class TensorProductMethods:
    """Vector products, scaled products and determinants of `Tensor` (see the module)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def _wrap(self, other: Any, op: str) -> Tensor: ...

        def _in_place(self, what: str, op: Any, other: Any, ufunc: Any = None) -> Tensor: ...

    # ------------------------------------------------------------------ vectors

    def mv(self, vec: Any) -> Tensor:
        """The product of a matrix (n, k) and a vector (k,) of one dtype: a vector (n,).

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[1, 2], [3, 4]]).mv(tensor([1, 0])).tolist()
            [1, 3]
        """
        x: Tensor = self  # type: ignore[assignment]
        v = _as_tensor(x, vec, "mv")
        if x.ndim != 2 or v.ndim != 1 or x.shape[1] != v.shape[0]:
            raise ValueError(
                f"mv: needs a matrix (n, k) and a vector (k,), got shapes {x.shape} and {v.shape}"
            )
        check_same_dtype("mv", x, v)
        return x.matmul(v)

    def cross(self, other: Tensor, dim: int | None = None) -> Tensor:
        """The cross product a × b of 3-vectors along `dim` (the other dims broadcast).

        Without `dim`, PyTorch's deprecated default is kept: the first dimension of size 3 of
        self, with a warning (PyTorch's default will become -1, `linalg.cross`'s); pass dim.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[1, 2, 3]]).cross(tensor([[3, 1, 2]]), dim=1).tolist()
            [[1, 7, -5]]
        """
        a: Tensor = self  # type: ignore[assignment]
        b = _as_tensor(a, other, "cross")
        check_same_dtype("cross", a, b)
        if a.ndim != b.ndim:
            raise ValueError(
                f"cross: inputs must have the same number of dimensions, got shapes {a.shape} "
                f"and {b.shape}"
            )
        if dim is None:
            threes = [k for k, n in enumerate(a.shape) if n == 3]
            if not threes:
                raise ValueError(f"cross: no dimension of size 3 in input of shape {a.shape}")
            dim = threes[0]
            warnings.warn(
                f"cross: without dim, the first dimension of size 3 ({dim}) is used, as "
                "PyTorch's deprecated default; pass dim explicitly",
                UserWarning,
                stacklevel=2,
            )
        d = dim_arg(dim, a.ndim, "cross")
        if a.shape[d] != 3 or b.shape[d] != 3:
            raise ValueError(
                f"cross: inputs must have length 3 in dim {dim}, got {a.shape[d]} and {b.shape[d]}"
            )
        shape = np.broadcast_shapes(a.shape, b.shape)
        a, b = a.broadcast_to(shape), b.broadcast_to(shape)
        a0, a1, a2 = (a.narrow(d, k, 1) for k in range(3))
        b0, b1, b2 = (b.narrow(d, k, 1) for k in range(3))
        return F.Cat.apply(a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0, dim=d)

    def inner(self, other: Tensor) -> Tensor:
        """Σ over the last dims of self and other: shape self.shape[:-1] + other.shape[:-1].

        A 0-D operand multiplies the other one. Both must have one dtype (as in PyTorch).

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[1.0, 2.0]]).inner(tensor([[3.0, 4.0], [1.0, 0.0]])).tolist()
            [[11.0, 1.0]]
        """
        a: Tensor = self  # type: ignore[assignment]
        b = _as_tensor(a, other, "inner")
        check_same_dtype("inner", a, b)
        if a.ndim == 0 or b.ndim == 0:
            return a * b
        if a.shape[-1] != b.shape[-1]:
            raise ValueError(
                f"inner: the last dimensions must match, got shapes {a.shape} and {b.shape}"
            )
        k, m, n = a.shape[-1], math.prod(a.shape[:-1]), math.prod(b.shape[:-1])
        return (a.reshape(m, k) @ b.reshape(n, k).mT).reshape(a.shape[:-1] + b.shape[:-1])

    def vdot(self, other: Tensor) -> Tensor:
        """Σ conj(self_i)·other_i of two 1-D tensors of one length and dtype (real: the dot).

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1.0, 2.0]).vdot(tensor([3.0, 4.0])).item()
            11.0
        """
        a: Tensor = self  # type: ignore[assignment]
        b = _as_tensor(a, other, "vdot")
        if a.ndim != 1 or b.ndim != 1:
            raise ValueError(f"vdot: needs two 1-D tensors, got shapes {a.shape} and {b.shape}")
        if a.shape != b.shape:
            raise ValueError(
                f"vdot: needs vectors of one length, got {a.shape[0]} and {b.shape[0]}"
            )
        check_same_dtype("vdot", a, b)
        return a.dot(b)

    def dist(self, other: Tensor, p: float = 2) -> Tensor:
        """The p-norm of self − other (broadcast), ‖self − other‖_p, over all elements.

        p = 2 has gradient 0 where the distance is 0; ∞ and −∞ share it among ties (as
        PyTorch's); 0 counts the differing elements (no gradient). Finite negative p are
        refused.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([0.0, 0.0]).dist(tensor([3.0, 4.0])).item()
            5.0
        """
        a: Tensor = self  # type: ignore[assignment]
        b = _as_tensor(a, other, "dist")
        check_floats("dist", a, b)
        p = float(p)
        d = a - b
        if p in (2.0, 1.0, math.inf, -math.inf, 0.0):
            return d.norm(p if p in (math.inf, -math.inf) else int(p))
        if p < 0:
            raise ValueError(f"dist: p must be non-negative or ±inf, got {p}")
        return p_norm(d, p, None)

    def renorm(self, p: float, dim: int, maxnorm: float) -> Tensor:
        """Each slice along `dim` whose p-norm exceeds maxnorm, scaled to norm maxnorm.

        y = x·maxnorm/(‖x‖_p + 1e-7) for those slices (PyTorch's formula, its 1e-7 included),
        x elsewhere; the gradient includes the norm's dependence on x.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[3.0, 4.0], [0.3, 0.4]]).renorm(2, 0, 1.0).tolist()
            [[0.5999999880000002, 0.7999999840000003], [0.3, 0.4]]
        """
        x: Tensor = self  # type: ignore[assignment]
        check_floats("renorm", x)
        if x.ndim < 2:
            raise ValueError(f"renorm: needs at least 2 dimensions, got shape {x.shape}")
        a = dim_arg(dim, x.ndim, "renorm")
        p, maxnorm = float(p), float(maxnorm)
        if not p > 0:
            raise ValueError(f"renorm: p must be > 0, got {p}")
        if not maxnorm >= 0:
            raise ValueError(f"renorm: maxnorm must be >= 0, got {maxnorm}")
        others = tuple(d for d in range(x.ndim) if d != a)
        kept = tuple(1 if d != a else n for d, n in enumerate(x.shape))
        if p in (1.0, 2.0, math.inf):
            norm = x.norm(math.inf if p == math.inf else int(p), others, keepdim=True)
        else:
            norm = p_norm(x, p, others).reshape(kept)
        big = constant_result(norm.data > maxnorm)
        return x * F.Where.apply(big, maxnorm / (norm + 1e-7), x._wrap(1.0, "renorm"))

    def renorm_(self, p: float, dim: int, maxnorm: float) -> Tensor:
        """`renorm` in place."""
        return self._in_place("renorm_", lambda a, _: a.renorm(p, dim, maxnorm), None)

    # ------------------------------------------------------------------ scaled products

    def _plus_product(
        self, op: str, mat1: Tensor, mat2: Tensor, shape: tuple[int, ...], beta: Any, alpha: Any
    ) -> Tensor:
        """β·self + α·(mat1 @ mat2) by `addmm`, self checked against the product's `shape`."""
        x: Tensor = self  # type: ignore[assignment]
        try:
            np.broadcast_shapes(x.shape, shape)
            fits = np.broadcast_shapes(x.shape, shape) == shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"{op}: self of shape {x.shape} does not broadcast to the product's shape {shape}"
            )
        view = x.reshape(x.shape + (1,)) if x.ndim and len(shape) == 1 else x
        try:
            out = view.addmm(mat1, mat2, beta=beta, alpha=alpha)
        except TypeError as e:  # alpha or beta: addmm's message, in this op's name
            raise TypeError(str(e).replace("addmm:", f"{op}:", 1)) from None
        return out.reshape(shape)

    def addmv(self, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """β·self + α·(mat @ vec) for a matrix (n, k) and a vector (k,); self broadcasts to (n,).

        Self, mat and vec must have one dtype (as in PyTorch). With β = 0 self is ignored (NaN
        and ∞ there included) and gets a zero gradient.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1.0, 1.0]).addmv(tensor([[1.0, 2.0], [3.0, 4.0]]), tensor([1.0, 1.0]),
            ...                          beta=2).tolist()
            [5.0, 9.0]
        """
        x: Tensor = self  # type: ignore[assignment]
        m, v = _as_tensor(x, mat, "addmv"), _as_tensor(x, vec, "addmv")
        if m.ndim != 2 or v.ndim != 1 or x.ndim > 1 or m.shape[1] != v.shape[0]:
            raise ValueError(
                f"addmv: needs self + matrix @ vector, a matrix (n, k) and a vector (k,), got "
                f"shapes {x.shape}, {m.shape} and {v.shape}"
            )
        check_same_dtype("addmv", x, m)
        check_same_dtype("addmv", m, v)
        return self._plus_product("addmv", m, v.reshape(-1, 1), (m.shape[0],), beta, alpha)

    def addr(self, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """β·self + α·(vec1 ⊗ vec2), the outer product (n, m) of two vectors; self broadcasts.

        Example:
            >>> from tinygrad_lite import zeros, tensor
            >>> zeros(2, 2).addr(tensor([1.0, 2.0]), tensor([3.0, 4.0])).tolist()
            [[3.0, 4.0], [6.0, 8.0]]
        """
        x: Tensor = self  # type: ignore[assignment]
        a, b = _as_tensor(x, vec1, "addr"), _as_tensor(x, vec2, "addr")
        if a.ndim != 1 or b.ndim != 1:
            raise ValueError(f"addr: needs two vectors, got shapes {a.shape} and {b.shape}")
        shape = (a.shape[0], b.shape[0])
        return self._plus_product("addr", a.reshape(-1, 1), b.reshape(1, -1), shape, beta, alpha)

    def addbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """β·self + α·Σ_b batch1[b] @ batch2[b] for batches (B, n, k) and (B, k, p).

        The sum of the products is one matrix product of the batches laid side by side,
        [A₀ A₁ ...] @ [B₀; B₁; ...]; self broadcasts to (n, p). The three must have one dtype
        (as in PyTorch).
        """
        x: Tensor = self  # type: ignore[assignment]
        a, b = _as_tensor(x, batch1, "addbmm"), _as_tensor(x, batch2, "addbmm")
        if a.ndim != 3 or b.ndim != 3:
            raise ValueError(
                f"addbmm: batch1 and batch2 must be 3-D, got shapes {a.shape} and {b.shape}"
            )
        if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
            raise ValueError(
                f"addbmm: batch2 of shape {b.shape} must have shape ({a.shape[0]}, {a.shape[2]}, "
                f"p) to multiply batch1 of shape {a.shape}"
            )
        check_same_dtype("addbmm", x, a)
        check_same_dtype("addbmm", a, b)
        (nb, n, k), p = a.shape, b.shape[2]
        side = a.permute(1, 0, 2).reshape(n, nb * k)
        return self._plus_product("addbmm", side, b.reshape(nb * k, p), (n, p), beta, alpha)

    def _pointwise(self, op: str, t1: Any, t2: Any, value: Any) -> tuple[Tensor, ...]:
        """Self, t1 and t2 in their promoted dtype, `value` checked against it."""
        x: Tensor = self  # type: ignore[assignment]
        a, b = _as_tensor(x, t1, op), _as_tensor(x, t2, op)
        dt = dtypes.result_type(x.data, a.data, b.data)
        if dt.kind == "b":
            raise TypeError(f"{op}: not defined for bool tensors")
        if not dtypes.is_scalar(value) or isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{op}: value must be a number, got {value!r}")
        if dt.kind in "iu" and not isinstance(value, (int, np.integer)):
            raise TypeError(
                f"{op}: value={value!r} must be an integer for integer tensors (PyTorch would "
                "truncate it silently)"
            )
        return tuple(t if t.dtype == dt else t.astype(dt) for t in (x, a, b))

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """Self + value·tensor1·tensor2, elementwise with broadcasting (PyTorch's order).

        Example:
            >>> from tinygrad_lite import tensor
            >>> x = tensor([1.0, 2.0])
            >>> x.addcmul(tensor([2.0, 3.0]), tensor([4.0, 5.0]), value=0.5).tolist()
            [5.0, 9.5]
        """
        x, a, b = self._pointwise("addcmul", tensor1, tensor2, value)
        return x + (a if value == 1 else a * value) * b

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """Self + value·tensor1/tensor2, elementwise with broadcasting (PyTorch's order).

        As PyTorch, refused when tensor1 and tensor2 are both integers (its old integer
        division is gone).

        Example:
            >>> from tinygrad_lite import tensor
            >>> x = tensor([1.0, 2.0])
            >>> x.addcdiv(tensor([2.0, 3.0]), tensor([4.0, 5.0]), value=0.5).tolist()
            [1.25, 2.3]
        """
        k1, k2 = (_as_tensor(self, t, "addcdiv").dtype.kind for t in (tensor1, tensor2))
        if k1 in "biu" and k2 in "biu":
            raise TypeError(
                "addcdiv: tensor1 and tensor2 are both integers: integer division is not "
                "supported (as in PyTorch); convert one to a float dtype"
            )
        x, a, b = self._pointwise("addcdiv", tensor1, tensor2, value)
        return x + (a if value == 1 else a * value) / b

    # ------------------------------------------------------------------ in place

    def addmm_(self, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """`addmm` in place (see `tensor_inplace` for the rules)."""
        op = lambda a, _: a.addmm(mat1, mat2, beta=beta, alpha=alpha)  # noqa: E731
        return self._in_place("addmm_", op, grad_operand(mat1, mat2))

    def baddbmm_(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """`baddbmm` in place."""
        op = lambda a, _: a.baddbmm(batch1, batch2, beta=beta, alpha=alpha)  # noqa: E731
        return self._in_place("baddbmm_", op, grad_operand(batch1, batch2))

    def addbmm_(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """`addbmm` in place."""
        op = lambda a, _: a.addbmm(batch1, batch2, beta=beta, alpha=alpha)  # noqa: E731
        return self._in_place("addbmm_", op, grad_operand(batch1, batch2))

    def addmv_(self, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """`addmv` in place."""
        op = lambda a, _: a.addmv(mat, vec, beta=beta, alpha=alpha)  # noqa: E731
        return self._in_place("addmv_", op, grad_operand(mat, vec))

    def addr_(self, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """`addr` in place."""
        op = lambda a, _: a.addr(vec1, vec2, beta=beta, alpha=alpha)  # noqa: E731
        return self._in_place("addr_", op, grad_operand(vec1, vec2))

    def addcmul_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """`addcmul` in place."""
        op = lambda a, _: a.addcmul(tensor1, tensor2, value=value)  # noqa: E731
        return self._in_place("addcmul_", op, grad_operand(tensor1, tensor2))

    def addcdiv_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """`addcdiv` in place."""
        op = lambda a, _: a.addcdiv(tensor1, tensor2, value=value)  # noqa: E731
        return self._in_place("addcdiv_", op, grad_operand(tensor1, tensor2))

    def lerp_(self, end: Any, weight: Any) -> Tensor:
        """`lerp` in place: self + weight·(end − self)."""
        op = lambda a, _: a.lerp(end, weight)  # noqa: E731
        return self._in_place("lerp_", op, grad_operand(end, weight))
