"""Group and instance normalisation on Tensors: group_norm, instance_norm (as PyTorch's `F`).

Both are compositions of differentiable ops (means, variances, square roots, arithmetic,
reshapes), so their gradients of every order come from theirs. `instance_norm` also updates
the running statistics it is given, without recording a graph, by giving each running tensor
a new array, as `normalization.batch_norm` does.

>>> import numpy as np
>>> from tinygrad_lite import Tensor
>>> x = Tensor(np.array([[1.0, 3.0, 10.0, 30.0]]))
>>> group_norm(x, num_groups=2, eps=0.0).tolist()
[[-1.0, 1.0, -1.0, 1.0]]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .autograd import no_grad
from .normalization import check_eps
from .tensor import Tensor

__all__ = ["group_norm", "instance_norm"]


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_shape(owner: str, what: str, t: Tensor | None, shape: tuple[int, ...]) -> None:
    if t is not None and t.shape != shape:
        raise ValueError(f"{owner}: {what} must have shape {shape}, got {t.shape}")


def _channel_shape(x: Tensor) -> tuple[int, ...]:
    """(1, C, 1, ...): a per-channel vector broadcast along the input's other dims."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _affine(y: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    shape = _channel_shape(y)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def group_norm(
    input: Tensor | np.ndarray,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise groups of channels of (N, C, ...) input, as PyTorch's `F.group_norm`.

    The C channels are split into `num_groups` groups of C/G consecutive channels; within each
    sample and group, y = (x - mean) / √(var + eps) with the mean and the biased variance
    (correction 0) over the group's channels and all the spatial positions. `weight` and
    `bias` then scale and shift each channel. One group is a layer norm over (C, ...); C
    groups is an instance norm.

    Args:
        input: (N, C), (N, C, L), (N, C, H, W), ...
        num_groups: G, a divisor of C.
        weight: (C,) or None.
        bias: (C,) or None.
        eps: added to the variance under the square root (>= 0).

    Returns:
        A tensor of the input's shape.

    Raises:
        TypeError: num_groups is not an int.
        ValueError: the input has fewer than 2 dimensions, num_groups < 1 or not a divisor of
            C, weight or bias does not have shape (C,), eps < 0, or a single sample whose groups
            hold one value each (PyTorch refuses it: "Expected more than 1 value per channel").
    """
    x = _as_tensor(input)
    if isinstance(num_groups, bool) or not isinstance(num_groups, (int, np.integer)):
        raise TypeError(f"group_norm: num_groups must be an int, got {num_groups!r}")
    if num_groups < 1:
        raise ValueError(f"group_norm: num_groups must be >= 1, got {num_groups}")
    if x.ndim < 2:
        raise ValueError(
            f"group_norm: expected an input (N, C, ...) of at least 2 dimensions, got shape "
            f"{x.shape}"
        )
    n, c = x.shape[0], x.shape[1]
    g = int(num_groups)
    if c % g:
        raise ValueError(
            f"group_norm: the input's {c} channels (shape {x.shape}) do not divide into "
            f"num_groups={g} groups ({c} % {g} = {c % g})"
        )
    per_group = c // g * math.prod(x.shape[2:])
    if n * per_group == 1:
        raise ValueError(
            f"group_norm: Expected more than 1 value per channel (as PyTorch): input of shape "
            f"{x.shape} with num_groups={g} is one sample whose groups hold one value each"
        )
    _check_shape("group_norm", "weight", weight, (c,))
    _check_shape("group_norm", "bias", bias, (c,))
    eps = check_eps("group_norm", eps)
    grouped = x.reshape(n, g, per_group)
    mean = grouped.mean(2, keepdim=True)
    var = grouped.var(2, keepdim=True, correction=0)
    y = ((grouped - mean) / (var + eps).sqrt()).reshape(x.shape)
    return _affine(y, weight, bias)


def _update(running: Tensor, stat: Tensor, momentum: float) -> None:
    """Give `running` the new array momentum·stat + (1 - momentum)·running, in its dtype."""
    new = momentum * stat + (1 - momentum) * running
    if new.dtype != running.dtype:
        new = new.astype(running.dtype)
    running.data = new.data


def instance_norm(
    input: Tensor | np.ndarray,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample of (N, C, ...) input, as PyTorch's `F.instance_norm`.

    With `use_input_stats`, y = (x - mean) / √(var + eps) with the mean and the biased
    variance over the spatial dims of each (sample, channel) pair. The running statistics,
    when given, become momentum·s + (1 - momentum)·running, where s is the statistic averaged
    over the batch and the variance is the unbiased one, var·L/(L - 1) for L spatial
    positions. They are updated without recording a graph, by giving each a new array.
    Without `use_input_stats` the running statistics normalise instead. `weight` and `bias`
    scale and shift each channel.

    Args:
        input: (N, C, L), (N, C, H, W), ...
        running_mean: (C,) or None; needed without `use_input_stats`.
        running_var: (C,) or None; given or left out together with running_mean.
        weight: (C,) or None.
        bias: (C,) or None.
        use_input_stats: normalise with each instance's own statistics (and update the
            running ones).
        momentum: the weight of the batch's statistics in the update.
        eps: added to the variance under the square root (>= 0).

    Returns:
        A tensor of the input's shape.

    Raises:
        ValueError: the input has fewer than 2 dimensions, a statistic or weight does not have
            C elements, only one of the running statistics is given, they are missing without
            `use_input_stats`, eps < 0, or one spatial position with `use_input_stats`
            ("Expected more than 1 spatial element when training", as PyTorch).
    """
    x = _as_tensor(input)
    if x.ndim < 2:
        raise ValueError(
            f"instance_norm: expected an input (N, C, ...) of at least 2 dimensions, got shape "
            f"{x.shape}"
        )
    if (running_mean is None) != (running_var is None):
        raise ValueError(
            "instance_norm: give both running_mean and running_var, or neither (got only "
            f"{'running_mean' if running_var is None else 'running_var'})"
        )
    c = x.shape[1]
    for what, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        _check_shape("instance_norm", what, t, (c,))
    eps = check_eps("instance_norm", eps)
    if use_input_stats:
        spatial = math.prod(x.shape[2:])
        if spatial == 1:
            raise ValueError(
                "instance_norm: Expected more than 1 spatial element when training, got input "
                f"of shape {x.shape}"
            )
        axes = tuple(range(2, x.ndim))
        mean = x.mean(axes, keepdim=True)
        var = x.var(axes, keepdim=True, correction=0)
        if running_mean is not None and running_var is not None:
            with no_grad():
                _update(running_mean, mean.detach().mean(0).reshape(c), momentum)
                unbiased = var.detach() * (spatial / (spatial - 1))
                _update(running_var, unbiased.mean(0).reshape(c), momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                "instance_norm: running_mean and running_var are needed when use_input_stats "
                "is False"
            )
        mean, var = running_mean.reshape(_channel_shape(x)), running_var.reshape(_channel_shape(x))
    y = (x - mean) / (var + eps).sqrt()
    return _affine(y, weight, bias)
