"""The tutorial's one-hidden-layer planar classifier, derived by hand in plain NumPy.

This is the independent reference that the autograd library is checked against, so it imports
nothing from ``tinygrad_lite``. The network is 2 → n_h (tanh) → 1 (sigmoid), trained by full-batch
gradient descent on the cross-entropy cost, with examples as columns: X is (n_x, m), Y is (1, m).

Relative to the original tutorial code, the following bugs are fixed:

- ``compute_cost`` summed a ``logprobs`` that was never defined; here the per-example log
  likelihood is computed before it is summed.
- ``backward_propagation`` read ``X``, ``Y``, ``m`` and ``learning_rate`` from globals and updated
  the weights inside the gradient function; here it takes everything it needs as arguments,
  takes ``m`` from ``X``, and only returns the gradients. The step is ``update_parameters``.
- The training loop called ``forward_propagation`` and ``backward_propagation`` while the
  definitions were named ``forward_prop`` and ``back_propagate``; the names now agree.

Two numerical details differ in form but not in value: the sigmoid is evaluated through
exp(−|z|) so that no large |z| overflows, and the cost takes the log of the probability of the
true label, which equals Y·log A2 + (1 − Y)·log(1 − A2) for Y in {0, 1} without turning a
saturated but correct prediction into 0·log 0 = nan. Nothing is global: every random draw
comes from a ``RandomState`` made from an explicit seed.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "backward_propagation",
    "compute_cost",
    "forward_propagation",
    "initialize_parameters",
    "layer_sizes",
    "nn_model",
    "predict",
    "update_parameters",
]

Array = NDArray[np.float64]
Parameters = dict[str, Array]

_PARAMETER_NAMES = ("W1", "b1", "W2", "b2")


def _check_positive_int(name: str, value: object, func: str) -> int:
    """Return ``value`` as an int, or raise if it is not an integer ``>= 1``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{func}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{func}: {name} must be >= 1, got {value}")
    return int(value)


def _as_X(X: object, func: str) -> Array:
    """X as a float64 array of shape (n_x, m) with n_x, m >= 1."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(
            f"{func}: X must be 2-D with shape (n_x, m), n_x >= 1 and m >= 1, got shape {X.shape}"
        )
    return X


def _as_XY(X: object, Y: object, func: str) -> tuple[Array, Array]:
    """X as (n_x, m) and Y as (1, m), both float64, with Y in {0, 1}."""
    X = _as_X(X, func)
    Y = np.asarray(Y, dtype=np.float64)
    m = X.shape[1]
    if Y.shape != (1, m):
        raise ValueError(
            f"{func}: Y must have shape (1, m) = (1, {m}) to match X of shape {X.shape}, "
            f"got shape {Y.shape}"
        )
    bad = ~((Y == 0.0) | (Y == 1.0))
    if bad.any():
        raise ValueError(
            f"{func}: Y must hold only 0 and 1, got {np.unique(Y[bad])[:5].tolist()} "
            f"(Y has shape {Y.shape})"
        )
    return X, Y


def _check_parameters(parameters: Parameters, n_x: int, func: str) -> tuple[int, int]:
    """Check W1, b1, W2, b2 fit together and take n_x inputs; return (n_h, n_y)."""
    missing = [name for name in _PARAMETER_NAMES if name not in parameters]
    if missing:
        raise ValueError(f"{func}: parameters lack {missing}; got keys {sorted(parameters)}")
    W1, b1, W2, b2 = (np.shape(parameters[name]) for name in _PARAMETER_NAMES)
    if len(W1) != 2 or len(W2) != 2:
        raise ValueError(f"{func}: W1 and W2 must be 2-D, got shapes {W1} and {W2}")
    n_h, n_y = W1[0], W2[0]
    expected = {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}
    actual = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    if actual != expected:
        raise ValueError(
            f"{func}: parameter shapes {actual} do not fit X with {n_x} features; expected "
            f"{expected}"
        )
    return n_h, n_y


def _sigmoid(z: Array) -> Array:
    """σ(z) = 1 / (1 + e^(−z)), evaluated through e^(−|z|) so it never overflows.

    For z >= 0 this is 1 / (1 + e^(−z)); for z < 0 the same value is written e^z / (1 + e^z).
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def layer_sizes(X: Array, Y: Array, n_h: int = 4) -> tuple[int, int, int]:
    """The sizes of the three layers: inputs, hidden units, outputs.

    Args:
        X: Inputs of shape (n_x, m).
        Y: Labels of shape (1, m), values in {0, 1}.
        n_h: Number of hidden units.

    Returns:
        ``(n_x, n_h, n_y)`` with n_x = X.shape[0] and n_y = Y.shape[0] (= 1).

    Raises:
        ValueError: If X or Y has the wrong shape, Y holds other values than 0 and 1, or
            n_h < 1.
    """
    X, Y = _as_XY(X, Y, "layer_sizes")
    n_h = _check_positive_int("n_h", n_h, "layer_sizes")
    return X.shape[0], n_h, Y.shape[0]


