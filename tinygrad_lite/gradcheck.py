"""Finite-difference gradient checks in float64, of first and second order."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .engine import grad
from .tensor import Tensor

__all__ = [
    "GradcheckError",
    "GradcheckWarning",
    "gradcheck",
    "gradgradcheck",
    "numerical_grad",
]


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with central finite differences."""


class GradcheckWarning(UserWarning):
    """Elements were skipped because a derivative is not finite (`nonfinite="skip"`)."""


def _projected(fn: Callable[..., Tensor], args: list[Any], weights: np.ndarray | None) -> Any:
    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    return out, (out if weights is None else out * Tensor(weights))


def numerical_grad(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + eps) - f(x - eps)) / 2eps of a scalar f, element by element.

    `x` is perturbed in place and restored.
    """
    g = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        hi = f()
        flat[i] = orig - eps
        lo = f()
        flat[i] = orig
        g.flat[i] = (hi - lo) / (2.0 * eps)
    return g


def _float64_copies(inputs: tuple[Any, ...]) -> list[Any]:
    args: list[Any] = []
    for x in inputs:
        if isinstance(x, Tensor):
            data = x.data.astype(np.float64) if x.data.dtype.kind == "f" else x.data
            args.append(Tensor(data.copy(), requires_grad=x.requires_grad))
        else:
            args.append(x)
    return args


def _compare(
    i: int,
    x: np.ndarray,
    analytic: np.ndarray,
    numeric: np.ndarray,
    atol: float,
    rtol: float,
    nonfinite: str,
) -> None:
    if analytic.shape != x.shape:
        raise GradcheckError(
            f"gradcheck: input {i} has shape {x.shape} but its gradient has shape {analytic.shape}"
        )
    finite = np.isfinite(analytic) & np.isfinite(numeric)
    # written so that NaN anywhere counts as a mismatch: NaN <= tol is False
    close = np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric)
    if nonfinite == "skip":
        skipped = int(np.count_nonzero(~finite))
        if skipped:
            where = [tuple(int(j) for j in k) for k in np.argwhere(~finite)[:5]]
            warnings.warn(
                f"gradcheck: input {i}: skipped {skipped} element(s) whose analytic or "
                f"numeric derivative is not finite, e.g. at {where}",
                GradcheckWarning,
                stacklevel=3,
            )
        close |= ~finite
    if not np.all(close):
        err = np.where(close, -np.inf, np.abs(analytic - numeric))
        err = np.nan_to_num(err, nan=np.inf, posinf=np.inf)
        k = np.unravel_index(int(np.argmax(err)), err.shape)
        raise GradcheckError(
            f"gradcheck: gradient of input {i} (shape {x.shape}) is wrong at index "
            f"{tuple(int(j) for j in k)}: analytic {float(analytic[k])!r}, "
            f"numeric {float(numeric[k])!r} (atol={atol}, rtol={rtol})"
            + ("" if finite[k] else "; a non-finite derivative counts as wrong")
        )


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    nonfinite: str = "fail",
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

    Returns:
        True when every gradient matches.

    Raises:
        GradcheckError: naming the input, the worst element's index, and both values.
    """
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
        _, y = _projected(fn, args, weights)
        return float(np.sum(y.data))

    for i in checked:
        x = args[i]
        analytic = np.zeros_like(x.data) if x.grad is None else x.grad.data
        numeric = numerical_grad(value, x.data, eps)
        _compare(i, x.data, analytic, numeric, atol, rtol, nonfinite)
    return True


def gradgradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Check second derivatives: the gradient of the first gradient, against finite differences.

    The first gradient (Jᵀw for fixed random weights w) is computed with `create_graph=True`
    and projected on fixed random directions u; `gradcheck` then compares the autograd
    gradient of that scalar, which differentiates the backward pass itself, with central
    differences of it, which use first-order gradients only.

    Args:
        fn: a function of the inputs that returns a Tensor.
        inputs: Tensors (checked if they require grad) and any other arguments.
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        seed: seed of the random projections.

    Returns:
        True when every second derivative matches.
    """
    rng = np.random.default_rng(seed + 1)
    directions: dict[int, np.ndarray] = {}
    weights: list[np.ndarray | None] = [None]

    def first_gradient(*xs: Any) -> Tensor:
        ts = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        out = fn(*xs)
        if weights[0] is None:
            weights[0] = rng.standard_normal(out.shape)
        total = (out * Tensor(weights[0])).sum()
        gs = grad(total, ts, create_graph=True, allow_unused=True)
        result = sum(((t * 0.0).sum() for t in ts), Tensor(0.0))  # keeps every input in the graph
        for k, (t, g) in enumerate(zip(ts, gs, strict=True)):
            if g is None:
                continue
            if k not in directions:
                directions[k] = rng.standard_normal(t.shape)
            result = result + (g * Tensor(directions[k])).sum()
        return result

    return gradcheck(first_gradient, *inputs, eps=eps, atol=atol, rtol=rtol, seed=seed)
