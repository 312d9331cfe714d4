"""Modules: Parameter and the Module base class (parameters, buffers, state dicts, modes)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, NamedTuple

from . import display, module_state, tracing
from .module_params import ModuleParams
from .module_state import check_name
from .state_hooks import load_module_state, module_state_dict
from .tensor import DTypeLike, Tensor

__all__ = ["IncompatibleKeys", "Module", "Parameter"]


_switching = threading.local()  # the ids of the modules whose `train` is running, per thread


def _bump_structure() -> None:
    # tracing.structure_version counts changes of any module's Parameters and sub-Modules: a
    # module's cached parameter list is valid while the version it was built at is current,
    # so `parameters()` is a lookup in a training loop and never stale after an assignment.
    tracing.structure_changed()


def _insert_after(params: dict[str, Any], before: list[str], name: str, value: Any) -> None:
    """Put `name` into `params` after the last of the names `before` still there (in place)."""
    present = set(before)
    items = list(params.items())
    at = max((i + 1 for i, (n, _) in enumerate(items) if n in present), default=0)
    items.insert(at, (name, value))
    params.clear()
    params.update(items)


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
    _deepcopy_grad = False  # copy.deepcopy copies data and requires_grad only, as PyTorch's

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


class Module(ModuleParams):
    """Base class of every layer and network: it keeps track of Parameters and sub-Modules.

    Assigning a `Parameter` or a `Module` to an attribute registers it under that name, in the
    order of assignment; the name may be neither empty nor dotted, as in PyTorch (a KeyError),
    since `state_dict()` joins names with dots. A Tensor that is state but not a weight (a
    running mean) is registered with `register_buffer`; other values (plain Tensors, arrays,
    numbers) are ordinary attributes. Assigning None to a registered name unregisters it (the
    attribute becomes None; a sub-Module's name stays in `_modules`, holding None, as in
    PyTorch); assigning anything else that is not a Parameter (or not a Module) to a
    registered name is a TypeError, since it would silently drop a weight from training. A
    buffer's name takes a Tensor or None.

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
    _modules: dict[str, Module]  # a name may hold None, as in PyTorch (see `add_module`)
    _buffers: dict[str, Tensor | None]

    def __init__(self) -> None:
        d = self.__dict__
        d["_training"] = True
        d["_parameters"] = {}
        d["_modules"] = {}
        d["_buffers"] = {}
        d["_non_persistent"] = set()  # names of the buffers that state_dict() leaves out
        # Parameters set to None, each with the names before it: assigned again, it goes back
        # to its place (PyTorch keeps the name in its registry, holding None).
        d["_none_params"] = {}
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
        modules: dict[str, Module | None] = d["_modules"]
        buffers: dict[str, Tensor | None] = d.get("_buffers", {})
        if isinstance(value, (Parameter, Module)):
            kind = "Parameter" if isinstance(value, Parameter) else "Module"
            check_name(type(self).__name__, kind, name)
            if kind == "Module" and name in params:  # PyTorch refuses it too
                raise TypeError(
                    f"cannot assign {type(value).__name__} to parameter {name!r} of "
                    f"{type(self).__name__}: expected a Parameter or None"
                )
            buffers.pop(name, None)
        none_params: dict[str, list[str]] = d.setdefault("_none_params", {})
        if name in none_params and value is not None and not isinstance(value, Parameter):
            raise TypeError(
                f"cannot assign {type(value).__name__} to parameter {name!r} of "
                f"{type(self).__name__} (set to None): expected a Parameter or None"
            )
        if isinstance(value, Parameter):
            modules.pop(name, None)
            before = none_params.pop(name, None)
            if before is not None and name not in params:
                _insert_after(params, before, name, value)
            else:
                params[name] = value
            _bump_structure()
        elif isinstance(value, Module):
            params.pop(name, None)
            modules[name] = value
            _bump_structure()
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} to buffer {name!r} of "
                    f"{type(self).__name__}: expected a Tensor or None"
                )
            buffers[name] = value
            tracing.state_changed()  # a compiled step holds the buffer it traced
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
            if name in params:
                names = list(params)
                none_params[name] = names[: names.index(name)]
                params.pop(name)
            else:
                modules[name] = None  # PyTorch keeps the name, holding None
            _bump_structure()
        elif name != "training":  # a rate, a flag, a tensor: a compiled step may have read it
            tracing.module_attribute_set(self, name, value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        d.get("_none_params", {}).pop(name, None)
        if name in d.get("_parameters", ()) or name in d.get("_modules", ()):
            d["_parameters"].pop(name, None)
            d["_modules"].pop(name, None)
            _bump_structure()
        elif d.get("_buffers", {}).pop(name, False) is not False:
            d["_non_persistent"].discard(name)
            tracing.state_changed()
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
        modules = d["_modules"]
        if None in modules.values():  # a name that holds None is no submodule
            modules = {name: m for name, m in modules.items() if m is not None}
        return d["_parameters"], modules

    # ------------------------------------------------------------------ registration by name

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a Tensor that is part of the module's state but not a Parameter, as PyTorch.

        A buffer (BatchNorm's running mean, say) is an attribute, listed by `named_buffers()`
        and, if `persistent`, saved and loaded by `state_dict()` and `load_state_dict()`
        after the module's own Parameters; optimizers never see it. Assigning a Tensor (or
        None) to the name later replaces it. A buffer that is None is left out of both.

        Raises:
            KeyError: the name is empty, dotted, or already an attribute that is no buffer.
            TypeError: the name is not a str, or `tensor` is neither a Tensor nor None (a
                Parameter is registered by assigning it).
        """
        if not isinstance(name, str):
            raise TypeError(f"register_buffer: name must be a str, got {type(name).__name__}")
        check_name(type(self).__name__, "buffer", name)
        self._registry()  # raises if Module.__init__ has not run
        d = self.__dict__
        if name in d and name not in d["_buffers"] or hasattr(type(self), name):
            raise KeyError(f"register_buffer: attribute {name!r} already exists")
        if tensor is not None and (not isinstance(tensor, Tensor) or isinstance(tensor, Parameter)):
            raise TypeError(
                f"register_buffer: {name!r} must be a Tensor or None, got "
                f"{type(tensor).__name__}"
                + ("; assign a Parameter to register it" if isinstance(tensor, Parameter) else "")
            )
        d["_buffers"][name] = tensor
        if persistent:
            d["_non_persistent"].discard(name)
        else:
            d["_non_persistent"].add(name)
        object.__setattr__(self, name, tensor)
        tracing.state_changed()

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """`setattr(self, name, param)` for a Parameter or None (PyTorch's form)."""
        if not isinstance(name, str):
            raise TypeError(f"register_parameter: name must be a str, got {type(name).__name__}")
        check_name(type(self).__name__, "Parameter", name)
        free = name in self._registry()[0] or name in self.__dict__.get("_none_params", {})
        if hasattr(self, name) and not free:
            raise KeyError(f"register_parameter: attribute {name!r} already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: {name!r} must be a Parameter or None, got "
                f"{type(param).__name__}; wrap a Tensor in nn.Parameter to make it a weight"
            )
        if param is None and name not in self._registry()[0]:
            self.__dict__.setdefault("_none_params", {}).setdefault(name, list(self._registry()[0]))
        setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """`setattr(self, name, module)`; None registers the name, holding None (PyTorch's form)."""
        if not isinstance(name, str):
            raise TypeError(f"add_module: name must be a str, got {type(name).__name__}")
        check_name(type(self).__name__, "Module", name)
        self._registry()  # raises if Module.__init__ has not run
        modules = self.__dict__["_modules"]
        if hasattr(self, name) and name not in modules:
            raise KeyError(f"add_module: attribute {name!r} already exists")
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"add_module: {name!r} must be a Module or None, got {type(module).__name__}"
            )
        if module is None:
            modules.setdefault(name, None)  # registered, holding None, as PyTorch's
        setattr(self, name, module)

    register_module = add_module

    # ------------------------------------------------------------------ modes

    def train(self, mode: bool = True) -> Module:
        """Set `training` here, then call each child's own `train(mode)`, as PyTorch; return self.

        Each child is called once; one whose `train` is running further up (a cycle) is not.

        Raises:
            ValueError: `mode` is not a bool (as in PyTorch).
        """
        if not isinstance(mode, bool):
            raise ValueError(f"train: training mode is expected to be boolean, got {mode!r:.40}")
        self.__dict__["_training"] = mode
        active: set[int] = _switching.__dict__.setdefault("ids", set())
        done: set[int] = set()
        added = id(self) not in active
        active.add(id(self))
        try:
            for child in self.children():
                if id(child) not in done and id(child) not in active:
                    done.add(id(child))
                    child.train(mode)
        finally:
            if added:
                active.discard(id(self))
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (`train(False)`); return self."""
        return self.train(False)

    # ------------------------------------------------------------------ calling

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run `forward` on the arguments (and the module's hooks, forward and backward, if any)."""
        if self.__dict__.get("_forward_hooks") is None:
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    # ------------------------------------------------------------------ state

    def state_dict(
        self,
        *args: Any,
        destination: dict[str, Any] | None = None,
        prefix: str = "",
        keep_vars: bool = False,
    ) -> dict[str, Any]:
        """Return {dotted name: copy of the array} for every name of every Parameter and buffer.

        As in PyTorch, each module's Parameters come first, then its persistent buffers, then
        its sub-Modules' in the order of `named_modules`, and a Parameter with several names (a
        module reached by two paths, weights tied with `b.weight = a.weight`) is listed under
        each. The arrays are copies, one per tensor, shared by its names: training the module
        afterwards does not change them. State-dict hooks run as in PyTorch, and a module that
        defines `get_extra_state` adds its extra state under `<prefix>_extra_state`.

        Args:
            args: PyTorch's positional form, (destination, prefix, keep_vars).
            destination: a dict to put the entries into (and return); a new one if None.
            prefix: put before every name.
            keep_vars: give the Parameters and buffers themselves instead of array copies.
        """
        if len(args) > 3:
            raise TypeError(f"state_dict: at most 3 positional arguments, got {len(args)}")
        given = dict(zip(("destination", "prefix", "keep_vars"), args, strict=False))
        destination = given.get("destination", destination)
        prefix = given.get("prefix", prefix)
        keep_vars = bool(given.get("keep_vars", keep_vars))
        if destination is not None and not isinstance(destination, dict):
            raise TypeError(f"state_dict: destination must be a dict, got {destination!r:.40}")
        if not isinstance(prefix, str):
            raise TypeError(f"state_dict: prefix must be a str, got {prefix!r:.40}")
        return module_state_dict(self, destination, prefix, keep_vars)

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> IncompatibleKeys:
        """Load the state dict's values: copied into the Parameters and buffers, or assigned.

        All or nothing: everything is checked and staged before anything is changed, so a
        failed load changes nothing, and a KeyboardInterrupt (Ctrl-C) never leaves a model
        half loaded: one that arrives during the checks stops the load before any change, one
        that arrives during the changes is raised once every one is made. By default the
        arrays are copied in place (the objects stay the same), because optimizers, compiled
        steps and users may hold references to them.

        A Parameter with several names (see `state_dict`) is copied from whichever of its
        names the state dict has: the others are not missing (so state dicts saved with one
        name per Parameter still load), and names of one Parameter given different values
        are an error (PyTorch lets the last one win). Load pre- and post-hooks run as in
        PyTorch, and `set_extra_state` receives a module's `<prefix>_extra_state` entry.

        With `assign=True` (PyTorch's semantics), each name's Parameter or buffer is replaced
        instead: a Parameter by the given Parameter, or by a new Parameter that shares the
        given array (or Tensor's array), either with the old Parameter's `requires_grad`; a
        buffer by the given Tensor itself (a Tensor of the given array). The shapes must
        match; the dtypes are the given ones. Each name is assigned on its own, so every name
        of a Parameter with several must be given (or it is missing), and weights tied across
        modules are no longer tied unless the state dict gives one Parameter object for them.
        An optimizer made before keeps the old Parameters.

        Args:
            state_dict: {dotted name: NumPy array or Tensor}, e.g. from `state_dict()`.
            strict: if True, missing and unexpected names are errors; if False they are
                returned. When copying, a shape or dtype that differs from the Parameter's
                is always an error.
            assign: replace the Parameters and buffers rather than copy into them.

        Returns:
            The missing and unexpected names (both empty when strict).

        Raises:
            ValueError: one error listing every problem: missing and unexpected names (when
                strict), each name whose value has another shape (or dtype, when copying),
                and each pair of names of one Parameter that hold different values (when
                copying).
            TypeError: `state_dict` is not a mapping.
        """
        return load_module_state(self, state_dict, strict, IncompatibleKeys, bool(assign))

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
        return display.module_repr(self)


module_state.made = (Parameter, Tensor)  # what load_state_dict(assign=True) makes
