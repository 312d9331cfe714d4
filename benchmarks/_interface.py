"""The interface every timed training step implements, and the parameter names and layout."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

Array = np.ndarray
Params = dict[str, Array]
NAMES = ("W1", "b1", "W2", "b2")


def copy_params(d: dict[str, Any], names: tuple[str, ...] = NAMES, prefix: str = "") -> Params:
    """Float64 copies of ``d[prefix + name]`` for each name (e.g. prefix "d" for gradients)."""
    return {n: np.array(d[prefix + n], dtype=np.float64, copy=True) for n in names}


class Implementation:
    """One training step of the tutorial's network: build from data and weights, then step.

    Every implementation is built from the same data and starting weights and does, per step:
    forward pass, cross-entropy cost, backward pass, and the update θ ← θ − α·dθ. ``step()``
    returns the cost before the update as a Python float; ``parameters()`` and ``gradients()``
    return copies of W1, b1, W2, b2 and of the last step's dW1, db1, dW2, db2 (column layout:
    X is (n_x, m), Y is (1, m), W1 is (n_h, n_x), b1 is (n_h, 1), W2 is (1, n_h), b2 is (1, 1)).
    """

    name: ClassVar[str] = ""

    def __init__(self, X: Array, Y: Array, params: Params, lr: float) -> None:
        raise NotImplementedError

    @classmethod
    def unavailable(cls) -> str | None:
        """Why this implementation cannot run here, or None when it can."""
        return None

    def step(self) -> float:
        """One training step; returns the cost before the update."""
        raise NotImplementedError

    def parameters(self) -> Params:
        """Copies of W1, b1, W2, b2 as they are now."""
        raise NotImplementedError

    def gradients(self) -> Params | None:
        """Copies of the last step's gradients (keys W1, b1, W2, b2), or None if not kept."""
        return None
