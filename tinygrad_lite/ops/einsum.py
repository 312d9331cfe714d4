"""Einstein summation: the `Einsum` op, and the reading of an equation in PyTorch's forms.

`plan_einsum` reads what users write (`"ij,jk"`, `"...ij,...jk->...ik"`, `"ii->i"`) into one
label per dimension of every operand and an explicit output. The op itself takes only the
plain form: every label once per operand, one size per label, an explicit output; the Tensor
function `einsum` gets there with `diagonal` (repeated labels) and `expand` (sizes of 1).

>>> from tinygrad_lite import ops, tensor
>>> plan = ops.plan_einsum("...ii->...i", [(5, 3, 3)])
>>> plan.terms, plan.output
(('Aii',), 'Ai')
>>> ops.Einsum.apply(tensor([1.0, 2.0]), tensor([3.0, 4.0]), equation="i,i->").item()
11.0
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

from .base import Any, Context, Function, call, np, register
from .shape import Expand

__all__ = ["Einsum", "EinsumPlan", "einsum_reference", "plan_einsum"]

# Every label np.einsum accepts, in the order of the implicit output (upper case first)
LETTERS = string.ascii_uppercase + string.ascii_lowercase


@dataclass(frozen=True)
class EinsumPlan:
    """An equation read against its operands' shapes.

    Attributes:
        terms: each operand's labels, one per dimension ('...' replaced by fresh letters;
            a label repeated within an operand is kept repeated).
        output: the output's labels, each once.
        sizes: each label's size, after broadcasting sizes of 1.
    """

    terms: tuple[str, ...]
    output: str
    sizes: dict[str, int]


def _tokens(term: str, equation: str, where: str) -> tuple[str, str, bool]:
    """The letters before and after a term's '...', and whether it has one."""
    before, dots, after = term.partition("...")
    for part in (before, after):
        for c in part:
            if c not in LETTERS:
                raise ValueError(
                    f"einsum: invalid subscript {c!r} in {where} of {equation!r}; subscripts "
                    "are the letters a-z and A-Z, and one '...' at most"
                )
    return before, after, bool(dots)


def plan_einsum(equation: str, shapes: Sequence[tuple[int, ...]]) -> EinsumPlan:
    """Read `equation` for operands of `shapes`, as torch.einsum does.

    Spaces are ignored. Without '->' the output is the '...' dimensions, then the labels that
    occur once, in alphabetical order (upper case first). The dimensions under '...'
    broadcast from the right, and a dimension of size 1 broadcasts against its label's size.

    Raises:
        ValueError: a malformed equation, a wrong number of operands or of subscripts, an
            output label repeated or found in no operand, sizes that do not broadcast.
    """
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a str, got {type(equation).__name__}")
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    if "->" in rhs:
        raise ValueError(f"einsum: {equation!r} has more than one '->'")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: the equation {equation!r} has subscripts for {len(terms)} operand(s), "
            f"but {len(shapes)} were given"
        )
    parsed = [_tokens(t, equation, f"operand {i}'s subscripts") for i, t in enumerate(terms)]
    spans = []  # the number of dimensions each '...' covers
    for i, ((before, after, dots), shape) in enumerate(zip(parsed, shapes, strict=True)):
        named = len(before) + len(after)
        if len(shape) < named or (not dots and len(shape) != named):
            raise ValueError(
                f"einsum: operand {i} has {len(shape)} dimension(s) (shape {shape}) but "
                f"{named} subscript(s) {terms[i]!r}" + ("" if dots else " and no '...'")
            )
        spans.append(len(shape) - named)
    used = set(lhs + rhs)
    fresh = [c for c in LETTERS if c not in used]
    width = max(spans, default=0)
    if width > len(fresh):
        raise ValueError(f"einsum: {equation!r} needs more than {len(LETTERS)} subscripts")
    ellipsis = "".join(fresh[:width])
    labelled = tuple(
        before + ellipsis[width - span :] + after
        for (before, after, _), span in zip(parsed, spans, strict=True)
    )
    if arrow:
        before, after, dots = _tokens(rhs, equation, "the output")
        output = before + (ellipsis if dots else "") + after
        letters = before + after
        for c in letters:
            if letters.count(c) > 1:
                raise ValueError(f"einsum: output subscript {c!r} appears more than once")
            if c not in lhs:
                raise ValueError(
                    f"einsum: output subscript {c!r} does not appear in any operand's subscripts"
                )
    else:
        letters = lhs.replace(",", "").replace(".", "")
        output = ellipsis + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return EinsumPlan(labelled, output, _sizes(labelled, shapes, set(ellipsis)))


def _sizes(
    terms: Sequence[str], shapes: Sequence[tuple[int, ...]], ellipsis: set[str]
) -> dict[str, int]:
    """Each label's size: equal within an operand, equal or 1 across operands."""
    sizes: dict[str, int] = {}
    for i, (term, shape) in enumerate(zip(terms, shapes, strict=True)):
        own: dict[str, int] = {}
        for label, n in zip(term, shape, strict=True):
            name = "a dimension under '...'" if label in ellipsis else f"subscript {label!r}"
            if own.setdefault(label, n) != n:
                raise ValueError(
                    f"einsum: {name} is repeated in operand {i} with sizes {own[label]} and {n}"
                )
            seen = sizes.get(label, 1)
            if n != seen and 1 not in (n, seen):
                raise ValueError(
                    f"einsum: {name} has size {n} in operand {i}, which does not broadcast "
                    f"with size {seen} in an earlier operand"
                )
            sizes[label] = n if seen == 1 else seen
    return sizes


