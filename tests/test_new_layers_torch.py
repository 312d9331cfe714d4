"""The padding, shuffle, fold, softmin, threshold, bilinear and norm layers against PyTorch.

Values, first and second derivatives in float64 (to 1e-12 relative), reprs, and the
state-dict names of Bilinear, RMSNorm, ParameterList and ParameterDict.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite.act_extras import softmin, threshold
from tinygrad_lite.bilinear import bilinear
from tinygrad_lite.rms_norms import local_response_norm, rms_norm
from tinygrad_lite.shuffles import channel_shuffle, pixel_shuffle, pixel_unshuffle

torch = pytest.importorskip("torch")
TF = torch.nn.functional
TOL = {"rtol": 1e-12, "atol": 1e-13}


def t(a: np.ndarray, grad: bool = False) -> Any:
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def close(ours: Any, theirs: Any) -> None:
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    ours = ours.data if isinstance(ours, Tensor) else np.asarray(ours)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, **TOL)


def same_three_orders(
    ours: Callable[..., Tensor], theirs: Callable[..., Any], *arrays: np.ndarray, seed: int = 0
) -> None:
    """Values, gradients (Jᵀw) and second derivatives (of w·∇, along v) agree."""
    rng = np.random.default_rng(seed)
    xo = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    xt = [t(a, True) for a in arrays]
    yo, yt = ours(*xo), theirs(*xt)
    close(yo, yt)
    w = rng.standard_normal(yo.shape)
    go = tg.grad((yo * Tensor(w)).sum(), xo, create_graph=True)
    gt = torch.autograd.grad((yt * t(w)).sum(), xt, create_graph=True)
    for a, b in zip(go, gt, strict=True):
        close(a, b)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    so_sum = sum(((g * Tensor(v)).sum() for g, v in zip(go, vs, strict=True)), Tensor(0.0))
    st_sum = sum((g * t(v)).sum() for g, v in zip(gt, vs, strict=True))
    if not st_sum.requires_grad:  # linear in the inputs: no second derivative
        return
    so = tg.grad(so_sum, xo, allow_unused=True) if so_sum.requires_grad else [None] * len(xo)
    st = torch.autograd.grad(st_sum, xt, allow_unused=True)
    for a, b, x in zip(so, st, arrays, strict=True):
        close(np.zeros(x.shape) if a is None else a, np.zeros(x.shape) if b is None else b)


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


PADS = [
    ("ZeroPad1d", (), (2, 3, 5), [2, (1, 3), (-1, 2)]),
    ("ConstantPad1d", (1.5,), (2, 3, 5), [1, (0, 2), (2, -3)]),
    ("ReflectionPad1d", (), (2, 3, 5), [2, (4, 1), (-1, 3)]),
    ("ReplicationPad1d", (), (3, 5), [3, (0, 7), (-2, 1)]),
    ("CircularPad1d", (), (2, 3, 5), [2, (5, 1), (-1, 3)]),
    ("ZeroPad2d", (), (2, 2, 3, 4), [1, (1, 0, 2, 3), (-1, 1, 0, -2)]),
    ("ConstantPad2d", (-0.5,), (2, 3, 4), [2, (0, 1, 3, 0)]),
    ("ReflectionPad2d", (), (2, 2, 3, 4), [2, (3, 1, 0, 2), (-1, 2, 1, -1)]),
    ("ReplicationPad2d", (), (2, 3, 4), [3, (0, 5, 1, 0)]),
    ("CircularPad2d", (), (2, 2, 3, 4), [(4, 1, 3, 2), (-1, 2, 1, -1)]),
]


@pytest.mark.parametrize(("name", "extra", "shape", "paddings"), PADS, ids=[p[0] for p in PADS])
def test_padding_layers_match_pytorch(
    name: str, extra: tuple[Any, ...], shape: tuple[int, ...], paddings: list[Any]
) -> None:
    for padding in paddings:
        ours, theirs = getattr(nn, name)(padding, *extra), getattr(torch.nn, name)(padding, *extra)
        assert repr(ours) == repr(theirs)
        same_three_orders(ours, theirs, rand(*shape))


@pytest.mark.parametrize(
    ("ours", "theirs", "shape"),
    [
        (lambda x: pixel_shuffle(x, 2), lambda x: TF.pixel_shuffle(x, 2), (2, 8, 2, 3)),
        (lambda x: pixel_shuffle(x, 3), lambda x: TF.pixel_shuffle(x, 3), (2, 1, 9, 1, 2)),
        (lambda x: pixel_unshuffle(x, 2), lambda x: TF.pixel_unshuffle(x, 2), (3, 4, 6)),
        (lambda x: pixel_unshuffle(x, 1), lambda x: TF.pixel_unshuffle(x, 1), (1, 2, 3, 3)),
        (lambda x: channel_shuffle(x, 3), lambda x: TF.channel_shuffle(x, 3), (2, 6, 2)),
        (lambda x: channel_shuffle(x, 2), lambda x: TF.channel_shuffle(x, 2), (1, 4, 2, 1, 3)),
    ],
)
def test_shuffles_match_pytorch(ours: Any, theirs: Any, shape: tuple[int, ...]) -> None:
    same_three_orders(ours, theirs, rand(*shape))


def test_shuffle_fold_and_unfold_layers_match_pytorch() -> None:
    pairs = [
        (nn.PixelShuffle(2), torch.nn.PixelShuffle(2), (1, 8, 2, 2)),
        (nn.PixelUnshuffle(2), torch.nn.PixelUnshuffle(2), (1, 2, 4, 2)),
        (nn.ChannelShuffle(2), torch.nn.ChannelShuffle(2), (2, 4, 3)),
        (nn.Unfold((2, 3), 1, 1, 2), torch.nn.Unfold((2, 3), 1, 1, 2), (2, 2, 4, 5)),
        (nn.Unfold(2, dilation=2), torch.nn.Unfold(2, dilation=2), (2, 5, 5)),
        (nn.Fold((4, 5), 2, 1, 0, 1), torch.nn.Fold((4, 5), 2, 1, 0, 1), (2, 8, 12)),
        (
            nn.Fold(4, (2, 1), padding=1, stride=2),
            torch.nn.Fold(4, (2, 1), padding=1, stride=2),
            (6, 9),
        ),
    ]
    for ours, theirs, shape in pairs:
        assert repr(ours) == repr(theirs)
        same_three_orders(ours, theirs, rand(*shape))


def test_softmin_softmax2d_and_threshold_match_pytorch() -> None:
    same_three_orders(lambda x: softmin(x, 1), lambda x: TF.softmin(x, 1), rand(3, 4))
    same_three_orders(nn.Softmin(-1), torch.nn.Softmin(-1), rand(2, 3, 4))
    same_three_orders(nn.Softmax2d(), torch.nn.Softmax2d(), rand(2, 3, 2, 2))
    same_three_orders(nn.Softmax2d(), torch.nn.Softmax2d(), rand(3, 2, 4))
    x = np.array([[-1.0, 0.5, 1.0, 1.5], [1.0, 2.0, -np.inf, np.inf]])  # ties at the threshold
    same_three_orders(lambda a: threshold(a, 1.0, 20.0), lambda a: TF.threshold(a, 1.0, 20.0), x)
    same_three_orders(nn.Threshold(0.2, -3), torch.nn.Threshold(0.2, -3), rand(3, 4))
    for args in [(0.1, 20), (1, 2.5, True), (-0.5, 0.0)]:
        assert repr(nn.Threshold(*args)) == repr(torch.nn.Threshold(*args))
    assert repr(nn.Softmin(1)) == repr(torch.nn.Softmin(1))
    assert repr(nn.Softmax2d()) == repr(torch.nn.Softmax2d())
    assert TF.softmin(t(x[:1]), 1, dtype=torch.float32).dtype == torch.float32
    assert softmin(x[:1], 1, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize(("lead", "bias"), [((3,), True), ((2, 3), False), ((), True)])
def test_bilinear_matches_pytorch(lead: tuple[int, ...], bias: bool) -> None:
    ours = nn.Bilinear(2, 3, 4, bias=bias, seed=0)
    theirs = torch.nn.Bilinear(2, 3, 4, bias=bias, dtype=torch.float64)
    assert repr(ours) == repr(theirs)
    theirs_state = theirs.state_dict()
    assert list(ours.state_dict()) == list(theirs_state)
    for name, value in ours.state_dict().items():
        assert value.shape == tuple(theirs_state[name].shape)
    ws = [ours.weight.data] + ([ours.bias.data] if ours.bias is not None else [])
    same_three_orders(
        lambda a, b, *p: bilinear(a, b, *p),
        lambda a, b, *p: TF.bilinear(a, b, *p),
        rand(*lead, 2, seed=1),
        rand(*lead, 3, seed=2),
        *ws,
    )


def test_bilinear_initialisation_has_pytorchs_bound() -> None:
    torch.manual_seed(0)
    theirs = torch.nn.Bilinear(9, 2, 300)
    ours = nn.Bilinear(9, 2, 300, seed=0)
    for name in ("weight", "bias"):
        a, b = getattr(ours, name).data, getattr(theirs, name).detach().numpy()
        assert np.abs(a).max() <= 1 / 3 and np.abs(b).max() <= 1 / 3
        assert abs(np.abs(a).max() - np.abs(b).max()) < 0.02  # both fill [-1/3, 1/3]


@pytest.mark.parametrize(
    ("shape", "normalized", "eps", "weighted"),
    [((3, 4), (4,), None, True), ((2, 3, 2), (3, 2), 1e-3, False), ((5,), [5], 0.5, True)],
)
def test_rms_norm_matches_pytorch(
    shape: tuple[int, ...], normalized: Any, eps: float | None, weighted: bool
) -> None:
    arrays = [rand(*shape)] + ([rand(*tuple(normalized), seed=3)] if weighted else [])
    same_three_orders(
        lambda x, *w: rms_norm(x, normalized, *w, eps=eps),
        lambda x, *w: TF.rms_norm(x, list(normalized), *w, eps=eps),
        *arrays,
    )


def test_rms_norm_default_eps_is_pytorchs_for_each_dtype() -> None:
    x = np.array([[0.0, 0.0], [1e-4, -2e-4]])
    zero = Tensor(np.zeros((1, 3)), requires_grad=True)
    rms_norm(zero, (3,)).sum().backward()
    tz = t(np.zeros((1, 3)), True)
    TF.rms_norm(tz, (3,)).sum().backward()
    close(zero.grad, tz.grad)  # 1/√eps at 0
    for dt, tdt in [(np.float32, torch.float32), (np.float64, torch.float64)]:
        ours = rms_norm(x.astype(dt), (2,)).data
        theirs = TF.rms_norm(torch.tensor(x, dtype=tdt), (2,)).numpy()
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-6 if dt is np.float32 else 1e-12)
    for args in [((4,),), ((2, 3), 1e-3, False)]:
        ours, theirs = nn.RMSNorm(*args), torch.nn.RMSNorm(*args)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize(
    ("shape", "size", "consts"),
    [
        ((2, 4, 3), 3, (1e-4, 0.75, 1.0)),
        ((1, 5, 2, 2), 2, (0.5, 0.6, 2.0)),
        ((2, 3, 2, 1, 2), 5, (1.0, 1.5, 0.5)),
        ((1, 3, 4), 1, (2.0, 0.75, 1.0)),
    ],
)
def test_local_response_norm_matches_pytorch(
    shape: tuple[int, ...], size: int, consts: tuple[float, float, float]
) -> None:
    same_three_orders(
        lambda x: local_response_norm(x, size, *consts),
        lambda x: TF.local_response_norm(x, size, *consts),
        rand(*shape),
    )
    assert repr(nn.LocalResponseNorm(size, *consts)) == repr(
        torch.nn.LocalResponseNorm(size, *consts)
    )


def test_parameter_containers_have_pytorchs_state_dict_names() -> None:
    def both(make: Callable[[Any, Any], Any]) -> None:
        ours = make(nn, lambda *s: nn.Parameter(np.zeros(s)))
        theirs = make(torch.nn, lambda *s: torch.nn.Parameter(torch.zeros(s)))
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]

    both(lambda m, p: m.ParameterList([p(2), p(3), None, p(1)]))
    both(lambda m, p: m.ParameterDict({"b": p(2), "a": p(1), "c": 3}))
    both(lambda m, p: m.ParameterDict(OrderedDict([("b", p(2)), ("a", p(1))])))
    both(lambda m, p: m.ParameterDict([("z", p(2)), ("y", p(1))]))

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.heads = torch.nn.ParameterDict({"w": torch.nn.Parameter(torch.zeros(2))})
            self.layers = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(1))])

    class Ours(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.heads = nn.ParameterDict({"w": nn.Parameter(np.zeros(2))})
            self.layers = nn.ParameterList([nn.Parameter(np.zeros(1))])

    assert list(Ours().state_dict()) == list(Net().state_dict())
