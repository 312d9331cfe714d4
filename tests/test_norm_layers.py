"""LayerNorm and BatchNorm1d: closed forms, finite differences, running statistics, compile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn, optim
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

EPS = 1e-5


def normalized(x: np.ndarray, axes: tuple[int, ...], eps: float = EPS) -> np.ndarray:
    """(x - mean) / sqrt(biased variance + eps) over `axes`, written out in NumPy."""
    n = np.prod([x.shape[a] for a in axes])
    mean = x.sum(axis=axes, keepdims=True) / n
    var = ((x - mean) ** 2).sum(axis=axes, keepdims=True) / n
    return (x - mean) / np.sqrt(var + eps)


# ------------------------------------------------------------------------------ LayerNorm


@pytest.mark.parametrize("shape", [(4,), (3, 4)])
def test_layer_norm_matches_the_closed_form(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4)) * 3 + 1
    w, b = rng.standard_normal(shape), rng.standard_normal(shape)
    axes = tuple(range(3 - len(shape), 3))
    got = F.layer_norm(Tensor(x), shape, Tensor(w), Tensor(b))
    np.testing.assert_allclose(got.data, normalized(x, axes) * w + b, rtol=1e-12, atol=1e-12)
    layer = nn.LayerNorm(shape)
    np.testing.assert_allclose(layer(x).data, normalized(x, axes), rtol=1e-12, atol=1e-12)


def test_layer_norm_input_gradient_is_the_closed_form() -> None:
    """dx = (g - mean(g) - x̂·mean(g·x̂)) / σ over the normalised dims (g the scaled gradient)."""
    rng = np.random.default_rng(1)
    x, w, g = rng.standard_normal((3, 5)), rng.standard_normal(5), rng.standard_normal((3, 5))
    xt = Tensor(x, requires_grad=True)
    (F.layer_norm(xt, 5, Tensor(w)) * Tensor(g)).sum().backward()
    sigma = np.sqrt(x.var(axis=1, keepdims=True) + EPS)
    xhat, gw = (x - x.mean(axis=1, keepdims=True)) / sigma, g * w
    expected = (gw - gw.mean(1, keepdims=True) - xhat * (gw * xhat).mean(1, keepdims=True)) / sigma
    np.testing.assert_allclose(xt.grad.data, expected, rtol=1e-10, atol=1e-12)


def test_layer_norm_gradients_of_first_and_second_order_match_finite_differences() -> None:
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = Tensor(rng.standard_normal((3, 4)), requires_grad=True)

    def fn(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        return F.layer_norm(x, (3, 4), w, b, eps=1e-3)

    assert gradcheck(fn, x, w, b)
    assert gradgradcheck(fn, x, w, b)


@given(
    lead=st.integers(1, 3),
    size=st.integers(2, 6),
    scale=st.floats(0.1, 100.0),
    seed=st.integers(0, 2**16),
)
def test_each_row_comes_out_with_mean_zero_and_variance_below_one(
    lead: int, size: int, scale: float, seed: int
) -> None:
    x = np.random.default_rng(seed).standard_normal((lead, size)) * scale
    y = nn.LayerNorm(size)(x).data
    var = x.var(axis=1)
    np.testing.assert_allclose(y.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), var / (var + EPS), rtol=1e-9)


def test_layer_norm_module_parameters_and_repr() -> None:
    layer = nn.LayerNorm([2, 3], eps=1e-3)
    assert list(layer.state_dict()) == ["weight", "bias"]
    np.testing.assert_array_equal(layer.weight.data, np.ones((2, 3)))
    np.testing.assert_array_equal(layer.bias.data, np.zeros((2, 3)))
    assert repr(layer) == "LayerNorm((2, 3), eps=0.001, elementwise_affine=True, bias=True)"
    assert list(nn.LayerNorm(3, bias=False).state_dict()) == ["weight"]
    assert list(nn.LayerNorm(3, elementwise_affine=False).parameters()) == []
    assert nn.LayerNorm(3, dtype=np.float32).weight.dtype == np.float32


def test_layer_norm_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"normalized_shape=\(4,\) needs input of shape \(\*, 4\)"):
        nn.LayerNorm(4)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"needs input of shape \(\*, 2, 3\), got .* \(3,\)"):
        F.layer_norm(Tensor(np.zeros(3)), (2, 3))
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\), got \(2,\)"):
        F.layer_norm(Tensor(np.zeros((2, 3))), 3, Tensor(np.ones(2)))
    with pytest.raises(ValueError, match="normalized_shape must be one or more sizes >= 1"):
        nn.LayerNorm([])
    with pytest.raises(TypeError, match="normalized_shape must hold ints"):
        nn.LayerNorm([2.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="eps must be finite and >= 0, got -1"):
        nn.LayerNorm(3, eps=-1)
    with pytest.raises(ValueError, match="dtype must be a floating-point dtype"):
        nn.LayerNorm(3, dtype=np.int64)


# ------------------------------------------------------------------------------ BatchNorm1d


def _unbiased(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    n = np.prod([x.shape[a] for a in axes])
    return ((x - x.mean(axis=axes, keepdims=True)) ** 2).sum(axis=axes) / (n - 1)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2), (3, 3, 2, 4)])
@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
def test_batch_norm_trains_on_batch_statistics_and_tracks_running_ones(
    shape: tuple[int, ...], momentum: float | None
) -> None:
    """BatchNorm1d on (N, C) and (N, C, L), BatchNorm2d on (N, C, H, W): stats over all but C."""
    rng = np.random.default_rng(3)
    bn = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(3, momentum=momentum)
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    bn.weight.data[:], bn.bias.data[:] = w, b
    axes = (0, *range(2, len(shape)))
    bshape = (1, 3) + (1,) * (len(shape) - 2)
    mean, var = np.zeros(3), np.ones(3)
    means, variances = [], []
    for step in range(1, 5):
        x = rng.standard_normal(shape) * (step + 1) + step
        y = bn(Tensor(x))
        expected = normalized(x, axes) * w.reshape(bshape) + b.reshape(bshape)
        np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)
        means.append(x.mean(axis=axes))
        variances.append(_unbiased(x, axes))
        if momentum is None:  # the cumulative average of every batch so far
            mean, var = np.mean(means, axis=0), np.mean(variances, axis=0)
        else:
            mean = (1 - momentum) * mean + momentum * means[-1]
            var = (1 - momentum) * var + momentum * variances[-1]
        np.testing.assert_allclose(bn.running_mean.data, mean, rtol=1e-12)
        np.testing.assert_allclose(bn.running_var.data, var, rtol=1e-12)
        assert bn.num_batches_tracked.data == step and bn.num_batches_tracked.dtype == np.int64
    bn.eval()
    x = rng.standard_normal(shape)
    expected = (x - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + EPS)
    expected = expected * w.reshape(bshape) + b.reshape(bshape)
    np.testing.assert_allclose(bn(x).data, expected, rtol=1e-12, atol=1e-12)
    assert bn.num_batches_tracked.data == 4  # evaluation updates nothing
    np.testing.assert_allclose(bn.running_mean.data, mean, rtol=1e-12)


def test_switching_between_train_and_eval() -> None:
    rng = np.random.default_rng(4)
    bn = nn.BatchNorm1d(2)
    x1, x2 = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    bn(x1)
    stats = bn.state_dict()
    bn.eval()
    one = bn(x2[:1]).data  # one sample is fine in evaluation: it uses the running statistics
    np.testing.assert_allclose(one, bn(x2).data[:1], rtol=1e-15)
    for name, value in bn.state_dict().items():
        assert value.tobytes() == stats[name].tobytes(), name
    bn.train()
    bn(x2)
    assert bn.num_batches_tracked.data == 2
    expected = 0.9 * (0.9 * 0 + 0.1 * x1.mean(0)) + 0.1 * x2.mean(0)
    np.testing.assert_allclose(bn.running_mean.data, expected, rtol=1e-12)


def test_without_running_statistics_the_batch_normalises_in_both_modes() -> None:
    bn = nn.BatchNorm1d(3, track_running_stats=False, affine=False)
    assert list(bn.state_dict()) == [] and bn.running_mean is None
    x = np.random.default_rng(5).standard_normal((4, 3))
    np.testing.assert_allclose(bn.eval()(x).data, normalized(x, (0,)), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        bn(x[:1])  # the batch's statistics, so one sample is refused in eval too (PyTorch)


def test_batch_norm_gradients_match_finite_differences_in_both_modes() -> None:
    rng = np.random.default_rng(6)
    x = Tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)
    w = Tensor(rng.standard_normal(3), requires_grad=True)
    b = Tensor(rng.standard_normal(3), requires_grad=True)
    rm, rv = Tensor(rng.standard_normal(3)), Tensor(rng.uniform(0.5, 2.0, 3))

    def train(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        return F.batch_norm(x, None, None, w, b, training=True)

    def evaluate(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        return F.batch_norm(x, rm, rv, w, b, training=False)

    assert gradcheck(train, x, w, b)
    assert gradgradcheck(train, x, w, b)
    assert gradcheck(evaluate, x, w, b)


def test_running_statistics_are_updated_without_a_graph() -> None:
    bn = nn.BatchNorm1d(2)
    x = Tensor(np.random.default_rng(7).standard_normal((3, 2)), requires_grad=True)
    y = bn(x)
    for buffer in bn.buffers():
        assert buffer.is_leaf and not buffer.requires_grad
    (y * y).sum().backward()
    assert x.grad is not None and all(b.grad is None for b in bn.buffers())
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]


def test_a_batch_of_one_sample_per_channel_is_refused_in_training() -> None:
    bn = nn.BatchNorm1d(3)
    for shape in [(1, 3), (1, 3, 1)]:
        with pytest.raises(
            ValueError,
            match=r"Expected more than 1 value per channel when training, got input of shape "
            + str(shape).replace("(", r"\(").replace(")", r"\)"),
        ):
            bn(np.zeros(shape))
    assert bn.num_batches_tracked.data == 0  # nothing counted
    bn(np.arange(6.0).reshape(1, 3, 2))  # two values per channel are enough
    assert bn.num_batches_tracked.data == 1


def test_batch_norm_errors_name_the_problem() -> None:
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        bn(np.zeros((2, 3, 1, 1)))
    with pytest.raises(
        ValueError, match=r"dim 1 must have 3 channels, got input of shape \(2, 4\)"
    ):
        bn(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="momentum must be in"):
        nn.BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="num_features must be >= 1"):
        nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match="running_mean and running_var are needed"):
        F.batch_norm(Tensor(np.zeros((2, 3))), None, None)
    assert repr(bn) == (
        "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )


def test_state_dict_keys_and_a_checkpoint_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    src, dst = nn.BatchNorm1d(3), nn.BatchNorm1d(3)
    assert list(src.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    for _ in range(3):
        src(rng.standard_normal((4, 3)))
    tg.save(src.state_dict(), tmp_path / "bn.npz")
    dst.load_state_dict(tg.load(tmp_path / "bn.npz"))  # type: ignore[arg-type]
    assert dst.num_batches_tracked.data == 3
    x = rng.standard_normal((2, 3))
    assert src.eval()(x).data.tobytes() == dst.eval()(x).data.tobytes()
    dst.reset_running_stats()
    assert (
        dst.running_mean.data.tolist() == [0.0] * 3 and dst.running_var.data.tolist() == [1.0] * 3
    )
    assert dst.num_batches_tracked.data == 0


def _net_and_step(momentum: float | None, length: int | None):
    net = nn.Sequential(
        nn.Linear(3, 4, seed=0), nn.BatchNorm1d(4, momentum=momentum), nn.Linear(4, 1, seed=1)
    )
    lin, bn, head = net
    opt = optim.SGD(net.parameters(), lr=0.1)

    def step(x: Tensor, y: Tensor) -> Tensor:
        opt.zero_grad()
        h = lin(x)
        h = bn(h) if length is None else bn(h.transpose(1, 2)).transpose(1, 2)
        loss = F.mse_loss(head(h.tanh()), y)
        loss.backward()
        opt.step()
        return loss

    return net, step


@pytest.mark.parametrize(("momentum", "length"), [(0.1, None), (None, 2)])
def test_a_compiled_training_step_updates_running_statistics_exactly_as_eager(
    momentum: float | None, length: int | None
) -> None:
    (eager_net, eager), (comp_net, step) = (_net_and_step(momentum, length) for _ in range(2))
    fast = tg.compile(step)
    rng = np.random.default_rng(9)
    shape = (5, 3) if length is None else (5, length, 3)
    for mode in (True, True, True, False, False, True, True):
        eager_net.train(mode)
        comp_net.train(mode)
        x, y = rng.standard_normal(shape), rng.standard_normal((*shape[:-1], 1))
        a, b = eager(Tensor(x), Tensor(y)), fast(Tensor(x), Tensor(y))
        assert a.data.tobytes() == b.data.tobytes()
        ours, theirs = eager_net.state_dict(), comp_net.state_dict()
        assert list(ours) == list(theirs)
        for name in ours:
            assert ours[name].tobytes() == theirs[name].tobytes(), (name, mode)
    assert comp_net[1].num_batches_tracked.data == 5
    assert fast.traces == 2  # one plan for training, one for evaluation
