"""The course's L-layer network declared with the library, in the course's column layout.

`DeepNet([n_x, n_1, ..., n_L])` has exactly the Parameters W1, b1, ..., WL, bL of
`models/manual_deep.py` (W_l of shape (n_l, n_{l−1}), b_l of shape (n_l, 1)), drawn the same
way, so that both can be compared number for number:

    Z_l = W_l·A_{l−1} + b_l,  A_l = g(Z_l) (ReLU or tanh),  A_0 = X,
    A_L = σ(Z_L) for one output, softmax(Z_L) over the classes for several.

The cost goes through the fused losses on the logits Z_L — `binary_cross_entropy_with_logits`
or `cross_entropy(..., dim=0)` — whose gradient is the hand derivation's dZ_L = (A_L − Y)/m.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_lite import Tensor, nn, no_grad
from tinygrad_lite import functional as F

__all__ = ["DeepNet", "HIDDEN", "INITS"]

HIDDEN = ("relu", "tanh")
INITS = ("small", "zeros", "random", "he")


def _dims(layer_dims: Sequence[int]) -> list[int]:
    dims = list(layer_dims)
    if len(dims) < 2 or any(
        isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 for n in dims
    ):
        raise ValueError(
            f"DeepNet: layer_dims must be at least two sizes >= 1 ([n_x, ..., n_L]), got {dims}"
        )
    return [int(n) for n in dims]


class DeepNet(nn.Module):
    """An L-layer network, examples as columns: X is (n_x, m), the output (n_L, m).

    Args:
        layer_dims: [n_x, n_1, ..., n_L], the size of every layer, input included.
        hidden: the hidden layers' activation, "relu" or "tanh".
        init: "small" (×0.01, the step-by-step notebook), "zeros", "random" (×10) or "he"
            (×√(2/n_{l−1})): W_l = rs.randn(n_l, n_{l−1})·scale drawn layer by layer from
            rs = np.random.RandomState(seed), biases zero, as
            `models.manual_deep.initialize_parameters_deep(layer_dims, init, seed)`.
        seed: seed of the legacy RandomState.
        keep_prob: the probability of keeping a hidden unit (inverted dropout on every hidden
            layer while training; 1 means no dropout).
        generator: the generator of the dropout masks (see `nn.Dropout`).

    Example:
        >>> import numpy as np
        >>> net = DeepNet([5, 4, 3, 1])
        >>> [name for name, _ in net.named_parameters()]
        ['W1', 'b1', 'W2', 'b2', 'W3', 'b3']
        >>> net(np.ones((5, 2))).shape
        (1, 2)
    """

    def __init__(
        self,
        layer_dims: Sequence[int],
        hidden: str = "relu",
        init: str = "small",
        seed: int = 3,
        keep_prob: float = 1.0,
        generator: Any = None,
    ) -> None:
        super().__init__()
        dims = _dims(layer_dims)
        if hidden not in HIDDEN:
            raise ValueError(f"DeepNet: hidden must be one of {list(HIDDEN)}, got {hidden!r}")
        if init not in INITS:
            raise ValueError(f"DeepNet: init must be one of {list(INITS)}, got {init!r}")
        self.layer_dims, self.hidden, self.init = dims, hidden, init
        self.dropout = nn.Dropout(1.0 - keep_prob, generator=generator)
        rs = np.random.RandomState(seed)
        for k in range(1, len(dims)):
            shape = (dims[k], dims[k - 1])
            if init == "zeros":
                W = np.zeros(shape)
            else:
                scale = {"small": 0.01, "random": 10.0, "he": np.sqrt(2.0 / dims[k - 1])}[init]
                W = rs.randn(*shape) * scale
            setattr(self, f"W{k}", nn.Parameter(W))
            setattr(self, f"b{k}", nn.Parameter(np.zeros((dims[k], 1))))

    @property
    def L(self) -> int:
        """The number of layers with weights."""
        return len(self.layer_dims) - 1

    def _inputs(self, X: Any) -> Tensor:
        X = X if isinstance(X, Tensor) else Tensor(np.asarray(X, dtype=np.float64))
        if X.ndim != 2 or X.shape[0] != self.layer_dims[0] or X.shape[1] < 1:
            raise ValueError(
                f"DeepNet: X must have shape (n_x, m) = ({self.layer_dims[0]}, m), one example "
                f"per column, got shape {X.shape}"
            )
        return X

    def forward_cache(self, X: Any) -> tuple[Tensor, dict[str, Tensor]]:
        """The logits Z_L and every intermediate: {"A0": X, "Z1": ..., "A1": ..., "ZL": ...}.

        The intermediates are the tensors of the graph, so `retain_grad()` on them (or
        `tinygrad_lite.grad` with respect to them) gives dZ_l and dA_l.
        """
        A = self._inputs(X)
        cache: dict[str, Tensor] = {"A0": A}
        for k in range(1, self.L + 1):
            Z = getattr(self, f"W{k}") @ A + getattr(self, f"b{k}")
            cache[f"Z{k}"] = Z
            if k < self.L:
                A = Z.relu() if self.hidden == "relu" else Z.tanh()
                A = self.dropout(A)
                cache[f"A{k}"] = A
        return cache[f"Z{self.L}"], cache

    def logits(self, X: Any) -> Tensor:
        """Z_L (n_L, m), the output layer before its sigmoid or softmax."""
        return self.forward_cache(X)[0]

    def forward(self, X: Any) -> Tensor:
        """A_L: σ(Z_L) for one output, the softmax over the n_L rows (classes) for several."""
        Z = self.logits(X)
        return Z.sigmoid() if self.layer_dims[-1] == 1 else Z.softmax(dim=0)

    def cost(self, X: Any, Y: Any) -> Tensor:
        """The cross-entropy J, from the logits by the fused losses (dZ_L = (A_L − Y)/m).

        One output: Y of shape (1, m) in [0, 1]. Several: Y holds class indices, shape (m,),
        or probabilities (one-hot columns), shape (n_L, m).
        """
        Z = self.logits(X)
        if self.layer_dims[-1] == 1:
            return F.binary_cross_entropy_with_logits(Z, Y)
        return F.cross_entropy(Z, Y, dim=0)

    def predict(self, X: Any) -> np.ndarray:
        """Labels: 1.0 where A_L > 0.5 (one output, as the course), else the likeliest class."""
        with no_grad():
            A = self.forward(X).data
        if self.layer_dims[-1] == 1:
            return (A > 0.5).astype(np.float64)
        return np.argmax(A, axis=0)

    def extra_repr(self) -> str:
        """The layer sizes, activation and initialisation."""
        return f"layer_dims={self.layer_dims}, hidden={self.hidden!r}, init={self.init!r}"
