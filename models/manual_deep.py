"""The course's L-layer network, built step by step and derived by hand in plain NumPy.

This is the independent reference that deep networks declared with the library are checked
against, so, like ``models/manual.py``, it imports nothing from ``tinygrad_lite``. Examples are
columns: X is (n_x, m), Y is (1, m). Layer l has W_l of shape (n_l, n_{l−1}) and b_l of shape
(n_l, 1); the hidden layers use ReLU (or tanh) and the output layer a sigmoid:

    Z_l = W_l·A_{l−1} + b_l,  A_l = g(Z_l),  A_0 = X,  A_L = σ(Z_L) the probability of class 1.

The course's functions keep their names and their order of work, with these corrections
(``predict`` takes ``(parameters, X)`` as in ``models/manual.py`` and prints nothing):

- ``L_model_backward`` starts from dZ_L = A_L − Y, the sigmoid and the cross-entropy derived
  together, instead of dA_L = −(Y/A_L − (1 − Y)/(1 − A_L)) followed by σ'(Z_L): that form
  divides by zero once the output saturates (A_L rounds to 0 or 1) and rounds badly near it.
- ``compute_cost`` takes the log of the probability of the true label, which equals
  Y·log A_L + (1 − Y)·log(1 − A_L) bit for bit for Y in {0, 1}, but gives 0 instead of
  0·log 0 = nan for a saturated, correct prediction.
- Each cache also records its activation's name, so that the backward pass cannot use another
  activation than the forward pass did; the grads also hold dZ_l, for comparisons.
- Nothing is global: random draws come from a ``RandomState(seed)``, whose stream is the one
  the course's ``np.random.seed(seed)`` gives, so the course's numbers are reproduced exactly.

The forward pass computes what the course computes, operation for operation (σ(z) is
1 / (1 + e^(−z)), with the overflow of e^(−z) for z < −709 silenced as it rounds to the right
limit 0), so that its published numbers are reproduced to the last bit. Note that the course's
dA_l and dZ_l are m times the gradients of the cost J (the gradients of the summed loss); its
dW_l and db_l are the gradients of J. The course's gradient check and the optimisation
notebook's helpers (mini-batches, momentum, Adam, learning-rate decay) are in
``models/manual_optim.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "L_layer_model",
    "L_model_backward",
    "L_model_forward",
    "compute_cost",
    "initialize_parameters_deep",
    "linear_activation_backward",
    "linear_activation_forward",
    "linear_backward",
    "linear_forward",
    "predict",
    "sigmoid",
    "update_parameters",
]

Array = NDArray[np.float64]
Parameters = dict[str, Array]
LinearCache = tuple[Array, Array, Array]
Cache = tuple[LinearCache, tuple[Array, str]]

HIDDEN = ("relu", "tanh")
ACTIVATIONS = ("relu", "tanh", "sigmoid")
INITS = ("small", "zeros", "random", "he")


def _check_choice(name: str, value: object, choices: Sequence[str], func: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{func}: {name} must be one of {list(choices)}, got {value!r}")
    return value


def _check_layer_dims(layer_dims: Sequence[int], func: str) -> list[int]:
    dims = list(layer_dims)
    if len(dims) < 2:
        raise ValueError(f"{func}: layer_dims needs at least 2 sizes (n_x, n_y), got {dims}")
    for n in dims:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{func}: layer_dims must hold ints >= 1, got {dims}")
    return [int(n) for n in dims]


def _num_layers(parameters: Parameters, func: str) -> int:
    """L, after checking that W1, b1, ..., WL, bL are all there and fit together."""
    L = len(parameters) // 2
    expected = {f"{p}{k}" for k in range(1, L + 1) for p in "Wb"}
    if L < 1 or set(parameters) != expected:
        raise ValueError(
            f"{func}: parameters must be W1, b1, ..., WL, bL; got {sorted(parameters)}"
        )
    previous = None
    for k in range(1, L + 1):
        W, b = np.shape(parameters[f"W{k}"]), np.shape(parameters[f"b{k}"])
        if len(W) != 2 or b != (W[0], 1) or (previous is not None and W[1] != previous[0]):
            after = "" if previous is None else f" after W{k - 1} {previous}"
            raise ValueError(f"{func}: W{k} {W} and b{k} {b} do not fit together{after}")
        previous = W
    return L


def _labels(Y: object, m: int, func: str) -> Array:
    """Y as a float64 (1, m) array of 0s and 1s; the course also passes Y of shape (m,)."""
    Y = np.asarray(Y, dtype=np.float64)
    if Y.shape not in ((1, m), (m,)):
        raise ValueError(f"{func}: Y must have shape (1, {m}) or ({m},), got {Y.shape}")
    if not ((Y == 0.0) | (Y == 1.0)).all():
        raise ValueError(f"{func}: Y must hold only 0 and 1, got {np.unique(Y)[:5].tolist()}")
    return Y.reshape(1, m)


def sigmoid(Z: Array) -> Array:
    """σ(z) = 1 / (1 + e^(−z)), elementwise, exactly as the course evaluates it.

    For z < −709, e^(−z) overflows to inf and σ(z) rounds to 0, the correct limit (the true
    value is below 1e−308); the overflow warning is silenced.
    """
    with np.errstate(over="ignore", under="ignore"):
        return 1.0 / (1.0 + np.exp(-Z))


def _activate(Z: Array, activation: str) -> Array:
    if activation == "relu":
        return np.maximum(0, Z)
    if activation == "tanh":
        return np.tanh(Z)
    return sigmoid(Z)


def initialize_parameters_deep(
    layer_dims: Sequence[int], init: str = "small", seed: int = 3
) -> Parameters:
    """Weights for every layer, drawn layer by layer; biases zero.

    With rs = np.random.RandomState(seed), for l = 1, ..., L in turn,
    W_l = rs.randn(n_l, n_{l−1})·scale where scale is 0.01 for ``"small"`` (the step-by-step
    notebook), 10 for ``"random"`` and √(2 / n_{l−1}) for ``"he"`` (the initialisation notebook);
    ``"zeros"`` draws nothing and gives W_l = 0. With seed 3 these are the course's values.

    Args:
        layer_dims: [n_x, n_1, ..., n_L], the size of every layer, input included.
        init: "small", "zeros", "random" or "he".
        seed: Seed of the legacy ``RandomState``.

    Returns:
        ``{"W1": (n_1, n_x), "b1": (n_1, 1), ..., "WL": (n_L, n_{L−1}), "bL": (n_L, 1)}``.

    Raises:
        ValueError: If layer_dims has fewer than 2 sizes or one below 1, or init is unknown.
    """
    func = "initialize_parameters_deep"
    dims = _check_layer_dims(layer_dims, func)
    init = _check_choice("init", init, INITS, func)
    rs = np.random.RandomState(seed)
    parameters: Parameters = {}
    for k in range(1, len(dims)):
        shape = (dims[k], dims[k - 1])
        if init == "zeros":
            parameters[f"W{k}"] = np.zeros(shape)
        elif init == "small":
            parameters[f"W{k}"] = rs.randn(*shape) * 0.01
        elif init == "random":
            parameters[f"W{k}"] = rs.randn(*shape) * 10.0
        else:
            parameters[f"W{k}"] = rs.randn(*shape) * np.sqrt(2.0 / dims[k - 1])
        parameters[f"b{k}"] = np.zeros((dims[k], 1))
    return parameters


def linear_forward(A: Array, W: Array, b: Array) -> tuple[Array, LinearCache]:
    """Z = W·A + b.

    Args:
        A: Activations of the previous layer (or X), shape (n_{l−1}, m).
        W: Weights, shape (n_l, n_{l−1}).
        b: Biases, shape (n_l, 1).

    Returns:
        ``(Z, (A, W, b))``: Z of shape (n_l, m) and the linear cache.

    Raises:
        ValueError: If the shapes do not fit together.
    """
    shape_A, shape_W, shape_b = np.shape(A), np.shape(W), np.shape(b)
    if len(shape_A) != 2 or len(shape_W) != 2 or shape_b != (shape_W[0], 1):
        raise ValueError(f"linear_forward: A {shape_A}, W {shape_W}, b {shape_b}")
    if shape_W[1] != shape_A[0]:
        raise ValueError(f"linear_forward: W {shape_W} does not fit A {shape_A}")
    return np.dot(W, A) + b, (A, W, b)


def linear_activation_forward(
    A_prev: Array, W: Array, b: Array, activation: str
) -> tuple[Array, Cache]:
    """A = g(W·A_prev + b) with g the ReLU max(0, z), tanh or the sigmoid σ.

    Args:
        A_prev: Activations of the previous layer (or X), shape (n_{l−1}, m).
        W: Weights, shape (n_l, n_{l−1}).
        b: Biases, shape (n_l, 1).
        activation: "relu", "tanh" or "sigmoid".

    Returns:
        ``(A, cache)`` with ``cache = ((A_prev, W, b), (Z, activation))``.

    Raises:
        ValueError: If the shapes do not fit or the activation is unknown.
    """
    activation = _check_choice("activation", activation, ACTIVATIONS, "linear_activation_forward")
    Z, linear_cache = linear_forward(A_prev, W, b)
    return _activate(Z, activation), (linear_cache, (Z, activation))


def L_model_forward(
    X: Array, parameters: Parameters, hidden: str = "relu"
) -> tuple[Array, list[Cache]]:
    """The forward pass: [LINEAR → hidden] × (L − 1), then LINEAR → SIGMOID.

    Args:
        X: Inputs of shape (n_x, m).
        parameters: W1, b1, ..., WL, bL.
        hidden: The hidden layers' activation, "relu" or "tanh".

    Returns:
        ``(AL, caches)``: AL of shape (n_L, m) and the L caches of
        ``linear_activation_forward``, layer 1 first.

    Raises:
        ValueError: If the parameters do not fit together or X, or hidden is unknown.
    """
    func = "L_model_forward"
    hidden = _check_choice("hidden", hidden, HIDDEN, func)
    L = _num_layers(parameters, func)
    A = np.asarray(X, dtype=np.float64)
    caches = []
    for k in range(1, L + 1):
        activation = hidden if k < L else "sigmoid"
        A, cache = linear_activation_forward(
            A, parameters[f"W{k}"], parameters[f"b{k}"], activation
        )
        caches.append(cache)
    return A, caches


def compute_cost(AL: Array, Y: Array) -> float:
    """The cross-entropy cost J = −(1/m) Σ_i [y_i·log a_i + (1 − y_i)·log(1 − a_i)].

    Computed as (1/m)·Σ_i −log p_i with p_i = a_i where y_i = 1 and 1 − a_i where y_i = 0, which
    is bit for bit the course's value for labels in {0, 1}. A prediction of exactly 0 for the
    true label gives J = inf, as it does in the course.

    Args:
        AL: Predicted probabilities of class 1, shape (1, m).
        Y: Labels, shape (1, m) or (m,), values in {0, 1}.

    Returns:
        J as a Python float.

    Raises:
        ValueError: If AL is not (1, m) or Y does not fit it or holds other values.
    """
    AL = np.asarray(AL, dtype=np.float64)
    if AL.ndim != 2 or AL.shape[0] != 1:
        raise ValueError(f"compute_cost: AL must have shape (1, m), got {AL.shape}")
    m = AL.shape[1]
    Y = _labels(Y, m, "compute_cost")
    with np.errstate(divide="ignore"):
        logprobs = -np.log(np.where(Y == 1.0, AL, 1.0 - AL))
    return float(1.0 / m * np.sum(logprobs))


def linear_backward(dZ: Array, cache: LinearCache) -> tuple[Array, Array, Array]:
    """The linear part of a layer's backward pass.

    With m = A_prev.shape[1]: dW = (1/m)·dZ·A_prevᵀ, db = (1/m)·Σ_columns dZ, dA_prev = Wᵀ·dZ.

    Args:
        dZ: The course's gradient with respect to Z (m ∂J/∂Z), shape (n_l, m).
        cache: ``(A_prev, W, b)`` from the forward pass.

    Returns:
        ``(dA_prev, dW, db)`` with the shapes of A_prev, W and b.

    Raises:
        ValueError: If dZ does not have the shape of W·A_prev.
    """
    A_prev, W, _ = cache
    m = A_prev.shape[1]
    if dZ.shape != (W.shape[0], m):
        raise ValueError(f"linear_backward: dZ {dZ.shape} must be {(W.shape[0], m)}")
    dW = 1.0 / m * np.dot(dZ, A_prev.T)
    db = 1.0 / m * np.sum(dZ, axis=1, keepdims=True)
    return np.dot(W.T, dZ), dW, db


def _activation_backward(dA: Array, Z: Array, activation: str) -> Array:
    """The course's dZ = dA ⊙ g'(Z): relu' = [z > 0], tanh' = 1 − tanh², σ' = σ(1 − σ)."""
    if activation == "relu":
        return np.where(Z > 0, dA, 0.0)
    if activation == "tanh":
        return dA * (1.0 - np.tanh(Z) ** 2)
    s = sigmoid(Z)
    return dA * s * (1.0 - s)


