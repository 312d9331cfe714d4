"""Module backward hooks and load_state_dict(assign=True), against independent references."""

from __future__ import annotations

import warnings
from collections import namedtuple
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck, numerical_grad

Pair = namedtuple("Pair", "first second")


def leaf(*shape: int, seed: int = 0, dtype: Any = np.float64) -> Tensor:
    data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return Tensor(data, requires_grad=True)


class Recorder:
    """A full backward hook (or pre-hook) that keeps copies of what it sees."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, module: Any, *grads: Any) -> None:
        self.calls.append(
            tuple(tuple(None if g is None else g.data.copy() for g in x) for x in grads)
        )


class Two(nn.Module):
    """out = a·b + 2a, and a second output 3b (a tuple)."""

    def forward(self, a: Tensor, b: Tensor, k: Tensor | None = None, scale: float = 1.0) -> Any:
        out = a * b + a * 2.0
        if k is not None:
            out = out + k
        return out * scale, b * 3.0


def test_grad_input_and_grad_output_are_the_gradients_of_the_inputs_and_outputs() -> None:
    lin = nn.Linear(3, 2, seed=0)
    hook = Recorder()
    lin.register_full_backward_hook(hook)
    x = leaf(4, 3)
    c = np.random.default_rng(1).standard_normal((4, 2))
    (lin(x) * Tensor(c)).sum().backward()
    ((gi,), (go,)) = hook.calls[0]
    np.testing.assert_allclose(go, c, rtol=1e-15)  # dL/dy of L = Σ c·y
    np.testing.assert_allclose(gi, c @ lin.weight.data, rtol=1e-14)  # dL/dx = c·W
    np.testing.assert_allclose(x.grad.data, gi, rtol=1e-15)

    def loss() -> float:
        with tg.no_grad():
            return float((lin(Tensor(x.data)) * Tensor(c)).sum().item())

    np.testing.assert_allclose(gi, numerical_grad(loss, x.data), rtol=1e-6, atol=1e-8)


@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 3), d=st.integers(1, 3), seed=st.integers(0, 99))
def test_a_hooked_module_gives_the_gradients_of_the_plain_one(n: int, d: int, seed: int) -> None:
    net = nn.Sequential(nn.Linear(d, 2, seed=seed), nn.Tanh(), nn.Linear(2, 1, seed=seed + 1))
    x = leaf(n, d, seed=seed)
    net(x).sum().backward()
    plain = [x.grad.data.copy()] + [p.grad.data.copy() for p in net.parameters()]
    net.zero_grad()
    x.grad = None
    hooks = [Recorder() for _ in range(4)]
    for m, h in zip([net, net[0], net[1], net[2]], hooks, strict=True):
        m.register_full_backward_hook(h)
    net(x).sum().backward()
    hooked = [x.grad.data] + [p.grad.data for p in net.parameters()]
    for a, b in zip(plain, hooked, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-15)
    assert all(len(h.calls) == 1 for h in hooks)
    np.testing.assert_allclose(hooks[0].calls[0][0][0], plain[0], rtol=1e-15)
    np.testing.assert_allclose(hooks[1].calls[0][0][0], plain[0], rtol=1e-15)
    np.testing.assert_allclose(hooks[2].calls[0][1][0], hooks[3].calls[0][0][0], rtol=1e-15)


def test_a_returned_grad_input_reaches_the_leaves_and_a_pre_hook_changes_grad_output() -> None:
    lin = nn.Linear(3, 2, seed=0)
    x = leaf(2, 3)
    lin(x).sum().backward()
    gx, gw = x.grad.data.copy(), lin.weight.grad.data.copy()
    x.grad = None
    lin.zero_grad()
    handle = lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 2.0,))
    lin(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2.0 * gx, rtol=1e-15)
    np.testing.assert_allclose(lin.weight.grad.data, gw, rtol=1e-15)  # the weight's is its own
    handle.remove()
    x.grad = None
    lin.zero_grad()
    seen = Recorder()
    lin.register_full_backward_pre_hook(lambda m, go: [go[0] * 3.0])  # a list serves too
    lin.register_full_backward_hook(seen)
    lin(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 3.0 * gx, rtol=1e-15)
    np.testing.assert_allclose(lin.weight.grad.data, 3.0 * gw, rtol=1e-15)
    np.testing.assert_allclose(seen.calls[0][1][0], 3.0 * np.ones((2, 2)))


def test_none_stops_a_gradient_and_an_unused_output_sends_none_into_the_module() -> None:
    lin = nn.Linear(2, 2, seed=0)
    answers = iter([(None,), None])
    lin.register_full_backward_hook(lambda m, gi, go: next(answers))
    x = leaf(2)
    y = lin(x).sum()
    y.backward(retain_graph=True)
    assert x.grad is None and lin.weight.grad is not None  # PyTorch's None: no gradient
    y.backward()  # the same graph again: this time the hook lets the gradient through
    np.testing.assert_allclose(x.grad.data, lin.weight.data.sum(0), rtol=1e-15)

    class WithAux(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w, self.aux = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))

        def forward(self, a: Tensor) -> Any:
            return a * self.w, self.aux * 2.0

    m = WithAux()
    m.register_full_backward_pre_hook(lambda mod, go: None)
    out, _ = m(leaf(2))
    out.sum().backward()
    assert m.w.grad is not None and m.aux.grad is None  # as in PyTorch (and without hooks)


def test_several_inputs_and_outputs_kwargs_and_non_tensors() -> None:
    m = Two()
    pre, full = Recorder(), Recorder()
    m.register_full_backward_pre_hook(pre)
    m.register_full_backward_hook(full)
    a, b, k = leaf(3), Tensor(np.arange(3.0)), leaf(3, seed=1)
    out, second = m(a, b, k=k, scale=2.0)
    out.sum().backward()
    ((ga, gb), (go, g2)) = full.calls[0]
    assert g2 is None and pre.calls[0][0][1] is None  # no gradient came back through 3b
    np.testing.assert_allclose(go, np.ones(3))  # dL/d(out) of L = Σ out
    np.testing.assert_allclose(ga, 2.0 * (b.data + 2.0))
    np.testing.assert_array_equal(gb, np.zeros(3))  # no grad required: zeros, as PyTorch
    np.testing.assert_allclose(k.grad.data, 2.0 * np.ones(3))  # keyword: not hooked, but fine
    full.calls.clear()
    out, _ = m(a, 5.0)  # a number: None in grad_input
    out.sum().backward()
    assert full.calls[0][0][1] is None
    idx = Tensor(np.array([0, 2]))

    class Pick(nn.Module):
        def forward(self, x: Tensor, i: Tensor) -> Tensor:
            return x[i] * 2.0

    p = Pick()
    p.register_full_backward_hook(full)
    p(a, idx).sum().backward()
    gi = full.calls[-1][0]
    assert gi[1].dtype == idx.dtype and not gi[1].any()


def test_unused_inputs_get_zeros_and_modules_that_ignore_the_inputs_call_no_hook() -> None:
    m = Two()
    full = Recorder()
    m.register_full_backward_hook(full)
    a, b = leaf(3), leaf(3, seed=1)
    _, second = m(a, b)
    second.sum().backward()
    np.testing.assert_array_equal(full.calls[0][0][0], np.zeros(3))
    np.testing.assert_array_equal(a.grad.data, np.zeros(3))  # zeros, as PyTorch, not None

    class Const(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(np.ones(2))

        def forward(self, x: Tensor) -> Tensor:
            return self.w * 2.0

    c, pre = Const(), Recorder()
    c.register_full_backward_hook(full)
    c.register_full_backward_pre_hook(pre)
    full.calls.clear()
    c(a).sum().backward()
    assert full.calls == [] and len(pre.calls) == 1


def test_no_input_requiring_grad_calls_the_hook_with_nones_and_a_warning() -> None:
    lin = nn.Linear(2, 2, seed=0)
    full = Recorder()
    lin.register_full_backward_hook(full)
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        lin(Tensor(np.ones((1, 2)))).sum().backward()
    assert full.calls[0][0] == (None,)
    lin.register_full_backward_hook(lambda m, gi, go: (Tensor(np.ones(2)),))
    with warnings.catch_warnings(), pytest.raises(RuntimeError, match="should always return None"):
        warnings.simplefilter("ignore")
        lin(Tensor(np.ones((1, 2)))).sum().backward()


def test_no_hook_under_no_grad_or_without_an_output_that_requires_grad() -> None:
    lin = nn.Linear(2, 2, seed=0)
    full = Recorder()
    lin.register_full_backward_hook(full)
    with tg.no_grad():
        y = lin(leaf(2))
    assert not y.requires_grad and full.calls == []
    relu = nn.ReLU()
    relu.register_full_backward_hook(full)
    x = Tensor(np.ones(2))
    assert relu(x).requires_grad is False and full.calls == []


@pytest.mark.parametrize(
    ("returned", "error", "match"),
    [
        (lambda gi: (gi[0], gi[0]), RuntimeError, "invalid number of grad_input, got 2"),
        (lambda gi: (Tensor(np.ones(3)),), RuntimeError, "has shape \\(3,\\), but input 0"),
        (lambda gi: (gi[0].astype(np.float32),), RuntimeError, "dtype float32, but input 0"),
        (lambda gi: (3.0,), TypeError, "expected a Tensor or None for grad_input\\[0\\]"),
        (lambda gi: 5, TypeError, "has no len"),
    ],
)
def test_bad_hook_returns_are_refused(returned: Any, error: type, match: str) -> None:
    lin = nn.Linear(2, 2, seed=0)
    lin.register_full_backward_hook(lambda m, gi, go: returned(gi))
    with pytest.raises(error, match=match):
        lin(leaf(2)).sum().backward()


def test_bad_pre_hook_returns_and_registrations_are_refused() -> None:
    lin = nn.Linear(2, 2, seed=0)
    handle = lin.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_output, got 2, but expected 1"):
        lin(leaf(2)).sum().backward()
    handle.remove()
    lin.register_full_backward_pre_hook(lambda m, go: (None,))
    with pytest.raises(RuntimeError, match="grad_output\\[0\\] was replaced by None"):
        lin(leaf(2)).sum().backward()
    with pytest.raises(TypeError, match="a backward hook must be callable"):
        lin.register_full_backward_hook(3)  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError, match="use register_full_backward_hook"):
        lin.register_backward_hook(lambda m, gi, go: None)


def test_order_prepend_removal_and_hooks_fixed_at_call_time() -> None:
    lin, log = nn.Linear(2, 2, seed=0), []
    handles = [lin.register_full_backward_hook(lambda *g, n=n: log.append(n)) for n in "ab"]
    handles += [lin.register_full_backward_pre_hook(lambda *g, n=n: log.append(n)) for n in "xy"]
    lin.register_full_backward_hook(lambda m, gi, go: log.append("p"), prepend=True)
    lin.register_full_backward_pre_hook(lambda m, go: log.append("q"), True)
    late = lin(leaf(2))
    lin.register_full_backward_hook(lambda m, gi, go: log.append("late"))
    late.sum().backward()
    assert log == ["q", "x", "y", "p", "a", "b"]
    for h in handles:
        h.remove()
    log.clear()
    lin(leaf(2)).sum().backward()
    assert log == ["q", "p", "late"]


def test_a_module_called_twice_calls_its_hooks_once_per_call_latest_first() -> None:
    lin, full, x = nn.Linear(2, 2, seed=0), Recorder(), leaf(2)
    lin.register_full_backward_hook(full)
    (lin(lin(x) * 3.0)).sum().backward()
    (gi2,), (go2,) = full.calls[0]
    (gi1,), (go1,) = full.calls[1]
    np.testing.assert_allclose(go2, np.ones(2))
    np.testing.assert_allclose(gi2, lin.weight.data.sum(0))
    np.testing.assert_allclose(go1, 3.0 * gi2, rtol=1e-15)
    np.testing.assert_allclose(gi1, x.grad.data, rtol=1e-15)


def test_changing_a_routed_input_or_output_in_place_is_refused() -> None:
    class Doubling(nn.Module):
        def forward(self, a: Tensor) -> Tensor:
            a.mul_(2.0)
            return a * 3.0

    m = Doubling()
    m.register_full_backward_hook(lambda *g: None)
    with pytest.raises(RuntimeError, match="forward modified its input 0 in place"):
        m(leaf(2) * 1.0)
    relu = nn.ReLU(inplace=True)
    relu.register_full_backward_hook(lambda *g: None)
    with pytest.raises(RuntimeError, match="in place"):
        relu(leaf(2) * 1.0)
    assert relu(Tensor(np.ones(2))).data.tolist() == [1.0, 1.0]  # nothing requires grad: fine
    lin = nn.Linear(2, 2, seed=0)
    lin.register_full_backward_hook(lambda *g: None)
    y = lin(leaf(2))
    y += 1.0
    with pytest.raises(RuntimeError, match="output 0 of a module with backward hooks was modified"):
        y.sum().backward()


def test_outputs_keep_their_container_and_a_list_gets_a_warning_and_no_hook() -> None:
    class Shaped(nn.Module):
        def forward(self, a: Tensor, as_list: bool = False) -> Any:
            return [a * 2.0] if as_list else Pair(a * 2.0, a * 3.0)

    full, m = Recorder(), Shaped()
    m.register_full_backward_hook(full)
    out = m(leaf(2))
    assert isinstance(out, Pair)
    out.second.sum().backward()
    assert full.calls[0][1][0] is None and full.calls[0][1][1] is not None
    with pytest.warns(UserWarning, match="module output should be a Tensor or a tuple"):
        out = m(leaf(2), True)
    out[0].sum().backward()
    assert len(full.calls) == 1


def test_mixed_dtypes_keep_each_input_s_dtype() -> None:
    m, full = Two(), Recorder()
    m.register_full_backward_hook(full)
    a, b = leaf(3, dtype=np.float32), leaf(3, seed=1)
    out, _ = m(a, b)
    assert out.dtype == np.float64
    out.sum().backward()
    ga, gb = full.calls[0][0]
    assert ga.dtype == a.grad.dtype == np.float32 and gb.dtype == np.float64
    np.testing.assert_allclose(ga, b.data + 2.0, rtol=1e-6)
    np.testing.assert_allclose(gb, a.data.astype(np.float64), rtol=1e-15)


def test_second_derivatives_through_a_hooked_module_are_right() -> None:
    net = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Tanh(), nn.Linear(3, 1, seed=1))
    net.register_full_backward_hook(lambda m, gi, go: (gi[0] * 1.0,))  # a replacement in graph
    net[1].register_full_backward_pre_hook(lambda m, go: (go[0] * 1.0,))
    x = leaf(2, 2)
    assert gradcheck(lambda t: net(t), x)
    assert gradgradcheck(lambda t: net(t), x)


def test_a_compiled_step_refuses_a_module_with_backward_hooks() -> None:
    lin = nn.Linear(2, 1, seed=0)
    step = tg.compile(lambda x: lin(x).sum())
    x = Tensor(np.ones((2, 2)))
    expected = step(x).item()
    handle = lin.register_full_backward_hook(lambda m, gi, go: None)
    with pytest.raises(tg.TraceError, match="Linear has backward hooks"):
        step(x)
    handle.remove()
    assert step(x).item() == pytest.approx(expected)


def test_load_state_dict_assign_replaces_the_tensors() -> None:
    a, b = nn.Linear(2, 2, seed=0), nn.Linear(2, 2, seed=1)
    b.weight = a.weight
    a.weight.requires_grad_(False)
    net = nn.Sequential(a, b, nn.BatchNorm1d(2))
    sd = {k: v + 1.0 for k, v in net.state_dict().items()}
    sd["1.bias"] = Tensor(sd["1.bias"])
    given = nn.Parameter(sd["0.bias"])
    sd["0.bias"] = given
    sd["2.running_mean"] = Tensor(sd["2.running_mean"])
    old = list(net.parameters())
    assert net.load_state_dict(sd, assign=True) == ([], [])
    assert not any(p is q for p in net.parameters() for q in old if q is not given)
    assert net[0].weight is not net[1].weight  # each name gets its own Parameter
    assert net[0].weight.data is sd["0.weight"] and net[1].weight.data is sd["1.weight"]
    assert not net[0].weight.requires_grad and not net[1].weight.requires_grad
    assert net[0].bias is given and net[1].bias.data is sd["1.bias"].data
    assert net[2].running_mean is sd["2.running_mean"]
    assert net[2].running_var.data is sd["2.running_var"]
    assert isinstance(net[1].bias, nn.Parameter) and net[1].bias.requires_grad


def test_load_state_dict_assign_errors_missing_names_and_dtypes() -> None:
    lin = nn.Linear(2, 2, seed=0)
    weight = lin.weight
    with pytest.raises(ValueError, match="shape \\(3, 2\\) in the state dict"):
        lin.load_state_dict({"weight": np.ones((3, 2)), "bias": np.ones(2)}, assign=True)
    with pytest.raises(ValueError, match="cannot become a Parameter of dtype int64"):
        lin.load_state_dict({"weight": np.ones((2, 2), int), "bias": np.ones(2)}, assign=True)
    with pytest.raises(ValueError, match="missing keys \\['bias'\\]"):
        lin.load_state_dict({"weight": np.ones((2, 2))}, assign=True)
    assert lin.weight is weight  # nothing changed
    keys = lin.load_state_dict({"weight": np.ones((2, 2), np.float32), "x": 1}, False, True)
    assert keys == (["bias"], ["x"]) and lin.weight.dtype == np.float32
    tied = nn.Linear(2, 2, seed=1)
    net = nn.Sequential(lin, tied)
    tied.weight = lin.weight
    sd = net.state_dict()
    del sd["1.weight"]
    with pytest.raises(ValueError, match="missing keys \\['1.weight'\\]"):
        net.load_state_dict(sd, assign=True)
    seen: list[Any] = []
    net.register_load_state_dict_pre_hook(lambda m, s, p, meta, *rest: seen.append(meta))
    net.load_state_dict(net.state_dict(), assign=True)
    assert seen == [{"assign_to_params_buffers": True}]
