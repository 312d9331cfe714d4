"""The tutorial's planar classifier declared with tinygrad_lite, and its batch-first twin.

`TwoLayerNet` keeps the tutorial's column layout (features × examples) and names, so every
gradient can be compared with the hand-derived ones in `models.manual`:

    Z1 = W1·X + b1,  A1 = tanh(Z1),  Z2 = W2·A1 + b2,  A2 = σ(Z2),
    J = −(1/m) Σ [Y·log A2 + (1 − Y)·log(1 − A2)].

`make_sequential` builds the same network the PyTorch way (batch-first rows, `nn.Linear`
layers), and the mapping helpers move weights between the two forms:
W1 ↔ 0.weight, b1 (n_h, 1) ↔ 0.bias (n_h,), W2 ↔ 2.weight, b2 (n_y, 1) ↔ 2.bias (n_y,).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

import tinygrad_lite as tg
from tinygrad_lite import functional as F
from tinygrad_lite import nn
from tinygrad_lite.autograd import no_grad
from tinygrad_lite.tensor import Tensor

__all__ = [
    "TwoLayerNet",
    "make_sequential",
    "sequential_from_two_layer",
    "sequential_state_from_parameters",
    "parameters_from_sequential_state",
    "two_layer_forward",
    "two_layer_logits",
    "two_layer_from_sequential",
]

PARAMETER_NAMES = ("W1", "b1", "W2", "b2")
# TwoLayerNet name → Sequential name (layers 0 and 2 are the Linear layers).
SEQUENTIAL_NAMES = {"W1": "0.weight", "b1": "0.bias", "W2": "2.weight", "b2": "2.bias"}


def _size(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"TwoLayerNet: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"TwoLayerNet: {name} must be >= 1, got {value}")
    return int(value)


def two_layer_forward(X: Tensor, W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor) -> Tensor:
    """A2 = σ(W2·tanh(W1·X + b1) + b2), the tutorial's forward pass on tensors.

    Args:
        X: inputs of shape (n_x, m), one example per column.
        W1: hidden-layer weights, (n_h, n_x).
        b1: hidden-layer biases, (n_h, 1).
        W2: output-layer weights, (n_y, n_h).
        b2: output-layer biases, (n_y, 1).

    Returns:
        A2 of shape (n_y, m), the probability of class 1 for each example.
    """
    return two_layer_logits(X, W1, b1, W2, b2).sigmoid()


def two_layer_logits(X: Tensor, W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor) -> Tensor:
    """Z2 = W2·tanh(W1·X + b1) + b2, the output layer before its sigmoid (shapes as above)."""
    A1 = (W1 @ X + b1).tanh()
    return W2 @ A1 + b2


class TwoLayerNet(nn.Module):
    """The tutorial's network n_x → n_h (tanh) → n_y (sigmoid), examples as columns.

    Its Parameters are exactly W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1), in that
    order. The initial values equal `models.manual.initialize_parameters(n_x, n_h, n_y, seed)`:
    with rs = np.random.RandomState(seed), W1 = 0.01·rs.randn(n_h, n_x), then
    W2 = 0.01·rs.randn(n_y, n_h); the biases are zeros.

    Args:
        n_x: number of input features.
        n_h: number of hidden units.
        n_y: number of outputs.
        seed: seed of the legacy RandomState used for W1 and W2.

    Example:
        >>> from tinygrad_lite import optim
        >>> from tinygrad_lite.datasets import load_planar_dataset
        >>> X, Y = load_planar_dataset()
        >>> net = TwoLayerNet(n_x=2, n_h=4, n_y=1)
        >>> opt = optim.SGD(net.parameters(), lr=1.2)
        >>> cost = net.cost(X, Y)
        >>> cost.backward()
        >>> opt.step()
        >>> round(cost.item(), 6)
        0.693048
    """

    def __init__(self, n_x: int, n_h: int = 4, n_y: int = 1, seed: int = 2) -> None:
        super().__init__()
        self.n_x, self.n_h, self.n_y = _size("n_x", n_x), _size("n_h", n_h), _size("n_y", n_y)
        rs = np.random.RandomState(seed)
        W1 = rs.randn(self.n_h, self.n_x) * 0.01
        W2 = rs.randn(self.n_y, self.n_h) * 0.01
        self.W1 = nn.Parameter(W1)
        self.b1 = nn.Parameter(np.zeros((self.n_h, 1)))
        self.W2 = nn.Parameter(W2)
        self.b2 = nn.Parameter(np.zeros((self.n_y, 1)))

    def _inputs(self, X: Tensor | np.ndarray, func: str) -> Tensor:
        X = X if isinstance(X, Tensor) else Tensor(np.asarray(X, dtype=np.float64))
        if X.ndim != 2 or X.shape[0] != self.n_x or X.shape[1] < 1:
            raise ValueError(
                f"TwoLayerNet.{func}: X must have shape (n_x, m) = ({self.n_x}, m) with m >= 1, "
                f"one example per column, got shape {X.shape}"
                + (
                    f" (it has {X.shape[0]} rows but the network has n_x = {self.n_x} inputs)"
                    if X.ndim == 2 and X.shape[0] != self.n_x
                    else ""
                )
            )
        return X

    def forward(self, X: Tensor | np.ndarray) -> Tensor:
        """Return A2 (n_y, m) for inputs X (n_x, m)."""
        return self.logits(X).sigmoid()

    def logits(self, X: Tensor | np.ndarray) -> Tensor:
        """Return Z2 (n_y, m), the output before the sigmoid, for inputs X (n_x, m)."""
        X = self._inputs(X, "forward")
        return two_layer_logits(X, self.W1, self.b1, self.W2, self.b2)

    def cost(self, X: Tensor | np.ndarray, Y: Tensor | np.ndarray) -> Tensor:
        """The cross-entropy cost J as a scalar Tensor, for inputs X (n_x, m) and labels Y.

        J = −(1/(n_y·m)) Σ [Y·log A2 + (1 − Y)·log(1 − A2)], the tutorial's cost for n_y = 1.
        It is computed from the logits Z2 by the fused `binary_cross_entropy_with_logits`: the
        same J without a log of 0 or an overflowing exp, in fewer NumPy calls, and its gradient
        with respect to Z2 is exactly (A2 − Y)/m, the tutorial's dZ2 over m.

        Raises:
            ValueError: X or Y has the wrong shape, or Y lies outside [0, 1].
        """
        Z2 = self.logits(X)
        y_shape = Y.shape if isinstance(Y, Tensor) else np.shape(Y)
        if tuple(y_shape) != Z2.shape:
            raise ValueError(
                f"TwoLayerNet.cost: Y must have shape (n_y, m) = {Z2.shape} to match X of shape "
                f"{np.shape(X) if not isinstance(X, Tensor) else X.shape}, got shape "
                f"{tuple(y_shape)}"
            )
        return F.binary_cross_entropy_with_logits(Z2, Y)

    def predict(self, X: Tensor | np.ndarray) -> np.ndarray:
        """Class labels 1.0 where A2 > 0.5, else 0.0, as a float64 array (n_y, m) (no graph)."""
        with no_grad():
            A2 = self.forward(X)
        return (A2.data > 0.5).astype(np.float64)

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> TwoLayerNet:
        """Build a network holding copies of the reference's {"W1", "b1", "W2", "b2"} arrays.

        Raises:
            ValueError: a name is missing or the shapes do not fit together.
        """
        missing = [k for k in PARAMETER_NAMES if k not in parameters]
        if missing:
            raise ValueError(
                f"TwoLayerNet.from_parameters: missing {missing}; got keys {sorted(parameters)}"
            )
        W1 = np.asarray(parameters["W1"], dtype=np.float64)
        W2 = np.asarray(parameters["W2"], dtype=np.float64)
        if W1.ndim != 2 or W2.ndim != 2:
            raise ValueError(
                f"TwoLayerNet.from_parameters: W1 and W2 must be 2-D, got shapes {W1.shape} "
                f"and {W2.shape}"
            )
        net = cls(W1.shape[1], W1.shape[0], W2.shape[0])
        net.load_state_dict(
            {k: np.asarray(parameters[k], dtype=np.float64) for k in PARAMETER_NAMES}
        )
        return net

    def to_parameters(self) -> dict[str, np.ndarray]:
        """Return copies of the weights in the reference's dict format {"W1", "b1", "W2", "b2"}."""
        return self.state_dict()

    def extra_repr(self) -> str:
        """Return the layer sizes."""
        return f"n_x={self.n_x}, n_h={self.n_h}, n_y={self.n_y}"


