"""grid_sample and affine_grid: values against formulas written out per output element,
gradients of the first and second order against finite differences, PyTorch's rounding of
ties and of its fused coordinate, compile against eager execution, and the refusals."""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck
from tinygrad_lite.grid_sample import affine_grid, grid_sample
from tinygrad_lite.resampling import fused_multiply_add

pytestmark = pytest.mark.filterwarnings("ignore:Default grid_sample:UserWarning")
A = -0.75  # Keys' parameter, PyTorch's choice


def _keys(x: float) -> float:
    """The cubic convolution kernel W(x), written as the textbook polynomials."""
    x = abs(x)
    if x <= 1:
        return (A + 2) * x**3 - (A + 3) * x**2 + 1
    return A * x**3 - 5 * A * x**2 + 8 * A * x - 4 * A if x < 2 else 0.0


def _position(g: float, size: int, corners: bool) -> float:
    return (g + 1) / 2 * (size - 1) if corners else ((g + 1) * size - 1) / 2


def _pad(u: float, size: int, padding: str, corners: bool) -> float:
    """The position after padding: mirrored about the borders one fold at a time, clipped."""
    if padding == "reflection":
        lo, hi = (0.0, size - 1.0) if corners else (-0.5, size - 0.5)
        while hi > lo and not lo <= u <= hi:
            u = 2 * lo - u if u < lo else 2 * hi - u
        u = u if hi > lo else 0.0
    return min(max(u, 0.0), size - 1.0) if padding != "zeros" else u


def _reference(x: np.ndarray, grid: np.ndarray, mode: str, padding: str, corners: bool) -> Any:
    """Each output element as the weighted sum of the input elements around its point."""
    n, c, *spatial = x.shape
    y = np.zeros((n, c, *grid.shape[1:-1]))
    for b, o in itertools.product(range(n), itertools.product(*map(range, grid.shape[1:-1]))):
        g = grid[(b, *o)][::-1]  # (x, y, z) runs along (W, H, D)
        u = [_position(float(v), s, corners) for v, s in zip(g, spatial, strict=True)]
        if mode == "bicubic":  # taps around the unpadded position, each tap padded
            taps = [
                [(p, _keys(ui - p)) for p in range(math.floor(ui) - 1, math.floor(ui) + 3)]
                for ui in u
            ]
            place = [
                [(_pad(p, s, padding, corners), w) for p, w in t]
                for t, s in zip(taps, spatial, strict=True)
            ]
        else:
            u = [_pad(ui, s, padding, corners) for ui, s in zip(u, spatial, strict=True)]
            if mode == "nearest":  # Python's round: ties to even
                place = [[(float(round(ui)), 1.0)] for ui in u]
            else:
                place = [
                    [(p, 1 - abs(ui - p)) for p in (math.floor(ui), math.floor(ui) + 1)] for ui in u
                ]
        for corner in itertools.product(*place):
            at = tuple(int(p) for p, _ in corner)
            if all(0 <= p < s for p, s in zip(at, spatial, strict=True)):
                y[(b, slice(None), *o)] += (
                    math.prod(w for _, w in corner) * x[(b, slice(None), *at)]
                )
    return y


CASES = st.tuples(
    st.sampled_from(["bilinear", "nearest", "bicubic"]),
    st.sampled_from(["zeros", "border", "reflection"]),
    st.booleans(),
    st.sampled_from([2, 3]),
    st.integers(0, 2**32 - 1),
)


@given(CASES)
def test_values_equal_the_formula_per_output_element(case: tuple[str, str, bool, int, int]) -> None:
    mode, padding, corners, nd, seed = case
    mode = "bilinear" if nd == 3 and mode == "bicubic" else mode
    rng = np.random.default_rng(seed)
    spatial = tuple(rng.integers(1, 5, nd))
    x = rng.standard_normal((int(rng.integers(1, 3)), 2, *spatial))
    grid = rng.uniform(-2.5, 2.5, (x.shape[0], *rng.integers(1, 4, nd), nd))
    y = grid_sample(Tensor(x), Tensor(grid), mode, padding, corners)
    assert y.shape == (*x.shape[:2], *grid.shape[1:-1]) and y.dtype == np.float64
    np.testing.assert_allclose(y.data, _reference(x, grid, mode, padding, corners), atol=1e-12)


