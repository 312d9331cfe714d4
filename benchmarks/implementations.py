"""One training step of the tutorial's network, written five ways, behind one interface.

Every implementation is built from the same data and starting weights and does, per step:
forward pass, cross-entropy cost, backward pass, and the update θ ← θ − α·dθ. ``step()``
returns the cost before the update as a Python float; ``parameters()`` and ``gradients()``
return copies of W1, b1, W2, b2 and of the last step's dW1, db1, dW2, db2 (column layout:
X is (n_x, m), Y is (1, m), W1 is (n_h, n_x), b1 is (n_h, 1), W2 is (1, n_h), b2 is (1, 1)).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from models import manual

Array = np.ndarray
Params = dict[str, Array]
NAMES = ("W1", "b1", "W2", "b2")


def _copy(d: dict[str, Any], names: tuple[str, ...] = NAMES, prefix: str = "") -> Params:
    return {n: np.array(d[prefix + n], dtype=np.float64, copy=True) for n in names}


class Implementation:
    """The interface: build from (X, Y, starting parameters, learning rate), then step."""

    name: ClassVar[str] = ""

    def __init__(self, X: Array, Y: Array, params: Params, lr: float) -> None:
        raise NotImplementedError

    @classmethod
    def unavailable(cls) -> str | None:
        """Why this implementation cannot run here, or None when it can."""
        return None

    def step(self) -> float:
        """One training step; returns the cost before the update."""
        raise NotImplementedError

    def parameters(self) -> Params:
        """Copies of W1, b1, W2, b2 as they are now."""
        raise NotImplementedError

    def gradients(self) -> Params | None:
        """Copies of the last step's gradients (keys W1, b1, W2, b2), or None if not kept."""
        return None


# ------------------------------------------------------------------------------------ NumPy


class NumpyTutorial(Implementation):
    """The tutorial's hand-derived step, by calling ``models.manual`` as the course does."""

    name = "numpy tutorial"

    def __init__(self, X: Array, Y: Array, params: Params, lr: float) -> None:
        self.X, self.Y, self.lr = X, Y, lr
        self.params = _copy(params)
        self.grads: Params | None = None

    def step(self) -> float:
        A2, cache = manual.forward_propagation(self.X, self.params)
        cost = manual.compute_cost(A2, self.Y)
        self.grads = manual.backward_propagation(self.params, cache, self.X, self.Y)
        self.params = manual.update_parameters(self.params, self.grads, self.lr)
        return cost

    def parameters(self) -> Params:
        return _copy(self.params)

    def gradients(self) -> Params | None:
        return None if self.grads is None else _copy(self.grads, NAMES, "d")


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
        self.X, self.Y, self.XT, self.lr, self.inv_m = X, Y, X.T, float(lr), 1.0 / m
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


# ------------------------------------------------------------------------------- tinygrad_lite


def _two_layer_net() -> Any:
    return importlib.import_module("models.two_layer").TwoLayerNet


class TinygradEager(Implementation):
    """``TwoLayerNet`` and ``SGD``: zero_grad, cost, backward, step, as a user writes it."""

    name = "tinygrad_lite eager"

    @classmethod
    def unavailable(cls) -> str | None:
        try:
            _two_layer_net()
            importlib.import_module("tinygrad_lite.optim")
        except ImportError as e:
            return f"cannot import the model or optimizer: {e}"
        return None

    def __init__(self, X: Array, Y: Array, params: Params, lr: float) -> None:
        from tinygrad_lite import Tensor, optim

        n_x, n_h = params["W1"].shape[1], params["W1"].shape[0]
        self.model = _two_layer_net()(n_x, n_h=n_h, n_y=params["W2"].shape[0])
        self.model.load_state_dict({n: params[n] for n in NAMES})
        self.opt = optim.SGD(self.model.parameters(), lr=lr)
        self.X, self.Y = Tensor(X), Tensor(Y)

    def step(self) -> float:
        opt, model = self.opt, self.model
        opt.zero_grad()
        cost = model.cost(self.X, self.Y)
        cost.backward()
        opt.step()
        return float(cost.item())

    def parameters(self) -> Params:
        return {n: np.array(getattr(self.model, n).data, copy=True) for n in NAMES}

    def gradients(self) -> Params | None:
        grads = {n: getattr(self.model, n).grad for n in NAMES}
        if any(g is None for g in grads.values()):
            return None
        return {n: np.array(g.data, copy=True) for n, g in grads.items()}


