"""Weight and spectral normalisation of a Module's weight, PyTorch's hook-based nn.utils API.

`weight_norm(module)` replaces the Parameter `weight` with `weight_g` (the magnitude) and
`weight_v` (the direction); `spectral_norm(module)` renames it `weight_orig` and adds the
buffers `weight_u` and `weight_v` of a power iteration. Either way a forward pre-hook computes
`module.weight`, a plain Tensor of the graph, before each forward, from ops only: gradients of
every order flow to the new Parameters. `remove_weight_norm` and `remove_spectral_norm` turn
the current weight back into a Parameter.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from .autograd import no_grad
from .conv_layers import ConvTranspose1d, ConvTranspose2d
from .module import Module, Parameter
from .rng import generator as default_generator
from .tensor import Tensor
from .written import mark

__all__ = ["remove_spectral_norm", "remove_weight_norm", "spectral_norm", "weight_norm"]

M = TypeVar("M", bound=Module)


def _module(func: str, module: Any) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{func}: expected a Module, got {type(module).__name__}")
    return module


def _pre_hooks(module: Module) -> list[Any]:
    hooks = module.__dict__.get("_forward_hooks")
    return [] if hooks is None else list(hooks[0])


def _weight(func: str, module: Module, name: str, kind: type[Any]) -> Parameter:
    if not isinstance(name, str):
        raise TypeError(f"{func}: name must be a str, got {type(name).__name__}")
    for hook in _pre_hooks(module):
        if isinstance(hook, kind) and hook.name == name:
            raise RuntimeError(
                f"{func}: cannot register two {func} hooks on the parameter {name!r}"
            )
    params = module._registry()[0]
    if name not in params:
        raise ValueError(
            f"{func}: {type(module).__name__} has no parameter {name!r}; its parameters are "
            f"{list(params)}"
        )
    return params[name]


def _remove(func: str, module: Any, name: str, kind: type[Any]) -> Any:
    """The hook of `kind` for `name`, unregistered from the module."""
    _module(func, module)
    for hook in _pre_hooks(module):
        if isinstance(hook, kind) and hook.name == name:
            hook.handle.remove()
            return hook
    raise ValueError(f"{func}: {func[7:]} of {name!r} not found in {type(module).__name__}")


# ------------------------------------------------------------------ weight normalisation


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """‖v‖₂ over every dimension but `dim` (kept, the others of size 1); -1: the whole norm."""
    if dim == -1:
        return v.square().sum().sqrt()
    others = tuple(d for d in range(v.ndim) if d != dim % v.ndim)
    return v.square().sum(dim=others, keepdim=True).sqrt()


class _WeightNorm:
    """The forward pre-hook of `weight_norm`: weight = g · v / ‖v‖."""

    def __init__(self, name: str, dim: int) -> None:
        self.name, self.dim = name, dim
        self.handle: Any = None

    def compute_weight(self, module: Module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: M, name: str = "weight", dim: int | None = 0) -> M:
    r"""Reparametrise a weight as w = g · v / ‖v‖ (Salimans and Kingma, 2016), as PyTorch.

    The Parameter `name` is replaced by two Parameters: `name_g`, the magnitude, initialised to
    ‖w‖, and `name_v`, the direction, initialised to w itself (sharing its array). Before
    every forward a pre-hook sets `module.<name>` (a plain Tensor) to v · (g / ‖v‖), so
    gradients reach g and v. The norm is taken over every dimension but `dim`, which `g`
    keeps (g has v's number of dimensions, all of size 1 but `dim`); `dim=None` or `-1` takes
    it over the whole tensor (g is 0-d), as PyTorch's old API does.

    Args:
        module: the module holding the weight.
        name: the Parameter's name.
        dim: the dimension the norm leaves out (0: one norm per output unit), or None / -1.

    Returns:
        The module itself.

    Raises:
        ValueError: no Parameter `name`.
        IndexError: `dim` out of range.
        RuntimeError: `name` is weight-normalised already.

    Example:
        >>> from tinygrad_lite import nn
        >>> m = nn.utils.weight_norm(nn.Linear(20, 40, seed=0))
        >>> m.weight_g.shape, m.weight_v.shape
        ((40, 1), (40, 20))
    """
    func = "weight_norm"
    _module(func, module)
    weight = _weight(func, module, name, _WeightNorm)
    d = -1 if dim is None else dim
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
        raise TypeError(f"{func}: dim must be an int or None, got {dim!r}")
    if d != -1 and not -weight.ndim <= d < weight.ndim:
        raise IndexError(
            f"{func}: dim {d} is out of range for {name!r} of shape {weight.shape} (expected "
            f"-{weight.ndim} to {weight.ndim - 1}, or None)"
        )
    fn = _WeightNorm(name, int(d))
    with no_grad():
        g = _norm_except_dim(weight, fn.dim)
    delattr(module, name)
    module.register_parameter(name + "_g", Parameter(g.data))
    module.register_parameter(name + "_v", Parameter(weight.data))
    setattr(module, name, fn.compute_weight(module))
    fn.handle = module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module: M, name: str = "weight") -> M:
    """Undo `weight_norm`: `name` becomes a Parameter again, holding g · v / ‖v‖.

    `name_g` and `name_v` are unregistered and the pre-hook removed.

    Raises:
        ValueError: `name` is not weight-normalised.
    """
    hook = _remove("remove_weight_norm", module, name, _WeightNorm)
    with no_grad():
        weight = hook.compute_weight(module)
    delattr(module, name)
    delattr(module, name + "_g")
    delattr(module, name + "_v")
    setattr(module, name, Parameter(weight.data))
    return module


# ------------------------------------------------------------------ spectral normalisation


def _normalize(x: np.ndarray, eps: float) -> np.ndarray:
    """The vector x / max(‖x‖₂, eps), as PyTorch's `F.normalize`."""
    return x / np.maximum(np.sqrt(np.sum(x * x)), eps)


class _SpectralNorm:
    """The forward pre-hook of `spectral_norm`: weight = W / σ, σ ≈ uᵀ W v."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        self.name, self.n_power_iterations, self.dim, self.eps = (
            name,
            n_power_iterations,
            dim,
            eps,
        )
        self.handle: Any = None

    def matrix(self, weight: Tensor) -> Tensor:
        """The weight as a (size of `dim`, rest) matrix: `dim` moved first, the rest flattened."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight: Tensor = getattr(module, self.name + "_orig")
        u_buf: Tensor = getattr(module, self.name + "_u")
        v_buf: Tensor = getattr(module, self.name + "_v")
        W = self.matrix(weight)
        if do_power_iteration:
            Wd, u, v = W.data, u_buf.data, v_buf.data
            for _ in range(self.n_power_iterations):
                v = _normalize(Wd.T @ u, self.eps)
                u = _normalize(Wd @ v, self.eps)
            np.copyto(v_buf.data, v)
            np.copyto(u_buf.data, u)
            mark(u_buf, v_buf)
        # Copies: the graph keeps these values though a later forward updates the buffers.
        u_t, v_t = Tensor(u_buf.data.copy()), Tensor(v_buf.data.copy())
        sigma = (u_t * (W @ v_t)).sum()
        return weight / sigma

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(
    module: M,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> M:
    r"""Divide a weight by its spectral norm σ(W), estimated by power iteration (Miyato et al.).

    As PyTorch's `torch.nn.utils.spectral_norm`: the Parameter `name` is renamed `name_orig`
    (the same object), and the buffers `name_u` and `name_v` hold unit vectors, drawn from
    the library's default generator (`manual_seed`). The weight W is seen as a matrix with
    `dim` first and the other dimensions flattened. Before every forward a pre-hook sets
    `module.<name>` to W / σ with σ = uᵀ W v; in training mode it first runs
    `n_power_iterations` steps v ← normalize(Wᵀ u), u ← normalize(W v) (normalize(x) =
    x / max(‖x‖₂, eps)), written into the buffers, with no gradient. In evaluation mode the
    stored u and v are used as they are. σ's gradient flows through W only (u and v are
    constants). Until the first forward, `module.<name>` is the original weight's values.

    Args:
        module: the module holding the weight.
        name: the Parameter's name.
        n_power_iterations: power-iteration steps per training forward, >= 1.
        eps: the floor of the norms in `normalize`, > 0.
        dim: the dimension of the outputs: 0, or 1 for ConvTranspose1d/2d (the default).

    Returns:
        The module itself.

    Raises:
        ValueError: no Parameter `name`, or n_power_iterations < 1.
        RuntimeError: `name` is spectral-normalised already.

    Example:
        >>> from tinygrad_lite import nn
        >>> m = nn.utils.spectral_norm(nn.Linear(20, 40, seed=0))
        >>> m.weight_u.shape, m.weight_v.shape
        ((40,), (20,))
    """
    func = "spectral_norm"
    _module(func, module)
    weight = _weight(func, module, name, _SpectralNorm)
    n = n_power_iterations
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{func}: n_power_iterations must be an int >= 1, got {n!r}")
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
        raise ValueError(f"{func}: eps must be a number > 0, got {eps!r}")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    if not -weight.ndim <= dim < weight.ndim:
        raise IndexError(f"{func}: dim {dim} is out of range for {name!r} of shape {weight.shape}")
    fn = _SpectralNorm(name, int(n), dim % weight.ndim, float(eps))
    h, w = fn.matrix(weight).shape
    rng = default_generator(None)
    dt = weight.data.dtype
    u = _normalize(rng.standard_normal(h).astype(dt), fn.eps).astype(dt)
    v = _normalize(rng.standard_normal(w).astype(dt), fn.eps).astype(dt)
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.detach())
    module.register_buffer(name + "_u", Tensor(u))
    module.register_buffer(name + "_v", Tensor(v))
    fn.handle = module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module: M, name: str = "weight") -> M:
    """Undo `spectral_norm`: `name` becomes a Parameter holding W / σ with the stored u, v.

    The Parameter `name_orig`, the buffers `name_u`, `name_v` and the pre-hook are removed.

    Raises:
        ValueError: `name` is not spectral-normalised.
    """
    hook = _remove("remove_spectral_norm", module, name, _SpectralNorm)
    with no_grad():
        weight = hook.compute_weight(module, do_power_iteration=False)
    delattr(module, name)
    delattr(module, name + "_u")
    delattr(module, name + "_v")
    delattr(module, name + "_orig")
    module.register_parameter(name, Parameter(weight.data))
    return module
