"""PyTorch's `torch.autograd` names: backward of several tensors, grad, gradcheck, functional.

This module fills in the names that `tinygrad_lite.autograd` declares but cannot define (they
live in modules above the core) and registers `tinygrad_lite.autograd.functional`, so that code
written for PyTorch runs with its imports renamed:

>>> import tinygrad_lite as tg
>>> from tinygrad_lite.autograd import backward, grad
>>> from tinygrad_lite.autograd.functional import jacobian
>>> x = tg.tensor([1.0, 2.0], requires_grad=True)
>>> backward([(x * x).sum(), x.sum()])
>>> x.grad
Tensor([3., 5.])
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import autograd, autograd_fn, engine
from . import gradcheck as checks
from .tensor import Tensor

__all__ = ["backward", "gradcheck", "gradgradcheck"]


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """PyTorch's `torch.autograd.backward`: one backward pass from several tensors at once.

    For tensors yᵢ with output gradients vᵢ, every leaf x receives x.grad += Σᵢ vᵢᵀ ∂yᵢ/∂x.
    The graph is walked once, each node visited when the gradients from all the tensors have
    reached it; `backward(loss)` is `loss.backward()`.

    Args:
        tensors: a Tensor or a sequence of them, each requiring grad.
        grad_tensors: one output gradient per tensor (a Tensor stands for a sequence of one),
            a Tensor or array in its shape (cast to its dtype, as PyTorch does); None, or None
            for an entry, means ones on a one-element tensor.
        retain_graph: keep the graph for another backward (default: `create_graph`).
        create_graph: record the backward pass, so the gradients can be differentiated.
        inputs: if given (a Tensor or a sequence of them, not empty), only these tensors'
            `.grad` receive the gradient, and only the graph that leads to them runs.

    Raises:
        RuntimeError: as PyTorch: a tensor that does not require grad, no gradient given for
            a tensor of several elements, a gradient of the wrong shape, not as many
            gradients as tensors, `inputs` empty, a graph already released.
        TypeError: a gradient that is neither a Tensor, an array nor None; tensors or inputs
            that are not Tensors.
    """
    roots = engine._as_list(tensors, "tensors", "backward")
    if inputs is not None and not engine._as_list(inputs, "inputs", "backward"):
        raise RuntimeError("backward: the `inputs` argument cannot be empty")
    if grad_tensors is None:
        given: list[Any] = [None] * len(roots)
    else:
        given = [grad_tensors] if isinstance(grad_tensors, Tensor) else list(grad_tensors)
    if len(given) != len(roots):
        raise RuntimeError(f"backward: got {len(roots)} tensors and {len(given)} gradients")
    for i, (t, g) in enumerate(zip(roots, given, strict=True)):
        if g is None:
            if t.requires_grad and t.size != 1:
                raise RuntimeError(
                    f"backward: grad can be implicitly created only for one-element tensors, "
                    f"but tensors[{i}] has shape {t.shape}; pass grad_tensors[{i}]"
                )
            continue
        if not isinstance(g, (Tensor, np.ndarray)):
            raise TypeError(
                f"backward: gradients can be Tensors or None, but grad_tensors[{i}] is a "
                f"{type(g).__name__}"
            )
        if tuple(g.shape) != t.shape:
            raise RuntimeError(
                f"backward: grad_tensors[{i}] has shape {tuple(g.shape)} but tensors[{i}] has "
                f"shape {t.shape}"
            )
        if g.dtype != t.dtype:
            given[i] = g.astype(t.dtype)
    for i, t in enumerate(roots):
        if not t.requires_grad:
            raise RuntimeError(
                f"backward: element {i} of tensors does not require grad and has no grad_fn"
            )
    if not roots:
        return
    if create_graph:
        engine._refuse_traced_create_graph()
    gs = [engine._root_grad(t, g, create_graph) for t, g in zip(roots, given, strict=True)]
    engine._backward_from(roots, gs, retain_graph, create_graph, inputs)


def _as_tuple(inputs: Any) -> tuple[Any, ...]:
    """PyTorch's reading of `inputs`: a tuple as it is, a list as a tuple, anything else alone."""
    if isinstance(inputs, tuple):
        return inputs
    return tuple(inputs) if isinstance(inputs, list) else (inputs,)


def gradcheck(
    func: Any,
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """PyTorch's `torch.autograd.gradcheck(func, inputs)`: `gradcheck.gradcheck` on the inputs.

    `inputs` is a Tensor or a tuple (or list) of them, as in PyTorch; the check itself is the
    library's (see `tinygrad_lite.gradcheck.gradcheck`: float64 copies, Jᵀw for random w
    against central differences). PyTorch's other options (`fast_mode`, `nondet_tol`,
    `check_*`, `masked`) are not taken (TypeError).
    """
    return checks.gradcheck(
        func, *_as_tuple(inputs), eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception
    )


def gradgradcheck(
    func: Any,
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """PyTorch's `torch.autograd.gradgradcheck(func, inputs)`: `gradcheck.gradgradcheck`.

    `inputs` as in `gradcheck`. The output gradients are the check's own random ones, so
    `grad_outputs` must be None (given, it is refused rather than ignored).
    """
    if grad_outputs is not None:
        raise NotImplementedError(
            "gradgradcheck: grad_outputs is not supported (the check draws its own random "
            "output gradients); leave it None"
        )
    return checks.gradgradcheck(
        func, *_as_tuple(inputs), eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception
    )


# The names the core declares (see `tinygrad_lite.autograd`), and `torch.autograd.functional`'s
# import path: `autograd` is a module, not a package, so its submodule is registered by name.
autograd.grad = engine.grad
autograd.backward = backward
autograd.gradcheck = gradcheck
autograd.gradgradcheck = gradgradcheck
autograd.functional = autograd_fn
sys.modules[f"{autograd.__name__}.functional"] = autograd_fn
