"""Shape ops: reshape, permute, expand, indexing and its adjoint, concatenation."""

from __future__ import annotations

import math

from ..shapes import unbroadcast
from ..traced import Traced
from .base import Any, Context, Function, call, np, register


@register(
    "reshape",
    arity=1,
    kind="reshape",
    reference=lambda x, shape: np.reshape(x, shape),
)
class Reshape(Function):
    """y = x viewed with another shape of the same size."""

    @staticmethod
    def forward(ctx: Context, x: Any, shape: tuple[int, ...] = ()) -> Any:
        ctx.save_for_backward(x.shape)
        try:
            return x.reshape(shape)
        except ValueError as e:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {tuple(shape)}"
            ) from e

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (shape,) = ctx.saved
        return (grad.reshape(shape),)

    formula = ("reshape({g})",)  # in explain's notation


@register(
    "transpose",
    arity=1,
    kind="permute",
    reference=lambda x, axes: np.transpose(x, axes),
)
class Transpose(Function):
    """y = x with its dimensions permuted by `axes` (reversed when None)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axes: tuple[int, ...] | None = None) -> Any:
        if axes is not None:
            n = x.ndim
            if len(axes) != n or sorted(a % n if -n <= a < n else n for a in axes) != list(
                range(n)
            ):
                raise ValueError(
                    f"permute: dims {tuple(axes)} are not a permutation of the "
                    f"{n} dims of a tensor of shape {x.shape}"
                )
            axes = tuple(int(a) % n for a in axes) if n else ()
        ctx.save_for_backward(axes)
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (axes,) = ctx.saved
        if axes is None:
            return (np.transpose(grad),)
        return (np.transpose(grad, tuple(int(a) for a in np.argsort(axes))),)

    formula = ("{g}ᵀ",)


@register(
    "expand",
    arity=1,
    kind="expand",
    reference=lambda x, shape: np.broadcast_to(x, shape),
)
class Expand(Function):
    """y = x broadcast to `shape` (no copy); the gradient sums over the broadcast axes."""

    @staticmethod
    def forward(ctx: Context, x: Any, shape: tuple[int, ...] = ()) -> Any:
        lead = len(shape) - x.ndim
        target = tuple(
            x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(shape)
        )
        if lead < 0 or any(s < 0 for s in target):
            raise ValueError(f"expand: cannot expand shape {x.shape} to {tuple(shape)}")
        ctx.save_for_backward(x.shape)
        try:
            return np.broadcast_to(x, target)
        except ValueError:
            raise ValueError(f"expand: cannot expand shape {x.shape} to {tuple(shape)}") from None

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (shape,) = ctx.saved
        return (unbroadcast(grad, shape),)

    formula = ("{g}",)


def is_advanced(index: Any) -> bool:
    """Whether a (normalised) index uses arrays, whose repeats must accumulate."""
    items = index if isinstance(index, tuple) else (index,)
    return any(_is_array(i) for i in items)


def _is_array(i: Any) -> bool:
    """An index array: a NumPy array, or one a compiled step computes (traced while tracing)."""
    return isinstance(i, (np.ndarray, Traced))


def _traced_scalar(y: Any) -> bool:
    """A compiled step's stand-in for a NumPy scalar."""
    return isinstance(y, Traced) and y.scalar


@register(
    "getitem",
    arity=1,
    kind="getitem",
    reference=lambda x, index: x[index],
)
class GetItem(Function):
    """y = x[index]: basic slicing and integer or bool array indexing."""

    @staticmethod
    def forward(ctx: Context, x: Any, index: Any = ()) -> Any:
        try:
            y = x[index]
        except IndexError as e:
            raise IndexError(f"getitem: index {index!r} is invalid for shape {x.shape}: {e}") from e
        if y.__class__ is not np.ndarray and (isinstance(y, np.generic) or _traced_scalar(y)):
            # NumPy gives one element (integers only) as a scalar, a copy; PyTorch gives a 0-d
            # view, which an Ellipsis makes NumPy give too
            y = x[(*index, Ellipsis) if isinstance(index, tuple) else (index, Ellipsis)]
        ctx.save_for_backward(x.shape, index)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        shape, index = ctx.saved
        return (call(IndexAdd, grad, shape=shape, index=index),)

    formula = ("{g} placed at the index",)


