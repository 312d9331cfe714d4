"""Module backward hooks: the gradients of a module's inputs and outputs, seen and replaced.

`Module.register_full_backward_hook` and `register_full_backward_pre_hook` have PyTorch's
semantics; this module is their machinery. Each call of a hooked module (with grad mode on and
a Tensor argument that requires grad) routes the Tensors that require grad through one graph
node made of existing ops: they are flattened and joined (`cat`), and the module's `forward`
sees slices of the joined tensor, reshaped. The joined node's gradient is then every input's
gradient at once, complete (every use of an input comes later in the graph), and a tensor hook
on it (`tinygrad_lite.hooks`) hands them to the module's hooks, whose replacement goes on
backwards in their place. The outputs are routed the same way. Since the route is made of
differentiable ops, gradients of every order pass through a hooked module unchanged:

    x —flatten, cat→ P —slice, reshape→ x' → forward → y —flatten, cat→ Q —slice, reshape→ y'

When P's gradient is ready the full backward hooks run: `hook(module, grad_input,
grad_output) -> tuple | None`; when Q's is ready the pre-hooks run, `hook(module,
grad_output) -> tuple | None`. As in PyTorch, grad_input has one entry per positional argument
(None for what is not a Tensor, zeros for a Tensor that got no gradient), and grad_output one
per output (a Tensor, or each item of a tuple; None where no gradient came back).

Where PyTorch sends no gradient at all (an output no gradient came back to, an input whose
grad_input a hook replaced by None), the joined node lets none through to that tensor, rather
than zeros (`_Route.gate`), so that `.grad` stays None where PyTorch leaves it None.

PyTorch runs the inputs' node whenever the graph leads there from the outputs' node, even if
no gradient comes that way: the hooks then see zeros, and so do the inputs. Here a node runs
only when a gradient reaches it, so Q also joins an empty slice of P (the probe, `_empty_of`),
made before P's parts and so visited after them: it lets zeros through to P where no part got
a gradient and the graph from Q leads to one, and nothing otherwise (a gradient that does
arrive is unchanged). A module whose Q no gradient reaches at all (behind an enclosing
module's unused output, or a hook that replaced a grad_input by None) is not called, where
PyTorch calls it with None for grad_output.
"""

from __future__ import annotations

import math
import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import autograd, hooks, tracing
from . import ops as F
from .tensor import Tensor

__all__ = ["BackwardHook"]

NO_INPUT_GRAD = (
    "Full backward hook is firing when gradients are computed with respect to module outputs "
    "since no inputs require gradients. See register_full_backward_hook for more details."
)


# The probes' nodes, which `_leads_to` does not follow (PyTorch's graph has no such edges)
_PROBES: weakref.WeakSet[Any] = weakref.WeakSet()


def _refuse_tracing(owner: str) -> None:
    tracer = tracing.current
    if tracer is not None and tracer.active():
        raise tracing.TraceError(
            f"compile: {owner} has backward hooks, which a compiled step would run only while "
            "tracing it; remove them (handle.remove()) or call the step uncompiled"
        )


