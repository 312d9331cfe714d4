"""Gradient checks of a Module's parameters: gradcheck_module, the course's gradient_difference."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .engine import grad
from .finite_diff import compare_gradient, numerical_grad
from .tensor import Tensor

__all__ = ["gradcheck_module", "gradient_difference", "relative_difference"]


def relative_difference(analytic: Any, numeric: Any) -> float:
    r"""The course's one-number check: ‖g − ĝ‖₂ / (‖g‖₂ + ‖ĝ‖₂).

    g and ĝ are all the gradients flattened (row by row) and concatenated in order, as the
    course's ``dictionary_to_vector`` lays out W1, b1, W2, b2, ... The course calls a
    difference below 2·10⁻⁷ (at ε = 10⁻⁷) a correct backward pass; a wrong one gives a
    difference of order 1.

    Args:
        analytic: g: an array, a Tensor, or a sequence of them.
        numeric: ĝ: the same number of elements, laid out the same way.

    Returns:
        The difference, in [0, 1]; 0.0 when both are exactly zero.

    Raises:
        ValueError: the two hold different numbers of elements.

    Example:
        >>> g = [np.array([[0.0, 3.0]]), np.array([4.0])]  # W (1, 2) and b (1,), flattened
        >>> relative_difference(g, np.array([0.0, 4.0, 3.0]))  # ‖(0, −1, 1)‖ / (5 + 5)
        0.1414213562373095
    """
    g, h = _flat(analytic), _flat(numeric)
    if g.size != h.size:
        raise ValueError(f"relative_difference: {g.size} analytic values but {h.size} numeric")
    denominator = np.linalg.norm(g) + np.linalg.norm(h)
    return float(np.linalg.norm(g - h) / denominator) if denominator > 0 else 0.0


def _flat(values: Any) -> np.ndarray:
    parts = [values] if isinstance(values, (np.ndarray, Tensor)) else list(values)
    arrays = [
        np.asarray(p.detach().data if isinstance(p, Tensor) else p, np.float64) for p in parts
    ]
    return np.concatenate([a.reshape(-1) for a in arrays]) if arrays else np.zeros(0)


LossFn = Callable[..., Tensor]


class _ModuleProblem:
    """A module's trainable parameters, and its loss as a function of them."""

    def __init__(self, module: Any, loss_fn: LossFn, inputs: tuple[Any, ...], func: str) -> None:
        if not callable(getattr(module, "named_parameters", None)):
            raise TypeError(f"{func}: module must be a Module, got {type(module).__name__}")
        if not callable(loss_fn):
            raise TypeError(f"{func}: loss_fn must be callable, got {type(loss_fn).__name__}")
        self.func, self.module, self.loss_fn, self.inputs = func, module, loss_fn, inputs
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise ValueError(f"{func}: the module has no parameter that requires grad")
        for name, p in named:
            if p.dtype != np.float64:
                raise TypeError(
                    f"{func}: parameter {name!r} is {p.dtype}; finite differences need float64 "
                    "parameters (a step of 1e-6 is lost in float32 rounding)"
                )
        self.names = [n for n, _ in named]
        self.params: list[Tensor] = [p for _, p in named]

    def loss(self) -> Tensor:
        """loss_fn(module, *inputs), checked to be a one-element Tensor."""
        out = self.loss_fn(self.module, *self.inputs)
        if not isinstance(out, Tensor) or out.size != 1:
            got = type(out).__name__ if not isinstance(out, Tensor) else f"shape {out.shape}"
            raise TypeError(f"{self.func}: loss_fn must return a one-element Tensor, got {got}")
        return out

    def analytic(self) -> list[np.ndarray]:
        """Autograd's gradients (`engine.grad`: no `.grad` is written)."""
        out = self.loss()
        gs = grad(out, self.params, allow_unused=True) if out.requires_grad else ()
        if all(g is None for g in gs):
            raise ValueError(
                f"{self.func}: the loss does not depend on the module's parameters (does "
                "loss_fn read them through .data, .numpy() or detach()?)"
            )
        pairs = zip(self.params, gs, strict=True)
        return [np.zeros_like(p.data) if g is None else g.data.copy() for p, g in pairs]

    def numeric(self, eps: float) -> list[np.ndarray]:
        """Central differences, each parameter element moved in place by ±eps, then restored.

        Every parameter's array is put back as it was afterwards, even on error.
        """
        saved = [p.data.copy() for p in self.params]
        try:
            return [numerical_grad(self._value, p.data, eps) for p in self.params]
        finally:
            for p, data in zip(self.params, saved, strict=True):
                p.data[...] = data

    def _value(self) -> float:
        return float(self.loss().data.reshape(()))


