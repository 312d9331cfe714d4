"""Adamax, NAdam, RAdam, Adadelta, Rprop, ASGD, LBFGS and the newer LR schedulers against PyTorch.

Parameter trajectories over many steps (with parameter groups and a schedule changing the lr
between steps) agree to 1e-12; the schedules' lrs (and cycled momentums) are PyTorch's
exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tinygrad_lite import Tensor, optim  # noqa: E402
from tinygrad_lite.optim import lr_scheduler as L  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's notes on step order

TL = torch.optim.lr_scheduler
RNG = np.random.default_rng(7)
SHAPES = [(3, 4), (4,), (2, 3)]
VALUES = [RNG.standard_normal(s) for s in SHAPES]
X = RNG.standard_normal((5, 3))


@pytest.fixture(autouse=True)
def float64_scalars() -> Iterator[None]:
    """PyTorch keeps step counts, NAdam's μ product and ASGD's η, μ in the default dtype."""
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(default)


def loss_of(lib: Any, ps: list[Any], x: Any) -> Any:
    h = (x @ ps[0] + ps[1]).tanh()
    return (h**2).sum() + (ps[2] * ps[2]).sum() * 0.1 + (h[:, :3] * ps[2][0]).sum()


def trajectories(
    name: str, spec: list[dict[str, Any]], defaults: dict[str, Any], steps: int, made: list[Any]
) -> Iterator[tuple[int, list[np.ndarray], list[np.ndarray]]]:
    """Train both with parameter groups (indices in spec's "params") and an ExponentialLR.

    The two optimizers are appended to `made`.
    """
    ours = [Tensor(v.copy(), requires_grad=True) for v in VALUES]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in VALUES]

    def groups(ps: list[Any]) -> list[dict[str, Any]]:
        return [dict(s, params=[ps[i] for i in s["params"]]) for s in spec]

    o = getattr(optim, name)(groups(ours), **defaults)
    t = getattr(torch.optim, name)(groups(theirs), **defaults)
    made += [o, t]
    so, st = L.ExponentialLR(o, 0.95), TL.ExponentialLR(t, 0.95)
    for k in range(steps):
        o.zero_grad()
        loss_of(None, ours, Tensor(X)).backward()
        o.step()
        t.zero_grad()
        loss_of(None, theirs, torch.from_numpy(X)).backward()
        t.step()
        so.step()
        st.step()
        yield k, [p.data for p in ours], [p.detach().numpy() for p in theirs]


CASES: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = [
    (
        "Adamax",
        [
            {"params": [0], "betas": (0.5, 0.9), "maximize": True},
            {"params": [1, 2], "weight_decay": 0.1},
        ],
        {"lr": 0.02},
    ),
    (
        "NAdam",
        [
            {"params": [0], "momentum_decay": 0.02, "weight_decay": 0.1},
            {"params": [1, 2], "weight_decay": 0.05, "decoupled_weight_decay": True, "lr": 0.05},
        ],
        {"lr": 0.01},
    ),
    (
        "RAdam",
        [
            {"params": [0], "betas": (0.8, 0.95), "maximize": True},
            {"params": [1, 2], "weight_decay": 0.1, "decoupled_weight_decay": True},
        ],
        {"lr": 0.01},
    ),
    (
        "Adadelta",
        [{"params": [0], "rho": 0.5, "maximize": True}, {"params": [1, 2], "weight_decay": 0.1}],
        {"lr": 0.5},
    ),
    (
        "Rprop",
        [
            {"params": [0], "etas": (0.3, 1.5), "maximize": True},
            {"params": [1, 2], "step_sizes": (1e-3, 0.1)},
        ],
        {"lr": 0.05},
    ),
    (
        "ASGD",
        [
            {"params": [0], "t0": 3, "maximize": True},
            {"params": [1, 2], "weight_decay": 0.1, "alpha": 0.5},
        ],
        {"lr": 0.02, "lambd": 0.01},
    ),
]

STATE = {"NAdam": ["mu_product"], "ASGD": ["eta", "mu", "ax"], "Rprop": ["step_size", "prev"]}
STATE.update({"Adamax": ["exp_inf"], "RAdam": ["exp_avg_sq"], "Adadelta": ["acc_delta"]})


@pytest.mark.parametrize("name, spec, defaults", CASES, ids=[c[0] for c in CASES])
def test_trajectories_are_pytorchs(
    name: str, spec: list[dict[str, Any]], defaults: dict[str, Any]
) -> None:
    made: list[Any] = []
    for k, mine, theirs in trajectories(name, spec, defaults, 15, made):
        for a, b in zip(mine, theirs, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13, err_msg=f"step {k}")
    o, t = made
    params = [p for g in t.param_groups for p in g["params"]]
    for i, p in enumerate(params):
        assert o.state[i]["step"] == int(t.state[p]["step"])
        for key in STATE[name]:
            want = t.state[p][key]
            want = want.item() if want.ndim == 0 else want.detach().numpy()
            np.testing.assert_allclose(o.state[i][key], want, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"line_search_fn": "strong_wolfe"},
        {"lr": 0.5, "history_size": 2, "max_iter": 7},
        {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 9, "max_eval": 12},
    ],
    ids=str,
)
def test_lbfgs_steps_are_pytorchs(options: dict[str, Any]) -> None:
    ours = [Tensor(v.copy(), requires_grad=True) for v in VALUES]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in VALUES]
    o, t = optim.LBFGS(ours, **options), torch.optim.LBFGS(theirs, **options)

    def convex(ps: list[Any], x: Any) -> Any:
        fit = ((x @ ps[0] + ps[1] - 0.5) ** 2).sum() + 0.1 * (ps[0] ** 4).sum()
        return fit + ((ps[2] - 0.3) ** 2).sum() + 0.05 * (ps[2] ** 4).sum()

    def closure() -> Tensor:
        o.zero_grad()
        loss = convex(ours, Tensor(X))
        loss.backward()
        return loss

    def torch_closure() -> Any:
        t.zero_grad()
        loss = convex(theirs, torch.from_numpy(X))
        loss.backward()
        return loss

    for _ in range(3):
        assert o.step(closure).item() == pytest.approx(t.step(torch_closure).item(), rel=1e-12)
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-13)
        mine, want = o.state[0], t.state[theirs[0]]
        assert (mine["func_evals"], mine["n_iter"]) == (want["func_evals"], want["n_iter"])
        assert len(mine["old_dirs"]) == len(want["old_dirs"])


# ---------------------------------------------------------------------- schedules


def pair(name: str = "SGD", lrs: tuple[float, ...] = (0.1, 0.05), **kw: Any) -> tuple[Any, Any]:
    ours = [{"params": [Tensor([1.0], requires_grad=True)], "lr": lr} for lr in lrs]
    theirs = [{"params": [torch.tensor([1.0], requires_grad=True)], "lr": lr} for lr in lrs]
    return getattr(optim, name)(ours, **kw), getattr(torch.optim, name)(theirs, **kw)


def values(opt: Any, key: str) -> list[Any]:
    return [tuple(g[key]) if key == "betas" else g[key] for g in opt.param_groups]


SCHEDULES: list[tuple[Callable[[Any, Any], Any], int, dict[str, Any]]] = [
    (lambda M, o: M.LinearLR(o, start_factor=0.25, end_factor=0.8, total_iters=7), 12, {}),
    (lambda M, o: M.LinearLR(o, 0.5, 0.0, 4), 8, {}),
    (lambda M, o: M.ConstantLR(o, factor=0.3, total_iters=4), 8, {}),
    (lambda M, o: M.ConstantLR(o, factor=0.3, total_iters=0), 3, {}),
    (lambda M, o: M.MultiplicativeLR(o, [lambda e: 0.9, lambda e: 1 + 0.1 * e]), 8, {}),
    (lambda M, o: M.PolynomialLR(o, total_iters=9, power=2.5), 12, {}),
    (
        lambda M, o: M.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=4, step_size_down=3),
        30,
        {"momentum": 0.5},
    ),
    (
        lambda M, o: M.CyclicLR(o, [0.01, 0.02], 0.3, 3, mode="triangular2", cycle_momentum=False),
        30,
        {},
    ),
    (
        lambda M, o: M.CyclicLR(
            o, 0.01, 0.1, 5, mode="exp_range", gamma=0.97, base_momentum=[0.7, 0.8]
        ),
        30,
        {"name": "Adam"},
    ),
    (
        lambda M, o: M.CyclicLR(
            o,
            0.01,
            0.1,
            2.5,
            1,
            scale_fn=lambda x: 0.9**x,
            scale_mode="iterations",
            cycle_momentum=False,
        ),
        20,
        {},
    ),
    (lambda M, o: M.OneCycleLR(o, 0.5, total_steps=30), 31, {"momentum": 0.9}),
    (
        lambda M, o: M.OneCycleLR(
            o,
            [0.5, 1.0],
            epochs=4,
            steps_per_epoch=9,
            anneal_strategy="linear",
            three_phase=True,
            pct_start=0.25,
        ),
        36,
        {"name": "NAdam"},
    ),
    (
        lambda M, o: M.OneCycleLR(
            o, 0.5, total_steps=20, cycle_momentum=False, div_factor=10.0, final_div_factor=100.0
        ),
        21,
        {},
    ),
    (lambda M, o: M.CosineAnnealingWarmRestarts(o, 5), 30, {}),
    (lambda M, o: M.CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.001), 30, {}),
    (
        lambda M, o: M.SequentialLR(
            o, [M.LinearLR(o, 0.1, total_iters=5), M.ExponentialLR(o, 0.9)], [5]
        ),
        12,
        {},
    ),
    (
        lambda M, o: M.SequentialLR(
            o,
            [
                M.ConstantLR(o, 0.5, 3),
                M.CosineAnnealingLR(o, 6, 0.01),
                M.StepLR(o, 3, 0.5),
                M.MultiStepLR(o, [0, 2, 4], 0.5),
            ],
            [4, 9, 15],
        ),
        22,
        {},
    ),
    (
        lambda M, o: M.SequentialLR(
            o,
            [
                M.MultiplicativeLR(o, lambda e: 0.9),
                M.LambdaLR(o, lambda e: 1 / (e + 1)),
                M.PolynomialLR(o, 6, 2.0),
                M.LinearLR(o, 0.5, 0.1, 4),
                M.ConstantLR(o, 0.2, 2),
            ],
            [3, 7, 12, 14],
        ),
        20,
        {},
    ),
    (
        lambda M, o: M.SequentialLR(
            o,
            [
                M.CosineAnnealingWarmRestarts(o, 3),
                M.CyclicLR(o, 0.01, 0.2, 3, cycle_momentum=False),
                M.CosineAnnealingWarmRestarts(o, 2, 2),
            ],
            [5, 11],
        ),
        20,
        {},
    ),
    (
        lambda M, o: M.SequentialLR(o, [M.ConstantLR(o, 0.5, 3), M.ExponentialLR(o, 0.8)], [0]),
        6,
        {},
    ),
    (lambda M, o: M.ChainedScheduler([M.ConstantLR(o, 0.1, 5), M.ExponentialLR(o, 0.9)]), 10, {}),
    (
        lambda M, o: M.ChainedScheduler(
            [
                M.LinearLR(o, 0.2, total_iters=4),
                M.CosineAnnealingLR(o, 10),
                M.PolynomialLR(o, 12, 0.5),
            ],
            optimizer=o,
        ),
        14,
        {},
    ),
]


@pytest.mark.parametrize("make, epochs, options", SCHEDULES)
def test_schedules_are_pytorchs_exactly(
    make: Callable[[Any, Any], Any], epochs: int, options: dict[str, Any]
) -> None:
    o, t = pair(**options)
    so, st = make(L, o), make(TL, t)
    key = "betas" if "betas" in o.group_keys else "momentum"
    for e in range(epochs):
        assert values(o, "lr") == values(t, "lr") == so.get_last_lr(), f"epoch {e}"
        assert values(o, key) == values(t, key), f"epoch {e}"
        assert st.get_last_lr() == so.get_last_lr()
        if e < epochs - 1:
            so.step()
            st.step()


def test_warm_restarts_at_fractional_epochs_are_pytorchs() -> None:
    o, t = pair()
    so = L.CosineAnnealingWarmRestarts(o, 4, 2, 0.001)
    st = TL.CosineAnnealingWarmRestarts(t, 4, 2, 0.001)
    for epoch in [0.25, 0.5, 1.75, 3.9, 4.0, 5.5, 11.99, 12.0, 30.3, 2, 7, 28.0]:
        for args in ((epoch,), ()):
            so.step(*args)
            st.step(*args)
            assert values(o, "lr") == values(t, "lr")
            assert (so.last_epoch, so.T_i, so.T_cur) == (st.last_epoch, st.T_i, st.T_cur)
