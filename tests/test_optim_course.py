"""SGD and Adam against the course's hand-written updates, and in compiled steps."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import manual_optim
from tinygrad_lite import Tensor, optim

# ---------------------------------------------------------------------- the course's updates


def course_problem(seed: int, steps: int) -> tuple[dict[str, np.ndarray], list[dict[str, Any]]]:
    """The optimisation notebook's [2, 5, 2, 1] parameters and `steps` sets of gradients."""
    rng = np.random.default_rng(seed)
    dims = [2, 5, 2, 1]
    params: dict[str, np.ndarray] = {}
    for k in range(1, len(dims)):
        params[f"W{k}"] = rng.standard_normal((dims[k], dims[k - 1]))
        params[f"b{k}"] = rng.standard_normal((dims[k], 1))
    grads = [
        {
            "d" + n: rng.standard_normal(v.shape) * 10.0 ** rng.integers(-6, 2)
            for n, v in params.items()
        }
        for _ in range(steps)
    ]
    return params, grads


def course_run(opt_factory: Any, params: dict[str, np.ndarray], grads: Any) -> dict[str, Any]:
    tensors = {n: Tensor(v.copy(), requires_grad=True) for n, v in params.items()}
    opt = opt_factory(list(tensors.values()))
    for g in grads:
        for n, t in tensors.items():
            t.grad = Tensor(g["d" + n].copy())
        opt.step()
    return {n: t.data for n, t in tensors.items()}


@given(st.integers(0, 2**32 - 1), st.integers(1, 8), st.floats(0.0, 0.99), st.floats(1e-4, 1.0))
def test_course_momentum_is_sgd_with_dampening_from_a_zero_buffer_bit_for_bit(
    seed: int, steps: int, beta: float, lr: float
) -> None:
    params, grads = course_problem(seed, steps)
    ref, v = dict(params), manual_optim.initialize_velocity(params)
    for g in grads:
        ref, v = manual_optim.update_parameters_with_momentum(ref, g, v, beta, lr)
    ours = course_run(
        lambda ps: optim.SGD(ps, lr=lr, momentum=beta, dampening=beta, zero_init_buffer=True),
        params,
        grads,
    )
    for name in params:
        np.testing.assert_array_equal(ours[name], ref[name], err_msg=name)


def test_pytorchs_momentum_rule_differs_from_the_course_on_the_first_step_only() -> None:
    # PyTorch's buffer starts at g, the course's velocity at (1 - beta)·g: after one step the
    # parameters differ by lr·beta·g; later steps apply the same recurrence to both buffers, so
    # the difference in the buffers decays as beta^t.
    beta, lr = 0.9, 0.1
    params, grads = course_problem(0, 1)
    ref, v = dict(params), manual_optim.initialize_velocity(params)
    ref, v = manual_optim.update_parameters_with_momentum(ref, grads[0], v, beta, lr)
    torch_rule = course_run(
        lambda ps: optim.SGD(ps, lr=lr, momentum=beta, dampening=beta), params, grads
    )
    for name in params:
        np.testing.assert_allclose(
            ref[name] - torch_rule[name], lr * beta * grads[0]["d" + name], rtol=1e-12, atol=1e-15
        )


@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 12),
    st.floats(1e-4, 0.1),
    st.floats(0.0, 0.99),
    st.floats(0.9, 0.9999),
    st.sampled_from([1e-8, 1e-4]),
)
def test_adam_is_the_courses_update_bit_for_bit(
    seed: int, steps: int, lr: float, b1: float, b2: float, eps: float
) -> None:
    params, grads = course_problem(seed, steps)
    ref = dict(params)
    v, s = manual_optim.initialize_adam(params)
    for t, g in enumerate(grads, start=1):
        ref, v, s = manual_optim.update_parameters_with_adam(ref, g, v, s, t, lr, b1, b2, eps)
    ours = course_run(lambda ps: optim.Adam(ps, lr=lr, betas=(b1, b2), eps=eps), params, grads)
    for name in params:
        np.testing.assert_array_equal(ours[name], ref[name], err_msg=name)


# ---------------------------------------------------------------------- compiled steps


@pytest.mark.parametrize(
    "make",
    [
        lambda w, b: optim.SGD(
            [{"params": [w], "weight_decay": 0.01}, {"params": [b], "lr": 0.05}],
            lr=0.1,
            momentum=0.9,
            dampening=0.9,
            zero_init_buffer=True,
        ),
        lambda w, b: optim.Adam([{"params": [w]}, {"params": [b], "betas": (0.5, 0.9)}], lr=0.01),
    ],
)
def test_compiled_steps_follow_group_changes_between_calls_bit_for_bit(make: Any) -> None:
    import tinygrad_lite as tg
    from tinygrad_lite.optim import lr_scheduler

    def build() -> tuple[Tensor, Tensor, Any, Any]:
        rng = np.random.default_rng(1)
        w = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
        b = Tensor(rng.standard_normal((3, 1)), requires_grad=True)
        opt = make(w, b)

        def step(x: Any) -> Tensor:
            opt.zero_grad()
            cost = ((w @ x + b).tanh() ** 2).mean()
            cost.backward()
            opt.step()
            return cost

        return w, b, opt, step

    w1, b1, opt1, eager = build()
    w2, b2, opt2, step2 = build()
    fast = tg.compile(step2)
    sched1, sched2 = lr_scheduler.StepLR(opt1, 2, 0.5), lr_scheduler.StepLR(opt2, 2, 0.5)
    rng = np.random.default_rng(2)
    for k in range(6):
        x = rng.standard_normal((2, 4))
        assert eager(x).data.tobytes() == fast(x).data.tobytes()
        sched1.step()
        sched2.step()
        if k == 3:  # a hand-made change to one group
            opt1.param_groups[1]["lr"] = opt2.param_groups[1]["lr"] = 0.001
        for p, q in ((w1, w2), (b1, b2)):
            np.testing.assert_array_equal(p.data, q.data)
    assert fast.traces == 1
