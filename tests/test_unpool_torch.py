"""Max unpooling, power-average pools and pdist against PyTorch: values, gradients, refusals.

Optional: skipped when torch is not installed. Settings are drawn at random and the same
float64 values (small integers, so that windows tie and sums are 0) go through both libraries:
values and gradients agree to 1e-12 (1e-10 for the powers), NaN and ∞ where PyTorch has them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor
from tinygrad_lite import unpool as U

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _close(a: Any, b: Any, tol: float = 1e-12) -> None:
    np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=tol, atol=tol)


def _both(x: np.ndarray) -> tuple[Tensor, Any]:
    return Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def _backward(y: Tensor, ty: Any, rng: np.random.Generator) -> None:
    g = rng.standard_normal(y.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))


@settings(max_examples=10)
@given(st.data())
def test_pooling_indices_and_unpooling_equal_pytorchs(data: Any) -> None:
    draw = data.draw
    dims = draw(st.sampled_from([1, 2]))
    k = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    s = tuple(draw(st.integers(1, 3)) for _ in range(dims))  # overlapping windows: repeats
    p = tuple(draw(st.integers(0, ki // 2)) for ki in k)
    size = tuple(max(k) + draw(st.integers(0, 3)) for _ in range(dims))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(-2, 3, (2, 2, *size)).astype(float)[: draw(st.sampled_from([1, 2]))]
    if draw(st.booleans()):
        x = x[0]
    args: Any = (k, s, p) if dims == 2 else (k[0], s[0], p[0])
    ours = U.max_pool2d_with_indices if dims == 2 else U.max_pool1d_with_indices
    theirs = TF.max_pool2d_with_indices if dims == 2 else TF.max_pool1d_with_indices
    v, i = ours(Tensor(x), *args)
    tv, ti = theirs(torch.tensor(x), *args)
    _close(v, tv)
    np.testing.assert_array_equal(i.data, ti.numpy())
    default = [(v.shape[d - dims] - 1) * s[d] + k[d] - 2 * p[d] for d in range(dims)]
    out = None
    if draw(st.booleans()):
        out = [max(1, n + draw(st.integers(1 - s[d], s[d] - 1))) for d, n in enumerate(default)]
    vals = rng.integers(-2, 3, v.shape).astype(float)
    a, ta = _both(vals)
    unpool = U.max_unpool2d if dims == 2 else U.max_unpool1d
    tunpool = TF.max_unpool2d if dims == 2 else TF.max_unpool1d
    try:
        ty = tunpool(ta, ti, *args, output_size=out)
    except (RuntimeError, ValueError):
        with pytest.raises((ValueError, IndexError)):
            unpool(a, i, *args, output_size=out)
        return
    if ty.numel() == 0:  # PyTorch writes nothing into an empty plane; refused here
        with pytest.raises(IndexError, match="out of range"):
            unpool(a, i, *args, output_size=out)
        return
    y = unpool(a, i, *args, output_size=out)
    _close(y, ty)
    _backward(y, ty, rng)
    _close(a.grad, ta.grad)


@settings(max_examples=12)
@given(st.data())
def test_lp_pools_equal_pytorchs_at_zero_too(data: Any) -> None:
    draw = data.draw
    dims = draw(st.sampled_from([1, 2]))
    k = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    s = tuple(draw(st.integers(1, 3)) for _ in range(dims)) if draw(st.booleans()) else None
    size = tuple(max(k) + draw(st.integers(0, 3)) for _ in range(dims))
    p = draw(st.sampled_from([1, 2, 3, 1.5, 0.5, 2.5, -1, math.inf, -math.inf]))
    ceil = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(-2, 3, (2, 2, *size)) * draw(st.sampled_from([1.0, 0.5]))
    if draw(st.booleans()):
        x = np.abs(x)
    a, ta = _both(x)
    args: Any = (k, s, ceil) if dims == 2 else (k[0], s and s[0], ceil)
    with np.errstate(all="ignore"):  # 0 to negative powers, roots of negative sums
        y = (U.lp_pool2d if dims == 2 else U.lp_pool1d)(a, p, *args)
        ty = (TF.lp_pool2d if dims == 2 else TF.lp_pool1d)(ta, p, *args)
        _close(y, ty, 1e-10)
        _backward(y, ty, rng)
    _close(a.grad, ta.grad, 1e-10)


@settings(max_examples=12)
@given(st.data())
def test_pdist_equals_pytorchs(data: Any) -> None:
    draw = data.draw
    shape = (draw(st.integers(1, 4)), draw(st.integers(0, 3)))
    p = draw(st.sampled_from([0, 1, 2, 3, 1.5, 0.5, math.inf, 2.5]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(-1, 2, shape) * draw(st.sampled_from([1.0, 0.5, 1.7]))  # equal rows, ties
    a, ta = _both(x)
    y, ty = U.pdist(a, p), torch.pdist(ta, p)
    _close(y, ty)
    _backward(y, ty, rng)
    _close(a.grad if a.grad is not None else Tensor(np.zeros(shape)), ta.grad, 1e-10)


@pytest.mark.parametrize(
    ("ours", "theirs", "args"),
    [
        (U.MaxUnpool1d, torch.nn.MaxUnpool1d, (2,)),
        (U.MaxUnpool2d, torch.nn.MaxUnpool2d, (2, 1, (1, 0))),
        (U.MaxUnpool2d, torch.nn.MaxUnpool2d, ((2, 3),)),
        (U.LPPool1d, torch.nn.LPPool1d, (2, 3)),
        (U.LPPool2d, torch.nn.LPPool2d, (1.5, (2, 3), 1, True)),
    ],
)
def test_the_layers_are_shown_as_pytorchs(ours: Any, theirs: Any, args: tuple[Any, ...]) -> None:
    assert repr(ours(*args)) == repr(theirs(*args))
    assert list(ours(*args).state_dict()) == list(theirs(*args).state_dict()) == []


X = np.ones((1, 1, 2, 2))
IDX = np.zeros((1, 1, 2, 2), np.int64)
REFUSED: list[tuple[str, tuple[Any, ...]]] = [
    ("max_unpool2d", (X, IDX + 16, 2)),
    ("max_unpool2d", (X, IDX - 1, 2)),
    ("max_unpool2d", (X, IDX[..., :1], 2)),
    ("max_unpool2d", (X[0, 0], IDX[0, 0], 2)),
    ("max_unpool2d", (X, IDX, 2, None, 0, (6, 4))),
    ("max_unpool2d", (X, IDX, 2, None, 0, (4,))),
    ("max_unpool2d", (np.ones((1, 0, 2, 2)), IDX[:, :0], 2)),
    ("max_unpool1d", (X[0, 0, 0], IDX[0, 0, 0], 2)),
    ("max_unpool1d", (X[0, :, :1, :1], IDX[0, :, :1, :1], 1, 1, 1)),
    ("lp_pool2d", (X, 0, 2)),
    ("pdist", (np.ones(3),)),
    ("pdist", (np.ones((2, 2)), -1.0)),
    ("pdist", (np.ones((2, 2), np.int64),)),
]


@pytest.mark.parametrize(("name", "args"), REFUSED)
def test_what_pytorch_refuses_is_refused(name: str, args: tuple[Any, ...]) -> None:
    with pytest.raises((ValueError, TypeError, IndexError)):
        getattr(U, name)(*args)
    targs = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    fn = torch.pdist if name == "pdist" else getattr(TF, name)
    with pytest.raises((RuntimeError, ValueError, ZeroDivisionError)):
        fn(*targs)
