"""Dropout and random draws: the statistics, train and eval, and fresh draws in compiled steps."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite.functional import dropout


def test_inverted_dropout_zeroes_with_probability_p_and_scales_the_rest() -> None:
    x = Tensor(np.ones((200, 500)), requires_grad=True)
    y = dropout(x, 0.3, generator=np.random.default_rng(0))
    kept = y.data != 0
    assert abs(kept.mean() - 0.7) < 6 * np.sqrt(0.3 * 0.7 / x.size)
    np.testing.assert_allclose(y.data[kept], 1 / 0.7)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)  # d(x·mask)/dx = mask


def test_eval_p0_p1_and_dtypes() -> None:
    x = Tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3), requires_grad=True)
    assert dropout(x, 0.5, training=False) is x and dropout(x, 0.0) is x
    np.testing.assert_array_equal(dropout(x, 1.0).data, np.zeros((2, 3)))
    assert dropout(x, 0.5, generator=1).dtype == np.float32
    for bad in (-0.1, 1.5, True, "0.5"):
        with pytest.raises(ValueError, match="p must be a probability in"):
            dropout(x, bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="p must be a probability in"):
            nn.Dropout(bad)  # type: ignore[arg-type]


def test_the_module_drops_in_train_and_passes_through_in_eval() -> None:
    layer = nn.Dropout(0.5, generator=3)
    x = Tensor(np.ones((4, 50)))
    assert (layer(x).data == 0).any()
    layer.eval()
    assert layer(x) is x or np.array_equal(layer(x).data, x.data)
    assert repr(layer) == "Dropout(p=0.5, inplace=False)"


def test_same_generator_state_same_masks_and_manual_seed_reproduces() -> None:
    a = dropout(Tensor(np.ones(20)), 0.5, generator=np.random.default_rng(4))
    b = dropout(Tensor(np.ones(20)), 0.5, generator=np.random.default_rng(4))
    np.testing.assert_array_equal(a.data, b.data)
    tg.manual_seed(11)
    first = (dropout(Tensor(np.ones(20)), 0.5).data, tg.randn(3).data)
    tg.manual_seed(11)
    second = (dropout(Tensor(np.ones(20)), 0.5).data, tg.randn(3).data)
    for u, v in zip(first, second, strict=True):
        np.testing.assert_array_equal(u, v)


def _dropout_step(seed: int):
    drop = nn.Dropout(0.4, generator=np.random.default_rng(seed))
    noise = np.random.default_rng(seed + 1)
    w = Tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)

    def step(x: Tensor):
        w.grad = None
        h = drop((w * x).tanh())
        loss = (h * h).sum() + (tg.randn(3, 4, seed=noise) * w).sum()
        loss.backward()
        return loss, w.grad

    return step


def test_a_compiled_step_draws_a_fresh_mask_on_every_call_exactly_as_eager() -> None:
    eager, fast = _dropout_step(7), tg.compile(_dropout_step(7))
    x = Tensor(np.ones((3, 4)))
    seen = set()
    for _ in range(6):
        (a, ga), (b, gb) = eager(x), fast(x)
        assert a.data.tobytes() == b.data.tobytes()
        assert ga.data.tobytes() == gb.data.tobytes()
        seen.add(b.data.tobytes())
    assert len(seen) == 6 and fast.traces == 1  # six different draws, one trace


def test_the_courses_dropout_with_np_random_is_replayed_as_fresh_draws() -> None:
    def make():
        W = Tensor(np.full((4, 3), 0.5), requires_grad=True)

        def step(X: Tensor) -> Tensor:
            W.grad = None
            A = np.tanh(np.dot(W, X))
            D = np.random.rand(A.shape[0], A.shape[1]) < 0.8  # noqa: NPY002 - the course's mask
            A = np.multiply(A, D) / 0.8
            cost = np.sum(A * A)
            cost.backward()
            return cost

        return step

    eager, fast = make(), tg.compile(make())
    X = Tensor(np.linspace(-1, 1, 15).reshape(3, 5))
    for seed in range(4):
        np.random.seed(seed)  # noqa: NPY002 - the course's global state
        a = eager(X)
        np.random.seed(seed)  # noqa: NPY002
        b = fast(X)
        assert a.data.tobytes() == b.data.tobytes()
    assert "np.random.rand(4, 5)" in fast.source


def _dropout_net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4, seed=0), nn.Dropout(0.5), nn.Linear(4, 1, seed=1))


def test_manual_seed_reaches_a_compiled_step() -> None:
    """Reseeding between calls gives the replay the masks eager draws after the same seed."""
    eager_net, comp_net = _dropout_net(), _dropout_net()
    fast = tg.compile(lambda x: comp_net(x).sum())
    x = np.ones((2, 3))
    outs = []
    for seed in (0, 0, 5, 0):
        tg.manual_seed(seed)
        a = eager_net(x).sum()
        tg.manual_seed(seed)
        b = fast(x)
        assert a.item() == b.item()
        outs.append(b.item())
    assert outs[0] == outs[1] == outs[3] != outs[2] and fast.traces == 1


def test_train_and_eval_each_get_a_plan_and_switching_replays_the_right_one() -> None:
    eager_net, comp_net = _dropout_net(), _dropout_net()
    fast = tg.compile(lambda x: comp_net(x).sum())
    x = np.ones((2, 3))
    for mode in (True, False, True, True, False, False, True):
        eager_net.train(mode)
        comp_net.train(mode)
        tg.manual_seed(2)
        a = eager_net(x).sum()
        tg.manual_seed(2)
        assert a.item() == fast(x).item(), mode
    assert fast.traces == 2  # one plan per mode, both kept
    comp_net[1].training = False  # set on one module by hand: also followed
    eager_net[1].training = False
    comp_net.train(True)
    comp_net[1].training = False
    eager_net.train(True)
    eager_net[1].training = False
    assert eager_net(x).sum().item() == fast(x).item()
