"""embedding_bag and EmbeddingBag: values and gradients against loops over the bags, finite
differences in float64 (first and second order), max_norm, the layer, and refusals."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.embed_bag import EmbeddingBag, embedding_bag
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck
from tinygrad_lite.tracing import TraceError


def _reference(
    idx: np.ndarray, w: np.ndarray, starts: list[int], mode: str, psw: Any, pad: Any, g: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The bags' values and the weight's gradient for upstream g, one bag at a time."""
    n, (v, d) = len(idx), w.shape
    out, grad = np.zeros((len(starts), d)), np.zeros((v, d))
    for b, start in enumerate(starts):
        end = starts[b + 1] if b + 1 < len(starts) else n
        members = [i for i in range(start, end) if idx[i] != pad]
        if not members:
            continue
        if mode == "max":
            for col in range(d):
                best = members[0]  # the first, then any strictly greater
                for i in members[1:]:
                    if w[idx[i], col] > w[idx[best], col]:
                        best = i
                out[b, col] = w[idx[best], col]
                grad[idx[best], col] += g[b, col]
            continue
        scale = [1.0 if psw is None else psw[i] for i in members]
        if mode == "mean":
            scale = [s / len(members) for s in scale]
        for s, i in zip(scale, members, strict=True):
            out[b] += s * w[idx[i]]
            grad[idx[i]] += s * g[b]
    return out, grad


@settings(max_examples=30)
@given(st.data())
def test_values_and_gradients_equal_loops_over_the_bags(data: Any) -> None:
    draw = data.draw
    v, d, n = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(0, 7))
    idx = np.array(draw(st.lists(st.integers(0, v - 1), min_size=n, max_size=n)), dtype=np.int64)
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    starts = [0, *cuts]
    mode = draw(st.sampled_from(["sum", "mean", "max"]))
    pad = draw(st.none() | st.integers(-v, v - 1))
    last = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w = rng.integers(-2, 3, (v, d)).astype(float)  # ties, for max
    psw = rng.standard_normal(n) if mode == "sum" and draw(st.booleans()) else None
    offsets = starts + [n] if last else starts
    weight = Tensor(w, requires_grad=True)
    out = embedding_bag(
        Tensor(idx), weight, Tensor(np.array(offsets)), mode=mode, include_last_offset=last,
        per_sample_weights=None if psw is None else Tensor(psw), padding_idx=pad,
    )  # fmt: skip
    g = rng.standard_normal((len(starts), d))
    expected, grad = _reference(idx, w, starts, mode, psw, None if pad is None else pad % v, g)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert out.dtype == np.float64 and out.shape == (len(starts), d)
    out.backward(g)
    np.testing.assert_allclose(weight.grad.data, grad, rtol=1e-12, atol=1e-12)


def test_a_2d_input_is_bags_of_its_rows() -> None:
    w = Tensor(np.arange(12.0).reshape(4, 3))
    idx = np.array([[0, 3], [2, 2], [1, 0]])
    for mode in ("sum", "mean", "max"):
        out = embedding_bag(idx, w, mode=mode)
        flat = embedding_bag(idx.reshape(-1), w, np.array([0, 2, 4]), mode=mode)
        np.testing.assert_array_equal(out.data, flat.data)
    psw = Tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    out = embedding_bag(idx, w, mode="sum", per_sample_weights=psw)
    np.testing.assert_allclose(out.data[1], 7.0 * w.data[2])


def test_nan_wins_a_max_only_where_it_comes_first() -> None:
    w = Tensor(np.array([[np.nan, 1.0], [2.0, np.nan], [0.0, 0.0]]))
    out = embedding_bag(np.array([0, 1, 2, 1, 0]), w, np.array([0, 3]), mode="max")
    np.testing.assert_array_equal(out.data, [[np.nan, 1.0], [2.0, np.nan]])


def test_gradients_match_finite_differences_of_every_order() -> None:
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    psw = Tensor(rng.standard_normal(6), requires_grad=True)
    idx, offsets = np.array([0, 2, 2, 4, 1, 0]), np.array([0, 2, 2, 5])

    def weighted(a: Tensor, p: Tensor) -> Tensor:
        return embedding_bag(idx, a, offsets, mode="sum", per_sample_weights=p) ** 2

    assert gradcheck(weighted, w, psw) and gradgradcheck(weighted, w, psw)
    for mode in ("mean", "max"):

        def reduced(a: Tensor, mode: str = mode) -> Tensor:
            return embedding_bag(idx, a, offsets, mode=mode, padding_idx=2) ** 2

        assert gradcheck(reduced, w) and gradgradcheck(reduced, w)


