"""Finite-difference gradient checks in float64."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "numerical_grad"]


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with central finite differences."""


def _projected(fn: Callable[..., Tensor], args: list[Any], weights: np.ndarray | None) -> Any:
    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    return out, (out if weights is None else out * Tensor(weights))


def numerical_grad(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + eps) - f(x - eps)) / 2eps of a scalar f, element by element.

    `x` is perturbed in place and restored.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        hi = f()
        flat[i] = orig - eps
        lo = f()
        flat[i] = orig
        grad.flat[i] = (hi - lo) / (2.0 * eps)
    return grad


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Check the analytic gradient of `fn` w.r.t. every input that requires grad.

    Inputs are copied to float64 leaves (float32 ones are cast up for the check). A non-scalar
    output is reduced to a scalar with fixed random weights w, so the check covers Jᵀw.
    The analytic value a and numeric value n of every element must satisfy
    |a - n| <= atol + rtol·|n|.

    Args:
        fn: a function of the inputs that returns a Tensor.
        inputs: Tensors (checked if they require grad) and any other arguments.
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        seed: seed of the random projection weights.

    Returns:
        True when every gradient matches.

    Raises:
        GradcheckError: naming the input, the worst element's index, and both values.
    """
    args: list[Any] = []
    for x in inputs:
        if isinstance(x, Tensor):
            data = x.data.astype(np.float64) if x.data.dtype.kind == "f" else x.data
            args.append(Tensor(data.copy(), requires_grad=x.requires_grad))
        else:
            args.append(x)
    checked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    out, _ = _projected(fn, args, None)
    weights = None
    if out.size != 1:
        weights = np.random.default_rng(seed).standard_normal(out.shape)
    _, loss = _projected(fn, args, weights)
    loss.sum().backward()

    def value() -> float:
        _, y = _projected(fn, args, weights)
        return float(np.sum(y.data))

    for i in checked:
        x = args[i]
        analytic = np.zeros_like(x.data) if x.grad is None else x.grad.data
        if analytic.shape != x.data.shape:
            raise GradcheckError(
                f"gradcheck: input {i} has shape {x.data.shape} but its gradient has shape "
                f"{analytic.shape}"
            )
        numeric = numerical_grad(value, x.data, eps)
        err = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if err.size and (np.max(err) > 0 or not np.all(np.isfinite(analytic))):
            bad = np.nan_to_num(err, nan=np.inf)
            k = np.unravel_index(int(np.argmax(bad)), err.shape)
            raise GradcheckError(
                f"gradcheck: gradient of input {i} (shape {x.data.shape}) is wrong at index "
                f"{tuple(int(j) for j in k)}: analytic {float(analytic[k])!r}, "
                f"numeric {float(numeric[k])!r} "
                f"(atol={atol}, rtol={rtol})"
            )
    return True
