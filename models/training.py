"""Training the tutorial's network: the engines, the loop and what Ctrl-C does to it.

`fit` drives an engine that knows how to take one step; `AutogradEngine` (the library, with a
compiled step by default), the op-by-op eager engine and `ManualEngine` (the hand-derived NumPy
reference) share that interface, so the command line in `models.planar` treats them alike.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TextIO

import numpy as np

from tinygrad_lite import compile as tg_compile
from tinygrad_lite import optim
from tinygrad_lite.autograd import no_grad
from tinygrad_lite.monitor import TrainingHistory
from tinygrad_lite.tensor import Tensor

from . import manual

# The data and --out checks live in models.checks; they are re-exported here, where they were.
from .checks import EXIT_USAGE, UsageError, check_data, load_data, prepare_out
from .console import StopNow, ctrl_c_between_steps, progress
from .gradients import compare_gradients, compare_with_manual
from .two_layer import TwoLayerNet

__all__ = [
    "EXIT_USAGE",
    "UsageError",
    "check_data",
    "load_data",
    "prepare_out",
    "AutogradEngine",
    "ENGINES",
    "Engine",
    "ManualEngine",
    "TrainResult",
    "TrainingDiverged",
    "TrainingInterrupted",
    "accuracy",
    "compare_gradients",
    "compare_with_manual",
    "fit",
    "format_cost",
    "make_train_step",
    "train",
]

Array = np.ndarray
PARAMETER_NAMES = ("W1", "b1", "W2", "b2")
EXIT_DIVERGED = 1
DIVERGENCE_FACTOR = 10.0


def format_cost(cost: float) -> str:
    """A cost as the tutorial prints it (six decimals), in at most 14 characters.

    Six decimals below 10⁶ (``0.693048``), six significant digits beyond (``3.91824e+308``):
    a diverging run's cost is printed in a few characters, never in hundreds of digits.
    """
    return f"{cost:.6f}" if abs(cost) < 1e6 else f"{cost:.6g}"


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


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped training between two steps; the steps before it are complete.

    Attributes:
        iteration: the number of steps completed.
        costs: the cost before each of them.
        model: the network after those steps (set by `train`; None from `fit`).
    """

    def __init__(self, iteration: int, costs: list[float]) -> None:
        self.iteration = iteration
        self.costs = costs
        self.model: TwoLayerNet | None = None
        super().__init__(f"training interrupted after {iteration} iterations")


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


def fit(
    engine: Engine,
    iterations: int,
    print_every: int = 0,
    out: TextIO | None = None,
    on_step: Callable[[int, Engine], object] | None = None,
) -> list[float]:
    """The training loop: `iterations` steps of `engine`, printing the cost as the tutorial does.

    Training stops as soon as the cost is NaN or infinite, or more than `DIVERGENCE_FACTOR`
    times its initial value (the library's cross-entropy clamps its logs at −100, so a run
    whose learning rate is far too large can saturate at a large finite cost instead of
    overflowing). It also fails if the trained weights end with a higher cost than they
    started with. Floating-point warnings are silenced in the loop since every cost is checked.

    Ctrl-C stops training between two steps (a second Ctrl-C stops at once): see
    `TrainingInterrupted`.

    Args:
        engine: what takes the steps (see `Engine`).
        iterations: number of steps, >= 1.
        print_every: print ``Cost after iteration i: c`` when i % print_every == 0; 0 for
            never.
        out: where to print (stdout by default); progress is shown on stderr when it is a
            terminal and the run has 1000 iterations or more (a tqdm bar if tqdm is installed,
            else a line at every tenth of the run).
        on_step: called as on_step(i, engine) before step i (e.g. a `TrainingHistory`
            snapshot of the weights the step starts from).

    Returns:
        The cost before each step (``len == iterations``).

    Raises:
        TrainingDiverged: the cost became NaN or infinite, exceeded `DIVERGENCE_FACTOR` times
            the initial cost, or ended above the initial cost.
        TrainingInterrupted: Ctrl-C (or a KeyboardInterrupt raised by a step).
    """
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise ValueError(f"fit: iterations must be an int >= 1, got {iterations!r}")
    out = sys.stdout if out is None else out
    bar = progress(iterations, out) if print_every else None
    costs: list[float] = []
    limit = math.inf
    try:
        with (
            ctrl_c_between_steps() as ctrl_c,
            np.errstate(over="ignore", invalid="ignore", divide="ignore"),
        ):
            for i in range(iterations):
                if ctrl_c.requested:
                    raise TrainingInterrupted(i, costs)
                if on_step is not None:
                    on_step(i, engine)
                cost = engine.step()
                if not math.isfinite(cost):
                    raise TrainingDiverged(i, cost, costs, f"the cost is {cost}")
                if cost > limit:
                    raise TrainingDiverged(
                        i,
                        cost,
                        costs,
                        f"the cost rose from {format_cost(costs[0])} to {format_cost(cost)}, "
                        f"more than {DIVERGENCE_FACTOR:g} times its initial value",
                    )
                if i == 0:
                    limit = DIVERGENCE_FACTOR * cost
                costs.append(cost)
                if print_every and i % print_every == 0:
                    line = f"Cost after iteration {i}: {format_cost(cost)}"
                    if bar is not None:
                        bar.write(line, file=out)
                    else:
                        print(line, file=out, flush=True)
                if bar is not None:
                    bar.update(1)
            final = engine.cost()
            if ctrl_c.requested:
                raise TrainingInterrupted(iterations, costs)
    except (TrainingInterrupted, StopNow):
        raise
    except KeyboardInterrupt as e:
        # Raised by a step itself, not by a Ctrl-C (which the handler above turns into a
        # request): `costs` holds the completed steps, and a step that raises is trusted to
        # have changed nothing.
        raise TrainingInterrupted(len(costs), costs) from e
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
            f"the cost rose above its initial value {format_cost(costs[0])} and ended at "
            f"{format_cost(final)}",
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
    history: TrainingHistory | None = None,
) -> TrainResult:
    """Train the tutorial's network on (X, Y) with one of the `ENGINES`.

    Args:
        X: inputs (n_x, m).
        Y: labels (1, m) in {0, 1}.
        hidden: hidden units n_h.
        iterations: gradient steps.
        lr: learning rate α of θ ← θ − α·dθ.
        seed: initialisation seed (the course's is 2).
        engine: "autograd", "eager" or "manual".
        print_every: print the cost every this many iterations; 0 for never.
        out: where to print.
        history: snapshots of the weights every `history.every` iterations and after the
            last (the frames of `tinygrad_lite.animate.animate_training`).

    Raises:
        TrainingDiverged: the cost became NaN or infinite, or rose (see `fit`).
        TrainingInterrupted: Ctrl-C; its `model` holds the weights of the completed steps.
        KeyError: unknown engine.
    """
    make = ENGINES[engine]
    runner = make(X, Y, hidden, lr, seed)
    start = time.perf_counter()
    try:
        on_step = None if history is None else (lambda i, e: history(i, e.model))
        costs = fit(runner, iterations, print_every, out, on_step)
    except TrainingInterrupted as e:
        e.model = runner.model()
        raise
    seconds = time.perf_counter() - start
    model = runner.model()
    if history is not None:
        history.snapshot(iterations, model)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        final = runner.cost()
    return TrainResult(model, costs, final, accuracy(model, X, Y), runner.name, seconds)
