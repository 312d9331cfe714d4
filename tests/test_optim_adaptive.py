"""RMSprop and Adagrad: the formulas in plain NumPy, PyTorch (optional), state dicts, compile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, optim

RNG = np.random.default_rng(0)
W0 = RNG.standard_normal((3, 4))
B0 = RNG.standard_normal(4)
X = RNG.standard_normal((6, 3))


def loss_and_grads(w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gradients of Σ tanh(XW + b)², by hand."""
    a = np.tanh(X @ w + b)
    dz = 2 * a * (1 - a * a)
    return X.T @ dz, dz.sum(axis=0)


def train(make: Callable[[list[Tensor]], Any], steps: int) -> list[np.ndarray]:
    w, b = Tensor(W0.copy(), requires_grad=True), Tensor(B0.copy(), requires_grad=True)
    opt = make([w, b])
    for _ in range(steps):
        opt.zero_grad()
        (((Tensor(X) @ w + b).tanh()) ** 2).sum().backward()
        opt.step()
    return [w.data, b.data]


def rmsprop_reference(steps: int, lr: float, alpha: float = 0.99, eps: float = 1e-8,
                      weight_decay: float = 0.0, momentum: float = 0.0,
                      centered: bool = False) -> list[np.ndarray]:  # fmt: skip
    params = [W0.copy(), B0.copy()]
    v = [np.zeros_like(p) for p in params]
    mean = [np.zeros_like(p) for p in params]
    buf = [np.zeros_like(p) for p in params]
    for _ in range(steps):
        for k, g in enumerate(loss_and_grads(*params)):
            g = g + weight_decay * params[k] if weight_decay else g
            v[k] = alpha * v[k] + (1 - alpha) * (g * g)
            if centered:
                mean[k] = alpha * mean[k] + (1 - alpha) * g
                denom = np.sqrt(v[k] - mean[k] * mean[k]) + eps
            else:
                denom = np.sqrt(v[k]) + eps
            if momentum:
                buf[k] = momentum * buf[k] + g / denom
                params[k] = params[k] - lr * buf[k]
            else:
                params[k] = params[k] - lr * (g / denom)
    return params


def adagrad_reference(steps: int, lr: float, lr_decay: float = 0.0, weight_decay: float = 0.0,
                      initial_accumulator_value: float = 0.0,
                      eps: float = 1e-10) -> list[np.ndarray]:  # fmt: skip
    params = [W0.copy(), B0.copy()]
    s = [np.full_like(p, initial_accumulator_value) for p in params]
    for t in range(1, steps + 1):
        for k, g in enumerate(loss_and_grads(*params)):
            g = g + weight_decay * params[k] if weight_decay else g
            s[k] = s[k] + g * g
            params[k] = params[k] - lr / (1 + (t - 1) * lr_decay) * (g / (np.sqrt(s[k]) + eps))
    return params


RMSPROP = [{}, {"momentum": 0.9}, {"centered": True}, {"alpha": 0.9, "eps": 1e-3}]
RMSPROP += [{"centered": True, "momentum": 0.5, "weight_decay": 0.1}]
ADAGRAD = [{}, {"lr_decay": 0.1}, {"weight_decay": 0.1, "initial_accumulator_value": 0.5}]
ADAGRAD += [{"eps": 1e-3}]


@pytest.mark.parametrize("options", RMSPROP, ids=str)
def test_rmsprop_is_the_formula(options: dict[str, Any]) -> None:
    ours = train(lambda p: optim.RMSprop(p, lr=0.01, **options), 25)
    for mine, ref in zip(ours, rmsprop_reference(25, 0.01, **options), strict=True):
        np.testing.assert_allclose(mine, ref, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("options", ADAGRAD, ids=str)
def test_adagrad_is_the_formula(options: dict[str, Any]) -> None:
    ours = train(lambda p: optim.Adagrad(p, lr=0.1, **options), 25)
    for mine, ref in zip(ours, adagrad_reference(25, 0.1, **options), strict=True):
        np.testing.assert_allclose(mine, ref, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(
    "name, options",
    [("RMSprop", o) for o in RMSPROP] + [("Adagrad", o) for o in ADAGRAD],
    ids=lambda v: str(v),
)
def test_the_same_steps_as_pytorch(name: str, options: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    lr = 0.01 if name == "RMSprop" else 0.1
    ours = train(lambda p: getattr(optim, name)(p, lr=lr, **options), 25)
    w, b = torch.tensor(W0.copy(), requires_grad=True), torch.tensor(B0.copy(), requires_grad=True)
    opt = getattr(torch.optim, name)([w, b], lr=lr, **options)
    for _ in range(25):
        opt.zero_grad()
        (((torch.from_numpy(X) @ w + b).tanh()) ** 2).sum().backward()
        opt.step()
    for mine, theirs in zip(ours, (w, b), strict=True):
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "make",
    [
        lambda p: optim.RMSprop(p, lr=0.01, momentum=0.9, centered=True),
        lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.05),
    ],
    ids=["RMSprop", "Adagrad"],
)
def test_a_state_dict_resumes_the_same_run(make: Callable[[list[Tensor]], Any]) -> None:
    whole = train(make, 8)
    w, b = Tensor(W0.copy(), requires_grad=True), Tensor(B0.copy(), requires_grad=True)
    opt = make([w, b])

    def run(o: Any, steps: int) -> None:
        for _ in range(steps):
            o.zero_grad()
            (((Tensor(X) @ w + b).tanh()) ** 2).sum().backward()
            o.step()

    run(opt, 3)
    saved = opt.state_dict()
    fresh = make([w, b])
    fresh.load_state_dict(saved)
    run(fresh, 5)
    np.testing.assert_array_equal(w.data, whole[0])
    np.testing.assert_array_equal(b.data, whole[1])


@pytest.mark.parametrize("name", ["RMSprop", "Adagrad"])
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

        run = tg.compile(step) if compiled else step
        losses = [run(Tensor(X)).item() for _ in range(6)]
        results.append((losses, w.data.copy()))
        assert not compiled or run.traces == 1  # type: ignore[attr-defined]  # replayed
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_a_scheduler_sets_the_learning_rate() -> None:
    w = Tensor(W0.copy(), requires_grad=True)
    opt = optim.RMSprop([w], lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    sched.step()
    assert opt.lr == 0.05 and opt.param_groups[0]["lr"] == 0.05


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: optim.RMSprop(p, lr=0), "lr must be > 0"),
        (lambda p: optim.RMSprop(p, alpha=1.5), r"alpha must lie in \[0, 1\], got 1.5"),
        (lambda p: optim.RMSprop(p, eps=0), "eps must be > 0"),
        (lambda p: optim.RMSprop(p, momentum=-1), "momentum must be >= 0"),
        (lambda p: optim.RMSprop(p, centered=1), "centered must be a bool"),
        (lambda p: optim.Adagrad(p, lr_decay=-0.1), "lr_decay must be >= 0"),
        (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), "initial_accumulator_value"),
        (lambda p: optim.RMSprop([{"params": p, "beta": 0.9}]), "unknown"),
    ],
)
def test_bad_hyperparameters_are_refused(make: Callable[[list[Tensor]], Any], match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        make([Tensor(W0.copy(), requires_grad=True)])
