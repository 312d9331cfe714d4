"""The recorder behind `compile`'s traces: the lines of NumPy a step's first run writes down.

A `Recorder` collects one line of Python per NumPy call made on `traced.Traced` stand-ins, the
constants those lines refer to, each call as data (`traced.Op`, for backends that generate
their own code), and which lines make a new array (which the buffer plan may give a reused
buffer instead).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .traced import Op, Traced, refs, unwrap

__all__ = ["Recorder"]


class Recorder:
    """Collects the lines of a trace and the constants its code refers to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        # For each line `vK = ...` that makes a new array (nothing else refers to it): the array
        # and whether it is a plain ufunc call, which may write into a buffer instead.
        self.fresh: list[tuple[np.ndarray, bool] | None] = []
        # For each line made by a NumPy call: the call as data (None for other lines).
        self.ops: list[Op | None] = []
        self._pending_op: Op | None = None
        self.consts: dict[str, Any] = {}
        self._const_ids: dict[int, str] = {}
        self.names: dict[int, str] = {}  # id(raw array) -> expression (a tensor's data)
        # Every traced array by the name the generated code knows it under (its shape, dtype
        # and whether NumPy made a scalar are facts of the plan).
        self.arrays: dict[str, Traced] = {}
        self.count = 0
        self.recording = True  # False inside replayed calls: values are computed, not traced
        self.closed = False
        self.keep: list[Any] = []

    def release(self) -> None:
        """After the plan is built: drop every traced value (they form cycles with `Traced`).

        Without this the trace's arrays would stay alive until Python's cycle collector runs,
        which a training loop that allocates few objects may not trigger for a long time.
        """
        self.closed = True
        self.fresh.clear()
        self.ops.clear()
        self.arrays.clear()
        self.names.clear()
        self.keep.clear()

    # -- naming --------------------------------------------------------------------------------

    def new_name(self) -> str:
        """A fresh variable name."""
        self.count += 1
        return f"v{self.count}"

    def const(self, value: Any, hint: str = "c") -> str:
        """The name under which `value` (any object) is bound in the generated code."""
        name = self._const_ids.get(id(value))
        if name is None:
            name = f"{hint}{len(self.consts)}"
            self.consts[name] = value
            self._const_ids[id(value)] = name
            self.keep.append(value)
        return name

    def render(self, x: Any) -> str:
        """Python source that yields `x` in the generated code."""
        if isinstance(x, Traced) or getattr(type(x), "is_traced_scalar", False):
            return x.name
        if x is None or isinstance(x, (bool, int, str)) and not isinstance(x, np.generic):
            return repr(x)
        if x.__class__ is float:  # (a NumPy float scalar is bound as a constant, not rebuilt)
            return repr(x) if np.isfinite(x) else self.const(x)
        if x is Ellipsis:
            return "..."
        if isinstance(x, slice):
            return f"slice({self.render(x.start)}, {self.render(x.stop)}, {self.render(x.step)})"
        if isinstance(x, tuple):
            inner = ", ".join(self.render(i) for i in x)
            return f"({inner},)" if len(x) == 1 else f"({inner})"
        if isinstance(x, list):
            return "[" + ", ".join(self.render(i) for i in x) + "]"
        if isinstance(x, np.ndarray) and id(x) in self.names:
            return self.names[id(x)]
        name = getattr(x, "__name__", None)
        if isinstance(x, np.ufunc) and isinstance(name, str) and getattr(np, name, None) is x:
            return f"np.{name}"
        return self.const(x)

    def emit(self, line: str, fresh: tuple[np.ndarray, bool] | None = None) -> None:
        """Append one line to the trace (`fresh`: the new array a ufunc line makes)."""
        self.lines.append(line)
        self.fresh.append(fresh)
        self.ops.append(self._pending_op)
        self._pending_op = None

    # -- recording -----------------------------------------------------------------------------

    def call(
        self,
        fn: Any,
        render: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        op: tuple[Any, str] | None = None,
    ) -> Any:
        """Run fn(*args, **kwargs) on real values; record `render(args)` and wrap the result.

        `op` = (ufunc or function, ufunc method) also records the call as an `Op`.
        """
        out = kwargs.get("out")
        result = fn(*unwrap(args), **{k: unwrap(v) for k, v in kwargs.items()})
        if not self.recording or self.closed:
            return result
        parts = [self.render(a) for a in args] + [
            f"{k}={self.render(v)}" for k, v in kwargs.items()
        ]
        if len(render) == 1:  # an operator (see traced.record_ufunc)
            expr = f"({parts[0]} {render} {parts[1]})"
        else:
            expr = f"{render}({', '.join(parts)})"
        if op is not None:
            self._pending_op = Op(op[0], op[1], refs(args), {k: refs(v) for k, v in kwargs.items()})
        bound = self.bind(expr, result, out, _makes_new_array(fn, args, kwargs))
        last = self.ops[-1] if self.ops else None
        if last is not None and last.value is None:
            last.value = result
            if isinstance(bound, Traced) and self.lines[-1].startswith(bound.name + " = "):
                last.target = bound.name
        return bound

    def bind(self, expr: str, result: Any, out: Any = None, fresh: str = "") -> Any:
        """Record `expr` as producing `result`: a new variable, or an in-place write to `out`."""
        if out is not None:
            target = out[0] if isinstance(out, tuple) and len(out) == 1 else out
            if unwrap(target) is result:
                self.emit(expr)
                return target if isinstance(target, Traced) else result
        if result is None:
            self.emit(expr)
            return None
        if isinstance(result, tuple):
            name = self.new_name()
            self.emit(f"{name} = {expr}")
            return tuple(self.wrap(r, f"{name}[{i}]") for i, r in enumerate(result))
        if not isinstance(result, (np.ndarray, np.generic)):
            self.emit(f"_ = {expr}")
            return result
        name = self.new_name()
        array = np.asarray(result)
        self.emit(f"{name} = {expr}", (array, fresh == "ufunc") if fresh else None)
        return Traced(array, name, self, scalar=isinstance(result, np.generic))

    def wrap(self, value: Any, name: str) -> Any:
        """A Traced for an array known under `name`."""
        if isinstance(value, (np.ndarray, np.generic)):
            return Traced(np.asarray(value), name, self, scalar=isinstance(value, np.generic))
        return value


