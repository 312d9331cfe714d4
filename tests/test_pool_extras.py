"""ceil_mode pools and adaptive max pooling: values, indices and divisors against loops over the
windows, first and second derivatives against finite differences, the layers, and refusals."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, gradcheck, nn
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradgradcheck


def _ceil_count(n: int, k: int, s: int, p: int, d: int) -> int:
    """⌈(n + 2p − span)/s⌉ + 1 windows, less one if the last would start past n + p."""
    out = math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1
    return out - 1 if (out - 1) * s >= n + p else out


def _pick(values: list[float]) -> int:
    """PyTorch's choice in a window: the last NaN, else the first maximum."""
    nans = [i for i, v in enumerate(values) if np.isnan(v)]
    return nans[-1] if nans else int(np.argmax(values))


def _pool_reference(x: np.ndarray, k: Any, s: Any, p: Any, d: Any, kind: str) -> Any:
    """A 2-D ceil_mode pool, window by window; (values, indices) or the means."""
    h, w = x.shape[-2:]
    oh, ow = (_ceil_count((h, w)[i], k[i], s[i], p[i], d[i]) for i in range(2))
    values, indices = np.empty((*x.shape[:-2], oh, ow)), np.empty((*x.shape[:-2], oh, ow), int)
    for i in range(oh):
        for j in range(ow):
            rows = [i * s[0] - p[0] + a * d[0] for a in range(k[0])]
            cols = [j * s[1] - p[1] + b * d[1] for b in range(k[1])]
            inside = [(r, c) for r in rows for c in cols if 0 <= r < h and 0 <= c < w]
            for idx in np.ndindex(x.shape[:-2]):
                window = [x[idx][r, c] for r, c in inside]
                if kind == "max":
                    r, c = inside[_pick(window)]
                    values[idx][i, j], indices[idx][i, j] = x[idx][r, c], r * w + c
                    continue
                # the padding counts (count_include_pad), what hangs past it never does
                in_pad = [
                    sum(-p[0] <= r < h + p[0] for r in rows),
                    sum(-p[1] <= c < w + p[1] for c in cols),
                ]
                count = in_pad[0] * in_pad[1] if kind == "avg_pad" else len(inside)
                values[idx][i, j] = sum(window) / count
    return (values, indices) if kind == "max" else values


CEIL = [  # kernel, stride, padding, dilation, (H, W)
    ((2, 2), (2, 2), (0, 0), (1, 1), (5, 3)),
    ((3, 2), (2, 3), (1, 1), (1, 1), (4, 5)),
    ((3, 3), (3, 2), (1, 0), (2, 1), (6, 4)),
    ((2, 3), (3, 2), (1, 1), (1, 1), (2, 2)),  # windows larger than the input
]


@pytest.mark.parametrize(("k", "s", "p", "d", "hw"), CEIL)
def test_ceil_mode_max_pool_equals_the_loop(k: Any, s: Any, p: Any, d: Any, hw: Any) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(-2, 3, (2, 2, *hw)).astype(float)  # ties
    x[rng.random(x.shape) < 0.15] = np.nan
    x[rng.random(x.shape) < 0.15] = -np.inf
    y, idx = F.max_pool2d(Tensor(x), k, s, p, d, ceil_mode=True, return_indices=True)
    expected, expected_idx = _pool_reference(x, k, s, p, d, "max")
    assert np.array_equal(y.data, expected, equal_nan=True)
    assert np.array_equal(idx.data, expected_idx)


@pytest.mark.parametrize(("k", "s", "p", "d", "hw"), [c for c in CEIL if c[3] == (1, 1)])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_ceil_mode_avg_pool_divides_as_pytorch(
    k: Any, s: Any, p: Any, d: Any, hw: Any, count_include_pad: bool
) -> None:
    x = np.random.default_rng(1).standard_normal((1, 2, *hw))
    y = F.avg_pool2d(Tensor(x), k, s, p, ceil_mode=True, count_include_pad=count_include_pad)
    kind = "avg_pad" if count_include_pad else "avg"
    np.testing.assert_allclose(y.data, _pool_reference(x, k, s, p, d, kind), rtol=1e-14)
    override = F.avg_pool2d(Tensor(x), k, s, p, ceil_mode=True, divisor_override=3)
    sums = F.avg_pool2d(Tensor(x), k, s, p, ceil_mode=True, divisor_override=1)
    np.testing.assert_allclose(override.data, sums.data / 3, rtol=1e-14)


def test_ceil_mode_in_one_dimension_and_its_derivatives() -> None:
    rng = np.random.default_rng(2)
    x = Tensor(rng.permutation(14).reshape(2, 7) / 7, requires_grad=True)  # no ties
    assert F.max_pool1d(x, 2, 2, ceil_mode=True).shape == (2, 4)  # 3 without ceil_mode
    assert F.avg_pool1d(x, 2, 3, 1, ceil_mode=True).shape == (2, 3)
    assert F.max_pool1d(x, 2, 4, 1, ceil_mode=True).shape == (2, 2)  # a third would start at 7
    v, i = F.max_pool1d(x, 3, 2, ceil_mode=True, return_indices=True)
    v2, i2 = F.max_pool2d(x.unsqueeze(1), (1, 3), (1, 2), ceil_mode=True, return_indices=True)
    assert np.array_equal(v.data, v2.data[:, 0]) and np.array_equal(i.data, i2.data[:, 0])

    def pools(t: Tensor) -> Tensor:
        m = F.max_pool1d(t, 3, 2, ceil_mode=True)
        a = F.avg_pool1d(t, 3, 2, 1, ceil_mode=True, count_include_pad=True)
        return (m * m).sum() + (a * a * a).sum()

    assert gradcheck(pools, x)
    assert gradgradcheck(pools, x)


