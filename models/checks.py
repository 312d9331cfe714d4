"""Checks of the command line's inputs, all made before any training: data, grid, memory, --out."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_lite.datasets import DATASETS, load_dataset
from tinygrad_lite.plot import DEFAULT_CHUNK as GRID_CHUNK

from .console import interrupts_held

__all__ = [
    "ENGINE_ARRAYS",
    "EXIT_USAGE",
    "GRID_MARGIN",
    "MAX_GRID_POINTS",
    "UsageError",
    "available_memory",
    "check_data",
    "check_grid",
    "check_memory",
    "format_bytes",
    "grid_size",
    "load_data",
    "memory_needed",
    "prepare_out",
]

Array = np.ndarray
EXIT_USAGE = 2

# The decision-boundary plots reach this far beyond the data, and the grid may have at most
# this many points: the limit of `tinygrad_lite.plot.decision_grid`, checked here up front.
GRID_MARGIN = 1.0
MAX_GRID_POINTS = 20_000_000


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit status 2."""


# ------------------------------------------------------------------------------ data


def check_data(X: Any, Y: Any, source: str) -> tuple[Array, Array]:
    """Return X (n_x, m) and Y (1, m) as float64, or raise UsageError naming the problem.

    Args:
        X: inputs, one example per column.
        Y: labels in {0, 1}.
        source: where the data came from, for the message.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise UsageError(f"{source}: X must have shape (n_x, m), got {X.shape}")
    m = X.shape[1]
    if Y.shape != (1, m):
        raise UsageError(
            f"{source}: Y must have shape (1, {m}) to match X {X.shape}, got {Y.shape}"
        )
    for name, a in (("X", X), ("Y", Y)):
        bad = ~np.isfinite(a)
        if bad.any():
            column = int(np.argwhere(bad)[0][1])
            raise UsageError(
                f"{source}: {name} holds {int(bad.sum())} NaN or infinite value(s), the first in "
                f"column {column}; clean the data first"
            )
    if not np.all((Y == 0.0) | (Y == 1.0)):
        raise UsageError(f"{source}: Y must hold only 0 and 1, got {np.unique(Y)[:5].tolist()}")
    return X, Y


def load_data(dataset: str | None = "flower", path: str | None = None) -> tuple[Array, Array]:
    """The training data: a named data set, or arrays X and Y from an .npz file.

    Args:
        dataset: a name in `tinygrad_lite.datasets.DATASETS` ("flower" is the course's data,
            drawn with seed 1); None means "flower" unless `path` is given.
        path: an .npz file with arrays "X" (n_x, m) and "Y" (1, m).

    Raises:
        UsageError: both a data set and a file given, unknown name, unreadable file, or data
            of the wrong shape, with NaN or infinity, or labels other than 0 and 1.
    """
    if path is not None:
        if dataset is not None:
            raise UsageError(
                f"--dataset {dataset} and --data {path} both name the data; give only one"
            )
        try:
            with np.load(path, allow_pickle=False) as npz:
                missing = [k for k in ("X", "Y") if k not in npz.files]
                if missing:
                    raise UsageError(
                        f"--data {path}: the file has no array(s) {missing}; it holds "
                        f"{sorted(npz.files)}"
                    )
                X, Y = npz["X"], npz["Y"]
        except (OSError, ValueError) as e:
            raise UsageError(f"--data {path}: cannot read it as an .npz file ({e})") from e
        return check_data(X, Y, f"--data {path}")
    dataset = "flower" if dataset is None else dataset
    if dataset not in DATASETS:
        valid = ", ".join(sorted(DATASETS))
        raise UsageError(f"unknown data set {dataset!r}; valid names are {valid}")
    X, Y = load_dataset(dataset)
    return check_data(X, Y, f"data set {dataset!r}")


# ------------------------------------------------------------------------------ the grid


def grid_size(X: Array, step: float, margin: float = GRID_MARGIN) -> tuple[float, float]:
    """The number of points of the decision grid along x1 and x2, as floats (they may be huge).

    The same count as `tinygrad_lite.plot.decision_grid`: ``ceil((max − min + 2·margin) / step)``
    points along each feature (what ``np.arange`` gives), and at least 2.
    """
    lo = X.min(axis=1) - margin
    hi = X.max(axis=1) + margin
    with np.errstate(over="ignore"):
        counts = [float(np.ceil((hi[k] - lo[k]) / step)) for k in (0, 1)]
    return max(counts[0], 2.0), max(counts[1], 2.0)


def _count(n: float) -> str:
    if not math.isfinite(n):
        return "more than 1e308"
    return f"{int(n):,}" if n < 1e15 else f"{n:.3g}"


def check_grid(X: Array, step: float) -> int:
    """Return the decision grid's number of points, or raise UsageError if it is too large.

    Raises:
        UsageError: the grid would have more than `MAX_GRID_POINTS` points; the message gives
            the smallest step that fits.
    """
    nx, ny = grid_size(X, step)
    with np.errstate(over="ignore"):
        total = float(np.float64(nx) * np.float64(ny))
    if total <= MAX_GRID_POINTS:
        return int(nx) * int(ny)
    area = (np.ptp(X[0]) + 2 * GRID_MARGIN) * (np.ptp(X[1]) + 2 * GRID_MARGIN)
    fit = float(np.sqrt(area / MAX_GRID_POINTS))
    digits = 10 ** (math.floor(math.log10(fit)) - 1)
    fit = math.ceil(fit / digits) * digits
    while math.prod(grid_size(X, fit)) > MAX_GRID_POINTS:
        fit += digits
    size = f"{_count(nx)} x {_count(ny)}"
    size += f" = {_count(total)} points" if total < 1e15 else " points"
    raise UsageError(
        f"--grid-step {step!r} gives a decision-boundary grid of {size}, more than the "
        f"{MAX_GRID_POINTS:,} allowed; use --grid-step {fit:.2g} or larger, or --no-plots"
    )


# ------------------------------------------------------------------------------ memory


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation now, or None where it cannot be read.

    Linux's MemAvailable (free memory plus what the kernel can reclaim), else the free physical
    pages that ``os.sysconf`` reports.
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


# Arrays of n_h × m float64 that each engine holds at its peak, measured with tracemalloc
# (tests/test_cli_checks.py keeps these honest): the hand-derived step 5.0 (Z1, A1, their
# gradients, the tanh derivative), the library op by op 2.0 (A1 and dA1: its graph holds nodes,
# not intermediate tensors), the compiled step 12.1 (it also keeps a buffer for each large
# intermediate); each rounded up by one.
ENGINE_ARRAYS = {"manual": 6, "eager": 3, "autograd": 13}


def memory_needed(
    n_x: int, m: int, hidden: int, iterations: int, grid_points: int = 0, engine: str = "autograd"
) -> dict[str, int]:
    """Estimated peak bytes of one training run and of its decision-boundary plot.

    Training holds `ENGINE_ARRAYS[engine]` arrays of n_h × m float64, the weights, and for the
    compiled step about 0.4 MiB of generated code and bookkeeping (counted as 1 MiB). The
    recorded costs take 32 bytes per iteration (a float object and a list slot). The plot
    evaluates the network on `GRID_CHUNK` grid points at a time (3 arrays of n_h × chunk,
    measured 2.3–3.4) and keeps 4 arrays of the grid's size (the predictions, contour data).

    Returns:
        {"training": bytes, "costs": bytes, "plot": bytes} (plot 0 without a grid).
    """
    weights = 4 * hidden * (n_x + 3)
    arrays = ENGINE_ARRAYS.get(engine, max(ENGINE_ARRAYS.values()))
    training = 8 * (arrays * hidden * m + weights + 4 * n_x * m) + (1 << 20)
    costs = 32 * iterations
    plot = 0
    if grid_points:
        plot = 8 * (3 * hidden * min(GRID_CHUNK, grid_points) + 4 * grid_points)
    return {"training": training, "costs": costs, "plot": plot}


def format_bytes(n: float) -> str:
    """Bytes in binary units with three significant digits: ``1.5 GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    raise AssertionError("unreachable")


