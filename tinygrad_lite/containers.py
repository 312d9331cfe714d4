"""Containers of Modules: ModuleList, Sequential, ModuleDict, owning their members' Parameters."""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar, overload

from . import display
from .module import Module

__all__ = ["ModuleDict", "ModuleList", "Sequential"]


_Seq = TypeVar("_Seq", bound="_ModuleSequence")


class _ModuleSequence(Module):
    """Modules registered under the names '0', '1', ...; indexable, sized and iterable.

    A member may be None (registered under its number, as PyTorch's `add_module(name, None)`).
    """

    _keeps_names = False  # whether a slice keeps the members' names

    def __init__(self, modules: Any = ()) -> None:
        super().__init__()
        for m in modules:
            self.append(m)

    def _check(self, module: Any) -> Module | None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}: expected a Module, got {type(module).__name__}"
            )
        return module

    def _members(self) -> dict[str, Module | None]:
        members: dict[str, Module | None] = self.__dict__["_modules"]
        return members

    def _put(self, name: str, module: Module | None) -> None:
        """`add_module(name, module)` for a number (which needs none of its checks)."""
        if module is None:
            self._members().setdefault(name, None)  # registered, holding None
        setattr(self, name, module)

    def append(self, module: Module | None) -> _ModuleSequence:
        """Add a module (or None) at the end; return self."""
        self._put(str(len(self._modules)), self._check(module))
        return self

    def extend(self, modules: Any) -> _ModuleSequence:
        """Append each module of an iterable; return self."""
        for m in modules:
            self.append(m)
        return self

    def _index(self, i: int) -> str:
        n = len(self._modules)
        i = _as_index(i, f"{type(self).__name__} indices must be ints or slices")
        if not -n <= i < n:
            raise IndexError(f"{type(self).__name__} index {i} out of range for length {n}")
        return list(self._modules)[i % n]  # the name at that position ('0', '1', ...)

    @overload
    def __getitem__(self, i: int) -> Module: ...

    @overload
    def __getitem__(self: _Seq, i: slice) -> _Seq: ...

    def __getitem__(self: _Seq, i: int | slice) -> Module | _Seq:
        if isinstance(i, slice):
            new = type(self).__new__(type(self))
            if self._keeps_names:  # Sequential: the names go with the modules, as PyTorch's
                _ModuleSequence.__init__(new)
                for name, module in list(self._members().items())[i]:
                    new.add_module(name, module)
            else:  # ModuleList: numbered afresh
                _ModuleSequence.__init__(new, list(self._members().values())[i])
            return new
        return self._modules[self._index(i)]

    def __setitem__(self, i: int, module: Module | None) -> None:
        setattr(self, self._index(i), self._check(module))

    def __delitem__(self, i: int | slice) -> None:
        """Remove the module(s) at i; the rest are numbered '0', '1', ... afresh, as PyTorch's."""
        kept = list(self._members().values())
        if isinstance(i, slice):
            del kept[i]
        else:
            del kept[list(self._modules).index(self._index(i))]
        self._renumber(kept)

    def _renumber(self, modules: list[Module | None]) -> None:
        for name in list(self._modules):
            delattr(self, name)
        for k, module in enumerate(modules):
            self._put(str(k), module)

    def _insert(self, index: int, module: Module | None) -> None:
        """Put a module before position `index` (in [-len, len]), as PyTorch's."""
        n = len(self._modules)
        index = _as_index(index, f"{type(self).__name__}.insert: index must be an int")
        if not -n <= index <= n:
            raise IndexError(
                f"{type(self).__name__}.insert: index {index} out of range [-{n}, {n}]"
            )
        modules = list(self._members().values())
        modules.insert(index % (n + 1) if index >= 0 else index + n, self._check(module))
        self._renumber(modules)

    def pop(self, i: int | slice) -> Any:
        """Remove and return the module(s) at i (a slice gives a container), as PyTorch's."""
        value = self[i]
        del self[i]
        return value

    def _addable(self, other: Any) -> Any:
        return other  # ModuleList: any iterable of modules, as PyTorch's

    def __iadd__(self: _Seq, modules: Any) -> _Seq:
        return self.extend(self._addable(modules))  # type: ignore[return-value]

    def __add__(self: _Seq, other: Any) -> _Seq:
        new = type(self).__new__(type(self))
        _ModuleSequence.__init__(new, [*self, *self._addable(other)])
        return new

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))


def _as_index(i: Any, what: str) -> int:
    """`operator.index(i)` (True is 1, as in a list and in PyTorch), or a TypeError naming i."""
    try:
        return operator.index(i)
    except TypeError:
        raise TypeError(f"{what}, got {i!r:.60}") from None