def linear_activation_backward(
    dA: Array, cache: Cache, activation: str | None = None
) -> tuple[Array, Array, Array]:
    """A whole layer's backward pass: dZ = dA ⊙ g'(Z), then ``linear_backward``.

    Args:
        dA: The course's gradient with respect to this layer's output A (m ∂J/∂A).
        cache: ``((A_prev, W, b), (Z, activation))`` from ``linear_activation_forward``.
        activation: The layer's activation; the cache's by default. Given, it must be the same.

    Returns:
        ``(dA_prev, dW, db)``.

    Raises:
        ValueError: If the activation differs from the forward pass's or dA has not the shape
            of Z.
    """
    linear_cache, (Z, used) = cache
    if activation is not None and activation != used:
        raise ValueError(
            f"linear_activation_backward: activation {activation!r} but the forward pass used "
            f"{used!r}"
        )
    if np.shape(dA) != Z.shape:
        raise ValueError(f"linear_activation_backward: dA {np.shape(dA)} must be Z's {Z.shape}")
    return linear_backward(_activation_backward(dA, Z, used), linear_cache)


def L_model_backward(AL: Array, Y: Array, caches: list[Cache]) -> Parameters:
    """Gradients of the cost J with respect to every W_l, b_l, derived by hand.

    dZ_L = A_L − Y (sigmoid and cross-entropy together); then for l = L, ..., 1:
    dW_l = (1/m)·dZ_l·A_{l−1}ᵀ, db_l = (1/m)·Σ_columns dZ_l, dA_{l−1} = W_lᵀ·dZ_l and
    dZ_{l−1} = dA_{l−1} ⊙ g'(Z_{l−1}).

    Args:
        AL: The output of ``L_model_forward``, shape (1, m).
        Y: Labels, shape (1, m) or (m,), values in {0, 1}.
        caches: The caches of ``L_model_forward``.

    Returns:
        ``{"dW1", "db1", ..., "dWL", "dbL"}`` (the gradients of J, with their parameters'
        shapes), and the course's ``"dA0", ..., "dA{L−1}"`` and ``"dZ1", ..., "dZL"``
        (m times the gradients of J with respect to A_l and Z_l).

    Raises:
        ValueError: If AL is not (1, m), Y does not fit it, or the caches are empty.
    """
    AL = np.asarray(AL, dtype=np.float64)
    if AL.ndim != 2 or AL.shape[0] != 1 or not caches:
        raise ValueError(f"L_model_backward: AL must be (1, m), got {AL.shape}, with caches")
    Y = _labels(Y, AL.shape[1], "L_model_backward")
    if caches[-1][1][1] != "sigmoid":
        raise ValueError(
            f"L_model_backward: the output layer must be a sigmoid, got {caches[-1][1][1]!r}"
        )
    grads: Parameters = {}
    L = len(caches)
    dZ = AL - Y
    for k in range(L, 0, -1):
        linear_cache, (Z, activation) = caches[k - 1]
        if k < L:
            dZ = _activation_backward(grads[f"dA{k}"], Z, activation)
        grads[f"dZ{k}"] = dZ
        grads[f"dA{k - 1}"], grads[f"dW{k}"], grads[f"db{k}"] = linear_backward(dZ, linear_cache)
    return grads


