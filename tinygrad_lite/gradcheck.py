"""Finite-difference gradient checks in float64, of first and second order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .engine import grad
from .finite_diff import GradcheckError, GradcheckWarning, compare_gradient, numerical_grad
from .module_check import gradcheck_module, gradient_difference, relative_difference
from .tensor import Tensor

__all__ = [
    "GradcheckError",
    "GradcheckWarning",
    "gradcheck",
    "gradcheck_module",
    "gradgradcheck",
    "gradient_difference",
    "numerical_grad",
    "relative_difference",
]


def _projected(fn: Callable[..., Tensor], args: list[Any], weights: np.ndarray | None) -> Any:
    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    return out, (out if weights is None else out * Tensor(weights))


def _float64_copies(inputs: tuple[Any, ...]) -> list[Any]:
    args: list[Any] = []
    for x in inputs:
        if isinstance(x, Tensor):
            data = x.data.astype(np.float64) if x.data.dtype.kind == "f" else x.data
            args.append(Tensor(data.copy(), requires_grad=x.requires_grad))
        else:
            args.append(x)
    return args


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    nonfinite: str = "fail",
    raise_exception: bool = True,
) -> bool:
    """Check the analytic gradient of `fn` w.r.t. every input that requires grad.

    Inputs are copied to float64 leaves (float32 ones are cast up for the check). A non-scalar
    output is reduced to a scalar with fixed random weights w, so the check covers Jᵀw.
    The analytic value a and numeric value n of every element must satisfy
    |a - n| <= atol + rtol·|n|, and both must be finite.

    Args:
        fn: a function of the inputs that returns a Tensor.
        inputs: Tensors (checked if they require grad) and any other arguments.
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        seed: seed of the random projection weights.
        nonfinite: "fail" (default): a NaN or infinite derivative is a mismatch; "skip": such
            elements are skipped, reported with a `GradcheckWarning`, and the rest checked.
        raise_exception: if False, a mismatch returns False instead of raising.

    PyTorch's form `gradcheck(fn, (x, y))`, the inputs as one tuple, is accepted too.

    Returns:
        True when every gradient matches.

    Raises:
        GradcheckError: naming the input, the worst element's index, and both values.
    """
    try:
        return _gradcheck(fn, fn, _torch_form(inputs), eps, atol, rtol, seed, nonfinite)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _torch_form(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """The inputs, unpacked when given as PyTorch gives them: one tuple of them."""
    if len(inputs) == 1 and isinstance(inputs[0], tuple):
        return inputs[0]
    return inputs


def _gradcheck(
    fn: Callable[..., Tensor],
    numeric_fn: Callable[..., Tensor],
    inputs: tuple[Any, ...],
    eps: float,
    atol: float,
    rtol: float,
    seed: int,
    nonfinite: str,
) -> bool:
    """`gradcheck`, with the finite differences taken of `numeric_fn` (same values as `fn`)."""
    if nonfinite not in ("fail", "skip"):
        raise ValueError(f"gradcheck: nonfinite must be 'fail' or 'skip', got {nonfinite!r}")
    args = _float64_copies(inputs)
    checked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    out, _ = _projected(fn, args, None)
    weights = None
    if out.size != 1:
        weights = np.random.default_rng(seed).standard_normal(out.shape)
    _, loss = _projected(fn, args, weights)
    if loss.requires_grad:
        loss.sum().backward()

    def value() -> float:
        _, y = _projected(numeric_fn, args, weights)
        return float(np.sum(y.data))

    for i in checked:
        x = args[i]
        analytic = np.zeros_like(x.data) if x.grad is None else x.grad.data
        numeric = numerical_grad(value, x.data, eps)
        compare_gradient(f"input {i}", x.data, analytic, numeric, atol, rtol, nonfinite)
    return True


def gradgradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives: the gradient of the first gradient, against finite differences.

    The first gradient (Jᵀw for fixed random weights w) is computed with `create_graph=True`
    and projected on fixed random directions u; `gradcheck` then compares the autograd
    gradient of that scalar, which differentiates the backward pass itself, with central
    differences of it, whose values come from first-order backward passes only (on arrays,
    recording no graph).

    Args:
        fn: a function of the inputs that returns a Tensor.
        inputs: Tensors (checked if they require grad) and any other arguments.
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        seed: seed of the random projections.
        raise_exception: if False, a mismatch returns False instead of raising.

    PyTorch's form `gradgradcheck(fn, (x, y))`, the inputs as one tuple, is accepted too.

    Returns:
        True when every second derivative matches.
    """
    inputs = _torch_form(inputs)
    rng = np.random.default_rng(seed + 1)
    directions: dict[int, np.ndarray] = {}
    weights: list[np.ndarray | None] = [None]

    def direction(k: int, t: Tensor) -> np.ndarray:
        if k not in directions:
            directions[k] = rng.standard_normal(t.shape)
        return directions[k]

    def first_gradient(*xs: Any, record: bool = True) -> Tensor:
        ts = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        out = fn(*xs)
        if weights[0] is None:
            weights[0] = rng.standard_normal(out.shape)
        total = (out * Tensor(weights[0])).sum()
        gs = grad(total, ts, create_graph=record, allow_unused=True)
        if not record:
            # A value for the finite differences: a first-order backward on arrays suffices,
            # and it adds the same terms in the same order as the recorded sum below.
            value = 0.0
            for k, (t, g) in enumerate(zip(ts, gs, strict=True)):
                if g is not None:
                    value += float(np.sum(g.data * direction(k, t)))
            return Tensor(value)
        result = sum(((t * 0.0).sum() for t in ts), Tensor(0.0))  # keeps every input in the graph
        for k, (t, g) in enumerate(zip(ts, gs, strict=True)):
            if g is not None:
                result = result + (g * Tensor(direction(k, t))).sum()
        return result

    def first_gradient_value(*xs: Any) -> Tensor:
        return first_gradient(*xs, record=False)

    try:
        return _gradcheck(
            first_gradient, first_gradient_value, inputs, eps, atol, rtol, seed, nonfinite="fail"
        )
    except GradcheckError:
        if raise_exception:
            raise
        return False