class ModuleList(_ModuleSequence):
    """A list of Modules whose Parameters belong to the owner (names '0', '1', ...).

    Args:
        modules: an iterable of Modules.

    Example:
        >>> from tinygrad_lite import nn
        >>> layers = nn.ModuleList([nn.Linear(2, 3, seed=0), nn.Linear(3, 1, seed=1)])
        >>> [name for name, _ in layers.named_parameters()]
        ['0.weight', '0.bias', '1.weight', '1.bias']
    """

    def insert(self, index: int, module: Module | None) -> None:
        """Put a module (or None) before position `index` (in [-len, len]), as PyTorch's."""
        self._insert(index, module)

    def __repr__(self) -> str:
        """PyTorch's repr: runs of children that print alike are shown once, as `(0-2): 3 x`."""
        active: set[int] = display._repr_in_progress.__dict__.setdefault("ids", set())
        if id(self) in active:
            return f"<cycle: the {type(self).__name__} shown above>"
        active.add(id(self))
        try:
            reprs = [repr(m) for m in self._modules.values()]
        finally:
            active.discard(id(self))
        head = type(self).__name__
        if not reprs:
            return f"{head}()"
        runs: list[list[Any]] = []  # [first index, last index, repr]
        for i, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = []
        for first, last, text in runs:
            label = f"({first}): " if first == last else f"({first}-{last}): {last - first + 1} x "
            lines.append((label + text).replace("\n", "\n  "))
        return f"{head}(\n  " + "\n  ".join(lines) + "\n)"


class Sequential(_ModuleSequence):
    """Modules applied one after another: `Sequential(a, b)(x) == b(a(x))`.

    Args:
        modules: the Modules in the order they are applied (named '0', '1', ...), or one
            mapping (an OrderedDict, as in PyTorch) of names to Modules.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import nn
        >>> net = nn.Sequential(nn.Linear(2, 4, seed=0), nn.Tanh(), nn.Linear(4, 1, seed=1))
        >>> net(np.zeros((5, 2))).shape
        (5, 1)
    """

    _keeps_names = True

    def __init__(self, *modules: Module) -> None:
        if len(modules) == 1 and isinstance(modules[0], Mapping):  # PyTorch's named form
            named = modules[0]
            super().__init__()
            for name, module in named.items():
                if not isinstance(name, str):
                    raise TypeError(f"Sequential: names must be str, got {type(name).__name__}")
                self.add_module(name, self._check(module))
            return
        super().__init__(modules)

    def insert(self, index: int, module: Module) -> Sequential:
        """Put a module before position `index` (in [-len, len]), as PyTorch's; return self."""
        if not isinstance(module, Module):  # PyTorch's Sequential.insert refuses None too
            raise TypeError(f"Sequential.insert: expected a Module, got {type(module).__name__}")
        self._insert(index, module)
        return self

    def _addable(self, other: Any) -> Any:
        if not isinstance(other, Sequential):
            raise ValueError(
                "Sequential: add operator supports only objects of Sequential class, but "
                f"{type(other)} is given."
            )
        return other

    def forward(self, x: Any) -> Any:
        """Apply each module in turn to x."""
        for mod in self._modules.values():
            x = mod(x)
        return x


class ModuleDict(Module):
    """Modules under names of your choice, in insertion order; their Parameters are the owner's.

    A key may hold None, as in PyTorch: it is listed by `keys()`, `len` and `in`, and no walk
    of the submodules (`named_modules`, `state_dict`, ...) sees it.

    Args:
        modules: a mapping of names to Modules (or None), or an iterable of such pairs.

    Example:
        >>> from tinygrad_lite import nn
        >>> heads = nn.ModuleDict({"a": nn.Linear(2, 1, seed=0), "b": nn.Linear(2, 3, seed=1)})
        >>> list(heads), heads["b"].out_features
        (['a', 'b'], 3)
    """

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no module {key!r}; its keys are {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module | None) -> None:
        self.add_module(key, module)  # None too: the key holds None, as PyTorch's

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018 - raises a KeyError that names the keys
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> list[str]:
        """The names, in insertion order."""
        return list(self._modules)

    def values(self) -> list[Module]:
        """The Modules, in insertion order."""
        return list(self._modules.values())

    def items(self) -> list[tuple[str, Module]]:
        """(name, Module) pairs, in insertion order."""
        return list(self._modules.items())

    def update(self, modules: Any) -> None:
        """Add or replace the Modules of a mapping or of (name, Module) pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            if not isinstance(key, str):
                raise TypeError(f"ModuleDict: keys must be str, got {type(key).__name__}")
            self.add_module(key, module)

    def pop(self, key: str) -> Module:
        """Remove the Module under `key` and return it."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Remove every Module."""
        for key in list(self._modules):
            delattr(self, key)
