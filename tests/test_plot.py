"""Tests of the figures: data, decision boundary (chunked), cost curve and graph picture."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lite import Tensor, is_grad_enabled
from tinygrad_lite.datasets import load_planar_dataset
from tinygrad_lite.graph import GraphError
from tinygrad_lite.plot import (
    decision_grid,
    draw_graph,
    plot_cost,
    plot_data,
    plot_decision_boundary,
    save_figure,
)

plt = pytest.importorskip("matplotlib.pyplot")
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import imread  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    X, Y = load_planar_dataset(m=60)
    return X, Y


def assert_png(path: Path, min_side: int = 50) -> np.ndarray:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    assert min(image.shape[:2]) >= min_side
    assert image[..., :3].std() > 0.01, "the picture is blank"
    return image


def disc(points: np.ndarray) -> np.ndarray:
    """Label 1 inside the unit circle: a boundary every test can check by hand."""
    return (points[0] ** 2 + points[1] ** 2 < 1.0).astype(np.float64)


def test_import_does_not_load_matplotlib() -> None:
    code = (
        "import sys, tinygrad_lite, tinygrad_lite.plot, tinygrad_lite.graph; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_plot_data_returns_a_figure_and_writes_a_png(tmp_path: Path, data) -> None:
    X, Y = data
    fig = plot_data(X, Y, title="Flower")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_title() == "Flower" and ax.get_xlabel() == "x1" and ax.get_ylabel() == "x2"
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_array_equal(np.asarray(offsets), X.T)
    assert_png(save_figure(fig, tmp_path / "sub" / "data.png"))


def test_every_plot_draws_on_a_given_axes(data) -> None:
    X, Y = data
    fig, axes = plt.subplots(1, 3)
    assert plot_data(Tensor(X), Tensor(Y), ax=axes[0]) is fig
    assert plot_decision_boundary(disc, X, Y, ax=axes[1], step=0.1) is fig
    assert plot_cost([3.0, 2.0, 1.0], ax=axes[2]) is fig
    assert len(fig.axes) == 3
    assert all(ax.has_data() for ax in axes)


def test_decision_boundary_title_labels_and_png(tmp_path: Path, data) -> None:
    X, Y = data
    fig = plot_decision_boundary(
        disc, X, Y, step=0.05, title="Decision Boundary for hidden layer size 4"
    )
    (ax,) = fig.axes
    assert ax.get_title() == "Decision Boundary for hidden layer size 4"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x1", "x2")
    assert_png(save_figure(fig, tmp_path / "db.png"))


def test_decision_grid_covers_the_data_with_a_margin_and_is_right(data) -> None:
    X, _ = data
    xs, ys, Z = decision_grid(disc, X, step=0.05, margin=1.0)
    assert xs[0] == pytest.approx(X[0].min() - 1.0)
    assert ys[0] == pytest.approx(X[1].min() - 1.0)
    assert X[0].max() + 1.0 - 0.05 <= xs[-1] < X[0].max() + 1.0
    assert X[1].max() + 1.0 - 0.05 <= ys[-1] < X[1].max() + 1.0
    assert Z.shape == (ys.size, xs.size)
    expected = (xs[np.newaxis, :] ** 2 + ys[:, np.newaxis] ** 2 < 1.0).astype(np.float64)
    np.testing.assert_array_equal(Z, expected)


@pytest.mark.parametrize("chunk", [1, 7, 1000, 10**9])
def test_chunked_grid_equals_unchunked_and_respects_the_chunk(chunk: int, data) -> None:
    X, _ = data
    seen: list[tuple[int, ...]] = []
    grad_modes: list[bool] = []

    def predict(points: np.ndarray) -> Tensor:
        seen.append(points.shape)
        grad_modes.append(is_grad_enabled())
        w = Tensor(np.array([[0.3, -0.7]]), requires_grad=True)
        return (w @ Tensor(points)).sigmoid()  # probabilities, as a (1, k) Tensor

    step = 0.25
    xs, ys, Z = decision_grid(predict, X, step=step, chunk=chunk)
    assert all(s[0] == 2 and 1 <= s[1] <= chunk for s in seen)
    assert sum(s[1] for s in seen) == Z.size
    assert not any(grad_modes), "predict must run under no_grad"
    assert is_grad_enabled()
    xx, yy = np.meshgrid(xs, ys)
    reference = 1.0 / (1.0 + np.exp(-(0.3 * xx - 0.7 * yy)))
    np.testing.assert_allclose(Z, reference, rtol=1e-12)


def test_chunking_gives_the_same_picture(tmp_path: Path, data) -> None:
    X, Y = data
    whole = plot_decision_boundary(disc, X, Y, step=0.05, chunk=10**9)
    pieces = plot_decision_boundary(disc, X, Y, step=0.05, chunk=37)
    a = assert_png(save_figure(whole, tmp_path / "a.png"))
    b = assert_png(save_figure(pieces, tmp_path / "b.png"))
    np.testing.assert_array_equal(a, b)


def test_default_step_keeps_memory_bounded_by_the_chunk(data) -> None:
    X, _ = data
    largest = 0

    def predict(points: np.ndarray) -> np.ndarray:
        nonlocal largest
        largest = max(largest, points.shape[1])
        return disc(points)

    xs, ys, Z = decision_grid(predict, X, chunk=4096)  # the tutorial's step of 0.01
    assert Z.size > 100_000
    assert largest == 4096


def test_probabilities_get_a_boundary_line_and_labels_do_not(data) -> None:
    X, Y = data
    fig = plot_decision_boundary(lambda p: 1.0 / (1.0 + np.exp(-p[0])), X, Y, step=0.1)
    line_sets = [c for c in fig.axes[0].collections if type(c).__name__ == "QuadContourSet"]
    assert len(line_sets) == 2  # the shading and the 0.5 line
    fig = plot_decision_boundary(disc, X, Y, step=0.1)
    line_sets = [c for c in fig.axes[0].collections if type(c).__name__ == "QuadContourSet"]
    assert len(line_sets) == 1


def test_bad_predict_output_is_a_clear_error(data) -> None:
    X, Y = data
    with pytest.raises(ValueError, match=r"predict returned 1 values for \d+ points"):
        decision_grid(lambda p: np.array([1.0]), X, step=0.5)
    with pytest.raises(ValueError, match=r"labels in \{0, 1\} or probabilities in \[0, 1\]"):
        decision_grid(lambda p: p[0] * 10.0, X, step=0.5)
    with pytest.raises(ValueError, match="step must be a finite number > 0, got 0"):
        decision_grid(disc, X, step=0)
    with pytest.raises(ValueError, match="chunk must be an int >= 1, got 0"):
        decision_grid(disc, X, chunk=0)
    with pytest.raises(ValueError, match="grid of .* points; use a larger step"):
        decision_grid(disc, X * 1000.0, step=0.01)
    with pytest.raises(ValueError, match=r"X must have shape \(2, m\).*\(3, 5\)"):
        plot_data(np.zeros((3, 5)), np.zeros((1, 5)))
    with pytest.raises(ValueError, match=r"Y must have shape \(1, 60\) or \(60,\).*\(1, 59\)"):
        plot_decision_boundary(disc, X, Y[:, :59])
    bad = X.copy()
    bad[0, 3] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        plot_data(bad, Y)


def test_plot_cost_axes_and_spacing(tmp_path: Path) -> None:
    costs = np.linspace(0.7, 0.2, 11)
    fig = plot_cost(costs, every=1000)
    (ax,) = fig.axes
    assert ax.get_title() == "Cost"
    assert ax.get_xlabel() == "iterations"
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), np.arange(11) * 1000)
    np.testing.assert_array_equal(line.get_ydata(), costs)
    assert_png(save_figure(fig, tmp_path / "cost.png"))
    with pytest.raises(ValueError, match="non-empty 1-D"):
        plot_cost([])
    with pytest.raises(ValueError, match="every must be an int >= 1, got 0"):
        plot_cost([1.0], every=0)


def _tutorial_cost() -> tuple[Tensor, dict[Tensor, str]]:
    rng = np.random.default_rng(3)
    X = Tensor(rng.standard_normal((2, 9)))
    Y = Tensor((rng.random((1, 9)) > 0.5).astype(np.float64))
    W1 = Tensor(rng.standard_normal((4, 2)) * 0.01, requires_grad=True)
    b1 = Tensor(np.zeros((4, 1)), requires_grad=True)
    W2 = Tensor(rng.standard_normal((1, 4)) * 0.01, requires_grad=True)
    b2 = Tensor(np.zeros((1, 1)), requires_grad=True)
    A2 = (W2 @ (W1 @ X + b1).tanh() + b2).sigmoid()
    J = -(Y * A2.log() + (1.0 - Y) * (1.0 - A2).log()).mean()
    return J, {W1: "W1", b1: "b1", W2: "W2", b2: "b2", X: "X", Y: "Y"}


def test_draw_graph_writes_a_png_and_shows_every_node(tmp_path: Path) -> None:
    J, names = _tutorial_cost()
    J.backward(retain_graph=True)
    fig = draw_graph(J, tmp_path / "graph.png", names=names)
    assert isinstance(fig, Figure)
    texts = [t.get_text() for t in fig.axes[0].texts]
    first_lines = {t.split("\n")[0] for t in texts}
    assert {"W1", "b1", "W2", "b2", "X", "Y", "MatMul", "Tanh", "Sigmoid", "Log"} <= first_lines
    w1 = next(t for t in texts if t.startswith("W1\n"))
    assert w1.split("\n")[1] == "(4, 2)" and w1.split("\n")[2].startswith("‖grad‖=")
    arrows = [p for p in fig.axes[0].patches if type(p).__name__ == "FancyArrowPatch"]
    assert len(arrows) >= len(names)
    image = assert_png(tmp_path / "graph.png")
    assert image.shape[0] > image.shape[1], "layers run top to bottom"


def test_draw_graph_on_a_given_axes_and_on_a_released_graph(tmp_path: Path) -> None:
    J, names = _tutorial_cost()
    fig, ax = plt.subplots(figsize=(4, 8))
    assert draw_graph(J, ax=ax, names=names) is fig
    assert len(ax.texts) > 10
    assert_png(save_figure(fig, tmp_path / "ax.png"))
    J.backward()
    with pytest.raises(GraphError, match="retain_graph=True"):
        draw_graph(J)
