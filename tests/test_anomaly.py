"""detect_anomaly: the first op whose forward or backward is not finite is named, with its line."""

from __future__ import annotations

import inspect
import re
import threading
from collections.abc import Iterator

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import AnomalyError, Tensor, anomaly, autograd, detect_anomaly
from tinygrad_lite import functional as F


@pytest.fixture(autouse=True)
def _quiet_fp() -> Iterator[None]:
    # The tests make ops produce inf/NaN on purpose: NumPy must let them through so that the
    # anomaly check (not NumPy's own floating-point error) is what fires.
    with np.errstate(all="ignore"):
        yield


def here(offset: int = 0) -> str:
    """'file:line' of the caller's line plus `offset`."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return f"{frame.f_back.f_code.co_filename}:{frame.f_back.f_lineno + offset}"


def test_forward_inf_names_op_line_and_shapes() -> None:
    x = Tensor(np.array([[0.0, 1.0, 2.0]]), requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as err:
        where = here(1)
        x.log()
    msg = str(err.value)
    assert msg.startswith("Log forward produced infinity")
    assert where in msg
    assert "(1, 3)" in msg


def test_forward_nan_names_the_first_bad_op_not_later_ones() -> None:
    x = Tensor([-1.0, 4.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as err:
        y = x * 2.0
        where = here(1)
        z = (y - 1.0) ** 0.5  # sqrt of a negative: NaN
        (z.exp() * 3.0).sum()  # never reached: the error is raised at Pow
    msg = str(err.value)
    assert "Pow forward produced NaN" in msg
    assert where in msg
    assert "shape (2,)" in msg


def test_forward_check_also_runs_without_a_graph() -> None:
    # Constants (no requires_grad) and no_grad blocks build no node but are still checked.
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"Div forward produced infinity"):
        Tensor([1.0, 2.0]) / Tensor([0.0, 1.0])
    x = Tensor([0.0], requires_grad=True)
    with detect_anomaly(), tg.no_grad(), pytest.raises(AnomalyError) as err:
        where = here(1)
        x.log()
    assert where in str(err.value)


def test_backward_inf_names_op_and_where_it_was_created() -> None:
    # sqrt is finite at 0, its derivative 1/(2·sqrt(x)) is not.
    x = Tensor(np.array([[0.0, 4.0], [1.0, 9.0]]), requires_grad=True)
    with detect_anomaly():
        where = here(1)
        r = x**0.5
        loss = (r * 3.0).sum()
        assert np.all(np.isfinite(loss.data))
        with pytest.raises(AnomalyError) as err:
            loss.backward()
    msg = str(err.value)
    assert msg.startswith("Pow backward produced infinity in its gradient of input 0")
    assert where in msg
    assert "(2, 2)" in msg


def test_backward_nan_in_second_input_is_reported_with_its_index() -> None:
    # d(x**y)/dy = x**y · ln x: (-1)**2 = 1 is fine, but ln(-1) is NaN.
    x = Tensor([-1.0, 2.0], requires_grad=True)
    y = Tensor([2.0, 1.0], requires_grad=True)
    with detect_anomaly():
        where = here(1)
        z = (x**y).sum()
        with pytest.raises(AnomalyError) as err:
            z.backward()
    msg = str(err.value)
    assert "PowTensor backward produced NaN in its gradient of input 1" in msg
    assert where in msg


def test_lines_point_into_user_code_through_functional_helpers() -> None:
    # mse_loss builds its ops inside the package; the reported line is the user's call.
    x = Tensor([[1e200, 0.0]], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as err:
        where = here(1)
        F.mse_loss(x, np.zeros((1, 2)))
    msg = str(err.value)
    assert msg.startswith("Mul forward produced infinity")
    assert where in msg
    assert "tinygrad_lite" not in msg.split(" at ")[1].split(";")[0]


def test_nothing_raised_when_off() -> None:
    x = Tensor([0.0, 4.0], requires_grad=True)
    y = (x.log() * 1.0).sum()
    assert np.isneginf(y.item())
    r = (x**0.5).sum()
    r.backward()
    assert x.grad is not None and np.isinf(x.grad.data[0])
    assert x.grad.data[1] == pytest.approx(0.25)


def test_finite_computation_passes_unchanged_under_anomaly_mode() -> None:
    rng = np.random.default_rng(0)
    w_data = rng.standard_normal((3, 2))
    xs = rng.standard_normal((5, 3))

    def run() -> np.ndarray:
        w = Tensor(w_data.copy(), requires_grad=True)
        loss = (Tensor(xs) @ w).tanh().sigmoid().log().mean()
        loss.backward()
        assert w.grad is not None
        return w.grad.data

    plain = run()
    with detect_anomaly():
        checked = run()
    np.testing.assert_array_equal(plain, checked)


def test_nesting_restores_the_outer_state_even_after_an_error() -> None:
    assert not autograd.is_anomaly_enabled()
    with detect_anomaly():
        with detect_anomaly():
            assert autograd.is_anomaly_enabled()
        assert autograd.is_anomaly_enabled()  # the outer block is still active
        with pytest.raises(AnomalyError):
            with detect_anomaly():
                Tensor([0.0]).log()
        assert autograd.is_anomaly_enabled()
    assert not autograd.is_anomaly_enabled()
    Tensor([0.0]).log()  # off again: no error


def test_anomaly_error_is_a_floating_point_error() -> None:
    with detect_anomaly(), pytest.raises(FloatingPointError):
        Tensor([0.0]).log()


def test_mode_is_thread_local() -> None:
    # Thread A turns the mode on and waits; thread B, running meanwhile, must not see it.
    on = threading.Event()
    b_done = threading.Event()
    results: dict[str, object] = {}

    def thread_a() -> None:
        with np.errstate(all="ignore"), detect_anomaly():
            on.set()
            b_done.wait(10)
            try:
                Tensor([0.0]).log()
                results["a"] = "no error"
            except AnomalyError as e:
                results["a"] = e

    def thread_b() -> None:
        on.wait(10)
        results["b_enabled"] = autograd.is_anomaly_enabled()
        try:
            with np.errstate(all="ignore"):  # NumPy's error state is per thread too
                results["b"] = Tensor([0.0]).log().data[0]
        except AnomalyError as e:
            results["b"] = e
        finally:
            b_done.set()

    ta, tb = threading.Thread(target=thread_a), threading.Thread(target=thread_b)
    ta.start()
    tb.start()
    ta.join(20)
    tb.join(20)
    assert on.is_set() and b_done.is_set()
    assert results["b_enabled"] is False
    assert results["b"] == -np.inf
    assert isinstance(results["a"], AnomalyError)


def test_free_when_off(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"check": 0, "frame": 0}
    real_check, real_frame = anomaly.check_finite, anomaly.user_frame

    def counting_check(*args: object, **kwargs: object) -> None:
        calls["check"] += 1
        real_check(*args, **kwargs)  # type: ignore[arg-type]

    def counting_frame() -> str:
        calls["frame"] += 1
        return real_frame()

    monkeypatch.setattr(anomaly, "check_finite", counting_check)
    monkeypatch.setattr(anomaly, "user_frame", counting_frame)

    def train_step() -> None:
        w = Tensor(np.full((2, 2), 0.5), requires_grad=True)
        x = Tensor(np.ones((2, 3)))
        loss = (w @ x).tanh().sum()
        loss.backward()
        with tg.no_grad():
            _ = w * 2.0

    train_step()
    assert calls == {"check": 0, "frame": 0}
    # The counters do count when the mode is on (so the zero above is meaningful):
    # 4 forward ops (matmul, tanh, sum, no-grad mul) and 3 backward nodes.
    with detect_anomaly():
        train_step()
    assert calls["check"] == 7
    assert calls["frame"] == 4


def test_forward_message_format() -> None:
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.zeros((1, 3)))
    with detect_anomaly(), pytest.raises(AnomalyError) as err:
        a / b
    assert re.fullmatch(
        r"Div forward produced infinity in its output \(shape \(2, 3\)\); the op was created "
        r"at .*test_anomaly\.py:\d+; input shapes: \(2, 3\), \(1, 3\)",
        str(err.value),
    )


def test_an_anomaly_in_backward_leaves_every_gradient_unchanged() -> None:
    x = Tensor([0.0, 1.0], requires_grad=True)
    w = Tensor([2.0, 2.0], requires_grad=True)
    with detect_anomaly():
        r = x**0.5  # its backward is infinite at 0
        s = x * w  # created later, so backward reaches it (and the leaves) first
        loss = (r + s).sum()
        with pytest.raises(AnomalyError, match="Pow backward"):
            loss.backward()
    assert x.grad is None and w.grad is None