def _compile_function() -> Callable[..., Any] | None:
    """``tinygrad_lite.compile`` (the function), or None if the package has none."""
    import tinygrad_lite

    obj = getattr(tinygrad_lite, "compile", None)
    if obj is None:
        try:
            obj = importlib.import_module("tinygrad_lite.compile")
        except ImportError:
            return None
    if callable(obj):
        return obj  # type: ignore[no-any-return]
    fn = getattr(obj, "compile", None)  # the module, holding a function of the same name
    return fn if callable(fn) else None


class TinygradCompiled(TinygradEager):
    """The eager step traced once by ``tinygrad_lite.compile`` and replayed."""

    name = "tinygrad_lite compiled"
    backend: ClassVar[str | None] = None  # compile()'s default

    @classmethod
    def unavailable(cls) -> str | None:
        reason = super().unavailable()
        if reason is not None:
            return reason
        if _compile_function() is None:
            return "tinygrad_lite has no compile() yet"
        return None

    def __init__(self, X: Array, Y: Array, params: Params, lr: float) -> None:
        super().__init__(X, Y, params, lr)
        from models.training import make_train_step

        compile_fn = _compile_function()
        assert compile_fn is not None
        step = make_train_step(self.model, self.opt)
        self.compiled = compile_fn(step, backend=self.backend) if self.backend else compile_fn(step)

    def step(self) -> float:
        cost = self.compiled(self.X, self.Y)
        return float(cost.item() if hasattr(cost, "item") else cost)

    def gradients(self) -> Params | None:
        # The replayed step may keep its gradients in its own buffers rather than in .grad.
        return None


class TinygradFused(TinygradCompiled):
    """The compiled step with ``backend="fused"``: elementwise chains as numba loops."""

    name = "tinygrad_lite fused"
    backend = "fused"

    @classmethod
    def unavailable(cls) -> str | None:
        reason = super().unavailable()
        if reason is not None:
            return reason
        try:
            importlib.import_module("numba")
        except ImportError:
            return 'numba is not installed (optional: pip install ".[fast]")'
        return None


# ------------------------------------------------------------------------------------ PyTorch


class TorchEager(Implementation):
    """The same network in PyTorch (float64, CPU): autograd, its BCE loss and its SGD.

    PyTorch picks its own thread count unless `threads` is set (on a machine that other work
    keeps busy, its worker threads can stall small steps; one thread avoids that).
    """

    name = "torch eager"
    threads: ClassVar[int | None] = None

    @classmethod
    def unavailable(cls) -> str | None:
        try:
            importlib.import_module("torch")
        except ImportError:
            return "PyTorch is not installed (optional)"
        return None

    def __init__(self, X: Array, Y: Array, params: Params, lr: float) -> None:
        import torch

        if self.threads is not None:
            torch.set_num_threads(self.threads)
        self.torch = torch
        self.X = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float64))
        self.Y = torch.from_numpy(np.ascontiguousarray(Y, dtype=np.float64))
        self.p = [torch.tensor(params[n], dtype=torch.float64, requires_grad=True) for n in NAMES]
        self.opt = torch.optim.SGD(self.p, lr=lr)
        self.bce = torch.nn.functional.binary_cross_entropy

    def step(self) -> float:
        W1, b1, W2, b2 = self.p
        self.opt.zero_grad(set_to_none=True)
        A1 = self.torch.tanh(W1 @ self.X + b1)
        A2 = self.torch.sigmoid(W2 @ A1 + b2)
        cost = self.bce(A2, self.Y)
        cost.backward()
        self.opt.step()
        return float(cost.item())

    def parameters(self) -> Params:
        return {n: p.detach().numpy().copy() for n, p in zip(NAMES, self.p, strict=True)}

    def gradients(self) -> Params | None:
        if any(p.grad is None for p in self.p):
            return None
        return {n: p.grad.numpy().copy() for n, p in zip(NAMES, self.p, strict=True)}


IMPLEMENTATIONS: dict[str, type[Implementation]] = {
    cls.name: cls
    for cls in (
        TinygradEager,
        TinygradCompiled,
        TinygradFused,
        NumpyTutorial,
        NumpyTuned,
        TorchEager,
    )
}
