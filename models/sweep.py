"""The hidden-layer sweep: one network per size, trained in parallel processes, and its figure."""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np

from .training import TrainingDiverged, TrainResult, train
from .two_layer import TwoLayerNet

__all__ = ["Outcome", "default_jobs", "run_sweep", "sweep_figure"]

Array = np.ndarray
Outcome = TrainResult | TrainingDiverged
Task = tuple[Array, Array, int, int, float, int, str]


def default_jobs() -> int:
    """The number of CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _train_one(task: Task) -> dict[str, Any]:
    """Train one configuration; the result as plain data, so that it crosses processes."""
    X, Y, hidden, iterations, lr, seed, engine = task
    try:
        r = train(X, Y, hidden, iterations, lr, seed, engine)
    except TrainingDiverged as e:
        return {"diverged": (e.iteration, e.cost, e.costs, e.reason)}
    return {
        "parameters": r.model.to_parameters(),
        "costs": r.costs,
        "final_cost": r.final_cost,
        "accuracy": r.accuracy,
        "engine": r.engine,
        "seconds": r.seconds,
    }


def _outcome(data: dict[str, Any]) -> Outcome:
    if "diverged" in data:
        return TrainingDiverged(*data["diverged"])
    model = TwoLayerNet.from_parameters(data["parameters"])
    return TrainResult(
        model, data["costs"], data["final_cost"], data["accuracy"], data["engine"], data["seconds"]
    )


def _ignore_ctrl_c() -> None:
    # Ctrl-C reaches every process of the terminal's group; the parent alone handles it (it
    # stops the workers), so that the workers print no tracebacks of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    # Before 3.14 the executor offers no way to stop a running task; its processes are
    # reachable only through this attribute, which shutdown() clears: so first terminate them.
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def run_sweep(
    X: Array,
    Y: Array,
    hidden_sizes: Sequence[int],
    iterations: int,
    lr: float,
    seed: int,
    engine: str,
    jobs: int = 1,
    report: Callable[[int, int, Outcome], None] | None = None,
) -> list[tuple[int, Outcome]]:
    """Train one network per hidden size, `jobs` at a time in separate processes.

    Each configuration is trained exactly as `train` would in this process (the same seed and
    arithmetic), so the results do not depend on `jobs`.

    Args:
        X: inputs (n_x, m).
        Y: labels (1, m).
        hidden_sizes: the sizes to train.
        iterations: gradient steps of each run.
        lr: learning rate.
        seed: initialisation seed.
        engine: a name in `ENGINES`.
        jobs: processes to use; 1 trains in this process, one size after another.
        report: called as each configuration finishes, with (number finished so far, hidden
            size, outcome), in the order they finish.

    Returns:
        (hidden size, TrainResult or TrainingDiverged), in the order of `hidden_sizes`.
    """
    tasks: list[Task] = [(X, Y, n, iterations, lr, seed, engine) for n in hidden_sizes]
    outcomes: list[Outcome | None] = [None] * len(tasks)

    def finish(k: int, data: dict[str, Any], done: int) -> None:
        outcomes[k] = _outcome(data)
        if report is not None:
            report(done, hidden_sizes[k], outcomes[k])  # type: ignore[arg-type]

    if jobs <= 1 or len(tasks) <= 1:
        for k, task in enumerate(tasks):
            finish(k, _train_one(task), k + 1)
    else:
        # "spawn" starts each worker afresh (the same on every OS, and no fork of a process
        # that may hold threads).
        pool = ProcessPoolExecutor(
            max_workers=min(jobs, len(tasks)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_ignore_ctrl_c,
        )
        try:
            futures: dict[Future[dict[str, Any]], int] = {
                pool.submit(_train_one, task): k for k, task in enumerate(tasks)
            }
            for done, future in enumerate(as_completed(futures), 1):
                finish(futures[future], future.result(), done)
        except BaseException:
            _stop_workers(pool)
            raise
        pool.shutdown()
    return [(n, o) for n, o in zip(hidden_sizes, outcomes, strict=True) if o is not None]


def sweep_figure(results: list[tuple[int, Outcome]], X: Array, Y: Array, step: float) -> Any:
    """One decision-boundary panel per hidden size, titled with its accuracy."""
    from tinygrad_lite.plot import plot_data, plot_decision_boundary, pyplot

    from .checks import GRID_MARGIN

    plt = pyplot()
    cols = min(4, len(results))
    rows = math.ceil(len(results) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.9 * rows), squeeze=False)
    for ax, (n, r) in zip(axes.flat, results, strict=False):
        if isinstance(r, TrainResult):
            title = f"Hidden Layer of size {n} ({r.accuracy:.2f}%)"
            plot_decision_boundary(
                r.model.predict, X, Y, ax=ax, step=step, margin=GRID_MARGIN, title=title
            )
        else:
            plot_data(X, Y, ax=ax, title=f"Hidden Layer of size {n}: diverged")
    for ax in list(axes.flat)[len(results) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig
