"""The Tensor: a NumPy array that remembers how it was made, so that it can backpropagate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import autograd, display, dtypes, engine, hooks, tensor_python, tracing
from . import ops as F
from .autograd import Context
from .tensor_aliases import TensorAliasMethods
from .tensor_divide import TensorDivideMethods
from .tensor_inplace import TensorInPlaceMethods
from .tensor_linalg import TensorLinalgMethods
from .tensor_math import TensorMathMethods
from .tensor_methods import TensorMethods
from .tensor_more import TensorMoreMethods
from .tensor_python import TensorProtocolMethods
from .tensor_scan import TensorScanMethods
from .tensor_scatter import TensorScatterMethods
from .tensor_segment import TensorSegmentMethods
from .tensor_shape import ElementCount
from .tensor_stats import TensorStatsMethods

__all__ = ["Tensor", "to_array"]

DTypeLike = Any
Scalar = int | float | np.number[Any]


def to_array(data: Any, dtype: DTypeLike = None) -> np.ndarray:
    """Convert `data` to the array a Tensor holds.

    Without `dtype`, NumPy's inference is kept, as in PyTorch: Python floats give float64,
    Python ints int64, bools bool; NumPy arrays keep their dtype (float32 stays float32).
    A Tensor inside a list is one number, and a Python int beyond int64 is an error unless the
    result is a float, as in PyTorch (see `tensor_python.as_array`).
    """
    if isinstance(data, Tensor):
        data = data.data
    if tracing.is_traced(data):  # an array a compiled step computes: used as it is
        return data if dtype is None else data.astype(np.dtype(dtype))
    arr = tensor_python.as_array(data, dtype)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor: data of dtype {arr.dtype} ({type(data).__name__}) is not numeric; "
            "expected numbers, nested lists of numbers or a numeric NumPy array"
        )
    if dtype is not None:
        dt = dtypes.check_supported(np.dtype(dtype), "Tensor")
        if dt.kind in "iu" and arr.dtype != dt and arr.size:
            dtypes.check_fits(arr, dt, "Tensor")
        return arr.astype(dt, copy=False)
    return arr


def _check_grad_dtype(dtype: np.dtype[Any], where: str) -> None:
    if dtype.kind != "f":
        raise TypeError(
            f"{where}: only floating-point tensors can require grad, got dtype {dtype}; "
            "create it from floats (e.g. [1.0, 2.0]) or pass dtype=np.float64"
        )


class _NumpyDispatch:
    """Where NumPy calls on Tensors go: set by `interop` when it loads (`set_numpy_dispatch`)."""

    def __init__(self) -> None:
        self.ufunc: Callable[..., Any] = self._missing
        self.function: Callable[..., Any] = self._missing

    @staticmethod
    def _missing(*args: Any) -> Any:
        raise RuntimeError("tinygrad_lite.interop is not loaded: import tinygrad_lite first")


_numpy_dispatch = _NumpyDispatch()


def set_numpy_dispatch(ufunc: Callable[..., Any], function: Callable[..., Any]) -> None:
    """Called once by `interop`: the handlers of NumPy ufuncs and functions on Tensors.

    The handlers need `Tensor` and the functional helpers above it, so they cannot be imported
    here; `interop` hands them over when it loads, keeping the import arrow one-way.
    """
    _numpy_dispatch.ufunc = ufunc
    _numpy_dispatch.function = function


class Tensor(
    TensorMethods,
    TensorScanMethods,
    TensorInPlaceMethods,
    TensorAliasMethods,
    TensorDivideMethods,
    TensorLinalgMethods,
    TensorScatterMethods,
    TensorSegmentMethods,
    TensorStatsMethods,
    TensorMathMethods,
    TensorMoreMethods,
    TensorProtocolMethods,
):
    """An n-dimensional array with reverse-mode automatic differentiation.

    Args:
        data: numbers, nested lists or a NumPy array. The dtype is inferred as in PyTorch and
            NumPy: Python floats give float64, ints int64, bools bool; arrays keep theirs
            (float32 stays float32 through every op). An array of the right dtype is used as
            it is, not copied (as `torch.from_numpy`): writing into it changes the tensor.
        requires_grad: track operations on this tensor so that `backward` fills `.grad`
            (floating-point tensors only).
        dtype: the NumPy dtype to store.

    Attributes:
        data: the live NumPy array (not a copy: writing into it changes the tensor).
        grad: the accumulated gradient (a Tensor) of a leaf after `backward`, else None.
        requires_grad: whether gradients flow to this tensor.

    Example:
        >>> from tinygrad_lite import Tensor
        >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        Tensor([2., 4., 6.])
    """

    __slots__ = ("data", "_grad", "_requires_grad", "_ctx", "_version", "_hooks", "__weakref__")
    _hooks: list[Any]  # hooks of a leaf (set by register_hook)

    def __init__(self, data: Any, requires_grad: bool = False, dtype: DTypeLike = None) -> None:
        arr = to_array(data, dtype)
        if requires_grad:
            _check_grad_dtype(arr.dtype, "Tensor")
        self.data: np.ndarray = arr
        self._grad: Tensor | None = None
        self._requires_grad = bool(requires_grad)
        self._ctx: Context | None = None
        self._version = 0
        if tracing.current is not None:
            tracing.on_created(self)

    @classmethod
    def _make(cls, data: np.ndarray, requires_grad: bool, ctx: Context | None) -> Tensor:
        """Wrap an array without conversion or checks (the engine's fast path)."""
        t = object.__new__(cls)
        t.data = data
        t._grad = None
        t._requires_grad = requires_grad
        t._ctx = ctx
        t._version = 0
        return t

    # ------------------------------------------------------------------ properties

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self.data.ndim

    @property
    def size(self) -> ElementCount:
        """The number of elements (an int); `size()` is the shape and `size(d)` one length."""
        data = self.data
        return ElementCount(data.size, data.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        """The NumPy dtype of the data."""
        return self.data.dtype

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient of a leaf after `backward` (a Tensor), else None."""
        if tracing.current is not None:
            tracing.on_get_grad(self)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assign a Tensor or None, got {type(value).__name__}")
            if value.shape != self.data.shape or value.dtype != self.data.dtype:
                raise ValueError(
                    f"grad: assigned gradient has shape {value.shape} and dtype {value.dtype}, "
                    f"but the tensor has shape {self.data.shape} and dtype {self.data.dtype}"
                )
        tracing.on_set_grad(self, value)
        self._grad = value

    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow to this tensor (floating-point tensors only)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    @property
    def grad_fn(self) -> type[autograd.Function] | None:
        """The Function class that created this tensor (None for leaves)."""
        return None if self._ctx is None else self._ctx.fn

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than by an op that tracks grad."""
        return self._ctx is None

    # ------------------------------------------------------------------ conversion

    def numpy(self) -> np.ndarray:
        """Return the data as a NumPy array (the same array, not a copy).

        Raises:
            RuntimeError: the tensor requires grad: the array would leave the graph silently;
                call `.detach().numpy()` to say so.
        """
        if self.requires_grad:
            raise RuntimeError(
                "numpy: this tensor requires grad, so its array would leave the graph; "
                "call tensor.detach().numpy() instead"
            )
        return self.data

    def item(self) -> Any:
        """Return the single element as a Python number."""
        tracing.refuse_value_read("item()")
        if self.data.size != 1:
            raise ValueError(
                f"item: only a tensor with one element can be converted to a Python number, "
                f"got shape {self.data.shape}"
            )
        return self.data.item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists of numbers."""
        tracing.refuse_value_read("tolist()")
        return self.data.tolist()

    def detach(self) -> Tensor:
        """Return a tensor sharing this data, cut from the graph (requires_grad False)."""
        return Tensor._make(self.data, False, None)

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph (gradients flow back to self)."""
        return F.Clone.apply(self)

    def astype(self, dtype: DTypeLike) -> Tensor:
        """The values converted to `dtype` (differentiable between float dtypes)."""
        return F.Cast.apply(self, dtype=dtypes.check_supported(np.dtype(dtype), "astype"))

    def __array__(self, dtype: DTypeLike = None, copy: bool | None = None) -> np.ndarray:
        """NumPy's array protocol: the data, copied when NumPy asks for a copy.

        A tensor that requires grad refuses, as `numpy()` does: the array would leave the
        graph silently.
        """
        if tensor_python.converting_list():  # inside a list that Tensor(...) reads
            raise tensor_python.TensorInList
        if self.requires_grad:
            raise RuntimeError(
                "np.asarray/np.array: this tensor requires grad, so its array would leave the "
                "graph; call tensor.detach() first (or use the Tensor's own methods)"
            )
        tracing.refuse_value_read("np.asarray()")
        data = self.data
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError(
                    f"np.asarray(copy=False): converting dtype {data.dtype} to {np.dtype(dtype)} "
                    "needs a copy"
                )
            return data.astype(dtype)
        return data.copy() if copy else data

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy ufuncs on Tensors run the matching op (see `tinygrad_lite.interop`)."""
        return _numpy_dispatch.ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """NumPy functions on Tensors run the matching op (see `tinygrad_lite.interop`)."""
        return _numpy_dispatch.function(func, types, args, kwargs)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __bool__(self) -> bool:
        tracing.refuse_value_read("bool()")
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.data.shape} is ambiguous; "
                "use (t != 0).any() or .all()"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(
                f"only an integer tensor with one element can be used as an index, got dtype "
                f"{self.data.dtype} and shape {self.data.shape}"
            )
        return int(self.item())

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = ""
        kind = self.data.dtype
        if kind != np.float64 and kind != np.int64 and kind != np.bool_:
            extra += f", dtype={self.data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn=<{self._ctx.fn.__name__}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    def _repr_html_(self) -> str:  # a notebook's display: shape, dtype, grad_fn, values, grad
        return display.tensor_html(self)

    def _repr_markdown_(self) -> str:
        return display.tensor_markdown(self)

    __hash__ = object.__hash__

    # ------------------------------------------------------------------ autograd

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (or only the `inputs`').

        Args:
            gradient: the gradient flowing into self; omit it for a one-element tensor.
            retain_graph: keep the graph so that backward can run through it again
                (default: `create_graph`).
            create_graph: record the backward pass as a graph too, so that the gradients
                can be differentiated again (higher-order derivatives).
            inputs: the tensors (leaves or not) whose `.grad` receives the gradient; None: every
                leaf of the graph.
        """
        engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` in place on a leaf and return self.

        Raises:
            RuntimeError: the tensor is the result of an op (only leaves can change it).
            TypeError: asked for a gradient on a tensor that is not floating-point.
        """
        requires_grad = bool(requires_grad)
        if self._ctx is not None and requires_grad != self._requires_grad:
            raise RuntimeError(
                "requires_grad: only a leaf's flag can change; this tensor is the result of an "
                "op (use .detach() to get a tensor without a graph)"
            )
        if requires_grad:
            _check_grad_dtype(self.data.dtype, "requires_grad_")
        self._requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in `.grad` after backward (as PyTorch)."""
        hooks.retain_grad(self)

    @property
    def retains_grad(self) -> bool:
        """Whether `retain_grad()` was called on this result of an op."""
        return hooks.retains_grad(self)

    def register_post_accumulate_grad_hook(self, hook: Any) -> hooks.RemovableHandle:
        """Call `hook(self)` after backward has accumulated this leaf's `.grad`."""
        return hooks.register_post_accumulate_grad_hook(self, hook)

    def register_hook(self, hook: Any) -> hooks.RemovableHandle:
        """Call `hook(grad)` with this tensor's gradient during backward.

        A hook may return a replacement gradient (a Tensor of the same shape) or None.
        Returns a handle whose `remove()` unregisters the hook.
        """
        return hooks.register_hook(self, hook)

    # ------------------------------------------------------------------ arithmetic

    def _wrap(self, other: Any, op: str) -> Tensor:
        """The other operand as a Tensor; Python numbers are weak (see `dtypes`)."""
        if isinstance(other, Tensor):
            return other
        if dtypes.is_scalar(other):
            return Tensor._make(dtypes.scalar_operand(other, self.data.dtype, op), False, None)
        if isinstance(other, (np.ndarray, list, tuple)) or tracing.is_traced(other):
            return Tensor._make(to_array(other), False, None)
        raise TypeError(f"{op}: cannot combine a Tensor with {type(other).__name__} {other!r}")

    def _scaled(self, fn: type[autograd.Function], other: Any, alpha: Any, op: str) -> Tensor:
        """Self `fn` alpha·other (`add`/`sub`): an integer or bool result takes an integer alpha."""
        o = self._wrap(other, op)
        if alpha.__class__ is int and alpha == 1:
            return fn.apply(self, o)
        if not dtypes.is_scalar(alpha):
            raise TypeError(f"{op}: alpha must be a number, got {type(alpha).__name__}")
        if isinstance(alpha, (bool, np.bool_)) or (
            np.result_type(self.data, o.data).kind in "biu"
            and not isinstance(alpha, (int, np.integer))
        ):
            raise TypeError(
                f"{op}: alpha={alpha!r} must be an integer for integer and bool tensors "
                f"(dtypes {self.data.dtype} and {o.data.dtype}), as in PyTorch"
            )
        half = self.data.dtype is dtypes.HALF and o.data.dtype is dtypes.HALF
        if half and alpha.__class__ in (float, int):
            # PyTorch converts alpha to float16 and computes self ± alpha·other in float32
            a = Tensor._make(dtypes.scalar_operand(alpha, o.data.dtype, op), False, None)
            x, y = F.Cast.apply(self, dtype=dtypes.OPMATH), F.Cast.apply(o, dtype=dtypes.OPMATH)
            z = fn.apply(x, F.Mul.apply(y, F.Cast.apply(a, dtype=dtypes.OPMATH)))
            return F.Cast.apply(z, dtype=o.data.dtype)
        return fn.apply(self, o * alpha)

    def _opmath(
        self, fn: type[autograd.Function], other: Any, op: str, reflected: bool = False
    ) -> Tensor:
        """Self (float16) `fn` a Python number (`other fn self` if reflected), as PyTorch does it.

        In float32 with the number unrounded, then rounded to float16 once (see
        `dtypes.opmath_operand`); the casts are in the graph, so the gradient (g·s, g/s) is
        computed and rounded the same way.
        """
        s = dtypes.opmath_operand(other, op)
        if s is None:  # float16 holds the number: the float16 op gives the same bits
            x, o = self, self._wrap(other, op)
        else:
            x, o = F.Cast.apply(self, dtype=s.dtype), Tensor._make(s, False, None)
        z = fn.apply(o, x) if reflected else fn.apply(x, o)
        return z if s is None else F.Cast.apply(z, dtype=dtypes.HALF)

    def add(self, other: Tensor | Scalar | np.ndarray, *, alpha: Any = 1) -> Tensor:
        """Self + alpha·other, with broadcasting."""
        return self._scaled(F.Add, other, alpha, "add")

    def sub(self, other: Tensor | Scalar | np.ndarray, *, alpha: Any = 1) -> Tensor:
        """Self - alpha·other, with broadcasting."""
        return self._scaled(F.Sub, other, alpha, "sub")

    def mul(self, other: Tensor | Scalar | np.ndarray) -> Tensor:
        """Self * other (elementwise), with broadcasting."""
        if self.data.dtype is dtypes.HALF and other.__class__ in (float, int):
            return self._opmath(F.Mul, other, "mul")
        return F.Mul.apply(self, self._wrap(other, "mul"))

    def pow(self, exponent: Tensor | Scalar) -> Tensor:
        """Self ** exponent (a number gives the op `pow`, a tensor `pow_tensor`)."""
        if isinstance(exponent, (bool, np.bool_)):
            raise TypeError("pow: exponent must be a number or a Tensor, got a bool")
        if dtypes.is_scalar(exponent):
            return F.Pow.apply(self, exponent=exponent)
        return F.PowTensor.apply(self, self._wrap(exponent, "pow"))

    def neg(self) -> Tensor:
        """-self."""
        return F.Neg.apply(self)

    def matmul(self, other: Tensor | np.ndarray) -> Tensor:
        """Self @ other, with NumPy's rules for 1-D operands and batch dimensions."""
        return F.MatMul.apply(self, self._wrap(other, "matmul"))

    def __add__(self, other: Tensor | Scalar | np.ndarray) -> Tensor:
        return F.Add.apply(self, self._wrap(other, "add"))

    def __radd__(self, other: Scalar | np.ndarray) -> Tensor:
        return F.Add.apply(self._wrap(other, "add"), self)

    def __sub__(self, other: Tensor | Scalar | np.ndarray) -> Tensor:
        return F.Sub.apply(self, self._wrap(other, "sub"))

    def __rsub__(self, other: Scalar | np.ndarray) -> Tensor:
        return F.Sub.apply(self._wrap(other, "sub"), self)

    def __mul__(self, other: Tensor | Scalar | np.ndarray) -> Tensor:
        if self.data.dtype is dtypes.HALF and other.__class__ in (float, int):
            return self._opmath(F.Mul, other, "mul")
        return F.Mul.apply(self, self._wrap(other, "mul"))

    def __rmul__(self, other: Scalar | np.ndarray) -> Tensor:
        if self.data.dtype is dtypes.HALF and other.__class__ in (float, int):
            return self._opmath(F.Mul, other, "mul")
        return F.Mul.apply(self._wrap(other, "mul"), self)

    def __truediv__(self, other: Tensor | Scalar | np.ndarray) -> Tensor:
        if self.data.dtype is dtypes.HALF and other.__class__ in (float, int):
            return self._opmath(F.Div, other, "div")
        return F.Div.apply(self, self._wrap(other, "div"))

    def __rtruediv__(self, other: Scalar | np.ndarray) -> Tensor:
        if self.data.dtype is dtypes.HALF and other.__class__ in (float, int):
            return self._opmath(F.Div, other, "div", reflected=True)
        return F.Div.apply(self._wrap(other, "div"), self)

    def __neg__(self) -> Tensor:
        return F.Neg.apply(self)

    def __pos__(self) -> Tensor:
        if self.data.dtype == np.bool_:
            raise TypeError("+x: the unary + is not defined for bool tensors (as in PyTorch)")
        return self  # PyTorch's `+x` is x itself too

    def __abs__(self) -> Tensor:
        return F.Abs.apply(self)

    def __pow__(self, exponent: Tensor | Scalar) -> Tensor:
        if not isinstance(exponent, (Tensor, np.ndarray, list, tuple)) and not dtypes.is_scalar(
            exponent
        ):
            raise TypeError(f"pow: exponent must be a number or a Tensor, got {type(exponent)}")
        return self.pow(exponent)

    def __rpow__(self, base: Scalar | np.ndarray) -> Tensor:
        return F.PowTensor.apply(self._wrap(base, "pow"), self)

    def __matmul__(self, other: Tensor | np.ndarray) -> Tensor:
        return F.MatMul.apply(self, self._wrap(other, "matmul"))

    def __rmatmul__(self, other: np.ndarray) -> Tensor:
        return F.MatMul.apply(self._wrap(other, "matmul"), self)


autograd.set_tensor_factory(Tensor._make)
