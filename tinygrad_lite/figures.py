"""Figures for scripts and notebooks alike: pyplot on demand, and figures a notebook shows once."""

from __future__ import annotations

import importlib
import io
import os
import sys
from pathlib import Path
from typing import Any

__all__ = [
    "figure_class",
    "new_figure",
    "pyplot",
    "save_figure",
    "show_in_notebook",
    "subplots",
]

Figure = Any

# matplotlib is imported inside the functions: `import tinygrad_lite` must stay light.
_CLASSES: dict[str, type] = {}


def pyplot() -> Any:
    """Return `matplotlib.pyplot`, choosing the Agg backend first when no display is available.

    On Linux without $DISPLAY or $WAYLAND_DISPLAY (a server, CI), figures are rendered off
    screen; $MPLBACKEND (a Jupyter kernel sets it to the inline backend), or a pyplot already
    imported, is left alone.
    """
    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        headless = sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        )
        if headless:
            import matplotlib

            matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = 90) -> Path:
    """Write `fig` to `path` (PNG unless the suffix says otherwise), creating its folder.

    Args:
        fig: a matplotlib Figure.
        path: the file to write.
        dpi: resolution in dots per inch.

    Returns:
        The path written.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi, bbox_inches="tight")
    return out


def _inline_backend() -> bool:
    """Whether pyplot draws with IPython's inline backend (figures shown after each cell)."""
    return "inline" in str(pyplot().get_backend())


def _managed_by_pyplot(fig: Any) -> bool:
    """Whether pyplot still holds `fig`: the inline backend shows those at the end of a cell."""
    from matplotlib._pylab_helpers import Gcf

    return any(m.canvas.figure is fig for m in Gcf.get_all_fig_managers())


def show_in_notebook(fig: Any, fmt: str = "png") -> None:
    """Display `fig` once in a notebook cell's output, as PNG or SVG.

    This is what a figure of `figure_class` does when IPython displays it: as the value of a
    cell, through `display(fig)`, or when the inline backend shows the figures of a cell. It
    draws the picture now and, under the inline backend, closes the figure in pyplot (as the
    backend itself does after showing it), so that the end of the cell does not show it a
    second time. The Figure object stays usable: `fig.savefig(...)` still works.

    Under another backend (a window or a widget) a figure that pyplot holds is left to that
    backend, and the cell shows its text, as IPython does for any matplotlib Figure.

    Args:
        fig: a matplotlib Figure.
        fmt: "png" or "svg".

    Raises:
        ValueError: an unknown format.
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"show_in_notebook: fmt must be 'png' or 'svg', got {fmt!r}")
    # IPython is there whenever this runs (it calls it); imported by name, it needs no stubs.
    display = importlib.import_module("IPython.display").display
    inline, held = _inline_backend(), _managed_by_pyplot(fig)
    bundle: dict[str, Any] = {"text/plain": repr(fig)}
    if inline or not held:
        buf = io.BytesIO()
        fig.savefig(
            buf,
            format=fmt,
            bbox_inches="tight",
            facecolor=fig.get_facecolor(),
            edgecolor=fig.get_edgecolor(),
        )
        if fmt == "svg":
            bundle["image/svg+xml"] = buf.getvalue().decode("utf-8")
        else:
            bundle["image/png"] = buf.getvalue()
    display(bundle, raw=True)
    if inline and held:
        pyplot().close(fig)


def _classes() -> dict[str, type]:
    if not _CLASSES:
        from matplotlib.figure import Figure

        class NotebookFigure(Figure):
            """A matplotlib Figure that a notebook cell shows once, as PNG."""

            def _ipython_display_(self) -> None:
                show_in_notebook(self, "png")

        class SvgFigure(Figure):
            """A matplotlib Figure that a notebook cell shows once, as SVG (sharp at any zoom)."""

            def _ipython_display_(self) -> None:
                show_in_notebook(self, "svg")

        for cls in (NotebookFigure, SvgFigure):
            # Importable by name (see __getattr__ below), so that pickle finds the class.
            cls.__module__, cls.__qualname__ = __name__, cls.__name__
            _CLASSES[cls.__name__] = cls
    return _CLASSES


def __getattr__(name: str) -> Any:
    if name in ("NotebookFigure", "SvgFigure"):
        return _classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def figure_class(fmt: str = "png") -> type:
    """The Figure subclass of the library's figures: shown once in a notebook, as PNG or SVG.

    A notebook with the inline backend shows every figure pyplot holds at the end of a cell,
    and IPython also shows the cell's value: a helper that returns its Figure would appear
    twice. Figures of this class display themselves once (see `show_in_notebook`); everywhere
    else they are ordinary matplotlib Figures (`savefig`, `plt.close`, `plt.gcf()` work).

    Args:
        fmt: "png" or "svg".

    Raises:
        ValueError: an unknown format.
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"figure_class: fmt must be 'png' or 'svg', got {fmt!r}")
    return _classes()["SvgFigure" if fmt == "svg" else "NotebookFigure"]


def new_figure(figsize: tuple[float, float], fmt: str = "png") -> Any:
    """A new pyplot figure of `figure_class(fmt)`, `figsize` inches wide and high.

    Args:
        figsize: (width, height) in inches.
        fmt: how a notebook shows it, "png" or "svg".
    """
    return pyplot().figure(figsize=figsize, FigureClass=figure_class(fmt))


def subplots(
    nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] = (6.0, 4.5), **kwargs: Any
) -> tuple[Any, Any]:
    """`pyplot.subplots` with a figure of `figure_class()`: (figure, axes), shown once.

    Args:
        nrows: rows of axes.
        ncols: columns of axes.
        figsize: (width, height) in inches.
        **kwargs: passed to `pyplot.subplots` (`squeeze`, `sharex`, ...).
    """
    return pyplot().subplots(nrows, ncols, figsize=figsize, FigureClass=figure_class(), **kwargs)
