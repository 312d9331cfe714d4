"""nn.utils: total norms, flat parameter vectors, stateless calls, weight and spectral norms."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lite as tg
from models.two_layer import TwoLayerNet
from tinygrad_lite import Tensor, nn, optim
from tinygrad_lite.gradcheck import gradcheck, gradcheck_module, gradgradcheck
from tinygrad_lite.nn import utils
from tinygrad_lite.testing import floats

arrays = st.lists(
    hnp.arrays(
        np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), elements=floats(-50, 50)
    ),
    min_size=1,
    max_size=4,
)


def with_grads(grads: list[np.ndarray]) -> list[Tensor]:
    params = []
    for g in grads:
        p = Tensor(np.zeros(g.shape), requires_grad=True)
        p.grad = Tensor(g.copy())
        params.append(p)
    return params


# ---------------------------------------------------------------------- total norms


@settings(max_examples=15)
@given(arrays, st.sampled_from([1.0, 2.0, 3.5, math.inf]))
def test_get_total_norm_is_the_norm_of_all_entries(xs: list[np.ndarray], p: float) -> None:
    ts = [Tensor(x, requires_grad=True) for x in xs]
    total = utils.get_total_norm(ts, p)
    flat = np.concatenate([x.ravel() for x in xs])
    expected = np.max(np.abs(flat), initial=0.0) if p == math.inf else np.linalg.norm(flat, p)
    assert total.shape == () and not total.requires_grad
    np.testing.assert_allclose(total.data, expected, rtol=1e-12, atol=1e-300)


@settings(max_examples=15)
@given(arrays, st.floats(0.0, 100.0))
def test_total_norm_then_clip_is_clip_grad_norm(grads: list[np.ndarray], max_norm: float) -> None:
    a, b = with_grads(grads), with_grads(grads)
    expected = utils.clip_grad_norm_(a, max_norm)
    total = utils.get_total_norm([p.grad for p in b if p.grad is not None])
    assert utils.clip_grads_with_norm_(b, max_norm, total) is None
    assert total.data.tobytes() == expected.data.tobytes()
    for p, q in zip(a, b, strict=True):
        assert p.grad.data.tobytes() == q.grad.data.tobytes()  # type: ignore[union-attr]


def test_total_norm_edge_cases_and_refusals() -> None:
    assert utils.get_total_norm([]).item() == 0.0
    inf = [Tensor([1.0, math.inf])]
    assert utils.get_total_norm(inf).item() == math.inf
    with pytest.raises(RuntimeError, match="get_total_norm: the total norm of order 2.0 is inf"):
        utils.get_total_norm(inf, error_if_nonfinite=True)
    with pytest.raises(TypeError, match=r"tensors\[0\] has dtype int64"):
        utils.get_total_norm([Tensor([1, 2])])
    with pytest.raises(ValueError, match="norm_type must be > 0"):
        utils.get_total_norm([Tensor([1.0])], 0)
    with pytest.raises(TypeError, match="foreach must be None, True or False"):
        utils.get_total_norm([Tensor([1.0])], foreach="yes")  # type: ignore[arg-type]
    assert utils.get_total_norm(Tensor([3.0, 4.0]), foreach=True).item() == 5.0
    (w,) = with_grads([np.array([3.0, 4.0])])
    with pytest.raises(TypeError, match="total_norm must be a Tensor"):
        utils.clip_grads_with_norm_([w], 1.0, 5.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"one element, got shape \(2,\)"):
        utils.clip_grads_with_norm_([w], 1.0, Tensor([5.0, 1.0]))
    with pytest.raises(ValueError, match="max_norm must be >= 0, got -1.0"):
        utils.clip_grads_with_norm_([w], -1.0, Tensor(5.0))
    utils.clip_grads_with_norm_([w], 1.0, Tensor([[5.0]]))  # one element of any shape
    np.testing.assert_allclose(w.grad.data, [3 / (5 + 1e-6), 4 / (5 + 1e-6)])  # type: ignore[union-attr]
    utils.clip_grads_with_norm_([Tensor([1.0], requires_grad=True)], 1.0, Tensor(9.0))  # no grad


def test_old_clip_name_and_empty_generator_warn() -> None:
    (w,) = with_grads([np.array([3.0, 4.0])])
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
        assert utils.clip_grad_norm([w], 1.0).item() == 5.0
    with pytest.warns(UserWarning, match="empty generator"):
        assert utils.clip_grad_norm_((p for p in []), 1.0).item() == 0.0
    utils.clip_grad_value_([w], 0.1, foreach=False)
    np.testing.assert_allclose(w.grad.data, 0.1)  # type: ignore[union-attr]


def test_total_norm_and_clip_inside_a_compiled_step_are_replayed() -> None:
    def build() -> tuple[TwoLayerNet, Any]:
        net = TwoLayerNet(2, 4, seed=0)
        opt = optim.SGD(net.parameters(), lr=0.5)

        def step(x: Any, y: Any) -> Tensor:
            opt.zero_grad()
            net.cost(x, y).backward()
            total = utils.get_total_norm([p.grad for p in net.parameters()])
            utils.clip_grads_with_norm_(net.parameters(), 0.05, total)
            opt.step()
            return total

        return net, step

    (eager_net, eager), (comp_net, step) = build(), build()
    fast = tg.compile(step)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x, y = rng.standard_normal((2, 8)), (rng.random((1, 8)) > 0.5).astype(float)
        assert eager(x, y).data.tobytes() == fast(x, y).data.tobytes()
    for p, q in zip(eager_net.parameters(), comp_net.parameters(), strict=True):
        assert p.data.tobytes() == q.data.tobytes()


# ---------------------------------------------------------------------- flat vectors


def test_parameters_to_vector_values_and_gradients() -> None:
    rng = np.random.default_rng(0)
    a, b = Tensor(rng.standard_normal((2, 3)), requires_grad=True), Tensor(rng.standard_normal(2))
    vec = utils.parameters_to_vector([a, b])
    np.testing.assert_array_equal(vec.data, np.concatenate([a.data.ravel(), b.data]))
    assert vec.requires_grad and not np.shares_memory(vec.data, a.data)
    b.requires_grad = True
    assert gradcheck(lambda a, b: utils.parameters_to_vector([a, b]) ** 3, a, b)
    assert gradgradcheck(lambda a, b: utils.parameters_to_vector([a, b]) ** 3, a, b)
    one = utils.parameters_to_vector(a)  # a single tensor: its entries
    assert one.shape == (6,) and not np.shares_memory(one.data, a.data)
    with pytest.raises(ValueError, match="expected at least one tensor, got none"):
        utils.parameters_to_vector([])
    with pytest.raises(TypeError, match=r"parameters\[1\] is a list, not a Tensor"):
        utils.parameters_to_vector([a, [1.0]])  # type: ignore[list-item]


def test_vector_to_parameters_makes_views_of_the_vector() -> None:
    net = nn.Linear(3, 2, seed=0)
    old = [p.data.copy() for p in net.parameters()]
    y = (net.weight * net.weight).sum()  # recorded before: keeps the old values
    vec = utils.parameters_to_vector(net.parameters()) * 2.0
    assert utils.vector_to_parameters(vec, net.parameters()) is None
    for p, o in zip(net.parameters(), old, strict=True):
        np.testing.assert_array_equal(p.data, 2.0 * o)
        assert isinstance(p, nn.Parameter) and p.requires_grad
    vec.data[0] = 100.0  # the arrays are views of vec's, as in PyTorch
    assert net.weight.data[0, 0] == 100.0
    y.backward()
    np.testing.assert_array_equal(net.weight.grad.data, 2.0 * old[0])  # type: ignore[union-attr]
    w = nn.Parameter(np.zeros(2))
    utils.vector_to_parameters(Tensor([1.0, 2.0, 3.0]), [w])  # extra entries are not used
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


def test_vector_to_parameters_refusals() -> None:
    w = nn.Parameter(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="expected vec to be a Tensor, got ndarray"):
        utils.vector_to_parameters(np.zeros(4), [w])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"vec must be 1-dimensional, got shape \(2, 2\)"):
        utils.vector_to_parameters(Tensor(np.zeros((2, 2))), [w])
    with pytest.raises(ValueError, match="vec has 3 entries but the parameters hold 4"):
        utils.vector_to_parameters(Tensor(np.zeros(3)), [w])
    with pytest.raises(ValueError, match=r"\[0\] has dtype float64 but vec has dtype float32"):
        utils.vector_to_parameters(Tensor(np.zeros(4, np.float32)), [w])
    np.testing.assert_array_equal(w.data, 0.0)  # nothing changed


# ---------------------------------------------------------------------- stateless


def stateless_call(*args: Any, **kwargs: Any) -> Any:
    with pytest.warns(FutureWarning, match="stateless.functional_call` is deprecated"):
        return utils.stateless.functional_call(*args, **kwargs)


class TwoInputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(np.ones(2))

    def forward(self, x: Tensor, y: Tensor, scale: float = 1.0) -> Tensor:
        return (self.w * x + y) * scale


def test_stateless_functional_call_takes_args_as_a_tuple_and_kwargs_as_a_dict() -> None:
    m = TwoInputs()
    w = Tensor([2.0, 3.0], requires_grad=True)
    x, y = Tensor([1.0, 1.0]), Tensor([0.5, 0.5])
    out = stateless_call(m, {"w": w}, (x, y), {"scale": 2.0})
    np.testing.assert_array_equal(out.data, [5.0, 7.0])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 2.0])  # type: ignore[union-attr]
    np.testing.assert_array_equal(m.w.data, 1.0)  # put back
    lin = nn.Linear(2, 1, seed=0)
    single = stateless_call(lin, {"bias": Tensor([10.0])}, Tensor([[0.0, 0.0]]))  # one argument
    assert single.item() == 10.0
    by_name = stateless_call(m, {}, None, {"x": x, "y": y})  # no positional arguments
    np.testing.assert_array_equal(by_name.data, [1.5, 1.5])


def test_stateless_strict_and_tied_weights() -> None:
    lin = nn.Linear(2, 2, seed=0)
    net = nn.Sequential(lin, nn.Tanh(), lin)  # tied: "0.weight" is "2.weight"
    given = {"0.weight": Tensor(np.eye(2)), "2.bias": Tensor(np.zeros(2))}
    out = stateless_call(net, given, Tensor([[0.5, -0.5]]), strict=True)
    np.testing.assert_allclose(out.data, np.tanh([[0.5, -0.5]]))
    with pytest.raises(RuntimeError, match=r"Unexpected key\(s\): 'x'.\n\tMissing key\(s\): '0.b"):
        stateless_call(net, {"x": Tensor(0.0), "0.weight": Tensor(np.eye(2))}, None, strict=True)
    with pytest.raises(NotImplementedError, match="tie_weights=False"):
        stateless_call(net, {}, None, tie_weights=False)


# ---------------------------------------------------------------------- weight_norm


def test_weight_norm_reparametrises_and_has_gradients_of_every_order() -> None:
    m = utils.weight_norm(nn.Linear(3, 4, seed=0))
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_g", "weight_v"]
    assert m.weight_g.shape == (4, 1) and list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    x = Tensor(np.random.default_rng(1).standard_normal((5, 3)))
    m.weight_g.data[...] = [[1.0], [2.0], [0.5], [3.0]]
    m(x)
    v = m.weight_v.data
    np.testing.assert_allclose(
        m.weight.data, m.weight_g.data * v / np.linalg.norm(v, axis=1, keepdims=True), rtol=1e-14
    )
    assert gradcheck_module(m, lambda net, x: (net(x) ** 2).sum(), x)

    def out(g: Tensor, v: Tensor) -> Tensor:
        return tg.func.functional_call(m, {"weight_g": g, "weight_v": v}, x) ** 2

    assert gradgradcheck(out, Tensor(m.weight_g.data, requires_grad=True), Tensor(v, True))
    whole = utils.weight_norm(nn.Conv1d(2, 3, 2, seed=0), dim=None)
    assert whole.weight_g.shape == () and whole.weight_g.item() > 0
    assert utils.weight_norm(nn.Conv1d(2, 3, 2, seed=0), dim=2).weight_g.shape == (1, 1, 2)


def test_remove_weight_norm_and_refusals() -> None:
    m = utils.weight_norm(nn.Linear(3, 4, seed=0))
    m.weight_g.data[...] = 2.0
    m(Tensor(np.ones((1, 3))))
    expected = m.weight.data.copy()
    assert utils.remove_weight_norm(m) is m
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight"]
    np.testing.assert_array_equal(m.weight.data, expected)
    assert isinstance(m.weight, nn.Parameter) and not m.__dict__.get("_forward_hooks")
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in Linear"):
        utils.remove_weight_norm(m)
    utils.weight_norm(m)
    with pytest.raises(RuntimeError, match="cannot register two weight_norm hooks on .*'weight'"):
        utils.weight_norm(m)
    with pytest.raises(ValueError, match=r"no parameter 'kernel'; its parameters are \['bias'"):
        utils.weight_norm(m, "kernel")
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        utils.weight_norm(nn.Linear(2, 2, seed=0), dim=2)


# ---------------------------------------------------------------------- spectral_norm


def test_spectral_norm_converges_to_the_largest_singular_value() -> None:
    tg.manual_seed(0)
    m = utils.spectral_norm(nn.Linear(5, 4, seed=0), n_power_iterations=30)
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    np.testing.assert_array_equal(m.weight.data, m.weight_orig.data)  # until the first forward
    m(Tensor(np.ones((1, 5))))
    np.testing.assert_allclose(np.linalg.norm(m.weight.data, 2), 1.0, rtol=1e-10)
    for b in (m.weight_u, m.weight_v):
        np.testing.assert_allclose(np.linalg.norm(b.data), 1.0, rtol=1e-14)
    m.eval()
    u = m.weight_u.data.copy()
    m(Tensor(np.ones((1, 5))))
    np.testing.assert_array_equal(m.weight_u.data, u)  # evaluation: no power iteration


def test_spectral_norm_gradient_treats_u_and_v_as_constants() -> None:
    m = utils.spectral_norm(nn.Conv2d(2, 3, 2, seed=0)).eval()
    x = Tensor(np.random.default_rng(0).standard_normal((1, 2, 3, 3)))
    assert gradcheck_module(m, lambda net, x: (net(x) ** 2).sum(), x)
    assert m.weight_u.shape == (3,) and m.weight_v.shape == (8,)
    t = utils.spectral_norm(nn.ConvTranspose2d(2, 3, 2, seed=0))  # dim 1: the outputs
    assert t.weight_u.shape == (3,) and t.weight_v.shape == (8,)


def test_remove_spectral_norm_and_refusals() -> None:
    m = utils.spectral_norm(nn.Linear(3, 2, seed=0))
    m(Tensor(np.ones((1, 3))))
    expected = m.weight.data.copy()
    utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(m.weight.data, expected, rtol=1e-15)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        utils.remove_spectral_norm(m)
    with pytest.raises(ValueError, match="n_power_iterations must be an int >= 1, got 0"):
        utils.spectral_norm(m, n_power_iterations=0)
    utils.spectral_norm(m)
    with pytest.raises(RuntimeError, match="two spectral_norm hooks"):
        utils.spectral_norm(m)
    with pytest.raises(TypeError, match="expected a Module, got Tensor"):
        utils.spectral_norm(Tensor([1.0]))  # type: ignore[type-var]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m(Tensor(np.ones((1, 3))))
