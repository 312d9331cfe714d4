"""NumPy functions and ufuncs on Tensors: they run the matching op, or refuse, never cut the graph.

`Tensor.__array_ufunc__` and `Tensor.__array_function__` send NumPy calls here. A call with a
matching op (`np.tanh`, `np.dot`, `np.sum`, `np.where`, `np.concatenate`, ...) returns a Tensor
with its gradient, so NumPy code such as the tutorial's forward pass runs unchanged on Tensors
and can be differentiated. Comparisons and other value tests (`np.isnan`, `np.allclose`, ...)
read the values: their results carry no gradient by nature. Any other NumPy function raises
`TypeError` when a tensor that requires grad is among its arguments, naming the function and the
Tensor method to use; on tensors without grad it runs on their arrays, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import autograd, convolution, dtypes, functional, np_functions
from . import ops as F
from .autograd import Function
from .np_ufuncs import UFUNCS, VALUE_UFUNCS, binary, operands
from .tensor import Tensor, set_numpy_dispatch

__all__ = ["array_ufunc", "array_function", "UFUNCS", "FUNCTIONS", "VALUE_TESTS"]


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


_REDUCE = {
    np.add: "sum",
    np.maximum: "amax",
    np.minimum: "amin",
    np.multiply: "prod",
}


# The reductions' ops, for NumPy's axis=() (reduce over no axis), which the Tensor methods
# refuse because PyTorch reads an empty dim the other way (over every axis).
_REDUCE_OPS: dict[str, type[Function]] = {
    "sum": F.Sum,
    "mean": F.Mean,
    "amax": F.Max,
    "amin": F.Min,
    "prod": F.Prod,
    "var": F.Var,
    "std": F.Std,
}


def _reduce(a: Tensor, method: str, axis: Any, keepdims: bool, **params: Any) -> Tensor:
    """A NumPy reduction of `a` with NumPy's meaning of `axis` (axis=() reduces nothing)."""
    if isinstance(axis, (tuple, list)) and not axis:
        return _REDUCE_OPS[method].apply(a, axis=(), keepdims=keepdims, **params)
    return getattr(a, method)(axis=axis, keepdims=keepdims, **params)


def _data(x: Any) -> Any:
    if _is_tensor(x):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_data(i) for i in x)
    return x


def _needs_grad(args: Any) -> bool:
    if _is_tensor(args):
        return bool(args.requires_grad)
    if isinstance(args, (list, tuple)):
        return any(_needs_grad(a) for a in args)
    if isinstance(args, dict):
        return any(_needs_grad(a) for a in args.values())
    return False


def _wrap_values(result: Any) -> Any:
    """A value test's result: arrays become Tensors without grad, Python values stay."""
    if isinstance(result, (np.ndarray, np.generic)) or hasattr(result, "__array_ufunc__"):
        return Tensor._make(autograd.as_result(result), False, None)
    return result


class _Unsupported(Exception):
    """A NumPy call's arguments have no matching op (e.g. out=); `hint` says what to do."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


def _refuse(name: str, hint: str) -> TypeError:
    return TypeError(
        f"numpy.{name} on a tensor that requires grad would return a plain array and cut the "
        f"graph silently (no gradient would reach the tensor); {hint}"
    )


def array_ufunc(ufunc: Any, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run a NumPy ufunc call that has a Tensor among its operands."""
    grad = _needs_grad(inputs) or _needs_grad(kwargs)
    if method == "__call__" and not kwargs:
        fn = UFUNCS.get(ufunc)
        if fn is not None:
            return fn(*inputs)
        if ufunc in VALUE_UFUNCS:
            return _wrap_values(ufunc(*_data(inputs)))
    if method == "reduce" and ufunc in _REDUCE and _is_tensor(inputs[0]) and len(inputs) == 1:
        extra = set(kwargs) - {"axis", "keepdims"}
        if not extra:
            axis = kwargs.get("axis", 0)
            keep = bool(kwargs.get("keepdims", False))
            return _reduce(inputs[0], _REDUCE[ufunc], axis, keep)
    if grad:
        what = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        how = (
            f"with {', '.join(sorted(kwargs))} it has no matching op"
            if kwargs
            else "it has no matching op"
        )
        raise _refuse(what, f"{how}; use the Tensor's methods, or .detach() the tensor first")
    out = getattr(ufunc, method)(*_data(inputs), **_data_kwargs(kwargs))
    return out


def _data_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in kwargs.items():
        if k == "out" and isinstance(v, tuple):
            out[k] = tuple(_data(i) for i in v)
        else:
            out[k] = _data(v)
    return out


