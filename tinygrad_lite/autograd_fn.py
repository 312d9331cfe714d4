"""PyTorch's `torch.autograd.functional`: jacobian, hessian, vjp, jvp, hvp and vhp of a function.

Reached as `tinygrad_lite.autograd.functional`. Each function takes `func` and its `inputs`, a
Tensor or a tuple of Tensors, and nests its results as PyTorch does: a tuple of inputs gives a
tuple over the inputs, a function returning a tuple gives a tuple over the outputs, and
`jacobian(f, (x, y))` of such a function a tuple of tuples, `J[i][j]` = ∂outᵢ/∂inputⱼ of shape
outᵢ.shape + inputⱼ.shape. The inputs are detached copies unless `create_graph=True` and they
require grad; without `create_graph` the results carry no graph. Reverse mode throughout:
Jacobian rows are batched vector-Jacobian products (`grad_batch`), forward-mode products use the
double-backward trick (u ↦ Jᵀu is linear in u, and its vjp with cotangent v is Jv).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import autograd
from .autograd_args import (
    as_tuple,
    call,
    check_requires_grad,
    fill_in_zeros,
    postprocess,
    preprocess,
    second_order_setup,
    unpack,
    validate_v,
    vjps,
)
from .fn_tensors import cat
from .grad_batch import batched_grad
from .tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

_STRATEGIES = ("forward-mode", "reverse-mode")


def vjp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """`func(inputs)` and the vector-Jacobian product vᵀJ, shaped like the inputs.

    For outputs yᵢ the result for input x is Σᵢ vᵢᵀ ∂yᵢ/∂x.

    Args:
        func: a function of Tensors returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        v: one Tensor per output, in its shape; may be None only for one one-element output.
        create_graph: compute output and result with a graph, so they can be differentiated.
        strict: raise when an output does not depend on the inputs instead of giving zeros.

    Returns:
        (func's output, vjp), each nested as the output and the inputs were given.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.autograd.functional import vjp
        >>> vjp(lambda x: x * x, tg.tensor([1.0, 2.0]), tg.tensor([1.0, 1.0]))[1]
        Tensor([2., 4.])
    """
    with autograd.enable_grad():
        inputs_tuple, ins = as_tuple(inputs, "inputs", "vjp")
        ins = preprocess(ins, create_graph, need_graph=True)
        outputs_tuple, outs = call(func, ins, "vjp")
        check_requires_grad(outs, "outputs", strict)
        vs = None
        if v is not None:
            vs = preprocess(as_tuple(v, "v", "vjp")[1], create_graph, need_graph=False)
            validate_v(vs, outs, outputs_tuple)
        elif len(outs) != 1 or outs[0].size != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element."
            )
    with autograd.set_grad_enabled(create_graph or autograd.is_grad_enabled()):
        res = vjps(outs, ins, vs, create_graph=create_graph)
        result = fill_in_zeros(res, ins, strict, create_graph, "back")
    return _outputs_and(outs, outputs_tuple, result, inputs_tuple, create_graph)


def jvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """`func(inputs)` and the Jacobian-vector product J·v, shaped like the outputs.

    For inputs xⱼ the result for output y is Σⱼ ∂y/∂xⱼ vⱼ, computed by the double-backward
    trick: with u a variable of the output's shape, Jᵀu is linear in u and its vjp with
    cotangent v is Jv.

    Args:
        func: a function of Tensors returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        v: one Tensor per input, in its shape; may be None only for one one-element input.
        create_graph: compute output and result with a graph, so they can be differentiated.
        strict: raise when an output does not depend on the inputs instead of giving zeros.

    Returns:
        (func's output, jvp), both nested as the outputs.
    """
    with autograd.enable_grad():
        inputs_tuple, ins = as_tuple(inputs, "inputs", "jvp")
        ins = preprocess(ins, create_graph, need_graph=True)
        vs = None
        if v is not None:
            vs = preprocess(as_tuple(v, "v", "jvp")[1], create_graph, need_graph=False)
            validate_v(vs, ins, inputs_tuple)
        elif len(ins) != 1 or ins[0].size != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element."
            )
        outputs_tuple, outs = call(func, ins, "jvp")
        check_requires_grad(outs, "outputs", strict)
        us = tuple(Tensor(np.zeros_like(o.data), requires_grad=True) for o in outs)
        grad_inputs = vjps(outs, ins, us, create_graph=True)
        check_requires_grad(grad_inputs, "grad_inputs", strict)
    with autograd.set_grad_enabled(create_graph or autograd.is_grad_enabled()):
        res = vjps(grad_inputs, us, vs, create_graph=create_graph)
        result = fill_in_zeros(res, outs, strict, create_graph, "back_trick")
    return _outputs_and(outs, outputs_tuple, result, outputs_tuple, create_graph)


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of `func` at `inputs`: `J[i][j]` = ∂outᵢ/∂inputⱼ, of outᵢ.shape + inputⱼ.shape.

    A Tensor when func takes and returns one Tensor; a tuple over the inputs (or outputs) when
    those were a tuple; a tuple of tuples when both were. Computed by reverse mode, one batch
    of vector-Jacobian products per output (the rows of an identity as cotangents), for every
    `strategy` and `vectorize`; the results are the same.

    Args:
        func: a function of Tensors returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        create_graph: compute the Jacobian with a graph, so it can be differentiated.
        strict: raise when an output does not depend on an input instead of giving zeros.
        vectorize: PyTorch computes with vmap; accepted (same results).
        strategy: "reverse-mode" or "forward-mode" (which needs `vectorize=True` and no
            `create_graph` or `strict`, as in PyTorch; the result keeps a graph when an input
            requires grad, as PyTorch's forward-mode result does).

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.autograd.functional import jacobian
        >>> jacobian(lambda x: x * x, tg.tensor([1.0, 2.0]))
        Tensor([[2., 0.],
                [0., 4.]])
    """
    if strategy not in _STRATEGIES:
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode", got '
            f"{strategy!r}. Hint: If your function has more outputs than inputs, "
            '"forward-mode" tends to be more performant. Otherwise, prefer to use "reverse-mode".'
        )
    forward = strategy == "forward-mode"
    if forward:
        if create_graph:
            raise NotImplementedError(
                'jacobian: `create_graph=True` and `strategy="forward-mode"` are not supported '
                'together. Please either set `create_graph=False` or `strategy="reverse-mode"`.'
            )
        if strict:
            raise RuntimeError(
                'jacobian: `strict=True` and `strategy="forward-mode"` are not supported '
                'together. Please either set `strict=False` or `strategy="reverse-mode"`.'
            )
        if not vectorize:
            raise NotImplementedError(
                "jacobian: computing the Jacobian with forward-mode AD is only implemented for "
                "`vectorize=True`."
            )
        given = as_tuple(inputs, "inputs", "jacobian")[1]
        # Forward mode's tangents are differentiable in the inputs that require grad.
        create_graph = any(t.requires_grad for t in given)
    with autograd.enable_grad():
        inputs_tuple, ins = as_tuple(inputs, "inputs", "jacobian")
        ins = preprocess(ins, create_graph, need_graph=True)
        outputs_tuple, outs = call(func, ins, "jacobian")
        check_requires_grad(outs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError(
                "jacobian: `strict=True` and `vectorized=True` are not supported together. "
                "Please either set `strict=False` or `vectorize=False`."
            )
        jac = tuple(_jacobian_rows(i, out, ins, create_graph, strict) for i, out in enumerate(outs))
    res: Any = postprocess(jac, create_graph)
    if forward:  # PyTorch's forward mode nests its results in lists
        res = [_joined(row, out, ins) for row, out in zip(res, outs, strict=True)]
    return unpack(res, outputs_tuple, inputs_tuple)


def _joined(row: tuple[Tensor, ...], out: Tensor, ins: tuple[Tensor, ...]) -> list[Tensor]:
    """Output `out`'s Jacobian blocks as slices of one tensor, as forward mode computes them.

    PyTorch's forward mode gives the blocks of one output as parts of one tangent, so all of
    them carry a graph when one does; the blocks are joined and split again to match.
    """
    if len(row) < 2 or not any(t.requires_grad for t in row):
        return list(row)
    flat = cat([t.reshape(out.size, x.size) for t, x in zip(row, ins, strict=True)], dim=1)
    parts, start = [], 0
    for x in ins:
        parts.append(flat[:, start : start + x.size].reshape(out.shape + x.shape))
        start += x.size
    return parts


def _jacobian_rows(
    i: int, out: Tensor, ins: tuple[Tensor, ...], create_graph: bool, strict: bool
) -> tuple[Tensor, ...]:
    """∂out/∂x for every input x: out.size vector-Jacobian products in one batch."""
    n = out.size
    found: tuple[Tensor | None, ...] = (None,) * len(ins)
    if out.requires_grad and n:
        basis = np.eye(n, dtype=out.dtype).reshape((n, *out.shape))
        found = batched_grad(
            out, ins, Tensor(basis), retain_graph=True, create_graph=create_graph, allow_unused=True
        )
    rows = []
    for k, (g, x) in enumerate(zip(found, ins, strict=True)):
        if g is None:
            if strict and n:
                raise RuntimeError(
                    f"Output {i} of the user-provided function is independent of input {k}. "
                    "This is not allowed in strict mode."
                )
            rows.append(Tensor(np.zeros(out.shape + x.shape, dtype=x.dtype)))
            continue
        if strict and create_graph and not g.requires_grad:
            raise RuntimeError(
                f"The jacobian of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode when create_graph=True."
            )
        rows.append(g.reshape(out.shape + x.shape))
    return tuple(rows)


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar `func`: `H[i][j]` = ∂²f/∂inputᵢ∂inputⱼ, shape inᵢ.shape + inⱼ.shape.

    The Jacobian (with `outer_jacobian_strategy`) of func's gradient, itself a Jacobian
    computed with a graph. A Tensor for one input, a tuple of tuples for a tuple of inputs.

    Args:
        func: a function of Tensors returning a Tensor with one element.
        inputs: a Tensor or a tuple of Tensors.
        create_graph: compute the Hessian with a graph, so it can be differentiated.
        strict: raise when the output, the gradient or the Hessian does not depend on the
            inputs instead of giving zeros.
        vectorize: PyTorch computes with vmap; accepted (same results).
        outer_jacobian_strategy: "reverse-mode" or "forward-mode" (see `jacobian`).

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.autograd.functional import hessian
        >>> hessian(lambda x: (x * x * x).sum(), tg.tensor([1.0, 2.0]))
        Tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    inputs_tuple, ins = as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in _STRATEGIES:
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode", got '
            f"{outer_jacobian_strategy!r}."
        )

    def single_output(*xs: Tensor) -> Tensor:
        out = func(*xs)
        out_tuple, t_out = as_tuple(out, "outputs of the user-provided function", "hessian")
        check_requires_grad(t_out, "outputs", strict)
        if out_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.size != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                f"element, got shape {out.shape}"
            )
        return out.squeeze()

    def gradient(*xs: Tensor) -> tuple[Tensor, ...]:
        jac = jacobian(single_output, xs, create_graph=True)
        check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(gradient, ins, create_graph, strict, vectorize, strategy=outer_jacobian_strategy)
    return unpack(res, inputs_tuple, inputs_tuple)


