"""The planar-data tutorial as one command: train, compare gradients, sweep hidden sizes, graph.

Run ``python -m models.planar`` (or ``tinygrad-lite-planar``) to reproduce the course's run on the
flower data: a 2 → 4 (tanh) → 1 (sigmoid) network trained by gradient descent for 10000
iterations at learning rate 1.2. Subcommands:

- ``train`` (the default): train, print the cost every ``--print-every`` iterations and the
  training accuracy, and write ``data.png``, ``decision_boundary.png``, ``cost.png`` and the
  weights ``model.npz`` into ``--out``; with ``--animate``, also ``training.gif`` (the decision
  boundary and the cost as training goes).
- ``compare``: each parameter's gradient by autograd against the hand-derived formulas.
- ``explain``: the backward pass autograd derived, one formula per gradient.
- ``sweep``: the accuracy for several hidden-layer sizes, and ``sweep.png``.
- ``graph``: the computation graph of one step's cost, as ``graph.png`` and ``graph.dot``.

Every argument is checked before any training (the data, the decision grid's size, the memory
the run needs, the output folder). A command's files are written together (`models.outputs`):
``--out`` never mixes two runs. Ctrl-C during training saves the model so far as
``checkpoint.npz``. Training itself (the engines and the loop) lives in `models.training`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_lite.monitor import TrainingHistory
from tinygrad_lite.serialize import save
from tinygrad_lite.tensor import Tensor

from .arguments import make_parser
from .checks import (
    EXIT_USAGE,
    GRID_MARGIN,
    UsageError,
    check_data,
    check_grid,
    check_memory,
    load_data,
    prepare_out,
)
from .outputs import Staging
from .sweep import Outcome, default_jobs, run_sweep, sweep_figure
from .training import (
    DIVERGENCE_FACTOR,
    ENGINES,
    EXIT_DIVERGED,
    PARAMETER_NAMES,
    AutogradEngine,
    Engine,
    ManualEngine,
    TrainingDiverged,
    TrainingInterrupted,
    TrainResult,
    accuracy,
    compare_gradients,
    fit,
    format_cost,
    train,
)
from .two_layer import TwoLayerNet

__all__ = [
    "AutogradEngine",
    "CHECKPOINT",
    "DIVERGENCE_FACTOR",
    "ENGINES",
    "EXIT_DIVERGED",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "Engine",
    "ManualEngine",
    "PARAMETER_NAMES",
    "TRAIN_FILES",
    "TrainResult",
    "TrainingDiverged",
    "TrainingInterrupted",
    "UsageError",
    "accuracy",
    "build_parser",
    "check_data",
    "compare_gradients",
    "fit",
    "format_cost",
    "load_data",
    "main",
    "prepare_out",
    "train",
]

Array = np.ndarray
EXIT_INTERRUPTED = 130  # the shell's status for a process stopped by Ctrl-C
# The files each command owns in --out: written together, never mixed with an earlier run's.
TRAIN_FILES = ("data.png", "decision_boundary.png", "cost.png", "model.npz", "training.gif")
# Frames of training.gif: snapshots spread over the run on a log scale (see TrainingHistory).
ANIMATION_FRAMES = 25
ANIMATION_GRID_STEP = 0.05
SWEEP_FILES = ("sweep.png",)
GRAPH_FILES = ("graph.png", "graph.dot")
# Where an interrupted or failed run leaves its model; not one of TRAIN_FILES, so --out keeps
# the earlier run's files beside it.
CHECKPOINT = "checkpoint.npz"


def _prog() -> str:
    if Path(sys.argv[0]).name == "tinygrad-lite-planar":
        return "tinygrad-lite-planar"
    return f"python -m {__package__ or 'models'}.planar"


def _error(message: str) -> None:
    print(f"{_prog()}: error: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ figures


def _save(fig: Any, path: Path, dpi: int = 90) -> None:
    from tinygrad_lite.plot import pyplot, save_figure

    save_figure(fig, path, dpi=dpi)
    pyplot().close(fig)


def _write_figures(
    result: TrainResult, X: Array, Y: Array, stage: Staging, step: float, every: int
) -> None:
    from tinygrad_lite import plot

    _save(plot.plot_data(X, Y), stage.path("data.png"))
    fig = plot.plot_decision_boundary(
        result.model.predict,
        X,
        Y,
        step=step,
        margin=GRID_MARGIN,
        title=f"Decision Boundary for hidden layer size {result.model.n_h}",
    )
    _save(fig, stage.path("decision_boundary.png"))
    _save(plot.plot_cost(result.costs[::every], every=every), stage.path("cost.png"))


# ------------------------------------------------------------------------------ commands


def _check_plots(X: Array, plots: bool, step: float) -> int:
    """The decision grid's number of points (0 without plots), or UsageError."""
    if not plots:
        return 0
    if X.shape[0] != 2:
        raise UsageError(f"the plots need 2 features but X has {X.shape[0]}; use --no-plots")
    return check_grid(X, step)


