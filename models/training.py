"""Training the tutorial's network: the data checks, the engines, the loop, the gradient table.

`fit` drives an engine that knows how to take one step; `AutogradEngine` (the library, with a
compiled step by default), the op-by-op eager engine and `ManualEngine` (the hand-derived NumPy
reference) share that interface, so the command line in `models.planar` treats them alike.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np

from models import manual
from models.gradients import compare_gradients, compare_with_manual
from models.two_layer import TwoLayerNet
from tinygrad_lite import compile as tg_compile
from tinygrad_lite import optim
from tinygrad_lite.autograd import no_grad
from tinygrad_lite.datasets import DATASETS, load_dataset
from tinygrad_lite.tensor import Tensor

__all__ = [
    "AutogradEngine",
    "ENGINES",
    "Engine",
    "ManualEngine",
    "TrainResult",
    "TrainingDiverged",
    "UsageError",
    "accuracy",
    "check_data",
    "compare_gradients",
    "compare_with_manual",
    "fit",
    "load_data",
    "make_train_step",
    "prepare_out",
    "train",
]

Array = np.ndarray
PARAMETER_NAMES = ("W1", "b1", "W2", "b2")
EXIT_DIVERGED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit status 2."""


DIVERGENCE_FACTOR = 10.0


class TrainingDiverged(ArithmeticError):
    """Training went wrong: the cost became NaN or infinite, or rose instead of falling.

    Attributes:
        iteration: where it was first seen.
        cost: the offending cost.
        costs: the costs recorded before it.
        reason: what was seen, in words.
    """

    def __init__(self, iteration: int, cost: float, costs: list[float], reason: str) -> None:
        self.iteration = iteration
        self.cost = cost
        self.costs = costs
        self.reason = reason
        super().__init__(f"training diverged at iteration {iteration}: {reason}")


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


def load_data(dataset: str = "flower", path: str | None = None) -> tuple[Array, Array]:
    """The training data: a named data set, or arrays X and Y from an .npz file.

    Args:
        dataset: a name in `tinygrad_lite.datasets.DATASETS` ("flower" is the course's data,
            drawn with seed 1).
        path: an .npz file with arrays "X" (n_x, m) and "Y" (1, m); overrides `dataset`.

    Raises:
        UsageError: unknown name, unreadable file, or data of the wrong shape, with NaN or
            infinity, or labels other than 0 and 1.
    """
    if path is not None:
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
    if dataset not in DATASETS:
        valid = ", ".join(sorted(DATASETS))
        raise UsageError(f"unknown data set {dataset!r}; valid names are {valid}")
    X, Y = load_dataset(dataset)
    return check_data(X, Y, f"data set {dataset!r}")


def prepare_out(path: str | os.PathLike[str]) -> Path:
    """Create the output folder and check that a file can be written in it, before any work.

    Raises:
        UsageError: the folder cannot be created or written to.
    """
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-check-"):
            pass
    except OSError as e:
        raise UsageError(f"--out {str(path)!r} cannot be written: {e.strerror or e}") from e
    return out


# ------------------------------------------------------------------------------ engines


class Engine(Protocol):
    """One way to train the network: what `fit` needs from it."""

    name: str

    def step(self) -> float:
        """Return the cost at the current weights, then take one step; NaN if not finite."""
        ...

    def cost(self) -> float:
        """Return the cost at the current weights."""
        ...

    def model(self) -> TwoLayerNet:
        """Return the current weights as a TwoLayerNet."""
        ...


def _all_finite(arrays: Sequence[Array]) -> bool:
    return all(bool(np.isfinite(a).all()) for a in arrays)


def make_train_step(
    net: TwoLayerNet, optimizer: optim.Optimizer
) -> Callable[[Tensor, Tensor], Tensor]:
    """One full-batch gradient step of `net` on (X, Y), as a function to call or to compile.

    The step clears the gradients, computes the cost, backpropagates and updates the weights,
    and returns the cost (a scalar Tensor).
    """

    def train_step(X: Tensor, Y: Tensor) -> Tensor:
        optimizer.zero_grad()
        cost = net.cost(X, Y)
        cost.backward()
        optimizer.step()
        return cost

    return train_step


