"""A Python float inside a trace: its value now, a variable of the generated code on replay.

`compile` passes a `TracedFloat` to the step in place of each float argument (a learning rate,
a penalty weight), and hands one out when the step reads an optimizer's lr. Arithmetic with
other Python numbers (`1 - beta`, `lr * 0.5`) and every NumPy call or tensor op it enters are
written down with its variable, so a replay with another value computes what eager execution
computes with that value. What would read the number into Python — `float()`, `math.exp`, a
comparison or `if`, formatting, hashing — gives the value but ties the plan to it: the tracer
adds a check at the top of the plan (or refuses, where the value is not known there), so a
replay never uses a stale number.

It is not a `float` subclass on purpose: C code reads a float subclass's value directly, with no
hook, so NumPy or `math` could freeze it unseen. It reports `float` as its `__class__`, so that
`isinstance(lr, float)` holds as it would in eager execution.
"""

from __future__ import annotations

from typing import Any, Protocol

from .traced import record_function, record_ufunc, unwrap

__all__ = ["TracedFloat", "Specializer"]

# A runtime input a TracedFloat is computed from: its expression at the top of the plan, its
# value in the trace, and the step argument it is (None for an optimizer setting).
Top = tuple[str, float, "int | None"]


class Specializer(Protocol):
    """The tracer, as a TracedFloat sees it."""

    rec: Any

    def active(self) -> bool:
        """Whether the calling thread is the one traced, outside any replayed call."""

    def specialize(self, x: TracedFloat, what: str) -> None:
        """The step reads `x` into Python: tie the plan to its value (or refuse)."""


def _is_number(x: Any) -> bool:
    return type(x) in (int, float, bool) or isinstance(x, TracedFloat)


def _binary(op: str, fn: Any) -> tuple[Any, Any]:
    def forward(self: TracedFloat, other: Any) -> Any:
        return self._arith(op, fn, self, other)

    def reflected(self: TracedFloat, other: Any) -> Any:
        return self._arith(op, fn, other, self)

    return forward, reflected


def _compare(fn: Any) -> Any:
    def compare(self: TracedFloat, other: Any) -> Any:
        if not _is_number(other):
            return NotImplemented
        return fn(self._concrete("comparing it"), _concrete(other, "comparing it"))

    return compare


def _concrete(x: Any, what: str) -> Any:
    return x._concrete(what) if isinstance(x, TracedFloat) else x