# ---------------------------------------------------------------------------- functions


def _reduction(method: str) -> Callable[..., Any]:
    def call(a: Tensor, axis: Any = None, *args: Any, keepdims: Any = False, **kw: Any) -> Any:
        if args or any(v is not None for v in kw.values()):
            raise _Unsupported(f"the arguments {sorted(kw)} have no matching op here")
        return _reduce(a, method, axis, bool(keepdims))

    return call


def _var(method: str) -> Callable[..., Any]:
    def call(
        a: Tensor,
        axis: Any = None,
        dtype: Any = None,
        out: Any = None,
        ddof: float = 0,
        keepdims: Any = False,
        **kw: Any,
    ) -> Any:
        if dtype is not None or out is not None or kw:
            raise _Unsupported("dtype=, out= and where= have no matching op here")
        return _reduce(a, method, axis, bool(keepdims), correction=ddof)

    return call


def _dot(a: Any, b: Any, out: Any = None) -> Tensor:
    x, y = operands(a, b)
    if out is not None or x.ndim > 2 or y.ndim > 2:
        raise _Unsupported("np.dot beyond 2-D (or with out=) has no matching op; use @")
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    return x @ y


def _where(cond: Any, x: Any = None, y: Any = None) -> Any:
    if x is None and y is None:
        return _wrap_values(np.where(_data(cond)))
    return functional.where(cond, x, y)


def _concatenate(seq: Any, axis: int | None = 0, out: Any = None, **kw: Any) -> Tensor:
    if out is not None or kw or axis is None:
        raise _Unsupported("axis=None, out= and dtype= have no matching op here")
    return functional.cat(list(seq), dim=axis)


def _stack(seq: Any, axis: int = 0, out: Any = None, **kw: Any) -> Tensor:
    if out is not None or kw:
        raise _Unsupported("out= and dtype= have no matching op here")
    return functional.stack(list(seq), dim=axis)


def _transpose(a: Tensor, axes: Any = None) -> Tensor:
    return a.T if axes is None else a.permute(*axes)


def _like(kind: str) -> Callable[..., Any]:
    def call(a: Tensor, *args: Any, **kw: Any) -> Tensor:
        return _wrap_values(getattr(np, kind)(a.data, *args, **kw))

    return call


