"""The Tensor's methods that call ops: maths, activations, reductions and shape changes.

They live in a base class of `Tensor` so that `tensor.py` stays readable; each is written out
(no injected methods), so readers, IDEs and mypy see them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from . import ops as F
from .autograd import Function
from .shapes import Axis, normalize_axis, reduce_args

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["TensorMethods", "ReturnTypes", "shape_arg", "index_arg"]


def shape_arg(shape: tuple[Any, ...], fn: str = "reshape") -> tuple[int, ...]:
    """Accept f(2, 3) and f((2, 3)) alike; every size must be an integer."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{fn}: sizes must be integers, got {s!r} in {tuple(shape)}")
    return tuple(int(s) for s in shape)


def index_arg(index: Any) -> Any:
    """An index with every sequence or Tensor turned into a NumPy array (advanced indexing).

    The arrays are copies, so changing an index array after indexing changes nothing.
    """
    if isinstance(index, tuple):
        return tuple(_index_item(i) for i in index)
    return _index_item(index)


def _index_item(i: Any) -> Any:
    if hasattr(i, "_ctx"):
        i = i.data
    if isinstance(i, (list, tuple, np.ndarray)):
        arr = np.array(i)
        if arr.size == 0:
            return arr.astype(np.intp)
        if arr.dtype.kind not in "biu":
            raise IndexError(
                f"getitem: index arrays must hold integers or bools, got dtype {arr.dtype}"
            )
        return arr
    return i


def _dim(dim: Any, ndim: int, op: str) -> int:
    """One dimension, checked, as a non-negative int (0 for a 0-d tensor)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimension(s)")
    return int(dim) % ndim if ndim else 0


class ReturnTypes:
    """Named results of reductions that return values and indices, as in PyTorch."""

    class max(NamedTuple):
        """`Tensor.max(dim)`'s result: the maxima and their indices along `dim`."""

        values: Tensor
        indices: Tensor

    class min(NamedTuple):
        """`Tensor.min(dim)`'s result: the minima and their indices along `dim`."""

        values: Tensor
        indices: Tensor


