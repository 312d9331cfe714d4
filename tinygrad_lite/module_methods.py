"""A Module's walk over its submodules, and PyTorch's helpers: apply, to, double, freezing, lookup.

They live in a base class of `Module` (registration and state are in `module`, the listing of
Parameters and buffers in `module_params`, the state dict's hooks and extra state in
`state_hooks`), so that each file stays readable; each is written out, so readers, IDEs and
mypy see them. The forward and backward hooks are registered here too (the backward hooks'
machinery is `bwd_hooks`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import autograd, tracing
from .bwd_hooks import BackwardHook
from .state_hooks import StateDictMethods
from .tensor_aliases import check_device, to_args

if TYPE_CHECKING:
    from .module import Module, Parameter
    from .tensor import Tensor

__all__ = ["ModuleMethods"]


class ModuleMethods(StateDictMethods):
    """Methods of `Module` (see the module's docstring)."""

    if TYPE_CHECKING:

        def _registry(self) -> tuple[dict[str, Parameter], dict[str, Module]]: ...
        def parameters(self) -> Iterator[Parameter]: ...  # noqa: D102
        def named_parameters(self) -> Iterator[tuple[str, Parameter]]: ...  # noqa: D102
        def buffers(self) -> Iterator[Tensor]: ...  # noqa: D102

    # ------------------------------------------------------------------ traversal

    def named_modules(
        self, memo: set[Any] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """Yield (dotted name, module) for this module and every descendant, pre-order.

        This module itself has the name `prefix` ('' by default). A module reachable by two
        paths is yielded once, under the first name; with `remove_duplicate=False` it is
        yielded under every path (as in PyTorch), except that a cycle of submodules is not
        followed around again: no path passes through one module twice. `memo`, as in
        PyTorch, is a set of modules to leave out, to which each module yielded is added
        (with `remove_duplicate`).
        """
        if memo is not None and not isinstance(memo, set):
            raise TypeError(f"named_modules: memo must be a set or None, got {memo!r:.60}")
        seen: set[int] = set()  # the modules yielded; with remove_duplicate=False, the path
        stack: list[tuple[str, Any, bool]] = [(prefix, self, False)]
        while stack:
            name, mod, done = stack.pop()
            if done:  # every path below `mod` has been yielded: another path may reach it
                seen.discard(id(mod))
                continue
            if id(mod) in seen or (memo is not None and mod in memo):
                continue
            seen.add(id(mod))
            if memo is not None and remove_duplicate:
                memo.add(mod)
            yield name, mod
            if not remove_duplicate:
                stack.append((name, mod, True))
            for child_name, child in reversed(mod._registry()[1].items()):
                stack.append((f"{name}.{child_name}" if name else child_name, child, False))

    def modules(self) -> Iterator[Module]:
        """Yield this module and every descendant, pre-order, each once."""
        for _, mod in self.named_modules():
            yield mod

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield (name, module) for the direct sub-Modules, in assignment order."""
        yield from self._registry()[1].items()

    def children(self) -> Iterator[Module]:
        """Yield the direct sub-Modules, in assignment order."""
        yield from self._registry()[1].values()

    def apply(self, fn: Callable[[Any], Any]) -> Any:
        """Call `fn` on every submodule (children first, recursively) and then on self.

        The PyTorch way to initialise a network: `net.apply(init_weights)` with a function
        that tests the module's type. Returns self.
        """
        seen: set[int] = set()
        for child in self.children():
            if id(child) not in seen:  # a child under two names is visited once, as PyTorch
                seen.add(id(child))
                child.apply(fn)
        fn(self)
        return self

    def get_submodule(self, target: str) -> Module:
        """The submodule at the dotted path `target` ('' is self); a missing step is named."""
        mod: Any = self
        if target == "":
            return mod
        walked: list[str] = []
        for part in target.split("."):
            children = mod._registry()[1]
            if part not in children:
                where = ".".join(walked) or "the module"
                raise AttributeError(
                    f"get_submodule: {where} ({type(mod).__name__}) has no submodule {part!r}; "
                    f"its submodules are {list(children)}"
                )
            mod = children[part]
            walked.append(part)
        return mod

    def get_parameter(self, target: str) -> Parameter:
        """The Parameter at the dotted path `target` (its module's path, a dot, its name)."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        params = mod._registry()[0]
        if name not in params:
            raise AttributeError(
                f"get_parameter: {path or 'the module'} ({type(mod).__name__}) has no parameter "
                f"{name!r}; its parameters are {list(params)}"
            )
        return params[name]

    def get_buffer(self, target: str) -> Tensor | None:
        """The buffer at the dotted path `target` (its module's path, a dot, its name).

        Raises:
            AttributeError: a missing submodule on the way, or a name that is no buffer.
        """
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        buffers = mod.__dict__.get("_buffers", {})
        if name not in buffers:
            where = f"{path or 'the module'} ({type(mod).__name__})"
            raise AttributeError(
                f"get_buffer: {where} "
                + (
                    f"has {name!r}, which is not a buffer"
                    if hasattr(mod, name)
                    else f"has no attribute {name!r}"
                )
                + f"; its buffers are {list(buffers)}"
            )
        return buffers[name]

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put `module` at the dotted path `target`, replacing a submodule there, as PyTorch.

        The parent (the path before the last dot) must exist. With `strict`, a submodule must
        already be at `target`; without, one is added if the name is free.

        Raises:
            ValueError: an empty target, or `module` is not a Module.
            AttributeError: a missing submodule on the way, with `strict` a missing target,
                or a target that is an attribute but no submodule (a Parameter, say).
        """
        if target == "":
            raise ValueError("set_submodule: cannot set the submodule without a target name")
        if not isinstance(module, ModuleMethods):
            raise ValueError(f"set_submodule: module must be a Module, got {type(module).__name__}")
        path, _, name = target.rpartition(".")
        parent: Any = self.get_submodule(path)
        where = f"{path or 'the module'} ({type(parent).__name__})"
        if not hasattr(parent, name):
            if strict:
                raise AttributeError(f"set_submodule: {where} has no submodule {name!r}")
        elif name not in parent._registry()[1]:
            raise AttributeError(f"set_submodule: {name!r} of {where} is not a submodule")
        setattr(parent, name, module)

    # ------------------------------------------------------------------ forward and backward hooks

    def register_forward_pre_hook(
        self,
        hook: Callable[..., Any],
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
    ) -> Any:
        """Call `hook(module, args)` before each forward; a value it returns replaces the args.

        A tuple replaces the positional arguments; any other value is the one argument. With
        `with_kwargs` the call is `hook(module, args, kwargs)` and a value it returns must be
        the pair (args, kwargs). `prepend` puts the hook before those already registered.
        Returns a handle whose `remove()` unregisters the hook.
        """
        return self._add_hook(0, hook, prepend, with_kwargs, False)

    def register_forward_hook(
        self,
        hook: Callable[..., Any],
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ) -> Any:
        """Call `hook(module, args, output)` after each forward; a value it returns is the output.

        The PyTorch way to look at what a layer computes (`acts.append(output.detach())`).
        With `with_kwargs` the call is `hook(module, args, kwargs, output)`; `prepend` puts
        the hook before those already registered; `always_call` calls it (with output None)
        also when forward raises, and the error is raised after it. Returns a handle whose
        `remove()` unregisters the hook. A compiled step refuses a module with hooks: it would
        run them only while tracing.
        """
        return self._add_hook(1, hook, prepend, with_kwargs, always_call)

    def register_full_backward_hook(
        self, hook: Callable[[Any, Any, Any], Any], prepend: bool = False
    ) -> Any:
        """Call `hook(module, grad_input, grad_output)` when the inputs' gradients are computed.

        PyTorch's semantics (see `tinygrad_lite.bwd_hooks`): `grad_input` holds one entry per
        positional argument (None for what is not a Tensor, zeros for a Tensor that got no
        gradient; keyword arguments are ignored) and `grad_output` one per output (the Tensor,
        or each item of a tuple; None where no gradient came back). A tuple (or list) the hook
        returns, of the same length, replaces `grad_input`: ∂L/∂x is then what the hook gave
        (None: no gradient for that input).

        If no input requires grad, the hook is called (with `grad_input` all None, and a
        warning) when the outputs' gradients are computed; if no output requires grad, or grad
        mode is off, it is not called. The hooks of one call are those registered when the
        module was called; a module called twice calls them twice, the later call first.
        `prepend` puts the hook before those already registered. Returns a handle whose
        `remove()` unregisters the hook.

        The module's `forward` and its caller see routed copies of the Tensors that require
        grad: changing one in place is refused, as in PyTorch (an output changed in place is
        refused when the backward reaches the module). A compiled step refuses a module with
        backward hooks.
        """
        return self._add_hook(3, hook, prepend, False, False)

    def register_full_backward_pre_hook(
        self, hook: Callable[[Any, Any], Any], prepend: bool = False
    ) -> Any:
        """Call `hook(module, grad_output)` when the outputs' gradients are computed.

        Before the gradients go on into the module; a tuple (or list) the hook returns, of the
        same length, replaces `grad_output` (and is what the full backward hooks see).
        `grad_output` is as in `register_full_backward_hook`; so is `prepend`. Returns a
        handle whose `remove()` unregisters the hook.
        """
        return self._add_hook(2, hook, prepend, False, False)

    def register_backward_hook(self, hook: Callable[..., Any]) -> Any:
        """Refused: PyTorch's deprecated hook; use `register_full_backward_hook`.

        PyTorch calls it with the gradients of the last autograd node of `forward`, which
        depend on how PyTorch decomposes each layer into its own ops (Linear's grad_input is
        (bias, input, weight.T) there), so its results could not be matched.

        Raises:
            NotImplementedError: always.
        """
        raise NotImplementedError(
            "register_backward_hook: PyTorch's deprecated module backward hook sees the "
            "gradients of PyTorch's own last autograd node, which cannot be matched; use "
            "register_full_backward_hook(hook) (hook(module, grad_input, grad_output)) instead"
        )

    def _add_hook(
        self, kind: int, hook: Any, prepend: bool, with_kwargs: bool, always_call: bool
    ) -> _HookHandle:
        if not callable(hook):
            what = "a forward hook" if kind < 2 else "a backward hook"
            raise TypeError(f"{what} must be callable, got {type(hook).__name__}")
        d = self.__dict__
        if d.get("_forward_hooks") is None:
            # the module's hooks: forward pre-hooks, forward hooks, backward pre-hooks and
            # full backward hooks, then the registration ids of each list's entries (the same
            # hook may be registered twice; each handle removes its own registration). None
            # when there is none: `Module.__call__`'s plain path.
            d["_forward_hooks"] = ([], [], [], [], ([], [], [], []))
        hooks, ids = d["_forward_hooks"][kind], d["_forward_hooks"][4][kind]
        entry = _HookOptions(hook, with_kwargs, always_call) if with_kwargs or always_call else hook
        handle = _HookHandle(self, kind)
        at = 0 if prepend else len(hooks)
        hooks.insert(at, entry)
        ids.insert(at, handle.id)
        tracing.state_changed()  # a compiled step that called this module traces again
        return handle

    def _call_with_hooks(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        before, after, bw_pre, bw_full, _ = self.__dict__["_forward_hooks"]
        tracer = tracing.current
        if tracer is not None and tracer.active():
            kind = "forward" if before or after else "backward"
            raise tracing.TraceError(
                f"compile: {type(self).__name__} has {kind} hooks, which a compiled step would "
                "run only while tracing it; remove them (handle.remove()) or call the step "
                "uncompiled"
            )
        for hook in list(before):
            if isinstance(hook, _HookOptions) and hook.with_kwargs:
                new = hook.fn(self, args, kwargs)
                if new is not None:
                    if not (isinstance(new, tuple) and len(new) == 2):
                        raise RuntimeError(
                            "forward pre-hook with with_kwargs=True must return None or a tuple "
                            f"(new_args, new_kwargs), got {new!r:.60}"
                        )
                    args, kwargs = new
            else:
                new = hook(self, args)
                if new is not None:
                    args = new if isinstance(new, tuple) else (new,)
        bw = BackwardHook(self, bw_full, bw_pre) if bw_pre or bw_full else None
        if bw is not None:
            args = bw.inputs(args)
        try:
            out = self.forward(*args, **kwargs)  # type: ignore[attr-defined]
            if bw is not None:
                bw.check_inputs()
        except Exception:
            for hook in list(after):
                if isinstance(hook, _HookOptions) and hook.always_call:
                    hook.call(self, args, kwargs, None)
            raise
        for hook in list(after):
            new = hook.call(self, args, kwargs, out) if isinstance(hook, _HookOptions) else None
            if not isinstance(hook, _HookOptions):
                new = hook(self, args, out)
            if new is not None:
                out = new
        return out if bw is None else bw.outputs(out)

    # ------------------------------------------------------------------ conversions

    def requires_grad_(self, requires_grad: bool = True) -> Any:
        """Set `requires_grad` on every Parameter (False freezes them); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args: Any, dtype: Any = None, device: Any = None) -> Any:
        """Convert the floating Parameters and buffers (and gradients) in place; returns self.

        PyTorch's forms: `to(dtype)`, `to("cpu")`, `to(device, dtype)`, `to(tensor)`. Only the
        CPU exists (another device is refused), and only float dtypes are accepted; integer
        buffers keep their dtype. The Parameters stay the same objects, so an optimizer made
        before keeps updating them.
        """
        target = to_args(args, dtype, device, "Module.to")
        if target is not None:
            self._floats_to(np.dtype(target))
        return self

    def cpu(self) -> Any:
        """Self: everything is on the CPU."""
        check_device("cpu", "cpu")
        return self

    def float(self) -> Any:  # noqa: A003 - PyTorch's name
        """Convert the floating Parameters and buffers to float32; returns self."""
        return self.to(np.float32)

    def half(self) -> Any:
        """Convert the floating Parameters and buffers to float16; returns self."""
        return self.to(np.float16)

    def bfloat16(self) -> Any:
        """Refused: NumPy has no bfloat16 (TypeError)."""
        raise TypeError("bfloat16: NumPy has no bfloat16 dtype; use float(), half() or double()")

    def double(self) -> Any:
        """Convert the floating Parameters and buffers to float64; returns self."""
        return self.to(np.float64)

    def _floats_to(self, dtype: np.dtype[Any]) -> None:
        if dtype.kind != "f":
            raise TypeError(
                f"Module.to: a module's parameters convert to a float dtype only, got {dtype}"
            )
        done: set[int] = set()
        for t in (*self.parameters(), *self.buffers()):
            if id(t) in done or t.data.dtype.kind != "f" or t.data.dtype == dtype:
                continue
            done.add(id(t))
            grad = t.grad
            if grad is not None:
                t.grad = None
            t.data = t.data.astype(dtype)
            if grad is not None:
                t.grad = autograd._make_tensor(grad.data.astype(dtype), False, None)
        if done:
            tracing.state_changed()  # a compiled step holds the arrays it traced


class _HookOptions:
    """A forward hook registered with `with_kwargs` or `always_call`."""

    def __init__(self, fn: Any, with_kwargs: bool, always_call: bool) -> None:
        self.fn, self.with_kwargs, self.always_call = fn, with_kwargs, always_call

    def call(self, module: Any, args: Any, kwargs: Any, out: Any) -> Any:
        """Call the hook as a forward hook (with the keyword arguments if registered so)."""
        return (
            self.fn(module, args, kwargs, out) if self.with_kwargs else self.fn(module, args, out)
        )


class _HookHandle:
    """Returned by the `register_*_hook` methods; `remove()` unregisters the hook.

    Also a context manager that removes the hook on exit, as PyTorch's `RemovableHandle`.
    """

    _next_id = itertools.count(1)

    def __init__(self, module: Any, kind: int) -> None:
        self._module, self._kind = module, kind
        self.id = next(_HookHandle._next_id)

    def remove(self) -> None:
        """Unregister this registration of the hook (a second call does nothing)."""
        d = self._module.__dict__
        hooks = d.get("_forward_hooks")
        if hooks is None or self.id not in hooks[4][self._kind]:
            return
        at = hooks[4][self._kind].index(self.id)
        del hooks[self._kind][at], hooks[4][self._kind][at]
        if not any(hooks[:4]):
            d["_forward_hooks"] = None  # back to the plain call
        tracing.state_changed()

    def __enter__(self) -> _HookHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()
