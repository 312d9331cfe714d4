"""Every LR scheduler against PyTorch: lrs and momentums of two parameter groups, last_epoch
resumes, the step-order warning, ReduceLROnPlateau's modes and the refused settings."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from tinygrad_lite import Tensor, optim  # noqa: E402
from tinygrad_lite.optim import lr_scheduler as L  # noqa: E402

TL = torch.optim.lr_scheduler
pytestmark = pytest.mark.filterwarnings("ignore:.*step.*:UserWarning")


@pytest.fixture(autouse=True, scope="module")
def float64_default() -> Iterator[None]:
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(default)


def pair(name: str = "SGD", **kw: Any) -> tuple[Any, Any]:
    """Both libraries' optimizers over two groups with their own lrs."""
    kw = {"momentum": 0.9, **kw} if name == "SGD" else kw
    spec = [{"lr": 0.1}, {"lr": 0.05}]
    ours = [dict(s, params=[Tensor([1.0], requires_grad=True)]) for s in spec]
    theirs = [dict(s, params=[torch.tensor([1.0], requires_grad=True)]) for s in spec]
    return getattr(optim, name)(ours, **kw), getattr(torch.optim, name)(theirs, **kw)


def read(opt: Any, key: str) -> list[Any]:
    return [tuple(g[key]) if key == "betas" else g[key] for g in opt.param_groups]


Make = Callable[[Any, Any], Any]
# (name covered, maker, optimizer, epochs)
SCHEDULES: list[tuple[str, Make, str, int]] = [
    ("StepLR", lambda M, o: M.StepLR(o, 3, gamma=0.5), "SGD", 12),
    ("MultiStepLR", lambda M, o: M.MultiStepLR(o, [5, 2, 2, 9], 0.3), "SGD", 12),
    ("ExponentialLR", lambda M, o: M.ExponentialLR(o, 0.8), "Adam", 12),
    ("CosineAnnealingLR", lambda M, o: M.CosineAnnealingLR(o, 4, 0.01), "SGD", 20),
    ("LambdaLR", lambda M, o: M.LambdaLR(o, [lambda e: 0.9**e, lambda e: 1 / (e + 1)]), "SGD", 8),
    ("MultiplicativeLR", lambda M, o: M.MultiplicativeLR(o, lambda e: 0.95), "SGD", 8),
    ("LinearLR", lambda M, o: M.LinearLR(o, 0.25, 0.75, total_iters=6), "SGD", 10),
    ("ConstantLR", lambda M, o: M.ConstantLR(o, 0.5, total_iters=3), "SGD", 6),
    ("PolynomialLR", lambda M, o: M.PolynomialLR(o, 6, power=1.5), "SGD", 9),
    ("OneCycleLR", lambda M, o: M.OneCycleLR(o, [0.5, 0.2], total_steps=12), "SGD", 12),
    (
        "OneCycleLR",
        lambda M, o: M.OneCycleLR(
            o,
            0.4,
            epochs=3,
            steps_per_epoch=4,
            anneal_strategy="linear",
            three_phase=True,
            div_factor=5.0,
            final_div_factor=50.0,
        ),
        "Adam",
        12,
    ),
    ("CyclicLR", lambda M, o: M.CyclicLR(o, 0.01, [0.1, 0.2], 3, 2), "SGD", 14),
    (
        "CyclicLR",
        lambda M, o: M.CyclicLR(o, 0.01, 0.1, 2, mode="triangular2", base_momentum=0.7),
        "Adam",
        14,
    ),
    (
        "CyclicLR",
        lambda M, o: M.CyclicLR(o, 0.01, 0.1, 3, mode="exp_range", gamma=0.9),
        "SGD",
        12,
    ),
    (
        "CyclicLR",
        lambda M, o: M.CyclicLR(
            o, 0.01, 0.1, 2, scale_fn=lambda x: 0.8**x, scale_mode="iterations"
        ),
        "RMSprop",
        12,
    ),
    ("CosineAnnealingWarmRestarts", lambda M, o: M.CosineAnnealingWarmRestarts(o, 3, 2), "SGD", 20),
    (
        "SequentialLR",
        lambda M, o: M.SequentialLR(o, [M.LinearLR(o, 0.5, total_iters=2), M.StepLR(o, 2)], [3]),
        "SGD",
        10,
    ),
    (
        "ChainedScheduler",
        lambda M, o: M.ChainedScheduler([M.ConstantLR(o, 0.5, 3), M.ExponentialLR(o, 0.9)]),
        "Adam",
        8,
    ),
]


