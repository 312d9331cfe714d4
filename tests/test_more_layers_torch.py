"""The norms, activations, PReLU, Unflatten and channel dropouts against PyTorch, in float64.

Values, first and second derivatives over a few drawn shapes and at the special points
(kinks, ±0, ±inf). NaN inputs are left out: PyTorch's own gradient at a NaN depends on whether
its CPU kernel takes the vectorised path for that element.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = {"rtol": 1e-12, "atol": 1e-13}
SHAPES = [(7,), (3, 4), (2, 3, 5)]


def t(a: np.ndarray, grad: bool = False) -> Any:
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def close(ours: Any, theirs: Any, **tol: float) -> None:
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    ours = ours.data if isinstance(ours, Tensor) else np.asarray(ours)
    np.testing.assert_allclose(ours, theirs, **(tol or TOL))


def three_orders(
    ours: Callable[..., Tensor], theirs: Callable[..., Any], *arrays: np.ndarray, seed: int = 0
) -> tuple[list[Any], list[Any]]:
    """Values, gradients (Jᵀw) and second derivatives (of w·∇, along v) of both libraries."""
    rng = np.random.default_rng(seed)
    xo = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    xt = [t(a, True) for a in arrays]
    yo, yt = ours(*xo), theirs(*xt)
    w = rng.standard_normal(yo.shape)
    go = tg.grad((yo * Tensor(w)).sum(), xo, create_graph=True)
    gt = torch.autograd.grad((yt * t(w)).sum(), xt, create_graph=True)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    so_sum = sum(((g * Tensor(v)).sum() for g, v in zip(go, vs, strict=True)), Tensor(0.0))
    st_sum = sum((g * t(v)).sum() for g, v in zip(gt, vs, strict=True))
    # a piecewise-linear function's gradient is constant: no graph, second derivatives 0
    so = tg.grad(so_sum, xo, allow_unused=True) if so_sum.requires_grad else [None] * len(xo)
    st = torch.autograd.grad(st_sum, xt, allow_unused=True) if st_sum.requires_grad else so
    so = [np.zeros(x.shape) if s is None else s.data for s, x in zip(so, xo, strict=True)]
    st = [np.zeros(x.shape) if s is None else s for s, x in zip(st, xt, strict=True)]
    return [yo, *go, *so], [yt, *gt, *st]


# ------------------------------------------------------------------------------ activations

ACTIVATIONS: list[tuple[str, Callable[[Tensor], Tensor], Callable[[Any], Any]]] = [
    ("hardswish", F.hardswish, TF.hardswish),
    ("mish", F.mish, TF.mish),
    ("softsign", F.softsign, TF.softsign),
    ("tanhshrink", F.tanhshrink, TF.tanhshrink),
    ("hardshrink", lambda x: F.hardshrink(x, 0.75), lambda x: TF.hardshrink(x, 0.75)),
    ("softshrink", lambda x: F.softshrink(x, 0.75), lambda x: TF.softshrink(x, 0.75)),
    ("softshrink0", lambda x: F.softshrink(x, 0.0), lambda x: TF.softshrink(x, 0.0)),
    ("celu", lambda x: F.celu(x, 0.5), lambda x: TF.celu(x, 0.5)),
    ("celu2", lambda x: F.celu(x, 2.0), lambda x: TF.celu(x, 2.0)),
    ("selu", F.selu, TF.selu),
    ("logsigmoid", nn.LogSigmoid(), TF.logsigmoid),
    ("glu", F.glu, TF.glu),
    ("glu0", lambda x: F.glu(x, 0), lambda x: TF.glu(x, 0)),
]
SPECIAL = [-math.inf, -800.0, -3.0, -2.5, -0.75, -0.5, -0.0, 0.0, 1e-8, 0.5, 0.75, 3.0, 800.0]
SPECIAL += [math.inf]


@pytest.mark.parametrize("shape", [(4, 6), (2, 2, 4)])
@pytest.mark.parametrize(("name", "ours", "theirs"), ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations_values_and_two_orders_of_derivatives(
    name: str, ours: Any, theirs: Any, shape: tuple[int, ...]
) -> None:
    x = np.random.default_rng(len(name)).standard_normal(shape) * 3
    for mine, other in zip(*three_orders(ours, theirs, x), strict=True):
        close(mine, other)


@pytest.mark.parametrize(
    ("name", "ours", "theirs"),
    [a for a in ACTIVATIONS if not a[0].startswith("glu")],
    ids=[a[0] for a in ACTIVATIONS if not a[0].startswith("glu")],
)
def test_activations_at_the_kinks_and_special_values(name: str, ours: Any, theirs: Any) -> None:
    x = Tensor(np.array(SPECIAL), requires_grad=True)
    with np.errstate(all="ignore"):
        y = ours(x)
        y.backward(np.ones(y.shape))
    tx = t(np.array(SPECIAL), True)
    ty = theirs(tx)
    ty.backward(torch.ones_like(ty))
    for mine, other in ((y.data, ty.detach().numpy()), (x.grad.data, tx.grad.numpy())):
        # atol: far left CELU's and SELU's e^x is below 1e-16, where this library's derivative
        # of expm1, expm1(x) + 1, rounds to 0 and PyTorch's e^x does not
        both_nan = np.isnan(mine) & np.isnan(other)
        same = both_nan | np.isclose(mine, other, rtol=1e-13, atol=1e-16)
        same &= both_nan | (np.signbit(mine) == np.signbit(other))
        assert same.all(), (np.array(SPECIAL)[~same], mine[~same], other[~same])


def test_hardsigmoid_matches_except_for_pytorchs_float32_sixth_in_the_gradient() -> None:
    """PyTorch's CPU backward multiplies by 1/6 rounded to float32 (3e-8 off) even in float64;
    this library's gradient is g/6. Values agree exactly, gradients to that rounding."""
    x = np.array(SPECIAL + [-2.9, 2.9, -1.0, 1.0])
    xo, xt = Tensor(x, requires_grad=True), t(x, True)
    yo, yt = F.hardsigmoid(xo), TF.hardsigmoid(xt)
    yo.backward(np.ones(x.shape))
    yt.backward(torch.ones_like(yt))
    close(yo, yt)
    close(xo.grad, xt.grad, rtol=1e-7, atol=0)
    assert set(xo.grad.data.tolist()) == {0.0, 1 / 6}
    assert set(xt.grad.numpy().tolist()) == {0.0, float(np.float32(1 / 6))}