class _Route:
    """The Tensors of a module's arguments or outputs, routed through one joined tensor.

    Args:
        values: the positional arguments, or the outputs (a tuple).
        what: "input" or "output", for messages.
    """

    def __init__(self, values: Sequence[Any], what: str) -> None:
        self.what = what
        self.n = len(values)
        self.tensors = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
        self.graded = [i for i in self.tensors if values[i].requires_grad]
        self.like = {i: (values[i].shape, values[i].dtype) for i in self.tensors}
        dts = [values[i].dtype for i in self.graded]
        self.dtype = np.result_type(*dts) if dts else None
        self.bounds: list[tuple[int, int]] = []
        start = 0
        for i in self.graded:
            size = math.prod(values[i].shape)
            self.bounds.append((start, start + size))
            start += size
        self.versions: list[tuple[int, Any, int]] = []
        self.node: Any = None  # a weak reference to the joined tensor's graph node
        self.shape: tuple[int, ...] = ()  # the joined tensor's
        self.probe: Any = None  # the inputs' probe (then a weak reference to it)
        self.probe_node: Any = None  # a weak reference to its node
        self.extra = 0  # 1 where the joined tensor ends with the (empty) probe

    def _cast(self, t: Tensor, dtype: Any) -> Tensor:
        return t if t.dtype == dtype else t.astype(dtype)

    def wrap(self, values: Sequence[Any], tail: Tensor | None = None) -> tuple[list[Any], Tensor]:
        """The values with each Tensor replaced by its routed copy, and the joined tensor.

        A Tensor that does not require grad is passed on detached (a new tensor sharing its
        array, as PyTorch passes a view). `tail` (the inputs' probe) is joined last; the inputs'
        probe is made here, after the joined tensor and before the parts.
        """
        out = list(values)
        for i in self.tensors:
            if i not in self.graded:
                out[i] = values[i].detach()
        ts = [values[i] for i in self.graded]
        if len(ts) == 1 and tail is None:  # no join: a reshape gives the node its own place
            joined = ts[0].reshape(ts[0].shape)
        else:
            flat = [self._cast(t, self.dtype).reshape(-1) for t in ts]
            if tail is not None:
                flat.append(self._cast(tail, self.dtype))
                self.extra = 1
            joined = F.Cat.apply(*flat, dim=0)
        self.node = weakref.ref(joined._ctx)
        self.shape = joined.shape
        if self.what == "input":
            probe = _empty_of(joined)
            self.probe, self.probe_node = probe, weakref.ref(probe._ctx)
        if len(ts) == 1:
            parts = [joined.reshape(ts[0].shape)]
        else:
            parts = [
                self._cast(joined[a:b].reshape(t.shape), t.dtype)
                for (a, b), t in zip(self.bounds, ts, strict=True)
            ]
        for i, p in zip(self.graded, parts, strict=True):
            out[i] = p
            self.versions.append((i, weakref.ref(p), p._version))
        return out, joined

    def changed(self) -> int | None:
        """The position of a routed tensor changed in place since it was made, if any."""
        for i, ref, version in self.versions:
            t = ref()
            if t is not None and t._version != version:
                return i
        return None

    def split(self, g: Tensor) -> list[Tensor]:
        """The joined tensor's gradient cut into one gradient per routed tensor."""
        if len(self.graded) == 1:
            shape = self.like[self.graded[0]][0]
            return [g if g.shape == shape else g.reshape(shape)]
        return [
            self._cast(g[a:b].reshape(self.like[i][0]), self.like[i][1])
            for i, (a, b) in zip(self.graded, self.bounds, strict=True)
        ]

    def join(self, grads: Sequence[Tensor]) -> Tensor:
        """One gradient per routed tensor, joined as `split` cut them."""
        if len(grads) == 1:
            g = grads[0]
            return g if g.shape == self.shape else g.reshape(self.shape)
        return F.Cat.apply(*[self._cast(g, self.dtype).reshape(-1) for g in grads], dim=0)

    def gate(self, open_: Sequence[bool]) -> None:
        """Let a gradient through to the routed tensors where `open_` says, for this backward.

        A gradient that is not let through is not zeros but none at all (an unused output's
        Parameters keep `.grad` None, as in PyTorch): the joined node's record of which inputs
        need a gradient is set before its backward runs (its tensor hook runs first).
        """
        ctx = self.node() if self.node is not None else None
        needs = tuple(open_) + (True,) * self.extra  # the probe's (empty) gradient always flows
        if ctx is not None and needs != ctx.needs_input_grad:
            ctx.needs_input_grad = needs

    def replacement(
        self, new: Any, old: Sequence[Any], name: str, hook_kind: str
    ) -> tuple[list[Tensor], list[bool]] | None:
        """The gradients a hook's returned `new` gives the routed tensors, and which flow.

        None where `new` holds the very entries of `old`. An entry None stops the gradient of
        its tensor (as in PyTorch) where `old` has None too, or on the inputs' side.

        Raises:
            RuntimeError: an entry has another shape or dtype, or is None in place of an output's
                gradient (PyTorch would still run the module's backward then, with nothing from
                that output, and call the full hooks with zeros: not supported).
            TypeError: an entry is neither a Tensor nor None.
        """
        if all(new[i] is old[i] for i in self.graded):
            return None
        out, flows = [], []
        for i in self.graded:
            v = new[i]
            shape, dtype = self.like[i]
            flows.append(v is not None)
            if v is None:
                if old[i] is not None and self.what == "output":
                    raise RuntimeError(
                        f"{hook_kind}: {name}[{i}] was replaced by None, but a gradient came "
                        f"back through {self.what} {i}; this is not supported (PyTorch would "
                        "still call the full backward hooks, with zeros): return zeros instead"
                    )
                v = Tensor(np.zeros(shape, dtype))
            elif not isinstance(v, Tensor):
                raise TypeError(
                    f"{hook_kind}: expected a Tensor or None for {name}[{i}], got "
                    f"{type(v).__name__}"
                )
            elif v.shape != shape:
                raise RuntimeError(
                    f"{hook_kind}: {name}[{i}] has shape {v.shape}, but {self.what} {i} has "
                    f"shape {shape}; a hook must not change the size of a gradient"
                )
            elif v.dtype != dtype:
                raise RuntimeError(
                    f"{hook_kind}: {name}[{i}] has dtype {v.dtype}, but {self.what} {i} has "
                    f"dtype {dtype}; a hook must not change the type of a gradient"
                )
            out.append(v)
        return out, flows


