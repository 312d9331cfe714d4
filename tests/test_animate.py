"""Pictures that move: the training GIF, the recorders behind it, and the gradient-flow figure."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from models import manual
from models.deep import DeepNet
from models.two_layer import TwoLayerNet
from tinygrad_lite import Tensor, compile, optim, plot
from tinygrad_lite.animate import animate_training
from tinygrad_lite.datasets import load_planar_dataset
from tinygrad_lite.monitor import GradientNorms, TrainingHistory
from tinygrad_lite.testing import rounding_of

plt = pytest.importorskip("matplotlib.pyplot")
Image = pytest.importorskip("PIL.Image")


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return load_planar_dataset(m=80)


def train(
    net: TwoLayerNet, X: np.ndarray, Y: np.ndarray, iterations: int, every: int
) -> tuple[TrainingHistory, list[float]]:
    optimizer = optim.SGD(net.parameters(), lr=1.2)
    history, costs = TrainingHistory(every=every), []
    for i in range(iterations):
        history(i, net)
        optimizer.zero_grad()
        cost = net.cost(X, Y)
        cost.backward()
        optimizer.step()
        costs.append(cost.item())
    history.snapshot(iterations, net)
    return history, costs


def frames(path: Path) -> list[np.ndarray]:
    with Image.open(path) as im:
        out = []
        for k in range(im.n_frames):
            im.seek(k)
            out.append(np.asarray(im.convert("RGB")))
        return out


# ------------------------------------------------------------------------------ the GIF


def test_the_gif_has_one_frame_per_snapshot_and_they_differ(tmp_path: Path, data) -> None:
    X, Y = data
    net = TwoLayerNet(2, 4, 1)
    history, costs = train(net, X, Y, iterations=60, every=20)
    trained = net.state_dict()
    path = animate_training(history, net, X, Y, tmp_path / "sub" / "training.gif", costs=costs)
    assert path == tmp_path / "sub" / "training.gif"
    assert path.read_bytes()[:6] == b"GIF89a"
    shots = frames(path)
    assert history.iterations == [0, 20, 40, 60] and len(shots) == 4
    assert shots[0].shape == (259, 648, 3)  # 9 × 3.6 inches at 72 dpi
    assert all(not np.array_equal(a, b) for a, b in zip(shots, shots[1:], strict=False))
    # the model's own weights are back
    assert all(np.array_equal(v, trained[k]) for k, v in net.state_dict().items())
    assert sorted(os.listdir(path.parent)) == ["training.gif"]  # no temporary file left


def test_without_costs_only_the_boundary_is_drawn(tmp_path: Path, data) -> None:
    X, Y = data
    net = TwoLayerNet(2, 3, 1)
    history, _ = train(net, X, Y, iterations=2, every=1)
    shots = frames(animate_training(history, net, X, Y, tmp_path / "b.gif", fps=2, dpi=40))
    assert len(shots) == 3 and shots[0].shape == (144, 180, 3)


def test_the_gif_is_written_atomically(tmp_path: Path, data) -> None:
    X, Y = data
    net = TwoLayerNet(2, 3, 1)
    history, costs = train(net, X, Y, iterations=4, every=1)
    path = tmp_path / "training.gif"
    path.write_bytes(b"the old animation")
    calls = []

    def predict(points: np.ndarray) -> np.ndarray:
        calls.append(points.shape)
        if len(calls) > 6:  # two calls a frame: fails while the fourth frame is drawn
            raise RuntimeError("predict broke")
        return net.predict(points)

    before = net.state_dict()
    with pytest.raises(RuntimeError, match="predict broke"):
        animate_training(history, net, X, Y, path, costs=costs, predict=predict)
    assert path.read_bytes() == b"the old animation"
    assert sorted(os.listdir(tmp_path)) == ["training.gif"]
    assert all(np.array_equal(v, before[k]) for k, v in net.state_dict().items())
    animate_training(history, net, X, Y, path, costs=costs)
    assert len(frames(path)) == 5


def test_bad_arguments_are_refused(tmp_path: Path, data) -> None:
    X, Y = data
    net = TwoLayerNet(2, 3, 1)
    history, costs = train(net, X, Y, iterations=3, every=1)
    with pytest.raises(ValueError, match="TrainingHistory with snapshots"):
        animate_training(TrainingHistory(), net, X, Y, tmp_path / "a.gif")
    with pytest.raises(ValueError, match="fps must be an int >= 1, got 0"):
        animate_training(history, net, X, Y, tmp_path / "a.gif", fps=0)
    with pytest.raises(ValueError, match="snapshot at iteration 3 but only 2 costs"):
        animate_training(history, net, X, Y, tmp_path / "a.gif", costs=costs[:2])
    with pytest.raises(ValueError, match="finite"):
        animate_training(history, net, X, Y, tmp_path / "a.gif", costs=[1.0, np.nan, 1.0])
    with pytest.raises(TypeError, match="has no predict"):
        animate_training(history, object(), X, Y, tmp_path / "a.gif")
    assert not (tmp_path / "a.gif").exists()


# ------------------------------------------------------------------------------ recorders


def test_training_history_keeps_copies_every_k_iterations() -> None:
    net = TwoLayerNet(2, 2, 1)
    history = TrainingHistory(every=3)
    recorded = [history(i, net) for i in range(7)]
    assert recorded == [True, False, False, True, False, False, True]
    net.W1.data += 1.0  # later changes do not reach the snapshots
    assert np.array_equal(history.states[0]["W1"] + 1.0, net.W1.data)
    history.snapshot(10, {"W1": Tensor(np.zeros((2, 2)))})
    assert history.iterations == [0, 3, 6, 10] and len(history) == 4
    with pytest.raises(ValueError, match="greater than the last one recorded, 10; got 10"):
        history(10, net)
    with pytest.raises(ValueError, match="every must be an int >= 1"):
        TrainingHistory(every=0)
    with pytest.raises(TypeError, match="a Module, a .* mapping or a function"):
        history.snapshot(11, [1.0])
    asked = []

    def model() -> TwoLayerNet:  # a training engine's model(): called for a snapshot only
        asked.append(1)
        return net

    lazy = TrainingHistory(every=4)
    assert [lazy(i, model) for i in range(6)] == [True, False, False, False, True, False]
    assert len(asked) == 2 and np.array_equal(lazy.states[1]["W1"], net.W1.data)


def test_gradient_norms_equal_the_hand_derived_gradients_norms(data) -> None:
    X, Y = data
    net = TwoLayerNet(2, 4, 1, seed=2)
    norms = GradientNorms(net, every=2)
    optimizer = optim.SGD(net.parameters(), lr=1.2)
    expected: dict[str, list[float]] = {n: [] for n in ("W1", "b1", "W2", "b2")}
    bounds: dict[str, list[float]] = {n: [] for n in expected}
    for i in range(5):
        optimizer.zero_grad()
        net.cost(X, Y).backward()
        if i % 2 == 0:  # the tutorial's hand-derived gradients at the same weights
            params = net.state_dict()
            _, cache = manual.forward_propagation(X, params)
            grads = manual.backward_propagation(params, cache, X, Y)
            # the project's rounding rule bounds each element; the norms differ by at most
            # the norm of those bounds (db2 cancels 1e-5 out of terms summing to 0.5)
            rounding = rounding_of(net.cost(X, Y), dict(net.named_parameters()))
            for name in expected:
                expected[name].append(float(np.linalg.norm(grads["d" + name])))
                bounds[name].append(float(np.linalg.norm(rounding[name].tolerance())))
        norms(i)
        optimizer.step()
    assert norms.iterations == [0, 2, 4]
    for name, values in expected.items():
        difference = np.abs(np.subtract(norms.norms[name], values))
        assert np.all(difference <= bounds[name]), (name, difference, bounds[name])


def test_gradient_norms_of_a_compiled_step_equal_the_eager_ones(data) -> None:
    X, Y = data
    recorded = []
    for compiled in (False, True):
        net = TwoLayerNet(2, 4, 1, seed=3)
        optimizer = optim.SGD(net.parameters(), lr=1.2)

        def step(X: Tensor, Y: Tensor, net=net, optimizer=optimizer) -> Tensor:
            optimizer.zero_grad()
            cost = net.cost(X, Y)
            cost.backward()
            optimizer.step()
            return cost

        run = compile(step) if compiled else step
        norms = GradientNorms(net)
        for i in range(4):
            run(Tensor(X), Tensor(Y))
            norms(i)
        recorded.append(norms.norms)
    assert recorded[0] == recorded[1]


def test_gradient_norms_refuse_what_cannot_be_recorded() -> None:
    w = Tensor(np.ones(3), requires_grad=True)
    frozen = Tensor(np.ones(2))
    norms = GradientNorms([("w", w), ("frozen", frozen)])
    assert list(norms.norms) == ["w"]  # a tensor that requires no grad is left out
    with pytest.raises(ValueError, match=r"\['w'\] have no gradient at iteration 0"):
        norms(0)
    (w * 2.0).sum().backward()
    assert norms(0) and norms.norms["w"] == [pytest.approx(np.sqrt(12.0), rel=1e-15)]
    with pytest.raises(ValueError, match="greater than the last one recorded, 0"):
        norms(0)
    with pytest.raises(ValueError, match="no tensor that requires grad"):
        GradientNorms({"frozen": frozen})
    with pytest.raises(TypeError, match="not a Tensor"):
        GradientNorms({"x": np.ones(2)})
    with pytest.raises(TypeError, match="expected a Module"):
        GradientNorms(3)


# ------------------------------------------------------------------------------ the figure


def test_gradient_flow_draws_one_line_per_parameter_on_a_log_scale(data) -> None:
    X, Y = data
    net = DeepNet([2, 5, 5, 1], hidden="tanh", init="he", seed=1)
    norms = GradientNorms(net)
    optimizer = optim.SGD(net.parameters(), lr=0.1)
    for i in range(3):
        optimizer.zero_grad()
        net.cost(X, Y).backward()
        norms(i)
        optimizer.step()
    fig = plot.gradient_flow(norms, title="flow")
    (ax,) = fig.axes
    assert ax.get_yscale() == "log" and ax.get_title() == "flow"
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == list(norms.norms)
    for ln, (name, values) in zip(lines, norms.norms.items(), strict=True):
        np.testing.assert_array_equal(ln.get_ydata(), values)
        np.testing.assert_array_equal(ln.get_xdata(), [0, 1, 2])
        assert ln.get_linestyle() == ("--" if name.startswith("b") else "-")


def test_gradient_flow_leaves_out_zeros_and_refuses_bad_norms() -> None:
    fig = plot.gradient_flow({"W1": [1.0, 0.0, 0.5]}, iterations=[0, 10, 20])
    (line,) = fig.axes[0].get_lines()
    assert line.get_label() == "W1 (= 0 at 1 of 3)" and np.isnan(line.get_ydata()[1])
    with pytest.raises(ValueError, match="all of one length"):
        plot.gradient_flow({"W1": [1.0], "W2": [1.0, 2.0]})
    with pytest.raises(ValueError, match="finite and >= 0"):
        plot.gradient_flow({"W1": [1.0, -1.0]})
    with pytest.raises(ValueError, match="3 iterations for 2 norms"):
        plot.gradient_flow({"W1": [1.0, 2.0]}, iterations=[0, 1, 2])
    with pytest.raises(TypeError, match="GradientNorms or a"):
        plot.gradient_flow([1.0, 2.0])  # type: ignore[arg-type]


def test_gradients_vanish_or_saturate_in_a_deep_tanh_network(data) -> None:
    X, Y = data
    Xt, Yt = Tensor(X), Tensor(Y)
    first_to_last = {}
    for init in ("small", "random", "he"):
        net = DeepNet([2, 10, 10, 10, 10, 10, 10, 1], hidden="tanh", init=init, seed=1)
        norms = GradientNorms({n: p for n, p in net.named_parameters() if n.startswith("W")})
        optimizer = optim.SGD(net.parameters(), lr=0.1)

        def step(X: Tensor, Y: Tensor, net=net, optimizer=optimizer) -> Tensor:
            optimizer.zero_grad()
            cost = net.cost(X, Y)
            cost.backward()
            optimizer.step()
            return cost

        run = compile(step)
        for i in range(60):
            run(Xt, Yt)
            norms(i)
        first_to_last[init] = (norms.norms["W1"][-1], norms.norms["W7"][-1])
    assert max(first_to_last["small"]) < 1e-8  # the signal vanished both ways
    random, he = first_to_last["random"], first_to_last["he"]
    assert random[0] / random[1] < 1e-2  # saturated units stop the gradient on its way back
    assert 1e-2 < he[0] / he[1] < 1e2


def test_a_history_at_given_iterations_snapshots_exactly_those() -> None:
    history = TrainingHistory(at=[0, 3, 7])
    kept = [i for i in range(10) if history(i, {"w": np.array([float(i)])})]
    assert kept == [0, 3, 7] == history.iterations
    assert [s["w"][0] for s in history.states] == [0.0, 3.0, 7.0]
    with pytest.raises(ValueError, match="at: iteration must be >= 0"):
        TrainingHistory(at=[2, -1])


def test_spread_snapshots_are_log_spaced_from_ten_to_the_end() -> None:
    at = sorted(TrainingHistory.spread(10_000, frames=25).at)
    assert at[0] == 0 and at[1] == 10 and at[-1] == 10_000 and len(at) == 25
    ideal = 10 * 1000 ** (np.arange(24) / 23)  # equal steps on a log scale, then rounded
    assert np.all(np.abs(np.array(at[1:]) - ideal) <= 0.5)
    assert sorted(TrainingHistory.spread(3, frames=25).at) == [0, 3]
