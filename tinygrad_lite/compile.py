"""Trace a training step once, then replay it as generated straight-line NumPy code.

`compile(step)` runs `step` eagerly the first time with every array it touches replaced by a
`Traced` stand-in (see `traced`), so that each NumPy call made by the ops' forwards, by the
engine's backward walk and by the step's own code is both computed and written down as a line
of Python. The result is one function of plain NumPy calls — no Tensor, no graph, no per-op
Python — which `CompiledStep.source` shows. Calls marked `tracing.traced_call` (an optimizer's
`step` and `zero_grad`, a module's `zero_grad`) and value checks (targets in [0, 1]) are called
again on every replay, except where the call describes itself as plain lines: `zero_grad()`
sets each gradient to None, and a plain update (SGD without momentum) of parameters whose
gradients the step computes is written as its NumPy lines, reading each group's lr on every
call.

The replay computes exactly what eager execution computes, bit for bit, or the step is
refused: reading a value into Python while tracing (`float(loss)`, `if loss > 1:`,
`.item()`, `np.asarray(t)`) raises `TraceError`. A plan is kept per input signature (shapes,
dtypes, `requires_grad`, Python ints and other constants, grad mode) and is checked on every
call against what it depends on (each parameter's `requires_grad`, shape and dtype, the
modules' structure and other attributes, the hooks on leaves, the optimizer's hyper-parameters
other than lr); a change traces again. A
module's `training` flag read by the step is checked too, and each mode (train, eval) keeps a
plan of its own. Under `detect_anomaly` the step runs eagerly.

A float argument is an input of the plan (a `traced_float.TracedFloat` while tracing): a new
value replays the same plan, unless the step reads it as a Python value (a branch on it,
`math.exp`, formatting), which ties the plan to that value and makes the argument part of the
key. Optimizer settings the step reads or writes (`opt.param_groups[0]["lr"]`, `opt.lr = ...`)
are read and written again on every replay, and a scheduler's `step()` is called again. The
fused backend keys floats by value and checks the settings it reads.

Plain values (numbers, strings, None, tuples of them) in the step function's closure and in
its module's globals are checked on every call (`step_reads`): a new value traces again.

What a trace cannot see: other Python side effects of the step (counters, appending to lists,
printing) happen only while tracing, Python values read from lists, dicts, other objects'
attributes or the globals of the functions the step calls are constants, and NumPy code on
the `.data` of tensors that no op of the step reads is not seen.
"""

from __future__ import annotations

import builtins
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from . import anomaly, autograd, step_reads, tracing, written
from .buffers import (
    ThreadBuffers,
    buffer_prologue,
    fold_outer_products,
    outer_multiply,
    plan_buffers,
)
from .recorder import Recorder
from .step_tracer import StepTracer, legacy_random_recorded
from .tensor import Tensor
from .traced import Traced, unwrap
from .traced_float import TracedFloat
from .tracing import TraceError

__all__ = ["compile", "CompiledStep", "TraceError"]

_trace_lock = threading.RLock()

# Plans kept per compiled step (least recently used dropped first), and the number of traces
# after which each new one warns that the step keeps being retraced.
MAX_PLANS = 16
RETRACE_WARNING = 8
# Ufunc outputs at least this large are written into buffers allocated once per thread: a fresh
# large array costs page faults on every call, a small one comes from NumPy's cache.
BUFFER_MIN_BYTES = 1 << 16


class _Stale(Exception):
    """A plan's assumptions no longer hold (a parameter changed): trace again."""


class _OtherMode(Exception):
    """The plan is for another train/eval mode of a module: try another plan, keep this one."""


# Plans kept per signature: one for each combination of modes seen (train, eval, ...).
MAX_VARIANTS = 4


def _state_version() -> int:
    return tracing.state_version


def _T(a: Any) -> Tensor:
    """A result array as a Tensor without a graph (the replay's view of an op's output)."""
    return _make(a if a.__class__ is np.ndarray else autograd.as_result(a), False, None)


_make = Tensor._make


