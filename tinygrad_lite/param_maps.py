"""PyTorch's `nn.utils.parametrizations`: orthogonal, spectral_norm and weight_norm.

Each registers a parametrization module with `parametrize.register_parametrization`, so the
weight is recomputed from `parametrizations.<name>.original` (or `original0`, `original1`) at
every access, with differentiable ops: gradients of every order reach the originals. These are
the parametrization forms; the older hook forms are in `weight_norms`. Reached as
`nn.utils.parametrizations`, PyTorch's name.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from . import functional as F
from .conv_layers import ConvTranspose1d, ConvTranspose2d
from .module import Module
from .param_orth import orthogonal
from .parametrize import register_parametrization
from .rng import generator as default_generator
from .tensor import Tensor
from .written import mark

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]

M = TypeVar("M", bound=Module)


# ------------------------------------------------------------------ weight normalisation


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """‖v‖₂ over every dimension but `dim` (kept; the others of size 1); dim −1: the whole norm."""
    if dim == -1:
        return v.square().sum().sqrt()
    if not -v.ndim <= dim < v.ndim:
        raise IndexError(
            f"weight_norm: dim {dim} is out of range for a tensor of shape {v.shape} "
            f"(expected -1 for the whole tensor, or -{v.ndim} to {v.ndim - 1})"
        )
    others = tuple(d for d in range(v.ndim) if d != dim % v.ndim)
    return v.square().sum(dim=others, keepdim=True).sqrt() if others else v.abs()


class _WeightNorm(Module):
    """The parametrization of `weight_norm`: w = g · v / ‖v‖."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        if dim is None:
            dim = -1
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"weight_norm: dim must be an int or None, got {dim!r}")
        self.dim = int(dim)

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        """The weight v · (g / ‖v‖), the norm over every dimension but `dim`."""
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        """(g, v) = (‖w‖, w): the magnitude and the direction."""
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: M, name: str = "weight", dim: int | None = 0) -> M:
    r"""Reparametrise a weight as w = g · v / ‖v‖ (Salimans and Kingma, 2016), as PyTorch's.

    The weight's Parameter is replaced by `parametrizations.<name>.original0` = g, the
    magnitude (‖w‖ over every dimension but `dim`, which g keeps: g has w's number of
    dimensions, all of size 1 but `dim`), and `parametrizations.<name>.original1` = v, the
    direction (w itself). `dim=None` (or −1) takes the norm over the whole tensor (g is 0-d).
    A state dict of the hook form (`<name>_g`, `<name>_v`) loads into it, renamed.

    Args:
        module: the module holding the weight.
        name: its name.
        dim: the dimension the norm leaves out (0: one norm per output unit), or None / −1.

    Returns:
        The module itself.

    Raises:
        ValueError: no Parameter or buffer `name`.
        IndexError: `dim` out of range.

    Example:
        >>> from tinygrad_lite import nn
        >>> from tinygrad_lite.param_maps import weight_norm
        >>> m = weight_norm(nn.Linear(20, 40, seed=0))
        >>> m.parametrizations.weight.original0.shape, m.parametrizations.weight.original1.shape
        ((40, 1), (40, 20))
    """
    register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(
        mod: Module,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: Any,
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module.register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


# ------------------------------------------------------------------ spectral normalisation


def _normalize(x: np.ndarray, eps: float) -> np.ndarray:
    """The vector x / max(‖x‖₂, eps), as `F.normalize`."""
    out: np.ndarray = x / max(float(np.sqrt(np.sum(x * x))), eps)
    return out


class _SpectralNorm(Module):
    """The parametrization of `spectral_norm`: W / σ, σ ≈ uᵀ W v by power iteration."""

    _u: Tensor
    _v: Tensor

    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.ndim
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"spectral_norm: dim must be an int, got {dim!r}")
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                "spectral_norm: Dimension out of range (expected to be in range of "
                f"[-{ndim}, {ndim - 1}] but got {dim})"
            )
        n = n_power_iterations
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"spectral_norm: n_power_iterations must be an int, got {n!r}")
        if n <= 0:
            raise ValueError(
                "spectral_norm: Expected n_power_iterations to be positive, but "
                f"got n_power_iterations={n}"
            )
        self.dim = int(dim) if dim >= 0 else int(dim) + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = int(n)
            W = self._reshape_weight_to_matrix(weight).data
            h, w = W.shape
            rng = default_generator(None)
            dt = W.dtype
            u = _normalize(np.asarray(rng.standard_normal(h), dtype=dt), eps).astype(dt)
            v = _normalize(np.asarray(rng.standard_normal(w), dtype=dt), eps).astype(dt)
            self.register_buffer("_u", Tensor(u))
            self.register_buffer("_v", Tensor(v))
            self._power_method(W, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, W: np.ndarray, n_power_iterations: int) -> None:
        """Run u ← normalize(W v), v ← normalize(Wᵀ u) n times, written into the buffers."""
        u, v = self._u.data, self._v.data
        for _ in range(n_power_iterations):
            np.copyto(u, _normalize(W @ v, self.eps))
            np.copyto(v, _normalize(W.T @ u, self.eps))
        mark(self._u, self._v)

    def forward(self, weight: Tensor) -> Tensor:
        """W / σ with σ = uᵀ W v (u, v constants), after a power step in training mode."""
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        W = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(W.data, self.n_power_iterations)
        # Copies: the graph keeps these values though a later access updates the buffers.
        u, v = Tensor(self._u.data.copy()), Tensor(self._v.data.copy())
        sigma = u.vdot(W.mv(v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        """The identity: the original is the weight before normalisation."""
        return value


def spectral_norm(
    module: M,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> M:
    r"""Divide a weight by its spectral norm σ(W), estimated by power iteration, as PyTorch's.

    W is seen as a matrix with `dim` first and the other dimensions flattened. The
    parametrization keeps unit vectors in the buffers `_u` and `_v` (state dict names
    `parametrizations.<name>.0._u` and `._v`), drawn from the library's generator and then
    refined by 15 power steps. Each access of `module.<name>` in training mode first runs
    `n_power_iterations` steps u ← normalize(W v), v ← normalize(Wᵀ u) (normalize(x) =
    x / max(‖x‖₂, eps)), with no gradient; then returns W / σ with σ = uᵀ W v, whose gradient
    flows through W only. In evaluation mode u and v are used as they are. A 1-d weight is
    simply normalised: w / max(‖w‖₂, eps). Registration reads the weight once, so in training
    mode it runs one more power step, as PyTorch's does.

    Args:
        module: the module holding the weight.
        name: its name.
        n_power_iterations: power steps per access in training mode, >= 1.
        eps: the floor of the norms in `normalize`.
        dim: the dimension of the outputs: 0, or 1 for ConvTranspose1d/2d (the default).

    Returns:
        The module itself.

    Raises:
        ValueError: no Parameter or buffer `name`, or n_power_iterations < 1.
        IndexError: `dim` out of range.

    Example:
        >>> from tinygrad_lite import nn
        >>> from tinygrad_lite.param_maps import spectral_norm
        >>> m = spectral_norm(nn.Linear(20, 40, seed=0))
        >>> [k for k in m.state_dict() if k.endswith(("_u", "_v"))]
        ['parametrizations.weight.0._u', 'parametrizations.weight.0._v']
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(
            f"spectral_norm: {type(module).__name__} has no parameter or buffer with name {name!r}"
        )
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
