"""Scans and orderings along a dim: cumulative sums and products, flips, a stable argsort."""

from __future__ import annotations

from .base import Any, Context, Function, call, normalize_axis, np, register, value


def one_dim(op: str, dim: Any, ndim: int) -> int | None:
    """`dim` as a non-negative axis, or None for a 0-d tensor (whose dim may be 0 or -1)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimension(s)")
    return int(dim) % ndim if ndim else None


def _scan_dtype(x: Any) -> Any:
    """The dtype of a cumulative sum or product: int64 for ints and bools, as in PyTorch.

    NumPy would keep int64 and uint64 and widen the narrower ones to the platform's int or
    uint; PyTorch gives int64 for every integer and bool input.
    """
    return np.int64 if x.dtype.kind in "biu" else x.dtype


def shift(x: Any, axis: int, by: int, fill: float = 0.0) -> Any:
    """The values of x moved `by` places along `axis` (to the end when by > 0), `fill` behind.

    A slice joined to a constant with `np.concatenate`, so that it runs on arrays and, through
    `interop`, on Tensors alike.
    """
    n = x.shape[axis]
    k = min(abs(by), n)  # the places left behind
    pad = np.full(x.shape[:axis] + (k,) + x.shape[axis + 1 :], fill, dtype=value(x).dtype)
    lead = (slice(None),) * axis
    if by >= 0:
        return np.concatenate([pad, x[lead + (slice(0, n - k),)]], axis=axis)
    return np.concatenate([x[lead + (slice(k, n),)], pad], axis=axis)


def along_last(x: Any, dim: int, fn: Any) -> Any:
    """`fn` of x with `dim` moved last (a 0-d x taken as one element), moved back."""
    moved = np.moveaxis(x.reshape(x.shape or (1,)), dim, -1)
    return np.moveaxis(fn(moved), -1, dim).reshape(x.shape)


def _cumsum_reference(x: Any, dim: int) -> Any:
    """Σ_{j ≤ i} x_j as a product with an upper-triangular matrix of ones."""

    def sums(m: Any) -> Any:
        n = m.shape[-1]
        return m @ np.triu(np.ones((n, n), dtype=m.dtype))

    return along_last(x, dim, sums)


def _cumprod_reference(x: Any, dim: int) -> Any:
    """Π_{j ≤ i} x_j as the product of each row of x with the later entries set to 1."""

    def products(m: Any) -> Any:
        n = m.shape[-1]
        earlier = np.tril(np.ones((n, n), dtype=bool))  # [i, j]: j ≤ i
        return np.prod(np.where(earlier, m[..., None, :], 1.0), axis=-1)

    return along_last(x, dim, products)


def _flip_reference(x: Any, dims: tuple[int, ...]) -> Any:
    """The values of x read backwards (a step of -1) along each of `dims`."""
    n = x.ndim
    axes = {d % n for d in dims} if n else set()
    return x[tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(n))]


def _argsort_reference(x: Any, dim: int, descending: bool) -> Any:
    """A stable argsort of x, or of -x for the descending order (ties keep their order)."""
    flat = x.reshape(x.shape or (1,))
    order = np.argsort(-flat if descending else flat, axis=dim, kind="stable")
    return order.reshape(x.shape)


@register("cumsum", arity=1, kind="scan", reference=_cumsum_reference)
class CumSum(Function):
    """y_i = Σ_{j ≤ i} x_j along `dim`; ints and bools sum to int64 (as PyTorch).

    dL/dx_j = Σ_{i ≥ j} g_i: the cumulative sum of the gradient taken from the end, that is
    flip(cumsum(flip(g))).
    """

    @staticmethod
    def forward(ctx: Context, x: Any, dim: int = 0) -> Any:
        axis = one_dim("cumsum", dim, x.ndim)
        ctx.save_for_backward(axis)
        if axis is None:  # one element: its own sum
            return x.astype(_scan_dtype(x))
        return np.cumsum(x, axis=axis, dtype=_scan_dtype(x))

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (axis,) = ctx.saved
        if axis is None:
            return (grad,)
        flipped = call(CumSum, call(Flip, grad, dims=(axis,)), dim=axis)
        return (call(Flip, flipped, dims=(axis,)),)

    formula = ("flip(cumsum(flip({g})))",)  # in explain's notation


def suffix_scan(g: Any, c: Any, axis: int) -> Any:
    """The suffix scan s_j = g_j + c_j·s_{j+1} along `axis` (0 past the end), without division.

    By doubling: while `s` holds the first d terms of each s_j and `c` the product of their d
    factors, s_j = s[j] + c[j]·s_{j+d}; joining each span to the next doubles d, so ⌈log₂ n⌉
    steps reach the end.
    """
    n, span = g.shape[axis], 1
    s = g
    while span < n:
        s = s + c * shift(s, axis, -span)
        c = c * shift(c, axis, -span)
        span *= 2
    return s


@register("cumprod", arity=1, kind="scan", reference=_cumprod_reference)
class CumProd(Function):
    """y_i = Π_{j ≤ i} x_j along `dim`; ints and bools multiply to int64 (as PyTorch).

    dL/dx_j = Σ_{i ≥ j} g_i Π_{k ≤ i, k ≠ j} x_k
            = (Π_{k < j} x_k) · s_j,  with s_j = g_j + x_{j+1}·s_{j+1}.

    The first factor is the cumulative product shifted by one place, and s is a suffix scan
    (`suffix_scan`). Neither divides by x, so the gradient is exact where x has zeros (one
    or several), and so is the gradient of the gradient: both are sums of products of the
    inputs and the incoming gradient.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, dim: int = 0) -> Any:
        axis = one_dim("cumprod", dim, x.ndim)
        ctx.save_for_backward(x, axis)
        if axis is None:  # one element: its own product
            return x.astype(_scan_dtype(x))
        return np.cumprod(x, axis=axis, dtype=_scan_dtype(x))

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, axis = ctx.saved
        if axis is None:
            return (grad,)
        before = call(CumProd, shift(x, axis, 1, fill=1.0), dim=axis)  # Π_{k < j} x_k
        return (before * suffix_scan(grad, shift(x, axis, -1), axis),)

    formula = ("Σ_(i ≥ j) {g}ᵢ Π_(k ≤ i, k ≠ j) {0}ₖ",)