def test_scale_grad_by_freq_divides_each_rows_gradient_by_its_count() -> None:
    w = Tensor(np.ones((4, 2)), requires_grad=True)
    idx = np.array([2, 0, 1, 0, 1, 0, 3])
    out = embedding_bag(idx, w, np.array([0, 4]), mode="mean", scale_grad_by_freq=True)
    np.testing.assert_array_equal(out.data, np.ones((2, 2)))  # the values are unchanged
    out.backward(np.array([[4.0, 8.0], [3.0, 6.0]]))
    # row 0: [2·(4, 8)/4 + (3, 6)/3]/3, row 1: [(4, 8)/4 + (3, 6)/3]/2, rows 2, 3: one look
    expected = [[1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]
    np.testing.assert_allclose(w.grad.data, expected, rtol=1e-15)
    one = embedding_bag(idx, w, np.array([0]), mode="sum", scale_grad_by_freq=True)
    (g,) = tg.grad(one.sum(), [w])
    np.testing.assert_array_equal(g.data, np.ones((4, 2)))  # Σ over a row's n looks, / n


def test_max_norm_rescales_the_rows_looked_up_in_place() -> None:
    w0 = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [0.0, 9.0]])
    w = Tensor(w0.copy(), requires_grad=True)
    data = w.data
    out = embedding_bag(np.array([0, 1, 0, 2]), w, np.array([0, 2]), max_norm=1.0, mode="sum")
    assert w.data is data and w.grad is None and w.is_leaf  # changed in place, unrecorded
    scaled = w0.copy()
    scaled[[0, 2]] *= 1.0 / (np.array([5.0, 10.0]) + 1e-7)[:, None]
    np.testing.assert_allclose(w.data, scaled, rtol=1e-15)  # row 3 was not looked up
    np.testing.assert_allclose(out.data, [scaled[0] + scaled[1], scaled[0] + scaled[2]])
    embedding_bag(np.array([3]), w, np.array([0]), max_norm=2.0, norm_type=1)
    np.testing.assert_allclose(w.data[3], [0.0, 2.0 / (9.0 + 1e-7) * 9.0], rtol=1e-15)
    stale = (w * w).sum()
    embedding_bag(np.array([[0]]), w, max_norm=0.5)
    with pytest.raises(RuntimeError, match="modified in place"):
        stale.backward()


