"""The autograd core: Context, Function (an op's forward and backward side by side), grad mode."""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from . import anomaly, tracing
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from .shapes import unbroadcast
from .tracing import TraceError, traced_call

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "Context",
    "Function",
    "unbroadcast",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "set_grad_enabled",
    "inference_mode",
    "detect_anomaly",
    "is_anomaly_enabled",
    "AnomalyError",
    "TraceError",
    "traced_call",
    "grad",
    "backward",
    "gradcheck",
    "gradgradcheck",
    "functional",
]

# PyTorch's `torch.autograd.grad`, `backward`, `gradcheck`, `gradgradcheck` and `functional`.
# They live in modules above this one (the engine, the gradient checks, `autograd_fn`), which
# this core cannot import: `tinygrad_lite.autograd_api` assigns them when the package loads,
# as `tensor.py` hands the engine its constructor (`set_tensor_factory`).
grad: Callable[..., Any]
backward: Callable[..., None]
gradcheck: Callable[..., bool]
gradgradcheck: Callable[..., bool]
functional: ModuleType

_F = TypeVar("_F", bound=Callable[..., Any])

# --------------------------------------------------------------------------------------------
# Grad mode (thread-local)
# --------------------------------------------------------------------------------------------


class _GradMode(threading.local):
    enabled: bool = True


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Return whether ops in this thread record a graph for backward."""
    return _grad_mode.enabled


class _GradModeBlock(contextlib.ContextDecorator):
    """A block (or decorated function) that runs with graph recording set to `mode`.

    The mode to restore is kept per thread and per entry, so one instance may be entered
    from several threads, or recursively, and each exit restores what its own entry saw.
    """

    mode: bool | None  # None: leave the mode as it is

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # A bare decorator, `@no_grad` without parentheses, as PyTorch allows.
        if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], bool):
            return cls()(args[0])
        return super().__new__(cls)

    def __init__(self) -> None:
        self._saved = threading.local()

    def _recreate_cm(self) -> _GradModeBlock:
        return self  # entries keep their own state (see __enter__)

    def __call__(self, fn: Any) -> Any:
        """Decorate `fn`; a generator function runs in the mode each time it is resumed."""
        if not inspect.isgeneratorfunction(fn):
            return super().__call__(fn)

        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Any:
            gen = fn(*args, **kwargs)
            send, value = gen.send, None
            while True:  # each step of `gen` in the mode, none of the caller's code
                try:
                    with self:
                        item = send(value)
                except StopIteration as stop:
                    return stop.value
                try:
                    value, send = (yield item), gen.send
                except GeneratorExit:
                    with self:
                        gen.close()
                    raise
                except BaseException as e:  # thrown in by the caller: into `gen`, in the mode
                    value, send = e, gen.throw

        return generator

    def __enter__(self) -> None:
        stack = self._saved.__dict__.setdefault("stack", [])
        stack.append(_grad_mode.enabled)
        if self.mode is not None:
            _grad_mode.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self._saved.stack.pop()


class no_grad(_GradModeBlock):
    """Build no graph inside this block or decorated function (this thread only).

    Example:
        >>> from tinygrad_lite import Tensor, no_grad
        >>> w = Tensor([1.0, 2.0], requires_grad=True)
        >>> with no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """

    mode = False


class enable_grad(_GradModeBlock):
    """Record graphs again inside a `no_grad` block (this thread only)."""

    mode = True


class inference_mode(_GradModeBlock):
    """PyTorch's `inference_mode`: `no_grad` when `mode` is True, `enable_grad` when False.

    A context manager or decorator (also bare, `@inference_mode`). The tensors made inside
    are ordinary tensors (PyTorch's inference tensors refuse later use in autograd).

    Args:
        mode: True to build no graph inside the block; False to build graphs in it (as
            PyTorch's, which switches grad mode on there, even inside `no_grad`).
    """

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self.mode = not mode


class set_grad_enabled:
    """Switch graph recording on or off in this thread, as in PyTorch.

    Called as a function it switches the mode at once; as a context manager it also restores
    the previous mode when the block ends; as a decorator the decorated function runs in the
    mode and the mode outside is left as it was.

    Args:
        mode: True to record graphs, False to compute values only.
    """

    def __init__(self, mode: bool) -> None:
        self.prev = _grad_mode.enabled
        self.mode = bool(mode)
        _grad_mode.enabled = self.mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self.prev

    def __call__(self, fn: _F) -> _F:
        """Decorate `fn` to run in this mode (the mode here is left as it was)."""
        _grad_mode.enabled = self.prev  # decorating must not change the mode here
        block = no_grad() if not self.mode else enable_grad()
        return block(fn)


# --------------------------------------------------------------------------------------------
# Context, Function and the registry
# --------------------------------------------------------------------------------------------


class Context:
    """What one op application remembers for its backward.

    The graph holds nodes, not tensors: an op's `inputs` are the nodes that made its inputs
    (their Contexts) and, for inputs that no op made (parameters, data, constants), the
    Tensors themselves. An intermediate result is therefore freed as soon as no user code and
    no backward needs its value; the backward still finds its way (the input node) and the
    input's shape and dtype (kept on that node).

    Attributes:
        fn: the Function class that made the output.
        inputs: one entry per input: its node (a Context) if an op made it and it requires
            grad, else the input Tensor (None once the graph is released).
        parents: the input Tensors themselves, kept only in anomaly mode (see
            `keep_inputs`); None otherwise.
        shape: the output's shape.
        dtype: the output's dtype.
        value_id: `id()` of the output array. A backward recorded as a graph finds its
            inputs among its saved values with it: a saved array and the output of an input
            node were both alive when the op ran, so equal ids mean the same array.
        saved: values stored by `save_for_backward` (None once released).
        needs_input_grad: for each input, whether it requires a gradient.
        seq: creation number (inputs always have smaller numbers: a topological order).
        oldest: the smallest creation number in the graph behind this node, which tells a
            backward whether the graph may reach nodes an earlier backward released.
        where: 'file:line' of the user code that created the op (anomaly mode only).
        last_use: set by the engine just before `backward`: True when the saved values are
            released right after it (no `retain_graph`), so a backward may reuse a saved array
            in place if nothing else refers to it (see `reuse`).
    """

    __slots__ = (
        "fn",
        "inputs",
        "parents",
        "shape",
        "dtype",
        "value_id",
        "saved",
        "needs_input_grad",
        "seq",
        "oldest",
        "where",
        "last_use",
        "hooks",
        "memo",
        "__weakref__",
    )
    fn: type[Function]
    seq: int
    oldest: int
    inputs: tuple[Context | Tensor, ...] | None
    parents: tuple[Tensor, ...] | None
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    value_id: int
    needs_input_grad: tuple[bool, ...]
    where: str
    last_use: bool
    hooks: list[Any]
    memo: dict[str, Any] | None

    def __init__(self) -> None:
        self.saved: Any = ()
        self.memo = None

    def __repr__(self) -> str:
        shape = getattr(self, "shape", None)
        return (
            f"<{self.fn.__name__} node, output shape {shape}>"
            if hasattr(self, "fn")
            else ("<node>")
        )

    def save_for_backward(self, *values: Any) -> None:
        """Keep what the backward needs: inputs, the output, and non-float data (masks, shapes).

        Saving only inputs and the output (and constants such as masks, shapes and indices) is
        what lets the same backward run on Tensors when its own graph is recorded.
        """
        self.saved = values

    def keep(self, name: str, value: Any) -> Any:
        """Keep a value the forward computed anyway (e.g. e^(-|z|)) for the backward; return it.

        It is not one of the saved inputs or outputs, so the backward reads it with `kept`,
        which recomputes it instead when the backward's own graph is recorded.
        """
        if self.memo is None:
            self.memo = {name: value}
        else:
            self.memo[name] = value
        return value

    def kept(self, name: str, recompute: Callable[[], Any]) -> Any:
        """The value `keep` stored under `name`; `recompute()` when the backward is recorded.

        On the saved values' last use the value is dropped here, with them.
        """
        memo = self.memo
        if memo is None or name not in memo:
            raise KeyError(f"{self.fn.__name__}: the forward kept no value named {name!r}")
        return memo.pop(name) if getattr(self, "last_use", False) else memo[name]

    def reuse(self, array: Any, holders: int = 2) -> Any:
        """`array` (a saved value), marked so that the math written on it may reuse its buffer.

        Returns `array` itself unless this is the saved values' last use and nothing but the
        engine can see the array (no tensor, no other graph node, no user code): then the
        result of an elementwise expression starting from it is written into its memory,
        which spares a large allocation. Only arrays of at least 64 KiB qualify.

        Args:
            array: a saved array.
            holders: references the caller knows of (by default 2: the saved tuple and the
                caller's local name).
        """
        if (
            array.__class__ is np.ndarray
            and array.nbytes >= _REUSE_MIN_BYTES
            and getattr(self, "last_use", False)
            and array.flags.writeable
            and array.base is None
            # + 2: this method's parameter and getrefcount's own argument
            and sys.getrefcount(array) <= holders + 2
        ):
            return Scratch(array)
        return array


_REUSE_MIN_BYTES = 1 << 16


class Scratch:
    """An array whose buffer an elementwise expression may overwrite (see `Context.reuse`).

    `1.0 - s * s` on a Scratch `s` computes in `s`'s buffer; the first operation with a plain
    array of the same shape writes there too and returns that plain array.
    """

    __slots__ = ("a",)

    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    def _apply(self, ufunc: Any, x: Any, y: Any) -> Any:
        a = self.a
        other = y if x is self else x
        if other is self or not isinstance(other, np.ndarray):
            ufunc(x.a if x is self else x, y.a if y is self else y, out=a)
            return self
        if other.shape == a.shape or np.broadcast_shapes(other.shape, a.shape) == a.shape:
            return ufunc(x.a if x is self else x, y.a if y is self else y, out=a)
        return ufunc(x.a if x is self else x, y.a if y is self else y)

    def __mul__(self, o: Any) -> Any:
        return self._apply(np.multiply, self, o)

    def __rmul__(self, o: Any) -> Any:
        return self._apply(np.multiply, o, self)

    def __sub__(self, o: Any) -> Any:
        return self._apply(np.subtract, self, o)

    def __rsub__(self, o: Any) -> Any:
        return self._apply(np.subtract, o, self)

    def __add__(self, o: Any) -> Any:
        return self._apply(np.add, self, o)

    __radd__ = __add__

    __array_ufunc__ = None  # ndarray * Scratch defers to Scratch.__rmul__


def as_result(out: Any) -> Any:
    """An op's output as an array: NumPy scalars (from 0-d arithmetic) become 0-d arrays."""
    if isinstance(out, np.generic):
        return np.asarray(out)
    if isinstance(out, Scratch):
        return out.a
    if getattr(out, "scalar", False):  # a traced NumPy scalar: its conversion is recorded
        return out.as_array()
    return out


class Function:
    """A differentiable primitive: `forward` on NumPy arrays and its `backward`.

    Subclasses implement two static methods and are registered with `@register`:
    `forward(ctx, *arrays, **params) -> ndarray` and
    `backward(ctx, grad) -> tuple[ndarray | None, ...]` (one gradient per input, in the
    broadcast shape if convenient: the engine reduces it with `unbroadcast`). A backward is
    written with operators and NumPy functions on what the forward saved, and never writes
    into its arguments: the same code then runs on arrays, and on Tensors when its own graph
    is recorded (`create_graph=True`).
    """

    name: ClassVar[str] = ""
    # False for ops whose output carries no gradient (argmax, sign, comparisons).
    differentiable: ClassVar[bool] = True

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> Any:
        """Compute the output array from the input arrays."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, ...]:
        """Map the output's gradient to one gradient per input."""
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        """Run forward on the inputs' data and, if any input requires grad, record the node."""
        ctx = _new_context(Context)
        ctx.saved = ()
        ctx.memo = None
        tracer = tracing.current
        if tracer is not None and tracer.active():
            out = tracing.run_op(cls.forward, ctx, *[tracer.data_of(t) for t in inputs], **params)
        else:
            tracer = None
            if len(inputs) == 2:
                out = cls.forward(ctx, inputs[0].data, inputs[1].data, **params)
            elif len(inputs) == 1:
                out = cls.forward(ctx, inputs[0].data, **params)
            else:
                out = cls.forward(ctx, *[t.data for t in inputs], **params)
        if out.__class__ is not np.ndarray:
            new = as_result(out)
            if new is not out:
                for v in ctx.saved:
                    if v is out:  # the output is saved: keep it identifiable
                        ctx.saved = tuple(new if v is out else v for v in ctx.saved)
                        break
            out = new
        ctx.fn = cls
        if _grad_mode.enabled and cls.differentiable:
            if len(inputs) == 2:
                a, b = inputs
                needs: tuple[bool, ...] = (a._requires_grad, b._requires_grad)
                if True in needs:
                    # Nodes, not tensors: the graph keeps no intermediate tensor alive.
                    seq = ctx.seq = _next_seq()
                    ca, cb = a._ctx, b._ctx
                    ctx.inputs = (ca or a, cb or b)
                    oldest = seq if ca is None else ca.oldest
                    if cb is not None and cb.oldest < oldest:
                        oldest = cb.oldest
                    return _record(cls, ctx, out, needs, oldest, inputs, tracer)
            elif len(inputs) == 1:
                a = inputs[0]
                if a._requires_grad:
                    seq = ctx.seq = _next_seq()
                    ca = a._ctx
                    ctx.inputs = (ca or a,)
                    oldest = seq if ca is None else ca.oldest
                    return _record(cls, ctx, out, (True,), oldest, inputs, tracer)
            else:
                needs = tuple([t._requires_grad for t in inputs])
                if True in needs:
                    seq = ctx.seq = _next_seq()
                    ctx.inputs = tuple([t._ctx or t for t in inputs])
                    oldest = min([seq] + [c.oldest for c in ctx.inputs if c.__class__ is Context])
                    return _record(cls, ctx, out, needs, oldest, inputs, tracer)
        if anomaly.state.enabled:
            anomaly.check_finite("forward", cls.__name__, anomaly.user_frame(), (out,), inputs)
        result = _make_tensor(out, False, None)
        if tracer is not None:
            tracer.adopt(result)
        return result


_new_context = object.__new__


def _record(
    cls: type[Function],
    ctx: Context,
    out: Any,
    needs: tuple[bool, ...],
    oldest: int,
    inputs: tuple[Tensor, ...],
    tracer: Any,
) -> Tensor:
    """The output Tensor of a recorded node (`apply`, once it knows an input needs grad)."""
    ctx.oldest = oldest
    ctx.shape = out.shape
    ctx.dtype = out.dtype
    ctx.value_id = id(out)
    ctx.needs_input_grad = needs
    if anomaly.state.enabled:
        ctx.parents = inputs  # anomaly mode reports on the input values
        ctx.where = anomaly.user_frame()
        anomaly.check_finite("forward", cls.__name__, ctx.where, (out,), inputs)
    result = _make_tensor(out, True, ctx)
    if tracer is not None:
        tracer.adopt(result)
    return result


_next_seq = itertools.count().__next__


# A number larger than every graph node's so far: stamp a tensor changed in place with it.
next_version = _next_seq


_make_tensor: Callable[[Any, bool, Context | None], Tensor]


def set_tensor_factory(make: Callable[[Any, bool, Context | None], Tensor]) -> None:
    """Called once by `tensor.py`: how the engine wraps arrays into Tensors.

    The engine cannot import `Tensor` (the Tensor's methods call the engine), so the Tensor
    module hands its constructor over when it loads.
    """
    global _make_tensor
    _make_tensor = make
