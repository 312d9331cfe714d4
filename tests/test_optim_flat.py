"""Adam's flat update of a parameter group equals the per-parameter update bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor, optim

SHAPES = [(4, 3), (4, 1), (1, 4), (1, 1), (5,)]


def _reference(
    params: list[np.ndarray],
    grads: list[np.ndarray | None],
    state: dict[int, dict[str, Any]],
    lr: float,
    wd: float = 0.0,
    decoupled: bool = False,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
) -> None:
    """Adam on plain arrays, one parameter at a time, in the documented order of operations."""
    for k, (p, g) in enumerate(zip(params, grads, strict=True)):
        if g is None:
            continue
        st = state.setdefault(k, {"t": 0, "m": np.zeros_like(p), "v": np.zeros_like(p)})
        st["t"] += 1
        t = st["t"]
        if wd and decoupled:
            p *= 1.0 - lr * wd
        elif wd:
            g = g + p * wd
        st["m"] = st["m"] * b1 + g * (1.0 - b1)
        st["v"] = st["v"] * b2 + (g * g) * (1.0 - b2)
        denom = np.sqrt(st["v"] / (1.0 - b2**t)) + eps
        p -= (st["m"] / (1.0 - b1**t)) * lr / denom


def _setup(seed: int, dtypes: list[Any] | None = None) -> tuple[list[Tensor], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    dts = dtypes or [np.float64] * len(SHAPES)
    arrays = [rng.standard_normal(s).astype(dt) for s, dt in zip(SHAPES, dts, strict=True)]
    return [Tensor(a.copy(), requires_grad=True) for a in arrays], [a.copy() for a in arrays]


def _run(
    opt_cls: Any, steps: int, seed: int, drop: tuple[int, int] | None = None, **kw: Any
) -> tuple[list[Tensor], list[np.ndarray], Any]:
    params, ref = _setup(seed, kw.pop("dtypes", None))
    opt = opt_cls(params, lr=0.01, **kw)
    state: dict[int, dict[str, Any]] = {}
    rng = np.random.default_rng(seed + 1)
    for s in range(steps):
        grads: list[np.ndarray | None] = [rng.standard_normal(p.shape) for p in params]
        if drop is not None and s == drop[0]:
            grads[drop[1]] = None
        for p, g in zip(params, grads, strict=True):
            p.grad = None if g is None else Tensor(g.astype(p.dtype))
        opt.step()
        cast = [None if g is None else g.astype(r.dtype) for g, r in zip(grads, ref, strict=True)]
        _reference(
            ref,
            cast,
            state,
            0.01,
            kw.get("weight_decay", 0.0 if opt_cls is optim.Adam else 1e-2),
            opt_cls is optim.AdamW,
        )
    return params, ref, opt


@pytest.mark.parametrize(
    ("opt_cls", "kw", "flat"),
    [
        (optim.Adam, {}, True),
        (optim.AdamW, {}, True),
        (optim.AdamW, {"weight_decay": 0.0}, True),
        (optim.Adam, {"weight_decay": 0.1}, False),  # the L2 term reads the parameters: loop
        (optim.Adam, {"dtypes": [np.float32] + [np.float64] * 4}, False),  # mixed dtypes: loop
    ],
)
def test_the_group_update_equals_one_parameter_at_a_time(
    opt_cls: Any, kw: dict[str, Any], flat: bool
) -> None:
    params, ref, opt = _run(opt_cls, 6, 0, **kw)
    for p, r in zip(params, ref, strict=True):
        assert p.data.tobytes() == r.tobytes()
    assert bool(opt._flats) == flat
    if flat:  # the state dict's arrays are views of the flat moments
        moments = opt._flats[0].flats["exp_avg"]
        assert all(np.shares_memory(opt.state[i]["exp_avg"], moments) for i in range(5))


def test_a_parameter_without_gradient_for_a_step_takes_the_loop_from_then_on() -> None:
    params, ref, opt = _run(optim.Adam, 6, 3, drop=(2, 1))
    for p, r in zip(params, ref, strict=True):
        assert p.data.tobytes() == r.tobytes()
    assert [opt.state[i]["step"] for i in range(5)] == [6, 5, 6, 6, 6]
    assert not opt._flats


def test_a_state_dict_round_trip_mid_training_changes_nothing() -> None:
    rng = np.random.default_rng(7)
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(6)]
    runs = []
    for reload_at in (None, 3):
        params, _ = _setup(1)
        opt = optim.Adam(params, lr=0.01)
        for s, gs in enumerate(grads):
            if s == reload_at:
                saved = opt.state_dict()
                opt = optim.Adam(params, lr=0.01)
                opt.load_state_dict(saved)
            for p, g in zip(params, gs, strict=True):
                p.grad = Tensor(g)
            opt.step()
        runs.append([p.data.tobytes() for p in params])
    assert runs[0] == runs[1]


def _sgd_reference(
    params: list[np.ndarray],
    grads: list[np.ndarray | None],
    bufs: dict[int, np.ndarray],
    lr: float,
    momentum: float,
    dampening: float = 0.0,
    nesterov: bool = False,
    zero_init: bool = False,
    wd: float = 0.0,
) -> None:
    """PyTorch's SGD with momentum on plain arrays, one parameter at a time."""
    for k, (p, g) in enumerate(zip(params, grads, strict=True)):
        if g is None:
            continue
        if wd:
            g = g + p * wd
        if k not in bufs:
            bufs[k] = g * (1.0 - dampening) if zero_init else g.copy()
        else:
            bufs[k] = bufs[k] * momentum + (g * (1.0 - dampening) if dampening else g)
        d = g + bufs[k] * momentum if nesterov else bufs[k]
        p -= d * lr


@pytest.mark.parametrize(
    ("kw", "flat", "drop"),
    [
        ({"momentum": 0.9}, True, None),
        ({"momentum": 0.9, "dampening": 0.5}, True, None),
        ({"momentum": 0.9, "nesterov": True}, True, None),
        ({"momentum": 0.9, "dampening": 0.9, "zero_init_buffer": True}, True, None),
        # a step without one gradient takes the loop; the flat form is made again after it
        ({"momentum": 0.9}, True, (2, 3)),
        ({"momentum": 0.9, "weight_decay": 0.01}, False, None),  # reads the parameters: loop
    ],
)
def test_sgd_momentum_of_a_group_equals_one_parameter_at_a_time(
    kw: dict[str, Any], flat: bool, drop: tuple[int, int] | None
) -> None:
    params, ref = _setup(5)
    opt = optim.SGD(params, lr=0.05, **kw)
    bufs: dict[int, np.ndarray] = {}
    rng = np.random.default_rng(6)
    for s in range(6):
        grads: list[np.ndarray | None] = [rng.standard_normal(p.shape) for p in params]
        if drop is not None and s == drop[0]:
            grads[drop[1]] = None
        for p, g in zip(params, grads, strict=True):
            p.grad = None if g is None else Tensor(g)
        opt.step()
        _sgd_reference(
            ref,
            grads,
            bufs,
            0.05,
            kw["momentum"],
            kw.get("dampening", 0.0),
            kw.get("nesterov", False),
            kw.get("zero_init_buffer", False),
            kw.get("weight_decay", 0.0),
        )
    for p, r in zip(params, ref, strict=True):
        assert p.data.tobytes() == r.tobytes()
    for k, b in bufs.items():
        assert opt.state[k]["momentum_buffer"].tobytes() == b.tobytes()
    assert bool(opt._flats) == flat