def _report_files(written: list[Path], removed: list[Path]) -> None:
    print("Wrote " + ", ".join(str(p) for p in written))
    if removed:
        names = ", ".join(str(p) for p in removed)
        print(f"Removed {names}: from an earlier run, they do not belong with the new files")


def _train_and_stage(
    args: argparse.Namespace,
    X: Array,
    Y: Array,
    history: TrainingHistory | None,
    stage: Staging,
    out: Path,
) -> int | None:
    """Train, print the results and stage the outputs; an exit status if that failed.

    The ``try`` statements live here and in `_write_outputs`, not in `_cmd_train`'s ``with``
    block: a KeyboardInterrupt that a trace function raises on the line of a ``try`` statement
    written directly inside a ``with`` block skips the block's ``__exit__`` in CPython 3.11,
    so the staging folder would stay behind.
    """
    try:
        result = train(
            X,
            Y,
            args.hidden,
            args.iterations,
            args.lr,
            args.seed,
            args.engine,
            args.print_every,
            history=history,
        )
    except TrainingDiverged as e:
        _error(f"{e} (--lr {args.lr} is probably too large); nothing was written to {out}")
        return EXIT_DIVERGED
    except TrainingInterrupted as e:
        return _save_checkpoint(e, args.iterations, out)
    print(f"Final cost after {args.iterations} iterations: {format_cost(result.final_cost)}")
    print(f"Accuracy: {result.accuracy:.2f}%")
    return _write_outputs(args, result, X, Y, stage, history, out)


