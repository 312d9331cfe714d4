"""meshgrid, cartesian_prod, combinations, broadcast_tensors, block_diag, roll, rot90,
tril/triu_indices, vander and atleast_nd: NumPy references, dtypes, gradients, refusals."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor

RNG = np.random.default_rng(5)


def leaf(*shape: int) -> Tensor:
    return Tensor(RNG.uniform(-1.5, 1.5, shape), requires_grad=True)


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_matches_numpy_and_keeps_dtype(indexing: str) -> None:
    a, b, c = np.array([1, 2]), np.array([3, 4, 5]), np.array(7)
    got = tg.meshgrid(
        tg.tensor(a), [tg.tensor(b), tg.tensor(c)][0], tg.tensor(c), indexing=indexing
    )
    want = np.meshgrid(a, b, c.reshape(1), indexing=indexing)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == np.int64 and g.shape == w.shape
        np.testing.assert_array_equal(g.data, w)


def test_meshgrid_default_is_ij_without_a_warning_and_list_form() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gx, gy = tg.meshgrid([tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0, 5.0])])
    assert gx.shape == gy.shape == (2, 3)
    assert gx.tolist() == [[1.0] * 3, [2.0] * 3]


def test_meshgrid_gradient_sums_over_the_grid() -> None:
    x, y = leaf(2), leaf(3)
    assert tg.gradcheck(lambda u, v: tg.meshgrid(u, v, indexing="xy")[0] * 2.0, x, y)
    gx, _ = tg.meshgrid(x, y, indexing="ij")
    gx.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((), {}, "at least one"),
        ((tg.ones(2, 2),), {}, "0-D or 1-D"),
        ((tg.ones(2), tg.tensor([1, 2])), {}, "one dtype"),
        ((tg.ones(2),), {"indexing": "yx"}, "'ij' or 'xy'"),
    ],
)
def test_meshgrid_refusals(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        tg.meshgrid(*args, **kwargs)


def test_cartesian_prod_and_combinations_match_itertools() -> None:
    a, b = [1, 2, 3], [4, 5]
    got = tg.cartesian_prod(tg.tensor(a), tg.tensor(b))
    assert got.tolist() == [list(p) for p in itertools.product(a, b)]
    one = tg.tensor(a)
    assert tg.cartesian_prod(one) is one
    for r in range(4):
        for repl, pick in (
            (False, itertools.combinations),
            (True, itertools.combinations_with_replacement),
        ):
            got = tg.combinations(one, r, repl)
            want = [list(p) for p in pick(a, r)]
            if r == 0:
                assert got.shape == (0,)
            else:
                assert got.tolist() == want and got.shape == (len(want), r)
    assert tg.combinations(one, 4).shape == (0, 4)
    x = leaf(3)
    assert tg.gradcheck(lambda v: tg.combinations(v, 2, True), x)
    with pytest.raises(ValueError, match="non-negative"):
        tg.combinations(one, -1)
    with pytest.raises(ValueError, match="1-D"):
        tg.cartesian_prod(tg.ones(2, 2))


def test_broadcast_tensors() -> None:
    a, b = tg.broadcast_tensors(tg.ones(2, 1), tg.tensor([1, 2, 3]))
    assert a.shape == b.shape == (2, 3) and b.dtype == np.int64
    x = leaf(3, 1)
    assert tg.gradcheck(lambda v: tg.broadcast_tensors(v, tg.ones(2))[0], x)
    with pytest.raises(ValueError, match="do not broadcast"):
        tg.broadcast_tensors(tg.ones(2), tg.ones(3))


def test_block_diag_layout_dtype_and_gradient() -> None:
    got = tg.block_diag(tg.tensor(1), tg.tensor([2.0, 3.0]), tg.ones(2, 2, dtype=np.int32))
    want = np.zeros((4, 5))
    want[0, 0], want[1, 1:3], want[2:, 3:] = 1, [2, 3], 1
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got.data, want)
    assert tg.block_diag().shape == (1, 0)
    assert tg.block_diag(tg.ones(0)).shape == (1, 0)
    assert tg.gradcheck(lambda u, v: tg.block_diag(u, v), leaf(2, 1), leaf(3))
    with pytest.raises(ValueError, match="2 or fewer"):
        tg.block_diag(tg.ones(1, 1, 1))


@pytest.mark.parametrize("k", [-5, -1, 0, 1, 2, 3, 6])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (2, 0), (-1, 1)])
def test_rot90_matches_numpy(k: int, dims: tuple[int, int]) -> None:
    a = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(tg.rot90(tg.tensor(a), k, dims).data, np.rot90(a, k, dims))


def test_rot90_gradient_roll_and_refusals() -> None:
    assert tg.gradcheck(lambda v: tg.rot90(v, 1, (1, 0)), leaf(2, 3))
    np.testing.assert_array_equal(tg.roll(tg.tensor([1, 2, 3]), 1).data, [3, 1, 2])
    for bad, match in (((0, 0), "must differ"), ((0,), "two dimensions")):
        with pytest.raises(ValueError, match=match):
            tg.rot90(tg.ones(2, 2), 1, bad)
    with pytest.raises(ValueError, match="2 or more"):
        tg.rot90(tg.ones(3))


@pytest.mark.parametrize("offset", [-2, 0, 1, 5])
@pytest.mark.parametrize(("row", "col"), [(3, 4), (4, 3), (0, 2)])
def test_triangle_indices_match_numpy(row: int, col: int, offset: int) -> None:
    lo, up = tg.tril_indices(row, col, offset), tg.triu_indices(row, col, offset)
    assert lo.dtype == up.dtype == np.int64 and lo.shape[0] == 2
    np.testing.assert_array_equal(lo.data, np.stack(np.tril_indices(row, offset, col)))
    np.testing.assert_array_equal(up.data, np.stack(np.triu_indices(row, offset, col)))


def test_triangle_indices_dtype_rules() -> None:
    assert tg.tril_indices(2, 2, dtype=tg.int32).dtype == np.int32
    with pytest.raises(TypeError, match="integer dtype"):
        tg.triu_indices(2, 2, dtype=tg.float32)
    with pytest.raises(ValueError, match="non-negative"):
        tg.tril_indices(-1, 2)


def test_vander_values_dtypes_and_gradient() -> None:
    x = np.array([1, 2, 3])
    np.testing.assert_array_equal(tg.vander(tg.tensor(x)).data, np.vander(x))
    np.testing.assert_array_equal(tg.vander(tg.tensor(x), 4, True).data, np.vander(x, 4, True))
    assert tg.vander(tg.tensor([True, False])).dtype == np.int64
    assert tg.vander(tg.tensor([1.0], dtype=np.float32), 3).dtype == np.float32
    assert tg.vander(tg.tensor(x), 0).shape == (3, 0)
    assert tg.gradcheck(lambda v: tg.vander(v, 4), Tensor([0.0, -1.5, 2.0], requires_grad=True))
    with pytest.raises(ValueError, match="non-negative"):
        tg.vander(tg.tensor(x), -1)
    with pytest.raises(ValueError, match="1-D"):
        tg.vander(tg.ones(2, 2))


def test_atleast_nd_shapes() -> None:
    shapes = [(), (3,), (2, 3), (2, 3, 4)]
    for fn, want in (
        (tg.atleast_1d, [(1,), (3,), (2, 3), (2, 3, 4)]),
        (tg.atleast_2d, [(1, 1), (1, 3), (2, 3), (2, 3, 4)]),
        (tg.atleast_3d, [(1, 1, 1), (1, 3, 1), (2, 3, 1), (2, 3, 4)]),
    ):
        assert [fn(tg.ones(*s)).shape for s in shapes] == want
        both = fn(tg.ones(), tg.ones(3))
        assert isinstance(both, tuple) and len(both) == 2
        assert isinstance(fn([tg.ones(3)]), tuple)
    with pytest.raises(TypeError, match="expected a Tensor"):
        tg.atleast_1d(np.ones(2))
