"""Padding modes: reflect, replicate and circular in `F.pad`, `np.pad` on Tensors and the
convolution layers' `padding_mode`, against NumPy's `np.pad`, finite differences and the
refusals of PyTorch's limits."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, gradcheck, nn
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradgradcheck
from tinygrad_lite.pad_modes import source_positions

NUMPY_NAME = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _numpy_widths(pad: tuple[int, ...], ndim: int) -> list[tuple[int, int]]:
    """PyTorch's widths (last dimension first) as np.pad's per-axis pairs."""
    pairs = [(0, 0)] * ndim
    for k in range(len(pad) // 2):
        pairs[ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return pairs


CASES = [  # (shape, widths)
    ((2, 5), (2, 3)),
    ((1, 2, 4), (3, 0)),
    ((2, 3, 4), (1, 2, 2, 1)),
    ((1, 2, 3, 4), (0, 3, 2, 1)),
    ((2, 3, 4, 3), (1, 1, 2, 0, 1, 2)),
    ((1, 2, 3, 3, 4), (2, 1, 0, 2, 1, 1)),
]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(("shape", "pad"), CASES)
def test_modes_equal_numpys_pad(mode: str, shape: tuple[int, ...], pad: tuple[int, ...]) -> None:
    x = np.random.default_rng(0).standard_normal(shape)
    expected = np.pad(x, _numpy_widths(pad, len(shape)), mode=NUMPY_NAME[mode])
    assert np.array_equal(F.pad(Tensor(x), pad, mode=mode).data, expected)


def _reference(x: np.ndarray, left: int, right: int, mode: str) -> np.ndarray:
    """One dimension padded by a loop that reads each output element's source, with crops."""
    n, out = len(x), len(x) + left + right
    if mode == "circular":  # cropped first, then wrapped around what is left
        kept = x[max(-left, 0) : n - max(-right, 0)]
        return np.array([kept[(i - max(left, 0)) % len(kept)] for i in range(out)])
    values = []
    for i in range(out):
        j = i - left
        if mode == "replicate":
            j = min(max(j, 0), n - 1)
        while not 0 <= j < n:  # reflect: mirror about the end elements
            j = -j if j < 0 else 2 * (n - 1) - j
        values.append(x[j])
    return np.array(values)


@pytest.mark.parametrize(
    ("mode", "left", "right"),
    [
        ("reflect", -2, 3),
        ("reflect", 3, -4),
        ("replicate", -6, 4),
        ("replicate", 2, -1),
        ("circular", -1, 3),
        ("circular", 2, -2),
        ("circular", -2, -2),
    ],
)
def test_negative_widths_crop_as_pytorchs(mode: str, left: int, right: int) -> None:
    x = np.arange(1.0, 6.0)
    y = F.pad(Tensor(x.reshape(1, 5)), (left, right), mode=mode)
    assert np.array_equal(y.data[0], _reference(x, left, right, mode))