class AutogradEngine:
    """The library's way: `TwoLayerNet.cost`, `backward()`, `optim.SGD(lr).step()`.

    By default the step is compiled (`tinygrad_lite.compile`): traced once, then replayed
    without building a graph, with results identical to eager execution bit for bit.
    """

    name = "autograd"

    def __init__(
        self, X: Array, Y: Array, hidden: int, lr: float, seed: int, compiled: bool = True
    ) -> None:
        self.net = TwoLayerNet(X.shape[0], hidden, Y.shape[0], seed=seed)
        self.optimizer = optim.SGD(self.net.parameters(), lr=lr)
        self.X, self.Y = Tensor(X), Tensor(Y)
        self._params = list(self.net.parameters())
        eager_step = make_train_step(self.net, self.optimizer)
        self._step = tg_compile(eager_step) if compiled else eager_step

    def step(self) -> float:
        if not _all_finite([p.data for p in self._params]):
            return math.nan
        return self._step(self.X, self.Y).item()

    def cost(self) -> float:
        if not _all_finite([p.data for p in self._params]):
            return math.nan
        with no_grad():
            return self.net.cost(self.X, self.Y).item()

    def model(self) -> TwoLayerNet:
        return self.net


class ManualEngine:
    """The tutorial's hand-derived NumPy forward, cost, backward and update (`models.manual`)."""

    name = "manual"

    def __init__(self, X: Array, Y: Array, hidden: int, lr: float, seed: int) -> None:
        self.parameters = manual.initialize_parameters(X.shape[0], hidden, Y.shape[0], seed=seed)
        self.X, self.Y, self.lr = X, Y, lr

    def step(self) -> float:
        if not _all_finite(list(self.parameters.values())):
            return math.nan
        A2, cache = manual.forward_propagation(self.X, self.parameters)
        cost = manual.compute_cost(A2, self.Y)
        grads = manual.backward_propagation(self.parameters, cache, self.X, self.Y)
        self.parameters = manual.update_parameters(self.parameters, grads, self.lr)
        return cost

    def cost(self) -> float:
        if not _all_finite(list(self.parameters.values())):
            return math.nan
        A2, _ = manual.forward_propagation(self.X, self.parameters)
        return manual.compute_cost(A2, self.Y)

    def model(self) -> TwoLayerNet:
        return TwoLayerNet.from_parameters(self.parameters)


def _eager_engine(X: Array, Y: Array, hidden: int, lr: float, seed: int) -> Engine:
    return AutogradEngine(X, Y, hidden, lr, seed, compiled=False)


ENGINES: dict[str, Callable[[Array, Array, int, float, int], Engine]] = {
    "autograd": AutogradEngine,
    "eager": _eager_engine,
    "manual": ManualEngine,
}


def _progress(iterations: int, out: TextIO) -> Any:
    """A tqdm bar on stderr when `out` is a terminal and the run is long, else None."""
    isatty = getattr(out, "isatty", None)
    if iterations < 1000 or not (callable(isatty) and isatty()):
        return None
    from tqdm import tqdm

    return tqdm(total=iterations, unit="it", leave=False, dynamic_ncols=True)