class CompiledStep:
    """A step function traced once per input signature and replayed as generated code.

    Attributes:
        source: the generated Python source of the most recent trace.
        traces: how many times the step has been traced.
    """

    def __init__(self, fn: Callable[..., Any], backend: str = "numpy") -> None:
        self.fn = fn
        self.backend = backend
        self._plans: OrderedDict[tuple[Any, ...], list[Callable[..., Any]]] = OrderedDict()
        # Positions of float arguments the step reads as Python values: keyed by value.
        self._read_floats: set[int] = set()
        self.source = ""
        self.traces = 0

    def __call__(self, *args: Any) -> Any:
        """Run the step: trace it on a new signature, else replay the generated code."""
        tracer = tracing.current
        if anomaly.state.enabled or (tracer is not None and tracer.active()):
            return self.fn(*args)  # checks every op (anomaly), or is part of an outer trace
        k, inputs = self._key(args)
        runs = self._plans.get(k)
        if runs:
            self._plans.move_to_end(k)
            first = runs[0]
            try:  # the usual case: the signature's first plan still holds
                return first(*inputs)
            except _OtherMode:
                pass
            except _Stale:
                runs.remove(first)
            for run in list(runs):  # (a plan's checks come before anything it does)
                if run is first:
                    continue
                try:
                    out = run(*inputs)
                except _OtherMode:
                    continue
                except _Stale:
                    runs.remove(run)
                    continue
                runs.remove(run)  # the mode changed: this plan first from now on
                runs.insert(0, run)
                return out
        return self._trace(k, args)

    def _key(self, args: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[Any]]:
        """The plan's key for these arguments, and the inputs a plan is called with.

        The inputs are the tensor arguments, then the float arguments that are runtime inputs.
        """
        tensors: list[Any] = []
        floats: list[float] = []
        key: list[Any] = [autograd.is_grad_enabled()]
        for i, a in enumerate(args):
            if a.__class__ is not Tensor and isinstance(a, np.ndarray):
                a = Tensor(a)
            if a.__class__ is Tensor or isinstance(a, Tensor):
                tensors.append(a)
                data = a.data
                key.append((data.shape, data.dtype, a._requires_grad))
                continue
            if type(a) is float:
                if self.backend == "numpy" and i not in self._read_floats:
                    floats.append(a)
                    key.append(float)
                    continue
            try:
                hash(a)
            except TypeError as e:
                raise TraceError(
                    f"compile: argument of type {type(a).__name__} is neither an array nor "
                    "hashable; pass tensors/arrays and plain constants only"
                ) from e
            key.append(("const", _exact(a)))
        return tuple(key), tensors + floats if floats else tensors

    def _trace(self, key: tuple[Any, ...], args: tuple[Any, ...]) -> Any:
        rec = Recorder()
        tracer = StepTracer(rec, dynamic_floats=self.backend == "numpy")
        call_args: list[Any] = []
        tensors: list[Tensor] = []
        floats: list[str] = []
        float_args: list[int] = []
        saved: list[tuple[Tensor, Any, Traced]] = []  # (argument, its array, its stand-in)
        for i, a in enumerate(args):
            if key[i + 1] is float:  # a runtime input: the step sees a TracedFloat
                name = f"s{len(floats)}"
                floats.append(name)
                float_args.append(i)
                call_args.append(TracedFloat(a, name, tracer, ((name, a, i),)))
            elif isinstance(a, (Tensor, np.ndarray)):
                t = a if isinstance(a, Tensor) else Tensor(a)
                name = f"x{len(tensors)}"
                tracer.args[id(t)] = name
                stand_in = Traced(t.data, f"{name}.data", rec)
                saved.append((t, t.data, stand_in))
                t.data = stand_in  # type: ignore[assignment]
                tensors.append(t)
                call_args.append(t)
            else:
                call_args.append(a)
        version = _state_version()
        reads = step_reads.entry_values(self.fn)  # as the step finds them, before it runs
        with _trace_lock, legacy_random_recorded():
            prev = tracing.current
            tracing.current = tracer
            try:
                out = self.fn(*call_args)
                ret = self._render_result(tracer, out)
                tracer.data_assignments([(t, stand_in) for t, _, stand_in in saved])
            finally:
                tracing.current = prev
                for t, data, stand_in in saved:
                    new: Any = t.data
                    # an argument keeps a new array the step gave it, as in eager
                    t.data = new.value if isinstance(new, Traced) and new is not stand_in else data
                tracer.materialize()
        tracer.guards.extend(step_reads.guards(reads, rec.const, _exact))
        try:
            names = [f"x{i}" for i in range(len(tensors))] + floats
            run, source = self._build(tracer, names, ret, version, self.backend)
        finally:
            rec.release()
            tracer.externals.clear()
        if tracer.static_args:  # floats the step read as Python values: constants from now on
            self._read_floats |= tracer.static_args
            key = self._key(args)[0]
            run = _with_constants(
                run,
                len(tensors),
                [(args[i],) if i in self._read_floats else None for i in float_args],
            )
        runs = self._plans.get(key)
        if runs is None:
            if len(self._plans) >= MAX_PLANS:
                self._plans.popitem(last=False)
            runs = self._plans[key] = []
        if len(runs) >= MAX_VARIANTS:
            del runs[0]
        runs.insert(0, run)  # the newest mode first: a loop tends to stay in it
        self.source = source
        self.traces += 1
        if self.traces == RETRACE_WARNING:
            warnings.warn(
                f"compile: {getattr(self.fn, '__name__', 'the step')} has been traced "
                f"{self.traces} times; something it depends on keeps changing. A Python "
                "number argument that changes on every call makes a new trace each time if it "
                "is an int (an epoch) or a float the step reads as a Python value (an `if` on "
                "it, math.exp, printing): pass it as a 0-d array or Tensor instead, or use it "
                "only in arithmetic and tensor operations, so that it is an input of the "
                "compiled step. Setting a module's attributes, a number the step reads from "
                "a global or closure variable, or registering hooks on parameters between "
                "calls also traces again",
                RuntimeWarning,
                stacklevel=3,
            )
        return _materialized(out)

    @staticmethod
    def _render_result(tracer: StepTracer, out: Any) -> str:
        rec = tracer.rec

        def render(o: Any) -> str:
            if isinstance(o, Tensor):
                if isinstance(o.data, Traced):
                    return f"_T({o.data.name})"
                return rec.const(o, "r")
            if isinstance(o, Traced):
                return o.name
            if isinstance(o, tuple) and hasattr(o, "_fields"):
                return f"{rec.const(type(o), 'nt')}(" + ", ".join(render(i) for i in o) + ")"
            if isinstance(o, (tuple, list)):
                inner = ", ".join(render(i) for i in o)
                return f"({inner},)" if isinstance(o, tuple) else f"[{inner}]"
            if isinstance(o, dict):
                return "{" + ", ".join(f"{render(k)}: {render(v)}" for k, v in o.items()) + "}"
            return rec.render(o)

        return render(out)

    @staticmethod
    def _build(
        tracer: StepTracer, names: list[str], ret: str, version: int, backend: str = "numpy"
    ) -> tuple[Callable[..., Any], str]:
        rec = tracer.rec
        guards = [f"if _version() != {version}: raise _Stale", *tracer.guards]
        for t, _ in tracer.externals.values():
            if id(t) in tracer.args:
                continue
            e = rec.const(t, "e")
            d = rec.const(t.data.dtype, "dt")
            guards.append(
                f"if {e}._requires_grad is not {t._requires_grad} or {e}.data.shape != "
                f"{t.data.shape!r} or {e}.data.dtype != {d}: raise _Stale"
            )
        params = ", ".join(names)
        kernels: dict[str, Any] = {}
        if backend == "fused":
            from .fused import generate

            lines, specs, kernels = generate(rec, ret, BUFFER_MIN_BYTES)
        else:
            lines, fresh = fold_outer_products(rec.lines, rec.fresh, rec.ops, rec.arrays, ret)
            lines, specs = plan_buffers(lines, fresh, ret, BUFFER_MIN_BYTES)
        buffers = ThreadBuffers(specs)
        body = guards + buffer_prologue(len(specs), "_buffers") + lines + [f"return {ret}"]
        source = f"def step({params}):\n" + "\n".join("    " + line for line in body) + "\n"
        namespace: dict[str, Any] = dict(rec.consts)
        namespace.update(kernels)
        namespace.update(
            np=np,
            _T=_T,
            _Stale=_Stale,
            _OtherMode=_OtherMode,
            _version=_state_version,
            _buffers=buffers.get,
            _outer_mul=outer_multiply,
            _mark=written.mark,
            _stamp=written.stamp,
            _same=_same_float,
            _exact=_exact,
            _setting=dict.__getitem__,  # a group's setting, read as ParamGroup does untraced
        )
        exec(compile_source(source), namespace)  # noqa: S102 - our own generated code
        return namespace["step"], source


