"""Matplotlib figures of the tutorial: data, decision boundary, cost curve, computation graph."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .autograd import no_grad
from .graph import Graph, Names, Node, build_graph
from .tensor import Tensor

__all__ = [
    "decision_grid",
    "draw_graph",
    "plot_cost",
    "plot_data",
    "plot_decision_boundary",
    "plot_decision_regions",
    "pyplot",
    "save_figure",
]

# matplotlib is imported inside the functions: `import tinygrad_lite` must stay light.
Figure = Any
Axes = Any
Predict = Callable[[np.ndarray], Any]

DEFAULT_CHUNK = 65536


def pyplot() -> Any:
    """Return `matplotlib.pyplot`, choosing the Agg backend first when no display is available.

    On Linux without $DISPLAY or $WAYLAND_DISPLAY (a server, CI), figures are rendered off
    screen; $MPLBACKEND, or a pyplot already imported, is left alone.
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


def _figure_and_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    plt = pyplot()
    fig, new_ax = plt.subplots(figsize=figsize)
    return fig, new_ax


def _array(x: Any, name: str, func: str) -> np.ndarray:
    """A float64 NumPy array from an array-like or a Tensor."""
    if isinstance(x, Tensor):
        x = x.data
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{func}: {name} must be numeric, got {type(x).__name__}") from exc


def _check_xy(X: Any, Y: Any, func: str) -> tuple[np.ndarray, np.ndarray]:
    """X as (2, m) and Y as (m,), both finite, from the tutorial's column layout."""
    Xa = _array(X, "X", func)
    if Xa.ndim != 2 or Xa.shape[0] != 2 or Xa.shape[1] < 1:
        raise ValueError(f"{func}: X must have shape (2, m) with m >= 1, got shape {Xa.shape}")
    m = Xa.shape[1]
    Ya = _array(Y, "Y", func)
    if Ya.size != m or Ya.ndim > 2 or (Ya.ndim == 2 and 1 not in Ya.shape):
        raise ValueError(
            f"{func}: Y must have shape (1, {m}) or ({m},) to match X of shape {Xa.shape}, "
            f"got shape {Ya.shape}"
        )
    if not (np.all(np.isfinite(Xa)) and np.all(np.isfinite(Ya))):
        raise ValueError(f"{func}: X and Y must be finite, found NaN or infinity")
    return Xa, Ya.reshape(m)


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


def _scatter_points(ax: Any, Xa: np.ndarray, Ya: np.ndarray, size: float, edge: float) -> None:
    """The examples as dots coloured by class (the course's Spectral map), with axis labels."""
    ax.scatter(
        Xa[0],
        Xa[1],
        c=Ya,
        s=size,
        cmap="Spectral",
        vmin=0.0,
        vmax=1.0,
        edgecolors="k",
        linewidths=edge,
    )
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")


