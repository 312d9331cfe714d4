"""Convolution and pooling: autograd against the hand-derived reference, finite differences,
PyTorch's element choices, the course's published numbers, compile, layers and bad input."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from models.manual_conv import conv_backward, conv_forward, pool_backward, pool_forward
from tinygrad_lite import Tensor, gradcheck, nn, optim
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradgradcheck

# The course's layout is channels last: A (m, H, W, C), W (f, f, C_prev, C), b (1, 1, 1, C).
# PyTorch's, and the library's, is channels first: x (N, C, H, W), weight (C_out, C_in, kh, kw).


def _nchw(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.transpose(0, 3, 1, 2))


def _nhwc(a: np.ndarray) -> np.ndarray:
    return a.transpose(0, 2, 3, 1)


@st.composite
def _conv_settings(draw: Any) -> dict[str, Any]:
    f, stride, pad = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(0, 2))
    side = st.integers(max(f - 2 * pad, 1), 5)
    m, h, w = draw(st.integers(1, 2)), draw(side), draw(side)
    c_prev, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    A = rng.standard_normal((m, h, w, c_prev))
    W, b = rng.standard_normal((f, f, c_prev, c)), rng.standard_normal((1, 1, 1, c))
    return {"A": A, "W": W, "b": b, "stride": stride, "pad": pad, "rng": rng}


@settings(max_examples=25)
@given(_conv_settings())
def test_conv2d_autograd_equals_the_hand_derived_backward(s: dict[str, Any]) -> None:
    hp = {"stride": s["stride"], "pad": s["pad"]}
    Z, cache = conv_forward(s["A"], s["W"], s["b"], hp)
    G = s["rng"].standard_normal(Z.shape)  # dL/dZ for L = Σ Z ⊙ G
    dA, dW, db = conv_backward(G, cache)

    x = Tensor(_nchw(s["A"]), requires_grad=True)
    w = Tensor(np.ascontiguousarray(s["W"].transpose(3, 2, 0, 1)), requires_grad=True)
    bias = Tensor(s["b"].reshape(-1), requires_grad=True)
    y = F.conv2d(x, w, bias, stride=s["stride"], padding=s["pad"])
    np.testing.assert_allclose(_nhwc(y.data), Z, rtol=1e-12, atol=1e-12)
    (y * Tensor(_nchw(G))).sum().backward()
    np.testing.assert_allclose(_nhwc(x.grad.data), dA, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.grad.data.transpose(2, 3, 1, 0), dW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bias.grad.data, db.reshape(-1), rtol=1e-12, atol=1e-12)


@settings(max_examples=25)
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from(["max", "average"]),
    st.integers(0, 2**32 - 1),
)
def test_pooling_autograd_equals_the_hand_derived_backward(
    f: int, stride: int, mode: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    # small integers: many ties, where both send the gradient to the window's first maximum
    A = rng.integers(-2, 3, (2, f + rng.integers(0, 4), f + rng.integers(0, 4), 2)).astype(float)
    hp = {"stride": stride, "f": f}
    P, cache = pool_forward(A, hp, mode=mode)
    G = rng.standard_normal(P.shape)
    dA = pool_backward(G, cache, mode=mode)

    x = Tensor(_nchw(A), requires_grad=True)
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    y = pool(x, f, stride)
    np.testing.assert_allclose(_nhwc(y.data), P, rtol=1e-12, atol=1e-12)
    (y * Tensor(_nchw(G))).sum().backward()
    np.testing.assert_allclose(_nhwc(x.grad.data), dA, rtol=1e-12, atol=1e-12)


def _course_draws(*shapes: tuple[int, ...]) -> list[np.ndarray]:
    """``np.random.seed(1)`` then ``np.random.randn(*shape)`` for each shape, in order."""
    rs = np.random.RandomState(1)
    return [rs.randn(*shape) for shape in shapes]


def test_the_courses_published_conv_numbers_come_out_of_autograd() -> None:
    """The notebook's conv_forward and conv_backward example, through F.conv2d and backward."""
    A, W, b = _course_draws((10, 4, 4, 3), (2, 2, 3, 8), (1, 1, 1, 8))
    x = Tensor(_nchw(A), requires_grad=True)
    w = Tensor(np.ascontiguousarray(W.transpose(3, 2, 0, 1)), requires_grad=True)
    bias = Tensor(b.reshape(-1), requires_grad=True)
    y = F.conv2d(x, w, bias, stride=2, padding=2)
    Z = _nhwc(y.data)
    assert f"{Z.mean():.12g}" == "0.0489952035289"  # "Z's mean = 0.0489952035289"
    assert np.array2string(Z[3, 2, 1], precision=8) == (
        "[-0.61490741 -6.7439236  -2.55153897  1.75698377  3.56208902  0.53036437\n"
        "  5.18531798  8.75898442]"
    )
    (0.5 * (y * y).sum()).backward()  # dL/dZ = Z, as the notebook calls conv_backward(Z, cache)
    means = [x.grad.data.mean(), w.grad.data.mean(), bias.grad.data.mean()]
    assert [f"{v:.12g}" for v in means] == ["1.45243777754", "1.72699145831", "7.83923256462"]


