"""scikit-learn's 2-D toy sets, one example a row: make_circles, make_moons and the spiral.

``make_circles``, ``make_moons`` and ``spiral`` follow scikit-learn's conventions: rows are
examples, ``X`` has shape ``(n, 2)`` and ``y`` shape ``(n,)`` with integer labels, and they draw
from a legacy ``RandomState`` (by default NumPy's global one), so that
``np.random.seed(1); make_circles(300, noise=.05)`` gives exactly the numbers that scikit-learn's
generator gives under the same seed, as the course's notebooks used them. `datasets` re-exports
them beside the tutorial's column-layout loaders.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .dataset_args import FloatArray, check_int, check_nonnegative

__all__ = ["make_circles", "make_moons", "spiral"]

IntArray = NDArray[np.intp]
RowDataset = tuple[FloatArray, IntArray]
RandomStateLike = int | np.random.RandomState | None


def _legacy_state(random_state: object, *, name: str, func: str) -> np.random.RandomState:
    """The legacy ``RandomState`` to draw from: the global one for None, a new one for an int."""
    if random_state is None:
        return np.random.mtrand._rand
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)):
        raise TypeError(
            f"{func}: {name} must be None, an int or a np.random.RandomState, got "
            f"{type(random_state).__name__} {random_state!r}"
        )
    if not 0 <= random_state < 2**32:
        raise ValueError(f"{func}: {name} must be in [0, 2**32 - 1], got {random_state}")
    return np.random.RandomState(int(random_state))


def _outer_inner(n_samples: object, *, func: str) -> tuple[int, int]:
    """Counts of the outer and the inner shape: an int n splits as (n // 2, n - n // 2)."""
    if isinstance(n_samples, tuple):
        if len(n_samples) != 2:
            raise ValueError(
                f"{func}: n_samples as a tuple must be (n_outer, n_inner), got {n_samples!r}"
            )
        outer = check_int("n_samples[0]", n_samples[0], minimum=0, func=func)
        inner = check_int("n_samples[1]", n_samples[1], minimum=0, func=func)
        if outer + inner == 0:
            raise ValueError(f"{func}: n_samples must hold at least one sample, got {n_samples!r}")
        return outer, inner
    n = check_int("n_samples", n_samples, minimum=1, func=func)
    return n // 2, n - n // 2


def _finish(
    X: FloatArray,
    outer: int,
    shuffle: bool,
    noise: float | None,
    rs: np.random.RandomState,
    func: str,
) -> RowDataset:
    """Label, shuffle (one permutation of the rows), then add noise, in the reference order."""
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"{func}: shuffle must be a bool, got {type(shuffle).__name__}")
    sigma = None if noise is None else check_nonnegative("noise", noise, func=func)
    y = (np.arange(X.shape[0]) >= outer).astype(np.intp)
    if shuffle:
        order = rs.permutation(X.shape[0])
        X, y = X[order], y[order]
    if sigma is not None:
        # Drawn even when the scale is 0, so that the random state advances as it does there.
        X = X + rs.normal(scale=sigma, size=X.shape)
    return np.ascontiguousarray(X), y


def make_circles(
    n_samples: int | tuple[int, int] = 100,
    shuffle: bool = True,
    noise: float | None = None,
    random_state: RandomStateLike = None,
    factor: float = 0.8,
) -> RowDataset:
    """A large circle (class 0) around a smaller one (class 1), as scikit-learn makes them.

    The n_out points of the outer circle sit at angles θ_k = 2πk / n_out, k = 0, ..., n_out − 1
    (evenly spaced, the first point not repeated at 2π), at (cos θ_k, sin θ_k); the n_in points of
    the inner circle at factor·(cos θ_k, sin θ_k) with θ_k = 2πk / n_in. The rows are the outer
    points then the inner ones; with ``shuffle`` they are reordered by one
    ``random_state.permutation(n)``, and then, if ``noise`` is given, Gaussian noise
    ``random_state.normal(scale=noise, size=(n, 2))`` is added. Every number, and the state the
    random state is left in, equals scikit-learn's ``make_circles`` with the same arguments.

    Args:
        n_samples: Total number of points (the inner circle takes the odd one out), or a tuple
            ``(n_outer, n_inner)``.
        shuffle: Whether to shuffle the rows.
        noise: Standard deviation of the noise added to each coordinate, or None for none.
        random_state: None for NumPy's global legacy state (``np.random.seed`` sets it), an int
            seed for a new ``np.random.RandomState``, or a ``RandomState`` to draw from.
        factor: Radius of the inner circle relative to the outer one, in [0, 1).

    Returns:
        ``(X, y)``: X of shape (n, 2), float64, one example a row; y of shape (n,), integer
        labels 0 (outer) and 1 (inner).

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If n_samples is < 1 (or a tuple that is not two counts >= 0, not both 0),
            noise is negative or not finite, factor is not in [0, 1), or a seed is out of range.

    Examples:
        >>> X, y = make_circles(6, shuffle=False, factor=0.5)
        >>> X.round(3).tolist()[:2], y.tolist()
        ([[1.0, 0.0], [-0.5, 0.866]], [0, 0, 0, 1, 1, 1])
    """
    func = "make_circles"
    outer, inner = _outer_inner(n_samples, func=func)
    ratio = check_nonnegative("factor", factor, func=func)
    if not ratio < 1.0:
        raise ValueError(f"{func}: factor must be in [0, 1), got {factor!r}")
    rs = _legacy_state(random_state, name="random_state", func=func)
    theta_out = np.linspace(0.0, 2.0 * np.pi, outer, endpoint=False)
    theta_in = np.linspace(0.0, 2.0 * np.pi, inner, endpoint=False)
    X = np.empty((outer + inner, 2))
    X[:outer, 0], X[:outer, 1] = np.cos(theta_out), np.sin(theta_out)
    X[outer:, 0], X[outer:, 1] = np.cos(theta_in) * ratio, np.sin(theta_in) * ratio
    return _finish(X, outer, shuffle, noise, rs, func)


