"""Scatter: values written into a copy of a tensor at positions along one dim (`Scatter`).

`scatter_positions` checks an index as PyTorch's scatter, gather and scatter_add do (its shape
against the tensor's and the source's, every position in range) and turns it into positions;
the Tensor methods `scatter_add` and `index_add` use it with `IndexAdd`.

>>> import numpy as np
>>> from tinygrad_lite import ops, tensor, zeros
>>> ops.Scatter.apply(zeros(4), tensor([1.0, 2.0, 3.0]), index=np.array([3, 0, 3])).tolist()
[2.0, 0.0, 0.0, 3.0]
"""

from __future__ import annotations

from .. import tracing
from .base import Any, Context, Function, call, np, register, zeroed
from .shape import IndexAdd

__all__ = ["Scatter", "check_positions", "last_writes", "scatter_positions"]


def check_positions(op: str, index: Any, n: int, what: str, negative: bool = False) -> Any:
    """`index` as an intp array of positions in range(n) (from the end, negative ones).

    Negative positions are refused unless `negative`.

    Raises:
        TypeError: the index does not hold integers.
        IndexError: a position out of range, named with the size.
    """
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must hold integers, got dtype {index.dtype}")
    if index.size:  # reads the values: a compiled step checks them again on every call
        tracing.value_check(_in_range(op, n, what, negative), index)
    index = index.astype(np.intp, copy=False)
    return np.where(index < 0, index + n, index) if negative else index


def _in_range(op: str, n: int, what: str, negative: bool) -> Any:
    def check(index: Any) -> None:
        bad = (index < (-n if negative else 0)) | (index >= n)
        if bad.any():
            first = int(index[bad].reshape(-1)[0])
            raise IndexError(
                f"{op}: index {first} is out of range for {what} of size {n}"
                + (f" (positions from {-n} to {n - 1})" if negative else "")
            )

    return check


def scatter_positions(
    op: str, shape: tuple[int, ...], src_shape: tuple[int, ...], index: Any, dim: int
) -> tuple[Any, ...]:
    """The positions in a tensor of `shape` that `index` names along `dim`.

    One position per element of `index`: a tuple of arrays of index's shape, one per
    dimension. As PyTorch's scatter: index has the tensor's number of dimensions, is no
    larger than the source in any dimension nor than the tensor outside `dim`, and its values
    lie in range(shape[dim]) (negative ones are refused).
    """
    if index.ndim != len(shape) or len(src_shape) != len(shape):
        raise ValueError(
            f"{op}: index (shape {index.shape}) and src (shape {src_shape}) must have as many "
            f"dimensions as self (shape {shape})"
        )
    if any(k > s for k, s in zip(index.shape, src_shape, strict=True)) or any(
        k > n for d, (k, n) in enumerate(zip(index.shape, shape, strict=True)) if d != dim
    ):
        raise ValueError(
            f"{op}: index of shape {index.shape} must be no larger than src {src_shape} in any "
            f"dimension, and no larger than self {shape} apart from dimension {dim}"
        )
    index = check_positions(op, index, shape[dim], f"dimension {dim}")
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(np.broadcast_arrays(*grids))


def last_writes(positions: tuple[Any, ...], shape: tuple[int, ...]) -> Any:
    """A bool array over the index: True where no later element writes the same position.

    "Later" is in C order over the index, so exactly one write per position is kept: the
    last, as in NumPy's fancy assignment and PyTorch's CPU scatter.
    """
    flat = np.ravel_multi_index(positions, shape).reshape(-1)
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    last = np.ones(flat.shape, dtype=bool)
    last[order[:-1]] = ordered[1:] != ordered[:-1]  # followed by a write to the same place
    return last.reshape(positions[0].shape)


def _scatter_reference(x: Any, src: Any, dim: int, index: Any) -> Any:
    """The writes one at a time, in C order over the index (so the last one stays)."""
    out = x.copy()
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[dim] = index[pos]
        out[tuple(target)] = src[pos]
    return out


@register("scatter", arity=2, kind="scatter", reference=_scatter_reference)
class Scatter(Function):
    """y = x with y[... index[p] ...] = src[p] for every position p of `index` along `dim`.

    `index` has x's number of dimensions; position p of it names the element of x whose
    index along `dim` is index[p] and whose other indices are p's. Where several positions
    write the same element, the last in C order over `index` stays (PyTorch leaves it open;
    its CPU kernel keeps the last too). The gradient passes to x where nothing was written,
    and to each src element whose write stayed: ∂y/∂x = [not written], ∂y/∂src[p] = [p's
    write stayed] at p's element (PyTorch gives every src element the gradient of the
    element it wrote, also the overwritten ones).
    """

    @staticmethod
    def forward(ctx: Context, x: Any, src: Any, dim: int = 0, index: Any = None) -> Any:
        if x.dtype != src.dtype:
            raise TypeError(
                f"scatter: self (dtype {x.dtype}) and src (dtype {src.dtype}) must have the same "
                "dtype, as in PyTorch"
            )
        if x.ndim == 0 or not -x.ndim <= dim < x.ndim:
            raise IndexError(f"scatter: dim {dim} is out of range for shape {x.shape}")
        dim %= x.ndim
        index = np.asarray(index)
        positions = scatter_positions("scatter", x.shape, src.shape, index, dim)
        last = last_writes(positions, x.shape)
        targets = tuple(p[last] for p in positions)
        sources = tuple(np.nonzero(last))  # the kept writes' positions in src
        written = np.zeros(x.shape, dtype=bool)
        written[targets] = True
        out = x.copy()
        out[targets] = src[sources]
        ctx.save_for_backward(written, targets, sources, src.shape)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        written, targets, sources, src_shape = ctx.saved
        nx, nsrc = ctx.needs_input_grad
        gx = zeroed(grad, written) if nx else None
        gsrc = None
        if nsrc:
            gsrc = call(IndexAdd, grad[targets], shape=src_shape, index=sources)
        return gx, gsrc

    formula = ("{g} ⊙ [not written]", "{g} at the written positions")
