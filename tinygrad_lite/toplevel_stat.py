"""PyTorch's integrals and covariances: trapezoid, cumulative_trapezoid, cov, corrcoef.

`tg.trapezoid` (and its older name `tg.trapz`), `tg.cumulative_trapezoid`, `tg.cov` and
`tg.corrcoef`, with PyTorch's formulas (so the same rounding where the order of operations
decides it), dtypes (integer samples give the default float) and refusals. Each is composed of
Tensor ops, so higher-order gradients and `tinygrad_lite.compile` work.

>>> import tinygrad_lite as tg
>>> tg.trapezoid(tg.tensor([1.0, 2.0, 3.0]), dx=0.5).item()
2.0
"""

from __future__ import annotations

from typing import Any

from .tensor import Tensor
from .tensor_shape import dim_arg

__all__ = ["corrcoef", "cov", "cumulative_trapezoid", "trapezoid", "trapz"]


def _t(x: Any, fn: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}: expected a Tensor, got {type(x).__name__}; wrap arrays with "
            "tinygrad_lite.tensor(...)"
        )
    return x


# ---------------------------------------------------------------------- integrals


def _ends(y: Tensor, d: int) -> tuple[Tensor, Tensor]:
    n = y.shape[d] - 1
    return y.narrow(d, 1, n), y.narrow(d, 0, n)


def _spacing(fn: str, y: Tensor, x: Any, dx: Any, d: int) -> Any:
    """The number dx, or the tensor of differences of x along d, shaped to broadcast with y."""
    if x is not None and dx is not None:
        raise TypeError(f"{fn}: give x or dx, not both")
    if x is None:
        return 1 if dx is None else dx
    xs = _t(x, fn)
    if xs.ndim == 1:
        if xs.shape[0] != y.shape[d]:
            raise ValueError(
                f"{fn}: there must be one x value per sample point, got {xs.shape[0]} x values "
                f"for {y.shape[d]} points"
            )
        view = [1] * y.ndim
        view[d] = max(xs.shape[0] - 1, 0)
        return xs.diff().reshape(view)
    return xs.diff(dim=d - y.ndim)


def trapezoid(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along `dim`: Σ (x_{i+1} − x_i)(y_i + y_{i+1})/2.

    Sample points x (1-D, or broadcasting with y), or an even spacing dx (1 by default).
    Integer y give floats. An empty dim gives zeros.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.trapezoid(tg.tensor([1.0, 2.0, 3.0]), tg.tensor([1.0, 2.0, 4.0])).item()
        6.5
    """
    v = _t(y, "trapezoid")
    if v.ndim == 0:
        raise ValueError("trapezoid: y must have at least one dimension")
    d = dim_arg(dim, v.ndim, "trapezoid")
    spacing = _spacing("trapezoid", v, x, dx, d)
    if v.shape[d] == 0:
        return v.sum(d) * 0.0
    if not isinstance(spacing, Tensor):
        ends = v.narrow(d, 0, 1).squeeze(d) + v.narrow(d, v.shape[d] - 1, 1).squeeze(d)
        return (v.sum(d) - ends * 0.5) * spacing
    right, left = _ends(v, d)
    return (spacing * (right + left)).sum(d) / 2.0


def trapz(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """`trapezoid` (PyTorch's older name)."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The running trapezoidal rule along `dim` (one fewer element than y there).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.cumulative_trapezoid(tg.tensor([1.0, 2.0, 3.0])).tolist()
        [1.5, 4.0]
    """
    v = _t(y, "cumulative_trapezoid")
    if v.ndim == 0:
        raise ValueError("cumulative_trapezoid: y must have at least one dimension")
    d = dim_arg(dim, v.ndim, "cumulative_trapezoid")
    spacing = _spacing("cumulative_trapezoid", v, x, dx, d)
    if v.shape[d] == 0:
        return v * 0.0
    right, left = _ends(v, d)
    if not isinstance(spacing, Tensor):
        return (spacing / 2.0 * (left + right)).cumsum(d)
    return ((left + right) * spacing).cumsum(d) / 2.0


# ---------------------------------------------------------------------- statistics


def cov(
    input: Tensor, *, correction: int = 1, fweights: Any = None, aweights: Any = None
) -> Tensor:
    """The covariance matrix of the variables in input's rows (observations in the columns).

    Σ w (x − x̄)(y − ȳ)ᵀ / (Σw − correction·Σ(w·a)/Σw) with w = fweights·aweights (integer
    frequencies, float importance weights), as PyTorch's; without weights Σ ... /(N − correction).
    A 1-D input is one variable (a 0-D result). Degrees of freedom ≤ 0 warn and divide by 0.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.cov(tg.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])).tolist()
        [[1.0, -1.0], [-1.0, 1.0]]
    """
    return _t(input, "cov").cov(correction=correction, fweights=fweights, aweights=aweights)


def corrcoef(input: Tensor) -> Tensor:
    """Pearson's correlation coefficients of the rows: cov / √(var_i var_j), clipped to [−1, 1].

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.corrcoef(tg.tensor([[0.0, 1.0, 2.0], [0.0, 2.0, 4.0]])).tolist()
        [[1.0, 1.0], [1.0, 1.0]]
    """
    return _t(input, "corrcoef").corrcoef()
