"""SGD, Adam and AdamW against their update formulas written out independently; state, checks."""

from __future__ import annotations

import math
import os
import tempfile
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lite import Tensor, load, nn, optim, save
from tinygrad_lite.testing import floats

# Rounding differences between the optimizer's in-place arithmetic and the plain formulas
# below are a few ulps of values of magnitude <= ~10^3; a wrong formula is off by O(lr·g).
RTOL, ATOL = 1e-12, 1e-12


@st.composite
def problem(
    draw: Any, max_steps: int = 6
) -> tuple[list[np.ndarray], list[list[np.ndarray | None]]]:
    """Initial values of 1-3 parameters and, for each of k steps, their gradients (or None)."""
    shapes = draw(
        st.lists(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), min_size=1, max_size=3)
    )
    values = [draw(hnp.arrays(np.float64, s, elements=floats(-10, 10))) for s in shapes]
    k = draw(st.integers(1, max_steps))
    grads = [
        [
            draw(st.one_of(st.none(), hnp.arrays(np.float64, s, elements=floats(-10, 10))))
            if j > 0  # the first parameter always has a gradient
            else draw(hnp.arrays(np.float64, s, elements=floats(-10, 10)))
            for j, s in enumerate(shapes)
        ]
        for _ in range(k)
    ]
    return values, grads


def run(
    opt_cls: Any, values: list[np.ndarray], grads: list[list[Any]], **hyper: Any
) -> list[Tensor]:
    params = [Tensor(v.copy(), requires_grad=True) for v in values]
    arrays = [p.data for p in params]
    opt = opt_cls(params, **hyper)
    for step_grads in grads:
        opt.zero_grad()
        for p, g in zip(params, step_grads, strict=True):
            if g is not None:
                p.grad = Tensor(g.copy())
        opt.step()
        for p, g in zip(params, step_grads, strict=True):
            if g is not None:  # the step must not write into the gradient
                np.testing.assert_array_equal(p.grad.data, g)  # type: ignore[union-attr]
    assert all(p.data is a for p, a in zip(params, arrays, strict=True))  # updated in place
    return params


def sgd_reference(
    values: Any,
    grads: Any,
    lr: float,
    momentum: float,
    wd: float,
    nesterov: bool,
    dampening: float = 0.0,
    zero_init: bool = False,
    maximize: bool = False,
) -> Any:
    """PyTorch's SGD as its documentation writes it; `zero_init`: the buffer starts at 0."""
    ps = [v.copy() for v in values]
    bufs: list[np.ndarray | None] = [None] * len(ps)
    for step_grads in grads:
        for j, g in enumerate(step_grads):
            if g is None:
                continue
            if maximize:
                g = -g
            g = g + wd * ps[j]
            if momentum:
                if bufs[j] is None and not zero_init:
                    bufs[j] = g.copy()
                else:
                    prev = np.zeros_like(g) if bufs[j] is None else bufs[j]
                    bufs[j] = momentum * prev + (1 - dampening) * g
                g = g + momentum * bufs[j] if nesterov else bufs[j]
            ps[j] = ps[j] - lr * g
    return ps


def adam_reference(
    values: Any,
    grads: Any,
    lr: float,
    b1: float,
    b2: float,
    eps: float,
    wd: float,
    decoupled: bool = False,
) -> Any:
    """Kingma & Ba's Algorithm 1 with PyTorch's placement of eps and L2 weight decay.

    With `decoupled`, AdamW's (Loshchilov & Hutter) decay instead: p ← p·(1 − lr·wd) first.
    """
    ps = [v.copy() for v in values]
    m = [np.zeros_like(v) for v in values]
    v = [np.zeros_like(x) for x in values]
    t = [0] * len(ps)
    for step_grads in grads:
        for j, g in enumerate(step_grads):
            if g is None:
                continue
            t[j] += 1
            if decoupled:
                ps[j] = ps[j] * (1 - lr * wd)
            else:
                g = g + wd * ps[j]
            m[j] = b1 * m[j] + (1 - b1) * g
            v[j] = b2 * v[j] + (1 - b2) * g**2
            v_hat = v[j] / (1 - b2 ** t[j])
            step = lr / (1 - b1 ** t[j])
            ps[j] = ps[j] - step * m[j] / (np.sqrt(v_hat) + eps)
    return ps


# ---------------------------------------------------------------------- SGD


@given(problem(), st.floats(1e-3, 2.0))
def test_plain_sgd_is_p_minus_lr_g_exactly(prob: Any, lr: float) -> None:
    values, grads = prob
    params = run(optim.SGD, values, grads, lr=lr)
    for p, ref in zip(params, sgd_reference(values, grads, lr, 0.0, 0.0, False), strict=True):
        np.testing.assert_array_equal(p.data, ref)


