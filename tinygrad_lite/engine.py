"""The backward walk: one loop that every consumer of gradients builds on.

`backward` (gradients into the leaves' `.grad`), `grad` (gradients returned), the graph
picture's per-node gradients and `explain` all run `walk`, which visits each node once in a
topological order and calls an optional hook on every node it visits.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import anomaly, autograd, hooks, tracing, written
from .autograd import Context
from .engine_graph import (
    RELEASED,
    GraphContext,
    needed_nodes,
    refuse_if_released,
    refuse_released_needed,
    refuse_stale,
)
from .shapes import unbroadcast

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "backward",
    "grad",
    "needed_nodes",
    "walk",
    "NodeHook",
]

# on_node(ctx, grad_in, grads_out): grad_in is the node's output gradient, grads_out one
# gradient per input in the input's shape and dtype (None where no gradient flows).
NodeHook = Callable[[Context, Any, tuple[Any, ...]], None]


def _root_grad(root: Tensor, grad: Any, create_graph: bool) -> Any:
    data = root.data
    if grad is None:
        if data.size != 1:
            raise ValueError(
                f"backward: grad can be omitted only for a tensor with one element, but this "
                f"tensor has shape {data.shape}; pass grad= of that shape"
            )
        g = np.array(1, dtype=data.dtype) if data.ndim == 0 else np.ones_like(data)
        return autograd._make_tensor(g, False, None) if create_graph else g
    is_tensor = hasattr(grad, "_ctx")
    g = grad.data if is_tensor else grad if hasattr(grad, "shape") else np.asarray(grad)
    if g.shape != data.shape:
        raise ValueError(
            f"backward: grad has shape {g.shape} but the tensor has shape {data.shape}"
        )
    if g.dtype != data.dtype:
        raise TypeError(f"backward: grad has dtype {g.dtype} but the tensor has dtype {data.dtype}")
    if create_graph:
        return grad if is_tensor else autograd._make_tensor(g, False, None)
    return g


# `grad(..., is_grads_batched=True)`: `grad_batch.batched_grad`, set when that module loads (it
# stacks the rows with Tensor functions the engine sits below, and calls `grad` once per row).
batched: Callable[..., tuple[Any, ...]] | None = None

# Every node an earlier backward released was created before this number (see `walk`).
_released_before = -1


def walk(
    roots: Sequence[Tensor],
    root_grads: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    on_node: NodeHook | None = None,
    capture: dict[int, Tensor] | None = None,
    run_hooks: bool = True,
    needed: set[int] | None = None,
) -> tuple[dict[int, tuple[Tensor, Any, bool]], dict[int, Any]]:
    """Visit every node behind `roots` once, in reverse creation order, and backpropagate.

    Nodes come off a heap keyed by creation number, which is a topological order (an op's
    inputs exist before it), so each node is visited when its gradient is complete. Pending
    gradients live in a dict emptied as nodes are visited. Nothing is written to `.grad`:
    the leaves' summed gradients are returned, for the caller to commit all at once.

    Args:
        roots: tensors to differentiate.
        root_grads: their output gradients (arrays, or Tensors when `create_graph`).
        retain_graph: keep saved values (else each node is released after its visit).
        create_graph: run each backward on Tensors, recording its graph.
        on_node: called after each node's backward (see `NodeHook`).
        capture: non-leaf tensors (by id of their node) whose gradient to return as well.
        run_hooks: call the tensors' hooks (`register_hook`, `retain_grad`).
        needed: if given, the ids of the only nodes whose backward runs (see `needed_nodes`);
            the others are neither run nor released, as PyTorch runs only what leads to the
            inputs asked for.

    Returns:
        ({id(leaf): (leaf, gradient, shared)}, {id(ctx): gradient} for captured nodes), where
        `shared` says the gradient array may be referenced elsewhere (copy before owning it).
    """
    check = anomaly.state.enabled
    hooks_on = run_hooks and hooks.count > 0
    traced = tracing.current is not None and tracing.current.active()
    pending: dict[int, Any] = {}
    leaves: dict[int, tuple[Tensor, Any, bool]] = {}
    captured: dict[int, Any] = {}
    heap: list[tuple[int, Context]] = []
    heappop, heappush = heapq.heappop, heapq.heappush
    last_use = not retain_graph
    global _released_before
    # A search of the graph is needed only where it reaches back past the latest releasing
    # backward or in-place write (a training loop's fresh graph does not).
    oldest = min([r._ctx.oldest for r in roots if r._ctx is not None], default=1 << 62)
    if last_use and oldest < _released_before:
        # A backward that meets a released node part-way would already have released the
        # nodes before it: refuse first, so that a refused backward changes nothing.
        if needed is None:
            refuse_if_released(roots, _released_before)
        else:
            refuse_released_needed(roots, needed, _released_before)
    if oldest < written.last:
        refuse_stale(roots)  # values changed in place since a node saved them
    if last_use:
        _released_before = autograd.next_version()  # one counter: larger than any before
    for root, g in zip(roots, root_grads, strict=True):
        ctx = root._ctx
        if ctx is None:
            seen = leaves.get(id(root))
            leaves[id(root)] = (root, g, True) if seen is None else (root, seen[1] + g, False)
            continue
        key = id(ctx)
        if ctx.saved is None and (needed is None or key in needed):
            raise RuntimeError(RELEASED)
        if key in pending:
            pending[key] = pending[key] + g
        else:
            pending[key] = g
            heappush(heap, (-ctx.seq, ctx))
    while heap:
        ctx = heappop(heap)[1]
        key = id(ctx)
        g = pending.pop(key)
        inputs = ctx.inputs
        if hooks_on and getattr(ctx, "hooks", None):
            g = hooks.run(ctx.hooks, g, create_graph, g.shape)
        if capture is not None and key in capture:
            captured[key] = g
        if needed is not None and key not in needed:
            continue
        if inputs is None or ctx.saved is None:
            raise RuntimeError(RELEASED)
        if create_graph:
            grads = ctx.fn.backward(GraphContext(ctx), g)  # type: ignore[arg-type]
        else:
            ctx.last_use = last_use
            if traced:
                grads = tracing.run_op(ctx.fn.backward, ctx, g)
            else:
                grads = ctx.fn.backward(ctx, g)
        if len(grads) != len(inputs):
            raise RuntimeError(
                f"{ctx.fn.__name__}.backward returned {len(grads)} gradients for "
                f"{len(inputs)} inputs"
            )
        if check:
            anomaly.check_backward(ctx, g, grads)
        needs = ctx.needs_input_grad
        flowed: list[Any] | None = [] if on_node is not None else None
        for i, p in enumerate(inputs):
            pg = grads[i]
            if pg is None or not needs[i]:
                if flowed is not None:
                    flowed.append(None)
                continue
            if pg.__class__ is not np.ndarray and isinstance(pg, np.generic):
                pg = np.asarray(pg)  # arithmetic on 0-d arrays gives NumPy scalars
            if p.__class__ is Context:  # made by an op: its node keeps its shape and dtype
                pshape, pdt = p.shape, p.dtype
            else:
                pshape, pdt = p.data.shape, p.data.dtype  # type: ignore[union-attr]
            if pg.shape != pshape:
                pg = unbroadcast(pg, pshape)
            if pg.dtype is not pdt and pg.dtype != pdt:
                pg = pg.astype(pdt)
            if flowed is not None:
                flowed.append(pg)
            if p.__class__ is not Context:
                seen = leaves.get(id(p))
                leaves[id(p)] = (p, pg, pg is g) if seen is None else (p, seen[1] + pg, False)  # type: ignore[assignment]
                continue
            pkey = id(p)
            if (
                needed is not None
                and pkey not in needed
                and (capture is None or pkey not in capture)
            ):
                continue
            prev = pending.get(pkey)
            if prev is None:
                pending[pkey] = pg
                heappush(heap, (-p.seq, p))
            else:
                pending[pkey] = prev + pg
        if on_node is not None:
            on_node(ctx, g, tuple(flowed or ()))
        if last_use:
            ctx.saved = ctx.inputs = ctx.parents = None
    return leaves, captured


def accumulate_leaf(leaf: Tensor, g: Any, shared: bool) -> Any:
    """Add `g` into `leaf.grad` (or make it the gradient); return the gradient's array.

    The leaf owns its gradient array, so a `shared` array (or a view) is copied first.
    """
    if g.dtype != leaf.data.dtype:
        g = g.astype(leaf.data.dtype)
        shared = False
    current = leaf._grad
    if current is None:
        if isinstance(g, np.generic):
            g = np.asarray(g)
        elif shared or g.base is not None or not g.flags.writeable:
            g = g.copy()
        leaf._grad = autograd._make_tensor(g, False, None)
        return g
    acc = autograd.as_result(current.data + g)
    current.data = acc
    return acc


def _commit(leaves: dict[int, tuple[Tensor, Any, bool]], create_graph: bool) -> None:
    """Write every leaf's gradient, all or nothing: an interrupt part-way undoes the writes.

    Each write is noted before it is made; an exception (a KeyboardInterrupt) anywhere in the
    loop puts every old gradient back.
    """
    tracer = tracing.current
    hooks_on = hooks.count > 0
    if hooks.post_count and any(hooks.has_post_hooks(leaf) for leaf, _, _ in leaves.values()):
        if tracer is not None and tracer.active():
            raise tracing.TraceError(
                "compile: post-accumulate-grad hooks would run only while tracing; remove "
                "them or call the step uncompiled"
            )
        _write(leaves, create_graph, hooks_on)
        hooks.run_post_accumulate([leaf for leaf, _, _ in leaves.values() if leaf._requires_grad])
        return
    if tracer is not None and tracer.active() and not create_graph:
        for leaf, g, shared in leaves.values():
            if not leaf._requires_grad:  # switched off since the forward: no gradient
                continue
            if hooks_on and getattr(leaf, "_hooks", None):  # the hook's ops are traced too
                g = hooks.run(leaf._hooks, g, False, leaf.data.shape)
                shared = True
            tracer.accumulate(leaf, g, shared)  # replayed in the same order, by the same helper
        return
    _write(leaves, create_graph, hooks_on)


def _write(leaves: dict[int, tuple[Tensor, Any, bool]], create_graph: bool, hooks_on: bool) -> None:
    """The eager part of `_commit`: the writes, undone all together on an exception."""
    make = autograd._make_tensor
    done: list[tuple[Tensor, Any, Any]] = []  # (leaf, its old grad, its grad's old array)
    try:
        for leaf, g, shared in leaves.values():
            if not leaf._requires_grad:  # switched off since the forward (PyTorch: no gradient)
                continue
            current = leaf._grad
            if hooks_on and getattr(leaf, "_hooks", None):
                g = hooks.run(leaf._hooks, g, create_graph, leaf.data.shape)
                shared = True
            if create_graph:  # a gradient of its own, with its graph (a clone of a shared g)
                done.append((leaf, current, None))
                leaf._grad = _own(g) if current is None else current + g
            elif current is None:
                if g.__class__ is not np.ndarray:
                    g = np.asarray(g)  # a sum of 0-d arrays is a NumPy scalar
                elif shared or g.base is not None or not g.flags.writeable:
                    g = g.copy()  # the leaf owns its gradient array
                done.append((leaf, None, None))
                leaf._grad = make(g, False, None)
            else:  # accumulate into the same Tensor object, as PyTorch does
                new = np.asarray(current.data + g)
                done.append((leaf, current, current.data))
                current.data = new
    except BaseException:
        for leaf, current, data in done:
            if data is not None:
                current.data = data
            leaf._grad = current
        raise


def _as_list(values: Any, name: str, func: str) -> list[Tensor]:
    """A Tensor or a sequence of Tensors as a list of Tensors (one Tensor: a list of one)."""
    if hasattr(values, "_ctx"):
        return [values]
    if not isinstance(values, (list, tuple)) or not all(hasattr(v, "_ctx") for v in values):
        raise TypeError(
            f"{func}: {name} must be a Tensor or a sequence of Tensors, got {values!r:.60}"
        )
    return list(values)


def _targets(ins: Sequence[Tensor], func: str) -> tuple[set[int], dict[int, Tensor]]:
    """The ids of the input leaves and {id of node: tensor} of the intermediate inputs."""
    if not ins:
        raise ValueError(f"{func}: inputs cannot be empty")
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise RuntimeError(f"{func}: input {i} (shape {t.shape}) does not require grad")
    return {id(t) for t in ins if t._ctx is None}, {
        id(t._ctx): t for t in ins if t._ctx is not None
    }


def _own(g: Any) -> Any:
    """`g` for a `.grad` under `create_graph`: a differentiable copy, as PyTorch's clone.

    The walk hands one gradient Tensor to every input an op passes it through unchanged (both
    operands of `+`, the gradient given to `backward`): stored as it is, the leaves' `.grad`
    would be one object, and a later backward's accumulation into one would change the others.
    """
    return g.clone() if hasattr(g, "_ctx") else autograd._make_tensor(np.array(g), False, None)


def _store_grad(t: Tensor, g: Any, create_graph: bool) -> None:
    """Add `g` into the `.grad` of an intermediate tensor named in `backward(inputs=...)`."""
    gt = _own(g) if create_graph else autograd._make_tensor(np.array(g), False, None)
    t._grad = gt if t._grad is None else t._grad + gt


def _refuse_traced_create_graph() -> None:
    """Refuse `create_graph=True` while a compiled step is being traced."""
    if tracing.current is not None and tracing.current.active():
        raise tracing.TraceError(
            "compile: backward(create_graph=True) inside a compiled step is not supported (the "
            "gradients it stores carry a graph); compute the inner gradient with "
            "tinygrad_lite.grad(..., create_graph=True) and call backward() on the result"
        )


def backward(
    root: Tensor,
    grad: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Backpropagate from `root`, accumulating gradients into the leaves' `.grad`.

    Args:
        root: the tensor to differentiate (usually a scalar loss).
        grad: d(something)/d(root); may be omitted only when root has one element.
        retain_graph: keep the saved values so that backward can run through the graph
            again (default: `create_graph`).
        create_graph: record the backward pass too, so the gradients can be differentiated.
        inputs: if given (a Tensor or a sequence of them), the gradient is accumulated into
            these tensors' `.grad` only (an intermediate one's too), and only the part of the
            graph that leads to them runs, as in PyTorch.

    Raises:
        RuntimeError: root or an input does not require grad, or the graph was released.
        ValueError: grad omitted for a non-scalar root, grad's shape differs from root's,
            or `inputs` is empty.
        TypeError: grad's dtype differs from root's.
    """
    if not root._requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no grad_fn; create the "
            "leaves with requires_grad=True (and not inside no_grad)"
        )
    if create_graph:
        _refuse_traced_create_graph()
    _backward_from(
        (root,), (_root_grad(root, grad, create_graph),), retain_graph, create_graph, inputs
    )


