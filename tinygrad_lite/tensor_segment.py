"""The Tensor's segment reductions: scatter_reduce, the values sent to each position combined.

`scatter_reduce(dim, index, src, reduce)` is PyTorch's: every src element is sent, as in
`scatter`, to the position that `index` names along `dim`, and each position combines what
it receives ("sum", "prod", "mean", "amax" or "amin"), with self's own element unless
`include_self=False`. "prod", "amax" and "amin" are ops (`ScatterProd`, ...); "sum" and
"mean" are composed of `IndexAdd`, `Where` and a division by the counts.

>>> from tinygrad_lite import tensor
>>> x = tensor([0.0, 0.0, 0.0])
>>> x.scatter_reduce(0, tensor([0, 2, 0]), tensor([1.0, 2.0, 3.0]), "amax").tolist()
[3.0, 0.0, 2.0]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import dtypes
from . import ops as F
from .ops.scatter_red import ScatterAmax, ScatterAmin, ScatterProd
from .tensor_shape import TensorShapeMethods, array_of, constant_result, dim_arg

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["REDUCTIONS", "TensorSegmentMethods"]

#: The reductions of `scatter_reduce`; PyTorch also takes "max" and "min" for the last two.
REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")
_ALIASES = {"max": "amax", "min": "amin"}
_OPS = {"prod": ScatterProd, "amax": ScatterAmax, "amin": ScatterAmin}


def _reduction(reduce: Any) -> str:
    how = _ALIASES.get(reduce, reduce) if isinstance(reduce, str) else None
    if how not in REDUCTIONS:
        raise ValueError(
            "scatter_reduce: reduce must be one of 'sum', 'prod', 'mean', 'amax' or 'amin', "
            f"got {reduce!r}"
        )
    return str(how)


class TensorSegmentMethods(TensorShapeMethods):
    """`scatter_reduce` and `scatter_reduce_` of `Tensor` (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def _wrap(self, other: Any, op: str) -> Tensor: ...

        def _in_place(self, what: str, op: Any, other: Any, ufunc: Any = None) -> Tensor: ...

    def scatter_reduce(
        self, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        """Self with each position combined with the src values that `index` sends to it.

        For every position p of `index` (which has self's number of dimensions), src[p] is
        sent to the element t of self whose index along `dim` is index[p] and whose other
        indices are p's; y[t] is then the `reduce` of self[t] and everything sent to t:
        "sum", "prod", "mean" (integers: rounded down), "amax" or "amin" ("max" and "min"
        are taken too, as PyTorch does). With `include_self=False`, self[t] is left out
        where anything is sent to t (and the mean counts only what was sent); elsewhere
        y[t] = self[t]. The index follows `scatter`'s rules (in range, no negative
        positions; no larger than src, nor than self outside `dim`); src is a tensor of
        self's dtype. Bools: "sum" and "amax" are "or", "prod" and "amin" "and".

        Gradients are PyTorch's: the sum's and the mean's are the output gradient (over
        the count) at each included element; the product's is the product of the other
        factors, computed without a division, so exact with zeros and to every order
        (PyTorch refuses a second derivative where two zeros of src meet); the extremes'
        is split evenly among the elements equal to the result. Two differences: self is
        not counted among the ties where `include_self=False` left it out (PyTorch counts
        it), and a NaN result's gradient goes to its NaNs (PyTorch gives NaN to the whole
        position, and to a NaN of self that received nothing).

        Raises:
            ValueError: an unknown `reduce`, or an index of the wrong shape.
            IndexError: a dim or a position out of range.
            TypeError: src not a tensor, another dtype, a float index, or "mean" of bools.

        Example:
            >>> from tinygrad_lite import tensor
            >>> x = tensor([1.0, 2.0, 3.0])
            >>> x.scatter_reduce(0, tensor([0, 0, 2]), tensor([4.0, 5.0, 6.0]), "prod").tolist()
            [20.0, 2.0, 18.0]
            >>> x.scatter_reduce(0, tensor([0, 0]), tensor([4.0, 5.0]), "mean",
            ...                  include_self=False).tolist()
            [4.5, 2.0, 3.0]
        """
        op = "scatter_reduce"
        how = _reduction(reduce)
        if not isinstance(include_self, (bool, np.bool_)):
            raise TypeError(f"{op}: include_self must be a bool, got {include_self!r}")
        if dtypes.is_scalar(src):
            raise TypeError(
                f"{op}: src must be a tensor, got the number {src!r} (scatter(dim, index, "
                "value, reduce=...) takes a number)"
            )
        s = self._wrap(src, op)
        if self.data.dtype != s.data.dtype:
            raise TypeError(
                f"{op}: self (dtype {self.data.dtype}) and src (dtype {s.data.dtype}) must "
                "have the same dtype, as in PyTorch; convert one with astype"
            )
        if how == "mean" and self.data.dtype.kind == "b":
            raise TypeError(f"{op}: reduce='mean' needs numbers, got bool tensors (as PyTorch)")
        a = dim_arg(dim, self.ndim, op)
        idx = array_of(index)
        x: Any = self.reshape(1) if self.ndim == 0 else self
        if s.ndim == 0:  # PyTorch reads 0-d operands as vectors of one element
            s = s.reshape(1)
        idx = idx.reshape(idx.shape or (1,))
        include = bool(include_self)
        if how in _OPS:
            y = _OPS[how].apply(x, s, dim=a, index=idx, include_self=include)
        else:
            y = _summed(x, s, a, idx, include, how == "mean")
        return y.reshape(self.shape)

    def scatter_reduce_(
        self, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        """`scatter_reduce` in place (see `tensor_inplace` for the rules of in-place ops).

        A source that requires grad makes self part of the graph, as in PyTorch.
        """
        return self._in_place(
            "scatter_reduce_",
            lambda a, s: a.scatter_reduce(dim, index, s, reduce, include_self=include_self),
            src,
        )


def _summed(x: Tensor, src: Tensor, dim: int, index: Any, include_self: bool, mean: bool) -> Any:
    """Σ (or the mean) of self's element, unless left out, and what is sent to each position."""
    positions = F.scatter_positions("scatter_reduce", x.shape, src.shape, index, dim)
    covered = positions[0].shape
    part = src if covered == src.shape else src[tuple(map(slice, covered))]
    received = np.zeros(x.shape, dtype=np.int64)
    np.add.at(received, positions, 1)
    base = x
    if not include_self:
        zero = constant_result(np.zeros((), dtype=x.data.dtype))
        base = F.Where.apply(constant_result(received > 0), zero, x)
    total = F.Add.apply(base, F.IndexAdd.apply(part, shape=x.shape, index=positions))
    if not mean:
        return total
    counts = np.maximum(received + include_self, 1)  # nothing sent and self left out: y = x
    if x.data.dtype.kind == "f":
        return F.Div.apply(total, constant_result(counts.astype(x.data.dtype)))
    return total.div(constant_result(counts.astype(x.data.dtype)), rounding_mode="floor")
