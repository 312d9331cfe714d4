"""Parameter, Module registration and state, containers, Linear and the activation modules."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lite import Tensor, gradcheck, nn, no_grad
from tinygrad_lite.gradcheck import numerical_grad
from tinygrad_lite.testing import floats, tensors


class Affine(nn.Module):
    """y = W·x + b in column layout, with a plain Tensor and a number as non-registered state."""

    def __init__(self, n_in: int = 3, n_out: int = 2) -> None:
        super().__init__()
        self.W = nn.Parameter(np.arange(n_out * n_in, dtype=np.float64).reshape(n_out, n_in))
        self.scale = Tensor([2.0])  # a plain Tensor: not a parameter
        self.b = nn.Parameter(np.zeros((n_out, 1)))
        self.note = "affine"

    def forward(self, x: Tensor) -> Tensor:
        return self.W @ x + self.b


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gain = nn.Parameter([1.0])
        self.first = Affine(3, 2)
        self.layers = nn.ModuleList([Affine(2, 2), Affine(2, 1)])

    def forward(self, x: Tensor) -> Tensor:
        x = self.first(x)
        for layer in self.layers:
            x = layer(x)
        return x * self.gain


# ---------------------------------------------------------------------- Parameter


def test_parameter_is_a_leaf_tensor_that_requires_grad() -> None:
    a = np.ones((2, 3))
    p = nn.Parameter(a)
    assert isinstance(p, Tensor) and p.is_leaf and p.requires_grad
    assert p.data is a  # shares the array, like a Tensor
    y = p * 2.0
    assert type(y) is Tensor and not y.is_leaf
    assert type(p.detach()) is Tensor
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        nn.Parameter([1, 2])  # ints stay ints (as PyTorch), and ints cannot require grad
    assert nn.Parameter([1.0, 2]).dtype == np.float64
    assert nn.Parameter(np.ones(2, np.float32)).dtype == np.float32
    assert not nn.Parameter([1.0], requires_grad=False).requires_grad
    assert repr(nn.Parameter([1.0])) == "Parameter containing:\nTensor([1.], requires_grad=True)"


def test_parameter_from_a_computed_tensor_is_a_detached_leaf() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    p = nn.Parameter(x * 3)
    assert p.is_leaf and p.grad_fn is None
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.data, [6.0, 12.0])  # type: ignore[union-attr]
    assert x.grad is None


def test_parameter_cannot_hold_integers_requiring_grad() -> None:
    with pytest.raises(TypeError, match="floating-point"):
        nn.Parameter(np.arange(3), dtype=np.int64)


# ---------------------------------------------------------------------- registration


def test_registration_follows_assignment_order_and_skips_plain_values() -> None:
    m = Affine()
    assert [n for n, _ in m.named_parameters()] == ["W", "b"]
    assert [id(p) for p in m.parameters()] == [id(m.W), id(m.b)]
    assert isinstance(m.scale, Tensor) and m.note == "affine"
    m.c = nn.Parameter([0.0])
    m.a = nn.Parameter([0.0])
    assert [n for n, _ in m.named_parameters()] == ["W", "b", "c", "a"]


def test_nested_dotted_names_own_parameters_first() -> None:
    names = [n for n, _ in Block().named_parameters()]
    assert names == [
        "gain",
        "first.W",
        "first.b",
        "layers.0.W",
        "layers.0.b",
        "layers.1.W",
        "layers.1.b",
    ]
    block = Block()
    assert [n for n, _ in block.named_modules()] == ["", "first", "layers", "layers.0", "layers.1"]
    assert [n for n, _ in block.named_children()] == ["first", "layers"]
    assert [type(c).__name__ for c in block.children()] == ["Affine", "ModuleList"]
    assert len(list(block.modules())) == 5


def test_a_shared_parameter_and_module_are_listed_once_but_saved_under_every_name() -> None:
    shared = Affine(2, 2)

    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = shared
            self.b = shared
            self.w = shared.W

    t = Tied()
    assert [n for n, _ in t.named_parameters()] == ["w", "a.b"]
    assert len(list(t.parameters())) == 2
    assert [n for n, _ in t.named_modules()] == ["", "a"]
    assert list(t.state_dict()) == ["w", "a.W", "a.b", "b.W", "b.b"]  # as PyTorch's


def test_parameter_list_is_updated_when_a_descendant_changes() -> None:
    block = Block()
    before = len(list(block.parameters()))
    block.layers[1].extra = nn.Parameter([5.0])
    assert len(list(block.parameters())) == before + 1
    assert "layers.1.extra" in dict(block.named_parameters())
    del block.layers[1].extra
    assert len(list(block.parameters())) == before
    block.layers.append(Affine(1, 1))
    assert "layers.2.W" in dict(block.named_parameters())
    block.first = Affine(3, 2)
    assert dict(block.named_parameters())["first.W"] is block.first.W


def test_replacing_a_parameter_with_a_tensor_is_refused_and_none_unregisters() -> None:
    m = Affine()
    with pytest.raises(TypeError, match=r"cannot assign Tensor to parameter 'W' of Affine.*\.data"):
        m.W = m.W - 1.0  # a classic slip: this would silently stop training W
    assert isinstance(m.W, nn.Parameter)
    m.W = None
    assert m.W is None
    assert [n for n, _ in m.named_parameters()] == ["b"]
    m.W = nn.Parameter(np.zeros((2, 3)))
    assert [n for n, _ in m.named_parameters()] == ["W", "b"]
    block = Block()
    with pytest.raises(TypeError, match="submodule 'first'"):
        block.first = 3
    block.first = None
    assert "first" not in dict(block.named_children())


def test_reassigning_a_name_moves_it_between_kinds() -> None:
    block = Block()
    block.first = nn.Parameter([1.0])  # a module name becomes a parameter name
    assert "first" in dict(block.named_parameters())
    assert "first" not in dict(block.named_children())


def test_unknown_attribute_error_names_the_class_and_attribute() -> None:
    m = Affine()
    with pytest.raises(AttributeError, match=r"Affine has no attribute 'W3'.*\['W', 'b'\]"):
        _ = m.W3


def test_forgetting_super_init_is_a_clear_error() -> None:
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter([1.0])

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Broken()

    class Quiet(nn.Module):
        def __init__(self) -> None:
            self.k = 3

    with pytest.raises(RuntimeError, match="did not call super"):
        list(Quiet().parameters())


def test_forward_must_be_defined() -> None:
    with pytest.raises(NotImplementedError, match="Empty does not define forward"):
        type("Empty", (nn.Module,), {})()(1)


# ---------------------------------------------------------------------- modes and grads


def test_zero_grad() -> None:
    m = Block()
    m(Tensor(np.ones((3, 1)))).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    grads = [p.grad for p in m.parameters()]
    m.zero_grad(set_to_none=False)
    for p, g in zip(m.parameters(), grads, strict=True):
        assert p.grad is g and not g.data.any()  # type: ignore[union-attr]
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.zero_grad(set_to_none=False)  # no gradient yet: stays None
    assert all(p.grad is None for p in m.parameters())


def test_train_and_eval_reach_every_module() -> None:
    m = Block()
    assert all(mod.training for mod in m.modules())
    assert m.eval() is m
    assert not any(mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())
    m.layers.train(False)
    assert m.training and m.first.training
    assert not m.layers.training and not m.layers[0].training


def test_repr_is_nested_like_pytorchs() -> None:
    net = nn.Sequential(nn.Linear(2, 4, seed=0), nn.Tanh(), nn.Sequential(nn.ReLU()))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=4, bias=True)\n"
        "  (1): Tanh()\n"
        "  (2): Sequential(\n"
        "    (0): ReLU()\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Linear(3, 1, bias=False, seed=0)) == (
        "Linear(in_features=3, out_features=1, bias=False)"
    )
    assert repr(Affine()) == "Affine()"


# ---------------------------------------------------------------------- state dicts


def test_state_dict_holds_copies() -> None:
    m = Block()
    sd = m.state_dict()
    assert list(sd) == [n for n, _ in m.named_parameters()]
    for name, p in m.named_parameters():
        np.testing.assert_array_equal(sd[name], p.data)
        assert not np.shares_memory(sd[name], p.data)
    sd["first.W"][...] = 7.0
    assert not (m.first.W.data == 7.0).any()
    m.first.W.data += 1.0
    assert (sd["first.W"] == 7.0).all()


@given(st.data())
def test_load_state_dict_round_trip_keeps_the_parameter_objects(data: Any) -> None:
    src, dst = Block(), Block()
    for p in src.parameters():
        p.data[...] = data.draw(hnp.arrays(np.float64, p.shape, elements=floats()))
    before = {name: p for name, p in dst.named_parameters()}
    result = dst.load_state_dict(src.state_dict())
    assert result == nn.IncompatibleKeys([], [])
    for name, p in dst.named_parameters():
        assert p is before[name]
        np.testing.assert_array_equal(p.data, src.state_dict()[name])


def test_load_state_dict_accepts_tensors_and_swapped_aliases() -> None:
    m = Affine(2, 2)
    m.b = nn.Parameter(np.ones((2, 1)))
    w = m.W.data.copy()
    m.load_state_dict({"W": Tensor(w + 1.0), "b": m.b})
    np.testing.assert_array_equal(m.W.data, w + 1.0)

    class Pair(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x = nn.Parameter([1.0, 2.0])
            self.y = nn.Parameter([3.0, 4.0])

    p = Pair()
    p.load_state_dict({"x": p.y.data, "y": p.x.data})  # values that alias the targets
    np.testing.assert_array_equal(p.x.data, [3.0, 4.0])
    np.testing.assert_array_equal(p.y.data, [1.0, 2.0])


def test_strict_load_reports_every_problem_at_once_and_changes_nothing() -> None:
    m = Block()
    before = m.state_dict()
    sd = m.state_dict()
    good = {k: v + 1.0 for k, v in sd.items()}
    bad = dict(good)
    del bad["gain"]
    bad["layers.5.W"] = np.zeros(1)
    bad["first.W"] = np.zeros((3, 3))
    bad["first.b"] = good["first.b"].astype(np.float32)
    with pytest.raises(ValueError) as info:
        m.load_state_dict(bad)
    msg = str(info.value)
    assert "cannot load into Block" in msg
    assert "missing keys ['gain']" in msg
    assert "unexpected keys ['layers.5.W']" in msg
    assert "first.W: shape (3, 3) in the state dict, (2, 3) in the model" in msg
    assert "first.b: dtype float32 in the state dict, float64 in the model" in msg
    for name, value in m.state_dict().items():
        np.testing.assert_array_equal(value, before[name])  # nothing was copied


def test_one_bad_value_stops_the_whole_load() -> None:
    m = Block()
    before = m.state_dict()
    sd = {k: v + 1.0 for k, v in before.items()}
    sd["layers.1.b"] = [[0.0]]  # a list, not an array
    with pytest.raises(ValueError, match=r"layers.1.b: expected a NumPy array or Tensor, got list"):
        m.load_state_dict(sd)
    for name, value in m.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_non_strict_load_returns_the_keys_but_still_checks_shapes() -> None:
    m = Block()
    sd = {"first.W": np.full((2, 3), 5.0), "extra": np.zeros(2)}
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == [n for n, _ in m.named_parameters() if n != "first.W"]
    assert result.unexpected_keys == ["extra"]
    assert (m.first.W.data == 5.0).all()
    with pytest.raises(ValueError, match=r"first.W: shape \(3,\)"):
        m.load_state_dict({"first.W": np.zeros(3)}, strict=False)
    with pytest.raises(TypeError, match="mapping"):
        m.load_state_dict([("first.W", np.zeros((2, 3)))])  # type: ignore[arg-type]


# ---------------------------------------------------------------------- containers


def test_sequential_indexing_and_iteration() -> None:
    layers = [nn.Linear(2, 3, seed=0), nn.Tanh(), nn.Linear(3, 1, seed=1), nn.Sigmoid()]
    net = nn.Sequential(*layers)
    assert len(net) == 4
    assert all(a is b for a, b in zip(net, layers, strict=True))
    assert net[0] is layers[0] and net[-1] is layers[3]
    head = net[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[1] is layers[1]
    with pytest.raises(IndexError, match="index 4 out of range for length 4"):
        net[4]
    with pytest.raises(TypeError, match="indices must be ints"):
        net["0"]  # type: ignore[call-overload]
    net[1] = nn.ReLU()
    assert isinstance(net[1], nn.ReLU)
    with pytest.raises(TypeError, match="expected a Module, got int"):
        nn.Sequential(nn.Tanh(), 3)  # type: ignore[arg-type]


@given(tensors(shape=st.tuples(st.integers(1, 5), st.just(2))))
def test_sequential_applies_modules_in_order(x: Tensor) -> None:
    a, b = nn.Linear(2, 3, seed=0), nn.Linear(3, 1, seed=1)
    net = nn.Sequential(a, nn.Tanh(), b, nn.Sigmoid())
    expected = b(a(x).tanh()).sigmoid()
    np.testing.assert_array_equal(net(x).data, expected.data)


def test_module_list_registers_its_modules() -> None:
    ml = nn.ModuleList([nn.Linear(2, 2, seed=0)])
    ml.append(nn.Linear(2, 1, seed=1)).extend([nn.ReLU()])
    assert len(ml) == 3
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    with pytest.raises(TypeError, match="ModuleList: expected a Module, got str"):
        ml.append("layer")  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError):
        ml(np.zeros(2))


# ---------------------------------------------------------------------- Linear


@given(
    st.integers(1, 4),
    st.integers(1, 4),
    hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
    st.booleans(),
    st.data(),
)
def test_linear_computes_x_wt_plus_b(
    n_in: int, n_out: int, batch: Any, bias: bool, data: Any
) -> None:
    layer = nn.Linear(n_in, n_out, bias=bias, seed=data.draw(st.integers(0, 100)))
    x = data.draw(tensors(shape=(*batch, n_in)))
    expected = x.data @ layer.weight.data.T
    if bias:
        expected = expected + layer.bias.data  # type: ignore[union-attr]
    y = layer(x)
    assert y.shape == (*batch, n_out)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)


def test_linear_gradients_match_finite_differences() -> None:
    layer = nn.Linear(3, 2, seed=0)
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    weights = rng.standard_normal((4, 2))  # a random projection of the output

    def loss() -> Tensor:
        return (layer(x) * weights).sum()

    loss().backward()
    for p in (x, layer.weight, layer.bias):
        assert p is not None and p.grad is not None
        numeric = numerical_grad(lambda: float(loss().data), p.data)
        np.testing.assert_allclose(p.grad.data, numeric, rtol=1e-6, atol=1e-8)
    # And the closed form: dL/dW = weightsᵀ·x, dL/db = Σ_rows weights.
    np.testing.assert_allclose(layer.weight.grad.data, weights.T @ x.data, rtol=1e-12)  # type: ignore[union-attr]
    np.testing.assert_allclose(layer.bias.grad.data, weights.sum(axis=0), rtol=1e-12)  # type: ignore[union-attr]
    assert gradcheck(layer, x)


def test_linear_initialisation_is_pytorchs_and_seedable() -> None:
    layer = nn.Linear(16, 8, seed=3)
    bound = 1 / math.sqrt(16)
    assert layer.weight.shape == (8, 16) and layer.bias.shape == (8,)  # type: ignore[union-attr]
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.bias.data).max() <= bound  # type: ignore[union-attr]
    # A uniform draw fills most of the interval (not, say, a normal scaled down).
    assert np.abs(layer.weight.data).max() > 0.8 * bound
    assert abs(layer.weight.data.mean()) < 0.1 * bound
    same = nn.Linear(16, 8, seed=3)
    np.testing.assert_array_equal(layer.weight.data, same.weight.data)
    np.testing.assert_array_equal(layer.bias.data, same.bias.data)  # type: ignore[union-attr]
    other = nn.Linear(16, 8, seed=4)
    assert not np.array_equal(layer.weight.data, other.weight.data)
    gen = np.random.default_rng(3)
    from_gen = nn.Linear(16, 8, seed=gen)
    np.testing.assert_array_equal(from_gen.weight.data, layer.weight.data)
    assert nn.Linear(2, 2, dtype=np.float32, seed=0).weight.dtype == np.float32


def test_linear_without_bias_and_in_float32() -> None:
    layer = nn.Linear(3, 2, bias=False, seed=0)
    assert layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    y = nn.Linear(3, 2, seed=0, dtype=np.float32)(np.ones((1, 3), np.float32))
    assert y.dtype == np.float32


def test_linear_errors_name_the_sizes() -> None:
    layer = nn.Linear(2, 4, seed=0)
    with pytest.raises(
        ValueError,
        match=r"Linear\(in_features=2, out_features=4\): the input's last dimension must be 2, "
        r"got input of shape \(5, 3\)",
    ):
        layer(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"shape \(\)"):
        layer(Tensor(1.0))
    with pytest.raises(ValueError, match="in_features must be >= 1, got 0"):
        nn.Linear(0, 2)
    with pytest.raises(TypeError, match="out_features must be an int"):
        nn.Linear(2, 2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="floating-point"):
        nn.Linear(2, 2, dtype=np.int32)


# ---------------------------------------------------------------------- activations


@given(tensors(requires_grad=True))
def test_activation_modules_match_the_tensor_methods(x: Tensor) -> None:
    for module, method in ((nn.Tanh(), x.tanh), (nn.Sigmoid(), x.sigmoid), (nn.ReLU(), x.relu)):
        np.testing.assert_array_equal(module(x).data, method().data)
    np.testing.assert_array_equal(nn.Tanh()(x.data).data, np.tanh(x.data))
    np.testing.assert_array_equal(nn.ReLU()(x.data).data, np.maximum(x.data, 0))


def test_modules_work_under_no_grad() -> None:
    net = nn.Sequential(nn.Linear(2, 2, seed=0), nn.Sigmoid())
    with no_grad():
        y = net(np.ones((3, 2)))
    assert not y.requires_grad and y.is_leaf


def test_optional_cross_check_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    layer = nn.Linear(3, 2, seed=0)
    ref = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.weight.data))
        ref.bias.copy_(torch.from_numpy(layer.bias.data))  # type: ignore[union-attr]
    x = np.random.default_rng(1).standard_normal((4, 3))
    xt = torch.from_numpy(x)
    ref(xt).tanh().sum().backward()
    layer(x).tanh().sum().backward()
    np.testing.assert_allclose(layer.weight.grad.data, ref.weight.grad.numpy(), rtol=1e-12)  # type: ignore[union-attr]
    np.testing.assert_allclose(layer.bias.grad.data, ref.bias.grad.numpy(), rtol=1e-12)  # type: ignore[union-attr]


# ---------------------------------------------------------------------- names and cycles


def test_dotted_and_empty_names_are_refused_so_no_weight_is_shadowed() -> None:
    net = nn.Module()
    net.a = nn.Linear(2, 1, seed=0)
    with pytest.raises(KeyError, match=r"cannot register a Parameter under a name .* 'a\.weight'"):
        setattr(net, "a.weight", nn.Parameter(np.zeros((1, 2))))
    with pytest.raises(KeyError, match="cannot register a Module under a name that is empty"):
        setattr(net, "", nn.Tanh())
    with pytest.raises(KeyError, match="cannot register a Parameter under a name that is empty"):
        setattr(net, "", nn.Parameter([1.0]))
    with pytest.raises(KeyError, match=r"Module under a name that contains a dot: 'x\.y'"):
        setattr(net, "x.y", nn.Tanh())
    # Nothing was registered, and every weight has exactly one name in the state dict.
    names = [name for name, _ in net.named_parameters()]
    assert names == ["a.weight", "a.bias"]
    assert list(net.state_dict()) == names
    assert not hasattr(net, "a.weight") and not hasattr(net, "")
    # Values that are not registered may still use any name, as in PyTorch.
    setattr(net, "plain.value", 3)
    assert getattr(net, "plain.value") == 3


def test_two_parameters_under_one_dotted_name_are_an_error_not_a_lost_weight() -> None:
    net = nn.Module()
    net.a = nn.Linear(2, 1, seed=0)
    net._parameters["a.bias"] = nn.Parameter([5.0])  # around the checks, into the registry
    net.__dict__["_param_cache"] = None
    with pytest.raises(RuntimeError, match=r"two different Parameters are named 'a\.bias'"):
        net.state_dict()


def test_repr_of_a_cycle_of_modules_ends() -> None:
    outer = nn.Sequential(nn.Linear(1, 1, seed=0))
    inner = nn.Sequential(outer)
    outer.append(inner)
    assert repr(outer) == (
        "Sequential(\n"
        "  (0): Linear(in_features=1, out_features=1, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): <cycle: the Sequential shown above>\n"
        "  )\n"
        ")"
    )
    looped = nn.Module()
    looped.me = looped
    assert repr(looped) == "Module(\n  (me): <cycle: the Module shown above>\n)"
    # A module shared by two parents (no cycle) is shown under each.
    shared = nn.Tanh()
    assert repr(nn.Sequential(shared, shared)) == "Sequential(\n  (0): Tanh()\n  (1): Tanh()\n)"