# NumPy functions whose result is always a new array (never a view of an argument).
_NEW_ARRAY_FUNCTIONS = {
    np.where,
    np.ones_like,
    np.zeros_like,
    np.full_like,
    np.concatenate,
    np.stack,
    np.copy,
    np.take_along_axis,
    np.bincount,
    np.clip,
    np.cumprod,
    np.cumsum,
}


def _makes_new_array(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The kind of array a call makes: "ufunc" (a plain ufunc call), "new" (another new array).

    The empty string means the result may share memory with an argument (a view).
    """
    if "out" in kwargs:
        return ""
    if isinstance(fn, np.ufunc):
        return "ufunc" if not kwargs else "new"
    if fn is np.dot and not kwargs and _two_float_matrices(args):
        return "ufunc"  # writes into a buffer with out= as a ufunc does (never over an input)
    if getattr(fn, "__self__", None).__class__ is np.ufunc:  # np.add.reduce and friends
        return "new"
    return "new" if fn in _NEW_ARRAY_FUNCTIONS else ""


def _two_float_matrices(args: tuple[Any, ...]) -> bool:
    """Whether `np.dot(*args)` multiplies two matrices of one float dtype.

    Then `np.dot(a, b, out=buffer)` with a C-contiguous buffer of the result's shape and dtype
    is allowed and calls the same BLAS product.
    """
    if len(args) != 2:
        return False
    values = [unwrap(a) for a in args]
    return (
        all(
            isinstance(v, np.ndarray) and v.ndim == 2 and v.dtype in (np.float64, np.float32)
            for v in values
        )
        and values[0].dtype == values[1].dtype
    )
