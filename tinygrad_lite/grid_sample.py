"""Spatial transformers on Tensors, as PyTorch's `F.affine_grid` and `F.grid_sample`.

`affine_grid` maps every output position, in normalised coordinates from −1 to 1, through a
batch of affine matrices θ: grid[n, h, w] = θₙ·(xʷ, yʰ, 1) (and (x, y, z, 1) in 3-D), with
xʷ = −1 + 2w/(W − 1) (align_corners), or that times (W − 1)/W, the centres of W pixels.

`grid_sample` reads the input at those points. A normalised coordinate g becomes the position
u = (g + 1)·(size − 1)/2 (align_corners) or u = ((g + 1)·size − 1)/2, which padding_mode
"border" clips to [0, size − 1] and "reflection" reflects about the borders (the pixels' centres
with align_corners, their edges without) before clipping. Then

- "nearest" reads the element at round(u), ties to even (nearbyint);
- "bilinear" mixes the 2ᵈ elements around u with weights ∏ (u − ⌊u⌋) or (1 − (u − ⌊u⌋));
- "bicubic" (4-D input) mixes the 4×4 elements ⌊u⌋ − 1 … ⌊u⌋ + 2 with the weights of cubic
  convolution (Keys' kernel, a = −0.75, see `resampling`), u unpadded and each tap padded.

"zeros" reads 0 outside the input. Every step is a differentiable op on the grid, the
positions ⌊u⌋ and round(u) are constants and the reads are gathers, so the gradients of every
order, for input and grid, are PyTorch's: a coordinate clipped onto a border counts as outside
(gradient 0), and the grid of "nearest" gets the gradient 0.

The arithmetic is that of PyTorch's CPU kernels, whose 4-D one fuses (g + 1)·size/2 − ½ into
one rounding (reproduced exactly, so that every position and tap is PyTorch's). The 5-D values
are PyTorch's bit for bit; the 4-D kernel also fuses the weighted sums, which agree to about
one rounding. (PyTorch's backward drops a NaN grid point that border or reflection padding
moved into the input: here its gradient goes to the element that was read.)
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops, tracing
from .resampling import CUBIC_A, fused_multiply_add
from .tensor import Tensor

__all__ = ["MODES", "PADDING_MODES", "affine_grid", "grid_sample"]

MODES = ("bilinear", "nearest", "bicubic")
PADDING_MODES = ("zeros", "border", "reflection")


def _corners(op: str, align_corners: Any) -> bool:
    """align_corners as a bool; None warns as PyTorch does and means False."""
    if align_corners is None:
        warnings.warn(  # PyTorch's words
            "Default grid_sample and affine_grid behavior has changed to align_corners=False "
            "since 1.3.0. Please specify align_corners=True if the old behavior is desired. "
            "See the documentation of grid_sample for details.",
            UserWarning,
            stacklevel=3,
        )
        return False
    if not isinstance(align_corners, (bool, np.bool_)):
        raise TypeError(f"{op}: align_corners must be a bool or None, got {align_corners!r}")
    return bool(align_corners)


def _const(a: Any) -> Tensor:
    """A constant Tensor (no gradient) holding the array `a`."""
    return Tensor._make(a, False, None)


def _select(cond: Any, a: Tensor, b: Any) -> Tensor:
    """Where the bool array `cond` holds a, else b; the gradient goes to the branch taken."""
    if not isinstance(b, Tensor):
        b = _const(np.asarray(b, a.dtype) if isinstance(b, float) else b.astype(a.dtype))
    return ops.Where.apply(_const(cond), a, b)


def _fused_correction(shifted: np.ndarray, plain: np.ndarray, half: float) -> np.ndarray:
    """fma(g + 1, size/2, −½) − plain: what PyTorch's one rounding changes (0 if not finite)."""
    with np.errstate(all="ignore"):
        h, m = np.full_like(shifted, half), np.full_like(shifted, -0.5)
        exact = fused_multiply_add(shifted, h, m)
        keep = np.isfinite(exact) & np.isfinite(plain)
        return np.where(keep, exact - plain, 0).astype(plain.dtype)


