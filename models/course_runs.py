"""The computations behind ``python -m models.course``: the course's notebooks with the library.

Each exercise's data, network and training loop, written with tinygrad_lite (``DeepNet``, the
optimizers, ``data.random_mini_batches``, ``gradcheck``), returning full-precision results for
the command line to print and for the tests to check. Every training loop runs one step
function either as it is (``engine="eager"``) or compiled by ``tinygrad_lite.compile``
(``engine="compiled"``); the two give the same numbers, bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import tinygrad_lite as tg
from tinygrad_lite import Tensor, data, datasets, nn, optim
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradcheck_module, gradient_difference, numerical_grad
from tinygrad_lite.nn_utils import l2_penalty

from .deep import DeepNet

__all__ = [
    "ENGINES",
    "GradcheckResult",
    "Run",
    "SpiralNet",
    "circles",
    "course_cost",
    "forward_check",
    "gradcheck_network",
    "moons",
    "run_gradcheck",
    "spiral",
    "train_full_batch",
    "train_mini_batches",
    "train_spiral",
]

ENGINES = ("eager", "compiled")
Array = np.ndarray
Step = Callable[[Tensor, Tensor], Tensor]


@dataclass
class Run:
    """One training run: the network, its cost at every iteration (or epoch), its accuracy."""

    net: nn.Module
    costs: list[float]
    accuracy: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    def parameters(self) -> dict[str, Array]:
        """The trained parameters by name (copies)."""
        return {n: p.data.copy() for n, p in self.net.named_parameters()}


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {list(ENGINES)}, got {engine!r}")


def _step(cost: Callable[[Tensor, Tensor], Tensor], opt: optim.Optimizer, engine: str) -> Step:
    """One gradient step on a batch, returning the batch's cost; compiled if asked."""
    _check_engine(engine)

    def step(X: Tensor, Y: Tensor) -> Tensor:
        opt.zero_grad()
        J = cost(X, Y)
        J.backward()
        opt.step()
        return J

    return tg.compile(step) if engine == "compiled" else step


# ---------------------------------------------------------------------------- data


def _columns(X: Array, y: Array) -> tuple[Array, Array]:
    """Rows (m, 2) and labels (m,) to the course's columns: X (2, m), Y (1, m) float64."""
    return np.ascontiguousarray(X.T), y.reshape(1, -1).astype(np.float64)


def circles() -> tuple[Array, Array, Array, Array]:
    """The initialisation notebook's data: train (seed 1, 300 points), test (seed 2, 100).

    ``random_state=1`` draws the stream of the course's ``np.random.seed(1)`` followed by
    ``make_circles(300, noise=.05)``, without touching NumPy's global state.
    """
    train_X, train_Y = _columns(*datasets.make_circles(300, noise=0.05, random_state=1))
    test_X, test_Y = _columns(*datasets.make_circles(100, noise=0.05, random_state=2))
    return train_X, train_Y, test_X, test_Y


def moons() -> tuple[Array, Array]:
    """The optimisation notebook's data: make_moons(300, noise=.2) after np.random.seed(3)."""
    return _columns(*datasets.make_moons(300, noise=0.2, random_state=3))


def spiral() -> tuple[Array, Array, np.random.RandomState]:
    """The case study's 3-class spiral (100 points a class, seed 0), as rows.

    Also returns the random state left after drawing it: the case study draws its weights
    from the same stream.
    """
    rs = np.random.RandomState(0)
    X, y = datasets.spiral(100, 3, seed=rs)
    return X, y, rs


# ---------------------------------------------------------------------------- deep


def forward_check() -> Array:
    """The course's L-layer forward test case: A_L of a 5 → 4 → 3 → 1 network (seed 6)."""
    rs = np.random.RandomState(6)
    X = rs.randn(5, 4)
    net = DeepNet([5, 4, 3, 1])
    for k, (rows, cols) in enumerate([(4, 5), (3, 4), (1, 3)], start=1):
        getattr(net, f"W{k}").data[...] = rs.randn(rows, cols)
        getattr(net, f"b{k}").data[...] = rs.randn(rows, 1)
    with tg.no_grad():
        return net(X).data


