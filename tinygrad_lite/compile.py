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
dtypes, `requires_grad`, Python scalars, grad mode) and is checked on every call against what it
depends on (each parameter's `requires_grad`, shape and dtype, the modules' structure); a change
traces again. Under `detect_anomaly` the step runs eagerly.

What a trace cannot see: Python side effects of the step (counters, appending to lists, printing)
happen only while tracing, and NumPy code on the `.data` of tensors that no op of the step reads.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import anomaly, autograd, tracing
from .buffers import ThreadBuffers, buffer_prologue, plan_buffers
from .tensor import Tensor
from .traced import Recorder, Traced, unwrap
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


def _structure_version() -> int:
    return tracing.structure_version


def _T(a: Any) -> Tensor:
    """A result array as a Tensor without a graph (the replay's view of an op's output)."""
    return Tensor._make(autograd.as_result(a), False, None)


class _Tracer:
    """The tracer `compile` installs in `tracing.current` while a step runs for the first time."""

    def __init__(self, rec: Recorder) -> None:
        self.rec = rec
        self.thread = threading.get_ident()
        self.externals: dict[int, tuple[Tensor, Traced]] = {}
        self.args: dict[int, str] = {}  # id(tensor argument) -> its name
        self.made: list[Tensor] = []
        self.grads_touched: list[Tensor] = []
        self.errstates: list[str] = []
        self.guards: list[str] = []  # checks at the top of the plan (beside the parameters')
        self.lrs: dict[tuple[int, int], str] = {}  # (id(optimizer), group) -> its lr variable
        self.owners: set[int] = set()  # optimizers whose layout the plan checks
        # Leaves whose .grad a line of the plan has set to None (and nothing has set since):
        # on every replay their gradient is None when the engine accumulates into it.
        self.cleared: set[int] = set()

    def active(self) -> bool:
        return self.rec.recording and threading.get_ident() == self.thread

    def name_of(self, t: Tensor) -> str | None:
        """The name of a tensor the generated code knows (an argument or an external)."""
        if id(t) in self.args:
            return self.args[id(t)]
        ext = self.externals.get(id(t))
        return None if ext is None else self.rec.const(t, "e")

    def data_of(self, t: Tensor) -> Any:
        d = t.data
        if isinstance(d, Traced):
            return d
        ext = self.externals.get(id(t))
        if ext is not None and ext[1].value is d:
            return ext[1]
        expr = f"{self.rec.const(t, 'e')}.data"
        tr = Traced(d, expr, self.rec)
        self.rec.names[id(d)] = expr
        self.externals[id(t)] = (t, tr)
        return tr

    def record_call(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Any) -> Any:
        self.rec.recording = False
        try:
            result = fn(*args, **kwargs)
        finally:
            self.rec.recording = True
        parts = [self.rec.render(a) for a in args]
        parts += [f"{k}={self.rec.render(v)}" for k, v in kwargs.items()]
        label = getattr(getattr(fn, "func", fn), "__qualname__", "")
        self.rec.emit(f"{self.rec.const(fn, 'call')}({', '.join(parts)})  # {label}")
        return result

    def set_grad(self, t: Tensor, value: Tensor | None) -> None:
        if t._ctx is not None:
            raise TraceError("compile: .grad can only be assigned to leaves inside a step")
        if isinstance(t.data, Traced) and id(t) not in self.args:
            raise TraceError(
                "compile: .grad can only be assigned to parameters and arguments inside a step, "
                "not to tensors the step creates"
            )
        self.data_of(t)  # makes `t` known to the generated code
        name = self.name_of(t)
        if value is None:
            self.rec.emit(f"{name}._grad = None")
            self.cleared.add(id(t))
            return
        self.cleared.discard(id(t))
        data = self.data_of(value) if not isinstance(value.data, Traced) else value.data
        self.rec.emit(f"{name}._grad = _T({data.name})")
        self.grads_touched.append(t)

    def accumulate(self, leaf: Tensor, g: Any, shared: bool) -> None:
        """The engine adds a gradient into `leaf.grad`: replayed by the same helper.

        Where the plan itself cleared the gradient and `g` is an array of the step's own that
        the leaf may keep as it is (what `accumulate_leaf` checks), the line is the assignment
        that helper would make.
        """
        self.data_of(leaf)
        name = self.name_of(leaf)
        cleared = id(leaf) in self.cleared
        self.cleared.discard(id(leaf))
        value = g.value if isinstance(g, Traced) else None
        if (
            cleared
            and not shared
            and isinstance(value, np.ndarray)
            and value.dtype == leaf.data.dtype
            and value.base is None
            and value.flags.writeable
        ):
            leaf._grad = Tensor._make(g, False, None)
            self.rec.emit(f"{name}._grad = _T({g.name})")
            self.grads_touched.append(leaf)
            return
        from .engine import accumulate_leaf

        acc = self.rec.const(accumulate_leaf, "_acc")
        current = leaf._grad
        if current is not None and isinstance(current.data, Traced):
            # A gradient the step made earlier: the helper adds to its value now (the `_acc`
            # line adds to it on every replay), and records nothing of its own.
            leaf._grad = Tensor._make(current.data.value, False, None)
        self.rec.recording = False
        try:
            result = accumulate_leaf(leaf, unwrap(g), shared)
        finally:
            self.rec.recording = True
        out = self.rec.bind(f"{acc}({name}, {self.rec.render(g)}, {shared})", result)
        leaf._grad = Tensor._make(out, False, None)
        self.grads_touched.append(leaf)

    def inline_updates(
        self, owner: Any, updates: list[tracing.PlainUpdate | tracing.ClearGrad]
    ) -> bool:
        """A call described as cleared gradients and plain updates, done now and written down.

        Plain updates only when every parameter's gradient is made by this step (its value in
        the plan is then known at each replay); otherwise the call is replayed. The lines do
        what `SGD.step` and `zero_grad` do, in the same order into the same scratch arrays, so
        the values are the same bit for bit; each group's lr is read on every call. An owner
        with a `_layout` counter (an optimizer) is checked against it on every call.
        """
        grads: list[Any] = [
            u.param._grad.data if u.param._grad is not None else None
            for u in updates
            if isinstance(u, tracing.PlainUpdate)
        ]
        traced: list[Traced] = [g for g in grads if isinstance(g, Traced)]
        if len(traced) != len(grads):
            return False
        layout = getattr(owner, "_layout", None)
        if layout is not None and id(owner) not in self.owners:
            self.owners.add(id(owner))
            opt = self.rec.const(owner, "opt")
            self.guards.append(
                f"if {opt}._layout != {layout} or len({opt}.param_groups) != "
                f"{len(owner.param_groups)}: raise _Stale"
            )
        next_grad = iter(traced)
        for u in updates:
            if isinstance(u, tracing.ClearGrad):
                self.data_of(u.param)
                u.param._grad = None
                self.rec.emit(f"{self.name_of(u.param)}._grad = None")
                self.cleared.add(id(u.param))
            else:
                self._plain_update(owner, u, next(next_grad))
        return True

    def _plain_update(self, owner: Any, u: tracing.PlainUpdate, g: Traced) -> None:
        rec, p = self.rec, u.param
        self.data_of(p)
        name, work = self.name_of(p), rec.const(u.work, "w")
        key = (id(owner), u.group)
        if key not in self.lrs:
            self.lrs[key] = f"_lr{len(self.lrs)}"
            opt = rec.const(owner, "opt")
            rec.emit(f"{self.lrs[key]} = {opt}.param_groups[{u.group}]['lr']")
        lr = owner.param_groups[u.group]["lr"]
        data, grad, src = p.data, g.value, g.name
        if u.weight_decay != 0:
            wd = rec.render(u.weight_decay)
            np.multiply(data, u.weight_decay, out=u.work)
            rec.emit(f"np.multiply({name}.data, {wd}, out={work})")
            np.add(grad, u.work, out=u.work)
            rec.emit(f"np.add({src}, {work}, out={work})")
            grad, src = u.work, work
        np.multiply(grad, lr, out=u.work)
        rec.emit(f"np.multiply({src}, {self.lrs[key]}, out={work})")
        np.subtract(data, u.work, out=data)
        rec.emit(f"np.subtract({name}.data, {work}, out={name}.data)")
        p._version = autograd.next_version()
        rec.emit(f"{name}._version = _next_version()")

    def adopt(self, t: Tensor) -> None:
        self.made.append(t)

    def random_call(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Any) -> Any:
        name = getattr(fn, "__name__", "")
        render = (
            f"np.random.{name}" if _LEGACY_RANDOM.get(name) is fn else self.rec.const(fn, "rng")
        )
        return self.rec.call(fn, render, args, kwargs)

    def errstate(self, kwargs: dict[str, str], enter: bool) -> None:
        if enter:
            self.errstates.append(f"_err{len(self.errstates)}")
            args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
            self.rec.emit(
                f"{self.errstates[-1]} = np.errstate({args}); {self.errstates[-1]}.__enter__()"
            )
        else:
            self.rec.emit(f"{self.errstates.pop()}.__exit__(None, None, None)")

    def materialize(self) -> None:
        """After the trace: every tensor it touched holds real arrays again."""
        self.rec.closed = True
        for t in self.made:
            if isinstance(t.data, Traced):
                t.data = t.data.value
        for t in self.grads_touched:
            g = t._grad
            if g is not None and isinstance(g.data, Traced):
                t._grad = Tensor._make(g.data.value, False, None)