def initialize_parameters(n_x: int, n_h: int, n_y: int, seed: int = 2) -> Parameters:
    """Small random weights and zero biases, as in the tutorial.

    With rs = np.random.RandomState(seed): W1 = 0.01·rs.randn(n_h, n_x), then
    W2 = 0.01·rs.randn(n_y, n_h); b1 and b2 are zeros. With seed 2 these are the tutorial's
    values (it called np.random.seed(2), whose stream is the same).

    Args:
        n_x: Number of inputs.
        n_h: Number of hidden units.
        n_y: Number of outputs.
        seed: Seed of the legacy ``RandomState``.

    Returns:
        ``{"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}``, float64.

    Raises:
        ValueError: If a size is < 1.
    """
    func = "initialize_parameters"
    n_x = _check_positive_int("n_x", n_x, func)
    n_h = _check_positive_int("n_h", n_h, func)
    n_y = _check_positive_int("n_y", n_y, func)
    rs = np.random.RandomState(seed)
    W1 = rs.randn(n_h, n_x) * 0.01
    W2 = rs.randn(n_y, n_h) * 0.01
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}


def forward_propagation(X: Array, parameters: Parameters) -> tuple[Array, Parameters]:
    """The forward pass.

    Z1 = W1·X + b1, A1 = tanh(Z1), Z2 = W2·A1 + b2, A2 = σ(Z2) with σ(z) = 1 / (1 + e^(−z)).

    Args:
        X: Inputs of shape (n_x, m).
        parameters: W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1).

    Returns:
        ``(A2, cache)``: A2 of shape (n_y, m), the probability of class 1 for each example,
        and ``cache = {"Z1", "A1", "Z2", "A2"}`` for the backward pass.

    Raises:
        ValueError: If X is not 2-D or the parameter shapes do not fit X.
    """
    X = _as_X(X, "forward_propagation")
    _check_parameters(parameters, X.shape[0], "forward_propagation")
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    A2 = _sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost(A2: Array, Y: Array) -> float:
    """The cross-entropy cost.

    J = −(1/m) Σ_i [y_i·log a_i + (1 − y_i)·log(1 − a_i)], computed as −(1/m) Σ_i log p_i with
    p_i = a_i where y_i = 1 and 1 − a_i where y_i = 0 (the same value for labels in {0, 1}, but a
    confident correct prediction a_i = 0, y_i = 0 gives 0 rather than 0·log 0 = nan).

    Args:
        A2: Predicted probabilities of class 1, shape (1, m).
        Y: Labels, shape (1, m), values in {0, 1}.

    Returns:
        J as a Python float.

    Raises:
        ValueError: If A2 and Y do not both have shape (1, m), or Y holds other values.
    """
    A2 = np.asarray(A2, dtype=np.float64)
    if A2.ndim != 2 or A2.shape[0] != 1:
        raise ValueError(f"compute_cost: A2 must have shape (1, m), got shape {A2.shape}")
    _, Y = _as_XY(A2, Y, "compute_cost")
    m = Y.shape[1]
    logprobs = np.log(np.where(Y == 1.0, A2, 1.0 - A2))
    return float(-np.sum(logprobs) / m)


