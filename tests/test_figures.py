"""Figures a notebook shows once, and that stay ordinary matplotlib figures everywhere else."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor, figures, plot
from tinygrad_lite.datasets import load_planar_dataset

plt = pytest.importorskip("matplotlib.pyplot")
from matplotlib.figure import Figure  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What `show_in_notebook` publishes, caught instead of IPython's display()."""
    display_module = pytest.importorskip("IPython.display")
    published: list[dict[str, Any]] = []

    def display(bundle: dict[str, Any], raw: bool = False) -> None:
        assert raw
        published.append(bundle)

    monkeypatch.setattr(display_module, "display", display)
    return published


def helper_figures() -> dict[str, Any]:
    X, Y = load_planar_dataset(m=20)
    w = Tensor(np.ones((1, 2)), requires_grad=True)
    return {
        "plot_data": plot.plot_data(X, Y),
        "plot_decision_boundary": plot.plot_decision_boundary(
            lambda p: (p[0] > 0).astype(float), X, Y, step=0.2
        ),
        "plot_decision_regions": plot.plot_decision_regions(
            lambda p: (p[1] > 0).astype(float), X, Y, step=0.2
        ),
        "plot_cost": plot.plot_cost([2.0, 1.0]),
        "gradient_flow": plot.gradient_flow({"W1": [1.0, 0.5]}),
        "draw_graph": plot.draw_graph((w @ X).sum()),
    }


def test_every_helper_makes_a_figure_that_shows_once(tmp_path: Path) -> None:
    made = helper_figures()
    for name, fig in made.items():
        expected = figures.figure_class("svg" if name == "draw_graph" else "png")
        assert type(fig) is expected, name
        assert isinstance(fig, Figure) and callable(fig._ipython_display_)
        assert plt.fignum_exists(fig.number), f"{name}: pyplot holds it, as for plt.subplots"
        out = plot.save_figure(fig, tmp_path / f"{name}.png")
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plt.close(made["plot_data"])  # pyplot takes them back like any figure
    assert not plt.fignum_exists(made["plot_data"].number)


def test_the_figures_pickle_and_keep_pyplot_usable() -> None:
    fig = plot.plot_cost([3.0, 2.0, 1.0])
    assert plt.gcf() is fig
    plt.title("mine")
    assert fig.axes[0].get_title() == "mine"
    copy = pickle.loads(pickle.dumps(fig))
    assert type(copy) is type(fig) and copy.axes[0].get_title() == "mine"


def test_outside_the_inline_backend_a_held_figure_shows_its_text(shown: list[Any]) -> None:
    fig = plot.plot_data(*load_planar_dataset(m=10))
    fig._ipython_display_()  # as IPython does for a cell's value (Agg here: no inline backend)
    assert shown == [{"text/plain": repr(fig)}] and repr(fig).startswith("<NotebookFigure")
    assert plt.fignum_exists(fig.number)


def test_a_closed_figure_shows_its_picture(shown: list[Any]) -> None:
    fig = plot.plot_cost([1.0, 0.5])
    plt.close(fig)
    fig._ipython_display_()
    (bundle,) = shown
    assert bundle["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
    graph = plot.draw_graph((Tensor([1.0], requires_grad=True) * 2).sum())
    plt.close(graph)
    graph._ipython_display_()
    assert shown[1]["image/svg+xml"].lstrip().startswith("<?xml")


def test_under_the_inline_backend_it_shows_now_and_leaves_pyplot(
    shown: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(figures, "_inline_backend", lambda: True)
    fig = plot.plot_cost([1.0, 0.5])
    other = plt.figure()
    fig._ipython_display_()
    assert len(shown) == 1 and "image/png" in shown[0]
    # the end of the cell shows what pyplot still holds: not this one any more, the other yes
    assert not plt.fignum_exists(fig.number) and plt.fignum_exists(other.number)
    fig._ipython_display_()  # asked for again: shown again
    assert len(shown) == 2


def test_bad_formats_are_refused() -> None:
    with pytest.raises(ValueError, match="'png' or 'svg', got 'jpg'"):
        figures.figure_class("jpg")
    with pytest.raises(ValueError, match="'png' or 'svg', got 'gif'"):
        figures.show_in_notebook(plt.figure(), "gif")
