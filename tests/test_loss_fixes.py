"""Second derivatives of the Huber and smooth L1 losses where input equals target, and the
dtype of losses whose target or weights come in another float dtype."""

import numpy as np
import pytest
import tinygrad_lite.nn.functional as F

import tinygrad_lite as tg


@pytest.mark.parametrize(
    ("loss", "curvature"),
    [
        (lambda a, b, r: F.huber_loss(a, b, reduction=r, delta=0.7), 1.0),
        (lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.5), 2.0),
    ],
)
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_the_quadratic_part_has_its_curvature_at_zero_difference(
    loss, curvature, reduction
) -> None:
    # d = 0, 0.1 (quadratic), 2 (linear): second derivatives 1/β (Huber: 1), 1/β, 0; / n for mean
    a = tg.tensor([1.0, 1.1, 3.0], requires_grad=True)
    (g,) = tg.autograd.grad(loss(a, tg.tensor([1.0, 1.0, 1.0]), reduction), [a], create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), [a])
    n = 3 if reduction == "mean" else 1
    np.testing.assert_allclose(h.data, np.array([curvature, curvature, 0.0]) / n, rtol=1e-15)


X32 = np.full((2, 2), 0.5, np.float32)
T32 = np.full((2, 2), 0.3, np.float32)


@pytest.mark.parametrize(
    "make",
    [
        lambda: F.huber_loss(tg.tensor(X32), tg.tensor(T32.astype(np.float64))),
        lambda: F.soft_margin_loss(tg.tensor(X32), tg.tensor(np.ones((2, 2)))),
        lambda: F.binary_cross_entropy(
            tg.tensor(X32), tg.tensor(T32), weight=tg.tensor(np.ones(2))
        ),
        lambda: F.binary_cross_entropy_with_logits(
            tg.tensor(X32), tg.tensor(T32), weight=tg.tensor(np.ones(2))
        ),
        lambda: F.binary_cross_entropy_with_logits(
            tg.tensor(X32), tg.tensor(T32), pos_weight=tg.tensor(np.full(2, 2.0))
        ),
    ],
)
def test_a_float64_target_or_weight_keeps_a_float32_loss(make) -> None:
    assert make().dtype == np.float32


def test_losses_that_promote_still_promote() -> None:
    x, t = tg.tensor(X32), tg.tensor(T32.astype(np.float64))
    assert F.smooth_l1_loss(x, t).dtype == F.mse_loss(x, t).dtype == np.float64
