"""Matplotlib figures of the tutorial: data, decision boundary, cost curve, gradient flow."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .autograd import no_grad
from .figures import pyplot, save_figure, subplots
from .graph_picture import draw_graph
from .monitor import GradientNorms
from .tensor import Tensor

__all__ = [
    "decision_grid",
    "draw_graph",
    "gradient_flow",
    "plot_cost",
    "plot_data",
    "plot_decision_boundary",
    "plot_decision_regions",
    "pyplot",
    "save_figure",
]

# matplotlib is imported inside the functions: `import tinygrad_lite` must stay light. The
# figures these helpers make show once in a notebook (`tinygrad_lite.figures`).
Figure = Any
Axes = Any
Predict = Callable[[np.ndarray], Any]

DEFAULT_CHUNK = 65536


def _figure_and_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    return subplots(figsize=figsize)


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
    shade_decisions(ax, xs, ys, Z)
    _scatter_points(ax, Xa, Ya, size=20, edge=0.4)
    ax.set_title(title)
    return fig


def shade_decisions(ax: Axes, xs: np.ndarray, ys: np.ndarray, Z: np.ndarray) -> list[Any]:
    """The regions of `decision_grid`'s Z on `ax` (and the 0.5 line for probabilities).

    The shading goes under the points (filled regions at z-order 1, the line at 2, matplotlib's
    defaults for contours), so that it can be replaced frame by frame after the points are
    drawn. Returns the artists drawn, for `remove()`.
    """
    binary = bool(np.all((Z == 0.0) | (Z == 1.0)))
    # Same colour scale for regions and points: class 0 red, class 1 blue, as in the course.
    levels = [-0.5, 0.5, 1.5] if binary else np.linspace(0.0, 1.0, 11)
    kw = {"levels": levels, "cmap": "Spectral", "vmin": 0.0, "vmax": 1.0, "alpha": 0.5}
    artists = [ax.contourf(xs, ys, Z, zorder=0.9, **kw)]
    if not binary:
        artists.append(ax.contour(xs, ys, Z, levels=[0.5], colors="k", linewidths=1.0))
    return artists


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


def gradient_flow(
    norms: GradientNorms | Mapping[str, Sequence[float]],
    iterations: Sequence[int] | None = None,
    ax: Axes | None = None,
    title: str = "Gradient flow",
) -> Figure:
    """Each parameter's gradient norm against the iteration, on a log scale.

    One line per parameter, coloured from the first layer (dark) to the last (light), weights
    solid and biases dashed (a bias is a name whose last part starts with "b": b1, 0.bias).
    Vanishing gradients show as lines orders of magnitude below the last layer's; saturated
    units as lines that start low and stay flat. A norm of exactly 0 has no place on a log
    scale: it is left out and the legend says how often it occurred.

    Args:
        norms: a `tinygrad_lite.monitor.GradientNorms`, or {name: norms}, all of one length.
        iterations: the iteration of each norm (default: the recorder's, or 0, 1, 2, ...).
        ax: the axes to draw on; a new figure is made when None.
        title: the axes' title.

    Returns:
        The matplotlib Figure that holds the axes.

    Raises:
        ValueError: no norms, norms of different lengths or negative, NaN or infinite ones,
            or iterations of another length.
    """
    func = "gradient_flow"
    if isinstance(norms, GradientNorms):
        its = norms.iterations if iterations is None else iterations
        series = norms.norms
    elif isinstance(norms, Mapping):
        series, its = norms, iterations  # type: ignore[assignment]
    else:
        raise TypeError(
            f"{func}: norms must be a GradientNorms or a {{name: norms}} mapping, got "
            f"{type(norms).__name__}"
        )
    arrays = {str(k): _array(v, f"norms[{k!r}]", func) for k, v in series.items()}
    lengths = {a.size for a in arrays.values()}
    if not arrays or lengths == {0} or len(lengths) != 1:
        raise ValueError(
            f"{func}: norms must hold one non-empty series per parameter, all of one length; "
            f"got lengths { ({k: a.size for k, a in arrays.items()}) }"
        )
    (n,) = lengths
    x = np.arange(n) if its is None else _array(its, "iterations", func)
    if x.shape != (n,):
        raise ValueError(f"{func}: {x.size} iterations for {n} norms per parameter")
    for k, a in arrays.items():
        if a.ndim != 1 or not np.all(np.isfinite(a)) or np.any(a < 0):
            raise ValueError(f"{func}: the norms of {k} must be finite and >= 0, got {a[:5]}")
    fig, ax = _figure_and_axes(ax, (6.5, 4.0))
    cmap = pyplot().get_cmap("viridis")
    for i, (k, a) in enumerate(arrays.items()):
        zeros = int(np.sum(a == 0.0))
        label = k if not zeros else f"{k} (= 0 at {zeros} of {n})"
        bias = k.split(".")[-1].startswith("b")
        ax.plot(
            x,
            np.where(a > 0.0, a, np.nan),
            color=cmap(0.9 * i / max(len(arrays) - 1, 1)),
            linestyle="--" if bias else "-",
            label=label,
        )
    ax.set_yscale("log")
    ax.set_xlabel("iterations")
    ax.set_ylabel("‖gradient‖")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", ncol=2 if len(arrays) > 6 else 1)
    return fig
