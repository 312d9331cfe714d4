"""Flat parameter vectors, as PyTorch's `nn.utils`: parameters_to_vector, vector_to_parameters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import ops, tracing
from .tensor import Tensor

__all__ = ["parameters_to_vector", "tensor_list", "vector_to_parameters"]


def tensor_list(func: str, parameters: Any) -> list[Tensor]:
    """A Tensor, or an iterable of tensors, as a list; anything else is refused, naming `func`."""
    items = [parameters] if isinstance(parameters, Tensor) else parameters
    if not isinstance(items, Iterable) or isinstance(items, (str, bytes)):
        raise TypeError(f"{func}: expected a Tensor or an iterable of tensors, got {items!r}")
    out = list(items)
    for i, p in enumerate(out):
        if not isinstance(p, Tensor):
            raise TypeError(f"{func}: parameters[{i}] is a {type(p).__name__}, not a Tensor")
    return out


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All the tensors' entries joined into one new 1-D Tensor, each flattened in C order.

    As PyTorch's `nn.utils.parameters_to_vector`: the result is in the graph, so gradients
    flow back to each tensor; its dtype is the tensors' promoted dtype.

    Raises:
        ValueError: no tensors.
        TypeError: something that is not a Tensor.

    Example:
        >>> from tinygrad_lite import Tensor, nn
        >>> nn.utils.parameters_to_vector([Tensor([[1.0, 2.0]]), Tensor([3.0])])
        Tensor([1., 2., 3.])
    """
    func = "parameters_to_vector"
    params = tensor_list(func, parameters)
    if not params:
        raise ValueError(f"{func}: expected at least one tensor, got none")
    return ops.Cat.apply(*[p.reshape(-1) for p in params], dim=0)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each tensor hold its slice of the 1-D `vec`, in order, as PyTorch's.

    Tensor k gets entries [n_1 + ... + n_{k−1}, n_1 + ... + n_k) of `vec`, reshaped to its
    shape: as in PyTorch its array becomes a view of `vec`'s (so writing into one writes
    into the other), with no graph; entries of `vec` past the last tensor are not used. A
    graph recorded before keeps the old arrays.

    Args:
        vec: a 1-D Tensor with at least as many entries as the tensors together.
        parameters: the tensors (e.g. `model.parameters()`), of `vec`'s dtype.

    Raises:
        TypeError: `vec` is not a Tensor, or something in `parameters` is not a Tensor.
        ValueError: `vec` is not 1-D or too short, or a tensor of another dtype than `vec`.
        TraceError: called inside a step that `compile` is tracing.

    Example:
        >>> from tinygrad_lite import Tensor, nn
        >>> w, b = nn.Parameter([[0.0, 0.0]]), nn.Parameter([0.0])
        >>> nn.utils.vector_to_parameters(Tensor([1.0, 2.0, 3.0]), [w, b])
        >>> w, b
        (Parameter containing:
        Tensor([[1., 2.]], requires_grad=True), Parameter containing:
        Tensor([3.], requires_grad=True))
    """
    func = "vector_to_parameters"
    if not isinstance(vec, Tensor):
        raise TypeError(f"{func}: expected vec to be a Tensor, got {type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"{func}: vec must be 1-dimensional, got shape {vec.shape}")
    params = tensor_list(func, parameters)
    needed = sum(p.data.size for p in params)
    if vec.shape[0] < needed:
        raise ValueError(f"{func}: vec has {vec.shape[0]} entries but the parameters hold {needed}")
    for i, p in enumerate(params):
        if p.dtype != vec.dtype:
            raise ValueError(
                f"{func}: parameters[{i}] has dtype {p.dtype} but vec has dtype {vec.dtype}"
            )
    if tracing.current is not None and tracing.current.active():
        raise tracing.TraceError(
            f"compile: {func} inside a compiled step replaces the parameters' arrays, which a "
            "replay could not do; call it outside the step"
        )
    start = 0
    for p in params:
        n = p.data.size
        p.data = vec.data[start : start + n].reshape(p.shape)
        start += n
    tracing.state_changed()  # a compiled step holds the arrays it traced
