"""F.interpolate and nn.Upsample: values against loops over the output, gradients against
finite differences, PyTorch's single-precision source positions, and the refusals."""

from __future__ import annotations

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


def _nearest(n: int, out: int, exact: bool, scale: float | None) -> list[int]:
    """Source positions in exact arithmetic: ⌊dst·s⌋ or ⌊(dst + ½)·s⌋, s = in/out or 1/scale."""
    s = Fraction(n, out) if scale is None else 1 / Fraction(scale)
    return [min(math.floor((d + Fraction(1, 2) * exact) * s), n - 1) for d in range(out)]


def _linear(n: int, out: int, align_corners: bool, scale: float | None) -> list[Any]:
    """(i0, i1, λ0, λ1) per output position, from the formulas, one position at a time."""
    rows = []
    for d in range(out):
        if align_corners:
            src = d * (n - 1) / (out - 1) if out > 1 else 0.0
        else:
            s = n / out if scale is None else 1 / scale
            src = max(s * (d + 0.5) - 0.5, 0.0)
        i0 = min(math.floor(src), n - 1)
        lam = min(max(src - i0, 0.0), 1.0)
        rows.append((i0, min(i0 + 1, n - 1), 1 - lam, lam))
    return rows


def _resize_reference(x: np.ndarray, out: tuple[int, ...], mode: str, **kw: Any) -> np.ndarray:
    """The resize, the last dimension first, by a loop over the output positions."""
    scales = kw.get("scale_factor")
    for k in reversed(range(len(out))):
        axis, n = 2 + k, x.shape[2 + k]
        scale = None if scales is None else scales[k]
        moved = np.moveaxis(x, axis, -1)
        y = np.empty((*moved.shape[:-1], out[k]))
        if mode.startswith("nearest"):
            for d, j in enumerate(_nearest(n, out[k], mode == "nearest-exact", scale)):
                y[..., d] = moved[..., j]
        elif out[k] == n:
            y = moved
        else:
            for d, (i0, i1, l0, l1) in enumerate(_linear(n, out[k], kw["align_corners"], scale)):
                y[..., d] = moved[..., i0] * l0 + moved[..., i1] * l1
        x = np.moveaxis(y, -1, axis)
    return x


SETTINGS = [  # (input shape, mode, keyword arguments)
    ((2, 2, 5), "nearest", {"size": 8}),
    ((1, 2, 7), "nearest", {"size": 3}),
    ((1, 2, 4), "nearest-exact", {"size": 9}),
    ((1, 1, 3, 4), "nearest", {"scale_factor": (2.0, 1.5)}),
    ((2, 1, 5, 3), "nearest-exact", {"size": (3, 7)}),
    ((1, 2, 5), "linear", {"size": 9, "align_corners": False}),
    ((1, 2, 5), "linear", {"size": 3, "align_corners": True}),
    ((1, 1, 4), "linear", {"scale_factor": (2.5,), "align_corners": False}),
    ((1, 2, 3, 4), "bilinear", {"size": (5, 7), "align_corners": False}),
    ((1, 1, 4, 3), "bilinear", {"size": (2, 5), "align_corners": True}),
    ((1, 1, 3, 5), "bilinear", {"scale_factor": (2.0, 1.1), "align_corners": False}),
]


@pytest.mark.parametrize(("shape", "mode", "kw"), SETTINGS)
def test_values_equal_the_loop_over_the_output(
    shape: tuple[int, ...], mode: str, kw: dict[str, Any]
) -> None:
    x = np.random.default_rng(0).standard_normal(shape)
    y = F.interpolate(Tensor(x), mode=mode, **kw)
    if "size" in kw:
        out = kw["size"] if isinstance(kw["size"], tuple) else (kw["size"],)
    else:
        out = tuple(math.floor(n * s) for n, s in zip(shape[2:], kw["scale_factor"], strict=True))
    assert y.shape == (*shape[:2], *out)
    np.testing.assert_allclose(y.data, _resize_reference(x, out, mode, **kw), rtol=1e-14, atol=0)


@pytest.mark.parametrize(("shape", "mode", "kw"), SETTINGS[2:4] + SETTINGS[7:9])
def test_first_and_second_derivatives(
    shape: tuple[int, ...], mode: str, kw: dict[str, Any]
) -> None:
    x = Tensor(np.random.default_rng(1).standard_normal(shape), requires_grad=True)

    def resized(t: Tensor) -> Tensor:
        return F.interpolate(t, mode=mode, **kw) ** 2

    assert gradcheck(resized, x)
    assert gradgradcheck(resized, x)


