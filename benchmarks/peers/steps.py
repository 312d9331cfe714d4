"""The tutorial's training step written with other autodiff libraries, one class per library.

Each class does what every benchmarked step does (see `benchmarks._interface.Implementation`):
Z1 = W1·X + b1, A1 = tanh(Z1), Z2 = W2·A1 + b2, A2 = σ(Z2), the cross-entropy cost
J = −(1/m) Σ [y·log a + (1 − y)·log(1 − a)], its gradient by the library's own reverse mode,
and θ ← θ − α·dθ, in float64 from the given starting weights. Each library is imported only
when its step is built, so this module imports with NumPy alone.
"""

from __future__ import annotations

import importlib
import math
import sys
from typing import Any, ClassVar

import numpy as np

from .._interface import NAMES, Array, Implementation, Params


def _missing(module: str, what: str) -> str | None:
    try:
        importlib.import_module(module)
    except Exception as e:  # an installed but broken package says why here too
        return f"{what} is not installed here ({type(e).__name__}: {e})"
    return None


class Peer(Implementation):
    """A step written with another library.

    Attributes:
        package: the distribution whose version the report gives.
        sizes: the problem sizes it runs at (None: all).
    """

    package: ClassVar[str] = ""
    module: ClassVar[str] = ""
    sizes: ClassVar[tuple[str, ...] | None] = None

    @classmethod
    def unavailable(cls) -> str | None:
        return _missing(cls.module, cls.package)


# ------------------------------------------------------------------------------------ PyTorch


class TorchEager(Peer):
    """PyTorch autograd, its ``binary_cross_entropy`` and ``torch.optim.SGD``, float64 on the CPU.

    PyTorch picks its own thread count unless `threads` is set (on a machine that other work
    keeps busy, its worker threads can stall small steps; one thread avoids that).
    """

    name = "torch eager"
    package = "torch"
    module = "torch"
    threads: ClassVar[int | None] = None

    def __init__(self, X: Array, Y: Array, params: Params, lr: float) -> None:
        import torch

        if self.threads is not None:
            torch.set_num_threads(self.threads)
        self.torch = torch
        self.X = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float64))
        self.Y = torch.from_numpy(np.ascontiguousarray(Y, dtype=np.float64))
        self.p = [torch.tensor(params[n], dtype=torch.float64, requires_grad=True) for n in NAMES]
        self.opt = torch.optim.SGD(self.p, lr=lr)
        self.loss = self._loss_function()

    def _loss_function(self) -> Any:
        torch = self.torch
        bce = torch.nn.functional.binary_cross_entropy

        def loss(W1: Any, b1: Any, W2: Any, b2: Any, X: Any, Y: Any) -> Any:
            A1 = torch.tanh(W1 @ X + b1)
            A2 = torch.sigmoid(W2 @ A1 + b2)
            return bce(A2, Y)

        return loss

    def step(self) -> float:
        self.opt.zero_grad(set_to_none=True)
        cost = self.loss(*self.p, self.X, self.Y)
        cost.backward()
        self.opt.step()
        return float(cost.item())

    def parameters(self) -> Params:
        return {n: p.detach().numpy().copy() for n, p in zip(NAMES, self.p, strict=True)}

    def gradients(self) -> Params | None:
        grads = [p.grad for p in self.p]
        if any(g is None for g in grads):
            return None
        return {n: g.numpy().copy() for n, g in zip(NAMES, grads, strict=True) if g is not None}


class TorchCompiled(TorchEager):
    """The same step with the forward pass and cost through ``torch.compile`` (Inductor).

    PyTorch compiles the forward and, through AOTAutograd, its backward; ``backward()`` and
    the optimizer's update stay as a user writes them. Shapes are static (``dynamic=False``),
    so each size gets kernels of its own. Compiling needs a C++ compiler; when it fails, the
    error is what the peers table shows.
    """

    name = "torch.compile"

    def _loss_function(self) -> Any:
        return self.torch.compile(super()._loss_function(), dynamic=False)