def _unnormalize(g: Tensor, size: int, corners: bool, two_d: bool) -> Tensor:
    """The position u of the normalised g: (g + 1)·(size − 1)/2, or ((g + 1)·size − 1)/2."""
    dt = g.dtype.type
    if two_d:  # the 4-D kernel: (g + 1)·s, or (g + 1)·s − ½ fused, with s = size/2
        if corners:
            return (g + 1.0) * float(dt(size - 1) / dt(2))
        shifted, half = g + 1.0, float(dt(size) / dt(2))
        plain = shifted * half - 0.5
        fix = tracing.replayed(_fused_correction, shifted.data, plain.data, half)
        return plain + _const(fix)  # the difference is exact, so the sum is the fused value
    if corners:
        return (g + 1.0) / 2.0 * float(size - 1)
    return ((g + 1.0) * float(size) - 1.0) / 2.0


def _clip(u: Tensor, size: int, two_d: bool) -> Tensor:
    """The position clipped into [0, size − 1], its gradient 0 at and beyond the borders.

    NaN goes to 0 (the 4-D kernel) or to size − 1 (the 5-D one), as in PyTorch's.
    """
    d = u.data
    limit = float(size - 1)
    low = _select(d > 0, u, 0.0 if two_d else np.where(np.isnan(d), limit, 0.0))
    return _select(low.data < limit, low, limit)


def _reflect(u: Tensor, size: int, corners: bool, two_d: bool) -> Tensor:
    """The position reflected about the borders until it lies between them (see the module)."""
    if corners and size <= 1:
        return _select(np.zeros(u.shape, bool), u, 0.0)  # 0, gradient 0
    low = 0.0 if corners else -0.5
    a = (u - low).abs()
    if two_d:  # the 4-D kernel folds by twice the span, then takes the nearer image
        twice = 2.0 * (size - 1 if corners else size)
        extra = a - _const(np.trunc(a.data / twice) * twice)
        back = twice - extra
        return _select(back.data < extra.data, back, extra) + low
    span = float(size - 1 if corners else size)  # the 5-D kernel: fmod, and the flips' parity
    extra = a.fmod(span)
    flips = np.floor(a.data / span)
    odd = (np.abs(flips) < 2.0**31) & (np.fmod(flips, 2) == 1)  # C's int() makes others even
    return _select(odd, span - extra, extra) + low


def _padded(u: Tensor, size: int, padding: str, corners: bool, two_d: bool) -> Tensor:
    """The position after padding_mode: as it is ("zeros"), clipped, or reflected and clipped."""
    if padding == "reflection":
        u = _reflect(u, size, corners, two_d)
    return u if padding == "zeros" else _clip(u, size, two_d)


def _cubic(t: Tensor) -> list[Tensor]:
    """The weights W(1 + t), W(t), W(1 − t), W(2 − t) of Keys' kernel, as PyTorch forms them."""
    a = CUBIC_A
    out = []
    for x, near in ((t + 1.0, False), (t, True), (1.0 - t, True), (2.0 - t, False)):
        if near:  # ((a + 2)x − (a + 3))x² + 1
            out.append(((x * (a + 2) - (a + 3)) * x) * x + 1.0)
        else:  # ((a·x − 5a)x + 8a)x − 4a
            out.append(((x * a - 5 * a) * x + 8 * a) * x - 4 * a)
    return out


class _Reader:
    """Reads rows of the input, laid out as (N·∏spatial, C), at integer positions."""

    def __init__(self, x: Tensor, points: int) -> None:
        n, c, *spatial = x.shape
        self.spatial = spatial
        self.rows = x.movedim(1, -1).reshape(n * math.prod(spatial), c)
        self.base = np.repeat(np.arange(n, dtype=np.int64) * math.prod(spatial), points)
        self.strides = [math.prod(spatial[d + 1 :]) for d in range(len(spatial))]

    def read(self, positions: Sequence[Any]) -> tuple[Tensor, Any]:
        """(values, inside): the rows at the positions, and whether they lie inside the input."""
        inside: Any = True
        for p, size in zip(positions, self.spatial, strict=True):
            inside = inside & (p > -1) & (p < size)
        flat = self.base
        for p, stride in zip(positions, self.strides, strict=True):
            flat = flat + np.where(inside, p, 0).astype(np.int64) * stride
        # a gather (not rows[flat]): its gradient adds up repeated rows in a compiled step too
        index = np.broadcast_to(np.reshape(flat, (-1, 1)), (flat.shape[0], self.rows.shape[1]))
        return self.rows.gather(0, _const(index)), np.reshape(inside, (-1, 1))

    def masked(self, positions: Sequence[Any]) -> Tensor:
        """The rows at the positions, 0 where they lie outside the input."""
        values, inside = self.read(positions)
        return _select(inside, values, 0.0)


