"""The tutorial's planar "flower" data and the classic 2-D toy sets, in NumPy only.

Every loader returns ``(X, Y)`` in the tutorial's column layout: ``X`` has shape ``(2, n)``
(features x examples) and ``Y`` has shape ``(1, n)``; both are float64, and ``Y`` holds 0.0/1.0
so that ``1 - Y`` is safe (the original tutorial used uint8 labels, for which ``1 - Y`` wraps
around to 255 wherever ``Y`` is 1 and the result is not promoted).

``load_planar_dataset`` reproduces the course's data bit for bit: it draws from a legacy
``np.random.RandomState(seed)``, whose stream equals that of ``np.random.seed(seed)``. The other
loaders draw from ``np.random.default_rng(seed)``; they are deterministic per seed but do not
reproduce scikit-learn's numbers. Examples are ordered by class (all 0s, then all 1s) except in
``blobs`` and ``gaussian_quantiles``, where the label follows from where each point falls.

``make_circles``, ``make_moons`` and ``spiral`` (from `row_datasets`) follow scikit-learn's
conventions instead: rows are examples, ``X`` has shape ``(n, 2)`` and ``y`` shape ``(n,)`` with
integer labels, and they draw from a legacy ``RandomState`` (by default NumPy's global one), so
that ``np.random.seed(1); make_circles(300, noise=.05)`` gives exactly the numbers that
scikit-learn's generator gives under the same seed, as the course's notebooks used them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from .dataset_args import FloatArray, check_int, check_nonnegative, check_seed
from .row_datasets import make_circles, make_moons, spiral

__all__ = [
    "DATASETS",
    "blobs",
    "gaussian_quantiles",
    "load_dataset",
    "load_planar_dataset",
    "make_circles",
    "make_moons",
    "noisy_circles",
    "noisy_moons",
    "spiral",
]

Dataset = tuple[FloatArray, FloatArray]


def _split(n: int) -> tuple[int, int]:
    """Split ``n`` examples into class 0 and class 1 counts, class 0 taking any odd one out."""
    n_one = n // 2
    return n - n_one, n_one


def _labels(n_zero: int, n_one: int) -> FloatArray:
    """Y of shape (1, n_zero + n_one): n_zero 0.0s followed by n_one 1.0s."""
    return np.concatenate([np.zeros(n_zero), np.ones(n_one)])[np.newaxis, :]


def load_planar_dataset(m: int = 400, seed: int = 1) -> Dataset:
    """The tutorial's two-petal-colour "flower": a rose curve r = 4 sin 4t with noise.

    For class j in {0, 1}, N = m / 2 angles t = linspace(3.12 j, 3.12 (j + 1), N) + 0.2 ε are
    drawn, radii r = 4 sin(4t) + 0.2 ε', and the points are (r sin t, r cos t), with ε, ε'
    standard normal draws from a legacy ``RandomState(seed)`` in the course's order. With the
    defaults this is exactly the course's data set.

    Args:
        m: Number of examples, an even positive integer (half of them per class).
        seed: Seed of the legacy ``np.random.RandomState``.

    Returns:
        ``(X, Y)`` with X of shape (2, m) and Y of shape (1, m), float64, Y in {0.0, 1.0};
        examples 0..m/2-1 are class 0 and the rest class 1.

    Raises:
        TypeError: If m or seed is not an int.
        ValueError: If m is not positive and even, or seed is negative.
    """
    func = "load_planar_dataset"
    m = check_int("m", m, minimum=1, func=func)
    if m % 2:
        raise ValueError(f"{func}: m must be even, got {m} (half the examples go to each class)")
    rs = np.random.RandomState(check_seed(seed, func=func))
    half = m // 2
    a = 4.0  # the longest petal
    X = np.zeros((m, 2))
    Y = np.zeros((m, 1))
    for j in (0, 1):
        rows = slice(half * j, half * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, half) + rs.randn(half) * 0.2
        r = a * np.sin(4 * t) + rs.randn(half) * 0.2
        X[rows] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[rows] = j
    return np.ascontiguousarray(X.T), np.ascontiguousarray(Y.T)


def noisy_circles(n: int = 200, noise: float = 0.3, factor: float = 0.5, seed: int = 0) -> Dataset:
    """Two concentric circles: class 0 on radius 1, class 1 on radius ``factor``.

    Angles are evenly spaced, θ_k = 2πk / n_c, points (r cos θ, r sin θ) + noise·ε with ε
    standard normal in each coordinate.

    Args:
        n: Number of examples, >= 2 (class 0 takes the odd one out).
        noise: Standard deviation of the Gaussian noise added to each coordinate, >= 0.
        factor: Radius of the inner circle relative to the outer one, in (0, 1).
        seed: Seed of ``np.random.default_rng``.

    Returns:
        ``(X, Y)`` with X of shape (2, n) and Y of shape (1, n), float64, Y in {0.0, 1.0}.

    Raises:
        TypeError: If n or seed is not an int, or noise or factor not a real number.
        ValueError: If n < 2, noise < 0 or not finite, or factor not in (0, 1).
    """
    func = "noisy_circles"
    n = check_int("n", n, minimum=2, func=func)
    sigma = check_nonnegative("noise", noise, func=func)
    ratio = check_nonnegative("factor", factor, func=func)
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"{func}: factor must be in (0, 1), got {factor!r}")
    rng = np.random.default_rng(check_seed(seed, func=func))
    n_zero, n_one = _split(n)
    parts = []
    for count, radius in ((n_zero, 1.0), (n_one, ratio)):
        theta = np.linspace(0.0, 2.0 * np.pi, count, endpoint=False)
        parts.append(radius * np.stack([np.cos(theta), np.sin(theta)]))
    X = np.concatenate(parts, axis=1) + sigma * rng.standard_normal((2, n))
    return X, _labels(n_zero, n_one)


def noisy_moons(n: int = 200, noise: float = 0.2, seed: int = 0) -> Dataset:
    """Two interleaving half circles ("moons").

    With θ evenly spaced on [0, π], class 0 lies on (cos θ, sin θ) and class 1 on
    (1 − cos θ, 0.5 − sin θ); noise·ε with ε standard normal is added to each coordinate.

    Args:
        n: Number of examples, >= 2 (class 0 takes the odd one out).
        noise: Standard deviation of the Gaussian noise added to each coordinate, >= 0.
        seed: Seed of ``np.random.default_rng``.

    Returns:
        ``(X, Y)`` with X of shape (2, n) and Y of shape (1, n), float64, Y in {0.0, 1.0}.

    Raises:
        TypeError: If n or seed is not an int, or noise not a real number.
        ValueError: If n < 2, or noise < 0 or not finite.
    """
    func = "noisy_moons"
    n = check_int("n", n, minimum=2, func=func)
    sigma = check_nonnegative("noise", noise, func=func)
    rng = np.random.default_rng(check_seed(seed, func=func))
    n_zero, n_one = _split(n)
    outer = np.linspace(0.0, np.pi, n_zero)
    inner = np.linspace(0.0, np.pi, n_one)
    X = np.concatenate(
        [
            np.stack([np.cos(outer), np.sin(outer)]),
            np.stack([1.0 - np.cos(inner), 0.5 - np.sin(inner)]),
        ],
        axis=1,
    )
    X = X + sigma * rng.standard_normal((2, n))
    return X, _labels(n_zero, n_one)


def blobs(n: int = 200, centers: int = 6, seed: int = 0, cluster_std: float = 1.0) -> Dataset:
    """Gaussian blobs around ``centers`` random centres, labelled by the parity of the centre.

    Centres c_k are drawn uniformly from the square [-10, 10]²; the examples are dealt to the
    centres in turn (counts differ by at most one), and example i of centre k is
    c_k + cluster_std·ε with ε standard normal. The label is k mod 2, which turns the
    multi-class blobs of the tutorial into a binary problem.

    Args:
        n: Number of examples, >= centers.
        centers: Number of centres, >= 2.
        seed: Seed of ``np.random.default_rng``.
        cluster_std: Standard deviation of each blob, >= 0.

    Returns:
        ``(X, Y)`` with X of shape (2, n) and Y of shape (1, n), float64, Y in {0.0, 1.0};
        examples are grouped by centre.

    Raises:
        TypeError: If n, centers or seed is not an int, or cluster_std not a real number.
        ValueError: If centers < 2, n < centers, or cluster_std < 0 or not finite.
    """
    func = "blobs"
    k = check_int("centers", centers, minimum=2, func=func)
    n = check_int("n", n, minimum=2, func=func)
    if n < k:
        raise ValueError(f"{func}: n must be >= centers to give every centre a point, got n={n}")
    sigma = check_nonnegative("cluster_std", cluster_std, func=func)
    rng = np.random.default_rng(check_seed(seed, func=func))
    centres = rng.uniform(-10.0, 10.0, size=(2, k))
    counts = np.full(k, n // k)
    counts[: n % k] += 1
    index = np.repeat(np.arange(k), counts)
    X = centres[:, index] + sigma * rng.standard_normal((2, n))
    Y = (index % 2).astype(np.float64)[np.newaxis, :]
    return X, Y


def gaussian_quantiles(n: int = 200, seed: int = 0) -> Dataset:
    """2-D standard normal points split into two classes at the median radius.

    The n // 2 points nearest the origin (by ‖x‖, ties broken by position) are class 0 and
    the rest class 1, so the classes are balanced whatever the draw.

    Args:
        n: Number of examples, >= 2 (class 1 takes the odd one out).
        seed: Seed of ``np.random.default_rng``.

    Returns:
        ``(X, Y)`` with X of shape (2, n) and Y of shape (1, n), float64, Y in {0.0, 1.0}.

    Raises:
        TypeError: If n or seed is not an int.
        ValueError: If n < 2.
    """
    func = "gaussian_quantiles"
    n = check_int("n", n, minimum=2, func=func)
    rng = np.random.default_rng(check_seed(seed, func=func))
    X = rng.standard_normal((2, n))
    rank = np.empty(n, dtype=np.intp)
    rank[np.argsort(np.sum(X * X, axis=0), kind="stable")] = np.arange(n)
    Y = (rank >= n // 2).astype(np.float64)[np.newaxis, :]
    return X, Y


DATASETS: Mapping[str, Callable[..., Dataset]] = MappingProxyType(
    {
        "flower": load_planar_dataset,
        "planar": load_planar_dataset,
        "noisy_circles": noisy_circles,
        "noisy_moons": noisy_moons,
        "blobs": blobs,
        "gaussian_quantiles": gaussian_quantiles,
    }
)
"""Loader of each data set by name; "planar" is another name for "flower"."""


def load_dataset(name: str, **kwargs: Any) -> Dataset:
    """Load a data set by name, passing ``kwargs`` on to its loader.

    Args:
        name: One of the keys of ``DATASETS``: "flower" (or "planar"), "noisy_circles",
            "noisy_moons", "blobs", "gaussian_quantiles".
        **kwargs: Keyword arguments of that loader, e.g. ``m`` and ``seed`` for the flower or
            ``n``, ``noise`` and ``seed`` for the moons.

    Returns:
        ``(X, Y)`` with X of shape (2, n) and Y of shape (1, n), float64, Y in {0.0, 1.0}.

    Raises:
        ValueError: If the name is unknown (the message lists the valid names), or the loader
            rejects an argument's value.
        TypeError: If a keyword is not a parameter of that loader (the message lists them).
    """
    loader = DATASETS.get(name) if isinstance(name, str) else None
    if loader is None:
        valid = ", ".join(repr(key) for key in sorted(DATASETS))
        raise ValueError(f"load_dataset: unknown data set {name!r}; valid names are {valid}")
    accepted = inspect.signature(loader).parameters
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise TypeError(
            f"load_dataset: {name!r} takes no argument(s) {', '.join(unknown)}; "
            f"its parameters are {', '.join(accepted)}"
        )
    return loader(**kwargs)
