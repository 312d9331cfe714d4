"""Fractional max pooling: PyTorch's `F.fractional_max_pool2d/3d` and `nn.FractionalMaxPool2d/3d`.

Fractional max pooling (Graham, 2014) takes the maximum over k-wide windows whose starts step
by a non-integer α = (in − k)/(out − 1) on average: from a sample u ∈ [0, 1) per plane and
dimension, window i starts at ⌊(i + u)·α⌋ − ⌊u·α⌋ and the last one at in − k, PyTorch's
sequence, computed with its arithmetic in the input's dtype so that the same samples give the
same windows. The maximum of each window is picked as PyTorch picks it (the first maximum, or
the last NaN) and taken with `gather`, so the gradient goes to the chosen element and
gradients of every order come from the ops. Without `_random_samples` the samples are drawn
from the library's default generator (`tinygrad_lite.manual_seed` makes them reproducible).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .convolution import float_input, sizes_arg
from .module import Module
from .pooling import MaxPoolResult, max_pick
from .rng import default_generator
from .tensor import Tensor
from .tensor_shape import constant_result

__all__ = [
    "FractionalMaxPool2d",
    "FractionalMaxPool3d",
    "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
    "fractional_starts",
]

_WHAT = {2: ("height", "width"), 3: ("time", "height", "width")}
_SHAPE = {2: "(N, C, H, W) or (C, H, W)", 3: "(N, C, T, H, W) or (C, T, H, W)"}
# which of a plane's samples each spatial dimension uses, as ATen reads them: (W, H) in 2-D
_SAMPLE_OF = {2: (1, 0), 3: (0, 1, 2)}


def fractional_starts(
    samples: np.ndarray, size: int, out: int, kernel: int, op: str = "fractional_starts"
) -> np.ndarray:
    """The windows' first positions along a dimension, PyTorch's sequence, for each sample.

    With α = (size − kernel)/(out − 1), start i = trunc((i + u)·α) − trunc(u·α) for i < out − 1
    and start out − 1 = size − kernel, computed in the samples' dtype as ATen does (float32
    samples give float32 products, so the same samples give PyTorch's windows).

    Args:
        samples: u, any shape, a floating dtype.
        size: the input's size along the dimension.
        out: the number of windows (>= 0).
        kernel: the window's width (<= size − out + 1).
        op: the name shown in errors.

    Returns:
        int64 array of shape samples.shape + (out,).

    Raises:
        ValueError: samples that are not finite or so large that the products leave the range
            of a 32-bit int (where ATen's conversion is undefined).
    """
    u = np.asarray(samples)
    starts = np.empty(u.shape + (out,), np.int64)
    if out > 1:
        real = u.dtype.type
        alpha = real(size - kernel) / real(out - 1)
        ends = np.trunc((np.arange(out - 1).astype(u.dtype) + u[..., None]) * alpha)
        first = np.trunc(u * alpha)[..., None]
        if not (np.all(np.abs(ends) < 2**31) and np.all(np.abs(first) < 2**31)):
            raise ValueError(
                f"{op}: _random_samples must be finite and small enough for "
                f"(i + u)·α to fit a 32-bit int (α = {float(alpha)}), got values in "
                f"[{np.min(u)}, {np.max(u)}]"
            )
        starts[..., :-1] = ends.astype(np.int64) - first.astype(np.int64)
    if out > 0:
        starts[..., -1] = size - kernel
    return starts


def _output_sizes(
    op: str, output_size: Any, output_ratio: Any, size: Sequence[int], dims: int
) -> tuple[int, ...]:
    """`output_size` (ints >= 0), or ⌊in · ratio⌋ per dimension from `output_ratio` (Python's)."""
    if output_size is not None:
        return sizes_arg(op, "output_size", output_size, 0, dims)
    if output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    ratios = _ratios(op, output_ratio, dims)
    sizes = tuple(int(s * r) for s, r in zip(size, ratios, strict=True))
    if any(o < 0 for o in sizes):
        raise ValueError(f"{op}: output_ratio {output_ratio!r} gives a negative size {sizes}")
    return sizes


def _ratios(op: str, output_ratio: Any, dims: int) -> tuple[float, ...]:
    """A number or `dims` numbers, each finite, as a tuple."""
    if isinstance(output_ratio, numbers.Real) and not isinstance(output_ratio, bool):
        ratios: Sequence[Any] = (output_ratio,) * dims
    elif isinstance(output_ratio, (tuple, list)):
        ratios = output_ratio
    else:
        raise TypeError(f"{op}: output_ratio must be a number or {dims} numbers, got "
                        f"{output_ratio!r}")  # fmt: skip
    if len(ratios) != dims or any(
        isinstance(r, bool) or not isinstance(r, numbers.Real) or not math.isfinite(r)
        for r in ratios
    ):
        raise ValueError(f"{op}: output_ratio must be a number or {dims} finite numbers, got "
                         f"{output_ratio!r}")  # fmt: skip
    return tuple(ratios)


def _samples(op: str, samples: Any, n: int, c: int, dims: int, dtype: np.dtype) -> np.ndarray:
    """(n, c, dims) samples: the first n of `_random_samples`, checked, or fresh ones in [0, 1)."""
    if samples is None:
        return default_generator.random((n, c, dims)).astype(dtype)
    u = samples.data if isinstance(samples, Tensor) else np.asarray(samples)
    if u.ndim != 3:
        raise ValueError(f"{op}: _random_samples must have 3 dimensions (N, C, {dims}), got "
                         f"shape {u.shape}")  # fmt: skip
    if u.dtype != dtype:
        raise TypeError(f"{op}: _random_samples must have the input's dtype {dtype}, got {u.dtype}")
    if u.shape[0] < n or u.shape[1] != c or u.shape[2] != dims:
        raise ValueError(
            f"{op}: _random_samples must be (N, C, {dims}) = ({n}, {c}, {dims}) (or have more "
            f"rows), got {u.shape}"
        )
    return np.asarray(u[:n])


def _fractional(
    op: str,
    dims: int,
    input: Any,
    kernel_size: Any,
    output_size: Any,
    output_ratio: Any,
    samples: Any,
) -> MaxPoolResult:
    """The pooled values and their flat positions in each plane (or volume), for `dims` 2 or 3."""
    x = float_input(op, input)
    if x.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{op}: expected an input of shape {_SHAPE[dims]}, got {x.shape}")
    single = x.ndim == dims + 1
    xb = x.unsqueeze(0) if single else x
    if 0 in xb.shape[1:]:
        raise ValueError(f"{op}: the input needs non-empty non-batch dimensions, got {x.shape}")
    n, c, *size = xb.shape
    k = sizes_arg(op, "kernel_size", kernel_size, 1, dims)
    out = _output_sizes(op, output_size, output_ratio, size, dims)
    for s, kj, o, what in zip(size, k, out, _WHAT[dims], strict=True):
        # PyTorch's 3-D pool wants one more element than its 2-D one
        if o + kj - 1 > s or (dims == 3 and o + kj - 1 == s):
            need = "<=" if dims == 2 else "<"
            raise ValueError(
                f"{op}: a pool {what} of {kj} is too large for an output {what} of {o} from an "
                f"input {what} of {s} (needs output + kernel − 1 {need} input)"
            )
    u = _samples(op, samples, n, c, dims, x.dtype)
    # flat positions (n, c, *out, *k): each window's entries, row-major in both
    flat = np.zeros((n, c) + (1,) * (2 * dims), np.int64)
    for j in range(dims):
        start = fractional_starts(u[:, :, _SAMPLE_OF[dims][j]], size[j], out[j], k[j], op)
        shape = [n, c] + [1] * (2 * dims)
        shape[2 + j], shape[2 + dims + j] = out[j], k[j]
        pos = start[:, :, :, None] + np.arange(k[j])  # (n, c, out_j, k_j)
        flat = flat * size[j] + pos.reshape(shape)
    length, count = math.prod(out), math.prod(k)
    flat = flat.reshape(n, c, length, count)
    xf = xb.reshape(n, c, math.prod(size))
    entries = np.take_along_axis(xf.data, flat.reshape(n, c, length * count), axis=2)
    pick = max_pick(entries.reshape(n, c, length, count), np.ones(count, bool))
    index = np.take_along_axis(flat, pick[..., None], axis=3)[..., 0]  # (n, c, L)
    values = xf.gather(2, constant_result(index)).reshape(n, c, *out)
    indices = constant_result(index.reshape(n, c, *out))
    if single:
        return MaxPoolResult(values.squeeze(0), indices.squeeze(0))
    return MaxPoolResult(values, indices)


def fractional_max_pool2d(
    input: Tensor | np.ndarray,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Any = None,
) -> Any:
    """2-D fractional max pooling, as PyTorch's `F.fractional_max_pool2d`.

    y[n, c, i, j] = max of x[n, c, rᵢ : rᵢ + kh, qⱼ : qⱼ + kw], the rows r and columns q
    starting where `fractional_starts` puts them (rows from the plane's sample 1, columns from
    sample 0, as ATen); the gradient goes to the element picked (the first maximum in
    row-major order, or the last NaN).

    Args:
        input: (N, C, H, W), or (C, H, W) for one example.
        kernel_size: an int or (kh, kw), each >= 1.
        output_size: an int or (OH, OW), each >= 0 with OH + kh − 1 <= H (likewise OW).
        output_ratio: used when `output_size` is None: a number or two, the output being
            ⌊H · ratio⌋ by ⌊W · ratio⌋.
        return_indices: also return each maximum's flat position in its H·W plane.
        _random_samples: (N', C, 2) samples u of the input's dtype, N' >= N (the first N are
            used); None draws them uniformly from [0, 1) with the library's default generator.

    Returns:
        (N, C, OH, OW); with `return_indices`, a `MaxPoolResult` (values, int64 indices).

    Raises:
        ValueError: shapes or sizes out of range, neither output_size nor output_ratio, or
            samples of the wrong shape or not finite.
        TypeError: a non-floating input, samples of another dtype, or sizes that are not ints.
    """
    op = "fractional_max_pool2d"
    result = _fractional(op, 2, input, kernel_size, output_size, output_ratio, _random_samples)
    return result if return_indices else result.values


def fractional_max_pool3d(
    input: Tensor | np.ndarray,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Any = None,
) -> Any:
    """3-D fractional max pooling, as PyTorch's `F.fractional_max_pool3d`.

    y[n, c, t, i, j] = max of x[n, c, aₜ : aₜ + kt, rᵢ : rᵢ + kh, qⱼ : qⱼ + kw], each
    dimension's starts from `fractional_starts` with the plane's samples 0, 1 and 2 for T, H
    and W; the gradient goes to the element picked (the first maximum, or the last NaN).

    Args:
        input: (N, C, T, H, W), or (C, T, H, W) for one example.
        kernel_size: an int or (kt, kh, kw), each >= 1.
        output_size: an int or (OT, OH, OW), each >= 0 with OT + kt − 1 <= T (and so on).
        output_ratio: used when `output_size` is None: a number or three, the output being
            ⌊T · ratio⌋ by ⌊H · ratio⌋ by ⌊W · ratio⌋.
        return_indices: also return each maximum's flat position in its T·H·W volume.
        _random_samples: (N', C, 3) samples of the input's dtype, N' >= N; None draws them
            uniformly from [0, 1) with the library's default generator.

    Returns:
        (N, C, OT, OH, OW); with `return_indices`, a `MaxPoolResult` (values, indices).

    Raises:
        ValueError: shapes or sizes out of range, neither output_size nor output_ratio, or
            samples of the wrong shape or not finite.
        TypeError: a non-floating input, samples of another dtype, or sizes that are not ints.
    """
    op = "fractional_max_pool3d"
    result = _fractional(op, 3, input, kernel_size, output_size, output_ratio, _random_samples)
    return result if return_indices else result.values


def fractional_max_pool2d_with_indices(
    input: Tensor | np.ndarray,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Any = None,
) -> MaxPoolResult:
    """`fractional_max_pool2d` with the indices, always (`return_indices` is ignored)."""
    op = "fractional_max_pool2d"
    return _fractional(op, 2, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool3d_with_indices(
    input: Tensor | np.ndarray,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Any = None,
) -> MaxPoolResult:
    """`fractional_max_pool3d` with the indices, always (`return_indices` is ignored)."""
    op = "fractional_max_pool3d"
    return _fractional(op, 3, input, kernel_size, output_size, output_ratio, _random_samples)


class FractionalMaxPool2d(Module):
    """2-D fractional max pooling (see `fractional_max_pool2d`), as `nn.FractionalMaxPool2d`.

    Exactly one of `output_size` and `output_ratio` is given. `_random_samples`, if given, is
    a buffer (in the state dict) used by every call; otherwise each call draws new samples.

    Args:
        kernel_size: an int or (kh, kw), each >= 1.
        output_size: an int or (OH, OW).
        output_ratio: a number or two, each strictly between 0 and 1.
        return_indices: also return each maximum's flat position in its plane.
        _random_samples: a Tensor or array (N, C, 2) of the input's dtype, or None.
    """

    _dims = 2

    def __init__(
        self,
        kernel_size: Any,
        output_size: Any = None,
        output_ratio: Any = None,
        return_indices: bool = False,
        _random_samples: Tensor | None = None,
    ) -> None:
        super().__init__()
        owner, n = type(self).__name__, self._dims
        self.kernel_size = sizes_arg(owner, "kernel_size", kernel_size, 1, n)
        self.return_indices = return_indices
        if isinstance(_random_samples, np.ndarray):
            _random_samples = Tensor(_random_samples)
        self.register_buffer("_random_samples", _random_samples)
        if output_size is None and output_ratio is None:
            raise ValueError(
                f"{owner} requires specifying either an output size, or a pooling ratio"
            )
        if output_size is not None and output_ratio is not None:
            raise ValueError(f"{owner}: only one of output_size and output_ratio may be specified")
        self.output_size: tuple[int, ...] | None = None
        self.output_ratio: tuple[float, ...] | None = None
        if output_size is not None:
            self.output_size = sizes_arg(owner, "output_size", output_size, 0, n)
        else:
            self.output_ratio = _ratios(owner, output_ratio, n)
            if not all(0 < r < 1 for r in self.output_ratio):
                raise ValueError(f"{owner}: output_ratio must be between 0 and 1 (got "
                                 f"{output_ratio!r})")  # fmt: skip

    def forward(self, input: Tensor | np.ndarray) -> Any:
        """Return the pooled input (and the indices, with `return_indices`)."""
        pool = fractional_max_pool2d if self._dims == 2 else fractional_max_pool3d
        return pool(
            input,
            self.kernel_size,
            self.output_size,
            self.output_ratio,
            self.return_indices,
            _random_samples=self._random_samples,
        )


class FractionalMaxPool3d(FractionalMaxPool2d):
    """3-D fractional max pooling (see `fractional_max_pool3d`), as `nn.FractionalMaxPool3d`.

    Args: as `FractionalMaxPool2d`'s, with three sizes or ratios, and samples (N, C, 3).
    """

    _dims = 3