def gradcheck_module(
    module: Any,
    loss_fn: LossFn,
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    nonfinite: str = "fail",
) -> bool:
    """Check autograd's gradient of a loss with respect to every parameter of a module.

    ``loss_fn(module, *inputs)`` must return a one-element Tensor, and may reach the
    parameters any way (the module's forward, its attributes, ``named_parameters()``).
    Autograd's gradient comes from `engine.grad`, so no ``.grad`` is written; the central
    differences move each element of the module's own parameters by ±eps in place, and every
    parameter is restored bit for bit afterwards, even on error. Each element's analytic
    derivative a and central difference n must satisfy |a − n| <= atol + rtol·|n|, and both
    must be finite, as in `gradcheck`. The loss must be deterministic: call ``module.eval()``
    first if it has dropout. Not for use while another thread trains the module.

    Args:
        module: the Module whose parameters (those that require grad) are checked, float64.
        loss_fn: ``loss_fn(module, *inputs) -> Tensor``, e.g.
            ``lambda net, X, Y: net.cost(X, Y)``.
        inputs: passed on to loss_fn.
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        nonfinite: "fail" or "skip", as in `gradcheck`.

    Returns:
        True when every gradient matches.

    Raises:
        GradcheckError: naming the parameter, the worst element's index, and both values.
        TypeError: not a module, a parameter that is not float64, or a loss that is not a
            one-element Tensor.
        ValueError: no parameter requires grad, or a bad `nonfinite`.
    """
    if nonfinite not in ("fail", "skip"):
        raise ValueError(f"gradcheck_module: nonfinite must be 'fail' or 'skip', got {nonfinite!r}")
    problem = _ModuleProblem(module, loss_fn, inputs, "gradcheck_module")
    analytic = problem.analytic()
    numeric = problem.numeric(eps)
    for name, p, a, n in zip(problem.names, problem.params, analytic, numeric, strict=True):
        compare_gradient(
            f"parameter {name!r}", p.data, a, n, atol, rtol, nonfinite, "gradcheck_module"
        )
    return True


def gradient_difference(
    module: Any,
    loss_fn: LossFn,
    *inputs: Any,
    eps: float = 1e-7,
    gradients: Mapping[str, Any] | None = None,
) -> float:
    r"""The course's gradient check of a module: one number, ‖g − ĝ‖₂ / (‖g‖₂ + ‖ĝ‖₂).

    g is autograd's gradient of ``loss_fn(module, *inputs)`` with respect to every trainable
    parameter (or the ``gradients`` given, to check a hand-derived backward pass); ĝ its
    central differences (J(θ + ε·e_i) − J(θ − ε·e_i)) / 2ε, one element of θ at a time. Both
    are laid out as the parameters come in ``named_parameters`` (W1, b1, W2, ... for the
    course's networks), each flattened row by row, and compared by `relative_difference`.
    The course calls a difference below 2·10⁻⁷ a pass at its ε = 10⁻⁷.

    The finite differences divide rounding errors of the loss by 2ε, so the number depends on
    the last bits of every J: to reproduce a published difference, compute J exactly as its
    code does (for example by running that code's NumPy forward pass on the Tensors the
    module's parameters are replaced with).

    Args:
        module: the Module whose parameters are checked (float64).
        loss_fn: ``loss_fn(module, *inputs) -> Tensor`` with one element.
        inputs: passed on to loss_fn.
        eps: the step ε.
        gradients: the gradient to check, by parameter name (default: autograd's).

    Returns:
        The difference (0.0 when both gradients are exactly zero).

    Raises:
        KeyError: ``gradients`` misses a parameter or names one the module lacks.
        ValueError: a given gradient has another shape than its parameter.
        TypeError: as `gradcheck_module`.
    """
    func = "gradient_difference"
    problem = _ModuleProblem(module, loss_fn, inputs, func)
    analytic = problem.analytic()
    if gradients is not None:
        missing = [n for n in problem.names if n not in gradients]
        unknown = sorted(set(gradients) - set(problem.names))
        if missing or unknown:
            raise KeyError(
                f"{func}: gradients must be given for exactly {problem.names}; missing "
                f"{missing}, unknown {unknown}"
            )
        analytic = []
        for name, leaf in zip(problem.names, problem.params, strict=True):
            g = gradients[name]
            g = np.asarray(g.detach().data if isinstance(g, Tensor) else g, dtype=np.float64)
            if g.shape != leaf.shape:
                raise ValueError(
                    f"{func}: the gradient of {name!r} has shape {g.shape}, the parameter "
                    f"{leaf.shape}"
                )
            analytic.append(g)
    return relative_difference(analytic, problem.numeric(eps))
