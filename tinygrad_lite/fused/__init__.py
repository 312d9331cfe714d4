"""The fused backend of `compile`: each group of elementwise NumPy calls becomes one numba loop.

`compile(step, backend="fused")` traces the step as the NumPy backend does; then `groups`
finds the chains of elementwise lines (bias add and tanh, tanh's backward, the sigmoid and
cross-entropy and their gradient, the sums of the backward pass), `schedule` orders them,
`storage` decides where values live, `codegen` writes each group as a loop in Python source,
and this module compiles the loops with numba and calls them from the generated step. Matrix
products stay NumPy's (BLAS); everything else stays the traced NumPy lines. Only this module
and `vecmath` use numba, and both import without it.

Kernels are cached by their source, which depends on the group's structure, dtypes, number of
axes and broadcast pattern but not on sizes or on the values of non-integer constants (those
are arguments): in memory for the process, and on disk (numba's cache, in
`$TINYGRAD_LITE_CACHE` or `~/.cache/tinygrad_lite`) across processes.

The transcendental functions are `vecmath`'s (a few ulp from NumPy's), and numba may contract
a·b + c into one fused multiply-add: results agree with the NumPy backend to about 1e-15
relative, not bit for bit.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..traced import Ref
from .codegen import HEADER, kernel_source, literal
from .schedule import schedule
from .storage import plan

if TYPE_CHECKING:
    from ..recorder import Recorder

__all__ = [
    "available",
    "require",
    "generate",
    "kernel_source",
    "kernel_sources",
    "KernelCache",
    "INSTALL_HINT",
]

INSTALL_HINT = (
    'pip install "tinygrad-lite[fast]"  (or: pip install "numba>=0.60"; from a checkout: '
    'pip install ".[fast]")'
)


def available() -> bool:
    """Whether numba can be imported (the fused backend's one requirement)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def require() -> None:
    """Raise ImportError, saying how to install it, when numba is missing."""
    try:
        import numba  # noqa: F401
    except ImportError as e:
        raise ImportError(
            f'compile(..., backend="fused") needs numba, which is not installed ({e}); '
            f"install the optional extra: {INSTALL_HINT}"
        ) from e


def _library_stamp() -> str:
    """Numba's version and vecmath's source: a kernel cached on disk is stale if either changes."""
    import numba

    from . import vecmath

    source = Path(vecmath.__file__).read_bytes()
    return hashlib.sha256(source + numba.__version__.encode()).hexdigest()[:12]


def _cache_dir() -> Path:
    root = os.environ.get("TINYGRAD_LITE_CACHE")
    base = Path(root) if root else Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser()
    path = (base if root else base / "tinygrad_lite") / "kernels"
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".probe"
        probe.write_text("")
        probe.unlink()
    except OSError:
        path = Path(tempfile.gettempdir()) / f"tinygrad_lite-kernels-{os.getuid()}"
        path.mkdir(parents=True, exist_ok=True)
    return path


class KernelCache:
    """Compiled kernels by source: in memory, and as files numba caches machine code for."""

    def __init__(self) -> None:
        self._kernels: dict[str, Callable[..., None]] = {}
        self._lock = threading.Lock()
        self._dir: Path | None = None
        self._stamp = ""
        self.compiled = 0  # kernels compiled (or loaded from disk) in this process

    def get(self, source: str) -> Callable[..., None]:
        """The numba dispatcher for a kernel source (written to a file and imported once)."""
        with self._lock:
            fn = self._kernels.get(source)
            if fn is not None:
                return fn
            if self._dir is None:
                self._dir, self._stamp = _cache_dir(), _library_stamp()
            text = HEADER + source
            digest = hashlib.sha256((self._stamp + text).encode()).hexdigest()[:20]
            name = f"tgl_kernel_{digest}"
            path = self._dir / f"{name}.py"
            if not path.exists() or path.read_text() != text:
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(text)
                os.replace(tmp, path)
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            fn = module.kernel
            self._kernels[source] = fn
            self.compiled += 1
            return fn


KERNELS = KernelCache()


def generate(
    rec: Recorder, ret: str, min_bytes: int
) -> tuple[list[str], list[tuple[tuple[int, ...], np.dtype[Any]]], dict[str, Any]]:
    """The fused step's body: traced lines and kernel calls, its buffers and its namespace.

    Args:
        rec: the finished trace.
        ret: the step's return expression.
        min_bytes: traced ufunc lines write into buffers from this size on (as the NumPy
            backend's plan); kernel outputs always do unless they escape the step.

    Returns:
        The lines, the (shape, dtype) of each buffer, and the names the lines use.
    """
    stmts = schedule(rec, ret)
    p = plan(stmts, rec, ret, min_bytes)
    namespace: dict[str, Any] = {}
    lines: list[str] = []

    def bind(value: Any, prefix: str) -> str:
        name = f"{prefix}{sum(n.startswith(prefix) for n in namespace)}"
        namespace[name] = value
        return name

    for j, st in enumerate(stmts):
        k = st.kernel
        if k is None:
            line = p.lines[j]
            assert line is not None
            lines.append(_dot(line, rec.ops[st.index], rec))
            continue
        exprs = [o.expr for o in k.operands]
        inplace = {i: exprs.index(w) for i, w in enumerate(p.storage[j]) if w in exprs}
        kname = bind(KERNELS.get(kernel_source(k, inplace)), "_k")
        args = list(exprs)
        before: list[str] = []
        after: list[str] = []
        for i, ((_, var, dtype), where) in enumerate(zip(k.outputs, p.storage[j], strict=True)):
            if i in inplace:
                after.append(f"{var} = {where}")
                continue
            if where is None:
                where = f"np.empty({k.shape!r}, {bind(dtype, '_dt')})"
            before.append(f"{var} = {where}")
            args.append(var)
        for r in k.reductions:
            keep = tuple(1 if a in r.axes else n for a, n in enumerate(k.shape))
            held = r.var if keep == r.shape else f"_s{r.var}"
            before.append(f"{held} = np.empty({keep!r}, {bind(r.dtype, '_dt')})")
            args.append(held)
            if r.scalar:
                after.append(f"{r.var} = {held}[{', '.join('0' * len(keep))}]")
            elif held != r.var:
                after.append(f"{r.var} = {held}.reshape({r.shape!r})")
        args += [str(n) for n in k.shape]
        args += [bind(c, "_c") for c in k.constants if literal(c) is None]
        label = " ".join(
            "sum" if op.method == "reduce" else op.fn.__name__
            for op in (rec.ops[i] for i in k.lines)
            if op is not None
        )
        lines += before + [f"{kname}({', '.join(args)})  # fused: {label}"] + after
    return lines, p.specs, namespace


def _dot(line: str, op: Any, rec: Recorder) -> str:
    """`np.dot` for a product of two matrices of one float dtype (less overhead per call).

    Both call BLAS's matrix product on the same arrays; only the time around it differs.
    """
    if op is None or op.fn is not np.matmul or op.method or len(op.args) != 2:
        return line
    arrays = [rec.arrays.get(a.name) if isinstance(a, Ref) else None for a in op.args]
    if any(t is None or t.scalar or t.value.ndim != 2 for t in arrays):
        return line
    dtypes = {t.value.dtype for t in arrays if t is not None} | {np.asarray(op.value).dtype}
    if len(dtypes) != 1 or dtypes.pop() not in (np.float64, np.float32):
        return line
    return line.replace(" = np.matmul(", " = np.dot(", 1)


def kernel_sources(step: Any) -> dict[str, str]:
    """The loops of a fused step's most recent plan, by the name its source calls them.

    Args:
        step: a `CompiledStep` made with backend="fused" and called at least once.

    Returns:
        {"_k0": "def kernel(...): ...", ...}, in the order the step calls them.
    """
    plans = [runs for runs in getattr(step, "_plans", {}).values() if runs]
    if not plans:
        return {}
    names = plans[-1][0].__globals__  # the signature called last, its mode's plan
    out = {}
    for name in sorted((n for n in names if n.startswith("_k")), key=lambda n: int(n[2:])):
        out[name] = inspect.getsource(names[name].py_func)
    return out
