"""Scatter reductions: the product, maximum or minimum of the values sent to each position.

`ScatterProd`, `ScatterAmax` and `ScatterAmin` are `Tensor.scatter_reduce`'s "prod", "amax"
and "amin" (its "sum" and "mean" are composed of `IndexAdd`). Each element of the result
combines self's element (unless `include_self=False`) with every src element that `index`
sends to it along `dim`; the index is checked as `scatter`'s (`scatter_positions`).

>>> import numpy as np
>>> from tinygrad_lite import tensor
>>> from tinygrad_lite.ops.scatter_red import ScatterAmax
>>> x, src = tensor([0.0, 5.0]), tensor([3.0, 1.0, 4.0])
>>> ScatterAmax.apply(x, src, index=np.array([0, 0, 1])).tolist()
[3.0, 5.0]
"""

from __future__ import annotations

from .. import tracing
from .base import Any, Context, Function, call, kept, np, register, value, zeroed
from .scatter import scatter_positions
from .shape import IndexAdd

__all__ = ["ScatterAmax", "ScatterAmin", "ScatterProd", "identity_of", "others_product"]

_OP = "scatter_reduce"


def identity_of(reduce: str, dtype: Any) -> Any:
    """The value that leaves any other unchanged under `reduce` ("prod", "amax", "amin").

    It stands for self's element where `include_self=False`: 1, or the lowest (highest) value
    of the dtype for a maximum (minimum): −∞ (+∞) for floats, False (True) for bools.
    """
    if reduce == "prod":
        return 1
    larger = reduce == "amax"
    if dtype.kind == "b":
        return not larger
    if dtype.kind == "f":
        return -np.inf if larger else np.inf
    info = np.iinfo(dtype)
    return info.min if larger else info.max


def _covered(src: Any, positions: tuple[Any, ...]) -> Any:
    """The part of src that the index covers (src itself when it has the index's shape)."""
    shape = positions[0].shape
    return src if src.shape == shape else src[tuple(map(slice, shape))]


def _placed(part: Any, src_shape: tuple[int, ...]) -> Any:
    """A gradient of the covered part of src, in src's shape (0 outside the index)."""
    if part.shape == src_shape:
        return part
    return call(IndexAdd, part, shape=src_shape, index=tuple(map(slice, part.shape)))


def _one_at_a_time(combine: Any) -> Any:
    """A reference: src's elements combined into self's in C order over the index."""

    def reference(x: Any, src: Any, dim: int, index: Any, include_self: bool = True) -> Any:
        out = x.copy()
        seen = np.zeros(x.shape, dtype=bool)
        for pos in np.ndindex(*index.shape):
            target = list(pos)
            target[dim] = index[pos]
            at = tuple(target)
            out[at] = combine(out[at], src[pos]) if include_self or seen[at] else src[pos]
            seen[at] = True
        return out

    return reference


class _ScatterReduce(Function):
    """The forward all three share: self (or the identity) combined with src by `ufunc.at`."""

    reduce = ""
    ufunc: Any = None

    @classmethod
    def forward(
        cls,
        ctx: Context,
        x: Any,
        src: Any,
        dim: int = 0,
        index: Any = None,
        include_self: bool = True,
    ) -> Any:
        if x.dtype != src.dtype:
            raise TypeError(
                f"{_OP}: self (dtype {x.dtype}) and src (dtype {src.dtype}) must have the same "
                "dtype, as in PyTorch"
            )
        if x.ndim == 0 or not -x.ndim <= dim < x.ndim:
            raise IndexError(f"{_OP}: dim {dim} is out of range for shape {x.shape}")
        dim %= x.ndim
        index = np.asarray(index)
        positions = scatter_positions(_OP, x.shape, src.shape, index, dim)
        touched = np.zeros(x.shape, dtype=bool)
        touched[positions] = True
        out = x.copy()
        if not include_self:
            out[positions] = identity_of(cls.reduce, x.dtype)
        part = _covered(src, positions)
        if cls.reduce == "prod":
            cls.ufunc.at(out, positions, part)
        else:  # NaN is the extreme of anything, quietly (as `Max`)
            with tracing.errstate(invalid="ignore"):
                cls.ufunc.at(out, positions, part)
        ctx.save_for_backward(x, src, out, positions, touched, dim, index, include_self)
        return out


def _same(a: Any, b: Any) -> Any:
    """Whether a = b, elementwise, with NaN equal to NaN (a NaN result is the NaNs' own)."""
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _extreme_backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
    """The gradient of a position goes to the elements equal to its result, split evenly.

    Self's element counts only where it was included; a NaN result's gradient goes to the
    NaNs. The split is a convex combination of the tied elements' gradients: a subgradient.
    """
    x, src, y, positions, touched, _, _, include_self = ctx.saved
    xv, yv = value(x), value(y)
    self_ties = _same(xv, yv) if include_self else _same(xv, yv) & ~touched
    src_ties = _same(_covered(value(src), positions), yv[positions])
    counts = self_ties.astype(xv.dtype)
    np.add.at(counts, positions, src_ties)  # ≥ 1: some element is the result
    nx, nsrc = ctx.needs_input_grad
    gx = grad * (self_ties / counts) if nx else None
    gsrc = None
    if nsrc:
        gsrc = _placed(grad[positions] * (src_ties / counts[positions]), src.shape)
    return gx, gsrc