# ---------------------------------------------------------------------- the batch-first twin


def make_sequential(
    n_x: int = 2, n_h: int = 4, n_y: int = 1, seed: int | np.random.Generator | None = None
) -> nn.Sequential:
    """The same network on batch-first rows: Linear(n_x, n_h), Tanh, Linear(n_h, n_y), Sigmoid.

    It maps X of shape (m, n_x) to probabilities of shape (m, n_y). The Linear layers start
    from PyTorch's default initialisation, drawn from one generator made from `seed`.
    """
    rng = tg.rng.generator(seed)  # None: the default generator, as tg.manual_seed sets
    return nn.Sequential(
        nn.Linear(_size("n_x", n_x), _size("n_h", n_h), seed=rng),
        nn.Tanh(),
        nn.Linear(n_h, _size("n_y", n_y), seed=rng),
        nn.Sigmoid(),
    )


def sequential_state_from_parameters(parameters: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Map {"W1", "b1", "W2", "b2"} (column layout) to the Sequential's state dict (copies).

    The weights keep their shape; the biases lose their column axis: b1 (n_h, 1) → 0.bias (n_h,).
    """
    out: dict[str, np.ndarray] = {}
    for name in PARAMETER_NAMES:
        arr = np.array(parameters[name], dtype=np.float64, copy=True)
        out[SEQUENTIAL_NAMES[name]] = arr.reshape(-1) if name.startswith("b") else arr
    return out


def parameters_from_sequential_state(state: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Map a Sequential's state dict back to {"W1", "b1", "W2", "b2"} (copies).

    The biases get their column axis back: 0.bias (n_h,) → b1 (n_h, 1).
    """
    out: dict[str, np.ndarray] = {}
    for name in PARAMETER_NAMES:
        value = state[SEQUENTIAL_NAMES[name]]
        arr = np.array(value.data if isinstance(value, Tensor) else value, copy=True)
        out[name] = arr.reshape(-1, 1) if name.startswith("b") else arr
    return out


def sequential_from_two_layer(net: TwoLayerNet) -> nn.Sequential:
    """A batch-first Sequential holding copies of `net`'s weights (same outputs, transposed)."""
    seq = make_sequential(net.n_x, net.n_h, net.n_y, seed=0)
    seq.load_state_dict(sequential_state_from_parameters(net.to_parameters()))
    return seq


def two_layer_from_sequential(seq: nn.Sequential) -> TwoLayerNet:
    """A TwoLayerNet holding copies of the weights of a `make_sequential` network."""
    return TwoLayerNet.from_parameters(parameters_from_sequential_state(seq.state_dict()))
