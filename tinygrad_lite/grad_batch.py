"""Batched vector-Jacobian products: `grad(..., is_grads_batched=True)`, as PyTorch's.

The first dimension of every output gradient is a batch: for B output gradients vᵇ the result
for input x is the stack of the B products Σᵢ vᵢᵇᵀ ∂yᵢ/∂x, shape (B, *x.shape). Each product is
one run of the ordinary backward (the graph is kept between them), so `create_graph=True` gives
results that can be differentiated again, with respect to the inputs and to the output
gradients alike.

>>> import tinygrad_lite as tg
>>> x = tg.tensor([1.0, 2.0], requires_grad=True)
>>> tg.grad(x * x, x, grad_outputs=tg.eye(2), is_grads_batched=True)[0].tolist()
[[2.0, 0.0], [0.0, 4.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import autograd, engine
from .fn_tensors import stack
from .tensor import Tensor

__all__ = ["batched_grad"]


def _batches(outs: list[Tensor], grad_outputs: Any) -> tuple[list[Any], int]:
    """The output gradients, one per output, checked as batches; and the batch size B."""
    if grad_outputs is None:
        raise ValueError(
            "grad: is_grads_batched=True needs grad_outputs, one batch (B, *output.shape) of "
            "output gradients per output, got None"
        )
    gos = [grad_outputs] if hasattr(grad_outputs, "_ctx") else list(grad_outputs)
    if len(gos) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(gos)} grad_outputs")
    batches: list[Any] = []
    for i, (o, go) in enumerate(zip(outs, gos, strict=True)):
        if go is None:
            raise ValueError(
                f"grad: with is_grads_batched=True every output needs a batch of gradients; "
                f"grad_outputs[{i}] is None (output {i} has shape {o.shape})"
            )
        g = go if hasattr(go, "_ctx") else np.asarray(go)
        if g.ndim == 0 or tuple(g.shape[1:]) != tuple(o.shape):
            raise RuntimeError(
                f"grad: with is_grads_batched=True the first dimension of each grad_output is "
                f"the batch and the rest must match its output's shape, but grad_outputs[{i}] "
                f"has shape {tuple(g.shape)} and output {i} has shape {o.shape}"
            )
        batches.append(g)
    sizes = [g.shape[0] for g in batches]
    if any(s != sizes[0] for s in sizes):
        raise ValueError(
            f"grad: with is_grads_batched=True all grad_outputs must have one batch size (their "
            f"first dimension), got {sizes}"
        )
    if sizes[0] == 0:
        raise ValueError(
            "grad: with is_grads_batched=True the batch must hold at least one output "
            f"gradient, got grad_outputs of shapes {[tuple(g.shape) for g in batches]}"
        )
    return batches, sizes[0]


def batched_grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """`grad` with the first dimension of every output gradient taken as a batch.

    For output gradients vᵢ of shape (B, *yᵢ.shape), the result for input x is
    g[b] = Σᵢ vᵢ[b]ᵀ ∂yᵢ/∂x for b < B, shape (B, *x.shape): the rows of the Jacobian when the
    vᵢ are the rows of an identity. The graph is kept until the last product, which releases
    it unless `retain_graph` (default: `create_graph`) says otherwise. An unused input gives
    None with `allow_unused`, and with `materialize_grads` zeros of the input's own shape (no
    batch dimension), as PyTorch does.

    Args:
        outputs: a Tensor or a sequence of them.
        inputs: a Tensor or a sequence of them (leaves or intermediate results).
        grad_outputs: one batch of output gradients per output (a Tensor stands for a
            sequence of one), each of shape (B, *output.shape) with one B for all.
        retain_graph: keep the graph after the last product (default: `create_graph`).
        create_graph: record the products, so they can be differentiated again.
        allow_unused: None for an input the outputs do not depend on (else raise), already
            resolved by `grad` (its default is `materialize_grads`).
        materialize_grads: zeros instead of None for unused inputs.

    Returns:
        One Tensor (B, *input.shape) per input, or None / zeros for an unused one.

    Raises:
        ValueError: grad_outputs missing (or None for an output), batch sizes that differ,
            an empty batch, or one grad_output per output not given.
        RuntimeError: a grad_output whose shape is not (B, *output.shape); the errors of
            `grad` (an unused input, a released graph, ...).
    """
    outs = engine._as_list(outputs, "outputs", "grad")
    ins = engine._as_list(inputs, "inputs", "grad")
    batches, size = _batches(outs, grad_outputs)
    keep = create_graph if retain_graph is None else bool(retain_graph)
    rows: list[tuple[Tensor | None, ...]] = []
    for b in range(size):
        gos = [g[b] if hasattr(g, "_ctx") and create_graph else _row(g, b) for g in batches]
        rows.append(
            engine.grad(
                outs,
                ins,
                gos,
                retain_graph=keep if b == size - 1 else True,
                create_graph=create_graph,
                allow_unused=allow_unused,
            )
        )
    results: list[Tensor | None] = []
    for i, t in enumerate(ins):
        column = [r[i] for r in rows]  # all None or none: being used is structural
        if column[0] is None:
            results.append(
                Tensor(np.zeros_like(t.data), requires_grad=create_graph)
                if materialize_grads
                else None
            )
        elif create_graph:
            results.append(stack(column))
        else:
            data = np.stack([c.data for c in column if c is not None])
            results.append(autograd._make_tensor(data, False, None))
    return tuple(results)


def _row(g: Any, b: int) -> Any:
    """Row b of a batch of output gradients as an array (no graph needed)."""
    return np.array(g.data[b] if hasattr(g, "_ctx") else g[b])


engine.batched = batched_grad
