"""Anomaly mode: find the op, and the line of user code, that first produced NaN or infinity."""

from __future__ import annotations

import contextlib
import os
import threading
import traceback
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["AnomalyError", "detect_anomaly", "is_anomaly_enabled", "check_finite", "user_frame"]


class AnomalyError(FloatingPointError):
    """Raised under `detect_anomaly` by the first op that produces NaN or infinity."""


class _AnomalyMode(threading.local):
    enabled: bool = False


state = _AnomalyMode()


def is_anomaly_enabled() -> bool:
    """Return whether `detect_anomaly` is active in this thread."""
    return state.enabled


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Check every op's forward and backward for NaN or infinity while the block runs.

    The first op whose output (forward) or input gradient (backward) is not finite raises
    `AnomalyError` naming the op, the line of user code that created it, and the shapes.
    When the block is not active the check costs nothing but one flag test per op.
    """
    prev = state.enabled
    state.enabled = True
    try:
        yield
    finally:
        state.enabled = prev


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_frame() -> str:
    """Return 'file:line' of the innermost stack frame outside this package."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno}"
    return "<unknown>"


def _array(a: Any) -> Any:
    """The array behind a gradient (a Tensor's data when a backward is being recorded)."""
    return getattr(a, "data", a) if not isinstance(a, np.ndarray) else a


def check_finite(
    phase: str, name: str, where: str, arrays: tuple[Any, ...], inputs: tuple[Any, ...]
) -> None:
    """Raise AnomalyError if any float array in `arrays` holds NaN or infinity."""
    for i, a in enumerate(arrays):
        a = _array(a)
        if a is None or not isinstance(a, np.ndarray) or a.dtype.kind not in "fc":
            continue
        if not np.all(np.isfinite(a)):
            bad = "NaN" if np.isnan(a).any() else "infinity"
            shapes = ", ".join(str(np.shape(_array(x))) for x in inputs)
            what = "output" if phase == "forward" else f"gradient of input {i}"
            raise AnomalyError(
                f"{name} {phase} produced {bad} in its {what} (shape {a.shape}); "
                f"the op was created at {where}; input shapes: {shapes}"
            )
