"""What `compile` does while a step runs for the first time: record it as lines of NumPy.

`StepTracer` is the tracer `compile` installs in `tracing.current` for that first run. The core
reports to it (see `tracing.Tracer`): the arrays an op reads, the calls to replay (an optimizer
step, a value check), gradients assigned or accumulated, plain updates written as lines, random
draws and `np.errstate` blocks. It writes each as a line through a `recorder.Recorder`, and after
the run gives every tensor it touched its real arrays back.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import tracing, written
from .engine import accumulate_leaf
from .recorder import Recorder
from .tensor import Tensor
from .traced import Traced, unwrap
from .traced_float import TracedFloat
from .tracing import TraceError

__all__ = ["StepTracer", "legacy_random_recorded"]


class StepTracer:
    """The tracer `compile` installs in `tracing.current` while a step runs for the first time."""

    def __init__(self, rec: Recorder, dynamic_floats: bool = True) -> None:
        self.rec = rec
        self.thread = threading.get_ident()
        self.externals: dict[int, tuple[Tensor, Traced]] = {}
        self.args: dict[int, str] = {}  # id(tensor argument) -> its name
        self.made: list[Tensor] = []
        self.made_ids: set[int] = set()
        self.step_made: dict[int, Tensor] = {}  # tensors the step's own code made
        self.grads_touched: list[Tensor] = []
        self.errstates: list[str] = []
        self.guards: list[str] = []  # checks at the top of the plan (beside the parameters')
        self.lrs: dict[tuple[int, int], str] = {}  # (id(optimizer), group) -> its lr variable
        self.lr_reads = 0
        self.owners: set[Any] = set()  # optimizers whose layout (and settings) the plan checks
        # Leaves whose .grad a line of the plan has set to None (and nothing has set since):
        # on every replay their gradient is None when the engine accumulates into it.
        self.cleared: set[int] = set()
        # Leaves whose .grad the step itself has set, cleared or accumulated into: whether it
        # is None when the step reads it is then the plan's doing, the same on every replay.
        self.grad_set: set[int] = set()
        self.modes: set[int] = set()  # modules whose training flag the plan checks
        # Python floats: runtime inputs (TracedFloat) with the NumPy backend, else constants.
        self.dynamic = dynamic_floats
        self.static_args: set[int] = set()  # float arguments the step read as Python values
        # Optimizer settings the step wrote ((id(group), key) -> the value or TracedFloat), and
        # whether a replayed call (a scheduler's step, say) may have changed them since the top.
        self.written: dict[tuple[int, str], Any] = {}
        self.opaque = False

    def active(self) -> bool:
        """Whether the calling thread is the one traced, outside any replayed call."""
        return self.rec.recording and threading.get_ident() == self.thread

    def name_of(self, t: Tensor) -> str | None:
        """The name of a tensor the generated code knows (an argument or an external)."""
        if id(t) in self.args:
            return self.args[id(t)]
        ext = self.externals.get(id(t))
        return None if ext is None else self.rec.const(t, "e")

    def data_of(self, t: Tensor) -> Any:
        """The traced array an op reads for `t` (a parameter becomes a named external)."""
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
        """Run `fn` now, unrecorded, and write a line that calls it again on every replay."""
        self.opaque = True  # it may change optimizer settings (a scheduler's step does)
        self.written.clear()
        self.lrs.clear()  # an update after it reads each lr again
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

    def unrecorded(self, fn: Callable[[], Any]) -> Any:
        """`fn()` run now and not written down (library code describing a call)."""
        self.rec.recording = False
        try:
            return fn()
        finally:
            self.rec.recording = True

    def specialize(self, x: TracedFloat, what: str) -> None:
        """The step reads a traced float into Python: the plan holds for this value only.

        A check at the top of the plan compares each input it comes from with its traced
        value (a changed one traces again, and a float argument read so is a constant of every
        later trace); a value the top of the plan cannot know is refused.
        """
        if x.tops is None:
            raise TraceError(
                f"compile: {what} reads an optimizer setting as a Python number after a call "
                "that may change it (a scheduler's step, say), so the compiled step could not "
                "follow it; use it in tensor operations, or read it outside the step"
            )
        for expr, value, arg in x.tops:
            self._check_at_top(expr, value)
            if arg is not None:
                self.static_args.add(arg)

    def group_read(self, group: Any, key: str, value: Any) -> Any:
        """The step reads `group[key]` of an optimizer: a runtime input, or a checked constant."""
        written = self.written.get((id(group), key), group)
        if written is not group:
            return written  # what the step wrote, which every replay writes too
        g = self.rec.const(group, "pg")
        top = None if self.opaque else f"{g}[{key!r}]"
        if self.dynamic and type(value) is float:
            name = self.rec.new_name()
            self.rec.emit(f"{name} = {g}[{key!r}]")
            return TracedFloat(value, name, self, None if top is None else ((top, value, None),))
        if top is None:
            raise TraceError(
                f"compile: the step reads the optimizer setting {key!r} after a call that may "
                "change it (a scheduler's step, say), so the compiled step could not follow it; "
                "read it outside the step"
            )
        self._check_at_top(top, value)
        return value

    def _check_at_top(self, expr: str, value: Any) -> None:
        """A check at the top of the plan that `expr` holds `value` (a float bit for bit)."""
        if type(value) is float:
            guard = f"if not _same({expr}, {value.hex()!r}): raise _Stale"
        else:
            guard = f"if {expr} != {self.rec.render(value)}: raise _Stale"
        if guard not in self.guards:
            self.guards.append(guard)

    def group_write(self, group: Any, changes: dict[str, Any]) -> None:
        """The step sets optimizer settings: set now (checked) and by a line on every replay."""
        checked = group._checked({k: unwrap(v) for k, v in changes.items()})
        dict.update(group, checked)
        self.lrs.clear()  # an update after this reads each lr again
        g = self.rec.const(group, "pg")
        items = ", ".join(f"{k!r}: {self.rec.render(v)}" for k, v in changes.items())
        self.rec.emit(f"{g}.update({{{items}}})")
        for k, v in changes.items():
            self.written[(id(group), k)] = v if isinstance(v, TracedFloat) else checked[k]

    def set_grad(self, t: Tensor, value: Tensor | None) -> None:
        """`t.grad = value` inside the step, written as an assignment line."""
        if t._ctx is not None:
            raise TraceError("compile: .grad can only be assigned to leaves inside a step")
        if isinstance(t.data, Traced) and id(t) not in self.args:
            raise TraceError(
                "compile: .grad can only be assigned to parameters and arguments inside a step, "
                "not to tensors the step creates"
            )
        self.data_of(t)  # makes `t` known to the generated code
        name = self.name_of(t)
        self.grad_set.add(id(t))
        if value is None:
            self.rec.emit(f"{name}._grad = None")
            self.cleared.add(id(t))
            return
        self.cleared.discard(id(t))
        data = self.data_of(value) if not isinstance(value.data, Traced) else value.data
        self.rec.emit(f"{name}._grad = _T({data.name})")
        self.grads_touched.append(t)

    def grad_read(self, t: Tensor) -> None:
        """`t.grad` read with a value from before the step: the plan checks it is None or not."""
        if t._ctx is not None or id(t) in self.grad_set or id(t) in self.step_made:
            return
        if isinstance(t.data, Traced) and id(t) not in self.args:
            return  # a tensor an op of the step made
        self.data_of(t)
        name = self.name_of(t)
        if name is not None:
            guard = f"if ({name}._grad is None) is not {t._grad is None}: raise _Stale"
            if guard not in self.guards:
                self.guards.append(guard)

    def accumulate(self, leaf: Tensor, g: Any, shared: bool) -> None:
        """The engine adds a gradient into `leaf.grad`: replayed by the same helper.

        Where the plan itself cleared the gradient and `g` is an array of the step's own that
        the leaf may keep as it is (what `accumulate_leaf` checks), the line is the assignment
        that helper would make.
        """
        self.data_of(leaf)
        name = self.name_of(leaf)
        self.grad_set.add(id(leaf))
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
        # a setting other than lr that the step wrote (weight_decay, momentum) may take another
        # value on the next call, which the plain form would not follow: replay the call
        wrote = {group for group, key in self.written if key != "lr"}
        groups = getattr(owner, "param_groups", ())
        if any(id(groups[u.group]) in wrote for u in updates if isinstance(u, tracing.PlainUpdate)):
            return False
        layout = getattr(owner, "_layout", None)
        if layout is not None and id(owner) not in self.owners:
            self.owners.add(id(owner))
            opt = self.rec.const(owner, "opt")
            self.guards.append(
                f"if {opt}._layout != {layout} or len({opt}.param_groups) != "
                f"{len(owner.param_groups)}: raise _Stale"
            )
        settings = getattr(owner, "_settings", None)
        if grads and settings is not None and ("settings", id(owner)) not in self.owners:
            self.owners.add(("settings", id(owner)))  # the update's settings are in the code
            opt = self.rec.const(owner, "opt")
            check = f"if {opt}._layout != {layout} or "
            at = next((i for i, g in enumerate(self.guards) if g.startswith(check)), None)
            if at is None:
                self.guards.append(f"if {opt}._settings != {settings}: raise _Stale")
            else:  # one line for both checks
                rest = self.guards[at][len(check) :]
                self.guards[at] = f"{check}{opt}._settings != {settings} or {rest}"
        next_grad = iter(traced)
        stepped: list[Tensor] = []
        for u in updates:
            if isinstance(u, tracing.ClearGrad):
                self.data_of(u.param)
                u.param._grad = None
                self.rec.emit(f"{self.name_of(u.param)}._grad = None")
                self.cleared.add(id(u.param))
                self.grad_set.add(id(u.param))
            else:
                self._plain_update(owner, u, next(next_grad))
                stepped.append(u.param)
        if stepped:  # one stamp for the step's parameters (see `written`), now and on replay
            self.rec.recording = False
            try:
                written.mark(*stepped)
            finally:
                self.rec.recording = True
            self.rec.emit(f"_mark({', '.join(str(self.name_of(p)) for p in stepped)})")
        return True

    def _plain_update(self, owner: Any, u: tracing.PlainUpdate, g: Traced) -> None:
        rec, p = self.rec, u.param
        self.data_of(p)
        name, work = self.name_of(p), rec.const(u.work, "w")
        key = (id(owner), u.group)
        if key not in self.lrs:
            self.lr_reads += 1
            self.lrs[key] = f"_lr{self.lr_reads}"
            opt = rec.const(owner, "opt")
            rec.emit(f"{self.lrs[key]} = _setting({opt}.param_groups[{u.group}], 'lr')")
        lr = dict.__getitem__(owner.param_groups[u.group], "lr")
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

    def mark_written(self, t: Tensor) -> None:
        """A tensor the plan knows was changed in place: stamp it on every replay too."""
        name = self.name_of(t)
        if name is not None:
            self.rec.emit(f"_mark({name})")
        elif isinstance(t.data, Traced):  # made by the step (a view written through)
            self.rec.emit(f"_stamp({t.data.name})")

    def read_mode(self, module: Any, mode: bool) -> None:
        """A module's `training` flag read: the plan checks it first, on every call."""
        if id(module) not in self.modes:
            self.modes.add(id(module))
            name = self.rec.const(module, "m")
            self.guards.append(f"if {name}._training is not {mode}: raise _OtherMode")

    def adopt(self, t: Tensor) -> None:
        """Remember a tensor an op made, to give it its real array after the trace."""
        self.made.append(t)
        self.made_ids.add(id(t))

    def created(self, t: Tensor) -> None:
        """A tensor the step's code made: its array is a constant of the plan."""
        self.step_made[id(t)] = t

    def origin(self, t: Tensor) -> str:
        """Where `t` comes from: "op", "step" or "outside" (see `tracing.Tracer.origin`)."""
        if id(t) in self.made_ids:
            return "op"
        return "step" if id(t) in self.step_made else "outside"

    def random_call(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Any) -> Any:
        """A random draw: made now and written as a line that draws afresh on every replay."""
        name = getattr(fn, "__name__", "")
        render = (
            f"np.random.{name}" if _LEGACY_RANDOM.get(name) is fn else self.rec.const(fn, "rng")
        )
        return self.rec.call(fn, render, args, kwargs)

    def replayed_call(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """`fn(*args)` run now and written as a line that calls it on every replay."""
        return self.rec.call(fn, self.rec.const(fn, "fn"), args, {})

    def errstate(self, kwargs: dict[str, str], enter: bool) -> None:
        """Enter (or leave) `np.errstate(**kwargs)` in the generated code as well."""
        if enter:
            self.errstates.append(f"_err{len(self.errstates)}")
            args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
            self.rec.emit(
                f"{self.errstates[-1]} = np.errstate({args}); {self.errstates[-1]}.__enter__()"
            )
        else:
            self.rec.emit(f"{self.errstates.pop()}.__exit__(None, None, None)")

    def data_assignments(self, args: list[tuple[Tensor, Traced]]) -> None:
        """Tensors the step gave a new `.data` (`w.data = w.data - lr * w.grad.data`).

        The plan ends by giving each the array its last assignment computed, as eager leaves
        it; an array no traced call made could not be made again, and is refused.
        """
        known: list[tuple[Tensor, Any]] = [
            (t, tr.value) for t, tr in self.externals.values() if id(t) not in self.args
        ]
        for t, before in [*known, *args]:
            new = t.data
            if new is before:
                continue
            if id(t) in self.step_made:
                raise TraceError(
                    f"compile: the step gives a new .data to a tensor of shape {np.shape(before)} "
                    "that it made itself: every replay would start from the last array instead "
                    "of the one the step makes; make a new tensor instead"
                )
            if not isinstance(new, Traced) or new.rec is not self.rec:
                raise TraceError(
                    f"compile: the step assigns a new array to the .data of a tensor of shape "
                    f"{np.shape(before)} that no traced operation computed, so a replay could not "
                    "assign it again; compute it from traced values (tensors, their .data and "
                    "gradients) or change the array in place"
                )
            self.rec.emit(f"{self.name_of(t)}.data = {new.name}")

    def materialize(self) -> None:
        """After the trace: every tensor it touched holds real arrays again."""
        self.rec.closed = True
        for t, _ in self.externals.values():
            if isinstance(t.data, Traced):
                t.data = t.data.value
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
def legacy_random_recorded() -> Iterator[None]:
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
