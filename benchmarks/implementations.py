"""The benchmark's training steps of the tutorial's network, by name, behind one interface.

The interface is `benchmarks._interface.Implementation`; the hand-written NumPy floor lives in
`benchmarks.floor` and PyTorch's eager step in `benchmarks.peers.steps`, so that the peers run
times exactly the same code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from models import manual

from ._interface import NAMES, Array, Implementation, Params, copy_params
from .floor import NumpyTuned
from .peers.steps import TorchEager

__all__ = ["IMPLEMENTATIONS", "NAMES", "Implementation", "NumpyTuned", "NumpyTutorial"]


# ------------------------------------------------------------------------------------ NumPy


class NumpyTutorial(Implementation):
    """The tutorial's hand-derived step, by calling ``models.manual`` as the course does."""

    name = "numpy tutorial"

    def __init__(self, X: Array, Y: Array, params: Params, lr: float) -> None:
        self.X, self.Y, self.lr = X, Y, lr
        self.params = copy_params(params)
        self.grads: Params | None = None

    def step(self) -> float:
        A2, cache = manual.forward_propagation(self.X, self.params)
        cost = manual.compute_cost(A2, self.Y)
        self.grads = manual.backward_propagation(self.params, cache, self.X, self.Y)
        self.params = manual.update_parameters(self.params, self.grads, self.lr)
        return cost

    def parameters(self) -> Params:
        return copy_params(self.params)

    def gradients(self) -> Params | None:
        return None if self.grads is None else copy_params(self.grads, NAMES, "d")


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
