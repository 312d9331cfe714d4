"""Pixel and channel shuffles, and the Fold and Unfold layers: values, gradients, refusals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor, nn
from tinygrad_lite.convolution import fold, unfold
from tinygrad_lite.gradcheck import gradcheck
from tinygrad_lite.shuffles import channel_shuffle, pixel_shuffle, pixel_unshuffle


def shuffle_reference(x: np.ndarray, r: int) -> np.ndarray:
    """out[..., c, h·r + i, w·r + j] = x[..., c·r² + i·r + j, h, w], element by element."""
    *lead, c, h, w = x.shape
    out = np.zeros((*lead, c // (r * r), h * r, w * r), x.dtype)
    for co in range(c // (r * r)):
        for i in range(r):
            for j in range(r):
                out[..., co, i::r, j::r] = x[..., co * r * r + i * r + j, :, :]
    return out


def channel_reference(x: np.ndarray, g: int) -> np.ndarray:
    """Output channel j·g + k is input channel k·(C/g) + j."""
    c = x.shape[1]
    order = [k * (c // g) + j for j in range(c // g) for k in range(g)]
    return x[:, order]


@pytest.mark.parametrize(("shape", "r"), [((8, 2, 3), 2), ((2, 1, 9, 2, 1), 3), ((1, 3, 2, 2), 1)])
def test_pixel_shuffle_and_unshuffle_match_the_reference_and_invert_each_other(
    shape: tuple[int, ...], r: int
) -> None:
    x = np.random.default_rng(0).standard_normal(shape)
    y = pixel_shuffle(x, r)
    np.testing.assert_array_equal(y.data, shuffle_reference(x, r))
    np.testing.assert_array_equal(pixel_unshuffle(y, r).data, x)
    np.testing.assert_array_equal(nn.PixelShuffle(r)(x).data, y.data)
    np.testing.assert_array_equal(nn.PixelUnshuffle(r)(y).data, x)


@pytest.mark.parametrize(("shape", "g"), [((2, 6, 2), 3), ((1, 4, 1, 2, 1), 2), ((1, 5, 1), 1)])
def test_channel_shuffle_matches_the_reference(shape: tuple[int, ...], g: int) -> None:
    x = np.arange(np.prod(shape)).reshape(shape)
    y = channel_shuffle(x, g)
    assert y.dtype == np.int64  # integer tensors are rearranged too
    np.testing.assert_array_equal(y.data, channel_reference(x, g))
    np.testing.assert_array_equal(nn.ChannelShuffle(g)(x).data, y.data)


def test_the_gradients_are_the_rearrangement_run_backwards() -> None:
    rng = np.random.default_rng(1)
    for fn, shape in [
        (lambda t: pixel_shuffle(t, 2), (1, 4, 2, 1)),
        (lambda t: pixel_unshuffle(t, 2), (1, 2, 2)),
        (lambda t: channel_shuffle(t, 2), (1, 4, 2)),
    ]:
        assert gradcheck(fn, Tensor(rng.standard_normal(shape), requires_grad=True))
    x = Tensor(rng.standard_normal((4, 1, 2)), requires_grad=True)
    w = rng.standard_normal((1, 2, 4))
    (pixel_shuffle(x, 2) * Tensor(w)).sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, pixel_unshuffle(w, 2).data)


def test_fold_and_unfold_layers_call_the_functions() -> None:
    x = np.random.default_rng(2).standard_normal((2, 2, 4, 5))
    cols = nn.Unfold((2, 3), dilation=1, padding=1, stride=2)(x)
    np.testing.assert_array_equal(cols.data, unfold(x, (2, 3), 1, 1, 2).data)
    back = nn.Fold((4, 5), (2, 3), padding=1, stride=2)(cols)
    np.testing.assert_array_equal(back.data, fold(cols, (4, 5), (2, 3), 1, 1, 2).data)
    # fold(unfold(1)) counts how many windows cover each pixel
    counts = nn.Fold(3, 2)(nn.Unfold(2)(np.ones((1, 1, 3, 3))))
    assert counts.data[0, 0].tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    assert gradcheck(nn.Unfold(2, padding=1), Tensor(x[:1, :1, :2, :3], requires_grad=True))


def test_reprs_and_state_dicts() -> None:
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"
    assert repr(nn.PixelUnshuffle(3)) == "PixelUnshuffle(downscale_factor=3)"
    assert repr(nn.ChannelShuffle(4)) == "ChannelShuffle(groups=4)"
    assert repr(nn.Unfold(2, padding=1)) == (
        "Unfold(kernel_size=2, dilation=1, padding=1, stride=1)"
    )
    assert repr(nn.Fold((4, 5), 2)) == (
        "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)"
    )
    assert nn.Fold(3, 2).state_dict() == {} and nn.PixelShuffle(2).state_dict() == {}


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: pixel_shuffle(np.zeros((4, 2)), 2), ValueError, r"at least 3 dimensions"),
        (lambda: pixel_shuffle(np.zeros((5, 1, 1)), 2), ValueError, r"multiple of .* = 4, got 5"),
        (lambda: pixel_shuffle(np.zeros((4, 1, 1)), 0), ValueError, r"must be positive, got 0"),
        (lambda: pixel_shuffle(np.zeros((4, 1, 1)), 2.0), TypeError, r"must be an int"),
        (lambda: pixel_unshuffle(np.zeros((1, 3, 4)), 2), ValueError, r"the height .* got 3"),
        (lambda: pixel_unshuffle(np.zeros((1, 4, 3)), 2), ValueError, r"the width .* got 3"),
        (lambda: channel_shuffle(np.zeros((2, 6)), 2), ValueError, r"more than 2 dimensions"),
        (lambda: channel_shuffle(np.zeros((1, 6, 1)), 4), ValueError, r"groups=4 must divide"),
        (lambda: channel_shuffle(np.zeros((1, 6, 1)), -2), ValueError, r"must be positive"),
        (lambda: nn.PixelShuffle(True), TypeError, r"PixelShuffle: upscale_factor must be an"),
        (lambda: nn.PixelUnshuffle(0), ValueError, r"PixelUnshuffle: downscale_factor must be"),
        (lambda: nn.ChannelShuffle(1.5), TypeError, r"ChannelShuffle: groups must be an int"),
        (lambda: nn.Unfold(0), ValueError, r"Unfold: kernel_size must be >= 1"),
        (lambda: nn.Fold((2, 2, 2), 1), TypeError, r"Fold: output_size must be an int or 2"),
        (lambda: nn.Fold(3, 2, padding=-1), ValueError, r"Fold: padding must be >= 0"),
    ],
)
def test_refusals_name_the_problem(make: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make()
