"""Trace a training step once, then replay it as generated straight-line NumPy code.

`compile(step)` runs `step` eagerly the first time, recording every op's forward, every
`backward()` call and every side-effecting call marked with `autograd.traced_call` (an
optimizer's `step` and `zero_grad`, a module's `zero_grad`). From that record it writes one
Python function in which each op is a direct call of its `forward` or `backward`, the
gradient bookkeeping (topological order, accumulation, `unbroadcast` axes, dtype casts) is
resolved ahead of time, and no Tensor or graph is built. Later calls with arguments of the same
shapes and dtypes run that function; a new shape or dtype traces again. The generated code
calls the very same op methods in the very same order as eager execution, so the results are
bit-for-bit those of eager execution; `CompiledStep.source` shows the code. Large outputs of
ops that can write into a given array (`Function.supports_out`: matmul, add) get a buffer of
their own, allocated once and filled with `out=` on every call, and each forward value is
dropped after its last read so that a backward may reuse a dead array in place.

What it cannot trace: Python control flow that depends on tensor values (`if loss > 1:`,
`.item()`, comparisons inside the step raise `TraceError` while tracing), tensors created
inside the step from fresh data (they are frozen as constants), in-place writes to `.data`
inside the step (they happen once, at trace time: use an optimizer, whose `step` is recorded),
and anything else the step does besides tensor ops and the recorded calls, which runs only
during tracing.
"""

from __future__ import annotations

import builtins
import re
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from . import autograd
from .autograd import Context, Function, TraceError, _accumulate_leaf, unbroadcast
from .tensor import Tensor, _to_array

__all__ = ["compile", "CompiledStep", "TraceError"]

_trace_lock = threading.Lock()

# Outputs at least this large get a buffer of their own, allocated once and reused on every
# call: a fresh large array costs page faults each time, a small one comes from a cache.
_BUFFER_MIN_BYTES = 1 << 16


class _Node:
    """One recorded op application."""

    __slots__ = (
        "index",
        "fn",
        "inputs",
        "params",
        "needs",
        "seq",
        "in_graph",
        "out",
        "ctx",
        "cname",
        "shape",
        "dtype",
    )

    def __init__(
        self, index: int, fn: type[Function], inputs: list[str], params: dict[str, Any]
    ) -> None:
        self.index = index
        self.fn = fn
        self.inputs = inputs
        self.params = params
        self.needs: tuple[bool, ...] = ()
        self.seq = -1
        self.in_graph = False
        self.out = ""
        self.ctx = Context()
        self.cname = ""
        self.shape: tuple[int, ...] = ()
        self.dtype: np.dtype[Any] = np.dtype(np.float64)


