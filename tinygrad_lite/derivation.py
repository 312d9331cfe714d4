"""The backward pass autograd derived, written out as formulas in the tutorial's notation.

`explain(cost, names)` walks the recorded graph with the engine's own backward walk and lets
every op contribute its `formula` (next to its backward in `tinygrad_lite/ops`): the gradient
of each input in terms of the output's gradient {g}, the inputs {0}, {1}, ... and the output
{out}. Named values get a line each, `dV = formula  shape`; unnamed ones are folded into the
formulas of the values after them. Without names for them, the tutorial's values are
recognised: W_k·A + b_k is Z_k (with a line), an activation of Z_k is A_k (folded in).
Notation: · matrix product, ⊙ elementwise product, ᵀ transpose, Σ_cols a sum over the columns
(the examples), [c] 1 where c holds and 0 elsewhere, σ the sigmoid.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from . import ops
from .autograd import Context
from .engine import walk
from .registry import REGISTRY
from .shapes import reduction_axes
from .tensor import Tensor

__all__ = ["Derivation", "Line", "derive", "explain"]

Names = Mapping[str, Tensor] | Mapping[Tensor, str] | Iterable[tuple[str, Tensor]]

# How an unnamed value is written when a formula refers to it.
FORWARD: dict[type, str] = {
    ops.Add: "{0} + {1}",
    ops.Sub: "{0} − {1}",
    ops.Mul: "{0} ⊙ {1}",
    ops.Div: "{0}/{1}",
    ops.Neg: "−{0}",
    ops.MatMul: "{0} · {1}",
    ops.Transpose: "{0}ᵀ",
    ops.Tanh: "tanh({0})",
    ops.Sigmoid: "σ({0})",
    ops.ReLU: "relu({0})",
    ops.Exp: "exp({0})",
    ops.Log: "log({0})",
}
# Activations whose output, applied to Z_k, is called A_k.
ACTIVATIONS: dict[type, str] = {
    ops.Tanh: "tanh",
    ops.Sigmoid: "σ",
    ops.ReLU: "relu",
    ops.LeakyReLU: "leaky_relu",
}


@dataclass(frozen=True)
class Line:
    """One line of the derivation: `name = formula  shape`, and the gradient it stands for.

    Attributes:
        name: "d" and the value's name, e.g. "dZ2".
        formula: the gradient in terms of named values and earlier lines, e.g. "dZ2 · A1ᵀ".
        shape: the gradient's shape.
        gradient: ∂cost/∂value as autograd computed it.
    """

    name: str
    formula: str
    shape: tuple[int, ...]
    gradient: np.ndarray

    def __str__(self) -> str:
        return f"{self.name} = {self.formula}  {self.shape}"


@dataclass(frozen=True)
class Derivation:
    """The backward pass as formulas: what `explain` prints.

    Attributes:
        lines: one per named value that gets a gradient, in backward order.
        where: the definitions of the values recognised in the tutorial's notation.
        m: the batch size the formulas call m (None when not known).
        note: where the 1/m of a mean sits, when one appears.
    """

    lines: tuple[Line, ...]
    where: tuple[str, ...]
    m: int | None
    note: str

    def __str__(self) -> str:
        head = "Backward pass of the cost J, as autograd derived it"
        head += f" (m = {self.m})" if self.m is not None else ""
        out = [head + (", where" if self.where else ":")]
        if self.where:
            out.append("  " + ",  ".join(self.where) + ":")
        out += [str(line) for line in self.lines]
        if self.note:
            out.append(self.note)
        return "\n".join(out)


# ------------------------------------------------------------------------------ rendering


def _level(e: str) -> int:
    """0 a sum or difference, 1 a leading minus, 2 a product or quotient, 3 a Σ, 4 an atom."""
    depth, product, other, i = 0, False, False, 0
    while i < len(e):
        ch = e[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0:
            if e.startswith((" + ", " − "), i):
                return 0
            if e.startswith((" ⊙ ", " · "), i):
                product, i = True, i + 3
                continue
            product |= ch == "/"
            other |= ch == " "
        i += 1
    if other and not e.startswith("Σ"):
        return 0
    if e.startswith("−"):
        return 1
    return 2 if product else 3 if e.startswith("Σ") else 4


_COMPARE = (" > ", " < ", " = ", " ≥ ", " ≤ ")


def _wrap(e: str, before: str, after: str) -> str:
    """`e` as an operand between template texts `before` and `after`, in parentheses if needed."""
    level = _level(e)
    if level == 4:
        return e
    if after.startswith(("ᵀ", "²", "^")) or before.endswith("/") or before[-1:].isdigit():
        ok = False
    elif before.endswith((" ⊙ ", " · ")):
        ok = False  # a right operand: (a ⊙ b) · c and a ⊙ (b · c) differ
    elif before.endswith(" − "):
        ok = level in (2, 3)
    elif before.endswith(" + "):
        ok = level != 1
    elif before.endswith("−"):  # a unary minus
        ok = level in (2, 3)
    elif after.startswith((" ⊙ ", " · ", "/")):
        ok = level in (1, 2)  # a left operand: products are left-associative
    elif after.startswith(_COMPARE) or before.endswith(_COMPARE):
        ok = True
    else:
        ok = before in ("", "(", "[") or before.endswith(("(", "[")) or after.startswith(" ")
        ok = ok or not (before or after)
    return e if ok else f"({e})"


_SLOT = re.compile(r"\{(g|out|\d+|n:\d+)\}")


def render(template: str, g: str, values: list[str], out: str, m: int | None) -> str:
    """Fill a formula template: {g} the output's gradient, {0}... the inputs, {out}, {n:N}."""
    if g == "1":  # the cost's own gradient: multiplying by it changes nothing
        template = template.replace("{g} ⊙ ", "").replace(" ⊙ {g}", "").replace("−{g} ⊙ ", "−")
    pieces: list[str] = []
    last = 0
    for match in _SLOT.finditer(template):
        key = match.group(1)
        before = "".join(pieces) + template[last : match.start()]
        after = template[match.end() :]
        if key.startswith("n:"):
            n = int(key[2:])
            text = "m" if m is not None and n == m else str(n)
        else:
            text = g if key == "g" else out if key == "out" else values[int(key)]
            text = _wrap(text, before, after)
        pieces.append(template[last : match.start()] + text)
        last = match.end()
    return "".join(pieces) + template[last:]