def _norm(x: Tensor, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    vector = isinstance(axis, (int, np.integer)) or (axis is None and x.ndim == 1)
    if ord is not None and not (ord == 2 and vector):  # ord=2 of a matrix is its largest σ
        raise _Unsupported("only the Frobenius and vector 2-norms have a matching op here")
    if isinstance(axis, (tuple, list)) and not axis:
        raise ValueError("norm: axis=() names no axis; NumPy refuses it too")
    return F.Norm.apply(x, axis=axis, keepdims=bool(keepdims))  # its gradient at 0 is 0


def _squeeze(a: Tensor, axis: Any = None) -> Tensor:
    if axis is not None:
        dims = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        if any(a.shape[d] != 1 for d in dims):  # NumPy refuses; PyTorch's squeeze keeps them
            raise ValueError(
                f"squeeze: cannot squeeze axis {axis} of shape {a.shape}: its size is not 1"
            )
    return a.squeeze(axis)


def _reshape(a: Tensor, shape: Any = None, order: str = "C", **kw: Any) -> Tensor:
    if order != "C" or kw.get("copy") is not None:
        raise _Unsupported("only order='C' (and copy=None) has a matching op here")
    return a.reshape(shape if shape is not None else kw["newshape"])


def _ravel(a: Tensor, order: str = "C") -> Tensor:
    if order != "C":
        raise _Unsupported("only order='C' has a matching op here")
    return a.reshape(-1)


def _clip(a: Tensor, a_min: Any = None, a_max: Any = None, **kw: Any) -> Tensor:
    lo, hi = kw.pop("min", a_min), kw.pop("max", a_max)
    if kw or not all(b is None or dtypes.is_scalar(b) for b in (lo, hi)):
        raise _Unsupported("out= and array bounds have no matching op; use maximum/minimum")
    return a.clamp(lo, hi)


def _floats_only(a: Tensor, name: str, **unsupported: Any) -> None:
    """Refuse (to NumPy, or with a hint) what the scan ops do not compute as NumPy does."""
    if any(v is not None for v in unsupported.values()) or a.data.dtype.kind != "f":
        raise _Unsupported(_HINTS[name])


def _scan(name: str) -> Callable[..., Tensor]:
    """np.cumsum / np.cumprod: the Tensor's scan along `axis`, or over the flattened values."""

    def call(a: Tensor, axis: Any = None, dtype: Any = None, out: Any = None) -> Tensor:
        _floats_only(a, name, dtype=dtype, out=out)  # integers widen as NumPy decides
        scan = getattr(a.reshape(-1) if axis is None else a, name)
        return scan(0 if axis is None else axis)

    return call


def _flip(m: Tensor, axis: Any = None) -> Tensor:
    _floats_only(m, "flip")
    return m.flip(tuple(range(m.ndim)) if axis is None else axis)


def _sort(a: Tensor, axis: Any = -1, kind: Any = None, order: Any = None, **kw: Any) -> Tensor:
    # The order of equal values is left open by NumPy's default sort; this one is stable.
    _floats_only(a, "sort", order=order, **kw)
    return (a.reshape(-1).sort(0) if axis is None else a.sort(axis)).values


FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.cumsum: _scan("cumsum"),
    np.cumprod: _scan("cumprod"),
    np.flip: _flip,
    np.pad: convolution.numpy_pad,
    np.sort: _sort,
    np.sinc: lambda x: x.sinc(),
    np.sum: _reduction("sum"),
    np.mean: _reduction("mean"),
    np.max: _reduction("amax"),
    np.amax: _reduction("amax"),
    np.min: _reduction("amin"),
    np.amin: _reduction("amin"),
    np.prod: _reduction("prod"),
    np.var: _var("var"),
    np.std: _var("std"),
    np.dot: _dot,
    np.where: _where,
    np.squeeze: _squeeze,
    np.expand_dims: lambda a, axis: (
        a.unsqueeze(axis)
        if isinstance(axis, (int, np.integer))
        else functional.expand_dims(a, axis)
    ),
    np.reshape: _reshape,
    np.ravel: _ravel,
    np.transpose: _transpose,
    np.swapaxes: lambda a, axis1, axis2: a.transpose(axis1, axis2),
    np.concatenate: _concatenate,
    np.stack: _stack,
    np.broadcast_to: lambda a, shape, subok=False: a.broadcast_to(shape),
    np.copy: lambda a, order="K", subok=False: a.clone(),
    np.clip: _clip,
    np.linalg.norm: _norm,
    np.zeros_like: _like("zeros_like"),
    np.ones_like: _like("ones_like"),
    np.full_like: _like("full_like"),
    np.empty_like: _like("zeros_like"),
    np.matmul: binary(F.MatMul),
    **np_functions.FUNCTIONS,  # einsum, tensordot, kron, diagonal, take_along_axis, nan*, diff
}

# Functions whose results have no gradient by nature (tests of values, indices, shapes).
VALUE_TESTS = {
    np.allclose,
    np.isclose,
    np.array_equal,
    np.array_equiv,
    np.shape,
    np.ndim,
    np.size,
    np.argmax,
    np.argmin,
    np.argsort,
    np.nonzero,
    np.count_nonzero,
    np.any,
    np.all,
    np.round,
    np.around,
    np.result_type,
    np.can_cast,
}

# The Tensor method to suggest when a NumPy function has no matching op.
_HINTS = {
    "cumsum": "dtype= and out= have no matching op: use the Tensor's cumsum(dim) and astype",
    "cumprod": "dtype= and out= have no matching op: use the Tensor's cumprod(dim) and astype",
    "flip": "use the Tensor's flip(dims)",
    "sort": "order= has no matching op: use the Tensor's sort(dim), whose .values carry the "
    "gradient",
    "outer": "use a[:, None] * b[None, :]",
    "vstack": "use tinygrad_lite.functional.cat",
    "hstack": "use tinygrad_lite.functional.cat",
    "asarray": "call tensor.detach().numpy() if no gradient is needed",
    "array": "call tensor.detach().numpy() if no gradient is needed",
    **np_functions.HINTS,
}


def array_function(func: Any, types: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run a NumPy function call that has a Tensor among its arguments."""
    fn = FUNCTIONS.get(func)
    hint = _HINTS.get(func.__name__, "use the Tensor's own methods (see the API docs)")
    if fn is not None:
        try:
            return fn(*args, **kwargs)
        except (_Unsupported, np_functions.Unsupported) as e:
            hint = e.hint
    elif func in VALUE_TESTS:
        return _wrap_values(func(*_data(args), **{k: _data(v) for k, v in kwargs.items()}))
    if _needs_grad(args) or _needs_grad(kwargs):
        raise _refuse(func.__name__, hint)
    return func(*_data(args), **{k: _data(v) for k, v in kwargs.items()})


set_numpy_dispatch(array_ufunc, array_function)
