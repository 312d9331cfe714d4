"""embedding(scale_grad_by_freq=True) against a NumPy reference, at first and second order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite.normalization import embedding

V, D = 5, 2


def _reference(idx: np.ndarray, g: np.ndarray, pad: int | None = None) -> np.ndarray:
    """Σ_{i: idx_i = k} g_i / count_k, and no gradient for the padding row."""
    flat = idx.reshape(-1)
    counts = np.bincount(flat, minlength=V)
    out = np.zeros((V, D))
    np.add.at(out, flat, g.reshape(-1, D) / counts[flat][:, None])
    if pad is not None:
        out[pad] = 0.0
    return out


@settings(max_examples=8, deadline=None)
@given(
    st.lists(st.integers(0, V - 1), min_size=1, max_size=6),
    st.sampled_from([None, 0, -1]),
    st.integers(0, 2**16),
)
def test_each_rows_gradient_is_divided_by_its_count(
    ids: list[int], pad: int | None, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    idx = np.array(ids).reshape(-1, 1) if len(ids) % 2 else np.array(ids).reshape(2, -1)
    w0 = rng.normal(size=(V, D))
    w = Tensor(w0.copy(), requires_grad=True)
    out = embedding(idx, w, padding_idx=pad, scale_grad_by_freq=True)
    g = rng.normal(size=out.shape)
    np.testing.assert_array_equal(out.data, w0[idx])  # the value is the plain lookup
    (gw,) = tg.grad(out, w, Tensor(g))
    np.testing.assert_allclose(gw.data, _reference(idx, g, None if pad is None else pad % V),
                               rtol=1e-14, atol=1e-15)  # fmt: skip


def test_counts_are_per_call_and_calls_accumulate() -> None:
    w = Tensor(np.ones((V, D)), requires_grad=True)
    a, b = np.array([1, 1, 2]), np.array([1, 3])
    (embedding(a, w, scale_grad_by_freq=True).sum() + embedding(b, w, scale_grad_by_freq=True)
     .sum()).backward()  # fmt: skip
    assert w.grad is not None
    np.testing.assert_allclose(w.grad.data[:, 0], [0.0, 2.0, 1.0, 1.0, 0.0])


def test_max_norm_renormalises_and_the_gradient_is_still_scaled() -> None:
    w0 = np.arange(1.0, V * D + 1).reshape(V, D)
    w = Tensor(w0.copy(), requires_grad=True)
    idx = np.array([4, 0, 4, 4])
    out = embedding(idx, w, max_norm=2.0, scale_grad_by_freq=True)
    norms = np.linalg.norm(w0[[0, 4]], axis=1, keepdims=True)
    np.testing.assert_allclose(w.data[[0, 4]], w0[[0, 4]] * 2.0 / (norms + 1e-7))
    np.testing.assert_array_equal(out.data, w.data[idx])
    g = np.arange(8.0).reshape(4, 2)
    (gw,) = tg.grad(out, w, Tensor(g))
    np.testing.assert_allclose(gw.data, _reference(idx, g), rtol=1e-14)


def test_module_matches_the_function_and_shows_the_flag() -> None:
    layer = nn.Embedding(V, D, padding_idx=1, scale_grad_by_freq=True, seed=0)
    assert repr(layer) == "Embedding(5, 2, padding_idx=1, scale_grad_by_freq=True)"
    idx = np.array([[0, 1, 0], [1, 3, 0]])
    layer(idx).sum().backward()
    assert layer.weight.grad is not None
    np.testing.assert_allclose(layer.weight.grad.data, _reference(idx, np.ones((2, 3, D)), 1))
    pre = nn.Embedding.from_pretrained(np.ones((V, D)), freeze=False, scale_grad_by_freq=True)
    pre(np.array([2, 2])).sum().backward()
    assert pre.weight.grad is not None and pre.weight.grad.data[2].tolist() == [1.0, 1.0]


def test_hooks_on_the_result_see_the_unscaled_gradient() -> None:
    w = Tensor(np.ones((V, D)), requires_grad=True)
    out = embedding(np.array([3, 3]), w, scale_grad_by_freq=True)
    seen: list[np.ndarray] = []
    out.register_hook(lambda g: seen.append(np.array(g.data if hasattr(g, "data") else g)))
    out.retain_grad()
    out.sum().backward()
    assert seen[0].tolist() == [[1.0, 1.0]] * 2 and out.grad is not None
    assert out.grad.tolist() == [[1.0, 1.0]] * 2
    assert w.grad is not None and w.grad.data[3].tolist() == [1.0, 1.0]


def test_a_recorded_backward_through_repeated_indices_is_refused() -> None:
    # The scaled gradient is not a derivative: differentiating it again has no right answer
    # (PyTorch's double backward ignores the scale), so create_graph=True is refused there.
    idx = np.array([0, 2, 0, 3, 0, 2])
    a = np.arange(1.0, 7.0)
    w = Tensor(np.linspace(0.5, 1.5, V).reshape(V, 1), requires_grad=True)
    out = embedding(idx, w, scale_grad_by_freq=True)
    with pytest.raises(RuntimeError, match=r"repeated indices .*\(create_graph=True\)"):
        tg.grad(((out[:, 0] * Tensor(a)).sum()) ** 2, w, create_graph=True)
    u = Tensor(np.ones(out.shape), requires_grad=True)  # a gradient that carries a graph
    with pytest.raises(RuntimeError, match="cannot be differentiated again"):
        tg.grad(out, w, u, create_graph=True)
    # A gradient without a graph of its own is scaled as in a plain backward.
    (gw,) = tg.grad((out[:, 0] * Tensor(a)).sum(), w, create_graph=True)
    counts = np.bincount(idx, minlength=V)
    expected = np.bincount(idx, weights=a, minlength=V) / np.maximum(counts, 1)
    np.testing.assert_allclose(gw.data[:, 0], expected, rtol=1e-15)


def test_distinct_indices_differentiate_twice_as_without_the_flag() -> None:
    idx = np.array([[4, 0], [2, 1]])
    hvps = []
    for flag in (True, False):
        w = Tensor(np.linspace(0.5, 1.5, V * D).reshape(V, D), requires_grad=True)
        out = embedding(idx, w, scale_grad_by_freq=flag)
        (gw,) = tg.grad((out.sum(0) ** 3).sum(), w, create_graph=True)
        hvps.append(tg.grad((gw * gw).sum(), w)[0].data)
    np.testing.assert_array_equal(*hvps)
    assert np.abs(hvps[0]).sum() > 0


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda w: embedding([0], w, scale_grad_by_freq=1), TypeError,  # type: ignore[arg-type]
         "scale_grad_by_freq must be a bool, got 1"),
        (lambda w: embedding([0], w, scale_grad_by_freq=True, sparse=True), NotImplementedError,
         "sparse"),
        (lambda w: nn.Embedding(V, D, scale_grad_by_freq=True, sparse=True), ValueError,
         "sparse=True"),
        (lambda w: nn.Embedding(V, D, scale_grad_by_freq=None)(np.array([0])), TypeError,
         "scale_grad_by_freq"),  # type: ignore[arg-type]
    ],
)  # fmt: skip
def test_bad_arguments_are_refused(call: object, error: type, match: str) -> None:
    w = Tensor(np.ones((V, D)), requires_grad=True)
    with pytest.raises(error, match=match):
        call(w)  # type: ignore[operator]