# NumPy's legacy global-state draws (np.random.rand, ...), as the course writes dropout: while a
# step is traced they are recorded and replayed as fresh draws from the same global state.
_LEGACY_RANDOM: dict[str, Callable[..., Any]] = {
    name: getattr(np.random, name)
    for name in (
        "rand",
        "randn",
        "random",
        "random_sample",
        "ranf",
        "sample",
        "uniform",
        "normal",
        "standard_normal",
        "binomial",
        "randint",
        "permutation",
        "choice",
        "shuffle",
        "seed",
        "exponential",
        "poisson",
        "beta",
        "gamma",
        "bytes",
    )
    if hasattr(np.random, name)
}


@contextlib.contextmanager
def _legacy_random_recorded() -> Iterator[None]:
    """np.random's functions, while tracing: recorded by the tracing thread, as is elsewhere."""

    def wrap(real: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(real)
        def draw(*args: Any, **kwargs: Any) -> Any:
            return tracing.random_call(real, *args, **kwargs)

        return draw

    for name, real in _LEGACY_RANDOM.items():
        setattr(np.random, name, wrap(real))
    try:
        yield
    finally:
        for name, real in _LEGACY_RANDOM.items():
            setattr(np.random, name, real)


class CompiledStep:
    """A step function traced once per input signature and replayed as generated code.

    Attributes:
        source: the generated Python source of the most recent trace.
        traces: how many times the step has been traced.
    """

    def __init__(self, fn: Callable[..., Any], backend: str = "numpy") -> None:
        self.fn = fn
        self.backend = backend
        self._plans: OrderedDict[tuple[Any, ...], Callable[..., Any]] = OrderedDict()
        self.source = ""
        self.traces = 0

    def __call__(self, *args: Any) -> Any:
        """Run the step: trace it on a new signature, else replay the generated code."""
        tracer = tracing.current
        if anomaly.state.enabled or (tracer is not None and tracer.active()):
            return self.fn(*args)  # checks every op (anomaly), or is part of an outer trace
        tensors: list[Tensor] = []
        key: list[Any] = [autograd.is_grad_enabled()]
        for a in args:
            if isinstance(a, np.ndarray):
                a = Tensor(a)
            if isinstance(a, Tensor):
                tensors.append(a)
                key.append((a.data.shape, a.data.dtype, a.requires_grad))
            else:
                try:
                    hash(a)
                except TypeError as e:
                    raise TraceError(
                        f"compile: argument of type {type(a).__name__} is neither an array nor "
                        "hashable; pass tensors/arrays and plain constants only"
                    ) from e
                key.append(("const", type(a), a))
        k = tuple(key)
        run = self._plans.get(k)
        if run is not None:
            self._plans.move_to_end(k)
            try:
                return run(*tensors)
            except _Stale:
                del self._plans[k]
        return self._trace(k, args)

    def _trace(self, key: tuple[Any, ...], args: tuple[Any, ...]) -> Any:
        rec = Recorder()
        tracer = _Tracer(rec)
        call_args: list[Any] = []
        tensors: list[Tensor] = []
        saved: list[tuple[Tensor, Any]] = []
        for a in args:
            if isinstance(a, (Tensor, np.ndarray)):
                t = a if isinstance(a, Tensor) else Tensor(a)
                name = f"x{len(tensors)}"
                tracer.args[id(t)] = name
                saved.append((t, t.data))
                t.data = Traced(t.data, f"{name}.data", rec)  # type: ignore[assignment]
                tensors.append(t)
                call_args.append(t)
            else:
                call_args.append(a)
        version = _structure_version()
        with _trace_lock, _legacy_random_recorded():
            prev = tracing.current
            tracing.current = tracer
            try:
                out = self.fn(*call_args)
                ret = self._render_result(tracer, out)
            finally:
                tracing.current = prev
                for t, data in saved:
                    t.data = data
                tracer.materialize()
        try:
            run, source = self._build(tracer, len(tensors), ret, version, self.backend)
        finally:
            rec.release()
            tracer.externals.clear()
        if len(self._plans) >= MAX_PLANS:
            self._plans.popitem(last=False)
        self._plans[key] = run
        self.source = source
        self.traces += 1
        if self.traces == RETRACE_WARNING:
            warnings.warn(
                f"compile: {getattr(self.fn, '__name__', 'the step')} has been traced "
                f"{self.traces} times; a Python number argument that changes on every call "
                "(a learning rate, an epoch) makes a new trace each time: pass it as a 0-d "
                "array or Tensor instead, so that it is an input of the compiled step",
                RuntimeWarning,
                stacklevel=3,
            )
        return _materialized(out)

    @staticmethod
    def _render_result(tracer: _Tracer, out: Any) -> str:
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
        tracer: _Tracer, n_args: int, ret: str, version: int, backend: str = "numpy"
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
        params = ", ".join(f"x{i}" for i in range(n_args))
        kernels: dict[str, Any] = {}
        if backend == "fused":
            from .fused import generate

            lines, specs, kernels = generate(rec, ret, BUFFER_MIN_BYTES)
        else:
            lines, specs = plan_buffers(rec.lines, rec.fresh, ret, BUFFER_MIN_BYTES)
        buffers = ThreadBuffers(specs)
        body = guards + buffer_prologue(len(specs), "_buffers") + lines + [f"return {ret}"]
        source = f"def step({params}):\n" + "\n".join("    " + line for line in body) + "\n"
        namespace: dict[str, Any] = dict(rec.consts)
        namespace.update(kernels)
        namespace.update(
            np=np,
            _T=_T,
            _Stale=_Stale,
            _version=_structure_version,
            _buffers=buffers.get,
            _next_version=autograd.next_version,
        )
        exec(compile_source(source), namespace)  # noqa: S102 - our own generated code
        return namespace["step"], source


def _materialized(out: Any) -> Any:
    """What the traced call returns: tensors without a graph holding real arrays."""
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
        fn: the step; tensors or arrays among its arguments are the inputs that change from
            call to call. Other arguments must be hashable: a new value traces again.
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
