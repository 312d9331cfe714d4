"""What `check_backward` reports: the table of gradients, the first wrong one and a hint why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import ops
from .rounding import Node
from .shapes import reduction_axes
from .tensor import Tensor

__all__ = [
    "BackwardMismatch",
    "Report",
    "Row",
    "activation",
    "best_factor",
    "hint",
    "kink",
    "other_input",
]


@dataclass(frozen=True)
class Row:
    """One named gradient of the hand-derived backward, compared with autograd's.

    Attributes:
        key: the name the backward returned it under, e.g. "dZ2".
        shape: the shape it returned (None when it returned nothing under that name).
        expected: the shape of autograd's gradient.
        scale: "1" when it is ∂J/∂V, "m" when it is m·∂J/∂V (the course's dZ and dA), "" when
            it matches neither.
        abs_diff: |yours − autograd's| at the worst element (inf when it cannot be compared).
        tolerance: the rounding tolerance there (see `tinygrad_lite.rounding`).
        verdict: "OK", "WRONG", or "skipped" (the cost does not depend on that value).
    """

    key: str
    shape: tuple[int, ...] | None
    expected: tuple[int, ...]
    scale: str
    abs_diff: float
    tolerance: float
    verdict: str

    @property
    def ratio(self) -> float:
        """abs_diff / tolerance: above 1 is wrong."""
        if self.abs_diff == 0:
            return 0.0
        return self.abs_diff / self.tolerance if self.tolerance > 0 else float("inf")


@dataclass
class Report:
    """The outcome of `check_backward`: one row per gradient, in backward order.

    Attributes:
        rows: the gradients the backward returned (and parameters it left out).
        examples: how many examples were checked (for a failure: up to the first failing one).
        m: the batch size (the "m" of the scale column).
        cause: the first wrong gradient in backward order (None when all agree).
        hint: what kind of mistake the cause looks like.
        counterexample: the inputs and parameters of the failing example.
    """

    rows: list[Row] = field(default_factory=list)
    examples: int = 1
    m: int | None = None
    cause: str | None = None
    hint: str = ""
    counterexample: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every gradient agreed."""
        return all(r.verdict != "WRONG" for r in self.rows)

    def table(self) -> str:
        """The rows as a text table: gradient, shape, scale, abs diff, tolerance, verdict."""
        head = ("gradient", "shape", "scale", "abs diff", "tolerance", "verdict")
        cells = [head] + [
            (
                r.key,
                "missing" if r.shape is None else str(r.shape),
                r.scale or "?",
                _number(r.abs_diff),
                _number(r.tolerance),
                r.verdict,
            )
            for r in self.rows
        ]
        # the numbers get a fixed width (their digits vary from machine to machine)
        widths = [max([len(c[i]) for c in cells] + [0 if i not in (3, 4) else 9]) for i in range(6)]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in cells
        ]
        if any(r.scale == "m" for r in self.rows):
            lines.append(f"scale m: yours is m·∂J/∂V, the course's dZ and dA (m = {self.m})")
        return "\n".join(lines)

    def merge(self, other: Report) -> Report:
        """Keep, for each gradient, the row of the example where it came closest to failing."""
        mine = {r.key: r for r in self.rows}
        rows = [
            r if r.key not in mine or r.ratio >= mine[r.key].ratio else mine[r.key]
            for r in other.rows
        ]
        return replace(other, rows=rows, examples=self.examples + other.examples)

    def __str__(self) -> str:
        if self.cause is None:
            n = f"{self.examples} example{'s' if self.examples != 1 else ''}"
            return (
                f"check_backward: {n}, every gradient agrees with autograd to within rounding\n"
                + self.table()
            )
        out = [
            f"check_backward: {self.cause} is wrong (the first wrong gradient in backward order, "
            f"at example {self.examples})",
            f"hint: {self.hint}" if self.hint else "",
            self.table(),
        ]
        if self.counterexample:
            out.append("counterexample:")
            for name, value in self.counterexample.items():
                if value.size <= 40:
                    text = repr(value.tolist())
                else:
                    text = np.array2string(value, separator=", ", threshold=40)
                out.append(f"  {name} {value.shape} = " + text.replace("\n", " "))
        return "\n".join(line for line in out if line)


class BackwardMismatch(AssertionError):
    """Raised by `check_backward` when a hand-derived gradient differs from autograd's.

    Attributes:
        report: the table, the cause, the hint and the counterexample.
    """

    def __init__(self, report: Report) -> None:
        super().__init__(str(report))
        self.report = report


def _number(x: float) -> str:
    if x == 0:
        return "0"
    return "inf" if not np.isfinite(x) else f"{x:.2g}"


# ------------------------------------------------------------------------------ hints


def _close(a: Any, b: Any, rtol: float = 1e-9) -> bool:
    """Whether a ≈ b up to `rtol` relative to b's largest element (for hints, not verdicts)."""
    b = np.asarray(b, dtype=np.float64)
    scale = rtol * max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-300)
    return bool(np.allclose(a, b, rtol=rtol, atol=scale))


