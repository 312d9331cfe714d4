"""Adamax, NAdam, RAdam, Adadelta, Rprop, ASGD, LBFGS and the newer LR schedulers, in NumPy.

The updates against plain NumPy transcriptions of their formulas, state dicts that resume a
run, bad arguments refused, compiled steps equal to eager ones, and the schedules against
their closed forms.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, load, optim, save
from tinygrad_lite.optim import lr_scheduler as L
from tinygrad_lite.tracing import TraceError

RNG = np.random.default_rng(0)
W0 = RNG.standard_normal((3, 4))
B0 = RNG.standard_normal(4)
X = RNG.standard_normal((6, 3))


def loss_and_grads(w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gradients of Σ tanh(XW + b)², by hand."""
    a = np.tanh(X @ w + b)
    dz = 2 * a * (1 - a * a)
    return X.T @ dz, dz.sum(axis=0)


def run(opt: Any, w: Tensor, b: Tensor, steps: int) -> None:
    for _ in range(steps):
        opt.zero_grad()
        (((Tensor(X) @ w + b).tanh()) ** 2).sum().backward()
        opt.step()


def train(make: Callable[[list[Tensor]], Any], steps: int) -> tuple[list[np.ndarray], Any]:
    w, b = Tensor(W0.copy(), requires_grad=True), Tensor(B0.copy(), requires_grad=True)
    opt = make([w, b])
    run(opt, w, b, steps)
    return [w.data, b.data], opt


# ---------------------------------------------------------------------- the formulas in NumPy


def adamax(p, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, **_):  # type: ignore[no-untyped-def]
    b1, b2 = betas
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["u"] = np.maximum(b2 * s.get("u", 0.0), np.abs(g) + eps)
    return p - lr / (1 - b1**t) * s["m"] / s["u"]


def nadam(p, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,  # type: ignore[no-untyped-def]
          momentum_decay=4e-3, decoupled_weight_decay=False, **_):  # fmt: skip
    b1, b2 = betas
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
    mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    s["prod"] = s.get("prod", 1.0) * mu
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    d = np.sqrt(s["v"] / (1 - b2**t)) + eps
    p = p - lr * (1 - mu) / (1 - s["prod"]) * g / d
    return p - lr * mu_next / (1 - s["prod"] * mu_next) * s["m"] / d


def radam(p, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,  # type: ignore[no-untyped-def]
          decoupled_weight_decay=False, **_):  # fmt: skip
    b1, b2 = betas
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    m_hat = s["m"] / (1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho <= 5:
        return p - lr * m_hat
    r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
    return p - lr * m_hat * math.sqrt(1 - b2**t) / (np.sqrt(s["v"]) + eps) * r


def adadelta(p, g, s, t, lr=1.0, rho=0.9, eps=1e-6, **_):  # type: ignore[no-untyped-def]
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g * g
    delta = np.sqrt(s.get("u", 0.0) + eps) / np.sqrt(s["v"] + eps) * g
    s["u"] = rho * s.get("u", 0.0) + (1 - rho) * delta * delta
    return p - lr * delta


def rprop(p, g, s, t, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), **_):  # type: ignore[no-untyped-def]
    size, prev = s.get("size", np.full_like(p, lr)), s.get("prev", np.zeros_like(p))
    c = np.sign(g * prev)
    size = np.where(c > 0, size * etas[1], np.where(c < 0, size * etas[0], size))
    s["size"] = np.clip(size, *step_sizes)
    s["prev"] = g = np.where(c < 0, 0.0, g)
    return p - np.sign(g) * s["size"]


def asgd(p, g, s, t, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, **_):  # type: ignore[no-untyped-def]
    eta, mu = s.get("eta", lr), s.get("mu", 1.0)
    p = p * (1 - lambd * eta) - eta * g
    s["ax"] = p.copy() if mu == 1 else s["ax"] + mu * (p - s["ax"])
    s["eta"] = lr / (1 + lambd * lr * t) ** alpha
    s["mu"] = 1 / max(1, t - t0)
    return p


