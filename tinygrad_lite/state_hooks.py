"""State-dict hooks and extra state of Modules, with PyTorch's signatures and call order.

`StateDictMethods` is a base class of `Module` (through `ModuleMethods`): it registers the
hooks and holds the default `get_extra_state` and `set_extra_state`. `module_state_dict` and
`load_module_state` are the work of `Module.state_dict` and `Module.load_state_dict`: a tree
with no hooks and no extra state takes the plain path of `module_state`; otherwise the tree is
walked as PyTorch walks it, and the loading stays all or nothing until the post-hooks run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .module_state import (
    check_mapping,
    commit_assign,
    commit_state,
    gather_state,
    load_state,
    stage_assign,
    stage_state,
)

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["StateDictMethods", "StateHookHandle", "load_module_state", "module_state_dict"]

EXTRA = "_extra_state"
# Where each module keeps each kind of hook ({handle id: hook}, made on first registration).
SAVE_PRE, SAVE_POST = "_state_dict_pre_hooks", "_state_dict_hooks"
LOAD_PRE, LOAD_POST = "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks"


class StateHookHandle:
    """Returned by the `register_*state_dict*_hook` methods; `remove()` unregisters the hook.

    Also a context manager that removes the hook on exit, as PyTorch's `RemovableHandle`.
    """

    _next_id = 0

    def __init__(self, hooks: dict[int, Any], hook: Any) -> None:
        StateHookHandle._next_id += 1
        self.id = StateHookHandle._next_id
        self._hooks = hooks
        hooks[self.id] = hook

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        self._hooks.pop(self.id, None)

    def __enter__(self) -> StateHookHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def _hooks(module: Any, kind: str) -> list[Any]:
    found = module.__dict__.get(kind)
    return list(found.values()) if found else []


class StateDictMethods:
    """Methods of `Module` for its state dict's hooks and extra state (see the module)."""

    def _add_state_hook(self, kind: str, hook: Any, what: str) -> StateHookHandle:
        if not callable(hook):
            raise TypeError(f"{what}: hook must be callable, got {type(hook).__name__}")
        return StateHookHandle(self.__dict__.setdefault(kind, {}), hook)

    def register_state_dict_pre_hook(
        self, hook: Callable[[Any, str, bool], None]
    ) -> StateHookHandle:
        """Call `hook(module, prefix, keep_vars)` as `state_dict()` reaches this module.

        Before the module's own entries are gathered; `prefix` is its dotted path and a dot
        ('' for the root, or the prefix given to `state_dict`); keep_vars as given. Returns a
        handle whose `remove()` unregisters the hook.
        """
        return self._add_state_hook(SAVE_PRE, hook, "register_state_dict_pre_hook")

    def register_state_dict_post_hook(
        self, hook: Callable[[Any, dict[str, Any], str, dict[str, Any]], None]
    ) -> StateHookHandle:
        """Call `hook(module, state_dict, prefix, local_metadata)` once the module's part is in.

        After the entries of the module and all its submodules; the hook may change the
        state dict in place and must return None (a RuntimeError otherwise, as PyTorch).
        `local_metadata` is {"version": 1}.
        """
        return self._add_state_hook(SAVE_POST, hook, "register_state_dict_post_hook")

    def register_load_state_dict_pre_hook(self, hook: Callable[..., None]) -> StateHookHandle:
        """Call a hook before this module's entries are read by `load_state_dict`.

        The call is `hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`, as in PyTorch: `state_dict` is a copy holding the
        entries under `prefix` (the hook may change it in place: rename or convert entries
        before they are loaded); `strict` is always True; the hook may append to the three
        lists (a message in `error_msgs` fails the load, and nothing is loaded).
        """
        return self._add_state_hook(LOAD_PRE, hook, "register_load_state_dict_pre_hook")

    def register_load_state_dict_post_hook(
        self, hook: Callable[[Any, Any], None]
    ) -> StateHookHandle:
        """Call `hook(module, incompatible_keys)` after the values are loaded.

        `incompatible_keys` has the lists `missing_keys` and `unexpected_keys`, which the hook
        may change in place: with `strict=True` the load fails if they are not empty after
        the hooks (the values stay loaded, as in PyTorch). The hook must return None.
        Post-hooks run children first, then their parent.
        """
        return self._add_state_hook(LOAD_POST, hook, "register_load_state_dict_post_hook")

    def get_extra_state(self) -> Any:
        """Extra state to save in `state_dict()` under "_extra_state"; define it to have one.

        A subclass that defines it (and `set_extra_state`) has the value in its state dict,
        after its Parameters and buffers, as in PyTorch. This default is never called.
        """
        raise RuntimeError(
            f"get_extra_state: {type(self).__name__} does not define get_extra_state; define "
            "it (and set_extra_state) in the subclass to keep extra state in the state dict"
        )

    def set_extra_state(self, state: Any) -> None:
        """Restore the extra state that `get_extra_state` gave, from `load_state_dict`.

        This default is never called: a module that does not define it has no extra state.
        """
        raise RuntimeError(
            f"set_extra_state: {type(self).__name__} does not define set_extra_state; define "
            "it (and get_extra_state) in the subclass to load extra state"
        )


