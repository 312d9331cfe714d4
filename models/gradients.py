"""The tutorial network's gradients by autograd against the hand-derived ones, by the rule."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.perturb import perturbed_backward, perturbed_forward, sensitivity
from tinygrad_lite.rounding import Rounding, backprop, compare
from tinygrad_lite.tensor import Tensor

from . import manual
from .two_layer import PARAMETER_NAMES, TwoLayerNet

__all__ = ["compare_gradients", "compare_with_manual"]

Array = np.ndarray


def compare_gradients(X: Array, Y: Array, hidden: int = 4, seed: int = 2) -> list[dict[str, Any]]:
    """The cost and each parameter's gradient at the initial weights, by autograd and by hand.

    The autograd side is `TwoLayerNet(seed=seed)`; the hand side is `models.manual` with
    `initialize_parameters(seed=seed)` (the same weights, checked here). See
    `compare_with_manual` for how each pair is judged and what the rows hold.

    Raises:
        AssertionError: the two initialisations differ.
    """
    reference = manual.initialize_parameters(X.shape[0], hidden, Y.shape[0], seed=seed)
    net = TwoLayerNet(X.shape[0], hidden, Y.shape[0], seed=seed)
    for name in PARAMETER_NAMES:
        if not np.array_equal(getattr(net, name).data, reference[name]):
            raise AssertionError(f"TwoLayerNet and initialize_parameters differ in {name}")
    return compare_with_manual(net, reference, X, Y)


def compare_with_manual(
    net: TwoLayerNet, parameters: dict[str, Array], X: Array, Y: Array
) -> list[dict[str, Any]]:
    """J and each gradient of `net` by autograd against `models.manual` at `parameters`.

    Each pair is judged by the project's rounding rule (`tinygrad_lite.rounding.compare`):
    within the rounding error the two computations can have, from the magnitudes of the terms
    each gradient sums (db1's 400 nearly cancelling terms, say) and both computations'
    sensitivity to rounding. J's terms are logs of rounded probabilities, each off by up to ε:
    its magnitude is |J| + 1.

    Returns:
        One row for J and one per gradient: name, shape, max |autograd value|, and at the worst
        element |a − m| ("abs_diff") and the tolerance, and whether they agree ("ok"); also
        both values ("autograd", "manual").
    """
    A2, cache = manual.forward_propagation(X, parameters)
    grads = manual.backward_propagation(parameters, cache, X, Y)
    moved = sensitivity(
        lambda p, c, X, Y: manual.backward_propagation(p, c, X, Y),
        {"p": parameters, "c": cache, "X": X, "Y": Y},
        exact=("Y",),
    )
    Xt, Yt = Tensor(X), Tensor(Y)
    params = dict(net.named_parameters())
    cost = net.cost(Xt, Yt)
    bp = backprop(cost, params)
    bp.add_sensitivities(perturbed_backward(bp, cost, params))
    bp.add_sensitivities(perturbed_forward(lambda: (net.cost(Xt, Yt), params), bp.gradients))
    J = np.asarray(manual.compute_cost(A2, Y))
    pairs = [("J", cost.data, J, Rounding(np.abs(J) + 1.0, bp.steps))]
    for name in PARAMETER_NAMES:
        rounding = bp.rounding(name, moved["d" + name])
        pairs.append(("d" + name, bp.gradients[name], grads["d" + name], rounding))
    rows = []
    for name, auto, ref, rounding in pairs:
        found = compare(auto, ref, rounding)
        rows.append(
            {
                "name": name,
                "shape": tuple(ref.shape),
                "max_abs": float(np.max(np.abs(auto))),
                "abs_diff": found.abs_diff,
                "tolerance": found.tolerance,
                "ok": found.ok,
                "autograd": auto,
                "manual": ref,
            }
        )
    return rows
