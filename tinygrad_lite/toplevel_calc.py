"""PyTorch's vector products and distances: cross, inner, vdot, cdist, dist, matrix_power, ...

`tg.cross`, `tg.inner`, `tg.vdot`, `tg.cdist`, `tg.dist`, `tg.matrix_power` and
`tg.chain_matmul`, with PyTorch's formulas (so the same rounding where the order of operations
decides it), its gradients at kinks (a distance's gradient is 0 where the distance is 0) and
its refusals. Each is composed of Tensor ops, so higher-order gradients and
`tinygrad_lite.compile` work.

>>> import tinygrad_lite as tg
>>> tg.cross(tg.tensor([1.0, 0.0, 0.0]), tg.tensor([0.0, 1.0, 0.0]), dim=0).tolist()
[0.0, 0.0, 1.0]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import ops as F
from .tensor import Tensor
from .tensor_more.products import check_floats, check_same_dtype, p_norm, with_gradient_of

__all__ = ["cdist", "chain_matmul", "cross", "dist", "inner", "matrix_power", "vdot"]

_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


def _t(x: Any, fn: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}: expected a Tensor, got {type(x).__name__}; wrap arrays with "
            "tinygrad_lite.tensor(...)"
        )
    return x


# ---------------------------------------------------------------------- products


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The cross product a × b of 3-vectors along `dim` (the other dims broadcast).

    Without `dim`, PyTorch's deprecated default is kept: the first dimension of size 3 of
    `input`, with a warning (PyTorch's default will become -1, `linalg.cross`'s); pass dim.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.cross(tg.tensor([[1, 2, 3]]), tg.tensor([[3, 1, 2]]), dim=1).tolist()
        [[1, 7, -5]]
    """
    return _t(input, "cross").cross(_t(other, "cross"), dim)


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Σ over the last dims of input and other: shape input.shape[:-1] + other.shape[:-1].

    A 0-D operand multiplies the other one. Both must have one dtype (as in PyTorch).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.inner(tg.tensor([[1.0, 2.0]]), tg.tensor([[3.0, 4.0], [1.0, 0.0]])).tolist()
        [[11.0, 1.0]]
    """
    return _t(input, "inner").inner(_t(other, "inner"))


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """Σ conj(input_i)·other_i of two 1-D tensors of one length and dtype (real: the dot).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.vdot(tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0])).item()
        11.0
    """
    return _t(input, "vdot").vdot(_t(other, "vdot"))


def matrix_power(input: Tensor, n: int) -> Tensor:
    """The n-th power of a (batch of) square matrices, n ≥ 0; n = 0 gives the identity.

    The products are taken in PyTorch's order (binary powers), so the rounding is the same.
    A negative n is the power of the inverse (float matrices only; a singular one is refused),
    as PyTorch computes it.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.matrix_power(tg.tensor([[1, 1], [0, 1]]), 3).tolist()
        [[1, 3], [0, 1]]
    """
    return _t(input, "matrix_power").matrix_power(n)


def chain_matmul(*matrices: Tensor) -> Tensor:
    """The product of a chain of matrices, in the cheapest order (as `linalg.multi_dot`).

    The order is PyTorch's (the fewest scalar multiplications; its tie-breaking), so the
    rounding is the same. One matrix is returned as a copy.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.chain_matmul(tg.ones(2, 3), tg.ones(3, 4), tg.ones(4, 1)).tolist()
        [[12.0], [12.0]]
    """
    ms = [_t(m, "chain_matmul") for m in matrices]
    if not ms:
        raise ValueError("chain_matmul: needs one or more matrices")
    for k, m in enumerate(ms):
        if m.ndim != 2:
            raise ValueError(f"chain_matmul: expects 2-D matrices, matrix {k} has shape {m.shape}")
    for k in range(len(ms) - 1):
        if ms[k].shape[1] != ms[k + 1].shape[0]:
            raise ValueError(
                f"chain_matmul: matrices {k} and {k + 1} do not align: shapes {ms[k].shape} and "
                f"{ms[k + 1].shape}"
            )
    if len(ms) == 1:
        return ms[0].clone()
    if len(ms) == 2:
        return ms[0] @ ms[1]
    if len(ms) == 3:
        a, b = ms[0].shape
        c, d = ms[2].shape
        if (a * c) * (b + d) > (b * d) * (a + c):
            return ms[0] @ (ms[1] @ ms[2])
        return (ms[0] @ ms[1]) @ ms[2]
    p = [m.shape[0] for m in ms] + [ms[-1].shape[1]]
    n = len(ms)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for span in range(1, n):
        for i in range(n - span):
            j = i + span
            cost[i][j] = math.inf  # type: ignore[call-overload]
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k

    def product(i: int, j: int) -> Tensor:
        if i == j:
            return ms[i]
        k = split[i][j]
        return product(i, k) @ product(k + 1, j)

    return product(0, n - 1)


# ---------------------------------------------------------------------- distances


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of input − other (broadcast), ‖input − other‖_p, over all elements.

    p = 2 has gradient 0 where the distance is 0; ∞ and −∞ share it among ties (as
    PyTorch's); 0 counts the differing elements (no gradient). Finite negative p are refused.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.dist(tg.tensor([0.0, 0.0]), tg.tensor([3.0, 4.0])).item()
        5.0
    """
    return _t(input, "dist").dist(_t(other, "dist"), p)