def _with_constants(
    run: Callable[..., Any], n_tensors: int, slots: list[tuple[float] | None]
) -> Callable[..., Any]:
    """A plan traced with runtime floats, called where some of them are now fixed by the key.

    `slots` gives, for each float the plan takes, its value (1-tuple) or None for an input.
    """

    def call(*inputs: Any) -> Any:
        rest = iter(inputs[n_tensors:])
        return run(*inputs[:n_tensors], *[next(rest) if s is None else s[0] for s in slots])

    return call


def _exact(a: Any) -> Any:
    """A key for a constant argument that tells apart what `==` does not.

    Its type, the sign of a zero and each NaN count (also for the floats inside a tuple).
    """
    if isinstance(a, tuple):
        return (type(a), tuple(_exact(x) for x in a))
    if isinstance(a, float):
        return (type(a), a.hex())
    if isinstance(a, np.floating):
        return (type(a), a.tobytes())
    return (type(a), a)


def _same_float(x: Any, hex_value: str) -> bool:
    """Whether `x` is the float whose `float.hex()` is `hex_value` (-0.0 and 0.0 differ)."""
    return type(x) is float and x.hex() == hex_value


def _materialized(out: Any) -> Any:
    """What the traced call returns: tensors without a graph holding real arrays."""
    if isinstance(out, TracedFloat):
        return out.value
    if isinstance(out, Tensor):
        return _T(unwrap(out.data)) if out._ctx is not None or out.requires_grad is False else out
    if isinstance(out, Traced):
        return out.result()
    if isinstance(out, tuple) and hasattr(out, "_fields"):
        return type(out)(*[_materialized(o) for o in out])
    if isinstance(out, (tuple, list)):
        return type(out)(_materialized(o) for o in out)
    if isinstance(out, dict):
        return {k: _materialized(v) for k, v in out.items()}
    return out


