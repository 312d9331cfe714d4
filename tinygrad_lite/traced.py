"""The array stand-in that `compile` traces with: real values now, NumPy source for the replay.

A `Traced` wraps the array an op would see. Every NumPy ufunc, NumPy function, operator and
array method applied to it runs on the real value (so the traced call computes exactly what eager
execution computes) and appends the same call, as a line of Python, to the trace. What cannot be
written down as a line — reading a value into Python (`float`, `bool`, `.item()`,
`np.asarray`) — raises `TraceError`, so nothing is frozen silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import tracing
from .tracing import TraceError

if TYPE_CHECKING:
    from .recorder import Recorder

__all__ = ["Traced", "Op", "Ref", "record_function", "record_ufunc", "refs", "unwrap"]


@dataclass(frozen=True)
class Ref:
    """A traced array among an `Op`'s arguments: the variable (or expression) that holds it."""

    name: str


@dataclass
class Op:
    """One recorded NumPy call, as data (for backends that generate their own code).

    Attributes:
        fn: the ufunc or NumPy function called.
        method: "" for a plain call, else the ufunc method ("reduce", "at", ...).
        args: the arguments, with `Ref` standing for traced arrays.
        kwargs: the keyword arguments, likewise.
        target: the variable the result is bound to (None for an in-place write or a statement).
        value: the result's value at trace time (its shape and dtype are the plan's).
    """

    fn: Any
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    target: str | None = None
    value: Any = None


def refs(x: Any) -> Any:
    """`x` with every Traced replaced by a `Ref` to its name, recursively."""
    if isinstance(x, Traced):
        return Ref(x.name)
    if isinstance(x, tuple):
        return tuple(refs(i) for i in x)
    if isinstance(x, list):
        return [refs(i) for i in x]
    return x


def unwrap(x: Any) -> Any:
    """The real values inside `x` (Traced objects replaced by their arrays, recursively)."""
    if isinstance(x, Traced):
        return x.value
    if getattr(type(x), "is_traced_scalar", False):  # a traced_float.TracedFloat
        return x.value
    if isinstance(x, tuple):
        return tuple(unwrap(i) for i in x)
    if isinstance(x, list):
        return [unwrap(i) for i in x]
    return x


def record_ufunc(
    rec: Recorder,
    ufunc: Any,
    method: str,
    inputs: tuple[Any, ...],
    kwargs: dict[str, Any],
    describe: bool = True,
) -> Any:
    """A ufunc call on traced operands (`__array_ufunc__`): computed now, written down.

    `describe` also records it as an `Op` (for backends that generate their own code).
    """
    if any(hasattr(i, "_ctx") for i in inputs):
        return NotImplemented  # a Tensor operand: its own protocol handles the call
    _refuse_constant_write(ufunc.__name__, inputs[0] if method == "at" else None, kwargs)
    fn = ufunc if method == "__call__" else getattr(ufunc, method)
    render = rec.render(ufunc) + ("" if method == "__call__" else f".{method}")
    op = (ufunc, "" if method == "__call__" else method) if describe else None
    infix = _INFIX.get(ufunc) if method == "__call__" and not kwargs else None
    if infix is not None and _float_scalars(inputs):
        render = infix  # NumPy's scalar arithmetic: the same IEEE operation, without a ufunc call
    return rec.call(fn, render, inputs, kwargs, op)


# Binary ufuncs whose Python operator on NumPy float scalars does the same IEEE operation in
# the same dtype (NumPy's scalar math), at a tenth of a ufunc call's fixed cost.
_INFIX = {np.add: "+", np.subtract: "-", np.multiply: "*", np.divide: "/"}


def _float_scalars(inputs: tuple[Any, ...]) -> bool:
    """Two operands, each a traced NumPy float scalar or a Python float/int constant.

    Integer NumPy scalars are left to the ufunc: their operators warn on overflow where the
    ufunc wraps silently.
    """
    if len(inputs) != 2:
        return False
    traced = False
    for x in inputs:
        if x.__class__ is Traced:
            if not (x.scalar and x.value.dtype.kind == "f"):
                return False
            traced = True
        elif x.__class__ not in (float, int):
            return False
    return traced


def record_function(
    rec: Recorder, func: Any, types: Any, args: Any, kwargs: Any, describe: bool = True
) -> Any:
    """A NumPy function called on traced operands (`__array_function__`), as `record_ufunc`."""
    if any(hasattr(t, "_ctx") for t in types):
        return NotImplemented  # a Tensor operand: its own protocol handles the call
    _refuse_constant_write(func.__name__, None, kwargs)
    mod = getattr(func, "__module__", "") or ""
    name = func.__name__
    if mod.startswith("numpy") and getattr(np, name, None) is func:
        render = f"np.{name}"
    elif getattr(np.linalg, name, None) is func:
        render = f"np.linalg.{name}"
    else:
        render = rec.const(func, "f")
    return rec.call(func, render, tuple(args), dict(kwargs), (func, "") if describe else None)


