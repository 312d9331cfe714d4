"""A compiled step computes exactly what eager execution computes, call after call, or refuses.

Step functions are generated from building blocks (forwards, losses, gradient transforms,
optimizers, what is returned) and run side by side, eager and compiled, on twin models; every
result and every parameter, gradient and optimizer state must be equal bit for bit.
"""

from __future__ import annotations

import importlib
import math
import threading
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, TraceError, nn, optim
from tinygrad_lite.functional import binary_cross_entropy_with_logits, mse_loss


class Net(nn.Module):
    def __init__(self, n_x: int, n_h: int, seed: int) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.W1 = nn.Parameter(rng.standard_normal((n_h, n_x)) * 0.5)
        self.b1 = nn.Parameter(rng.standard_normal((n_h, 1)) * 0.1)
        self.W2 = nn.Parameter(rng.standard_normal((1, n_h)) * 0.5)
        self.b2 = nn.Parameter(np.zeros((1, 1)))


FORWARDS = {
    "tanh": lambda net, x: (net.W1 @ x + net.b1).tanh(),
    "relu": lambda net, x: (net.W1 @ x + net.b1).relu(),
    "sigmoid_np": lambda net, x: 1 / (1 + np.exp(-(np.dot(net.W1, x) + net.b1))),
}
LOSSES = {
    "bce_logits": lambda out, y: binary_cross_entropy_with_logits(out, y),
    "mse": lambda out, y: mse_loss(out, y),
    "square_mean": lambda out, y: ((out - y) ** 2).mean(),
}
RETURNS = {
    "loss": lambda loss, h, net, x: loss,
    "pair": lambda loss, h, net, x: (loss, h),
    "view_T": lambda loss, h, net, x: (net.W1 @ x).T,
    "reshape": lambda loss, h, net, x: h.reshape(-1),
    "slice": lambda loss, h, net, x: h[0],
    "data": lambda loss, h, net, x: loss.data,
    "numpy_detached": lambda loss, h, net, x: loss.detach().numpy(),
    "dict": lambda loss, h, net, x: {"loss": loss.detach(), "h": [h.detach(), (h * 2,)]},
    "grad_norm": lambda loss, h, net, x: (net.W1.grad * net.W1.grad).sum().sqrt(),
}


# What else a step may do with gradients: a second backward into the same leaves (a penalty),
# a hook on a parameter, a hook on an intermediate.
EXTRAS = ("none", "penalty_backward", "leaf_hook", "hidden_hook")


def make_step(
    net: Net, opt: Any, forward: str, loss_name: str, clip: bool, ret: str, extra: str = "none"
):
    if extra == "leaf_hook":
        net.W1.register_hook(lambda g: g * 0.5)

    def step(x: Tensor, y: Tensor) -> Any:
        opt.zero_grad()
        h = FORWARDS[forward](net, x)
        if extra == "hidden_hook":
            h.register_hook(lambda g: g + 0.25)
        loss = LOSSES[loss_name](net.W2 @ h + net.b2, y)
        loss.backward()
        if extra == "penalty_backward":
            (0.01 * (net.W1 * net.W1).sum()).backward()
        if clip:  # scale all gradients to norm <= 1, with tensor ops only
            total = sum(((p.grad * p.grad).sum() for p in net.parameters()), Tensor(0.0))
            scale = (1.0 / (total.sqrt() + 1e-12)).clamp(max=1.0)
            for p in net.parameters():
                p.grad = p.grad * scale
        result = RETURNS[ret](loss, h, net, x)
        opt.step()
        return result

    return step


def make_opt(kind: str, params: Any) -> Any:
    if kind == "sgd":
        return optim.SGD(params, lr=0.3)
    if kind == "momentum":
        return optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
    return optim.Adam(params, lr=0.05)