@given(
    problem(),
    st.floats(1e-3, 1.0),
    st.floats(0.0, 0.99),
    st.sampled_from([0.0, 1e-4, 0.1]),
    st.booleans(),
    st.sampled_from([0.0, 0.1, 0.9, 1.0]),
    st.booleans(),
    st.booleans(),
)
def test_sgd_with_momentum_dampening_nesterov_and_weight_decay(
    prob: Any,
    lr: float,
    momentum: float,
    wd: float,
    nesterov: bool,
    dampening: float,
    zero_init: bool,
    maximize: bool,
) -> None:
    values, grads = prob
    if momentum == 0 or dampening != 0:
        nesterov = False
    params = run(
        optim.SGD,
        values,
        grads,
        lr=lr,
        momentum=momentum,
        weight_decay=wd,
        nesterov=nesterov,
        dampening=dampening,
        zero_init_buffer=zero_init,
        maximize=maximize,
    )
    ref = sgd_reference(values, grads, lr, momentum, wd, nesterov, dampening, zero_init, maximize)
    for p, r in zip(params, ref, strict=True):
        np.testing.assert_allclose(p.data, r, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "hyper",
    [
        {},
        {"weight_decay": 0.1},
        {"momentum": 0.9, "dampening": 0.2},
        {"momentum": 0.9, "nesterov": True},
    ],
)
def test_sgd_maximize_climbs_as_minimizing_the_negated_loss(hyper: dict[str, Any]) -> None:
    """maximize=True on J takes the steps of minimizing −J, bit for bit (both negate g first)."""
    x = np.random.default_rng(0).standard_normal((3, 2))
    trajectories = []
    for maximize in (True, False):
        w = Tensor(np.ones((2, 1)), requires_grad=True)
        opt = optim.SGD([w], lr=0.1, maximize=maximize, **hyper)
        for _ in range(4):
            opt.zero_grad()
            J = (Tensor(x) @ w).tanh().sum()
            (J if maximize else -J).backward()
            opt.step()
        trajectories.append(w.data)
    np.testing.assert_array_equal(*trajectories)
    assert not np.array_equal(trajectories[0], np.ones((2, 1)))


def test_sgd_momentum_by_hand() -> None:
    w = Tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.5)
    for g, expected in ((2.0, 1.0 - 0.1 * 2.0), (2.0, 0.8 - 0.1 * (0.5 * 2.0 + 2.0))):
        w.grad = Tensor([g])
        opt.step()
        np.testing.assert_allclose(w.data, [expected], rtol=1e-15)
    w = Tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.5, nesterov=True)
    w.grad = Tensor([2.0])
    opt.step()  # buf = 2, g = 2 + 0.5·2 = 3
    np.testing.assert_allclose(w.data, [1.0 - 0.3], rtol=1e-15)


def test_parameters_without_gradients_are_skipped() -> None:
    a, b = Tensor([1.0], requires_grad=True), Tensor([5.0], requires_grad=True)
    for opt in (optim.SGD([a, b], lr=0.1, momentum=0.9), optim.Adam([a, b])):
        a.grad, b.grad = Tensor([1.0]), None
        opt.step()
        assert b.data[0] == 5.0
        assert 1 not in opt.state


def test_float32_parameters_stay_float32() -> None:
    for opt_cls, kw in (
        (optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1}),
        (optim.Adam, {}),
    ):
        w = Tensor(np.ones(3, np.float32), requires_grad=True)
        opt = opt_cls([w], **kw)
        for _ in range(2):
            w.grad = Tensor(np.full(3, 0.5, np.float32))
            opt.step()
        assert w.dtype == np.float32
        assert all(
            v.dtype == np.float32 for v in opt.state[0].values() if isinstance(v, np.ndarray)
        )


def test_learning_rate_can_change_between_steps() -> None:
    w = Tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.5)
    w.grad = Tensor([1.0])
    opt.step()
    opt.lr = 0.25
    opt.step()
    assert w.data[0] == 1.0 - 0.5 - 0.25


def test_zero_grad() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    g = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is g and not g.data.any()  # type: ignore[union-attr]
    opt.zero_grad()
    assert w.grad is None


def test_works_with_module_parameters() -> None:
    net = nn.Linear(3, 2, seed=0)
    opt = optim.SGD(net.parameters(), lr=0.1)
    before = net.weight.data.copy()
    net(np.ones((4, 3))).sum().backward()
    opt.step()
    np.testing.assert_allclose(net.weight.data, before - 0.1 * 4.0, rtol=1e-15)