FORMULAS = {"Adamax": adamax, "NAdam": nadam, "RAdam": radam}
FORMULAS.update({"Adadelta": adadelta, "Rprop": rprop, "ASGD": asgd})


def reference(name: str, steps: int, **options: Any) -> tuple[list[np.ndarray], list[dict]]:
    params, states = [W0.copy(), B0.copy()], [{}, {}]
    for t in range(1, steps + 1):
        for k, g in enumerate(loss_and_grads(*params)):
            g = -g if options.get("maximize") else g
            wd = options.get("weight_decay", 0.0)
            if wd and not options.get("decoupled_weight_decay"):
                g = g + wd * params[k]
            params[k] = FORMULAS[name](params[k], g, states[k], t, **options)
    return params, states


CASES = [
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.3, 0.9), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {"lr": 0.01}),
    ("NAdam", {"weight_decay": 0.1, "momentum_decay": 0.05, "betas": (0.2, 0.9)}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01}),  # ρ_t > 5 from step 6 on
    ("RAdam", {"betas": (0.5, 0.7), "weight_decay": 0.1, "maximize": True}),  # ρ_t <= 5 always
    ("RAdam", {"lr": 0.01, "weight_decay": 0.2, "decoupled_weight_decay": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-3, "weight_decay": 0.1}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (0.01, 0.2), "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 5, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("name, options", CASES, ids=str)
def test_each_update_is_its_formula(name: str, options: dict[str, Any]) -> None:
    ours, opt = train(lambda p: getattr(optim, name)(p, **options), 12)
    ref, states = reference(name, 12, **options)
    for mine, theirs in zip(ours, ref, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)
    if name == "ASGD":  # the averaged parameters too
        for i in (0, 1):
            np.testing.assert_allclose(opt.state[i]["ax"], states[i]["ax"], rtol=1e-12)


def test_maximize_is_minimizing_the_negated_loss_bit_for_bit() -> None:
    for name in FORMULAS:
        up, down = (Tensor(W0.copy(), requires_grad=True) for _ in range(2))
        o_up = getattr(optim, name)([up], lr=0.01, maximize=True)
        o_down = getattr(optim, name)([down], lr=0.01)
        for _ in range(5):
            for p, o, sign in ((up, o_up, 1.0), (down, o_down, -1.0)):
                o.zero_grad()
                (((Tensor(X) @ p).tanh() ** 2).sum() * sign).backward()
                o.step()
        np.testing.assert_array_equal(up.data, down.data)


@pytest.mark.parametrize("name, options", [CASES[2], CASES[4], CASES[10], CASES[13]], ids=str)
def test_a_state_dict_resumes_the_same_run(name: str, options: dict[str, Any]) -> None:
    whole, _ = train(lambda p: getattr(optim, name)(p, **options), 5)
    w, b = Tensor(W0.copy(), requires_grad=True), Tensor(B0.copy(), requires_grad=True)
    first = getattr(optim, name)([w, b], **options)
    run(first, w, b, 2)
    fresh = getattr(optim, name)([w, b], **options)
    fresh.load_state_dict(first.state_dict())
    run(fresh, w, b, 3)
    np.testing.assert_array_equal(w.data, whole[0])
    np.testing.assert_array_equal(b.data, whole[1])


def test_float_state_is_checked_when_loaded() -> None:
    _, opt = train(lambda p: optim.NAdam(p), 2)
    saved = opt.state_dict()
    w, b = opt.params
    for change, match in [
        ({"state.1.mu_product": math.nan}, "must be finite"),
        ({"state.0.mu_product": "x"}, "must be a number"),
        ({"state.2.mu_product": 0.5}, "no other state"),
    ]:
        fresh = optim.NAdam([w, b])
        with pytest.raises((ValueError, TypeError), match=match):
            fresh.load_state_dict({**saved, **change})
        assert fresh.state == {}  # nothing changed
    lacking = {k: v for k, v in saved.items() if k != "state.0.mu_product"}
    with pytest.raises(ValueError, match=r"state of parameter 0 lacks \['mu_product'\]"):
        optim.NAdam([w, b]).load_state_dict(lacking)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: optim.Adamax(p, lr=0), "lr must be > 0"),
        (lambda p: optim.Adamax(p, betas=(0.9, 1.0)), r"beta2 must lie in \[0, 1\)"),
        (lambda p: optim.NAdam(p, betas=0.9), "betas must be a pair"),
        (lambda p: optim.NAdam(p, momentum_decay=-1), "momentum_decay must be >= 0"),
        (
            lambda p: optim.RAdam(p, decoupled_weight_decay=1),
            "decoupled_weight_decay must be a bool",
        ),
        (lambda p: optim.RAdam(p, eps=0), "eps must be > 0"),
        (lambda p: optim.Adadelta(p, rho=1.5), r"rho must lie in \[0, 1\], got 1.5"),
        (lambda p: optim.Rprop(p, etas=(1.2, 0.5)), "0 < etaminus < 1 < etaplus"),
        (lambda p: optim.Rprop(p, step_sizes=(1.0, 0.1)), "0 <= min <= max"),
        (lambda p: optim.ASGD(p, lambd=-1), "lambd must be >= 0"),
        (lambda p: optim.ASGD(p, weight_decay=-0.1), "weight_decay must be >= 0"),
        (lambda p: optim.Adamax(p, differentiable=True), "differentiable=True is not supported"),
        (lambda p: optim.NAdam(p, capturable=True), "capturable=True is not supported"),
        (lambda p: optim.Adadelta(p, foreach="yes"), "foreach must be None or a bool"),
        (lambda p: optim.Rprop(p, maximize=None), "maximize must be a bool"),
        (lambda p: optim.LBFGS(p, line_search_fn="wolfe"), "None or 'strong_wolfe'"),
        (lambda p: optim.LBFGS(p, history_size=0), "history_size must be >= 1"),
        (lambda p: optim.LBFGS([{"params": p[:1]}, {"params": p[1:]}]), "supports one"),
        (lambda p: optim.ASGD([{"params": p, "beta": 0.9}]), "unknown"),
    ],
)
def test_bad_arguments_are_refused(make: Callable[[list[Tensor]], Any], match: str) -> None:
    params = [Tensor(W0.copy(), requires_grad=True), Tensor(B0.copy(), requires_grad=True)]
    with pytest.raises((ValueError, TypeError), match=match):
        make(params)


