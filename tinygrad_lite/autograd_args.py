"""How `autograd_fn` takes its arguments and nests its results, as `torch.autograd.functional`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .engine import grad as _grad
from .tensor import Tensor

__all__ = [
    "as_tuple",
    "call",
    "check_requires_grad",
    "fill_in_zeros",
    "postprocess",
    "preprocess",
    "second_order_setup",
    "unpack",
    "validate_v",
    "vjps",
]


def as_tuple(value: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether `value` was a tuple, `value` as a tuple of Tensors), checked as PyTorch does."""
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                f"but the {where} has type {type(el)}."
            )
    return is_tuple, items


def preprocess(ts: tuple[Tensor, ...], create_graph: bool, need_graph: bool) -> tuple[Tensor, ...]:
    """Fresh variables for `ts`: kept in the graph (a view) only with `create_graph`."""
    out = []
    for t in ts:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            d = t.detach()
            if need_graph:
                if d.data.dtype.kind != "f":
                    raise RuntimeError(
                        f"only Tensors of floating point dtype can require gradients, got an "
                        f"input of dtype {d.data.dtype}"
                    )
                d.requires_grad_(True)
            out.append(d)
    return tuple(out)


def postprocess(res: Any, create_graph: bool) -> Any:
    """`res` (nested tuples of Tensors) cut from the graph unless `create_graph`."""
    if isinstance(res[0], Tensor):
        return res if create_graph else tuple(t.detach() for t in res)
    return tuple(postprocess(r, create_graph) for r in res)


def unpack(res: Any, outputs_tuple: bool, inputs_tuple: bool | None = None) -> Any:
    """Drop the tuple levels that stand for a single Tensor (PyTorch's `_tuple_postprocess`)."""
    if inputs_tuple is not None and not inputs_tuple:
        res = tuple(r[0] for r in res)
    return res if outputs_tuple else res[0]


def validate_v(v: tuple[Tensor, ...], other: tuple[Tensor, ...], other_tuple: bool) -> None:
    """Refuse a v whose count or shapes differ from `other`'s (PyTorch's messages)."""
    if len(other) != len(v):
        if other_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (el_v, el) in enumerate(zip(v, other, strict=True)):
        if el_v.shape != el.shape:
            prepend = f"Entry {i} in " if other_tuple else ""
            raise RuntimeError(
                f"{prepend}v has invalid size: should be {el.shape} but got {el_v.shape}."
            )


_INDEPENDENT = {
    "hessian": "The hessian of the user-provided function with respect to input {i} is "
    "independent of the input. This is not allowed in strict mode. You should ensure that your "
    "function is thrice differentiable and that the hessian depends on the inputs.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided "
    "function with respect to input {i} is independent of the input. This is not allowed in "
    "strict mode. You should ensure that your function is twice differentiable and that the "
    "jacobian depends on the inputs (this would be violated by a linear function for example).",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the "
    "user-provided function. This is not allowed in strict mode.",
    "outputs": "Output {i} of the user-provided function does not require gradients. The "
    "outputs must be computed in a differentiable manner from the input when running in "
    "strict mode.",
}


def check_requires_grad(ts: tuple[Tensor | None, ...], kind: str, strict: bool) -> None:
    """In strict mode, refuse a result that is None or carries no graph (PyTorch's messages)."""
    if not strict:
        return
    for i, t in enumerate(ts):
        if t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode."
            )
        if not t.requires_grad:
            raise RuntimeError(_INDEPENDENT[kind].format(i=i))


def vjps(
    outputs: tuple[Tensor | None, ...],
    inputs: tuple[Tensor, ...],
    grad_outputs: tuple[Tensor | None, ...] | None = None,
    create_graph: bool = False,
    retain_graph: bool | None = None,
) -> tuple[Tensor | None, ...]:
    """Σᵢ vᵢᵀ ∂outᵢ/∂x per input x over the outputs that require grad (None where unused)."""
    gos = grad_outputs if grad_outputs is not None else (None,) * len(outputs)
    outs, vs = [], []
    for out, g in zip(outputs, gos, strict=True):
        if out is not None and out.requires_grad:
            outs.append(out)
            # A v of another float dtype is cast to the output's, as PyTorch's engine does.
            vs.append(g if g is None or g.dtype == out.dtype else g.astype(out.dtype))
    if not outs:
        return (None,) * len(inputs)
    return _grad(
        outs, inputs, vs, retain_graph=retain_graph, create_graph=create_graph, allow_unused=True
    )


_FILL_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is not "
    "allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode gradients. This "
    "is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
    "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} "
    "in the grad_jacobian. This is not allowed in strict mode as it prevents from using the "
    "double backward trick to replace forward mode AD.",
}


def fill_in_zeros(
    grads: tuple[Tensor | None, ...],
    refs: tuple[Tensor, ...],
    strict: bool,
    create_graph: bool,
    stage: str,
) -> tuple[Tensor, ...]:
    """Zeros (of the reference's shape) for the missing gradients; strict mode refuses them."""
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_FILL_MESSAGES[stage].format(i=i))
            g = Tensor(np.zeros_like(refs[i].data))
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode when create_graph=True."
            )
        res.append(g)
    return tuple(res)


def call(func: Callable[..., Any], inputs: tuple[Tensor, ...], fn_name: str) -> Any:
    """(whether func returned a tuple, its outputs as a tuple), checked as `as_tuple` does."""
    return as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)


def second_order_setup(
    func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool, strict: bool, name: str
) -> tuple[bool, tuple[Tensor, ...], bool, tuple[Tensor, ...], Any, tuple[Tensor | None, ...]]:
    """What `hvp` and `vhp` share: the checked inputs, v, output and gradient (with a graph).

    Returns:
        (inputs were a tuple, the inputs as variables, the output was a tuple, the outputs,
        v as a tuple or None, the gradient of the output with respect to each input).
    """
    inputs_tuple, ins = as_tuple(inputs, "inputs", name)
    ins = preprocess(ins, create_graph, need_graph=True)
    vs = None
    if v is not None:
        vs = preprocess(as_tuple(v, "v", name)[1], create_graph, need_graph=False)
        validate_v(vs, ins, inputs_tuple)
    elif len(ins) != 1 or ins[0].size != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a "
            "single Tensor with a single element."
        )
    outputs_tuple, outs = call(func, ins, name)
    check_requires_grad(outs, "outputs", strict)
    if outputs_tuple:
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if outs[0].size != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {name} should contain a single "
            f"element, got shape {outs[0].shape}"
        )
    jac = vjps(outs, ins, create_graph=True)
    check_requires_grad(jac, "jacobian", strict)
    return inputs_tuple, ins, outputs_tuple, outs, vs, jac
