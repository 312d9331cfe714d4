"""A catalogue of planted bugs: wrong versions of the course's hand-derived backward passes.

Each module holds one mistake that learners make, as a copy of the right function with the
mistake in it (marked BUG, with the right line next to it): `backward` takes the arguments
`check_backward` passes by name, `NETWORK` says which forward pass it goes with ("two_layer":
the tutorial's network and `models.manual.backward_propagation`; "deep": the L-layer network
and `models.manual_deep.L_model_backward`), `KIND` names the kind of mistake and `CAUSE` the
gradient `check_backward` must report as the first wrong one (or the gradients, in backward
order, when the mistake is repeated in several layers and may show first in a later one).
The catalogue doubles as teaching material: read a module, then see what the harness says.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .networks import CONV, DEEP, TWO_LAYER, conv_forward, deep_forward, two_layer_forward

__all__ = ["CATALOGUE", "MODULES", "Bug", "forward_of", "spec_of"]

MODULES = (
    "missing_one_over_m",
    "transposed_product",
    "missing_batch_sum",
    "tanh_derivative",
    "sign_error",
    "sigmoid_saturation",
    "missing_bias_gradient",
    "off_by_one_layer",
    "relu_derivative",
    "bias_without_one_over_m",
    "first_bias_forgotten",
    "output_layer_transposed",
    "activation_gradient_sign",
    "conv_window_without_stride",
)


@dataclass(frozen=True)
class Bug:
    """One planted bug.

    Attributes:
        name: the module's name.
        network: "two_layer", "deep" or "conv".
        kind: the kind of mistake ("missing 1/m", "transposed product", ...).
        causes: the gradients the harness may name as the first wrong one (the first of them
            unless the values hide the mistake there).
        backward: the wrong backward pass.
        elements: the range of drawn values in which it shows (None: the default range).
    """

    name: str
    network: str
    kind: str
    causes: tuple[str, ...]
    backward: Callable[..., Any]
    elements: float | None = None


def _load(name: str) -> Bug:
    module = importlib.import_module(f"{__name__}.{name}")
    return Bug(
        name,
        module.NETWORK,
        module.KIND,
        module.CAUSE if isinstance(module.CAUSE, tuple) else (module.CAUSE,),
        module.backward,
        getattr(module, "ELEMENTS", None),
    )


CATALOGUE = tuple(_load(name) for name in MODULES)


def forward_of(network: str) -> Callable[..., Any]:
    """The forward pass a bug of `network` goes with."""
    return {"two_layer": two_layer_forward, "deep": deep_forward, "conv": conv_forward}[network]


def spec_of(network: str) -> dict[str, Any]:
    """check_backward's inputs, params and labels (and m) for `network`."""
    return dict({"two_layer": TWO_LAYER, "deep": DEEP, "conv": CONV}[network])
