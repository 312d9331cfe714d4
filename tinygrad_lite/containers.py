"""Containers of Modules: ModuleList and Sequential, whose members' Parameters are the owner's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar, overload

import numpy as np

from .module import Module

__all__ = ["ModuleList", "Sequential"]


_Seq = TypeVar("_Seq", bound="_ModuleSequence")


class _ModuleSequence(Module):
    """Modules registered under the names '0', '1', ...; indexable, sized and iterable."""

    def __init__(self, modules: Any = ()) -> None:
        super().__init__()
        for m in modules:
            self.append(m)

    def _check(self, module: Any) -> Module:
        if not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}: expected a Module, got {type(module).__name__}"
            )
        return module

    def append(self, module: Module) -> _ModuleSequence:
        """Add a module at the end; return self."""
        setattr(self, str(len(self._modules)), self._check(module))
        return self

    def extend(self, modules: Any) -> _ModuleSequence:
        """Append each module of an iterable; return self."""
        for m in modules:
            self.append(m)
        return self

    def _index(self, i: int) -> str:
        n = len(self._modules)
        if not isinstance(i, (int, np.integer)) or isinstance(i, bool):
            raise TypeError(f"{type(self).__name__} indices must be ints or slices, got {i!r}")
        if not -n <= i < n:
            raise IndexError(f"{type(self).__name__} index {i} out of range for length {n}")
        return str(int(i) % n)

    @overload
    def __getitem__(self, i: int) -> Module: ...

    @overload
    def __getitem__(self: _Seq, i: slice) -> _Seq: ...

    def __getitem__(self: _Seq, i: int | slice) -> Module | _Seq:
        if isinstance(i, slice):
            new = type(self).__new__(type(self))
            _ModuleSequence.__init__(new, list(self._modules.values())[i])
            return new
        return self._modules[self._index(i)]

    def __setitem__(self, i: int, module: Module) -> None:
        setattr(self, self._index(i), self._check(module))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))


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


class Sequential(_ModuleSequence):
    """Modules applied one after another: `Sequential(a, b)(x) == b(a(x))`.

    Args:
        modules: the Modules in the order they are applied (named '0', '1', ...).

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import nn
        >>> net = nn.Sequential(nn.Linear(2, 4, seed=0), nn.Tanh(), nn.Linear(4, 1, seed=1))
        >>> net(np.zeros((5, 2))).shape
        (5, 1)
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__(modules)

    def forward(self, x: Any) -> Any:
        """Apply each module in turn to x."""
        for mod in self._modules.values():
            x = mod(x)
        return x
