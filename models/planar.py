"""The planar-data tutorial as one command: train, compare gradients, sweep hidden sizes, graph.

Run ``python -m models.planar`` (or ``tinygrad-lite-planar``) to reproduce the course's run on the
flower data: a 2 → 4 (tanh) → 1 (sigmoid) network trained by gradient descent for 10000
iterations at learning rate 1.2. Subcommands:

- ``train`` (the default): train, print the cost every ``--print-every`` iterations and the
  training accuracy, and write ``data.png``, ``decision_boundary.png``, ``cost.png`` and the
  weights ``model.npz`` into ``--out``.
- ``compare``: each parameter's gradient by autograd against the hand-derived formulas.
- ``explain``: the backward pass autograd derived, one formula per gradient.
- ``sweep``: the accuracy for several hidden-layer sizes, and ``sweep.png``.
- ``graph``: the computation graph of one step's cost, as ``graph.png`` and ``graph.dot``.

Training itself (the engines and the loop) lives in `models.training`.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.training import (
    DIVERGENCE_FACTOR,
    ENGINES,
    EXIT_DIVERGED,
    EXIT_USAGE,
    PARAMETER_NAMES,
    AutogradEngine,
    Engine,
    ManualEngine,
    TrainingDiverged,
    TrainResult,
    UsageError,
    accuracy,
    check_data,
    compare_gradients,
    fit,
    load_data,
    prepare_out,
    train,
)
from models.two_layer import TwoLayerNet
from tinygrad_lite.datasets import DATASETS
from tinygrad_lite.serialize import save
from tinygrad_lite.tensor import Tensor

__all__ = [
    "AutogradEngine",
    "DIVERGENCE_FACTOR",
    "ENGINES",
    "EXIT_DIVERGED",
    "EXIT_USAGE",
    "Engine",
    "ManualEngine",
    "PARAMETER_NAMES",
    "TrainResult",
    "TrainingDiverged",
    "UsageError",
    "accuracy",
    "check_data",
    "compare_gradients",
    "fit",
    "load_data",
    "main",
    "prepare_out",
    "train",
]

Array = np.ndarray
# ------------------------------------------------------------------------------ figures


def _save(fig: Any, path: Path, dpi: int = 90) -> None:
    from tinygrad_lite.plot import pyplot, save_figure

    save_figure(fig, path, dpi=dpi)
    pyplot().close(fig)


def _write_train_outputs(
    result: TrainResult, X: Array, Y: Array, out: Path, plots: bool, step: float, every: int
) -> list[Path]:
    from tinygrad_lite import plot

    written = []
    if plots:
        _save(plot.plot_data(X, Y), out / "data.png")
        fig = plot.plot_decision_boundary(
            result.model.predict,
            X,
            Y,
            step=step,
            title=f"Decision Boundary for hidden layer size {result.model.n_h}",
        )
        _save(fig, out / "decision_boundary.png")
        _save(plot.plot_cost(result.costs[::every], every=every), out / "cost.png")
        written += [out / "data.png", out / "decision_boundary.png", out / "cost.png"]
    save(result.model.state_dict(), out / "model.npz")
    written.append(out / "model.npz")
    return written


# ------------------------------------------------------------------------------ commands


def _check_plottable(X: Array, plots: bool) -> None:
    if plots and X.shape[0] != 2:
        raise UsageError(f"the plots need 2 features but X has {X.shape[0]}; use --no-plots")


def _cmd_train(args: argparse.Namespace) -> int:
    X, Y = load_data(args.dataset, args.data)
    _check_plottable(X, not args.no_plots)
    out = prepare_out(args.out)
    try:
        result = train(
            X, Y, args.hidden, args.iterations, args.lr, args.seed, args.engine, args.print_every
        )
    except TrainingDiverged as e:
        print(
            f"error: {e} (--lr {args.lr} is probably too large); nothing was written to {out}",
            file=sys.stderr,
        )
        return EXIT_DIVERGED
    print(f"Final cost after {args.iterations} iterations: {result.final_cost:.6f}")
    print(f"Accuracy: {result.accuracy:.2f}%")
    written = _write_train_outputs(
        result, X, Y, out, not args.no_plots, args.grid_step, max(1, args.iterations // 1000)
    )
    print("Wrote " + ", ".join(str(p) for p in written))
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    X, Y = load_data(args.dataset, args.data)
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
    net = TwoLayerNet(X.shape[0], args.hidden, Y.shape[0], seed=args.seed)
    Xt, Yt = Tensor(X), Tensor(Y)
    explain(net.cost(Xt, Yt), names={"X": Xt, "Y": Yt, **dict(net.named_parameters())})
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    X, Y = load_data(args.dataset, args.data)
    _check_plottable(X, not args.no_plots)
    if args.hidden_sizes is None:
        args.hidden_sizes = [1, 2, 3, 4, 5, 20, 50]
    out = prepare_out(args.out)
    results: list[tuple[int, TrainResult | TrainingDiverged]] = []
    print(f"{'hidden units':>12}  {'accuracy':>9}  {'final cost':>10}")
    for n in args.hidden_sizes:
        try:
            r: TrainResult | TrainingDiverged = train(
                X, Y, n, args.iterations, args.lr, args.seed, args.engine
            )
        except TrainingDiverged as e:
            r = e
        results.append((n, r))
        if isinstance(r, TrainResult):
            print(f"{n:>12}  {r.accuracy:>8.2f}%  {r.final_cost:>10.6f}", flush=True)
        else:
            print(f"{n:>12}  diverged at iteration {r.iteration}", flush=True)
    if not args.no_plots:
        _save(_sweep_figure(results, X, Y, args.grid_step), out / "sweep.png", dpi=80)
        print(f"Wrote {out / 'sweep.png'}")
    return 0 if all(isinstance(r, TrainResult) for _, r in results) else EXIT_DIVERGED


def _sweep_figure(
    results: list[tuple[int, TrainResult | TrainingDiverged]], X: Array, Y: Array, step: float
) -> Any:
    from tinygrad_lite.plot import plot_data, plot_decision_boundary, pyplot

    plt = pyplot()
    cols = min(4, len(results))
    rows = math.ceil(len(results) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.9 * rows), squeeze=False)
    for ax, (n, r) in zip(axes.flat, results, strict=False):
        if isinstance(r, TrainResult):
            plot_decision_boundary(
                r.model.predict, X, Y, ax=ax, step=step, title=f"Hidden Layer of size {n}"
            )
            ax.set_title(f"Hidden Layer of size {n} ({r.accuracy:.2f}%)")
        else:
            plot_data(X, Y, ax=ax, title=f"Hidden Layer of size {n}: diverged")
    for ax in list(axes.flat)[len(results) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def _cmd_graph(args: argparse.Namespace) -> int:
    from tinygrad_lite.graph import to_dot
    from tinygrad_lite.plot import draw_graph

    X, Y = load_data(args.dataset, args.data)
    out = prepare_out(args.out)
    net = TwoLayerNet(X.shape[0], args.hidden, Y.shape[0], seed=args.seed)
    Xt, Yt = Tensor(X), Tensor(Y)
    cost = net.cost(Xt, Yt)
    cost.backward(retain_graph=True)
    names: dict[Tensor, str] = {p: name for name, p in net.named_parameters()}
    names.update({Xt: "X", Yt: "Y"})
    (out / "graph.dot").write_text(to_dot(cost, names=names), encoding="utf-8")
    _save(draw_graph(cost, names=names), out / "graph.png")
    print(f"Cost of one step: {cost.item():.6f}")
    print(f"Wrote {out / 'graph.png'}, {out / 'graph.dot'} (render it with: dot -Tsvg graph.dot)")
    return 0


# ------------------------------------------------------------------------------ parsing


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would print usage and exit
        raise UsageError(f"{message} (see {self.prog} --help)")


def _positive_int(name: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{name} must be >= 1, got {value}")
        return value

    return parse


def _positive_float(name: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"{name} must be a finite number > 0, got {text}")
        return value

    return parse


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be an integer, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"--seed must be in [0, 2**32), got {value}")
    return value


def _common(p: argparse.ArgumentParser, out: bool = True) -> None:
    p.add_argument(
        "--dataset",
        default="flower",
        metavar="NAME",
        help=f"data set: {', '.join(sorted(DATASETS))} (default: flower, the course's data)",
    )
    p.add_argument(
        "--data", metavar="FILE.npz", help='your own data: an .npz with arrays "X" and "Y"'
    )
    p.add_argument("--seed", type=_seed, default=2, help="initialisation seed (default: 2)")
    if out:
        p.add_argument("--out", default="out", help="output folder (default: out/)")


def _training(p: argparse.ArgumentParser, iterations: int) -> None:
    p.add_argument(
        "--iterations",
        type=_positive_int("--iterations"),
        default=iterations,
        help=f"gradient steps (default: {iterations})",
    )
    p.add_argument(
        "--lr", type=_positive_float("--lr"), default=1.2, help="learning rate (default: 1.2)"
    )
    p.add_argument(
        "--engine",
        choices=sorted(ENGINES),
        default="autograd",
        help="autograd (the library with a compiled step, default), eager (the library, "
        "op by op) or manual (the hand-derived NumPy reference)",
    )
    p.add_argument("--no-plots", action="store_true", help="write no figures")
    p.add_argument(
        "--grid-step",
        type=_positive_float("--grid-step"),
        default=0.01,
        help="grid spacing of the decision-boundary plots (default: 0.01)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (subcommands train, compare, explain, sweep, graph)."""
    parser = _Parser(
        prog="python -m models.planar",
        description="The planar-data tutorial with tinygrad_lite: train (the default), "
        "compare, explain, sweep, graph.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    t = sub.add_parser("train", help="train and plot (the default command)")
    _common(t)
    t.add_argument(
        "--hidden", type=_positive_int("--hidden"), default=4, help="hidden units (default: 4)"
    )
    _training(t, 10000)
    t.add_argument(
        "--print-every",
        type=_positive_int("--print-every"),
        default=1000,
        help="print the cost every this many iterations (default: 1000)",
    )
    t.set_defaults(run=_cmd_train)

    c = sub.add_parser("compare", help="autograd's gradients against the hand-derived ones")
    _common(c, out=False)
    c.add_argument(
        "--hidden", type=_positive_int("--hidden"), default=4, help="hidden units (default: 4)"
    )
    c.set_defaults(run=_cmd_compare)

    e = sub.add_parser("explain", help="the backward pass autograd derived, as formulas")
    _common(e, out=False)
    e.add_argument(
        "--hidden", type=_positive_int("--hidden"), default=4, help="hidden units (default: 4)"
    )
    e.set_defaults(run=_cmd_explain)

    s = sub.add_parser("sweep", help="accuracy for several hidden-layer sizes, sweep.png")
    _common(s)
    s.add_argument(
        "--hidden",
        dest="hidden_sizes",
        type=_positive_int("--hidden"),
        nargs="+",
        metavar="N",
        help="hidden sizes (default: 1 2 3 4 5 20 50)",
    )
    _training(s, 5000)
    s.set_defaults(run=_cmd_sweep)

    g = sub.add_parser("graph", help="the computation graph of one step: graph.png, graph.dot")
    _common(g)
    g.add_argument(
        "--hidden", type=_positive_int("--hidden"), default=4, help="hidden units (default: 4)"
    )
    g.set_defaults(run=_cmd_graph)
    return parser


COMMANDS = ("train", "compare", "explain", "sweep", "graph")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 diverged or mismatch, 2 bad input).

    Args:
        argv: the arguments without the program name (default: sys.argv[1:]). With no
            subcommand, ``train`` is run.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0].startswith("-") and args_list[0] not in ("-h", "--help")):
        args_list.insert(0, "train")
    prog = "python -m models.planar"
    try:
        if args_list[0] not in COMMANDS and not args_list[0].startswith("-"):
            raise UsageError(f"unknown command {args_list[0]!r}; choose from {', '.join(COMMANDS)}")
        args = build_parser().parse_args(args_list)
        return int(args.run(args))
    except UsageError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as e:  # --help
        return int(e.code or 0) if isinstance(e.code, int) or e.code is None else EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
