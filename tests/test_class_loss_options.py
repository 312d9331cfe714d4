"""The class losses' options: class weights, ignore_index, label smoothing, soft targets.

Each option is checked against closed forms written out sample by sample, gradients against
finite differences (first and second order), and, where PyTorch is installed, against its
`cross_entropy` and `nll_loss`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite import functional as F
from tinygrad_lite.derivation import derive
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

RNG = np.random.default_rng(20)
REDUCTIONS = ["mean", "sum", "none"]


def reference(
    x: np.ndarray,
    t: np.ndarray,
    reduction: str = "mean",
    dim: int = 1,
    weight: Any = None,
    ignore_index: int = -100,
    smoothing: float = 0.0,
    log_probs: bool = False,
) -> Any:
    """PyTorch's definitions, one sample at a time (the class dim moved last, samples in a row).

    Class indices: (1 - ε)·w[y]·(-ln p_y) + ε/C·Σ_c w_c·(-ln p_c), 0 for an ignored target;
    the mean divides by Σ w[y] over the counted targets. Probabilities q: -Σ_c w_c·q'_c·ln p_c
    with q' = (1 - ε)·q + ε/C; the mean divides by the number of samples.
    """
    c = x.shape[dim]
    rows = np.moveaxis(x, dim, -1).reshape(-1, c)
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    losses, divisor = [], 0.0
    for i, z in enumerate(rows):
        logp = z if log_probs else z - np.max(z) - np.log(np.sum(np.exp(z - np.max(z))))
        if t.dtype.kind == "f":
            q = (1 - smoothing) * np.moveaxis(t, dim, -1).reshape(-1, c)[i] + smoothing / c
            losses.append(-sum(w[k] * q[k] * logp[k] for k in range(c)))
            divisor += 1.0
            continue
        y = int(t.reshape(-1)[i])
        if y == ignore_index:
            losses.append(0.0)
            continue
        smooth = -sum(w[k] * logp[k] for k in range(c))
        losses.append((1 - smoothing) * -w[y] * logp[y] + smoothing / c * smooth)
        divisor += w[y]
    terms = np.array(losses).reshape(x.shape[:dim] + x.shape[dim + 1 :])
    if reduction == "none":
        return terms
    if reduction == "sum":
        return terms.sum()
    with np.errstate(divide="ignore", invalid="ignore"):  # every target ignored: 0/0
        return np.float64(terms.sum()) / divisor


LOGITS = np.array([[1.0, -0.5, 2.0], [0.3, 0.2, -1.0], [-2.0, 1.5, 0.5], [0.0, 0.7, 0.1]])


def _log_softmax(x: np.ndarray) -> np.ndarray:
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


# ---------------------------------------------------------------------------- closed forms


def test_class_weights_mean_divides_by_the_targets_weights() -> None:
    t, w = np.array([0, 2, 1, 2]), np.array([0.5, 2.0, 3.0])
    logp = _log_softmax(LOGITS)
    per_sample = -w[t] * logp[np.arange(4), t]
    loss = F.cross_entropy(Tensor(LOGITS), t, weight=w)
    np.testing.assert_allclose(loss.item(), per_sample.sum() / (0.5 + 3.0 + 2.0 + 3.0), rtol=1e-13)
    assert abs(loss.item() - per_sample.mean()) > 0.05  # not the sample mean
    for reduction in REDUCTIONS:
        got = F.cross_entropy(Tensor(LOGITS), t, reduction, weight=w).data
        np.testing.assert_allclose(got, reference(LOGITS, t, reduction, weight=w), rtol=1e-13)
        got = F.nll_loss(Tensor(logp), t, reduction, weight=w).data
        want = reference(logp, t, reduction, weight=w, log_probs=True)
        np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("ignore_index", [-100, 2, -7])
def test_ignored_targets_add_nothing_and_leave_the_mean(ignore_index: int) -> None:
    t = np.array([0, ignore_index, 1, ignore_index])
    x = Tensor(LOGITS, requires_grad=True)
    loss = F.cross_entropy(x, t, ignore_index=ignore_index)
    kept = _log_softmax(LOGITS)[[0, 2], [0, 1]]
    np.testing.assert_allclose(loss.item(), -kept.mean(), rtol=1e-13)
    loss.backward()
    assert x.grad is not None
    p = np.exp(_log_softmax(LOGITS))
    expected = np.zeros_like(p)  # rows 1 and 3 are ignored: no gradient at all
    expected[[0, 2]] = (p[[0, 2]] - np.eye(3)[[0, 1]]) / 2
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12, atol=1e-15)
    none = F.cross_entropy(Tensor(LOGITS), t, "none", ignore_index=ignore_index).data
    np.testing.assert_array_equal(none[[1, 3]], [0.0, 0.0])


def test_weights_with_ignored_targets_give_the_weighted_gradient() -> None:
    t, w = np.array([2, -100, 0, 2]), np.array([1.5, 0.5, 4.0])
    x = Tensor(LOGITS, requires_grad=True)
    F.cross_entropy(x, t, weight=w).backward()
    assert x.grad is not None
    p, counted = np.exp(_log_softmax(LOGITS)), t != -100
    wy = np.where(counted, w[np.where(counted, t, 0)], 0.0)
    onehot = np.eye(3)[np.where(counted, t, 0)]
    np.testing.assert_allclose(
        x.grad.data, wy[:, None] * (p - onehot) / wy.sum(), rtol=1e-12, atol=1e-15
    )


def test_label_smoothing_is_one_hot_mixed_with_the_uniform_distribution() -> None:
    t, eps = np.array([0, 2, 1, 1]), 0.3
    logp = _log_softmax(LOGITS)
    target = (1 - eps) * np.eye(3)[t] + eps / 3
    expected = -(target * logp).sum(axis=1)
    for reduction, want in [("none", expected), ("sum", expected.sum()), ("mean", expected.mean())]:
        got = F.cross_entropy(Tensor(LOGITS), t, reduction, label_smoothing=eps)
        np.testing.assert_allclose(got.data, want, rtol=1e-13)
    # the same distribution given as probabilities, and the gradient softmax - target
    x = Tensor(LOGITS, requires_grad=True)
    soft = F.cross_entropy(x, target)
    np.testing.assert_allclose(soft.item(), expected.mean(), rtol=1e-13)
    soft.backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.data, (np.exp(logp) - target) / 4, rtol=1e-12)
    np.testing.assert_allclose(
        F.cross_entropy(Tensor(LOGITS), t, label_smoothing=1.0).item(), -logp.mean(), rtol=1e-13
    )


def test_label_smoothing_with_weights_is_pytorchs_formula() -> None:
    t, w, eps = np.array([1, 0, -100, 2]), np.array([2.0, 0.5, 1.0]), 0.2
    logp = _log_softmax(LOGITS)
    counted = np.array([0, 1, 3])
    nll = -w[t[counted]] * logp[counted, t[counted]]
    smooth = -(w * logp[counted]).sum(axis=1)  # every class weighted, ignored rows left out
    divisor = w[t[counted]].sum()
    expected = (1 - eps) * nll.sum() / divisor + eps / 3 * smooth.sum() / divisor
    got = F.cross_entropy(Tensor(LOGITS), t, weight=w, label_smoothing=eps)
    np.testing.assert_allclose(got.item(), expected, rtol=1e-13)


def test_probability_targets_take_weights_and_smoothing_and_divide_by_samples() -> None:
    q = RNG.dirichlet(np.ones(3), size=4)
    w = np.array([0.2, 1.0, 3.0])
    for reduction in REDUCTIONS:
        got = F.cross_entropy(Tensor(LOGITS), q, reduction, weight=w, label_smoothing=0.4)
        want = reference(LOGITS, q, reduction, weight=w, smoothing=0.4)
        np.testing.assert_allclose(got.data, want, rtol=1e-13)


CASES = [  # (input shape, class dim)
    ((5, 4), 1),
    ((3, 4, 2), 1),
    ((4, 5), 0),
    ((4,), 0),
]


def _case(shape: tuple[int, ...], dim: int, seed: int) -> tuple[np.ndarray, np.ndarray, Any]:
    rng = np.random.default_rng(seed)
    c = shape[dim]
    x = rng.normal(size=shape) * 2
    t = rng.integers(0, c, shape[:dim] + shape[dim + 1 :])
    t = np.where(rng.random(t.shape) < 0.3, -100, t)
    t.flat[0] = 1  # at least one target counts
    return x, t, rng.uniform(0.2, 3.0, c)


@pytest.mark.parametrize(("shape", "dim"), CASES)
def test_every_option_together_equals_the_reference(shape: tuple[int, ...], dim: int) -> None:
    x, t, w = _case(shape, dim, seed=len(shape) + dim)
    for reduction in REDUCTIONS:
        got = F.cross_entropy(Tensor(x), t, reduction, dim, weight=w, label_smoothing=0.25)
        want = reference(x, t, reduction, dim, weight=w, smoothing=0.25)
        np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-14)
        got = F.nll_loss(Tensor(x), t, reduction, dim, weight=w, ignore_index=-100)
        want = reference(x, t, reduction, dim, weight=w, log_probs=True)
        np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-14)


def test_float32_logits_keep_float32_with_float64_weights() -> None:
    x = Tensor(LOGITS.astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(x, np.array([0, 1, 2, -100]), weight=[1, 2, 3], label_smoothing=0.1)
    loss.backward()
    assert loss.dtype == np.float32 and x.grad is not None and x.grad.dtype == np.float32
    want = reference(LOGITS, np.array([0, 1, 2, -100]), weight=[1, 2, 3], smoothing=0.1)
    np.testing.assert_allclose(loss.item(), want, rtol=1e-6)


# ---------------------------------------------------------------------------- every target ignored


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss"])
def test_every_target_ignored_gives_a_nan_mean_zero_gradients_and_no_warning(op: str) -> None:
    t = np.array([-100, -100, -100, -100])
    smoothing = {"label_smoothing": 0.1} if op == "cross_entropy" else {}
    for weight in (None, np.array([1.0, 2.0, 3.0])):
        x = Tensor(LOGITS, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # and NumPy's errors raise (tests/conftest.py)
            loss = getattr(F, op)(x, t, weight=weight, **smoothing)
            loss.backward()
        assert np.isnan(loss.item())
        assert x.grad is not None
        np.testing.assert_array_equal(x.grad.data, np.zeros((4, 3)))
        assert getattr(F, op)(Tensor(LOGITS), t, "sum", weight=weight).item() == 0.0
        none = getattr(F, op)(Tensor(LOGITS), t, "none", weight=weight).data
        np.testing.assert_array_equal(none, np.zeros(4))


# ---------------------------------------------------------------------------- gradients


@pytest.mark.parametrize(("shape", "dim"), CASES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradients_match_finite_differences(
    shape: tuple[int, ...], dim: int, reduction: str
) -> None:
    x, t, w = _case(shape, dim, seed=7)
    q = np.random.default_rng(3).dirichlet(np.ones(shape[dim]), size=x.size // shape[dim])
    q = np.moveaxis(q.reshape(shape[:dim] + shape[dim + 1 :] + (shape[dim],)), -1, dim)
    opts: dict[str, Any] = {"weight": w, "label_smoothing": 0.3}
    assert gradcheck(
        lambda z: F.cross_entropy(z, t, reduction, dim, **opts), Tensor(x, requires_grad=True)
    )
    assert gradcheck(
        lambda z, p: F.cross_entropy(z, p, reduction, dim, **opts),
        Tensor(x, requires_grad=True),
        Tensor(q, requires_grad=True),
    )
    assert gradcheck(
        lambda z: F.nll_loss(z, t, reduction, dim, weight=w), Tensor(x, requires_grad=True)
    )


@pytest.mark.parametrize(("shape", "dim"), CASES)
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_second_derivatives_match_finite_differences(
    shape: tuple[int, ...], dim: int, reduction: str
) -> None:
    x, t, w = _case(shape, dim, seed=11)

    def smoothed(z: Tensor) -> Tensor:
        return F.cross_entropy(z, t, reduction, dim, weight=w, label_smoothing=0.2)

    def weighted_nll(z: Tensor) -> Tensor:  # nll_loss is linear: tanh gives it a curvature
        return F.nll_loss(z.tanh(), t, reduction, dim, weight=w)

    assert gradgradcheck(smoothed, Tensor(x, requires_grad=True), atol=1e-4, rtol=1e-3)
    assert gradgradcheck(weighted_nll, Tensor(x, requires_grad=True), atol=1e-4, rtol=1e-3)


def test_ignored_samples_get_no_second_order_gradient() -> None:
    t = np.array([1, -100, 0, -100])
    x = Tensor(LOGITS, requires_grad=True)
    loss = F.cross_entropy(x, t, weight=[1.0, 2.0, 0.5], label_smoothing=0.5)
    (g,) = tg.grad(loss, x, create_graph=True)
    assert g is not None
    (g * g).sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(g.data[[1, 3]], 0.0)
    np.testing.assert_array_equal(x.grad.data[[1, 3]], 0.0)
    assert np.all(x.grad.data[[0, 2]] != 0.0)


# ---------------------------------------------------------------------------- the modules


def test_loss_modules_pass_their_options_on() -> None:
    t, w = np.array([2, 0, -1, 1]), np.array([1.0, 0.5, 2.0])
    ce = nn.CrossEntropyLoss(weight=w, ignore_index=-1, label_smoothing=0.2, reduction="sum")
    want = reference(LOGITS, t, "sum", weight=w, ignore_index=-1, smoothing=0.2)
    np.testing.assert_allclose(ce(Tensor(LOGITS), t).item(), want, rtol=1e-13)
    logp = _log_softmax(LOGITS)
    nll = nn.NLLLoss(weight=w, ignore_index=-1)
    want = reference(logp, t, weight=w, ignore_index=-1, log_probs=True)
    np.testing.assert_allclose(nll(Tensor(logp), t).item(), want, rtol=1e-13)
    assert repr(ce) == (
        "CrossEntropyLoss(reduction='sum', dim=1, weight=[1. , 0.5, 2. ], ignore_index=-1, "
        "label_smoothing=0.2)"
    )
    assert repr(nn.NLLLoss()) == "NLLLoss(reduction='mean', dim=1)"


def test_a_compiled_step_with_the_options_equals_eager_execution() -> None:
    def make() -> tuple[nn.Linear, tg.optim.SGD]:
        lin = nn.Linear(3, 4, seed=0)
        return lin, tg.optim.SGD(lin.parameters(), lr=0.1)

    loss_fn = nn.CrossEntropyLoss(weight=[1.0, 2.0, 0.5, 1.5], ignore_index=2, label_smoothing=0.2)

    def step(lin: nn.Linear, opt: tg.optim.SGD, x: Tensor, y: Tensor) -> Tensor:
        opt.zero_grad()
        loss = loss_fn(lin(x), y)
        loss.backward()
        opt.step()
        return loss

    (eager, opt_e), (twin, opt_c) = make(), make()
    compiled = tg.compile(lambda x, y: step(twin, opt_c, x, y))
    for targets in ([0, 2, 3, 1, 2], [2, 2, 2, 2, 2], [3, 3, 0, 2, 1]):  # one batch all ignored
        x, y = Tensor(RNG.normal(size=(5, 3))), Tensor(np.array(targets))
        a, b = step(eager, opt_e, x, y), compiled(x, y)
        np.testing.assert_array_equal(a.data, b.data)
        np.testing.assert_array_equal(eager.weight.data, twin.weight.data)
        assert np.isnan(b.item()) == (targets == [2] * 5)


def test_explain_writes_the_weighted_target_and_the_ignored_samples() -> None:
    x, y = Tensor(LOGITS, requires_grad=True), Tensor(np.array([0, 1, -100, 2]))
    loss = F.cross_entropy(x, y, weight=[1.0, 2.0, 4.0])
    (line,) = derive(loss, {"Z": x, "y": y}).lines
    assert line.formula == (
        "(softmax(Z) ⊙ Σ_classes (weight ⊙ onehot(y)) − weight ⊙ onehot(y)) ⊙ [y ≠ -100]/7"
    )


# ---------------------------------------------------------------------------- refusals


def test_bad_options_are_refused_with_the_reason() -> None:
    x, t = Tensor(LOGITS), np.array([0, 1, 2, 1])
    refusals: list[tuple[Any, type[Exception], str]] = [
        ({"weight": [1.0, 2.0]}, ValueError, "weight has 2 entries for 3 classes"),
        ({"weight": np.ones((3, 1))}, ValueError, r"weight must be 1-D, .* got shape \(3, 1\)"),
        (
            {"weight": [True, False, True]},
            TypeError,
            "weight must hold real numbers, got dtype bool",
        ),
        ({"weight": ["a", "b", "c"]}, TypeError, "weight must hold real numbers"),
        (
            {"weight": Tensor([1.0, 2.0, 3.0], requires_grad=True)},
            TypeError,
            r"weight requires grad, .* \(pass weight.detach\(\)\)",
        ),
        ({"label_smoothing": 1.5}, ValueError, r"label_smoothing must lie in \[0, 1\], got 1.5"),
        ({"label_smoothing": -0.1}, ValueError, r"label_smoothing must lie in \[0, 1\]"),
        ({"label_smoothing": float("nan")}, ValueError, r"label_smoothing must lie in \[0, 1\]"),
        ({"label_smoothing": "0.1"}, TypeError, "label_smoothing must be a number"),
        ({"ignore_index": 1.0}, TypeError, "ignore_index must be an integer, got 1.0"),
    ]
    for options, error, message in refusals:
        with pytest.raises(error, match=message):
            F.cross_entropy(x, t, **options)
        if "label_smoothing" not in options:
            with pytest.raises(error, match=message):
                F.nll_loss(x, t, **options)
    with pytest.raises(ValueError, match="CrossEntropyLoss: label_smoothing must lie in"):
        nn.CrossEntropyLoss(label_smoothing=2.0)
    with pytest.raises(TypeError, match="NLLLoss: ignore_index must be an integer"):
        nn.NLLLoss(ignore_index=None)  # type: ignore[arg-type]


def test_class_indices_other_than_ignore_index_must_lie_in_range() -> None:
    x = Tensor(LOGITS)
    message = r"target class 3 is out of range for 3 classes \(.*ignore_index=-1\)"
    with pytest.raises(IndexError, match=message):
        F.cross_entropy(x, np.array([0, -1, 3, 1]), ignore_index=-1)
    with pytest.raises(IndexError, match="nll_loss: target class -100 is out of range"):
        F.nll_loss(x, np.array([0, -100, 2, 1]), ignore_index=-1)
    with pytest.raises(IndexError, match="target class -1 is out of range"):
        F.cross_entropy(x, np.array([0, -1, 2, 1]))  # only -100 is ignored by default
    assert np.isfinite(F.cross_entropy(x, np.array([0, -1, 2, 1]), ignore_index=-1).item())


def test_probability_targets_refuse_an_ignore_index_that_could_be_a_class() -> None:
    q = np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match="ignore_index 0 applies to class indices"):
        F.cross_entropy(Tensor(LOGITS), q, ignore_index=0)
    loose = F.cross_entropy(Tensor(LOGITS), q, ignore_index=-5)  # negative: no effect (PyTorch)
    assert loose.item() == F.cross_entropy(Tensor(LOGITS), q).item()


# ---------------------------------------------------------------------------- PyTorch


def _torch_pair(torch: Any, x: np.ndarray, t: np.ndarray, dim: int) -> tuple[Any, Any]:
    """PyTorch's layout: the classes on dim 1 (or an unbatched (C,) input)."""
    if dim == 0 and x.ndim == 2:
        x, t = x.T, (t if t.dtype.kind != "f" else t.T)
    return torch.tensor(x, requires_grad=True), torch.from_numpy(np.array(t))


