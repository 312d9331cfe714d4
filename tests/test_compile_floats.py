"""Python floats and optimizer settings in a compiled step: replayed as eager computes them.

A float argument is a runtime input of the plan (no retrace when it changes) wherever the step
only computes with it; where the step reads it as a Python value (a branch, `math.exp`, a
format) the plan is tied to the value and a new value traces again. An optimizer's settings
read or written inside the step (the lr, by a scheduler or by hand) are read and written again
on every replay. Each case runs eager and compiled side by side, bit for bit.
"""

from __future__ import annotations

import copy
import math
import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tests.test_compile_replay import bits, state_bits
from tinygrad_lite import Tensor, TraceError, nn, optim
from tinygrad_lite.compile import CompiledStep


class Net(nn.Module):
    def __init__(self, dtype: Any, seed: int) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.W1 = nn.Parameter((rng.standard_normal((4, 2)) * 0.5).astype(dtype))
        self.b1 = nn.Parameter(np.zeros((4, 1), dtype=dtype))
        self.W2 = nn.Parameter((rng.standard_normal((1, 4)) * 0.5).astype(dtype))


# How a step may use its float arguments `a` and `b` (and the optimizer's settings).
USES = {
    "scale_loss": lambda net, opt, loss, a, b: loss * a,
    "python_arithmetic": lambda net, opt, loss, a, b: loss * ((1 - a) * b + a**2 / (3 + b)),
    "penalty": lambda net, opt, loss, a, b: loss + b * (net.W1 * net.W1).sum(),
    "reflected": lambda net, opt, loss, a, b: a - loss / (b * b + 2.0),
    "branch": lambda net, opt, loss, a, b: loss * 2 if a > 0.5 else loss,
    "math_exp": lambda net, opt, loss, a, b: loss * math.exp(b),
    "numpy_scalar": lambda net, opt, loss, a, b: loss * np.float32(a) + np.exp(b),
    "read_lr": lambda net, opt, loss, a, b: loss * opt.param_groups[0]["lr"],
    "read_lr_get": lambda net, opt, loss, a, b: loss * dict(opt.param_groups[0]).get("lr", 1.0),
    "set_lr": lambda net, opt, loss, a, b: (opt.param_groups[0].update(lr=a * 0.1), loss)[1],
    "set_lr_property": lambda net, opt, loss, a, b: (setattr(opt, "lr", abs(b) + 0.1), loss)[1],
}
# Uses that read a float into Python: the plan is tied to its value.
READS = {"branch", "math_exp", "numpy_scalar"}


def make_step(net: Net, opt: Any, sched: Any, use: str, inner_sched: bool) -> Any:
    def step(x: Tensor, a: float, b: float) -> Any:
        opt.zero_grad()
        loss = (net.W2 @ (net.W1 @ x + net.b1).tanh()).square().mean()
        loss = USES[use](net, opt, loss, a, b)
        loss.backward()
        opt.step()
        if inner_sched:
            sched.step()
        return loss, a * 2, {"b": b}

    return step


def make_opt(kind: str, net: Net) -> tuple[Any, Any]:
    opt: Any
    if kind == "sgd":
        opt = optim.SGD(net.parameters(), lr=0.3)
    elif kind == "momentum":
        opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    else:
        opt = optim.Adam(net.parameters(), lr=0.05)
    return opt, optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)


@settings(deadline=None)
@given(
    use=st.sampled_from(sorted(USES)),
    opt_kind=st.sampled_from(["sgd", "momentum", "adam"]),
    dtype=st.sampled_from([np.float64, np.float32]),
    sched_where=st.sampled_from(["none", "inside", "outside"]),
    values=st.lists(st.tuples(st.floats(0.05, 1.0), st.floats(-2.0, 2.0)), min_size=3, max_size=6),
    seed=st.integers(0, 100),
)
def test_float_arguments_and_optimizer_settings_replay_as_eager(
    use: str,
    opt_kind: str,
    dtype: Any,
    sched_where: str,
    values: list[tuple[float, float]],
    seed: int,
) -> None:
    nets = [Net(dtype, seed), Net(dtype, seed)]
    made = [make_opt(opt_kind, n) for n in nets]
    inside = sched_where == "inside"
    steps = [make_step(n, o, s, use, inside) for n, (o, s) in zip(nets, made, strict=True)]
    fast = tg.compile(steps[1])
    x = np.random.default_rng(seed).standard_normal((2, 7)).astype(dtype)
    for a, b in values:
        out = [steps[0](Tensor(x), a, b), fast(Tensor(x), a, b)]
        assert bits(out[0]) == bits(out[1])
        assert type(out[1][1]) is float and type(out[1][2]["b"]) is float
        assert state_bits(nets[0], made[0][0]) == state_bits(nets[1], made[1][0])
        assert made[0][0].param_groups[0]["lr"] == made[1][0].param_groups[0]["lr"]
        if sched_where == "outside":
            for _, s in made:
                s.step()
    if use not in READS:
        assert fast.traces == 1  # the floats are inputs of one plan
    else:  # one plan per value read (and the values not read stay inputs)
        assert fast.traces <= len(set(values))


