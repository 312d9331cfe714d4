"""The course's next notebooks, one command each: ``python -m models.course <exercise>``.

Exercises (each prints the course's lines, then its published numbers next to ours, and writes
its figures to ``--out``, by default ``out/course/<exercise>``):

- ``deep``: the L-layer forward check, then a [2, 20, 7, 5, 1] ReLU network on the flower data
  against the tutorial's 2-layer network.
- ``init``: zeros, random × 10 and He initialisation of a [2, 10, 5, 1] network on circles.
- ``gradcheck``: the course's one-number gradient check, computed by the library, and the
  course's buggy backward pass as the failing example.
- ``optimize``: mini-batch gradient descent, momentum and Adam on moons.
- ``spiral``: the case study's softmax linear classifier and 100-unit ReLU network.

``--engine compiled`` runs each training step compiled by ``tinygrad_lite.compile``; the numbers
are the same as with ``--engine eager``, bit for bit. The computations are in
``models.course_runs``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_lite import datasets
from tinygrad_lite import plot as tgplot

from . import course_runs as runs
from .training import EXIT_USAGE, UsageError, prepare_out, train

__all__ = ["EXERCISES", "PUBLISHED", "build_parser", "main"]

PROG = "python -m models.course"

# The numbers the notebooks print, as they print them.
PUBLISHED: dict[str, dict[str, str]] = {
    "deep": {"AL": "[[0.03921668 0.70498921 0.19734387 0.04728177]]", "2-layer": "90.75%"},
    "init": {
        "zeros": "0.5 / 0.5",
        "random": "0.83 / 0.86",
        "he": "0.99333 / 0.96",
        "he cost 0": "0.8830537463",
        "he cost 1000": "0.6879825920",
        "he cost 14000": "0.0735789596",
    },
    "gradcheck": {"difference": "1.1890913e-07", "buggy": "0.2850931567761624"},
    "optimize": {"gd": "79.7%", "momentum": "79.7%", "adam": "94%"},
    "spiral": {"linear": "0.49", "network": "0.98"},
}


def _table(title: str, rows: list[tuple[str, str, str]]) -> None:
    """Print rows of (quantity, published, ours) under a header."""
    rows = [("", "published", "ours"), *rows]
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    print(title)
    for name, published, ours in rows:
        print(f"  {name:<{widths[0]}}  {published:<{widths[1]}}  {ours}".rstrip())


def _save(fig: Any, out: Path, name: str, written: list[str]) -> None:
    path = tgplot.save_figure(fig, out / name)
    tgplot.pyplot().close(fig)
    written.append(str(path))


def _panels(n: int, width: float = 5.0) -> tuple[Any, Any]:
    fig, axes = tgplot.pyplot().subplots(1, n, figsize=(width * n, 4.2))
    return fig, np.atleast_1d(axes)


def _costs_figure(curves: dict[str, list[float]], every: int, xlabel: str, log: bool) -> Any:
    fig, ax = tgplot.pyplot().subplots(figsize=(6.0, 4.0))
    for label, costs in curves.items():
        values = np.asarray(costs[::every])
        ax.plot(np.arange(values.size) * every, values, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost")
    if log:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return fig


# ------------------------------------------------------------------------------ exercises


def _cmd_deep(args: argparse.Namespace, out: Path) -> list[str]:
    print("The L-layer forward pass on the course's test case (np.random.seed(6)):")
    AL = runs.forward_check()
    print(f"AL = {AL}")
    X, Y = datasets.load_planar_dataset()
    print(
        f"A [2, 20, 7, 5, 1] ReLU network on the flower data (He initialisation, learning rate "
        f"{args.lr}, {args.iterations} iterations):"
    )
    deep = runs.train_full_batch(
        [2, 20, 7, 5, 1], X, Y, args.lr, args.iterations, "he", args.engine
    )
    for i in range(0, args.iterations, 1000):
        print(f"Cost after iteration {i}: {deep.costs[i]}")
    print(f"Accuracy: {deep.accuracy * 100:.2f}%")
    print(f"The 2-layer network (4 tanh units, learning rate 1.2, {args.iterations} iterations):")
    engine = "autograd" if args.engine == "compiled" else "eager"
    two = train(X, Y, hidden=4, iterations=args.iterations, lr=1.2, engine=engine)
    print(f"Accuracy: {two.accuracy:.2f}%")
    _table(
        "Published and ours:",
        [
            ("A_L of the forward check", PUBLISHED["deep"]["AL"], str(AL)),
            ("2-layer network accuracy", PUBLISHED["deep"]["2-layer"], f"{two.accuracy:.2f}%"),
            ("[2, 20, 7, 5, 1] network accuracy", "-", f"{deep.accuracy * 100:.2f}%"),
        ],
    )
    if args.no_plots:
        return []
    written: list[str] = []
    fig, axes = _panels(2)
    tgplot.plot_decision_boundary(
        two.model.predict,
        X,
        Y,
        ax=axes[0],
        step=args.grid_step,
        title=f"2 layers, 4 tanh units: {two.accuracy:.2f}%",
    )
    tgplot.plot_decision_boundary(
        deep.net.predict,
        X,
        Y,
        ax=axes[1],
        step=args.grid_step,
        title=f"[2, 20, 7, 5, 1] ReLU: {deep.accuracy * 100:.2f}%",
    )
    _save(fig, out, "decision_boundary.png", written)
    curves = {"2 layers (tanh)": two.costs, "[2, 20, 7, 5, 1] (ReLU)": deep.costs}
    _save(_costs_figure(curves, 10, "iterations", log=False), out, "cost.png", written)
    return written


INITS = (
    ("zeros", "zeros initialisation (W = 0)"),
    ("random", "random initialisation (W = randn × 10)"),
    ("he", "He initialisation (W = randn × √(2 / n_{l−1}))"),
)


def _cmd_init(args: argparse.Namespace, out: Path) -> list[str]:
    train_X, train_Y, test_X, test_Y = runs.circles()
    results: dict[str, tuple[runs.Run, float]] = {}
    for init, title in INITS:
        print(f"{title}, learning rate 0.01, {args.iterations} iterations:")
        run = runs.train_full_batch(
            [2, 10, 5, 1], train_X, train_Y, 0.01, args.iterations, init, args.engine
        )
        for i in range(0, args.iterations, 1000):
            print(f"Cost after iteration {i}: {run.costs[i]}")
        test = float(np.mean(run.net.predict(test_X) == test_Y))
        print(f"On the train set: Accuracy: {run.accuracy}")
        print(f"On the test set: Accuracy: {test}")
        results[init] = (run, test)
    rows = [
        (f"{init} train / test", PUBLISHED["init"][init], f"{run.accuracy} / {test}")
        for init, (run, test) in results.items()
    ]
    he = results["he"][0].costs
    for i in (0, 1000, 14000):
        if i < len(he):
            rows.append((f"he cost {i}", PUBLISHED["init"][f"he cost {i}"], f"{he[i]:.10f}"))
    _table("Published and ours:", rows)
    if args.no_plots:
        return []
    written: list[str] = []
    fig, axes = _panels(3)
    for ax, (init, (run, _)) in zip(axes, results.items(), strict=True):
        tgplot.plot_decision_boundary(
            run.net.predict,
            train_X,
            train_Y,
            ax=ax,
            step=args.grid_step,
            margin=0.5,
            title=f"{init}: train accuracy {run.accuracy:.3f}",
        )
    _save(fig, out, "decision_boundaries.png", written)
    curves = {init: run.costs for init, (run, _) in results.items()}
    _save(_costs_figure(curves, 100, "iterations", log=True), out, "costs.png", written)
    return written


def _cmd_gradcheck(args: argparse.Namespace, out: Path) -> list[str]:
    print(
        f"The course's gradient check: a 4 → 5 → 3 → 1 network (ReLU, ReLU, sigmoid), "
        f"47 parameters, m = 3, epsilon = {args.epsilon}"
    )
    print("g: autograd's gradient of the cost (the fused logits loss, dZ3 = A3 − Y)")
    print("ĝ: central differences of the course's cost, its own forward code run on Tensors")
    result = runs.run_gradcheck(args.epsilon)
    ok = "Your backward propagation works perfectly fine!"
    bad = "There is a mistake in the backward propagation!"
    for title, d in (("", result.difference), ("planted bugs", result.buggy_difference)):
        if title:
            print("With the course's planted bugs (dW2 × 2, db1 × 4):")
        print(f"{ok if d <= 2e-7 else bad} difference = {d}")
    print(
        f"Autograd through the course's cost as written: difference = {result.literal_difference}"
    )
    verdict = "passed" if result.elementwise_ok else "failed"
    print(f"gradcheck_module, element by element (eps 1e-6, atol 1e-5, rtol 1e-3): {verdict}")
    _table(
        "Published and ours:",
        [
            ("difference", PUBLISHED["gradcheck"]["difference"], repr(result.difference)),
            ("with the bugs", PUBLISHED["gradcheck"]["buggy"], repr(result.buggy_difference)),
        ],
    )
    if args.no_plots:
        return []
    written: list[str] = []
    fig, ax = tgplot.pyplot().subplots(figsize=(8.0, 4.0))
    numeric = np.concatenate([v.ravel() for v in result.numeric.values()])
    floor = 1e-13  # entries where both are exactly equal (0) are drawn on this line
    marks = (("correct", result.gradients, "o"), ("planted bugs", result.buggy, "x"))
    for label, grads, marker in marks:
        g = np.concatenate([grads[n].ravel() for n in result.numeric])
        ax.semilogy(np.maximum(np.abs(g - numeric), floor), marker, ms=5, ls="", label=label)
    ax.axhline(floor, color="0.6", lw=0.8, ls=":")
    ax.set_ylim(floor / 10, 10.0)
    start = 0
    for name, values in result.numeric.items():
        ax.axvline(start - 0.5, color="0.8", lw=0.8)
        ax.text(start, 1e-3, name)
        start += values.size
    ax.set_xlabel("entry of θ (W1, b1, W2, b2, W3, b3, row by row)")
    ax.set_ylabel("|g − ĝ|")
    ax.set_title("autograd against central differences, entry by entry")
    ax.legend()
    _save(fig, out, "difference.png", written)
    return written


OPTIMIZERS = (
    ("gd", "Mini-batch gradient descent"),
    ("momentum", "Momentum (beta = 0.9)"),
    ("adam", "Adam (beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8)"),
)


def _cmd_optimize(args: argparse.Namespace, out: Path) -> list[str]:
    X, Y = runs.moons()
    results: dict[str, runs.Run] = {}
    for name, title in OPTIMIZERS:
        print(f"{title}, learning rate 0.0007, mini-batches of 64, {args.epochs} epochs:")
        run = runs.train_mini_batches(name, X, Y, args.epochs, args.engine)
        for i in range(0, args.epochs, 1000):
            print(f"Cost after epoch {i}: {run.costs[i]:f}")
        print(f"Accuracy: {run.accuracy}")
        results[name] = run
    rows = [
        (name, PUBLISHED["optimize"][name], f"{run.accuracy * 100:.1f}%")
        for name, run in results.items()
    ]
    _table("Published and ours (training accuracy):", rows)
    if args.no_plots:
        return []
    written: list[str] = []
    fig, axes = _panels(3)
    for ax, (name, title) in zip(axes, OPTIMIZERS, strict=True):
        run = results[name]
        tgplot.plot_decision_boundary(
            run.net.predict,
            X,
            Y,
            ax=ax,
            step=args.grid_step,
            margin=0.5,
            title=f"{title.split(' (')[0]}: {run.accuracy * 100:.1f}%",
        )
    _save(fig, out, "decision_boundaries.png", written)
    curves = {title.split(" (")[0]: results[name].costs for name, title in OPTIMIZERS}
    _save(_costs_figure(curves, 100, "epochs", log=False), out, "costs.png", written)
    return written


def _cmd_spiral(args: argparse.Namespace, out: Path) -> list[str]:
    X, y, rs = runs.spiral()
    print("Softmax linear classifier (200 steps, learning rate 1.0, L2 0.5 * 1e-3 * sum(W**2)):")
    linear = runs.train_spiral([2, 3], X, y, rs, 200, args.engine)
    for i in range(0, 200, 10):
        print(f"iteration {i}: loss {linear.costs[i]:f}")
    print(f"training accuracy: {linear.accuracy:.2f}")
    print(f"A network of 100 ReLU units ({args.iterations} steps, learning rate 1.0, same L2):")
    net = runs.train_spiral([2, 100, 3], X, y, rs, args.iterations, args.engine)
    for i in range(0, args.iterations, 1000):
        print(f"iteration {i}: loss {net.costs[i]:f}")
    print(f"training accuracy: {net.accuracy:.2f}")
    _table(
        "Published (the case study) and ours:",
        [
            ("linear classifier", PUBLISHED["spiral"]["linear"], f"{linear.accuracy:.2f}"),
            ("100 ReLU units", PUBLISHED["spiral"]["network"], f"{net.accuracy:.2f}"),
        ],
    )
    if args.no_plots:
        return []
    written: list[str] = []
    for name, run, title in (
        ("linear.png", linear, "softmax linear"),
        ("network.png", net, "100 ReLU units"),
    ):

        def classes(points: np.ndarray, predict: Any = run.net.predict) -> Any:
            return predict(points.T)  # the plot's points are columns, the model's rows

        fig = tgplot.plot_decision_regions(
            classes,
            X.T,
            y,
            step=args.grid_step,
            title=f"{title}: training accuracy {run.accuracy:.2f}",
        )
        _save(fig, out, name, written)
    return written


EXERCISES: dict[str, tuple[str, Callable[[argparse.Namespace, Path], list[str]]]] = {
    "deep": ("an L-layer network: the forward check, then the flower data", _cmd_deep),
    "init": ("zeros, random and He initialisation on circles", _cmd_init),
    "gradcheck": ("the course's one-number gradient check, by the library", _cmd_gradcheck),
    "optimize": ("mini-batch gradient descent, momentum and Adam on moons", _cmd_optimize),
    "spiral": ("softmax classifier and 100-unit network on the 3-class spiral", _cmd_spiral),
}


# ------------------------------------------------------------------------------ command line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would print usage and exit
        raise UsageError(f"{message} (see {self.prog} --help)")


def _number(name: str, kind: type, minimum: float, strict: bool) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{name} must be {what}, got {text!r}") from None
        if not (value > minimum if strict else value >= minimum) or value != value:
            sign = ">" if strict else ">="
            raise argparse.ArgumentTypeError(f"{name} must be {sign} {minimum}, got {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser: one subcommand per exercise."""
    parser = _Parser(prog=PROG, description="The course's notebooks with tinygrad_lite.")
    sub = parser.add_subparsers(dest="exercise", metavar="EXERCISE", parser_class=_Parser)
    defaults = {"deep": 10000, "init": 15000, "spiral": 10000}
    for name, (summary, _) in EXERCISES.items():
        p = sub.add_parser(name, help=summary, description=summary)
        p.add_argument(
            "--out", default=f"out/course/{name}", help=f"output folder (out/course/{name})"
        )
        if name != "gradcheck":
            p.add_argument(
                "--engine",
                choices=runs.ENGINES,
                default="eager",
                help="eager (op by op, default) or compiled (tinygrad_lite.compile): same numbers",
            )
            p.add_argument("--no-plots", action="store_true", help="write no figures")
            p.add_argument(
                "--grid-step",
                type=_number("--grid-step", float, 0.0, strict=True),
                default=0.02 if name in ("spiral", "init", "optimize") else 0.01,
                help="grid spacing of the decision-region plots",
            )
        else:
            p.add_argument("--no-plots", action="store_true", help="write no figures")
            p.add_argument(
                "--epsilon",
                type=_number("--epsilon", float, 0.0, strict=True),
                default=1e-7,
                help="the finite-difference step (default: the course's 1e-7)",
            )
        if name in defaults:
            p.add_argument(
                "--iterations",
                type=_number("--iterations", int, 1, strict=False),
                default=defaults[name],
                help=f"gradient steps (default: {defaults[name]})",
            )
        if name == "deep":
            p.add_argument(
                "--lr",
                type=_number("--lr", float, 0.0, strict=True),
                default=0.1,
                help="learning rate of the deep network (default: 0.1)",
            )
        if name == "optimize":
            p.add_argument(
                "--epochs",
                type=_number("--epochs", int, 1, strict=False),
                default=10000,
                help="passes over the data (default: 10000)",
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run an exercise; return the exit status (0 ok, 2 bad input, 130 interrupted).

    Args:
        argv: the arguments without the program name (default: sys.argv[1:]).
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if not args_list:
            raise UsageError(f"choose an exercise: {', '.join(EXERCISES)}")
        if args_list[0] not in EXERCISES and not args_list[0].startswith("-"):
            raise UsageError(
                f"unknown exercise {args_list[0]!r}; choose from {', '.join(EXERCISES)}"
            )
        if args_list[0] == "gradcheck" and any(a.startswith("--engine") for a in args_list):
            raise UsageError("gradcheck trains nothing, so it takes no --engine")
        args = build_parser().parse_args(args_list)
        out = prepare_out(args.out) if not args.no_plots else Path(args.out)
        written = EXERCISES[args.exercise][1](args, out)
        if written:
            print(f"Wrote {', '.join(written)}")
        return 0
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as e:  # --help
        return int(e.code or 0) if isinstance(e.code, int) or e.code is None else EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
