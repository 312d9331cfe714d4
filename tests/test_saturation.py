"""The saturation trap: sigmoid then cross-entropy on probabilities, and detect_saturation."""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Iterator

import numpy as np
import pytest

import tinygrad_lite as tg
from models.deep import DeepNet
from tinygrad_lite import SaturationWarning, Tensor, anomaly, datasets, detect_saturation, optim
from tinygrad_lite import functional as F


@pytest.fixture(autouse=True)
def _fresh_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        yield


def here(offset: int = 0) -> str:
    """'file:line' of the caller's line plus `offset`."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return f"{frame.f_back.f_code.co_filename}:{frame.f_back.f_lineno + offset}"


def saturation_warnings(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, SaturationWarning)]


def test_the_trap_zero_gradient_where_the_fused_loss_trains() -> None:
    z = Tensor([[40.0, -3.0]], requires_grad=True)  # σ(40) rounds to exactly 1
    y = np.array([[0.0, 1.0]])  # the first example is confidently wrong
    F.binary_cross_entropy(z.sigmoid(), y).backward()
    assert z.grad is not None
    assert z.grad.data[0, 0] == 0.0  # exactly: no gradient for the wrong example
    literal = z.grad.data.copy()
    z.grad = None
    F.binary_cross_entropy_with_logits(z, y).backward()
    sigma = 1.0 / (1.0 + np.exp(3.0))
    np.testing.assert_allclose(z.grad.data, [[(1.0 - 0.0) / 2, (sigma - 1.0) / 2]], rtol=1e-15)
    assert literal[0, 1] == pytest.approx(z.grad.data[0, 1], rel=1e-12)  # elsewhere, the same


def test_saturation_warns_naming_op_line_and_fraction() -> None:
    z = Tensor([[40.0, -3.0, 50.0, 0.5]], requires_grad=True)
    y = Tensor([[0.0, 1.0, 0.0, 1.0]])
    with detect_saturation(), warnings.catch_warnings(record=True) as record:
        created = here(1)
        p = z.sigmoid()
        loss = F.binary_cross_entropy(p, y)
        called = here(1)
        loss.backward()
    (message,) = saturation_warnings(record)
    assert message.startswith("Sigmoid backward: 2 of 4 elements (50.0%) of its output are ")
    assert "exactly 0.0 or 1.0" in message and created in message
    assert "binary_cross_entropy_with_logits" in message
    (w,) = [w for w in record if issubclass(w.category, SaturationWarning)]
    assert f"{w.filename}:{w.lineno}" == called  # reported at the user's backward() call


def test_a_saturated_but_right_output_does_not_warn() -> None:
    # σ(40) = 1 for a label 1: the loss asks for nothing (zero upstream gradient), nothing lost.
    z = Tensor([[40.0, -1.0]], requires_grad=True)
    with detect_saturation(), warnings.catch_warnings(record=True) as record:
        F.binary_cross_entropy(z.sigmoid(), Tensor([[1.0, 0.0]])).backward()
    assert saturation_warnings(record) == []
    with detect_saturation(), warnings.catch_warnings(record=True) as record:
        F.binary_cross_entropy_with_logits(z, Tensor([[0.0, 0.0]])).backward()  # fused: no op
    assert saturation_warnings(record) == []


def test_tanh_saturation_also_for_large_arrays_whose_buffer_is_reused() -> None:
    # 10,000 float64 elements: the tanh backward may write its result into the saved output's
    # buffer once nothing else holds it; the check must still see the outputs.
    values = np.where(np.arange(10_000).reshape(100, 100) % 4 == 0, 30.0, 0.25)
    x = Tensor(values, requires_grad=True)
    with detect_saturation(), warnings.catch_warnings(record=True) as record:
        (x.tanh() * 2.0).sum().backward()
    (message,) = saturation_warnings(record)
    assert message.startswith("Tanh backward: 2500 of 10000 elements (25.0%)")
    assert "exactly -1.0 or 1.0" in message
    expected = np.where(values == 30.0, 0.0, 2.0 * (1.0 - np.tanh(0.25) ** 2))
    np.testing.assert_array_equal(x.grad.data, expected)


def test_also_when_the_backward_is_recorded_and_in_compiled_steps() -> None:
    x = Tensor([25.0, 0.1], requires_grad=True)
    with detect_saturation(), warnings.catch_warnings(record=True) as record:
        (g,) = tg.grad(x.tanh().sum(), [x], create_graph=True)
    assert len(saturation_warnings(record)) == 1 and g.requires_grad

    w = Tensor([[40.0]], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def step(X: Tensor, Y: Tensor) -> Tensor:
        opt.zero_grad()
        loss = F.binary_cross_entropy((w @ X).sigmoid(), Y)
        loss.backward()
        opt.step()
        return loss

    compiled = tg.compile(step)
    X, Y = Tensor([[1.0]]), Tensor([[0.0]])
    with detect_saturation(), warnings.catch_warnings(record=True) as record:
        compiled(X, Y)  # anomaly mode runs the step eagerly, so every op is checked
    assert len(saturation_warnings(record)) == 1
    assert w.data[0, 0] == 40.0  # and the step indeed learned nothing


def test_off_it_costs_nothing_and_the_mode_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: object) -> None:
        raise AssertionError("the anomaly checks ran outside anomaly mode")

    monkeypatch.setattr(anomaly, "check_backward", never)
    z = Tensor([[40.0]], requires_grad=True)
    with warnings.catch_warnings(record=True) as record:
        F.binary_cross_entropy(z.sigmoid(), Tensor([[0.0]])).backward()
    assert record == [] and z.grad.data[0, 0] == 0.0
    monkeypatch.undo()
    assert not tg.is_anomaly_enabled() and not anomaly.is_saturation_enabled()
    with tg.detect_anomaly():
        with detect_saturation():
            assert anomaly.is_saturation_enabled() and tg.is_anomaly_enabled()
        assert tg.is_anomaly_enabled() and not anomaly.is_saturation_enabled()
    assert not tg.is_anomaly_enabled()


def test_detect_anomaly_alone_does_not_warn() -> None:
    z = Tensor([[40.0]], requires_grad=True)
    with tg.detect_anomaly(), warnings.catch_warnings(record=True) as record:
        F.binary_cross_entropy(z.sigmoid(), Tensor([[0.0]])).backward()
    assert saturation_warnings(record) == []


def test_the_courses_model_written_literally_stalls_on_saturated_examples() -> None:
    # Random × 10 initialisation on the circles: the output saturates at the start.
    rows, labels = datasets.make_circles(300, noise=0.05, random_state=1)  # the course's
    X, Y = rows.T, labels.reshape(1, -1).astype(np.float64)
    net = DeepNet([2, 10, 5, 1], init="random", seed=3)
    with detect_saturation(), warnings.catch_warnings(record=True) as record:
        F.binary_cross_entropy(net(X), Y).backward()
    (message,) = saturation_warnings(record)
    count, total = map(int, re.match(r"Sigmoid backward: (\d+) of (\d+)", message).groups())
    assert total == 300 and count > 0
    literal = net.W3.grad.data.copy()
    net.zero_grad()
    net.cost(X, Y).backward()  # the fused loss: dZ3 = (A3 − Y)/m for every example
    Z3 = net.logits(X).data
    A3 = 1.0 / (1.0 + np.exp(-np.clip(Z3, -500, 500)))
    dead = (A3 == 1.0) & (Y == 0.0)
    assert int(dead.sum()) == count  # exactly the saturated, wrong examples
    assert not np.allclose(literal, net.W3.grad.data)  # which the fused loss still corrects