def _backward_from(
    roots: Sequence[Tensor],
    root_grads: Sequence[Any],
    retain_graph: bool | None,
    create_graph: bool,
    inputs: Any,
) -> None:
    """`backward` after its checks: one walk from all the roots (`autograd_api` passes several)."""
    keep = create_graph if retain_graph is None else bool(retain_graph)
    if inputs is not None:
        ins = _as_list(inputs, "inputs", "backward")
        leaf_ids, capture = _targets(ins, "backward")
        needed = needed_nodes(roots, leaf_ids, set(capture))
        with autograd.set_grad_enabled(create_graph):
            leaves, captured = walk(
                roots, root_grads, keep, create_graph, None, capture, True, needed
            )
            _commit({k: v for k, v in leaves.items() if k in leaf_ids}, create_graph)
            for key, cg in captured.items():
                if not hooks.retains_grad(capture[key]):  # retain_grad's hook stored it
                    _store_grad(capture[key], cg, create_graph)
        return
    if not create_graph and not hooks.count:
        leaves, _ = walk(roots, root_grads, keep, False)  # array backwards record no graph
        _commit(leaves, False)
        return
    with autograd.set_grad_enabled(create_graph):  # hooks run as the backward does
        leaves, _ = walk(roots, root_grads, keep, create_graph)
        _commit(leaves, create_graph)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of `outputs` with respect to `inputs`, returned (no `.grad` is touched).

    Shaped like `torch.autograd.grad`: for outputs yᵢ with output gradients vᵢ, the result
    for input x is Σᵢ vᵢᵀ ∂yᵢ/∂x. With `create_graph=True` the results carry a graph of
    their own, so they can be differentiated again (Hessian-vector products, gradient
    penalties, Newton steps). Only the part of the graph that leads to `inputs` runs.

    Args:
        outputs: a Tensor or a sequence of them (one element each unless `grad_outputs`).
        inputs: a Tensor or a sequence of them (leaves or intermediate results).
        grad_outputs: one output gradient per output (a Tensor stands for a sequence of
            one); None, or None for an entry, means ones on a one-element output.
        retain_graph: keep the graph for another backward (default: `create_graph`).
        create_graph: record the backward pass so the results can be differentiated again.
        allow_unused: return None for an input the outputs do not depend on (else raise);
            default: `materialize_grads`.
        is_grads_batched: the first dimension of every grad_output is a batch B; the result
            for each input is then (B, *input.shape) (see `grad_batch.batched_grad`).
        materialize_grads: return zeros instead of None for unused inputs.

    Returns:
        One gradient per input, a Tensor (or None when unused and `allow_unused`).
    """
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError(
            "grad: materialize_grads=True needs allow_unused=True (or not passed), got "
            "allow_unused=False"
        )
    if is_grads_batched:
        assert batched is not None, "set by tinygrad_lite.grad_batch when the package loads"
        return batched(
            outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
            materialize_grads,
        )  # fmt: skip
    outs = _as_list(outputs, "outputs", "grad")
    ins = _as_list(inputs, "inputs", "grad")
    if grad_outputs is None:
        gos: list[Any] = [None] * len(outs)
    else:
        gos = [grad_outputs] if hasattr(grad_outputs, "_ctx") else list(grad_outputs)
        if len(gos) != len(outs):
            raise ValueError(f"grad: {len(outs)} outputs but {len(gos)} grad_outputs")
    leaf_ids, capture = _targets(ins, "grad")
    for i, o in enumerate(outs):
        if not o.requires_grad:
            raise RuntimeError(f"grad: output {i} does not require grad (no graph behind it)")
    keep = create_graph if retain_graph is None else bool(retain_graph)
    needed = needed_nodes(outs, leaf_ids, set(capture))
    with autograd.set_grad_enabled(create_graph):
        roots = [_root_grad(o, g, create_graph) for o, g in zip(outs, gos, strict=True)]
        leaves, captured = walk(outs, roots, keep, create_graph, None, capture, True, needed)
        found_leaves: dict[int, Any] = {}
        for t in ins:  # an input leaf's hooks see (and may replace) its gradient, as backward's
            found = leaves.get(id(t)) if t._ctx is None else None
            if found is not None and id(t) not in found_leaves:
                g = found[1]
                if hooks.count and getattr(t, "_hooks", None):
                    g = hooks.run(t._hooks, g, create_graph, t.data.shape)
                found_leaves[id(t)] = g
    results: list[Tensor | None] = []
    for i, t in enumerate(ins):
        g = found_leaves.get(id(t)) if t._ctx is None else captured.get(id(t._ctx))
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {t.shape}) was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
            zero = np.zeros_like(t.data) if materialize_grads else None
            results.append(None if zero is None else autograd._make_tensor(zero, False, None))
        elif create_graph:
            results.append(g)
        else:
            arr = g if g.base is None and g.flags.writeable else np.array(g)
            results.append(autograd._make_tensor(arr, False, None))
    return tuple(results)
