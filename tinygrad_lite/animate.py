"""Training as a moving picture: the decision boundary and the cost curve, frame by frame, a GIF."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from .autograd import no_grad
from .files import atomic_write
from .monitor import TrainingHistory
from .plot import decision_grid, plot_decision_boundary, shade_decisions

__all__ = ["animate_training"]

Predict = Callable[[np.ndarray], Any]


def _writer_class() -> type:
    """PillowWriter, writing the finished GIF atomically (`tinygrad_lite.files.atomic_write`)."""
    from matplotlib.animation import PillowWriter

    class AtomicPillowWriter(PillowWriter):
        """Collects the frames as PillowWriter does; the file appears whole or not at all."""

        def finish(self) -> None:
            frames: list[Any] = self.__dict__["_frames"]  # what grab_frame collected
            duration = int(1000 / self.fps)

            def write(f: IO[bytes], poll: Callable[[], None]) -> None:
                frames[0].save(
                    f,
                    format="GIF",
                    save_all=True,
                    append_images=frames[1:],
                    duration=duration,
                    loop=0,
                )

            atomic_write(str(self.outfile), write, who="animate_training")

    return AtomicPillowWriter


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"animate_training: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _accuracy(predict: Predict, X: np.ndarray, Y: np.ndarray) -> float:
    with no_grad():
        out = predict(X)
    labels = np.asarray(getattr(out, "data", out), dtype=np.float64).ravel() > 0.5
    return float(np.mean(labels == (Y.ravel() > 0.5)) * 100.0)


def animate_training(
    history: TrainingHistory,
    model: Any,
    X: Any,
    Y: Any,
    path: str | os.PathLike[str] = "training.gif",
    *,
    costs: Sequence[float] | None = None,
    predict: Predict | None = None,
    fps: int = 5,
    step: float = 0.05,
    dpi: int = 72,
) -> Path:
    """Write a GIF of training: one frame per snapshot of `history`.

    Each frame shows, on the left, the decision boundary of the model with that snapshot's
    weights over the data, titled with the iteration and the training accuracy; on the right
    (when `costs` is given) the cost curve up to that iteration, on axes fixed for the whole
    run so that the curve grows instead of the axes moving. The frames are collected by
    matplotlib's `PillowWriter` (Pillow comes with matplotlib: no ffmpeg needed) and the file
    is written atomically: it appears complete, or an existing file stays as it was.

    The snapshots are loaded into `model` one by one (`load_state_dict`); its own weights are
    put back afterwards, even when drawing fails. Nothing is drawn through pyplot: no figure
    appears in a notebook, and the GIF can be shown with `IPython.display.Image(path)`.

    Args:
        history: the snapshots (see `tinygrad_lite.monitor.TrainingHistory`), at least one.
        model: a Module whose `state_dict()` names match the snapshots'; for example the
            trained network itself.
        X: inputs of shape (2, m).
        Y: labels of shape (1, m) or (m,), 0 or 1.
        path: the GIF to write; its folder is created.
        costs: the cost at each iteration (costs[i] at iteration i), e.g. what
            `models.training.train` returns in `TrainResult.costs`.
        predict: labels or probabilities for inputs (2, k) with the model's current weights
            (default: `model.predict`).
        fps: frames per second, >= 1.
        step: the spacing of the decision-boundary grid (coarser than the still figure's
            0.01: a frame is small).
        dpi: dots per inch of the frames (the figure is 9 × 3.6 inches with costs, else
            4.5 × 3.6).

    Returns:
        The path written.

    Raises:
        ValueError: an empty history, costs that are empty, not finite, or shorter than the
            snapshots' iterations need, or a bad fps, dpi or grid (see `plot.decision_grid`).
        TypeError: `model` has no `predict` and none is given.
    """
    if not isinstance(history, TrainingHistory) or not history.states:
        raise ValueError("animate_training: history must be a TrainingHistory with snapshots")
    fps, dpi = _check_int("fps", fps, 1), _check_int("dpi", dpi, 10)
    predict = predict if predict is not None else getattr(model, "predict", None)
    if not callable(predict):
        raise TypeError(f"animate_training: {type(model).__name__} has no predict(); pass one")
    Xa = np.asarray(getattr(X, "data", X), dtype=np.float64)
    Ya = np.asarray(getattr(Y, "data", Y), dtype=np.float64)
    c = None
    if costs is not None:
        c = np.asarray(costs, dtype=np.float64)
        if c.ndim != 1 or c.size == 0 or not np.all(np.isfinite(c)):
            raise ValueError("animate_training: costs must be a non-empty 1-D finite sequence")
        if history.iterations[-1] > c.size:
            raise ValueError(
                f"animate_training: a snapshot at iteration {history.iterations[-1]} but only "
                f"{c.size} costs"
            )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)

    import matplotlib
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.0 if c is not None else 4.5, 3.6))
    axes = fig.subplots(1, 2 if c is not None else 1, squeeze=False)[0]
    writer = _writer_class()(fps=fps)
    own = model.state_dict()
    # Not writer.saving(): it would write the frames drawn so far when drawing fails.
    try:
        with matplotlib.rc_context({"savefig.bbox": None}):  # every frame the same size
            writer.setup(fig, str(out), dpi)
            frames = zip(history.iterations, history.states, strict=True)
            shading: list[Any] = []
            curve: list[Any] = []
            for k, (iteration, state) in enumerate(frames):
                model.load_state_dict(state)
                acc = _accuracy(predict, Xa, Ya)
                title = f"iteration {iteration:,}: accuracy {acc:.1f}%"
                # The first frame draws the axes, the points and their labels; later frames
                # only replace what changes (a cleared axes would build its ticks again).
                if k == 0:
                    plot_decision_boundary(predict, Xa, Ya, ax=axes[0], step=step, title=title)
                    shading = _shading(axes[0])
                else:
                    for artist in shading:
                        artist.remove()
                    xs, ys, Z = decision_grid(predict, Xa, step=step)
                    shading = shade_decisions(axes[0], xs, ys, Z)
                    axes[0].set_title(title)
                if c is not None:
                    curve = _draw_costs(axes[1], c, iteration, curve)
                if k == 0:  # the layout of the first frame serves them all (and costs time)
                    fig.tight_layout()
                writer.grab_frame()
            writer.finish()
    finally:
        model.load_state_dict(own)
    return out


def _shading(ax: Any) -> list[Any]:
    """The contour sets `plot_decision_boundary` drew on `ax` (the points are no contour)."""
    from matplotlib.contour import ContourSet

    return [a for a in ax.get_children() if isinstance(a, ContourSet)]


def _draw_costs(ax: Any, costs: np.ndarray, iteration: int, curve: list[Any]) -> list[Any]:
    """The cost curve up to `iteration` on axes that cover the whole run, a dot at its end.

    The first call draws the axes; later calls (given the `curve` it returned: the line and
    the dot) move the line's end and the dot.
    """
    upto = min(iteration, costs.size - 1)
    its = np.arange(upto + 1)
    ax.set_title(f"cost {costs[upto]:.4f}")
    if curve:
        line, dot = curve
        line.set_data(its, costs[: upto + 1])
        dot.set_data([upto], [costs[upto]])
        return curve
    (line,) = ax.plot(its, costs[: upto + 1], color="tab:blue")
    (dot,) = ax.plot([upto], [costs[upto]], "o", color="tab:blue")
    low, high = float(costs.min()), float(costs.max())
    pad = 0.05 * (high - low) or 0.05 * abs(high) or 0.05
    ax.set_xlim(0, costs.size)
    ax.set_ylim(low - pad, high + pad)
    ax.set_xlabel("iterations")
    ax.set_ylabel("cost")
    ax.grid(True, alpha=0.3)
    return [line, dot]
