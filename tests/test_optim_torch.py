"""Optional cross-checks against PyTorch (skipped when it is not installed): optimizers with
parameter groups, LR schedulers, clip_grad_norm_, and nn.init's gains and fans."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor, optim
from tinygrad_lite.nn import init, utils
from tinygrad_lite.optim import lr_scheduler

torch = pytest.importorskip("torch")

SHAPES = [(3, 2), (3, 1), (1, 3)]


def both(rng: np.random.Generator) -> tuple[list[Tensor], list[Any]]:
    values = [rng.standard_normal(s) for s in SHAPES]
    ours = [Tensor(v.copy(), requires_grad=True) for v in values]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    return ours, theirs


def groups(params: list[Any], spec: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(s, params=[params[i] for i in s["params"]]) for s in spec]


@pytest.mark.parametrize(
    ("ours_cls", "theirs_name", "spec", "defaults"),
    [
        (
            optim.SGD,
            "SGD",
            [{"params": [0], "lr": 0.05, "weight_decay": 0.1}, {"params": [1, 2]}],
            {"lr": 0.1, "momentum": 0.9, "dampening": 0.3},
        ),
        (
            optim.SGD,
            "SGD",
            [{"params": [0, 1], "momentum": 0.5}, {"params": [2], "nesterov": False}],
            {"lr": 0.1, "momentum": 0.9, "nesterov": True},
        ),
        (
            optim.Adam,
            "Adam",
            [{"params": [0], "betas": (0.5, 0.9)}, {"params": [1, 2], "weight_decay": 0.01}],
            {"lr": 0.01, "eps": 1e-6},
        ),
        (
            optim.AdamW,
            "AdamW",
            [{"params": [0], "betas": (0.5, 0.9)}, {"params": [1, 2], "weight_decay": 0.3}],
            {"lr": 0.01, "eps": 1e-6},
        ),
    ],
)
def test_grouped_optimizers_match_pytorch(
    ours_cls: Any, theirs_name: str, spec: Any, defaults: Any
) -> None:
    rng = np.random.default_rng(0)
    ours, theirs = both(rng)
    opt = ours_cls(groups(ours, spec), **defaults)
    ref = getattr(torch.optim, theirs_name)(groups(theirs, spec), **defaults)
    for step in range(8):
        for i, (p, q) in enumerate(zip(ours, theirs, strict=True)):
            if step == 2 and i == 1:  # a parameter without a gradient is skipped by both
                p.grad, q.grad = None, None
                continue
            g = rng.standard_normal(p.shape)
            p.grad, q.grad = Tensor(g), torch.tensor(g)
        opt.step()
        ref.step()
        if step == 4:
            opt.param_groups[1]["lr"] = ref.param_groups[1]["lr"] = 0.02
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_schedulers_give_pytorchs_lrs_exactly() -> None:
    def run(make: Any, lib: Any, opt_cls: Any, tensor: Any) -> list[list[float]]:
        params = [tensor(np.ones(1)), tensor(np.ones(1))]
        opt = opt_cls([{"params": [params[0]], "lr": 0.3}, {"params": [params[1]]}], lr=0.7)
        sched = make(lib, opt)
        out = []
        for _ in range(12):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr())
        return out

    ours_t = lambda v: Tensor(v, requires_grad=True)  # noqa: E731
    theirs_t = lambda v: torch.tensor(v, requires_grad=True)  # noqa: E731
    makers = [
        lambda lib, opt: lib.StepLR(opt, step_size=3, gamma=0.3),
        lambda lib, opt: lib.ExponentialLR(opt, gamma=0.9),
        lambda lib, opt: lib.LambdaLR(opt, lambda e: 1 / (1 + 0.5 * e)),
        lambda lib, opt: lib.MultiStepLR(opt, milestones=[0, 4, 2, 4], gamma=0.3),
        lambda lib, opt: lib.CosineAnnealingLR(opt, T_max=3, eta_min=0.01),
        lambda lib, opt: lib.CosineAnnealingLR(opt, T_max=1),
    ]
    for make in makers:
        ours = run(make, lr_scheduler, optim.SGD, ours_t)
        theirs = run(make, torch.optim.lr_scheduler, torch.optim.SGD, theirs_t)
        assert ours == theirs


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, math.inf])
def test_clip_grad_norm_matches_pytorch(p: float) -> None:
    rng = np.random.default_rng(1)
    ours, theirs = both(rng)
    for a, b in zip(ours, theirs, strict=True):
        g = rng.standard_normal(a.shape) * 3
        a.grad, b.grad = Tensor(g), torch.tensor(g)
    total = utils.clip_grad_norm_(ours, 0.5, norm_type=p)
    ref = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type=p)
    np.testing.assert_allclose(total.data, ref.numpy(), rtol=1e-14)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-14)  # type: ignore[union-attr]


def test_gains_and_fans_match_pytorch() -> None:
    for name, param in [("linear", None), ("tanh", None), ("relu", None), ("selu", None)]:
        assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)
    for slope in (None, 0.0, 0.2):
        ours = init.calculate_gain("leaky_relu", slope)
        assert ours == torch.nn.init.calculate_gain("leaky_relu", slope)
    for shape in [(7, 3), (8, 4, 3, 2), (1, 5)]:
        fans = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        assert init.fan_in_and_fan_out(Tensor(np.empty(shape))) == fans
