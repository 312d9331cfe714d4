"""The library's default random generator, as PyTorch's global one: `manual_seed` reseeds it.

Every draw that names no generator or seed — `randn` and `rand`, dropout masks, `nn.Linear`'s
and `nn.init`'s initial weights, a shuffling `DataLoader` — comes from it, so one
`manual_seed(n)` at the top of a program makes all of them reproducible.
"""

from __future__ import annotations

import numpy as np

__all__ = ["default_generator", "manual_seed", "generator", "generator_arg"]

# The generator behind every draw that names none.
default_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the library's default generator (as `torch.manual_seed`); return it.

    The generator is reseeded in place, so that whatever holds it (a compiled step that draws
    dropout masks, say) draws the new seed's numbers: the same as `np.random.default_rng(seed)`.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__} {seed!r}")
    default_generator.bit_generator.state = np.random.default_rng(int(seed)).bit_generator.state
    return default_generator


def generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A Generator from a seed, a Generator itself, or the default generator for None."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return default_generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"seed must be an int, a numpy.random.Generator or None, got "
            f"{type(seed).__name__} {seed!r}"
        )
    return np.random.default_rng(seed)


def generator_arg(owner: str, generator: object) -> np.random.Generator | None:
    """A `generator=` argument checked: a Generator or None as given, an int seed as a new one.

    Args:
        owner: the function or class taking it, for the error message.
        generator: a ``numpy.random.Generator``, an int seed >= 0, or None (the default
            generator, drawn from when the draw happens).

    Raises:
        TypeError: a value of another type (a ``torch.Generator`` among them).
        ValueError: a negative seed.
    """
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, bool) or not isinstance(generator, (int, np.integer)):
        cls = type(generator)  # named in full: torch's Generator is not NumPy's
        kind = f"{cls.__module__}.{cls.__qualname__}"
        raise TypeError(
            f"{owner}: generator must be a numpy.random.Generator, an int seed or None, got "
            f"{kind} {generator!r}"
        )
    if generator < 0:
        raise ValueError(f"{owner}: a seed given as generator must be >= 0, got {generator}")
    return np.random.default_rng(int(generator))