class _Tracer:
    """Records ops, backward calls and side-effecting calls while a step runs eagerly."""

    def __init__(self, arg_names: dict[int, str]) -> None:
        self.thread = threading.get_ident()
        self.arg_dtypes: dict[str, np.dtype[Any]] = {}
        self.names: dict[int, str] = dict(arg_names)  # id(tensor) -> expression for its data
        self.keep: list[Any] = []  # keeps traced objects alive so ids stay unique
        self.externals: list[Tensor] = []
        self.nodes: list[_Node] = []
        self.node_of: dict[int, _Node] = {}  # id(ctx) -> node
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {}
        # (line, node) of large outputs of ops that can write into a given array (`out=`).
        self.buffered: list[tuple[int, _Node]] = []

    def active(self) -> bool:
        """Whether the calling thread is the one being traced (others run eagerly)."""
        return threading.get_ident() == self.thread

    # -- naming -----------------------------------------------------------------------------

    def ref(self, t: Tensor) -> str:
        """The expression that yields `t`'s array inside the generated code."""
        name = self.names.get(id(t))
        if name is None:  # a parameter or a constant made outside the traced ops
            k = len(self.externals)
            self.externals.append(t)
            self.keep.append(t)
            name = f"e{k}.data"
            self.names[id(t)] = name
        return name

    def const(self, hint: str, value: Any) -> str:
        """Bind `value` in the generated code's namespace under a readable, unique name."""
        name, k = hint, 1
        while name in self.consts and self.consts[name] is not value:
            k += 1
            name = f"{hint}_{k}"
        self.consts[name] = value
        return name

    # -- hooks called by the engine ---------------------------------------------------------

    def record(
        self,
        fn: type[Function],
        inputs: tuple[Tensor, ...],
        params: dict[str, Any],
        ctx: Context,
        result: Tensor,
    ) -> None:
        if not self.active():
            return
        node = _Node(len(self.nodes), fn, [self.ref(t) for t in inputs], dict(params))
        node.out = f"v{node.index}"
        if result._ctx is not None:
            node.in_graph = True
            node.needs = ctx.needs_input_grad
            node.seq = ctx.seq
            node.ctx.needs_input_grad = ctx.needs_input_grad
            self.node_of[id(ctx)] = node
        node.ctx.fn = fn
        node.shape, node.dtype = result.data.shape, result.data.dtype
        self.nodes.append(node)
        self.keep.extend((result, ctx))
        self.names[id(result)] = node.out
        fname = self.const(fn.__name__, fn) + ".forward"
        cname = node.cname = self.const(f"ctx{node.index}", node.ctx)
        args = ", ".join(node.inputs)
        kw = f", **{self.const(f'params{node.index}', node.params)}" if node.params else ""
        self.lines.append(f"{node.out} = {fname}({cname}, {args}{kw})")
        if fn.supports_out and result.data.nbytes >= _BUFFER_MIN_BYTES:
            self.buffered.append((len(self.lines) - 1, node))

    def alias(self, new: Tensor, old: Tensor) -> None:
        """`new` shares `old`'s array (detach): it reads the same variable."""
        if not self.active():
            return
        self.keep.append(new)
        self.names[id(new)] = self.ref(old)

    def record_set_grad(self, t: Tensor, value: Any) -> None:
        """`t.grad = value` inside the step: replayed as the same assignment."""
        if not self.active():
            return
        self.keep.append(t)
        if value is not None:
            raise TraceError(
                "compile: only `tensor.grad = None` can be traced; assign other gradients "
                "outside the step"
            )
        e = self.ref(t)[: -len(".data")] if self.ref(t).endswith(".data") else None
        if e is None:
            raise TraceError("compile: .grad can only be reset on parameters, not on step values")
        self.lines.append(f"{e}.grad = None")

    def record_call(self, method: Callable[..., Any], args: tuple[Any, ...], kw: Any) -> None:
        if not self.active():
            return
        self.keep.extend(args)
        n = sum(1 for name in self.consts if name.startswith("call"))
        m = self.const(f"call{n}", method)
        a = self.const(f"call{n}_args", args)
        k = self.const(f"call{n}_kwargs", kw)
        self.lines.append(f"{m}(*{a}, **{k})  # {getattr(method, '__qualname__', m)}")

    def record_backward(self, root: Tensor, grad: Any, retain_graph: bool) -> None:
        if not self.active():
            return
        root_ctx = root._ctx
        if root_ctx is None or id(root_ctx) not in self.node_of:
            raise TraceError("compile: backward() must start from a tensor computed in the step")
        if grad is None:  # d root / d root, made once: backward never writes into its grad
            ones = np.ones_like(root.data)
            ones.flags.writeable = False
            gexpr = self.const("ones", ones)
        elif isinstance(grad, Tensor) and id(grad) in self.names:
            gexpr = self.names[id(grad)]
        else:
            gexpr = self.const("grad_given", np.array(_to_array(grad, root.data.dtype)))
        self._emit_backward(self.node_of[id(root_ctx)], gexpr, retain_graph)

    def _emit_backward(self, root: _Node, gexpr: str, retain_graph: bool) -> None:
        # The graph nodes reachable from root, in decreasing creation number: the eager order.
        reach: dict[int, _Node] = {root.index: root}
        stack = [root]
        while stack:
            node = stack.pop()
            for pname in node.inputs:
                producer = self._producer(pname)
                if producer is not None and producer.in_graph and producer.index not in reach:
                    reach[producer.index] = producer
                    stack.append(producer)
        order = sorted(reach.values(), key=lambda n: -n.seq)
        L = self.lines
        L.extend(f"g{n.index} = None" for n in order[1:])
        L.append(f"g{root.index} = {gexpr}")
        # Like the engine, sum each leaf's gradients over the pass and write `.grad` at the end.
        leaves: list[str] = []
        start = len(L)
        for node in order:
            g = f"g{node.index}"
            L.append(f"if {g} is not None:")
            fname = self.const(node.fn.__name__, node.fn)
            L.append(f"    {node.cname}.last_use = {not retain_graph}")
            L.append(f"    gs = {fname}.backward({node.cname}, {g})")
            for i, pname in enumerate(node.inputs):
                if not node.needs[i]:
                    continue
                producer = self._producer(pname)
                leaf = self._external(pname)
                if producer is not None and not producer.in_graph:
                    continue
                if producer is None and (leaf is None or not leaf.requires_grad):
                    continue
                shape = leaf.data.shape if leaf is not None else producer.shape  # type: ignore[union-attr]
                L.append(f"    u = gs[{i}]")
                L.append("    if u is not None:")
                # An op returns each gradient in its input's or its output's shape, so the
                # check is needed only where the two differ (broadcasting).
                if shape != node.shape:
                    L.append(f"        if u.shape != {shape!r}: u = _unbroadcast(u, {shape!r})")
                if leaf is not None:
                    e = pname[: -len(".data")]
                    if e not in leaves:
                        leaves.append(e)
                    L.append(f"        if l_{e} is None: l_{e}, s_{e} = u, u is {g}")
                    L.append(f"        else: l_{e}, s_{e} = l_{e} + u, False")
                    continue
                assert producer is not None
                d = self.const(producer.dtype.name, producer.dtype)
                t = f"g{producer.index}"
                # Gradients of an op whose inputs and output share one dtype have that dtype.
                if {self.dtype_of(e) for e in node.inputs} | {node.dtype} != {producer.dtype}:
                    L.append(f"        if u.dtype != {d}: u = u.astype({d})")
                L.append(f"        {t} = u if {t} is None else {t} + u")
            if not retain_graph:
                L.append(f"    {node.cname}.saved = None")
        L[start:start] = [f"l_{e} = None" for e in leaves]
        for e in leaves:
            L.append(f"if l_{e} is not None: _acc({e}, l_{e}, s_{e})")
        L.extend(f"g{n.index} = None" for n in order)
        L.extend(f"l_{e} = None" for e in leaves)

    def dtype_of(self, expr: str) -> np.dtype[Any]:
        """The dtype of the array an expression in the generated code yields."""
        producer = self._producer(expr)
        if producer is not None:
            return producer.dtype
        ext = self._external(expr)
        if ext is not None:
            return ext.data.dtype
        return self.arg_dtypes[expr]

    def _producer(self, expr: str) -> _Node | None:
        if expr.startswith("v"):
            return self.nodes[int(expr[1:])]
        return None

    def _external(self, expr: str) -> Tensor | None:
        if expr.startswith("e") and expr.endswith(".data"):
            return self.externals[int(expr[1:-5])]
        return None


