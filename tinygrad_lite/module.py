"""Modules: Parameter and the Module base class (parameters, state dicts, modes, summaries)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from . import display, tracing
from .module_state import gather_state, load_state
from .tensor import DTypeLike, Tensor
from .tracing import ClearGrad, traced_call

__all__ = ["IncompatibleKeys", "Module", "Parameter"]


def _bump_structure() -> None:
    # tracing.structure_version counts changes of any module's Parameters and sub-Modules: a
    # module's cached parameter list is valid while the version it was built at is current,
    # so `parameters()` is a lookup in a training loop and never stale after an assignment.
    tracing.structure_changed()


class Parameter(Tensor):
    """A Tensor that a Module registers as one of its learnable weights.

    A Parameter is always a leaf (it was not made by an op) and requires grad unless told
    otherwise. It shares the array it is given: `Parameter(a).data is a` for a float array `a`.
    Operations on a Parameter return plain Tensors.

    Args:
        data: numbers, nested lists, a NumPy array or a Tensor (its data is used, detached).
        requires_grad: whether optimizers and backward should treat it as trainable.
        dtype: the NumPy dtype to store (float64 for numbers and lists by default).

    Example:
        >>> from tinygrad_lite.nn import Parameter
        >>> w = Parameter([[0.5, -1.0]])
        >>> w.requires_grad, w.is_leaf
        (True, True)
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: DTypeLike = None) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What `Module.load_state_dict(..., strict=False)` did not match.

    Attributes:
        missing_keys: names the module has but the state dict lacks.
        unexpected_keys: names the state dict has but the module lacks.
    """

    missing_keys: list[str]
    unexpected_keys: list[str]


_repr_in_progress = threading.local()  # ids of the modules whose repr is being built


def _check_name(owner: Module, name: str, value: Parameter | Module) -> None:
    # state_dict() joins names with dots: a dotted name could collide with a submodule's
    # parameter, and one weight would silently go missing from the saved state (PyTorch
    # refuses these names too, with a KeyError).
    if "." in name or not name:
        kind = "Parameter" if isinstance(value, Parameter) else "Module"
        problem = f"contains a dot: {name!r}" if name else "is empty"
        raise KeyError(
            f"{type(owner).__name__}: cannot register a {kind} under a name that {problem}; "
            "state_dict() joins the names of parameters and submodules with dots"
        )


class Module:
    """Base class of every layer and network: it keeps track of Parameters and sub-Modules.

    Assigning a `Parameter` or a `Module` to an attribute registers it under that name, in the
    order of assignment; the name may be neither empty nor dotted, as in PyTorch (a KeyError),
    since `state_dict()` joins names with dots. Other values (plain Tensors, arrays, numbers)
    are ordinary attributes. Assigning None to a registered name unregisters it (the
    attribute becomes None); assigning anything else that is not a Parameter (or not a
    Module) to a registered name is a TypeError, since it would silently drop a weight from
    training.

    Subclasses call `super().__init__()` first and define `forward`; calling the module calls
    `forward`.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite.nn import Module, Parameter
        >>> class Affine(Module):
        ...     def __init__(self) -> None:
        ...         super().__init__()
        ...         self.w = Parameter(np.ones((1, 2)))
        ...         self.b = Parameter(np.zeros((1, 1)))
        ...
        ...     def forward(self, x):
        ...         return self.w @ x + self.b
        >>> [name for name, _ in Affine().named_parameters()]
        ['w', 'b']
    """

    _parameters: dict[str, Parameter]
    _modules: dict[str, Module]

    def __init__(self) -> None:
        d = self.__dict__
        d["_training"] = True
        d["_parameters"] = {}
        d["_modules"] = {}
        d["_param_cache"] = None

    @property
    def training(self) -> bool:
        """Whether the module is in training mode (`train()`) or evaluation mode (`eval()`).

        A compiled step that reads it checks it on every call, and keeps a plan for each mode.
        """
        mode: bool = self.__dict__["_training"]
        tracer = tracing.current
        if tracer is not None and tracer.active():
            tracer.read_mode(self, mode)
        return mode

    @training.setter
    def training(self, mode: bool) -> None:
        self.__dict__["_training"] = bool(mode)

    # ------------------------------------------------------------------ registration

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params: dict[str, Parameter] | None = d.get("_parameters")
        if params is None:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(
                    f"cannot assign {type(value).__name__} {name!r} to {type(self).__name__} "
                    "before Module.__init__() has run; call super().__init__() first"
                )
            object.__setattr__(self, name, value)
            return
        modules: dict[str, Module] = d["_modules"]
        if isinstance(value, (Parameter, Module)):
            _check_name(self, name, value)
        if isinstance(value, Parameter):
            modules.pop(name, None)
            params[name] = value
            _bump_structure()
        elif isinstance(value, Module):
            params.pop(name, None)
            modules[name] = value
            _bump_structure()
        elif name in params or name in modules:
            kind = "parameter" if name in params else "submodule"
            if value is not None:
                expected = "Parameter" if kind == "parameter" else "Module"
                raise TypeError(
                    f"cannot assign {type(value).__name__} to {kind} {name!r} of "
                    f"{type(self).__name__}: expected a {expected} or None"
                    + (
                        "; to change a weight in place, write into its .data"
                        if kind == "parameter"
                        else ""
                    )
                )
            params.pop(name, None)
            modules.pop(name, None)
            _bump_structure()
        elif name != "training":  # a rate, a flag, a tensor: a compiled step may have read it
            tracing.state_changed()
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        if name in d.get("_parameters", ()) or name in d.get("_modules", ()):
            d["_parameters"].pop(name, None)
            d["_modules"].pop(name, None)
            _bump_structure()
        object.__delattr__(self, name)

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: registered names live in __dict__ as well.
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"{type(self).__name__} has no attribute {name!r}: its __init__ did not call "
                "super().__init__()"
            )
        raise AttributeError(
            f"{type(self).__name__} has no attribute {name!r}; its parameters are "
            f"{list(d['_parameters'])} and its submodules {list(d['_modules'])}"
        )

    def _registry(self) -> tuple[dict[str, Parameter], dict[str, Module]]:
        d = self.__dict__
        if "_parameters" not in d:
            raise RuntimeError(
                f"{type(self).__name__}.__init__ did not call super().__init__(), so the "
                "module has no registry of parameters"
            )
        return d["_parameters"], d["_modules"]

    # ------------------------------------------------------------------ traversal

    def named_modules(
        self, prefix: str = "", *, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """Yield (dotted name, module) for this module and every descendant, pre-order.

        This module itself has the name `prefix` ('' by default). A module reachable by two
        paths is yielded once, under the first name; with `remove_duplicate=False` it is
        yielded under every path (as in PyTorch), except that a cycle of submodules is not
        followed around again: no path passes through one module twice.
        """
        seen: set[int] = set()  # the modules yielded; with remove_duplicate=False, the path
        stack: list[tuple[str, Module, bool]] = [(prefix, self, False)]
        while stack:
            name, mod, done = stack.pop()
            if done:  # every path below `mod` has been yielded: another path may reach it
                seen.discard(id(mod))
                continue
            if id(mod) in seen:
                continue
            seen.add(id(mod))
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
        out: list[tuple[str, Parameter]] = []
        seen: set[int] = set()
        named: dict[str, Parameter] = {}
        for mod_name, mod in self.named_modules(remove_duplicate=remove_duplicate):
            for name, p in mod._registry()[0].items():
                if remove_duplicate and id(p) in seen:
                    continue
                seen.add(id(p))
                full = f"{mod_name}.{name}" if mod_name else name
                if full in named:  # only reachable by writing into _parameters directly
                    if named[full] is p:
                        continue
                    raise RuntimeError(
                        f"{type(self).__name__}: two different Parameters are named {full!r}; "
                        "state_dict() would keep only one of them"
                    )
                named[full] = p
                out.append((full, p))
        return out

    def named_parameters(self, *, remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Yield (dotted name, Parameter) for every Parameter of this module and its children.

        Order: a module's own Parameters in assignment order, then each sub-Module's, in
        assignment order, recursively (PyTorch's order). A Parameter shared between modules
        (or registered under two names) is yielded once, under the first name; with
        `remove_duplicate=False` it is yielded under every name, the names of `state_dict()`.
        """
        if not remove_duplicate:
            return iter(self._collect_parameters(remove_duplicate=False))
        return iter(self._named_parameter_tuple())

    def parameters(self) -> Iterator[Parameter]:
        """Yield every Parameter once, in the order of `named_parameters`."""
        cache = self.__dict__.get("_param_cache")
        if cache is None or cache[0] != tracing.structure_version:
            cache = self._rebuild_parameter_cache()
        return iter(cache[2])

    # ------------------------------------------------------------------ training helpers

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

    def train(self, mode: bool = True) -> Module:
        """Set `training` on this module and every descendant; return self."""
        for mod in self.modules():
            mod.__dict__["_training"] = bool(mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (`train(False)`); return self."""
        return self.train(False)

    # ------------------------------------------------------------------ calling

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run `forward` on the arguments."""
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, np.ndarray]:
        """Return {dotted name: copy of the Parameter's array} for every name of every Parameter.

        As in PyTorch, a Parameter with several names (a module reached by two paths, weights
        tied with `b.weight = a.weight`) is listed under each, in the order of
        `named_parameters(remove_duplicate=False)`. The arrays are copies, one per Parameter,
        shared by its names: training the module afterwards does not change them.
        """
        return gather_state(self._collect_parameters(remove_duplicate=False))

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy arrays into the Parameters, in place (the Parameter objects stay the same).

        All or nothing: everything is checked and staged before anything is copied, so a
        failed load changes nothing, and a KeyboardInterrupt (Ctrl-C) never leaves a model
        half loaded: one that arrives during the checks stops the load before any copy, one
        that arrives during the copies is raised once every Parameter holds its new value.
        The arrays are copied in place (rather than swapped) because optimizers, compiled
        steps and users may hold references to them.

        A Parameter with several names (see `state_dict`) is loaded from whichever of its
        names the state dict has: the others are not missing (so state dicts saved with one
        name per Parameter still load), and names of one Parameter given different values
        are an error (PyTorch lets the last one win).

        Args:
            state_dict: {dotted name: NumPy array or Tensor}, e.g. from `state_dict()`.
            strict: if True, missing and unexpected names are errors; if False they are
                returned. A shape or dtype that differs from the Parameter's is always an
                error.

        Returns:
            The missing and unexpected names (both empty when strict).

        Raises:
            ValueError: one error listing every problem: missing and unexpected names (when
                strict), each name whose value has another shape or dtype, and each pair of
                names of one Parameter that hold different values.
            TypeError: `state_dict` is not a mapping.
        """
        named = self._collect_parameters(remove_duplicate=False)
        missing, unexpected = load_state(named, state_dict, strict, type(self).__name__)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ display

    def extra_repr(self) -> str:
        """One line of settings shown inside the module's repr (empty by default)."""
        return ""

    def summary(self, example: Any = None) -> display.ModelSummary:
        """Each layer, its output shape for `example`, and the parameter counts, as a table.

        `example` is an input or an input shape (a tuple of ints), or None to list the
        parameters only; print the result, or let a notebook show it. See
        `tinygrad_lite.display.summary`.
        """
        return display.summary(self, example)

    def __repr__(self) -> str:
        # A module that contains itself (a cycle of submodules) is shown once, then named.
        active: set[int] = _repr_in_progress.__dict__.setdefault("ids", set())
        if id(self) in active:
            return f"<cycle: the {type(self).__name__} shown above>"
        active.add(id(self))
        try:
            lines = []
            extra = self.extra_repr()
            if extra:
                lines.extend(extra.split("\n"))
            for name, mod in self._registry()[1].items():
                lines.append(f"({name}): " + repr(mod).replace("\n", "\n  "))
        finally:
            active.discard(id(self))
        head = type(self).__name__
        if not self._registry()[1]:
            return f"{head}({extra})"
        return head + "(\n  " + "\n  ".join(lines) + "\n)"


# ---------------------------------------------------------------------- containers