def train_full_batch(
    layer_dims: list[int],
    X: Array,
    Y: Array,
    lr: float,
    iterations: int,
    init: str,
    engine: str = "eager",
    seed: int = 3,
) -> Run:
    """Full-batch gradient descent on ``DeepNet(layer_dims, init=init, seed=seed)``.

    The costs are J before each step, as the course records them.
    """
    net = DeepNet(layer_dims, init=init, seed=seed)
    step = _step(net.cost, optim.SGD(net.parameters(), lr=lr), engine)
    Xt, Yt = Tensor(X), Tensor(Y)
    costs = [float(step(Xt, Yt).data) for _ in range(iterations)]
    return Run(net, costs, float(np.mean(net.predict(X) == Y)))


# ---------------------------------------------------------------------------- gradcheck

GRADCHECK_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


def gradcheck_network() -> tuple[DeepNet, Array, Array]:
    """The course's gradient-checking case: seed 1, x (4, 3), y = [1, 1, 0], a 4-5-3-1 net."""
    rs = np.random.RandomState(1)
    x, y = rs.randn(4, 3), np.array([1, 1, 0])
    net = DeepNet([4, 5, 3, 1])
    for name in GRADCHECK_NAMES:
        p = getattr(net, name)
        p.data[...] = rs.randn(*p.shape)
    return net, x, y


