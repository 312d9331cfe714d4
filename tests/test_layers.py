"""The activation and loss modules, and `reduction=` on the functional losses."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, datasets, layers, nn
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradcheck

RNG = np.random.default_rng(0)


def test_every_layer_is_importable_from_nn() -> None:
    for name in layers.__all__:
        assert getattr(nn, name) is getattr(layers, name)
        assert name in nn.__all__
    assert nn.Linear and nn.Sequential and nn.Module and nn.Parameter


# ---------------------------------------------------------------------------- activations


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _gelu_exact(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def _softmax(x: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


ACTIVATIONS: list[tuple[nn.Module, Callable[[np.ndarray], np.ndarray]]] = [
    (nn.Tanh(), np.tanh),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(), lambda x: np.where(x > 0, x, 0.01 * x)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.LeakyReLU(negative_slope=1.5), lambda x: np.where(x > 0, x, 1.5 * x)),
    (nn.GELU(), _gelu_exact),
    (nn.GELU(approximate="none"), _gelu_exact),
    (nn.GELU(approximate="tanh"), _gelu),
    (nn.Softmax(dim=1), lambda x: _softmax(x, 1)),
    (nn.Softmax(0), lambda x: _softmax(x, 0)),
    (nn.Softmax(dim=-1), lambda x: _softmax(x, -1)),
    (nn.LogSoftmax(dim=1), lambda x: np.log(_softmax(x, 1))),
    (nn.LogSoftmax(dim=0), lambda x: np.log(_softmax(x, 0))),
    (nn.Identity(), lambda x: x),
    (nn.Identity(54, unused="argument"), lambda x: x),
]


@pytest.mark.parametrize(
    ("module", "reference"), ACTIVATIONS, ids=[f"{i}-{m!r}" for i, (m, _) in enumerate(ACTIVATIONS)]
)
def test_activation_modules_compute_their_formula_with_gradients(
    module: nn.Module, reference: Callable[[np.ndarray], np.ndarray]
) -> None:
    data = RNG.uniform(-3, 3, (4, 3))
    data[np.abs(data) < 0.05] = 0.5  # away from the kinks at 0
    x = Tensor(data, requires_grad=True)
    y = module(x)
    assert isinstance(y, Tensor) and y.shape == data.shape
    np.testing.assert_allclose(y.data, reference(data), rtol=1e-13, atol=1e-15)
    weights = Tensor(RNG.normal(size=(4, 3)))
    assert gradcheck(lambda t: module(t) * weights, x)
    assert list(module.parameters()) == [] and module.state_dict() == {}
    np.testing.assert_allclose(module(data).data, reference(data), rtol=1e-13)  # arrays too


def test_identity_returns_its_input_itself() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert nn.Identity()(x) is x


def test_softmax_and_log_softmax_need_a_dim() -> None:
    for cls in (nn.Softmax, nn.LogSoftmax):
        with pytest.raises(TypeError, match=f"{cls.__name__}: give dim"):
            cls()
        with pytest.raises(TypeError, match="dim must be an int"):
            cls(dim=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dim 2 is out of range"):
        nn.Softmax(dim=2)(Tensor(np.ones((2, 3))))
    rows = nn.Softmax(dim=1)(Tensor(RNG.normal(size=(5, 3)) * 50))
    np.testing.assert_allclose(rows.data.sum(axis=1), np.ones(5), rtol=1e-15)


def test_gelu_is_exact_by_default_as_pytorchs_and_refuses_other_forms() -> None:
    x = np.array([-3.0, -1.0, 0.0, 1.5, 4.0])
    # x·Φ(x) and its derivative Φ(x) + x·φ(x), from math.erf and exp
    phi = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    t = Tensor(x, requires_grad=True)
    F.gelu(t).sum().backward()
    np.testing.assert_allclose(t.data * 0 + F.gelu(Tensor(x)).data, x * cdf, rtol=1e-15)
    np.testing.assert_allclose(t.grad.data, cdf + x * phi, rtol=1e-14, atol=1e-17)
    assert abs(F.gelu(Tensor([1.0]), "tanh").item() - F.gelu(Tensor([1.0])).item()) > 1e-5
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU(approximate="sigmoid")
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(Tensor([1.0]), approximate="erf")


@pytest.mark.parametrize(
    ("args", "shape"),
    [
        ((), (2, 60)),
        ((0,), (120,)),
        ((1, 2), (2, 12, 5)),
        ((0, -2), (24, 5)),
        ((2, 2), (2, 3, 4, 5)),
    ],
)
def test_flatten(args: tuple[int, ...], shape: tuple[int, ...]) -> None:
    data = RNG.normal(size=(2, 3, 4, 5))
    x = Tensor(data, requires_grad=True)
    y = nn.Flatten(*args)(x)
    assert y.shape == shape
    np.testing.assert_array_equal(y.data, data.reshape(shape))
    (y * Tensor(np.arange(y.size, dtype=float).reshape(shape))).sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, np.arange(120.0).reshape(2, 3, 4, 5))


def test_modules_repr_like_pytorch() -> None:
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.Identity()) == "Identity()"
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


def test_a_classifier_built_from_the_layers_trains() -> None:
    X, y = datasets.load_planar_dataset()
    inputs, labels = X.T, y.reshape(-1).astype(np.int64)
    model = nn.Sequential(
        nn.Linear(2, 8, seed=0), nn.GELU(), nn.Identity(), nn.Linear(8, 2, seed=1)
    )
    loss_fn = nn.CrossEntropyLoss()
    opt = tg.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


# ---------------------------------------------------------------------------- losses

REDUCTIONS = ["mean", "sum", "none"]


def _reduce(terms: np.ndarray, reduction: str, count: int | None = None) -> Any:
    if reduction == "none":
        return terms
    return terms.sum() / (1 if reduction == "sum" else count or terms.size)


def _cases(kind: str) -> tuple[np.ndarray, np.ndarray]:
    shape = (4, 3)
    if kind == "probabilities":
        return RNG.uniform(0.05, 0.95, shape), RNG.uniform(0, 1, shape)
    return RNG.normal(size=shape) * 3, RNG.integers(0, 2, shape).astype(float)


LOSSES: list[tuple[str, Callable[..., nn.Module], Callable[..., Tensor], str, Any]] = [
    (
        "bce",
        nn.BCELoss,
        F.binary_cross_entropy,
        "probabilities",
        lambda p, y: -(y * np.log(p) + (1 - y) * np.log(1 - p)),
    ),
    (
        "bce_with_logits",
        nn.BCEWithLogitsLoss,
        F.binary_cross_entropy_with_logits,
        "logits",
        lambda z, y: (
            -(y * np.log(1 / (1 + np.exp(-z))) + (1 - y) * np.log(1 - 1 / (1 + np.exp(-z))))
        ),
    ),
    ("mse", nn.MSELoss, F.mse_loss, "logits", lambda x, y: (x - y) ** 2),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("name", "module", "function", "kind", "terms"),
    LOSSES,
    ids=[case[0] for case in LOSSES],
)
def test_elementwise_losses_reduce_as_asked(
    name: str,
    module: Callable[..., nn.Module],
    function: Callable[..., Tensor],
    kind: str,
    terms: Callable[..., np.ndarray],
    reduction: str,
) -> None:
    x_data, y = _cases(kind)
    expected = _reduce(terms(x_data, y), reduction)
    x = Tensor(x_data, requires_grad=True)
    by_module = module(reduction=reduction)(x, y)
    by_function = function(x, y, reduction=reduction)
    for out in (by_module, by_function):
        assert out.shape == np.shape(expected)
        np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    w = Tensor(RNG.normal(size=np.shape(expected)))
    assert gradcheck(lambda t: module(reduction=reduction)(t, y) * w, x)
    assert gradcheck(lambda t: function(t, Tensor(y), reduction=reduction) * w, x)
    assert module().reduction == "mean"


@pytest.mark.parametrize(
    "module", [nn.BCELoss, nn.BCEWithLogitsLoss, nn.MSELoss, nn.CrossEntropyLoss]
)
def test_a_bad_reduction_is_refused_when_the_module_is_made(module: Any) -> None:
    with pytest.raises(
        ValueError, match=f"{module.__name__}: reduction must be 'mean', 'sum' or 'none', got 'avg'"
    ):
        module(reduction="avg")


@pytest.mark.parametrize(
    "function",
    [F.binary_cross_entropy, F.binary_cross_entropy_with_logits, F.mse_loss, F.cross_entropy],
)
def test_a_bad_reduction_is_refused_by_the_functions(function: Any) -> None:
    x = Tensor(np.full((2, 2), 0.5))
    target = np.array([0, 1]) if function is F.cross_entropy else np.ones((2, 2)) * 0.5
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        function(x, target, reduction="avg")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dim", [1, 0])
def test_cross_entropy_loss_module(reduction: str, dim: int) -> None:
    logits = RNG.normal(size=(5, 3)) * 2
    labels = RNG.integers(0, 3, 5)
    x = Tensor(logits if dim == 1 else logits.T.copy(), requires_grad=True)
    loss = nn.CrossEntropyLoss(reduction=reduction, dim=dim)(x, Tensor(labels))
    logp = np.log(_softmax(logits, 1))
    expected = _reduce(-logp[np.arange(5), labels], reduction)
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)
    np.testing.assert_array_equal(
        loss.data, F.cross_entropy(x, labels, reduction=reduction, dim=dim).data
    )


@given(st.sampled_from(REDUCTIONS), st.integers(1, 4), st.integers(2, 4))
def test_bce_modules_agree_with_each_other(reduction: str, m: int, n: int) -> None:
    z = RNG.normal(size=(m, n)) * 4
    y = RNG.integers(0, 2, (m, n)).astype(float)
    a = nn.BCEWithLogitsLoss(reduction=reduction)(Tensor(z), y)
    b = nn.BCELoss(reduction=reduction)(nn.Sigmoid()(Tensor(z)), y)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-9)