def plot_data(X: Any, Y: Any, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Scatter the examples, coloured by label, as the tutorial shows the flower.

    Args:
        X: inputs of shape (2, m) (array-like or Tensor), one example per column.
        Y: labels of shape (1, m) or (m,).
        ax: the axes to draw on; a new figure is made when None.
        title: the axes' title, if any.

    Returns:
        The matplotlib Figure that holds the axes.

    Raises:
        ValueError: X is not (2, m), Y does not match it, or either holds NaN or infinity.
    """
    Xa, Ya = _check_xy(X, Y, "plot_data")
    fig, ax = _figure_and_axes(ax, (6.0, 4.5))
    _scatter_points(ax, Xa, Ya, size=40, edge=0.3)
    if title is not None:
        ax.set_title(title)
    return fig


def decision_grid(
    predict: Predict,
    X: Any,
    step: float = 0.01,
    margin: float = 1.0,
    chunk: int = DEFAULT_CHUNK,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate `predict` on a grid that covers the data, `chunk` points at a time.

    The grid runs from min − margin to max + margin along each feature with spacing `step`
    (the tutorial's h = 0.01 and margin 1). Points are built chunk by chunk and `predict` runs
    under `no_grad`, so memory stays bounded by the chunk, not by the grid.

    Args:
        predict: maps inputs of shape (2, k) to k labels or probabilities (any array-like or
            Tensor with k elements, e.g. shape (1, k)).
        X: the data, shape (2, m).
        step: grid spacing, > 0.
        margin: how far the grid reaches beyond the data, >= 0.
        chunk: the largest number of points passed to one `predict` call, >= 1.

    Returns:
        (xs, ys, Z): the grid's coordinates along x1 and x2 and the predictions, of shape
        (len(ys), len(xs)), ready for `contourf(xs, ys, Z)`.

    Raises:
        ValueError: a bad step, margin, chunk or X; a grid of more than 2·10⁷ points; or
            `predict` returns the wrong number of values, or values outside [0, 1].
    """
    func = "decision_grid"
    Xa = _array(X, "X", func)
    if Xa.ndim != 2 or Xa.shape[0] != 2 or Xa.shape[1] < 1:
        raise ValueError(f"{func}: X must have shape (2, m) with m >= 1, got shape {Xa.shape}")
    if not np.all(np.isfinite(Xa)):
        raise ValueError(f"{func}: X must be finite, found NaN or infinity")
    if not (isinstance(step, (int, float)) and math.isfinite(step) and step > 0):
        raise ValueError(f"{func}: step must be a finite number > 0, got {step!r}")
    if not (isinstance(margin, (int, float)) and math.isfinite(margin) and margin >= 0):
        raise ValueError(f"{func}: margin must be a finite number >= 0, got {margin!r}")
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"{func}: chunk must be an int >= 1, got {chunk!r}")
    lo = Xa.min(axis=1) - margin
    hi = Xa.max(axis=1) + margin
    xs = np.arange(lo[0], hi[0], step)
    ys = np.arange(lo[1], hi[1], step)
    if xs.size < 2 or ys.size < 2:
        # Data on a line (or a step wider than the range): still draw a band around it.
        xs = np.linspace(lo[0] - step, hi[0] + step, max(xs.size, 2))
        ys = np.linspace(lo[1] - step, hi[1] + step, max(ys.size, 2))
    total = xs.size * ys.size
    if total > 20_000_000:
        raise ValueError(
            f"{func}: a step of {step} gives a grid of {xs.size} x {ys.size} = {total} points; "
            "use a larger step"
        )
    Z = np.empty(total, dtype=np.float64)
    with no_grad():
        for start in range(0, total, int(chunk)):
            idx = np.arange(start, min(start + int(chunk), total))
            points = np.stack([xs[idx % xs.size], ys[idx // xs.size]])
            out = predict(points)
            values = _array(out, "predict's output", func).ravel()
            if values.size != idx.size:
                raise ValueError(
                    f"{func}: predict returned {values.size} values for {idx.size} points "
                    f"(input shape {points.shape}, output shape {np.shape(values)})"
                )
            Z[start : start + idx.size] = values
    if not np.all((Z >= 0.0) & (Z <= 1.0)):
        bad = Z[~((Z >= 0.0) & (Z <= 1.0))]
        raise ValueError(
            f"{func}: predict must return labels in {{0, 1}} or probabilities in [0, 1], "
            f"got {bad.size} values outside, e.g. {bad[0]!r}"
        )
    return xs, ys, Z.reshape(ys.size, xs.size)


def plot_decision_boundary(
    predict: Predict,
    X: Any,
    Y: Any,
    ax: Axes | None = None,
    step: float = 0.01,
    margin: float = 1.0,
    chunk: int = DEFAULT_CHUNK,
    title: str = "Decision Boundary",
) -> Figure:
    """Shade the plane by the model's prediction and scatter the data on top.

    As in the tutorial, the regions are filled with the Spectral colour map; when `predict`
    returns probabilities rather than labels, the shading shows them and a black line marks
    the 0.5 boundary. The CLI titles it "Decision Boundary for hidden layer size 4".

    Args:
        predict: maps inputs of shape (2, k) to k labels or probabilities, e.g.
            `lambda x: model.predict(x)`; it never receives more than `chunk` points.
        X: inputs of shape (2, m).
        Y: labels of shape (1, m) or (m,).
        ax: the axes to draw on; a new figure is made when None.
        step: grid spacing (the tutorial's h = 0.01).
        margin: how far the grid reaches beyond the data.
        chunk: the largest number of points passed to one `predict` call.
        title: the axes' title.

    Returns:
        The matplotlib Figure that holds the axes.

    Raises:
        ValueError: bad data or grid settings, or `predict` returns the wrong number of values
            or values outside [0, 1] (see `decision_grid`).
    """
    Xa, Ya = _check_xy(X, Y, "plot_decision_boundary")
    xs, ys, Z = decision_grid(predict, Xa, step=step, margin=margin, chunk=chunk)
    fig, ax = _figure_and_axes(ax, (6.0, 4.5))
    binary = bool(np.all((Z == 0.0) | (Z == 1.0)))
    # Same colour scale for regions and points: class 0 red, class 1 blue, as in the course.
    levels = [-0.5, 0.5, 1.5] if binary else np.linspace(0.0, 1.0, 11)
    ax.contourf(xs, ys, Z, levels=levels, cmap="Spectral", vmin=0.0, vmax=1.0, alpha=0.5)
    if not binary:
        ax.contour(xs, ys, Z, levels=[0.5], colors="k", linewidths=1.0)
    _scatter_points(ax, Xa, Ya, size=20, edge=0.4)
    ax.set_title(title)
    return fig


def plot_decision_regions(
    predict: Predict, X: Any, y: Any, ax: Axes | None = None, step: float = 0.02, title: str = ""
) -> Figure:
    """Shade the plane by the predicted class, for any number of classes, and scatter the data.

    Args:
        predict: maps inputs of shape (2, k) to k class indices 0, ..., K − 1.
        X: inputs of shape (2, m), one example per column.
        y: class indices 0, ..., K − 1, shape (m,) or (1, m); K is max(y) + 1, at least 2.
        ax: the axes to draw on; a new figure is made when None.
        step: grid spacing; the grid reaches 1 beyond the data.
        title: the axes' title.

    Returns:
        The matplotlib Figure that holds the axes.

    Raises:
        ValueError: bad data, labels that are not class indices, or `predict` returns values
            that are not class indices below K.
    """
    func = "plot_decision_regions"
    Xa, ya = _check_xy(X, y, func)
    k = max(int(ya.max()) + 1, 2)
    if np.any((ya < 0) | (ya != np.round(ya))):
        raise ValueError(f"{func}: y must hold class indices 0, 1, ..., got {np.unique(ya)[:5]}")

    def scaled(points: np.ndarray) -> np.ndarray:
        labels = _array(predict(points), "predict's output", func).ravel()
        if np.any((labels < 0) | (labels >= k) | (labels != np.round(labels))):
            raise ValueError(f"{func}: predict must return class indices 0 ... {k - 1}")
        return labels / (k - 1)  # in [0, 1], as decision_grid wants

    xs, ys, Z = decision_grid(scaled, Xa, step=step, margin=1.0)
    fig, ax = _figure_and_axes(ax, (6.0, 4.5))
    norm = {"cmap": "Spectral", "vmin": 0.0, "vmax": float(k - 1)}
    ax.contourf(xs, ys, np.round(Z * (k - 1)), levels=np.arange(k + 1) - 0.5, alpha=0.5, **norm)
    ax.scatter(Xa[0], Xa[1], c=ya, s=20, edgecolors="k", linewidths=0.4, **norm)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    return fig


def plot_cost(
    costs: Sequence[float] | np.ndarray, ax: Axes | None = None, every: int = 1
) -> Figure:
    """The cost against the iteration at which it was recorded.

    Args:
        costs: the recorded costs, costs[k] at iteration k·every.
        ax: the axes to draw on; a new figure is made when None.
        every: iterations between two recorded costs, >= 1.

    Returns:
        The matplotlib Figure that holds the axes.

    Raises:
        ValueError: costs is empty or not 1-D, or every < 1.
    """
    func = "plot_cost"
    c = _array(costs, "costs", func)
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"{func}: costs must be a non-empty 1-D sequence, got shape {c.shape}")
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"{func}: every must be an int >= 1, got {every!r}")
    fig, ax = _figure_and_axes(ax, (6.0, 4.0))
    ax.plot(np.arange(c.size) * int(every), c, color="tab:blue")
    ax.set_title("Cost")
    ax.set_xlabel("iterations")
    ax.set_ylabel("cost")
    ax.grid(True, alpha=0.3)
    return fig


# ------------------------------------------------------------------------ the graph picture

_FILL = {"op": "#fff2cc", "leaf": "#cfe2f3", "const": "#eeeeee"}
_CHAR_W = 0.085  # inches per character at 10 pt, a little more than Helvetica's average
_LINE_H = 0.19  # inches per line at 10 pt
_PAD = 0.12  # inches of padding inside a box
_GAP_X = 0.3
_GAP_Y = 0.45


def _box_size(node: Node) -> tuple[float, float]:
    lines = node.lines()
    return (
        max(len(s) for s in lines) * _CHAR_W + 2 * _PAD,
        len(lines) * _LINE_H + 2 * _PAD,
    )


def _layout(graph: Graph) -> tuple[dict[int, tuple[float, float, float, float]], float, float]:
    """Box centre and size of every node in inches, and the picture's width and height."""
    rows = graph.layers()
    sizes = {n.index: _box_size(n) for n in graph.nodes}
    row_w = [sum(sizes[n.index][0] for n in row) + _GAP_X * (len(row) - 1) for row in rows]
    row_h = [max((sizes[n.index][1] for n in row), default=0.0) for row in rows]
    width = max(row_w)
    height = sum(row_h) + _GAP_Y * (len(rows) - 1)
    boxes: dict[int, tuple[float, float, float, float]] = {}
    top = height
    for row, rw, rh in zip(rows, row_w, row_h, strict=True):
        x = (width - rw) / 2
        for n in row:
            w, h = sizes[n.index]
            boxes[n.index] = (x + w / 2, top - rh / 2, w, h)
            x += w + _GAP_X
        top -= rh + _GAP_Y
    return boxes, width, height


def draw_graph(
    tensor: Tensor,
    path: str | os.PathLike[str] | None = None,
    ax: Axes | None = None,
    names: Names | None = None,
    op_grads: bool = True,
    dpi: int = 90,
) -> Figure:
    """Draw the computation graph of `tensor` with matplotlib alone (no Graphviz needed).

    Each box is an op (its Function's name), a leaf that requires grad (blue) or a constant
    (grey), with its shape and, where known, ‖grad‖; arrows run from inputs to the op that uses
    them, top to bottom in topological layers. To show the leaves' gradients, call
    `backward(retain_graph=True)` first.

    Args:
        tensor: the result whose graph to draw, e.g. a cost.
        path: if given, the picture is also written there (PNG).
        ax: the axes to draw on; a new figure sized to the graph is made when None.
        names: names for leaves, as for `tinygrad_lite.graph.build_graph`.
        op_grads: also show ‖∂root/∂node‖ on the op boxes.
        dpi: resolution used when writing `path`.

    Returns:
        The matplotlib Figure that holds the drawing.

    Raises:
        GraphError: backward has released the graph (call it with retain_graph=True).
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    graph = build_graph(tensor, names, op_grads)
    boxes, width, height = _layout(graph)
    margin = 0.2
    if ax is None:
        plt = pyplot()
        fig = plt.figure(figsize=(width + 2 * margin, height + 2 * margin))
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        scale = 1.0
    else:
        fig = ax.figure
        bbox = ax.get_window_extent().transformed(fig.dpi_scale_trans.inverted())
        scale = min(bbox.width / (width + 2 * margin), bbox.height / (height + 2 * margin))
    fontsize = 10.0 * scale
    ax.set_xlim(-margin, width + margin)
    ax.set_ylim(-margin, height + margin)
    ax.set_aspect("equal")
    ax.axis("off")
    for n in graph.nodes:
        cx, cy, w, h = boxes[n.index]
        ax.add_patch(
            FancyBboxPatch(
                (cx - w / 2, cy - h / 2),
                w,
                h,
                boxstyle="round,pad=0,rounding_size=0.06" if n.kind == "op" else "square,pad=0",
                facecolor=_FILL[n.kind],
                edgecolor="black",
                linewidth=2.0 if n.is_root else 0.8,
                zorder=2,
            )
        )
        ax.text(
            cx,
            cy,
            "\n".join(n.lines()),
            ha="center",
            va="center",
            fontsize=fontsize,
            fontweight="bold" if n.kind != "op" else "normal",
            zorder=3,
            linespacing=1.25,
        )
    for a, b in set(graph.edges):
        ax_, ay, _, ah = boxes[a]
        bx, by, _, bh = boxes[b]
        ax.add_patch(
            FancyArrowPatch(
                (ax_, ay - ah / 2),
                (bx, by + bh / 2),
                arrowstyle="-|>",
                mutation_scale=12 * scale,
                color="#444444",
                linewidth=1.0,
                shrinkA=0,
                shrinkB=0,
                zorder=1,
            )
        )
    if path is not None:
        save_figure(fig, path, dpi=dpi)
    return fig
