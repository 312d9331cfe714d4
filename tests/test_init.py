"""nn.init: the course's initialisations bit for bit, PyTorch's fans and gains, statistics."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lite as tg
from models import manual_deep
from tinygrad_lite import Tensor, nn
from tinygrad_lite.nn import init


def empty(*shape: int, dtype: Any = np.float64) -> nn.Parameter:
    return nn.Parameter(np.full(shape, np.nan, dtype=dtype))


# ---------------------------------------------------------------------- the course's values


@given(
    st.lists(st.integers(1, 8), min_size=2, max_size=5),
    st.sampled_from(["he", "random", "small", "zeros"]),
    st.integers(0, 2**32 - 1),
)
def test_course_initialisations_layer_by_layer_bit_for_bit(
    dims: list[int], kind: str, seed: int
) -> None:
    ref = manual_deep.initialize_parameters_deep(dims, init=kind, seed=seed)
    rs = np.random.RandomState(seed)  # the course's np.random.seed(seed), drawn layer by layer
    for k in range(1, len(dims)):
        W = empty(dims[k], dims[k - 1])
        if kind == "he":
            out = init.kaiming_normal_(W, nonlinearity="relu", generator=rs)
        elif kind == "random":
            out = init.normal_(W, std=10.0, generator=rs)
        elif kind == "small":
            out = init.normal_(W, std=0.01, generator=rs)
        else:
            out = init.zeros_(W)
        assert out is W and W.requires_grad
        np.testing.assert_array_equal(W.data, ref[f"W{k}"])


def test_the_course_he_factor_is_the_fan_in_of_a_column_layout_weight() -> None:
    # W_l has shape (n_l, n_{l-1}) in the course, (out, in) in Linear: fan_in = n_{l-1}.
    assert init.fan_in_and_fan_out(empty(7, 3)) == (3, 7)
    assert nn.Linear(3, 7, seed=0).weight.shape == (7, 3)
    assert init.fan_in_and_fan_out(empty(8, 4, 3, 2)) == (4 * 3 * 2, 8 * 3 * 2)
    with pytest.raises(
        ValueError, match=r"at least 2 dimensions \(out, in, ...\), got shape \(5,\)"
    ):
        init.fan_in_and_fan_out(empty(5))


def test_seeded_draws_are_the_generators_stream() -> None:
    t = empty(3, 4)
    init.normal_(t, mean=1.5, std=2.0, seed=7)
    np.testing.assert_array_equal(
        t.data, np.random.default_rng(7).standard_normal((3, 4)) * 2 + 1.5
    )
    init.uniform_(t, -2.0, 3.0, seed=7)
    np.testing.assert_array_equal(t.data, np.random.default_rng(7).uniform(-2.0, 3.0, (3, 4)))
    g, ref = np.random.default_rng(1), np.random.default_rng(1)
    a, b = empty(2, 2), empty(2, 2)
    init.xavier_normal_(a, generator=g)
    init.xavier_normal_(b, generator=g)  # the generator moves on: fresh draws
    np.testing.assert_array_equal(a.data, ref.standard_normal((2, 2)) * math.sqrt(2 / 4))
    np.testing.assert_array_equal(b.data, ref.standard_normal((2, 2)) * math.sqrt(2 / 4))


def test_float32_tensors_get_the_float64_draws_rounded() -> None:
    t = empty(4, 5, dtype=np.float32)
    array = t.data
    init.kaiming_uniform_(t, seed=3)
    assert t.data is array and t.dtype == np.float32
    bound = math.sqrt(3.0) * math.sqrt(2.0 / 5)
    expected = np.random.default_rng(3).uniform(-bound, bound, (4, 5)).astype(np.float32)
    np.testing.assert_array_equal(t.data, expected)


# ---------------------------------------------------------------------- gains and statistics


def test_calculate_gain_is_pytorchs_table() -> None:
    for name in ("linear", "identity", "sigmoid", "conv2d", "conv_transpose1d"):
        assert init.calculate_gain(name) == 1.0
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("selu") == 0.75
    assert init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01**2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    with pytest.raises(ValueError, match="unsupported nonlinearity 'gelu'"):
        init.calculate_gain("gelu")


N_OUT, N_IN = 400, 500  # 200,000 draws: the bounds below are 6 standard errors wide
N = N_OUT * N_IN


def check_normal(x: np.ndarray, mean: float, std: float) -> None:
    assert abs(x.mean() - mean) < 6 * std / math.sqrt(N)
    assert abs(x.var() - std**2) < 6 * std**2 * math.sqrt(2 / N)


def check_uniform(x: np.ndarray, bound: float) -> None:
    assert -bound <= x.min() and x.max() < bound
    assert x.max() > bound * (1 - 1e-3) and x.min() < -bound * (1 - 1e-3)
    assert abs(x.mean()) < 6 * bound / math.sqrt(3 * N)
    assert abs(x.var() - bound**2 / 3) < 6 * math.sqrt(4 * bound**4 / (45 * N))


@pytest.mark.parametrize("seed", [0, 1])
def test_draws_have_the_documented_mean_and_variance(seed: int) -> None:
    t = empty(N_OUT, N_IN)
    init.normal_(t, mean=-3.0, std=0.5, seed=seed)
    check_normal(t.data, -3.0, 0.5)
    init.kaiming_normal_(t, nonlinearity="relu", seed=seed)
    check_normal(t.data, 0.0, math.sqrt(2 / N_IN))
    init.kaiming_normal_(t, mode="fan_out", nonlinearity="tanh", seed=seed)
    check_normal(t.data, 0.0, (5 / 3) / math.sqrt(N_OUT))
    init.kaiming_normal_(t, a=0.3, seed=seed)  # leaky_relu with slope 0.3
    check_normal(t.data, 0.0, math.sqrt(2 / (1 + 0.09)) / math.sqrt(N_IN))
    init.xavier_normal_(t, gain=2.0, seed=seed)
    check_normal(t.data, 0.0, 2.0 * math.sqrt(2 / (N_IN + N_OUT)))
    init.uniform_(t, -0.25, 0.25, seed=seed)
    check_uniform(t.data, 0.25)
    init.xavier_uniform_(t, seed=seed)
    check_uniform(t.data, math.sqrt(6 / (N_IN + N_OUT)))
    init.kaiming_uniform_(t, nonlinearity="relu", seed=seed)
    check_uniform(t.data, math.sqrt(6 / N_IN))


def test_constants() -> None:
    t = empty(2, 3)
    assert init.ones_(t) is t and (t.data == 1).all()
    init.constant_(t, -2.5)
    assert (t.data == -2.5).all()
    i = Tensor(np.zeros(3, dtype=np.int64))
    init.constant_(i, 4)
    assert (i.data == 4).all()
    with pytest.raises(ValueError, match="0.5 does not fit dtype int64 exactly"):
        init.constant_(i, 0.5)


# ---------------------------------------------------------------------- in place, safely


def test_an_initialised_tensor_refuses_a_backward_through_its_old_values() -> None:
    w = nn.Parameter(np.ones((2, 2)))
    cost = (w * w).sum()
    init.normal_(w, seed=0)
    with pytest.raises(RuntimeError, match="modified in place"):
        cost.backward()


def test_initialising_inside_a_compiled_step_is_refused() -> None:
    w = nn.Parameter(np.ones((2, 2)))

    def step(x: Any) -> Tensor:
        init.normal_(w, seed=0)
        return (w * x).sum()

    with pytest.raises(tg.TraceError, match="normal_ inside a compiled step"):
        tg.compile(step)(np.ones((2, 2)))


def test_a_zero_element_tensor_is_left_alone_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="zero-element tensor does nothing"):
        init.kaiming_normal_(empty(0, 3))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: init.normal_(empty(2), std=-1.0), ValueError, "std must be >= 0, got -1.0"),
        (lambda: init.normal_(empty(2), mean=math.nan), ValueError, "mean must be finite"),
        (lambda: init.uniform_(empty(2), 1.0, 0.0), ValueError, "a <= b, got a=1.0, b=0.0"),
        (
            lambda: init.normal_(Tensor(np.zeros(2, np.int64))),
            TypeError,
            "needs a floating-point tensor, got dtype int64",
        ),
        (lambda: init.normal_(np.zeros(2)), TypeError, "expected a Tensor, got ndarray"),
        (
            lambda: init.normal_(empty(2), generator=np.random.default_rng(0), seed=1),
            ValueError,
            "give generator= or seed=, not both",
        ),
        (lambda: init.normal_(empty(2), generator=3), TypeError, "generator must be a numpy"),
        (lambda: init.normal_(empty(2), seed=1.5), TypeError, "seed must be an int"),
        (lambda: init.xavier_uniform_(empty(4)), ValueError, "at least 2 dimensions"),
        (lambda: init.kaiming_normal_(empty(2, 2), mode="in"), ValueError, "mode must be"),
        (
            lambda: init.kaiming_uniform_(empty(2, 2), nonlinearity="softplus"),
            ValueError,
            "unsupported nonlinearity 'softplus'",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_a_read_only_array_is_refused() -> None:
    a = np.zeros((2, 2))
    a.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        init.zeros_(Tensor(a))


def test_manual_seed_makes_unseeded_layers_and_initialisers_reproducible() -> None:
    # As torch.manual_seed does for PyTorch's layers: without a seed, Linear and the nn.init
    # functions draw from the library's default generator.
    def build() -> list[np.ndarray]:
        tg.manual_seed(5)
        net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
        extra = tg.Tensor(np.zeros((2, 3)))
        nn.init.xavier_uniform_(extra)
        return [p.data.copy() for p in net.parameters()] + [extra.data.copy()]

    first, second = build(), build()
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    tg.manual_seed(6)
    assert not np.array_equal(nn.Linear(3, 4).weight.data, first[0])