def _refuse_constant_write(name: str, target: Any, kwargs: dict[str, Any]) -> None:
    """Raise if a traced call would write into an array made outside the trace.

    Inside an op's forward or backward, such an array (`np.zeros(shape)`, say) is a constant
    of the plan: every replay would write into the same array again, adding to what the last
    call left. (Outside ops, a step may mean to write into arrays it keeps.)
    """
    if not tracing.op_depth:
        return
    out = kwargs.get("out")
    targets = [target, *(out if isinstance(out, tuple) else (out,))]
    if any(t.__class__ is np.ndarray for t in targets):
        raise TraceError(
            f"compile: np.{name} writes into an array that was made outside the traced step, "
            "so every replay would write into the same array; make it from a traced array "
            "(np.zeros_like(x, shape=...), np.empty_like) or without out="
        )


def _method(name: str) -> Any:
    def method(self: Traced, *args: Any, **kwargs: Any) -> Any:
        return self._call_method(name, args, kwargs)

    method.__name__ = name
    method.__doc__ = f"`ndarray.{name}` on the value, written down as a line of the trace."
    return method


class Traced:
    """An array inside a trace: `value` now, known as `name` in the generated code."""

    __slots__ = ("value", "name", "rec", "scalar")
    __array_priority__ = 1000
    is_traced_array = True  # what tracing.is_traced looks for

    def __init__(self, value: np.ndarray, name: str, rec: Recorder, scalar: bool = False) -> None:
        self.value = value
        self.name = name
        self.rec = rec
        # NumPy gave a scalar, not a 0-d array (arithmetic on 0-d arrays does): the replay
        # will get a scalar there too, and a conversion to an array must be written down.
        self.scalar = scalar
        rec.arrays.setdefault(name, self)

    def as_array(self) -> Traced:
        """This value as an array, as `np.asarray` makes it of a NumPy scalar (recorded)."""
        if not self.scalar:
            return self
        if not self._live():
            return Traced(self.value, self.name, self.rec)
        name = self.rec.new_name()
        self.rec.emit(f"{name} = np.asarray({self.name})")
        return Traced(self.value, name, self.rec)

    def result(self) -> Any:
        """The real value, a scalar where NumPy made a scalar."""
        return self.value[()] if self.scalar else self.value

    # -- static facts: shapes and dtypes are part of the plan's key -----------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.value.dtype

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def size(self) -> int:
        return self.value.size

    @property
    def nbytes(self) -> int:
        return self.value.nbytes

    @property
    def flags(self) -> Any:
        return self.value.flags

    @property
    def base(self) -> Any:
        return self.value.base

    def __len__(self) -> int:
        return len(self.value)

    def __repr__(self) -> str:
        return f"Traced({self.name}, shape={self.value.shape}, dtype={self.value.dtype})"

    # -- values leaving the trace --------------------------------------------------------------

    def _refuse(self, what: str) -> TraceError:
        return TraceError(
            f"compile: {what} reads a tensor's values while tracing a step, so the compiled "
            "step could not follow them; return the tensor from the step and read it afterwards"
        )

    def _live(self) -> bool:
        return self.rec.recording and not self.rec.closed

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if self._live():
            raise self._refuse("np.asarray() or np.array()")
        v = self.value if dtype is None else self.value.astype(dtype)
        return v.copy() if copy else v

    def __bool__(self) -> bool:
        if self._live():
            raise self._refuse("bool() (an `if` or `while` on a tensor)")
        return bool(self.value)

    def __float__(self) -> float:
        if self._live():
            raise self._refuse("float()")
        return float(self.value)

    def __int__(self) -> int:
        if self._live():
            raise self._refuse("int()")
        return int(self.value)

    def __index__(self) -> int:
        if self._live():
            raise self._refuse("using a tensor as a Python index")
        return int(self.value)

    def item(self) -> Any:
        """Refused while tracing (a Python number cannot be replayed); the value afterwards."""
        if self._live():
            raise self._refuse(".item()")
        return self.value.item()

    def tolist(self) -> Any:
        """Refused while tracing (Python lists cannot be replayed); the values afterwards."""
        if self._live():
            raise self._refuse(".tolist()")
        return self.value.tolist()

    # -- NumPy protocols -----------------------------------------------------------------------

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return record_ufunc(self.rec, ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return record_function(self.rec, func, types, args, kwargs)

    def _call_method(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        bound = getattr(self.value, name)
        if not self._live():
            return bound(*unwrap(args), **{k: unwrap(v) for k, v in kwargs.items()})
        return self.rec.call(bound, f"{self.name}.{name}", args, kwargs)

    reshape = _method("reshape")
    astype = _method("astype")
    copy = _method("copy")
    sum = _method("sum")
    mean = _method("mean")
    max = _method("max")
    min = _method("min")
    prod = _method("prod")
    any = _method("any")
    all = _method("all")
    transpose = _method("transpose")
    swapaxes = _method("swapaxes")
    squeeze = _method("squeeze")
    ravel = _method("ravel")
    flatten = _method("flatten")
    fill = _method("fill")
    argmax = _method("argmax")
    argmin = _method("argmin")
    cumprod = _method("cumprod")
    cumsum = _method("cumsum")

    @property
    def T(self) -> Any:
        if not self._live():
            return self.value.T
        return self.rec.bind(f"{self.name}.T", self.value.T)

    def __getitem__(self, index: Any) -> Any:
        if not self._live():
            return self.value[unwrap(index)]
        result = self.value[unwrap(index)]
        return self.rec.bind(f"{self.name}[{self.rec.render(index)}]", result)

    def __setitem__(self, index: Any, value: Any) -> None:
        self.value[unwrap(index)] = unwrap(value)
        if self._live():
            self.rec.emit(f"{self.name}[{self.rec.render(index)}] = {self.rec.render(value)}")

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self.value)))

    # -- operators: the ufuncs, so they are recorded like any other call ------------------------

    def __add__(self, o: Any) -> Any:
        return np.add(self, o)

    def __radd__(self, o: Any) -> Any:
        return np.add(o, self)

    def __sub__(self, o: Any) -> Any:
        return np.subtract(self, o)

    def __rsub__(self, o: Any) -> Any:
        return np.subtract(o, self)

    def __mul__(self, o: Any) -> Any:
        return np.multiply(self, o)

    def __rmul__(self, o: Any) -> Any:
        return np.multiply(o, self)

    def __truediv__(self, o: Any) -> Any:
        return np.divide(self, o)

    def __rtruediv__(self, o: Any) -> Any:
        return np.divide(o, self)

    def __floordiv__(self, o: Any) -> Any:
        return np.floor_divide(self, o)

    def __rfloordiv__(self, o: Any) -> Any:
        return np.floor_divide(o, self)

    def __mod__(self, o: Any) -> Any:
        return np.remainder(self, o)

    def __rmod__(self, o: Any) -> Any:
        return np.remainder(o, self)

    def __pow__(self, o: Any) -> Any:
        return np.power(self, o)

    def __rpow__(self, o: Any) -> Any:
        return np.power(o, self)

    def __matmul__(self, o: Any) -> Any:
        return np.matmul(self, o)

    def __rmatmul__(self, o: Any) -> Any:
        return np.matmul(o, self)

    def __neg__(self) -> Any:
        return np.negative(self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return np.absolute(self)

    def __gt__(self, o: Any) -> Any:
        return np.greater(self, o)

    def __ge__(self, o: Any) -> Any:
        return np.greater_equal(self, o)

    def __lt__(self, o: Any) -> Any:
        return np.less(self, o)

    def __le__(self, o: Any) -> Any:
        return np.less_equal(self, o)

    def __eq__(self, o: Any) -> Any:
        return np.equal(self, o)

    def __ne__(self, o: Any) -> Any:
        return np.not_equal(self, o)

    def __and__(self, o: Any) -> Any:
        return np.bitwise_and(self, o)

    def __rand__(self, o: Any) -> Any:
        return np.bitwise_and(o, self)

    def __or__(self, o: Any) -> Any:
        return np.bitwise_or(self, o)

    def __ror__(self, o: Any) -> Any:
        return np.bitwise_or(o, self)

    def __xor__(self, o: Any) -> Any:
        return np.bitwise_xor(self, o)

    def __rxor__(self, o: Any) -> Any:
        return np.bitwise_xor(o, self)

    def __invert__(self) -> Any:
        return np.invert(self)

    def __iadd__(self, o: Any) -> Any:
        return np.add(self, o, out=self)  # type: ignore[call-overload]

    def __isub__(self, o: Any) -> Any:
        return np.subtract(self, o, out=self)  # type: ignore[call-overload]

    def __imul__(self, o: Any) -> Any:
        return np.multiply(self, o, out=self)  # type: ignore[call-overload]

    def __itruediv__(self, o: Any) -> Any:
        return np.divide(self, o, out=self)  # type: ignore[call-overload]

    __hash__ = object.__hash__