def test_the_gradient_of_nearest_counts_each_source() -> None:
    x = Tensor(np.zeros((1, 1, 3)), requires_grad=True)
    F.interpolate(x, size=7).sum().backward()  # sources ⌊d·3/7⌋: 0 0 0 1 1 2 2
    assert x.grad.data.tolist() == [[[3.0, 2.0, 2.0]]]


def test_source_positions_follow_pytorchs_single_precision() -> None:
    """41·(2/82) is 1, but PyTorch's 2-D kernel scales by float32(2/82) < 2/82 and reads 0.

    Its 1-D kernel rounds the double-precision coordinate instead, and reads 1.
    """
    row = np.arange(2.0)
    wide = F.interpolate(Tensor(row.reshape(1, 1, 1, 2)), size=(1, 82)).data[0, 0, 0]
    assert wide[40:43].tolist() == [0.0, 0.0, 1.0]
    assert F.interpolate(Tensor(row.reshape(1, 1, 2)), size=82).data[0, 0, 41] == 1.0
    # a scale factor is used as 1/scale_factor unless recomputed from the rounded size
    x = Tensor(np.arange(4.0).reshape(1, 1, 4))  # 2 outputs; s = 1/0.7 or 4/2
    assert F.interpolate(x, scale_factor=0.7).data.tolist() == [[[0.0, 1.0]]]
    assert F.interpolate(x, scale_factor=0.7, recompute_scale_factor=True).data.tolist() == [
        [[0.0, 2.0]]
    ]
    exact = F.interpolate(x, scale_factor=0.7, mode="nearest-exact", recompute_scale_factor=True)
    assert exact.data.tolist() == [[[1.0, 3.0]]]


def test_upsample_layer() -> None:
    x = tg.randn(1, 2, 3, 4)
    up = nn.Upsample(scale_factor=(2, 1.5), mode="bilinear", align_corners=True)
    assert np.array_equal(
        up(x).data,
        F.interpolate(x, scale_factor=(2.0, 1.5), mode="bilinear", align_corners=True).data,
    )
    assert repr(up) == "Upsample(scale_factor=(2.0, 1.5), mode='bilinear')"
    assert repr(nn.Upsample(size=5)) == "Upsample(size=5, mode='nearest')"
    assert nn.Upsample(size=(6, 2))(x).shape == (1, 2, 6, 2)


_X = tg.zeros(1, 2, 4)
BAD: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: F.interpolate(_X, size=3, mode="lanczos"), ValueError, "mode 'lanczos' is not"),
    (lambda: F.interpolate(_X, size=3, mode="bicubic"), ValueError, "'bicubic' needs a 4-D"),
    (lambda: F.interpolate(_X, size=3, mode="trilinear"), ValueError, "mode 'trilinear'"),
    (lambda: F.interpolate(_X, size=3, mode="bilinear"), ValueError, "needs a 4-D input"),
    (lambda: F.interpolate(tg.zeros(1, 1, 2, 2), size=3, mode="linear"), ValueError, "3-D"),
    (lambda: F.interpolate(tg.zeros(2, 4), size=3), ValueError, "a 3-D (N, C, L), 4-D"),
    (lambda: F.interpolate(_X, size=3, align_corners=True), ValueError, "align_corners is only"),
    (lambda: F.interpolate(_X), ValueError, "either size or scale_factor"),
    (lambda: F.interpolate(_X, size=3, scale_factor=2), ValueError, "(exactly one of them)"),
    (lambda: F.interpolate(_X, size=(3, 3)), ValueError, "spatial sizes are (4,)"),
    (lambda: F.interpolate(_X, size=3.0), TypeError, "size must be an int"),
    (lambda: F.interpolate(_X, scale_factor="2"), TypeError, "scale_factor must hold real"),
    (lambda: F.interpolate(_X, scale_factor=0.2), ValueError, "the output's (0,) must be >= 1"),
    (lambda: F.interpolate(_X, size=0), ValueError, "must be >= 1"),
    (
        lambda: F.interpolate(_X, size=3, recompute_scale_factor=True),
        ValueError,
        "not meaningful with an explicit size",
    ),
    (lambda: F.interpolate(tg.zeros(1, 1, 2, dtype=np.int64), size=3), TypeError, "floating"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_input_is_refused_with_its_reason(
    call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call()