def _sgd_net() -> tuple[Tensor, Any]:
    w = Tensor(np.array([[0.5, -1.0, 2.0]]), requires_grad=True)
    return w, optim.SGD([w], lr=0.1)


def test_a_float_argument_is_an_input_and_an_int_is_part_of_the_key() -> None:
    w, _ = _sgd_net()

    def step(x: Tensor, scale: Any) -> Tensor:
        w.grad = None
        loss = ((w @ x) * scale).sum()
        loss.backward()
        return loss

    fast = tg.compile(step)
    x = np.ones((3, 2))
    assert [fast(x, s).item() for s in (2.0, 3.0, -0.5)] == [6.0, 9.0, -1.5]
    assert fast.traces == 1
    assert "def step(x0, s0)" in fast.source
    assert fast(x, 3).item() == 9.0 and fast.traces == 2  # an int is a constant
    assert fast(x, 4).item() == 12.0 and fast.traces == 3


def test_reading_a_float_ties_the_plan_to_it_and_zero_signs_differ() -> None:
    w, _ = _sgd_net()
    seen = []

    def step(x: Tensor, c: float) -> Tensor:
        w.grad = None
        seen.append(f"{c}")  # formatting reads the value
        loss = (w @ x).sum() * math.copysign(1.0, c)
        loss.backward()
        return loss

    fast = tg.compile(step)
    x = np.ones((3, 1))
    assert fast(x, 0.0).item() == 1.5
    assert fast(x, -0.0).item() == -1.5  # -0.0 == 0.0, but its sign is another value
    assert fast(x, 0.0).item() == 1.5
    assert seen == ["0.0", "-0.0"] and fast.traces == 2


@pytest.mark.parametrize(
    ("plus", "minus"),
    [
        (np.float64(0.0), np.float64(-0.0)),
        ((0.0, 1), (-0.0, 1)),
        (np.float32(0.0), np.float32(-0.0)),
    ],
    ids=["numpy float64", "tuple of floats", "numpy float32"],
)
def test_constant_arguments_equal_by_value_but_not_in_sign_are_keyed_apart(
    plus: Any, minus: Any
) -> None:
    w, _ = _sgd_net()

    def step(x: Tensor, c: Any) -> Tensor:
        first = c[0] if isinstance(c, tuple) else c
        return (w @ x).sum() * math.copysign(1.0, first)

    fast = tg.compile(step)
    x = np.ones((3, 1))
    assert [fast(x, c).item() for c in (plus, minus, plus)] == [1.5, -1.5, 1.5]
    assert fast.traces == 2


def test_a_scheduler_inside_the_step_is_called_on_every_replay() -> None:
    results = []
    for compiled in (False, True):
        w, opt = _sgd_net()
        sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

        def step(x: Tensor, w: Tensor = w, opt: Any = opt, sched: Any = sched) -> Tensor:
            opt.zero_grad()
            loss = ((w @ x) ** 2).sum()
            loss.backward()
            opt.step()
            sched.step()
            return loss

        f = tg.compile(step) if compiled else step
        losses = [f(Tensor(np.ones((3, 1)))).item() for _ in range(6)]
        results.append((losses, w.data.tobytes(), opt.lr, sched.last_epoch))
    assert results[0] == results[1]
    assert results[1][2] == 0.1 * 0.5**3 and results[1][3] == 6