def test_foreach_changes_nothing_and_settings_read_like_pytorchs() -> None:
    a, _ = train(lambda p: optim.Adadelta(p, foreach=True), 3)
    b, opt = train(lambda p: optim.Adadelta(p), 3)
    np.testing.assert_array_equal(a[0], b[0])
    nadam = optim.NAdam([Tensor(W0.copy(), requires_grad=True)])
    assert (nadam.lr, nadam.betas, nadam.momentum_decay) == (2e-3, (0.9, 0.999), 4e-3)
    nadam.beta1 = 0.5
    assert nadam.param_groups[0]["betas"] == (0.5, 0.999)
    with pytest.raises(ValueError, match="rho must lie"):
        opt.param_groups[0]["rho"] = 2.0


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_a_compiled_step_equals_eager(name: str) -> None:
    results = []
    for compiled in (False, True):
        w = Tensor(W0.copy(), requires_grad=True)
        opt = getattr(optim, name)([w], lr=0.05)

        def step(x: Tensor, w: Tensor = w, opt: Any = opt) -> Tensor:
            opt.zero_grad()
            loss = ((x @ w).tanh() ** 2).sum()
            loss.backward()
            opt.step()
            return loss

        fn = tg.compile(step) if compiled else step
        losses = [fn(Tensor(X)).item() for _ in range(4)]
        results.append((losses, w.data.copy()))
        assert not compiled or fn.traces == 1  # type: ignore[attr-defined]
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])


# ---------------------------------------------------------------------- LBFGS

A = RNG.standard_normal((5, 5))
A = A @ A.T + 5 * np.eye(5)
BVEC = RNG.standard_normal(5)