def _index_add_reference(x: Any, shape: tuple[int, ...], index: Any) -> Any:
    out = np.zeros(shape, dtype=x.dtype)
    np.add.at(out, index, x)
    return out


def _flat_positions(
    index: tuple[Any, ...], shape: tuple[int, ...], picked: tuple[int, ...]
) -> np.ndarray | None:
    """For an index of one integer array per dimension, the flat positions it selects."""
    if len(index) != len(shape) or not all(_is_array(i) and i.dtype.kind in "iu" for i in index):
        return None
    if any(i.shape != picked for i in index):  # index arrays that broadcast to the result
        index = tuple(np.broadcast_arrays(*index))
    return np.ravel_multi_index(index, shape, mode="wrap").reshape(-1)


# bincount sums in float64: exact for float64, and rounded once (not per repeat) for float32
_BINCOUNT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


@register(
    "index_add",
    arity=1,
    kind="index_add",
    reference=_index_add_reference,
)
class IndexAdd(Function):
    """y = zeros(shape) with x added at `index` (repeats add up): the adjoint of getitem."""

    @staticmethod
    def forward(ctx: Context, x: Any, shape: tuple[int, ...] = (), index: Any = ()) -> Any:
        ctx.save_for_backward(index)
        # zeros_like (not zeros) so that a compiled step makes a fresh array on every replay
        if not is_advanced(index):
            out = np.zeros_like(x, shape=shape, order="C")
            out[index] = x
            return out
        flat = (
            _flat_positions(index, shape, x.shape)
            if isinstance(index, tuple) and x.dtype in _BINCOUNT_DTYPES
            else None
        )
        if flat is not None:  # one array per dimension: bincount beats np.add.at from ~400 rows
            sums = np.bincount(flat, weights=x.reshape(-1), minlength=math.prod(shape))
            return sums.astype(x.dtype, copy=False).reshape(shape)  # (int64 when empty)
        out = np.zeros_like(x, shape=shape, order="C")
        np.add.at(out, index, x)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (index,) = ctx.saved
        return (grad[index],)

    formula = ("{g} at the index",)


@register(
    "cat",
    arity=-1,
    kind="cat",
    reference=lambda *xs, dim: np.concatenate(xs, axis=dim),
)
class Cat(Function):
    """y = the inputs joined along `dim`; each input's gradient is its slice of y's."""

    @staticmethod
    def forward(ctx: Context, *xs: Any, dim: int = 0) -> Any:
        if not xs:
            raise ValueError("cat: needs at least one tensor")
        n = xs[0].ndim
        if n == 0:
            raise ValueError("cat: zero-dimensional tensors cannot be concatenated")
        if not -n <= dim < n:
            raise ValueError(f"cat: dim {dim} is out of range for {n}-dimensional tensors")
        axis = dim % n
        for x in xs[1:]:
            if x.ndim != n or x.shape[:axis] + x.shape[axis + 1 :] != (
                xs[0].shape[:axis] + xs[0].shape[axis + 1 :]
            ):
                raise ValueError(
                    f"cat: shapes {xs[0].shape} and {x.shape} differ outside dim {dim}"
                )
        ctx.save_for_backward(axis, tuple(x.shape[axis] for x in xs))
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, ...]:
        axis, sizes = ctx.saved
        lead = (slice(None),) * axis
        out, start = [], 0
        for n in sizes:
            out.append(grad[lead + (slice(start, start + n),)])
            start += n
        return tuple(out)

    @staticmethod
    def formula(ctx: Context) -> tuple[str, ...]:
        """Each input's gradient in explain's notation: its part of the output's."""
        return tuple(f"{{g}} part {i + 1}" for i in range(len(ctx.saved[1])))
