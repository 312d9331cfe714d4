"""Turn a trace's elementwise NumPy calls into loops: the kernels and the order of the statements.

The fused backend of `compile` starts from the trace as data (`traced.Op` per NumPy call).
`groups` decides which lines fuse and into which groups; this module, still
without numba, describes each group as a `Kernel` (its operands, constants, lines, the values it
writes and the sums it accumulates) and orders the statements:

- each group runs where all its inputs are ready, the other lines keep their order, and nothing
  moves across a barrier (a line with an effect);
- a group writes only values read after it (by other lines, as a gradient, or returned) and
  its sums; the rest live in registers inside the loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..traced import Ref, Traced
from .groups import COMPARISONS, VAR, Grouper, Node, classify, ufunc_name

if TYPE_CHECKING:
    from ..recorder import Recorder

__all__ = ["Kernel", "Operand", "Reduction", "Statement", "schedule"]


@dataclass(frozen=True)
class Operand:
    """An input of a loop: an array (indexed on its axes of the loop's size) or a scalar.

    Attributes:
        expr: the expression that yields it in the generated step (`v3`, `x0.data`).
        ndim: its number of axes (0 for a scalar).
        full: for each axis, whether it is indexed (it has the loop's size) or broadcast.
        dtype: its dtype.
        scalar: NumPy gives a scalar here, not an array.
    """

    expr: str
    ndim: int
    full: tuple[bool, ...]
    dtype: np.dtype[Any]
    scalar: bool


@dataclass(frozen=True)
class Reduction:
    """A sum over some axes of a value the loop computes (`np.add.reduce`).

    Attributes:
        source: the temporary summed.
        var: the variable the sum is bound to.
        axes: the summed axes.
        dtype: the result's dtype.
        shape: the result's shape (NumPy's: without the summed axes unless keepdims).
        scalar: NumPy gives a scalar (a sum over every axis without keepdims).
    """

    source: str
    var: str
    axes: tuple[int, ...]
    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    scalar: bool


@dataclass
class Kernel:
    """One group of elementwise lines, as one loop over `shape`.

    Attributes:
        shape: the iteration shape (every elementwise line's result shape).
        operands: the arrays and scalars read from outside the loop.
        constants: Python or NumPy numbers, cast to the dtype they are computed in.
        body: (temporary, ufunc name, arguments, result dtype, compute dtype) per line; an
            argument is ("in", i), ("const", i) or ("tmp", name).
        outputs: (temporary, variable, dtype) for each value written to an array.
        reductions: the sums the loop accumulates.
        lines: the traced lines it replaces.
    """

    shape: tuple[int, ...]
    operands: list[Operand] = field(default_factory=list)
    constants: list[Any] = field(default_factory=list)
    body: list[tuple[str, str, list[tuple[str, Any]], np.dtype[Any], np.dtype[Any]]] = field(
        default_factory=list
    )
    outputs: list[tuple[str, str, np.dtype[Any]]] = field(default_factory=list)
    reductions: list[Reduction] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


@dataclass
class Statement:
    """One statement of the fused step: a traced line kept as is, or a kernel call.

    Attributes:
        line: the traced line (None for a kernel).
        kernel: the kernel (None for a line).
        index: the traced line's index (the first line of a kernel).
        defines: variables this statement binds.
        reads: variables it reads.
    """

    line: str | None
    kernel: Kernel | None
    index: int
    defines: list[str]
    reads: list[str]


def _plain(versioned: str) -> str:
    return versioned.partition("@")[0]


def _temp(versioned: str) -> str:
    name, _, k = versioned.partition("@")
    return f"t_{name}_{k}"


def _kernel(
    nodes: list[Node], arrays: dict[str, Traced], members: list[int], needed: set[str]
) -> Kernel:
    """The loop of one group: its operands, constants, lines, written values and sums."""
    k = Kernel(shape=nodes[members[0]].shape, lines=list(members))
    inside = {nodes[i].target for i in members}
    operand_index: dict[str, int] = {}
    for i in members:
        node = nodes[i]
        op = node.op
        assert op is not None and node.target is not None
        value = op.value
        if node.sum_axes is not None:
            source = node.versions[op.args[0].name]
            k.reductions.append(
                Reduction(
                    _temp(source),
                    _plain(node.target),
                    node.sum_axes,
                    value.dtype,
                    np.shape(value),
                    isinstance(value, np.generic),
                )
            )
            continue
        name = ufunc_name(op)
        assert name is not None
        raw = op.args[:1] if op.fn is np.power else op.args
        compute = value.dtype
        if name in COMPARISONS and name != "where":
            compute = np.result_type(
                *[arrays[a.name].value.dtype if isinstance(a, Ref) else a for a in raw]
            )
        args: list[tuple[str, Any]] = []
        for pos, a in enumerate(raw):
            if not isinstance(a, Ref):
                cast = np.dtype(np.bool_) if name == "where" and pos == 0 else compute
                k.constants.append(cast.type(a))
                args.append(("const", len(k.constants) - 1))
                continue
            versioned = node.versions.get(a.name)
            if versioned in inside:
                args.append(("tmp", _temp(versioned)))  # type: ignore[arg-type]
                continue
            if a.name not in operand_index:
                t = arrays[a.name]
                shape = () if t.scalar else t.value.shape
                # An axis is indexed where it has the loop's size (1 included: the same index as
                # the outputs', which lets LLVM see an in-place write as one).
                tail = k.shape[len(k.shape) - len(shape) :]
                full = tuple(n == s for n, s in zip(shape, tail, strict=True))
                operand_index[a.name] = len(k.operands)
                k.operands.append(Operand(a.name, len(shape), full, t.value.dtype, t.scalar))
            args.append(("in", operand_index[a.name]))
        k.body.append((_temp(node.target), name, args, value.dtype, compute))
        if node.target in needed:
            k.outputs.append((_temp(node.target), _plain(node.target), value.dtype))
    return k


def schedule(rec: Recorder, ret: str) -> list[Statement]:
    """Group the trace's elementwise lines and order the statements of the fused step.

    Args:
        rec: the recorder of a finished trace (lines, ops and arrays).
        ret: the generated step's return expression (what it reads must be kept).

    Returns:
        The statements in order: traced lines (unchanged) and kernels.
    """
    nodes = classify(rec)
    gr = Grouper(nodes)
    gr.run()
    final = {_plain(n.target): n.target for n in nodes if n.target is not None}
    read_outside: set[str] = {final[v] for v in VAR.findall(ret) if v in final}
    for node in nodes:
        g = gr.group_of.get(node.index)
        for r in node.reads:
            p = gr.producer.get(r)
            if p is not None and gr.group_of.get(p) not in (None, g):
                read_outside.add(r)
    kernel_of: dict[int, int] = {}
    kernels: list[Kernel] = []
    for members in gr.groups:
        if not any(nodes[i].sum_axes is None for i in members) or len(members) == 1:
            for i in members:  # nothing to fuse: NumPy's line
                nodes[i].kind = "pure" if nodes[i].inplace is None else "barrier"
            continue
        needed = {nodes[i].target for i in members if nodes[i].sum_axes is None} & read_outside
        if not needed and not any(nodes[i].sum_axes is not None for i in members):
            continue  # nothing of it is ever read
        kernels.append(_kernel(nodes, rec.arrays, members, needed))  # type: ignore[arg-type]
        for i in members:
            kernel_of[i] = len(kernels) - 1
    return _order(gr, rec.lines, kernels, kernel_of)


def _order(
    gr: Grouper, lines: list[str], kernels: list[Kernel], kernel_of: dict[int, int]
) -> list[Statement]:
    """Statements block by block: each block's units in dependency order, barriers between."""
    out: list[Statement] = []
    blocks: dict[int, list[int]] = {}
    for node in gr.nodes:
        if node.kind == "ew" and node.index not in kernel_of:
            continue  # in a group whose values nobody reads
        blocks.setdefault(gr.block_of[node.index], []).append(node.index)
    for b in sorted(blocks):
        units: dict[tuple[str, int], list[int]] = {}
        for i in blocks[b]:
            units.setdefault(("k", kernel_of[i]) if i in kernel_of else ("n", i), []).append(i)
        unit_of = {i: u for u, members in units.items() for i in members}
        deps = {
            u: {unit_of[p] for i in ms for p in gr.inputs(i) if p in unit_of} - {u}
            for u, ms in units.items()
        }
        for u, ms in units.items():  # an in-place line runs after every read of the old value
            for i in ms:
                if u[0] == "n" and gr.nodes[i].inplace is not None:
                    old = gr.readers.get(gr.nodes[i].reads_old, [])
                    deps[u] |= {unit_of[r] for r in old if r in unit_of} - {u}
        done: set[tuple[str, int]] = set()
        while len(done) < len(units):
            u = min(
                (u for u in units if u not in done and deps[u] <= done), key=lambda u: units[u][0]
            )
            done.add(u)
            if u[0] == "k":
                k = kernels[u[1]]
                reads = [v for o in k.operands for v in VAR.findall(o.expr)]
                defines = [o[1] for o in k.outputs] + [r.var for r in k.reductions]
                out.append(Statement(None, k, units[u][0], defines, reads))
            else:
                node = gr.nodes[u[1]]
                defines = [_plain(node.target)] if node.target and node.inplace is None else []
                out.append(
                    Statement(
                        lines[node.index],
                        None,
                        node.index,
                        defines,
                        [_plain(r) for r in node.reads],
                    )
                )
    return out
