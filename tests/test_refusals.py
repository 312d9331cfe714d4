"""Hazards that once gave a wrong number without an error: each now computes right or refuses."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, optim
from tinygrad_lite.gradcheck import GradcheckError, GradcheckWarning, gradcheck


def test_gradcheck_fails_a_wrong_backward_even_where_a_difference_is_nan() -> None:
    class WrongSqrt(tg.Function):  # 6 times the true derivative
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sqrt(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved
            return (grad * 3.0 / np.sqrt(x),)

    x = Tensor([1e-7, 4.0], requires_grad=True)  # x - eps < 0: the difference there is NaN
    with np.errstate(invalid="ignore"), pytest.raises(GradcheckError, match="input 0"):
        gradcheck(WrongSqrt.apply, x)
    with np.errstate(invalid="ignore"), pytest.raises(GradcheckError, match="index \\(1,\\)"):
        with pytest.warns(GradcheckWarning, match="skipped 1 element"):
            gradcheck(WrongSqrt.apply, x, nonfinite="skip")  # the rest is still checked
    with np.errstate(invalid="ignore"), pytest.warns(GradcheckWarning, match="at \\[\\(0,\\)\\]"):
        assert gradcheck(lambda t: t.sqrt(), x, nonfinite="skip")


def test_one_no_grad_decorator_shared_by_threads_restores_each_threads_mode() -> None:
    decorated = tg.no_grad()
    inside: dict[str, bool] = {}
    after: dict[str, bool] = {}
    barrier = threading.Barrier(2)

    @decorated
    def work(name: str) -> None:
        barrier.wait()
        inside[name] = tg.is_grad_enabled()
        barrier.wait()

    def run(name: str) -> None:
        work(name)
        after[name] = tg.is_grad_enabled()

    threads = [threading.Thread(target=run, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert inside == {"a": False, "b": False} and after == {"a": True, "b": True}


def test_set_grad_enabled_called_as_a_function_switches_the_mode() -> None:
    try:
        tg.set_grad_enabled(False)
        assert not tg.is_grad_enabled()
        assert not (Tensor([1.0], requires_grad=True) * 2).requires_grad
    finally:
        tg.set_grad_enabled(True)
    with tg.set_grad_enabled(False):
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_an_optimizer_step_between_forward_and_backward_is_refused() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    (w * 3).sum().backward()
    opt.step()
    with pytest.raises(RuntimeError, match="was modified in place after the op used it"):
        loss.backward()
    # an op that did not save the changed input is not affected
    w2 = Tensor([1.0, 2.0], requires_grad=True)
    opt2 = optim.SGD([w2], lr=0.1)
    loss2 = (w2 + 1.0).sum()
    (w2 * 3).sum().backward()
    opt2.step()
    loss2.backward()


def test_an_index_array_changed_after_indexing_does_not_change_the_gradient() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    idx = np.array([0, 0, 2])
    y = x[idx]
    idx[:] = 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 0.0, 1.0])


def test_requires_grad_changes_that_would_lie_are_refused() -> None:
    x = Tensor([1.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="only a leaf's flag can change"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="only a leaf's flag can change"):
        y.requires_grad = False
    n = Tensor([1, 2])
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        n.requires_grad = True


def test_a_gradient_of_the_wrong_shape_or_dtype_cannot_be_assigned() -> None:
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(2, 3\)"):
        w.grad = Tensor(np.ones(3))
    with pytest.raises(ValueError, match="dtype float32"):
        w.grad = Tensor(np.ones((2, 3), dtype=np.float32))
    with pytest.raises(TypeError, match="assign a Tensor or None"):
        w.grad = np.ones((2, 3))  # type: ignore[assignment]


def test_max_over_nan_is_nan_and_its_gradient_goes_to_the_nan() -> None:
    x = Tensor([1.0, np.nan, 3.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        m = x.max()
        assert np.isnan(m.item())
        m.backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 0.0])


def test_shapes_must_be_integers() -> None:
    with pytest.raises(TypeError, match="sizes must be integers, got 2.7"):
        tg.zeros(2.7)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sizes must be integers"):
        Tensor(np.ones(6)).reshape(2.0, 3)  # type: ignore[arg-type]