def _single_or_double(op: str, x: Any) -> Tensor:
    """`x` as a Tensor of float32 or float64, the precisions whose roundings are PyTorch's here."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"{op}: needs float32 or float64 values, got dtype {x.dtype}")
    return x


def _check(input: Any, grid: Any, mode: Any, padding_mode: Any) -> tuple[Tensor, Tensor]:
    op = "grid_sample"
    if mode not in MODES:
        raise ValueError(f"{op}: mode must be 'bilinear', 'nearest' or 'bicubic', got {mode!r}")
    if padding_mode not in PADDING_MODES:
        raise ValueError(
            f"{op}: padding_mode must be 'zeros', 'border' or 'reflection', got {padding_mode!r}"
        )
    x, g = _single_or_double(op, input), _single_or_double(op, grid)
    if x.dtype != g.dtype:
        raise TypeError(f"{op}: input and grid must have one dtype, got {x.dtype} and {g.dtype}")
    if x.ndim not in (4, 5) or g.ndim != x.ndim:
        raise ValueError(
            f"{op}: expected a 4-D input (N, C, H, W) with a grid (N, H_out, W_out, 2), or a 5-D "
            f"input (N, C, D, H, W) with a grid (N, D_out, H_out, W_out, 3), got input of shape "
            f"{x.shape} and grid of shape {g.shape}"
        )
    nd = x.ndim - 2
    if g.shape[0] != x.shape[0] or g.shape[-1] != nd:
        shape = "(N, H_out, W_out, 2)" if nd == 2 else "(N, D_out, H_out, W_out, 3)"
        raise ValueError(
            f"{op}: grid must be {shape} with the input's N = {x.shape[0]}, got {g.shape}"
        )
    if min(x.shape[2:]) < 1:
        raise ValueError(f"{op}: the input's spatial sizes must be >= 1, got shape {x.shape}")
    if mode == "bicubic" and nd != 2:
        raise ValueError(f"{op}: mode 'bicubic' needs a 4-D input (N, C, H, W), got {x.shape}")
    return x, g


def grid_sample(
    input: Tensor | np.ndarray,
    grid: Tensor | np.ndarray,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """The input read at the grid's points, as PyTorch's `F.grid_sample`.

    output[n, :, h, w] = input[n] read at grid[n, h, w] = (x, y), normalised so that −1 and 1
    are the left and right (top and bottom) borders: the centres of the corner pixels with
    align_corners, their outer edges without. With u = (g + 1)·(size − 1)/2 or
    ((g + 1)·size − 1)/2 along each dimension, "nearest" reads round(u) (ties to even),
    "bilinear" Σ v·∏ᵢ (1 − |uᵢ − pᵢ|) over the 2ᵈ neighbours p, "bicubic" Σ v·W(x − p)·W(y − q)
    over the 4×4 neighbours (Keys' kernel W, a = −0.75). padding_mode says what is read outside
    the input: 0 ("zeros"), the border's value ("border"), or the input mirrored about its
    borders ("reflection"). Gradients of every order flow to input and grid (see the module).

    Args:
        input: (N, C, H, W), or (N, C, D, H, W) for "bilinear" (trilinear) and "nearest".
        grid: (N, H_out, W_out, 2) of (x, y), or (N, D_out, H_out, W_out, 3) of (x, y, z), of
            the input's dtype (float32 or float64).
        mode: "bilinear", "nearest" or "bicubic".
        padding_mode: "zeros", "border" or "reflection".
        align_corners: None (False, with PyTorch's warning about the default), True or False.

    Returns:
        (N, C, H_out, W_out), or (N, C, D_out, H_out, W_out), of the input's dtype.

    Raises:
        ValueError: an unknown mode or padding_mode, shapes that do not fit, an empty spatial
            dimension of the input, or "bicubic" with a 5-D input.
        TypeError: an input or grid that is not float32 or float64, or the two of different
            dtypes.

    >>> import tinygrad_lite as tg
    >>> x = tg.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> grid_sample(x, tg.tensor([[[[0.0, 0.0], [1.0, -1.0]]]]), align_corners=True).tolist()
    [[[[2.5, 2.0]]]]
    """
    x, g = _check(input, grid, mode, padding_mode)
    corners = _corners("grid_sample", align_corners)
    n, c, *spatial = x.shape
    nd, out = len(spatial), g.shape[1:-1]
    reader = _Reader(x, math.prod(out))
    comps = [g[..., nd - 1 - d].reshape(-1) for d in range(nd)]  # grid's (x, y, z) is (W, H, D)
    us = [_unnormalize(cd, s, corners, nd == 2) for cd, s in zip(comps, spatial, strict=True)]
    if mode == "bicubic":
        total = _bicubic(reader, us, padding_mode, corners)
    else:
        us = [
            _padded(u, s, padding_mode, corners, nd == 2) for u, s in zip(us, spatial, strict=True)
        ]
        if mode == "bilinear":
            total = _linear(reader, us)
        else:
            total = reader.masked([np.rint(u.data) for u in us])
            if g.requires_grad:  # PyTorch's gradient of the grid is 0 here, not absent
                total = _select(np.ones((1, 1), bool), total, comps[0].reshape(-1, 1))
    return total.reshape(n, *out, c).movedim(-1, 1)


def _linear(reader: _Reader, us: list[Tensor]) -> Tensor:
    """Σ over the 2ᵈ corners of value·weight, in PyTorch's order (nw, ne, sw, se; top first)."""
    two_d = len(us) == 2
    lows = [np.floor(u.data) for u in us]
    far = [u - _const(lo) for u, lo in zip(us, lows, strict=True)]  # u − ⌊u⌋
    # the near corner's weight: 1 − (u − ⌊u⌋) in the 4-D kernel, (⌊u⌋ + 1) − u in the 5-D one
    near = [
        1.0 - f if two_d else _const(lo + 1) - u for f, u, lo in zip(far, us, lows, strict=True)
    ]
    terms = []
    for corner in itertools.product((0, 1), repeat=len(us)):
        at = [lo + k for lo, k in zip(lows, corner, strict=True)]
        factors = [far[d] if k else near[d] for d, k in enumerate(corner)]
        if two_d:  # the 4-D kernel reads 0 outside the input
            weight = factors[1] * factors[0]
            terms.append(reader.masked(at) * weight.reshape(-1, 1))
            continue
        # the 5-D kernel skips a corner outside: no value, and no gradient for its weight
        values, inside = reader.read(at)
        factors = [_select(inside.reshape(-1), f, 0.0) for f in factors]
        weight = (factors[2] * factors[1]) * factors[0]  # x·y·z
        terms.append(_select(inside, values * weight.reshape(-1, 1), 0.0))
    return functools.reduce(operator.add, terms)


def _bicubic(reader: _Reader, us: list[Tensor], padding: str, corners: bool) -> Tensor:
    """Σᵢ W(y)ᵢ·Σⱼ W(x)ⱼ·value at the 4×4 taps around u (u unpadded, each tap padded)."""
    (cy, ty), (cx, tx) = [
        (_cubic(u - _const(lo)), [_tap(lo + k, size, padding, corners) for k in (-1, 0, 1, 2)])
        for u, lo, size in zip(us, [np.floor(u.data) for u in us], reader.spatial, strict=True)
    ]
    rows = [
        functools.reduce(
            operator.add,
            [wx.reshape(-1, 1) * reader.masked([yy, xx]) for wx, xx in zip(cx, tx, strict=True)],
        )
        for yy in ty
    ]
    terms = [wy.reshape(-1, 1) * row for wy, row in zip(cy, rows, strict=True)]
    return functools.reduce(operator.add, terms)


def _tap(p: np.ndarray, size: int, padding: str, corners: bool) -> np.ndarray:
    """A cubic tap's position after padding, truncated to an integer as PyTorch converts it."""
    return np.trunc(_padded(_const(p), size, padding, corners, True).data)


def _steps(n: int, corners: bool, dtype: Any) -> np.ndarray:
    """The base grid of n pixels: PyTorch's linspace(−1, 1, n), ·(n − 1)/n unless corners."""
    if n <= 1:
        return np.zeros(1, dtype)
    one, i = dtype.type(1), np.arange(n).astype(dtype)
    step = (one + one) / dtype.type(n - 1)
    r = np.where(i < n // 2, -one + step * i, one - step * (dtype.type(n - 1) - i))
    return r * dtype.type(n - 1) / dtype.type(n) if not corners else r


def affine_grid(
    theta: Tensor | np.ndarray, size: Sequence[int], align_corners: bool | None = None
) -> Tensor:
    """The sampling grid of a batch of affine maps, as PyTorch's `F.affine_grid`.

    grid[n, h, w] = θₙ·(xʷ, yʰ, 1)ᵀ, and grid[n, d, h, w] = θₙ·(xʷ, yʰ, zᵈ, 1)ᵀ in 3-D, where
    xʷ runs over linspace(−1, 1, W) with align_corners (the corner pixels' centres), or over
    linspace(−1, 1, W)·(W − 1)/W without (all the pixels' centres), and likewise y and z; a
    size of 1 gives the position 0. Differentiable in θ (gradients of every order): feed the
    grid to `grid_sample` to warp an image by θ.

    Args:
        theta: (N, 2, 3) for a 4-D size, (N, 3, 4) for a 5-D size; float32 or float64.
        size: the output's size (N, C, H, W) or (N, C, D, H, W); C is not used.
        align_corners: None (False, with PyTorch's warning about the default), True or False.

    Returns:
        (N, H, W, 2), or (N, D, H, W, 3), of theta's dtype.

    Raises:
        ValueError: a size that is not 4-D or 5-D, theta of the wrong shape or batch size, or
            sizes <= 0 (with align_corners and a size of 1 PyTorch warns instead).
        TypeError: theta not float32 or float64, or sizes that are not ints.

    >>> import tinygrad_lite as tg
    >>> affine_grid(tg.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]), (1, 1, 1, 2), False).tolist()
    [[[[-0.5, 0.0], [0.5, 0.0]]]]
    """
    op = "affine_grid"
    corners = _corners(op, align_corners)
    t = _single_or_double(op, theta)
    if not isinstance(size, (tuple, list)) or not all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in size
    ):
        raise TypeError(f"{op}: size must be a tuple or list of ints, got {size!r}")
    sizes = tuple(int(s) for s in size)
    if len(sizes) not in (4, 5):
        raise ValueError(f"{op}: size must be 4-D (N, C, H, W) or 5-D (N, C, D, H, W), got {sizes}")
    nd = len(sizes) - 2
    if t.shape != (sizes[0], nd, nd + 1):
        raise ValueError(
            f"{op}: theta must be (N, {nd}, {nd + 1}) with N = {sizes[0]} for the size {sizes}, "
            f"got {t.shape}"
        )
    spatial = sizes[2:]
    if corners and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.",
            UserWarning,
            stacklevel=2,
        )
    elif min(sizes) <= 0:
        raise ValueError(f"{op}: the sizes must be positive, got {sizes}")
    mesh = np.meshgrid(*[_steps(s, corners, t.dtype) for s in spatial], indexing="ij")
    columns = [m.reshape(-1) for m in reversed(mesh)]  # x, y(, z) at every (d,) h, w
    base = np.stack([*columns, np.ones_like(columns[0])], axis=1)  # (∏spatial, nd + 1)
    grid = _const(base) @ t.transpose(1, 2)
    return grid.reshape(sizes[0], *spatial, nd)
