"""The command line's parser: its commands and options, and the check of each option's value."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from tinygrad_lite.datasets import DATASETS

from .checks import UsageError
from .sweep import default_jobs
from .training import ENGINES

__all__ = ["make_parser"]


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


def _out_folder(text: str) -> str:
    if text == "":
        raise argparse.ArgumentTypeError("--out is empty; give the output folder, e.g. --out out")
    return text


def _common(p: argparse.ArgumentParser, out: bool = True) -> None:
    p.add_argument(
        "--dataset",
        metavar="NAME",
        help=f"data set: {', '.join(sorted(DATASETS))} (default: flower, the course's data)",
    )
    p.add_argument(
        "--data",
        metavar="FILE.npz",
        help='your own data instead: an .npz with arrays "X" and "Y"',
    )
    p.add_argument("--seed", type=_seed, default=2, help="initialisation seed (default: 2)")
    if out:
        p.add_argument(
            "--out", type=_out_folder, default="out", help="output folder (default: out/)"
        )


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


def make_parser(prog: str) -> argparse.ArgumentParser:
    """The command-line parser (subcommands train, compare, explain, sweep, graph) for `prog`."""
    parser = _Parser(
        prog=prog,
        description="The planar-data tutorial with tinygrad_lite: train (the default), "
        "compare, explain, sweep, graph.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    t.add_argument(
        "--animate",
        action="store_true",
        help="also write training.gif: the decision boundary and the cost as training goes",
    )

    c = sub.add_parser("compare", help="autograd's gradients against the hand-derived ones")
    _common(c, out=False)
    c.add_argument(
        "--hidden", type=_positive_int("--hidden"), default=4, help="hidden units (default: 4)"
    )

    e = sub.add_parser("explain", help="the backward pass autograd derived, as formulas")
    _common(e, out=False)
    e.add_argument(
        "--hidden", type=_positive_int("--hidden"), default=4, help="hidden units (default: 4)"
    )

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
    s.add_argument(
        "--jobs",
        type=_positive_int("--jobs"),
        metavar="N",
        help=f"train N networks at a time, in separate processes (default: the {default_jobs()} "
        "cores available)",
    )

    g = sub.add_parser("graph", help="the computation graph of one step: graph.png, graph.dot")
    _common(g)
    g.add_argument(
        "--hidden", type=_positive_int("--hidden"), default=4, help="hidden units (default: 4)"
    )
    # The top-level help lists train's options too: they are the ones most runs need.
    options = t.format_help().split("\noptions:\n", 1)[-1].splitlines()
    options = [line for line in options if not line.lstrip().startswith("-h, --help")]
    parser.epilog = "\n".join(
        [
            f"options of train, the default command ({prog} [train] [options]):",
            *options,
            "",
            "The other commands take --dataset, --data and --seed too, and --out where they",
            f"write files; see {prog} COMMAND --help.",
        ]
    )
    return parser
