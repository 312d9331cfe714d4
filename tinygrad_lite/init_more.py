"""More initialisers (nn.init): orthogonal, truncated normal, identity, Dirac and sparse.

They are reached as `nn.init.orthogonal_`, ... (the module `init` imports them), and this
module also holds the argument checks and the in-place fill that every initialiser shares.
Random draws come from the generator given, a fresh `numpy.random.default_rng(seed)`, or the
library's default generator (`tinygrad_lite.manual_seed`): the same distributions as PyTorch,
never PyTorch's numbers.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, TypeVar

import numpy as np

from . import tracing
from .rng import generator as make_generator
from .tensor import Tensor
from .written import mark

__all__ = ["dirac_", "eye_", "orthogonal_", "sparse_", "trunc_normal_"]

T = TypeVar("T", bound=Tensor)
Generator = np.random.Generator | np.random.RandomState


# ------------------------------------------------------------------ shared checks


def _tensor(func: str, tensor: Any) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{func}: expected a Tensor, got {type(tensor).__name__}")
    return tensor


def _fill(func: str, tensor: T, values: Any) -> T:
    """Write `values` into the tensor's array in place and stamp it as changed."""
    if tracing.current is not None and tracing.current.active():
        raise tracing.TraceError(
            f"compile: {func} inside a compiled step would not be replayed; initialise the "
            "parameters before compiling the step"
        )
    data = tensor.data
    if not data.flags.writeable:
        raise ValueError(f"{func}: the tensor (shape {data.shape}) has a read-only array")
    np.copyto(data, values, casting="same_kind")
    mark(tensor)
    return tensor


def _float(func: str, tensor: Tensor) -> None:
    if tensor.data.dtype.kind != "f":
        raise TypeError(f"{func}: needs a floating-point tensor, got dtype {tensor.data.dtype}")


def _rng(func: str, generator: Any, seed: Any) -> Generator:
    if generator is not None and seed is not None:
        raise ValueError(f"{func}: give generator= or seed=, not both")
    if generator is None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"{func}: seed must be an int, got {seed!r}")
        return make_generator(seed)  # None: the default generator (manual_seed)
    if not isinstance(generator, (np.random.Generator, np.random.RandomState)):
        raise TypeError(
            f"{func}: generator must be a numpy.random.Generator or RandomState, got "
            f"{type(generator).__name__}"
        )
    return generator


