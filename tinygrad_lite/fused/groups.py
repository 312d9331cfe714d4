"""Which lines of a trace fuse, and into which groups (the analysis behind `schedule`).

- *Elementwise* lines: a ufunc from `UFUNCS` (or `np.where`) on float or bool arrays and Python
  or NumPy scalars, plain or writing in place into an array another elementwise line of the same
  group made; and *sums* (`np.add.reduce` over some axes of a value a group computes).
- *Barriers*: anything that may write an array or has an effect (a replayed call, the gradient
  accumulator, a random draw, `.grad` assignments, in-place writes that do not fuse). Nothing
  moves across a barrier; the lines between two barriers form a block.
- *Groups*: within a block, elementwise lines with the same result shape join one group, and
  so do sums of the group's values, unless that would make the group depend on itself through a
  line outside it (a matrix product of one of its values feeding another of its lines) or read a
  sum it is still computing.

Variables written in place get versions (`v15@0`, `v15@1`), so that a group can keep both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..traced import Op, Ref, Traced

if TYPE_CHECKING:
    from ..recorder import Recorder

__all__ = ["UFUNCS", "COMPARISONS", "VAR", "Node", "Grouper", "classify", "ufunc_name"]

# The ufuncs a loop computes, by NumPy name ("where" is np.where, "square" also x**2).
UFUNCS = frozenset(
    {
        "add",
        "subtract",
        "multiply",
        "divide",
        "negative",
        "positive",
        "absolute",
        "sign",
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
# Lines whose result dtype is not the dtype they compute in.
COMPARISONS = frozenset(
    {"greater", "greater_equal", "less", "less_equal", "equal", "not_equal", "where"}
)
_FLOATS = frozenset({np.dtype(np.float64), np.dtype(np.float32)})
_DTYPES = _FLOATS | {np.dtype(np.bool_)}
VAR = re.compile(r"\bv\d+\b")
_DEF = re.compile(r"^(v\d+) = ")
# Lines without an Op that only read: views, copies and reductions of a traced array.
_PURE = re.compile(
    r"^v\d+ = (?:np\.asarray\([\w.\[\]]+\)|[\w.\[\]]+(?:\.T|\[.*\]|\.(?:reshape|transpose|"
    r"swapaxes|squeeze|ravel|flatten|astype|copy|sum|mean|max|min|prod|any|all|argmax|argmin|"
    r"cumsum|cumprod)\(.*\)))$"
)


@dataclass
class Node:
    """One traced line, as the grouping sees it."""

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
    if isinstance(out, Ref) and VAR.fullmatch(out.name):
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
    if name in COMPARISONS and name != "where":
        kinds = [arrays[a.name].value.dtype if isinstance(a, Ref) else a for a in op.args]
        if any(isinstance(a, Ref) and a.name not in arrays for a in op.args):
            return False
        if np.result_type(*kinds) not in _DTYPES:  # e.g. bool against an int: int64
            return False
    for a in op.args[:1] if name == "square" and op.fn is np.power else op.args:
        if isinstance(a, Ref):
            t = arrays.get(a.name)
            if t is None or t.value.dtype not in _DTYPES or t.value.ndim > value.ndim:
                return False
        elif not _is_number(a):
            return False
    return True


def classify(rec: Recorder) -> list[Node]:
    """One node per traced line, with SSA versions for variables written in place."""
    version: dict[str, int] = {}

    def cur(v: str) -> str:
        return f"{v}@{version.get(v, 0)}"

    nodes: list[Node] = []
    for i, line in enumerate(rec.lines):
        op = rec.ops[i] if i < len(rec.ops) else None
        m = _DEF.match(line)
        plain_reads = list(dict.fromkeys(VAR.findall(line[m.end() :] if m else line)))
        node = Node(i, "barrier", op=op)
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


class Grouper:
    """Assigns elementwise nodes to groups, line by line (see the module docstring)."""

    def __init__(self, nodes: list[Node]) -> None:
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

    def _place(self, node: Node, block: int) -> None:
        i = node.index
        if node.inplace is not None or node.sum_axes is not None:
            # In place: only into the group that made the array, and only if nothing outside
            # it has read the old value. A sum: only in the group that computes what it sums.
            # (a sum of a parameter's own array reads no traced name: nothing to join)
            source = node.reads_old if node.inplace is not None else next(iter(node.reads), "")
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
                    if source and source not in node.reads:
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
