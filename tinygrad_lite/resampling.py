"""What a resize reads along one dimension: source coordinates, cubic taps, adaptive windows.

`upsample.interpolate` resizes one spatial dimension after the other. For each output position
of a dimension it reads a few input positions and weights them, and both depend on the sizes
alone, so they are computed here once, with NumPy, as PyTorch's CPU kernels compute them:

- the source coordinate src = s·(dst + ½) − ½ with s = in/out (or 1/scale_factor), or
  src = dst·(in − 1)/(out − 1) with align_corners; PyTorch's compiled kernels evaluate the
  first with a fused multiply-add (one rounding), and so does `source_coordinates`;
- the four taps of cubic convolution (Keys' kernel with a = −0.75): positions i₀ − 1 … i₀ + 2,
  clamped into the input, around i₀ = ⌊src⌋, with weights W(1 + t), W(t), W(1 − t), W(2 − t)
  of the fraction t = src − i₀, where W(x) = ((a + 2)x − (a + 3))x² + 1 for |x| ≤ 1 and
  W(x) = ((a·x − 5a)x + 8a)x − 4a for 1 < |x| < 2;
- the means over PyTorch's adaptive windows, ⌊i·n/out⌋ to ⌈(i + 1)·n/out⌉, which are both the
  adaptive average pools and interpolate's "area" mode.

`fused_multiply_add` rounds a·b + c once, exactly, in NumPy: with it the coordinates and weights
here equal PyTorch's bit for bit, in float64 and in float32.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .ops import Cat

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "CUBIC_A",
    "adaptive_means",
    "cubic_sources",
    "fresh",
    "fused_multiply_add",
    "source_coordinates",
]

CUBIC_A = -0.75  # the free parameter a of the cubic convolution kernel, as PyTorch chooses it


def _two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """(s, e) with s = a + b rounded and e its rounding error, exactly: s + e = a + b."""
    s = a + b
    v = s - a
    return s, (a - (s - v)) + (b - v)


def _split(a: Any) -> tuple[Any, Any]:
    """(h, l) with a = h + l exactly and each of at most 26 significant bits (Veltkamp)."""
    c = 134217729.0 * a  # 2²⁷ + 1
    h = c - (c - a)
    return h, a - h


def _odd_sum(a: Any, b: Any) -> Any:
    """The float64 sum a + b rounded to odd: itself if exact, else its neighbour ending in a 1 bit.

    Rounding to odd first and to nearest afterwards rounds as once to nearest, when the first
    rounding keeps at least two more bits than the second (Boldo and Melquiond, 2008).
    """
    s, e = _two_sum(a, b)
    even = (np.asarray(s, np.float64).view(np.int64) & 1) == 0
    beyond = np.nextafter(s, np.where(e > 0, np.inf, -np.inf))
    return np.where((e != 0) & even, beyond, s)


def fused_multiply_add(a: Any, b: Any, c: Any) -> Any:
    """The product a·b plus c rounded once, as a fused multiply-add instruction rounds it.

    In float32 the product of two singles is exact in double, and the sum, rounded to odd in
    double, rounds correctly to single. In float64 the product is split into its rounded value
    and its exact error (Dekker), the error and the rest of the sum are added rounded to odd,
    and the last addition rounds to nearest. Exact for finite values whose products neither
    overflow nor come near the subnormals, which holds for every coordinate and weight here.

    Args:
        a: an array (or number) of float64 or float32.
        b: the other factor, of the same dtype.
        c: the addend, of the same dtype.

    Returns:
        An array of that dtype.

    >>> 0.1 * 10.0 - 1.0, float(fused_multiply_add(0.1, 10.0, -1.0))
    (0.0, 5.551115123125783e-17)
    """
    dtype = np.result_type(a, b, c)
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    if dtype == np.float32:
        return np.asarray(_odd_sum(a * b, c)).astype(np.float32)
    p = a * b
    (ah, al), (bh, bl) = _split(a), _split(b)
    error = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # p + error = a·b exactly
    high, low = _two_sum(c, p)
    return high + _odd_sum(low, error)


def source_coordinates(
    size: int, out: int, scale: float | None, align_corners: bool, op: Any
) -> np.ndarray:
    """The input coordinate src of every output position, in the working precision `op`.

    Args:
        size: the input's size along the dimension.
        out: the output's size.
        scale: the scale factor the user gave (used as 1/scale), or None for size/out.
        align_corners: src = dst·(size − 1)/(out − 1) instead of s·(dst + ½) − ½.
        op: np.float64 or np.float32, PyTorch's working precision for the input's dtype.

    Returns:
        A vector of `out` coordinates of dtype `op`, not clamped (it can be below 0).
    """
    dst = np.arange(out).astype(op)
    if align_corners:
        return dst * (op(size - 1) / op(out - 1) if out > 1 else op(0))
    s = op(1.0 / scale) if scale is not None else op(size) / op(out)
    return fused_multiply_add(np.full(out, s, op), dst + op(0.5), np.full(out, op(-0.5), op))


def _near(x: np.ndarray, a: Any) -> np.ndarray:
    """W(x) for |x| ≤ 1: ((a + 2)x − (a + 3))·x·x + 1, the first step fused."""
    k = np.full_like(x, a + 2)
    return fused_multiply_add(k, x, np.full_like(x, -(a + 3))) * x * x + 1


def _far(x: np.ndarray, a: Any) -> np.ndarray:
    """W(x) for 1 < x < 2: ((a·x − 5a)·x + 8a)·x − 4a, the first two steps fused."""
    inner = fused_multiply_add(np.full_like(x, a), x, np.full_like(x, -5 * a))
    return fused_multiply_add(inner, x, np.full_like(x, 8 * a)) * x - 4 * a


def cubic_sources(
    size: int, out: int, scale: float | None, align_corners: bool, dtype: Any
) -> tuple[np.ndarray, np.ndarray]:
    """(index, weight): the four input positions each output position mixes, and their weights.

    With src from `source_coordinates`, i₀ = min(⌊float32(src)⌋, size − 1) (PyTorch rounds the
    coordinate to single precision before ⌊·⌋) and t = src − i₀ clamped to [0, 1], the taps
    are i₀ − 1, i₀, i₀ + 1, i₀ + 2, each clamped into [0, size), weighted W(1 + t), W(t),
    W(1 − t) and W(2 − t): see the module's formulas. The weights sum to 1 (up to rounding);
    a tap clamped onto the border element adds its weight to that element's.

    Args:
        size: the input's size along the dimension.
        out: the output's size.
        scale: the scale factor the user gave (used as 1/scale), or None for size/out.
        align_corners: map the first and last output elements onto the first and last input
            elements instead of aligning the pixels' edges.
        dtype: the input's dtype; the arithmetic is in double for float64, single otherwise.

    Returns:
        A (4, out) int64 array of positions and a (4, out) array of weights of `dtype`.
    """
    op = np.float64 if np.dtype(dtype) == np.float64 else np.float32
    src = source_coordinates(size, out, scale, align_corners, op)
    i0 = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), size - 1)
    t = np.clip(src - i0.astype(op), op(0), op(1))
    a = op(CUBIC_A)
    weight = np.stack([_far(t + 1, a), _near(t, a), _near(1 - t, a), _far((1 - t) + 1, a)])
    index = np.clip(i0 + np.arange(-1, 3)[:, None], 0, size - 1)
    return index, weight.astype(dtype)


def adaptive_means(x: Tensor, dim: int, out: int) -> Tensor:
    """Means over PyTorch's adaptive windows along `dim`: ⌊i·n/out⌋ to ⌈(i + 1)·n/out⌉.

    Args:
        x: a Tensor.
        dim: the dimension to pool (negative counts from the end).
        out: the number of windows, the output's size along `dim`.

    Returns:
        x itself when out equals the size along `dim`, else the Tensor of the means.
    """
    n = x.shape[dim]
    if out == n:
        return x
    parts = []
    for i in range(out):
        lo, hi = (i * n) // out, math.ceil((i + 1) * n / out)
        index = (slice(None),) * (dim % x.ndim) + (slice(lo, hi),)
        parts.append(x[index].mean(dim, keepdim=True))
    return Cat.apply(*parts, dim=dim % x.ndim)


def fresh(result: Tensor, input: Tensor) -> Tensor:
    """`result`, or a copy of it where it may share the input's memory.

    A pool or resize that keeps every size computes nothing; PyTorch still returns new memory,
    so that writing into the result in place cannot change the input.
    """
    if result is input or np.may_share_memory(result.data, input.data):
        return result.clone()
    return result
