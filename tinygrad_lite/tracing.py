"""The seam through which `compile` watches eager execution: the current tracer and its hooks.

The core calls these functions at the few places where a trace needs to know what happens:
an op reads its inputs' arrays (`data_of`), a value leaves the array world (`refuse_value_read`),
a method with side effects runs (`traced_call`), a value check must run on every call
(`value_check`), a small function of arrays is to be called again as a whole (`replayed`).
When nothing is being traced each is one test of `current`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar, overload

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "TraceError",
    "Tracer",
    "current",
    "traced_call",
    "PlainUpdate",
    "ClearGrad",
    "refuse_value_read",
    "value_check",
    "on_set_grad",
    "on_get_grad",
    "structure_changed",
    "errstate",
    "random_call",
    "replayed",
    "is_traced",
    "structure_version",
    "state_version",
    "state_changed",
    "module_attribute_set",
]

_F = TypeVar("_F", bound=Callable[..., Any])


class TraceError(RuntimeError):
    """A compiled step does something that cannot be replayed faithfully."""


class Tracer(Protocol):
    """What the core asks of a tracer (implemented by `compile`)."""

    def active(self) -> bool:
        """Whether the calling thread is the one being traced (and not inside a replayed call)."""

    def data_of(self, t: Tensor) -> Any:
        """The array-like an op should compute with for tensor `t`."""

    def record_call(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Any) -> Any:
        """Run `fn(*args, **kwargs)` now and again, the same way, on every replay."""

    def set_grad(self, t: Tensor, value: Tensor | None) -> None:
        """`t.grad = value` inside the step."""

    def grad_read(self, t: Tensor) -> None:
        """The step reads `t.grad` (whether it is None may decide the step's Python path)."""

    def accumulate(self, leaf: Tensor, g: Any, shared: bool) -> None:
        """The engine adds gradient `g` into `leaf.grad`."""

    def adopt(self, t: Tensor) -> None:
        """`t` was made by an op while tracing."""

    def errstate(self, kwargs: dict[str, str], enter: bool) -> None:
        """Op code enters (or leaves) `np.errstate(**kwargs)`."""

    def random_call(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Any) -> Any:
        """A draw of random numbers: made now, and made afresh on every replay."""

    def replayed_call(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """`fn(*args)` on arrays: run now, and called again on every replay (see `replayed`)."""

    def inline_updates(self, owner: Any, updates: list[PlainUpdate | ClearGrad]) -> bool:
        """Apply `updates` now and write them into the step; False: replay the call instead."""

    def read_mode(self, module: Any, mode: bool) -> None:
        """The step reads a module's `training` flag (the plan holds for that mode only)."""

    def unrecorded(self, fn: Callable[[], Any]) -> Any:
        """Call `fn()` now without writing anything down (library code describing a call)."""

    def group_read(self, group: Any, key: str, value: Any) -> Any:
        """The step reads an optimizer setting `group[key]`: what the step should see."""

    def group_write(self, group: Any, changes: dict[str, Any]) -> None:
        """The step sets optimizer settings: set them now and on every replay."""

    def mark_written(self, t: Tensor) -> None:
        """`t`'s array was written in place: the replay stamps it too (`written.mark`)."""

    def created(self, t: Tensor) -> None:
        """The step's own code made tensor `t` (`Tensor(...)`) while tracing."""

    def origin(self, t: Tensor) -> str:
        """Where `t` comes from: "op", "step" (its own code: a constant) or "outside".

        "op": an op of this trace made it; "step": the step's code made it with `Tensor(...)`,
        so its array is a constant of the plan; "outside": an argument, a parameter, ...
        """


class PlainUpdate(NamedTuple):
    """One parameter's plain gradient step, p ← p − lr·(g + weight_decay·p), as SGD does it.

    `lr` is read from `owner.param_groups[group]["lr"]` when the step runs (a scheduler may
    change it between calls); `work` is the scratch array the eager update writes into, so
    that both compute the same values the same way.
    """

    group: int
    param: Tensor
    weight_decay: float
    work: np.ndarray


class ClearGrad(NamedTuple):
    """`param.grad = None`, as `zero_grad()` does for each parameter."""

    param: Tensor


# The active tracer, or None: one check per op when nothing is traced.
current: Tracer | None = None

# Above 0 while an op's forward or backward runs inside a trace (see `run_op`): an op is pure,
# so its calls may write only into arrays the trace made.
op_depth = 0


def run_op(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)`, an op's forward or backward called inside a trace."""
    global op_depth
    op_depth += 1
    try:
        return fn(*args, **kwargs)
    finally:
        op_depth -= 1


# Bumped whenever any Module registers or unregisters a Parameter or sub-Module (a module's
# cached parameter list is valid while it is unchanged).
structure_version = 0
# Bumped with it, and whenever a module's other attributes change (a dropout rate, a slope) or
# a hook is registered on (or removed from) a leaf outside a trace: a compiled step checks it on
# every call, so a replay never uses a value or a hook list its trace did not see.
state_version = 0


def structure_changed() -> None:
    """Record that some module's parameters or sub-modules changed."""
    global structure_version, state_version
    structure_version += 1
    state_version += 1


def module_attribute_set(module: Any, name: str, value: Any) -> None:
    """Record that a module's attribute (a rate, a flag, a tensor) is set to `value`.

    Outside a trace a compiled step may have read the old value: bump `state_version`. Inside
    one, the plan being built would neither set nor read the attribute again, so a new value
    makes that plan stale at once (its version check fails on the next call, which traces
    again, as eager would run it); setting the value it holds changes nothing.
    """
    global state_version
    if current is None or not current.active():
        state_version += 1
        return
    old = module.__dict__.get(name, _MISSING)
    if old is value or (
        type(old) is type(value) and isinstance(value, (bool, int, float, str)) and old == value
    ):
        return
    state_version += 1


_MISSING = object()


def state_changed() -> None:
    """Record that a value a traced step may have read changed (outside any trace)."""
    global state_version
    if current is None or not current.active():
        state_version += 1


@overload
def traced_call(method: _F, *, inline: str | None = None) -> _F: ...


@overload
def traced_call(method: None = None, *, inline: str | None = None) -> Callable[[_F], _F]: ...


def traced_call(method: Any = None, *, inline: str | None = None) -> Any:
    """Mark a method with side effects (an optimizer step, zero_grad) so `compile` replays it.

    Outside tracing the method runs as usual, at the cost of one check. With `inline`, the
    name of a method of the same object that describes the call as plain updates and cleared
    gradients (`PlainUpdate`, `ClearGrad`; None when it cannot), a tracer may write those into
    the compiled code instead of calling the method again on every replay (see
    `Tracer.inline_updates`). The method is then called without arguments.
    """
    if method is None:
        return functools.partial(traced_call, inline=inline)

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        tracer = current
        if tracer is None or not tracer.active():
            return method(*args, **kwargs)
        if inline is not None and not kwargs and len(args) == 1:
            updates = tracer.unrecorded(getattr(args[0], inline))
            if updates is not None and tracer.inline_updates(args[0], updates):
                return None
        return tracer.record_call(method, args, kwargs)

    return wrapper


def is_traced(x: Any) -> bool:
    """Whether `x` is compile's stand-in for an array (see `tinygrad_lite.traced`)."""
    return getattr(type(x), "is_traced_array", False) is True


def refuse_value_read(what: str) -> None:
    """Reading tensor values while tracing would freeze them: raise TraceError."""
    if current is not None and current.active():
        raise TraceError(
            f"compile: {what} reads tensor values while tracing a step, so the compiled step "
            "could not follow them; return the tensor from the step and read it afterwards"
        )


def value_check(check: Callable[..., None], *arrays: Any) -> None:
    """Run a check on arrays' values (e.g. targets in [0, 1]) now, and on every replay."""
    if current is not None and current.active():
        current.record_call(check, arrays, {})
    else:
        check(*arrays)


class _RecordedErrstate:
    """`np.errstate` inside a trace: entered now and written down, so the replay enters it too."""

    def __init__(self, tracer: Tracer, kwargs: dict[str, str]) -> None:
        self.tracer, self.kwargs = tracer, kwargs
        self.inner = np.errstate(**kwargs)  # type: ignore[arg-type]

    def __enter__(self) -> None:
        self.inner.__enter__()
        self.tracer.errstate(self.kwargs, enter=True)

    def __exit__(self, *exc: Any) -> None:
        self.tracer.errstate(self.kwargs, enter=False)
        self.inner.__exit__(*exc)


def errstate(**kwargs: str) -> contextlib.AbstractContextManager[Any]:
    """`np.errstate(**kwargs)` for op code: a compiled step replays it around the same calls."""
    if current is not None and current.active():
        return _RecordedErrstate(current, kwargs)
    return np.errstate(**kwargs)  # type: ignore[arg-type]


def random_call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Draw random numbers with `fn` (e.g. a Generator's `random`): now, and afresh on replay.

    A compiled step that draws (dropout masks) must not freeze the draws of its first call:
    through here the replay calls `fn` again, on the same generator, so it continues the same
    stream eager execution would.
    """
    if current is not None and current.active():
        return current.random_call(fn, args, kwargs)
    return fn(*args, **kwargs)


def replayed(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` on arrays, which a compiled step calls again on every replay as one line.

    For op code that branches on values (a fast path taken when they allow it): the replay
    takes the branch anew each time instead of the one the trace saw.
    """
    if current is not None and current.active():
        return current.replayed_call(fn, args)
    return fn(*args)


def on_created(t: Tensor) -> None:
    """A tensor made by `Tensor(...)`: a trace notes that the step made it."""
    if current is not None and current.active():
        current.created(t)


def on_written(t: Tensor) -> None:
    """`t` was changed in place: a trace stamps it again on every replay."""
    if current is not None and current.active():
        current.mark_written(t)


def on_get_grad(t: Tensor) -> None:
    """`t.grad` read inside a trace: a plan that depends on whether it is None checks that."""
    if current is not None and current.active():
        current.grad_read(t)


def on_set_grad(t: Tensor, value: Tensor | None) -> None:
    """`t.grad = value`: a side effect a trace must replay."""
    if current is not None and current.active():
        current.set_grad(t, value)