def _constant_ratio(mine: np.ndarray, right: np.ndarray) -> float | None:
    """The c with mine = c·right wherever right is clearly non-zero (None if none)."""
    big = np.abs(right) > 1e-8 * max(float(np.max(np.abs(right))), 1e-300)
    if not big.any():
        return None
    r = mine[big] / right[big]
    c = float(np.median(r))
    return c if np.allclose(r, c, rtol=1e-6, atol=0) and _close(mine, c * right, 1e-6) else None


def best_factor(mine: Any, right: np.ndarray, factors: list[float]) -> float:
    """Of the scales an intermediate may have, the one under which `mine` is most nearly right.

    A wrong intermediate is judged in that scale, so that a sign error in m·∂J/∂Z reads as −1,
    not −m.
    """
    if mine is None or np.shape(mine) != right.shape or len(factors) == 1:
        return factors[0]
    mine = np.asarray(mine, dtype=np.float64)
    best, score = factors[0], np.inf
    for f in factors:
        c = _constant_ratio(mine, right * f)
        s = abs(np.log(abs(c))) if c else np.inf
        if s < score:
            best, score = f, s
    return best


def _shape_hint(key: str, name: str, mine: np.ndarray, right: np.ndarray) -> str:
    got, want = mine.shape, right.shape
    if len(want) == 2 and got == want[::-1]:
        return (
            f"{key} has shape {got} but {name} has shape {want}: transposed, e.g. A·dZᵀ where "
            f"dZ·Aᵀ is meant (a product in the wrong order)"
        )
    if mine.size > right.size:
        try:
            axes = reduction_axes(got, want)
        except ValueError:
            axes = ()
        if axes:
            return (
                f"{key} has shape {got} but {name} has shape {want}: a missing sum over the "
                f"examples? (np.sum(..., axis={axes[-1]}, keepdims=True))"
            )
    if mine.size == right.size:
        return (
            f"{key} has shape {got} but {name} has shape {want}: the right number of elements "
            "in the wrong shape (keepdims=True?)"
        )
    return f"{key} has shape {got} but {name} has shape {want}"


def _activation_hint(key: str, mine: np.ndarray, activation: Mapping[str, Any]) -> str | None:
    """When `key` is the gradient of an activation's input: which derivative was used."""
    upstream, a, z = activation["grad"], activation["out"], activation["in"]
    an, zn, fn = activation["out_name"], activation["in_name"], activation["fn"]
    candidates = {
        "tanh": {f"1 − {an}²": 1 - a * a, f"1 − {an}": 1 - a, f"{an}·(1 − {an})": a * (1 - a)},
        "sigmoid": {f"{an}·(1 − {an})": a * (1 - a), f"1 − {an}": 1 - a, f"1 − {an}²": 1 - a * a},
        "relu": {f"[{zn} > 0]": (z > 0) * 1.0, f"{an}": a, "1": np.ones_like(a)},
    }.get(fn)
    if candidates is None or mine.shape != upstream.shape:
        return None
    right = next(iter(candidates))
    for name, v in activation.get("others", {}).items():  # another layer's values
        if name not in (an, zn) and np.shape(v) in (z.shape, (1,) + z.shape[1:]):
            other = {"relu": (f"[{name} > 0]", v > 0), "tanh": (f"1 − {name}²", 1 - v * v)}
            if fn in other:
                label, d = other[fn]
                candidates[label + " (another layer's; an off-by-one layer index?)"] = d
    for label, d in candidates.items():
        if label != right and _close(mine, upstream * d):
            used = f"d{an}" if label == "1" else f"d{an} ⊙ ({label})"
            return (
                f"{key} = {used}, but the derivative of {fn} is {right} "
                f"(a wrong activation derivative)"
            )
    return None