def _sum_over(axes: tuple[int, ...], ndim: int) -> str:
    if len(axes) == ndim:
        return "Σ"
    if ndim == 2:
        return "Σ_cols" if axes == (1,) else "Σ_rows"
    return f"Σ_axes{axes}"


# ------------------------------------------------------------------------------ the walk


def _named(names: Names | None) -> dict[str, Tensor]:
    if names is None:
        return {}
    items = names.items() if isinstance(names, Mapping) else names
    out: dict[str, Tensor] = {}
    for a, b in items:
        name, t = (a, b) if isinstance(a, str) else (b, a)
        if not isinstance(name, str) or not isinstance(t, Tensor):
            raise TypeError(f"explain: names must pair strings with Tensors, got {a!r}: {b!r}")
        out[name] = t
    return out


class _Notation:
    """The names of values: the user's, then the tutorial's Z_k and A_k, else forward formulas."""

    def __init__(self, named: dict[str, Tensor], visits: list[tuple[Context, Any, Any]]) -> None:
        self.node: dict[int, str] = {}
        self.leaf: dict[int, str] = {}
        self.shown: set[int] = set()
        self.where: list[str] = []
        for name, t in named.items():
            if t._ctx is not None:
                self.node.setdefault(id(t._ctx), name)
                self.shown.add(id(t._ctx))
            else:
                self.leaf.setdefault(id(t), name)
        taken = set(named)
        forward = [v[0] for v in reversed(visits)]  # creation order
        inner = {id(c.inputs[0]) for c in forward if self._layer(c, taken)}
        for ctx in forward:
            x = (ctx.inputs or (None,))[0]
            if id(ctx) in self.node or x is None:
                continue
            k = self._layer(ctx, taken)
            if k is not None:
                a = self.value(x.inputs[1])
                self._name(ctx, f"Z{k}", taken, f"Z{k} = W{k} · {a} + b{k}")
            elif ctx.fn is ops.MatMul and id(ctx) not in inner:
                k = self._weight(x)
                if k is not None and f"Z{k}" not in taken:
                    a = self.value(ctx.inputs[1])
                    self._name(ctx, f"Z{k}", taken, f"Z{k} = W{k} · {a}")
            elif ctx.fn in ACTIVATIONS and x.__class__ is Context:
                z = self.node.get(id(x), "")
                if re.fullmatch(r"Z\d+", z) and f"A{z[1:]}" not in taken:
                    act = ACTIVATIONS[ctx.fn]
                    self._name(ctx, f"A{z[1:]}", taken, f"A{z[1:]} = {act}({z})", shown=False)

    def _weight(self, t: Context | Tensor) -> str | None:
        m = re.fullmatch(r"W(\d+)", self.leaf.get(id(t), "")) if isinstance(t, Tensor) else None
        return m.group(1) if m else None

    def _layer(self, ctx: Context, taken: set[str]) -> str | None:
        """The layer k when `ctx` is W_k·A + b_k (an Add of a MatMul by W_k and the leaf b_k)."""
        if ctx.fn is not ops.Add or not ctx.inputs:
            return None
        mm, b = ctx.inputs
        if mm.__class__ is not Context or mm.fn is not ops.MatMul or not mm.inputs:
            return None
        k = self._weight(mm.inputs[0])
        if k is None or b.__class__ is Context or self.leaf.get(id(b)) != f"b{k}":
            return None
        return k if f"Z{k}" not in taken else None

    def _name(
        self, ctx: Context, name: str, taken: set[str], where: str, shown: bool = True
    ) -> None:
        self.node[id(ctx)] = name
        taken.add(name)
        self.where.append(where)
        if shown:
            self.shown.add(id(ctx))

    def value(self, t: Context | Tensor) -> str:
        """How the value of `t` (a node, or an input that no op made) is written in a formula."""
        if isinstance(t, Tensor):
            name = self.leaf.get(id(t))
            if name is not None:
                return name
            return f"{t.data.item():g}" if t.data.size == 1 else "const"
        return self.of_node(t)

    def of_node(self, ctx: Context) -> str:
        """How the output of the node `ctx` is written in a formula."""
        name = self.node.get(id(ctx))
        if name is not None:
            return name
        values = [self.value(p) for p in ctx.inputs or ()]
        slots = ", ".join("{" + str(i) + "}" for i in range(len(values)))
        template = FORWARD.get(ctx.fn, f"{ctx.fn.name}({slots})")
        return render(template, "", values, "", None)


