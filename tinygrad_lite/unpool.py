"""Max unpooling, power-average pooling and pdist, as PyTorch's `F` and `nn` have them.

All are composed of ops (`scatter`, `avg_pool2d`, powers, norms). Where PyTorch's gradient is
not the derivative of the value (unpooling with repeated indices, pdist's ∞-norm with ties), a
hook on an intermediate result gives PyTorch's.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from . import pooling, tracing
from .convolution import batched, float_input, pair_arg, single_arg, sizes_arg, unbatched
from .distances import pairwise_distance
from .module import Module
from .pooling import MaxPoolResult
from .tensor import Tensor
from .tensor_shape import constant_result

__all__ = [
    "LPPool1d",
    "LPPool2d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "lp_pool1d",
    "lp_pool2d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "pdist",
]


def max_pool2d_with_indices(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> MaxPoolResult:
    """`max_pool2d` with the indices: (values, flat positions in each H·W plane), as PyTorch's.

    `return_indices` is accepted and ignored, as in PyTorch: the indices always come back.
    """
    return pooling.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d_with_indices(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> MaxPoolResult:
    """`max_pool1d` with the indices: (values, positions along L), as PyTorch's."""
    return pooling.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _output_size(
    op: str, shape: tuple[int, ...], k: tuple[int, ...], s: tuple[int, ...], p: tuple[int, ...],
    output_size: Any,
) -> tuple[int, ...]:  # fmt: skip
    """PyTorch's unpooled sizes: (in − 1)·s + k − 2p, or `output_size` within s of them."""
    n = len(k)
    default = tuple((shape[d] - 1) * s[d] + k[d] - 2 * p[d] for d in range(n))
    sizes = default
    if output_size is not None:
        if not isinstance(output_size, (tuple, list)):
            raise TypeError(f"{op}: output_size must be a sequence of ints, got {output_size!r}")
        given = list(output_size)[2:] if len(output_size) == n + 2 else list(output_size)
        if len(given) != n or any(
            isinstance(o, bool) or not isinstance(o, (int, np.integer)) for o in given
        ):
            raise ValueError(f"{op}: output_size must hold {n} or {n + 2} ints, got "
                             f"{output_size!r}")  # fmt: skip
        for d in range(n):
            if not default[d] - s[d] < given[d] < default[d] + s[d]:
                raise ValueError(
                    f"{op}: invalid output_size {output_size!r} (dim {d} must be between "
                    f"{default[d] - s[d]} and {default[d] + s[d]}, both excluded)"
                )
        sizes = tuple(int(o) for o in given)
    for d, o in enumerate(sizes):
        if o < 0:
            raise ValueError(f"{op}: the output's size {o} along spatial dim {d} is negative")
    return sizes


def _index_array(op: str, indices: Any, shape: tuple[int, ...]) -> np.ndarray:
    """The integer indices, of the input's `shape` (refused when a compiled step makes them)."""
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if tracing.is_traced(idx):
        raise tracing.TraceError(
            f"compile: {op}'s indices are computed in the compiled step, which cannot replay "
            "where they write; unpool outside the step"
        )
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers (int64), got dtype {idx.dtype}")
    if idx.shape != shape:
        raise ValueError(f"{op}: indices of shape {idx.shape} must have the input's {shape}")
    return idx


