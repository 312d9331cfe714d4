"""Embedding: initialisation, lookups of any shape, accumulated gradients, the padding row."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradcheck
from tinygrad_lite.tracing import TraceError


def test_weights_are_standard_normal_draws_from_the_default_generator() -> None:
    tg.manual_seed(3)
    first = nn.Embedding(6, 4)
    expected = np.random.default_rng(3).standard_normal((6, 4))
    np.testing.assert_array_equal(first.weight.data, expected)
    tg.manual_seed(3)
    np.testing.assert_array_equal(nn.Embedding(6, 4).weight.data, expected)
    np.testing.assert_array_equal(nn.Embedding(6, 4, seed=3).weight.data, expected)
    big = nn.Embedding(200, 50, seed=0).weight.data
    assert abs(big.mean()) < 0.02 and abs(big.std() - 1.0) < 0.02  # N(0, 1), as PyTorch
    padded = nn.Embedding(6, 4, padding_idx=2, seed=3).weight.data
    np.testing.assert_array_equal(padded[2], np.zeros(4))
    np.testing.assert_array_equal(np.delete(padded, 2, axis=0), np.delete(expected, 2, axis=0))
    assert nn.Embedding(3, 2, dtype=np.float32).weight.dtype == np.float32


@pytest.mark.parametrize("indices", [2, [4, 0, 4], [[1, 2, 3], [3, 2, 1]], np.zeros((2, 1, 2))])
def test_a_lookup_of_any_shape_returns_the_rows(indices: object) -> None:
    emb = nn.Embedding(5, 3, seed=0)
    idx = np.asarray(indices).astype(np.int64)
    out = emb(Tensor(idx))
    assert out.shape == idx.shape + (3,)
    for pos in np.ndindex(idx.shape):
        np.testing.assert_array_equal(out.data[pos], emb.weight.data[idx[pos]])
    plain = idx if isinstance(indices, np.ndarray) else indices  # lists and ints are taken too
    np.testing.assert_array_equal(emb(plain).data, out.data)


def test_the_gradient_of_a_row_sums_over_its_repeats() -> None:
    emb = nn.Embedding(4, 2, seed=1)
    idx = np.array([[3, 1, 3], [3, 0, 1]], dtype=np.int32)
    g = np.arange(12.0).reshape(2, 3, 2)
    (emb(idx) * Tensor(g)).sum().backward()
    expected = np.zeros((4, 2))
    for pos in np.ndindex(idx.shape):
        expected[idx[pos]] += g[pos]
    np.testing.assert_array_equal(emb.weight.grad.data, expected)
    assert expected[2].tolist() == [0.0, 0.0] and expected[3].tolist() == [0 + 4 + 6, 1 + 5 + 7]


def test_the_gradient_matches_finite_differences() -> None:
    w = Tensor(np.random.default_rng(2).standard_normal((5, 3)), requires_grad=True)
    idx = np.array([[0, 4, 4], [2, 0, 1]])
    assert gradcheck(lambda w: F.embedding(idx, w) * F.embedding(idx[::-1], w), w)


def test_the_padding_row_is_looked_up_but_gets_no_gradient() -> None:
    emb = nn.Embedding(4, 2, padding_idx=-1, seed=4)
    assert emb.padding_idx == 3 and repr(emb) == "Embedding(4, 2, padding_idx=3)"
    emb.weight.data[3] = [7.0, 8.0]  # changed by hand: its values are still what it returns
    idx = np.array([3, 1, 3, 0])
    out = emb(idx)
    np.testing.assert_array_equal(out.data[0], [7.0, 8.0])
    (out * Tensor(np.ones((4, 2)))).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data, [[1, 1], [1, 1], [0, 0], [0, 0]])
    before = emb.weight.data[3].copy()
    tg.optim.SGD(emb.parameters(), lr=1.0).step()
    np.testing.assert_array_equal(emb.weight.data[3], before)


def test_bad_indices_and_settings_are_refused_with_clear_errors() -> None:
    emb = nn.Embedding(4, 2)
    with pytest.raises(TypeError, match="indices must be integers .* got dtype float64"):
        emb(np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="got dtype bool"):
        emb(np.array([True, False]))
    with pytest.raises(IndexError, match=r"index 4 is out of range for 4 embeddings .*\[0, 3\]"):
        emb(np.array([[0, 4], [1, 2]]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        emb(np.array([-1, 0]))  # NumPy would wrap it around; PyTorch refuses it
    with pytest.raises(ValueError, match=r"padding_idx must lie in \[-4, 4\)"):
        nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(TypeError, match="padding_idx must be an int or None"):
        nn.Embedding(4, 2, padding_idx=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="embedding_dim must be >= 1"):
        nn.Embedding(4, 0)
    with pytest.raises(ValueError, match=r"weight must be 2-D \(V, D\)"):
        F.embedding(np.array([0]), Tensor(np.zeros(3)))
    assert list(emb.state_dict()) == ["weight"] and emb(np.zeros((0,), np.int64)).shape == (0, 2)


def test_a_compiled_step_replays_fixed_lookups_and_refuses_index_arguments() -> None:
    idx = np.array([2, 0, 2])

    def make():
        emb = nn.Embedding(3, 2, padding_idx=0, seed=5)
        opt = tg.optim.SGD(emb.parameters(), lr=0.5)

        def step(target: Tensor) -> Tensor:
            opt.zero_grad()
            loss = F.mse_loss(emb(idx), target)
            loss.backward()
            opt.step()
            return loss

        return emb, step

    (eager_emb, eager), (comp_emb, step) = make(), make()
    fast = tg.compile(step)
    target = Tensor(np.ones((3, 2)))
    for _ in range(3):
        assert eager(target).data.tobytes() == fast(target).data.tobytes()
        assert eager_emb.weight.data.tobytes() == comp_emb.weight.data.tobytes()
    assert fast.traces == 1
    lookup = tg.compile(lambda i: comp_emb(i).sum())
    with pytest.raises(TraceError, match="embedding's indices are an input of the compiled step"):
        lookup(Tensor(idx))