def _adaptive_max_reference(x: np.ndarray, out: tuple[int, int]) -> tuple[Any, Any]:
    h, w = x.shape[-2:]
    values, indices = np.empty((*x.shape[:-2], *out)), np.empty((*x.shape[:-2], *out), int)
    for i in range(out[0]):
        for j in range(out[1]):
            rows = range(i * h // out[0], -(-(i + 1) * h // out[0]))
            cols = range(j * w // out[1], -(-(j + 1) * w // out[1]))
            cells = [(r, c) for r in rows for c in cols]
            for idx in np.ndindex(x.shape[:-2]):
                r, c = cells[_pick([x[idx][r, c] for r, c in cells])]
                values[idx][i, j], indices[idx][i, j] = x[idx][r, c], r * w + c
    return values, indices


@pytest.mark.parametrize("out", [(1, 1), (2, 3), (3, 2), (4, 6), (None, 2)])
def test_adaptive_max_pool_uses_pytorchs_windows_and_picks(out: Any) -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, (2, 2, 3, 5)).astype(float)
    x[rng.random(x.shape) < 0.1] = np.nan
    y, idx = F.adaptive_max_pool2d(Tensor(x), out, return_indices=True)
    size = (3 if out[0] is None else out[0], out[1])
    expected, expected_idx = _adaptive_max_reference(x, size)
    assert np.array_equal(y.data, expected, equal_nan=True)
    assert np.array_equal(idx.data, expected_idx)
    single = F.adaptive_max_pool2d(Tensor(x[0]), out)
    assert np.array_equal(single.data, expected[0], equal_nan=True)
    v1, i1 = F.adaptive_max_pool1d(Tensor(x[:, :, 0]), out[1], return_indices=True)
    e1, ei1 = _adaptive_max_reference(x[:, :, :1], (1, out[1]))
    assert np.array_equal(v1.data, e1[:, :, 0], equal_nan=True)
    assert np.array_equal(i1.data, ei1[:, :, 0])


def test_adaptive_max_pool_derivatives_and_layers() -> None:
    rng = np.random.default_rng(4)
    x = Tensor(rng.permutation(30).reshape(1, 2, 3, 5) / 30, requires_grad=True)

    def pooled(t: Tensor) -> Tensor:
        return F.adaptive_max_pool2d(t, (2, 3)) ** 2

    assert gradcheck(pooled, x)
    assert gradgradcheck(pooled, x)
    layer = nn.AdaptiveMaxPool2d((2, 3), return_indices=True)
    values, indices = layer(x)
    assert np.array_equal(values.data, F.adaptive_max_pool2d(x, (2, 3)).data)
    assert indices.dtype == np.int64 and repr(layer) == "AdaptiveMaxPool2d(output_size=(2, 3))"
    one = nn.AdaptiveMaxPool1d(2)
    assert np.array_equal(one(x[0]).data, F.adaptive_max_pool1d(x[0], 2).data)


def test_pool_layers_take_ceil_mode() -> None:
    x = tg.randn(1, 2, 5, 5)
    layer = nn.MaxPool2d(2, ceil_mode=True)
    assert layer(x).shape == (1, 2, 3, 3) and "ceil_mode=True" in repr(layer)
    assert nn.AvgPool2d(2, ceil_mode=True, divisor_override=2)(x).shape == (1, 2, 3, 3)
    assert nn.AvgPool1d(2, ceil_mode=True)(x[0]).shape == (2, 5, 3)
    assert nn.MaxPool1d(3, 2, ceil_mode=True, return_indices=True)(x[0])[1].shape == (2, 5, 2)


BAD: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (
        lambda: F.max_pool1d(tg.zeros(1, 1, 2), 3, 1, ceil_mode=True),
        ValueError,
        "a kernel of 3 (dilation 1, so 3 wide) leaves no window in the input's width 2",
    ),
    (
        lambda: F.max_pool2d(tg.zeros(1, 1, 2, 2), (1, 2), 1, (0, 1), (1, 3)),
        ValueError,
        "with dilation (1, 3) a window holds only padding",
    ),
    (lambda: F.adaptive_max_pool2d(tg.zeros(1, 2, 3), (2, 0)), ValueError, "ints >= 1"),
    (lambda: F.adaptive_max_pool2d(tg.zeros(2, 3), 2), ValueError, "expected an input"),
    (lambda: F.adaptive_max_pool1d(tg.zeros(1, 2, 3), (2, 2)), ValueError, "must give 1 size"),
    (lambda: F.adaptive_max_pool1d(tg.zeros(2, 3, dtype=np.int64), 2), TypeError, "floating"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_input_is_refused_with_its_reason(
    call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call()