def _mm_distance(x1: Tensor, x2: Tensor) -> Tensor:
    """PyTorch's matrix-product form √max(‖x‖² + ‖y‖² − 2x·y, 0), with a true gradient.

    The value is computed as PyTorch computes it (one product of padded matrices). Its
    derivatives, of every order, are those of the distance computed from the differences,
    which the product form approximates: (x − y)/d, 0 where the product form gives 0, as
    PyTorch's (PyTorch divides by the product form's d, which loses digits for close points).
    """
    a, b = x1.detach(), x2.detach()
    an, bn = (a * a).sum(-1, keepdim=True), (b * b).sum(-1, keepdim=True)
    one_a, one_b = Tensor(np.ones(an.shape, a.dtype)), Tensor(np.ones(bn.shape, b.dtype))
    left = F.Cat.apply(a * -2, an, one_a, dim=-1)
    right = F.Cat.apply(b, one_b, bn, dim=-1)
    value = (left @ right.mT).clamp_min(0).sqrt()
    direct = (x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(2, -1)
    return with_gradient_of(value, direct.where(value != 0, 0.0))


def cdist(
    x1: Tensor,
    x2: Tensor,
    p: float = 2.0,
    compute_mode: str = "use_mm_for_euclid_dist_if_necessary",
) -> Tensor:
    """The p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M): (..., P, R).

    The batch dims broadcast. For p = 2 the matrix-product form √(‖x‖² + ‖y‖² − 2x·y) is used
    when compute_mode is "use_mm_for_euclid_dist", or "use_mm_for_euclid_dist_if_necessary"
    (the default) with more than 25 rows on either side, as PyTorch does (faster, but it loses
    precision for close points); otherwise the differences are summed directly. Gradients are
    PyTorch's: 0 where a distance is 0; for p = ∞ every tied largest difference gets it; p = 0
    counts differing coordinates (no gradient).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.cdist(tg.tensor([[0.0, 0.0]]), tg.tensor([[3.0, 4.0], [1.0, 1.0]]), p=1).tolist()
        [[7.0, 2.0]]
    """
    a, b = _t(x1, "cdist"), _t(x2, "cdist")
    if compute_mode not in _MODES:
        raise ValueError(
            f"cdist: {compute_mode!r} is not a valid compute_mode; use one of {_MODES}"
        )
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(
            f"cdist: needs tensors of 2 or more dimensions, got {a.shape} and {b.shape}"
        )
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"cdist: x1 and x2 must have the same number of columns, got {a.shape[-1]} and "
            f"{b.shape[-1]}"
        )
    check_floats("cdist", a, b)
    check_same_dtype("cdist", a, b)
    p = float(p)
    if not p >= 0:
        raise ValueError(f"cdist: p must be non-negative, got {p}")
    big = a.shape[-2] > 25 or b.shape[-2] > 25
    if p == 2 and (compute_mode == _MODES[1] or (compute_mode == _MODES[0] and big)):
        return _mm_distance(a, b)
    d = a.unsqueeze(-2) - b.unsqueeze(-3)
    if p == 2:
        return d.norm(2, -1)
    if p == 1:
        return d.abs().sum(-1)
    if p == 0:  # the count of differing coordinates, in the graph with gradient 0 (PyTorch's)
        count = (d != 0).astype(d.dtype)
        return d.where(Tensor(np.zeros(d.shape, np.bool_)), count).sum(-1)
    if p == math.inf:
        m = d.abs()
        top = m.amax(-1)
        tied = (m.detach() == top.detach().unsqueeze(-1)).astype(m.dtype)
        return with_gradient_of(top, (m * tied).sum(-1))
    return p_norm(d, p, -1)
