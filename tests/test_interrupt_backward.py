"""Ctrl-C at random points during backward: every leaf gets its gradient, or none does."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import numpy as np
import pytest

from tests.test_interrupts import (  # noqa: F401 - pytestmark applies here too
    TRIALS,
    interrupt_after,
    median_seconds,
    pytestmark,
    summary,
)
from tinygrad_lite import Tensor

N_LEAVES = 60


@pytest.mark.slow
def test_backward_updates_all_leaves_or_none_under_random_interrupts(alarm: list[Any]) -> None:
    leaves = [Tensor(np.full(3, 0.1 * (i + 1)), requires_grad=True) for i in range(N_LEAVES)]
    before = [np.full(3, 7.0) for _ in leaves]  # gradients already there on half the trials

    def loss() -> Tensor:
        total = Tensor(0.0)
        for p in leaves:
            total = total + (p.tanh() * p).sum()
        return total

    def expected_grad(p: Tensor) -> np.ndarray:
        t = np.tanh(p.data)
        return (1 - t * t) * p.data + t

    def reset(accumulate: bool) -> None:
        for p, b in zip(leaves, before, strict=True):
            p.grad = Tensor(b.copy()) if accumulate else None

    def state(accumulate: bool) -> str:
        olds, news = [], []
        for p, b in zip(leaves, before, strict=True):
            g = None if p.grad is None else p.grad.data
            old = b if accumulate else None
            new = expected_grad(p) + (b if accumulate else 0)
            olds.append(g is None if old is None else g is not None and np.array_equal(g, old))
            news.append(g is not None and np.allclose(g, new, rtol=1e-15, atol=0))
        return "old" if all(olds) else "new" if all(news) else "mixed"

    graphs = [loss() for _ in range(2)]
    duration = median_seconds(lambda: graphs.pop().backward(), lambda: graphs.append(loss()))
    rng = random.Random(7)
    counts: Counter[tuple[str, str]] = Counter()
    for k in range(TRIALS):
        accumulate = k % 2 == 1
        reset(accumulate)
        root = loss()
        outcome = interrupt_after(rng.uniform(0.0, 1.2 * duration), root.backward)
        counts[(outcome, state(accumulate))] += 1
    assert not alarm, f"exceptions reported as unraisable: {alarm[:3]}"
    assert all(s != "mixed" for _, s in counts), summary(counts)
    assert counts[("interrupted", "old")] > 0 and counts[("returned", "new")] > 0, summary(counts)
    print(f"\nbackward under {TRIALS} random interrupts: {summary(counts)}")


def test_an_interrupt_inside_the_commit_puts_every_old_gradient_back() -> None:
    from tinygrad_lite.engine import _commit

    class Leaf:
        """A leaf whose gradient write number `fail_at` is interrupted."""

        writes = 0
        armed = True
        _requires_grad = True  # as a leaf that still requires grad

        def __init__(self, grad: Tensor | None, fail_at: int) -> None:
            self._g, self.fail_at = grad, fail_at

        @property
        def _grad(self) -> Tensor | None:
            return self._g

        @_grad.setter
        def _grad(self, value: Tensor | None) -> None:
            Leaf.writes += 1
            if Leaf.armed and Leaf.writes == self.fail_at:
                Leaf.armed = False  # one Ctrl-C per trial
                raise KeyboardInterrupt("simulated Ctrl-C")
            self._g = value

    for fail_at in range(1, 6):  # the five leaves without a gradient are written to
        Leaf.writes, Leaf.armed = 0, True
        olds = [None if i % 2 else Tensor(np.full(2, float(i))) for i in range(10)]
        leaves = [Leaf(o, fail_at) for o in olds]
        old_arrays = [None if o is None else o.data for o in olds]
        pending = {id(lf): (lf, np.ones(2), False) for lf in leaves}
        try:
            _commit(pending, False)  # type: ignore[arg-type]
        except KeyboardInterrupt:
            pass
        else:  # pragma: no cover - the fake leaf always interrupts
            raise AssertionError("no interrupt")
        for lf, o, a in zip(leaves, olds, old_arrays, strict=True):
            assert lf._g is o
            if o is not None:
                assert o.data is a  # accumulated in place, and put back
