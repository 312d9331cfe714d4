"""`weight` and `pos_weight` of the binary cross-entropies, as PyTorch's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor, nn
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradcheck

RNG = np.random.default_rng(0)
Z = np.concatenate([RNG.standard_normal((5, 3)) * 3, np.zeros((1, 3))])  # a row of zero logits
Y = (RNG.random((6, 3)) < 0.4).astype(float)
W = RNG.random((6, 1)) + 0.5
PW = np.array([2.0, 0.5, 3.0])


def reference(z: np.ndarray, weight: Any = None, pos_weight: Any = None) -> np.ndarray:
    """-w·[p·y·ln σ(z) + (1-y)·ln(1-σ(z))], written with ln σ(z) = -ln(1 + e^(-z))."""
    log_sig = -np.logaddexp(0.0, -z)
    log_one_minus = -np.logaddexp(0.0, z)
    p = 1.0 if pos_weight is None else pos_weight
    terms = -(p * Y * log_sig + (1 - Y) * log_one_minus)
    return terms * (1.0 if weight is None else weight)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "options", [{"weight": W}, {"pos_weight": PW}, {"weight": W, "pos_weight": PW}], ids=str
)
def test_values_equal_the_formula(options: dict[str, Any], reduction: str) -> None:
    out = F.binary_cross_entropy_with_logits(Tensor(Z), Y, reduction, **options)
    terms = reference(Z, **options)
    expected = terms if reduction == "none" else terms.sum() if reduction == "sum" else terms.mean()
    np.testing.assert_allclose(out.data, expected, rtol=1e-14, atol=1e-15)


def test_the_gradient_is_exact_at_zero_logits_and_passes_gradcheck() -> None:
    z = Tensor(Z.copy(), requires_grad=True)
    F.binary_cross_entropy_with_logits(z, Y, "sum", pos_weight=PW).backward()
    assert z.grad is not None
    # d/dz at 0: σ(0)·(p·y + 1 - y) - p·y = ½(1 - y) - ½·p·y
    np.testing.assert_allclose(z.grad.data[5], 0.5 * (1 - Y[5]) - 0.5 * PW * Y[5], rtol=1e-15)
    assert gradcheck(
        lambda t: F.binary_cross_entropy_with_logits(t, Y, weight=W, pos_weight=PW),
        Tensor(Z.copy(), requires_grad=True),
    )
    p = Tensor(1 / (1 + np.exp(-Z[:5])), requires_grad=True)
    assert gradcheck(lambda t: F.binary_cross_entropy(t, Y[:5], weight=W[:5]), p)


def test_the_weighted_bce_of_probabilities_scales_each_term() -> None:
    p = 1 / (1 + np.exp(-Z))
    plain = F.binary_cross_entropy(Tensor(p), Y, "none").data
    np.testing.assert_allclose(
        F.binary_cross_entropy(Tensor(p), Y, weight=W).item(), (plain * W).mean(), rtol=1e-15
    )


def test_the_loss_modules_take_the_weights() -> None:
    loss = nn.BCEWithLogitsLoss(pos_weight=PW, weight=W, reduction="sum")
    expected = F.binary_cross_entropy_with_logits(Tensor(Z), Y, "sum", weight=W, pos_weight=PW)
    assert loss(Tensor(Z), Y).item() == expected.item()
    p = Tensor(1 / (1 + np.exp(-Z)))
    assert nn.BCELoss(weight=W)(p, Y).item() == F.binary_cross_entropy(p, Y, weight=W).item()
    with pytest.raises(ValueError, match=r"weight's shape \(4,\) does not broadcast"):
        F.binary_cross_entropy_with_logits(Tensor(Z), Y, weight=np.ones(4))
    with pytest.raises(ValueError, match="targets must lie in"):
        F.binary_cross_entropy_with_logits(Tensor(Z), Y * 2, pos_weight=PW)


@pytest.mark.parametrize(
    "options", [{"weight": W}, {"pos_weight": PW}, {"weight": W, "pos_weight": PW}], ids=str
)
def test_values_and_gradients_equal_pytorchs(options: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    z = Tensor(Z.copy(), requires_grad=True)
    F.binary_cross_entropy_with_logits(z, Y, **options).backward()
    tz = torch.tensor(Z.copy(), requires_grad=True)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(
        tz, torch.from_numpy(Y), **{k: torch.from_numpy(v) for k, v in options.items()}
    )
    theirs.backward()
    assert z.grad is not None and tz.grad is not None
    np.testing.assert_allclose(z.grad.data, tz.grad.numpy(), rtol=1e-13, atol=1e-16)
