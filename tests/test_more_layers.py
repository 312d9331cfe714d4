"""Hardswish ... GLU, PReLU, Unflatten, Dropout1d/2d: closed forms, derivatives, kinks, refusals."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck
from tinygrad_lite.layers3d import dropout3d

# Away from every kink (±3, ±0.5, 0): finite differences see smooth functions here.
X = np.array([-4.2, -2.6, -1.1, -0.3, 0.2, 0.8, 1.7, 3.4])
ALPHA, SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def softplus(x: np.ndarray) -> np.ndarray:
    return np.log1p(np.exp(x))


# name: (our function, NumPy value, NumPy derivative)
CASES: dict[str, tuple[Callable[[Tensor], Tensor], Any, Any]] = {
    "hardswish": (
        F.hardswish,
        lambda x: x * np.clip(x + 3, 0, 6) / 6,
        lambda x: np.where(x <= -3, 0, np.where(x < 3, x / 3 + 0.5, 1)),
    ),
    "hardsigmoid": (
        F.hardsigmoid,
        lambda x: np.clip(x + 3, 0, 6) / 6,
        lambda x: np.where(np.abs(x) < 3, 1 / 6, 0),
    ),
    "mish": (
        F.mish,
        lambda x: x * np.tanh(softplus(x)),
        lambda x: np.tanh(softplus(x)) + x * sigmoid(x) * (1 - np.tanh(softplus(x)) ** 2),
    ),
    "softsign": (F.softsign, lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2),
    "tanhshrink": (F.tanhshrink, lambda x: x - np.tanh(x), lambda x: np.tanh(x) ** 2),
    "hardshrink": (
        lambda t: F.hardshrink(t, 0.5),
        lambda x: np.where(np.abs(x) <= 0.5, 0, x),
        lambda x: np.where(np.abs(x) <= 0.5, 0, 1),
    ),
    "softshrink": (
        lambda t: F.softshrink(t, 0.5),
        lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
        lambda x: np.where(np.abs(x) <= 0.5, 0, 1),
    ),
    "celu": (
        lambda t: F.celu(t, 0.7),
        lambda x: np.maximum(x, 0) + np.minimum(0, 0.7 * (np.exp(x / 0.7) - 1)),
        lambda x: np.where(x > 0, 1, np.exp(x / 0.7)),
    ),
    "selu": (
        F.selu,
        lambda x: SCALE * np.where(x > 0, x, ALPHA * (np.exp(x) - 1)),
        lambda x: SCALE * np.where(x > 0, 1, ALPHA * np.exp(x)),
    ),
    "logsigmoid": (nn.LogSigmoid(), lambda x: -np.log1p(np.exp(-x)), lambda x: 1 - sigmoid(x)),
    "prelu": (
        lambda t: F.prelu(t, Tensor(np.array([0.3]))),
        lambda x: np.where(x > 0, x, 0.3 * x),
        lambda x: np.where(x > 0, 1, 0.3),
    ),
}


def value_and_grad(fn: Callable[[Tensor], Tensor], values: Any) -> tuple[np.ndarray, np.ndarray]:
    x = Tensor(np.array(values, dtype=np.float64), requires_grad=True)
    out = fn(x)
    out.backward(np.ones(out.shape))
    assert x.grad is not None
    return out.data, x.grad.data


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_derivatives_match_numpy(name: str) -> None:
    fn, value, derivative = CASES[name]
    y, g = value_and_grad(fn, X)
    np.testing.assert_allclose(y, value(X), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(g, derivative(X), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(CASES))
def test_first_and_second_derivatives_match_finite_differences(name: str) -> None:
    fn = CASES[name][0]
    x = Tensor(X.copy(), requires_grad=True)
    assert gradcheck(fn, x)
    assert gradgradcheck(fn, x)


def test_gradients_at_the_kinks_are_pytorchs() -> None:
    # hardswish: 0 at and below −3 and 1 at and above 3 (the outer pieces' slopes), not the
    # middle piece's x/3 + 1/2 (−1/2 and 3/2 there): PyTorch's backward takes −3 < x < 3.
    _, g = value_and_grad(F.hardswish, [-3.0, 3.0])
    assert g.tolist() == [0.0, 1.0]
    # hardsigmoid: 0 at ±3, where PyTorch's backward takes the flat pieces.
    _, g = value_and_grad(F.hardsigmoid, [-3.0, 3.0])
    assert g.tolist() == [0.0, 0.0]
    # the shrinks: 0 at ±lambd, the closed interval [−lambd, lambd] being the flat piece.
    for shrink in (F.hardshrink, F.softshrink):
        y, g = value_and_grad(lambda t, s=shrink: s(t, 0.5), [-0.5, 0.5])
        assert y.tolist() == [0.0, 0.0] and g.tolist() == [0.0, 0.0]
    # prelu at 0: the slope a (PyTorch's backward takes x > 0 for the identity piece).
    _, g = value_and_grad(CASES["prelu"][0], [0.0, -0.0])
    assert g.tolist() == [0.3, 0.3]
    # celu at 0: e^(0/α) = 1, both pieces agree; selu at 0: the left piece, λ·α·e⁰ = λα.
    _, g = value_and_grad(lambda t: F.celu(t, 0.7), [0.0])
    assert g.tolist() == [1.0]
    _, g = value_and_grad(F.selu, [0.0])
    assert g.tolist() == [SCALE * ALPHA]


def test_infinite_inputs_give_the_limits_without_nan_gradients() -> None:
    big = [-math.inf, -800.0, 800.0, math.inf]
    with np.errstate(all="ignore"):
        for fn, values, grads in [
            (F.hardsigmoid, [0.0, 0.0, 1.0, 1.0], [0.0] * 4),
            (F.hardshrink, big, [1.0] * 4),
            (F.softshrink, [-math.inf, -799.5, 799.5, math.inf], [1.0] * 4),
            (F.selu, [-SCALE * ALPHA] * 2 + [SCALE * 800, math.inf], [0.0, 0.0, SCALE, SCALE]),
            (lambda t: F.celu(t, 2.0), [-2.0, -2.0, 800.0, math.inf], [0.0, 0.0, 1.0, 1.0]),
        ]:
            y, g = value_and_grad(fn, big)
            np.testing.assert_allclose(y, values, rtol=1e-15)
            assert g.tolist() == grads
        # hardswish at −∞ is −∞·0 (NaN, as PyTorch) with gradient 0; at +∞ it is ∞, gradient 1
        y, g = value_and_grad(F.hardswish, big)
        assert math.isnan(y[0]) and y[1:].tolist() == [-0.0, 800.0, math.inf]
        assert g.tolist() == [0.0, 0.0, 1.0, 1.0]
        w = Tensor(np.array([0.25]), requires_grad=True)
        x = Tensor(np.array([-2.0, math.inf]))
        F.prelu(x, w).sum().backward()
        assert w.grad.tolist() == [-2.0]  # the slope sees x ≤ 0 only: no ∞·0


def test_glu_halves_along_dim() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 3))
    np.testing.assert_allclose(F.glu(Tensor(x), 1).data, x[:, :2] * sigmoid(x[:, 2:]), rtol=1e-14)
    np.testing.assert_allclose(
        nn.GLU()(np.ones((3, 2))).data, np.full((3, 1), sigmoid(1.0)), rtol=1e-15
    )
    t = Tensor(rng.standard_normal((2, 4)), requires_grad=True)
    assert gradcheck(lambda a: F.glu(a, 1), t)
    assert gradgradcheck(lambda a: F.glu(a, 1), t)


def test_prelu_learns_one_slope_per_channel() -> None:
    rng = np.random.default_rng(1)
    layer = nn.PReLU(3, init=0.1)
    assert list(layer.state_dict()) == ["weight"] and layer.weight.tolist() == [0.1] * 3
    x = rng.standard_normal((2, 3, 4))
    g = rng.standard_normal((2, 3, 4))
    (layer(x) * Tensor(g)).sum().backward()
    np.testing.assert_allclose(layer.weight.grad.data, (np.minimum(x, 0) * g).sum(axis=(0, 2)))
    xt = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    w = Tensor(np.array([0.2, -0.4, 0.7]), requires_grad=True)
    assert gradcheck(F.prelu, xt, w)
    assert gradgradcheck(F.prelu, xt, w)
    assert F.prelu(Tensor(np.array(-2.0)), Tensor(np.array(0.5))).tolist() == -1.0
    assert F.prelu(Tensor(np.array([-2.0, 2.0])), Tensor(np.array([0.5]))).shape == (2,)


@pytest.mark.parametrize(
    "make",
    [
        lambda inplace: nn.Hardswish(inplace),
        lambda inplace: nn.Hardsigmoid(inplace),
        lambda inplace: nn.Mish(inplace),
        lambda inplace: nn.CELU(0.5, inplace),
        lambda inplace: nn.SELU(inplace),
    ],
    ids=["Hardswish", "Hardsigmoid", "Mish", "CELU", "SELU"],
)
def test_inplace_layers_give_the_same_values_and_gradients(make: Callable[[bool], Any]) -> None:
    results = []
    for inplace in (False, True):
        first = nn.Linear(3, 4, seed=0)
        x = Tensor(np.linspace(-5, 5, 6).reshape(2, 3))
        hidden = first(x)
        out = make(inplace)(hidden)
        assert (out is hidden) == inplace
        (out * out).sum().backward()
        results.append((out.data.copy(), first.weight.grad.data))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_layers_show_their_settings_and_keep_float32() -> None:
    assert [repr(m) for m in (nn.Hardswish(), nn.Mish(True), nn.SELU(), nn.LogSigmoid())] == [
        "Hardswish()",
        "Mish(inplace=True)",
        "SELU()",
        "LogSigmoid()",
    ]
    assert (
        repr(nn.Hardshrink()) == "Hardshrink(0.5)" and repr(nn.Softshrink(1)) == "Softshrink(1.0)"
    )
    assert repr(nn.CELU(0.5)) == "CELU(alpha=0.5)" and repr(nn.GLU(1)) == "GLU(dim=1)"
    assert repr(nn.PReLU(3)) == "PReLU(num_parameters=3)"
    x32 = Tensor(np.linspace(-4, 4, 7, dtype=np.float32))
    for layer in (nn.Hardswish(), nn.Hardsigmoid(), nn.Mish(), nn.Softsign(), nn.Tanhshrink()):
        assert layer(x32).dtype == np.float32
    for layer in (nn.Hardshrink(), nn.Softshrink(), nn.CELU(), nn.SELU(), nn.GLU(0)):
        assert layer(x32[:6]).dtype == np.float32
    assert nn.PReLU(dtype=np.float32)(x32).dtype == np.float32


def test_activation_refusals_name_the_problem() -> None:
    x = Tensor(X)
    for bad, error, match in [
        (lambda: F.softshrink(x, -1.0), ValueError, "softshrink: lambd must be >= 0, got -1.0"),
        (lambda: nn.Softshrink(-0.5), ValueError, "Softshrink: lambd must be >= 0, got -0.5"),
        (lambda: F.hardshrink(x, math.nan), ValueError, "lambd must be a number, got nan"),
        (lambda: F.hardshrink(x, "1"), TypeError, "lambd must be a real number, got str"),
        (lambda: F.celu(x, 0.0), ValueError, "celu: alpha must not be 0"),
        (lambda: nn.CELU(0), ValueError, "CELU: alpha must not be 0"),
        (lambda: F.glu(Tensor(np.zeros((2, 3)))), ValueError, r"dim -1 .* \(2, 3\) has size 3"),
        (lambda: F.glu(Tensor(np.array(1.0))), ValueError, "a 0-d input has no dimension"),
        (lambda: F.glu(Tensor(np.zeros((2, 4))), 2), IndexError, "dim 2 is out of range"),
        (lambda: nn.GLU(1.0), TypeError, "GLU: dim must be an int, got 1.0"),
        (
            lambda: F.prelu(Tensor(np.zeros((2, 4))), Tensor(np.ones(3))),
            ValueError,
            r"3 slopes do not match the input's 4 channel\(s\)",
        ),
        (
            lambda: F.prelu(Tensor(np.zeros(3)), Tensor(np.ones(3))),
            ValueError,
            r"3 slopes do not match the input's 1 channel\(s\)",
        ),
        (
            lambda: F.prelu(Tensor(np.array(1.0)), Tensor(np.ones(2))),
            ValueError,
            "a 0-d input needs a single slope, got 2",
        ),
        (
            lambda: F.prelu(Tensor(np.zeros((2, 3))), Tensor(np.ones((1, 3)))),
            ValueError,
            r"weight must be 0-d or 1-D, got shape \(1, 3\)",
        ),
        (lambda: nn.PReLU(0), ValueError, "num_parameters must be >= 1, got 0"),
        (lambda: nn.PReLU(init="a"), TypeError, "init must be a real number"),
    ]:
        with pytest.raises(error, match=match):
            bad()


# ------------------------------------------------------------------------------ Unflatten


@pytest.mark.parametrize(
    ("dim", "sizes", "shape", "expected"),
    [
        (1, (2, 3), (4, 6, 5), (4, 2, 3, 5)),
        (-1, (2, -1), (4, 6), (4, 2, 3)),
        (-2, [2, 3], (6, 5), (2, 3, 5)),
        (0, (6,), (6,), (6,)),
        (1, (2, 0), (4, 0), (4, 2, 0)),
        (1, (1, -1, 1), (2, 3), (2, 1, 3, 1)),
    ],
)
def test_unflatten_splits_one_dimension(
    dim: int, sizes: Any, shape: tuple[int, ...], expected: tuple[int, ...]
) -> None:
    data = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
    x = Tensor(data, requires_grad=True)
    layer = nn.Unflatten(dim, sizes)
    y = layer(x)
    assert y.shape == expected
    np.testing.assert_array_equal(y.data, data.reshape(expected))
    (y * Tensor(np.arange(y.size, dtype=np.float64).reshape(expected))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.arange(x.size).reshape(shape))


def test_unflatten_undoes_flatten_and_shows_its_settings() -> None:
    x = np.random.default_rng(2).standard_normal((2, 3, 4))
    net = nn.Sequential(nn.Flatten(), nn.Unflatten(1, (3, 4)))
    np.testing.assert_array_equal(net(x).data, x)
    assert repr(nn.Unflatten(1, [2, 3])) == "Unflatten(dim=1, unflattened_size=(2, 3))"


def test_unflatten_refusals_name_the_problem() -> None:
    x = Tensor(np.zeros((4, 6)))
    for bad, error, match in [
        (lambda: nn.Unflatten(1, (2, 2))(x), ValueError, r"\(2, 2\) don't multiply up .* \(6\)"),
        (lambda: nn.Unflatten(1, (4, -1))(x), ValueError, "product 4 must be a nonzero divisor"),
        (lambda: nn.Unflatten(1, (0, -1))(x), ValueError, "product 0 must be a nonzero divisor"),
        (lambda: nn.Unflatten(2, (2, 3))(x), IndexError, "dim 2 is out of range"),
        (lambda: nn.Unflatten(0, (1,))(Tensor(np.array(1.0))), ValueError, "a 0-d input"),
        (lambda: nn.Unflatten(1, (-1, -1)), ValueError, "only one size can be inferred"),
        (lambda: nn.Unflatten(1, (-2, -3)), ValueError, r"sizes must be >= 0, or -1"),
        (lambda: nn.Unflatten(1, ()), ValueError, "at least one size"),
        (lambda: nn.Unflatten(1, (2.0, 3)), TypeError, "got float 2.0 at position 0"),
        (lambda: nn.Unflatten(1, 6), TypeError, "must be a tuple or list of ints, got int 6"),
        (lambda: nn.Unflatten("c", (2, 3)), TypeError, "named dimensions are not supported"),
    ]:
        with pytest.raises(error, match=match):
            bad()


# ------------------------------------------------------------------------------ Dropout1d/2d


@pytest.mark.parametrize(
    ("drop", "shape"),
    [(F.dropout1d, (6, 40, 3)), (F.dropout1d, (40, 3)), (F.dropout2d, (6, 40, 2, 2))],
    ids=["dropout1d", "dropout1d-unbatched", "dropout2d"],
)
def test_whole_channels_are_zeroed_and_the_rest_scaled(drop: Any, shape: tuple[int, ...]) -> None:
    x = Tensor(np.ones(shape), requires_grad=True)
    y = drop(x, 0.3, generator=np.random.default_rng(0))
    channels = y.data.reshape(-1, shape[-1] if len(shape) < 4 else 4)  # one row per channel
    assert np.all(channels == channels[:, :1])  # each channel kept or dropped as a whole
    kept = channels[:, 0] != 0
    np.testing.assert_allclose(channels[kept], 1 / 0.7, rtol=1e-15)
    assert abs(kept.mean() - 0.7) < 5 * math.sqrt(0.21 / kept.size)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)  # d(x·mask)/dx = mask


def test_channel_dropout_modes_probabilities_and_generators() -> None:
    x = Tensor(np.arange(24.0, dtype=np.float32).reshape(2, 3, 4))
    assert F.dropout1d(x, 0.5, training=False) is x and F.dropout1d(x, 0.0) is x
    assert F.dropout1d(x, 1.0).tolist() == np.zeros((2, 3, 4)).tolist()
    assert F.dropout1d(x, 0.5, generator=1).dtype == np.float32
    a = F.dropout2d(Tensor(np.ones((2, 8, 2, 2))), 0.5, generator=np.random.default_rng(4))
    b = F.dropout2d(Tensor(np.ones((2, 8, 2, 2))), 0.5, generator=np.random.default_rng(4))
    np.testing.assert_array_equal(a.data, b.data)
    tg.manual_seed(3)
    first = F.dropout1d(Tensor(np.ones((4, 8, 2)))).data
    tg.manual_seed(3)
    np.testing.assert_array_equal(first, nn.Dropout1d()(np.ones((4, 8, 2))).data)
    layer = nn.Dropout2d(0.5, generator=7)
    masks = {layer(np.ones((1, 16, 1, 1))).data.tobytes() for _ in range(3)}
    assert len(masks) == 3  # one stream: a fresh mask on every call
    assert layer.eval()(x := Tensor(np.ones((1, 2, 2, 2)))) is x
    assert repr(nn.Dropout1d(0.2)) == "Dropout1d(p=0.2, inplace=False)"
    assert repr(layer) == "Dropout2d(p=0.5, inplace=False)"


def test_dropout2d_reads_3d_input_as_pytorch_does_with_a_warning() -> None:
    x = Tensor(np.ones((5, 30, 4)))
    with pytest.warns(UserWarning, match=r"read as \(N, C, L\)"):
        y = F.dropout2d(x, 0.5, generator=0)
    rows = y.data.reshape(-1, 4)
    assert np.all(rows == rows[:, :1])


def test_channel_dropout_refusals_name_the_problem() -> None:
    for bad, error, match in [
        (lambda: F.dropout1d(Tensor(np.zeros((1, 2, 3, 4)))), ValueError, r"got a 4D input"),
        (lambda: F.dropout1d(Tensor(np.zeros(3))), ValueError, r"2D \(C, L\) or 3D"),
        (lambda: F.dropout2d(Tensor(np.zeros((2, 3)))), ValueError, r"4D \(N, C, H, W\)"),
        (lambda: F.dropout2d(Tensor(np.zeros((1,) * 5))), ValueError, r"got a 5D input"),
        (lambda: F.dropout1d(Tensor(np.zeros((2, 3))), 1.5), ValueError, "p must be a probab"),
        (lambda: nn.Dropout2d(-0.1), ValueError, r"Dropout2d: p must be a probability"),
        (lambda: nn.Dropout1d(True), ValueError, r"Dropout1d: p must be a probability"),
        (lambda: nn.Dropout1d(0.5, generator="seed"), TypeError, "generator must be a numpy"),
    ]:
        with pytest.raises(error, match=match):
            bad()


def test_a_compiled_step_draws_fresh_channel_masks_exactly_as_eager() -> None:
    def make() -> Any:
        drop = nn.Dropout2d(0.5, generator=np.random.default_rng(5))
        w = Tensor(np.linspace(-1, 1, 8).reshape(1, 8, 1, 1), requires_grad=True)

        def step(x: Tensor) -> Any:
            w.grad = None
            loss = (drop(w * x) ** 2).sum()
            loss.backward()
            return loss, w.grad

        return step

    eager, fast = make(), tg.compile(make())
    x = Tensor(np.ones((2, 8, 2, 2)))
    for _ in range(3):
        (a, ga), (b, gb) = eager(x), fast(x)
        assert a.data.tobytes() == b.data.tobytes() and ga.data.tobytes() == gb.data.tobytes()
    assert fast.traces == 1


def test_every_new_layer_is_in_nn_and_every_new_function_in_functional() -> None:
    from tinygrad_lite import (
        act_functions,
        act_layers,
        channel_drop,
        group_layers,
        group_norms,
        more_layers,
    )

    for module in (act_layers, group_layers, more_layers):
        for name in module.__all__:
            assert getattr(nn, name) is getattr(module, name) and name in nn.__all__
    for module in (act_functions, channel_drop, group_norms):
        for name in module.__all__:
            if name[0].islower() and not name.startswith("check_"):
                assert getattr(F, name) is getattr(module, name) and name in F.__all__


def test_channel_dropouts_in_eval_or_at_zero_return_the_input_even_in_place() -> None:
    """As PyTorch: nothing to drop, nothing written, so a leaf that requires grad is fine too;
    one sample (C, L), (C, D, H, W) draws one mask entry per channel."""
    for fn, shape in (
        (F.dropout1d, (2, 3, 4)),
        (F.dropout2d, (1, 2, 3, 4)),
        (dropout3d, (1, 2, 2, 2, 2)),
    ):
        x = Tensor(np.ones(shape), requires_grad=True)
        assert fn(x, 0.5, False, inplace=True) is x and fn(x, 0.0, True, inplace=True) is x
    for fn, shape in ((F.dropout1d, (6, 5)), (dropout3d, (6, 2, 2, 3))):
        y = fn(Tensor(np.ones(shape)), 0.5, True, 3).data.reshape(shape[0], -1)
        assert np.all(y == y[:, :1])  # each channel kept or dropped whole