def _unpool(op: str, x: Tensor, idx: np.ndarray, out: tuple[int, ...]) -> Tensor:
    """(N, C, *S) x written at `idx` (of x's shape) into (N, C, *out) zeros."""
    if 0 in x.shape[1:]:
        raise ValueError(f"{op}: the input needs non-empty non-batch dims, got {x.shape}")
    n, c = x.shape[:2]
    size, area = math.prod(out), math.prod(x.shape[2:])
    flat = idx.reshape(n, c, area)
    if flat.size and (flat.min() < 0 or flat.max() >= size):
        bad = flat[(flat < 0) | (flat >= size)][0]
        shown = f"length {out[0]}" if op == "max_unpool1d" else "size " + "x".join(map(str, out))
        raise IndexError(
            f"{op}: index {bad} is out of range for an output of {shown} (indices must lie in "
            f"[0, {size - 1}])"
        )
    src = x.reshape(n, c, area)
    y = Tensor(np.zeros((n, c, size), x.dtype)).scatter(2, flat, src)
    if src.requires_grad:  # every write gets its target's gradient, overwritten ones too
        keys = (np.arange(n * c)[:, None] * size + flat.reshape(n * c, area)).ravel()
        last = np.full(n * c * size, -1)
        np.maximum.at(last, keys, np.arange(keys.size))
        writer = (last[keys] % area).reshape(n, c, area)  # the write that stayed
        if np.any(writer != np.arange(area)):
            src.register_hook(lambda g: g.gather(2, constant_result(writer)))
    return y.reshape(n, c, *out)