def bits(value: Any) -> Any:
    """Everything a step returned, as bytes (and structure), for an exact comparison."""
    if isinstance(value, Tensor):
        return ("T", value.dtype.str, value.shape, value.data.tobytes())
    if isinstance(value, np.ndarray):
        return ("A", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, dict):
        return {k: bits(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(bits(v) for v in value)
    return value


def state_bits(net: Net, opt: Any) -> Any:
    params = [
        (p.data.tobytes(), None if p.grad is None else p.grad.data.tobytes())
        for p in net.parameters()
    ]
    opt_state = [
        (k, {n: v.tobytes() if isinstance(v, np.ndarray) else v for n, v in sorted(s.items())})
        for k, s in sorted(opt.state.items())
    ]
    return params, opt_state


@settings(max_examples=40, deadline=None)
@given(
    forward=st.sampled_from(sorted(FORWARDS)),
    loss_name=st.sampled_from(sorted(LOSSES)),
    ret=st.sampled_from(sorted(RETURNS)),
    opt_kind=st.sampled_from(["sgd", "momentum", "adam"]),
    clip=st.booleans(),
    n_h=st.sampled_from([3, 64]),
    m=st.sampled_from([5, 300]),
    seed=st.integers(0, 1000),
    extra=st.sampled_from(EXTRAS),
)
def test_compiled_steps_equal_eager_bit_for_bit(
    forward: str,
    loss_name: str,
    ret: str,
    opt_kind: str,
    clip: bool,
    n_h: int,
    m: int,
    seed: int,
    extra: str,
) -> None:
    nets = [Net(2, n_h, seed), Net(2, n_h, seed)]
    opts = [make_opt(opt_kind, n.parameters()) for n in nets]
    eager = make_step(nets[0], opts[0], forward, loss_name, clip, ret, extra)
    fast = tg.compile(make_step(nets[1], opts[1], forward, loss_name, clip, ret, extra))
    rng = np.random.default_rng(seed)
    kept = []
    for _ in range(4):
        x = rng.standard_normal((2, m))
        y = (rng.random((1, m)) > 0.5).astype(np.float64)
        # A diverging run (the plain-NumPy sigmoid overflows in exp): the same in both, which
        # is what is tested, rather than an error from the suite's strict NumPy settings.
        with np.errstate(over="ignore", invalid="ignore"):
            a = eager(Tensor(x), Tensor(y))
            b = fast(Tensor(x), Tensor(y))
        assert bits(a) == bits(b)
        kept.append((bits(b), b))
        assert state_bits(nets[0], opts[0]) == state_bits(*[nets[1], opts[1]])
    for expected, value in kept:  # results of earlier calls were not overwritten later
        assert bits(value) == expected
    assert fast.traces == 1


def test_an_argument_that_requires_grad_gets_its_gradient_on_every_call() -> None:
    w = Tensor(np.array([0.5, -1.0]))

    def step(x: Tensor) -> Tensor:
        loss = ((x * w).tanh() ** 2).sum()
        loss.backward()
        return loss

    fast = tg.compile(step)
    for k in range(3):
        xe = Tensor(np.array([1.0, 2.0]) * (k + 1), requires_grad=True)
        xc = Tensor(np.array([1.0, 2.0]) * (k + 1), requires_grad=True)
        step(xe)
        fast(xc)
        assert xc.grad is not None
        assert xe.grad.data.tobytes() == xc.grad.data.tobytes()


def test_requires_grad_turned_off_or_a_replaced_parameter_traces_again() -> None:
    net = Net(2, 3, 0)
    x, y = Tensor(np.ones((2, 4))), Tensor(np.ones((1, 4)))

    def step(x: Tensor, y: Tensor) -> Tensor:
        for p in net.parameters():
            p.grad = None
        loss = ((net.W2 @ (net.W1 @ x + net.b1).tanh() + net.b2 - y) ** 2).mean()
        loss.backward()
        return loss

    fast = tg.compile(step)
    fast(x, y)
    fast(x, y)
    assert fast.traces == 1
    net.W1.requires_grad = False
    fast(x, y)
    assert fast.traces == 2 and net.W1.grad is None and net.W2.grad is not None
    net.W1.requires_grad = True
    old = net.W2
    old_grad = old.grad.data.copy()
    net.W2 = nn.Parameter(np.full((1, 3), 2.0))
    loss = fast(x, y)
    assert fast.traces == 3 and net.W2.grad is not None
    np.testing.assert_array_equal(old.grad.data, old_grad)  # the replaced one is left alone
    expected = step(x, y)
    assert loss.item() == expected.item()


def test_grad_mode_and_anomaly_mode_around_a_replay_behave_as_eager() -> None:
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)

    def step(x: Tensor) -> Tensor:
        w.grad = None
        loss = (w * x).log().sum()
        loss.backward()
        return loss

    fast = tg.compile(step)
    fast(Tensor(np.array([1.0, 1.0])))
    with tg.no_grad(), pytest.raises(RuntimeError, match="does not require grad"):
        fast(Tensor(np.array([1.0, 1.0])))
    with np.errstate(divide="ignore"), tg.detect_anomaly():  # log 0 = -inf, reported below
        with pytest.raises(tg.AnomalyError, match="Log forward produced"):
            fast(Tensor(np.array([0.0, 1.0])))


def test_a_compiled_step_called_inside_another_is_part_of_the_outer_replay() -> None:
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def inner(x: Tensor) -> Tensor:
        opt.zero_grad()
        loss = ((w * x) ** 2).sum()
        loss.backward()
        opt.step()
        return loss

    inner_fast = tg.compile(inner)
    outer = tg.compile(lambda x: inner_fast(x) * 2)
    values = [outer(Tensor(np.array([1.0, 1.0]))).item() for _ in range(3)]
    w2 = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt2 = optim.SGD([w2], lr=0.1)
    expected = []
    for _ in range(3):
        opt2.zero_grad()
        loss = ((w2 * Tensor(np.array([1.0, 1.0]))) ** 2).sum()
        loss.backward()
        opt2.step()
        expected.append(loss.item() * 2)
    assert values == expected  # training continued on every replay


@pytest.mark.parametrize(
    "body",
    [
        lambda loss: float(loss),
        lambda loss: bool(loss.detach().data > 0),
        lambda loss: loss.item(),
        lambda loss: np.asarray(loss.detach()),
        lambda loss: loss.detach().numpy().tolist(),
    ],
)
def test_branching_on_values_is_refused_while_tracing(body: Any) -> None:
    w = Tensor(np.ones(2), requires_grad=True)

    def step(x: Tensor) -> Tensor:
        loss = (w * x).sum()
        body(loss)
        return loss

    with pytest.raises(TraceError, match="reads"):
        tg.compile(step)(np.ones(2))


def test_replays_are_safe_from_several_threads_at_once() -> None:
    W = Tensor(np.random.default_rng(0).standard_normal((256, 4)))  # large: buffered outputs

    def step(x: Tensor) -> Tensor:
        h = (W @ x).tanh()
        loss = (h * h).mean()
        loss.backward()
        return x.grad * 1.0 + loss

    fast = tg.compile(step)
    inputs = [np.random.default_rng(k).standard_normal((4, 300)) for k in range(40)]
    expected = []
    for a in inputs:
        x = Tensor(a, requires_grad=True)
        expected.append(step(x).data.tobytes())
    fast(Tensor(inputs[0], requires_grad=True))  # trace first
    assert "out=b" in fast.source
    results: dict[int, bytes] = {}
    errors: list[BaseException] = []

    def worker(ids: list[int]) -> None:
        try:
            for _ in range(3):
                for i in ids:
                    results[i] = fast(Tensor(inputs[i], requires_grad=True)).data.tobytes()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(list(range(k, 40, 4)),)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [results[i] for i in range(40)] == expected


@pytest.mark.parametrize("kind", ["int", "float read as a Python value"])
def test_python_number_arguments_are_keyed_and_the_plan_cache_is_bounded(kind: str) -> None:
    w = Tensor(np.ones(3), requires_grad=True)

    def step(x: Tensor, c: float) -> Tensor:
        w.grad = None
        loss = (w * x).sum() * (c if kind == "int" else math.sqrt(c))
        loss.backward()
        return loss

    fast = tg.compile(step)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(40):
            c = k + 1 if kind == "int" else float((k + 1) ** 2)
            assert fast(Tensor(np.ones(3)), c).item() == 3 * (k + 1)
    assert len(fast._plans) <= importlib.import_module("tinygrad_lite.compile").MAX_PLANS
    assert any("traced 8 times" in str(w.message) for w in caught)


def test_a_trace_inside_a_trace_does_not_deadlock() -> None:
    w = Tensor(np.ones(2), requires_grad=True)
    inner = tg.compile(lambda x: (w * x).sum())
    outer = tg.compile(lambda x: inner(x) + tg.compile(lambda y: (w * y).sum())(x))
    assert outer(np.ones(2)).item() == 4.0


def test_the_ops_errstate_is_replayed_so_warnings_and_errors_match_eager() -> None:
    w = Tensor(np.array([0.0, 0.5]), requires_grad=True)

    def step(y: Tensor) -> Tensor:
        w.grad = None
        loss = tg.functional.binary_cross_entropy(w.clamp(0.0, 1.0), y)  # log 0: clamped
        loss.backward()
        return loss

    fast = tg.compile(step)
    with np.errstate(all="raise"):  # eager raises nothing: the op ignores log 0 itself
        expected = step(Tensor([0.0, 1.0])).item()
        assert fast(Tensor([0.0, 1.0])).item() == expected
        assert fast(Tensor([0.0, 1.0])).item() == expected  # the replay too
    assert "np.errstate(divide='ignore')" in fast.source


def _replays(make: Any, change: Any, calls: int = 4) -> list[list[bytes]]:
    """Each call's result, eager and compiled, with `change(state)` made before call 2."""
    runs = []
    for compiled in (False, True):
        state = make()
        step = tg.compile(state["step"]) if compiled else state["step"]
        out = []
        for k in range(calls):
            if k == 2:
                change(state)
            out.append(bits(step(Tensor(np.ones((3, 2))))))
        runs.append(out)
    return runs


def _hooked() -> dict[str, Any]:
    w = Tensor(np.ones((1, 3)), requires_grad=True)

    def step(x: Tensor) -> Tensor:
        w.grad = None
        (w @ x).sum().backward()
        return w.grad * 1

    return {"w": w, "step": step}


def _layers() -> dict[str, Any]:
    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.act = nn.LeakyReLU(0.1)
            self.drop = nn.Dropout(0.0)
            self.scale = 2.0

        def forward(self, x: Tensor) -> Tensor:
            return self.drop(self.act(x - 2) * self.scale)

    net = Scaled()
    return {"net": net, "step": lambda x: net(x * 1)}


@pytest.mark.parametrize(
    ("make", "change"),
    [
        (_hooked, lambda s: s["w"].register_hook(lambda g: g * 3)),
        (_hooked, lambda s: s.update(h=s["w"].register_hook(lambda g: g * 3))),
        (_layers, lambda s: setattr(s["net"].act, "negative_slope", 0.5)),
        (_layers, lambda s: setattr(s["net"].drop, "p", 1.0)),
        (_layers, lambda s: setattr(s["net"], "scale", -1.0)),
    ],
    ids=["hook added", "hook added then removed", "slope", "dropout rate", "user attribute"],
)
def test_hooks_and_module_attributes_changed_between_calls_are_seen(make: Any, change: Any) -> None:
    def change_then_maybe_remove(state: dict[str, Any]) -> None:
        change(state)
        if "h" in state:
            state.pop("h").remove()

    eager, compiled = _replays(make, change_then_maybe_remove)
    assert eager == compiled
    assert eager[1] != eager[2] or make is _hooked  # the change mattered (or was undone)


def test_a_hook_registered_on_a_leaf_inside_a_step_is_refused() -> None:
    w = Tensor(np.ones(3), requires_grad=True)

    def step(x: Tensor) -> Tensor:
        w.register_hook(lambda g: g * 2)  # eager adds one more on every call
        return (w * x).sum()

    with pytest.raises(TraceError, match="register_hook on a leaf"):
        tg.compile(step)(np.ones(3))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("two_dims", [False, True])
def test_an_index_array_computed_in_the_step_accumulates_repeats_as_eager(
    dtype: type, two_dims: bool
) -> None:
    # The index is NumPy code on a traced argument: replayed, it is computed again from the new
    # values, and the gradient of x[index] adds up over repeated rows as in eager execution.
    x = Tensor(np.arange(12.0, dtype=dtype).reshape(4, 3), requires_grad=True)

    def step(g: Tensor) -> Tensor:
        x.grad = None
        rows = np.floor(g.data).astype(np.int64)
        picked = x[rows, rows % 3] if two_dims else x[rows]
        (picked * picked).sum().backward()
        assert x.grad is not None
        return x.grad

    compiled = tg.compile(step)
    for values in ([0.5, 0.5, 1.5], [3.2, 3.9, 3.0], [2.5, 0.1, 2.7]):
        g = Tensor(np.array(values))
        expected = step(g).data.copy()
        np.testing.assert_array_equal(compiled(g).data, expected)
    assert compiled.traces == 1
