"""PyTorch's `nn.utils.parametrize`: tensors of a Module computed from others on every access.

`register_parametrization(module, "weight", P)` moves the Parameter (or buffer) `weight` to
`module.parametrizations.weight.original` and makes `module.weight` the value P(original),
computed anew at each access from differentiable ops, so gradients of every order reach
`original`. Assigning `module.weight = X` calls `P.right_inverse(X)` and writes the result into
`original`. As in PyTorch, the module's class is swapped for a subclass,
`Parametrized<Class>`, that holds one property per parametrized name; the state dict names
the originals `parametrizations.<name>.original` (or `original0`, `original1`, ... when
`right_inverse` returns several tensors).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from . import tracing
from .autograd import no_grad
from .containers import ModuleDict
from .module import Module, Parameter
from .param_chain import (
    ParametrizationList,
    parametrizations_of,
    parametrized_class,
    register_tensor,
    set_data,
)
from .tensor import Tensor

__all__ = [
    "ParametrizationList",
    "cached",
    "is_parametrized",
    "register_parametrization",
    "remove_parametrizations",
    "transfer_parametrizations_and_params",
    "type_before_parametrizations",
]

M = TypeVar("M", bound=Module)

_cache_enabled = 0
_cache: dict[tuple[int, str], Tensor] = {}


@contextmanager
def cached() -> Iterator[None]:
    """Compute each parametrized tensor once inside the block, as PyTorch's `parametrize.cached`.

    Within `with cached():` the first access to `module.weight` computes P(original) and later
    accesses return that same Tensor (one graph, shared), until the outermost block ends. Useful
    when a weight is read many times in one forward (a recurrent layer). Blocks nest.

    Example:
        >>> from tinygrad_lite import nn
        >>> from tinygrad_lite.parametrize import cached, register_parametrization
        >>> class Double(nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> m = register_parametrization(nn.Linear(2, 2, seed=0), "weight", Double())
        >>> with cached():
        ...     m.weight is m.weight
        True
        >>> m.weight is m.weight
        False
    """
    global _cache, _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache = {}


def _inject_property(module: Module, tensor_name: str) -> None:
    if hasattr(module, tensor_name):
        raise RuntimeError(
            f"register_parametrization: {type(module).__name__} already has an attribute "
            f"named {tensor_name!r}"
        )

    def get_parametrized(self: Module) -> Tensor:
        plist = self.parametrizations[tensor_name]
        if not _cache_enabled:
            value: Tensor = plist()
            return value
        tracer = tracing.current
        if tracer is not None and tracer.active():
            raise RuntimeError("Cannot trace a model while caching parametrizations.")
        key = (id(self), tensor_name)
        cached_value = _cache.get(key)
        if cached_value is None:
            cached_value = _cache[key] = plist()
        return cached_value

    def set_original(self: Module, value: Tensor) -> None:
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(type(module), tensor_name, property(get_parametrized, set_original))


# ------------------------------------------------------------------ the functions


def _check_module(func: str, module: Any, what: str = "module") -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{func}: {what} must be a Module, got {type(module).__name__}")
    return module


def register_parametrization(
    module: M, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> M:
    """Make `module.<tensor_name>` the value of `parametrization` applied to a hidden original.

    As PyTorch's `torch.nn.utils.parametrize.register_parametrization`. The first time a name
    is parametrized, its Parameter or buffer X moves to
    `module.parametrizations[tensor_name].original` (a `ParametrizationList`), after
    X ← parametrization.right_inverse(X) if the parametrization has one (see
    `ParametrizationList`); the module's class becomes `Parametrized<Class>`, and reading
    `module.<tensor_name>` computes parametrization(original) with differentiable ops, so
    gradients of every order flow to `original`. Registering another parametrization on the
    same name appends it: the value is then P₂(P₁(original)). Assigning
    `module.<tensor_name> = Y` runs the right inverses (last to first) and writes into
    `original`. The parametrization is put in the module's training mode.

    Args:
        module: the module holding the tensor.
        tensor_name: the name of a Parameter, a buffer, or an already parametrized tensor.
        parametrization: a Module whose `forward` maps the original(s) to the tensor, with an
            optional `right_inverse` from the tensor back to the original(s).
        unsafe: skip the checks that the parametrization keeps the tensor's shape and dtype.

    Returns:
        The module itself.

    Raises:
        ValueError: no Parameter, buffer or parametrized tensor `tensor_name`; or the checks
            fail (a result that is not a Tensor, another shape or dtype).
        TypeError: `module` or `parametrization` is not a Module, or the name is not a str.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite import nn
        >>> from tinygrad_lite.parametrize import register_parametrization
        >>> class Symmetric(nn.Module):
        ...     def forward(self, X):
        ...         return X.triu() + X.triu(1).mT
        >>> m = register_parametrization(nn.Linear(3, 3, seed=0), "weight", Symmetric())
        >>> bool((m.weight.data == m.weight.data.T).all()), type(m).__name__
        (True, 'ParametrizedLinear')
        >>> list(m.state_dict())
        ['bias', 'parametrizations.weight.original']
    """
    func = "register_parametrization"
    _check_module(func, module)
    _check_module(func, parametrization, "parametrization")
    if not isinstance(tensor_name, str):
        raise TypeError(f"{func}: tensor_name must be a str, got {type(tensor_name).__name__}")
    parametrization.train(module.training)
    plists = parametrizations_of(module)
    if plists is not None and tensor_name in plists:
        if not unsafe:
            Y = getattr(module, tensor_name)
            X = parametrization(Y)
            if not isinstance(X, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(X).__name__}.")
            if X.dtype != Y.dtype:
                raise ValueError(
                    "Registering a parametrization may not change the dtype of the tensor, "
                    "unless the `unsafe` flag is enabled.\n"
                    f"module.{tensor_name}.dtype: {Y.dtype}\n"
                    f"parametrization(module.{tensor_name}).dtype: {X.dtype}"
                )
            if X.shape != Y.shape:
                raise ValueError(
                    "Registering a parametrization may not change the shape of the tensor, "
                    "unless the `unsafe` flag is enabled.\n"
                    f"module.{tensor_name}.shape: {Y.shape}\n"
                    f"parametrization(module.{tensor_name}).shape: {X.shape}"
                )
            if hasattr(parametrization, "right_inverse"):
                try:
                    Z = parametrization.right_inverse(X)
                except NotImplementedError:
                    pass
                else:
                    _check_inverse(tensor_name, Y, Z)
        plist = plists[tensor_name]
        plist.append(parametrization)
        plist.unsafe = plist.unsafe or unsafe
        return module
    d = module.__dict__
    params, buffers = d["_parameters"], d["_buffers"]
    if tensor_name not in params and tensor_name not in buffers:
        raise ValueError(
            f"{func}: {type(module).__name__} does not have a parameter, a buffer, or a "
            f"parametrized element with name {tensor_name!r}; its parameters are "
            f"{list(params)} and its buffers {list(buffers)}"
        )
    original = params[tensor_name] if tensor_name in params else buffers[tensor_name]
    if original is None:
        raise ValueError(
            f"{func}: the buffer {tensor_name!r} is None; there is nothing to parametrize"
        )
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if plists is None:
        object.__setattr__(module, "__class__", parametrized_class(type(module)))
        module.parametrizations = ModuleDict()
    _inject_property(module, tensor_name)
    module.parametrizations[tensor_name] = plist
    return module


def _check_inverse(tensor_name: str, Y: Tensor, Z: Any) -> None:
    if not isinstance(Z, Tensor):
        raise ValueError(
            f"parametrization.right_inverse must return a tensor. Got: {type(Z).__name__}"
        )
    if Z.dtype != Y.dtype:
        raise ValueError(
            "The tensor returned by parametrization.right_inverse must have the same dtype "
            f"as module.{tensor_name}, unless the `unsafe` flag is enabled.\n"
            f"module.{tensor_name}.dtype: {Y.dtype}\nreturned dtype: {Z.dtype}"
        )
    if Z.shape != Y.shape:
        raise ValueError(
            "The tensor returned by parametrization.right_inverse must have the same shape "
            f"as module.{tensor_name}, unless the `unsafe` flag is enabled.\n"
            f"module.{tensor_name}.shape: {Y.shape}\nreturned shape: {Z.shape}"
        )


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether `module` has a parametrization on `tensor_name` (on any tensor if None)."""
    plists = getattr(module, "parametrizations", None)
    if plists is None or not isinstance(plists, ModuleDict):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def remove_parametrizations(module: M, tensor_name: str, leave_parametrized: bool = True) -> M:
    """Undo `register_parametrization` on `tensor_name`: it becomes a Parameter or buffer again.

    With `leave_parametrized` the tensor keeps its current value P(original): it is written
    into the original Parameter (the same object, so an optimizer holding it keeps working),
    or, when the parametrization has several originals, a new Parameter holds it (a buffer if
    it does not require grad). Without, the original is put back as it is. The module gets
    its class back when no parametrized tensor is left.

    Returns:
        The module itself.

    Raises:
        ValueError: `tensor_name` is not parametrized; or `leave_parametrized=False` with
            several originals.
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(
            f"remove_parametrizations: {type(module).__name__} does not have a "
            f"parametrization on {tensor_name!r}"
        )
    plists: ModuleDict = module.parametrizations
    plist: Any = plists[tensor_name]
    original: Tensor
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                t = getattr(module, tensor_name)
                set_data(original, t)
    elif leave_parametrized:
        t = getattr(module, tensor_name)
        original = Parameter(t) if t.requires_grad else t.detach()
    else:
        raise ValueError(
            "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
            "parametrized in terms of a sequence of tensors."
        )
    delattr(type(module), tensor_name)
    del plists[tensor_name]
    register_tensor(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        object.__setattr__(module, "__class__", type(module).__bases__[0])
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class before parametrizations were registered (its class if none were)."""
    if is_parametrized(module):
        return type(module).__bases__[0]
    return type(module)


def transfer_parametrizations_and_params(
    from_module: Module, to_module: M, tensor_name: str | None = None
) -> M:
    """Register `from_module`'s parametrizations of `tensor_name` (all if None) on `to_module`.

    As PyTorch: a name `to_module` lacks is first added as a Parameter holding the
    parametrized value; then each parametrization (the same Module objects) is registered on
    it, and the original Parameter(s) of `from_module` are shared: `to_module`'s
    `parametrizations.<name>.original` is the very same object.

    Returns:
        `to_module`.
    """
    if not is_parametrized(from_module):
        return to_module
    plists: ModuleDict = from_module.parametrizations
    names = list(plists) if tensor_name is None else [tensor_name]
    for name in names:
        if name not in plists:
            raise ValueError(
                f"transfer_parametrizations_and_params: {type(from_module).__name__} has no "
                f"parametrization on {name!r}; its parametrized tensors are {list(plists)}"
            )
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name)))
        source: Any = plists[name]
        for param_func in source:
            register_parametrization(to_module, name, param_func)
        target = to_module.parametrizations[name]
        if hasattr(source, "original"):
            target.original = source.original
        else:
            for i in range(source.ntensors):
                setattr(target, f"original{i}", getattr(source, f"original{i}"))
    return to_module
