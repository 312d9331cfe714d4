"""Parameter groups: checked group dicts, and `opt.lr`-style access to every group."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import numpy as np

from .. import tracing

if TYPE_CHECKING:
    from ..tensor import Tensor
    from .optimizer import Optimizer

__all__ = ["ParamGroup"]

_V = TypeVar("_V")


def _count(owner: str, name: str, value: Any, low: int) -> int:
    """`value` as an int (a Python or NumPy integer, or a 0-d array) that is at least `low`."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{owner}: {name} must be >= {low}, got {value}")
    return int(value)


def _number(
    owner: str, name: str, value: Any, gt: float | None = None, ge: float | None = None
) -> float:
    """`value` as a finite float, from a Python or NumPy number or a 0-d array.

    With `gt` (or `ge`), the value must also be greater than (or at least) that bound.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{owner}: {name} must be finite, got {x}")
    if gt is not None and not x > gt:
        raise ValueError(f"{owner}: {name} must be > {gt:g}, got {x}")
    if ge is not None and not x >= ge:
        raise ValueError(f"{owner}: {name} must be >= {ge:g}, got {x}")
    return x


def _flag(owner: str, name: str, value: Any) -> bool:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


class ParamGroup(dict[str, Any]):
    """One parameter group: a dict of `"params"` and every hyper-parameter, checked on writes.

    It reads like PyTorch's group dicts (`group["lr"]`, `group["params"]`), but a write is
    validated as the constructor validates (`group["lr"] = -1` raises and changes nothing),
    unknown keys are refused (a typo would otherwise be ignored silently), and `"params"` is a
    tuple that cannot be replaced: add tensors with `Optimizer.add_param_group`.
    """

    __slots__ = ("_owner", "initial_lr")

    def __init__(self, owner: Optimizer, params: tuple[Tensor, ...], hyper: Mapping[str, Any]):
        super().__init__(params=params, **hyper)
        self._owner = owner
        # The lr when the first scheduler was made for the optimizer (PyTorch's "initial_lr"):
        # the base of every schedule made for it later, too.
        self.initial_lr: float | None = None

    def _checked(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        owner = self._owner
        name = type(owner).__name__
        for key in changes:
            if key == "params":
                raise TypeError(
                    f"{name}: a group's params cannot be replaced; use add_param_group for a new "
                    "group of tensors"
                )
            if key not in owner.group_keys:
                raise KeyError(
                    f"{name}: {key!r} is not a hyper-parameter of {name}; a group holds "
                    f"{list(owner.group_keys)}"
                )
        hyper = {k: dict.__getitem__(self, k) for k in owner.group_keys}
        hyper.update(changes)
        # An lr written here is checked as by hand; an unchanged one may be a scheduler's 0.
        checked = (owner._validate if "lr" in changes else owner._validate_scheduled)(**hyper)
        if any(k != "lr" for k in changes):
            owner._settings += 1
        return {k: checked[k] for k in changes}

    def _write(self, changes: dict[str, Any]) -> None:
        tracer = tracing.current
        if tracer is not None and tracer.active():
            tracer.group_write(self, changes)  # a compiled step sets it on every replay too
        else:
            dict.update(self, self._checked(changes))

    def __setitem__(self, key: str, value: Any) -> None:
        self._write({key: value})

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Set several hyper-parameters at once, all checked before any changes."""
        self._write(dict(*args, **kwargs))

    # Reads go through __getitem__, so that a compiled step reads each setting on every replay
    # (see `tracing.Tracer.group_read`); the other ways of reading a dict are routed to it.

    def __getitem__(self, key: str) -> Any:
        value = dict.__getitem__(self, key)
        tracer = tracing.current
        if tracer is None or key == "params" or not tracer.active():
            return value
        return tracer.group_read(self, key, value)

    def get(self, key: str, default: Any = None) -> Any:
        """`group[key]`, or `default` for a key the group does not have."""
        return self[key] if key in self else default

    def __iter__(self) -> Iterator[str]:
        # Not dict's own iterator: dict(group) and {**group} then read through __getitem__.
        return dict.__iter__(self)

    def values(self) -> Any:
        """The values, each read as `group[key]` reads it."""
        if tracing.current is None:
            return dict.values(self)
        return [self[k] for k in dict.keys(self)]

    def items(self) -> Any:
        """The (key, value) pairs, each value read as `group[key]` reads it."""
        if tracing.current is None:
            return dict.items(self)
        return [(k, self[k]) for k in dict.keys(self)]

    def copy(self) -> dict[str, Any]:
        """A plain dict of the entries, each value read as `group[key]` reads it."""
        return {k: self[k] for k in dict.keys(self)}

    def __ior__(self, other: Any) -> ParamGroup:  # type: ignore[override,misc]
        self.update(other)
        return self

    def setdefault(self, key: str, default: Any = None) -> Any:
        """`group[key]`, after setting it to `default` if it is missing (never, in practice)."""
        if key not in self:
            self[key] = default
        return self[key]

    def _refuse(self, *args: Any) -> Any:
        """Refused: a group's entries cannot be removed (raises TypeError)."""
        raise TypeError(
            f"{type(self._owner).__name__}: the entries of a parameter group cannot be removed"
        )

    __delitem__ = _refuse
    pop = _refuse
    popitem = _refuse
    clear = _refuse

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))


class _GroupValue(Generic[_V]):
    """`opt.lr`-style access to a hyper-parameter of every group.

    Reading gives the value the groups share (an error when they differ); writing sets it in
    every group, all checked first.
    """

    def __init__(self, key: str) -> None:
        self.key = key

    def __set_name__(self, owner: type, name: str) -> None:
        self.__doc__ = f"The `{self.key}` of every parameter group (set in all of them)."

    @overload
    def __get__(self, obj: None, objtype: Any = None) -> _GroupValue[_V]: ...

    @overload
    def __get__(self, obj: Optimizer, objtype: Any = None) -> _V: ...

    def __get__(self, obj: Optimizer | None, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return obj._shared(self.key)

    def __set__(self, obj: Optimizer, value: _V) -> None:
        obj._set_everywhere(self.key, value)