def test_celu_gradient_for_an_alpha_whose_reciprocal_is_not_a_float32() -> None:
    """PyTorch's CELU backward takes 1/α in float32 (1/0.7 is 1.7e-8 off); the values agree."""
    x = np.linspace(-3, 3, 13)
    xo, xt = Tensor(x, requires_grad=True), t(x, True)
    yo, yt = F.celu(xo, 0.7), TF.celu(xt, 0.7)
    yo.sum().backward()
    yt.sum().backward()
    close(yo, yt)
    close(xo.grad, xt.grad, rtol=1e-7, atol=0)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("per_channel", [False, True])
def test_prelu_function_and_layer(shape: tuple[int, ...], per_channel: bool) -> None:
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape)
    c = shape[1] if per_channel and len(shape) > 1 else 1
    w = rng.standard_normal(c) * 0.3
    for mine, other in zip(*three_orders(F.prelu, TF.prelu, x, w), strict=True):
        close(mine, other)
    # At the kink x = 0 the first derivatives agree (dy/dx = a, dy/da = 0). PyTorch's second
    # derivative there, d(dy/dx)/da, is 0 although its dy/dx is a; this library's is 1.
    x.flat[0] = 0.0
    mine, other = three_orders(F.prelu, TF.prelu, x, w)
    for a, b in zip(mine[:3], other[:3], strict=True):  # the value and the first derivatives
        close(a, b)
    ours, theirs = nn.PReLU(c, 0.25), torch.nn.PReLU(c, 0.25).double()  # 1/4: exact in float32
    np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())
    xo, xt = Tensor(x, requires_grad=True), t(x, True)
    (ours(xo) ** 2).sum().backward()
    (theirs(xt) ** 2).sum().backward()
    close(ours.weight.grad, theirs.weight.grad)
    close(xo.grad, xt.grad)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    "pair",
    [
        (nn.Hardswish(), torch.nn.Hardswish()),
        (nn.Hardsigmoid(), torch.nn.Hardsigmoid()),
        (nn.Mish(), torch.nn.Mish()),
        (nn.Softsign(), torch.nn.Softsign()),
        (nn.Tanhshrink(), torch.nn.Tanhshrink()),
        (nn.Hardshrink(0.3), torch.nn.Hardshrink(0.3)),
        (nn.Softshrink(0.3), torch.nn.Softshrink(0.3)),
        (nn.CELU(0.5), torch.nn.CELU(0.5)),
        (nn.SELU(), torch.nn.SELU()),
        (nn.GLU(1), torch.nn.GLU(1)),
        (nn.LogSigmoid(), torch.nn.LogSigmoid()),
        (nn.CELU(0.5, inplace=True), torch.nn.CELU(0.5, inplace=True)),
        (nn.SELU(inplace=True), torch.nn.SELU(inplace=True)),
    ],
    ids=repr,
)
def test_activation_layers_match_in_values_and_repr(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    x = np.random.default_rng(0).standard_normal((3, 4)) * 3
    close(ours(Tensor(x.copy())), theirs(t(x)), rtol=1e-13, atol=1e-15)
    assert repr(ours) == repr(theirs)


# ------------------------------------------------------------------------------ norms


@pytest.mark.parametrize(
    ("shape", "groups"), [((3, 6), 3), ((2, 6, 4), 2), ((2, 6, 4), 6), ((2, 4, 3, 3), 1)]
)
def test_group_norm_values_and_two_orders_of_derivatives(
    shape: tuple[int, ...], groups: int
) -> None:
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape) * 3 + 2
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    pairs = zip(
        *three_orders(
            lambda x, w, b: F.group_norm(x, groups, w, b, eps=1e-3),
            lambda x, w, b: TF.group_norm(x, groups, w, b, eps=1e-3),
            x,
            w,
            b,
        ),
        strict=True,
    )
    for mine, other in pairs:
        close(mine, other, rtol=1e-11, atol=1e-12)
    ours, theirs = nn.GroupNorm(groups, shape[1]), torch.nn.GroupNorm(groups, shape[1]).double()
    close(ours(x), theirs(t(x)), rtol=1e-11, atol=1e-12)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("shape", [(2, 3, 4), (3, 2, 2, 3)])
