"""parametrize and parametrizations: semantics, state dicts, errors, finite differences."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import nn, param_orth
from tinygrad_lite import param_maps as PZ
from tinygrad_lite import parametrize as P
from tinygrad_lite.gradcheck import gradcheck, gradcheck_module, gradgradcheck
from tinygrad_lite.tensor import Tensor

RNG = np.random.default_rng(0)


class Symmetric(nn.Module):
    def forward(self, X: Tensor) -> Tensor:
        return X.triu() + X.triu(1).mT


class Scale(nn.Module):
    """Y = 2X, with its inverse."""

    def forward(self, X: Tensor) -> Tensor:
        return 2.0 * X

    def right_inverse(self, Y: Tensor) -> Tensor:
        return Y / 2.0


class Split(nn.Module):
    """Y = A + B from the pair (Y/2, Y/2)."""

    def forward(self, A: Tensor, B: Tensor) -> Tensor:
        return A + B

    def right_inverse(self, Y: Tensor) -> tuple[Tensor, Tensor]:
        return Y / 2.0, Y / 2.0


class Shrink(nn.Module):
    def forward(self, X: Tensor) -> Tensor:
        return X[:1]


def linear(n_in: int = 3, n_out: int = 3, seed: int = 0) -> nn.Linear:
    return nn.Linear(n_in, n_out, seed=seed)


# ------------------------------------------------------------------ parametrize


def test_register_moves_the_original_and_computes_the_tensor() -> None:
    m = linear()
    w = m.weight
    P.register_parametrization(m, "weight", Symmetric())
    assert type(m).__name__ == "ParametrizedLinear" and isinstance(m, nn.Linear)
    assert P.type_before_parametrizations(m) is nn.Linear
    assert m.parametrizations.weight.original is w  # the same Parameter
    assert np.array_equal(m.weight.data, m.weight.data.T)
    assert P.is_parametrized(m) and P.is_parametrized(m, "weight")
    assert not P.is_parametrized(m, "bias") and not P.is_parametrized(linear())
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in m.named_parameters()] == ["bias", "parametrizations.weight.original"]
    assert repr(m) == (
        "ParametrizedLinear(\n  in_features=3, out_features=3, bias=True\n"
        "  (parametrizations): ModuleDict(\n    (weight): ParametrizationList(\n"
        "      (0): Symmetric()\n    )\n  )\n)"
    )
    m(Tensor(RNG.standard_normal((2, 3)))).sum().backward()
    assert w.grad is not None and w.grad.shape == (3, 3)
    assert np.all(np.tril(w.grad.data, -1) == 0)  # the lower triangle is not used


def test_gradients_match_finite_differences() -> None:
    m = P.register_parametrization(linear(3, 3, 1), "weight", Symmetric())
    P.register_parametrization(m, "weight", Scale())
    x = Tensor(RNG.standard_normal((4, 3)))
    assert gradcheck_module(m, lambda net, x: (net(x) ** 2).sum(), x)


def test_assignment_uses_right_inverse_and_keeps_the_parameter() -> None:
    m = linear()
    w0 = m.weight.data.copy()
    P.register_parametrization(m, "weight", Scale())
    original = m.parametrizations.weight.original
    assert np.allclose(original.data, w0 / 2) and np.allclose(m.weight.data, w0)
    X = Tensor(RNG.standard_normal((3, 3)))
    m.weight = X
    assert m.parametrizations.weight.original is original
    assert np.allclose(original.data, X.data / 2) and np.allclose(m.weight.data, X.data)
    assert "weight" not in m.__dict__


def test_assignment_without_right_inverse_and_of_parameters_is_refused() -> None:
    m = P.register_parametrization(linear(), "weight", Symmetric())
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        m.weight = Tensor(np.eye(3))
    with pytest.raises(KeyError, match="parametrized"):
        m.weight = nn.Parameter(np.eye(3))


def test_sequence_right_inverse_gives_original0_original1() -> None:
    m = linear()
    w0 = m.weight.data.copy()
    P.register_parametrization(m, "weight", Split())
    plist = m.parametrizations.weight
    assert not plist.is_tensor and plist.ntensors == 2
    assert list(m.state_dict())[1:] == [
        "parametrizations.weight.original0",
        "parametrizations.weight.original1",
    ]
    assert np.allclose(plist.original0.data, w0 / 2) and np.allclose(m.weight.data, w0)
    m.weight = Tensor(np.ones((3, 3)))
    assert np.allclose(plist.original1.data, 0.5)
    with pytest.raises(ValueError, match="sequence of tensors"):
        P.remove_parametrizations(m, "weight", leave_parametrized=False)
    P.remove_parametrizations(m, "weight")
    assert isinstance(m.weight, nn.Parameter) and np.allclose(m.weight.data, 1.0)
    assert type(m) is nn.Linear and not hasattr(m, "parametrizations")


def test_remove_parametrizations_restores_the_class_and_the_value() -> None:
    m = linear()
    w = m.weight
    P.register_parametrization(m, "weight", Symmetric())
    P.register_parametrization(m, "bias", Scale())
    value = m.weight.data.copy()
    P.remove_parametrizations(m, "weight")
    assert type(m).__name__ == "ParametrizedLinear" and m.weight is w
    assert np.array_equal(w.data, value)
    P.remove_parametrizations(m, "bias", leave_parametrized=False)
    assert type(m) is nn.Linear and list(m.state_dict()) == ["weight", "bias"]  # re-registered
    assert not hasattr(nn.Linear, "weight")  # the property lived on the subclass only
    with pytest.raises(ValueError, match="does not have a parametrization on 'weight'"):
        P.remove_parametrizations(m, "weight")


def test_stacked_parametrizations_and_their_checks() -> None:
    m = P.register_parametrization(linear(), "weight", Symmetric())
    P.register_parametrization(m, "weight", Scale())
    assert len(m.parametrizations.weight) == 2
    assert np.allclose(m.weight.data, 2 * (m.weight.data.T / 2))
    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(m, "weight", Shrink())
    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(linear(), "weight", Shrink())
    m2 = P.register_parametrization(linear(), "weight", Shrink(), unsafe=True)
    assert m2.weight.shape == (1, 3)


def test_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="parametrized element with name 'kernel'.*'weight'"):
        P.register_parametrization(linear(), "kernel", Symmetric())
    with pytest.raises(TypeError, match="parametrization must be a Module"):
        P.register_parametrization(linear(), "weight", lambda x: x)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="module must be a Module"):
        P.register_parametrization(object(), "weight", Symmetric())  # type: ignore[type-var]


def test_cached_computes_once() -> None:
    m = P.register_parametrization(linear(), "weight", Symmetric())
    with P.cached():
        a = m.weight
        with P.cached():
            assert m.weight is a
        assert m.weight is a
    assert m.weight is not a


def test_state_dict_round_trip_and_buffers() -> None:
    a = P.register_parametrization(linear(3, 3, 1), "weight", Symmetric())
    b = P.register_parametrization(linear(3, 3, 2), "weight", Symmetric())
    b.load_state_dict(a.state_dict())
    assert np.array_equal(a.weight.data, b.weight.data)
    m = linear()
    m.register_buffer("scale", Tensor(np.ones(3)))
    P.register_parametrization(m, "scale", Scale())
    assert list(m.state_dict())[-1] == "parametrizations.scale.original"
    assert np.allclose(m.scale.data, 1.0) and np.allclose(
        m.get_buffer("parametrizations.scale.original").data, 0.5
    )


def test_transfer_deepcopy_pickle_and_modes() -> None:
    m = P.register_parametrization(linear(), "weight", Symmetric())
    to = P.transfer_parametrizations_and_params(m, linear(3, 3, 5))
    assert to.parametrizations.weight.original is m.parametrizations.weight.original
    assert np.array_equal(to.weight.data, m.weight.data)
    fresh = P.transfer_parametrizations_and_params(m, nn.Identity())
    assert np.array_equal(fresh.weight.data, m.weight.data)
    c = copy.deepcopy(m)
    assert np.array_equal(c.weight.data, m.weight.data)
    assert c.parametrizations.weight.original is not m.parametrizations.weight.original
    P.remove_parametrizations(c, "weight")
    assert P.is_parametrized(m, "weight") and isinstance(m.weight, Tensor)
    with pytest.raises(RuntimeError, match="state_dict"):
        pickle.dumps(m)
    m.eval()
    assert not m.parametrizations.weight[0].training
    s = P.register_parametrization(linear().eval(), "weight", Symmetric())
    assert not s.parametrizations.weight[0].training


# ------------------------------------------------------------------ orthogonal

SHAPES = [(3, 3), (4, 2), (2, 4)]
MAPS = ["matrix_exp", "cayley", "householder"]


def _ortho_ok(W: np.ndarray) -> bool:
    n, k = W.shape[-2:]
    G = W.T @ W if n >= k else W @ W.T
    return bool(np.allclose(G, np.eye(min(n, k)), atol=1e-12))


@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("shape", SHAPES)
def test_orthogonal_is_orthogonal_and_starts_at_the_weight(
    orthogonal_map: str, shape: tuple[int, int]
) -> None:
    m = linear(shape[1], shape[0], 3)
    q, r = np.linalg.qr(m.weight.data if shape[0] >= shape[1] else m.weight.data.T)
    Q0 = q * np.sign(np.diag(r))  # the weight made orthogonal: QR with diag(R) >= 0
    PZ.orthogonal(m, orthogonal_map=orthogonal_map)
    W = m.weight.data
    assert _ortho_ok(W)
    Wt = W if shape[0] >= shape[1] else W.T
    assert np.allclose(Wt, Q0, atol=1e-12)
    assert np.array_equal(m.parametrizations.weight.original.data, -np.eye(*shape))
    assert "parametrizations.weight.0.base" in m.state_dict()
    Q = np.linalg.qr(RNG.standard_normal((max(shape), min(shape))))[0]
    Q = Q if shape[0] >= shape[1] else Q.T
    m.weight = Tensor(Q)
    assert np.allclose(m.weight.data, Q)


@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("shape", [(3, 3), (3, 2), (2, 3)])
def test_orthogonal_gradients_of_first_and_second_order(
    orthogonal_map: str, shape: tuple[int, int]
) -> None:
    weight = Tensor(RNG.standard_normal(shape))
    orth = param_orth._Orthogonal(
        weight, param_orth._OrthMaps[orthogonal_map], use_trivialization=False
    )
    X = RNG.standard_normal(shape) * 0.5
    X[np.arange(min(shape)), np.arange(min(shape))] = [1.5, -1.5, 1.5][: min(shape)]
    x = Tensor(X, requires_grad=True)
    assert _ortho_ok(orth(x).data)
    assert gradcheck(orth, x)
    if shape == (3, 3):
        assert gradgradcheck(orth, x)


def test_orthogonal_without_trivialization() -> None:
    m = PZ.orthogonal(linear(2, 4, 1), use_trivialization=False)  # householder
    Q = np.linalg.qr(RNG.standard_normal((4, 2)))[0]
    m.weight = Tensor(Q)
    assert np.allclose(m.weight.data, Q) and "parametrizations.weight.0.base" not in m.state_dict()
    e = PZ.orthogonal(linear(3, 3, 1), use_trivialization=False)  # matrix_exp
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        e.weight = Tensor(np.eye(3))
    assert _ortho_ok(e.weight.data)


@settings(max_examples=5, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.sampled_from(MAPS))
def test_orthogonal_float32_shapes(n: int, k: int, orthogonal_map: str) -> None:
    m = PZ.orthogonal(nn.Linear(k, n, seed=0).float(), orthogonal_map=orthogonal_map)
    W = m.weight.data
    assert W.dtype == np.float32 and W.shape == (n, k)
    G = W.T @ W if n >= k else W @ W.T
    assert np.allclose(G, np.eye(min(n, k)), atol=1e-5)


def test_orthogonal_errors() -> None:
    with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
        PZ.orthogonal(linear(), orthogonal_map="qr")
    with pytest.raises(ValueError, match="matrix or batch of matrices.*1 dimensions"):
        PZ.orthogonal(linear(), "bias")
    with pytest.raises(ValueError, match="no parameter or buffer with name 'kernel'"):
        PZ.orthogonal(linear(), "kernel")
    m = PZ.orthogonal(linear())
    with pytest.raises(ValueError, match=r"shape \(3, 3\). Got a tensor of shape \(2, 2\)"):
        m.weight = Tensor(np.eye(2))


# ------------------------------------------------------------------ spectral and weight norms


def test_spectral_norm_divides_by_the_top_singular_value() -> None:
    m = PZ.spectral_norm(linear(4, 3, 2), n_power_iterations=30)
    pm = m.parametrizations.weight[0]
    assert list(m.state_dict())[2:] == [
        "parametrizations.weight.0._u",
        "parametrizations.weight.0._v",
    ]
    W = m.parametrizations.weight.original.data
    assert np.isclose(np.linalg.norm(m.weight.data, 2), 1.0)
    m.eval()
    u, v = pm._u.data.copy(), pm._v.data.copy()
    assert np.allclose(m.weight.data, W / (u @ W @ v)) and np.array_equal(pm._u.data, u)
    pm._u.data[...], pm._v.data[...] = np.ones(3) / np.sqrt(3), np.ones(4) / 2
    pm.n_power_iterations = 1
    m.train()
    m.weight  # noqa: B018 - an access in training mode runs a power step
    u1 = W @ (np.ones(4) / 2)
    u1 /= np.linalg.norm(u1)
    v1 = W.T @ u1
    v1 /= np.linalg.norm(v1)
    assert np.allclose(pm._u.data, u1) and np.allclose(pm._v.data, v1)
    assert gradcheck_module(m.eval(), lambda net, x: net(x).square().sum(), Tensor(np.ones((2, 4))))
    b = PZ.spectral_norm(linear(), "bias")
    assert np.isclose(np.linalg.norm(b.bias.data), 1.0)


def test_spectral_norm_errors() -> None:
    with pytest.raises(IndexError, match=r"\[-2, 1\] but got 2"):
        PZ.spectral_norm(linear(), dim=2)
    with pytest.raises(ValueError, match="n_power_iterations=0"):
        PZ.spectral_norm(linear(), n_power_iterations=0)
    with pytest.raises(ValueError, match="no parameter or buffer with name 'w'"):
        PZ.spectral_norm(linear(), "w")


def test_weight_norm_g_v_and_the_old_state_dict() -> None:
    m = linear(3, 4, 1)
    w0 = m.weight.data.copy()
    PZ.weight_norm(m)
    plist = m.parametrizations.weight
    assert plist.original0.shape == (4, 1) and np.allclose(m.weight.data, w0)
    assert np.allclose(plist.original0.data[:, 0], np.linalg.norm(w0, axis=1))
    assert gradcheck_module(m, lambda net, x: net(x).square().sum(), Tensor(np.ones((2, 3))))
    whole = PZ.weight_norm(linear(3, 4, 1), dim=None)
    assert whole.parametrizations.weight.original0.shape == ()
    old = nn.utils.weight_norm(linear(3, 4, 7))
    m.load_state_dict(old.state_dict())
    assert np.allclose(m.weight.data, old.weight.data)
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        PZ.weight_norm(linear(), dim=2)


def test_reached_from_nn_utils_once_integrated() -> None:
    utils = nn.utils
    if not hasattr(utils, "parametrize"):
        pytest.skip("nn.utils does not expose parametrize yet")
    assert utils.parametrize is P and utils.parametrizations is PZ


def test_float32_weights_keep_their_dtype() -> None:
    m = PZ.weight_norm(nn.Linear(3, 2, seed=0).float())
    assert m.weight.dtype == np.float32
    s = PZ.spectral_norm(nn.Linear(3, 2, seed=0).float())
    assert s.weight.dtype == np.float32 and s.parametrizations.weight[0]._u.dtype == np.float32
    assert tg.Tensor(np.zeros(1)).dtype == np.float64