def test_the_courses_published_pool_numbers_come_out_of_the_library() -> None:
    (A,) = _course_draws((2, 4, 4, 3))
    x = _nchw(A)
    assert np.array2string(_nhwc(F.max_pool2d(x, 3, 2).data), precision=8) == (
        "[[[[1.74481176 0.86540763 1.13376944]]]\n\n\n [[[1.13162939 1.51981682 2.18557541]]]]"
    )
    assert np.array2string(_nhwc(F.avg_pool2d(x, 3, 2).data), precision=8) == (
        "[[[[ 0.02105773 -0.20328806 -0.40389855]]]\n\n\n"
        " [[[-0.22154621  0.51716526  0.48155844]]]]"
    )


# ------------------------------------------------------------------ finite differences


@st.composite
def _conv_case(draw: Any) -> tuple[list[Tensor], dict[str, Any]]:
    groups = draw(st.sampled_from([1, 1, 2]))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(
        st.one_of(st.tuples(st.integers(0, 2), st.integers(0, 2)), st.sampled_from(["same"]))
    )
    stride = (1, 1) if padding == "same" else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h, w = (dilation[i] * (k[i] - 1) + 1 + draw(st.integers(0, 2)) for i in range(2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    inputs = [
        Tensor(rng.standard_normal((draw(st.integers(1, 2)), cin, h, w)), requires_grad=True),
        Tensor(rng.standard_normal((cout, cin // groups, *k)), requires_grad=True),
    ]
    if draw(st.booleans()):
        inputs.append(Tensor(rng.standard_normal(cout), requires_grad=True))
    params = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return inputs, params


@settings(max_examples=15)
@given(_conv_case())
def test_conv2d_first_and_second_derivatives_against_finite_differences(
    case: tuple[list[Tensor], dict[str, Any]],
) -> None:
    inputs, params = case

    def conv(*xs: Tensor) -> Tensor:
        return F.conv2d(*xs, **params)

    assert gradcheck(conv, *inputs)
    assert gradgradcheck(conv, *inputs)


@settings(max_examples=8)  # five pools, first and second order each
@given(
    st.tuples(st.integers(1, 3), st.integers(1, 3)),
    st.tuples(st.integers(1, 2), st.integers(1, 2)),
    st.tuples(st.integers(0, 1), st.integers(0, 1)),
    st.integers(0, 2**32 - 1),
)
def test_pools_first_and_second_derivatives_against_finite_differences(
    k: tuple[int, int], stride: tuple[int, int], pad: tuple[int, int], seed: int
) -> None:
    pad = (min(pad[0], k[0] // 2), min(pad[1], k[1] // 2))
    rng = np.random.default_rng(seed)
    shape = (1, 2, k[0] + int(rng.integers(0, 3)), k[1] + int(rng.integers(0, 3)))
    # distinct values 0.1 apart: a step of eps never changes which element is a window's max
    x = Tensor(rng.permutation(np.prod(shape)).reshape(shape) * 0.1, requires_grad=True)
    pools: list[Callable[[Tensor], Tensor]] = [
        lambda t: F.max_pool2d(t, k, stride, pad),
        lambda t: (
            F.max_pool2d(t, k, stride, pad, dilation=(1, 2))
            if k[1] * 2 - 1 <= shape[3]
            else F.max_pool2d(t, k, stride, pad)
        ),
        lambda t: F.avg_pool2d(t, k, stride, pad),
        lambda t: F.avg_pool2d(t, k, stride, pad, count_include_pad=False),
        lambda t: F.avg_pool2d(t, k, stride, pad, divisor_override=3),
    ]
    for pool in pools:
        assert gradcheck(pool, x)
        assert gradgradcheck(pool, x)


def test_pad_unfold_and_fold_functions_against_finite_differences() -> None:
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((2, 2, 5, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.pad(t, (1, -2, 2, 0), value=3.0), x)
    assert gradcheck(lambda t: F.unfold(t, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), x)
    cols = Tensor(rng.standard_normal((2, 2 * 6, 12)), requires_grad=True)
    assert gradcheck(lambda c: F.fold(c, (5, 4), (2, 3), padding=1, stride=(1, 2)), cols)
    assert gradgradcheck(lambda c: F.fold(c, (5, 4), (2, 3), padding=1, stride=(1, 2)), cols)


def test_fold_is_the_adjoint_of_unfold() -> None:
    """<unfold(x), c> = <x, fold(c)> for every x and c: fold is unfold's transpose."""
    rng = np.random.default_rng(4)
    x, c = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((2, 3 * 4, 3 * 4))
    settings_ = {"kernel_size": 2, "dilation": (2, 1), "padding": (1, 0), "stride": (2, 1)}
    lhs = np.sum(F.unfold(x, **settings_).data * c)
    rhs = np.sum(x * F.fold(c, (6, 5), **settings_).data)
    assert lhs == pytest.approx(rhs, rel=1e-13)


# ------------------------------------------------------------------ the element max picks


def _max_pool_grad(x: np.ndarray, *args: Any, **kwargs: Any) -> tuple[Any, Any, np.ndarray]:
    t = Tensor(x, requires_grad=True)
    values, indices = F.max_pool2d(t, *args, return_indices=True, **kwargs)
    values.sum().backward()
    return values.data, indices.data, t.grad.data


def test_max_pool_sends_the_gradient_to_the_element_pytorch_picks() -> None:
    """First maximum in row-major order; the last NaN of a window; never the padding."""
    inf, nan = np.inf, np.nan
    values, indices, grad = _max_pool_grad(np.array([[[[3.0, 3.0, 2.0, 3.0]]]]), (1, 4))
    assert values.tolist() == [[[[3.0]]]] and indices.tolist() == [[[[0]]]]
    assert grad.tolist() == [[[[1.0, 0.0, 0.0, 0.0]]]]
    values, indices, grad = _max_pool_grad(np.array([[[[1.0, nan, 2.0, nan]]]]), (1, 4))
    assert np.isnan(values).all() and indices.tolist() == [[[[3]]]]
    assert grad.tolist() == [[[[0.0, 0.0, 0.0, 1.0]]]]
    # a window of padding (−∞) and −∞: the input's element, not the padding, gets the gradient
    values, indices, grad = _max_pool_grad(np.array([[[[-inf, 1.0]]]]), (1, 2), 1, (0, 1))
    assert values.tolist() == [[[[-inf, 1.0, 1.0]]]] and indices.tolist() == [[[[0, 1, 1]]]]
    assert grad.tolist() == [[[[1.0, 2.0]]]]
    # overlapping windows with a shared maximum: its gradient adds up
    values, indices, grad = _max_pool_grad(np.arange(9.0).reshape(1, 1, 3, 3), 2, 1)
    assert indices.tolist() == [[[[4, 5], [7, 8]]]]
    assert grad.tolist() == [[[[0, 0, 0], [0, 1, 1], [0, 1, 1]]]]


# ------------------------------------------------------------------ compile, layers


def _cnn(seed: int) -> nn.Module:
    tg.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 2, groups=2, dilation=(1, 2), padding="same"),
        nn.Tanh(),
        nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False),
        nn.Flatten(),
        nn.Linear(4 * 3 * 3, 3),
    )


def test_a_compiled_cnn_step_replays_eager_bit_for_bit() -> None:
    nets = [_cnn(0), _cnn(0)]
    opts = [optim.SGD(n.parameters(), lr=0.1, momentum=0.9) for n in nets]

    def make(net: nn.Module, opt: optim.SGD) -> Callable[..., Tensor]:
        def step(x: Any, y: Any) -> Tensor:
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            return loss

        return step

    eager, compiled = make(nets[0], opts[0]), tg.compile(make(nets[1], opts[1]))
    rng = np.random.default_rng(0)
    for i in range(4):
        x = rng.integers(-2, 3, (5, 1, 4, 4)).astype(float)  # ties in the max pools
        if i == 2:
            x[0, 0] = 1.0  # a window of equal values
        y = rng.integers(0, 3, 5)
        assert eager(x, y).item() == compiled(x, y).item()
    for a, b in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        assert np.array_equal(a.data, b.data)


def test_conv2d_layer_parameters_initialisation_and_state() -> None:
    conv = nn.Conv2d(4, 6, (3, 2), groups=2, seed=0)
    assert conv.weight.shape == (6, 2, 3, 2) and conv.bias is not None and conv.bias.shape == (6,)
    bound = 1 / np.sqrt(2 * 3 * 2)  # fan_in = in_channels / groups · kh · kw
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.weight.data).max() > bound / 2
    assert list(conv.state_dict()) == ["weight", "bias"]
    assert repr(conv) == "Conv2d(4, 6, kernel_size=(3, 2), stride=(1, 1), groups=2)"
    x = tg.randn(2, 4, 5, 5)
    assert np.array_equal(conv(x).data, F.conv2d(x, conv.weight, conv.bias, groups=2).data)
    assert conv(x[0]).shape == (6, 3, 4)  # one example, without the batch dimension
    single = nn.Conv2d(1, 1, 1, bias=False, dtype=np.float32)
    assert single.bias is None and single(tg.ones(1, 1, 2, 2, dtype=np.float32)).dtype == np.float32
    values, indices = nn.MaxPool2d(2, return_indices=True)(tg.arange(16.0).reshape(1, 1, 4, 4))
    assert values.tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]
    assert indices.tolist() == [[[[5, 7], [13, 15]]]]


def test_one_dimensional_and_adaptive_layers() -> None:
    conv = nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, seed=1)
    assert conv.weight.shape == (6, 2, 3) and list(conv.state_dict()) == ["weight", "bias"]
    assert repr(conv) == "Conv1d(4, 6, kernel_size=(3,), stride=(2,), padding=(1,), groups=2)"
    x = tg.randn(2, 4, 9)
    expected = F.conv1d(x, conv.weight, conv.bias, stride=2, padding=1, groups=2)
    assert np.array_equal(conv(x).data, expected.data)
    assert nn.Conv1d(4, 2, 4, padding="same")(x).shape == (2, 2, 9)
    assert np.array_equal(nn.MaxPool1d(3, 2, 1)(x).data, F.max_pool1d(x, 3, 2, 1).data)
    assert np.array_equal(nn.AvgPool1d(2)(x).data, F.avg_pool1d(x, 2).data)
    images = tg.randn(2, 3, 5, 4)
    pooled = nn.AdaptiveAvgPool2d(1)(images)
    np.testing.assert_allclose(pooled.data, images.data.mean(axis=(2, 3), keepdims=True))
    assert nn.AdaptiveAvgPool1d(2)(x).shape == (2, 4, 2)


def test_a_small_cnn_learns() -> None:
    """Bright top half against bright bottom half: a few Adam steps separate the two."""
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 0.2, (32, 1, 4, 4))
    y = rng.integers(0, 2, 32)
    x[y == 1, :, :2] += 1.0
    x[y == 0, :, 2:] += 1.0
    net = _cnn(1)
    opt = optim.Adam(net.parameters(), lr=0.02)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
    assert (net(x).data.argmax(1) == y).all()


# ------------------------------------------------------------------ transposed convolution


@st.composite
def _transpose_case(draw: Any) -> dict[str, Any]:
    groups = draw(st.sampled_from([1, 2]))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s, d = (draw(st.integers(1, 3)), draw(st.integers(1, 2))), (draw(st.integers(1, 2)), 1)
    out_pad = tuple(draw(st.integers(0, max(a, b) - 1)) for a, b in zip(s, d, strict=True))
    h, w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    full = ((h - 1) * s[0] + d[0] * (k[0] - 1) + 1, (w - 1) * s[1] + d[1] * (k[1] - 1) + 1)
    pad = tuple(draw(st.integers(0, (f + o - 1) // 2)) for f, o in zip(full, out_pad, strict=True))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((2, 2 * groups, h, w))
    weight = rng.standard_normal((2 * groups, draw(st.integers(1, 2)), *k))
    settings_ = {"stride": s, "padding": pad, "dilation": d, "groups": groups}
    return {"x": x, "w": weight, "out_pad": out_pad, "settings": settings_, "rng": rng}


@settings(max_examples=15)
@given(_transpose_case())
def test_the_transposed_convolution_is_the_adjoint_of_the_convolution(c: dict[str, Any]) -> None:
    """<conv2d(y, w), x> = <y, conv_transpose2d(x, w)> for all x and y: the defining identity."""
    z = F.conv_transpose2d(c["x"], c["w"], output_padding=c["out_pad"], **c["settings"])
    y = c["rng"].standard_normal(z.shape)
    back = F.conv2d(y, c["w"], **c["settings"])
    h, w = c["x"].shape[2:]  # output_padding >= stride adds windows no input pixel came from
    assert back.shape[:2] == c["x"].shape[:2] and back.shape[2] >= h and back.shape[3] >= w
    lhs, rhs = np.sum(back.data[:, :, :h, :w] * c["x"]), np.sum(y * z.data)
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


@settings(max_examples=10)
@given(_transpose_case())
def test_the_transposed_convolution_against_finite_differences(c: dict[str, Any]) -> None:
    x, w = Tensor(c["x"], requires_grad=True), Tensor(c["w"], requires_grad=True)
    bias = Tensor(
        c["rng"].standard_normal(c["w"].shape[1] * c["settings"]["groups"]), requires_grad=True
    )

    def transposed(a: Tensor, b: Tensor, bias: Tensor) -> Tensor:
        return F.conv_transpose2d(a, b, bias, output_padding=c["out_pad"], **c["settings"])

    assert gradcheck(transposed, x, w, bias)
    assert gradgradcheck(transposed, x, w, bias)


def test_transposed_layers_and_1d() -> None:
    up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, seed=2)
    assert up.weight.shape == (4, 3, 3, 3) and up(tg.randn(2, 4, 5, 5)).shape == (2, 6, 10, 10)
    bound = 1 / np.sqrt(3 * 9)  # fan_in = out_channels / groups · kh · kw
    assert bound / 2 < np.abs(up.weight.data).max() <= bound
    x = tg.randn(2, 2, 5)
    one = nn.ConvTranspose1d(2, 3, 4, stride=2, padding=1, seed=3)
    expected = F.conv_transpose2d(
        x.unsqueeze(2), one.weight.unsqueeze(2), one.bias, stride=(1, 2), padding=(0, 1)
    )
    assert np.array_equal(one(x).data, expected.data.squeeze(2)) and one(x).shape == (2, 3, 10)


# ------------------------------------------------------------------ 1-D, adaptive


def test_one_dimensional_convolution_and_pools_are_the_2d_ones_on_a_height_of_one() -> None:
    rng = np.random.default_rng(6)
    x = Tensor(rng.standard_normal((2, 4, 9)), requires_grad=True)
    w = Tensor(rng.standard_normal((6, 2, 3)), requires_grad=True)
    y = F.conv1d(x, w, stride=2, padding=1, dilation=2, groups=2)
    y2 = F.conv2d(
        x.unsqueeze(2), w.unsqueeze(2), stride=(1, 2), padding=(0, 1), dilation=(1, 2), groups=2
    )
    assert np.array_equal(y.data, y2.data.squeeze(2)) and y.shape == (2, 6, 4)
    assert F.conv1d(x, w, padding="same", groups=2).shape == (2, 6, 9)
    assert F.conv1d(x[0], w, groups=2).shape == (6, 7)  # one sequence, no batch dimension
    values, indices = F.max_pool1d(x, 3, 2, 1, return_indices=True)
    v2, i2 = F.max_pool2d(x.unsqueeze(2), (1, 3), (1, 2), (0, 1), return_indices=True)
    assert np.array_equal(values.data, v2.data.squeeze(2))
    assert np.array_equal(indices.data, i2.data.squeeze(2))
    avg = F.avg_pool1d(x, 4, 1, 2, count_include_pad=False)
    avg2 = F.avg_pool2d(x.unsqueeze(2), (1, 4), 1, (0, 2), count_include_pad=False)
    assert np.array_equal(avg.data, avg2.data.squeeze(2))
    assert gradcheck(lambda a, b: F.conv1d(a, b, stride=2, padding=1, groups=2), x, w)
    assert gradcheck(lambda a: F.avg_pool1d(a, 3, padding=1), x)


def _adaptive_reference(x: np.ndarray, out: tuple[int, int]) -> np.ndarray:
    """PyTorch's adaptive windows, ⌊i·n/out⌋ to ⌈(i + 1)·n/out⌉, averaged one by one."""
    h, w = x.shape[-2:]
    y = np.empty((*x.shape[:-2], *out))
    for i in range(out[0]):
        for j in range(out[1]):
            rows = slice(i * h // out[0], -(-(i + 1) * h // out[0]))
            cols = slice(j * w // out[1], -(-(j + 1) * w // out[1]))
            y[..., i, j] = x[..., rows, cols].mean(axis=(-2, -1))
    return y


@pytest.mark.parametrize("out", [(1, 1), (2, 3), (3, 5), (5, 2), (7, 7)])
def test_adaptive_average_pooling_uses_pytorchs_windows(out: tuple[int, int]) -> None:
    rng = np.random.default_rng(7)
    x = Tensor(rng.standard_normal((2, 3, 5, 7)), requires_grad=True)
    y = F.adaptive_avg_pool2d(x, out)
    np.testing.assert_allclose(y.data, _adaptive_reference(x.data, out), rtol=1e-13, atol=1e-15)
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, out), x)
    assert F.adaptive_avg_pool2d(x, (None, 2)).shape == (2, 3, 5, 2)
    z = F.adaptive_avg_pool1d(x[0], out[1])
    np.testing.assert_allclose(
        z.data, _adaptive_reference(x.data[0][:, :, None], (1, out[1]))[..., 0, :], rtol=1e-13
    )


# ------------------------------------------------------------------ bad input

_X = tg.zeros(1, 2, 4, 4)
BAD: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: F.conv2d(tg.zeros(2, 4, 4), tg.zeros(3, 2, 2)), ValueError, "weight must be (C_out"),
    (lambda: F.conv2d(tg.zeros(4, 4), tg.zeros(1, 1, 1, 1)), ValueError, "expected an input of"),
    (
        lambda: F.conv2d(_X, tg.zeros(3, 3, 2, 2)),
        ValueError,
        "weight (3, 3, 2, 2) with groups=1 expects 3 input channels, got an input of shape "
        "(1, 2, 4, 4) with 2",
    ),
    (lambda: F.conv2d(_X, tg.zeros(3, 1, 2, 2), groups=2), ValueError, "3 output channels do not"),
    (lambda: F.conv2d(_X, tg.zeros(3, 2, 5, 1)), ValueError, "a kernel of 5 (dilation 1, so 5"),
    (
        lambda: F.conv2d(_X, tg.zeros(3, 2, 2, 2, dtype=np.float32)),
        TypeError,
        "input dtype float64 and weight dtype float32 differ",
    ),
    (lambda: F.conv2d(_X, tg.zeros(3, 2, 2, 2), tg.zeros(2)), ValueError, "bias must have shape"),
    (
        lambda: F.conv2d(_X, tg.zeros(3, 2, 2, 2), stride=2, padding="same"),
        ValueError,
        "padding='same' is not supported for strided convolutions",
    ),
    (lambda: F.conv2d(_X, tg.zeros(1, 2, 1, 1), padding="full"), ValueError, "'valid', 'same'"),
    (lambda: F.conv2d(_X, tg.zeros(1, 2, 1, 1), stride=0), ValueError, "stride must be >= 1"),
    (lambda: F.conv2d(_X, tg.zeros(1, 2, 1, 1), stride=1.5), TypeError, "an int or 2 ints"),
    (
        lambda: F.conv2d(tg.zeros(1, 1, 2, 2, dtype=np.int64), tg.zeros(1, 1, 1, 1)),
        TypeError,
        "floating",
    ),
    (lambda: F.max_pool2d(_X, 2, padding=2), ValueError, "at most half the kernel size (2, 2)"),
    (lambda: F.max_pool2d(_X, 5, 1, ceil_mode=True), ValueError, "leaves no window in the"),
    (lambda: F.avg_pool2d(_X, 2, divisor_override=0), ValueError, "must not be 0"),
    (lambda: F.avg_pool2d(_X, 5), ValueError, "does not fit in the input's height 4"),
    (lambda: F.pad(_X, (1,)), ValueError, "1 widths for a 4-D tensor"),
    (lambda: F.pad(_X, (-3, -2)), ValueError, "would crop more than dimension 3's 4 elements"),
    (lambda: F.pad(_X, (1, 1), mode="reflect"), ValueError, "mode 'reflect' is not supported"),
    (lambda: F.pad(tg.tensor([1, 2]), (1, 1), value=1.5), ValueError, "value 1.5 does not fit"),
    (lambda: F.max_pool1d(tg.zeros(1, 1, 4), 2, 1.5), TypeError, "stride must be an int"),
    (lambda: F.fold(tg.zeros(1, 4, 5), (3, 3), 2), ValueError, "5 columns, but an output of"),
    (lambda: F.fold(tg.zeros(1, 5, 4), (3, 3), 2), ValueError, "5 rows are not a multiple"),
    (
        lambda: np.pad(tg.zeros(2, 2, requires_grad=True), 1, mode="symmetric"),
        TypeError,
        "mode='symmetric'",
    ),
    (
        lambda: F.conv_transpose2d(
            tg.zeros(1, 1, 2, 2), tg.zeros(1, 1, 2, 2), stride=2, output_padding=2
        ),
        ValueError,
        "output_padding (2, 2) must be smaller than the stride (2, 2) or the dilation (1, 1)",
    ),
    (
        lambda: F.conv_transpose2d(tg.zeros(1, 1, 2, 2), tg.zeros(1, 1, 2, 2), padding=3),
        ValueError,
        "padding (3, 3) leaves no output",
    ),
    (
        lambda: F.conv_transpose2d(tg.zeros(1, 3, 2, 2), tg.zeros(2, 1, 2, 2)),
        ValueError,
        "weight (2, 1, 2, 2) expects 2 input channels",
    ),
    (lambda: nn.ConvTranspose2d(2, 2, 2, padding="same"), ValueError, "padding must be ints"),
    (lambda: F.conv1d(tg.zeros(2, 3, 4, 4), tg.zeros(1, 3, 1)), ValueError, "(N, C, L) or (C, L)"),
    (lambda: F.conv1d(tg.zeros(2, 3, 4), tg.zeros(1, 3, 1, 1)), ValueError, "weight must be"),
    (
        lambda: F.conv1d(tg.zeros(2, 3, 4), tg.zeros(1, 2, 1)),
        ValueError,
        "weight (1, 2, 1) with groups=1 expects 2 input channels, got an input of shape (2, 3, 4)",
    ),
    (lambda: F.max_pool1d(tg.zeros(2, 3, 4), 2, padding=2), ValueError, "padding 2 must be at"),
    (lambda: F.avg_pool1d(tg.zeros(2, 3, 4), (2, 2)), TypeError, "kernel_size must be an int"),
    (lambda: F.adaptive_avg_pool2d(_X, (2, 0)), ValueError, "output_size must hold ints >= 1"),
    (lambda: F.adaptive_avg_pool2d(_X, (2, 2, 2)), ValueError, "must give 2 sizes"),
    (lambda: nn.Conv1d(2, 2, (2, 2)), TypeError, "Conv1d: kernel_size must be an int"),
    (lambda: nn.Conv1d(2, 2, 3, stride=2, padding="same"), ValueError, "strided convolutions"),
    (lambda: nn.Conv2d(3, 4, 2, groups=2), ValueError, "must both be multiples of groups 2"),
    (lambda: nn.Conv2d(2, 2, 2, padding_mode="mirror"), ValueError, "padding_mode must be one"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_input_is_refused_with_its_reason(
    call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call()
