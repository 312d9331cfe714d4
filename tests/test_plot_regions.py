"""plot_decision_regions: the plane shaded by the predicted class, for any number of classes."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from tinygrad_lite.plot import plot_decision_regions

plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def quadrant(points: np.ndarray) -> np.ndarray:
    """Class 0, 1, 2 or 3 by the quadrant of each column."""
    return (points[0] > 0).astype(int) + 2 * (points[1] > 0).astype(int)


def test_regions_follow_the_predicted_classes() -> None:
    X = np.array([[-1.0, 1.0, -1.0, 1.0], [-1.0, -1.0, 1.0, 1.0]])
    y = np.array([0, 1, 2, 3])
    fig = plot_decision_regions(quadrant, X, y, step=0.05, title="quadrants")
    ax = fig.axes[0]
    assert ax.get_title() == "quadrants"
    (filled,) = [c for c in ax.collections if hasattr(c, "levels")]
    np.testing.assert_array_equal(filled.levels, [-0.5, 0.5, 1.5, 2.5, 3.5])  # one band a class
    # The scattered points keep their labels as colours.
    (points,) = [c for c in ax.collections if not hasattr(c, "levels")]
    np.testing.assert_array_equal(points.get_array(), y)


def test_two_classes_and_labels_as_a_row() -> None:
    X = np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 0.0]])
    fig = plot_decision_regions(lambda p: p[0] > 1.0, X, np.array([[0, 0, 1]]), step=0.1)
    assert fig.axes[0].get_xlabel() == "x1"


def test_bad_labels_and_predictions_are_refused() -> None:
    X = np.zeros((2, 3))
    with pytest.raises(ValueError, match="y must hold class indices"):
        plot_decision_regions(quadrant, X, np.array([0.0, 0.5, 1.0]))
    with pytest.raises(ValueError, match="predict must return class indices 0 ... 2"):
        plot_decision_regions(lambda p: np.full(p.shape[1], 3), X, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="X must have shape \\(2, m\\)"):
        plot_decision_regions(quadrant, np.zeros((3, 2)), np.array([0, 1, 2]))