def _number(func: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{func}: {name} must be a number, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{func}: {name} must be finite, got {x}")
    return x


def _normal(func: str, tensor: T, mean: float, std: float, generator: Any, seed: Any) -> T:
    _tensor(func, tensor)
    _float(func, tensor)
    mean, std = _number(func, "mean", mean), _number(func, "std", std)
    if std < 0:
        raise ValueError(f"{func}: std must be >= 0, got {std}")
    rng = _rng(func, generator, seed)
    draws = rng.standard_normal(tensor.data.shape) * std
    return _fill(func, tensor, draws + mean if mean != 0 else draws)


def _ndim(func: str, tensor: Tensor, allowed: tuple[int, ...], what: str) -> None:
    if tensor.ndim not in allowed:
        raise ValueError(
            f"{func}: only tensors with {what} are supported, got shape {tensor.shape}"
        )


# ------------------------------------------------------------------ the initialisers


def orthogonal_(
    tensor: T, gain: float = 1.0, generator: Generator | None = None, seed: int | None = None
) -> T:
    """Fill the tensor with a (semi-)orthogonal matrix times `gain`, in place, as PyTorch.

    The tensor is seen as a (rows, cols) matrix, rows = its first dimension and cols the
    product of the others. A standard normal matrix A (its transpose when rows < cols) is
    factored A = QR, and Q's columns are multiplied by sign(diag R), which makes Q uniformly
    distributed over the orthogonal matrices (Haar measure). The result Q (transposed back)
    has orthonormal rows when rows <= cols (W Wᵀ = I) and orthonormal columns otherwise
    (Wᵀ W = I), then is scaled by `gain` (Saxe et al., 2013).

    Args:
        tensor: a floating-point tensor of at least 2 dimensions.
        gain: the scale factor.
        generator: a `numpy.random.Generator` or `RandomState` to draw from.
        seed: instead of `generator`, the seed of a fresh `numpy.random.default_rng`.

    Raises:
        ValueError: fewer than 2 dimensions, a non-finite gain, or both generator and seed.
        TypeError: not a floating-point Tensor.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import nn
        >>> W = nn.init.orthogonal_(nn.Parameter(np.empty((3, 5))), seed=0)
        >>> bool(np.allclose(W.data @ W.data.T, np.eye(3)))
        True
    """
    func = "orthogonal_"
    _tensor(func, tensor)
    if tensor.ndim < 2:
        raise ValueError(
            f"{func}: only tensors with 2 or more dimensions are supported, got shape "
            f"{tensor.shape}"
        )
    _float(func, tensor)
    g = _number(func, "gain", gain)
    rng = _rng(func, generator, seed)
    if tensor.data.size == 0:
        return tensor  # nothing to fill, as PyTorch
    rows = tensor.shape[0]
    cols = tensor.data.size // rows
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diagonal(r))  # each column's sign: the Haar measure
    if rows < cols:
        q = q.T
    return _fill(func, tensor, (q * g).reshape(tensor.shape))


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(
    tensor: T,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
    seed: int | None = None,
) -> T:
    """Fill the tensor with draws from N(mean, std²) truncated to [a, b], in place.

    The density is φ((x − mean)/std) / (std·(Φ((b − mean)/std) − Φ((a − mean)/std))) on
    [a, b] and 0 outside, as PyTorch's. Sampled as PyTorch does: when the interval holds more
    than 30% of the normal's mass, normal draws outside [a, b] are drawn again; otherwise
    uniform proposals x on [a, b] are accepted with probability exp(−½((x − mean)/std)² −
    log_peak), the density relative to its largest value on [a, b]. Both are exact. The bounds
    hold after rounding to the tensor's dtype too. A `mean` more than 2 std outside [a, b] is
    warned about, as PyTorch does.

    Args:
        tensor: a floating-point tensor.
        mean: the mean of the normal distribution.
        std: its standard deviation, > 0.
        a: the lower bound.
        b: the upper bound, >= a (a == b fills with a).
        generator: a `numpy.random.Generator` or `RandomState`.
        seed: instead of `generator`, the seed of a fresh `numpy.random.default_rng`.

    Raises:
        ValueError: std <= 0, a > b, a non-finite argument, or both generator and seed.
        TypeError: not a floating-point Tensor.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import nn
        >>> w = nn.init.trunc_normal_(nn.Parameter(np.empty(1000)), std=2.0, a=-1, b=1, seed=0)
        >>> bool(w.data.min() >= -1 and w.data.max() <= 1)
        True
    """
    func = "trunc_normal_"
    _tensor(func, tensor)
    _float(func, tensor)
    mean, std = _number(func, "mean", mean), _number(func, "std", std)
    a, b = _number(func, "a", a), _number(func, "b", b)
    if not std > 0:
        raise ValueError(f"{func}: std must be > 0, got {std}")
    if a > b:
        raise ValueError(f"{func}: the bounds must satisfy a <= b, got a={a}, b={b}")
    rng = _rng(func, generator, seed)
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            f"{func}: mean {mean} is more than 2 std from [{a}, {b}]; the distribution of "
            "the values may be incorrect",
            stacklevel=2,
        )
    shape = tensor.data.shape
    dtype = tensor.data.dtype
    if a == b:
        return _fill(func, tensor, np.full(shape, a))
    if _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std) > 0.3:
        lo, hi = float(dtype.type(a)), float(dtype.type(b))  # the bounds as the dtype has them
        out = rng.standard_normal(shape) * std + mean
        bad = (out.astype(dtype) < lo) | (out.astype(dtype) > hi)
        while bad.any():
            redraw = rng.standard_normal(int(bad.sum())) * std + mean
            out[bad] = redraw
            bad[bad] = (redraw.astype(dtype) < lo) | (redraw.astype(dtype) > hi)
        return _fill(func, tensor, out)
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2
    out = rng.uniform(a, b, shape)
    pending = np.log(rng.uniform(0.0, 1.0, shape)) > -0.5 * ((out - mean) / std) ** 2 - log_peak
    while pending.any():
        n = int(pending.sum())
        proposal = rng.uniform(a, b, n)
        out[pending] = proposal
        rejected = np.log(rng.uniform(0.0, 1.0, n)) > (
            -0.5 * ((proposal - mean) / std) ** 2 - log_peak
        )
        pending[pending] = rejected
    return _fill(func, tensor, out)