def fit(
    engine: Engine, iterations: int, print_every: int = 0, out: TextIO | None = None
) -> list[float]:
    """The training loop: `iterations` steps of `engine`, printing the cost as the tutorial does.

    Training stops as soon as the cost is NaN or infinite, or more than `DIVERGENCE_FACTOR`
    times its initial value (the library's cross-entropy clamps its logs at −100, so a run
    whose learning rate is far too large can saturate at a large finite cost instead of
    overflowing). It also fails if the trained weights end with a higher cost than they
    started with. Floating-point warnings are silenced in the loop since every cost is checked.

    Args:
        engine: what takes the steps (see `Engine`).
        iterations: number of steps, >= 1.
        print_every: print ``Cost after iteration i: c`` when i % print_every == 0; 0 for
            never.
        out: where to print (stdout by default); a progress bar is shown on stderr when it is
            a terminal and the run has 1000 iterations or more.

    Returns:
        The cost before each step (``len == iterations``).

    Raises:
        TrainingDiverged: the cost became NaN or infinite, exceeded `DIVERGENCE_FACTOR` times
            the initial cost, or ended above the initial cost.
    """
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise ValueError(f"fit: iterations must be an int >= 1, got {iterations!r}")
    out = sys.stdout if out is None else out
    bar = _progress(iterations, out) if print_every else None
    costs: list[float] = []
    limit = math.inf
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for i in range(iterations):
                cost = engine.step()
                if not math.isfinite(cost):
                    raise TrainingDiverged(i, cost, costs, f"the cost is {cost}")
                if cost > limit:
                    raise TrainingDiverged(
                        i,
                        cost,
                        costs,
                        f"the cost rose from {costs[0]:.6f} to {cost:.6f}, more than "
                        f"{DIVERGENCE_FACTOR:g} times its initial value",
                    )
                if i == 0:
                    limit = DIVERGENCE_FACTOR * cost
                costs.append(cost)
                if print_every and i % print_every == 0:
                    line = f"Cost after iteration {i}: {cost:.6f}"
                    if bar is not None:
                        bar.write(line, file=out)
                    else:
                        print(line, file=out, flush=True)
                if bar is not None:
                    bar.update(1)
            final = engine.cost()
    finally:
        if bar is not None:
            bar.close()
    if not math.isfinite(final):
        raise TrainingDiverged(iterations, final, costs, f"the cost after the last step is {final}")
    if final > costs[0]:
        # Report the step after which the cost stayed above where it started.
        above = [k for k, c in enumerate(costs) if c <= costs[0]]
        start = above[-1] + 1 if above else 0
        raise TrainingDiverged(
            start,
            final,
            costs,
            f"the cost rose above its initial value {costs[0]:.6f} and ended at {final:.6f}",
        )
    return costs


@dataclass
class TrainResult:
    """What `train` returns.

    Attributes:
        model: the trained network (a TwoLayerNet, whatever the engine).
        costs: the cost before each step.
        final_cost: the cost of the trained weights.
        accuracy: training accuracy in percent.
        engine: the engine's name.
        seconds: wall time of the training loop.
    """

    model: TwoLayerNet
    costs: list[float]
    final_cost: float
    accuracy: float
    engine: str
    seconds: float = field(default=0.0)


def accuracy(model: TwoLayerNet, X: Array, Y: Array) -> float:
    """Percentage of examples whose predicted label (A2 > 0.5) equals Y."""
    return float(np.mean(model.predict(X) == Y) * 100.0)


def train(
    X: Array,
    Y: Array,
    hidden: int = 4,
    iterations: int = 10000,
    lr: float = 1.2,
    seed: int = 2,
    engine: str = "autograd",
    print_every: int = 0,
    out: TextIO | None = None,
) -> TrainResult:
    """Train the tutorial's network on (X, Y) with one of the `ENGINES`.

    Args:
        X: inputs (n_x, m).
        Y: labels (1, m) in {0, 1}.
        hidden: hidden units n_h.
        iterations: gradient steps.
        lr: learning rate α of θ ← θ − α·dθ.
        seed: initialisation seed (the course's is 2).
        engine: "autograd" or "manual".
        print_every: print the cost every this many iterations; 0 for never.
        out: where to print.

    Raises:
        TrainingDiverged: the cost became NaN or infinite, or rose (see `fit`).
        KeyError: unknown engine.
    """
    make = ENGINES[engine]
    runner = make(X, Y, hidden, lr, seed)
    start = time.perf_counter()
    costs = fit(runner, iterations, print_every, out)
    seconds = time.perf_counter() - start
    model = runner.model()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        final = runner.cost()
    return TrainResult(model, costs, final, accuracy(model, X, Y), runner.name, seconds)