def vhp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """`func(inputs)` and the vector-Hessian product vᵀH of a scalar `func`.

    The vjp of the gradient g(x) with cotangent v: Σⱼ vⱼᵀ ∂gⱼ/∂xᵢ for every input xᵢ.

    Args:
        func: a function of Tensors returning a Tensor with one element.
        inputs: a Tensor or a tuple of Tensors.
        v: one Tensor per input, in its shape; may be None only for one one-element input.
        create_graph: compute output and result with a graph, so they can be differentiated.
        strict: raise when the output or gradient does not depend on the inputs.

    Returns:
        (func's output, vhp nested as the inputs).
    """
    with autograd.enable_grad():
        inputs_tuple, ins, outputs_tuple, outs, vs, jac = second_order_setup(
            func, inputs, v, create_graph, strict, "vhp"
        )
    with autograd.set_grad_enabled(create_graph or autograd.is_grad_enabled()):
        res = vjps(jac, ins, vs, create_graph=create_graph)
        result = fill_in_zeros(res, ins, strict, create_graph, "double_back")
    return _outputs_and(outs, outputs_tuple, result, inputs_tuple, create_graph)


def hvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """`func(inputs)` and the Hessian-vector product H·v of a scalar `func`.

    Computed as PyTorch does, by the double-backward trick: with u a variable of the inputs'
    shapes, uᵀH is linear in u and its vjp with cotangent v is Hv (for a twice continuously
    differentiable func, Hv = (vᵀH)ᵀ, `vhp`'s result).

    Args:
        func: a function of Tensors returning a Tensor with one element.
        inputs: a Tensor or a tuple of Tensors.
        v: one Tensor per input, in its shape; may be None only for one one-element input.
        create_graph: compute output and result with a graph, so they can be differentiated.
        strict: raise when the output, gradient or Hessian does not depend on the inputs.

    Returns:
        (func's output, hvp nested as the inputs).
    """
    with autograd.enable_grad():
        inputs_tuple, ins, outputs_tuple, outs, vs, jac = second_order_setup(
            func, inputs, v, create_graph, strict, "hvp"
        )
        us = tuple(Tensor(np.zeros_like(x.data), requires_grad=True) for x in ins)
        double_back = vjps(jac, ins, us, create_graph=True)
        check_requires_grad(jac, "hessian", strict)
    with autograd.set_grad_enabled(create_graph or autograd.is_grad_enabled()):
        res = vjps(double_back, us, vs, create_graph=create_graph)
        result = fill_in_zeros(res, ins, strict, create_graph, "double_back_trick")
    return _outputs_and(outs, outputs_tuple, result, inputs_tuple, create_graph)


def _outputs_and(
    outs: Any, outputs_tuple: bool, result: Any, result_tuple: bool, create_graph: bool
) -> tuple[Any, Any]:
    """(func's outputs, the product): detached unless `create_graph`, unpacked as PyTorch does."""
    return (
        unpack(postprocess(outs, create_graph), outputs_tuple),
        unpack(postprocess(result, create_graph), result_tuple),
    )
