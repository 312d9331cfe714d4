"""LR schedulers against PyTorch's recurrences, their closed forms and the course's decay."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import manual_optim
from tinygrad_lite import Tensor, load, optim, save
from tinygrad_lite.optim import lr_scheduler


def grouped(lrs: list[float]) -> optim.SGD:
    return optim.SGD(
        [{"params": [Tensor([1.0], requires_grad=True)], "lr": lr} for lr in lrs], lr=1.0
    )


def schedule(sched: Any, epochs: int) -> list[list[float]]:
    """The lrs of epochs 0, 1, ..., as the optimizer's groups hold them."""
    out = []
    for e in range(epochs):
        if e:
            sched.step()
        lrs = [g["lr"] for g in sched.optimizer.param_groups]
        assert sched.get_last_lr() == lrs and sched.last_epoch == e
        out.append(lrs)
    return out


base_lrs = st.lists(st.floats(1e-4, 10.0), min_size=1, max_size=3)


@given(base_lrs, st.integers(1, 5), st.floats(0.05, 2.0), st.integers(1, 30))
def test_step_lr_is_pytorchs_recurrence_and_its_closed_form(
    lrs: list[float], step_size: int, gamma: float, epochs: int
) -> None:
    got = schedule(lr_scheduler.StepLR(grouped(lrs), step_size, gamma), epochs)
    current = list(lrs)
    for e in range(epochs):
        if e > 0 and e % step_size == 0:
            current = [lr * gamma for lr in current]
        assert got[e] == current
        closed = [lr * gamma ** (e // step_size) for lr in lrs]
        np.testing.assert_allclose(got[e], closed, rtol=1e-14 * (1 + e))


@given(base_lrs, st.floats(0.05, 1.5), st.integers(1, 30))
def test_exponential_lr_is_pytorchs_recurrence_and_its_closed_form(
    lrs: list[float], gamma: float, epochs: int
) -> None:
    got = schedule(lr_scheduler.ExponentialLR(grouped(lrs), gamma), epochs)
    current = list(lrs)
    for e in range(epochs):
        if e > 0:
            current = [lr * gamma for lr in current]
        assert got[e] == current
        np.testing.assert_allclose(got[e], [lr * gamma**e for lr in lrs], rtol=1e-14 * (1 + e))


@given(
    base_lrs,
    st.lists(st.integers(0, 12), max_size=5),
    st.floats(0.05, 2.0),
    st.integers(1, 16),
)
def test_multi_step_lr_is_pytorchs_recurrence_and_its_closed_form(
    lrs: list[float], milestones: list[int], gamma: float, epochs: int
) -> None:
    got = schedule(lr_scheduler.MultiStepLR(grouped(lrs), milestones, gamma), epochs)
    current = list(lrs)
    for e in range(epochs):
        k = milestones.count(e)  # a repeated milestone decays k times at once
        if k:
            current = [lr * gamma**k for lr in current]
        assert got[e] == current
        passed = sum(m <= e for m in milestones)
        np.testing.assert_allclose(got[e], [lr * gamma**passed for lr in lrs], rtol=1e-14 * 13)


@given(base_lrs, st.integers(1, 8), st.sampled_from([0.0, 1e-4]), st.integers(1, 30))
def test_cosine_annealing_follows_the_half_cosine_and_rises_after_t_max(
    lrs: list[float], t_max: int, eta_min: float, epochs: int
) -> None:
    got = schedule(lr_scheduler.CosineAnnealingLR(grouped(lrs), t_max, eta_min), epochs)
    for e in range(epochs):
        closed = [eta_min + (lr - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2 for lr in lrs]
        np.testing.assert_allclose(got[e], closed, rtol=1e-12 * (1 + e), atol=1e-15 * max(lrs))


def test_cosine_annealing_checks_its_settings() -> None:
    with pytest.raises(ValueError, match="T_max must be >= 1"):
        lr_scheduler.CosineAnnealingLR(grouped([1.0]), T_max=0)
    with pytest.raises(ValueError, match="eta_min must be >= 0"):
        lr_scheduler.CosineAnnealingLR(grouped([1.0]), T_max=5, eta_min=-0.1)


def test_multi_step_lr_checks_its_milestones_and_shows_them() -> None:
    opt = grouped([1.0])
    sched = lr_scheduler.MultiStepLR(opt, (5, 2), gamma=0.5)
    assert repr(sched) == "MultiStepLR(milestones=[2, 5], gamma=0.5, last_epoch=0)"
    with pytest.raises(ValueError, match="milestone must be >= 0"):
        lr_scheduler.MultiStepLR(opt, [3, -1])
    with pytest.raises(TypeError, match="milestones must be a sequence of ints"):
        lr_scheduler.MultiStepLR(opt, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be an int"):
        lr_scheduler.MultiStepLR(opt, [2.5])


def test_lambda_lr_multiplies_the_base_lr_with_one_function_or_one_per_group() -> None:
    got = schedule(lr_scheduler.LambdaLR(grouped([0.5, 2.0]), lambda e: 1 / (e + 1)), 4)
    assert got == [[0.5 / (e + 1), 2.0 / (e + 1)] for e in range(4)]
    fns = [lambda e: 0.5**e, lambda e: e / 10]
    got = schedule(lr_scheduler.LambdaLR(grouped([0.5, 2.0]), fns), 4)
    assert got == [[0.5 * 0.5**e, 2.0 * (e / 10)] for e in range(4)]  # warm-up from lr 0
    with pytest.raises(ValueError, match="got 1 functions for 2 parameter groups"):
        lr_scheduler.LambdaLR(grouped([0.5, 2.0]), [lambda e: 1.0])
    with pytest.raises(TypeError, match="lr_lambda must be callable"):
        lr_scheduler.LambdaLR(grouped([0.5]), 0.5)  # type: ignore[arg-type]


@given(
    st.floats(1e-4, 1.0),
    st.floats(0.0, 5.0),
    st.one_of(st.just(1), st.integers(1, 1000)),
    st.integers(0, 5000),
)
def test_inverse_time_lr_equals_the_courses_decay_functions_bit_for_bit(
    lr0: float, k: float, interval: int, epoch: int
) -> None:
    opt = grouped([lr0])
    sched = lr_scheduler.InverseTimeLR(opt, decay_rate=k, time_interval=interval)
    sched.last_epoch = epoch - 1
    sched.step()
    if interval == 1:
        assert opt.lr == manual_optim.update_lr(lr0, epoch, k)
    assert opt.lr == manual_optim.schedule_lr_decay(lr0, epoch, k, interval)
    closed = lr0 / (1 + k * math.floor(epoch / interval))
    assert opt.lr == pytest.approx(closed, rel=1e-15)


def test_the_courses_training_loop_order_is_replayed_by_skipping_the_first_step() -> None:
    lr0, k, epochs = 0.1, 1.0, 6
    course, learning_rate = [], lr0
    for i in range(epochs):  # the course: train epoch i, then learning_rate = update_lr(lr0, i)
        course.append(learning_rate)
        learning_rate = manual_optim.update_lr(lr0, i, k)
    opt = grouped([lr0])
    sched = lr_scheduler.InverseTimeLR(opt, k)
    ours = []
    for i in range(epochs):
        ours.append(opt.lr)
        if i > 0:
            sched.step()
    assert ours == course == [0.1, 0.1, 0.1 / 2, 0.1 / 3, 0.1 / 4, 0.1 / 5]


def test_the_scheduled_lr_is_the_one_the_next_step_uses() -> None:
    w = Tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for expected in (1.0 - 1.0, 0.0 - 0.5, -0.5 - 0.25):
        w.grad = Tensor([1.0])
        opt.step()
        sched.step()
        assert w.data[0] == expected


@pytest.mark.parametrize(
    "make",
    [
        lambda opt: lr_scheduler.StepLR(opt, 3, 0.5),
        lambda opt: lr_scheduler.ExponentialLR(opt, 0.9),
        lambda opt: lr_scheduler.InverseTimeLR(opt, 0.5, time_interval=2),
        lambda opt: lr_scheduler.LambdaLR(opt, lambda e: 0.9**e),
        lambda opt: lr_scheduler.MultiStepLR(opt, [6, 2, 6], 0.5),
        lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=3, eta_min=0.01),
    ],
)
def test_state_dict_round_trip_through_a_file_resumes_the_schedule(
    make: Any, tmp_path: Any
) -> None:
    opt_a = grouped([0.5, 0.1])
    a = make(opt_a)
    for _ in range(4):
        a.step()
    save(a.state_dict(), tmp_path / "sched.npz")
    save(opt_a.state_dict(), tmp_path / "opt.npz")
    opt_b = grouped([1.0, 1.0])
    b = make(opt_b)
    b.load_state_dict(load(tmp_path / "sched.npz"))  # type: ignore[arg-type]
    opt_b.load_state_dict(load(tmp_path / "opt.npz"))  # type: ignore[arg-type]
    assert b.last_epoch == 4 and b.get_last_lr() == a.get_last_lr()
    assert b.base_lrs == [0.5, 0.1]
    for _ in range(5):
        a.step()
        b.step()
        assert a.get_last_lr() == b.get_last_lr()
        assert [g["lr"] for g in opt_a.param_groups] == [g["lr"] for g in opt_b.param_groups]


def test_a_bad_scheduler_state_is_reported_and_changes_nothing() -> None:
    sched = lr_scheduler.StepLR(grouped([0.5, 0.1]), 2, 0.5)
    sched.step()
    good = sched.state_dict()
    assert set(good) == {"step_size", "gamma", "last_epoch", "base_lrs", "last_lrs"}
    cases = [
        ({k: v for k, v in good.items() if k != "gamma"}, r"missing keys \['gamma'\]"),
        (dict(good, extra=1), r"unexpected keys \['extra'\]"),
        (dict(good, step_size=0), "step_size must be >= 1, got 0"),
        (dict(good, last_epoch=-1), "last_epoch must be >= 0"),
        (dict(good, base_lrs=np.ones(3)), r"base_lrs has shape \(3,\), the optimizer 2 groups"),
        (dict(good, last_lrs=np.array([np.nan, 1.0])), "last_lrs must be finite"),
    ]
    for bad, match in cases:
        with pytest.raises(ValueError, match=match):
            sched.load_state_dict(bad)
        assert sched.last_epoch == 1 and sched.step_size == 2 and sched.base_lrs == [0.5, 0.1]


def test_a_schedule_giving_a_bad_lr_raises_and_changes_nothing() -> None:
    opt = grouped([0.5])
    sched = lr_scheduler.LambdaLR(opt, lambda e: 1.0 if e < 2 else (-1.0 if e == 2 else math.nan))
    sched.step()
    for _ in range(2):
        with pytest.raises(ValueError, match="the lr of group 0 at epoch 2 must be >= 0, got -0.5"):
            sched.step()
        assert sched.last_epoch == 1 and opt.lr == 0.5
    with pytest.raises(TypeError, match=r"lr_lambda\(0\) must be a number"):
        lr_scheduler.LambdaLR(opt, lambda e: "1")  # type: ignore[arg-type,return-value]


def test_a_group_added_after_the_scheduler_is_refused_at_its_next_step() -> None:
    opt = grouped([0.5])
    sched = lr_scheduler.ExponentialLR(opt, 0.5)
    opt.add_param_group({"params": [Tensor([1.0], requires_grad=True)]})
    with pytest.raises(
        ValueError, match="has 2 parameter groups, but the scheduler was made for 1"
    ):
        sched.step()


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda o: lr_scheduler.StepLR(o, 0), ValueError, "step_size must be >= 1, got 0"),
        (lambda o: lr_scheduler.StepLR(o, 2.0), TypeError, "step_size must be an int"),
        (lambda o: lr_scheduler.StepLR(o, 2, gamma=0), ValueError, "gamma must be > 0"),
        (lambda o: lr_scheduler.ExponentialLR(o, -0.5), ValueError, "gamma must be > 0"),
        (lambda o: lr_scheduler.InverseTimeLR(o, -1.0), ValueError, "decay_rate must be >= 0"),
        (
            lambda o: lr_scheduler.InverseTimeLR(o, 1.0, time_interval=0),
            ValueError,
            "time_interval must be >= 1",
        ),
        (lambda o: lr_scheduler.StepLR([o], 2), TypeError, "expected an Optimizer, got list"),
    ],
)
def test_bad_scheduler_arguments_raise_clear_errors(
    make: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        make(grouped([0.5]))


def test_repr() -> None:
    sched = lr_scheduler.InverseTimeLR(grouped([0.5]), 0.5, 10)
    assert repr(sched) == "InverseTimeLR(decay_rate=0.5, time_interval=10, last_epoch=0)"


def test_a_schedule_made_later_starts_from_the_first_schedules_base_lr() -> None:
    # PyTorch's initial_lr: the lr when the first scheduler was made is every schedule's base.
    w = Tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    first = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        opt.step()
        first.step()
    assert opt.lr == 0.125
    second = lr_scheduler.LambdaLR(opt, lambda epoch: 0.1)
    assert second.base_lrs == [1.0] and opt.lr == 0.1


def test_other_settings_can_change_after_a_schedule_reaches_lr_zero() -> None:
    w = Tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    sched = lr_scheduler.LambdaLR(opt, lambda epoch: 0.0 if epoch else 1.0)
    sched.step()
    assert opt.lr == 0.0
    opt.param_groups[0]["weight_decay"] = 0.1  # was refused: "lr must be > 0"
    assert opt.param_groups[0]["weight_decay"] == 0.1 and opt.lr == 0.0
    with pytest.raises(ValueError, match="lr"):
        opt.param_groups[0]["lr"] = 0.0  # set by hand, 0 is still refused (see SGD)
