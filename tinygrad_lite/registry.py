"""The op registry: every differentiable primitive's entry, which the property tests draw from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type hints only: the registry imports nothing from the package
    from .autograd import Function

__all__ = ["OpSpec", "REGISTRY", "register"]


@dataclass(frozen=True)
class OpSpec:
    """A registry entry: everything the property tests need to exercise an op.

    The parametrised tests (gradcheck, second-order gradcheck, forward against the reference,
    gradient shapes and dtypes, float32) draw every op's inputs and parameters from its entry.

    Attributes:
        name: the op's lowercase name.
        fn: the Function class.
        arity: number of Tensor inputs (-1: any number, e.g. `cat`).
        domain: where each input's values are valid: "real", "positive", "nonzero",
            "unit" (open (0, 1)), "away_from_0", "moderate" (exp stays small),
            "above_minus_1", "distinct" (no ties), "away_from_bounds" (clamp's kinks),
            "condition" (bool), "classes" (class indices), "log_probs", "ties" (whole
            numbers, often repeated), "dividend" and "divisor" (quotients away from whole
            numbers), "inside_half_pi" (|x| < π/2: tan), "inside_unit" (|x| < 1: asin,
            acos, atanh), "above_1" (acosh), "unit_offset" (in (0, 1), away from logit's
            eps clamps), "well_conditioned" (square matrices c·I + E, |E_ij| ≤ 0.4, c = ±1.5
            or ±2).
        kind: the shape and parameter rule the tests draw from: "elementwise" (one input,
            no parameters), "broadcast" (inputs that broadcast together), or the op's own rule
            ("reduce", "matmul", "getitem", "classify", "scan", "sort", ...).
        reference: an independent NumPy formula for the forward, called with the inputs'
            arrays and the same parameters.
    """

    name: str
    fn: type[Function]
    arity: int
    domain: tuple[str, ...]
    kind: str
    reference: Callable[..., Any]


REGISTRY: dict[str, OpSpec] = {}


def register(
    name: str,
    arity: int,
    domain: str | tuple[str, ...] = "real",
    kind: str = "elementwise",
    reference: Callable[..., Any] | None = None,
) -> Callable[[type[Function]], type[Function]]:
    """Class decorator that adds a Function to `REGISTRY` under `name`.

    Raises:
        ValueError: the name is taken, no reference is given, or the domains do not match
            the arity.
    """
    domains = (domain,) * max(arity, 1) if isinstance(domain, str) else tuple(domain)

    def deco(cls: type[Function]) -> type[Function]:
        if name in REGISTRY:
            raise ValueError(f"op {name!r} is already registered to {REGISTRY[name].fn.__name__}")
        if reference is None:
            raise ValueError(f"op {name!r}: give a reference formula for the tests")
        if arity >= 0 and len(domains) != arity:
            raise ValueError(f"op {name!r}: {len(domains)} domains for {arity} inputs")
        cls.name = name
        REGISTRY[name] = OpSpec(name, cls, arity, domains, kind, reference)
        return cls

    return deco