def backward_propagation(
    parameters: Parameters, cache: Parameters, X: Array, Y: Array
) -> Parameters:
    """Gradients of the cost J with respect to W1, b1, W2, b2, derived by hand.

    With m = X.shape[1]:
    dZ2 = A2 − Y (sigmoid and cross-entropy together), dW2 = dZ2·A1ᵀ / m,
    db2 = Σ_columns dZ2 / m, dZ1 = W2ᵀ·dZ2 ⊙ (1 − A1²) (tanh' = 1 − tanh²),
    dW1 = dZ1·Xᵀ / m, db1 = Σ_columns dZ1 / m. The weights are not changed.

    Args:
        parameters: W1, b1, W2, b2 as used in the forward pass.
        cache: The forward pass's cache; A1 and A2 are used.
        X: Inputs of shape (n_x, m).
        Y: Labels of shape (1, m), values in {0, 1}.

    Returns:
        ``{"dW1", "db1", "dW2", "db2"}``, each with the shape of its parameter.

    Raises:
        ValueError: If X, Y, the parameters or the cache have shapes that do not fit.
    """
    func = "backward_propagation"
    X, Y = _as_XY(X, Y, func)
    n_h, n_y = _check_parameters(parameters, X.shape[0], func)
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    if A1.shape != (n_h, m) or A2.shape != (n_y, m):
        raise ValueError(
            f"{func}: cache has A1 {A1.shape} and A2 {A2.shape}; expected ({n_h}, {m}) and "
            f"({n_y}, {m}) for X of shape {X.shape}"
        )
    W2 = parameters["W2"]
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = (W2.T @ dZ2) * (1.0 - A1**2)
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(
    parameters: Parameters, grads: Parameters, learning_rate: float = 1.2
) -> Parameters:
    """One gradient-descent step: θ ← θ − α·dθ for θ in W1, b1, W2, b2.

    Args:
        parameters: W1, b1, W2, b2.
        grads: dW1, db1, dW2, db2, each with the shape of its parameter.
        learning_rate: The step size α.

    Returns:
        A new dict of new arrays; the arrays passed in are left unchanged.

    Raises:
        ValueError: If a gradient is missing or its shape differs from its parameter's.
    """
    updated: Parameters = {}
    for name in _PARAMETER_NAMES:
        grad = grads.get("d" + name)
        if grad is None:
            raise ValueError(f"update_parameters: grads lack 'd{name}'; got keys {sorted(grads)}")
        if np.shape(grad) != np.shape(parameters[name]):
            raise ValueError(
                f"update_parameters: d{name} has shape {np.shape(grad)} but {name} has shape "
                f"{np.shape(parameters[name])}"
            )
        updated[name] = parameters[name] - learning_rate * grad
    return updated


def predict(parameters: Parameters, X: Array) -> Array:
    """Class predictions: 1 where A2 > 0.5, else 0.

    Args:
        parameters: W1, b1, W2, b2.
        X: Inputs of shape (n_x, m).

    Returns:
        float64 array of shape (1, m) holding 0.0 and 1.0.

    Raises:
        ValueError: If X is not 2-D or the parameter shapes do not fit X.
    """
    A2, _ = forward_propagation(X, parameters)
    return (A2 > 0.5).astype(np.float64)


def nn_model(
    X: Array,
    Y: Array,
    n_h: int = 4,
    num_iterations: int = 10000,
    learning_rate: float = 1.2,
    print_cost: bool = False,
    seed: int = 2,
    print_every: int = 1000,
) -> tuple[Parameters, list[float]]:
    """Train the network by full-batch gradient descent.

    Each iteration runs the forward pass, records the cost J, computes the gradients and takes
    one step θ ← θ − α·dθ. The parameters start from ``initialize_parameters(..., seed)``.

    Args:
        X: Inputs of shape (n_x, m).
        Y: Labels of shape (1, m), values in {0, 1}.
        n_h: Number of hidden units.
        num_iterations: Number of gradient steps, >= 0.
        learning_rate: The step size α.
        print_cost: Whether to print ``Cost after iteration i: J`` every ``print_every``
            iterations (from iteration 0), as the tutorial does.
        seed: Seed of the initialisation.
        print_every: How often to print, in iterations.

    Returns:
        ``(parameters, costs)``: the trained parameters and the cost before each step
        (``len(costs) == num_iterations``), for plotting a cost curve.

    Raises:
        ValueError: If X or Y has the wrong shape, Y holds other values than 0 and 1, a count
            is out of range, or the learning rate is not a finite positive number.
    """
    func = "nn_model"
    X, Y = _as_XY(X, Y, func)
    if isinstance(num_iterations, bool) or not isinstance(num_iterations, (int, np.integer)):
        raise TypeError(f"{func}: num_iterations must be an int, got {num_iterations!r}")
    if num_iterations < 0:
        raise ValueError(f"{func}: num_iterations must be >= 0, got {num_iterations}")
    print_every = _check_positive_int("print_every", print_every, func)
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"{func}: learning_rate must be finite and > 0, got {learning_rate!r}")
    n_x, n_h, n_y = layer_sizes(X, Y, n_h)
    parameters = initialize_parameters(n_x, n_h, n_y, seed=seed)
    costs: list[float] = []
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        costs.append(cost)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads, learning_rate)
        if print_cost and i % print_every == 0:
            print(f"Cost after iteration {i}: {cost:.6f}")
    return parameters, costs
