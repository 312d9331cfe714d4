"""The Tensor's unique values, counts, histograms and covariances: unique, bincount, histc, cov, ...

PyTorch's methods, as it computes them: the same dtypes (int64 positions and counts), the same
treatment of NaN (every NaN is its own value, and sorts after every number) and the same
refusals. Positions, counts and histograms carry no gradient; `bincount` with float weights
differentiates in the weights; `cov` and `corrcoef` are composed of Tensor ops, so they have
gradients of every order. The top-level `tg.unique`,
`tg.bincount`, `tg.histc`, `tg.count_nonzero`, `tg.cov`, ... call these methods.

>>> from tinygrad_lite import tensor
>>> values, counts = tensor([3, 1, 3, 2]).unique(return_counts=True)
>>> values.tolist(), counts.tolist()
([1, 2, 3], [1, 1, 2])
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes, tracing
from ..tensor_shape import constant_result, dim_arg

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["TensorCountMethods"]


def _results(values: np.ndarray, inverse: Any, counts: Any, ri: bool, rc: bool) -> Any:
    out = constant_result(values)
    if not (ri or rc):
        return out
    extra = [
        constant_result(np.asarray(a, dtype=np.int64))
        for a, f in ((inverse, ri), (counts, rc))
        if f
    ]
    return (out, *extra)


def _grouped(
    moved: np.ndarray, rows: np.ndarray, order: np.ndarray, a: int, ri: bool, rc: bool
) -> Any:
    """Group the slices `rows[order]` into runs of equal slices (NaN never equal)."""
    ranked = rows[order]
    new = np.ones(len(ranked), dtype=bool)
    if len(ranked) > 1:
        new[1:] = np.any(ranked[1:] != ranked[:-1], axis=1)
    starts = np.flatnonzero(new)
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    counts = np.diff(np.append(starts, len(ranked)))
    values = np.moveaxis(moved[order[starts]], 0, a)
    return _results(values, inverse, counts, ri, rc)


def _slices(op: str, x: np.ndarray, a: int) -> tuple[np.ndarray, np.ndarray]:
    """The slices along dim `a` (moved to the front) and each one's values as a row."""
    if x.ndim == 0:
        raise ValueError(f"{op}: dim needs a tensor of at least one dimension")
    if x.size == 0 and x.shape[a] != 0:
        raise ValueError(
            f"{op}: the tensor of shape {x.shape} has a dimension of size 0 other than dim "
            f"{a}, so there are no slices to compare (PyTorch refuses this too)"
        )
    moved = np.moveaxis(x, a, 0)
    return moved, moved.reshape(moved.shape[0], math.prod(moved.shape[1:]))


def _weights(name: str, w: Any, n: int, integral: bool) -> Tensor:
    if not hasattr(w, "_ctx"):
        raise TypeError(f"cov: {name} must be a Tensor, got {type(w).__name__}")
    wt: Tensor = w
    if wt.ndim > 1:
        raise ValueError(f"cov: {name} must have one or fewer dimensions, got shape {wt.shape}")
    if integral and wt.dtype.kind not in "iu":
        raise TypeError(f"cov: fweights must have an integer dtype, got {wt.dtype}")
    if not integral and wt.dtype.kind != "f":
        raise TypeError(f"cov: aweights must have a float dtype, got {wt.dtype}")
    if wt.numel() != n:
        raise ValueError(
            f"cov: {name} must hold one value per observation, got {wt.numel()} != {n}"
        )
    if n and wt.data.min() < 0:
        raise ValueError(f"cov: {name} cannot be negative")
    return wt.reshape(-1)


