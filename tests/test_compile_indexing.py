"""Indexing inside a compiled step: the gradient's scatter starts from fresh zeros every call."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor

INDICES = {
    "repeated rows": np.array([2, 0, 2]),
    "one array per dim": (np.array([2, 0, 2]), np.array([1, 1, 0])),
    "a slice": slice(0, 2),
    "a row and a slice": (1, slice(None)),
}


@pytest.mark.parametrize("index", INDICES.values(), ids=list(INDICES))
def test_the_gradient_of_an_indexed_tensor_is_the_same_on_every_replay(index: Any) -> None:
    def make():
        w = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)

        def step(scale: Tensor) -> Tensor:
            w.grad = None
            y = w[index] * scale
            (y * y).sum().backward()
            return w.grad

        return step

    eager, fast = make(), tg.compile(make())
    for k in range(4):
        scale = Tensor(np.array(1.0 + k))
        assert eager(scale).data.tobytes() == fast(scale).data.tobytes(), k
    assert fast.traces == 1