def _write_outputs(
    args: argparse.Namespace,
    result: TrainResult,
    X: Array,
    Y: Array,
    stage: Staging,
    history: TrainingHistory | None,
    out: Path,
) -> int | None:
    """Stage the model, then the figures; on failure keep the model, return the exit status."""
    plots = not args.no_plots
    try:
        # The model first: if drawing fails or is interrupted, it is kept as a checkpoint.
        save(result.model.state_dict(), stage.path("model.npz"))
        if plots:
            every = max(1, args.iterations // 1000)
            _write_figures(result, X, Y, stage, args.grid_step, every)
        if history is not None:
            from tinygrad_lite.animate import animate_training

            # a frame is small: a coarser grid than the still figure's draws the same
            step = max(args.grid_step, ANIMATION_GRID_STEP)
            animate_training(
                history,
                result.model,
                X,
                Y,
                stage.path("training.gif"),
                costs=result.costs,
                step=step,
            )
    except (Exception, KeyboardInterrupt) as e:
        kept = stage.rescue("model.npz", CHECKPOINT)
        where = f"the trained model is saved in {kept}" if kept else "the model was not saved"
        if _interrupted(e):
            _error(f"interrupted while writing the outputs; {out} keeps its earlier files; {where}")
            return EXIT_INTERRUPTED
        _error(
            f"writing the figures failed ({type(e).__name__}: {e}); {out} keeps its earlier "
            f"files; {where}"
        )
        return 1
    return None


def _cmd_train(args: argparse.Namespace) -> int:
    X, Y = load_data(args.dataset, args.data)
    plots = not args.no_plots
    if args.animate and not plots:
        raise UsageError("--animate draws figures: it cannot go with --no-plots")
    grid = _check_plots(X, plots, args.grid_step)
    history = TrainingHistory.spread(args.iterations, ANIMATION_FRAMES) if args.animate else None
    check_memory(X.shape[0], X.shape[1], [args.hidden], args.iterations, grid, engine=args.engine)
    out = prepare_out(args.out, TRAIN_FILES)
    with Staging(out, TRAIN_FILES, "train") as stage:
        failed = _train_and_stage(args, X, Y, history, stage, out)
        if failed is not None:
            return failed
        written, removed = stage.commit()
    _report_files(written, removed)
    return 0


def _interrupted(e: BaseException | None) -> bool:
    """Whether `e` is Ctrl-C, or an error raised while cleaning up after one.

    (zipfile, under np.savez, replaces a KeyboardInterrupt that reaches its ``with`` block by
    a ValueError about its open handle.)
    """
    while e is not None:
        if isinstance(e, KeyboardInterrupt):
            return True
        e = e.__cause__ or e.__context__
    return False


def _save_checkpoint(e: TrainingInterrupted, iterations: int, out: Path) -> int:
    if e.model is None or e.iteration == 0:
        _error(f"interrupted before the first step; nothing was written to {out}")
        return EXIT_INTERRUPTED
    path = out / CHECKPOINT
    save(e.model.state_dict(), path)
    _error(
        f"interrupted after {e.iteration} of {iterations} iterations; {out} keeps its earlier "
        f"files; the model so far is saved in {path}"
    )
    return EXIT_INTERRUPTED


def _cmd_compare(args: argparse.Namespace) -> int:
    X, Y = load_data(args.dataset, args.data)
    check_memory(X.shape[0], X.shape[1], [args.hidden], 0, engine="eager")
    rows = compare_gradients(X, Y, args.hidden, args.seed)
    print(
        f"Cost and gradients at the initial weights (seed {args.seed}, {X.shape[1]} examples), "
        "autograd vs models.manual:"
    )
    header = f"{'':<5} {'shape':<8} {'max |autograd|':>15} {'abs diff':>10} {'tolerance':>10}"
    print(header + "  verdict")
    for r in rows:
        print(
            f"{r['name']:<5} {str(r['shape']):<8} {r['max_abs']:>15.6e} {r['abs_diff']:>10.3e} "
            f"{r['tolerance']:>10.3e}  {'OK' if r['ok'] else 'MISMATCH'}"
        )
    ok = all(r["ok"] for r in rows)
    print(
        "autograd matches the hand-derived gradients (to within rounding)"
        if ok
        else "gradients DIFFER (by more than rounding can explain)"
    )
    return 0 if ok else 1


def _cmd_explain(args: argparse.Namespace) -> int:
    from tinygrad_lite.derivation import explain

    X, Y = load_data(args.dataset, args.data)
    check_memory(X.shape[0], X.shape[1], [args.hidden], 1)
    net = TwoLayerNet(X.shape[0], args.hidden, Y.shape[0], seed=args.seed)
    Xt, Yt = Tensor(X), Tensor(Y)
    explain(net.cost(Xt, Yt), names={"X": Xt, "Y": Yt, **dict(net.named_parameters())})
    return 0


def _reporter(total: int) -> Callable[[int, int, Outcome], None]:
    def report(done: int, hidden: int, r: Outcome) -> None:
        if isinstance(r, TrainResult):
            what = f"{r.accuracy:.2f}%, final cost {format_cost(r.final_cost)} ({r.seconds:.1f} s)"
        else:
            what = f"diverged at iteration {r.iteration}"
        print(f"[{done}/{total}] {hidden} hidden units: {what}", flush=True)

    return report


def _cmd_sweep(args: argparse.Namespace) -> int:
    X, Y = load_data(args.dataset, args.data)
    plots = not args.no_plots
    grid = _check_plots(X, plots, args.grid_step)
    sizes = args.hidden_sizes or [1, 2, 3, 4, 5, 20, 50]
    jobs = min(args.jobs or default_jobs(), len(sizes))
    check_memory(X.shape[0], X.shape[1], sizes, args.iterations, grid, jobs, engine=args.engine)
    out = prepare_out(args.out, SWEEP_FILES)
    with Staging(out, SWEEP_FILES, "sweep") as stage:
        where = "in this process" if jobs == 1 else f"in {jobs} processes"
        print(
            f"Training {len(sizes)} networks ({args.iterations} iterations each) {where}:",
            flush=True,
        )
        try:
            results = run_sweep(
                X,
                Y,
                sizes,
                args.iterations,
                args.lr,
                args.seed,
                args.engine,
                jobs,
                _reporter(len(sizes)),
            )
            print(f"{'hidden units':>12}  {'accuracy':>9}  {'final cost':>10}")
            for n, r in results:
                if isinstance(r, TrainResult):
                    print(f"{n:>12}  {r.accuracy:>8.2f}%  {format_cost(r.final_cost):>10}")
                else:
                    print(f"{n:>12}  diverged at iteration {r.iteration}")
            if plots:
                print("Drawing the decision boundaries...", flush=True)
                fig = sweep_figure(results, X, Y, args.grid_step)
                _save(fig, stage.path("sweep.png"), dpi=80)
                _report_files(*stage.commit())
        except KeyboardInterrupt:
            _error(f"interrupted; {out} keeps its earlier files")
            return EXIT_INTERRUPTED
    return 0 if all(isinstance(r, TrainResult) for _, r in results) else EXIT_DIVERGED


def _cmd_graph(args: argparse.Namespace) -> int:
    from tinygrad_lite.graph import to_dot
    from tinygrad_lite.plot import draw_graph

    X, Y = load_data(args.dataset, args.data)
    check_memory(X.shape[0], X.shape[1], [args.hidden], 0, engine="eager")
    out = prepare_out(args.out, GRAPH_FILES)
    with Staging(out, GRAPH_FILES, "graph") as stage:
        net = TwoLayerNet(X.shape[0], args.hidden, Y.shape[0], seed=args.seed)
        Xt, Yt = Tensor(X), Tensor(Y)
        cost = net.cost(Xt, Yt)
        cost.backward(retain_graph=True)
        names: dict[Tensor, str] = {p: name for name, p in net.named_parameters()}
        names.update({Xt: "X", Yt: "Y"})
        stage.path("graph.dot").write_text(to_dot(cost, names=names), encoding="utf-8")
        _save(draw_graph(cost, names=names), stage.path("graph.png"))
        print(f"Cost of one step: {format_cost(cost.item())}")
        written, _ = stage.commit()
    print(f"Wrote {written[0]}, {written[1]} (render it with: dot -Tsvg graph.dot)")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "train": _cmd_train,
    "compare": _cmd_compare,
    "explain": _cmd_explain,
    "sweep": _cmd_sweep,
    "graph": _cmd_graph,
}


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (subcommands train, compare, explain, sweep, graph)."""
    return make_parser(_prog())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit status.

    0: done; 1: training diverged, the gradients differ, or the figures could not be drawn;
    2: bad input (nothing was run); 130: interrupted by Ctrl-C.

    Args:
        argv: the arguments without the program name (default: sys.argv[1:]). With no
            subcommand, ``train`` is run.
    """
    try:
        args_list = list(sys.argv[1:] if argv is None else argv)
        if not args_list or (args_list[0].startswith("-") and args_list[0] not in ("-h", "--help")):
            args_list.insert(0, "train")
        if args_list[0] not in COMMANDS and not args_list[0].startswith("-"):
            raise UsageError(f"unknown command {args_list[0]!r}; choose from {', '.join(COMMANDS)}")
        args = build_parser().parse_args(args_list)
        return int(COMMANDS[args.command](args))
    except UsageError as e:
        _error(str(e))
        return EXIT_USAGE
    except SystemExit as e:  # --help
        return int(e.code or 0) if isinstance(e.code, int) or e.code is None else EXIT_USAGE
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
