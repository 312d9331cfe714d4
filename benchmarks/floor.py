"""The NumPy floor: the tutorial's training step written by hand for speed, in one place.

Everything that compares against hand-written NumPy uses this class: the benchmark
(``benchmarks.planar``), the peers run (``benchmarks.peers``), the tests
(``tests/test_benchmarks.py`` checks its costs, gradients and updates against ``models.manual``
to 1e-12) and the performance page. It needs NumPy only, so it also runs in the throwaway
environment of the peers.
"""

from __future__ import annotations

import numpy as np

from ._interface import NAMES, Array, Implementation, Params


class NumpyTuned(Implementation):
    """The same math as the tutorial, written for speed: the NumPy floor.

    What differs from ``models.manual`` (none of it changes the formulas):

    - every array the step needs is allocated once; each op writes into one with ``out=``;
    - Z1, A1, 1 − A1·A1 and dZ1 share one (n_h, m) buffer, rewritten in place;
    - ``1 − A1·A1`` rather than ``1 − A1**2``; the sigmoid takes the tutorial's two branches
      with ``where=`` instead of computing both and selecting;
    - the k = 1 product ``W2ᵀ·dZ2`` is two broadcast multiplies into dZ1 instead of a matmul
      into a new (n_h, m) array, and 1/m is applied once, to dZ2, instead of to each gradient;
    - the parameters and the gradients each live in one flat array (W1, b1, W2, b2 are views
      into it), so the update of all four is two ufunc calls;
    - ``np.dot(..., out=)`` and ``np.add.reduce(..., out=)``, which cost less per call than
      ``np.matmul`` and ``np.sum`` (it matters at S, where a step is ~30 small calls);
    - no input validation (the tutorial's functions check shapes and labels on every call).
    """

    name = "numpy tuned"

    def __init__(self, X: Array, Y: Array, params: Params, lr: float) -> None:
        X = np.ascontiguousarray(X, dtype=np.float64)
        Y = np.ascontiguousarray(Y, dtype=np.float64)
        n_x, m = X.shape
        n_h = params["W1"].shape[0]
        if params["W2"].shape != (1, n_h) or Y.shape != (1, m):
            raise ValueError(
                f"NumpyTuned: needs one output unit: W2 {params['W2'].shape}, Y {Y.shape}"
            )
        self.X, self.Y, self.XT, self.lr = X, Y, X.T, float(lr)
        self.inv_m: float = 1.0 / m
        sizes = (n_h * n_x, n_h, n_h, 1)
        shapes = ((n_h, n_x), (n_h, 1), (1, n_h), (1, 1))
        self.theta = np.empty(sum(sizes))
        self.grad = np.empty_like(self.theta)
        self.scratch = np.empty_like(self.theta)
        ends = np.cumsum(sizes)
        spans = [
            (int(e - n), int(e), shape) for e, n, shape in zip(ends, sizes, shapes, strict=True)
        ]
        self.p = [self.theta[a:b].reshape(shape) for a, b, shape in spans]
        self.g = [self.grad[a:b].reshape(shape) for a, b, shape in spans]
        for view, name in zip(self.p, NAMES, strict=True):
            view[...] = params[name]
        self.w2_col = self.p[2].T  # (n_h, 1) view of W2
        self.A1 = np.empty((n_h, m))
        self.A2 = np.empty((1, m))
        self.e = np.empty((1, m))
        self.t = np.empty((1, m))
        self.negative = np.empty((1, m), dtype=bool)
        self.is_one = np.empty((1, m), dtype=bool)

    def step(self) -> float:
        W1, b1, W2, b2 = self.p
        dW1, db1, dW2, db2 = self.g
        X, Y, A1, A2, e, t, neg = self.X, self.Y, self.A1, self.A2, self.e, self.t, self.negative
        dot, add_reduce = np.dot, np.add.reduce  # np.dot(out=) and ufunc.reduce: less overhead
        # Forward: A1 = tanh(W1·X + b1), Z2 = W2·A1 + b2 (Z2 lives in A2's buffer).
        dot(W1, X, out=A1)
        np.add(A1, b1, out=A1)
        np.tanh(A1, out=A1)
        dot(W2, A1, out=A2)
        np.add(A2, b2, out=A2)
        # A2 = σ(Z2): with e = exp(−|Z2|), 1/(1 + e) where Z2 >= 0 and e/(1 + e) elsewhere.
        np.less(A2, 0.0, out=neg)
        np.abs(A2, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)
        np.add(e, 1.0, out=t)
        np.divide(1.0, t, out=A2)
        np.divide(e, t, out=A2, where=neg)
        # Cost: −(1/m) Σ log p, p = A2 where Y = 1 and 1 − A2 where Y = 0.
        np.equal(Y, 1.0, out=self.is_one)
        np.subtract(1.0, A2, out=t)
        np.copyto(t, A2, where=self.is_one)
        np.log(t, out=t)
        cost = -float(t.sum()) * self.inv_m
        # Backward, with dZ2/m in e: dW2 = (dZ2/m)·A1ᵀ, db2 = Σ dZ2/m.
        np.subtract(A2, Y, out=e)
        np.multiply(e, self.inv_m, out=e)
        dot(e, A1.T, out=dW2)
        add_reduce(e, axis=1, keepdims=True, out=db2)
        # dZ1/m = W2ᵀ ⊙ (dZ2/m) ⊙ (1 − A1·A1), in A1's buffer; dW1 = (dZ1/m)·Xᵀ, db1 = Σ dZ1/m.
        np.multiply(A1, A1, out=A1)
        np.subtract(1.0, A1, out=A1)
        np.multiply(A1, self.w2_col, out=A1)
        np.multiply(A1, e, out=A1)
        dot(A1, self.XT, out=dW1)
        add_reduce(A1, axis=1, keepdims=True, out=db1)
        # θ ← θ − α·dθ for all four parameters at once.
        np.multiply(self.grad, self.lr, out=self.scratch)
        np.subtract(self.theta, self.scratch, out=self.theta)
        return cost

    def parameters(self) -> Params:
        return {n: v.copy() for n, v in zip(NAMES, self.p, strict=True)}

    def gradients(self) -> Params | None:
        return {n: v.copy() for n, v in zip(NAMES, self.g, strict=True)}