@register("flip", arity=1, kind="flip", reference=_flip_reference)
class Flip(Function):
    """y = x in reverse order along each of `dims` (a copy, as `torch.flip`); dx = flip(g)."""

    @staticmethod
    def forward(ctx: Context, x: Any, dims: tuple[int, ...] = ()) -> Any:
        axes = normalize_axis(dims, x.ndim, "flip")
        ctx.save_for_backward(axes)
        return np.flip(x, axes).copy()

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (axes,) = ctx.saved
        return (call(Flip, grad, dims=axes),)

    formula = ("flip({g})",)


@register("argsort", arity=1, domain="ties", kind="sort", reference=_argsort_reference)
class ArgSort(Function):
    """i = the positions that sort x along `dim`, as int64; a stable sort: ties keep their order.

    Ascending, or descending with `descending=True`; NaN counts as larger than every number
    (last ascending, first descending), as in PyTorch. The descending order is found as the
    reverse of the stable ascending order of x reversed, so that ties stay in their order
    there too (and unsigned ints and bools need no negation).
    """

    differentiable = False

    @staticmethod
    def forward(ctx: Context, x: Any, dim: int = -1, descending: bool = False) -> Any:
        axis = one_dim("argsort", dim, x.ndim)
        if axis is None:
            return np.zeros((), dtype=np.int64)
        if not descending:
            return np.argsort(x, axis=axis, kind="stable").astype(np.int64, copy=False)
        backwards = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
        return (x.shape[axis] - 1 - np.flip(backwards, axis)).astype(np.int64, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[None]:
        return (None,)
