"""Agreement up to rounding: how far two float computations of one gradient may drift apart.

Two correct computations of a gradient (autograd's and a hand derivation's) differ by their
rounding errors, and a rounding error is bounded by the size of the *terms* that were combined,
not by the size of the result. db1 = Σ_cols dZ1 / m can be 1e-18 while its 400 terms are 1e-9:
a bare relative test then calls 2e-9 of pure noise a mismatch. The rule here, used by every
comparison in the project, is

    |a − e| ≤ K·(2ε·M + D) + K·tiny         (elementwise)

where M is the magnitude of the terms behind each element (autograd's backward run on absolute
values: |dZ|·|A|ᵀ for a weight, Σ|dZ| for a bias, |A| + |Y| for A − Y), K the number of
roundings any term can go through (each op of the graph counts its largest operand's size), ε
the machine epsilon, D how far the reference computation moves when its own inputs move by a few
units in the last place (its sensitivity to rounding that autograd's terms do not show, such as
the cancellation in A2 − Y when A2 ≈ Y), and tiny the smallest normal number (underflow; M is
never taken below tiny/ε along the walk, as a gradient that small has lost digits already).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from . import ops
from .autograd import Context
from .engine import walk
from .shapes import expand, unbroadcast
from .tensor import Tensor

__all__ = [
    "Backprop",
    "Comparison",
    "Node",
    "Rounding",
    "backprop",
    "compare",
    "input_magnitudes",
    "spread",
]


@dataclass(frozen=True)
class Rounding:
    """What rounding can do to one computed gradient (see the module docstring for the rule).

    Attributes:
        magnitude: M, for each element the sum of the |terms| it is made of (≥ |gradient|).
        steps: K, how many roundings a term can go through.
        sensitivity: D, for each element how far the computations moved when the values they
            read moved by one unit in the last place (see `spread`; 0: not measured).
        eps: the machine epsilon of the dtype (float64 by default).
    """

    magnitude: Any
    steps: int
    sensitivity: Any = 0.0
    eps: float = float(np.finfo(np.float64).eps)

    def tolerance(self) -> np.ndarray:
        """K·(2ε·M + D) + K·tiny, elementwise."""
        tiny = float(np.finfo(np.float64).tiny)
        m = np.asarray(self.magnitude, dtype=np.float64)
        return self.steps * (2.0 * self.eps * m + self.sensitivity) + self.steps * tiny


@dataclass(frozen=True)
class Comparison:
    """The outcome of `compare` for one gradient.

    Attributes:
        ok: whether every element agrees within its tolerance (and the shapes are equal).
        abs_diff: |a − e| at the worst element (the largest |a − e| / tolerance).
        tolerance: the tolerance at that element.
        index: that element's index (None when the shapes differ or the arrays are empty).
        max_abs_diff: the largest |a − e| over all elements.
        problem: "" when the values could be compared, else what prevented it.
    """

    ok: bool
    abs_diff: float
    tolerance: float
    index: tuple[int, ...] | None
    max_abs_diff: float
    problem: str = ""


def compare(actual: Any, expected: Any, rounding: Rounding) -> Comparison:
    """Compare `actual` with `expected` elementwise against `rounding.tolerance()`.

    Non-finite values agree only where both are the same infinity.

    Args:
        actual: the computed gradient (an array or a Tensor).
        expected: the reference of the same shape.
        rounding: the rounding error the computation can have.

    Returns:
        A `Comparison`; `ok` is False for different shapes or any element out of tolerance.
    """
    a = np.asarray(actual.data if isinstance(actual, Tensor) else actual, dtype=np.float64)
    e = np.asarray(expected.data if isinstance(expected, Tensor) else expected, dtype=np.float64)
    if a.shape != e.shape:
        return Comparison(False, np.inf, 0.0, None, np.inf, f"shape {a.shape} != {e.shape}")
    if a.size == 0:
        return Comparison(True, 0.0, 0.0, None, 0.0)
    tol = np.broadcast_to(rounding.tolerance(), e.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(a == e, 0.0, np.abs(a - e))  # equal infinities agree
    diff = np.where(np.isnan(diff), np.inf, diff)
    ratio = np.where(diff == 0, 0.0, diff / np.maximum(tol, np.finfo(np.float64).tiny))
    k = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    worst = float(diff[k])
    ok = bool(np.all(diff <= tol))
    problem = "" if np.all(np.isfinite(a)) else "not finite"
    index = tuple(int(i) for i in k)
    return Comparison(ok, worst, float(tol[k]), index, float(np.max(diff)), problem)


# ------------------------------------------------------------------------- magnitudes


def _abs_all(grads: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(None if g is None else np.abs(g) for g in grads)


def _matmul(ctx: Context, m: Any) -> tuple[Any, ...]:
    x, y = ctx.saved
    absolute = SimpleNamespace(saved=(np.abs(x), np.abs(y)), needs_input_grad=ctx.needs_input_grad)
    return _abs_all(ops.MatMul.backward(absolute, m))  # type: ignore[arg-type]


def _tanh(ctx: Context, m: Any) -> tuple[Any, ...]:
    (y,) = ctx.saved
    return (m * (1.0 + y * y),)  # the terms of 1 - y²


def _sigmoid(ctx: Context, m: Any) -> tuple[Any, ...]:
    (y,) = ctx.saved
    return (m * np.abs(y) * (1.0 + np.abs(y)),)  # the terms of y·(1 - y)


def _per_term(m: Any, reduction: str, n: int) -> Any:
    return m / max(n, 1) if reduction == "mean" else m


def _bce_logits(ctx: Context, m: Any) -> tuple[Any, ...]:
    z, y, reduction = ctx.saved
    s = _per_term(m, reduction, z.size)
    nz, ny = ctx.needs_input_grad
    gz = (ops.stable_sigmoid(z) + np.abs(y)) * s if nz else None  # the terms of σ(z) - y
    return gz, (np.abs(z) * s if ny else None)


def _bce(ctx: Context, m: Any) -> tuple[Any, ...]:
    p, y, reduction = ctx.saved
    s = _per_term(m, reduction, p.size)
    np_, ny = ctx.needs_input_grad
    gp = s * (np.abs(p) + np.abs(y)) / np.maximum(p * (1.0 - p), 1e-12) if np_ else None
    if not ny:
        return gp, None
    with np.errstate(divide="ignore"):
        logs = np.abs(np.maximum(np.log(p), ops.LOG_CLAMP)) + np.abs(
            np.maximum(np.log1p(-p), ops.LOG_CLAMP)
        )
    return gp, s * logs


def _softmax(ctx: Context, m: Any) -> tuple[Any, ...]:
    y, axis = ctx.saved
    if y.ndim == 0:
        return (m * 0.0,)
    return (y * (m + np.add.reduce(m * y, axis=axis, keepdims=True)),)


def _log_softmax(ctx: Context, m: Any) -> tuple[Any, ...]:
    y, axis = ctx.saved
    if y.ndim == 0:
        return (m * 0.0,)
    return (m + np.exp(y) * np.add.reduce(m, axis=axis, keepdims=True),)


def _class_loss(ctx: Context, m: Any) -> tuple[Any, ...]:
    x, target, reduction, axis, opts = ctx.saved
    soft = ops.call(ops.Softmax, x, dim=axis)
    if target.dtype.kind in "iu":  # a = w ⊙ ((1 − ε)·onehot + ε/C), each sample's share of m
        s = np.abs(ops.class_losses.sample_shares(m, target, opts, reduction, axis, x.dtype))
        onehot = ops.class_losses.one_hot(target, x.shape[axis], axis, x.dtype)
        a = np.abs(ops.losses.smoothed(onehot, opts, axis))
        return (soft * np.add.reduce(a, axis=axis, keepdims=True) + a) * s, None
    n = x.size // x.shape[axis] if x.shape[axis] else 0
    s = _per_term(m, reduction, n) if reduction != "none" else np.expand_dims(m, axis)
    a = np.abs(ops.losses.smoothed(target, opts, axis))
    total = np.add.reduce(a, axis=axis, keepdims=True)
    w = 1.0 if opts.weight is None else np.abs(ops.losses.along_classes(opts.weight, axis, x.ndim))
    logp = np.abs(ops.call(ops.LogSoftmax, x, dim=axis)) * w * (1.0 - opts.smoothing)
    nx, nt = ctx.needs_input_grad
    return ((soft * total + a) * s if nx else None), (logp * s if nt else None)


def _var(ctx: Context, m: Any) -> tuple[Any, ...]:
    x, axes, keepdims, dof = ctx.saved
    centre = np.abs(np.mean(x, axis=axes, keepdims=True))
    with np.errstate(divide="ignore", invalid="ignore"):
        return (expand(m, axes, keepdims) * (2.0 / abs(dof)) * (np.abs(x) + centre),)


# Ops whose backward subtracts, or multiplies by signed values inside a sum: their terms'
# magnitudes are computed from absolute values. Every other op's magnitude is |backward(|g|)|.
MAGNITUDE_RULES: dict[type, Callable[[Context, Any], tuple[Any, ...]]] = {
    ops.MatMul: _matmul,
    ops.Tanh: _tanh,
    ops.Sigmoid: _sigmoid,
    ops.BinaryCrossEntropyWithLogits: _bce_logits,
    ops.BinaryCrossEntropy: _bce,
    ops.Softmax: _softmax,
    ops.LogSoftmax: _log_softmax,
    ops.CrossEntropy: _class_loss,
    ops.Var: _var,
}


def input_magnitudes(ctx: Context, m: Any) -> tuple[Any, ...]:
    """The magnitudes of the terms of each input's gradient, given the output's magnitudes `m`."""
    rule = MAGNITUDE_RULES.get(ctx.fn)
    if rule is not None:
        return rule(ctx, m)
    return _abs_all(ctx.fn.backward(ctx, m))


@dataclass
class Node:
    """One visited op of a `backprop` walk.

    Attributes:
        ctx: the op's node (its saved values are kept: the graph is retained).
        grad: ∂cost/∂(the op's output).
        magnitude: the magnitudes of the terms behind `grad`.
    """

    ctx: Context
    grad: Any
    magnitude: Any


@dataclass
class Backprop:
    """Autograd's gradients of a cost with respect to named tensors, with their rounding.

    Attributes:
        gradients: name → ∂cost/∂tensor (absent for a tensor that gets no gradient).
        magnitudes: name → the magnitudes of the terms behind that gradient.
        steps: K for this graph (see `Rounding`).
        order: the names in the order the walk completed their gradients (backward order).
        nodes: every visited op, in the order visited.
        sensitivities: name → D of autograd's side (see `perturbed_backward` and
            `perturbed_forward`), 0 until measured.
    """

    gradients: dict[str, np.ndarray] = field(default_factory=dict)
    magnitudes: dict[str, np.ndarray] = field(default_factory=dict)
    steps: int = 0
    order: list[str] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    sensitivities: dict[str, Any] = field(default_factory=dict)

    def add_sensitivities(self, more: Mapping[str, Any]) -> None:
        """Add sensitivities (from `perturbed_backward`, `perturbed_forward`) to D."""
        for name, d in more.items():
            self.sensitivities[name] = self.sensitivities.get(name, 0.0) + d

    def rounding(self, name: str, sensitivity: Any = 0.0, factor: float = 1.0) -> Rounding:
        """The `Rounding` of `factor` times the gradient `name`.

        Args:
            name: the gradient.
            sensitivity: the reference computation's own D (see `sensitivity`).
            factor: compare with factor·gradient (m for the course's dZ and dA).
        """
        eps = float(np.finfo(self.gradients[name].dtype).eps)
        m = self.magnitudes[name]
        d = spread(self.sensitivities.get(name, 0.0), m) * abs(factor) + spread(sensitivity, m)
        return Rounding(m * abs(factor), self.steps, d, eps)


def backprop(cost: Tensor, named: Mapping[str, Tensor]) -> Backprop:
    """Run the engine's backward walk once from `cost`, keeping the graph.

    Collects the gradient of every named tensor (leaves and intermediate results), the
    magnitudes of the terms behind each (an absolute-value twin of the backward that rides on
    the same walk), K, and the order in which the gradients were completed. No `.grad` is
    written. The sensitivities are left for `perturbed_backward` and `perturbed_forward`.

    Raises:
        ValueError: `cost` does not have exactly one element or requires no grad.
    """
    if cost.data.size != 1 or not cost.requires_grad:
        raise ValueError(
            f"backprop: the cost must be one number that requires grad, got shape {cost.shape} "
            f"(requires_grad={cost.requires_grad})"
        )
    result = Backprop()
    by_node: dict[int, list[str]] = {}
    by_leaf: dict[int, list[str]] = {}
    for name, t in named.items():
        (by_node if t._ctx is not None else by_leaf).setdefault(
            id(t._ctx) if t._ctx is not None else id(t), []
        ).append(name)
    pending: dict[int, Any] = {id(cost._ctx): np.ones_like(cost.data)}
    leaf_mag: dict[int, Any] = {}
    leaf_done: dict[int, int] = {}
    events: list[tuple[int, int, str]] = []  # (event, 0 node / 1 leaf, name)

    def on_node(ctx: Context, g: Any, flowed: tuple[Any, ...]) -> None:
        event = len(result.nodes)
        # below tiny/ε a gradient has lost relative precision to underflow: its uncertainty
        # is the smallest normal number, whatever later ops multiply it by
        floor = (
            float(np.finfo(g.dtype).tiny / np.finfo(g.dtype).eps) if g.dtype.kind == "f" else 0.0
        )
        m = np.maximum(pending.pop(id(ctx), np.zeros_like(g)), floor)
        result.nodes.append(Node(ctx, g, m))
        for name in by_node.get(id(ctx), ()):
            result.gradients[name], result.magnitudes[name] = g, m
            events.append((event, 0, name))
        parents = ctx.inputs or ()
        sizes = [g.size] + [int(np.prod(p.shape)) for p in parents]
        result.steps += max(sizes) + 1
        for p, pm, f in zip(parents, input_magnitudes(ctx, m), flowed, strict=True):
            if f is None or pm is None:
                continue
            pm = unbroadcast(np.broadcast_to(pm, np.broadcast_shapes(pm.shape, f.shape)), f.shape)
            key = id(p)
            node = p.__class__ is Context
            store = pending if node else leaf_mag
            store[key] = pm if key not in store else store[key] + pm
            if not node:
                leaf_done[key] = event

    leaves, _ = walk(
        [cost], [np.ones_like(cost.data)], True, False, on_node=on_node, run_hooks=False
    )
    for key, names in by_leaf.items():
        if key in leaves:
            for name in names:
                result.gradients[name] = np.asarray(leaves[key][1])
                result.magnitudes[name] = leaf_mag[key]
                events.append((leaf_done[key], 1, name))
    # Backward order: a value's gradient before those computed from it. Leaves completed at
    # consecutive visits (a layer's W and b) are listed together, in the order they were named.
    position = {name: i for i, name in enumerate(named)}
    leaf_events = {e for e, kind, _ in events if kind == 1}
    node_events = {e for e, kind, _ in events if kind == 0}

    def when(event: tuple[int, int, str]) -> tuple[int, int, int]:
        e, kind, name = event
        if kind == 1:
            while e - 1 in leaf_events and e not in node_events:
                e -= 1
        return (e, kind, position[name])

    result.order = [n for _, _, n in sorted(events, key=when)]
    return result


def spread(d: Any, magnitude: Any) -> Any:
    """D for each element: its own, or the largest one in proportion to the terms' magnitude.

    A random perturbation can cancel at one element by chance, but hardly at every element of
    every trial; and rounding grows with the magnitude of the terms. So each element gets at
    least max(D)·M/max(M).
    """
    d = np.asarray(d, dtype=np.float64)
    m = np.asarray(magnitude, dtype=np.float64)
    if d.shape != m.shape:  # a number, or a gradient of another shape
        return float(np.max(d)) if d.size else 0.0
    top = float(np.max(m)) if m.size else 0.0
    if top <= 0 or not np.isfinite(top):
        return np.broadcast_to(np.max(d), m.shape) if m.shape else float(np.max(d))
    return np.maximum(d, float(np.max(d)) * (m / top))