def _gets_extra(module: Any) -> bool:
    return type(module).get_extra_state is not StateDictMethods.get_extra_state


def _sets_extra(module: Any) -> bool:
    return type(module).set_extra_state is not StateDictMethods.set_extra_state


# ------------------------------------------------------------------ saving


def module_state_dict(
    module: Any, dest: dict[str, Any] | None = None, prefix: str = "", keep_vars: bool = False
) -> dict[str, Any]:
    """The work of `Module.state_dict()`, with the hooks and extra state.

    Each module, from the root down in `named_modules` order: its pre-hooks, its Parameters
    and persistent buffers (array copies, one per tensor, shared by its names, or with
    `keep_vars` the tensors themselves), its extra state if it defines `get_extra_state`,
    its submodules, then its post-hooks. Entries are named `prefix` + dotted name and put
    into `dest` (a new dict if None), which is returned.
    """
    out: dict[str, Any] = {} if dest is None else dest
    tree = list(module.named_modules(remove_duplicate=False))
    if not any(_gets_extra(m) or _hooks(m, SAVE_PRE) or _hooks(m, SAVE_POST) for _, m in tree):
        state = gather_state(module._collect(False, buffers="persistent"), keep_vars)
        for name, value in state.items():
            out[prefix + name] = value
        return out
    _save(module, prefix, out, {}, {}, type(module).__name__, set(), keep_vars)
    return out


def _save(
    module: Any,
    prefix: str,
    dest: dict[str, Any],
    copies: dict[int, np.ndarray],
    owners: dict[str, Tensor],
    root: str,
    path: set[int],
    keep_vars: bool,
) -> None:
    for hook in _hooks(module, SAVE_PRE):
        hook(module, prefix, keep_vars)
    path.add(id(module))
    for name, t in module._own_state(True, "persistent"):
        key = prefix + name
        if owners.setdefault(key, t) is not t:
            raise RuntimeError(f"{root}: two different tensors are named {key!r}")
        if keep_vars or getattr(type(t), "uninitialized", False):  # (a lazy placeholder too)
            dest[key] = t
            continue
        arr = copies.get(id(t))
        dest[key] = copies[id(t)] = t.data.copy() if arr is None else arr
    if _gets_extra(module):
        dest[prefix + EXTRA] = module.get_extra_state()
    for name, child in module._registry()[1].items():
        if id(child) not in path:
            _save(child, f"{prefix}{name}.", dest, copies, owners, root, path, keep_vars)
    path.discard(id(module))
    for hook in _hooks(module, SAVE_POST):
        if hook(module, dest, prefix, {"version": 1}) is not None:
            raise RuntimeError("state_dict: a state_dict post-hook must return None")


# ------------------------------------------------------------------ loading


