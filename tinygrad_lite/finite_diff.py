"""Central finite differences, and analytic gradients compared with them element by element."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

__all__ = ["GradcheckError", "GradcheckWarning", "compare_gradient", "numerical_grad"]


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with central finite differences."""


class GradcheckWarning(UserWarning):
    """Elements were skipped because a derivative is not finite (`nonfinite="skip"`)."""


def numerical_grad(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + eps) - f(x - eps)) / 2eps of a scalar f, element by element.

    `x` is perturbed in place, through its own indices (so a view of any memory layout, a
    transpose say, moves the elements f reads), and restored.
    """
    g = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        orig = x[index]
        x[index] = orig + eps
        hi = f()
        x[index] = orig - eps
        lo = f()
        x[index] = orig
        g[index] = (hi - lo) / (2.0 * eps)
    return g


def compare_gradient(
    what: str,
    x: np.ndarray,
    analytic: np.ndarray,
    numeric: np.ndarray,
    atol: float,
    rtol: float,
    nonfinite: str,
    func: str = "gradcheck",
) -> None:
    """Raise `GradcheckError` unless |a − n| <= atol + rtol·|n| for every element, both finite.

    a is `analytic`, n `numeric`, each of `x`'s shape; the message names `what`, the worst
    element's index and both values. With `nonfinite="skip"`, elements where a or n is not
    finite are skipped and reported with a `GradcheckWarning` (issued for the caller's caller).

    Args:
        what: the checked tensor, in words ("input 0", "parameter 'weight'").
        x: the checked values.
        analytic: a, autograd's gradient.
        numeric: n, the central differences.
        atol: absolute tolerance.
        rtol: relative tolerance.
        nonfinite: "fail" (a non-finite a or n is a mismatch) or "skip".
        func: the checker's name, which the messages start with.

    Raises:
        GradcheckError: a shape differs from `x`'s, or an element is out of tolerance.
    """
    if analytic.shape != x.shape:
        raise GradcheckError(
            f"{func}: {what} has shape {x.shape} but its gradient has shape {analytic.shape}"
        )
    finite = np.isfinite(analytic) & np.isfinite(numeric)
    # written so that NaN anywhere counts as a mismatch: NaN <= tol is False
    close = np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric)
    if nonfinite == "skip":
        skipped = int(np.count_nonzero(~finite))
        if skipped:
            where = [tuple(int(j) for j in k) for k in np.argwhere(~finite)[:5]]
            warnings.warn(
                f"{func}: {what}: skipped {skipped} element(s) whose analytic or "
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
            f"{func}: gradient of {what} (shape {x.shape}) is wrong at index "
            f"{tuple(int(j) for j in k)}: analytic {float(analytic[k])!r}, "
            f"numeric {float(numeric[k])!r} (atol={atol}, rtol={rtol})"
            + ("" if finite[k] else "; a non-finite derivative counts as wrong")
        )
