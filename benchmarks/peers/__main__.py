"""Time other autodiff libraries' training step against the NumPy floor, in a throwaway venv.

    python -m benchmarks.peers --setup /tmp/peers-venv     # make the venv, install, run
    python -m benchmarks.peers --venv /tmp/peers-venv      # run in a venv made before
    python -m benchmarks.peers --venv V --quick --sizes S  # a short smoke run

The libraries (JAX, PyTorch, MyGrad, HIPS autograd, micrograd) are installed only into that
environment, never into the project's. Each size runs in a fresh process there, the peers
interleaved with `benchmarks.floor.NumpyTuned` timed in the same process; the table gives each
one's time as a ratio to that floor and checks its first costs against the tutorial's.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys

from ..planar import DEFAULT_BLOCKS, SIZES
from .environment import setup
from .report import markdown_section, text_table_of
from .runner import run_peers
from .steps import PEERS


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.peers", description=(__doc__ or "").split("\n")[0]
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--setup", metavar="VENV", help="create VENV, install the peers, then run")
    where.add_argument("--venv", metavar="VENV", help="run in VENV, made before with --setup")
    p.add_argument("--setup-only", action="store_true", help="with --setup: install, do not run")
    p.add_argument("--sizes", nargs="+", choices=list(SIZES), help="default: S M L (quick: S M)")
    p.add_argument("--blocks", type=int, help=f"default {DEFAULT_BLOCKS} (quick: 3)")
    p.add_argument("--quick", action="store_true", help="short blocks")
    p.add_argument("--seed", type=int, help="seed of the block order (default: random)")
    p.add_argument("--allocator", choices=["mallopt", "defaults"], default="mallopt")
    p.add_argument("--only", nargs="+", choices=list(PEERS), metavar="NAME")
    p.add_argument(
        "--torch-threads",
        type=int,
        metavar="N",
        help="torch.set_num_threads(N) in the PyTorch steps (default: PyTorch's own choice)",
    )
    p.add_argument("--markdown", metavar="PATH", help="write the table as Markdown to PATH")
    p.add_argument("--json", metavar="PATH", help="write every sample as JSON to PATH")
    args = p.parse_args(argv)
    venv = args.setup or args.venv
    if args.setup:
        setup(venv, _log)
        if args.setup_only:
            return 0
    sizes = args.sizes or (["S", "M"] if args.quick else ["S", "M", "L"])
    blocks = args.blocks if args.blocks is not None else (3 if args.quick else DEFAULT_BLOCKS)
    if blocks < 1:
        raise SystemExit(f"--blocks must be >= 1, got {blocks}")
    seed = secrets.randbits(32) if args.seed is None else args.seed
    if args.torch_threads is not None and args.torch_threads < 1:
        raise SystemExit(f"--torch-threads must be >= 1, got {args.torch_threads}")
    peers = run_peers(
        venv, sizes, blocks, args.quick, seed, args.allocator, args.only, _log, args.torch_threads
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(peers, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown_section(peers) + "\n")
    print(text_table_of(peers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
