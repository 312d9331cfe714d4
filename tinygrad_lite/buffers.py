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
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .traced import Op

__all__ = ["plan_buffers", "fold_outer_products", "outer_multiply", "ThreadBuffers"]

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
        if line.startswith("#"):
            continue
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
    if (
        not call.startswith(("np.", "_outer_mul("))
        or ".reduce(" in call
        or call.startswith(("np.matmul(", "np.dot("))  # a product never writes over an input
    ):
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


# ------------------------------------------------------------------ outer products in blocks

_MULTIPLY = re.compile(r"^(v\d+) = np\.multiply\(([\w.]+), ([\w.]+)\)$")
_PLAIN = re.compile(r"^v\d+ = ")
BLOCK_BYTES = 1 << 20  # an outer product's scratch block: small enough to stay in the cache


def fold_outer_products(
    lines: list[str],
    fresh: list[tuple[np.ndarray, bool] | None],
    ops: list[Op | None],
    arrays: dict[str, Any],
    ret: str,
) -> tuple[list[str], list[tuple[np.ndarray, bool] | None]]:
    """Form an outer product that one elementwise product reads a block of rows at a time.

    With one output unit, the backward of `W2 @ A1` is `W2ᵀ * dZ2`: a (n, 1) by (1, m)
    product that the tanh backward multiplies straight into `1 - A1·A1`. Made whole, it is
    an (n, m) array that lives for one line. So `v29 = np.multiply(v26, v28)` after
    `v26 = np.multiply(col, row)` becomes `v29 = _outer_mul(col, row, v28, True)`: a few rows
    of `col * row` at a time go into a small scratch block, and each block is multiplied into
    the result. Every element is the same two IEEE products as before, so no bit changes; one
    (n, m) buffer and one pass over it are saved.

    Only where nothing can tell: the product is read by exactly one line, a plain multiply
    of the same shape and dtype, and the lines between are plain calls that write in place
    into nothing.
    """
    out_lines, out_fresh = list(lines), list(fresh)
    for i, line in enumerate(lines):
        m, made = _MULTIPLY.match(line), fresh[i]
        if m is None or made is None or not made[1] or made[0].nbytes < BLOCK_BYTES:
            continue
        var, a, b = m.groups()
        product = made[0]
        if not _is_outer(ops[i], arrays, product):
            continue
        j = _only_reader(lines, ops, i, var, ret)
        if j is None:
            continue
        mj, made_j, op_j = _MULTIPLY.match(lines[j]), fresh[j], ops[j]
        if mj is None or made_j is None or not made_j[1] or op_j is None or len(op_j.args) != 2:
            continue
        target, x, y = mj.groups()
        first = x == var
        other = _value(op_j.args[1 if first else 0], arrays)
        if other is None or (other.shape, other.dtype) != (product.shape, product.dtype):
            continue
        out_lines[i] = f"# {var} = np.multiply({a}, {b}), formed in blocks on the line of {target}"
        out_fresh[i] = None
        out_lines[j] = f"{target} = _outer_mul({a}, {b}, {y if first else x}, {first})"
    return out_lines, out_fresh


def _value(arg: Any, arrays: dict[str, Any]) -> np.ndarray | None:
    """The trace-time array behind an `Op` argument (None for a Python number)."""
    name = getattr(arg, "name", None)
    if name is not None:
        traced = arrays.get(name)
        return None if traced is None else np.asarray(traced.value)
    return arg if isinstance(arg, np.ndarray) else None


def _is_outer(op: Op | None, arrays: dict[str, Any], product: np.ndarray) -> bool:
    """Whether `op` is a plain multiply of a (n, 1) and a (1, m) array of the result's dtype."""
    if op is None or op.fn is not np.multiply or op.method or op.kwargs or len(op.args) != 2:
        return False
    vals = [_value(a, arrays) for a in op.args]
    if product.ndim != 2 or any(v is None or v.dtype != product.dtype for v in vals):
        return False
    n, m = product.shape
    shapes = {v.shape for v in vals if v is not None}
    return n > 1 and m > 1 and shapes == {(n, 1), (1, m)}


def _only_reader(lines: list[str], ops: list[Op | None], i: int, var: str, ret: str) -> int | None:
    """The one line after `i` that reads `var`, once, with only plain calls between; else None."""
    word = re.compile(rf"\b{var}\b")
    if word.search(ret):
        return None
    reader = None
    for k in range(i + 1, len(lines)):
        hits = len(word.findall(lines[k]))
        if hits and (reader is not None or hits > 1):
            return None
        if hits:
            reader = k
        elif reader is None:
            op = ops[k]
            if not _PLAIN.match(lines[k]) or op is None or "out" in op.kwargs or op.method == "at":
                return None
    return reader


def outer_multiply(a: Any, b: Any, c: np.ndarray, first: bool, out: Any = None) -> np.ndarray:
    """`np.multiply(np.multiply(a, b), c)` (`c` first unless `first`), blocked.

    `a * b` is a (n, 1) by (1, m) outer product; it is formed a block of rows at a time, so the
    values are the same and no (n, m) temporary is made.
    """
    if out is None:
        out = np.empty(c.shape, c.dtype)
    elif np.may_share_memory(out, a) or np.may_share_memory(out, b):
        whole = np.multiply(a, b)  # the result would overwrite a factor still to be read
        return np.multiply(whole, c, out=out) if first else np.multiply(c, whole, out=out)
    n, m = c.shape
    rows = max(1, BLOCK_BYTES // max(1, m * c.itemsize))
    block = np.empty((min(rows, n), m), c.dtype)
    col_a = a.shape[0] == n
    for r in range(0, n, rows):
        s = slice(r, r + rows)
        t = block[: min(rows, n - r)]
        if col_a:
            np.multiply(a[s], b, out=t)
        else:
            np.multiply(a, b[s], out=t)
        if first:
            np.multiply(t, c[s], out=out[s])
        else:
            np.multiply(c[s], t, out=out[s])
    return out


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