@pytest.mark.parametrize(("shape", "dim"), CASES)
def test_values_and_gradients_equal_pytorchs(shape: tuple[int, ...], dim: int) -> None:
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    for seed in range(3):
        x, t, w = _case(shape, dim, seed=seed)
        rng = np.random.default_rng(seed)
        if seed == 2:  # ignore a class index instead of -100
            t = np.where(t == -100, 0, t)
        ignore = 0 if seed == 2 else -100
        soft = np.moveaxis(rng.dirichlet(np.ones(shape[dim]), size=x.size // shape[dim]), -1, 0)
        soft = np.moveaxis(soft.reshape((shape[dim],) + shape[:dim] + shape[dim + 1 :]), 0, dim)
        for reduction in REDUCTIONS:
            for target, eps in ((t, 0.0), (t, 0.3), (soft, 0.3)):
                opts: dict[str, Any] = {"weight": w if seed else None, "label_smoothing": eps}
                if target is t:
                    opts["ignore_index"] = ignore
                ours_x = Tensor(x, requires_grad=True)
                ours = F.cross_entropy(ours_x, target, reduction, dim, **opts)
                tx, tt = _torch_pair(torch, x, target, dim)
                weight = None if opts["weight"] is None else torch.from_numpy(w)
                theirs = tf.cross_entropy(tx, tt, reduction=reduction, **{**opts, "weight": weight})
                _same(torch, ours_x, ours, tx, theirs, dim)
            opts = {"weight": w if seed else None, "ignore_index": ignore}
            ours_x = Tensor(x, requires_grad=True)
            ours = F.nll_loss(ours_x, t, reduction, dim, **opts)
            tx, tt = _torch_pair(torch, x, t, dim)
            weight = None if opts["weight"] is None else torch.from_numpy(w)
            theirs = tf.nll_loss(tx, tt, reduction=reduction, **{**opts, "weight": weight})
            _same(torch, ours_x, ours, tx, theirs, dim)


def _same(torch: Any, ours_x: Tensor, ours: Tensor, tx: Any, theirs: Any, dim: int) -> None:
    upstream = np.linspace(-1.0, 2.0, ours.size).reshape(ours.shape)
    ours.backward(upstream)
    theirs.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    grad = tx.grad.numpy()
    grad = grad.T if dim == 0 and grad.ndim == 2 else grad
    assert ours_x.grad is not None
    np.testing.assert_allclose(ours_x.grad.data, grad, rtol=1e-12, atol=1e-14)


def test_pytorch_agrees_when_every_target_is_ignored_or_weighs_zero() -> None:
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    cases = [
        (np.array([-100, -100, -100, -100]), None, 0.0),
        (np.array([-100, -100, -100, -100]), np.array([1.0, 2.0, 3.0]), 0.2),
        (np.array([0, 1, 0, -100]), np.array([0.0, 0.0, 1.0]), 0.2),  # counted, all weight 0
    ]
    for t, w, eps in cases:
        ours_x = Tensor(LOGITS, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ours = F.cross_entropy(ours_x, t, weight=w, label_smoothing=eps)
            ours.backward()
        tx = torch.tensor(LOGITS, requires_grad=True)
        weight = None if w is None else torch.from_numpy(w)
        theirs = tf.cross_entropy(tx, torch.from_numpy(t), weight=weight, label_smoothing=eps)
        theirs.backward()
        assert np.isnan(ours.item()) and np.isnan(theirs.item())
        assert ours_x.grad is not None
        np.testing.assert_array_equal(ours_x.grad.data, tx.grad.numpy())  # NaN where torch's is
