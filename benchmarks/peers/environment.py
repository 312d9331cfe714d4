"""The throwaway virtual environment the peers run in: what goes into it and how it is made."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import numpy as np

# Exact versions, so that two runs time the same libraries. torch is pinned to the CPU build
# that this machine's pip finds locally: an unpinned `torch` from the registry is the large
# CUDA build. JAX's newest releases need a newer Python than this project's; 0.10.2 is the
# newest for Python 3.11.
PEER_REQUIREMENTS = (
    "torch==2.13.0",
    "jax==0.10.2",
    "jaxlib==0.10.2",
    "mygrad==2.5.0",
    "autograd==1.9.1",
    "micrograd==0.1.0",
    "threadpoolctl==3.8.0",  # to report the BLAS and OpenMP thread pools
)


def requirements() -> list[str]:
    """What the environment gets: this process's NumPy version and the peers, pinned."""
    return [f"numpy=={np.__version__}", *PEER_REQUIREMENTS]


def venv_python(venv: str) -> str:
    """The Python interpreter of the virtual environment at `venv`."""
    if sys.platform == "win32":
        return os.path.join(venv, "Scripts", "python.exe")
    return os.path.join(venv, "bin", "python")


def install_command(venv: str) -> list[str]:
    """The pip command that installs `requirements()` into `venv`."""
    return [venv_python(venv), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"] + (
        requirements()
    )


def setup(venv: str, log: Callable[[str], None]) -> None:
    """Create the environment at `venv` (if it does not exist) and install the peers there.

    The project itself is not installed: the peers' processes run with the repository as
    their working directory, so ``benchmarks`` imports from it, and they need only NumPy of
    it (`benchmarks.floor`, `benchmarks._timing`).
    """
    if not os.path.exists(venv_python(venv)):
        log(f"creating the virtual environment {venv}")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    cmd = install_command(venv)
    log("installing: " + " ".join(requirements()))
    subprocess.run(cmd, check=True)