class _Load:
    """What one hooked load gathers while walking the tree."""

    def __init__(self, metadata: Any, assign: bool) -> None:
        self.metadata = metadata
        self.assign = assign
        self.missing: list[str] = []
        self.unexpected: list[str] = []
        self.errors: list[str] = []
        self.effective: dict[str, Any] = {}  # each module's own entries, after its hooks
        self.own: dict[str, int] = {}  # own name -> id of its tensor
        self.given: set[int] = set()  # ids of the tensors some name of which is given
        self.extra: list[tuple[Any, Any]] = []  # (module, its extra state)
        self.post_order: list[Any] = []
        self.path: set[int] = set()

    def visit(self, module: Any, local: dict[str, Any], prefix: str) -> None:
        meta = {} if self.metadata is None else dict(self.metadata.get(prefix[:-1], {}))
        if self.assign:
            meta["assign_to_params_buffers"] = True  # as PyTorch tells the hooks
        for hook in _hooks(module, LOAD_PRE):
            hook(module, local, prefix, meta, True, self.missing, self.unexpected, self.errors)
        own = dict(module._own_state(True, "persistent"))
        for name, t in own.items():
            key = prefix + name
            self.own[key] = id(t)
            if key in local:
                self.effective[key] = local[key]
                self.given.add(id(t))
            else:
                self.missing.append(key)
        if _sets_extra(module):
            if prefix + EXTRA in local:
                self.extra.append((module, local[prefix + EXTRA]))
            else:
                self.missing.append(prefix + EXTRA)
        self.path.add(id(module))
        children = {
            name: child
            for name, child in module._registry()[1].items()
            if id(child) not in self.path
        }
        for key in local:
            rest = key[len(prefix) :] if key.startswith(prefix) else None
            if rest is None or rest in own or rest == EXTRA:
                continue
            head, dot, _ = rest.partition(".")
            if not (dot and head in children):
                self.unexpected.append(key)
        for name, child in children.items():
            sub = f"{prefix}{name}."
            self.visit(child, {k: v for k, v in local.items() if k.startswith(sub)}, sub)
        self.path.discard(id(module))
        self.post_order.append(module)


def load_module_state(
    module: Any,
    state_dict: Mapping[str, Any],
    strict: bool,
    keys: Callable[..., Any],
    assign: bool = False,
) -> Any:
    """The work of `Module.load_state_dict`, with the hooks and extra state.

    Without any, `module_state.load_state`. Otherwise the tree is walked as PyTorch does: each
    module's load pre-hooks see (and may change) a copy of the entries under its prefix,
    then its own entries are taken from it, then its submodules'. Everything is checked and
    staged before anything is written, as in `load_state`: a problem, or a pre-hook's error
    message, fails the load with nothing loaded, and so do missing or unexpected keys under
    `strict` when no post-hook could clear them. Then the values are copied, each extra state
    is given to `set_extra_state` (walk order), and the post-hooks run; under `strict`, keys
    still missing or unexpected after them fail the load (with the values loaded).

    Args:
        module: the root module.
        state_dict: {dotted name: NumPy array or Tensor}.
        strict: whether missing and unexpected names are errors.
        keys: makes the result from (missing, unexpected), e.g. `IncompatibleKeys`.
        assign: replace the Parameters and buffers by the state dict's tensors
            (`module_state.stage_assign`) instead of copying the values into them.

    Raises:
        ValueError: one error listing every problem.
        TypeError: `state_dict` is not a mapping.
        AssertionError: a post-hook returned something other than None, as in PyTorch.
    """
    check_mapping(state_dict)
    owner = type(module).__name__
    named = module._collect(False, buffers="persistent")
    tree = [m for _, m in module.named_modules(remove_duplicate=False)]
    if not any(_sets_extra(m) or _hooks(m, LOAD_PRE) or _hooks(m, LOAD_POST) for m in tree):
        return keys(*load_state(named, state_dict, strict, owner, module if assign else None))
    walk = _Load(getattr(state_dict, "_metadata", None), assign)
    walk.visit(module, dict(state_dict), "")
    # A Parameter with several names is missing only if none of them is given (when copied).
    missing = [k for k in walk.missing if assign or walk.own.get(k) not in walk.given]
    if assign:
        _, _, problems, assigned = stage_assign(named, walk.effective)
    else:
        _, _, problems, staged = stage_state(named, walk.effective)
    posts = any(_hooks(m, LOAD_POST) for m in tree)

    def head(absent: list[str], extra: list[str]) -> list[str]:
        out = [f"missing keys {absent}"] if strict and absent else []
        return out + ([f"unexpected keys {extra}"] if strict and extra else [])

    failed = problems + walk.errors + ([] if posts else head(missing, walk.unexpected))
    if failed:
        raise ValueError(f"load_state_dict: cannot load into {owner}: " + "; ".join(failed))
    if assign:
        commit_assign(module, assigned)
    else:
        commit_state(staged)
    for mod, value in walk.extra:
        mod.set_extra_state(value)
    result = keys(missing, walk.unexpected)
    for mod in walk.post_order:
        for hook in _hooks(mod, LOAD_POST):
            if hook(mod, result) is not None:
                raise AssertionError(
                    "load_state_dict: a load_state_dict post-hook must return None; change "
                    "incompatible_keys in place instead"
                )
    left = head(result.missing_keys, result.unexpected_keys)
    if left:
        raise ValueError(
            f"load_state_dict: cannot load into {owner}: "
            + "; ".join(left)
            + " (left by the post-hooks; the values were loaded)"
        )
    return result