# ---------------------------------------------------------------------- Adam


@given(
    problem(),
    st.floats(1e-4, 0.5),
    st.floats(0.0, 0.99),
    st.floats(0.0, 0.9999),
    st.sampled_from([1e-8, 1e-3]),
    st.sampled_from([0.0, 0.01]),
)
def test_adam_matches_the_algorithm(
    prob: Any, lr: float, b1: float, b2: float, eps: float, wd: float
) -> None:
    values, grads = prob
    params = run(optim.Adam, values, grads, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    ref = adam_reference(values, grads, lr, b1, b2, eps, wd)
    for p, r in zip(params, ref, strict=True):
        np.testing.assert_allclose(p.data, r, rtol=RTOL, atol=ATOL)


@given(
    problem(),
    st.floats(1e-4, 0.5),
    st.floats(0.0, 0.99),
    st.floats(0.0, 0.9999),
    st.sampled_from([0.0, 0.01, 0.5]),
)
def test_adamw_decays_the_weights_apart_from_the_gradient(
    prob: Any, lr: float, b1: float, b2: float, wd: float
) -> None:
    values, grads = prob
    params = run(optim.AdamW, values, grads, lr=lr, betas=(b1, b2), weight_decay=wd)
    ref = adam_reference(values, grads, lr, b1, b2, 1e-8, wd, decoupled=True)
    for p, r in zip(params, ref, strict=True):
        np.testing.assert_allclose(p.data, r, rtol=RTOL, atol=ATOL)
    assert optim.AdamW([Tensor([1.0], requires_grad=True)]).weight_decay == 0.01  # PyTorch's
    with pytest.raises(ValueError, match="AdamW: weight_decay must be >= 0"):
        optim.AdamW([Tensor([1.0], requires_grad=True)], weight_decay=-1.0)


def test_adam_first_step_moves_each_weight_by_about_lr() -> None:
    # After bias correction the first step is lr·g/(|g| + eps'), i.e. lr·sign(g).
    w = Tensor([1.0, -1.0, 3.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.01)
    w.grad = Tensor([5.0, -0.2, 1e-3])
    opt.step()
    np.testing.assert_allclose(w.data, [0.99, -0.99, 2.99], rtol=0, atol=1e-7)
    assert opt.state[0]["step"] == 1
    assert opt.betas == (0.9, 0.999)


# ---------------------------------------------------------------------- state dicts


@pytest.mark.parametrize(
    ("opt_cls", "hyper"),
    [
        (optim.SGD, {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01, "nesterov": True}),
        (optim.Adam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.001}),
    ],
)
@pytest.mark.parametrize("through_disk", [False, True])
def test_state_dict_round_trip_continues_identically(
    opt_cls: Any, hyper: Any, through_disk: bool
) -> None:
    rng = np.random.default_rng(0)
    values = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    grads = [[rng.standard_normal(v.shape) for v in values] for _ in range(6)]
    a = [Tensor(v.copy(), requires_grad=True) for v in values]
    opt_a = opt_cls(a, **hyper)

    def step(params: list[Tensor], opt: Any, gs: list[np.ndarray]) -> None:
        for p, g in zip(params, gs, strict=True):
            p.grad = Tensor(g)
        opt.step()

    for gs in grads[:3]:
        step(a, opt_a, gs)
    sd = opt_a.state_dict()
    if through_disk:
        with tempfile.TemporaryDirectory() as d:
            save(sd, os.path.join(d, "opt.npz"))
            sd = load(os.path.join(d, "opt.npz"))
    b = [Tensor(p.data.copy(), requires_grad=True) for p in a]
    opt_b = opt_cls(b, lr=1.0)  # other hyper-parameters: the load must restore them
    opt_b.load_state_dict(sd)
    for h in opt_cls.hyperparameters:
        assert getattr(opt_b, h) == getattr(opt_a, h)
    for gs in grads[3:]:
        step(a, opt_a, gs)
        step(b, opt_b, gs)
    for pa, pb in zip(a, b, strict=True):
        np.testing.assert_array_equal(pa.data, pb.data)


def test_state_dict_is_flat_and_copied() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    w.grad = Tensor([1.0, 1.0])
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {
        "lr",
        "beta1",
        "beta2",
        "eps",
        "weight_decay",
        "state.0.step",
        "state.0.exp_avg",
        "state.0.exp_avg_sq",
    }
    sd["state.0.exp_avg"][...] = 99.0
    assert not (opt.state[0]["exp_avg"] == 99.0).any()


def test_a_bad_optimizer_state_is_reported_and_changes_nothing() -> None:
    w = Tensor(np.ones((2, 2)), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = Tensor(np.ones((2, 2)))
    opt.step()
    good = opt.state_dict()
    bad = dict(good, lr=-1.0, extra=1)
    del bad["momentum"]
    bad["state.0.momentum_buffer"] = np.zeros(3)
    bad["state.7.momentum_buffer"] = np.zeros((2, 2))
    with pytest.raises(ValueError) as info:
        opt.load_state_dict(bad)
    msg = str(info.value)
    assert "missing keys ['momentum']" in msg
    assert "unexpected keys ['extra', 'state.7.momentum_buffer']" in msg
    assert "state.0.momentum_buffer: shape (3,)" in msg
    with pytest.raises(ValueError, match="lr must be > 0, got -1.0"):
        opt.load_state_dict(dict(good, lr=-1.0))
    with pytest.raises(ValueError, match=r"state of parameter 0 lacks \['exp_avg_sq'\]"):
        adam = optim.Adam([w])
        adam.load_state_dict(
            {
                "lr": 0.1,
                "beta1": 0.9,
                "beta2": 0.9,
                "eps": 1e-8,
                "weight_decay": 0.0,
                "state.0.step": 1,
                "state.0.exp_avg": np.zeros((2, 2)),
            }
        )
    assert opt.lr == 0.1 and opt.momentum == 0.9
    np.testing.assert_array_equal(opt.state[0]["momentum_buffer"], good["state.0.momentum_buffer"])


# ---------------------------------------------------------------------- validation


def leaf() -> Tensor:
    return Tensor([1.0], requires_grad=True)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: optim.SGD([leaf()], lr=0.0), ValueError, "lr must be > 0, got 0.0"),
        (lambda: optim.SGD([leaf()], lr=-0.1), ValueError, "lr must be > 0"),
        (lambda: optim.SGD([leaf()], lr=math.nan), ValueError, "lr must be finite"),
        (lambda: optim.SGD([leaf()], lr="0.1"), TypeError, "lr must be a number"),
        (
            lambda: optim.SGD([leaf()], lr=0.1, momentum=-0.5),
            ValueError,
            "momentum must be >= 0, got -0.5",
        ),
        (
            lambda: optim.SGD([leaf()], lr=0.1, weight_decay=-1),
            ValueError,
            "weight_decay must be >= 0",
        ),
        (
            lambda: optim.SGD([leaf()], lr=0.1, nesterov=True),
            ValueError,
            "nesterov=True needs momentum > 0",
        ),
        (lambda: optim.Adam([leaf()], lr=0), ValueError, "lr must be > 0"),
        (
            lambda: optim.Adam([leaf()], betas=(1.0, 0.999)),
            ValueError,
            r"beta1 must lie in \[0, 1\), got 1.0",
        ),
        (
            lambda: optim.Adam([leaf()], betas=(0.9, -0.1)),
            ValueError,
            r"beta2 must lie in \[0, 1\)",
        ),
        (lambda: optim.Adam([leaf()], betas=(0.9,)), TypeError, "betas must be a pair"),
        (lambda: optim.Adam([leaf()], eps=0.0), ValueError, "eps must be > 0, got 0.0"),
        (lambda: optim.Adam([leaf()], weight_decay=-0.1), ValueError, "weight_decay must be >= 0"),
        (lambda: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda: optim.Adam(iter([])), ValueError, "empty parameter list"),
        (
            lambda: optim.SGD([leaf(), np.ones(2)], lr=0.1),
            TypeError,
            r"params\[1\] is a ndarray, not a Tensor",
        ),
        (lambda: optim.SGD(leaf(), lr=0.1), TypeError, "got a single Tensor"),
        (
            lambda: optim.SGD([leaf() * 2], lr=0.1),
            ValueError,
            r"params\[0\] \(shape \(1,\)\) is not a leaf.*Mul",
        ),
        (lambda: optim.SGD([Tensor([1.0])], lr=0.1), ValueError, "does not require grad"),
    ],
)
def test_bad_arguments_raise_clear_errors(make: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make()


def test_a_parameter_listed_twice_is_refused() -> None:
    w = leaf()
    with pytest.raises(ValueError, match=r"params\[2\] is the same tensor as params\[0\]"):
        optim.SGD([w, leaf(), w], lr=0.1)


def test_read_only_parameter_is_refused() -> None:
    a = np.ones(2)
    a.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        optim.SGD([Tensor(a, requires_grad=True)], lr=0.1)


def test_repr() -> None:
    assert repr(optim.SGD([leaf()], lr=0.1)) == (
        "SGD(1 parameters, lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, "
        "nesterov=False, zero_init_buffer=False)"
    )
