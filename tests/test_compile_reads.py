"""Plain values a compiled step reads from its closure or its module's globals.

A new value traces the step again, so every call computes what eager execution computes with
the value the variable holds at that call.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn, optim

SCALE: Any = 1.0
MODE: Any = ("sum", 1)
LR: Any = None
GONE: Any = None


def _global_step(w: Tensor) -> Callable[[Tensor], Tensor]:
    def step(x: Tensor) -> Tensor:
        w.grad = None
        y = (w * x).sum() if MODE[0] == "sum" else (w * x).mean()
        loss = y * SCALE * MODE[1]
        loss.backward()
        return loss

    return step


def _run_both(values: list[Any], set_value: Callable[[Any], None], make: Any) -> int:
    """Call a compiled and an eager step after each new value; both must agree bit for bit."""
    x = Tensor(np.array([0.5, -1.25, 2.0]))
    w_c = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    w_e = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    compiled, eager = tg.compile(make(w_c)), make(w_e)
    for v in values:
        set_value(v)
        got, expected = compiled(x), eager(x)
        assert got.data.tobytes() == expected.data.tobytes(), v
        assert w_c.grad is not None and w_e.grad is not None
        assert w_c.grad.data.tobytes() == w_e.grad.data.tobytes(), v
    return compiled.traces


def _set_scale(v: Any) -> None:
    global SCALE
    SCALE = v


def _set_mode(v: Any) -> None:
    global MODE
    MODE = v


def test_a_global_number_read_by_the_step_is_checked_on_every_call() -> None:
    try:
        traces = _run_both(
            [1.0, 1.0, 2.0, 2.0, 0.0, -0.0, math.nan, 3, True], _set_scale, _global_step
        )
    finally:
        _set_scale(1.0)
    # one trace per new value: 1.0, 2.0, 0.0, -0.0 (a different zero), nan, 3 (an int), True
    assert traces == 7


def test_an_equal_value_in_a_new_object_replays() -> None:
    try:
        traces = _run_both([float("2.5"), 5.0 / 2, 2.5 + 0.0], _set_scale, _global_step)
    finally:
        _set_scale(1.0)
    assert traces == 1


def test_a_global_tuple_that_decides_a_branch() -> None:
    try:
        traces = _run_both(
            [("sum", 1), ("mean", 1), ("mean", 2), ("sum", 1)], _set_mode, _global_step
        )
    finally:
        _set_mode(("sum", 1))
    assert traces == 4


def test_a_closure_variable_rebound_between_calls() -> None:
    x = Tensor(np.array([1.0, 2.0]))
    k = 3.0

    def step(x: Tensor) -> Tensor:
        return (x * k).sum()

    compiled = tg.compile(step)
    assert compiled(x).item() == 9.0 and compiled(x).item() == 9.0
    k = 4.0
    assert compiled(x).item() == 12.0
    assert compiled.traces == 2


def test_a_learning_rate_written_into_the_optimizer_from_a_global() -> None:
    lrs = [0.1, 0.1, 0.05, 0.01]
    nets = [nn.Linear(2, 1), nn.Linear(2, 1)]
    nets[1].load_state_dict(nets[0].state_dict())
    opts = [optim.SGD(n.parameters(), lr=1.0) for n in nets]
    x, y = Tensor(np.array([[1.0, -2.0], [0.5, 3.0]])), Tensor(np.array([[1.0], [0.0]]))
    state = {"lr": 0.0}

    def make(net: nn.Module, opt: optim.SGD) -> Callable[[Tensor, Tensor], Tensor]:
        def step(x: Tensor, y: Tensor) -> Tensor:
            opt.zero_grad()
            opt.param_groups[0]["lr"] = LR
            loss = ((net(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        return step

    global LR
    compiled, eager = tg.compile(make(nets[0], opts[0])), make(nets[1], opts[1])
    try:
        for lr in lrs:
            LR = lr
            state["lr"] = lr
            assert compiled(x, y).data.tobytes() == eager(x, y).data.tobytes()
            for p, q in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
                assert p.data.tobytes() == q.data.tobytes()
    finally:
        LR = None
    assert compiled.traces == 3


def test_a_global_deleted_after_tracing_raises_as_eager() -> None:
    global GONE
    GONE = 2.0
    x = Tensor(np.array([1.0]))

    def step(x: Tensor) -> Tensor:
        return x * GONE

    compiled = tg.compile(step)
    compiled(x)
    del GONE
    try:
        with pytest.raises(NameError, match="GONE"):
            compiled(x)
    finally:
        GONE = None


@pytest.mark.filterwarnings("ignore:compile. step has been traced")
@settings(deadline=None, max_examples=25)
@given(st.lists(st.sampled_from([0.5, 0.5, 2.0, -0.0, 0.0, 1, 7]), min_size=1, max_size=8))
def test_any_sequence_of_values_computes_as_eager(values: list[Any]) -> None:
    try:
        traces = _run_both(values, _set_scale, _global_step)
    finally:
        _set_scale(1.0)
    changes = 1 + sum(
        1
        for a, b in zip(values, values[1:], strict=False)
        if type(a) is not type(b) or math.copysign(1, a) != math.copysign(1, b) or a != b
    )
    assert traces <= changes