def compile_source(source: str) -> Any:
    """Compile generated step source to a code object (named for tracebacks)."""
    # This module's own `compile` shadows the builtin.
    return builtins.compile(source, "<tinygrad_lite.compile>", "exec")


BACKENDS = ("numpy", "fused")


def compile(fn: Callable[..., Any], backend: str = "numpy") -> CompiledStep:
    """Trace `fn` (forward, backward and optimizer step) once per input signature; replay it.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import Tensor, compile
        >>> w = Tensor(np.ones((1, 2)), requires_grad=True)
        >>> def step(x):
        ...     w.grad = None
        ...     loss = (w @ x).tanh().sum()
        ...     loss.backward()
        ...     return loss
        >>> fast = compile(step)
        >>> first = fast(np.ones((2, 3)))  # traced (runs eagerly)
        >>> again = fast(np.ones((2, 3)))  # replayed
        >>> bool(np.array_equal(first.data, again.data))
        True

    Args:
        fn: the step; tensors, arrays and floats among its arguments are the inputs that
            change from call to call. Other arguments must be hashable: a new value traces
            again (as does a new float that the step reads as a Python value).
        backend: "numpy" (the default) replays the traced NumPy calls, bit for bit as eager
            execution; "fused" compiles each chain of elementwise calls into one numba loop
            (see `tinygrad_lite.fused`; needs the `fast` extra), equal to the NumPy backend to
            about 1e-15 relative.

    Returns:
        A callable `CompiledStep` returning what `fn` returns (tensors without a graph).

    Raises:
        ValueError: an unknown backend.
        ImportError: backend="fused" without numba installed (the message says how to
            install it).
    """
    if backend not in BACKENDS:
        raise ValueError(f"compile: backend must be one of {list(BACKENDS)}, got {backend!r}")
    if backend == "fused":
        from .fused import require

        require()
    return CompiledStep(fn, backend)
