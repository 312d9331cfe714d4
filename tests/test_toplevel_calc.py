"""cross, inner, vdot, matrix_power, chain_matmul, dist, cdist, trapezoid, cumulative_trapezoid,
cov, corrcoef and the elementwise functions: NumPy references, dtypes, gradients, refusals."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.gradcheck import gradgradcheck

RNG = np.random.default_rng(7)
NAN, INF = np.nan, np.inf


def leaf(*shape: int) -> Tensor:
    return Tensor(RNG.uniform(-1.5, 1.5, shape), requires_grad=True)


# ---------------------------------------------------------------------- products


def test_cross_matches_numpy_and_gradchecks() -> None:
    a, b = leaf(2, 3, 2), leaf(1, 3, 2)
    got = tg.cross(a, b, dim=1)
    np.testing.assert_allclose(got.data, np.cross(a.data, b.data, axis=1), rtol=1e-14)
    assert tg.gradcheck(lambda u, v: tg.cross(u, v, dim=-2), a, b)
    assert tg.cross(tg.tensor([1, 2, 3]), tg.tensor([3, 1, 2]), dim=0).tolist() == [1, 7, -5]


def test_cross_without_dim_uses_the_first_size_3_dim_and_warns() -> None:
    a, b = leaf(3, 3), leaf(3, 3)
    with pytest.warns(UserWarning, match="first dimension of size 3"):
        got = tg.cross(a, b)
    np.testing.assert_allclose(got.data, np.cross(a.data, b.data, axis=0), rtol=1e-14)
    with pytest.raises(ValueError, match="no dimension of size 3"), warnings.catch_warnings():
        tg.cross(tg.ones(2, 4), tg.ones(2, 4))


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        (tg.ones(2, 4), tg.ones(2, 4), "length 3"),
        (tg.ones(2, 3), tg.ones(3), "same number of dimensions"),
        (tg.ones(3, dtype=np.float32), tg.ones(3), "one dtype"),
    ],
)
def test_cross_refusals(a: Tensor, b: Tensor, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        tg.cross(a, b, dim=-1)


def test_inner_and_vdot() -> None:
    a, b = leaf(2, 3), leaf(4, 3)
    np.testing.assert_allclose(tg.inner(a, b).data, np.inner(a.data, b.data), rtol=1e-14)
    assert tg.gradcheck(tg.inner, a, b)
    assert tg.inner(tg.tensor(2.0), tg.ones(2, 3)).shape == (2, 3)
    u, v = leaf(3), leaf(3)
    np.testing.assert_allclose(tg.vdot(u, v).item(), np.vdot(u.data, v.data), rtol=1e-14)
    with pytest.raises(ValueError, match="last dimensions must match"):
        tg.inner(tg.ones(2, 3), tg.ones(4, 2))
    with pytest.raises(TypeError, match="one dtype"):
        tg.inner(tg.ones(3, dtype=np.float32), tg.ones(3))
    with pytest.raises(ValueError, match="1-D"):
        tg.vdot(tg.ones(2, 1), tg.ones(2, 1))
    with pytest.raises(ValueError, match="one length"):
        tg.vdot(tg.ones(2), tg.ones(3))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8, -1, -3])
def test_matrix_power_matches_numpy(n: int) -> None:
    a = leaf(2, 3, 3)
    a.data += 3 * np.eye(3)  # well away from singular: the negative powers invert it
    got = tg.matrix_power(a, n)
    want = np.stack([np.linalg.matrix_power(m, n) for m in a.data])
    np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12)
    if n:
        assert tg.gradcheck(lambda v: tg.matrix_power(v, n), a)


def test_matrix_power_integers_and_refusals() -> None:
    assert tg.matrix_power(tg.tensor([[1, 1], [0, 1]]), 0).tolist() == [[1, 0], [0, 1]]
    with pytest.raises(TypeError, match="takes the inverse, which needs floating-point"):
        tg.matrix_power(tg.tensor([[1, 1], [0, 1]]), -1)
    with pytest.raises(ValueError, match="singular"):
        tg.matrix_power(tg.ones(2, 2), -1)
    with pytest.raises(ValueError, match="square"):
        tg.matrix_power(tg.ones(2, 3), 2)


def test_chain_matmul_values_gradient_and_refusals() -> None:
    ms = [leaf(2, 3), leaf(3, 4), leaf(4, 2), leaf(2, 2)]
    want = ms[0].data @ ms[1].data @ ms[2].data @ ms[3].data
    np.testing.assert_allclose(tg.chain_matmul(*ms).data, want, rtol=1e-13)
    assert tg.gradcheck(lambda *m: tg.chain_matmul(*m), *ms[:3])
    assert tg.chain_matmul(ms[0]) is not ms[0]
    with pytest.raises(ValueError, match="2-D"):
        tg.chain_matmul(tg.ones(3))
    with pytest.raises(ValueError, match="do not align"):
        tg.chain_matmul(tg.ones(2, 3), tg.ones(2, 3))
    with pytest.raises(ValueError, match="one or more"):
        tg.chain_matmul()


# ---------------------------------------------------------------------- distances


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 2.0, 3.0, INF, -INF])
def test_dist_matches_numpy(p: float) -> None:
    a, b = leaf(2, 3), leaf(3)
    d = (a.data - b.data).reshape(-1)
    want = np.linalg.norm(d, p) if p != 0.5 else np.sum(np.abs(d) ** 0.5) ** 2
    np.testing.assert_allclose(tg.dist(a, b, p).item(), want, rtol=1e-13)
    if p not in (0.0,):
        assert tg.gradcheck(lambda u, v: tg.dist(u, v, p), a, b)


def test_dist_gradient_at_zero_and_ties() -> None:
    a, b = Tensor([0.0, 1.0, 2.0], requires_grad=True), Tensor([0.0, 2.0, 0.0])
    tg.dist(a, b, 0.5).backward()
    np.testing.assert_allclose(
        a.grad.data, [0.0, -(1 + math.sqrt(2)), (1 + math.sqrt(2)) / math.sqrt(2)]
    )
    a = Tensor([1.0, 3.0], requires_grad=True)
    tg.dist(a, tg.tensor([0.0, 2.0]), INF).backward()
    np.testing.assert_array_equal(a.grad.data, [0.5, 0.5])  # ties share
    with pytest.raises(ValueError, match="non-negative"):
        tg.dist(a, a, -1)
    with pytest.raises(TypeError, match="float"):
        tg.dist(tg.tensor([1]), tg.tensor([2]))


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 2.0, 3.0, INF])
def test_cdist_matches_pairwise_norms(p: float) -> None:
    a, b = leaf(2, 3, 2), leaf(1, 4, 2)
    got = tg.cdist(a, b, p)
    d = a.data[:, :, None, :] - b.data[:, None, :, :]
    want = np.linalg.norm(d, p, axis=-1) if p != 0.5 else np.sum(np.abs(d) ** 0.5, -1) ** 2
    assert got.shape == (2, 3, 4)
    np.testing.assert_allclose(got.data, want, rtol=1e-13)
    if p:
        assert tg.gradcheck(lambda u, v: tg.cdist(u, v, p), a, b)


def test_cdist_gradient_at_zero_distance_and_ties() -> None:
    a = Tensor([[0.0, 1.0], [1.0, 1.0]], requires_grad=True)
    b = Tensor([[0.0, 1.0], [2.0, 3.0]])
    for mode in ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        tg.cdist(a, b, compute_mode=mode).sum().backward()
        r = 1 / math.sqrt(2)
        np.testing.assert_allclose(
            a.grad.data, [[-r, -r], [1 - 1 / 5**0.5, -2 / 5**0.5]], rtol=1e-12
        )
        a.grad = None
    tg.cdist(a, b, INF).sum().backward()  # every tied largest difference gets the gradient
    np.testing.assert_array_equal(a.grad.data, [[-1.0, -1.0], [1.0, -1.0]])


def test_cdist_mm_mode_has_the_distances_second_derivatives() -> None:
    # The product form's value, with the derivatives of the distance it stands for.
    a = Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], requires_grad=True)
    b = Tensor([[1.0, 2.0, -1.0], [-0.5, 0.5, 0.5], [2.0, -2.0, 1.0]], requires_grad=True)
    mm = "use_mm_for_euclid_dist"
    assert gradgradcheck(lambda u, v: tg.cdist(u, v, compute_mode=mm), a, b)
    (ga,) = tg.grad((tg.cdist(a, b, compute_mode=mm) ** 2).sum(), [a], create_graph=True)
    (gb,) = tg.grad((tg.cdist(a, b) ** 2).sum(), [a], create_graph=True)
    np.testing.assert_allclose(ga.data, gb.data, rtol=1e-12)


def test_cdist_mm_mode_uses_the_product_form() -> None:
    x = tg.tensor([[1e8, 0.0]]), tg.tensor([[1e8 + 1.0, 0.0]])
    assert tg.cdist(*x, compute_mode="donot_use_mm_for_euclid_dist").item() == 1.0
    assert tg.cdist(*x, compute_mode="use_mm_for_euclid_dist").item() == 0.0  # cancellation
    big = leaf(26, 2), leaf(3, 2)
    auto = tg.cdist(*big).data
    np.testing.assert_allclose(auto, tg.cdist(*big, compute_mode="use_mm_for_euclid_dist").data)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((tg.ones(2, 3), tg.ones(3)), {}, "2 or more"),
        ((tg.ones(2, 3), tg.ones(2, 4)), {}, "same number of columns"),
        ((tg.ones(2, 3), tg.ones(2, 3)), {"p": -1}, "non-negative"),
        ((tg.ones(2, 3), tg.ones(2, 3)), {"compute_mode": "bad"}, "compute_mode"),
        ((tg.ones(2, 3, dtype=np.float32), tg.ones(2, 3)), {}, "one dtype"),
        ((tg.tensor([[1]]), tg.tensor([[1]])), {}, "float"),
    ],
)
def test_cdist_refusals(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        tg.cdist(*args, **kwargs)


# ---------------------------------------------------------------------- integrals, statistics


def test_trapezoid_forms_match_numpy() -> None:
    y, x = leaf(2, 5), np.sort(RNG.normal(size=5))
    np.testing.assert_allclose(tg.trapezoid(y).data, np.trapezoid(y.data), rtol=1e-13)
    np.testing.assert_allclose(
        tg.trapz(y, dx=0.5, dim=0).data, np.trapezoid(y.data, dx=0.5, axis=0)
    )
    np.testing.assert_allclose(
        tg.trapezoid(y, tg.tensor(x)).data, np.trapezoid(y.data, x), rtol=1e-13
    )
    xs = tg.tensor(np.sort(RNG.normal(size=(2, 5)), 1))
    np.testing.assert_allclose(tg.trapezoid(y, xs).data, np.trapezoid(y.data, xs.data), rtol=1e-13)
    assert tg.gradcheck(lambda v, u: tg.trapezoid(v, u), y, Tensor(x, requires_grad=True))
    assert tg.trapezoid(tg.tensor([1, 2, 3])).item() == 4.0
    assert tg.trapezoid(tg.ones(2, 0)).tolist() == [0.0, 0.0]


def test_cumulative_trapezoid() -> None:
    y = leaf(2, 4)
    want = np.cumsum((y.data[:, 1:] + y.data[:, :-1]) * 0.3 / 2, axis=1)
    np.testing.assert_allclose(tg.cumulative_trapezoid(y, dx=0.3).data, want, rtol=1e-13)
    x = Tensor([0.0, 1.0, 3.0, 4.0], requires_grad=True)
    assert tg.gradcheck(lambda v, u: tg.cumulative_trapezoid(v, u), y, x)
    got = tg.cumulative_trapezoid(tg.tensor([1, 2, 3]))
    assert got.dtype == np.float64 and got.tolist() == [1.5, 4.0]
    assert tg.cumulative_trapezoid(tg.ones(2, 0)).shape == (2, 0)


def test_trapezoid_refusals() -> None:
    with pytest.raises(ValueError, match="one x value per sample"):
        tg.trapezoid(tg.ones(3), tg.ones(2))
    with pytest.raises(TypeError, match="x or dx"):
        tg.cumulative_trapezoid(tg.ones(3), tg.ones(3), dx=1.0)
    with pytest.raises(ValueError, match="at least one dimension"):
        tg.trapezoid(tg.tensor(1.0))


@pytest.mark.parametrize("correction", [0, 1, 2])
def test_cov_matches_numpy_with_weights(correction: int) -> None:
    m, fw, aw = leaf(3, 5), np.array([1, 2, 0, 3, 1]), RNG.uniform(0.1, 2.0, 5)
    got = tg.cov(m, correction=correction, fweights=tg.tensor(fw), aweights=tg.tensor(aw))
    np.testing.assert_allclose(
        got.data, np.cov(m.data, ddof=correction, fweights=fw, aweights=aw), rtol=1e-12
    )
    np.testing.assert_allclose(
        tg.cov(m, correction=correction).data, np.cov(m.data, ddof=correction), rtol=1e-12
    )
    assert tg.gradcheck(lambda v: tg.cov(v, correction=correction, aweights=tg.tensor(aw)), m)


def test_cov_shapes_dtypes_and_degenerate_cases() -> None:
    assert tg.cov(tg.tensor([[0, 1, 2], [2, 1, 0]])).tolist() == [[1.0, -1.0], [-1.0, 1.0]]
    assert tg.cov(tg.tensor([1.0, 2.0, 4.0], dtype=np.float32)).dtype == np.float32
    assert tg.cov(tg.tensor([1.0, 2.0, 4.0])).shape == ()
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert math.isnan(tg.cov(tg.tensor([1.0])).item())
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert tg.cov(tg.tensor([1.0, 2.0]), correction=2).item() == INF


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fweights": tg.tensor([1.0, 2.0, 1.0])}, "integer dtype"),
        ({"fweights": tg.tensor([-1, 2, 1])}, "negative"),
        ({"fweights": tg.tensor([1, 2])}, "one value per observation"),
        ({"aweights": tg.tensor([1, 2, 2])}, "float dtype"),
        ({"aweights": tg.tensor([0.0, 0.0, 0.0])}, "sum to zero"),
    ],
)
def test_cov_refusals(kwargs: dict, match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        tg.cov(tg.tensor([1.0, 2.0, 4.0]), **kwargs)
    with pytest.raises(ValueError, match="two or fewer"):
        tg.cov(tg.ones(2, 2, 2))


def test_corrcoef_matches_numpy_and_clips() -> None:
    m = leaf(3, 5)
    np.testing.assert_allclose(tg.corrcoef(m).data, np.corrcoef(m.data), rtol=1e-12)
    assert tg.gradcheck(tg.corrcoef, leaf(2, 4))
    assert tg.corrcoef(tg.tensor([1.0, 2.0, 4.0])).item() == 1.0
    got = tg.corrcoef(tg.tensor([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]]))
    assert got.data[0, 0] == 1.0 and math.isnan(got.data[1, 1])
    assert np.all(np.abs(tg.corrcoef(tg.tensor([[0.1, 0.2, 0.3], [0.3, 0.6, 0.9]])).data) <= 1)


# ---------------------------------------------------------------------- elementwise


def test_nan_to_num_values_dtypes_and_gradient() -> None:
    x = Tensor([NAN, INF, -INF, 1.5], requires_grad=True)
    y = tg.nan_to_num(x)
    np.testing.assert_array_equal(y.data, np.nan_to_num(x.data))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0, 1.0])
    f = tg.nan_to_num(tg.tensor([NAN, INF, -INF], dtype=np.float32), 1.0, 2.0, -3.0)
    assert f.dtype == np.float32 and f.tolist() == [1.0, 2.0, -3.0]
    assert tg.nan_to_num(tg.tensor([INF], dtype=np.float32)).item() == np.finfo(np.float32).max
    assert tg.nan_to_num(tg.tensor([1, 2])).tolist() == [1, 2]


def test_copysign_signbit_heaviside() -> None:
    x = Tensor([1.0, -2.0, 0.0, 3.0], requires_grad=True)
    o = tg.tensor([-1.0, 1.0, -1.0, -0.0])
    y = tg.copysign(x, o)
    np.testing.assert_array_equal(y.data, np.copysign(x.data, o.data))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-1.0, -1.0, 0.0, -1.0])  # 0 where x is 0
    assert tg.copysign(tg.tensor([1, 2]), tg.tensor([-1, 0])).dtype == np.float64
    assert tg.copysign(tg.tensor([1.0], dtype=np.float32), -1).dtype == np.float32
    assert tg.signbit(tg.tensor([-0.0, 0.0, -1.0, NAN])).tolist() == [True, False, True, False]
    assert tg.signbit(tg.tensor([-1, 2])).tolist() == [True, False]
    v = Tensor([0.5], requires_grad=True)
    h = tg.heaviside(tg.tensor([-1.0, 0.0, 2.0, NAN]), v)
    np.testing.assert_array_equal(h.data, [0.0, 0.5, 1.0, 0.0])
    h.sum().backward()
    assert v.grad.tolist() == [1.0]
    with pytest.raises(TypeError, match="one dtype"):
        tg.heaviside(tg.tensor([1.0]), tg.tensor([1]))


def test_angles_frac_logical_and_clamps() -> None:
    assert tg.rad2deg(tg.tensor([math.pi])).item() == 180.0
    assert tg.rad2deg(tg.tensor([1, 2])).dtype == np.float64
    assert tg.deg2rad(tg.tensor([1.0], dtype=np.float32)).dtype == np.float32
    x = leaf(3)
    assert tg.gradcheck(lambda v: tg.deg2rad(tg.rad2deg(v) * 2.0), x)
    np.testing.assert_allclose(tg.frac(tg.tensor([-1.5, 2.25])).data, [-0.5, 0.25])
    a, b = tg.tensor([1, 0, 2]), tg.tensor([0.0, 0.0, 1.0])
    assert tg.logical_xor(a, b).tolist() == [True, False, False]
    assert tg.logical_and(a, b).tolist() == [False, False, True]
    assert tg.logical_or(a, b).tolist() == [True, False, True]
    assert tg.logical_not(a).tolist() == [False, True, False]
    assert tg.clamp_min(tg.tensor([1, 5]), 2.5).tolist() == [2.5, 5.0]
    assert tg.clamp_max(tg.tensor([1, 5]), 2).tolist() == [1, 2]
    with pytest.raises(TypeError, match="expected a Tensor"):
        tg.rad2deg(1.0)
