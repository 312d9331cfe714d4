"""Differential audit of nn.init against PyTorch: gains, fans, distributions, refusals."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tinygrad_lite import Tensor, init, init_more, nn  # noqa: E402

TI = torch.nn.init
COVERED: set[str] = set()


def covers(*names: str) -> Callable[[Any], Any]:
    COVERED.update(names)
    return lambda f: f


@pytest.fixture(autouse=True, scope="module")
def _float64() -> Iterator[None]:
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def test_every_public_name_has_a_case() -> None:
    assert (set(init.__all__) | set(init_more.__all__)) - COVERED == set()


NONLINEARITIES = [
    *["linear", "sigmoid", "tanh", "relu", "selu", "leaky_relu"],
    *["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"],
]


@covers("calculate_gain")
@pytest.mark.parametrize("name", NONLINEARITIES)
@pytest.mark.parametrize("param", [None, 0.2, 1, 0, -3.5])
def test_calculate_gain(name: str, param: Any) -> None:
    ours, theirs = init.calculate_gain(name, param), TI.calculate_gain(name, param)
    assert ours == theirs and type(ours) is type(theirs)


def test_identity_gain_is_an_extension() -> None:
    assert init.calculate_gain("identity") == 1  # PyTorch refuses "identity"


@covers("calculate_gain")
@pytest.mark.parametrize(
    ("name", "param", "exc"),
    [("gelu", None, ValueError), ("leaky_relu", "a", TypeError), ("leaky_relu", True, TypeError)],
)
def test_calculate_gain_refusals(name: str, param: Any, exc: type[Exception]) -> None:
    with pytest.raises(exc, match="calculate_gain"):
        init.calculate_gain(name, param)
    with pytest.raises(ValueError):
        TI.calculate_gain(name, param)


SHAPES = [(4, 3), (6, 3, 2), (5, 2, 3, 2), (4, 2, 1, 2, 3), (3, 0), (0, 4, 2)]


@covers("fan_in_and_fan_out")
@pytest.mark.parametrize("shape", SHAPES)
def test_fans(shape: tuple[int, ...]) -> None:
    ours = init.fan_in_and_fan_out(Tensor(np.zeros(shape)))
    assert ours == TI._calculate_fan_in_and_fan_out(torch.zeros(shape))
    for bad in [(), (3,)]:
        with pytest.raises(ValueError, match=r"at least 2 dimensions.*" + re_shape(bad)):
            init.fan_in_and_fan_out(Tensor(np.zeros(bad)))


def re_shape(shape: tuple[int, ...]) -> str:
    return str(shape).replace("(", r"\(").replace(")", r"\)")


N = 24_000  # a large sample: std within ~1.5% (5 sigma ~ 4.6%)
RANDOM: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("uniform_", {"a": -2.0, "b": 3.0}, (N,)),
    ("normal_", {"mean": 1.5, "std": 0.5}, (N,)),
    ("xavier_uniform_", {"gain": 2.0}, (200, 40, 3)),
    ("xavier_normal_", {}, (120, 200)),
    ("kaiming_uniform_", {"a": 0.3, "mode": "fan_out"}, (40, 200, 3)),
    ("kaiming_uniform_", {"a": None, "mode": "FAN_IN"}, (200, 120)),
    ("kaiming_normal_", {"nonlinearity": "relu"}, (120, 20, 10)),
    ("kaiming_normal_", {"nonlinearity": "tanh", "mode": "fan_out"}, (120, 200)),
    ("trunc_normal_", {"mean": 0.5, "std": 2.0, "a": -1.0, "b": 1.0}, (N,)),
    ("trunc_normal_", {"mean": 0.0, "std": 1.0, "a": -2.0, "b": 2.0}, (N,)),
    ("trunc_normal_", {"mean": 0.0, "std": 0.1, "a": 0.05, "b": 3.0}, (N,)),
    ("orthogonal_", {"gain": 0.5}, (100, 240)),
    ("sparse_", {"sparsity": 0.3, "std": 0.2}, (100, 240)),
]


def _stats(x: np.ndarray) -> np.ndarray:
    return np.array([x.min(), x.max(), x.mean(), x.std(), (x == 0).mean()])


@covers(
    *["uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_"],
    *["kaiming_normal_", "trunc_normal_", "orthogonal_", "sparse_"],
)
@pytest.mark.parametrize(("name", "kw", "shape"), RANDOM)
@pytest.mark.parametrize("dt", ["float64", "float32"])
def test_random_initialisers(
    name: str, kw: dict[str, Any], shape: tuple[int, ...], dt: str
) -> None:
    ours = nn.Parameter(np.zeros(shape, dt))
    theirs = torch.zeros(shape, dtype=getattr(torch, dt), requires_grad=True)
    assert getattr(init, name)(ours, **kw) is ours
    assert getattr(TI, name)(theirs, **kw) is theirs
    assert ours.data.dtype == np.dtype(dt) and ours.shape == shape
    assert ours.requires_grad and ours.grad_fn is None and ours.grad is None
    a, b = _stats(ours.data.astype(np.float64)), _stats(theirs.detach().double().numpy())
    spread = b[3] + 1e-300
    if "a" in kw and "b" in kw:
        assert kw["a"] <= a[0] and a[1] <= kw["b"]
    np.testing.assert_allclose(a[2], b[2], atol=0.05 * spread)  # mean
    np.testing.assert_allclose(a[3], b[3], rtol=0.05)  # std
    np.testing.assert_allclose(a[4], b[4], atol=0.01)  # fraction of zeros
    if name in ("uniform_", "xavier_uniform_", "kaiming_uniform_"):
        np.testing.assert_allclose(a[:2], b[:2], atol=0.01 * spread)  # support edges


@covers("orthogonal_")
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3), (1, 1)])
def test_orthogonal_is_orthogonal(shape: tuple[int, ...]) -> None:
    w = init.orthogonal_(Tensor(np.empty(shape)), gain=2.0, seed=0).data.reshape(shape[0], -1)
    small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(small, 4.0 * np.eye(len(small)), atol=1e-12)


@covers("sparse_")
def test_sparse_zero_counts() -> None:
    w = init.sparse_(Tensor(np.empty((7, 5))), sparsity=0.3, seed=1)
    t = TI.sparse_(torch.empty(7, 5), sparsity=0.3)
    np.testing.assert_array_equal((w.data == 0).sum(0), (t == 0).sum(0).numpy())


@covers("constant_", "zeros_", "ones_", "eye_", "dirac_")
@pytest.mark.parametrize("dt", ["float64", "float32", "int64", "int32", "bool"])
@pytest.mark.parametrize(
    ("name", "args", "shape"),
    [
        ("constant_", (1,), (2, 3)),
        ("constant_", (0,), ()),
        ("zeros_", (), (0, 3)),
        ("ones_", (), (3,)),
        ("eye_", (), (2, 4)),
        ("eye_", (), (4, 2)),
        ("dirac_", (), (3, 2, 3)),
        ("dirac_", (2,), (4, 3, 2, 2)),
        ("dirac_", (3,), (6, 1, 3, 1, 2)),
    ],
)
def test_deterministic_initialisers(name: str, args: tuple[Any, ...], shape: Any, dt: str) -> None:
    ours = Tensor(np.full(shape, 7).astype(dt))
    theirs = torch.full(shape, 7).to(getattr(torch, dt))
    assert getattr(init, name)(ours, *args) is ours
    getattr(TI, name)(theirs, *args)
    assert ours.data.dtype == np.dtype(dt)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@covers("constant_")
@pytest.mark.parametrize("val", [0.1, -2.5e-300, math.inf, -math.inf, math.nan, 3])
@pytest.mark.parametrize("dt", ["float64", "float32"])
def test_constant_values(val: float, dt: str) -> None:
    ours = init.constant_(nn.Parameter(np.zeros((2, 2), dt)), val)
    theirs = TI.constant_(torch.zeros((2, 2), dtype=getattr(torch, dt), requires_grad=True), val)
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    assert ours.grad_fn is None and ours.requires_grad


def _t(shape: tuple[int, ...], dt: str = "float64") -> Tensor:
    return Tensor(np.zeros(shape, dt))


# (label, the call on either library's namespace, our error's type and text); torch refuses too
REFUSALS: list[tuple[str, Callable[[Any], Any], type, str]] = [
    ("xavier 1-D", lambda m: m.xavier_uniform_(m.z((3,))), ValueError, "at least 2"),
    ("xavier 0-D", lambda m: m.xavier_normal_(m.z(())), ValueError, "at least 2"),
    ("kaiming mode", lambda m: m.kaiming_normal_(m.z((2, 2)), mode="fan"), ValueError, "mode"),
    ("kaiming nl", lambda m: m.kaiming_normal_(m.z((2, 2)), nonlinearity="x"), ValueError, "x"),
    ("normal int", lambda m: m.normal_(m.z((2,), "int64")), TypeError, "int64"),
    ("uniform a>b", lambda m: m.uniform_(m.z((2,)), 1.0, 0.0), ValueError, "a=1.0, b=0.0"),
    ("normal std<0", lambda m: m.normal_(m.z((2,)), 0.0, -1.0), ValueError, "-1.0"),
    ("orth 1-D", lambda m: m.orthogonal_(m.z((3,))), ValueError, r"\(3,\)"),
    ("orth int", lambda m: m.orthogonal_(m.z((2, 2), "int64")), TypeError, "int64"),
    ("eye 3-D", lambda m: m.eye_(m.z((2, 2, 1))), ValueError, r"\(2, 2, 1\)"),
    ("dirac 2-D", lambda m: m.dirac_(m.z((2, 2))), ValueError, r"\(2, 2\)"),
    ("dirac groups", lambda m: m.dirac_(m.z((4, 2, 3)), 3), ValueError, "groups=3"),
    ("dirac groups 0", lambda m: m.dirac_(m.z((4, 2, 3)), 0), ValueError, "groups"),
    ("sparse 3-D", lambda m: m.sparse_(m.z((2, 2, 1)), 0.5), ValueError, r"\(2, 2, 1\)"),
    ("trunc a>b", lambda m: m.trunc_normal_(m.z((2,)), a=1.0, b=0.0), ValueError, "a=1.0"),
    ("trunc std=0", lambda m: m.trunc_normal_(m.z((2,)), std=0.0), ValueError, "std"),
    ("trunc int", lambda m: m.trunc_normal_(m.z((2,), "int64")), TypeError, "int64"),
    ("xavier gain<0", lambda m: m.xavier_uniform_(m.z((2, 2)), gain=-1.0), ValueError, "a <="),
]


class _Ours:
    z = staticmethod(_t)

    def __getattr__(self, name: str) -> Any:
        return getattr(init, name)


class _Torch:
    @staticmethod
    def z(shape: tuple[int, ...], dt: str = "float64") -> Any:
        return torch.zeros(shape, dtype=getattr(torch, dt))

    def __getattr__(self, name: str) -> Any:
        return getattr(TI, name)


@pytest.mark.parametrize(("label", "call", "exc", "text"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals(label: str, call: Any, exc: type[Exception], text: str) -> None:
    with pytest.raises(exc, match=text):
        call(_Ours())
    with pytest.raises(Exception):  # noqa: B017 (torch's types vary: Runtime/NotImplemented/...)
        call(_Torch())


@covers("kaiming_uniform_", "kaiming_normal_")
def test_empty_tensors_warn_and_are_returned() -> None:
    for f in (init.kaiming_uniform_, init.kaiming_normal_):
        t = _t((0, 3))
        with pytest.warns(UserWarning, match="zero-element"):
            assert f(t) is t
    assert init.orthogonal_(t) is t and init.xavier_uniform_(_t((0, 3))).shape == (0, 3)


DEPRECATED = ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal"]
DEPRECATED += ["kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]
ARGS = {"constant": (0.5,), "sparse": (0.5,)}


@covers(*DEPRECATED)
@pytest.mark.parametrize("old", DEPRECATED)
def test_deprecated_names(old: str) -> None:
    t = _t((3, 2, 3) if old == "dirac" else (3, 2))
    with pytest.warns(FutureWarning, match=f"{old}_"):
        assert getattr(init, old)(t, *ARGS.get(old, ())) is t
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = getattr(TI, old)(torch.zeros(t.shape), *ARGS.get(old, ()))
    assert tuple(ref.shape) == t.shape
