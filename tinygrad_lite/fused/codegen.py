"""The Python source of a fused loop: one function per group, for numba to compile."""

from __future__ import annotations

from typing import Any

import numpy as np

from .schedule import Kernel

__all__ = ["kernel_source", "literal", "HEADER"]

_COMPARE = {
    "greater": ">",
    "greater_equal": ">=",
    "less": "<",
    "less_equal": "<=",
    "equal": "==",
    "not_equal": "!=",
}
_BINARY = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/"}
_MATH = {"exp", "expm1", "log", "log1p", "tanh"}
_NUMBA_TYPE = {"float64": "np.float64", "float32": "np.float32", "bool": "np.bool_"}


def literal(c: Any) -> str | None:
    """Source for a constant baked into the kernel (small integers, bools), else None."""
    if isinstance(c, np.bool_):
        return repr(bool(c))
    f = float(c)
    if f.is_integer() and abs(f) <= 2.0**20:
        return f"np.{np.dtype(type(c)).name}({f!r})"
    return None


def kernel_source(k: Kernel, inplace: dict[int, int] | None = None) -> str:
    """The Python source of a group's loop.

    The function is `kernel(operands..., outputs..., sums..., n0, ..., constants...)`: it reads
    each operand at the loop index (0 on broadcast axes), computes the group's lines in order,
    stores the outputs and accumulates the sums (over an inner axis: the row is kept and
    added up with 8 partial sums; over outer axes: added into the result as the loop goes).

    Args:
        k: the group.
        inplace: output i -> operand j when output i is written over operand j (the kernel
            then stores into that operand's array, so that LLVM sees one array, not two that
            might overlap, and vectorises).

    Returns:
        Source that defines `kernel`, to be compiled by numba.
    """
    inplace = inplace or {}
    d = len(k.shape)
    idx = [f"i{a}" for a in range(d)]
    outs = [f"a{inplace[i]}" if i in inplace else f"o{i}" for i in range(len(k.outputs))]
    sums = [f"r{i}" for i in range(len(k.reductions))]
    params = [f"a{i}" for i in range(len(k.operands))] + [o for o in outs if o[0] == "o"]
    params += sums + [f"n{a}" for a in range(d)]
    params += [f"c{i}" for i, c in enumerate(k.constants) if literal(c) is None]
    head: list[str] = []
    loads: list[str] = []
    dtypes: dict[str, str] = {}
    for i, o in enumerate(k.operands):
        dtypes[f"x{i}"] = o.dtype.name
        if o.scalar:
            head.append(f"x{i} = a{i}")
            continue
        axes = [idx[d - o.ndim + a] if full else "0" for a, full in enumerate(o.full)]
        (loads if any(o.full) else head).append(f"x{i} = a{i}[{', '.join(axes) or '()'}]")
    consts = {i: literal(c) or f"c{i}" for i, c in enumerate(k.constants)}
    for i, c in enumerate(k.constants):
        dtypes[consts[i]] = np.dtype(type(c)).name
    body: list[str] = []
    for temp, name, args, result, compute in k.body:
        srcs: list[str] = []
        for kind, ref in args:
            src = f"x{ref}" if kind == "in" else consts[ref] if kind == "const" else ref
            want = "bool" if name == "where" and not srcs else compute.name
            srcs.append(src if dtypes.get(src) == want else f"{_NUMBA_TYPE[want]}({src})")
        body.append(f"{temp} = {_expression(name, srcs, compute)}")
        dtypes[temp] = result.name
    inner = [f"{outs[i]}[{', '.join(idx)}] = {temp}" for i, (temp, _, _) in enumerate(k.outputs)]
    after: list[str] = []  # at the end of each row of the innermost axis
    stored = {temp: outs[i] for i, (temp, _, _) in enumerate(k.outputs)}
    for i, r in enumerate(k.reductions):
        head.append(f"r{i}.fill(0)")
        at = ", ".join("0" if a in r.axes else idx[a] for a in range(d))
        if d - 1 in r.axes:
            row = stored.get(r.source)  # a stored value is summed from its row of the output
            if row is None:
                row = f"w{i}"
                head.append(f"w{i} = np.empty(n{d - 1})")
                inner.append(f"w{i}[i{d - 1}] = {r.source}")
            elif d > 1:
                row = f"{row}[{', '.join(idx[:-1])}]"
            after.append(f"r{i}[{at}] += _rowsum({row}, n{d - 1})")
        else:
            inner.append(f"r{i}[{at}] += {r.source}")
    lines = ["def kernel(" + ", ".join(params) + "):"] + ["    " + h for h in head]
    pad = "    "
    for a in range(d):
        lines.append(f"{pad}for i{a} in range(n{a}):")
        pad += "    "
    lines += [pad + s for s in loads + body + inner]
    lines += [pad[:-4] + s for s in after]
    return "\n".join(lines) + "\n"


def _expression(name: str, srcs: list[str], compute: np.dtype[Any]) -> str:
    a = srcs
    if name in _BINARY:
        return f"{a[0]} {_BINARY[name]} {a[1]}"
    if name in _COMPARE:
        return f"{a[0]} {_COMPARE[name]} {a[1]}"
    if name == "where":
        return f"{a[1]} if {a[0]} else {a[2]}"
    if name == "negative":
        return f"-{a[0]}"
    if name == "positive":
        return a[0]
    if name == "absolute":
        return f"abs({a[0]})"
    if name == "square":
        return f"{a[0]} * {a[0]}"
    if name == "sqrt":
        return f"np.sqrt({a[0]})"
    if name in ("maximum", "minimum"):
        return f"_{name}({a[0]}, {a[1]})"
    if name == "sign":  # exact: a float32 input gives the same float32 value
        return f"np.float32(_sign({a[0]}))" if compute == np.float32 else f"_sign({a[0]})"
    assert name in _MATH, name
    if compute == np.float32:
        return f"np.float32(_{name}(np.float64({a[0]})))"
    return f"_{name}({a[0]})"


HEADER = '''"""A fused loop generated by tinygrad_lite (do not edit; deleting it is safe)."""
import numba
import numpy as np

from tinygrad_lite.fused.vecmath import exp as _exp, expm1 as _expm1, log as _log
from tinygrad_lite.fused.vecmath import log1p as _log1p, tanh as _tanh
from tinygrad_lite.fused.vecmath import maximum as _maximum, minimum as _minimum, rowsum as _rowsum
from tinygrad_lite.fused.vecmath import sign as _sign

JIT = dict(error_model="numpy", fastmath={"contract"}, cache=True, nogil=True)


@numba.njit(**JIT)
'''
