"""Threads: grad mode is per thread, and concurrent training is bit-identical to training alone."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from models.training import make_train_step
from models.two_layer import TwoLayerNet
from tinygrad_lite import Tensor, optim
from tinygrad_lite.datasets import load_dataset

TIMEOUT = 60


def run_threads(*targets: Callable[[], None]) -> None:
    """Run each target in its own thread; re-raise the first exception any of them raised."""
    errors: list[BaseException] = []

    def wrap(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except BaseException as e:  # reported to the test below
                errors.append(e)

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_leaves_the_other_recording() -> None:
    # A enters no_grad; while it is inside, B builds and backpropagates a graph; then the
    # roles swap. Barriers force each interleaving instead of hoping for it.
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    seen: dict[str, Any] = {}

    def thread_a() -> None:
        w = Tensor([1.0, 2.0], requires_grad=True)
        with tg.no_grad():
            barrier.wait()  # 1: A is inside no_grad
            barrier.wait()  # 2: B has built its graph meanwhile
            seen["a_inside"] = (w * 3.0).requires_grad
        y = (w * 3.0).sum()
        seen["a_after"] = y.requires_grad
        barrier.wait()  # 3: A is outside, about to build while B is in no_grad
        barrier.wait()  # 4: B is inside no_grad now
        z = (w * w).sum()
        seen["a_while_b_off"] = z.grad_fn
        z.backward()
        seen["a_grad"] = w.grad.data.copy() if w.grad is not None else None
        barrier.wait()  # 5

    def thread_b() -> None:
        v = Tensor([4.0], requires_grad=True)
        barrier.wait()  # 1
        seen["b_enabled_while_a_off"] = tg.is_grad_enabled()
        y = (v * v).sum()
        seen["b_graph"] = y.grad_fn
        y.backward()
        seen["b_grad"] = v.grad.data.copy() if v.grad is not None else None
        barrier.wait()  # 2
        barrier.wait()  # 3
        with tg.set_grad_enabled(False):
            barrier.wait()  # 4
            barrier.wait()  # 5: A built and backpropagated while B was inside
            seen["b_inside"] = (v * 2.0).requires_grad

    run_threads(thread_a, thread_b)
    assert seen["b_enabled_while_a_off"] is True
    assert seen["b_graph"] is not None
    np.testing.assert_array_equal(seen["b_grad"], [8.0])
    assert seen["a_inside"] is False
    assert seen["a_after"] is True
    assert seen["a_while_b_off"] is not None
    np.testing.assert_array_equal(seen["a_grad"], [2.0, 4.0])
    assert seen["b_inside"] is False
    assert tg.is_grad_enabled()  # the main thread was never affected


def test_no_grad_decorator_is_per_thread_too() -> None:
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    seen: dict[str, bool] = {}

    @tg.no_grad()
    def evaluate(w: Tensor) -> bool:
        barrier.wait()  # the other thread records while this one is inside
        barrier.wait()
        return (w * 2.0).requires_grad

    def recorder(w: Tensor) -> None:
        barrier.wait()
        seen["recorder"] = (w * 2.0).requires_grad
        barrier.wait()

    w = Tensor([1.0], requires_grad=True)
    run_threads(
        lambda: seen.__setitem__("evaluate", evaluate(w)),
        lambda: recorder(w),
    )
    assert seen == {"evaluate": False, "recorder": True}


def test_a_new_thread_starts_with_grad_enabled_whatever_its_parent_does() -> None:
    seen: list[bool] = []
    with tg.no_grad():
        run_threads(lambda: seen.append(tg.is_grad_enabled()))
    assert seen == [True]


# ------------------------------------------------------------------------------ training


def train(
    name: str, steps: int, lockstep: threading.Barrier | None = None, compiled: bool = False
) -> tuple[list[float], dict[str, np.ndarray]]:
    """Train the tutorial network on one data set; optionally wait at `lockstep` every step."""
    X, Y = load_dataset(name)
    net = TwoLayerNet(2, 4, 1, seed=3)
    step = make_train_step(net, optim.SGD(net.parameters(), lr=1.2))
    run = tg.compile(step) if compiled else step
    costs = []
    for _ in range(steps):
        if lockstep is not None:
            lockstep.wait()
        costs.append(run(Tensor(X), Tensor(Y)).item())
    return costs, net.state_dict()


@pytest.mark.parametrize(
    ("lockstep", "compiled"),
    [(True, (False, False)), (False, (False, False)), (True, (True, True)), (False, (True, False))],
    ids=["lockstep", "free-running", "lockstep-compiled", "free-running-compiled-and-eager"],
)
def test_concurrent_training_is_bit_identical_to_training_alone(
    lockstep: bool, compiled: tuple[bool, bool]
) -> None:
    steps = 200
    names = ("flower", "noisy_moons")
    alone = {name: train(name, steps) for name in names}
    barrier = threading.Barrier(2, timeout=TIMEOUT) if lockstep else None
    together: dict[str, tuple[list[float], dict[str, np.ndarray]]] = {}

    def worker(name: str, fast: bool) -> Callable[[], None]:
        return lambda: together.__setitem__(name, train(name, steps, barrier, fast))

    run_threads(*(worker(n, c) for n, c in zip(names, compiled, strict=True)))
    for name, (costs, state) in alone.items():
        assert together[name][0] == costs  # every cost, bit for bit
        for key, value in state.items():
            np.testing.assert_array_equal(together[name][1][key], value, err_msg=f"{name} {key}")
    # The two runs are really different, so a mix-up between threads would show.
    assert alone["flower"][0][-1] != alone["noisy_moons"][0][-1]


def test_threads_evaluating_under_no_grad_while_another_trains() -> None:
    # One thread trains; another repeatedly evaluates a second model under no_grad. The
    # trainer's graphs must never be switched off, and its result must match training alone.
    steps = 100
    expected = train("flower", steps)
    done = threading.Event()
    result: dict[str, Any] = {}

    def trainer() -> None:
        try:
            result["train"] = train("flower", steps)
        finally:
            done.set()

    def evaluator() -> None:
        X, _ = load_dataset("noisy_moons")
        net = TwoLayerNet(2, 4, 1, seed=5)
        graphs = 0
        while not done.is_set():
            with tg.no_grad():
                graphs += net(X).requires_grad
        result["graphs"] = graphs

    run_threads(trainer, evaluator)
    assert result["graphs"] == 0
    assert result["train"][0] == expected[0]
    for key, value in expected[1].items():
        np.testing.assert_array_equal(result["train"][1][key], value)
