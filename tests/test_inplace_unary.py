"""In-place unary ops (`relu_`, `exp_`, `clamp_`, ...) and random fills (`uniform_`, `normal_`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor, no_grad

VALUES = np.array([[-1.5, 0.25, 2.0], [0.5, -0.75, 3.0]])
UNARY: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[Tensor], Tensor]]] = {
    "relu_": (lambda t: t.relu_(), lambda t: t.relu()),
    "sigmoid_": (lambda t: t.sigmoid_(), lambda t: t.sigmoid()),
    "tanh_": (lambda t: t.tanh_(), lambda t: t.tanh()),
    "exp_": (lambda t: t.exp_(), lambda t: t.exp()),
    "log_": (lambda t: (t * t).log_(), lambda t: (t * t).log()),
    "sqrt_": (lambda t: (t * t).sqrt_(), lambda t: (t * t).sqrt()),
    "abs_": (lambda t: t.abs_(), lambda t: t.abs()),
    "neg_": (lambda t: t.neg_(), lambda t: -t),
    "clamp_": (lambda t: t.clamp_(-1.0, 1.0), lambda t: t.clamp(-1.0, 1.0)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_outside_the_graph_the_values_are_written_into_the_tensor(name: str) -> None:
    in_place, out_of_place = UNARY[name]
    t = Tensor(VALUES.copy())
    array = t.data
    result = in_place(t)
    expected = out_of_place(Tensor(VALUES.copy())).data
    if name not in ("log_", "sqrt_"):  # those act on t * t, a new tensor
        assert result is t and t.data is array  # the same memory: other names see it
    np.testing.assert_array_equal(result.data, expected)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_on_a_graph_result_the_gradient_is_the_out_of_place_ones(name: str) -> None:
    in_place, out_of_place = UNARY[name]
    grads = []
    for fn in (in_place, out_of_place):
        w = Tensor(VALUES.copy(), requires_grad=True)
        y = fn(w * 1.0)
        (y * Tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
        assert w.grad is not None
        grads.append(w.grad.data)
    np.testing.assert_array_equal(grads[0], grads[1])


def test_a_leaf_that_requires_grad_is_refused_and_no_grad_allows_it() -> None:
    w = Tensor(VALUES.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match="is a leaf that requires grad"):
        w.relu_()
    with no_grad():
        w.clamp_(max=1.0)
    assert w.data.max() == 1.0 and w.requires_grad


def test_a_result_that_does_not_fit_the_dtype_is_refused() -> None:
    ints = Tensor(np.array([1, -2]))
    assert ints.relu_().tolist() == [1, 0] and ints.abs_().tolist() == [1, 0]
    with pytest.raises(TypeError, match="exp_"):
        Tensor(np.array([1, 2])).exp_()


@pytest.mark.parametrize(
    "fill, check",
    [
        (lambda t, g: t.uniform_(-2.0, 3.0, generator=g), lambda a: -2 <= a.min() < a.max() < 3),
        (lambda t, g: t.normal_(1.0, 0.5, generator=g), lambda a: abs(a.mean() - 1) < 0.01),
    ],
    ids=["uniform_", "normal_"],
)
def test_random_fills(fill: Callable[[Tensor, Any], Tensor], check: Callable[[Any], bool]) -> None:
    t = Tensor(np.zeros((200, 200)))
    array = t.data
    assert fill(t, 0) is t and t.data is array and check(t.data)
    again = fill(Tensor(np.zeros((200, 200))), 0)
    np.testing.assert_array_equal(again.data, t.data)  # one seed, one draw
    f32 = fill(Tensor(np.zeros(5, np.float32)), 1)
    assert f32.dtype == np.float32
    with pytest.raises(TypeError, match="needs a float tensor"):
        fill(Tensor(np.zeros(3, np.int64)), 0)
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        fill(Tensor(np.zeros(3), requires_grad=True), 0)


def test_normal_refuses_a_negative_std() -> None:
    with pytest.raises(ValueError, match="std must be >= 0"):
        Tensor(np.zeros(3)).normal_(0.0, -1.0)