def hint(
    key: str,
    name: str,
    mine: Any,
    right: np.ndarray,
    m: int | None,
    is_parameter: bool,
    activation: Mapping[str, Any] | None = None,
    swapped: str | None = None,
) -> str:
    """Guess the kind of mistake behind a wrong gradient `mine` (right: autograd's, same scale).

    Recognises a missing gradient, a wrong shape (transposed, a missing sum over the batch axis,
    a lost keepdims), values that are not finite (the sigmoid + cross-entropy saturation), a
    sign error, a missing or doubled 1/m, another constant factor, and a wrong activation
    derivative (with `activation`: the activation's name, input, output and their gradient),
    and a weight gradient computed with another layer's values (`swapped`, from `other_input`).
    """
    if mine is None:
        what = "a bias gradient" if name.startswith("b") else "a parameter's gradient"
        return f"backward returned no {key} ({what}): every parameter needs its gradient"
    mine = np.asarray(mine, dtype=np.float64)
    if mine.shape != right.shape:
        return _shape_hint(key, name, mine, right)
    if not np.all(np.isfinite(mine)):
        return (
            f"{key} holds inf or nan where autograd's is finite: a division by A or 1 − A, which "
            "reach 0 when the sigmoid saturates (σ(z) rounds to 0 or 1)? Derive the sigmoid and "
            "the cross-entropy together: dZ = A − Y"
        )
    if activation is not None:
        found = _activation_hint(key, mine, activation)
        if found:
            return found
    if swapped is not None:
        return f"{key} is computed with {swapped}"
    c = _constant_ratio(mine, right)
    if c is not None:
        if np.isclose(c, -1.0):
            return f"{key} is −1 times the right value: a sign error"
        if m and m > 1 and np.isclose(c, m):
            return f"{key} is m = {m} times the right value: a missing 1/m"
        if m and m > 1 and np.isclose(c, 1.0 / m):
            return f"{key} is 1/m times the right value: divided by m twice (is 1/m already in dZ?)"
        if np.isclose(c, 0.0):
            return f"{key} is zero where the gradient is not"
        return f"{key} is {c:.6g} times the right value"
    if mine.ndim == 2 and mine.shape[0] == mine.shape[1] and _close(mine, right.T):
        return f"{key} is the transpose of the right value (a product in the wrong order?)"
    scale = 1e-9 * max(float(np.max(np.abs(right))), 1e-300)
    wrong = int(np.sum(~np.isclose(mine, right, rtol=1e-9, atol=scale)))
    return f"{key} differs in {wrong} of its {mine.size} elements"


# ------------------------------------------------------------------------------ the graph


def kink(node: Node) -> str | None:
    """Where the forward sits on a kink (a point without a derivative) that gets a gradient."""
    ctx, g = node.ctx, node.grad
    fn, saved = ctx.fn, ctx.saved
    if fn in (ops.ReLU, ops.LeakyReLU, ops.Abs):
        x = saved[0]
        at = (x == 0) & (g != 0)
    elif fn in (ops.Maximum, ops.Minimum):
        x, y = saved
        at = (np.broadcast_to(x == y, g.shape)) & (g != 0)
    elif fn is ops.Clamp:
        x, lo, hi = saved
        at = ((x == lo) | (x == hi)) & (g != 0)
    else:
        return None
    return f"{fn.name} at its kink in {int(np.sum(at))} element(s)" if np.any(at) else None


def activation(
    nodes: list[Node],
    tensor: Tensor,
    names: Mapping[int, str],
    factor: float,
    named: Mapping[str, Tensor] | None = None,
) -> dict[str, Any] | None:
    """The activation that consumes `tensor` (its name, input, output and their gradient).

    Recognises tanh, the sigmoid and relu, also written np.maximum(0, Z).
    """
    kinds = {ops.Tanh: "tanh", ops.Sigmoid: "sigmoid", ops.ReLU: "relu", ops.Maximum: "relu"}
    me = tensor._ctx or tensor  # the graph's node for `tensor`
    for node in nodes:
        fn, parents = node.ctx.fn, list(node.ctx.inputs or ())
        if fn not in kinds or not any(p is me for p in parents):
            continue
        if fn is ops.Maximum:
            other = parents[1] if parents[0] is me else parents[0]
            if not isinstance(other, Tensor) or np.any(other.data != 0):
                continue
            out = np.maximum(tensor.data, 0)
        elif parents[0] is not me:
            continue
        else:
            out = node.ctx.saved[0] if fn is not ops.ReLU else np.maximum(tensor.data, 0)
        own = id(tensor._ctx) if tensor._ctx is not None else id(tensor)
        return {
            "fn": kinds[fn],
            "grad": np.broadcast_to(node.grad * factor, tensor.shape),
            "out": out,
            "in": tensor.data,
            "out_name": names.get(id(node.ctx), "A"),
            "in_name": names.get(own, "Z"),
            "others": {n: t.data for n, t in (named or {}).items() if t.ndim == tensor.ndim},
        }
    return None


def other_input(
    nodes: list[Node], weight: Tensor, mine: Any, named: Mapping[str, Tensor], factor: float
) -> str | None:
    """For a weight W used as W·A: the named value V ≠ A with mine = dZ·Vᵀ, if there is one.

    That is the off-by-one mistake of taking another layer's input (or output) for A.
    """
    mine = np.asarray(mine, dtype=np.float64)
    for node in nodes:
        parents = node.ctx.inputs or ()
        if node.ctx.fn is not ops.MatMul or not parents or parents[0] is not weight:
            continue
        a = parents[1]  # the graph's node for the layer's input
        for name, v in named.items():
            if (v._ctx or v) is a or v.shape != tuple(a.shape) or v.ndim != 2:
                continue
            guess = (node.grad @ v.data.T) * factor
            if guess.shape == mine.shape and _close(mine, guess):
                right = next((n for n, t in named.items() if (t._ctx or t) is a), "its input")
                return f"{name} where the layer's input is {right} (an off-by-one layer index?)"
    return None