@pytest.mark.parametrize(
    ("mode", "padding", "corners", "nd", "second"),
    [
        ("bilinear", "reflection", True, 2, True),
        ("bicubic", "border", False, 2, True),
        ("bicubic", "zeros", True, 2, False),
        ("bilinear", "reflection", False, 3, False),
    ],
)
def test_gradients_of_input_and_grid_against_finite_differences(
    mode: str, padding: str, corners: bool, nd: int, second: bool
) -> None:
    rng = np.random.default_rng(nd)
    x = Tensor(rng.standard_normal((1, 1, *(2,) * nd)), requires_grad=True)
    grid = Tensor(rng.uniform(-1.3, 1.3, (1, 1, *(1,) * (nd - 1), nd)), requires_grad=True)

    def fn(a: Tensor, g: Tensor) -> Tensor:
        return grid_sample(a, g, mode, padding, corners)

    assert gradcheck(fn, x, grid, atol=1e-6, rtol=1e-5)
    assert not second or gradgradcheck(fn, x, grid, atol=1e-6, rtol=1e-5)


def test_nearest_gives_the_grid_a_zero_gradient_and_the_input_the_read_elements() -> None:
    x = Tensor(np.arange(12.0).reshape(1, 1, 3, 4), requires_grad=True)
    grid = Tensor([[[[0.0, 0.0], [0.0, 0.0], [5.0, 0.0]]]], requires_grad=True)
    grid_sample(x, grid, "nearest", align_corners=True).sum().backward()
    np.testing.assert_array_equal(grid.grad.data, np.zeros((1, 1, 3, 2)))
    expected = np.zeros((3, 4))
    expected[1, 2] = 2  # u = (1.5, 1) rounds to (2, 1), read twice; the third point is outside
    np.testing.assert_array_equal(x.grad.data[0, 0], expected)


def test_ties_round_to_even_and_the_coordinate_is_rounded_once_as_pytorch_fuses_it() -> None:
    x = Tensor(np.arange(5.0).reshape(1, 1, 1, 5))
    # u = 0.5, 1.5, 2.5, 3.5 without align_corners: ties go to the even element
    g = np.array([-0.6, -0.2, 0.2, 0.6])
    grid = Tensor(np.stack([g, np.zeros(4)], -1).reshape(1, 1, 4, 2))
    assert grid_sample(x, grid, "nearest", align_corners=False).tolist() == [[[[0, 2, 2, 4]]]]
    # u = (g + 1)·1.5 − 0.5 at g = −1/3: rounded twice it is the tie 0.5, rounded once above it
    g = -1 / 3
    assert (g + 1) * 1.5 - 0.5 == 0.5 and fused_multiply_add(g + 1, 1.5, -0.5) > 0.5
    one = grid_sample(Tensor(np.arange(3.0).reshape(1, 1, 1, 3)), Tensor([[[[g, 0.0]]]]), "nearest")
    assert one.item() == 1.0


def test_a_border_counts_as_outside_for_the_grid_gradient() -> None:
    x = Tensor(np.array([[[[1.0, 3.0, 7.0]]]]))
    grid = Tensor([[[[-1.0, 0.0], [1.0, 0.0], [1.5, 0.0], [0.5, 0.0]]]], requires_grad=True)
    grid_sample(x, grid, "bilinear", "border", align_corners=True).sum().backward()
    assert grid.grad.data[0, 0, :, 0].tolist() == [0.0, 0.0, 0.0, 4.0]  # (7 − 3)·(3 − 1)/2