# ------------------------------------------------------------------------------------ JAX


class JaxJit(Peer):
    """``jax.jit`` of the whole step: ``value_and_grad`` of the cost, then the update, in x64."""

    name = "jax jit"
    package = "jax"
    module = "jax"

    def __init__(self, X: Array, Y: Array, params: Params, lr: float) -> None:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)

        def cost(p: tuple[Any, ...], X: Any, Y: Any) -> Any:
            W1, b1, W2, b2 = p
            A1 = jnp.tanh(W1 @ X + b1)
            A2 = 1.0 / (1.0 + jnp.exp(-(W2 @ A1 + b2)))
            return -jnp.mean(Y * jnp.log(A2) + (1.0 - Y) * jnp.log(1.0 - A2))

        def step(p: tuple[Any, ...], X: Any, Y: Any) -> tuple[tuple[Any, ...], Any]:
            c, g = jax.value_and_grad(cost)(p, X, Y)
            return tuple(w - lr * gw for w, gw in zip(p, g, strict=True)), c

        self.jitted = jax.jit(step)
        self.X = jnp.asarray(X, dtype=jnp.float64)
        self.Y = jnp.asarray(Y, dtype=jnp.float64)
        self.p = tuple(jnp.asarray(params[n], dtype=jnp.float64) for n in NAMES)

    def step(self) -> float:
        self.p, c = self.jitted(self.p, self.X, self.Y)
        return float(c)  # waits for the result

    def parameters(self) -> Params:
        return {n: np.array(w, dtype=np.float64) for n, w in zip(NAMES, self.p, strict=True)}


# ------------------------------------------------------------------------------------ MyGrad


class MyGradStep(Peer):
    """MyGrad tensors: the cost's ``backward()``, then θ ← θ − α·θ.grad on fresh tensors."""

    name = "mygrad"
    package = "mygrad"
    module = "mygrad"

    def __init__(self, X: Array, Y: Array, params: Params, lr: float) -> None:
        import mygrad as mg

        self.mg, self.lr = mg, lr
        self.X = np.ascontiguousarray(X, dtype=np.float64)  # NumPy arrays are constants
        self.Y = np.ascontiguousarray(Y, dtype=np.float64)
        self.p = [mg.tensor(np.array(params[n], dtype=np.float64)) for n in NAMES]

    def step(self) -> float:
        mg = self.mg
        W1, b1, W2, b2 = self.p
        A1 = mg.tanh(mg.matmul(W1, self.X) + b1)
        A2 = 1.0 / (1.0 + mg.exp(-(mg.matmul(W2, A1) + b2)))
        Y = self.Y
        cost = -mg.mean(Y * mg.log(A2) + (1.0 - Y) * mg.log(1.0 - A2))
        cost.backward()
        self.p = [mg.tensor(w.data - self.lr * w.grad) for w in self.p]
        return float(cost.item())

    def parameters(self) -> Params:
        return {n: np.array(w.data, copy=True) for n, w in zip(NAMES, self.p, strict=True)}


# ------------------------------------------------------------------------------ HIPS autograd


class HipsAutograd(Peer):
    """HIPS autograd: ``value_and_grad`` of the cost written with ``autograd.numpy``."""

    name = "autograd (HIPS)"
    package = "autograd"
    module = "autograd"

    def __init__(self, X: Array, Y: Array, params: Params, lr: float) -> None:
        import autograd
        import autograd.numpy as anp

        self.lr = lr
        X = np.ascontiguousarray(X, dtype=np.float64)
        Y = np.ascontiguousarray(Y, dtype=np.float64)

        def cost(p: list[Any]) -> Any:
            W1, b1, W2, b2 = p
            A1 = anp.tanh(anp.dot(W1, X) + b1)
            A2 = 1.0 / (1.0 + anp.exp(-(anp.dot(W2, A1) + b2)))
            return -anp.mean(Y * anp.log(A2) + (1.0 - Y) * anp.log(1.0 - A2))

        self.value_and_grad = autograd.value_and_grad(cost)
        self.p = [np.array(params[n], dtype=np.float64) for n in NAMES]

    def step(self) -> float:
        c, g = self.value_and_grad(self.p)
        self.p = [w - self.lr * gw for w, gw in zip(self.p, g, strict=True)]
        return float(c)

    def parameters(self) -> Params:
        return {n: w.copy() for n, w in zip(NAMES, self.p, strict=True)}


