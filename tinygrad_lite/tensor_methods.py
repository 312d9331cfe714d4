"""The Tensor's methods that call ops: maths, activations, reductions and shape changes.

They live in a base class of `Tensor` so that `tensor.py` stays readable; each is written out
(no injected methods), so readers, IDEs and mypy see them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from . import autograd
from . import ops as F
from .autograd import Function
from .shapes import Axis, reduce_args
from .tensor_compare import TensorCompareMethods
from .tensor_shape import TensorShapeMethods, dim_arg

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["TensorMethods", "ReturnTypes"]


def _cast(x: Any, dtype: Any, op: str) -> Any:
    """X converted to `dtype` first (the `dtype=` argument of a reduction or scan)."""
    from .dtypes import check_supported

    return F.Cast.apply(x, dtype=check_supported(np.dtype(dtype), op))


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


def _reduce_args(
    op: str, dim: Any, keepdim: bool | None, axis: Any, keepdims: bool | None
) -> tuple[Axis, bool]:
    """`reduce_args`, refusing an empty dim: PyTorch and NumPy read it in opposite ways."""
    d, k = reduce_args(op, dim, keepdim, axis, keepdims)
    if isinstance(d, (tuple, list)) and not d:
        raise ValueError(
            f"{op}: dim={d!r} is ambiguous: PyTorch reduces over all dims for an empty dim, "
            "NumPy (axis=()) over none; pass dim=None to reduce over all dims (NumPy's own "
            "functions on a Tensor, such as np.sum(t, axis=()), keep NumPy's meaning)"
        )
    return d, k


def _correction(op: str, correction: float | None, unbiased: bool | None) -> float:
    """`correction` (default 1), or PyTorch's older `unbiased` (True: 1, False: 0), not both."""
    if unbiased is None:
        return 1 if correction is None else correction
    if not isinstance(unbiased, (bool, np.bool_)):
        raise TypeError(f"{op}: unbiased must be a bool, got {unbiased!r}")
    if correction is not None:
        raise TypeError(f"{op}: give correction or unbiased, not both")
    return 1 if unbiased else 0