def eye_(tensor: T) -> T:
    """Fill a 2-D tensor with the identity: W[i, j] = 1 if i == j else 0, in place.

    As PyTorch's: a (rows, cols) tensor gets `eye(rows, cols)`, so a `Linear` layer with this
    weight passes through as many of its inputs as it can. Any dtype.

    Raises:
        ValueError: the tensor is not 2-dimensional.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import Tensor, nn
        >>> nn.init.eye_(Tensor(np.empty((2, 3))))
        Tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    func = "eye_"
    _tensor(func, tensor)
    _ndim(func, tensor, (2,), "2 dimensions")
    return _fill(func, tensor, np.eye(*tensor.shape, dtype=tensor.data.dtype))


def dirac_(tensor: T, groups: int = 1) -> T:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta, in place, as PyTorch.

    The weight has shape (out, in, *kernel) and is seen as `groups` blocks of out/groups output
    channels. In block g, W[g·(out/groups) + d, d, centre] = 1 for d < min(out/groups, in), where
    centre is (k // 2) in each kernel dimension of size k; every other entry is 0. A
    convolution with this weight (and no bias, stride 1, padding (k − 1)/2 for odd k) copies
    its first input channels of each group to its output. Any dtype.

    Args:
        tensor: a tensor of 3 (Conv1d), 4 (Conv2d) or 5 dimensions.
        groups: the convolution's number of groups, which must divide out.

    Raises:
        ValueError: another number of dimensions, or groups < 1 or not dividing out.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import Tensor, nn
        >>> nn.init.dirac_(Tensor(np.empty((2, 2, 3)))).data[:, :, 1]
        array([[1., 0.],
               [0., 1.]])
    """
    func = "dirac_"
    _tensor(func, tensor)
    _ndim(func, tensor, (3, 4, 5), "3, 4, or 5 dimensions")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{func}: groups must be an int >= 1, got {groups!r}")
    out_channels, in_channels = tensor.shape[:2]
    if out_channels % groups:
        raise ValueError(
            f"{func}: dim 0 must be divisible by groups, got size {out_channels} and "
            f"groups={groups}"
        )
    per_group = out_channels // groups
    values = np.zeros(tensor.shape, dtype=tensor.data.dtype)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, in_channels)):
            values[(g * per_group + d, d) + centre] = 1
    return _fill(func, tensor, values)


def sparse_(
    tensor: T,
    sparsity: float,
    std: float = 0.01,
    generator: Generator | None = None,
    seed: int | None = None,
) -> T:
    """Fill a 2-D tensor as a sparse matrix, in place: N(0, std²) draws, some zeroed per column.

    As PyTorch's (Martens, 2010): every entry is drawn from N(0, std²), then in each column
    ⌈sparsity·rows⌉ entries, at rows chosen uniformly at random without replacement, are set
    to 0.

    Args:
        tensor: a 2-dimensional floating-point tensor.
        sparsity: the fraction of each column's entries set to zero, in [0, 1].
        std: the standard deviation of the nonzero entries, >= 0.
        generator: a `numpy.random.Generator` or `RandomState`, for both the values and the
            rows zeroed.
        seed: instead of `generator`, the seed of a fresh `numpy.random.default_rng`.

    Raises:
        ValueError: not 2-dimensional, sparsity outside [0, 1], std < 0, or as `normal_`.
        TypeError: not a floating-point Tensor.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import nn
        >>> W = nn.init.sparse_(nn.Parameter(np.empty((10, 3))), sparsity=0.25, seed=0)
        >>> (W.data == 0).sum(axis=0)  # ⌈0.25·10⌉ zeros in each column
        array([3, 3, 3])
    """
    func = "sparse_"
    _tensor(func, tensor)
    _ndim(func, tensor, (2,), "2 dimensions")
    _float(func, tensor)
    s = _number(func, "sparsity", sparsity)
    if not 0 <= s <= 1:
        raise ValueError(f"{func}: sparsity must be in [0, 1], got {s}")
    std = _number(func, "std", std)
    if std < 0:
        raise ValueError(f"{func}: std must be >= 0, got {std}")
    rng = _rng(func, generator, seed)
    rows, cols = tensor.shape
    values = rng.standard_normal((rows, cols)) * std
    zeros = math.ceil(s * rows)
    for col in range(cols):
        values[rng.permutation(rows)[:zeros], col] = 0.0
    return _fill(func, tensor, values)