def check_memory(
    n_x: int,
    m: int,
    hidden_sizes: Sequence[int],
    iterations: int,
    grid_points: int = 0,
    jobs: int = 1,
    available: int | None = None,
    engine: str = "autograd",
) -> int:
    """Refuse a run that would need more memory than is available, before it starts.

    Training runs `jobs` configurations at a time (the largest ones count), then the plots are
    drawn one after another.

    Args:
        n_x: features.
        m: examples.
        hidden_sizes: the hidden layer sizes to train.
        iterations: gradient steps of each run.
        grid_points: points of the decision grid, 0 without plots.
        jobs: configurations trained at the same time.
        engine: the engine that trains (see `ENGINE_ARRAYS`).
        available: bytes available (default: `available_memory()`; no check if unknown).

    Returns:
        The estimated peak in bytes.

    Raises:
        UsageError: the estimate exceeds what is available; the message names the largest
            part and what to change.
    """
    runs = sorted(
        (memory_needed(n_x, m, h, iterations, grid_points, engine) for h in hidden_sizes),
        key=lambda d: d["training"] + d["costs"],
        reverse=True,
    )
    at_once = runs[: max(1, jobs)]
    training = sum(r["training"] for r in at_once)
    costs = sum(r["costs"] for r in at_once)
    plot = max(r["plot"] for r in runs)
    need = max(training + costs, plot)
    available = available_memory() if available is None else available
    if available is None or need <= available:
        return need
    largest = max(hidden_sizes)
    what = f"{len(at_once)} networks at once" if len(at_once) > 1 else "the network"
    parts = [
        (training, f"to train {what} of {largest:,} hidden units on {m:,} examples"),
        (costs, f"for the costs of {iterations:,} iterations"),
        (plot, "for the decision-boundary plot"),
    ]
    listed = ", ".join(f"{format_bytes(size)} {name}" for size, name in parts if size)
    # What to change: the parts that need at least a tenth of the total.
    big = [size >= need / 10 for size, _ in parts]
    advice = []
    if big[0] or big[2]:
        advice.append(f"a smaller --hidden than {largest}")
    if big[0] and len(at_once) > 1:
        advice.append("fewer --jobs")
    if big[1]:
        advice.append("fewer --iterations")
    if big[2]:
        advice.append("--no-plots")
    raise UsageError(
        f"not enough memory: the run needs about {format_bytes(need)} ({listed}), "
        f"{format_bytes(available)} is available; to fit, use {', '.join(advice)}"
    )


# ------------------------------------------------------------------------------ --out


def prepare_out(path: str | os.PathLike[str], names: Sequence[str] = ()) -> Path:
    """Create the output folder and check that it can be written, before any work.

    Args:
        path: the folder (``--out``).
        names: the files the command will write there; none of them may be a folder.

    Raises:
        UsageError: an empty path, a path that is a file, a folder that cannot be created or
            written to, or one of `names` that is a folder.
    """
    text = os.fspath(path)
    if text == "":
        raise UsageError("--out is empty; give the output folder, e.g. --out out")
    out = Path(text)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {text!r} is a file, not a folder; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-check-{os.getpid()}"
        with interrupts_held():  # never leave the probe behind
            probe.mkdir()
            probe.rmdir()
    except OSError as e:
        raise UsageError(f"--out {text!r} cannot be written: {e.strerror or e}") from e
    for name in names:
        if (out / name).is_dir():
            raise UsageError(f"--out {text!r} holds a folder named {name}; move it away first")
    return out