class TensorMethods(TensorCompareMethods, TensorShapeMethods):
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

    def gelu(self, approximate: str = "none") -> Tensor:
        """GELU, x·Φ(x): exact with the error function ("none", PyTorch's default) or "tanh"."""
        if approximate == "tanh":
            return F.GELU.apply(self)
        if approximate != "none":
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        return F.GELUErf.apply(self)

    def erf(self) -> Tensor:
        """The error function, 2/√π ∫₀ˣ e^(−t²) dt, elementwise."""
        return F.Erf.apply(self)

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
        """Elementwise sign in {-1, 0, 1} (no gradient); a bool tensor's is a copy of it."""
        if self.data.dtype.kind == "b":  # PyTorch's sign of a bool is the bool itself
            return self._wrap(self.data.copy(), "sign")
        return F.Sign.apply(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        """Limit values to [min, max]: y = min(max(x, lo), hi) (hi where lo > hi).

        The bounds are numbers or tensors (broadcast against self); a NaN in x or a bound gives
        NaN. As PyTorch, the gradient reaches x where lo ≤ x ≤ hi, a tensor lo where
        x < lo < hi and a tensor hi where x > hi or hi < lo; nothing where a NaN is involved or
        where x < lo = hi.
        """
        if not any(
            isinstance(b, (np.ndarray, list, tuple)) or hasattr(b, "_ctx") for b in (min, max)
        ):
            try:
                return F.Clamp.apply(self, min=min, max=max)
            except OverflowError as e:  # a Python int out of an integer dtype's range
                raise OverflowError(f"clamp: {e}") from None
        if min is None and max is None:
            raise ValueError("clamp: give at least one of min and max")
        x: Tensor = self  # type: ignore[assignment]
        lo = None if min is None else self._wrap(min, "clamp")
        hi = None if max is None else self._wrap(max, "clamp")
        dt = np.result_type(*(t.dtype for t in (x, lo, hi) if t is not None))
        if dt.kind != "f":  # no NaN: a select of the bound where x is out of range
            out = x
            if lo is not None:
                out = lo.where(out < lo, out)
            if hi is not None:
                out = hi.where(out > hi, out)
            return out
        # Each term is selected where PyTorch sends it the gradient; elsewhere the value is a
        # constant: NaN (a NaN in x or a bound: every comparison is False), or lo where x < lo = hi.
        nan = self._wrap(np.array(np.nan, dt), "clamp")
        if hi is None:
            assert lo is not None
            return x.where(x >= lo, lo.where(x < lo, nan))
        if lo is None:
            return x.where(x <= hi, hi.where(x > hi, nan))
        rest = lo.detach().where((x < lo) & (lo == hi), nan)
        # hi < lo sends the gradient to hi even where x is NaN (the value is NaN there): added
        hi_or_nan = hi + nan.where((x != x) | (lo != lo), -0.0)
        out = hi_or_nan.where((x > hi) | (hi < lo), rest)
        return x.where((x >= lo) & (x <= hi), lo.where((x < lo) & (lo < hi), out))

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        """Same as `clamp`."""
        return self.clamp(min, max)

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
        dtype: Any = None,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Sum over `dim` (an int, a tuple, or None for all); `axis=`/`keepdims=` also work.

        `dtype` converts the values before the sum, as in PyTorch.
        """
        if dtype is not None:
            out = _cast(self, dtype, "sum").sum(dim, keepdim, axis=axis, keepdims=keepdims)
            return out if out.dtype == np.dtype(dtype) else out.astype(np.dtype(dtype))
        if axis is None and keepdims is None and (dim is None or dim.__class__ is int):
            return F.Sum.apply(self, axis=dim, keepdims=bool(keepdim))  # without the merge
        d, k = _reduce_args("sum", dim, keepdim, axis, keepdims)
        return F.Sum.apply(self, axis=d, keepdims=k)

    def mean(
        self,
        dim: Axis = None,
        keepdim: bool | None = None,
        *,
        dtype: Any = None,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Mean over `dim` (an int, a tuple, or None for all); `axis=`/`keepdims=` also work.

        `dtype` converts the values before the mean, as in PyTorch.
        """
        if dtype is not None:
            out = _cast(self, dtype, "mean").mean(dim, keepdim, axis=axis, keepdims=keepdims)
            return out if out.dtype == np.dtype(dtype) else out.astype(np.dtype(dtype))
        if axis is None and keepdims is None and (dim is None or dim.__class__ is int):
            return F.Mean.apply(self, axis=dim, keepdims=bool(keepdim))  # without the merge
        d, k = _reduce_args("mean", dim, keepdim, axis, keepdims)
        return F.Mean.apply(self, axis=d, keepdims=k)

    def prod(
        self,
        dim: Axis = None,
        keepdim: bool | None = None,
        *,
        dtype: Any = None,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Product over `dim`; the gradient of each factor is the product of the others.

        `dtype` converts the values before the product, as in PyTorch.
        """
        if dtype is not None:
            out = _cast(self, dtype, "prod").prod(dim, keepdim, axis=axis, keepdims=keepdims)
            return out if out.dtype == np.dtype(dtype) else out.astype(np.dtype(dtype))
        d, k = _reduce_args("prod", dim, keepdim, axis, keepdims)
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
        d, k = _reduce_args("logsumexp", dim, keepdim, axis, keepdims)
        return F.LogSumExp.apply(self, axis=d, keepdims=k)

    def var(
        self,
        dim: Axis = None,
        unbiased: bool | None = None,
        keepdim: bool | None = None,
        *,
        correction: float | None = None,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Variance over `dim` with `correction` (1: unbiased, PyTorch's default; 0: population).

        PyTorch's older `unbiased=True/False` is `correction=1/0`; as in PyTorch, it is the
        second positional argument (`x.var(0, False, True)`: population variance, keepdim).
        NumPy's `np.var` has `ddof=0` by default; `np.var(t)` keeps NumPy's default.
        """
        if isinstance(dim, bool):  # PyTorch's x.var(False): the bool is `unbiased`
            dim, unbiased = None, dim if unbiased is None else unbiased
        c = _correction("var", correction, unbiased)
        d, k = _reduce_args("var", dim, keepdim, axis, keepdims)
        return F.Var.apply(self, axis=d, correction=c, keepdims=k)

    def std(
        self,
        dim: Axis = None,
        unbiased: bool | None = None,
        keepdim: bool | None = None,
        *,
        correction: float | None = None,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Standard deviation √var (same arguments as `var`); its gradient is 0 where it is 0."""
        if isinstance(dim, bool):  # PyTorch's x.std(False): the bool is `unbiased`
            dim, unbiased = None, dim if unbiased is None else unbiased
        c = _correction("std", correction, unbiased)
        d, k = _reduce_args("std", dim, keepdim, axis, keepdims)
        return F.Std.apply(self, axis=d, correction=c, keepdims=k)

    def _extreme(
        self,
        op: str,
        fn: type[Function],
        dim: Any,
        keepdim: Any,
        axis: Any,
        keepdims: Any,
    ) -> Any:
        if hasattr(dim, "_ctx") or isinstance(dim, np.ndarray):  # PyTorch's t.max(other)
            if keepdim is not None or axis is not None or keepdims is not None:
                raise TypeError(f"{op}: with a tensor (elementwise {op}) no other argument")
            return self.maximum(dim) if fn is F.Max else self.minimum(dim)
        d, k = _reduce_args(op, dim, keepdim, axis, keepdims)
        if dim is None:  # the overall extreme, or NumPy's axis= (values only)
            return fn.apply(self, axis=d, keepdims=k)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"{op}: dim must be one int (values and indices along it), got {dim!r}")
        arg = F.ArgMax if fn is F.Max else F.ArgMin
        idx = arg.apply(self, axis=int(dim), keepdims=True)
        a = dim_arg(dim, self.ndim, op)
        values = self.gather(a, idx)  # a new tensor, 0-d too (as PyTorch)
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

        As in PyTorch, `t.max()` is the overall maximum (ties share the gradient),
        `t.max(dim)` returns `(values, indices)` along `dim` (the gradient goes to the index
        returned) and `t.max(other)`, with a tensor, is `maximum(t, other)`; NumPy's
        `t.max(axis=...)` returns the values, ties sharing the gradient.
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
        d, k = _reduce_args("amax", dim, keepdim, axis, keepdims)
        return F.Max.apply(self, axis=d, keepdims=k)

    def amin(
        self, dim: Axis = None, keepdim: Any = None, *, axis: Axis = None, keepdims: Any = None
    ) -> Tensor:
        """Minimum values over `dim`; ties share the gradient evenly."""
        d, k = _reduce_args("amin", dim, keepdim, axis, keepdims)
        return F.Min.apply(self, axis=d, keepdims=k)

    def argmax(
        self, dim: Any = None, keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        """Indices of the maxima along `dim` (of the flattened tensor when None); no grad."""
        d, k = _reduce_args("argmax", dim, keepdim, axis, keepdims)
        if isinstance(d, tuple):
            raise TypeError(f"argmax: dim must be an int or None (one dim, as PyTorch), got {d!r}")
        return F.ArgMax.apply(self, axis=d, keepdims=k)

    def argmin(
        self, dim: Any = None, keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        """Indices of the minima along `dim` (of the flattened tensor when None); no grad."""
        d, k = _reduce_args("argmin", dim, keepdim, axis, keepdims)
        if isinstance(d, tuple):
            raise TypeError(f"argmin: dim must be an int or None (one dim, as PyTorch), got {d!r}")
        return F.ArgMin.apply(self, axis=d, keepdims=k)

    def softmax(self, dim: int = -1, dtype: Any = None) -> Tensor:
        """e^x / Σ e^x along `dim`, shifted by the max so nothing overflows.

        `dtype`, a float dtype, casts the input first (PyTorch's keyword).
        """
        return F.Softmax.apply(self._cast_first("softmax", dtype), dim=dim)

    def log_softmax(self, dim: int = -1, dtype: Any = None) -> Tensor:
        """X - ln Σ e^x along `dim`, stable for any finite x (`dtype` as for `softmax`)."""
        return F.LogSoftmax.apply(self._cast_first("log_softmax", dtype), dim=dim)

    def _cast_first(self, op: str, dtype: Any) -> Tensor:
        t: Tensor = self  # type: ignore[assignment]
        if dtype is None:
            return t
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"{op}: dtype must be a floating-point dtype, got {dt}")
        return t if t.dtype == dt else t.astype(dt)

    def any(self, dim: Axis = None, keepdim: bool = False) -> Tensor:
        """Whether any element is nonzero, over all or along `dim`: ∨ᵢ xᵢ ≠ 0.

        A bool tensor, or uint8 for a uint8 tensor (PyTorch's rule).
        """
        return self._logical("any", np.any, dim, keepdim)

    def all(self, dim: Axis = None, keepdim: bool = False) -> Tensor:
        """Whether every element is nonzero, over all or along `dim`: ∧ᵢ xᵢ ≠ 0.

        A bool tensor, or uint8 for a uint8 tensor (PyTorch's rule).
        """
        return self._logical("all", np.all, dim, keepdim)

    def _logical(self, op: str, reduce: Any, dim: Axis, keepdim: bool) -> Tensor:
        d, k = _reduce_args(op, dim, keepdim, None, None)
        x = self.data
        axis: Any = None
        if d is not None:
            axis = tuple(dim_arg(i, x.ndim, op) for i in ([d] if isinstance(d, int) else d))
            if len(set(axis)) != len(axis):
                raise ValueError(f"{op}: dim {d!r} names a dimension twice")
            if x.ndim == 0:  # a 0-d tensor's dim 0 (or -1) is the tensor itself
                axis = None
        out = reduce(x, axis=axis, keepdims=k)
        if x.dtype == np.uint8:
            out = np.asarray(out, dtype=np.uint8)
        return autograd._make_tensor(autograd.as_result(out), False, None)