def _templates(ctx: Context) -> tuple[str | None, ...]:
    f = getattr(ctx.fn, "formula", None)
    if f is None:
        return tuple(f"∂{ctx.fn.__name__}/∂input{i}({{g}})" for i in range(len(ctx.inputs or ())))
    return tuple(f(ctx) if callable(f) else f)


def derive(cost: Tensor, names: Names | None = None, m: int | None = None) -> Derivation:
    """The backward pass from `cost` as formulas, one `Line` per named value (see `explain`).

    Args:
        cost: a one-element Tensor with a recorded graph (kept: backward can still run).
        names: the values to name: {"W1": W1, ...}, {W1: "W1", ...} or (name, tensor) pairs.
        m: the batch size, written m in the formulas (default: the last axis of "X").

    Raises:
        ValueError: `cost` has more than one element or no graph.
        TypeError: `names` pairs something else than strings and Tensors.
    """
    if cost.data.size != 1 or cost._ctx is None:
        raise ValueError(
            f"explain: the cost must be one number with a recorded graph, got shape {cost.shape}"
            f" ({'no graph' if cost._ctx is None else 'a graph'})"
        )
    named = _named(names)
    if m is None and "X" in named and named["X"].ndim >= 1:
        m = named["X"].shape[-1]
    visits: list[tuple[Context, Any, Any]] = []
    leaves, _ = walk(
        [cost],
        [np.ones_like(cost.data)],
        True,
        False,
        on_node=lambda ctx, g, flowed: visits.append((ctx, g, flowed)),
        run_hooks=False,
    )
    notation = _Notation(named, visits)
    last_use: dict[int, int] = {}
    for i, (ctx, _, flowed) in enumerate(visits):
        for p, f in zip(ctx.inputs or (), flowed, strict=True):
            if f is not None and p.__class__ is not Context:
                last_use[id(p)] = i
    order = {id(t): i for i, t in enumerate(named.values())}
    pending: dict[int, list[str]] = {id(cost._ctx): ["1"]}
    lines: list[Line] = []
    done: list[tuple[int, Line]] = []

    def flush() -> None:
        lines.extend(line for _, line in sorted(done, key=lambda d: d[0]))
        done.clear()

    for i, (ctx, g, flowed) in enumerate(visits):
        expr = " + ".join(pending.pop(id(ctx), ["0"]))
        if id(ctx) in notation.shown:
            flush()
            name = notation.node[id(ctx)]
            lines.append(Line("d" + name, expr, g.shape, np.asarray(g)))
            expr = "d" + name
        parents = ctx.inputs or ()
        values = [notation.value(p) for p in parents]
        out = notation.of_node(ctx)
        broadcast = REGISTRY[ctx.fn.name].kind == "broadcast" if ctx.fn.name in REGISTRY else False
        for j, (p, f, t) in enumerate(zip(parents, flowed, _templates(ctx), strict=False)):
            if f is None:
                continue
            term = render(t or f"∂/∂input{j}", expr, values, out, m)
            if broadcast and f.shape != g.shape:
                axes = reduction_axes(g.shape, f.shape)
                term = f"{_sum_over(axes, len(g.shape))} {_wrap(term, '/', '')}"
            pending.setdefault(id(p), []).append(term)
        # a leaf's formula is complete once its last consumer has been visited
        for p in {id(p): p for p in parents if p.__class__ is not Context}.values():
            if last_use.get(id(p)) == i and id(p) in notation.leaf:
                grad = np.asarray(leaves[id(p)][1])
                formula = " + ".join(pending.pop(id(p)))
                line = Line("d" + notation.leaf[id(p)], formula, grad.shape, grad)
                done.append((order.get(id(p), len(order)), line))
    flush()
    return _finish(lines, notation, m)


