"""Argument checks shared by the data-set loaders: counts, noise levels and seeds, in NumPy only."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["check_bool", "check_int", "check_nonnegative", "check_seed"]

FloatArray = NDArray[np.float64]


def check_int(name: str, value: object, *, minimum: int, func: str) -> int:
    """Return ``value`` as an int, or raise if it is not an integer ``>= minimum``.

    Raises:
        TypeError: ``value`` is not an int (a bool is not one).
        ValueError: ``value < minimum``; the message names ``func`` and ``name``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{func}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{func}: {name} must be >= {minimum}, got {value}")
    return int(value)


def check_bool(name: str, value: object, *, func: str, error: type[Exception] = TypeError) -> bool:
    """Return ``value`` as a bool, or raise ``error`` if it is not one (a number is refused).

    Raises:
        TypeError: (or ``error``, where PyTorch raises another) ``value`` is not a bool.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise error(f"{func}: {name} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


def check_nonnegative(name: str, value: object, *, func: str) -> float:
    """Return ``value`` as a float, or raise if it is not a finite real number ``>= 0``.

    Raises:
        TypeError: ``value`` is not a real number (a bool is not one).
        ValueError: ``value`` is negative, infinite or NaN.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{func}: {name} must be a real number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number) or number < 0.0:
        raise ValueError(f"{func}: {name} must be finite and >= 0, got {value!r}")
    return number


def check_seed(seed: object, *, func: str) -> int:
    """Return ``seed`` as an int, or raise if it is not a non-negative integer.

    Raises:
        TypeError: ``seed`` is not an int.
        ValueError: ``seed`` is negative.
    """
    return check_int("seed", seed, minimum=0, func=func)
