"""nn.utils: clip_grad_norm_ against the norm of all entries, and the course's L2 penalty."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lite as tg
from models.two_layer import TwoLayerNet
from tinygrad_lite import Tensor, nn, optim
from tinygrad_lite.nn import utils
from tinygrad_lite.testing import floats

grad_lists = st.lists(
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


# ---------------------------------------------------------------------- clip_grad_norm_


@given(grad_lists, st.floats(0.0, 100.0), st.sampled_from([1.0, 2.0, 3.5, math.inf]))
def test_clip_grad_norm_scales_by_the_norm_of_all_entries(
    grads: list[np.ndarray], max_norm: float, p: float
) -> None:
    params = with_grads(grads)
    total = utils.clip_grad_norm_(params, max_norm, norm_type=p)
    flat = np.concatenate([g.ravel() for g in grads])
    expected = np.max(np.abs(flat), initial=0.0) if p == math.inf else np.linalg.norm(flat, p)
    assert isinstance(total, Tensor) and total.shape == ()
    np.testing.assert_allclose(total.data, expected, rtol=1e-12, atol=1e-300)
    coef = min(max_norm / (expected + 1e-6), 1.0)
    for q, g in zip(params, grads, strict=True):
        np.testing.assert_allclose(q.grad.data, g * coef, rtol=1e-12, atol=1e-300)  # type: ignore[union-attr]
        assert np.abs(q.grad.data).max(initial=0) <= np.abs(g).max(initial=0)  # type: ignore[union-attr]


def test_clip_grad_norm_by_hand_and_what_it_skips() -> None:
    w, b, frozen = Tensor([3.0, 4.0], requires_grad=True), Tensor([12.0], requires_grad=True), None
    w.grad, b.grad = Tensor([3.0, 4.0]), Tensor([12.0])
    frozen = Tensor([1.0], requires_grad=True)  # no gradient: skipped
    total = utils.clip_grad_norm_([w, b, frozen], max_norm=2.6)  # ‖(3, 4, 12)‖ = 13
    assert total.item() == 13.0
    coef = 2.6 / (13.0 + 1e-6)
    np.testing.assert_array_equal(w.grad.data, np.array([3.0, 4.0]) * coef)  # type: ignore[union-attr]
    assert frozen.grad is None
    assert utils.clip_grad_norm_(frozen, 1.0).item() == 0.0
    small = Tensor([0.1], requires_grad=True)
    small.grad = Tensor([0.1])
    utils.clip_grad_norm_(small, 1.0)  # under the limit: unchanged
    assert small.grad.data[0] == 0.1  # type: ignore[union-attr]


def test_non_finite_norms_follow_pytorch_or_raise_when_asked() -> None:
    nan_grads = with_grads([np.array([1.0, np.nan])])
    with pytest.raises(RuntimeError, match="total norm of the gradients is nan"):
        utils.clip_grad_norm_(nan_grads, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(nan_grads[0].grad.data, [1.0, np.nan])  # type: ignore[union-attr]
    assert math.isnan(utils.clip_grad_norm_(nan_grads, 1.0).item())
    assert np.isnan(nan_grads[0].grad.data).all()  # type: ignore[union-attr]
    inf_grads = with_grads([np.array([1.0, np.inf])])
    assert utils.clip_grad_norm_(inf_grads, 1.0).item() == math.inf
    np.testing.assert_array_equal(inf_grads[0].grad.data, [0.0, np.nan])  # type: ignore[union-attr]


def test_float32_gradients_stay_float32() -> None:
    p = Tensor(np.zeros(3, np.float32), requires_grad=True)
    p.grad = Tensor(np.array([3.0, 4.0, 0.0], np.float32))
    total = utils.clip_grad_norm_([p], 1.0)
    assert total.dtype == np.float32 and p.grad.dtype == np.float32
    expected = np.array([3.0, 4.0, 0.0], np.float32) * np.float32(1.0 / (np.float32(5.0) + 1e-6))
    np.testing.assert_allclose(p.grad.data, expected, rtol=1e-6)


def test_clipping_inside_a_compiled_step_is_replayed_bit_for_bit() -> None:
    def build() -> tuple[TwoLayerNet, Any]:
        net = TwoLayerNet(2, 4, seed=0)
        opt = optim.SGD(net.parameters(), lr=0.5)

        def step(x: Any, y: Any) -> tuple[Tensor, Tensor]:
            opt.zero_grad()
            cost = net.cost(x, y)
            cost.backward()
            norm = utils.clip_grad_norm_(net.parameters(), 0.05)
            opt.step()
            return cost, norm

        return net, step

    eager_net, eager = build()
    comp_net, step = build()
    fast = tg.compile(step)
    rng = np.random.default_rng(0)
    norms = set()
    for _ in range(4):
        x, y = rng.standard_normal((2, 8)), (rng.random((1, 8)) > 0.5).astype(float)
        (c1, n1), (c2, n2) = eager(x, y), fast(x, y)
        assert c1.data.tobytes() == c2.data.tobytes() and n1.data.tobytes() == n2.data.tobytes()
        norms.add(n1.item())
        for (_, p), (_, q) in zip(
            eager_net.named_parameters(), comp_net.named_parameters(), strict=True
        ):
            np.testing.assert_array_equal(p.data, q.data)
            np.testing.assert_array_equal(p.grad.data, q.grad.data)  # type: ignore[union-attr]
    assert len(norms) == 4 and fast.traces == 1


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda p: utils.clip_grad_norm_(p, -1.0), ValueError, "max_norm must be >= 0, got -1.0"),
        (lambda p: utils.clip_grad_norm_(p, math.nan), ValueError, "max_norm must be >= 0"),
        (lambda p: utils.clip_grad_norm_(p, 1.0, 0), ValueError, "norm_type must be > 0"),
        (lambda p: utils.clip_grad_norm_(p, "1"), TypeError, "max_norm must be a number"),
        (lambda p: utils.clip_grad_norm_([p[0], 3], 1.0), TypeError, r"parameters\[1\] is a int"),
    ],
)
def test_clip_grad_norm_bad_arguments(call: Any, error: type[Exception], match: str) -> None:
    params = with_grads([np.ones(2)])
    with pytest.raises(error, match=match):
        call(params)
    np.testing.assert_array_equal(params[0].grad.data, np.ones(2))  # type: ignore[union-attr]


# ---------------------------------------------------------------------- l2_penalty


weight_lists = st.lists(
    hnp.arrays(
        np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=5), elements=floats(-5, 5)
    ),
    min_size=1,
    max_size=3,
)


@given(weight_lists, st.floats(0.0, 10.0), st.integers(1, 1000))
def test_l2_penalty_is_the_courses_term_and_its_gradient_is_lambda_over_m_times_w(
    weights: list[np.ndarray], lam: float, m: int
) -> None:
    Ws = [Tensor(w.copy(), requires_grad=True) for w in weights]
    J = utils.l2_penalty(Ws, lam, m)
    course = (1 / m) * (lam / 2) * sum(np.sum(np.square(w)) for w in weights)  # the notebook's
    assert J.item() == course or J.item() == pytest.approx(course, rel=1e-15)
    J.backward()
    step = 5e-324  # the subnormal spacing, 2^-1074
    for W, w in zip(Ws, weights, strict=True):
        # Where lam/m is subnormal it is rounded to a multiple of the subnormal step (error up
        # to half a step), and each side multiplies that by up to 2|w| before one more rounding:
        # the two sides may differ by (2|w| + 1) steps, not by a relative amount.
        got, want = W.grad.data, lam / m * w  # type: ignore[union-attr]
        diff = np.abs(got - want)
        assert np.all(diff <= 1e-14 * np.abs(want) + (2 * np.abs(w) + 1) * step), (got, want)


def test_l2_penalty_of_a_module_takes_its_weights_only() -> None:
    net = TwoLayerNet(2, 3, seed=0)
    for b in (net.b1, net.b2):
        b.data[...] = 5.0  # a penalised bias would show
    J = utils.l2_penalty(net, lam=0.7, m=10)
    expected = (1 / 10) * (0.7 / 2) * (np.sum(net.W1.data**2) + np.sum(net.W2.data**2))
    assert J.item() == pytest.approx(expected, rel=1e-15)
    seq = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Tanh(), nn.Linear(3, 1, seed=1))
    J = utils.l2_penalty(seq.named_parameters(), lam=1.0, m=1)
    ws = [seq[0].weight.data, seq[2].weight.data]  # type: ignore[union-attr]
    assert J.item() == pytest.approx(0.5 * sum(np.sum(w**2) for w in ws), rel=1e-15)
    assert [n for n, _ in seq.named_parameters() if utils.is_weight(n)] == ["0.weight", "2.weight"]
    assert not any(utils.is_weight(n) for n in ("b1", "bias", "Wb", "weights"))
    with pytest.raises(ValueError, match="no weight to penalise"):
        utils.l2_penalty(nn.Sequential(nn.Tanh()), 1.0, 1)


@pytest.mark.parametrize(
    "make",
    [
        lambda groups: optim.SGD(groups, lr=0.5),
        lambda groups: optim.SGD(
            groups, lr=0.1, momentum=0.9, dampening=0.9, zero_init_buffer=True
        ),
        lambda groups: optim.SGD(groups, lr=0.1, momentum=0.8, nesterov=True),
        lambda groups: optim.Adam(groups, lr=0.01),
    ],
)
def test_weight_decay_on_the_weights_group_is_the_l2_term_in_the_cost(make: Any) -> None:
    # PyTorch's (coupled) weight decay adds (λ/m)·W to the gradient before the update, so it
    # takes the same steps as the cost J + λ/(2m)·Σ‖W‖², with or without momentum or Adam.
    lam, m = 0.7, 8
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((2, m)), (rng.random((1, m)) > 0.5).astype(float)
    in_cost, decayed = TwoLayerNet(2, 4, seed=1), TwoLayerNet(2, 4, seed=1)
    opt_cost = make([{"params": in_cost.parameters()}])
    opt_decay = make(
        [
            {"params": [decayed.W1, decayed.W2], "weight_decay": lam / m},
            {"params": [decayed.b1, decayed.b2]},
        ]
    )
    for _ in range(20):
        opt_cost.zero_grad()
        (in_cost.cost(X, Y) + utils.l2_penalty(in_cost, lam, m)).backward()
        opt_cost.step()
        opt_decay.zero_grad()
        decayed.cost(X, Y).backward()
        opt_decay.step()
    for (name, p), (_, q) in zip(
        in_cost.named_parameters(), decayed.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12, atol=1e-14, err_msg=name)


@pytest.mark.parametrize(
    ("lam", "m", "match"),
    [
        (-1.0, 1, "lam must be finite and >= 0"),
        (math.inf, 1, "lam must be finite"),
        (1.0, 0, "m must be an int >= 1"),
    ],
)
def test_l2_penalty_bad_arguments(lam: float, m: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        utils.l2_penalty([Tensor(np.ones((2, 2)), requires_grad=True)], lam, m)


def test_clip_grad_value_clamps_each_entry_in_place_and_skips_missing_gradients() -> None:
    a = Tensor(np.zeros(4), requires_grad=True)
    b = Tensor(np.zeros(2), requires_grad=True)  # no gradient: skipped
    a.grad = Tensor([3.0, -4.0, 0.25, np.nan])
    held = a.grad.data
    assert nn.utils.clip_grad_value_([a, b], clip_value=1.0) is None
    np.testing.assert_array_equal(a.grad.data, [1.0, -1.0, 0.25, np.nan])
    assert a.grad.data is held and b.grad is None
    nn.utils.clip_grad_value_(a, 0)
    np.testing.assert_array_equal(a.grad.data, [0.0, -0.0, 0.0, np.nan])
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        nn.utils.clip_grad_value_([a], -1.0)
    with pytest.raises(TypeError, match="clip_value must be a number"):
        nn.utils.clip_grad_value_([a], "1")  # type: ignore[arg-type]


def test_clip_grad_value_in_a_compiled_step_equals_eager() -> None:
    def run(compiled: bool) -> list[bytes]:
        w = Tensor(np.array([[2.0, -3.0, 0.5]]), requires_grad=True)
        opt = optim.SGD([w], lr=0.1)

        def step(x: Tensor) -> Tensor:
            opt.zero_grad()
            loss = ((w @ x) ** 2).sum()
            loss.backward()
            nn.utils.clip_grad_value_([w], 0.75)
            opt.step()
            return loss

        f = tg.compile(step) if compiled else step
        return [f(Tensor(np.ones((3, 2)) * k)).data.tobytes() + w.data.tobytes() for k in range(4)]

    assert run(False) == run(True)
