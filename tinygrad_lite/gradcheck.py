"""Finite-difference gradient checks in float64, of first and second order."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .engine import grad
from .tensor import Tensor

__all__ = [
    "GradcheckError",
    "GradcheckWarning",
    "gradcheck",
    "gradcheck_module",
    "gradgradcheck",
    "gradient_difference",
    "numerical_grad",
    "relative_difference",
]


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with central finite differences."""


class GradcheckWarning(UserWarning):
    """Elements were skipped because a derivative is not finite (`nonfinite="skip"`)."""


def _projected(fn: Callable[..., Tensor], args: list[Any], weights: np.ndarray | None) -> Any:
    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    return out, (out if weights is None else out * Tensor(weights))


def numerical_grad(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + eps) - f(x - eps)) / 2eps of a scalar f, element by element.

    `x` is perturbed in place, through its own indices (so a view of any memory layout, a
    transpose say, moves the elements f reads), and restored.
    """
    g = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        orig = x[index]
        x[index] = orig + eps
        hi = f()
        x[index] = orig - eps
        lo = f()
        x[index] = orig
        g[index] = (hi - lo) / (2.0 * eps)
    return g


def _float64_copies(inputs: tuple[Any, ...]) -> list[Any]:
    args: list[Any] = []
    for x in inputs:
        if isinstance(x, Tensor):
            data = x.data.astype(np.float64) if x.data.dtype.kind == "f" else x.data
            args.append(Tensor(data.copy(), requires_grad=x.requires_grad))
        else:
            args.append(x)
    return args


def _compare(
    what: str,
    x: np.ndarray,
    analytic: np.ndarray,
    numeric: np.ndarray,
    atol: float,
    rtol: float,
    nonfinite: str,
    func: str = "gradcheck",
) -> None:
    if analytic.shape != x.shape:
        raise GradcheckError(
            f"{func}: {what} has shape {x.shape} but its gradient has shape {analytic.shape}"
        )
    finite = np.isfinite(analytic) & np.isfinite(numeric)
    # written so that NaN anywhere counts as a mismatch: NaN <= tol is False
    close = np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric)
    if nonfinite == "skip":
        skipped = int(np.count_nonzero(~finite))
        if skipped:
            where = [tuple(int(j) for j in k) for k in np.argwhere(~finite)[:5]]
            warnings.warn(
                f"{func}: {what}: skipped {skipped} element(s) whose analytic or "
                f"numeric derivative is not finite, e.g. at {where}",
                GradcheckWarning,
                stacklevel=3,
            )
        close |= ~finite
    if not np.all(close):
        err = np.where(close, -np.inf, np.abs(analytic - numeric))
        err = np.nan_to_num(err, nan=np.inf, posinf=np.inf)
        k = np.unravel_index(int(np.argmax(err)), err.shape)
        raise GradcheckError(
            f"{func}: gradient of {what} (shape {x.shape}) is wrong at index "
            f"{tuple(int(j) for j in k)}: analytic {float(analytic[k])!r}, "
            f"numeric {float(numeric[k])!r} (atol={atol}, rtol={rtol})"
            + ("" if finite[k] else "; a non-finite derivative counts as wrong")
        )


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    nonfinite: str = "fail",
    raise_exception: bool = True,
) -> bool:
    """Check the analytic gradient of `fn` w.r.t. every input that requires grad.

    Inputs are copied to float64 leaves (float32 ones are cast up for the check). A non-scalar
    output is reduced to a scalar with fixed random weights w, so the check covers Jᵀw.
    The analytic value a and numeric value n of every element must satisfy
    |a - n| <= atol + rtol·|n|, and both must be finite.

    Args:
        fn: a function of the inputs that returns a Tensor.
        inputs: Tensors (checked if they require grad) and any other arguments.
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        seed: seed of the random projection weights.
        nonfinite: "fail" (default): a NaN or infinite derivative is a mismatch; "skip": such
            elements are skipped, reported with a `GradcheckWarning`, and the rest checked.
        raise_exception: if False, a mismatch returns False instead of raising.

    PyTorch's form `gradcheck(fn, (x, y))`, the inputs as one tuple, is accepted too.

    Returns:
        True when every gradient matches.

    Raises:
        GradcheckError: naming the input, the worst element's index, and both values.
    """
    try:
        return _gradcheck(fn, fn, _torch_form(inputs), eps, atol, rtol, seed, nonfinite)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _torch_form(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """The inputs, unpacked when given as PyTorch gives them: one tuple of them."""
    if len(inputs) == 1 and isinstance(inputs[0], tuple):
        return inputs[0]
    return inputs


def _gradcheck(
    fn: Callable[..., Tensor],
    numeric_fn: Callable[..., Tensor],
    inputs: tuple[Any, ...],
    eps: float,
    atol: float,
    rtol: float,
    seed: int,
    nonfinite: str,
) -> bool:
    """`gradcheck`, with the finite differences taken of `numeric_fn` (same values as `fn`)."""
    if nonfinite not in ("fail", "skip"):
        raise ValueError(f"gradcheck: nonfinite must be 'fail' or 'skip', got {nonfinite!r}")
    args = _float64_copies(inputs)
    checked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    out, _ = _projected(fn, args, None)
    weights = None
    if out.size != 1:
        weights = np.random.default_rng(seed).standard_normal(out.shape)
    _, loss = _projected(fn, args, weights)
    if loss.requires_grad:
        loss.sum().backward()

    def value() -> float:
        _, y = _projected(numeric_fn, args, weights)
        return float(np.sum(y.data))

    for i in checked:
        x = args[i]
        analytic = np.zeros_like(x.data) if x.grad is None else x.grad.data
        numeric = numerical_grad(value, x.data, eps)
        _compare(f"input {i}", x.data, analytic, numeric, atol, rtol, nonfinite)
    return True


def gradgradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives: the gradient of the first gradient, against finite differences.

    The first gradient (Jᵀw for fixed random weights w) is computed with `create_graph=True`
    and projected on fixed random directions u; `gradcheck` then compares the autograd
    gradient of that scalar, which differentiates the backward pass itself, with central
    differences of it, whose values come from first-order backward passes only (on arrays,
    recording no graph).

    Args:
        fn: a function of the inputs that returns a Tensor.
        inputs: Tensors (checked if they require grad) and any other arguments.
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        seed: seed of the random projections.
        raise_exception: if False, a mismatch returns False instead of raising.

    PyTorch's form `gradgradcheck(fn, (x, y))`, the inputs as one tuple, is accepted too.

    Returns:
        True when every second derivative matches.
    """
    inputs = _torch_form(inputs)
    rng = np.random.default_rng(seed + 1)
    directions: dict[int, np.ndarray] = {}
    weights: list[np.ndarray | None] = [None]

    def direction(k: int, t: Tensor) -> np.ndarray:
        if k not in directions:
            directions[k] = rng.standard_normal(t.shape)
        return directions[k]

    def first_gradient(*xs: Any, record: bool = True) -> Tensor:
        ts = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        out = fn(*xs)
        if weights[0] is None:
            weights[0] = rng.standard_normal(out.shape)
        total = (out * Tensor(weights[0])).sum()
        gs = grad(total, ts, create_graph=record, allow_unused=True)
        if not record:
            # A value for the finite differences: a first-order backward on arrays suffices,
            # and it adds the same terms in the same order as the recorded sum below.
            value = 0.0
            for k, (t, g) in enumerate(zip(ts, gs, strict=True)):
                if g is not None:
                    value += float(np.sum(g.data * direction(k, t)))
            return Tensor(value)
        result = sum(((t * 0.0).sum() for t in ts), Tensor(0.0))  # keeps every input in the graph
        for k, (t, g) in enumerate(zip(ts, gs, strict=True)):
            if g is not None:
                result = result + (g * Tensor(direction(k, t))).sum()
        return result

    def first_gradient_value(*xs: Any) -> Tensor:
        return first_gradient(*xs, record=False)

    try:
        return _gradcheck(
            first_gradient, first_gradient_value, inputs, eps, atol, rtol, seed, nonfinite="fail"
        )
    except GradcheckError:
        if raise_exception:
            raise
        return False


# ------------------------------------------------------------------------------ modules


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
        _compare(f"parameter {name!r}", p.data, a, n, atol, rtol, nonfinite, "gradcheck_module")
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