class TracedFloat:
    """A Python float of the step, known as `name` in the generated code.

    Attributes:
        value: its value in this trace.
        name: the variable (or expression) holding it in the generated code.
        tracer: the tracer that made it.
        tops: the runtime inputs it is computed from (see `Top`), or None when one of them is
            not known at the top of the plan.
    """

    __slots__ = ("value", "name", "tracer", "tops")
    is_traced_scalar = True  # what traced.unwrap and Recorder.render look for

    def __init__(
        self, value: float, name: str, tracer: Specializer, tops: tuple[Top, ...] | None
    ) -> None:
        self.value = value
        self.name = name
        self.tracer = tracer
        self.tops = tops

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: D105 - isinstance(x, float) holds, as in eager
        return float

    def _live(self) -> bool:
        return self.tracer.active() and not self.tracer.rec.closed

    def _concrete(self, what: str) -> float:
        """The value as a Python float; while tracing, the plan is tied to it first."""
        if self._live():
            self.tracer.specialize(self, what)
        return self.value

    # -- arithmetic with Python numbers: written down, Python's own semantics ------------------

    def _arith(self, op: str, fn: Any, a: Any, b: Any) -> Any:
        if not (_is_number(a) and _is_number(b)):
            return NotImplemented
        result = fn(unwrap(a), unwrap(b))
        if not self._live():
            return result
        if type(result) is not float:  # a complex power, say: not a float of the plan
            return fn(_concrete(a, "arithmetic"), _concrete(b, "arithmetic"))
        rec = self.tracer.rec
        name = rec.new_name()
        rec.emit(f"{name} = {rec.render(a)} {op} {rec.render(b)}")
        tops: tuple[Top, ...] | None = ()
        for x in (a, b):
            if isinstance(x, TracedFloat):
                tops = None if tops is None or x.tops is None else tops + x.tops
        return TracedFloat(result, name, self.tracer, tops)

    __add__, __radd__ = _binary("+", lambda a, b: a + b)
    __sub__, __rsub__ = _binary("-", lambda a, b: a - b)
    __mul__, __rmul__ = _binary("*", lambda a, b: a * b)
    __truediv__, __rtruediv__ = _binary("/", lambda a, b: a / b)
    __floordiv__, __rfloordiv__ = _binary("//", lambda a, b: a // b)
    __mod__, __rmod__ = _binary("%", lambda a, b: a % b)
    __pow__, __rpow__ = _binary("**", lambda a, b: a**b)

    def _unary(self, op: str, fn: Any) -> Any:
        if not self._live():
            return fn(self.value)
        rec = self.tracer.rec
        name = rec.new_name()
        rec.emit(f"{name} = {op}({self.name})")
        return TracedFloat(fn(self.value), name, self.tracer, self.tops)

    def __neg__(self) -> Any:
        return self._unary("-", lambda v: -v)

    def __pos__(self) -> Any:
        return self._unary("+", lambda v: +v)

    def __abs__(self) -> Any:
        return self._unary("abs", abs)

    # -- the value read into Python: the plan is tied to it -----------------------------------

    __eq__ = _compare(lambda a, b: a == b)
    __ne__ = _compare(lambda a, b: a != b)
    __lt__ = _compare(lambda a, b: a < b)
    __le__ = _compare(lambda a, b: a <= b)
    __gt__ = _compare(lambda a, b: a > b)
    __ge__ = _compare(lambda a, b: a >= b)

    def __hash__(self) -> int:
        return hash(self._concrete("hashing it"))

    def __bool__(self) -> bool:
        return bool(self._concrete("bool() (an `if` on it)"))

    def __float__(self) -> float:
        return self._concrete("float() (math functions call it too)")

    def __int__(self) -> int:
        return int(self._concrete("int()"))

    def __round__(self, ndigits: int | None = None) -> Any:
        return round(self._concrete("round()"), ndigits)

    def __trunc__(self) -> int:
        return int(self._concrete("math.trunc()"))

    def __floor__(self) -> int:
        return self._concrete("math.floor()").__floor__()

    def __ceil__(self) -> int:
        return self._concrete("math.ceil()").__ceil__()

    def __format__(self, spec: str) -> str:
        return format(self._concrete("formatting it"), spec)

    def __repr__(self) -> str:
        return repr(self._concrete("repr()"))

    def __str__(self) -> str:
        return str(self._concrete("str()"))

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (float, (self._concrete("pickling or copying it"),))

    def __getattr__(self, attr: str) -> Any:
        # float's other attributes and methods (hex, is_integer, real, ...): on the value
        return getattr(self._concrete(f".{attr}"), attr)

    # -- NumPy: recorded like any call on a traced array ---------------------------------------

    def operand(self, dtype: Any) -> Any:
        """The number as a 0-d array of `dtype` beside a tensor (`dtypes.scalar_operand`)."""
        import numpy as np

        if not self._live():
            return np.asarray(self.value, dtype=dtype)
        return self.tracer.rec.call(np.asarray, "np.asarray", (self,), {"dtype": dtype})

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        import numpy as np

        return np.asarray(self._concrete("np.asarray()"), dtype=dtype)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if not self._live():
            if any(hasattr(i, "_ctx") for i in inputs):
                return NotImplemented  # a Tensor operand: its own protocol handles the call
            fn = ufunc if method == "__call__" else getattr(ufunc, method)
            return fn(*unwrap(inputs), **{k: unwrap(v) for k, v in kwargs.items()})
        return record_ufunc(self.tracer.rec, ufunc, method, inputs, kwargs, describe=False)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if not self._live():
            return func(*unwrap(tuple(args)), **{k: unwrap(v) for k, v in kwargs.items()})
        return record_function(self.tracer.rec, func, types, args, kwargs, describe=False)
