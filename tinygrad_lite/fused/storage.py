"""Where the fused step's values live: computed in place, in reused buffers, or fresh each call.

The same rules as `buffers.plan_buffers` for the traced lines that stay NumPy's (a line that may
return a view joins the class of what it reads; a class read by a replayed call, stored as a
gradient or returned never gets a reused buffer; a buffer is free again after the last read of
its class), and for kernels:

- an output is written over an operand of the same shape and dtype that is read for the last
  time in that kernel and owns its memory (a NumPy result or another kernel's output, with no
  other view of it read in the kernel): each element is read before it is written, at the same
  index, so the loop may overwrite it. The step's large (n_h, m) activations thus share one
  array from the first matrix product to the last gradient;
- else an output gets a buffer of its own, whatever its size (a kernel call costs nothing more
  for it, unlike NumPy's `out=`), unless its value escapes the step;
- sums are small and fresh on every call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..buffers import _ESCAPE, _VAR, _Classes
from .schedule import Statement

if TYPE_CHECKING:
    from ..recorder import Recorder

__all__ = ["Plan", "plan"]


@dataclass
class Plan:
    """The storage decisions for a fused step.

    Attributes:
        lines: per statement, the (rewritten) line, or None for a kernel.
        storage: per statement, where each kernel output is written: an operand's expression
            (in place), a buffer (`b2`) or None (a fresh array each call).
        specs: the (shape, dtype) of each buffer.
    """

    lines: list[str | None]
    storage: list[list[str | None]]
    specs: list[tuple[tuple[int, ...], np.dtype[Any]]]


class _Liveness:
    """Alias classes, fresh producers, last reads and escapes of a statement list."""

    def __init__(self, stmts: list[Statement], rec: Recorder, ret: str) -> None:
        self.classes = _Classes()
        self.producer: dict[str, str] = {}  # var -> "ufunc" | "new" | "kernel"
        last: dict[str, int] = {}
        self.escaped: set[str] = set(_VAR.findall(ret))
        for j, st in enumerate(stmts):
            for v in st.reads + st.defines:
                last[v] = j
            if st.kernel is not None:
                for _, var, _ in st.kernel.outputs:
                    self.producer[var] = "kernel"
                for red in st.kernel.reductions:
                    self.producer[red.var] = "new"
                continue
            assert st.line is not None
            made = rec.fresh[st.index]
            for d in st.defines:
                if made is None:
                    for r in st.reads:
                        self.classes.union(d, r)
                else:
                    self.producer[d] = "ufunc" if made[1] else "new"
            if _ESCAPE.search(st.line):
                self.escaped.update(st.reads)
        for v in _VAR.findall(ret):  # returned: alive after the last statement
            last[v] = len(stmts)
        self.last = last
        self.end: dict[str, int] = {}
        self.fresh_count: dict[str, int] = {}
        for v, i in last.items():
            r = self.classes.find(v)
            self.end[r] = max(self.end.get(r, -1), i)
        for v in self.producer:
            r = self.classes.find(v)
            self.fresh_count[r] = self.fresh_count.get(r, 0) + 1

    def merge(self, operand: str, output: str) -> None:
        """`output` is written over `operand`: one class, living as long as both."""
        a, b = self.classes.find(operand), self.classes.find(output)
        end = max(self.end.get(a, -1), self.end.get(b, -1))
        self.classes.union(operand, output)
        self.end[self.classes.find(operand)] = end


def _in_place(stmts: list[Statement], rec: Recorder, live: _Liveness) -> dict[str, str]:
    """Kernel output -> the operand it overwrites (see the module docstring)."""
    inplace: dict[str, str] = {}
    for j, st in enumerate(stmts):
        k = st.kernel
        if k is None:
            continue
        roots = [live.classes.find(o.expr) for o in k.operands if _VAR.fullmatch(o.expr)]
        # A value that escapes (a gradient, a returned value, one a replayed call reads) is
        # never overwritten, whenever its last read in the step is.
        used = {live.classes.find(v) for v in live.escaped}
        for _, var, dtype in k.outputs:
            for o in k.operands:
                v = o.expr
                if not _VAR.fullmatch(v) or o.scalar or o.dtype != dtype or v not in live.producer:
                    continue
                r = live.classes.find(v)
                if (
                    rec.arrays[v].value.shape == k.shape
                    and live.fresh_count.get(r) == 1
                    and live.end.get(r) == j
                    and r not in used
                    and roots.count(r) == 1
                ):
                    used.add(r)
                    inplace[var] = v
                    live.merge(v, var)
                    break
    return inplace


def plan(stmts: list[Statement], rec: Recorder, ret: str, min_bytes: int) -> Plan:
    """Decide where every value of the fused step lives.

    Args:
        stmts: the scheduled statements (`schedule.schedule`).
        rec: the trace (for which lines make new arrays, and the arrays' shapes).
        ret: the step's return expression (what it reads escapes).
        min_bytes: traced ufunc lines write into buffers from this size on.

    Returns:
        The rewritten lines, each kernel output's storage and the buffers' specs.
    """
    live = _Liveness(stmts, rec, ret)
    inplace = _in_place(stmts, rec, live)
    find = live.classes.find
    dead = {find(v) for v in live.escaped}
    specs: list[tuple[tuple[int, ...], np.dtype[Any]]] = []
    free: dict[tuple[tuple[int, ...], str], list[int]] = {}
    releases: dict[int, list[tuple[tuple[tuple[int, ...], str], int]]] = {}

    def take(shape: tuple[int, ...], dtype: np.dtype[Any], var: str) -> str:
        key = (shape, dtype.str)
        pool = free.setdefault(key, [])
        b = pool.pop() if pool else len(specs)
        if b == len(specs):
            specs.append((shape, dtype))
        releases.setdefault(live.end[find(var)], []).append((key, b))
        return f"b{b}"

    lines: list[str | None] = []
    storage: list[list[str | None]] = []
    for j, st in enumerate(stmts):
        outs: list[str | None] = []
        line = st.line
        if st.kernel is not None:
            for _, var, dtype in st.kernel.outputs:
                if var in inplace:
                    outs.append(inplace[var])
                elif find(var) in dead:
                    outs.append(None)
                else:
                    outs.append(take(st.kernel.shape, dtype, var))
        elif line is not None and st.defines:
            var = st.defines[0]
            made = rec.fresh[st.index]
            arr = made[0] if made is not None and made[1] else None
            if (
                arr is not None
                and arr.ndim
                and arr.nbytes >= min_bytes
                and find(var) not in dead
                and line.endswith(")")
            ):
                line = f"{line[:-1]}, out={take(arr.shape, arr.dtype, var)})"
        lines.append(line)
        storage.append(outs)
        for key, b in releases.pop(j, []):
            free.setdefault(key, []).append(b)
    return Plan(lines, storage, specs)