def _split(equation: str, xs: Sequence[Any]) -> tuple[list[str], str]:
    """The plain equation's terms and output, checked against the operands."""
    lhs, arrow, out = equation.partition("->")
    terms = lhs.split(",")
    if not arrow or len(terms) != len(xs):
        raise ValueError(
            f"einsum: the op needs an explicit output and one term per operand ({len(xs)}), "
            f"got {equation!r}; tinygrad_lite.einsum reads every other form"
        )
    sizes: dict[str, int] = {}
    for i, (term, x) in enumerate(zip(terms, xs, strict=True)):
        if len(term) != x.ndim or len(set(term)) != len(term) or not set(term) <= set(LETTERS):
            raise ValueError(
                f"einsum: term {term!r} must name each of operand {i}'s {x.ndim} dimensions "
                "with one distinct letter"
            )
        for label, n in zip(term, x.shape, strict=True):
            if sizes.setdefault(label, n) != n:
                raise ValueError(
                    f"einsum: subscript {label!r} has sizes {sizes[label]} and {n}; the op "
                    "does not broadcast (tinygrad_lite.einsum does)"
                )
    if len(set(out)) != len(out) or not set(out) <= set(sizes):
        raise ValueError(f"einsum: output {out!r} must hold distinct subscripts of the operands")
    return terms, out


def einsum_reference(*xs: Any, equation: str) -> Any:
    """The plain equation by broadcasting, without np.einsum.

    Every operand is laid out over all the labels, the operands are multiplied, and the
    product is summed over the labels the output lacks.
    """
    lhs, out = equation.split("->")
    terms = lhs.split(",")
    labels = sorted(set(lhs) - {","})
    total: Any = np.ones((1,) * len(labels))
    for term, x in zip(terms, xs, strict=True):
        order = sorted(range(len(term)), key=lambda d: labels.index(term[d]))
        shape = [x.shape[term.index(c)] if c in term else 1 for c in labels]
        total = total * np.transpose(x, order).reshape(shape)
    summed = np.sum(total, axis=tuple(i for i, c in enumerate(labels) if c not in out))
    kept = [c for c in labels if c in out]
    return np.transpose(summed, [kept.index(c) for c in out])


@register("einsum", arity=-1, kind="einsum", reference=einsum_reference)
class Einsum(Function):
    """y = Σ over the labels the output lacks of Π_k x_k, indexed by `equation`'s labels.

    The plain form only: "ab,bc->ac", every label once per operand, one size per label. The
    gradient of operand k is again an einsum, of the output's gradient and the other operands,
    into k's labels; a label only k has (summed in k alone) is broadcast back over it:

        ∂L/∂x_k[labels_k] = Σ g[out] · Π_{j≠k} x_j[labels_j]

    Being an einsum, the gradient has gradients of every order.
    """

    @staticmethod
    def forward(ctx: Context, *xs: Any, equation: str = "") -> Any:
        terms, out = _split(equation, xs)
        if any(x.dtype.kind == "b" for x in xs):
            raise TypeError(
                "einsum: bool operands (PyTorch refuses them, NumPy would sum with `or`); "
                "convert them first, e.g. t.long() or t.float()"
            )
        ctx.save_for_backward(tuple(terms), out, *xs)
        big = len(xs) > 2 or any(x.size > 4096 for x in xs)  # contractions by BLAS pay off
        return np.einsum(equation, *xs, optimize="greedy" if big else False)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, ...]:
        terms, out, *xs = ctx.saved
        grads: list[Any] = []
        for k, (term, x) in enumerate(zip(terms, xs, strict=True)):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [j for j in range(len(xs)) if j != k]
            present = set(out).union(*(terms[j] for j in others))
            target = "".join(c for c in term if c in present)
            equation = ",".join([out] + [terms[j] for j in others]) + "->" + target
            g = call(Einsum, grad, *[xs[j] for j in others], equation=equation)
            if target != term:  # labels summed in x alone: every element got the same
                g = g.reshape(
                    tuple(n if c in present else 1 for c, n in zip(term, x.shape, strict=True))
                )
                g = call(Expand, g, shape=x.shape)
            grads.append(g)
        return tuple(grads)

    @staticmethod
    def formula(ctx: Context) -> tuple[str, ...]:
        """Each operand's gradient in explain's notation: an einsum of {g} and the others."""
        terms, out = ctx.saved[0], ctx.saved[1]
        lines = []
        for k, term in enumerate(terms):
            others = [j for j in range(len(terms)) if j != k]
            spec = ",".join([out] + [terms[j] for j in others]) + "->" + term
            args = ", ".join(["{g}"] + [f"{{{j}}}" for j in others])
            lines.append(f"einsum('{spec}', {args})")
        return tuple(lines)