@pytest.mark.parametrize(
    "make, name, epochs", [s[1:] for s in SCHEDULES], ids=[s[0] for s in SCHEDULES]
)
def test_lrs_and_momentums_are_pytorchs_exactly(make: Make, name: str, epochs: int) -> None:
    o, t = pair(name)
    so, st = make(L, o), make(TL, t)
    key = "betas" if name == "Adam" else "momentum"
    for e in range(epochs):
        assert read(o, "lr") == read(t, "lr") == so.get_last_lr() == st.get_last_lr(), e
        assert read(o, key) == read(t, key), e
        o.step()
        t.step()
        if e < epochs - 1:  # OneCycleLR's lr after its last batch: PyTorch's may be < 0
            so.step()
            st.step()


def test_every_scheduler_has_a_case() -> None:
    names = {n for n in L.__all__ if isinstance(getattr(L, n), type)}
    # LRScheduler is the base of every case; InverseTimeLR (no PyTorch counterpart) is the
    # course's formula, checked here against it.
    tested = {s[0] for s in SCHEDULES} | {"LRScheduler", "ReduceLROnPlateau", "InverseTimeLR"}
    assert names <= tested, f"no case for {sorted(names - tested)}"
    o, _ = pair()
    s = L.InverseTimeLR(o, 0.5, time_interval=2)
    for e in range(6):
        assert s.get_last_lr() == [0.1 / (1 + 0.5 * (e // 2)), 0.05 / (1 + 0.5 * (e // 2))]
        o.step()
        s.step()


RESUMED: list[tuple[str, Make]] = [
    ("StepLR", lambda M, o, e: M.StepLR(o, 2, 0.5, last_epoch=e)),
    ("MultiStepLR", lambda M, o, e: M.MultiStepLR(o, [4, 6], 0.5, last_epoch=e)),
    ("ExponentialLR", lambda M, o, e: M.ExponentialLR(o, 0.9, last_epoch=e)),
    ("CosineAnnealingLR", lambda M, o, e: M.CosineAnnealingLR(o, 5, 0.01, last_epoch=e)),
    ("LambdaLR", lambda M, o, e: M.LambdaLR(o, lambda k: 0.9**k, last_epoch=e)),
    ("MultiplicativeLR", lambda M, o, e: M.MultiplicativeLR(o, lambda k: 0.9, last_epoch=e)),
    ("LinearLR", lambda M, o, e: M.LinearLR(o, 0.5, 1.0, 6, last_epoch=e)),
    ("ConstantLR", lambda M, o, e: M.ConstantLR(o, 0.5, 5, last_epoch=e)),
    ("PolynomialLR", lambda M, o, e: M.PolynomialLR(o, 8, 2.0, last_epoch=e)),
    ("WarmRestarts", lambda M, o, e: M.CosineAnnealingWarmRestarts(o, 2, 2, last_epoch=e)),
    ("CyclicLR", lambda M, o, e: M.CyclicLR(o, 0.01, 0.2, 3, last_epoch=e)),
    ("OneCycleLR", lambda M, o, e: M.OneCycleLR(o, 0.3, total_steps=12, last_epoch=e)),
]


@pytest.mark.parametrize("make", [r[1] for r in RESUMED], ids=[r[0] for r in RESUMED])
def test_a_schedule_resumed_with_last_epoch_is_pytorchs(make: Callable[..., Any]) -> None:
    o, t = pair()
    make(L, o, -1), make(TL, t, -1)
    for _ in range(3):
        o.step()
        t.step()
    so, st = make(L, o, 3), make(TL, t, 3)
    assert so.last_epoch == st.last_epoch == 4
    for e in range(6):
        assert read(o, "lr") == read(t, "lr") == so.get_last_lr(), e
        assert read(o, "momentum") == read(t, "momentum"), e
        o.step()
        t.step()
        so.step()
        st.step()


def test_last_epoch_without_initial_lr_is_refused_by_both() -> None:
    o, t = pair()
    with pytest.raises(KeyError, match="initial_lr"):
        TL.StepLR(t, 2, last_epoch=3)
    with pytest.raises(ValueError, match=r"last_epoch=3 resumes.*param groups \[0, 1\]"):
        L.StepLR(o, 2, last_epoch=3)
    with pytest.raises(ValueError, match="last_epoch must be >= -1, got -2"):
        L.StepLR(o, 2, last_epoch=-2)
    with pytest.raises(ValueError, match="last_epoch=2 is not supported"):
        L.SequentialLR(o, [L.StepLR(o, 2), L.StepLR(o, 3)], [2], last_epoch=2)


def test_stepping_the_schedule_before_the_optimizer_warns_as_pytorch_does() -> None:
    for lib, sched in ((optim, L), (torch.optim, TL)):
        p = Tensor([1.0], requires_grad=True) if lib is optim else torch.ones(1, requires_grad=True)
        opt = lib.SGD([p], lr=0.1)
        s = sched.StepLR(opt, 2)
        with pytest.warns(UserWarning, match=r"before .*optimizer.*step\(\)"):
            s.step()
        opt2 = lib.SGD([p], lr=0.1)
        s2 = sched.StepLR(opt2, 2)
        opt2.step()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            s2.step()
            s2.step()


PLATEAUS = [
    {},
    {"mode": "max", "patience": 2},
    {"threshold_mode": "abs", "threshold": 0.1, "patience": 1},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.05, "cooldown": 2, "patience": 1},
    {"patience": 0, "factor": 0.5, "min_lr": [0.01, 0.02]},
    {"patience": 1, "factor": 0.5, "eps": 0.02},
]
METRICS = [1, 1, 0.99999, 1.2, 0.5, 0.5, 0.5, 0.6, 0.4, 0.4, 0.4, 0.39, 2, 2, 2, 2, 2, 2]


@pytest.mark.parametrize("kw", PLATEAUS, ids=str)
def test_reduce_lr_on_plateau_is_pytorchs(kw: dict[str, Any]) -> None:
    o, t = pair()
    so, st = L.ReduceLROnPlateau(o, **kw), TL.ReduceLROnPlateau(t, **kw)
    for k, m in enumerate(METRICS):
        so.step(m)
        st.step(m)
        assert read(o, "lr") == read(t, "lr") == so.get_last_lr() == st.get_last_lr(), k
        assert (so.num_bad_epochs, so.cooldown_counter) == (st.num_bad_epochs, st.cooldown_counter)
        assert so.best == st.best


def test_warm_restarts_with_an_epoch_argument_are_pytorchs() -> None:
    o, t = pair()
    so, st = (
        L.CosineAnnealingWarmRestarts(o, 2, 3, 0.001),
        TL.CosineAnnealingWarmRestarts(t, 2, 3, 0.001),
    )
    for epoch in [0.5, 1.0, 2.0, 7.5, 8.0, 3, 26.0, 30.25]:
        so.step(epoch)
        st.step(epoch)
        assert read(o, "lr") == read(t, "lr") and (so.T_i, so.T_cur) == (st.T_i, st.T_cur)
        so.step()
        st.step()
        assert read(o, "lr") == read(t, "lr") and so.last_epoch == st.last_epoch


def test_a_scheduler_state_dict_resumes_the_same_lrs() -> None:
    o, t = pair()
    so, st = L.CosineAnnealingLR(o, 5), TL.CosineAnnealingLR(t, 5)
    for _ in range(3):
        so.step()
        st.step()
    sd = so.state_dict()
    assert sd["last_epoch"] == st.state_dict()["last_epoch"] == 3
    assert sd["base_lrs"].tolist() == st.state_dict()["base_lrs"]
    o2, _ = pair()
    o2.load_state_dict(o.state_dict())
    s2 = L.CosineAnnealingLR(o2, 5)
    s2.load_state_dict(sd)
    for _ in range(4):
        so.step()
        st.step()
        s2.step()
        assert s2.get_last_lr() == so.get_last_lr() == st.get_last_lr()


REFUSED: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("CyclicLR mode", lambda M, o: M.CyclicLR(o, 0.01, 0.1, mode="sawtooth")),
    ("OneCycleLR no length", lambda M, o: M.OneCycleLR(o, 0.1)),
    ("OneCycleLR anneal", lambda M, o: M.OneCycleLR(o, 0.1, 10, anneal_strategy="cubic")),
    ("OneCycleLR pct", lambda M, o: M.OneCycleLR(o, 0.1, 10, pct_start=1.5)),
    ("Plateau mode", lambda M, o: M.ReduceLROnPlateau(o, mode="up")),
    ("Plateau factor", lambda M, o: M.ReduceLROnPlateau(o, factor=1.0)),
    ("Plateau threshold", lambda M, o: M.ReduceLROnPlateau(o, threshold_mode="ratio")),
    ("Plateau min_lr", lambda M, o: M.ReduceLROnPlateau(o, min_lr=[0.1])),
    ("LinearLR start", lambda M, o: M.LinearLR(o, start_factor=1.5)),
    ("ConstantLR factor", lambda M, o: M.ConstantLR(o, factor=1.5)),
    ("LambdaLR count", lambda M, o: M.LambdaLR(o, [lambda e: 1.0])),
    ("SequentialLR count", lambda M, o: M.SequentialLR(o, [M.StepLR(o, 2)], [1])),
]


@pytest.mark.parametrize("make", [r[1] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_invalid_settings_are_refused_by_both(make: Callable[[Any, Any], Any]) -> None:
    o, t = pair()
    with pytest.raises((ValueError, TypeError)):
        make(TL, t)
    with pytest.raises((ValueError, TypeError), match=r"must|give|got|need|values for"):
        make(L, o)