def test_special_values_in_the_grid() -> None:
    x = Tensor(np.arange(12.0).reshape(1, 1, 3, 4))
    grid = Tensor([[[[np.nan, 0.0], [np.inf, 0.0]]]])
    with np.errstate(invalid="ignore"):
        zeros = grid_sample(x, grid, align_corners=True).data
        border = grid_sample(x, grid, padding_mode="border", align_corners=True).data
        x3 = Tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2))
        volume = grid_sample(x3, Tensor([[[[[np.nan, 0.0, -1.0]]]]]), padding_mode="border")
    assert np.isnan(zeros).all() and border.ravel().tolist() == [4.0, 7.0]  # NaN goes to 0
    assert volume.item() == 2.0  # (1 + 3)/2: in the 5-D kernel NaN goes to the last element


def test_identity_affine_grid_reproduces_the_input() -> None:
    rng = np.random.default_rng(0)
    for size, corners in (((2, 3, 4, 5), False), ((1, 2, 3, 2, 4), True)):
        nd = len(size) - 2
        theta = np.broadcast_to(np.eye(nd, nd + 1), (size[0], nd, nd + 1))
        grid = affine_grid(Tensor(theta.copy()), size, corners)
        x = Tensor(rng.standard_normal(size))
        np.testing.assert_allclose(
            grid_sample(x, grid, align_corners=corners).data, x.data, atol=1e-12
        )
    grid = affine_grid(Tensor(np.eye(2, 3)[None]), (1, 1, 2, 4), align_corners=False).data
    assert grid[0, :, :, 0].tolist() == [[-0.75, -0.25, 0.25, 0.75]] * 2
    assert grid[0, :, 0, 1].tolist() == [-0.5, 0.5]


