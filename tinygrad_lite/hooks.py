"""Hooks on tensors: `register_hook`, `retain_grad`, and the call of hooks during backward."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import autograd, tracing

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "RemovableHandle",
    "register_hook",
    "register_post_accumulate_grad_hook",
    "retain_grad",
    "retains_grad",
    "run",
    "run_post_accumulate",
    "has_post_hooks",
    "count",
]


# How many hooks (or retain_grad marks) exist: the walk looks for them only when some do.
count = 0
# Hooks called with a leaf once its .grad has been written (see
# `register_post_accumulate_grad_hook`), by leaf; `post_count` says whether there are any.
_post: dict[int, list[Any]] = {}  # by id of the leaf (a Tensor's == is elementwise)
post_count = 0


def _forget_post(key: int) -> None:
    """A leaf with post-accumulate-grad hooks is gone: they no longer count."""
    global post_count
    post_count -= len(_post.pop(key, ()))


class RemovableHandle:
    """Returned by `register_hook`; `remove()` unregisters the hook.

    Also a context manager that removes the hook on exit; `id` numbers the handles.
    """

    _next_id = 0

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks, self._hook = hooks, hook
        RemovableHandle._next_id += 1
        self.id = RemovableHandle._next_id

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

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


class _PostHandle(RemovableHandle):
    """The handle of a post-accumulate-grad hook."""

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        global post_count
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)
            post_count -= 1


def register_post_accumulate_grad_hook(
    t: Tensor, hook: Callable[[Tensor], None]
) -> RemovableHandle:
    """Call `hook(t)` after backward has accumulated `t`'s gradient into `t.grad`, as PyTorch.

    Only for leaves that require grad; the hook must return None. Hooks run after every
    gradient of the backward pass has been written, in the order they were registered.

    Raises:
        RuntimeError: `t` is not a leaf or does not require grad.
    """
    global post_count
    if not t.requires_grad:
        raise RuntimeError(
            "register_post_accumulate_grad_hook: this tensor does not require grad, so it gets none"
        )
    if t._ctx is not None:
        raise RuntimeError(
            "register_post_accumulate_grad_hook: only a leaf accumulates a gradient; this tensor "
            "is the result of an op"
        )
    if not callable(hook):
        raise TypeError(
            f"register_post_accumulate_grad_hook: hook must be callable, got {hook!r:.40}"
        )
    tracing.state_changed()
    hooks = _post.get(id(t))
    if hooks is None:
        hooks = _post[id(t)] = []
        weakref.finalize(t, _forget_post, id(t))
    hooks.append(hook)
    post_count += 1
    return _PostHandle(hooks, hook)


def has_post_hooks(leaf: Tensor) -> bool:
    """Whether `leaf` has post-accumulate-grad hooks."""
    return bool(_post.get(id(leaf)))


def run_post_accumulate(leaves: list[Tensor]) -> None:
    """Call the post-accumulate-grad hooks of `leaves`, each leaf in turn."""
    for leaf in leaves:
        for hook in list(_post.get(id(leaf), ())):
            if hook(leaf) is not None:
                raise RuntimeError("post-accumulate-grad hook: a hook must return None")


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


def retains_grad(t: Tensor) -> bool:
    """Whether `retain_grad()` was called on `t`, a result of an op (PyTorch's `retains_grad`)."""
    ctx = t._ctx
    return ctx is not None and any(isinstance(h, _Retain) for h in getattr(ctx, "hooks", ()) or ())


def run(hooks: list[Any], g: Any, graph: bool, shape: tuple[int, ...]) -> Any:
    """Call `hooks` on gradient `g` in turn; a hook may return a replacement of `shape`.

    `retain_grad`'s hook runs after the others, whenever it was registered, so `.grad` holds
    the gradient the other hooks made (as in PyTorch).
    """
    gt = g if graph else autograd._make_tensor(g, False, None)
    dtype = gt.dtype
    ordered = [h for h in hooks if not isinstance(h, _Retain)]
    ordered += [h for h in hooks if isinstance(h, _Retain)]
    for hook in ordered:
        r = hook(gt)
        if r is not None:
            if not hasattr(r, "_ctx") or r.shape != shape:
                raise ValueError(
                    f"hook: must return None or a Tensor of shape {shape}, got {r!r:.60}"
                )
            if r.dtype != dtype:
                raise TypeError(
                    f"hook: must not change the gradient's dtype: it was {dtype}, the hook "
                    f"returned {r.dtype}"
                )
            gt = r
    return gt if graph else gt.data
