"""Parameters with several names: modules used twice, tied weights, in state dicts and calls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite.func import functional_call, grad


def twice() -> tuple[nn.Linear, nn.Sequential]:
    """One Linear used at positions 0 and 2: each of its Parameters has two names."""
    layer = nn.Linear(2, 2, seed=0)
    return layer, nn.Sequential(layer, nn.Tanh(), layer)


def tied() -> tuple[nn.Linear, nn.Linear, nn.Sequential]:
    """Two Linears sharing one weight (`b.weight = a.weight`), with biases of their own."""
    a, b = nn.Linear(2, 2, seed=1), nn.Linear(2, 2, seed=2)
    b.weight = a.weight
    return a, b, nn.Sequential(a, b)


# ---------------------------------------------------------------------- names


def test_traversals_yield_every_name_only_when_asked() -> None:
    layer, net = twice()
    assert [n for n, _ in net.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias"]
    every = list(net.named_parameters(remove_duplicate=False))
    assert [n for n, _ in every] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [p for _, p in every] == [layer.weight, layer.bias] * 2
    assert list(net.parameters()) == [layer.weight, layer.bias]  # still each Parameter once


def test_a_cycle_of_modules_is_not_followed_around_again() -> None:
    looped = nn.Module()
    looped.w = nn.Parameter([1.0])
    looped.me = looped
    outer = nn.Sequential(nn.Linear(1, 1, seed=0))
    outer.append(nn.Sequential(outer))
    assert [n for n, _ in looped.named_modules(remove_duplicate=False)] == [""]
    assert [n for n, _ in outer.named_modules(remove_duplicate=False)] == ["", "0", "1"]
    assert list(looped.state_dict()) == ["w"]
    assert list(outer.state_dict()) == ["0.weight", "0.bias"]


def test_state_dict_lists_a_module_used_twice_under_both_names() -> None:
    layer, net = twice()
    state = net.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    np.testing.assert_array_equal(state["2.weight"], layer.weight.data)
    np.testing.assert_array_equal(state["2.bias"], layer.bias.data)
    # One copy per Parameter, shared by its names, and not the Parameter's own array.
    assert state["0.weight"] is state["2.weight"] and state["0.bias"] is state["2.bias"]
    assert not np.shares_memory(state["0.weight"], layer.weight.data)
    before = layer.weight.data.copy()
    layer.weight.data += 1.0
    np.testing.assert_array_equal(state["2.weight"], before)


def test_state_dict_lists_tied_weights_under_each_name_in_assignment_order() -> None:
    a, b, net = tied()
    state = net.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert state["0.weight"] is state["1.weight"]
    np.testing.assert_array_equal(state["1.weight"], a.weight.data)
    np.testing.assert_array_equal(state["1.bias"], b.bias.data)
    # One Parameter registered under two names of one module, around another one.
    m = nn.Module()
    p = nn.Parameter([1.0, 2.0])
    m.first = p
    m.other = nn.Parameter([3.0])
    m.second = p
    assert list(m.state_dict()) == ["first", "other", "second"]
    assert [n for n, _ in m.named_parameters()] == ["first", "other"]


# ---------------------------------------------------------------------- loading


def test_a_state_dict_with_every_name_loads_and_so_does_one_with_any_one_name() -> None:
    layer, net = twice()
    values = {"weight": np.array([[1.0, 2.0], [3.0, 4.0]]), "bias": np.array([5.0, 6.0])}
    full = {f"{i}.{k}": v.copy() for i in (0, 2) for k, v in values.items()}  # equal copies
    assert net.load_state_dict(full) == ([], [])
    np.testing.assert_array_equal(layer.weight.data, values["weight"])
    # Only the second name of each Parameter: nothing is missing.
    assert net.load_state_dict({"2.weight": values["weight"] * 2, "2.bias": values["bias"]}) == (
        [],
        [],
    )
    np.testing.assert_array_equal(layer.weight.data, values["weight"] * 2)
    # Only the first names (what older checkpoints hold) still load with strict=True.
    assert net.load_state_dict({"0.weight": values["weight"], "0.bias": values["bias"]}) == (
        [],
        [],
    )
    np.testing.assert_array_equal(layer.weight.data, values["weight"])


def test_two_names_of_one_parameter_with_different_values_are_refused_and_nothing_loads() -> None:
    a, b, net = tied()
    before = {n: v.copy() for n, v in net.state_dict().items()}
    state = net.state_dict()
    state = {**state, "0.bias": state["0.bias"] + 1.0, "1.weight": state["1.weight"] + 1.0}
    with pytest.raises(
        ValueError, match=r"0\.weight and 1\.weight name the same Parameter but hold different"
    ):
        net.load_state_dict(state)
    for name, value in net.state_dict().items():  # all or nothing: 0.bias was not loaded
        np.testing.assert_array_equal(value, before[name])
    # Also when strict=False, and for a module reached by two paths.
    layer, net2 = twice()
    with pytest.raises(ValueError, match=r"0\.bias and 2\.bias name the same Parameter"):
        net2.load_state_dict({"0.bias": np.zeros(2), "2.bias": np.ones(2)}, strict=False)


def test_a_parameter_none_of_whose_names_is_given_is_missing_under_each_name() -> None:
    layer, net = twice()
    result = net.load_state_dict({"2.weight": np.zeros((2, 2))}, strict=False)
    assert result.missing_keys == ["0.bias", "2.bias"]
    assert result.unexpected_keys == []
    np.testing.assert_array_equal(layer.weight.data, np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"missing keys \['0\.bias', '2\.bias'\]"):
        net.load_state_dict({"0.weight": np.zeros((2, 2))})
    # A wrong shape is reported under the name that has it.
    with pytest.raises(ValueError, match=r"2\.weight: shape \(3,\) in the state dict"):
        net.load_state_dict({**net.state_dict(), "2.weight": np.zeros(3)})


def test_a_checkpoint_with_aliases_round_trips_through_save_and_load(tmp_path: Path) -> None:
    layer, net = twice()
    layer.weight.data[0, 0] = np.nan  # a NaN is the same value under both names
    path = tmp_path / "net.npz"
    tg.save(net.state_dict(), path)
    loaded = tg.load(path)
    assert isinstance(loaded, dict)
    assert list(loaded) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    fresh_layer = nn.Linear(2, 2, seed=5)
    fresh = nn.Sequential(fresh_layer, nn.Tanh(), fresh_layer)
    assert fresh.load_state_dict(loaded) == ([], [])
    np.testing.assert_array_equal(fresh_layer.weight.data, layer.weight.data)
    np.testing.assert_array_equal(fresh_layer.bias.data, layer.bias.data)


# ---------------------------------------------------------------------- functional_call


def test_functional_call_replaces_a_tied_weight_under_every_name() -> None:
    a, b, net = tied()
    x = np.array([[0.5, -1.0], [2.0, 0.25], [1.0, 1.0]])
    w = np.array([[0.3, -0.2], [0.1, 0.4]])
    for name in ("0.weight", "1.weight"):
        out = functional_call(net, {name: Tensor(w)}, Tensor(x))
        expected = (x @ w.T + a.bias.data) @ w.T + b.bias.data
        np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    # d/dW sum((x Wᵀ + b₀) Wᵀ + b₁) = 1 (Σₙ h)ᵀ + (Σₖ W_k) (Σₙ x)ᵀ with h = x Wᵀ + b₀.
    h = x @ w.T + a.bias.data
    expected_grad = np.outer(np.ones(2), h.sum(0)) + np.outer(w.sum(0), x.sum(0))
    g = grad(lambda t: functional_call(net, {"0.weight": t}, Tensor(x)).sum())(Tensor(w))
    np.testing.assert_allclose(g.data, expected_grad, rtol=1e-12)
    assert a.weight is b.weight and isinstance(a.weight, nn.Parameter)
    assert a.__dict__["weight"] is a.weight and b.__dict__["weight"] is a.weight


def test_functional_call_accepts_any_name_of_a_module_used_twice() -> None:
    layer, net = twice()
    x = np.array([[1.0, -2.0]])
    w, c = np.eye(2) * 0.5, np.array([0.1, -0.1])
    out = functional_call(net, {"2.weight": Tensor(w), "0.bias": Tensor(c)}, Tensor(x))
    np.testing.assert_allclose(out.data, np.tanh(x @ w.T + c) @ w.T + c, rtol=1e-12)
    assert net[0].weight is layer.weight and isinstance(layer.weight, nn.Parameter)


def test_functional_call_refuses_different_tensors_for_one_parameter() -> None:
    a, b, net = tied()
    x = Tensor(np.ones((1, 2)))
    w = Tensor(np.eye(2))
    with pytest.raises(ValueError, match=r"\['0\.weight', '1\.weight'\] name one Parameter"):
        functional_call(net, {"0.weight": w, "1.weight": Tensor(np.eye(2))}, x)
    assert a.__dict__["weight"] is a.weight and b.__dict__["weight"] is a.weight
    # The same tensor under both names is one replacement.
    both = functional_call(net, {"0.weight": w, "1.weight": w}, x)
    np.testing.assert_allclose(both.data, functional_call(net, {"1.weight": w}, x).data)


def test_functional_call_restores_every_name_after_any_error() -> None:
    a, b, net = tied()
    weight, bias = a.weight, a.bias
    good = Tensor(np.eye(2))
    # A bad replacement after a good one: nothing stays replaced.
    with pytest.raises(ValueError, match=r"'0\.bias' has shape \(2,\)"):
        functional_call(net, {"0.weight": good, "0.bias": Tensor(np.ones(3))}, good)
    assert a.__dict__["weight"] is weight and a.__dict__["bias"] is bias
    # An error inside the call: both names of the tied weight are put back.
    with pytest.raises(ValueError, match="last dimension must be 2"):
        functional_call(net, {"1.weight": good}, Tensor(np.ones((1, 3))))
    assert a.__dict__["weight"] is weight and b.__dict__["weight"] is weight


# ---------------------------------------------------------------------- against PyTorch


def test_names_loading_and_tied_calls_agree_with_pytorch() -> None:
    torch = pytest.importorskip("torch")
    t_layer = torch.nn.Linear(2, 2).double()
    t_net = torch.nn.Sequential(t_layer, torch.nn.Tanh(), t_layer)
    layer, net = twice()
    assert list(net.state_dict()) == list(t_net.state_dict())
    net.load_state_dict({k: v.detach().numpy() for k, v in t_net.state_dict().items()})
    x = np.array([[0.5, -1.5], [2.0, 0.0]])
    w = np.array([[0.2, -0.7], [0.9, 0.1]])
    ours = functional_call(net, {"0.weight": Tensor(w)}, Tensor(x)).data
    theirs = torch.func.functional_call(t_net, {"0.weight": torch.tensor(w)}, (torch.tensor(x),))
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-12)
    ta, tb = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    tb.weight = ta.weight
    a, b, tied_net = tied()
    assert list(tied_net.state_dict()) == list(torch.nn.Sequential(ta, tb).state_dict())