def test_instance_norm_values_and_two_orders_of_derivatives(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape) * 2 - 1
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    pairs = zip(
        *three_orders(
            lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3),
            lambda x, w, b: TF.instance_norm(x, weight=w, bias=b, eps=1e-3),
            x,
            w,
            b,
        ),
        strict=True,
    )
    for mine, other in pairs:
        close(mine, other, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize(
    ("kind", "shape"), [("1d", (4, 3, 5)), ("1d", (3, 5)), ("2d", (2, 3, 2, 3)), ("2d", (3, 2, 2))]
)
@pytest.mark.parametrize(("momentum", "affine"), [(0.1, True), (0.4, False), (None, True)])
def test_instance_norm_layers_train_track_and_evaluate_alike(
    kind: str, shape: tuple[int, ...], momentum: float | None, affine: bool
) -> None:
    make = {"1d": (nn.InstanceNorm1d, torch.nn.InstanceNorm1d)}
    make["2d"] = (nn.InstanceNorm2d, torch.nn.InstanceNorm2d)
    kw = {"eps": 1e-4, "momentum": momentum, "affine": affine, "track_running_stats": True}
    ours, theirs = make[kind][0](3, **kw), make[kind][1](3, **kw).double()
    rng = np.random.default_rng(1)
    if affine:
        w, b = rng.standard_normal(3), rng.standard_normal(3)
        ours.weight.data[:], ours.bias.data[:] = w, b
        with torch.no_grad():
            theirs.weight.copy_(t(w))
            theirs.bias.copy_(t(b))
    assert repr(ours) == repr(theirs)
    for _ in range(3):
        x, g = rng.standard_normal(shape) * 3 + 1, rng.standard_normal(shape)
        xo, xt = Tensor(x, requires_grad=True), t(x, True)
        yo, yt = ours(xo), theirs(xt)
        (yo * Tensor(g)).sum().backward()
        (yt * t(g)).sum().backward()
        close(yo, yt)
        close(xo.grad, xt.grad)
        if affine:
            close(ours.weight.grad, theirs.weight.grad)
            close(ours.bias.grad, theirs.bias.grad)
        state = theirs.state_dict()
        assert list(ours.state_dict()) == list(state)
        for name, value in state.items():
            np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), **TOL)
    x = rng.standard_normal(shape)
    close(ours.eval()(x), theirs.eval()(t(x)))


def test_instance_norm_with_running_statistics_and_no_input_statistics() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 1))  # one position: allowed with the running statistics
    m, v = rng.standard_normal(3), rng.random(3) + 0.5
    ours = F.instance_norm(Tensor(x), Tensor(m), Tensor(v), use_input_stats=False)
    close(ours, TF.instance_norm(t(x), t(m), t(v), use_input_stats=False))


# ------------------------------------------------------------------------------ shapes, dropout


@pytest.mark.parametrize(
    ("dim", "sizes", "shape"),
    [(1, (2, 3), (4, 6, 5)), (-1, (2, -1), (4, 6)), (-2, [3, 1, 2], (6, 5)), (0, (2, 0), (0,))],
)
def test_unflatten_shapes(dim: int, sizes: Any, shape: tuple[int, ...]) -> None:
    x = np.zeros(shape)
    assert nn.Unflatten(dim, sizes)(x).shape == tuple(torch.nn.Unflatten(dim, sizes)(t(x)).shape)
    assert repr(nn.Unflatten(dim, tuple(sizes))) == repr(torch.nn.Unflatten(dim, tuple(sizes)))


@pytest.mark.parametrize(
    ("ours", "theirs", "shape"),
    [
        (F.dropout1d, TF.dropout1d, (3, 4, 5)),
        (F.dropout1d, TF.dropout1d, (4, 5)),
        (F.dropout2d, TF.dropout2d, (3, 4, 2, 2)),
    ],
)
def test_channel_dropout_agrees_on_ranks_and_whole_channels(
    ours: Any, theirs: Any, shape: tuple[int, ...]
) -> None:
    x = np.random.default_rng(3).standard_normal(shape)
    for p in (0.0, 1.0):  # no randomness: the outputs themselves agree
        close(ours(Tensor(x), p), theirs(t(x), p))
    close(ours(Tensor(x), 0.5, training=False), theirs(t(x), 0.5, training=False))
    mask_o = ours(Tensor(np.ones(shape)), 0.5).data  # both drop whole channels, scaled by 2
    mask_t = theirs(t(np.ones(shape)), 0.5).numpy()
    for mask in (mask_o, mask_t):
        rows = mask.reshape(-1, 5 if len(shape) < 4 else 4)
        assert np.all(rows == rows[:, :1]) and set(np.unique(rows)) <= {0.0, 2.0}