def test_affine_grid_gradients() -> None:
    rng = np.random.default_rng(1)
    theta = Tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    x = Tensor(rng.standard_normal((2, 1, 3, 3)))
    assert gradcheck(
        lambda t: grid_sample(x, affine_grid(t, (2, 1, 2, 3), False), align_corners=False), theta
    )
    theta3 = Tensor(rng.standard_normal((1, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: affine_grid(t, (1, 1, 2, 2, 3), True), theta3)


def test_a_compiled_step_follows_new_grids_exactly_as_eager() -> None:
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((1, 1, 2, 3)), requires_grad=True)
    theta = Tensor(rng.standard_normal((1, 2, 3)), requires_grad=True)

    def step(shift: Tensor) -> tuple[Tensor, ...]:
        x.grad = theta.grad = None
        grid = affine_grid(theta, (1, 1, 2, 2), align_corners=False) + shift
        outs = [
            grid_sample(x, grid, m, "reflection", False) for m in ("bilinear", "nearest", "bicubic")
        ]
        loss = sum(((o * o).sum() for o in outs), Tensor(0.0))
        loss.backward()
        return loss, x.grad, theta.grad

    fast = tg.compile(step)
    for _ in range(3):
        shift = Tensor(rng.uniform(-0.5, 0.5, (1, 2, 2, 2)))
        for a, b in zip(step(shift), fast(shift), strict=True):
            assert a.data.tobytes() == b.data.tobytes()
    assert fast.traces == 1


def test_dtypes_empty_shapes_and_the_default_warning() -> None:
    x32 = Tensor(np.ones((1, 2, 2, 2), np.float32))
    assert (
        grid_sample(x32, Tensor(np.zeros((1, 1, 1, 2), np.float32)), align_corners=False).dtype
        == np.float32
    )
    assert grid_sample(
        Tensor(np.ones((0, 2, 2, 2))), Tensor(np.zeros((0, 3, 1, 2))), align_corners=True
    ).shape == (0, 2, 3, 1)
    assert grid_sample(
        Tensor(np.ones((1, 2, 2, 2))), Tensor(np.zeros((1, 0, 4, 2))), align_corners=True
    ).shape == (1, 2, 0, 4)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        grid_sample(x32, Tensor(np.zeros((1, 1, 1, 2), np.float32)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        affine_grid(Tensor(np.eye(2, 3)[None]), (1, 1, 2, 2), align_corners=True)
    with pytest.warns(UserWarning, match="unit-size grids"):
        affine_grid(Tensor(np.eye(2, 3)[None]), (1, 1, 1, 2), align_corners=True)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (
            (np.ones((1, 1, 2, 2)), np.zeros((1, 1, 1, 2))),
            {"mode": "linear"},
            ValueError,
            "mode must be",
        ),
        (
            (np.ones((1, 1, 2, 2)), np.zeros((1, 1, 1, 2))),
            {"padding_mode": "wrap"},
            ValueError,
            "padding_mode",
        ),
        (
            (np.ones((1, 1, 2, 2)), np.zeros((2, 3))),
            {},
            ValueError,
            r"got input of shape \(1, 1, 2, 2\) and grid of shape \(2, 3\)",
        ),
        (
            (np.ones((1, 1, 2, 2)), np.zeros((2, 1, 1, 2))),
            {},
            ValueError,
            r"input's N = 1, got \(2, 1, 1, 2\)",
        ),
        (
            (np.ones((1, 1, 2, 2)), np.zeros((1, 1, 1, 3))),
            {},
            ValueError,
            r"grid must be \(N, H_out, W_out, 2\)",
        ),
        (
            (np.ones((1, 1, 0, 2)), np.zeros((1, 1, 1, 2))),
            {},
            ValueError,
            "spatial sizes must be >= 1",
        ),
        (
            (np.ones((1, 1, 2, 2, 2)), np.zeros((1, 1, 1, 1, 3))),
            {"mode": "bicubic"},
            ValueError,
            "bicubic",
        ),
        ((np.ones((1, 1, 2, 2), int), np.zeros((1, 1, 1, 2))), {}, TypeError, "float32 or float64"),
        ((np.ones((1, 1, 2, 2)), np.zeros((1, 1, 1, 2), np.float32)), {}, TypeError, "one dtype"),
        (
            (np.ones((1, 1, 2, 2)), np.zeros((1, 1, 1, 2))),
            {"align_corners": 1},
            TypeError,
            "align_corners",
        ),
    ],
)
def test_grid_sample_refuses_what_does_not_fit(
    args: Any, kwargs: Any, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        grid_sample(Tensor(args[0]), Tensor(args[1]), **{"align_corners": False, **kwargs})


@pytest.mark.parametrize(
    ("theta", "size", "error", "match"),
    [
        (np.zeros((1, 2, 3)), (1, 1, 2), ValueError, r"4-D \(N, C, H, W\) or 5-D"),
        (np.zeros((1, 3, 4)), (1, 1, 2, 2), ValueError, r"theta must be \(N, 2, 3\) with N = 1"),
        (np.zeros((2, 2, 3)), (1, 1, 2, 2), ValueError, r"got \(2, 2, 3\)"),
        (np.zeros((1, 2, 3)), (1, 1, 0, 2), ValueError, "sizes must be positive"),
        (np.zeros((1, 2, 3), int), (1, 1, 2, 2), TypeError, "float32 or float64"),
        (np.zeros((1, 2, 3), np.float16), (1, 1, 2, 2), TypeError, "got dtype float16"),
        (np.zeros((1, 2, 3)), (1, 1, 2.0, 2), TypeError, "size must be a tuple or list of ints"),
        (np.zeros((1, 2, 3)), 4, TypeError, "tuple or list of ints"),
    ],
)
def test_affine_grid_refuses_what_does_not_fit(
    theta: Any, size: Any, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        affine_grid(Tensor(theta), size, align_corners=False)


@settings(max_examples=5)
@given(st.integers(0, 2**32 - 1))
def test_float32_matches_float64_to_single_precision(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, grid = rng.standard_normal((1, 2, 3, 4)), rng.uniform(-1.2, 1.2, (1, 2, 3, 2))
    for mode in ("bilinear", "bicubic"):
        a = grid_sample(Tensor(x), Tensor(grid), mode, align_corners=False).data
        b = grid_sample(
            Tensor(x.astype(np.float32)), Tensor(grid.astype(np.float32)), mode, align_corners=False
        )
        assert b.dtype == np.float32
        np.testing.assert_allclose(b.data, a, atol=1e-5)
