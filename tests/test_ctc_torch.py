"""CTC loss and adaptive softmax against PyTorch: values, gradients, loaded weights."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor
from tinygrad_lite.adaptive_sm import AdaptiveLogSoftmaxWithLoss
from tinygrad_lite.ctc import CTCLoss, ctc_loss

torch = pytest.importorskip("torch")
F = torch.nn.functional

RNG = np.random.default_rng(11)


def log_softmax(x: np.ndarray) -> np.ndarray:
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


# T = 6, N = 5, C = 4: a full row, an empty input, an empty target, an infeasible row
# (3 repeated labels need 5 frames, it has 4) and a row through a log-probability of -∞
LP = log_softmax(RNG.standard_normal((6, 5, 4)))
LP[2, 4, 3] = -np.inf
PADDED = np.array([[1, 2, 2, 3], [1, 1, 0, 0], [3, 0, 0, 0], [2, 2, 2, 0], [3, 1, 0, 0]])
STEPS = np.array([6, 0, 3, 4, 6])
SIZES = np.array([4, 2, 0, 3, 2])
FLAT = np.concatenate([row[:k] for row, k in zip(PADDED, SIZES, strict=True)])


def both(lp: np.ndarray, targets: np.ndarray, **kwargs: Any) -> tuple[Any, Any, Any, Any]:
    """(value, gradient) of the summed loss, ours then PyTorch's."""
    ours = Tensor(lp, requires_grad=True)
    loss = ctc_loss(ours, targets, STEPS, SIZES, **kwargs)
    loss.sum().backward()
    theirs = torch.tensor(lp, requires_grad=True)
    ref = F.ctc_loss(
        theirs, torch.tensor(targets), torch.tensor(STEPS), torch.tensor(SIZES), **kwargs
    )
    ref.sum().backward()
    assert ours.grad is not None
    return loss.data, ours.grad.data, ref.detach().numpy(), theirs.grad.numpy()


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_ctc_values_and_gradients_match_torch(
    reduction: str, zero_infinity: bool, layout: str
) -> None:
    targets = PADDED if layout == "padded" else FLAT
    value, grad, ref, ref_grad = both(LP, targets, reduction=reduction, zero_infinity=zero_infinity)
    assert value.shape == ref.shape
    np.testing.assert_allclose(value, ref, rtol=1e-13)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-13)  # NaN where torch's


def test_ctc_unnormalised_float32_and_another_blank_match_torch() -> None:
    lp = RNG.standard_normal((6, 5, 4)).astype(np.float32)  # not normalised: raw gradient
    value, grad, ref, ref_grad = both(lp, (PADDED + 1) % 4, blank=1, reduction="none")
    assert value.dtype == grad.dtype == np.float32
    np.testing.assert_allclose(value, ref, rtol=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-6)


def test_ctc_unbatched_and_module_match_torch() -> None:
    lp = LP[:, 0]
    for reduction in ("none", "mean"):
        ours = ctc_loss(lp, PADDED[0], [6], [4], reduction=reduction)
        ref = F.ctc_loss(
            torch.tensor(lp), torch.tensor(PADDED[0]), torch.tensor([6]), torch.tensor([4]),
            reduction=reduction,
        )  # fmt: skip
        assert ours.shape == tuple(ref.shape)
        np.testing.assert_allclose(ours.data, ref.numpy(), rtol=1e-13)
    ours = CTCLoss(blank=0, zero_infinity=True)(LP, PADDED, STEPS, SIZES)
    ref = torch.nn.CTCLoss(blank=0, zero_infinity=True)(
        torch.tensor(LP), torch.tensor(PADDED), torch.tensor(STEPS), torch.tensor(SIZES)
    )
    np.testing.assert_allclose(ours.item(), ref.item(), rtol=1e-13)
    assert repr(CTCLoss()) == repr(torch.nn.CTCLoss())


# ------------------------------------------------------------------ adaptive softmax


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
@pytest.mark.parametrize(
    ("settings", "n"),
    [(dict(in_features=8, n_classes=10, cutoffs=[3, 6], div_value=2.0), 9),
     (dict(in_features=8, n_classes=12, cutoffs=[4, 7], head_bias=True), 7)],
)  # fmt: skip
def test_adaptive_softmax_with_loaded_weights_matches_torch(settings: Any, n: int) -> None:
    torch.manual_seed(n + 1)  # the initial weights, so that some predictions leave the shortlist
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(**settings).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.mul_(4)  # confident enough that predictions leave the shortlist
    ours = AdaptiveLogSoftmaxWithLoss(**settings)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(n)  # the same inputs in any order of the tests
    x = rng.standard_normal((n, 8))
    y = rng.permutation(np.arange(n) % settings["n_classes"])
    xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, loss = ours(xo, y)
    ref = theirs(xt, torch.tensor(y))
    (out * Tensor(np.arange(n) / n)).sum().add(loss).backward()
    ((ref.output * torch.arange(n) / n).sum() + ref.loss).backward()
    np.testing.assert_allclose(out.data, ref.output.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(loss.item(), ref.loss.item(), rtol=1e-13)
    assert xo.grad is not None and xt.grad is not None
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    for (name, p), (ref_name, q) in zip(
        ours.named_parameters(), theirs.named_parameters(), strict=True
    ):
        assert name == ref_name
        if q.numel():  # an empty weight (a hidden size of 0) gets no gradient here
            assert p.grad is not None
            np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(
        ours.log_prob(x).data, theirs.log_prob(torch.tensor(x)).detach().numpy(), rtol=1e-13
    )
    pred, ref_pred = ours.predict(x).data, theirs.predict(torch.tensor(x)).numpy()
    assert (pred >= ours.shortlist_size).any()
    np.testing.assert_array_equal(pred, ref_pred)
    single = ours(x[1], np.array(y[1]))
    ref_single = theirs(torch.tensor(x[1]), torch.tensor(y[1]))
    assert single.output.shape == tuple(ref_single.output.shape) == ()
    np.testing.assert_allclose(single.loss.item(), ref_single.loss.item(), rtol=1e-13)


@pytest.mark.parametrize("cutoffs", [[], [5, 3], [3, 3], [0, 4], [4, 10]])
def test_adaptive_softmax_refuses_the_cutoffs_torch_refuses(cutoffs: list[int]) -> None:
    with pytest.raises(ValueError):
        torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs)
    with pytest.raises(ValueError, match="cutoffs"):
        AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs)
