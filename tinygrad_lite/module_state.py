"""State dicts of Modules: every name of every Parameter and buffer, and all-or-nothing loading.

A Parameter may have several names: a module reached by two paths (`Sequential(l, act, l)`),
a Parameter assigned to two attributes, or weights tied across modules (`b.weight = a.weight`).
A state dict lists it under each name, as PyTorch does; loading accepts any of its names and
refuses two names of one Parameter that are given different values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .interrupts import deferred_interrupts
from .written import mark

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "check_mapping",
    "check_name",
    "collect_state",
    "commit_assign",
    "commit_state",
    "gather_state",
    "load_state",
    "stage_assign",
    "stage_state",
    "tied_names",
]


def check_name(owner: str, kind: str, name: str) -> None:
    """Refuse a name that `state_dict()` could not keep apart: empty, or holding a dot.

    The names of a module's state are joined with dots, so a dotted name could collide with a
    submodule's, and one weight would silently go missing from the saved state (PyTorch
    refuses these names too, with a KeyError).

    Args:
        owner: the module's class name, for the message.
        kind: what is being registered ("Parameter", "buffer", a Module's class name).
        name: the attribute name.

    Raises:
        KeyError: the name is empty or contains a dot.
    """
    if "." in name or not name:
        problem = f"contains a dot: {name!r}" if name else "is empty"
        raise KeyError(
            f"{owner}: cannot register a {kind} under a name that {problem}; "
            "state_dict() joins the names of parameters, buffers and submodules with dots"
        )


def collect_state(
    owner: str,
    modules: Iterable[tuple[str, Any]],
    own: Callable[[Any], Iterable[tuple[str, Tensor]]],
    remove_duplicate: bool,
) -> list[tuple[str, Tensor]]:
    """The (dotted name, tensor) pairs of a tree of modules: each module's own ones, in turn.

    Args:
        owner: the root module's class name, for the message.
        modules: (dotted name, module) pairs, such as `Module.named_modules()`.
        own: a module's own (name, tensor) pairs (its Parameters, its buffers).
        remove_duplicate: list a tensor reached under several names only under the first.

    Raises:
        RuntimeError: two different tensors get one name (only possible by writing into a
            module's registry directly).
    """
    out: list[tuple[str, Tensor]] = []
    seen: set[int] = set()
    named: dict[str, Tensor] = {}
    for mod_name, mod in modules:
        for name, t in own(mod):
            if remove_duplicate and id(t) in seen:
                continue
            seen.add(id(t))
            full = f"{mod_name}.{name}" if mod_name else name
            if full in named:
                if named[full] is t:
                    continue
                raise RuntimeError(
                    f"{owner}: two different {type(t).__name__}s are named {full!r}; "
                    "state_dict() would keep only one of them"
                )
            named[full] = t
            out.append((full, t))
    return out


def tied_names(named: Sequence[tuple[str, Tensor]]) -> list[tuple[Tensor, list[str]]]:
    """Group the names of each Parameter: one (Parameter, names) pair per distinct Parameter.

    Args:
        named: (dotted name, Parameter) pairs in which one Parameter may appear under several
            names, such as `module.named_parameters(remove_duplicate=False)`.

    Returns:
        The pairs in the order in which each Parameter first appears, each with its names in
        the order they appear.

    Example:
        >>> from tinygrad_lite import nn
        >>> from tinygrad_lite.module_state import tied_names
        >>> layer = nn.Linear(2, 2, seed=0)
        >>> net = nn.Sequential(layer, nn.Tanh(), layer)
        >>> [names for _, names in tied_names(list(net.named_parameters(remove_duplicate=False)))]
        [['0.weight', '2.weight'], ['0.bias', '2.bias']]
    """
    groups: dict[int, tuple[Tensor, list[str]]] = {}
    for name, p in named:
        groups.setdefault(id(p), (p, []))[1].append(name)
    return list(groups.values())


def gather_state(
    named: Sequence[tuple[str, Tensor]], keep_vars: bool = False
) -> dict[str, np.ndarray]:
    """Return {name: copy of the Parameter's array} for every pair of `named`, in order.

    Each Parameter's array is copied once: the names of one Parameter share that copy, as
    they share the Parameter (`state[a] is state[b]`), so writing into one entry changes all
    of them and the state dict stays loadable.

    Args:
        named: (dotted name, Parameter) pairs, such as
            `module.named_parameters(remove_duplicate=False)`.
        keep_vars: give the tensors themselves rather than copies of their arrays.
    """
    copies: dict[int, np.ndarray] = {}
    state: dict[str, np.ndarray] = {}
    for name, p in named:
        if keep_vars or getattr(
            type(p), "uninitialized", False
        ):  # a lazy module's placeholder (see `lazy`)
            state[name] = p  # type: ignore[assignment]  # listed as itself, as in PyTorch
            continue
        arr = copies.get(id(p))
        if arr is None:
            arr = copies[id(p)] = p.data.copy()
        state[name] = arr
    return state


def _checked(name: str, value: Any, p: Tensor, problems: list[str]) -> np.ndarray | None:
    """The array `value` for Parameter `p`, or None with the reason appended to `problems`."""
    arr = value.data if hasattr(value, "_ctx") else value  # a Tensor (not imported: below it)
    if not isinstance(arr, (np.ndarray, np.generic)):
        problems.append(f"{name}: expected a NumPy array or Tensor, got {type(value).__name__}")
        return None
    arr = np.asarray(arr)
    if arr.shape != p.data.shape:
        problems.append(f"{name}: shape {arr.shape} in the state dict, {p.shape} in the model")
        return None
    if arr.dtype != p.data.dtype:
        problems.append(f"{name}: dtype {arr.dtype} in the state dict, {p.dtype} in the model")
        return None
    return arr


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    # A NaN equals a NaN here: a saved NaN weight is the same value under each of its names.
    return a is b or np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")


def stage_state(
    named: Sequence[tuple[str, Tensor]], state_dict: Mapping[str, Any]
) -> tuple[list[str], list[str], list[str], list[tuple[Tensor, np.ndarray]]]:
    """Check the arrays of `state_dict` against the Parameters of `named`, copying nothing.

    A Parameter counts as present when any of its names is in `state_dict`; the names of one
    Parameter that are present must hold equal values.

    Args:
        named: every (dotted name, Parameter) pair of the module, aliases included.
        state_dict: {dotted name: NumPy array or Tensor}.

    Returns:
        The missing names (every name of each Parameter that has none in `state_dict`), the
        unexpected names, the problems found (a wrong shape or dtype, two names of one
        Parameter holding different values, a read-only array), and the (Parameter, array)
        pairs to copy, for `commit_state`.
    """
    known = {name for name, _ in named}
    unexpected = [str(k) for k in state_dict if k not in known]
    absent: set[int] = set()
    problems: list[str] = []
    staged: list[tuple[Tensor, np.ndarray]] = []
    for p, names in tied_names(named):
        given = [name for name in names if name in state_dict]
        if not given:
            absent.add(id(p))
            continue
        arrays = [(name, _checked(name, state_dict[name], p, problems)) for name in given]
        checked = [(name, arr) for name, arr in arrays if arr is not None]
        if len(checked) < len(arrays):
            continue
        first_name, first = checked[0]
        for name, arr in checked[1:]:
            if not _same(first, arr):
                problems.append(
                    f"{first_name} and {name} name the same Parameter but hold different "
                    "values; give them equal values, or only one of the names"
                )
        if not p.data.flags.writeable:
            problems.append(f"{first_name}: the Parameter's array is read-only")
        else:
            # Copy first: a value may share memory with another Parameter being loaded.
            staged.append((p, first.copy()))
    missing = [name for name, p in named if id(p) in absent]
    return missing, unexpected, problems, staged


def commit_state(staged: Sequence[tuple[Tensor, np.ndarray]]) -> None:
    """Copy each staged array into its Parameter, in place (see `stage_state`).

    A Ctrl-C that arrives during the copies is raised after the last one.
    """
    with deferred_interrupts():
        for p, arr in staged:
            np.copyto(p.data, arr)
            mark(p)


# The Parameter and Tensor classes that `load_state_dict(assign=True)` makes new tensors of: set by
# `module` when it loads (it is built on this module, and Tensor on the ops above it).
made: tuple[type[Any], type[Any]] | None = None


def stage_assign(
    named: Sequence[tuple[str, Tensor]], state_dict: Mapping[str, Any]
) -> tuple[list[str], list[str], list[str], list[tuple[str, Tensor, Any]]]:
    """Check `state_dict` for `load_state_dict(assign=True)`, and make the new tensors.

    PyTorch's rules, name by name (a Parameter with several names is replaced under each of
    them, so every name must be given, or it is missing): a Parameter is replaced by the
    given Parameter, or by a new Parameter sharing the given array or Tensor's array, with the
    old Parameter's `requires_grad`; a buffer by the given Tensor itself (or a Tensor of the
    given array). The shape must be the old one; the dtype is the given one.

    Args:
        named: every (dotted name, tensor) pair of the module, aliases included.
        state_dict: {dotted name: NumPy array or Tensor}.

    Returns:
        The missing names, the unexpected names, the problems found (a value that is neither
        an array nor a Tensor, another shape, an integer array for a Parameter that requires
        grad), and the (name, old tensor, new tensor) triples, for `commit_assign`.
    """
    assert made is not None, "set by tinygrad_lite.module when it loads"
    param_cls, tensor_cls = made

    known = {name for name, _ in named}
    unexpected = [str(k) for k in state_dict if k not in known]
    missing = [name for name, _ in named if name not in state_dict]
    problems: list[str] = []
    staged: list[tuple[str, Tensor, Any]] = []
    for name, old in named:
        if name not in state_dict:
            continue
        value = state_dict[name]
        if not isinstance(value, (tensor_cls, np.ndarray, np.generic)):
            problems.append(f"{name}: expected a NumPy array or Tensor, got {type(value).__name__}")
            continue
        if value.shape != old.data.shape:
            problems.append(
                f"{name}: shape {value.shape} in the state dict, {old.shape} in the model"
            )
            continue
        if isinstance(old, param_cls) and old.requires_grad and value.dtype.kind != "f":
            problems.append(
                f"{name}: the Parameter requires grad, so it cannot become a Parameter of "
                f"dtype {value.dtype} (only floating-point tensors can require grad)"
            )
            continue
        data = value if isinstance(value, tensor_cls) else np.asarray(value)
        try:
            if not isinstance(old, param_cls):
                new = data if isinstance(data, tensor_cls) else tensor_cls(data)
            elif isinstance(value, param_cls):
                new = value  # its requires_grad is set when it is assigned
            else:
                new = param_cls(data, requires_grad=old.requires_grad)
        except (TypeError, ValueError) as e:
            problems.append(f"{name}: {e}")
            continue
        staged.append((name, old, new))
    return missing, unexpected, problems, staged


def commit_assign(root: Any, staged: Sequence[tuple[str, Tensor, Any]]) -> None:
    """Put each new tensor of `stage_assign` in its module, under its name (`setattr`).

    A Parameter given in the state dict takes the `requires_grad` of the one it replaces. A
    Ctrl-C that arrives during the assignments is raised after the last one.
    """
    assert made is not None, "set by tinygrad_lite.module when it loads"
    param_cls = made[0]

    with deferred_interrupts():
        for name, old, new in staged:
            path, _, attr = name.rpartition(".")
            if new is not old and isinstance(new, param_cls):
                new.requires_grad_(old.requires_grad)  # a given Parameter: PyTorch sets it too
            setattr(root.get_submodule(path), attr, new)


def load_state(
    named: Sequence[tuple[str, Tensor]],
    state_dict: Mapping[str, Any],
    strict: bool,
    owner: str,
    assign_to: Any = None,
) -> tuple[list[str], list[str]]:
    """Copy the arrays of `state_dict` into the Parameters of `named`, all or nothing.

    The work of `Module.load_state_dict` (see it for the guarantees): `stage_state`, then, if
    nothing is wrong, `commit_state`; with `assign_to` (the root module, for
    `assign=True`), `stage_assign` and `commit_assign` instead.

    Args:
        named: every (dotted name, Parameter) pair of the module, aliases included.
        state_dict: {dotted name: NumPy array or Tensor}.
        strict: whether missing and unexpected names are errors.
        owner: the module's class name, for the error message.
        assign_to: the module whose tensors to replace by the state dict's, or None to copy.

    Returns:
        The missing names (every name of each Parameter that has none in `state_dict`; with
        `assign_to`, every name not in it) and the unexpected names.

    Raises:
        ValueError: one error listing every problem.
        TypeError: `state_dict` is not a mapping.
    """
    check_mapping(state_dict)
    if assign_to is None:
        missing, unexpected, problems, staged = stage_state(named, state_dict)
    else:
        missing, unexpected, problems, assigned = stage_assign(named, state_dict)
    head = []
    if strict and missing:
        head.append(f"missing keys {missing}")
    if strict and unexpected:
        head.append(f"unexpected keys {unexpected}")
    if head or problems:
        raise ValueError(
            f"load_state_dict: cannot load into {owner}: " + "; ".join(head + problems)
        )
    if assign_to is None:
        commit_state(staged)
    else:
        commit_assign(assign_to, assigned)
    return missing, unexpected


def check_mapping(state_dict: Any) -> None:
    """Refuse a state dict that is not a mapping (TypeError)."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"load_state_dict: expected a mapping of names to arrays, got "
            f"{type(state_dict).__name__}"
        )
