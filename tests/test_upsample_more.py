"""F.interpolate's bicubic, trilinear, 3-D nearest and area modes: values against formulas
written out per output element, gradients against finite differences, the rounding helper
against exact arithmetic, compile against eager execution, and the refusals."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, gradcheck, nn
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradgradcheck
from tinygrad_lite.resampling import fused_multiply_add

A = -0.75  # Keys' parameter, PyTorch's choice


def _keys(x: float) -> float:
    """The cubic convolution kernel W(x), written as the textbook polynomials."""
    x = abs(x)
    if x <= 1:
        return (A + 2) * x**3 - (A + 3) * x**2 + 1
    if x < 2:
        return A * x**3 - 5 * A * x**2 + 8 * A * x - 4 * A
    return 0.0


def _src(d: int, n: int, out: int, corners: bool, scale: float | None) -> float:
    """The source coordinate of output position d (not clamped)."""
    if corners:
        return d * (n - 1) / (out - 1) if out > 1 else 0.0
    s = n / out if scale is None else 1 / scale
    return s * (d + 0.5) - 0.5


def _shape_out(shape: tuple[int, ...], kw: dict[str, Any]) -> tuple[int, ...]:
    if "size" in kw:
        return kw["size"] if isinstance(kw["size"], tuple) else (kw["size"],)
    return tuple(math.floor(n * s) for n, s in zip(shape[2:], kw["scale_factor"], strict=True))


def _bicubic_reference(x: np.ndarray, out: tuple[int, int], kw: dict[str, Any]) -> np.ndarray:
    """Each output pixel as Σ W(sh − h)·W(sw − w)·x[h, w] over the 4 × 4 pixels around it."""
    corners, scales = kw["align_corners"], kw.get("scale_factor", (None, None))
    (h, w), y = x.shape[2:], np.zeros((*x.shape[:2], *out))
    for oh, ow in itertools.product(range(out[0]), range(out[1])):
        sh, sw = _src(oh, h, out[0], corners, scales[0]), _src(ow, w, out[1], corners, scales[1])
        for i, j in itertools.product(range(-1, 3), range(-1, 3)):
            ih, iw = math.floor(sh) + i, math.floor(sw) + j
            pixel = x[..., min(max(ih, 0), h - 1), min(max(iw, 0), w - 1)]
            y[..., oh, ow] += _keys(sh - ih) * _keys(sw - iw) * pixel
    return y


def _trilinear_reference(x: np.ndarray, out: tuple[int, ...], kw: dict[str, Any]) -> np.ndarray:
    """Each output voxel as the sum over the 8 corners of the cell around it."""
    corners, scales = kw["align_corners"], kw.get("scale_factor", (None,) * 3)
    y = np.zeros((*x.shape[:2], *out))
    for o in itertools.product(*(range(m) for m in out)):
        taps = []
        for d, n, m, s in zip(o, x.shape[2:], out, scales, strict=True):
            # a dimension that keeps its size is copied (PyTorch's rule, whatever the scale)
            src = float(d) if m == n else max(_src(d, n, m, corners, s), 0.0)
            i0 = min(math.floor(src), n - 1)
            lam = src - i0
            taps.append([(i0, 1 - lam), (min(i0 + 1, n - 1), lam)])
        for corner in itertools.product(*taps):
            y[(..., *o)] += math.prod(wt for _, wt in corner) * x[(..., *(i for i, _ in corner))]
    return y


def _nearest_reference(x: np.ndarray, out: tuple[int, ...], exact: bool) -> np.ndarray:
    """Each output voxel copies input ⌊(o + ½·exact)·in/out⌋ along every dimension."""
    y = np.zeros((*x.shape[:2], *out))
    for o in itertools.product(*(range(m) for m in out)):
        half = Fraction(1, 2) * exact
        at = [
            math.floor((d + half) * Fraction(n, m))
            for d, n, m in zip(o, x.shape[2:], out, strict=True)
        ]
        y[(..., *o)] = x[(..., *at)]
    return y


def _area_reference(x: np.ndarray, out: tuple[int, ...]) -> np.ndarray:
    """Each output element as the mean of its window, ⌊i·n/out⌋ to ⌈(i + 1)·n/out⌉, at once."""
    y = np.zeros((*x.shape[:2], *out))
    for o in itertools.product(*(range(m) for m in out)):
        window = tuple(
            slice(i * n // m, -(-(i + 1) * n // m))
            for i, n, m in zip(o, x.shape[2:], out, strict=True)
        )
        y[(..., *o)] = x[(..., *window)].mean(axis=tuple(range(2, x.ndim)))
    return y


SETTINGS = [  # (input shape, mode, keyword arguments)
    ((1, 2, 3, 4), "bicubic", {"size": (5, 7), "align_corners": False}),
    ((2, 1, 5, 4), "bicubic", {"size": (2, 3), "align_corners": True}),
    ((1, 1, 4, 2), "bicubic", {"scale_factor": (1.5, 2.5), "align_corners": False}),
    ((1, 1, 6, 1), "bicubic", {"scale_factor": (0.5, 3.0), "align_corners": True}),
    ((1, 2, 2, 3, 2), "trilinear", {"size": (3, 2, 5), "align_corners": False}),
    ((1, 1, 3, 2, 4), "trilinear", {"scale_factor": (1.5, 2.0, 0.5), "align_corners": True}),
    ((1, 1, 3, 3, 2), "trilinear", {"scale_factor": (1.2, 1.7, 2.0), "align_corners": False}),
    ((1, 2, 2, 3, 4), "nearest", {"size": (3, 5, 2)}),
    ((1, 1, 3, 2, 5), "nearest-exact", {"size": (4, 3, 3)}),
    ((2, 1, 7), "area", {"size": 3}),
    ((1, 2, 3, 5), "area", {"size": (4, 2)}),
    ((1, 1, 4, 3, 5), "area", {"scale_factor": (0.5, 1.5, 0.7)}),
]
REFERENCES: dict[str, Callable[..., np.ndarray]] = {
    "bicubic": _bicubic_reference,
    "trilinear": _trilinear_reference,
    "nearest": lambda x, out, kw: _nearest_reference(x, out, exact=False),
    "nearest-exact": lambda x, out, kw: _nearest_reference(x, out, exact=True),
    "area": lambda x, out, kw: _area_reference(x, out),
}


@pytest.mark.parametrize(("shape", "mode", "kw"), SETTINGS)
def test_values_equal_the_formula_per_output_element(
    shape: tuple[int, ...], mode: str, kw: dict[str, Any]
) -> None:
    x = np.random.default_rng(0).standard_normal(shape)
    out = _shape_out(shape, kw)
    y = F.interpolate(Tensor(x), mode=mode, **kw)
    assert y.shape == (*shape[:2], *out) and y.dtype == np.float64
    np.testing.assert_allclose(y.data, REFERENCES[mode](x, out, kw), rtol=1e-13, atol=1e-14)
    assert np.array_equal(nn.Upsample(mode=mode, **kw)(Tensor(x)).data, y.data)


@pytest.mark.parametrize(("shape", "mode", "kw"), [SETTINGS[i] for i in (2, 3, 6, 8, 10)])
def test_first_and_second_derivatives(
    shape: tuple[int, ...], mode: str, kw: dict[str, Any]
) -> None:
    x = Tensor(np.random.default_rng(1).standard_normal(shape), requires_grad=True)

    def resized(t: Tensor) -> Tensor:
        return F.interpolate(t, mode=mode, **kw) ** 2

    # a square of a linear map: central differences are exact up to rounding
    assert gradcheck(resized, x, atol=1e-8, rtol=1e-6)
    assert gradgradcheck(resized, x, atol=1e-8, rtol=1e-6)


def test_bicubic_keeps_the_samples_and_the_constants() -> None:
    """Cubic convolution interpolates (t = 0 reads one pixel) and its weights sum to 1."""
    x = np.random.default_rng(2).standard_normal((1, 1, 3, 4))
    y = F.interpolate(Tensor(x), size=(5, 7), mode="bicubic", align_corners=True).data
    assert np.array_equal(y[..., ::2, ::2], x)  # src = dst/2: every other output is a sample
    flat = F.interpolate(tg.full((1, 1, 4, 3), 2.5), size=(9, 2), mode="bicubic").data
    np.testing.assert_allclose(flat, 2.5, rtol=1e-15)


def test_area_is_the_adaptive_average_pool() -> None:
    x = Tensor(np.random.default_rng(3).standard_normal((2, 3, 7, 5)))
    pooled = F.adaptive_avg_pool2d(x, (3, 4)).data
    assert np.array_equal(F.interpolate(x, size=(3, 4), mode="area").data, pooled)
    same = F.interpolate(x, scale_factor=(0.5, 0.9), mode="area")  # out = ⌊in·scale⌋ = (3, 4)
    assert np.array_equal(same.data, pooled)


@pytest.mark.parametrize(
    "resize",
    [
        lambda x: F.interpolate(x, size=(3, 4), mode="bilinear"),
        lambda x: F.interpolate(x, size=(3, 4), mode="area"),
        lambda x: F.interpolate(x, size=(3, 4), mode="bicubic"),
        lambda x: F.interpolate(x, size=(3, 4), mode="nearest"),
        lambda x: F.interpolate(x, scale_factor=1.0, mode="bilinear", align_corners=True),
        lambda x: F.interpolate(x[0], size=4, mode="linear"),
        lambda x: F.adaptive_avg_pool2d(x, (3, 4)),
        lambda x: F.adaptive_avg_pool2d(x[0], (3, 4)),
        lambda x: F.adaptive_avg_pool1d(x[0], 4),
        lambda x: nn.Upsample(size=(3, 4), mode="bilinear")(x),
    ],
)
def test_a_resize_that_keeps_every_size_returns_new_memory(resize: Callable[..., Any]) -> None:
    # As PyTorch's: writing into the result does not change the input.
    x = Tensor(np.arange(24.0).reshape(2, 1, 3, 4), requires_grad=True)
    y = resize(x)
    assert y is not x and not np.shares_memory(y.data, x.data)
    before = x.data.copy()
    y.detach().data[...] = -1.0
    np.testing.assert_array_equal(x.data, before)
    y.sum().backward()  # the identity's gradient on the elements it read
    assert set(np.unique(x.grad.data)) <= {0.0, 1.0} and x.grad.data.sum() == y.data.size


def test_a_scale_factor_is_used_as_given_unless_recomputed() -> None:
    """4 → 4 at scale 1.1 reads src = (dst + ½)/1.1 − ½, not the identity, as PyTorch does."""
    x = Tensor(np.arange(4.0).reshape(1, 1, 4, 1))
    kw: dict[str, Any] = {"scale_factor": (1.1, 1.0), "mode": "bicubic", "align_corners": False}
    moved = F.interpolate(x, **kw).data.ravel()
    expected = [
        sum(_keys(s - math.floor(s) - j) * min(max(math.floor(s) + j, 0), 3) for j in range(-1, 3))
        for s in ((d + 0.5) / 1.1 - 0.5 for d in range(4))
    ]
    np.testing.assert_allclose(moved, expected, rtol=1e-14)
    assert not np.allclose(moved, np.arange(4.0))
    kept = F.interpolate(x, recompute_scale_factor=True, **kw).data.ravel()
    assert np.array_equal(kept, np.arange(4.0))


def test_float32_stays_float32() -> None:
    x = tg.randn(1, 2, 3, 3, 2, dtype=np.float32)
    assert F.interpolate(x, size=(2, 4, 3), mode="trilinear").dtype == np.float32
    assert F.interpolate(x[:, :, 0], size=5, mode="bicubic").dtype == np.float32
    assert F.interpolate(x, size=2, mode="area").dtype == np.float32


def _exact(a: Any, b: Any, c: Any) -> list[Fraction]:
    return [
        Fraction(float(p)) * Fraction(float(q)) + Fraction(float(r))
        for p, q, r in zip(a, b, c, strict=True)
    ]


def test_fused_multiply_add_rounds_once() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((2, 300)) * np.exp2(rng.integers(-20, 20, (2, 300)))
    c = np.where(rng.random(300) < 0.5, -a * b, rng.standard_normal(300))  # cancellation too
    # exact halfway cases (1 + 2⁻⁵³, 1 + 3·2⁻⁵³), and sums just past halfway that two
    # roundings round the wrong way: 1 + 2⁻⁵³ + 2⁻¹³¹, and 0.1·10 − 1 (0 in two roundings)
    a = np.append(a, [2.0**-26, 3 * 2.0**-26, 1 + 2.0**-26, 0.1])
    b = np.append(b, [2.0**-27, 2.0**-27, (1 - 2.0**-26 + 2.0**-52) * 2.0**-53, 10.0])
    c = np.append(c, [1.0, 1.0, 1.0, -1.0])
    got = fused_multiply_add(a, b, c)
    assert got.tolist() == [float(e) for e in _exact(a, b, c)]
    assert got[-2:].tolist() == [1 + 2.0**-52, 2.0**-54]
    # float32: 1 + 2⁻²⁴ + 2⁻⁷⁰ is past halfway, but rounds to 1 + 2⁻²⁴ (halfway) in double
    a = np.append(a[:300], -(1 + 2.0**-23)).astype(np.float32)
    b = np.append(b[:300], 2.0**-24 - 2.0**-47).astype(np.float32)
    c = np.append(c[:300], 1 + 2.0**-23).astype(np.float32)
    got = fused_multiply_add(a, b, c)
    assert got.dtype == np.float32 and got[-1] == np.float32(1 + 2.0**-23)
    for g, e in zip(got, _exact(a, b, c), strict=True):  # no float32 is nearer the exact value
        for step in (np.float32(-np.inf), np.float32(np.inf)):
            assert abs(Fraction(float(g)) - e) <= abs(Fraction(float(np.nextafter(g, step))) - e)


def test_3d_nearest_positions_use_the_inputs_precision() -> None:
    """41·(2/82) is 1: PyTorch's 3-D kernel, like its 1-D one, reads 1 in float64 (not 0)."""
    x = Tensor(np.arange(2.0).reshape(1, 1, 1, 1, 2))
    assert F.interpolate(x, size=(1, 1, 82)).data[0, 0, 0, 0, 40:43].tolist() == [0.0, 1.0, 1.0]


