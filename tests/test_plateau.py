"""ReduceLROnPlateau: PyTorch's rules for cutting the lr when a metric stops improving."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, optim
from tinygrad_lite.optim.lr_scheduler import ReduceLROnPlateau

METRIC = [1.0, 0.9, 0.9, 0.9, 0.95, 0.9, 0.89999, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.4, 0.41]
METRIC += [0.42, 0.43, 0.44, 0.45, 0.46, 0.47]


def lrs(make: Any, metric: list[float], groups: int = 1) -> list[list[float]]:
    ws = [Tensor(np.zeros(2), requires_grad=True) for _ in range(groups)]
    opt = optim.SGD([{"params": [w], "lr": 1.0 + g} for g, w in enumerate(ws)], lr=1.0)
    sched = make(opt)
    out = []
    for m in metric:
        sched.step(m)
        out.append(sched.get_last_lr())
    return out


def test_the_lr_is_cut_after_patience_bad_epochs_then_cooldown() -> None:
    got = [g[0] for g in lrs(lambda o: ReduceLROnPlateau(o, patience=2, cooldown=1), METRIC)]
    # best 0.9 at epoch 2; bad: 0.9, 0.9, 0.95 (3 > 2) -> cut at epoch 5; cooldown 1; ...
    assert got[:4] == [1.0] * 4 and got[4] == pytest.approx(0.1)
    assert min(got) >= 0.0 and got == sorted(got, reverse=True)


def test_mode_max_absolute_threshold_and_min_lr() -> None:
    rising = [0.1, 0.2, 0.25, 0.2501, 0.2502, 0.2503, 0.2504]
    got = lrs(
        lambda o: ReduceLROnPlateau(
            o, mode="max", factor=0.5, patience=1, threshold=0.01, threshold_mode="abs",
            min_lr=[0.6, 0.0],
        ),
        rising,
        groups=2,
    )  # fmt: skip
    # improvements need +0.01: epochs 4 and 5 are bad -> cut at epoch 5, again at 7
    assert got[4] == [0.6, 1.0] and got[6] == [0.6, 0.5]


def test_state_dict_resumes_the_schedule() -> None:
    whole = lrs(lambda o: ReduceLROnPlateau(o, patience=1), METRIC)
    w = Tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    first = ReduceLROnPlateau(opt, patience=1)
    for m in METRIC[:6]:
        first.step(m)
    second = ReduceLROnPlateau(opt, patience=1)
    second.load_state_dict(first.state_dict())
    rest = []
    for m in METRIC[6:]:
        second.step(m)
        rest.append(second.get_last_lr())
    assert rest == whole[6:]


def test_a_fresh_scheduler_resumes_with_the_saved_settings_and_last_lrs(tmp_path: Any) -> None:
    """The state dict carries the settings and get_last_lr(), through save and load too."""
    w = Tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    first = ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=0, cooldown=1, min_lr=0.2)
    for m in (3.0, 2.0, 1.0, 0.5):
        first.step(m)
    assert first.get_last_lr() == [0.25]
    tg.save(first.state_dict(), tmp_path / "sched.tgl")
    for saved in (first.state_dict(), tg.load(tmp_path / "sched.tgl")):
        opt2 = optim.SGD([Tensor(np.zeros(2), requires_grad=True)], lr=1.0)
        opt2.load_state_dict(opt.state_dict())
        second = ReduceLROnPlateau(opt2)  # default settings, replaced by the saved ones
        second.load_state_dict(saved)
        assert second.get_last_lr() == [0.25]
        assert (second.mode, second.factor, second.patience, second.cooldown) == ("max", 0.5, 0, 1)
        assert second.min_lrs == [0.2]
        second.step(0.4)  # the saved cooldown: not counted
        second.step(0.3)  # a bad epoch: cut with the saved factor, down to the saved floor
        assert second.get_last_lr() == [0.2]
    # the counters-only form keeps the scheduler's settings and reads the optimizer's lrs
    third = ReduceLROnPlateau(opt)
    third.load_state_dict({k: first.state_dict()[k] for k in ReduceLROnPlateau._STATE})
    assert third.get_last_lr() == [float(opt.param_groups[0]["lr"])] and third.mode == "min"


def test_a_state_dict_with_bad_settings_changes_nothing() -> None:
    opt = optim.SGD([Tensor(np.zeros(2), requires_grad=True)], lr=1.0)
    sched = ReduceLROnPlateau(opt)
    good = sched.state_dict()
    for key, value, message in [
        ("factor", 1.5, "factor must be < 1"),
        ("mode", "max", "mode must be a flag"),
        ("last_lrs", np.array([1.0, 2.0]), "last_lrs must hold 1 finite lrs"),
        ("min_lrs", np.array([0.1, 0.2]), "2 min_lr values for 1 parameter groups"),
    ]:
        with pytest.raises(ValueError, match=message):
            sched.load_state_dict({**good, "best": 0.5, key: value})
        assert sched.best == float("inf") and sched.factor == 0.1 and sched.mode == "min"
    partial = {k: v for k, v in good.items() if k != "eps"}
    with pytest.raises(ValueError, match=r"missing keys \['eps'\]"):
        sched.load_state_dict(partial)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"patience": 2, "cooldown": 1},
        {"mode": "max", "factor": 0.5, "patience": 0},
        {"threshold": 0.1, "threshold_mode": "abs", "patience": 1, "min_lr": 0.05},
        {"factor": 0.3, "patience": 1, "eps": 0.05},
    ],
    ids=str,
)
def test_the_same_lrs_as_pytorch(options: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    ours = lrs(lambda o: ReduceLROnPlateau(o, **options), METRIC * 3)
    w = torch.zeros(2, requires_grad=True)
    opt = torch.optim.SGD([w], lr=1.0)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **options)
    theirs = []
    for m in METRIC * 3:
        sched.step(m)
        theirs.append(sched.get_last_lr())
    assert ours == theirs


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda o: ReduceLROnPlateau(o, mode="lowest"), ValueError, "mode must be 'min'"),
        (lambda o: ReduceLROnPlateau(o, factor=1.0), ValueError, "factor must be < 1"),
        (lambda o: ReduceLROnPlateau(o, patience=-1), ValueError, "patience must be >= 0"),
        (lambda o: ReduceLROnPlateau(o, patience=1.5), TypeError, "patience must be an int"),
        (lambda o: ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold_mode"),
        (lambda o: ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError, "2 min_lr values"),
        (lambda o: ReduceLROnPlateau(o).step(float("nan")), ValueError, "must be finite"),
        (lambda o: ReduceLROnPlateau(object()), TypeError, "expected an Optimizer"),  # type: ignore[arg-type]
        (lambda o: ReduceLROnPlateau(o).load_state_dict({}), ValueError, "missing keys"),
    ],
)
def test_refusals(make: Any, error: type[Exception], match: str) -> None:
    opt = optim.SGD([Tensor(np.zeros(2), requires_grad=True)], lr=1.0)
    with pytest.raises(error, match=match):
        make(opt)


def test_a_one_element_tensor_metric_is_read() -> None:
    got = lrs(lambda o: ReduceLROnPlateau(o, patience=0), [1.0, 2.0])
    w = Tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    sched = ReduceLROnPlateau(opt, patience=0)
    for m in (Tensor(1.0), Tensor(np.array([2.0]))):
        sched.step(m)
    assert sched.get_last_lr() == got[-1] == [0.1]
