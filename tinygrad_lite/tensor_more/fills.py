"""Fills of a Tensor: fill_diagonal_, the random fills (bernoulli_, exponential_, ...), multinomial.

`fill_diagonal_` writes a number on the main diagonal in place, with `tensor_inplace`'s rules.
The random fills draw from the library's generator (or `generator`), like `uniform_` and
`normal_`, into float tensors, from PyTorch's distributions with its parameters; `bernoulli`
and `multinomial` draw new tensors. PyTorch's generator draws other numbers: the
distributions are the same, the samples are not. A compiled step draws afresh on every
replay.

>>> from tinygrad_lite import zeros, manual_seed
>>> _ = manual_seed(0)
>>> x = zeros(4).exponential_(2.0)
>>> bool((x.data >= 0).all())
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes, rng, tracing
from ..tensor_shape import array_of, constant_result

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["TensorFillMethods"]


def _probability(p: Any, op: str) -> Any:
    values = array_of(p)
    if values.size and not (np.all(values >= 0) and np.all(values <= 1)):
        raise ValueError(f"{op}: probabilities must lie in [0, 1], got {p!r}")
    return values


def _rows_drawn(weights: np.ndarray, k: int, replace: bool, g: np.random.Generator) -> Any:
    """K category indices per row of `weights`, drawn in proportion to them."""
    if replace:  # the inverse of each row's cumulative distribution at uniform draws
        cdf = np.cumsum(weights, axis=1)
        cdf /= cdf[:, -1:]
        u = g.random((weights.shape[0], k))
        picked = np.stack([np.searchsorted(c, r, "right") for c, r in zip(cdf, u, strict=True)])
        last = weights.shape[1] - 1 - np.argmax(weights[:, ::-1] > 0, axis=1)
        return np.minimum(picked, last[:, None])
    # without replacement: the order in which exponential clocks of rates w ring
    with np.errstate(divide="ignore"):
        keys = g.exponential(size=weights.shape) / weights
    return np.argsort(keys, axis=1, kind="stable")[:, :k]


class TensorFillMethods:
    """Fills and random draws of `Tensor` (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def _in_place(self, what: str, op: Any, other: Any, ufunc: Any = None) -> Tensor: ...

        def _fill_random(self, what: str, draw: Callable[..., Any], generator: Any) -> Tensor: ...

    def fill_diagonal_(self, fill_value: Any, wrap: bool = False) -> Tensor:
        """Write `fill_value` on the main diagonal, in place (all dims equal beyond 2-D).

        A tall matrix's diagonal stops at its last column, or with `wrap` starts again after a
        gap of one row, as PyTorch's and NumPy's. The gradient is 0 on the diagonal. A value
        the dtype cannot hold (NaN into an integer tensor, say) is refused, as by `fill_`.
        """
        x: Tensor = self  # type: ignore[assignment]
        if x.ndim < 2 or (x.ndim > 2 and len(set(x.shape)) != 1):
            raise ValueError(
                "fill_diagonal_: needs a matrix, or a tensor whose dimensions are all of one "
                f"length, got shape {x.shape}"
            )
        if not dtypes.is_scalar(fill_value):
            raise TypeError(f"fill_diagonal_: fill_value must be a number, got {fill_value!r}")
        fill = dtypes.checked_fill(fill_value, x.dtype, "fill_diagonal_")
        mask = np.zeros(x.shape, dtype=bool)
        np.fill_diagonal(mask, True, wrap=wrap)
        return self._in_place("fill_diagonal_", lambda t, _: t.masked_fill(mask, fill), None)

    # ------------------------------------------------------------------ random fills

    def bernoulli(self, p: Any = None, *, generator: Any = None) -> Tensor:
        """1 with probability p (self's values by default), else 0, in self's dtype (floats).

        No gradient. Draws from `generator` or the library's default generator.
        """
        data = self.data
        if data.dtype.kind != "f":
            raise TypeError(f"bernoulli: needs a float tensor, got dtype {data.dtype}")
        prob = _probability(data if p is None else p, "bernoulli")
        draw = tracing.random_call(lambda g, s: g.random(s), rng.generator(generator), data.shape)
        return constant_result((draw < prob).astype(data.dtype))

    def bernoulli_(self, p: Any = 0.5, *, generator: Any = None) -> Tensor:
        """Fill with 1 with probability p (a number or a tensor broadcast to self), else 0."""
        prob = _probability(p, "bernoulli_")
        return self._fill_random(
            "bernoulli_", lambda g, s: (g.random(s) < prob).astype(np.float64), generator
        )

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with samples of the exponential distribution of rate `lambd` (mean 1/lambd)."""
        if not lambd > 0:
            raise ValueError(f"exponential_: lambd must be > 0, got {lambd}")
        return self._fill_random(
            "exponential_", lambda g, s: g.exponential(1.0 / lambd, s), generator
        )

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with samples of the Cauchy distribution median + sigma·tan(π(u − ½))."""
        if not sigma > 0:
            raise ValueError(f"cauchy_: sigma must be > 0, got {sigma}")
        return self._fill_random(
            "cauchy_", lambda g, s: median + sigma * g.standard_cauchy(s), generator
        )

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator: Any = None) -> Tensor:
        """Fill with samples e^N(mean, std²) of the log-normal distribution."""
        if not std > 0:
            raise ValueError(f"log_normal_: std must be > 0, got {std}")
        return self._fill_random("log_normal_", lambda g, s: g.lognormal(mean, std, s), generator)

    def geometric_(self, p: float, *, generator: Any = None) -> Tensor:
        """Fill with the number of trials (1, 2, ...) up to the first success of probability p."""
        if not 0 < p <= 1:
            raise ValueError(f"geometric_: p must be in (0, 1], got {p}")
        return self._fill_random("geometric_", lambda g, s: g.geometric(p, s), generator)

    def multinomial(
        self, num_samples: int, replacement: bool = False, *, generator: Any = None
    ) -> Tensor:
        """Category indices drawn in proportion to the weights in self (a vector, or rows).

        Without replacement each category is drawn at most once (those of weight 0 last, as
        PyTorch's), so num_samples is at most the number of categories. int64, no gradient.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([0.0, 1.0, 0.0]).multinomial(2, replacement=True).tolist()
            [1, 1]
        """
        w = self.data
        if w.dtype.kind != "f":
            raise TypeError(f"multinomial: needs float weights, got dtype {w.dtype}")
        if w.ndim not in (1, 2):
            raise ValueError(f"multinomial: weights must be 1-D or 2-D, got shape {w.shape}")
        if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
            raise TypeError(f"multinomial: num_samples must be an int, got {num_samples!r}")
        rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
        if num_samples <= 0 or (not replacement and num_samples > rows.shape[1]):
            raise ValueError(
                f"multinomial: cannot draw {num_samples} samples from {rows.shape[1]} categories"
                + ("" if replacement else " without replacement")
            )
        if not np.all(np.isfinite(rows)) or np.any(rows < 0) or np.any(rows.sum(1) <= 0):
            raise ValueError(
                "multinomial: the weights must be finite, non-negative and not all zero in a row"
            )
        g = rng.generator(generator)
        drawn = tracing.random_call(_rows_drawn, rows, int(num_samples), bool(replacement), g)
        return constant_result(drawn.reshape(w.shape[:-1] + (int(num_samples),)).astype(np.int64))