class TensorMethods:
    """Maths, activations, reductions and shape methods of `Tensor`."""

    __slots__ = ()

    if TYPE_CHECKING:  # provided by Tensor

        @property
        def shape(self) -> tuple[int, ...]:
            """The shape (see Tensor)."""

        @property
        def ndim(self) -> int:
            """The number of dimensions (see Tensor)."""

        data: Any

        def _wrap(self, other: Any, op: str) -> Tensor: ...

    # ------------------------------------------------------------------ elementwise maths

    def tanh(self) -> Tensor:
        """Elementwise tanh."""
        return F.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        """Elementwise logistic sigmoid 1 / (1 + e^(-x)), stable for large |x|."""
        return F.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        """Elementwise max(x, 0)."""
        return F.ReLU.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """X where x > 0, else negative_slope·x."""
        return F.LeakyReLU.apply(self, negative_slope=negative_slope)

    def gelu(self) -> Tensor:
        """GELU, the tanh approximation (PyTorch's `approximate="tanh"`)."""
        return F.GELU.apply(self)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        """ln(1 + e^(βx))/β, linear where βx > threshold."""
        return F.Softplus.apply(self, beta=beta, threshold=threshold)

    def exp(self) -> Tensor:
        """Elementwise e^x."""
        return F.Exp.apply(self)

    def expm1(self) -> Tensor:
        """Elementwise e^x - 1, accurate near 0."""
        return F.Expm1.apply(self)

    def log(self) -> Tensor:
        """Elementwise natural logarithm."""
        return F.Log.apply(self)

    def log1p(self) -> Tensor:
        """Elementwise ln(1 + x), accurate near 0."""
        return F.Log1p.apply(self)

    def log_sigmoid(self) -> Tensor:
        """Elementwise ln σ(x), stable for large |x|."""
        return F.LogSigmoid.apply(self)

    def sqrt(self) -> Tensor:
        """Elementwise square root."""
        return F.Sqrt.apply(self)

    def square(self) -> Tensor:
        """Elementwise x² (the op `pow` with exponent 2)."""
        return F.Pow.apply(self, exponent=2)

    def abs(self) -> Tensor:
        """Elementwise |x|; the gradient at 0 is 0."""
        return F.Abs.apply(self)

    def sin(self) -> Tensor:
        """Elementwise sine."""
        return F.Sin.apply(self)

    def cos(self) -> Tensor:
        """Elementwise cosine."""
        return F.Cos.apply(self)

    def sign(self) -> Tensor:
        """Elementwise sign in {-1, 0, 1} (no gradient)."""
        return F.Sign.apply(self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Limit values to [min, max]; the gradient is zero where a bound is active."""
        return F.Clamp.apply(self, min=min, max=max)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Same as `clamp`."""
        return F.Clamp.apply(self, min=min, max=max)

    def maximum(self, other: Any) -> Tensor:
        """Elementwise max(self, other); ties split the gradient evenly."""
        return F.Maximum.apply(self, self._wrap(other, "maximum"))

    def minimum(self, other: Any) -> Tensor:
        """Elementwise min(self, other); ties split the gradient evenly."""
        return F.Minimum.apply(self, self._wrap(other, "minimum"))

    def where(self, condition: Any, other: Any) -> Tensor:
        """The values of self where `condition` holds, else `other` (PyTorch's form)."""
        cond = condition if hasattr(condition, "_ctx") else self._wrap(condition, "where")
        return F.Where.apply(cond, self, self._wrap(other, "where"))

    # ------------------------------------------------------------------ reductions

    def sum(
        self,
        dim: Axis = None,
        keepdim: bool | None = None,
        *,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Sum over `dim` (an int, a tuple, or None for all); `axis=`/`keepdims=` also work."""
        if axis is None and keepdims is None:  # the common case, without the merge
            return F.Sum.apply(self, axis=dim, keepdims=bool(keepdim))
        d, k = reduce_args("sum", dim, keepdim, axis, keepdims)
        return F.Sum.apply(self, axis=d, keepdims=k)

    def mean(
        self,
        dim: Axis = None,
        keepdim: bool | None = None,
        *,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Mean over `dim` (an int, a tuple, or None for all); `axis=`/`keepdims=` also work."""
        if axis is None and keepdims is None:  # the common case, without the merge
            return F.Mean.apply(self, axis=dim, keepdims=bool(keepdim))
        d, k = reduce_args("mean", dim, keepdim, axis, keepdims)
        return F.Mean.apply(self, axis=d, keepdims=k)

    def prod(
        self,
        dim: Axis = None,
        keepdim: bool | None = None,
        *,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Product over `dim`; the gradient of each factor is the product of the others."""
        d, k = reduce_args("prod", dim, keepdim, axis, keepdims)
        return F.Prod.apply(self, axis=d, keepdims=k)

    def logsumexp(
        self,
        dim: Axis = None,
        keepdim: bool | None = None,
        *,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Ln Σ e^x over `dim`, without overflow."""
        d, k = reduce_args("logsumexp", dim, keepdim, axis, keepdims)
        return F.LogSumExp.apply(self, axis=d, keepdims=k)

    def var(
        self,
        dim: Axis = None,
        keepdim: bool | None = None,
        *,
        correction: float = 1,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Variance over `dim` with `correction` (1: unbiased, PyTorch's default; 0: population).

        NumPy's `np.var` has `ddof=0` by default; `np.var(t)` keeps NumPy's default.
        """
        d, k = reduce_args("var", dim, keepdim, axis, keepdims)
        return F.Var.apply(self, axis=d, correction=correction, keepdims=k)

    def std(
        self,
        dim: Axis = None,
        keepdim: bool | None = None,
        *,
        correction: float = 1,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Standard deviation √var (same arguments as `var`)."""
        return self.var(dim, keepdim, correction=correction, axis=axis, keepdims=keepdims).sqrt()

    def _extreme(
        self,
        op: str,
        fn: type[Function],
        dim: Any,
        keepdim: Any,
        axis: Any,
        keepdims: Any,
    ) -> Any:
        d, k = reduce_args(op, dim, keepdim, axis, keepdims)
        if dim is None:  # the overall extreme, or NumPy's axis= (values only)
            return fn.apply(self, axis=d, keepdims=k)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"{op}: dim must be one int (values and indices along it), got {dim!r}")
        arg = F.ArgMax if fn is F.Max else F.ArgMin
        idx = arg.apply(self, axis=int(dim), keepdims=True)
        a = _dim(dim, self.ndim, op)
        values = self.gather(a, idx) if self.ndim else self.reshape(())
        if not k and self.ndim:
            values, idx = values.squeeze(a), idx.squeeze(a)
        pair = ReturnTypes.max if fn is F.Max else ReturnTypes.min
        return pair(values, idx)

    def max(
        self,
        dim: Axis = None,
        keepdim: bool | None = None,
        *,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Any:
        """The maximum.

        As in PyTorch, `t.max()` is the overall maximum (ties share the gradient) and
        `t.max(dim)` returns `(values, indices)` along `dim` (the gradient goes to the index
        returned); NumPy's `t.max(axis=...)` returns the values, ties sharing the gradient.
        """
        return self._extreme("max", F.Max, dim, keepdim, axis, keepdims)

    def min(
        self,
        dim: Axis = None,
        keepdim: bool | None = None,
        *,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Any:
        """The minimum; see `max` for the forms."""
        return self._extreme("min", F.Min, dim, keepdim, axis, keepdims)

    def amax(
        self, dim: Axis = None, keepdim: Any = None, *, axis: Axis = None, keepdims: Any = None
    ) -> Tensor:
        """Maximum values over `dim`; ties share the gradient evenly."""
        d, k = reduce_args("amax", dim, keepdim, axis, keepdims)
        return F.Max.apply(self, axis=d, keepdims=k)

    def amin(
        self, dim: Axis = None, keepdim: Any = None, *, axis: Axis = None, keepdims: Any = None
    ) -> Tensor:
        """Minimum values over `dim`; ties share the gradient evenly."""
        d, k = reduce_args("amin", dim, keepdim, axis, keepdims)
        return F.Min.apply(self, axis=d, keepdims=k)

    def argmax(
        self, dim: int | None = None, keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        """Indices of the maxima along `dim` (of the flattened tensor when None); no grad."""
        d, k = reduce_args("argmax", dim, keepdim, axis, keepdims)
        return F.ArgMax.apply(self, axis=d, keepdims=k)

    def argmin(
        self, dim: int | None = None, keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        """Indices of the minima along `dim` (of the flattened tensor when None); no grad."""
        d, k = reduce_args("argmin", dim, keepdim, axis, keepdims)
        return F.ArgMin.apply(self, axis=d, keepdims=k)

    def softmax(self, dim: int = -1) -> Tensor:
        """e^x / Σ e^x along `dim`, shifted by the max so nothing overflows."""
        return F.Softmax.apply(self, dim=dim)

    def log_softmax(self, dim: int = -1) -> Tensor:
        """X - ln Σ e^x along `dim`, stable for any finite x."""
        return F.LogSoftmax.apply(self, dim=dim)

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same values with a new shape (`-1` infers one dimension)."""
        return F.Reshape.apply(self, shape=shape_arg(shape))

    def view(self, *shape: int | Sequence[int]) -> Tensor:
        """Same as `reshape` (PyTorch's name; the result may share memory)."""
        return F.Reshape.apply(self, shape=shape_arg(shape, "view"))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dims start_dim..end_dim into one (a reshape)."""
        n = self.ndim
        if n == 0:
            return self.reshape(1)
        a, b = _dim(start_dim, n, "flatten"), _dim(end_dim, n, "flatten")
        if a > b:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        s = self.shape
        return self.reshape(*s[:a], -1 if 0 not in s[a : b + 1] else 0, *s[b + 1 :])

    def squeeze(self, dim: Axis = None) -> Tensor:
        """Remove size-1 dims (all of them, or `dim`; a dim of another size is kept, as PyTorch)."""
        s = self.shape
        if dim is None:
            return self.reshape(*[n for n in s if n != 1])
        dims = normalize_axis(dim, self.ndim, "squeeze")
        return self.reshape(*[n for i, n in enumerate(s) if not (i in dims and n == 1)])

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a size-1 dim at `dim` (negative counts from the end of the result)."""
        a = _dim(dim, self.ndim + 1, "unsqueeze")
        s = self.shape
        return self.reshape(*s[:a], 1, *s[a:])

    def expand(self, *shape: int | Sequence[int]) -> Tensor:
        """Broadcast to `shape` without copying (-1 keeps a dim); gradients sum back."""
        return F.Expand.apply(self, shape=shape_arg(shape, "expand"))

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """Same as `expand(shape)`."""
        return F.Expand.apply(self, shape=shape_arg((shape,), "broadcast_to"))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two dimensions, as in PyTorch (NumPy's permutation is `permute`)."""
        n = self.ndim
        a, b = _dim(dim0, n, "transpose"), _dim(dim1, n, "transpose")
        axes = list(range(n))
        if n:
            axes[a], axes[b] = axes[b], axes[a]
        return F.Transpose.apply(self, axes=tuple(axes))

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """Same as `transpose(axis0, axis1)` (NumPy's name)."""
        return self.transpose(axis0, axis1)

    def permute(self, *dims: int | Sequence[int]) -> Tensor:
        """Reorder the dimensions: result dimension i is self's dimension dims[i]."""
        return F.Transpose.apply(self, axes=shape_arg(dims, "permute"))

    def split(
        self, split_size_or_sections: int | Sequence[int], dim: int = 0
    ) -> tuple[Tensor, ...]:
        """Cut into pieces along `dim`: of one size (the last may be shorter), or the listed sizes.

        Each piece is a slice, so gradients flow back into place.
        """
        a = _dim(dim, self.ndim, "split")
        n = self.shape[a]
        if isinstance(split_size_or_sections, (int, np.integer)):
            step = int(split_size_or_sections)
            if step <= 0:
                raise ValueError(f"split: the piece size must be positive, got {step}")
            sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
        else:
            sizes = [int(k) for k in split_size_or_sections]
            if sum(sizes) != n or any(k < 0 for k in sizes):
                raise ValueError(f"split: sizes {sizes} do not add up to dim {dim}'s size {n}")
        lead = (slice(None),) * a
        out, start = [], 0
        for k in sizes:
            out.append(self[lead + (slice(start, start + k),)])
            start += k
        return tuple(out)

    def gather(self, dim: int, index: Any) -> Tensor:
        """Values at `index` along `dim` (PyTorch's gather): `out[i][j] = self[i][index[i][j]]`."""
        a = _dim(dim, self.ndim, "gather")
        idx = index.data if hasattr(index, "_ctx") else np.asarray(index)
        if idx.dtype.kind not in "iu" or idx.ndim != self.ndim:
            raise ValueError(
                f"gather: index must be an integer tensor with {self.ndim} dims, got dtype "
                f"{idx.dtype} and shape {idx.shape}"
            )
        grids = list(np.indices(idx.shape, sparse=True))
        grids[a] = idx
        return self[tuple(grids)]

    def __getitem__(self, index: Any) -> Tensor:
        return F.GetItem.apply(self, index=index_arg(index))
