"""Anomaly mode: find the op, and the line of user code, that first produced NaN or infinity."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "AnomalyError",
    "SaturationWarning",
    "check_backward",
    "check_finite",
    "check_saturation",
    "detect_anomaly",
    "detect_saturation",
    "is_anomaly_enabled",
    "is_saturation_enabled",
    "user_frame",
]


class AnomalyError(FloatingPointError):
    """Raised under `detect_anomaly` by the first op that produces NaN or infinity."""


class SaturationWarning(RuntimeWarning):
    """Under `detect_saturation`: a saturated sigmoid or tanh turned a gradient into exact zeros."""


class _AnomalyMode(threading.local):
    enabled: bool = False
    saturation: bool = False


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


def is_saturation_enabled() -> bool:
    """Return whether `detect_saturation` is active in this thread."""
    return state.saturation


@contextlib.contextmanager
def detect_saturation() -> Iterator[None]:
    r"""Anomaly mode, plus a `SaturationWarning` wherever a saturated output kills a gradient.

    σ(z) rounds to exactly 1 for z > 37 (and to 0 below −745), tanh(z) to ±1 for |z| > 19; the
    local derivative σ(1 − σ) or 1 − tanh² is then exactly 0, and so is the gradient passed
    back, whatever the loss asked for. Written as the course writes its model — a sigmoid, then
    the cross-entropy of the probabilities — a confidently wrong example gets no gradient at
    all, where the hand derivation's dZ = A − Y (the fused
    `binary_cross_entropy_with_logits`) would correct it.

    While the block runs, every `Sigmoid` or `Tanh` backward that receives a non-zero
    gradient for an element whose output is exactly 0 or ±1 (so that it returns exactly 0
    there) warns, naming the op, the line of user code that created it and the fraction of
    such elements (for ops created inside the block, whose input values the graph then
    keeps). Everything `detect_anomaly` checks is checked too (non-finite values
    raise `AnomalyError`), and compiled steps run eagerly. Off, it costs nothing: the
    backward walk tests one flag per node, the one it tests for `detect_anomaly`.

    Example:
        >>> import warnings
        >>> from tinygrad_lite import Tensor, functional as F
        >>> z = Tensor([[40.0, -3.0]], requires_grad=True)
        >>> with detect_saturation(), warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     F.binary_cross_entropy(z.sigmoid(), Tensor([[0.0, 1.0]])).backward()
        >>> z.grad  # the wrong, saturated first example gets no gradient
        Tensor([[ 0.        , -0.47628706]])
        >>> caught[0].category.__name__
        'SaturationWarning'
    """
    prev = (state.enabled, state.saturation)
    state.enabled = state.saturation = True
    try:
        yield
    finally:
        state.enabled, state.saturation = prev


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_frame() -> str:
    """Return 'file:line' of the innermost stack frame outside this package."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno}"
    return "<unknown>"


def _stacklevel() -> int:
    """The `warnings.warn` stacklevel of the innermost frame outside this package."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    return level


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
            shapes = ", ".join(str(tuple(getattr(x, "shape", np.shape(x)))) for x in inputs)
            what = "output" if phase == "forward" else f"gradient of input {i}"
            raise AnomalyError(
                f"{name} {phase} produced {bad} in its {what} (shape {a.shape}); "
                f"the op was created at {where}; input shapes: {shapes}"
            )


# The ops whose output saturates, and the output values at which their derivative is exactly 0.
SATURATING: dict[str, tuple[float, ...]] = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0)}
_ADVICE = {
    "Sigmoid": "an output sigmoid followed by a loss on its probabilities stops learning once "
    "it saturates: compute the loss from the logits (binary_cross_entropy_with_logits), whose "
    "gradient A - Y does not vanish",
    "Tanh": "saturated hidden units pass no gradient back: smaller initial weights (Xavier, "
    "He) or inputs keep them in their linear range",
}


def check_saturation(name: str, where: str, out: Any, grad_in: Any, grad_out: Any) -> None:
    """Warn if `grad_out` is exactly 0 where `grad_in` is not, because `out` saturated.

    Args:
        name: the op's name ("Sigmoid" or "Tanh"; other ops are not checked).
        where: 'file:line' of the user code that created the op.
        out: the op's forward output.
        grad_in: the gradient the backward received (of the output).
        grad_out: the gradient it returned (of the input).
    """
    bounds = SATURATING.get(name)
    if bounds is None or out is None or grad_out is None:
        return
    y, g, gx = _array(out), _array(grad_in), _array(grad_out)
    dead = (g != 0) & (gx == 0) & np.isin(y, bounds)
    count = int(np.count_nonzero(dead))
    if count:
        values = " or ".join(repr(v) for v in bounds)
        warnings.warn(
            f"{name} backward: {count} of {y.size} elements ({count / y.size:.1%}) of its "
            f"output are exactly {values}, so their gradient is exactly zero although the "
            f"incoming gradient is not (the op was created at {where}); {_ADVICE[name]}",
            SaturationWarning,
            stacklevel=_stacklevel(),
        )


def check_backward(ctx: Any, grad_in: Any, grads: tuple[Any, ...]) -> None:
    """The checks of anomaly mode on one backward node (called by the engine's walk).

    Non-finite input gradients raise `AnomalyError`; under `detect_saturation`, a gradient
    killed by a saturated output warns (see `check_saturation`).
    """
    name, where = ctx.fn.__name__, getattr(ctx, "where", "<unknown>")
    parents = getattr(ctx, "parents", None)  # input tensors: kept for ops made in anomaly mode
    check_finite("backward", name, where, grads, parents or ctx.inputs or ())
    if state.saturation and name in SATURATING and parents:
        # The output is computed again from the input: the backward may have written its
        # result into the saved output's buffer (see `Context.reuse`).
        out = ctx.fn.forward(type(ctx)(), _array(parents[0].data))
        check_saturation(name, where, out, grad_in, grads[0])
