"""What the backward walk checks before it runs, and what a recorded backward reads.

`engine.walk` refuses, before any backward runs, a graph that holds a node an earlier backward
released or a saved array written in place since (see `written`); it runs only the nodes that
lead to the inputs asked for (`needed_nodes`); and when the backward is itself recorded
(`create_graph=True`) each node's backward sees its saved values as Tensors (`GraphContext`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from . import autograd, tracing, written
from .autograd import Context

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "GraphContext",
    "RELEASED",
    "needed_nodes",
    "reaching_back",
    "refuse_if_released",
    "refuse_released_needed",
    "refuse_stale",
    "saved_as_tensors",
]

RELEASED = (
    "backward through a graph that has already been released: the first backward freed its "
    "saved values; call the first backward with retain_graph=True to backpropagate twice"
)


def saved_as_tensors(ctx: Context) -> tuple[Any, ...]:
    """The saved values with inputs and the output replaced by Tensors (graph mode).

    A saved input of a leaf is that leaf; a saved input made by an op, or the saved output,
    becomes a Tensor of that array attached to its node, so that the backward's own graph
    leads back into the recorded one.
    """
    make = autograd._make_tensor
    inputs = ctx.inputs or ()
    mapped: list[Any] = []
    for s in ctx.saved:
        if not hasattr(s, "dtype") or not hasattr(s, "shape") or hasattr(s, "_ctx"):
            mapped.append(s)
            continue
        for p in inputs:
            if p.__class__ is Context:
                if p.value_id == id(s):
                    mapped.append(make(s, True, p))
                    break
            elif s is p.data or (tracing.is_traced(s) and s.value is p.data):  # type: ignore[union-attr]
                mapped.append(p)  # (a parameter's array as compile traces it)
                break
        else:
            if ctx.value_id == id(s):
                mapped.append(make(s, True, ctx))
            elif s.dtype.kind in "biu":
                mapped.append(s)  # masks and indices: constants of the derivative
            else:
                raise RuntimeError(
                    f"{ctx.fn.__name__}: create_graph=True needs the backward to depend only on "
                    "the op's inputs, its output and non-float constants, but it saved another "
                    "float array"
                )
    return tuple(mapped)


class GraphContext:
    """What a backward sees when its own graph is recorded: the same fields, Tensors inside."""

    __slots__ = ("fn", "saved", "needs_input_grad", "inputs", "seq", "last_use")

    def __init__(self, ctx: Context) -> None:
        self.fn = ctx.fn
        self.saved = saved_as_tensors(ctx)
        self.needs_input_grad = ctx.needs_input_grad
        self.inputs = ctx.inputs
        self.seq = ctx.seq
        self.last_use = False

    def reuse(self, value: Any, holders: int = 2) -> Any:
        """The value itself: a recorded backward never writes into an array it was given."""
        return value

    def kept(self, name: str, recompute: Callable[[], Any]) -> Any:
        """Recomputed from the Tensors, so that it is part of the recorded graph."""
        return recompute()  # from the Tensors, so that it is part of the recorded graph


def reaching_back(roots: Sequence[Tensor], before: int) -> Iterator[Context]:
    """Each node behind `roots` (once) whose graph reaches back past creation number `before`.

    A node's `oldest` says how far back its graph reaches, so a training loop's fresh graph
    yields nothing and a search enters only the parts that reach back.
    """
    stack = [r._ctx for r in roots if r._ctx is not None and r._ctx.oldest < before]
    seen: set[int] = set()
    while stack:
        ctx = stack.pop()
        if id(ctx) in seen or ctx.oldest >= before:
            continue
        seen.add(id(ctx))
        yield ctx
        if ctx.inputs is not None:
            stack.extend(p for p in ctx.inputs if p.__class__ is Context)


def refuse_if_released(roots: Sequence[Tensor], before: int) -> None:
    """Raise before anything is released if the graph behind `roots` holds a released node.

    Only a graph reaching back past the latest releasing backward can hold one.
    """
    for ctx in reaching_back(roots, before):
        if ctx.saved is None or ctx.inputs is None:
            raise RuntimeError(RELEASED)


def refuse_stale(roots: Sequence[Tensor]) -> None:
    """Raise before anything runs if a node behind `roots` saved an array written since.

    Only nodes older than the latest in-place write can hold one (see `written`). A graph
    that reaches a released node is left to the walk, which refuses it for that.
    """
    stale: list[Context] = []
    for ctx in reaching_back(roots, written.last):
        if ctx.saved is None or ctx.inputs is None:
            return
        if ctx.seq < written.last:
            stale.append(ctx)
    for ctx in stale:
        written.check_saved(ctx)


def needed_nodes(roots: Sequence[Tensor], leaves: set[int], nodes: set[int]) -> set[int]:
    """The ids of the nodes behind `roots` whose backward leads to a target.

    A target is a leaf whose id is in `leaves` or a node whose id is in `nodes` (the node
    that made an intermediate input). A released node counts as needed: whether it leads to
    a target is no longer known, and the walk refuses it. Iterative, so deep graphs work.
    """
    status: dict[int, bool] = {}
    stack: list[tuple[Context, bool]] = [(r._ctx, False) for r in roots if r._ctx is not None]
    while stack:
        ctx, expanded = stack.pop()
        key = id(ctx)
        inputs = ctx.inputs
        if expanded:
            status[key] = (
                inputs is None
                or ctx.saved is None
                or any(
                    (id(p) in nodes or status.get(id(p), False))
                    if p.__class__ is Context
                    else id(p) in leaves
                    for p in inputs
                )
            )
        elif key not in status:
            status[key] = False  # until its inputs are known
            stack.append((ctx, True))
            if inputs is not None:
                stack.extend((p, False) for p in inputs if p.__class__ is Context)
    return {k for k, v in status.items() if v}


def refuse_released_needed(roots: Sequence[Tensor], needed: set[int], before: int) -> None:
    """Raise, before anything runs, if a node the walk would run was released."""
    for ctx in reaching_back(roots, before):
        if id(ctx) in needed and (ctx.saved is None or ctx.inputs is None):
            raise RuntimeError(RELEASED)
