"""embedding_bag and EmbeddingBag against PyTorch: values, gradients, max_norm, reprs, refusals.

Optional: skipped when torch is not installed. The same float64 values go through both
libraries; values and gradients agree to 1e-12. With scale_grad_by_freq the indices are drawn
so that every index appears equally often: where counts differ, PyTorch's CPU kernel divides a
row's gradient by the count of another index, and this library follows PyTorch's documentation
(the row's own count) instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor
from tinygrad_lite.embed_bag import EmbeddingBag, embedding_bag

torch = pytest.importorskip("torch")
TF = torch.nn.functional
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=12)
@given(st.data())
def test_bags_equal_pytorchs(data: Any) -> None:
    draw = data.draw
    v, d, n = draw(st.integers(1, 5)), draw(st.integers(0, 3)), draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    idx = rng.integers(0, v, n)
    mode = draw(st.sampled_from(["sum", "mean", "max"]))
    kw: dict[str, Any] = {"mode": mode, "padding_idx": draw(st.none() | st.integers(-v, v - 1))}
    if mode != "max" and draw(st.booleans()):
        idx = np.tile(rng.permutation(v)[: max(1, n // 2)], 2)  # every index twice
        kw["scale_grad_by_freq"] = True
    w = rng.integers(-2, 3, (v, d)).astype(float)  # ties
    if w.size and draw(st.booleans()):
        w.flat[rng.integers(0, w.size)] = np.nan
    if draw(st.booleans()):  # a 2-D input: fixed bags
        idx = idx.reshape(draw(st.sampled_from([k for k in (1, 2) if idx.size % k == 0])), -1)
        offsets = None
    else:
        offsets = np.sort(rng.integers(0, idx.size + 1, draw(st.integers(1, 4))))
        offsets[0] = 0
        if draw(st.booleans()):
            offsets, kw["include_last_offset"] = np.append(offsets, idx.size), True
    psw = rng.standard_normal(idx.shape) if mode == "sum" and draw(st.booleans()) else None
    ours = [Tensor(w, requires_grad=True), None if psw is None else Tensor(psw, requires_grad=True)]
    theirs = [torch.tensor(w, requires_grad=True)]
    theirs.append(None if psw is None else torch.tensor(psw, requires_grad=True))
    y = embedding_bag(idx, ours[0], offsets, per_sample_weights=ours[1], **kw)
    if offsets is None:  # PyTorch's own code makes these offsets for a 2-D input (whose path
        offsets = np.arange(0, idx.size, idx.shape[1])  # costs a second of imports on its
        idx = idx.reshape(-1)  # first call)
        theirs[1] = None if psw is None else torch.tensor(psw.reshape(-1), requires_grad=True)
    ty = TF.embedding_bag(
        torch.tensor(idx), theirs[0], torch.tensor(offsets), per_sample_weights=theirs[1], **kw
    )
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    if y.size:
        g = rng.standard_normal(y.shape)
        y.backward(g)
        ty.backward(torch.tensor(g))
        for a, b in zip(ours, theirs, strict=True):
            if a is not None:
                _close(a.grad.data.reshape(b.shape), b.grad)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), 0.5])
def test_max_norm_renormalises_as_pytorch(dtype: Any, norm_type: float) -> None:
    w = (np.random.default_rng(1).standard_normal((6, 3)) * 2).astype(dtype)
    ours, theirs = Tensor(w.copy(), requires_grad=True), torch.tensor(w, requires_grad=True)
    idx, offsets = np.array([0, 2, 2, 5, 1]), np.array([0, 3])
    kw = {"max_norm": 1.5, "norm_type": norm_type, "mode": "sum"}
    y = embedding_bag(idx, ours, offsets, **kw)
    ty = TF.embedding_bag(torch.tensor(idx), theirs, torch.tensor(offsets), **kw)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=tol, atol=tol)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"mode": "sum", "padding_idx": -1},
        {"max_norm": 1.0, "norm_type": 1, "scale_grad_by_freq": True, "mode": "max"},
        {"norm_type": 2.5, "include_last_offset": True, "padding_idx": 2},
    ],
)
def test_the_layer_is_shown_and_saved_as_pytorchs(kw: dict[str, Any]) -> None:
    ours, theirs = EmbeddingBag(5, 3, **kw), torch.nn.EmbeddingBag(5, 3, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    table = np.arange(6.0).reshape(3, 2)
    ours = EmbeddingBag.from_pretrained(Tensor(table), padding_idx=1)
    theirs = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(table), padding_idx=1)
    assert repr(ours) == repr(theirs) and ours.weight.requires_grad == theirs.weight.requires_grad
    x = np.array([[0, 1], [2, 2]])
    _close(ours(x).data, theirs(torch.tensor(x)))


REFUSED_BY_BOTH: list[dict[str, Any]] = [
    {"input": np.array([3])},
    {"input": np.array([-1])},
    {"input": np.array([0.0])},
    {"offsets": np.array([1])},
    {"offsets": np.array([0, 2])},
    {"offsets": np.array([[0]])},
    {"input": np.zeros((1, 1, 1), np.int64)},
    {"input": np.zeros((2, 0), np.int64), "offsets": None},
    {"mode": "max", "scale_grad_by_freq": True},
    {"mode": "mean", "per_sample_weights": np.array([1.0])},
    {"mode": "sum", "per_sample_weights": np.array([1.0, 2.0])},
    {"padding_idx": 3},
    {"offsets": np.zeros(0, np.int64), "include_last_offset": True},
]
# Accepted by PyTorch, refused here: a last offset short of the input's length with
# include_last_offset (PyTorch's CPU kernel then lets the last bag run on to the end), offsets
# that decrease (it assigns the positions to bags out of order), and sparse gradients.
REFUSED_HERE: list[dict[str, Any]] = [
    {"input": np.array([0, 1]), "offsets": np.array([0, 1]), "include_last_offset": True},
    {"input": np.array([0, 1, 2]), "offsets": np.array([0, 2, 1])},
    {"sparse": True},
]


def _call(lib: str, kw: dict[str, Any]) -> Any:
    args = {"input": np.array([0]), "offsets": np.array([0]), **kw}
    w = np.ones((3, 2))
    if lib == "ours":
        return embedding_bag(args.pop("input"), Tensor(w), **args)
    psw = args.get("per_sample_weights")
    args["per_sample_weights"] = None if psw is None else torch.tensor(psw)
    offsets = args.pop("offsets")
    offsets = None if offsets is None else torch.tensor(offsets)
    return TF.embedding_bag(torch.tensor(args.pop("input")), torch.tensor(w), offsets, **args)


@pytest.mark.parametrize(
    ("kw", "pytorch_accepts"),
    [(kw, False) for kw in REFUSED_BY_BOTH] + [(kw, True) for kw in REFUSED_HERE],
)
def test_refusals_are_pytorchs_or_documented(kw: dict[str, Any], pytorch_accepts: bool) -> None:
    with pytest.raises((ValueError, TypeError, IndexError, NotImplementedError)):
        _call("ours", kw)
    if pytorch_accepts:
        _call("torch", kw)
    else:
        with pytest.raises((RuntimeError, ValueError, TypeError, IndexError, NotImplementedError)):
            _call("torch", kw)
