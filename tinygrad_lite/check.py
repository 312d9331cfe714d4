"""`python -m tinygrad_lite.check FILE.py`: check the hand-derived backward pass in a file.

The file defines `forward` and `backward` as `check_backward` wants them, and the shapes to
draw: `INPUTS` and `PARAMS` (dicts of name → shape), and optionally `LABELS` (inputs drawn from
{0, 1}), `CONVENTION` ("auto", "exact" or "m") and `M` (the batch size). The command prints the
table of gradients and exits with 0 when every gradient agrees with autograd, 1 when one does
not (with the first wrong one, a hint and the counterexample), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from .diagnosis import BackwardMismatch
from .harness import CONVENTIONS, check_backward

__all__ = ["load", "main"]


class UsageError(Exception):
    """The command line or the file does not give what the check needs."""


def load(path: str | Path) -> ModuleType:
    """Import the Python file at `path` as a module (its directory first on sys.path)."""
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"{path}: no such file")
    spec = importlib.util.spec_from_file_location(file.stem, file)
    if spec is None or spec.loader is None:
        raise UsageError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(file.resolve().parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    return module


def _shapes(module: ModuleType, name: str, path: str) -> dict[str, Any]:
    value = getattr(module, name, None)
    if not isinstance(value, dict) or not value:
        raise UsageError(
            f"{path}: define {name} = {{name: shape, ...}} (e.g. {name} = "
            + ('{"X": (2, 5), "Y": (1, 5)}' if name == "INPUTS" else '{"W": (1, 2), "b": (1, 1)}')
            + ")"
        )
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 agree, 1 a gradient differs, 2 usage)."""
    parser = argparse.ArgumentParser(
        prog="python -m tinygrad_lite.check",
        description="Check a hand-derived backward pass against autograd on drawn inputs.",
    )
    parser.add_argument("file", help="a Python file defining forward, backward, INPUTS, PARAMS")
    parser.add_argument("--forward", default="forward", help="the forward function's name")
    parser.add_argument("--backward", default="backward", help="the backward function's name")
    parser.add_argument("--examples", type=int, default=100, help="examples to draw (100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the draws (0)")
    args = parser.parse_args(argv)
    prog = parser.prog
    try:
        if args.examples < 1:
            raise UsageError(f"--examples must be at least 1, got {args.examples}")
        module = load(args.file)
        fns = [getattr(module, n, None) for n in (args.forward, args.backward)]
        for n, fn in zip((args.forward, args.backward), fns, strict=True):
            if not callable(fn):
                raise UsageError(f"{args.file}: no function {n!r}")
        convention = getattr(module, "CONVENTION", "auto")
        if convention not in CONVENTIONS:
            raise UsageError(f"{args.file}: CONVENTION must be one of {CONVENTIONS}")
        report = check_backward(
            fns[0],  # type: ignore[arg-type]
            fns[1],  # type: ignore[arg-type]
            _shapes(module, "INPUTS", args.file),
            _shapes(module, "PARAMS", args.file),
            labels=tuple(getattr(module, "LABELS", ())),
            convention=convention,
            m=getattr(module, "M", None),
            max_examples=args.examples,
            seed=args.seed,
        )
    except UsageError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except BackwardMismatch as e:
        print(e)
        return 1
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
