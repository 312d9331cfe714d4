"""From the project's environment: hand each size's problem to a process in the peers' one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .environment import venv_python


def write_problem(path: str, size_name: str, quick: bool) -> None:
    """Save a size's data, starting weights, block lengths and the tutorial's first costs."""
    from ..implementations import NumpyTutorial
    from ..planar import CHECK_STEPS, QUICK_BLOCK_S, SIZES, make_problem

    size = SIZES[size_name]
    X, Y, params = make_problem(size)
    tutorial = NumpyTutorial(X, Y, params, size.lr)
    reference = [tutorial.step() for _ in range(CHECK_STEPS)]
    block_s = min(size.block_s, QUICK_BLOCK_S) if quick else size.block_s
    warmup_s = min(size.warmup_s, 0.05) if quick else size.warmup_s
    arrays: dict[str, Any] = {
        "size": np.array(size_name),
        "X": X,
        "Y": Y,
        "lr": np.array(size.lr),
        "block_s": np.array(block_s),
        "warmup_s": np.array(warmup_s),
        "reference_costs": np.array(reference),
        **params,
    }
    np.savez(path, **arrays)


def run_peers(
    venv: str,
    sizes: list[str],
    blocks: int,
    quick: bool,
    seed: int,
    allocator: str = "mallopt",
    only: list[str] | None = None,
    log: Callable[[str], None] | None = None,
    torch_threads: int | None = None,
) -> dict[str, Any]:
    """Time the peers at each size, each size in a fresh process of the environment `venv`.

    Returns {"venv", "allocator", "seed", "elapsed_s", "sizes": {size: measure's output}};
    a size whose process failed has {"failed": why} instead.
    """
    from ..planar import REPO_ROOT, block_seed

    say = log or (lambda line: print(line, file=sys.stderr, flush=True))
    python = venv_python(venv)
    if not os.path.exists(python):
        raise FileNotFoundError(
            f"no Python in {venv}: make the environment first with "
            f"`python -m benchmarks.peers --setup {venv}`"
        )
    t0 = time.perf_counter()
    out: dict[str, Any] = {
        "venv": venv,
        "allocator": allocator,
        "seed": seed,
        "torch_threads": torch_threads,
        "sizes": {},
    }
    with tempfile.TemporaryDirectory(prefix="peers-") as tmp:
        for s in sizes:
            path = os.path.join(tmp, f"{s}.npz")
            write_problem(path, s, quick)
            cmd = [python, "-m", "benchmarks.peers.measure", path, "--blocks", str(blocks)]
            cmd += ["--seed", str(block_seed(seed, s, "peers")), "--allocator", allocator]
            if only:
                cmd += ["--only", *only]
            if torch_threads is not None:
                cmd += ["--torch-threads", str(torch_threads)]
            say(f"peers {s}: a fresh process in {venv}")
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            proc = subprocess.run(
                cmd, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT, env=env, check=False
            )
            if proc.returncode != 0:
                out["sizes"][s] = {"failed": f"the process exited with {proc.returncode}"}
                say(f"peers {s}: the process failed ({proc.returncode})")
                continue
            out["sizes"][s] = json.loads(proc.stdout.strip().splitlines()[-1])
    out["elapsed_s"] = time.perf_counter() - t0
    return out
