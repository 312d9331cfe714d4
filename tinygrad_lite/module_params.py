"""A Module's Parameters and buffers, listed: named_parameters, parameters, buffers, zero_grad.

`ModuleParams` is a base class of `Module` (whose registry, `_parameters`, `_modules` and
`_buffers`, is filled by its `__setattr__` and `register_*` methods): it walks the registry of
the module tree in PyTorch's order. The list of Parameters is cached, keyed by
`tracing.structure_version`, so that `parameters()` in a training loop is a lookup and is
never stale after an assignment.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from . import tracing, written
from .module_methods import ModuleMethods
from .module_state import collect_state
from .tracing import ClearGrad, traced_call

if TYPE_CHECKING:
    from .module import Module, Parameter
    from .tensor import Tensor

__all__ = ["ModuleParams"]


class ModuleParams(ModuleMethods):
    """Methods of `Module` that list its Parameters and buffers (see the module's docstring)."""

    if TYPE_CHECKING:

        def _registry(self) -> tuple[dict[str, Parameter], dict[str, Module]]: ...

    def _named_parameter_tuple(self) -> tuple[tuple[str, Parameter], ...]:
        cache = self.__dict__.get("_param_cache")
        if cache is not None and cache[0] == tracing.structure_version:
            return cache[1]
        return self._rebuild_parameter_cache()[1]

    def _rebuild_parameter_cache(
        self,
    ) -> tuple[int, tuple[tuple[str, Parameter], ...], tuple[Parameter, ...]]:
        version = tracing.structure_version
        out = tuple(self._collect_parameters(remove_duplicate=True))
        cache = (version, out, tuple(p for _, p in out))
        self.__dict__["_param_cache"] = cache
        return cache

    def _collect_parameters(self, remove_duplicate: bool) -> list[tuple[str, Parameter]]:
        return self._collect(remove_duplicate)  # type: ignore[return-value]

    def _own_state(self, params: bool, buffers: str) -> Iterator[tuple[str, Tensor]]:
        """This module's Parameters (if `params`), then its buffers: "all", "persistent" or ""."""
        if params:
            yield from self._registry()[0].items()
        if buffers:
            d = self.__dict__
            skip = d["_non_persistent"] if buffers == "persistent" else ()
            for name, b in d.get("_buffers", {}).items():
                if b is not None and name not in skip:
                    yield name, b

    def _collect(
        self, remove_duplicate: bool, params: bool = True, buffers: str = ""
    ) -> list[tuple[str, Tensor]]:
        modules = self.named_modules(remove_duplicate=remove_duplicate)
        own = lambda m: m._own_state(params, buffers)  # noqa: E731
        return collect_state(type(self).__name__, modules, own, remove_duplicate)

    def _own_named(
        self, prefix: str, params: bool, buffers: str, remove_duplicate: bool
    ) -> Iterator[tuple[str, Tensor]]:
        """This module's own Parameters or buffers only (`recurse=False`), named under `prefix`."""
        seen: set[int] = set()
        for name, t in self._own_state(params, buffers):
            if remove_duplicate and id(t) in seen:
                continue
            seen.add(id(t))
            yield (f"{prefix}.{name}" if prefix else name), t

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Yield (dotted name, Parameter) for every Parameter of this module and its children.

        Order: a module's own Parameters in assignment order, then each sub-Module's, in
        assignment order, recursively (PyTorch's order). A Parameter shared between modules
        (or registered under two names) is yielded once, under the first name; with
        `remove_duplicate=False` it is yielded under every name, the names of `state_dict()`.
        `prefix` is put before every name (with a dot); `recurse=False` yields this module's
        own Parameters only.
        """
        if not recurse:
            return self._own_named(prefix, True, "", remove_duplicate)  # type: ignore[return-value]
        if not remove_duplicate:
            named = self._collect_parameters(remove_duplicate=False)
        else:
            named = list(self._named_parameter_tuple())
        if prefix:
            return iter([(f"{prefix}.{name}", p) for name, p in named])
        return iter(named)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yield every Parameter once, in the order of `named_parameters` (see `recurse`)."""
        if not recurse:
            return (p for _, p in self.named_parameters(recurse=False))
        cache = self.__dict__.get("_param_cache")
        if cache is None or cache[0] != tracing.structure_version:
            cache = self._rebuild_parameter_cache()
        return iter(cache[2])

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """Yield (dotted name, Tensor) for every buffer that is not None, in the parameters' order.

        Persistent or not; a buffer shared between modules is yielded once unless
        `remove_duplicate=False`. `prefix` and `recurse` as in `named_parameters`.
        """
        if not recurse:
            return self._own_named(prefix, False, "all", remove_duplicate)
        named = self._collect(remove_duplicate, params=False, buffers="all")
        return iter([(f"{prefix}.{n}" if prefix else n, b) for n, b in named])

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Yield every buffer once, in the order of `named_buffers` (see `recurse`)."""
        return (b for _, b in self.named_buffers(recurse=recurse))

    def _cleared_grads(self) -> list[ClearGrad]:
        """`zero_grad()` as data: every Parameter's gradient set to None."""
        return [ClearGrad(p) for _, p in self._named_parameter_tuple()]

    @traced_call(inline="_cleared_grads")
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradient of every Parameter.

        Args:
            set_to_none: set `.grad` to None (the default, and the cheapest); otherwise fill
                existing gradients with zeros in place.
        """
        for _, p in self._named_parameter_tuple():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data.fill(0)
                written.mark(p.grad)  # a graph that saved the gradient refuses its backward
