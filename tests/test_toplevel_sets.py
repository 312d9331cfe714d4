"""unique, unique_consecutive, count_nonzero, bincount, histc, isin, searchsorted and bucketize:
NumPy references, dtypes, NaN rules, the weights' gradient and the refusals."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor

NAN = np.nan


def test_unique_flat_with_inverse_and_counts() -> None:
    x = np.array([[3, 1], [3, 2]])
    values, inverse, counts = tg.unique(tg.tensor(x), return_inverse=True, return_counts=True)
    assert values.tolist() == [1, 2, 3] and counts.tolist() == [1, 1, 2]
    assert inverse.shape == x.shape and inverse.dtype == counts.dtype == np.int64
    np.testing.assert_array_equal(values.data[inverse.data], x)
    assert tg.unique(tg.tensor([2, 1, 2]), sorted=False).tolist() == [1, 2]


def test_unique_keeps_every_nan_distinct() -> None:
    values, counts = tg.unique(tg.tensor([NAN, 1.0, NAN]), return_counts=True)
    np.testing.assert_array_equal(values.data, [1.0, NAN, NAN])
    assert counts.tolist() == [1, 1, 1]
    assert tg.unique_consecutive(tg.tensor([NAN, NAN])).shape == (2,)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unique_along_dim_matches_numpy(dim: int) -> None:
    x = np.array([[1, 2, 1], [1, 2, 1], [0, 5, 0]])
    values, inverse, counts = tg.unique(
        tg.tensor(x), dim=dim, return_inverse=True, return_counts=True
    )
    want, w_inv, w_counts = np.unique(x, axis=dim, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.data, want)
    np.testing.assert_array_equal(inverse.data, w_inv.reshape(-1))
    np.testing.assert_array_equal(counts.data, w_counts)


def test_unique_consecutive_flat_and_along_dim() -> None:
    out, inverse, counts = tg.unique_consecutive(
        tg.tensor([1, 1, 2, 2, 1, 3]), return_inverse=True, return_counts=True
    )
    assert out.tolist() == [1, 2, 1, 3]
    assert inverse.tolist() == [0, 0, 1, 1, 2, 3] and counts.tolist() == [2, 2, 1, 1]
    rows, counts = tg.unique_consecutive(
        tg.tensor([[1, 1], [1, 1], [2, 3]]), dim=0, return_counts=True
    )
    assert rows.tolist() == [[1, 1], [2, 3]] and counts.tolist() == [2, 1]


def test_count_nonzero() -> None:
    x = tg.tensor([[0.0, 1.0], [2.0, 0.0], [3.0, 4.0]])
    assert tg.count_nonzero(x).item() == 4 and tg.count_nonzero(x).dtype == np.int64
    assert tg.count_nonzero(x, 0).tolist() == [2, 2]
    assert tg.count_nonzero(x, (0, 1)).item() == 4
    with pytest.raises(ValueError, match="twice"):
        tg.count_nonzero(x, (0, 0))


def test_bincount_counts_weights_and_gradient() -> None:
    x = tg.tensor([1, 1, 3])
    assert tg.bincount(x).tolist() == [0, 2, 0, 1] and tg.bincount(x).dtype == np.int64
    assert tg.bincount(x, minlength=6).tolist() == [0, 2, 0, 1, 0, 0]
    assert tg.bincount(tg.tensor(np.zeros(0, np.int64))).shape == (0,)
    w32 = tg.tensor([1.0, 2.0, 3.0], dtype=np.float32)
    assert tg.bincount(x, w32).dtype == np.float32
    assert tg.bincount(x, tg.tensor([1, 2, 3])).dtype == np.float64
    w = Tensor([0.5, 2.0, 3.0], requires_grad=True)
    np.testing.assert_array_equal(tg.bincount(x, w).data, [0.0, 2.5, 0.0, 3.0])
    assert tg.gradcheck(lambda v: tg.bincount(x, v, minlength=5), w)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((tg.tensor([-1]),), "non-negative integers"),
        ((tg.tensor([1.0]),), "non-negative integers"),
        ((tg.tensor([[1]]),), "non-negative integers"),
        ((tg.tensor([0, 1]), tg.tensor([1.0, 2.0, 3.0])), "as long as input"),
    ],
)
def test_bincount_refusals(args: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        tg.bincount(*args)
    with pytest.raises(ValueError, match="minlength"):
        tg.bincount(tg.tensor([1]), minlength=-1)


def test_histc_bins_edges_and_range() -> None:
    assert tg.histc(tg.tensor([1.0, 2.0, 1.0, 4.0]), 4, 0, 3).tolist() == [0.0, 2.0, 1.0, 0.0]
    # the data's own range, the top edge in the last bin, NaN and outside values left out
    assert tg.histc(tg.tensor([1.0, 2.0]), 4).tolist() == [1.0, 0.0, 0.0, 1.0]
    assert tg.histc(tg.tensor([1.0, 1.0]), 4).tolist() == [0.0, 0.0, 2.0, 0.0]
    assert tg.histc(tg.tensor([NAN, 0.5, 9.0]), 2, 0, 1).tolist() == [0.0, 1.0]
    x = np.random.default_rng(0).normal(size=50)
    np.testing.assert_array_equal(
        tg.histc(tg.tensor(x), 7, -1, 1).data, np.histogram(x, 7, (-1, 1))[0]
    )
    out = tg.histc(tg.tensor([0.1, 0.2], dtype=np.float32), 3)
    assert out.dtype == np.float32 and not out.requires_grad


@pytest.mark.parametrize(
    ("x", "kwargs", "match"),
    [
        (tg.tensor([1, 2]), {}, "float tensor"),
        (tg.tensor([1.0]), {"bins": 0}, "positive int"),
        (tg.tensor([1.0]), {"min": 3, "max": 1}, "larger than min"),
        (tg.tensor([1.0, np.inf]), {}, "not finite"),
    ],
)
def test_histc_refusals(x: Tensor, kwargs: dict, match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        tg.histc(x, **kwargs)


def test_isin_forms() -> None:
    assert tg.isin(tg.tensor([1.0, 2.0, NAN]), tg.tensor([2, 5])).tolist() == [False, True, False]
    assert tg.isin(2, tg.tensor([1, 2])).item() is True
    assert tg.isin(tg.tensor([1, 2]), 2, invert=True).tolist() == [True, False]
    with pytest.raises(TypeError, match="must be a Tensor"):
        tg.isin(1, 2)


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_matches_numpy_for_1d_and_rows(side: str) -> None:
    seq = np.array([[1, 3, 3, 5], [0, 2, 4, 6]])
    v = np.array([[3, 0, 9], [4, 5, 6]])
    got = tg.searchsorted(tg.tensor(seq), tg.tensor(v), side=side)
    assert got.dtype == np.int64
    for r in range(2):
        np.testing.assert_array_equal(got.data[r], np.searchsorted(seq[r], v[r], side=side))
    flat = tg.searchsorted(tg.tensor(seq[0]), tg.tensor(v), right=side == "right", out_int32=True)
    assert flat.dtype == np.int32
    np.testing.assert_array_equal(flat.data, np.searchsorted(seq[0], v, side=side))


def test_searchsorted_nan_sorter_scalars_and_bucketize() -> None:
    # NaN searched for goes after everything, NaN in the sequence never counts as ≥ v
    assert tg.searchsorted(tg.tensor([1.0, NAN]), tg.tensor([NAN, 2.0])).tolist() == [2, 2]
    seq, order = tg.tensor([5, 1, 3]), tg.tensor([1, 2, 0])
    assert tg.searchsorted(seq, tg.tensor([3, 6]), sorter=order).tolist() == [1, 3]
    assert tg.searchsorted(tg.tensor([1, 3, 5]), 3).shape == ()
    assert tg.bucketize(tg.tensor([1, 5, 9]), tg.tensor([1, 3, 5, 7])).tolist() == [0, 2, 4]
    assert tg.bucketize(3, tg.tensor([1, 3, 5]), right=True).item() == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"side": "middle"}, "'left' or 'right'"),
        ({"side": "left", "right": True}, "contradict"),
        ({"sorter": tg.tensor([0])}, "sorter"),
    ],
)
def test_searchsorted_refusals(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        tg.searchsorted(tg.tensor([1, 3]), tg.tensor([2]), **kwargs)
    with pytest.raises(ValueError, match="leading dims"):
        tg.searchsorted(tg.tensor([[1, 3]]), tg.tensor([2]))
    with pytest.raises(ValueError, match="1-D"):
        tg.bucketize(tg.tensor([1]), tg.tensor([[1, 3]]))