def update_parameters(
    parameters: Parameters, grads: Parameters, learning_rate: float
) -> Parameters:
    """One gradient-descent step: W_l ← W_l − α·dW_l, b_l ← b_l − α·db_l for every layer.

    Args:
        parameters: W1, b1, ..., WL, bL.
        grads: dW1, db1, ..., dWL, dbL with the parameters' shapes (other keys are ignored).
        learning_rate: The step size α.

    Returns:
        A new dict of new arrays; the arrays passed in are left unchanged.

    Raises:
        ValueError: If a gradient is missing or its shape differs from its parameter's.
    """
    updated: Parameters = {}
    for name, value in parameters.items():
        grad = grads.get("d" + name)
        if grad is None or np.shape(grad) != np.shape(value):
            shape = None if grad is None else np.shape(grad)
            raise ValueError(
                f"update_parameters: d{name} is {shape}; expected the shape of {name}, "
                f"{np.shape(value)}"
            )
        updated[name] = value - learning_rate * grad
    return updated


def predict(parameters: Parameters, X: Array, hidden: str = "relu") -> Array:
    """Class predictions: 1 where A_L > 0.5, else 0.

    Args:
        parameters: W1, b1, ..., WL, bL.
        X: Inputs of shape (n_x, m).
        hidden: The hidden layers' activation, "relu" or "tanh".

    Returns:
        float64 array of shape (1, m) holding 0.0 and 1.0.

    Raises:
        ValueError: As ``L_model_forward``.
    """
    AL, _ = L_model_forward(X, parameters, hidden)
    return (AL > 0.5).astype(np.float64)


