"""The autograd engine: Context, Function, the op registry, backward, grad and anomaly modes."""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "Context",
    "Function",
    "OpSpec",
    "REGISTRY",
    "register",
    "unbroadcast",
    "backward",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "set_grad_enabled",
    "detect_anomaly",
    "is_anomaly_enabled",
    "AnomalyError",
    "TraceError",
    "traced_call",
]

_F = TypeVar("_F", bound=Callable[..., Any])

# --------------------------------------------------------------------------------------------
# Grad mode (thread-local) and anomaly mode
# --------------------------------------------------------------------------------------------


class _GradMode(threading.local):
    enabled: bool = True


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Return whether ops in this thread record a graph for backward."""
    return _grad_mode.enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Switch graph recording on or off in this thread, as a context manager or decorator.

    Args:
        mode: True to record graphs, False to compute values only.
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._prev: list[bool] = []

    def __enter__(self) -> None:
        self._prev.append(_grad_mode.enabled)
        _grad_mode.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self._prev.pop()


class no_grad(set_grad_enabled):
    """Build no graph inside this block or decorated function (this thread only).

    Example:
        >>> from tinygrad_lite import Tensor, no_grad
        >>> w = Tensor([1.0, 2.0], requires_grad=True)
        >>> with no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record graphs again inside a `no_grad` block (this thread only)."""

    def __init__(self) -> None:
        super().__init__(True)


class TraceError(RuntimeError):
    """A compiled step does something that cannot be replayed faithfully."""


class AnomalyError(FloatingPointError):
    """Raised under `detect_anomaly` by the first op that produces NaN or infinity."""


class _AnomalyMode(threading.local):
    enabled: bool = False


_anomaly = _AnomalyMode()


def is_anomaly_enabled() -> bool:
    """Return whether `detect_anomaly` is active in this thread."""
    return _anomaly.enabled


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Check every op's forward and backward for NaN or infinity while the block runs.

    The first op whose output (forward) or input gradient (backward) is not finite raises
    `AnomalyError` naming the op, the line of user code that created it, and the shapes.
    When the block is not active the check costs nothing but one flag test per op.
    """
    prev = _anomaly.enabled
    _anomaly.enabled = True
    try:
        yield
    finally:
        _anomaly.enabled = prev


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _user_frame() -> str:
    """Return 'file:line' of the innermost stack frame outside this package."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno}"
    return "<unknown>"


def _check_finite(
    phase: str, fn: type[Function], where: str, arrays: tuple[Any, ...], inputs: tuple[Any, ...]
) -> None:
    for i, a in enumerate(arrays):
        if a is None or not isinstance(a, np.ndarray) or a.dtype.kind not in "fc":
            continue
        if not np.all(np.isfinite(a)):
            bad = "NaN" if np.isnan(a).any() else "infinity"
            shapes = ", ".join(str(np.shape(x)) for x in inputs)
            what = "output" if phase == "forward" else f"gradient of input {i}"
            raise AnomalyError(
                f"{fn.__name__} {phase} produced {bad} in its {what} (shape {a.shape}); "
                f"the op was created at {where}; input shapes: {shapes}"
            )


# --------------------------------------------------------------------------------------------
# Context, Function and the registry
# --------------------------------------------------------------------------------------------


class Context:
    """What one op application remembers for its backward.

    Attributes:
        fn: the Function class that made the output.
        parents: the input Tensors (None once the graph is released).
        saved: values stored by `save_for_backward` (None once released).
        needs_input_grad: for each input, whether it requires a gradient.
        seq: creation number (inputs always have smaller numbers: a topological order).
        where: 'file:line' of the user code that created the op (anomaly mode only).
        last_use: set by the engine just before `backward`: True when the saved values are
            released right after it (no `retain_graph`), so a backward may reuse a saved array
            in place if nothing else refers to it (see `reusable`).
    """

    __slots__ = ("fn", "parents", "saved", "needs_input_grad", "seq", "where", "last_use")
    fn: type[Function]
    seq: int
    parents: tuple[Tensor, ...] | None
    needs_input_grad: tuple[bool, ...]
    where: str
    last_use: bool

    def __init__(self) -> None:
        self.saved: Any = ()

    def save_for_backward(self, *values: Any) -> None:
        """Keep arrays (or any values the backward needs) until backward has run."""
        self.saved = values

    def reusable(self, array: np.ndarray, holders: int) -> bool:
        """Whether a backward may overwrite `array`, one of its saved values, in place.

        True only on the last use of the saved values and when the only references to the
        array are the `holders` the caller knows of (the saved tuple, its own local names and
        the call's argument): no tensor, no other graph node and no user code can see it.
        """
        return (
            getattr(self, "last_use", False)
            and array.flags.writeable
            and array.base is None
            # + 2: this method's parameter and getrefcount's own argument
            and sys.getrefcount(array) <= holders + 2
        )


class Function:
    """A differentiable primitive: `forward` on NumPy arrays and its `backward`.

    Subclasses implement two static methods and are registered with `@register`:
    `forward(ctx, *arrays, **params) -> ndarray` and
    `backward(ctx, grad) -> tuple[ndarray | None, ...]` (one gradient per input, in the
    broadcast shape if convenient: the engine reduces it with `unbroadcast`). A backward
    must never write into `grad` in place: the same array may be shared.
    """

    name: ClassVar[str] = ""
    # True when `forward` accepts `out=`, an array of the output's shape and dtype to write
    # into: a compiled step then gives the op a buffer of its own, reused on every call.
    supports_out: ClassVar[bool] = False

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> np.ndarray:
        """Compute the output array from the input arrays."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        """Map the output's gradient to one gradient per input."""
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        """Run forward on the inputs' data and, if any input requires grad, record the node."""
        ctx = Context()
        if params:
            out = cls.forward(ctx, *[t.data for t in inputs], **params)
        else:
            out = cls.forward(ctx, *[t.data for t in inputs])
        if out.__class__ is not np.ndarray:  # a ufunc on 0-d arrays returns a NumPy scalar
            out = np.asarray(out)
        ctx.fn = cls
        if _grad_mode.enabled:
            needs = tuple([t.requires_grad for t in inputs])
            if True in needs:
                ctx.parents = inputs
                ctx.needs_input_grad = needs
                ctx.seq = _next_seq()
                if _anomaly.enabled:
                    ctx.where = _user_frame()
                    _check_finite("forward", cls, ctx.where, (out,), ctx.parents)
                result = _make_tensor(out, True, ctx)
                if _tracer is not None:
                    _tracer.record(cls, inputs, params, ctx, result)
                return result
        if _anomaly.enabled:
            _check_finite("forward", cls, _user_frame(), (out,), inputs)
        result = _make_tensor(out, False, None)
        if _tracer is not None:
            _tracer.record(cls, inputs, params, ctx, result)
        return result


_next_seq = itertools.count().__next__

# The active compile tracer (see compile.py), or None: one check per op when not tracing.
_tracer: Any = None


def traced_call(method: _F) -> _F:
    """Mark a method with side effects (an optimizer step, zero_grad) so `compile` replays it.

    Outside tracing the method runs as usual, at the cost of one check.
    """

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global _tracer
        tracer = _tracer
        if tracer is None or not tracer.active():
            return method(*args, **kwargs)
        tracer.record_call(method, args, kwargs)
        _tracer = None  # what the call does inside is replayed by calling it again
        try:
            return method(*args, **kwargs)
        finally:
            _tracer = tracer

    return wrapper  # type: ignore[return-value]


def _make_tensor(data: np.ndarray, requires_grad: bool, ctx: Context | None) -> Tensor:
    # Replaced by Tensor._make when tensor.py loads (the engine cannot import it at load time).
    raise RuntimeError("tinygrad_lite.tensor has not been imported")


@dataclass(frozen=True)
class OpSpec:
    """A registry entry: how the property tests draw inputs for an op.

    Attributes:
        name: the op's lowercase name.
        fn: the Function class.
        arity: number of Tensor inputs.
        domain: where inputs are valid: "real", "positive", "unit" (open (0, 1)),
            "nonzero" (second input), "binary_target" (second input in [0, 1]).
        kind: the shape rule: "elementwise", "broadcast", "matmul", "reduce", "shape",
            "index", "loss".
    """

    name: str
    fn: type[Function]
    arity: int
    domain: str
    kind: str


REGISTRY: dict[str, OpSpec] = {}


def register(
    name: str, arity: int, domain: str = "real", kind: str = "elementwise"
) -> Callable[[type[Function]], type[Function]]:
    """Class decorator that adds a Function to `REGISTRY` under `name`."""

    def deco(cls: type[Function]) -> type[Function]:
        if name in REGISTRY:
            raise ValueError(f"op {name!r} is already registered to {REGISTRY[name].fn.__name__}")
        cls.name = name
        REGISTRY[name] = OpSpec(name, cls, arity, domain, kind)
        return cls

    return deco


# --------------------------------------------------------------------------------------------
# The backward engine
# --------------------------------------------------------------------------------------------


def _reduction_axes(gshape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes to sum so that a gradient of shape `gshape` reduces to `shape`."""
    lead = len(gshape) - len(shape)
    if lead < 0 or any(n != 1 and n != gshape[i + lead] for i, n in enumerate(shape)):
        raise ValueError(f"unbroadcast: gradient of shape {gshape} does not reduce to {shape}")
    return tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1
    )


_AXES_CACHE: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[int, ...]] = {}


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` over the axes that broadcasting added or stretched, to get `shape`.

    Example: an input of shape (4, 1) broadcast to (3, 4, 5) gets a gradient of shape
    (3, 4, 5); summing over axis 0 (added) and axis 2 (stretched from 1) gives (4, 1).
    """
    gshape = grad.shape
    if gshape == shape:
        return grad
    key = (gshape, shape)
    axes = _AXES_CACHE.get(key)
    if axes is None:
        axes = _reduction_axes(gshape, shape)
        if len(_AXES_CACHE) < 4096:
            _AXES_CACHE[key] = axes
    out = np.add.reduce(grad, axis=axes, keepdims=True) if axes else grad
    return out if out.shape == shape else out.reshape(shape)


_RELEASED = (
    "backward through a graph that has already been released: the first backward freed its "
    "saved values; call the first backward with retain_graph=True to backpropagate twice"
)


def _accumulate_leaf(leaf: Tensor, g: np.ndarray, shared: bool) -> None:
    """Add `g` into `leaf.grad`; the leaf owns its gradient array, so shared arrays are copied."""
    if g.dtype != leaf.data.dtype:
        g = g.astype(leaf.data.dtype)
        shared = False
    current = leaf._grad
    if current is None:
        if shared or g.base is not None or not g.flags.writeable:
            g = np.array(g, order="C")  # a copy, and an array even if g is a NumPy scalar
        leaf._grad = _make_tensor(g, False, None)
    else:
        acc = current.data
        if acc.shape == g.shape and acc.flags.writeable:
            np.add(acc, g, out=acc)
        else:
            leaf._grad = _make_tensor(acc + g, False, None)


def _check_grad_arg(data: np.ndarray, grad: Any) -> np.ndarray:
    if grad is None:
        if data.size != 1:
            raise ValueError(
                f"backward: grad can be omitted only for a tensor with one element, but this "
                f"tensor has shape {data.shape}; pass grad= of that shape"
            )
        return np.array(1, dtype=data.dtype) if data.ndim == 0 else np.ones_like(data)
    g = grad.data if hasattr(grad, "_ctx") else np.asarray(grad)
    if g.shape != data.shape:
        raise ValueError(
            f"backward: grad has shape {g.shape} but the tensor has shape {data.shape}"
        )
    if g.dtype != data.dtype:
        raise TypeError(f"backward: grad has dtype {g.dtype} but the tensor has dtype {data.dtype}")
    return g


def backward(root: Tensor, grad: Any = None, retain_graph: bool = False) -> None:
    """Backpropagate from `root`, accumulating gradients into the leaves' `.grad`.

    Nodes are visited in reverse creation order, which is a topological order of the graph
    (every op's inputs exist before it does): a heap keyed by the creation number yields the
    next node whose gradient is complete, so ordering and accumulation happen in one pass
    without recursion. Pending gradients live in a dict that is emptied as nodes are visited.

    Args:
        root: the tensor to differentiate (usually a scalar loss).
        grad: d(something)/d(root); may be omitted only when root has one element.
        retain_graph: keep the saved values so that backward can run through the graph again.

    Raises:
        RuntimeError: root does not require grad, or the graph was already released.
        ValueError: grad omitted for a non-scalar root, or grad's shape differs from root's.
        TypeError: grad's dtype differs from root's.
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no grad_fn; create the "
            "leaves with requires_grad=True (and not inside no_grad)"
        )
    g = _check_grad_arg(root.data, grad)
    if _tracer is not None:
        _tracer.record_backward(root, grad, retain_graph)
    ctx = root._ctx
    if ctx is None:
        _accumulate_leaf(root, g, True)
        return
    if ctx.saved is None:
        raise RuntimeError(_RELEASED)
    _run_backward(ctx, g, retain_graph)


def _run_backward(root_ctx: Context, root_grad: np.ndarray, retain_graph: bool) -> None:
    check = _anomaly.enabled
    pending: dict[int, np.ndarray] = {id(root_ctx): root_grad}
    # Leaf gradients are summed here and written to `.grad` only once the whole pass has
    # succeeded, so an error part-way (a released node, an anomaly) changes no gradient.
    leaves: dict[int, tuple[Tensor, np.ndarray, bool]] = {}
    heap: list[tuple[int, Context]] = [(-root_ctx.seq, root_ctx)]
    heappop, heappush = heapq.heappop, heapq.heappush
    while heap:
        ctx = heappop(heap)[1]
        g = pending.pop(id(ctx))
        parents = ctx.parents
        if parents is None or ctx.saved is None:
            raise RuntimeError(_RELEASED)
        ctx.last_use = not retain_graph
        grads = ctx.fn.backward(ctx, g)
        if check:
            _check_finite("backward", ctx.fn, getattr(ctx, "where", "<unknown>"), grads, parents)
        needs = ctx.needs_input_grad
        if len(grads) != len(parents):
            raise RuntimeError(
                f"{ctx.fn.__name__}.backward returned {len(grads)} gradients for "
                f"{len(parents)} inputs"
            )
        for i, p in enumerate(parents):
            pg = grads[i]
            if pg is None or not needs[i]:
                continue
            pshape = p.data.shape  # no array kept in a local: see Context.reusable
            if pg.shape != pshape:
                pg = unbroadcast(pg, pshape)
            pctx = p._ctx
            if pctx is None:
                seen = leaves.get(id(p))
                leaves[id(p)] = (p, pg, pg is g) if seen is None else (p, seen[1] + pg, False)
                continue
            if pg.dtype != p.data.dtype:
                pg = pg.astype(p.data.dtype)
            key = id(pctx)
            prev = pending.get(key)
            if prev is None:
                pending[key] = pg
                heappush(heap, (-pctx.seq, pctx))
            else:
                pending[key] = prev + pg
        if not retain_graph:
            ctx.saved = ctx.parents = None
    for leaf, lg, shared in leaves.values():
        _accumulate_leaf(leaf, lg, shared)
