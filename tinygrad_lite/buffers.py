"""A static buffer plan for a traced step: ufunc outputs written into arrays reused every call.

Every traced line has the form `vK = <expression>` or is a statement. A line that makes a new
array with a ufunc (`vK = np.tanh(v3)`) may instead write into a buffer (`np.tanh(v3,
out=b2)`), provided nothing can see the buffer once its value is dead. The plan is computed once
per trace:

- aliases: a variable made by anything but a ufunc call (a transpose, a reshape, a slice, a
  function) may share memory with the variables it was made from, so they form one class that
  lives as long as its longest-lived member;
- escapes: a class read by a replayed call (an optimizer step, the gradient accumulator), stored
  as a gradient or as a tensor's `.data`, or returned outlives the call and never gets a buffer;
- liveness: a buffer is free again after the line of its class's last read, and is reused by a
  later ufunc output of the same shape and dtype.

Writing a ufunc's result with `out=` computes exactly the same values, so the plan changes no bit
of the results. Each thread gets buffers of its own, so replays may run concurrently.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["plan_buffers", "ThreadBuffers"]

_VAR = re.compile(r"\bv\d+\b")
_ESCAPE = re.compile(r"\b(call\d+|_acc\d*|_T)\(|\._grad\s*=|\.data\s*=")


class _Classes:
    """Union-find over variable names."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, v: str) -> str:
        root = v
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        self.parent[v] = root
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def plan_buffers(
    lines: list[str], fresh: list[tuple[np.ndarray, bool] | None], ret: str, min_bytes: int
) -> tuple[list[str], list[tuple[tuple[int, ...], np.dtype[Any]]]]:
    """Rewrite ufunc lines to write into reused buffers `b0, b1, ...`.

    Args:
        lines: the traced lines.
        fresh: for each line that makes a new array: the array, and whether the line is a
            plain ufunc call (which may write into a buffer); None for other lines.
        ret: the return expression (what it reads escapes).
        min_bytes: arrays smaller than this keep being allocated (cheap from NumPy's cache).

    Returns:
        The rewritten lines and the (shape, dtype) of each buffer.
    """
    classes = _Classes()
    defined: dict[int, str] = {}
    last_read: dict[str, int] = {}
    escaped: set[str] = set()
    for i, line in enumerate(lines):
        target, _, rhs = line.partition(" = ")
        target = target.strip()
        if _VAR.fullmatch(target):
            defined[i] = target
            reads = _VAR.findall(rhs)
            if fresh[i] is None:  # may be a view of what it reads
                for r in reads:
                    classes.union(target, r)
        else:
            rhs = line
            reads = _VAR.findall(line)
        if _ESCAPE.search(rhs):
            escaped.update(reads)
        for r in reads:
            last_read[r] = i
    escaped.update(_VAR.findall(ret))
    dead_roots = {classes.find(v) for v in escaped}
    end: dict[str, int] = {}
    for v, i in last_read.items():
        root = classes.find(v)
        end[root] = max(end.get(root, -1), i)
    for i, v in defined.items():
        root = classes.find(v)
        end[root] = max(end.get(root, -1), i)

    specs: list[tuple[tuple[int, ...], np.dtype[Any]]] = []
    free: dict[tuple[tuple[int, ...], str], list[int]] = {}
    releases: dict[int, list[tuple[tuple[tuple[int, ...], str], int]]] = {}
    buffer_of: dict[str, int] = {}  # variable written into a buffer -> that buffer
    out = list(lines)
    for i, line in enumerate(lines):
        made = fresh[i]
        var = defined.get(i)
        arr = made[0] if made is not None and made[1] else None
        if arr is not None and var is not None and arr.nbytes >= min_bytes and arr.ndim:
            root = classes.find(var)
            if root not in dead_roots:
                key = (arr.shape, arr.dtype.str)
                b = _dying_input(line, i, key, classes, end, buffer_of, releases)
                if b is None:
                    pool = free.setdefault(key, [])
                    if pool:
                        b = pool.pop()
                    else:
                        b = len(specs)
                        specs.append((arr.shape, arr.dtype))
                assert line.endswith(")")
                out[i] = f"{line[:-1]}, out=b{b})"
                buffer_of[var] = b
                releases.setdefault(end[root], []).append((key, b))
        for key, b in releases.pop(i, []):
            free.setdefault(key, []).append(b)
    return out, specs


def _dying_input(
    line: str,
    i: int,
    key: tuple[tuple[int, ...], str],
    classes: _Classes,
    end: dict[str, int],
    buffer_of: dict[str, int],
    releases: dict[int, list[tuple[tuple[tuple[int, ...], str], int]]],
) -> int | None:
    """The buffer of an input that this elementwise line reads for the last time, if any.

    `np.tanh(v2, out=<v2's buffer>)` spares a buffer. NumPy defines a ufunc whose output
    overlaps an input to compute what it computes without the overlap, so the values are the
    same; only elementwise calls on the variable itself (not a view of it) qualify, where the
    overlap is exact and costs no copy.
    """
    call = line.partition(" = ")[2]
    if not call.startswith("np.") or ".reduce(" in call or call.startswith("np.matmul("):
        return None
    for r in _VAR.findall(call):
        if r not in buffer_of or end.get(classes.find(r)) != i:
            continue
        b = buffer_of[r]
        pending = releases.get(i, [])
        if (key, b) in pending:
            pending.remove((key, b))
            return b
    return None


class ThreadBuffers:
    """The buffers of one plan, allocated separately for each thread that replays it."""

    def __init__(self, specs: list[tuple[tuple[int, ...], np.dtype[Any]]]) -> None:
        self.specs = specs
        self._local = threading.local()

    def get(self) -> tuple[np.ndarray, ...]:
        """This thread's buffers (allocated on its first call)."""
        bufs: tuple[np.ndarray, ...] | None = getattr(self._local, "bufs", None)
        if bufs is None:
            bufs = tuple(np.empty(shape, dtype) for shape, dtype in self.specs)
            self._local.bufs = bufs
        return bufs


def buffer_prologue(n: int, getter: str) -> list[str]:
    """The line that binds `b0, b1, ...` at the top of the generated function."""
    if n == 0:
        return []
    names = ", ".join(f"b{i}" for i in range(n))
    return [f"{names}{',' if n == 1 else ''} = {getter}()"]


BufferGetter = Callable[[], tuple[np.ndarray, ...]]