# ------------------------------------------------------------------------------------ micrograd


def _unary(v: Any, value: float, slope: float, op: str) -> Any:
    """A new micrograd node f(v) = value with f'(v) = slope (how micrograd is extended)."""
    out = type(v)(value, (v,), op)

    def _backward() -> None:
        v.grad += slope * out.grad

    out._backward = _backward
    return out


class Micrograd(Peer):
    """micrograd's scalar ``Value`` graph, one node per multiply, add and nonlinearity.

    micrograd has no tanh, exp or log, so they are added as nodes with their derivative, as
    its own operations are written: tanh' = 1 − tanh², σ' = σ(1 − σ), log' = 1/x. Every
    example is a separate set of scalar nodes, so it runs at size S only.
    """

    name = "micrograd"
    package = "micrograd"
    module = "micrograd.engine"
    sizes = ("S",)

    def __init__(self, X: Array, Y: Array, params: Params, lr: float) -> None:
        from micrograd.engine import Value

        self.lr = lr
        self.X = [[float(x) for x in row] for row in np.asarray(X, dtype=np.float64).T]
        self.Y = [float(y) for y in np.asarray(Y, dtype=np.float64).ravel()]
        self.shapes = {n: np.shape(params[n]) for n in NAMES}
        self.p = {
            n: [Value(float(x)) for x in np.asarray(params[n], dtype=np.float64).ravel()]
            for n in NAMES
        }
        # The sum over m examples is a chain m additions deep; micrograd's topological sort
        # recurses along it.
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 20 * len(self.Y) + 1000))

    def step(self) -> float:
        W1, b1, W2, b2 = (self.p[n] for n in NAMES)
        n_h, n_x = self.shapes["W1"]
        total = None
        for x, y in zip(self.X, self.Y, strict=True):
            z2 = b2[0]
            for j in range(n_h):
                z1 = b1[j]
                for k in range(n_x):
                    z1 = z1 + W1[j * n_x + k] * x[k]
                t = math.tanh(z1.data)
                z2 = z2 + W2[j] * _unary(z1, t, 1.0 - t * t, "tanh")
            e = math.exp(-abs(z2.data))  # σ without overflow on either side
            s = 1.0 / (1.0 + e) if z2.data >= 0 else e / (1.0 + e)
            a = _unary(z2, s, s * (1.0 - s), "sigmoid")
            one_minus_a = 1.0 - a
            term = y * _unary(a, math.log(a.data), 1.0 / a.data, "log") + (1.0 - y) * _unary(
                one_minus_a, math.log(one_minus_a.data), 1.0 / one_minus_a.data, "log"
            )
            total = term if total is None else total + term
        assert total is not None
        cost = total * (-1.0 / len(self.Y))
        for values in self.p.values():
            for v in values:
                v.grad = 0.0
        cost.backward()
        for values in self.p.values():
            for v in values:
                v.data -= self.lr * v.grad
        return float(cost.data)

    def parameters(self) -> Params:
        return {
            n: np.array([v.data for v in self.p[n]], dtype=np.float64).reshape(self.shapes[n])
            for n in NAMES
        }


PEERS: dict[str, type[Peer]] = {
    cls.name: cls
    for cls in (JaxJit, TorchEager, TorchCompiled, MyGradStep, HipsAutograd, Micrograd)
}
