"""Draw the gradient-flow picture of the notebooks page: docs/images/gradient_flow.png.

Run from the repository root: ``python docs/learning_figures.py``. The gradient flow is that of
the deep notebook: a tanh network with six hidden layers of 10 units, 300 iterations at learning
rate 0.1 on the flower, from three initialisations. (The page's other picture, training.gif, is
the command line's: ``make figures`` runs ``python -m models.planar train --animate``.)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.deep import DeepNet  # noqa: E402
from tinygrad_lite import Tensor, compile, optim, plot  # noqa: E402
from tinygrad_lite.datasets import load_planar_dataset  # noqa: E402
from tinygrad_lite.figures import subplots  # noqa: E402
from tinygrad_lite.monitor import GradientNorms  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def training_step(optimizer: optim.Optimizer, cost: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """The compiled full-batch step: clear, cost, backward, update; it returns the cost."""

    def train_step(X: Tensor, Y: Tensor) -> Tensor:
        optimizer.zero_grad()
        J = cost(X, Y)
        J.backward()
        optimizer.step()
        return J

    return compile(train_step)


def gradient_flow(X: np.ndarray, Y: np.ndarray) -> Path:
    Xt, Yt = Tensor(X), Tensor(Y)
    titles = {
        "small": "small (× 0.01): vanished",
        "random": "random (× 10): saturated",
        "he": "He: healthy",
    }
    fig, axes = subplots(1, 3, figsize=(15.0, 4.0), sharey=True)
    for ax, (init, title) in zip(axes, titles.items(), strict=True):
        net = DeepNet([2, 10, 10, 10, 10, 10, 10, 1], hidden="tanh", init=init, seed=1)
        step = training_step(optim.SGD(net.parameters(), lr=0.1), net.cost)
        norms = GradientNorms({n: p for n, p in net.named_parameters() if n.startswith("W")})
        for i in range(300):
            step(Xt, Yt)
            norms(i)
        plot.gradient_flow(norms, ax=ax, title=title)
    fig.tight_layout()
    return plot.save_figure(fig, IMAGES / "gradient_flow.png", dpi=80)


def main() -> None:
    X, Y = load_planar_dataset()
    for draw in (gradient_flow,):
        start = time.perf_counter()
        path = draw(X, Y)
        print(f"wrote {path.relative_to(ROOT)} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