def L_layer_model(
    X: Array,
    Y: Array,
    layer_dims: Sequence[int],
    learning_rate: float = 0.0075,
    num_iterations: int = 3000,
    print_cost: bool = False,
    hidden: str = "relu",
    init: str = "small",
    seed: int = 3,
    print_every: int = 100,
) -> tuple[Parameters, list[float]]:
    """Train the L-layer network by full-batch gradient descent.

    Each iteration runs ``L_model_forward``, records J, runs ``L_model_backward`` and takes one
    step θ ← θ − α·dθ, from ``initialize_parameters_deep(layer_dims, init, seed)``.

    Args:
        X: Inputs of shape (n_x, m), n_x = layer_dims[0].
        Y: Labels of shape (1, m), values in {0, 1}.
        layer_dims: [n_x, n_1, ..., n_L] with n_L = 1.
        learning_rate: The step size α, finite and > 0.
        num_iterations: Number of steps, >= 0.
        print_cost: Whether to print ``Cost after iteration i: J`` every ``print_every``
            iterations (from iteration 0), as the course does.
        hidden: The hidden layers' activation, "relu" or "tanh".
        init: The initialisation, as in ``initialize_parameters_deep``.
        seed: Seed of the initialisation.
        print_every: How often to print, in iterations, >= 1.

    Returns:
        ``(parameters, costs)``: the trained parameters and the cost before each step.

    Raises:
        ValueError: If an argument is out of range or the shapes do not fit.
    """
    func = "L_layer_model"
    if not (isinstance(num_iterations, int) and num_iterations >= 0):
        raise ValueError(f"{func}: num_iterations must be an int >= 0, got {num_iterations!r}")
    if not (isinstance(print_every, int) and print_every >= 1):
        raise ValueError(f"{func}: print_every must be an int >= 1, got {print_every!r}")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"{func}: learning_rate must be finite and > 0, got {learning_rate!r}")
    parameters = initialize_parameters_deep(layer_dims, init, seed)
    costs: list[float] = []
    for i in range(num_iterations):
        AL, caches = L_model_forward(X, parameters, hidden)
        cost = compute_cost(AL, Y)
        costs.append(cost)
        parameters = update_parameters(parameters, L_model_backward(AL, Y, caches), learning_rate)
        if print_cost and i % print_every == 0:
            print(f"Cost after iteration {i}: {cost}")
    return parameters, costs