def course_cost(net: nn.Module, X: Any, Y: Any) -> Any:
    """The course's ``forward_propagation_n`` cost, line for line, on the net's parameters.

    Written with NumPy calls as the course writes it; on the library's Tensors these calls
    run the matching ops (``tinygrad_lite.interop``), so the cost is the course's value bit for
    bit and carries a gradient.
    """
    parameters = dict(net.named_parameters())
    m = X.shape[1]
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]
    Z1 = np.dot(W1, X) + b1
    A1 = np.maximum(0, Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = np.maximum(0, Z2)
    Z3 = np.dot(W3, A2) + b3
    A3 = 1 / (1 + np.exp(-Z3))
    logprobs = np.multiply(-np.log(A3), Y) + np.multiply(-np.log(1 - A3), 1 - Y)
    return 1.0 / m * np.sum(logprobs)


@dataclass
class GradcheckResult:
    """The course's gradient check, by the library: differences and per-entry gradients."""

    difference: float  # autograd (fused cost) against central differences of the course's cost
    buggy_difference: float  # the course's planted bugs: dW2 × 2, db1 × 4
    literal_difference: float  # autograd through the course's cost as written
    elementwise_ok: bool  # gradcheck_module at its default tolerances
    gradients: dict[str, Array]
    numeric: dict[str, Array]
    buggy: dict[str, Array]


def run_gradcheck(epsilon: float = 1e-7) -> GradcheckResult:
    """The course's single-number check of the 4-5-3-1 network, computed by the library."""
    net, x, y = gradcheck_network()
    Y = y.reshape(1, -1).astype(np.float64)
    net.zero_grad()
    net.cost(x, Y).backward()  # the fused loss: dZ3 = A3 − Y, the course's backward
    grads = {n: p.grad.data.copy() for n, p in net.named_parameters() if p.grad is not None}
    buggy = dict(grads, W2=grads["W2"] * 2, b1=grads["b1"] * 4)

    def value() -> float:
        with tg.no_grad():
            return float(course_cost(net, x, y).data)

    numeric = {n: numerical_grad(value, p.data, epsilon) for n, p in net.named_parameters()}
    return GradcheckResult(
        difference=gradient_difference(net, course_cost, x, y, eps=epsilon, gradients=grads),
        buggy_difference=gradient_difference(net, course_cost, x, y, eps=epsilon, gradients=buggy),
        literal_difference=gradient_difference(net, course_cost, x, y, eps=epsilon),
        elementwise_ok=gradcheck_module(net, course_cost, x, y),
        gradients=grads,
        numeric=numeric,
        buggy=buggy,
    )


# ---------------------------------------------------------------------------- optimize

OPTIMIZERS = ("gd", "momentum", "adam")


def _optimizer(name: str, params: Any, lr: float) -> optim.Optimizer:
    if name == "gd":
        return optim.SGD(params, lr=lr)
    if name == "momentum":  # the course's v = βv + (1 − β)g from v = 0
        return optim.SGD(params, lr=lr, momentum=0.9, dampening=0.9, zero_init_buffer=True)
    if name == "adam":
        return optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {name!r}")


def train_mini_batches(
    optimizer: str,
    X: Array,
    Y: Array,
    epochs: int,
    engine: str = "eager",
    lr: float = 0.0007,
    batch_size: int = 64,
) -> Run:
    """The optimisation notebook's loop on a [2, 5, 2, 1] DeepNet (He initialisation, seed 3).

    Epoch e (from 1) takes the course's mini-batches ``random_mini_batches(X, Y, 64,
    seed=10 + e)`` and one optimizer step on each; its cost is the mean over the examples.
    """
    net = DeepNet([X.shape[0], 5, 2, 1], init="he", seed=3)
    step = _step(net.cost, _optimizer(optimizer, net.parameters(), lr), engine)
    m, costs = X.shape[1], []
    for epoch in range(1, epochs + 1):
        total = 0.0
        for batch_X, batch_Y in data.random_mini_batches(X, Y, batch_size, seed=10 + epoch):
            total += float(step(Tensor(batch_X), Tensor(batch_Y)).data) * batch_X.shape[1]
        costs.append(total / m)
    return Run(net, costs, float(np.mean(net.predict(X) == Y)))


# ---------------------------------------------------------------------------- spiral


class SpiralNet(nn.Module):
    """The case study's classifier, examples as rows.

    Scores X·W1 + b1 (softmax linear classifier), or ReLU(X·W1 + b1)·W2 + b2 with one hidden
    layer; weights 0.01·randn drawn layer by layer, biases zero.

    Args:
        sizes: [D, K] (softmax linear classifier) or [D, h, K] (one hidden layer of h ReLUs).
        rs: the legacy RandomState to draw the weights from, layer by layer.
    """

    def __init__(self, sizes: list[int], rs: np.random.RandomState) -> None:
        super().__init__()
        if len(sizes) not in (2, 3):
            raise ValueError(f"SpiralNet: sizes must be [D, K] or [D, h, K], got {sizes}")
        self.layers = len(sizes) - 1
        for k in range(1, len(sizes)):
            setattr(self, f"W{k}", nn.Parameter(0.01 * rs.randn(sizes[k - 1], sizes[k])))
            setattr(self, f"b{k}", nn.Parameter(np.zeros((1, sizes[k]))))

    def forward(self, X: Any) -> Tensor:
        """The class scores (m, K)."""
        X = X if isinstance(X, Tensor) else Tensor(np.asarray(X, dtype=np.float64))
        scores = X @ self.W1 + self.b1
        if self.layers == 2:
            scores = scores.relu() @ self.W2 + self.b2
        return scores

    def predict(self, X: Any) -> Array:
        """The likeliest class of each row."""
        with tg.no_grad():
            return np.argmax(self.forward(X).data, axis=1)


def train_spiral(
    sizes: list[int],
    X: Array,
    y: Array,
    rs: np.random.RandomState,
    steps: int,
    engine: str = "eager",
    lr: float = 1.0,
    reg: float = 1e-3,
) -> Run:
    """Full-batch gradient descent on softmax cross-entropy + 0.5·λ·Σ‖W‖² (the case study's L2).

    ``nn.utils.l2_penalty(net, λ, m=1)`` is (1/1)·(λ/2)·Σ_l ‖W_l‖², the case study's
    convention (the course's λ/(2m)·Σ‖W‖² is the same helper with m the number of examples).
    """
    net = SpiralNet(sizes, rs)

    def loss(X: Tensor, y: Tensor) -> Tensor:
        return F.cross_entropy(net(X), y) + l2_penalty(net, reg, 1)

    step = _step(loss, optim.SGD(net.parameters(), lr=lr), engine)
    Xt, yt = Tensor(X), Tensor(y)
    costs = [float(step(Xt, yt).data) for _ in range(steps)]
    return Run(net, costs, float(np.mean(net.predict(X) == y)))
