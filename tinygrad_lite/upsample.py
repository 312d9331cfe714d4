"""Resizing on Tensors, as PyTorch's `F.interpolate`: nearest, (bi/tri)linear, bicubic and area.

Every output position along a resized dimension reads from source positions in the input:
one for the nearest modes, two neighbours with weights λ₀ + λ₁ = 1 for the linear ones, four
for bicubic. The positions and weights depend on the sizes alone, so they are computed once
with NumPy, and the resize is `index_select` of them (times the weights), one dimension after
the other: the gradient of every output element goes back to the elements it was read from,
with its weight, and gradients of every order come from indexing's. "area" is the adaptive
average pool (`resampling.adaptive_means` along each dimension), as in PyTorch.

The source coordinate follows PyTorch's CPU kernels step by step, including where they round
it to single precision or fuse a multiply-add, so that an output element reads the same input
elements with the same weights as PyTorch's, bit for bit (the sums of the weighted elements
round each product, where PyTorch's compiled kernels fuse the multiply-adds: they agree to
about one rounding). With scale s = in/out (or 1/scale_factor when that is given and not
recomputed),

- nearest: ⌊dst·s⌋; nearest-exact: ⌊(dst + ½)·s⌋; both at most in − 1;
- linear: src = dst·(in − 1)/(out − 1) with align_corners, else max(s·(dst + ½) − ½, 0); it
  reads i₀ = min(⌊src⌋, in − 1) with λ₁ = src − i₀ (clamped to [0, 1]) and i₁ = i₀ + 1
  (i₀ itself at the last element) with λ₀ = 1 − λ₁;
- bicubic: the same src, not clamped at 0, and the four taps of cubic convolution around it
  (see `resampling.cubic_sources`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .convolution import float_input
from .resampling import adaptive_means, cubic_sources, fresh, source_coordinates
from .tensor import Tensor

__all__ = ["MODES", "interpolate", "linear_sources", "nearest_sources", "output_sizes"]

MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
# the modes that take align_corners, and the input's number of dimensions each needs
_INTERPOLATING = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_SHAPES = {3: "(N, C, L)", 4: "(N, C, H, W)", 5: "(N, C, D, H, W)"}
_ANY_SHAPE = "3-D (N, C, L), 4-D (N, C, H, W) or 5-D (N, C, D, H, W) input"


def nearest_sources(
    size: int, out: int, scale: float | None, exact: bool, dims: int, dtype: Any
) -> Any:
    """The input position each output position reads in mode "nearest" (or "nearest-exact").

    Args:
        size: the input's size along the dimension.
        out: the output's size.
        scale: the scale factor the user gave (used as 1/scale), or None for size/out.
        exact: "nearest-exact" (⌊(dst + ½)·s⌋) instead of "nearest" (⌊dst·s⌋).
        dims: 1, 2 or 3 spatial dimensions. PyTorch's 2-D kernel works in single precision
            throughout (and copies, or halves the position, when out is size or 2·size);
            its 1-D and 3-D kernels compute in the input's precision and round the
            coordinate to single precision before ⌊·⌋.
        dtype: the input's dtype.

    Returns:
        An int64 vector of `out` positions in [0, size).
    """
    dst = np.arange(out, dtype=np.int64)
    if dims == 2 and not exact and out in (size, 2 * size):
        return dst if out == size else dst // 2
    op = np.float64 if dims != 2 and np.dtype(dtype) == np.float64 else np.float32
    s = op(1.0 / scale) if scale is not None else op(size) / op(out)
    t = dst.astype(op) + op(0.5) if exact else dst.astype(op)
    return np.minimum(np.floor((t * s).astype(np.float32)).astype(np.int64), size - 1)


def linear_sources(
    size: int, out: int, scale: float | None, align_corners: bool, dtype: Any
) -> tuple[Any, Any, Any, Any]:
    """(i₀, i₁, λ₀, λ₁): the two input positions each output position mixes, and their weights.

    Computed in the input's precision (double for float64, single otherwise), src by
    `resampling.source_coordinates` and clamped at 0, the index rounded as PyTorch rounds it:
    i₀ = min(⌊float32(src)⌋, size − 1).

    Args:
        size: the input's size along the dimension.
        out: the output's size.
        scale: the scale factor the user gave (used as 1/scale), or None for size/out.
        align_corners: map the first and last output elements onto the first and last input
            elements (src = dst·(size − 1)/(out − 1)) instead of aligning the pixels' edges.
        dtype: the input's dtype.

    Returns:
        Two int64 vectors of positions and two weight vectors of `dtype`, each of length out.
    """
    op = np.float64 if np.dtype(dtype) == np.float64 else np.float32
    src = np.maximum(source_coordinates(size, out, scale, align_corners, op), op(0))
    i0 = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), size - 1)
    lambda1 = np.clip(src - i0.astype(op), op(0), op(1))
    i1 = i0 + (i0 < size - 1)
    return i0, i1, (op(1) - lambda1).astype(dtype), lambda1.astype(dtype)


def _real(op: str, name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must hold real numbers, got {v!r}")
    return float(v)


def output_sizes(
    op: str, spatial: tuple[int, ...], size: Any, scale_factor: Any
) -> tuple[tuple[int, ...], tuple[float, ...] | None]:
    """The output's spatial sizes, and the scale factors given (None when a size is).

    Args:
        op: the caller's name, for the errors.
        spatial: the input's spatial sizes.
        size: an int, or one int per spatial dimension; or None.
        scale_factor: a number, or one per spatial dimension; or None. The output size is
            ⌊in·scale_factor⌋.

    Raises:
        ValueError: both or neither given, a count that does not match the input's spatial
            dimensions, or an empty input or output.
        TypeError: sizes that are not ints, or scale factors that are not real numbers.
    """
    n = len(spatial)
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give either size or scale_factor (exactly one of them)")
    given, name = (size, "size") if size is not None else (scale_factor, "scale_factor")
    items = tuple(given) if isinstance(given, Sequence) else (given,) * n
    if len(items) != n:
        raise ValueError(
            f"{op}: {name} {given!r} does not give one value per spatial dimension of the "
            f"input, whose spatial sizes are {spatial}"
        )
    scales = None
    if size is not None:
        if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in items):
            raise TypeError(f"{op}: size must be an int or {n} ints, got {size!r}")
        out = tuple(int(s) for s in items)
    else:
        scales = tuple(_real(op, "scale_factor", s) for s in items)
        out = tuple(math.floor(float(i) * s) for i, s in zip(spatial, scales, strict=True))
    if min(spatial) < 1 or min(out) < 1:
        raise ValueError(
            f"{op}: the input's spatial sizes {spatial} and the output's {out} must be >= 1"
        )
    return out, scales


def _check_mode(op: str, x: Tensor, mode: str, align_corners: bool | None, antialias: bool) -> None:
    if mode not in MODES:
        raise ValueError(
            f"{op}: mode {mode!r} is not supported; the modes are 'nearest', 'nearest-exact', "
            "'area', 'linear' (3-D input), 'bilinear' and 'bicubic' (4-D) and 'trilinear' (5-D)"
        )
    needs = _INTERPOLATING.get(mode)
    if x.ndim not in _SHAPES or (needs is not None and x.ndim != needs):
        shape = f"{needs}-D input {_SHAPES[needs]}" if needs else _ANY_SHAPE
        raise ValueError(f"{op}: mode {mode!r} needs a {shape}, got shape {x.shape}")
    if align_corners is not None and needs is None:
        raise ValueError(
            f"{op}: align_corners is only for modes 'linear', 'bilinear', 'bicubic' and "
            f"'trilinear', not {mode!r}"
        )
    if antialias:
        raise ValueError(
            f"{op}: antialias=True (PyTorch's anti-aliased 'bilinear' and 'bicubic', which "
            "widen the filter when shrinking) is not supported; only antialias=False"
        )


def _weighted_sum(x: Tensor, axis: int, index: Any, weight: Any, trailing: int) -> Tensor:
    """Σⱼ x[index[j]]·weight[j] along `axis`, for j in order, each product rounded."""
    shape = (-1,) + (1,) * trailing
    total = x.index_select(axis, index[0]) * weight[0].reshape(shape)
    for i, w in zip(index[1:], weight[1:], strict=True):
        total = total + x.index_select(axis, i) * w.reshape(shape)
    return total


def interpolate(
    input: Tensor | np.ndarray,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """The input resized along its spatial dimensions, as PyTorch's `interpolate`.

    Output element dst of a resized dimension reads input element ⌊dst·s⌋ ("nearest"),
    ⌊(dst + ½)·s⌋ ("nearest-exact"), mixes the two elements around src with weights that
    fall off linearly ("linear" along L, "bilinear" along H and W, "trilinear" along D, H and
    W), or the four around it with the weights of cubic convolution ("bicubic", along H and
    W): see the module's formulas; the dimensions are resized the last one first. "area"
    averages the windows of the adaptive average pool, ⌊i·in/out⌋ to ⌈(i + 1)·in/out⌉.
    s = in/out, or 1/scale_factor when scale_factor is given and recompute_scale_factor is
    not True. The gradient of each output element goes back to the elements it read, with
    their weights.

    Args:
        input: (N, C, L), (N, C, H, W) or (N, C, D, H, W).
        size: the output's spatial size: an int (for every dimension) or one per dimension.
        scale_factor: or a multiplier (or one per dimension): out = ⌊in·scale_factor⌋.
        mode: "nearest", "nearest-exact" or "area" (any of those inputs), "linear" (3-D),
            "bilinear" or "bicubic" (4-D), or "trilinear" (5-D input).
        align_corners: for the linear modes and bicubic (None: False): True maps the corner
            elements of input and output onto each other, False the corners of their pixels.
        recompute_scale_factor: with scale_factor, True makes s = in/out from the rounded
            output size instead of 1/scale_factor. "area" reads the sizes alone.
        antialias: False; True (PyTorch's anti-aliased filters) is refused.

    Returns:
        (N, C, *out), of the input's dtype.

    Raises:
        ValueError: an unknown mode or one that does not suit the input's dimensions,
            align_corners in a nearest mode or "area", antialias=True, both or neither of
            size and scale_factor, or sizes that do not fit (see `output_sizes`).
        TypeError: a non-floating input, or sizes that are not ints.

    >>> import tinygrad_lite as tg
    >>> x = tg.tensor([[[1.0, 2.0, 4.0]]])
    >>> interpolate(x, scale_factor=2).tolist()
    [[[1.0, 1.0, 2.0, 2.0, 4.0, 4.0]]]
    >>> interpolate(x, size=5, mode="linear", align_corners=True).tolist()
    [[[1.0, 1.5, 2.0, 3.0, 4.0]]]
    >>> interpolate(tg.tensor([[[[0.0, 1.0], [2.0, 3.0]]]]), size=1, mode="area").tolist()
    [[[[1.5]]]]
    """
    op = "interpolate"
    x = given = float_input(op, input)
    _check_mode(op, x, mode, align_corners, antialias)
    if recompute_scale_factor and size is not None:
        raise ValueError(f"{op}: recompute_scale_factor is not meaningful with an explicit size")
    out, scales = output_sizes(op, x.shape[2:], size, scale_factor)
    if mode == "area":
        for k, n in enumerate(out):  # the first dimension first, as the adaptive pools
            x = adaptive_means(x, 2 + k, n)
        return fresh(x, given)
    if recompute_scale_factor:
        scales = None
    dims = x.ndim - 2
    for k in reversed(range(dims)):  # the last dimension first, as PyTorch nests the weights
        axis, n, scale = 2 + k, x.shape[2 + k], None if scales is None else scales[k]
        corners = bool(align_corners)
        if mode == "bicubic":
            index, weight = cubic_sources(n, out[k], scale, corners, x.dtype)
            x = _weighted_sum(x, axis, index, weight, dims - 1 - k)
        elif mode in _INTERPOLATING:
            if out[k] == n:
                continue  # PyTorch copies a dimension that keeps its size, whatever the scale
            i0, i1, w0, w1 = linear_sources(n, out[k], scale, corners, x.dtype)
            x = _weighted_sum(x, axis, (i0, i1), (w0, w1), dims - 1 - k)
        else:
            exact = mode == "nearest-exact"
            x = x.index_select(axis, nearest_sources(n, out[k], scale, exact, dims, x.dtype))
    return fresh(x, given)