class BackwardHook:
    """One call of a module with backward hooks: its routes and the hooks it runs.

    Made by `Module.__call__` for each call, with the hooks registered at that moment (as in
    PyTorch, a hook added or removed later does not change a graph already built): `inputs`
    routes the positional arguments before `forward`, `outputs` routes its result after it.

    Args:
        module: the module called.
        full: the full backward hooks, in the order they run.
        pre: the backward pre-hooks, in the order they run.
    """

    def __init__(self, module: Any, full: Sequence[Callable[..., Any]], pre: Sequence[Any]):
        self.module = module
        self.full, self.pre = list(full), list(pre)
        self.owner = type(module).__name__
        self.grad_outputs: tuple[Any, ...] | None = None
        self.n_inputs = 0
        self.input_route: _Route | None = None
        self.output_route: _Route | None = None
        self.got: list[bool] = []
        self.reached = [False]  # whether a gradient reached one of the inputs' parts
        self.reaches: bool | None = None  # whether the graph from Q leads to P's parts

    # ------------------------------------------------------------------ inputs

    def inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """Route the positional Tensor arguments (if one requires grad and grad mode is on)."""
        self.n_inputs = len(args)
        route = _Route(args, "input")
        if not route.graded or not autograd.is_grad_enabled():
            return args
        new, joined = route.wrap(args)
        hooks.register_hook(joined, self._input_grads)
        probe = route.probe  # made by `wrap`; the parts' mark keeps it alive, not this call,
        route.probe = weakref.ref(probe)  # whose hooks would keep P's graph if forward raised
        hooks.register_hook(probe, self._probe)
        mark = _Mark(self.reached, 0, probe)
        for i in route.graded:
            hooks.register_hook(new[i], mark)
        self.input_route = route
        return tuple(new)

    def check_inputs(self) -> None:
        """Refuse a routed input that `forward` changed in place, as PyTorch does.

        Raises:
            RuntimeError: an input that requires grad was modified in place.
        """
        i = None if self.input_route is None else self.input_route.changed()
        if i is not None:
            raise RuntimeError(
                f"{self.owner}: forward modified its input {i} in place, which a module with "
                "backward hooks does not allow (PyTorch refuses it too: the hooks would see the "
                "gradient of another value); clone it first (x = x.clone()) or remove the hooks"
            )

    def _probe(self, g: Tensor) -> None:
        """Let zeros through to P if the graph leads there from Q but no part got a gradient.

        The probe is older than P's parts, so every gradient they get has come by now.
        """
        route = self.input_route
        assert route is not None  # the hook is registered with the route
        open_ = bool(self.reaches) and not self.reached[0]
        self.reached[0] = False
        route.probe_node().needs_input_grad = (open_,)  # alive: this is its hook

    def _input_grads(self, g: Tensor) -> Tensor | None:
        _refuse_tracing(self.owner)
        route = self.input_route
        grad_outputs = self.grad_outputs
        self.reached[0] = False
        if grad_outputs is None or route is None:
            # the gradient reached the inputs without passing the outputs (a double backward)
            return None
        grads = dict(zip(route.graded, route.split(g), strict=True))
        res: Any = tuple(
            grads[i] if i in grads else _zeros(route, i) if i in route.like else None
            for i in range(route.n)
        )
        first = res
        res = _chain(
            self.full, lambda hook, v: hook(self.module, v, grad_outputs), res, "grad_input"
        )
        self.grad_outputs = None
        new = route.replacement(res, first, "grad_input", "backward hook")
        route.gate([True] * len(route.graded) if new is None else new[1])
        return None if new is None else route.join(new[0])

    # ------------------------------------------------------------------ outputs

    def outputs(self, result: Any) -> Any:
        """Route the Tensors of `result` (a Tensor, or the items of a tuple)."""
        if not isinstance(result, (Tensor, tuple)):
            warnings.warn(
                "For backward hooks to be called, module output should be a Tensor or a tuple "
                f"of Tensors but received {type(result)}",
                stacklevel=3,
            )
        single = not isinstance(result, tuple)
        values: tuple[Any, ...] = (result,) if single else tuple(result)
        route = _Route(values, "output")
        tail = None if self.input_route is None else self.input_route.probe()
        if not route.graded or not autograd.is_grad_enabled():
            return result
        new, joined = route.wrap(values, tail)
        self.got = [len(route.graded) == 1] * len(route.graded)
        if len(route.graded) > 1:  # which outputs a gradient reaches: None for the others
            for k, i in enumerate(route.graded):
                hooks.register_hook(new[i], _Mark(self.got, k))
        hooks.register_hook(joined, self._output_grads)
        self.output_route = route
        if single:
            return new[0]
        return tuple(new) if type(result) is tuple else type(result)(*new)

    def _output_grads(self, g: Tensor) -> Tensor | None:
        _refuse_tracing(self.owner)
        route = self.output_route
        assert route is not None  # the hook is registered with the route
        i = route.changed()
        if i is not None:
            raise RuntimeError(
                f"{self.owner}: output {i} of a module with backward hooks was modified in place "
                "after the call (PyTorch refuses this too: the hooks would see the gradient of "
                "another value); clone it first (y = module(x).clone()) or remove the hooks"
            )
        grads = dict(zip(route.graded, route.split(g), strict=True))
        got = dict(zip(route.graded, self.got, strict=True))
        self.got[:] = [len(route.graded) == 1] * len(self.got)
        grad_outputs: Any = tuple(grads[i] if got.get(i) else None for i in range(route.n))
        first = grad_outputs
        grad_outputs = _chain(
            self.pre, lambda hook, v: hook(self.module, v), grad_outputs, "grad_output"
        )
        self.grad_outputs = grad_outputs
        if self.input_route is not None and self.reaches is None:
            q, p = route.node(), self.input_route.node()
            self.reaches = q is not None and p is not None and _leads_to(q, len(route.graded), p)
        if self.input_route is None and self.full:
            warnings.warn(NO_INPUT_GRAD, stacklevel=2)
            nothing = (None,) * self.n_inputs
            for hook in self.full:
                res = hook(self.module, nothing, grad_outputs)
                if res is not None and not (isinstance(res, tuple) and all(r is None for r in res)):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients."
                    )
            self.grad_outputs = None
        new = route.replacement(grad_outputs, first, "grad_output", "backward pre-hook")
        route.gate([got[i] for i in route.graded] if new is None else new[1])
        return None if new is None else route.join(new[0])