def _finish(lines: list[Line], notation: _Notation, m: int | None) -> Derivation:
    """Write σ(Z_k) as A_k where that name is free, and say where the 1/m sits."""
    names = set(notation.node.values()) | set(notation.leaf.values())
    where = list(notation.where)
    out = []
    for line in lines:
        formula = line.formula
        for k in re.findall(r"σ\(Z(\d+)\)", formula):
            if f"A{k}" not in names or f"A{k} = σ(Z{k})" in where:
                formula = formula.replace(f"σ(Z{k})", f"A{k}")
                if f"A{k} = σ(Z{k})" not in where:
                    where.append(f"A{k} = σ(Z{k})")
        out.append(Line(line.name, formula, line.shape, line.gradient))
    note = ""
    first = next((line for line in out if re.search(r"/m\b", line.formula)), None)
    if first is not None:
        note = (
            f"Each dV is ∂J/∂V, so the 1/m of the mean sits in {first.name}; the course's dZ "
            "and dA\nleave it out (they are m times these) and divide dW and db by m instead."
        )
    return Derivation(tuple(out), tuple(where), m, note)


def explain(
    cost: Tensor, names: Names | None = None, m: int | None = None, file: TextIO | None = None
) -> None:
    """Print the backward pass autograd derived for `cost`, one line per named value.

    Example: for the tutorial's network (`TwoLayerNet.cost`, named W1, b1, W2, b2, X, Y) the
    lines are dZ2 = (A2 − Y)/m, dW2 = dZ2 · A1ᵀ, db2 = Σ_cols dZ2, dZ1 = W2ᵀ · dZ2 ⊙ (1 − A1²),
    dW1 = dZ1 · Xᵀ and db1 = Σ_cols dZ1, each with its shape.

    Args:
        cost: a one-element Tensor with a recorded graph (kept: backward can still run).
        names: the values to name: {"W1": W1, ...}, {W1: "W1", ...} or (name, tensor) pairs.
        m: the batch size, written m in the formulas (default: the last axis of "X").
        file: where to print (default: standard output).
    """
    print(derive(cost, names, m), file=file if file is not None else sys.stdout)