def make_moons(
    n_samples: int | tuple[int, int] = 100,
    shuffle: bool = True,
    noise: float | None = None,
    random_state: RandomStateLike = None,
) -> RowDataset:
    """Two interleaving half circles, as scikit-learn makes them.

    With θ evenly spaced on [0, π] (both ends included), the n_out points of class 0 lie on the
    upper half circle (cos θ, sin θ) and the n_in points of class 1 on the lower half circle
    (1 − cos θ, 1 − sin θ − 0.5), centred at (1, 0.5). The rows are class 0 then class 1; with
    ``shuffle`` they are reordered by one ``random_state.permutation(n)``, and then, if ``noise``
    is given, Gaussian noise ``random_state.normal(scale=noise, size=(n, 2))`` is added. Every
    number equals scikit-learn's ``make_moons`` with the same arguments.

    Args:
        n_samples: Total number of points (class 1 takes the odd one out), or a tuple
            ``(n_outer, n_inner)``.
        shuffle: Whether to shuffle the rows.
        noise: Standard deviation of the noise added to each coordinate, or None for none.
        random_state: None for NumPy's global legacy state (``np.random.seed`` sets it), an int
            seed for a new ``np.random.RandomState``, or a ``RandomState`` to draw from.

    Returns:
        ``(X, y)``: X of shape (n, 2), float64, one example a row; y of shape (n,), integer
        labels 0 (upper moon) and 1 (lower moon).

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If n_samples is < 1 (or a tuple that is not two counts >= 0, not both 0),
            noise is negative or not finite, or a seed is out of range.

    Examples:
        >>> X, y = make_moons(4, shuffle=False)
        >>> X.round(3).tolist(), y.tolist()
        ([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]], [0, 0, 1, 1])
    """
    func = "make_moons"
    outer, inner = _outer_inner(n_samples, func=func)
    rs = _legacy_state(random_state, name="random_state", func=func)
    theta_out = np.linspace(0.0, np.pi, outer)
    theta_in = np.linspace(0.0, np.pi, inner)
    X = np.empty((outer + inner, 2))
    X[:outer, 0], X[:outer, 1] = np.cos(theta_out), np.sin(theta_out)
    # (1 − sin θ) − 0.5 rather than 0.5 − sin θ: the two can differ in the last bit.
    X[outer:, 0], X[outer:, 1] = 1.0 - np.cos(theta_in), 1.0 - np.sin(theta_in) - 0.5
    return _finish(X, outer, shuffle, noise, rs, func)


def spiral(points_per_class: int = 100, classes: int = 3, seed: RandomStateLike = 0) -> RowDataset:
    """The classic multi-class spiral: each class one arm winding out from the origin.

    For class j, N = points_per_class radii r = linspace(0, 1, N) and angles
    t = linspace(4j, 4(j + 1), N) + 0.2·ε (ε standard normal, N draws per class, class by class)
    give the points (r sin t, r cos t). With ``seed=None`` the draws come from NumPy's global
    legacy state, so ``np.random.seed(s)`` followed by ``spiral(seed=None)`` equals
    ``spiral(seed=s)``. A linear classifier gets about half of the 3-class default right; one
    hidden layer of ReLUs separates it.

    Args:
        points_per_class: Number of points of each class, >= 1.
        classes: Number of classes (arms), >= 1.
        seed: An int seed for a new ``np.random.RandomState``, a ``RandomState`` to draw from,
            or None for NumPy's global legacy state.

    Returns:
        ``(X, y)``: X of shape (points_per_class·classes, 2), float64, one example a row,
        grouped by class; y of shape (points_per_class·classes,), integer labels 0 ... classes − 1.

    Raises:
        TypeError: If a count is not an int, or seed is not None, an int or a RandomState.
        ValueError: If a count is < 1 or the seed is out of range.
    """
    func = "spiral"
    n = check_int("points_per_class", points_per_class, minimum=1, func=func)
    k = check_int("classes", classes, minimum=1, func=func)
    rs = _legacy_state(seed, name="seed", func=func)
    X = np.zeros((n * k, 2))
    r = np.linspace(0.0, 1.0, n)
    for j in range(k):
        t = np.linspace(j * 4.0, (j + 1) * 4.0, n) + rs.randn(n) * 0.2
        X[j * n : (j + 1) * n] = np.c_[r * np.sin(t), r * np.cos(t)]
    return X, np.repeat(np.arange(k, dtype=np.intp), n)