class TensorCountMethods:
    """Counting, histograms, covariances and order statistics of `Tensor` (see the module)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def _wrap(self, other: Any, op: str) -> Tensor: ...

    # ------------------------------------------------------------------ unique values

    def unique(
        self,
        sorted: bool = True,  # noqa: A002 - PyTorch's name
        return_inverse: bool = False,
        return_counts: bool = False,
        dim: int | None = None,
    ) -> Any:
        """The distinct values (or, with `dim`, the distinct slices along it), in ascending order.

        With `return_inverse`, also the int64 position of each input element (input's shape;
        with `dim`, one per slice) in the result; with `return_counts`, how often each value
        occurs. NaN values are all distinct, as in PyTorch. The result is always sorted
        (PyTorch's CPU result for `sorted=False` is sorted too) and carries no gradient.

        Example:
            >>> from tinygrad_lite import tensor
            >>> values, inverse = tensor([[3, 1], [3, 2]]).unique(return_inverse=True)
            >>> values.tolist(), inverse.tolist()
            ([1, 2, 3], [[2, 0], [2, 1]])
        """
        x = self.data
        if dim is None:
            values, inverse, counts = np.unique(
                x.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False
            )
            return _results(values, inverse.reshape(x.shape), counts, return_inverse, return_counts)
        a = dim_arg(dim, x.ndim, "unique")
        moved, rows = _slices("unique", x, a)
        order = np.lexsort(rows.T[::-1]) if rows.shape[1] else np.arange(rows.shape[0])
        return _grouped(moved, rows, order, a, return_inverse, return_counts)

    def unique_consecutive(
        self, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
    ) -> Any:
        """The values with each run of equal consecutive values (or slices along `dim`) kept once.

        The optional int64 inverse and counts are as `unique`'s.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1, 1, 2, 2, 1]).unique_consecutive().tolist()
            [1, 2, 1]
        """
        x = self.data
        if dim is None:
            flat = x.reshape(-1, 1)
            values, inverse, counts = _grouped(flat, flat, np.arange(len(flat)), 0, True, True)
            return _results(
                values.data.reshape(-1), inverse.data.reshape(x.shape), counts.data,
                return_inverse, return_counts,
            )  # fmt: skip
        a = dim_arg(dim, x.ndim, "unique_consecutive")
        moved, rows = _slices("unique_consecutive", x, a)
        return _grouped(moved, rows, np.arange(rows.shape[0]), a, return_inverse, return_counts)

    # ------------------------------------------------------------------ counting

    def count_nonzero(self, dim: Any = None) -> Tensor:
        """The int64 number of nonzero elements (over everything, or over `dim`, an int or tuple).

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[0, 1], [2, 3]]).count_nonzero(dim=0).tolist()
            [1, 2]
        """
        x = self.data
        axes: Any = None
        if dim is not None:
            dims = [dim] if isinstance(dim, (int, np.integer)) else list(dim)
            if not dims:
                raise ValueError(
                    f"count_nonzero: dim={dim!r} is ambiguous: PyTorch counts over all dims for "
                    "an empty dim, NumPy (axis=()) over none; pass dim=None to count them all"
                )
            axes = tuple(dim_arg(d, x.ndim, "count_nonzero") for d in dims)
            if len(set(axes)) != len(axes):
                raise ValueError(f"count_nonzero: dim {dim!r} names a dimension twice")
            if x.ndim == 0:  # a 0-d tensor's dim 0 (or -1) is the tensor itself
                axes = None
        return constant_result(np.asarray(np.count_nonzero(x, axis=axes), dtype=np.int64))

    def nonzero_static(self, *, size: int, fill_value: int = -1) -> Tensor:
        """`nonzero()`'s (count, ndim) positions with exactly `size` rows.

        The first `size` positions, or all of them followed by rows of `fill_value`.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([0, 3, 0, 4]).nonzero_static(size=3).tolist()
            [[1], [3], [-1]]
        """
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise ValueError(f"nonzero_static: size must be an int >= 0, got {size!r}")
        found = np.argwhere(self.data)[:size]
        pad = np.full((size - len(found), found.shape[1]), fill_value, dtype=np.int64)
        return constant_result(np.concatenate([found.astype(np.int64), pad]))

    def bincount(self, weights: Any = None, minlength: int = 0) -> Tensor:
        """How often each value 0, 1, ..., max(self) occurs in a 1-D tensor of non-negative ints.

        The length is max(self) + 1, or `minlength` if larger. Without weights the counts are
        int64; with weights each occurrence adds its weight: float32 and float64 weights keep
        their dtype, float16, integer and bool weights give float64 (as PyTorch); an empty
        input gives int64 zeros whatever the weights (as PyTorch). Float weights get a gradient
        (each weight's is the gradient of its bin; PyTorch has no derivative here).

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1, 1, 3]).bincount(minlength=5).tolist()
            [0, 2, 0, 1, 0]
        """
        x = self.data
        if isinstance(minlength, bool) or not isinstance(minlength, (int, np.integer)):
            raise TypeError(f"bincount: minlength must be an int, got {minlength!r}")
        if minlength < 0:
            raise ValueError(f"bincount: minlength must be >= 0, got {minlength}")
        if x.ndim != 1 or x.dtype.kind not in "iu" or (x.size and x.min() < 0):
            raise ValueError(
                "bincount: needs a 1-D tensor of non-negative integers, got "
                f"shape {x.shape}, dtype {x.dtype}" + (f", min {x.min()}" if x.size else "")
            )
        n = max(int(x.max()) + 1 if x.size else 0, int(minlength))
        if weights is None:
            return constant_result(np.bincount(x, minlength=n).astype(np.int64))
        w = weights if hasattr(weights, "_ctx") else self._wrap(np.asarray(weights), "bincount")
        if w.shape != x.shape:
            raise ValueError(
                f"bincount: weights must be 1-D and as long as input, got shapes {w.shape} and "
                f"{x.shape}"
            )
        if x.size == 0:  # PyTorch's answer for no values: int64 zeros, whatever the weights
            return constant_result(np.zeros(n, dtype=np.int64))
        if w.dtype.kind != "f":
            return constant_result(np.bincount(x, w.data.astype(np.float64), minlength=n))
        if w.dtype.itemsize < 4:  # PyTorch sums float16 weights in float64, float32 in float32
            w = w.astype(np.float64)
        return self._wrap(np.zeros(n, w.dtype), "bincount").index_add(0, x, w)

    def histc(self, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
        """The histogram of the values in `bins` equal bins over [min, max], as PyTorch's.

        min = max (the default) takes the data's own range (widened by 1 each way when it is a
        single value); values outside the range and NaN are left out; the last bin includes
        max. A value's bin is ⌊(x − min)·bins/(max − min)⌋ in the input's float dtype, as
        PyTorch's. The counts are in the input's dtype (floats only) and carry no gradient.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1.0, 2.0, 1.0, 4.0]).histc(bins=4, min=0, max=3).tolist()
            [0.0, 2.0, 1.0, 0.0]
        """
        x = self.data
        if x.dtype.kind != "f":
            raise TypeError(f"histc: needs a float tensor, got dtype {x.dtype}")
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins <= 0:
            raise ValueError(f"histc: bins must be a positive int, got {bins!r}")
        lo, hi = float(min), float(max)
        if lo > hi:
            raise ValueError(f"histc: max must be larger than min, got min {lo} and max {hi}")
        if lo == hi and x.size:
            lo, hi = float(x.min()), float(x.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"histc: the range [{lo}, {hi}] is not finite")
        dt = x.dtype.type
        left, right = dt(lo), dt(hi)
        v = x.reshape(-1)
        v = v[(v >= left) & (v <= right)]
        with np.errstate(over="ignore", invalid="ignore"):
            pos = ((v - left) * dt(bins) / (right - left)).astype(np.int64)
        pos = np.minimum(pos, bins - 1)
        return constant_result(np.bincount(pos, minlength=bins).astype(x.dtype))

    # ------------------------------------------------------------------ covariances

    def cov(self, *, correction: int = 1, fweights: Any = None, aweights: Any = None) -> Tensor:
        """The covariance matrix of the variables in self's rows (observations in the columns).

        Σ w (x − x̄)(y − ȳ)ᵀ / (Σw − correction·Σ(w·a)/Σw) with w = fweights·aweights
        (integer frequencies, float importance weights), as PyTorch's; without weights
        Σ ... /(N − correction). A 1-D input is one variable (a 0-D result). Degrees of
        freedom ≤ 0 warn and divide by 0.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]).cov().tolist()
            [[1.0, -1.0], [-1.0, 1.0]]
        """
        x: Tensor = self  # type: ignore[assignment]
        if x.ndim > 2:
            raise ValueError(f"cov: input must have two or fewer dimensions, got shape {x.shape}")
        if x.dtype.kind == "b":
            raise TypeError("cov: bool input is not supported")
        m = x.reshape(1, -1) if x.ndim < 2 else x
        n = m.shape[1]
        dt = m.dtype if m.dtype.kind == "f" else dtypes.DEFAULT_FLOAT
        w: Tensor | None = None
        if fweights is not None:
            w = _weights("fweights", fweights, n, True).astype(dt)
        aw = None if aweights is None else _weights("aweights", aweights, n, False)
        if aw is not None:
            w = aw if w is None else w * aw
        if w is None:
            avg = m.sum(1) / n
            norm: Any = n - correction
        else:
            w_sum = w.sum()
            if float(w_sum.item()) == 0:
                raise ValueError("cov: the weights sum to zero and cannot be normalised")
            avg = (m * w).sum(1) / w_sum
            norm = (
                w_sum - correction * (w * aw).sum() / w_sum
                if aw is not None and correction
                else (w_sum - correction)
            )
        if float(norm.item() if hasattr(norm, "_ctx") else norm) <= 0:
            warnings.warn(
                "cov: degrees of freedom <= 0; correction should be less than the number of "
                "observations",
                UserWarning,
                stacklevel=2,
            )
            norm = norm * 0
        centred = m - avg.unsqueeze(1)
        c = centred @ (centred if w is None else centred * w).mT
        with tracing.errstate(divide="ignore", invalid="ignore"):
            return (c / norm).squeeze()

    def corrcoef(self) -> Tensor:
        """Pearson's correlation coefficients of the rows: cov / √(var_i var_j), in [−1, 1].

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[0.0, 1.0, 2.0], [0.0, 2.0, 4.0]]).corrcoef().tolist()
            [[1.0, 1.0], [1.0, 1.0]]
        """
        c = self.cov()
        with tracing.errstate(divide="ignore", invalid="ignore"):
            if c.ndim == 0:
                return c / c
            std = c.diagonal().sqrt()
            return (c / std.reshape(-1, 1) / std.reshape(1, -1)).clamp(-1, 1)