class _Mark:
    """A tensor hook that notes that a gradient reached output `k`; it holds on to `keep`."""

    def __init__(self, got: list[bool], k: int, keep: Any = None) -> None:
        self.got, self.k, self.keep = got, k, keep

    def __call__(self, g: Tensor) -> None:
        self.got[self.k] = True


def _empty_of(t: Tensor) -> Tensor:
    """An empty 1-D tensor made from `t` by two ops; the second lets nothing through (yet).

    Its backward moves an empty array: closed, it spares the first's (zeros of `t`'s shape).
    """
    none = (slice(0, 0),)
    if t.ndim:
        out = F.Reshape.apply(F.GetItem.apply(t, index=none), shape=(0,))
    else:
        out = F.GetItem.apply(F.Reshape.apply(t, shape=(1,)), index=none)
    ctx = out._ctx
    assert ctx is not None  # `t` requires grad
    ctx.needs_input_grad = (False,)  # until `BackwardHook._probe` lets zeros through
    _PROBES.add(ctx)
    return out


def _leads_to(q: Any, n: int, p: Any) -> bool:
    """Whether the graph behind the first `n` inputs of node `q` holds node `p`.

    Only nodes newer than `p` can lead to it, so the search stays within what `forward` made.
    """
    floor = p.seq
    stack = [c for c in (q.inputs or ())[:n] if c.__class__ is autograd.Context]
    seen: set[int] = set()
    while stack:
        c = stack.pop()
        if c is p:
            return True
        if c.seq < floor or id(c) in seen or c in _PROBES:
            continue
        seen.add(id(c))
        stack.extend(x for x in c.inputs or () if x.__class__ is autograd.Context)
    return False


def _zeros(route: _Route, i: int) -> Tensor:
    # PyTorch's grad_input for a Tensor argument that gets no gradient: zeros of its kind
    shape, dtype = route.like[i]
    return Tensor(np.zeros(shape, dtype))


def _chain(hooks: list[Any], call: Any, values: tuple[Any, ...], what: str) -> tuple[Any, ...]:
    """Call each hook in turn (`call(hook, values)`); a returned tuple replaces the values.

    `what` is "grad_input" (the full hooks) or "grad_output" (the pre-hooks): a replacement of
    another length is refused with PyTorch's message.
    """
    kind = "Backward hook" if what == "grad_input" else "Backward pre hook"
    for hook in hooks:
        out = call(hook, values)
        if out is None:
            continue
        if len(out) != len(values):
            raise RuntimeError(
                f"{kind} returned an invalid number of {what}, got {len(out)}, but expected "
                f"{len(values)}"
            )
        values = out
    return values