def test_a_compiled_bicubic_step_replays_eager_bit_for_bit() -> None:
    rng = np.random.default_rng(5)
    data, upstream = rng.standard_normal((1, 2, 3, 4)), rng.standard_normal((1, 2, 5, 6))

    def step(t: Tensor) -> Tensor:
        t.grad = None
        y = F.interpolate(t, size=(5, 6), mode="bicubic")
        y.backward(upstream)
        return y

    eager_in = Tensor(data.copy(), requires_grad=True)
    eager = step(eager_in)
    compiled = tg.compile(step)
    for _ in range(2):  # the first call traces, the second replays
        t = Tensor(data.copy(), requires_grad=True)
        got = compiled(t)
        assert np.array_equal(got.data, eager.data)
        assert np.array_equal(t.grad.data, eager_in.grad.data)
    assert compiled.traces == 1


_X4, _X5 = tg.zeros(1, 1, 2, 3), tg.zeros(1, 1, 2, 2, 2)
BAD: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: F.interpolate(_X4, size=3, mode="bilinear", antialias=True), ValueError, "antialias"),
    (lambda: F.interpolate(_X5, size=3, mode="bicubic"), ValueError, "'bicubic' needs a 4-D"),
    (lambda: F.interpolate(_X4, size=3, mode="trilinear"), ValueError, "5-D input (N, C, D, H, W)"),
    (lambda: F.interpolate(tg.zeros(1, 1, 1, 1, 1, 2), size=1, mode="area"), ValueError, "or 5-D"),
    (
        lambda: F.interpolate(_X4, size=1, mode="area", align_corners=False),
        ValueError,
        "not 'area'",
    ),
    (
        lambda: F.interpolate(_X5, size=1, mode="nearest-exact", align_corners=True),
        ValueError,
        "only",
    ),
    (lambda: F.interpolate(_X4, size=3, mode="cubic"), ValueError, "mode 'cubic' is not supported"),
    (lambda: F.interpolate(_X5, size=(2, 2)), ValueError, "spatial sizes are (2, 2, 2)"),
    (lambda: F.interpolate(_X5, scale_factor=(1, 1, 0.4), mode="area"), ValueError, ">= 1"),
    (
        lambda: F.interpolate(_X4, size=1, mode="area", recompute_scale_factor=True),
        ValueError,
        "not meaningful with an explicit size",
    ),
    (lambda: nn.Upsample(size=4, mode="bicubic")(tg.zeros(1, 1, 3)), ValueError, "4-D input"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_input_is_refused_with_its_reason(
    call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call()