@register(
    "scatter_amax",
    arity=2,
    domain=("distinct", "distinct_offset"),
    kind="scatter",
    reference=_one_at_a_time(max),
)
class ScatterAmax(_ScatterReduce):
    """y = x with y[t] = max(x[t], src[p] for every p that `index` sends to t) along `dim`.

    Without self (`include_self=False`) a position that receives nothing keeps x. The
    gradient of y[t] is split evenly among the elements equal to it (as PyTorch's); NaN is
    the maximum of anything.
    """

    reduce = "amax"
    ufunc = np.maximum
    backward = staticmethod(_extreme_backward)

    formula = ("{g} ⊙ [{0} = {out}]/#ties", "{g} at the index ⊙ [{1} = {out}]/#ties")


@register(
    "scatter_amin",
    arity=2,
    domain=("distinct", "distinct_offset"),
    kind="scatter",
    reference=_one_at_a_time(min),
)
class ScatterAmin(_ScatterReduce):
    """y = x with y[t] = min(x[t], src[p] for every p that `index` sends to t) along `dim`.

    Ties, NaN and the gradient as `ScatterAmax`'s.
    """

    reduce = "amin"
    ufunc = np.minimum
    backward = staticmethod(_extreme_backward)

    formula = ("{g} ⊙ [{0} = {out}]/#ties", "{g} at the index ⊙ [{1} = {out}]/#ties")


def _shifted(v: Any, run: Any, d: int) -> Any:
    """The values v moved d places on within each run of equal `run`, 1 where they left it."""
    inside = np.zeros(run.shape, dtype=bool)
    inside[d:] = run[d:] == run[: run.size - d]
    moved = np.concatenate([v[:d], v[: run.size - d]])  # the first d are never kept
    return np.where(inside, moved, 1)


def _exclusive_products(v: Any, run: Any, longest: int) -> Any:
    """For each element, the product of the elements before it in its run (runs contiguous).

    Hillis and Steele's scan: log2 of the longest run in steps, each a shift and a product.
    """
    p, d = _shifted(v, run, 1), 1
    while d < longest - 1:
        p = p * _shifted(p, run, d)
        d *= 2
    return p


def others_product(values: Any, targets: Any) -> Any:
    """For each element of `values`, the product of the other elements of the same target.

    By sorting on the target and scanning products from both ends of each run, without a
    division: exact where an element is 0 or tiny, and, its graph recorded, exact to every
    order of derivative. `values` is an array or a tensor, `targets` an int array of its shape.
    """
    order = np.argsort(targets.reshape(-1), kind="stable")
    run = targets.reshape(-1)[order]
    edges = np.flatnonzero(np.concatenate(([True], run[1:] != run[:-1], [True])))
    longest = int(np.diff(edges).max(initial=0))
    v = values.reshape(-1)[order]
    before = _exclusive_products(v, run, longest)
    after = _exclusive_products(v[::-1], run[::-1], longest)[::-1]
    return (before * after)[np.argsort(order)].reshape(values.shape)


@register(
    "scatter_prod",
    arity=2,
    kind="scatter",
    reference=_one_at_a_time(lambda a, b: a * b),
)
class ScatterProd(_ScatterReduce):
    """y = x with y[t] = x[t]·Π src[p] over every p that `index` sends to t, along `dim`.

    The derivative of y[t] by one of its factors is the product of the others, computed
    without dividing y[t] by the factor (see `others_product`): exact with zero factors,
    to any order. ∂y/∂x = Π src (1 where nothing is sent); ∂y[t]/∂src[p] = x[t] (unless
    left out) times the other src elements sent to t.
    """

    reduce = "prod"
    ufunc = np.multiply

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, src, _, positions, touched, dim, index, include_self = ctx.saved
        nx, nsrc = ctx.needs_input_grad
        part = _covered(src, positions)
        gx = gsrc = None
        if nx and include_self:  # Π src where something was sent, 1 elsewhere
            rest = call(ScatterProd, x, part, dim=dim, index=index, include_self=False)
            gx = grad * (kept(rest, touched) + ~touched)
        elif nx:
            gx = zeroed(grad, touched)
        if nsrc:
            others = others_product(part, np.ravel_multi_index(positions, touched.shape))
            if include_self:
                others = others * x[positions]
            gsrc = _placed(grad[positions] * others, src.shape)
        return gx, gsrc

    formula = ("{g} ⊙ Π {1} at the index", "{g} ⊙ Π (the other factors) at the index")