def quadratic() -> tuple[Tensor, Tensor, Callable[[], Tensor], Any]:
    """½zᵀAz − bᵀz with z split into two parameters, and a closure for it."""
    x = Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    y = Tensor(np.array([[0.3], [2.0]]), requires_grad=True)
    box: dict[str, Any] = {}

    def closure() -> Tensor:
        box["opt"].zero_grad()
        z = tg.cat([x, y.reshape(2)])
        loss = 0.5 * (z * (Tensor(A) @ z)).sum() - (Tensor(BVEC) * z).sum()
        loss.backward()
        return loss

    return x, y, closure, box


def test_lbfgs_first_two_iterations_are_the_bfgs_formulas() -> None:
    x, y, closure, box = quadratic()
    z0 = np.concatenate([x.data, y.data.ravel()])
    opt = box["opt"] = optim.LBFGS([x, y], lr=0.7, max_iter=2, max_eval=10)
    first = opt.step(closure)
    g0 = A @ z0 - BVEC
    assert first.item() == pytest.approx(0.5 * z0 @ A @ z0 - BVEC @ z0, rel=1e-14)
    t1 = min(1.0, 1.0 / np.abs(g0).sum()) * 0.7
    z1 = z0 - t1 * g0
    g1 = A @ z1 - BVEC
    s, yv = z1 - z0, g1 - g0
    rho = 1 / (yv @ s)
    eye = np.eye(5)
    h = (eye - rho * np.outer(s, yv)) * (s @ yv / (yv @ yv)) @ (eye - rho * np.outer(yv, s))
    h += rho * np.outer(s, s)
    np.testing.assert_allclose(h @ yv, s, rtol=1e-10)  # the secant equation
    z2 = z1 - 0.7 * h @ g1
    np.testing.assert_allclose(np.concatenate([x.data, y.data.ravel()]), z2, rtol=1e-12)
    assert (opt.state[0]["func_evals"], opt.state[0]["n_iter"]) == (2, 2)


@pytest.mark.parametrize("search", [None, "strong_wolfe"])
def test_lbfgs_solves_a_quadratic_and_its_state_resumes(search: str | None) -> None:
    x, y, closure, box = quadratic()
    options = dict(max_iter=4, history_size=3, line_search_fn=search, tolerance_grad=1e-13)
    options["tolerance_change"] = 1e-15
    opt = box["opt"] = optim.LBFGS([x, y], **options)
    opt.step(closure)
    saved = opt.state_dict()
    before = x.data.copy(), y.data.copy()
    opt.step(closure)
    after = x.data.copy(), y.data.copy()
    x.data[...], y.data[...] = before
    fresh = box["opt"] = optim.LBFGS([x, y], **options)
    fresh.load_state_dict(saved)
    fresh.step(closure)
    np.testing.assert_array_equal(x.data, after[0])
    np.testing.assert_array_equal(y.data, after[1])
    for _ in range(10):
        fresh.step(closure)
    solution = np.linalg.solve(A, BVEC)
    np.testing.assert_allclose(np.concatenate([x.data, y.data.ravel()]), solution, atol=1e-7)


def test_lbfgs_refuses_bad_state_and_compiled_steps() -> None:
    x, y, closure, box = quadratic()
    opt = box["opt"] = optim.LBFGS([x, y], max_iter=3)
    opt.step(closure)
    saved = opt.state_dict()
    with pytest.raises(ValueError, match=r"state.0.d: shape \(4,\)"):
        opt.load_state_dict({**saved, "state.0.d": np.zeros(4)})
    with pytest.raises(ValueError, match=r"lacks \['t'\]"):
        opt.load_state_dict({k: v for k, v in saved.items() if k != "state.0.t"})
    with pytest.raises(TypeError, match="closure must be a function"):
        opt.step(None)  # type: ignore[arg-type]

    def step(a: Tensor) -> Tensor:
        opt.step(closure)
        return a * 2

    with pytest.raises(TraceError, match="LBFGS.step"):
        tg.compile(step)(Tensor([1.0]))


# ---------------------------------------------------------------------- schedulers