def test_empty_inputs_and_empty_bags() -> None:
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    out = embedding_bag(np.zeros(0, np.int64), w, np.zeros(0, np.int64))
    assert out.shape == (0, 2)
    out = embedding_bag(np.array([1, 1]), w, np.array([0, 0, 2, 2]), mode="max")
    np.testing.assert_array_equal(out.data, [[0.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    out = embedding_bag(np.array([1, 1]), w, np.array([0]), mode="mean", padding_idx=1)
    np.testing.assert_array_equal(out.data, [[0.0, 0.0]])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.data, np.zeros((3, 2)))
    assert embedding_bag(np.zeros((0, 3), np.int64), w, mode="max").shape == (0, 2)


def test_the_layer_draws_shares_and_shows_its_weight() -> None:
    layer = EmbeddingBag(6, 3, mode="sum", padding_idx=-2, seed=4)
    expected = np.random.default_rng(4).standard_normal((6, 3))
    expected[4] = 0.0
    np.testing.assert_array_equal(layer.weight.data, expected)
    assert list(layer.state_dict()) == ["weight"]
    assert repr(layer) == "EmbeddingBag(6, 3, mode='sum', padding_idx=4)"
    shown = EmbeddingBag(2, 1, max_norm=1.0, norm_type=1, scale_grad_by_freq=True)
    assert repr(shown) == (
        "EmbeddingBag(2, 1, max_norm=1.0, norm_type=1, scale_grad_by_freq=True, mode='mean')"
    )
    table = Tensor(np.arange(6.0).reshape(3, 2))
    frozen = EmbeddingBag.from_pretrained(table, mode="max", padding_idx=0)
    assert frozen.weight.data is table.data and not frozen.weight.requires_grad
    assert frozen.weight.data[0].tolist() == [0.0, 1.0]  # the padding row is kept
    out = frozen(np.array([0, 1, 2]), np.array([0, 2]))
    np.testing.assert_array_equal(out.data, [[2.0, 3.0], [4.0, 5.0]])
    trained = EmbeddingBag.from_pretrained(table, freeze=False)
    psw = np.array([1.0, -1.0])
    trained(np.array([[2, 1]]), per_sample_weights=None).sum().backward()
    assert trained.weight.grad.data.tolist() == [[0.0, 0.0], [0.5, 0.5], [0.5, 0.5]]
    assert EmbeddingBag(3, 2, mode="sum", dtype=np.float32)(np.array([[1]])).dtype == np.float32
    summed = EmbeddingBag(3, 2, mode="sum", _weight=table)
    assert summed(np.array([[2, 1]]), per_sample_weights=psw[None]).tolist() == [[2.0, 2.0]]


def test_a_compiled_step_replays_the_max_and_refuses_changing_bags() -> None:
    layer = EmbeddingBag(5, 3, mode="max", seed=0)
    twin = EmbeddingBag(5, 3, mode="max", seed=0)
    idx = Tensor(np.array([[0, 1, 2], [3, 4, 4]]))

    def loss(m: EmbeddingBag, opt: tg.optim.SGD) -> Tensor:
        opt.zero_grad()
        value = (m(idx) ** 2).sum()
        value.backward()
        opt.step()
        return value

    opts = [tg.optim.SGD(m.parameters(), lr=0.5) for m in (layer, twin)]
    step = tg.compile(lambda: loss(layer, opts[0]))
    for _ in range(3):
        assert step().item() == loss(twin, opts[1]).item()
    np.testing.assert_array_equal(layer.weight.data, twin.weight.data)
    with pytest.raises(TraceError, match="input of the compiled step"):
        tg.compile(lambda i: layer(i).sum())(idx)
    with pytest.raises(TraceError, match="max_norm"):
        tg.compile(lambda: embedding_bag(idx, layer.weight, max_norm=1.0).sum())()


W = Tensor(np.ones((3, 2)))
ONE = np.array([0])
BAD: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"input": np.array([0.5])}, TypeError, "must hold integers"),
    ({"weight": Tensor(np.ones(3))}, ValueError, "weight must be 2-D"),
    ({"weight": Tensor(np.ones((3, 2), np.int64))}, TypeError, "floating point"),
    ({"input": np.zeros((1, 1, 1), np.int64)}, ValueError, "1-D (with offsets) or 2-D"),
    ({"offsets": None}, ValueError, "needs offsets"),
    ({"input": np.zeros((2, 1), np.int64)}, ValueError, "offsets must be None"),
    ({"input": np.zeros((2, 0), np.int64), "offsets": None}, ValueError, "needs N >= 1"),
    ({"offsets": np.array([[0]])}, ValueError, "offsets must be 1-D"),
    (
        {"offsets": np.array([1])},
        ValueError,
        "offsets[0] must be 0 (where the first bag starts), got 1",
    ),
    ({"input": np.array([0, 1]), "offsets": np.array([0, 2, 1])}, ValueError, "not decrease"),
    ({"offsets": np.array([0, 2])}, ValueError, "must not pass the input's length 1, got 2"),
    ({"offsets": np.zeros(0, np.int64)}, ValueError, "are in no bag"),
    ({"offsets": ONE, "include_last_offset": True}, ValueError, "must be the input's length 1"),
    ({"offsets": np.zeros(0, np.int64), "include_last_offset": True}, ValueError, "no offsets"),
    ({"input": np.array([3])}, IndexError, "index 3 is out of range for 3 embeddings"),
    ({"input": np.array([-1])}, IndexError, "index -1 is out of range"),
    ({"mode": "avg"}, ValueError, "mode must be 'sum', 'mean' or 'max', got 'avg'"),
    ({"mode": "max", "scale_grad_by_freq": True}, ValueError, "scale_grad_by_freq"),
    ({"sparse": True}, ValueError, "sparse=True"),
    ({"per_sample_weights": Tensor([1.0])}, NotImplementedError, "mode='sum', got mode='mean'"),
    ({"per_sample_weights": Tensor([1.0, 2.0]), "mode": "sum"}, ValueError, "input's shape"),
    ({"per_sample_weights": Tensor([1.0], dtype=np.float32), "mode": "sum"}, TypeError, "dtype"),
    ({"padding_idx": 3}, ValueError, r"padding_idx must lie in [-3, 3)"),
    ({"padding_idx": True}, TypeError, "padding_idx must be an int"),
    ({"max_norm": "1"}, TypeError, "max_norm must be a real number"),
]


@pytest.mark.parametrize(("change", "error", "message"), BAD)
def test_bad_arguments_are_refused_with_their_values(
    change: dict[str, Any], error: type[Exception], message: str
) -> None:
    kwargs: dict[str, Any] = {"input": ONE, "weight": W, "offsets": ONE * 0, **change}
    with pytest.raises(error, match=re.escape(message)):
        embedding_bag(**kwargs)


def test_the_layer_refuses_bad_settings() -> None:
    with pytest.raises(ValueError, match="mode must be"):
        EmbeddingBag(3, 2, mode="median")
    with pytest.raises(ValueError, match="sparse=True"):
        EmbeddingBag(3, 2, sparse=True)
    with pytest.raises(ValueError, match=re.escape("padding_idx must lie in [-3, 3)")):
        EmbeddingBag(3, 2, padding_idx=-4)
    with pytest.raises(ValueError, match=re.escape("_weight of shape (2, 2) does not match")):
        EmbeddingBag(3, 2, _weight=np.ones((2, 2)))
    with pytest.raises(ValueError, match="embeddings must be 2-D"):
        EmbeddingBag.from_pretrained(np.ones(3))
    with pytest.raises(TypeError, match="num_embeddings must be an int"):
        EmbeddingBag(2.0, 3)  # type: ignore[arg-type]
