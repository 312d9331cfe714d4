"""Softmin, Softmax2d, Threshold, Bilinear, RMSNorm, LocalResponseNorm, and a compiled step."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn, optim
from tinygrad_lite.act_extras import softmin, threshold
from tinygrad_lite.bilinear import bilinear
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck
from tinygrad_lite.rms_norms import local_response_norm, rms_norm

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3))


def lrn_reference(x: np.ndarray, size: int, alpha: float, beta: float, k: float) -> np.ndarray:
    """The window sum written out channel by channel, the outside channels left out."""
    out = np.empty_like(x)
    c = x.shape[1]
    for ch in range(c):
        lo, hi = max(ch - size // 2, 0), min(ch + (size - 1) // 2, c - 1)
        energy = (x[:, lo : hi + 1] ** 2).sum(axis=1)
        out[:, ch] = x[:, ch] / (k + alpha / size * energy) ** beta
    return out


def test_softmin_is_the_softmax_of_minus_x() -> None:
    e = np.exp(-X - (-X).max(axis=1, keepdims=True))
    np.testing.assert_allclose(softmin(X, 1).data, e / e.sum(axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(nn.Softmin(0)(X).data.sum(axis=0), 1.0, rtol=1e-14)
    x = Tensor(X.copy(), requires_grad=True)
    assert gradcheck(lambda t: softmin(t, 1), x) and gradgradcheck(lambda t: softmin(t, 0), x)
    assert softmin(X.astype(np.float32), -1).dtype == np.float32


def test_softmax2d_normalises_the_channels_at_each_pixel() -> None:
    x = RNG.standard_normal((2, 3, 2, 1))
    e = np.exp(x)
    np.testing.assert_allclose(nn.Softmax2d()(x).data, e / e.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(nn.Softmax2d()(x[0]).data, (e / e.sum(axis=1, keepdims=True))[0])


def test_threshold_values_and_its_gradient_at_the_threshold() -> None:
    x = Tensor(np.array([-1.0, 0.5, 1.0, 1.5, np.nan]), requires_grad=True)
    y = threshold(x, 1.0, 20.0)
    np.testing.assert_array_equal(y.data, [20.0, 20.0, 20.0, 1.5, np.nan])
    y.sum().backward()
    assert x.grad is not None and x.grad.data.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert gradcheck(nn.Threshold(0.1, -2.0), Tensor(X.copy(), requires_grad=True))
    z = Tensor(np.array([0.0, 2.0]))
    assert nn.Threshold(1.0, 5.0, inplace=True)(z) is z and z.data.tolist() == [5.0, 2.0]
    ints = threshold(np.arange(4), 1.5, 7)
    assert ints.dtype == np.int64 and ints.data.tolist() == [7, 7, 2, 3]
    assert repr(nn.Threshold(0.1, 20)) == "Threshold(threshold=0.1, value=20)"


def test_bilinear_is_the_sum_of_x1_a_x2_and_its_layer_has_pytorchs_names() -> None:
    x1, x2 = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 4))
    a, b = RNG.standard_normal((5, 2, 4)), RNG.standard_normal(5)
    expected = np.einsum("ni,oij,nj->no", x1, a, x2) + b
    np.testing.assert_allclose(bilinear(x1, x2, a, b).data, expected, rtol=1e-13)
    ts = [Tensor(v[:2] if v.ndim == 2 else v, requires_grad=True) for v in (x1, x2, a, b)]
    assert gradcheck(bilinear, *ts) and gradgradcheck(bilinear, *ts)
    layer = nn.Bilinear(2, 4, 5, seed=1)
    assert {k: v.shape for k, v in layer.state_dict().items()} == {
        "weight": (5, 2, 4),
        "bias": (5,),
    }
    assert list(nn.Bilinear(2, 4, 5, bias=False).state_dict()) == ["weight"]
    np.testing.assert_allclose(layer(x1, x2).data, bilinear(x1, x2, layer.weight, layer.bias).data)
    assert repr(layer) == "Bilinear(in1_features=2, in2_features=4, out_features=5, bias=True)"
    w = nn.Bilinear(4, 1, 400, seed=2).weight.data  # U(-1/√4, 1/√4): fills [-0.5, 0.5]
    assert np.abs(w).max() <= 0.5 and np.abs(w).max() > 0.49 and abs(w.mean()) < 0.05
    assert nn.Bilinear(2, 3, 1, dtype=np.float32).weight.dtype == np.float32


def test_rms_norm_divides_by_the_root_mean_square() -> None:
    x = RNG.standard_normal((2, 2, 3))
    rms = np.sqrt((x**2).mean(axis=(1, 2), keepdims=True) + 1e-3)
    w = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(rms_norm(x, (2, 3), w, 1e-3).data, x / rms * w, rtol=1e-13)
    eps64 = np.finfo(np.float64).eps
    rms = np.sqrt((x**2).mean(axis=-1, keepdims=True) + eps64)
    np.testing.assert_allclose(nn.RMSNorm(3)(x).data, x / rms, rtol=1e-13)
    x32 = x.astype(np.float32)
    rms32 = np.sqrt((x32**2).mean(axis=-1, keepdims=True) + np.finfo(np.float32).eps)
    np.testing.assert_allclose(rms_norm(x32, 3).data, x32 / rms32, rtol=1e-6)
    xt, wt = Tensor(x[0], requires_grad=True), Tensor(w[0], requires_grad=True)
    assert gradcheck(lambda a, b: rms_norm(a, 3, b, 0.1), xt, wt)
    assert gradgradcheck(lambda a, b: rms_norm(a, 3, b, 0.1), xt, wt)
    zero = Tensor(np.zeros(2), requires_grad=True)
    rms_norm(zero, 2).sum().backward()
    assert zero.grad is not None and zero.grad.data.tolist() == [2.0**26] * 2  # 1/√eps
    assert list(nn.RMSNorm(3).state_dict()) == ["weight"]
    assert nn.RMSNorm((2, 3), elementwise_affine=False).state_dict() == {}
    assert repr(nn.RMSNorm(3, eps=0.5)) == "RMSNorm((3,), eps=0.5, elementwise_affine=True)"


@pytest.mark.parametrize(
    ("shape", "size", "consts"),
    [
        ((2, 4, 3), 3, (1e-4, 0.75, 1.0)),
        ((1, 5, 2, 1), 2, (0.5, 0.6, 2.0)),
        ((1, 2, 1), 4, (1, 1, 1)),
    ],
)
def test_local_response_norm_matches_the_window_written_out(
    shape: tuple[int, ...], size: int, consts: tuple[float, float, float]
) -> None:
    x = RNG.standard_normal(shape)
    expected = lrn_reference(x, size, *consts)
    np.testing.assert_allclose(local_response_norm(x, size, *consts).data, expected, rtol=1e-13)
    np.testing.assert_allclose(nn.LocalResponseNorm(size, *consts)(x).data, expected, rtol=1e-13)
    t = Tensor(x[:1, :, :1], requires_grad=True)
    fn = lambda a: local_response_norm(a, size, 0.5, 0.75, 1.0)  # noqa: E731
    assert gradcheck(fn, t) and gradgradcheck(fn, t)


def test_local_response_norm_returns_an_empty_input_and_shows_its_settings() -> None:
    empty = Tensor(np.zeros((0, 3, 2)))
    assert local_response_norm(empty, 2) is empty
    assert repr(nn.LocalResponseNorm(2)) == "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)"


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: softmin(X[None]), TypeError, r"softmin: give dim.* for a 3-d input"),
        (lambda: nn.Softmin(), TypeError, r"Softmin: give dim"),
        (lambda: softmin(X, 2), IndexError, r"softmin: dim 2 is out of range"),
        (lambda: softmin(np.arange(3), 0), TypeError, r"needs a floating-point input"),
        (lambda: softmin(X, 0, dtype=np.int32), TypeError, r"dtype must be a floating-point"),
        (lambda: nn.Softmax2d()(X), ValueError, r"Softmax2d: expected a 3-D .* got shape \(2, 3\)"),
        (lambda: threshold(X, "a", 0.0), TypeError, r"threshold must be a real number"),
        (lambda: nn.Threshold(0.0, None), TypeError, r"Threshold: value must be a real"),
        (lambda: threshold(np.arange(3), 1, 0.5), ValueError, r"value 0.5 does not fit"),
        (
            lambda: bilinear(np.ones((2, 3)), np.ones(4), np.ones((5, 3, 4))),
            ValueError,
            r"same number of dimensions, got shapes \(2, 3\) and \(4,\)",
        ),
        (
            lambda: bilinear(np.ones((2, 3)), np.ones((3, 4)), np.ones((5, 3, 4))),
            ValueError,
            r"batch dimensions differ",
        ),
        (
            lambda: bilinear(np.ones((2, 3)), np.ones((2, 5)), np.ones((5, 3, 4))),
            ValueError,
            r"input2 has 5 features but the weight of shape \(5, 3, 4\) expects 4",
        ),
        (
            lambda: bilinear(np.ones(3), np.ones(4), np.ones((5, 3, 4)), np.ones(6)),
            ValueError,
            r"bias must have shape \(5,\), got \(6,\)",
        ),
        (
            lambda: bilinear(np.ones(3, np.float32), np.ones(4), np.ones((5, 3, 4))),
            TypeError,
            r"one dtype, got input1 float32, input2 float64",
        ),
        (lambda: bilinear(np.ones(3), np.ones(4), np.ones((3, 4))), ValueError, r"weight must be"),
        (lambda: nn.Bilinear(0, 2, 3), ValueError, r"Bilinear: in1_features must be >= 1"),
        (lambda: nn.Bilinear(2, 2, 3, dtype=np.int64), ValueError, r"floating-point dtype"),
        (lambda: rms_norm(X, 2), ValueError, r"needs input of shape \(\*, 2\)"),
        (lambda: rms_norm(X, 3, np.ones(2)), ValueError, r"weight must have shape \(3,\)"),
        (lambda: rms_norm(np.arange(3), 3), TypeError, r"needs a floating-point input"),
        (lambda: rms_norm(X, 3, eps=-1.0), ValueError, r"eps must be finite and >= 0"),
        (lambda: nn.RMSNorm(0), ValueError, r"RMSNorm: normalized_shape must be"),
        (lambda: nn.RMSNorm(3, eps="a"), TypeError, r"RMSNorm: eps must be a real number"),
        (lambda: local_response_norm(X, 2), ValueError, r"3 or more dimensions"),
        (lambda: local_response_norm(X[None], 0), ValueError, r"size must be >= 1"),
        (lambda: nn.LocalResponseNorm(2.0), TypeError, r"LocalResponseNorm: size must be an int"),
        (lambda: nn.LocalResponseNorm(2, beta="x"), TypeError, r"beta must be a real number"),
    ],
)
def test_refusals_name_the_problem(make: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make()


def _model_and_step() -> tuple[nn.Module, Any]:
    tg.manual_seed(3)
    net = nn.Sequential(
        nn.ReflectionPad2d(1),
        nn.PixelUnshuffle(2),
        nn.ChannelShuffle(2),
        nn.LocalResponseNorm(3),
        nn.Flatten(),
        nn.RMSNorm(32),
        nn.Threshold(-0.5, -1.0),
    )
    head = nn.Bilinear(32, 32, 3, seed=4)
    scale = nn.ParameterList([nn.Parameter(np.linspace(0.5, 1.5, 2).reshape(1, 2, 1, 1))])
    model = nn.ModuleList([net, head, scale])
    opt = optim.SGD(model.parameters(), lr=0.1)
    softmin_layer = nn.Softmin(1)

    def step(x: Tensor) -> Tensor:
        opt.zero_grad()
        h = net(x * scale[0])
        loss = (softmin_layer(head(h, h)) ** 2).sum()
        loss.backward()
        opt.step()
        return loss

    return model, step


def test_a_compiled_step_replays_eager_bit_for_bit() -> None:
    (eager_model, eager), (fast_model, step) = _model_and_step(), _model_and_step()
    fast = tg.compile(step)
    rng = np.random.default_rng(5)
    for _ in range(3):
        x = rng.standard_normal((2, 2, 2, 2))
        a, b = eager(Tensor(x)), fast(Tensor(x))
        assert a.data.tobytes() == b.data.tobytes()
    ours, theirs = eager_model.state_dict(), fast_model.state_dict()
    assert list(ours) == list(theirs) and "2.0" in ours and "0.5.weight" in ours
    for name in ours:
        assert ours[name].tobytes() == theirs[name].tobytes(), name
    assert fast.traces == 1