def sgd(lrs: list[float], momentum: float = 0.0) -> optim.SGD:
    groups = [{"params": [Tensor([1.0], requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=1.0, momentum=momentum)


def lrs_of(sched: Any, epochs: int) -> list[list[float]]:
    out = []
    for e in range(epochs):
        if e:
            sched.step()
        lrs = [g["lr"] for g in sched.optimizer.param_groups]
        assert sched.get_last_lr() == lrs
        out.append(lrs)
    return out


base_lrs = st.lists(st.floats(1e-3, 1.0), min_size=1, max_size=2)


@settings(max_examples=5)
@given(base_lrs, st.floats(0.05, 1.0), st.floats(0.0, 1.0), st.integers(0, 8))
def test_linear_lr_is_its_closed_form(lrs: list[float], s: float, f: float, t: int) -> None:
    got = lrs_of(L.LinearLR(sgd(lrs), s, f, t), 10)
    for e, row in enumerate(got):
        k = s if t == 0 else s + (f - s) * min(e, t) / t
        np.testing.assert_allclose(row, [lr * k for lr in lrs], rtol=1e-13, atol=1e-15)


@settings(max_examples=5)
@given(base_lrs, st.floats(0.01, 1.0), st.integers(0, 6), st.floats(0.0, 3.0))
def test_constant_and_polynomial_lr_are_their_closed_forms(
    lrs: list[float], factor: float, t: int, power: float
) -> None:
    got = lrs_of(L.ConstantLR(sgd(lrs), factor, t), 9)
    for e, row in enumerate(got):
        k = factor if e < t or (t == 0) else 1.0
        np.testing.assert_allclose(row, [lr * k for lr in lrs], rtol=1e-14)
    got = lrs_of(L.PolynomialLR(sgd(lrs), t, power), 9)
    for e, row in enumerate(got):
        k = 1.0 if t == 0 else (1 - min(e, t) / t) ** power
        np.testing.assert_allclose(row, [lr * k for lr in lrs], rtol=1e-12, atol=1e-300)


def test_multiplicative_lr_multiplies_from_epoch_one() -> None:
    opt = sgd([0.1, 0.2])
    got = lrs_of(L.MultiplicativeLR(opt, [lambda e: 0.5, lambda e: 1.0 + e]), 4)
    assert got == [
        [0.1, 0.2],
        [0.05, 0.4],
        [0.025, 1.2000000000000002],
        [0.0125, 4.800000000000001],
    ]


def test_cyclic_lr_is_the_triangle_and_the_momentum_its_mirror() -> None:
    opt = sgd([0.01, 0.02], momentum=0.5)
    sched = L.CyclicLR(opt, [0.01, 0.02], 0.1, step_size_up=4, base_momentum=0.8)
    for e in range(20):
        x = abs(e / 4 - 2 * math.floor(1 + e / 8) + 1)
        h = max(0.0, 1 - x)
        for g, base in zip(opt.param_groups, [0.01, 0.02], strict=True):
            assert g["lr"] == pytest.approx(base + (0.1 - base) * h, abs=1e-15)
            assert g["momentum"] == pytest.approx(0.9 - 0.1 * h, abs=1e-15)
        sched.step()
    tri2 = L.CyclicLR(sgd([0.5]), 0.0, 1.0, 2, mode="triangular2", cycle_momentum=False)
    peaks = [lr for e, (lr,) in enumerate(lrs_of(tri2, 15)) if e % 4 == 2]
    assert peaks == [1.0, 0.5, 0.25, 0.125]


def test_one_cycle_lr_reaches_its_peak_and_floor() -> None:
    opt = optim.Adam([Tensor([1.0], requires_grad=True)])
    sched = L.OneCycleLR(opt, 0.4, total_steps=20, pct_start=0.25, div_factor=8.0)
    got = [lr for (lr,) in lrs_of(sched, 20)]
    assert got[0] == pytest.approx(0.05, rel=1e-15) and got[4] == 0.4
    assert got[19] == pytest.approx(0.05 / 1e4, rel=1e-12)
    assert all(a < b for a, b in zip(got[:4], got[1:5], strict=True))
    assert all(a > b for a, b in zip(got[4:-1], got[5:], strict=True))
    assert opt.betas[0] == 0.95 and opt.param_groups[0].initial_lr == 0.05
    with pytest.raises(ValueError, match="tried to step 21 times"):
        sched.step()
        sched.step()
    with pytest.raises(ValueError, match="has no length"):
        L.OneCycleLR(sgd([0.1]), 0.1, total_steps=10, pct_start=0.1)


def test_warm_restarts_are_their_closed_form_and_fractional_epochs_follow() -> None:
    opt = sgd([0.1])
    sched = L.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.01)
    starts = [0, 2, 6, 14, 30]
    for e, (lr,) in enumerate(lrs_of(sched, 30)):
        k = max(i for i, s in enumerate(starts) if s <= e)
        t_cur, t_i = e - starts[k], 2 * 2**k
        want = 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * t_cur / t_i)) / 2
        assert lr == pytest.approx(want, rel=1e-13)
    for epoch in (0.5, 7.25, 3.0, 29.9):
        sched.step(epoch)
        k = max(i for i, s in enumerate(starts) if s <= epoch)
        t_cur, t_i = epoch - starts[k], 2 * 2**k
        assert opt.lr == pytest.approx(0.01 + 0.09 * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
        assert sched.last_epoch == math.floor(epoch)
    with pytest.raises(ValueError, match="epoch must be >= 0"):
        sched.step(-1)


def test_sequential_and_chained_schedules_compose() -> None:
    opt = sgd([0.2])
    warm = L.LinearLR(opt, 0.1, total_iters=4)
    seq = L.SequentialLR(opt, [warm, L.ExponentialLR(opt, 0.5)], milestones=[4])
    got = [lr for (lr,) in lrs_of(seq, 8)]
    want = [0.2 * (0.1 + 0.9 * e / 4) for e in range(4)] + [0.2 * 0.5**k for k in range(4)]
    np.testing.assert_allclose(got, want, rtol=1e-14)
    opt = sgd([0.2])
    chained = L.ChainedScheduler([L.ConstantLR(opt, 0.1, 3), L.ExponentialLR(opt, 0.9)])
    got = [lr for (lr,) in lrs_of(chained, 6)]
    np.testing.assert_allclose(got, [0.2 * 0.9**e * (0.1 if e < 3 else 1) for e in range(6)])


SCHEDULES: list[Callable[[optim.SGD], Any]] = [
    lambda o: L.LinearLR(o, 0.2, 0.9, 6),
    lambda o: L.PolynomialLR(o, 7, 2.0),
    lambda o: L.CyclicLR(o, 0.01, [0.1, 0.2], 3, 2, mode="exp_range", gamma=0.9),
    lambda o: L.OneCycleLR(o, 0.3, total_steps=12, three_phase=True),
    lambda o: L.CosineAnnealingWarmRestarts(o, 3, 2),
    lambda o: L.SequentialLR(o, [L.ConstantLR(o, 0.5, 2), L.CosineAnnealingLR(o, 4)], [3]),
    lambda o: L.ChainedScheduler([L.ConstantLR(o, 0.5, 2), L.PolynomialLR(o, 9)]),
]


@pytest.mark.parametrize("make", SCHEDULES)
def test_a_scheduler_state_dict_resumes_the_schedule(make: Callable[[optim.SGD], Any]) -> None:
    whole = lrs_of(make(sgd([0.1, 0.05], 0.5)), 10)
    opt = sgd([0.1, 0.05], 0.5)
    sched = make(opt)
    lrs_of(sched, 5)
    opt2 = sgd([0.1, 0.05], 0.5)
    sched2 = make(opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sched.state_dict())
    rest = [[g["lr"] for g in opt2.param_groups]]
    for _ in range(5):
        sched2.step()
        rest.append(sched2.get_last_lr())
    assert rest == whole[4:]


def test_state_dicts_are_written_and_read_by_save(tmp_path: Path) -> None:
    entries: dict[str, Any] = {}
    for name, options in CASES[::2]:
        _, opt = train(lambda p, n=name, o=options: getattr(optim, n)(p, **o), 2)
        entries.update({f"{name}.{k}": v for k, v in opt.state_dict().items()})
    x, y, closure, box = quadratic()
    box["opt"] = optim.LBFGS([x, y], max_iter=3)
    box["opt"].step(closure)
    entries.update({f"LBFGS.{k}": v for k, v in box["opt"].state_dict().items()})
    for k, make in enumerate(SCHEDULES):
        sched = make(sgd([0.1, 0.05], 0.5))
        sched.step()
        entries.update({f"{k}.{key}": v for key, v in sched.state_dict().items()})
    save(entries, tmp_path / "all.npz")
    back = load(tmp_path / "all.npz")
    assert sorted(back) == sorted(entries)
    for key, value in entries.items():
        np.testing.assert_array_equal(np.asarray(back[key]), np.asarray(value))


def test_schedulers_in_a_compiled_step_equal_eager() -> None:
    results = []
    for compiled in (False, True):
        w = Tensor(W0.copy(), requires_grad=True)
        opt = optim.NAdam([w], lr=0.05)
        parts = [
            L.LinearLR(opt, 0.2, total_iters=2),
            L.CyclicLR(opt, 0.01, 0.1, 2, cycle_momentum=False),
        ]
        sched = L.SequentialLR(opt, parts, [2])

        def step(x: Tensor, w: Tensor = w, opt: Any = opt, sched: Any = sched) -> Tensor:
            opt.zero_grad()
            loss = ((x @ w).tanh() ** 2).sum()
            loss.backward()
            opt.step()
            sched.step()
            return loss

        fn = tg.compile(step) if compiled else step
        results.append(([fn(Tensor(X)).item() for _ in range(5)], w.data.copy(), opt.lr))
    assert results[0][0] == results[1][0] and results[0][2] == results[1][2]
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda o: L.LinearLR(o, start_factor=0), "start_factor must be > 0"),
        (lambda o: L.LinearLR(o, end_factor=1.5), r"end_factor must lie in \[0, 1\]"),
        (lambda o: L.ConstantLR(o, factor=0, total_iters=3), "could not be restored"),
        (lambda o: L.PolynomialLR(o, power=-1), "power must be >= 0"),
        (lambda o: L.MultiplicativeLR(o, [lambda e: 1.0] * 3), "3 functions for 1"),
        (lambda o: L.MultiplicativeLR(o, 0.9), "lr_lambda must be callable"),
        (lambda o: L.CyclicLR(o, 0.1, 1.0, mode="square"), "mode must be"),
        (lambda o: L.CyclicLR(o, 0.1, 1.0, step_size_up=0), "step_size_up must be > 0"),
        (lambda o: L.CyclicLR(o, [0.1, 0.2], 1.0), "base_lr has 2 values for 1"),
        (lambda o: L.CyclicLR(optim.Adagrad(o.params), 0.1, 1.0), "neither"),
        (lambda o: L.OneCycleLR(o, 1.0), "give total_steps"),
        (lambda o: L.OneCycleLR(o, 1.0, 10, pct_start=1.5), r"pct_start must lie in \[0, 1\]"),
        (lambda o: L.OneCycleLR(o, 1.0, 10, anneal_strategy="exp"), "'cos' or 'linear'"),
        (lambda o: L.CosineAnnealingWarmRestarts(o, 0), "T_0 must be >= 1"),
        (lambda o: L.CosineAnnealingWarmRestarts(o, 2, T_mult=1.5), "T_mult must be an int"),
        (lambda o: L.SequentialLR(o, [L.StepLR(o, 2)], [3]), "need 0 milestones"),
        (lambda o: L.SequentialLR(o, [L.StepLR(o, 2)] * 3, [3, 1]), "non-decreasing"),
        (lambda o: L.SequentialLR(o, [L.StepLR(sgd([0.1]), 2)], []), "another optimizer"),
        (lambda o: L.SequentialLR(o, [L.ReduceLROnPlateau(o)], []), "needs the metric"),
        (lambda o: L.ChainedScheduler([]), "at least one"),
    ],
)
def test_bad_schedules_are_refused(make: Callable[[optim.SGD], Any], match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        make(sgd([0.1], momentum=0.5))
