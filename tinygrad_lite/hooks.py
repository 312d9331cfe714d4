"""Hooks on tensors: `register_hook`, `retain_grad`, and the call of hooks during backward."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import autograd, tracing

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["RemovableHandle", "register_hook", "retain_grad", "run", "count"]


# How many hooks (or retain_grad marks) exist: the walk looks for them only when some do.
count = 0


class RemovableHandle:
    """Returned by `register_hook`; `remove()` unregisters the hook."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        global count
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)
            count -= 1
            tracing.state_changed()  # a compiled step that ran it traces again


def _forget(hooks: list[Any]) -> None:
    """The holder of `hooks` is gone: they no longer count."""
    global count
    count -= len(hooks)
    hooks.clear()


def _hook_list(t: Tensor) -> list[Any]:
    """The hooks of `t`: kept on its node for a result of an op, on the tensor for a leaf."""
    holder: Any = t._ctx if t._ctx is not None else t
    name = "hooks" if t._ctx is not None else "_hooks"
    hooks = getattr(holder, name, None)
    if hooks is None:
        hooks = []
        setattr(holder, name, hooks)
        weakref.finalize(holder, _forget, hooks)  # the count stays exact when it dies
    return hooks


def register_hook(t: Tensor, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
    """Call `hook(grad)` when `t`'s gradient has been computed (see `Tensor.register_hook`)."""
    global count
    if not t.requires_grad:
        raise RuntimeError("register_hook: this tensor does not require grad, so it gets none")
    if not callable(hook):
        raise TypeError(f"register_hook: hook must be callable, got {type(hook).__name__}")
    if t._ctx is None:  # a leaf's hooks outlive the step: a compiled step checks them
        tracer = tracing.current
        if tracer is not None and tracer.active():
            raise tracing.TraceError(
                "compile: register_hook on a leaf inside a compiled step adds one more hook on "
                "every eager call, which a replay could not do; register it once, outside the "
                "step (a hook on a tensor the step computes is fine)"
            )
        tracing.state_changed()
    hooks = _hook_list(t)
    hooks.append(hook)
    count += 1
    return RemovableHandle(hooks, hook)


class _Retain:
    """The hook behind `retain_grad`: stores the gradient in the (non-leaf) tensor's `.grad`."""

    def __init__(self, t: Tensor) -> None:
        self.ref = weakref.ref(t)

    def __call__(self, g: Tensor) -> None:
        t = self.ref()
        if t is not None:
            t._grad = g if t._grad is None else t._grad + g


def retain_grad(t: Tensor) -> None:
    """Keep a non-leaf tensor's gradient in `.grad` after backward (a no-op for leaves)."""
    global count
    if not t.requires_grad:
        raise RuntimeError("retain_grad: this tensor does not require grad")
    if t._ctx is None:
        return
    hooks = _hook_list(t)
    if not any(isinstance(h, _Retain) for h in hooks):
        hooks.append(_Retain(t))
        count += 1


def run(hooks: list[Any], g: Any, graph: bool, shape: tuple[int, ...]) -> Any:
    """Call `hooks` on gradient `g` in turn; a hook may return a replacement of `shape`.

    `retain_grad`'s hook runs after the others, whenever it was registered, so `.grad` holds
    the gradient the other hooks made (as in PyTorch).
    """
    gt = g if graph else autograd._make_tensor(g, False, None)
    ordered = [h for h in hooks if not isinstance(h, _Retain)]
    ordered += [h for h in hooks if isinstance(h, _Retain)]
    for hook in ordered:
        r = hook(gt)
        if r is not None:
            if not hasattr(r, "_ctx") or r.shape != shape:
                raise ValueError(
                    f"hook: must return None or a Tensor of shape {shape}, got {r!r:.60}"
                )
            gt = r
    return gt if graph else gt.data
