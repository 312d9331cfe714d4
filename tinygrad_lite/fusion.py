"""Group a trace's elementwise NumPy calls into loops: which calls fuse, in what order, kept how.

The fused backend of `compile` (see `fused`) starts from the trace as data (`traced.Op` per
NumPy call). This module decides, without numba:

- which lines are *elementwise*: a ufunc from `UFUNCS` (or `np.where`) on float or bool arrays
  and Python or NumPy scalars, plain or writing in place into an array another elementwise line
  of the same group made; and which are *sums* (`np.add.reduce` over some axes of a value the
  group computes);
- which lines are *barriers*: anything that may write an array or has an effect (a replayed
  call, the gradient accumulator, a random draw, `.grad` assignments, in-place writes that do
  not fuse). Nothing moves across a barrier;
- the *groups*: within the lines between two barriers, elementwise lines with the same result
  shape join one group (one loop), and so do sums of the group's values, unless that would make
  the group depend on itself through a line outside it (a matrix product of one of its values
  feeding another of its lines) or read a sum it is still computing;
- the *order*: each group runs where all its inputs are ready, the other lines keep their order;
- what each group *writes*: only values read after it (by other lines, as a gradient, or
  returned) and its sums; the rest live in registers inside the loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .traced import Op, Recorder, Ref, Traced

__all__ = ["UFUNCS", "Kernel", "Operand", "Reduction", "Statement", "schedule"]

# The ufuncs a loop can compute, by NumPy name (np.where is handled as a function).
UFUNCS = frozenset(
    {
        "add",
        "subtract",
        "multiply",
        "divide",
        "negative",
        "positive",
        "absolute",
        "maximum",
        "minimum",
        "greater",
        "greater_equal",
        "less",
        "less_equal",
        "equal",
        "not_equal",
        "exp",
        "expm1",
        "log",
        "log1p",
        "tanh",
        "sqrt",
        "square",
    }
)
COMPARISONS = frozenset(
    {"greater", "greater_equal", "less", "less_equal", "equal", "not_equal", "where"}
)
_FLOATS = frozenset({np.dtype(np.float64), np.dtype(np.float32)})
_DTYPES = _FLOATS | {np.dtype(np.bool_)}
_VAR = re.compile(r"\bv\d+\b")
_DEF = re.compile(r"^(v\d+) = ")
# Lines without an Op that only read: views, copies and reductions of a traced array.
_PURE = re.compile(
    r"^v\d+ = (?:np\.asarray\([\w.\[\]]+\)|[\w.\[\]]+(?:\.T|\[.*\]|\.(?:reshape|transpose|"
    r"swapaxes|squeeze|ravel|flatten|astype|copy|sum|mean|max|min|prod|any|all|argmax|argmin|"
    r"cumsum|cumprod)\(.*\)))$"
)


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


@dataclass
class _Node:
    index: int
    kind: str  # "ew" (elementwise or a fusable sum), "pure" or "barrier"
    target: str | None = None  # the (versioned) variable it defines
    reads: list[str] = field(default_factory=list)  # versioned variables
    op: Op | None = None
    inplace: str | None = None  # the plain variable an elementwise line writes in place
    reads_old: str = ""  # the version of `inplace` it overwrites
    versions: dict[str, str] = field(default_factory=dict)  # plain -> versioned, as read
    sum_axes: tuple[int, ...] | None = None  # for a sum: the summed axes
    shape: tuple[int, ...] = ()  # the loop shape it runs in (a sum: the shape it sums)


def _ref_names(x: Any) -> list[str]:
    if isinstance(x, Ref):
        return [x.name]
    if isinstance(x, (tuple, list)):
        return [n for i in x for n in _ref_names(i)]
    return []


def _is_number(x: Any) -> bool:
    if isinstance(x, (bool, int, float)):
        return True
    return isinstance(x, np.generic) and np.dtype(type(x)) in _DTYPES | {np.dtype(np.int64)}


def ufunc_name(op: Op) -> str | None:
    """The fusable function an Op calls ("where", "sum" or a ufunc name), else None."""
    if op.method == "reduce":
        return "sum" if op.fn is np.add else None
    if op.method:
        return None
    if op.fn is np.where:
        return "where" if len(op.args) == 3 and not op.kwargs else None
    if not isinstance(op.fn, np.ufunc):
        return None
    if op.fn is np.power:
        two = len(op.args) == 2 and _is_number(op.args[1]) and float(op.args[1]) == 2.0
        return "square" if two else None
    name = op.fn.__name__
    return name if name in UFUNCS and op.fn is getattr(np, name) else None


def _out_target(op: Op) -> str | None:
    """The plain variable an Op writes in place (`out=(v3,)`), '' if none, None if unsupported."""
    if not op.kwargs:
        return ""
    if set(op.kwargs) != {"out"}:
        return None
    out = op.kwargs["out"]
    out = out[0] if isinstance(out, tuple) and len(out) == 1 else out
    if isinstance(out, Ref) and _VAR.fullmatch(out.name):
        return out.name
    return None


def _sum_axes(op: Op, arrays: dict[str, Traced]) -> tuple[int, ...] | None:
    """The axes of a fusable `np.add.reduce(v, axis=..., keepdims=...)`, else None."""
    if (
        len(op.args) != 1
        or not isinstance(op.args[0], Ref)
        or set(op.kwargs) - {"axis", "keepdims"}
    ):
        return None
    source = arrays.get(op.args[0].name)
    if source is None or source.scalar or source.value.dtype not in _FLOATS:
        return None
    ndim = source.value.ndim
    axis = op.kwargs.get("axis", 0)
    axes = range(ndim) if axis is None else axis if isinstance(axis, tuple) else (axis,)
    if ndim == 0 or not all(isinstance(a, int) and -ndim <= a < ndim for a in axes):
        return None
    value = op.value
    if not isinstance(value, (np.ndarray, np.generic)) or value.dtype != source.value.dtype:
        return None
    return tuple(sorted({a % ndim for a in axes}))


def _elementwise(op: Op, arrays: dict[str, Traced]) -> bool:
    """Whether an Op can be one line of a loop: supported function, dtypes and operands."""
    name = ufunc_name(op)
    if name is None or name == "sum" or _out_target(op) is None:
        return False
    value = op.value
    if not isinstance(value, np.ndarray) or value.ndim == 0 or value.dtype not in _DTYPES:
        return False
    if name not in COMPARISONS and value.dtype not in _FLOATS:
        return False
    for a in op.args[:1] if name == "square" and op.fn is np.power else op.args:
        if isinstance(a, Ref):
            t = arrays.get(a.name)
            if t is None or t.value.dtype not in _DTYPES or t.value.ndim > value.ndim:
                return False
        elif not _is_number(a):
            return False
    return True


def _classify(rec: Recorder) -> list[_Node]:
    """One node per traced line, with SSA versions for variables written in place."""
    version: dict[str, int] = {}

    def cur(v: str) -> str:
        return f"{v}@{version.get(v, 0)}"

    nodes: list[_Node] = []
    for i, line in enumerate(rec.lines):
        op = rec.ops[i] if i < len(rec.ops) else None
        m = _DEF.match(line)
        plain_reads = list(dict.fromkeys(_VAR.findall(line[m.end() :] if m else line)))
        node = _Node(i, "barrier", op=op)
        axes = _sum_axes(op, rec.arrays) if op is not None and op.method == "reduce" else None
        if m and op is not None and axes is not None:
            node.kind, node.sum_axes = "ew", axes
            node.shape = rec.arrays[op.args[0].name].value.shape
        elif op is not None and _elementwise(op, rec.arrays):
            t = _out_target(op)
            node.kind, node.shape = "ew", op.value.shape
            if t:
                node.inplace, node.reads_old = t, cur(t)
            elif not m:
                node.kind = "barrier"
        elif m and (op is not None and "out" not in op.kwargs or _PURE.match(line)):
            node.kind = "pure"
        node.reads = [cur(v) for v in plain_reads]
        node.versions = {v: cur(v) for v in plain_reads}
        if node.inplace is not None:
            node.versions[node.inplace] = node.reads_old
            version[node.inplace] = version.get(node.inplace, 0) + 1
            node.target = cur(node.inplace)
        elif m:
            node.target = cur(m.group(1))
        nodes.append(node)
    return nodes


class _Grouper:
    """Assigns elementwise nodes to groups, line by line (see the module docstring)."""

    def __init__(self, nodes: list[_Node]) -> None:
        self.nodes = nodes
        self.producer: dict[str, int] = {}
        self.readers: dict[str, list[int]] = {}
        self.group_of: dict[int, int] = {}
        self.groups: list[list[int]] = []
        self.group_shape: list[tuple[int, ...]] = []
        self.group_block: list[int] = []
        self.block_of: list[int] = []

    def inputs(self, i: int) -> list[int]:
        """The nodes whose values node i reads."""
        return [self.producer[r] for r in self.nodes[i].reads if r in self.producer]

    def _cycle(self, i: int, g: int, block: int) -> bool:
        """Whether node i depends on group g through a node outside g (joining makes a cycle).

        Reading a sum that g accumulates counts too: it is ready only after g's loop.
        """
        if any(
            self.group_of.get(p) == g and self.nodes[p].sum_axes is not None for p in self.inputs(i)
        ):
            return True
        stack = [p for p in self.inputs(i) if self.group_of.get(p) != g]
        seen: set[int] = set()
        while stack:
            x = stack.pop()
            if x in seen or self.block_of[x] != block:
                continue
            seen.add(x)
            gx = self.group_of.get(x)
            if gx == g:
                return True
            for member in [x] if gx is None else self.groups[gx]:
                stack.extend(self.inputs(member))
        return False

    def run(self) -> None:
        """Place every node: a group for elementwise ones, a block for all."""
        block = 0
        for node in self.nodes:
            if node.kind == "ew":
                self.block_of.append(block)  # provisional, for the cycle search
                self._place(node, block)
                self.block_of.pop()
            if node.kind == "barrier":
                block += 1
            self.block_of.append(block)
            if node.kind == "barrier":
                block += 1
            for r in node.reads:
                self.readers.setdefault(r, []).append(node.index)
            if node.target is not None:
                self.producer[node.target] = node.index

    def _place(self, node: _Node, block: int) -> None:
        i = node.index
        if node.inplace is not None or node.sum_axes is not None:
            # In place: only into the group that made the array, and only if nothing outside
            # it has read the old value. A sum: only in the group that computes what it sums.
            source = node.reads_old if node.inplace is not None else node.reads[0]
            p = self.producer.get(source)
            g = self.group_of.get(p) if p is not None else None
            if (
                g is None
                or self.group_block[g] != block
                or self.group_shape[g] != node.shape
                or (
                    node.inplace is not None
                    and any(self.group_of.get(r) != g for r in self.readers.get(source, []))
                )
                or self._cycle(i, g, block)
            ):
                if node.inplace is not None:
                    node.kind = "barrier"  # the NumPy line writes into the materialised array
                    if source not in node.reads:
                        node.reads.append(source)
                else:
                    node.kind = "pure"
                return
            self._join(i, g)
            return
        for g in range(len(self.groups) - 1, -1, -1):
            if self.group_block[g] != block:
                break
            if self.group_shape[g] == node.shape and not self._cycle(i, g, block):
                self._join(i, g)
                return
        self.groups.append([])
        self.group_shape.append(node.shape)
        self.group_block.append(block)
        self._join(i, len(self.groups) - 1)

    def _join(self, i: int, g: int) -> None:
        self.groups[g].append(i)
        self.group_of[i] = g


def _plain(versioned: str) -> str:
    return versioned.partition("@")[0]


def _temp(versioned: str) -> str:
    name, _, k = versioned.partition("@")
    return f"t_{name}_{k}"


def _kernel(
    nodes: list[_Node], arrays: dict[str, Traced], members: list[int], needed: set[str]
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
    nodes = _classify(rec)
    gr = _Grouper(nodes)
    gr.run()
    final = {_plain(n.target): n.target for n in nodes if n.target is not None}
    read_outside: set[str] = {final[v] for v in _VAR.findall(ret) if v in final}
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
    gr: _Grouper, lines: list[str], kernels: list[Kernel], kernel_of: dict[int, int]
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
                reads = [v for o in k.operands for v in _VAR.findall(o.expr)]
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