class CompiledStep:
    """A step function traced once per input signature and replayed as generated code.

    Attributes:
        source: the generated Python source of the most recent trace.
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self._plans: dict[tuple[Any, ...], tuple[Callable[..., Any], str, Any]] = {}
        self.source = ""
        self.traces = 0

    def __call__(self, *args: Any) -> Any:
        """Run the step: trace it on a new signature, else replay the generated code."""
        arrays: list[np.ndarray] = []
        key: list[Any] = []
        for a in args:
            if isinstance(a, Tensor):
                a = a.data
            if isinstance(a, np.ndarray):
                if a.dtype.kind != "f":
                    a = _to_array(a, None)
                arrays.append(a)
                key.append((a.shape, a.dtype))
            else:
                try:
                    hash(a)
                except TypeError as e:
                    raise TraceError(
                        f"compile: argument of type {type(a).__name__} is neither an array nor "
                        "hashable; pass tensors/arrays and plain constants only"
                    ) from e
                key.append(("const", type(a), a))
        plan = self._plans.get(tuple(key))
        if plan is None:
            return self._trace(tuple(key), args)
        run, _, wrap = plan
        return wrap(run(*arrays))

    def _trace(self, key: tuple[Any, ...], args: tuple[Any, ...]) -> Any:
        tensors: list[Tensor] = []
        call_args: list[Any] = []
        for a in args:
            if isinstance(a, (Tensor, np.ndarray)):
                t = a if isinstance(a, Tensor) else Tensor(a)
                tensors.append(t)
                call_args.append(t)
            else:
                call_args.append(a)
        tracer = _Tracer({id(t): f"x{i}" for i, t in enumerate(tensors)})
        tracer.arg_dtypes = {f"x{i}": t.data.dtype for i, t in enumerate(tensors)}
        tracer.keep.extend(tensors)
        with _trace_lock:
            if autograd._tracer is not None:
                raise TraceError("compile: a step cannot be traced inside another trace")
            autograd._tracer = tracer
            try:
                out = self.fn(*call_args)
            finally:
                autograd._tracer = None
        run, source, wrap = self._build(tracer, len(tensors), out)
        self._plans[key] = (run, source, wrap)
        self.source = source
        self.traces += 1
        return out

    @staticmethod
    def _build(
        tracer: _Tracer, n_args: int, out: Any
    ) -> tuple[Callable[..., Any], str, Callable[[Any], Any]]:
        def result_expr(o: Any) -> str:
            if isinstance(o, Tensor):
                return tracer.ref(o)
            if o is None:
                return "None"
            return tracer.const("r", o)

        if isinstance(out, (tuple, list)):
            exprs = [result_expr(o) for o in out]
            kinds = [isinstance(o, Tensor) for o in out]
            ret = "(" + ", ".join(exprs) + ",)"

            def wrap(vals: Any) -> Any:
                items = [
                    Tensor._make(np.asarray(v), False, None) if k else v
                    for v, k in zip(vals, kinds, strict=True)
                ]
                return type(out)(items)
        else:
            ret = result_expr(out)
            is_tensor = isinstance(out, Tensor)

            def wrap(vals: Any) -> Any:
                return Tensor._make(np.asarray(vals), False, None) if is_tensor else vals

        params = ", ".join(f"x{i}" for i in range(n_args))
        returned = set(re.findall(r"\bv\d+\b", ret))
        for i, node in tracer.buffered:
            if node.out not in returned:  # a returned array must not be overwritten next call
                buf = tracer.const(f"buf{node.index}", np.empty(node.shape, node.dtype))
                tracer.lines[i] = f"{tracer.lines[i][:-1]}, out={buf})"
        body = _drop_dead_values(tracer.lines, ret) + [f"return {ret}"]
        source = f"def step({params}):\n" + "\n".join("    " + line for line in body) + "\n"
        namespace: dict[str, Any] = dict(tracer.consts)
        namespace.update({f"e{k}": t for k, t in enumerate(tracer.externals)})
        namespace.update(_unbroadcast=unbroadcast, _acc=_accumulate_leaf, np=np)
        exec(compile_source(source), namespace)  # noqa: S102 - our own generated code
        return namespace["step"], source, wrap


def _drop_dead_values(lines: list[str], ret: str) -> list[str]:
    """After the last line that reads a forward value `vN`, add `vN = None`.

    Then the only references left to an array the step is done with are those of the graph
    contexts, which lets a backward reuse it in place (`Context.reusable`), as in eager mode.
    """
    last: dict[str, int] = {}
    for i, line in enumerate(lines):
        for name in re.findall(r"\bv\d+\b", line):
            last[name] = i
    keep = set(re.findall(r"\bv\d+\b", ret))
    after: dict[int, list[str]] = {}
    for name, i in last.items():
        if name not in keep and not lines[i].startswith(" "):
            after.setdefault(i, []).append(f"{name} = None")
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        out.extend(after.get(i, []))
    return out


def compile_source(source: str) -> Any:
    """Compile generated step source to a code object (named for tracebacks)."""
    # This module's own `compile` shadows the builtin.
    return builtins.compile(source, "<tinygrad_lite.compile>", "exec")


def compile(fn: Callable[..., Any]) -> CompiledStep:
    """Trace `fn` (forward, backward and optimizer step) once per input signature; replay it.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import Tensor, compile
        >>> w = Tensor(np.ones((1, 2)), requires_grad=True)
        >>> def step(x):
        ...     w.grad = None
        ...     loss = (w @ x).tanh().sum()
        ...     loss.backward()
        ...     return loss
        >>> fast = compile(step)
        >>> first = fast(np.ones((2, 3)))  # traced (runs eagerly)
        >>> again = fast(np.ones((2, 3)))  # replayed
        >>> bool(np.array_equal(first.data, again.data))
        True

    Args:
        fn: the step; tensors or arrays among its arguments are the inputs that change from
            call to call. Other arguments must be hashable: a new value traces again.

    Returns:
        A callable `CompiledStep` returning what `fn` returns (tensors without a graph).
    """
    return CompiledStep(fn)