def max_unpool2d(
    input: Any,
    indices: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """A partial inverse of `max_pool2d`: each value at its index, zeros elsewhere (PyTorch's).

    out[n, c].flat[indices[n, c, i, j]] = input[n, c, i, j]; where several indices name one
    position the last (in row-major order) stays. The output is (H − 1)·s + k − 2p high (and
    likewise wide) or `output_size`. The gradient of each input element is the output's
    gradient at its index, also for an element another one overwrote, as in PyTorch.

    Args:
        input: (N, C, H, W) or (C, H, W) floats.
        indices: integers of the input's shape, flat positions in each output plane, as
            `max_pool2d_with_indices` gives them.
        kernel_size: the pool's kernel: an int or (kh, kw).
        stride: the pool's stride (None: the kernel size).
        padding: the pool's padding.
        output_size: (OH, OW), or (N, C, OH, OW), each strictly within a stride of the
            default; None for the default.

    Raises:
        IndexError: an index outside the output plane.
        ValueError: shapes or sizes out of line.
        TypeError: non-float input or non-integer indices.
    """
    op = "max_unpool2d"
    x, single = batched(op, float_input(op, input))
    k = pair_arg(op, "kernel_size", kernel_size, 1)
    s = k if stride is None else pair_arg(op, "stride", stride, 1)
    p = pair_arg(op, "padding", padding, 0)
    oh, ow = _output_size(op, x.shape[2:], k, s, p, output_size)
    idx = _index_array(op, indices, x.shape[1:] if single else x.shape)
    return unbatched(_unpool(op, x, idx[None] if single else idx, (oh, ow)), single)


def max_unpool1d(
    input: Any,
    indices: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """A partial inverse of `max_pool1d` on (N, C, L) or (C, L): see `max_unpool2d`.

    The output's length is (L − 1)·s + k − 2p, or `output_size` ((OL,) or (N, C, OL)).
    """
    op = "max_unpool1d"
    x = float_input(op, input)
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected an input of shape (N, C, L) or (C, L), got {x.shape}")
    k = single_arg(op, "kernel_size", kernel_size, 1)
    s = k if stride is None else single_arg(op, "stride", stride, 1)
    p = single_arg(op, "padding", padding, 0)
    (length,) = _output_size(op, x.shape[-1:], (k,), (s,), (p,), output_size)
    single = x.ndim == 2
    xb = (x.unsqueeze(0) if single else x).unsqueeze(-1)
    idx = _index_array(op, indices, x.shape)[..., None]
    return unbatched(_unpool(op, xb, idx[None] if single else idx, (length, 1)).squeeze(-1), single)


def _norm_type(op: str, norm_type: Any) -> float:
    if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real):
        raise TypeError(f"{op}: norm_type must be a real number, got {norm_type!r}")
    if norm_type == 0:
        raise ValueError(f"{op}: norm_type must not be 0 (the result is x^(1/p))")
    return float(norm_type)


def _lp(x: Tensor, p: float, pooled: Any, count: int) -> Tensor:
    """PyTorch's steps: sign(a)·relu(|a|)·count, to the power 1/p, for a = pooled(xᵖ)."""
    if math.isinf(p):  # the maximum of |x| (or the minimum, for −∞)
        return pooled(x.abs()) if p > 0 else -pooled(-x.abs())
    a = pooled(x.pow(p), avg=True)
    z = a.sign() * a.abs().relu() * count
    if p < 0:
        return z.pow(1.0 / p)  # ∞ where z = 0
    # 0^(1/p) = 0; its gradient, ∞·0 in PyTorch, ends at relu's 0: masked, it is 0 directly
    nonzero = z != 0
    return z.where(nonzero, 1.0).pow(1.0 / p).where(nonzero, 0.0)


def lp_pool2d(
    input: Any, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """Power-average pooling, (Σ_window xᵖ)^(1/p), computed as PyTorch's `lp_pool2d`.

    PyTorch's formula: a = avg_pool2d(xᵖ) (no padding), then (sign(a)·relu(|a|)·kh·kw)^(1/p).
    Its values and gradients are PyTorch's, at zero too: where a = 0 the gradient is 0, and
    where x = 0 it is p·0^(p−1) times the incoming one (NaN for p < 1 inside a window whose
    a = 0). A ceil_mode window past the input is averaged over its elements inside and still
    multiplied by kh·kw, as PyTorch's. p = ∞ is the max pool of |x| (−∞: the min).

    Args:
        input: (N, C, H, W) or (C, H, W) floats.
        norm_type: p, a nonzero number or ±inf.
        kernel_size: an int or (kh, kw).
        stride: the step between windows (None: the kernel size).
        ceil_mode: count the windows with ⌈·⌉ (see `pooling.avg_pool2d`).
    """
    op = "lp_pool2d"
    x, p = float_input(op, input), _norm_type(op, norm_type)
    k = pair_arg(op, "kernel_size", kernel_size, 1)

    def pooled(t: Tensor, avg: bool = False) -> Tensor:
        if avg:
            return pooling.avg_pool2d(t, kernel_size, stride, 0, ceil_mode)
        return pooling.max_pool2d(t, kernel_size, stride, 0, 1, ceil_mode)

    return _lp(x, p, pooled, k[0] * k[1])


def lp_pool1d(
    input: Any, norm_type: float, kernel_size: int, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """Power-average pooling along L, as PyTorch's `lp_pool1d` (see `lp_pool2d`).

    (sign(a)·relu(|a|)·k)^(1/p) for a = avg_pool1d(xᵖ), on (N, C, L) or (C, L) input.
    """
    op = "lp_pool1d"
    x, p = float_input(op, input), _norm_type(op, norm_type)
    k = single_arg(op, "kernel_size", kernel_size, 1)

    def pooled(t: Tensor, avg: bool = False) -> Tensor:
        if avg:
            return pooling.avg_pool1d(t, kernel_size, stride, 0, ceil_mode)
        return pooling.max_pool1d(t, kernel_size, stride, 0, 1, ceil_mode)

    return _lp(x, p, pooled, k)


def pdist(input: Any, p: float = 2.0) -> Tensor:
    """The p-norm distance of every pair of rows i < j, in row-major order, as PyTorch's pdist.

    For (N, M) input, N(N − 1)/2 distances ‖xᵢ − xⱼ‖_p: p = 0 counts the differing
    elements, p = ∞ is the largest |difference|, others (Σ |xᵢ − xⱼ|ᵖ)^(1/p). The gradient is
    PyTorch's: 0 for a pair at distance 0 and for an element difference of 0, 0 for p = 0,
    and for p = ∞ sign(difference) at every element that attains the maximum (ties each get
    all of it).

    Raises:
        ValueError: an input that is not 2-D, or p < 0 (or NaN).
        TypeError: a non-float input, or p not a real number.
    """
    op = "pdist"
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim != 2:
        raise ValueError(f"{op}: needs a 2-D input (N, M), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating-point input, got dtype {x.dtype}")
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{op}: p must be a real number, got {p!r}")
    if not p >= 0:
        raise ValueError(f"{op}: p must be >= 0 (or inf), got {p}")
    i, j = np.triu_indices(x.shape[0], 1)
    a, b = x[i], x[j]
    if p == 0 or x.shape[1] == 0 or (p == np.inf and not i.size):
        d = (a - b).abs()
        counted = np.minimum(np.ceil(d.data), 1.0).sum(-1) if p == 0 else np.zeros(i.size)
        none = constant_result(np.zeros(d.shape, bool))  # in the graph, with no gradient
        return d.where(none, 0.0).sum(-1) + counted.astype(x.dtype)
    if p != np.inf:
        return pairwise_distance(a, b, float(p), 0.0)
    d = (a - b).abs()
    first = np.argmax(d.data, axis=-1)[:, None]  # the first maximum, or the first NaN
    ties = constant_result(d.data == np.take_along_axis(d.data, first, axis=-1))
    pick = constant_result(first)
    if d.requires_grad:
        d.register_hook(lambda g: g.gather(-1, pick).expand(*g.shape).where(ties, 0.0))
    return d.gather(-1, pick).squeeze(-1)


class MaxUnpool2d(Module):
    """The partial inverse of `MaxPool2d` (see `max_unpool2d`), as PyTorch's `nn.MaxUnpool2d`.

    Args:
        kernel_size: the pool's kernel: an int or (kh, kw).
        stride: the pool's stride (None: the kernel size).
        padding: the pool's padding.
    """

    _dims = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        owner, n = type(self).__name__, self._dims
        self.kernel_size = sizes_arg(owner, "kernel_size", kernel_size, 1, n)
        given = kernel_size if stride is None else stride
        self.stride = sizes_arg(owner, "stride", given, 1, n)
        self.padding = sizes_arg(owner, "padding", padding, 0, n)

    def forward(self, input: Any, indices: Any, output_size: Any = None) -> Tensor:
        """Return the unpooled input (`output_size` as in `max_unpool2d`)."""
        if self._dims == 1:
            return max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding,
                                output_size)  # fmt: skip
        return max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                            output_size)  # fmt: skip

    def extra_repr(self) -> str:
        """Return the settings, as PyTorch shows them."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(MaxUnpool2d):
    """The partial inverse of `MaxPool1d` (see `max_unpool1d`), as PyTorch's `nn.MaxUnpool1d`.

    Args: as `MaxUnpool2d`'s, one int each.
    """

    _dims = 1


class LPPool2d(Module):
    """Power-average pooling (see `lp_pool2d`), as PyTorch's `nn.LPPool2d`.

    Args:
        norm_type: p, a nonzero number or ±inf.
        kernel_size: an int or (kh, kw).
        stride: the step between windows (None: the kernel size).
        ceil_mode: count the windows with ⌈·⌉.
    """

    _dims = 2

    def __init__(
        self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
    ) -> None:
        super().__init__()
        owner, n = type(self).__name__, self._dims
        _norm_type(owner, norm_type)
        sizes_arg(owner, "kernel_size", kernel_size, 1, n)
        if stride is not None:
            sizes_arg(owner, "stride", stride, 1, n)
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input: Any) -> Tensor:
        """Return the pooled input."""
        pool = lp_pool2d if self._dims == 2 else lp_pool1d
        return pool(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        """Return the settings as given, as PyTorch shows them."""
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"ceil_mode={self.ceil_mode}"
        )


class LPPool1d(LPPool2d):
    """Power-average pooling along L (see `lp_pool1d`), as PyTorch's `nn.LPPool1d`.

    Args: as `LPPool2d`'s, one int each.
    """

    _dims = 1
