"""SiLU, ELU, Hardtanh, ReLU6, Softplus, `inplace=True`, one_hot, linear, normalize, ModuleDict.

Values against hand-worked formulas, gradients against float64 finite differences, and (where
PyTorch is installed) both against PyTorch over ordinary and special values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor, nn
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradcheck

X = np.array([-3.0, -1.0, -0.25, 0.3, 0.9, 2.0, 7.0])


def grad_of(fn: Callable[[Tensor], Tensor], values: Any) -> tuple[np.ndarray, np.ndarray]:
    x = Tensor(np.array(values, dtype=np.float64), requires_grad=True)
    out = fn(x)
    out.backward(np.ones(out.shape))
    assert x.grad is not None
    return out.data, x.grad.data


def test_silu_elu_and_their_derivatives() -> None:
    sig = 1 / (1 + np.exp(-X))
    y, g = grad_of(F.silu, X)
    np.testing.assert_allclose(y, X * sig, rtol=1e-15)
    np.testing.assert_allclose(g, sig * (1 + X * (1 - sig)), rtol=1e-14)
    y, g = grad_of(lambda t: F.elu(t, 0.5), X)
    np.testing.assert_allclose(y, np.where(X > 0, X, 0.5 * np.expm1(X)), rtol=1e-15)
    np.testing.assert_allclose(g, np.where(X > 0, 1.0, 0.5 * np.exp(X)), rtol=1e-15)


def test_elu_does_not_overflow_in_the_branch_it_does_not_use() -> None:
    with np.errstate(over="raise", invalid="raise"):
        y, g = grad_of(F.elu, [800.0, -800.0, -0.0])
    assert y.tolist() == [800.0, -1.0, -0.0] and np.signbit(y[2])  # α·expm1(−0) = −0
    assert g.tolist() == [1.0, 0.0, 1.0]  # αe⁰ = 1 at 0, as PyTorch


def test_hardtanh_has_zero_gradient_at_its_bounds_and_outside() -> None:
    y, g = grad_of(F.hardtanh, [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])
    assert y.tolist() == [-1.0, -1.0, -0.5, 0.5, 1.0, 1.0]
    assert g.tolist() == [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]  # bounds excluded, unlike clamp's
    y, g = grad_of(F.relu6, [-1.0, 0.0, 3.0, 6.0, 9.0])
    assert y.tolist() == [0.0, 0.0, 3.0, 6.0, 6.0] and g.tolist() == [0, 0, 1, 0, 0]
    y, g = grad_of(F.hardtanh, [math.nan])
    assert math.isnan(y[0]) and g.tolist() == [1.0]  # NaN passes the gradient, as PyTorch
    with pytest.raises(ValueError, match="min_val 2.0 is greater than max_val 1.0"):
        F.hardtanh(Tensor(X), 2.0, 1.0)


@pytest.mark.parametrize(
    "fn",
    [
        F.silu,
        lambda t: F.elu(t, 1.3),
        lambda t: F.hardtanh(t, -0.5, 1.5),
        F.relu6,
        F.logsigmoid,
        lambda t: F.normalize(t.reshape(1, -1) * 1.0),
        lambda t: F.linear(t.reshape(1, -1), t.reshape(-1, 1) * t.reshape(1, -1), t * 2.0),
    ],
    ids=["silu", "elu", "hardtanh", "relu6", "logsigmoid", "normalize", "linear"],
)
def test_gradients_equal_finite_differences(fn: Callable[[Tensor], Tensor]) -> None:
    assert gradcheck(fn, Tensor(X.copy(), requires_grad=True))


def test_one_hot_linear_and_normalize() -> None:
    assert F.one_hot(np.array([0, 2, 1])).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    hot = F.one_hot(Tensor(np.array([[1], [0]])), num_classes=3)
    assert hot.shape == (2, 1, 3) and hot.dtype == np.int64 and not hot.requires_grad
    for bad, match in [
        (lambda: F.one_hot(np.array([0.0])), "integer class indices"),
        (lambda: F.one_hot(np.array([-1])), "must be >= 0"),
        (lambda: F.one_hot(np.array([3]), 3), "index 3 is out of range for 3 classes"),
        (lambda: F.one_hot(np.array([], dtype=np.int64)), "empty tensor"),
        (lambda: F.linear(Tensor(X), Tensor(np.zeros((2, 2, 2)))), r"must be \(out, in\)"),
    ]:
        with pytest.raises((ValueError, TypeError), match=match):
            bad()
    layer = nn.Linear(3, 2, seed=0)
    x = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(F.linear(x, layer.weight, layer.bias).data, layer(x).data)
    n = F.normalize(Tensor(np.array([[3.0, 4.0], [0.0, 0.0]])))
    assert n.tolist() == [[0.6, 0.8], [0.0, 0.0]]  # the zero row divided by eps, not by 0


def test_layers_carry_their_settings() -> None:
    assert repr(nn.ELU(0.5)) == "ELU(alpha=0.5)" and repr(nn.SiLU()) == "SiLU()"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.LeakyReLU(0.2, inplace=True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nn.Hardtanh(-2, 2)) == "Hardtanh(min_val=-2.0, max_val=2.0)"
    assert (
        repr(nn.ReLU6()) == "ReLU6()"
        and repr(nn.Softplus(2.0)) == "Softplus(beta=2.0, threshold=20.0)"
    )
    x = Tensor(X)
    np.testing.assert_array_equal(nn.Softplus(2.0)(x).data, F.softplus(x, 2.0).data)
    np.testing.assert_array_equal(nn.ReLU6()(x).data, np.clip(X, 0, 6))
    with pytest.raises(ValueError, match="greater than max_val"):
        nn.Hardtanh(1, -1)


@pytest.mark.parametrize(
    "make",
    [
        lambda inplace: nn.ReLU(inplace=inplace),
        lambda inplace: nn.LeakyReLU(0.1, inplace=inplace),
        lambda inplace: nn.ELU(inplace=inplace),
        lambda inplace: nn.SiLU(inplace=inplace),
        lambda inplace: nn.Hardtanh(inplace=inplace),
        lambda inplace: nn.ReLU6(inplace=inplace),
    ],
    ids=["ReLU", "LeakyReLU", "ELU", "SiLU", "Hardtanh", "ReLU6"],
)
def test_inplace_layers_give_the_same_values_and_gradients(make: Callable[[bool], Any]) -> None:
    results = []
    for inplace in (False, True):
        net = nn.Sequential(nn.Linear(3, 5, seed=0), make(inplace), nn.Linear(5, 1, seed=1))
        x = Tensor(np.linspace(-2, 2, 12).reshape(4, 3))
        hidden = net[0](x)
        out = net[2](net[1](hidden))
        out.sum().backward()
        results.append((out.data, net[0].weight.grad.data, hidden.data))  # type: ignore[union-attr]
    (out0, grad0, hidden0), (out1, grad1, hidden1) = results
    np.testing.assert_array_equal(out0, out1)
    np.testing.assert_array_equal(grad0, grad1)
    assert not np.array_equal(hidden0, hidden1)  # in place: the input now holds the result


def test_inplace_on_a_leaf_that_requires_grad_is_refused() -> None:
    w = Tensor(X.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match="is a leaf that requires grad"):
        nn.ReLU(inplace=True)(w)
    plain = Tensor(X.copy())
    assert nn.ReLU(inplace=True)(plain) is plain and plain.tolist() == np.maximum(X, 0).tolist()


def test_module_dict() -> None:
    heads = nn.ModuleDict({"a": nn.Linear(2, 1, seed=0)})
    heads["b"] = nn.Linear(2, 3, seed=1)
    heads.update([("c", nn.Tanh())])
    assert list(heads) == ["a", "b", "c"] and len(heads) == 3 and "b" in heads
    assert heads.keys() == ["a", "b", "c"] and heads.values()[1] is heads["b"]
    assert [k for k, _ in heads.items()] == ["a", "b", "c"]
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert heads.pop("a").out_features == 1 and list(heads) == ["b", "c"]
    assert [n for n, _ in heads.named_parameters()] == ["b.weight", "b.bias"]
    with pytest.raises(KeyError, match=r"no module 'z'; its keys are \['b', 'c'\]"):
        heads["z"]
    with pytest.raises(TypeError, match="keys must be str"):
        heads.update({1: nn.Tanh()})
    with pytest.raises(TypeError, match="must be a Module or None"):
        heads["d"] = np.ones(2)  # type: ignore[assignment]
    heads.clear()
    assert len(heads) == 0 and list(heads.parameters()) == []


SPECIAL = [-800.0, -3.0, -1.0, -0.0, 0.0, 1e-8, 0.5, 1.0, 2.0, 6.0, 7.0, 800.0]
SPECIAL += [math.nan, -math.inf, math.inf]


@pytest.mark.parametrize("name", ["silu", "elu", "hardtanh", "relu6", "logsigmoid"])
def test_values_and_gradients_equal_pytorchs_at_ordinary_and_special_values(name: str) -> None:
    torch = pytest.importorskip("torch")
    ours: Callable[[Tensor], Tensor] = (
        getattr(F, name) if name != "elu" else lambda t: F.elu(t, 0.7)
    )
    tf = torch.nn.functional
    theirs = getattr(tf, name) if name != "elu" else lambda t: tf.elu(t, 0.7)
    x = Tensor(np.array(SPECIAL), requires_grad=True)
    with np.errstate(all="ignore"):
        out = ours(x)
        out.backward(np.ones(out.shape))
    tx = torch.tensor(SPECIAL, dtype=torch.float64, requires_grad=True)
    tout = theirs(tx)
    tout.backward(torch.ones(len(SPECIAL), dtype=torch.float64))
    assert x.grad is not None and tx.grad is not None
    for mine, other in ((out.data, tout.detach().numpy()), (x.grad.data, tx.grad.numpy())):
        same = (np.isnan(mine) & np.isnan(other)) | np.isclose(mine, other, rtol=1e-13, atol=0)
        same |= (mine == other) & (np.signbit(mine) == np.signbit(other))
        assert same.all(), (mine, other)