def test_numpy_pad_on_a_tensor_keeps_numpys_meaning_for_any_width() -> None:
    x = np.random.default_rng(1).standard_normal((3, 2))
    for mode in ("reflect", "edge", "wrap"):
        for widths in (((7, 1), (0, 5)), 4, ((2, 2),)):
            t = Tensor(x, requires_grad=True)
            y = np.pad(t, widths, mode=mode)
            assert isinstance(y, Tensor) and y.requires_grad
            assert np.array_equal(y.data, np.pad(x, widths, mode=mode))
    assert np.array_equal(
        np.pad(Tensor(x), 1, mode="reflect", reflect_type="even").data, np.pad(x, 1, "reflect")
    )
    assert np.pad(Tensor(np.zeros((0, 2))), ((0, 0), (1, 1)), mode="edge").shape == (0, 4)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_gradients_accumulate_into_the_sources(mode: str) -> None:
    x = Tensor(np.arange(4.0).reshape(1, 1, 4), requires_grad=True)
    F.pad(x, (3, 2), mode=mode).sum().backward()
    counts = np.bincount(source_positions(4, 3, 2, mode), minlength=4)
    assert np.array_equal(x.grad.data[0, 0], counts)
    rng = np.random.default_rng(2)
    a = Tensor(rng.standard_normal((1, 2, 3, 3)), requires_grad=True)
    w = (2, 1, 1, 2) if mode != "reflect" else (2, 1, -1, 2)

    def padded(t: Tensor) -> Tensor:
        return F.pad(t, w, mode=mode) ** 2

    assert gradcheck(padded, a)
    assert gradgradcheck(padded, a)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_mode_pads_before_the_convolution(mode: str) -> None:
    rng = np.random.default_rng(3)
    conv = nn.Conv2d(2, 3, (3, 2), padding=(1, 2), dilation=(1, 2), padding_mode=mode, seed=4)
    x = Tensor(rng.standard_normal((2, 2, 4, 5)))
    expected = F.conv2d(F.pad(x, (2, 2, 1, 1), mode=mode), conv.weight, conv.bias, dilation=(1, 2))
    np.testing.assert_allclose(conv(x).data, expected.data, rtol=1e-14, atol=1e-14)
    assert f"padding_mode={mode}" in repr(conv)
    same = nn.Conv1d(2, 2, 4, padding="same", dilation=1, padding_mode=mode, seed=5)
    y = Tensor(rng.standard_normal((2, 6)))  # unbatched; d(k − 1) = 3 split as 1 left, 2 right
    expected1 = F.conv1d(F.pad(y, (1, 2), mode=mode), same.weight, same.bias)
    np.testing.assert_allclose(same(y).data, expected1.data, rtol=1e-14, atol=1e-14)
    assert same(y).shape == (2, 6)
    t = Tensor(rng.standard_normal((1, 2, 3)), requires_grad=True)
    layer = nn.Conv1d(2, 1, 3, padding=2, padding_mode=mode, seed=6)
    assert gradcheck(lambda a: layer(a), t)


_X = tg.zeros(1, 2, 3, 4)
BAD: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: F.pad(_X, (1, 1), mode="mirror"), ValueError, "mode 'mirror' is not one of"),
    (lambda: F.pad(_X, (1, 1), mode="circular"), ValueError, "not supported with 2 widths on a 4"),
    (lambda: F.pad(tg.zeros(4), (1, 1), mode="replicate"), ValueError, "on a 1-D input"),
    (lambda: F.pad(_X, (1, 1, 1), mode="reflect"), ValueError, "with 3 widths"),
    (lambda: F.pad(_X, (1, 1, 1, 1), mode="reflect", value=2.0), ValueError, "takes no fill"),
    (lambda: F.pad(_X, (4, 0, 0, 0), mode="reflect"), ValueError, "(4, 0) must be smaller than"),
    (lambda: F.pad(_X, (1, 1, 3, 0), mode="reflect"), ValueError, "dimension 2 of size 3"),
    (lambda: F.pad(_X, (5, 0, 0, 0), mode="circular"), ValueError, "at most the 4 elements"),
    (lambda: F.pad(_X, (-1, 4, 0, 0), mode="circular"), ValueError, "at most the 3 elements"),
    (lambda: F.pad(_X, (-3, -2, 0, 0), mode="circular"), ValueError, "would crop more than"),
    (lambda: F.pad(_X, (-2, -2, -3, 0), mode="replicate"), ValueError, "leave no element"),
    (lambda: F.pad(tg.zeros(1, 4), (-2, -2), mode="reflect"), ValueError, "leave no element"),
    (lambda: F.pad(tg.zeros(2, 0, 3), (1, 1), mode="reflect"), ValueError, "non-empty"),
    (lambda: F.pad(_X, (1.0, 1), mode="reflect"), TypeError, "widths must be ints"),
    (lambda: np.pad(tg.zeros(2, 2), 1, mode="symmetric"), TypeError, "mode='symmetric'"),
    (lambda: np.pad(tg.zeros(2, 2), 1, mode="reflect", reflect_type="odd"), TypeError, "even"),
    (lambda: np.pad(tg.zeros(2, 2), 1, mode="edge", stat_length=2), TypeError, "stat_length"),
    (lambda: np.pad(tg.zeros(0, 2), 1, mode="wrap"), ValueError, "empty axis 0"),
    (lambda: nn.Conv1d(2, 2, 3, padding_mode="zero"), ValueError, "padding_mode must be one of"),
    (
        lambda: nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"),
        ValueError,
        "ConvTranspose2d: padding_mode must be 'zeros'",
    ),
    (
        lambda: nn.Conv2d(2, 2, 3, padding=3, padding_mode="reflect")(_X),
        ValueError,
        "(3, 3) must be smaller than dimension 2 of size 3",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_input_is_refused_with_its_reason(
    call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call()