def test_the_lr_written_by_the_step_is_written_on_every_replay() -> None:
    # Each value of the lr argument: the replay sets the group's lr as eager does, also when a
    # scheduler between calls changed it.
    results = []
    for compiled in (False, True):
        w, opt = _sgd_net()

        def step(x: Tensor, lr: float, w: Tensor = w, opt: Any = opt) -> Tensor:
            opt.param_groups[0]["lr"] = lr
            opt.zero_grad()
            loss = ((w @ x) ** 2).sum()
            loss.backward()
            opt.step()
            return loss

        f = tg.compile(step) if compiled else step
        out = []
        for lr in (0.1, 0.02, 0.1, 0.05):
            out.append(f(Tensor(np.ones((3, 1))), lr).item())
            opt.lr = 7.0  # changed outside: the next call sets it again
        results.append((out, w.data.tobytes()))
    assert results[0] == results[1]


def test_a_negative_lr_written_on_a_replay_is_refused_as_in_eager() -> None:
    w, opt = _sgd_net()

    def step(x: Tensor, lr: float) -> Tensor:
        opt.param_groups[0]["lr"] = lr
        opt.zero_grad()
        loss = (w @ x).sum()
        loss.backward()
        opt.step()
        return loss

    fast = tg.compile(step)
    fast(np.ones((3, 1)), 0.1)
    before = w.data.copy()
    with pytest.raises(ValueError, match="lr"):
        fast(np.ones((3, 1)), -0.1)
    assert np.array_equal(w.data, before) and opt.lr == 0.1 and fast.traces == 1


def test_reading_the_lr_as_a_number_after_a_scheduler_step_is_refused() -> None:
    w, opt = _sgd_net()
    sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)

    def step(x: Tensor) -> Tensor:
        sched.step()
        w.grad = None
        loss = (w @ x).sum() * float(opt.lr)  # a Python number the replay could not follow
        loss.backward()
        return loss

    with pytest.raises(TraceError, match="after a call that may change it"):
        tg.compile(step)(np.ones((3, 1)))


def test_the_fused_backend_keys_floats_and_checks_the_settings_it_reads() -> None:
    pytest.importorskip("numba")
    results = []
    for backend in ("numpy", "fused"):
        w, opt = _sgd_net()

        def step(x: Tensor, a: float, w: Tensor = w, opt: Any = opt) -> Tensor:
            opt.zero_grad()
            loss = ((w @ x).tanh() ** 2).sum() * a * opt.param_groups[0]["lr"]
            loss.backward()
            opt.step()
            return loss

        fast = tg.compile(step, backend=backend)
        out = []
        for a, lr in ((1.0, 0.1), (2.0, 0.1), (1.0, 0.1), (1.0, 0.3)):
            opt.lr = lr
            out.append(fast(np.ones((3, 1)), a).item())
        results.append((out, w.data.copy(), fast.traces))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-12)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-12)
    assert results[0][2] == 1  # numpy: a and the lr are inputs
    assert results[1][2] == 3  # fused: a is keyed, the lr checked (1.0/0.1, 2.0/0.1, 1.0/0.3)


def test_a_traced_float_kept_by_the_step_behaves_as_its_value_afterwards() -> None:
    kept: list[Any] = []

    def step(x: Tensor, lr: float) -> Tensor:
        kept.append(lr)
        return Tensor(x) * lr

    fast = tg.compile(step)
    assert isinstance(fast, CompiledStep)
    fast(np.ones(2), 0.25)
    lr = kept[0]
    assert isinstance(lr, float) and float(lr) == 0.25 and lr == 0.25 and lr * 2 == 0.5
    assert np.asarray(lr).dtype == np.float64 and f"{lr:.2f}" == "0.25"
    assert pickle.loads(pickle.dumps(lr)) == 0.25 and copy.deepcopy(lr) == 0.25
    assert np.multiply(np.float32(2), lr).dtype == np.float32  # a weak Python float


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_arithmetic_on_scalar_results_replays_with_operators_bit_for_bit(dtype: Any) -> None:
    """Means, and arithmetic on reduced scalars, replay as NumPy scalar operators: same bits."""

    def step(x: Tensor, s: float) -> Tensor:
        m = x.mean()
        return (m * 3 - m / 7 + s) * x.sum() - x.max() / 3.0

    rng = np.random.default_rng(4)
    compiled = tg.compile(step)
    for _ in range(4):
        x = Tensor(rng.normal(size=(3, 5)).astype(dtype) * 10)
        s = float(rng.normal())
        assert bits(compiled(x, s)) == bits(step(x, s))
    assert compiled.traces == 1
    if dtype is not np.float16:  # (a half mean sums in float32 and divides an array)
        assert " / 15)" in compiled.source  # the mean's division: an operator on a NumPy scalar
    assert "np.float" not in compiled.source  # a NumPy scalar constant is bound, not rebuilt
