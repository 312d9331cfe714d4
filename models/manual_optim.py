"""The course's gradient check and optimisation helpers for the L-layer network, in plain NumPy.

Like ``models/manual_deep.py`` (whose forward pass and cost the gradient check uses), this
imports nothing from ``tinygrad_lite``: it is the reference that the library's ``gradcheck``,
``data.random_mini_batches`` and optimizers are compared with. Parameters and gradients are
dicts of arrays named as in the course (W1, b1, ... and dW1, db1, ...); every update returns
new dicts and leaves the arrays passed in unchanged. Random draws come from a
``RandomState(seed)``, whose stream is the one the course's ``np.random.seed(seed)`` gives, so
the course's mini-batches are reproduced exactly without touching NumPy's global state.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence

import numpy as np

from .manual_deep import (
    Array,
    L_model_backward,
    L_model_forward,
    Parameters,
    _check_layer_dims,
    _num_layers,
    compute_cost,
    initialize_parameters_deep,
    predict,
    update_parameters,
)

__all__ = [
    "accuracy",
    "dictionary_to_vector",
    "gradient_check_n",
    "gradients_to_vector",
    "initialize_adam",
    "initialize_velocity",
    "model",
    "random_mini_batches",
    "schedule_lr_decay",
    "update_lr",
    "update_parameters_with_adam",
    "update_parameters_with_momentum",
    "vector_to_dictionary",
]

MiniBatch = tuple[Array, Array]


def dictionary_to_vector(parameters: Parameters) -> tuple[Array, list[str]]:
    """All parameters in one column θ: W1, b1, W2, b2, ..., each flattened row by row.

    Args:
        parameters: W1, b1, ..., WL, bL.

    Returns:
        ``(theta, keys)``: θ of shape (n, 1) and, for each of its n entries, the name of the
        parameter it comes from.

    Raises:
        ValueError: If the parameters are not W1, b1, ..., WL, bL fitting together.
    """
    L = _num_layers(parameters, "dictionary_to_vector")
    names = [f"{p}{k}" for k in range(1, L + 1) for p in "Wb"]
    theta = np.concatenate([np.reshape(parameters[name], (-1, 1)) for name in names])
    keys = [name for name in names for _ in range(np.size(parameters[name]))]
    return theta, keys


def vector_to_dictionary(theta: Array, layer_dims: Sequence[int] = (4, 5, 3, 1)) -> Parameters:
    """The inverse of ``dictionary_to_vector`` for a network of the given layer sizes.

    Args:
        theta: All parameters in one column, shape (n, 1).
        layer_dims: [n_x, n_1, ..., n_L]; the default is the course's gradient-checking network.

    Returns:
        W1, b1, ..., WL, bL, reshaped from consecutive slices of θ.

    Raises:
        ValueError: If θ does not hold exactly the network's number of parameters.
    """
    dims = _check_layer_dims(layer_dims, "vector_to_dictionary")
    sizes = [(dims[k], dims[k - 1]) for k in range(1, len(dims))]
    n = sum(rows * (cols + 1) for rows, cols in sizes)
    if np.shape(theta) != (n, 1):
        raise ValueError(
            f"vector_to_dictionary: theta {np.shape(theta)} must be ({n}, 1) for {dims}"
        )
    parameters: Parameters = {}
    start = 0
    for k, (rows, cols) in enumerate(sizes, start=1):
        parameters[f"W{k}"] = theta[start : start + rows * cols].reshape((rows, cols))
        start += rows * cols
        parameters[f"b{k}"] = theta[start : start + rows].reshape((rows, 1))
        start += rows
    return parameters


def gradients_to_vector(gradients: Parameters) -> Array:
    """dW1, db1, dW2, db2, ... in one column, in the order of ``dictionary_to_vector``.

    Args:
        gradients: dW1, db1, ..., dWL, dbL (other keys, such as dA or dZ, are ignored).

    Returns:
        The gradients flattened into shape (n, 1).

    Raises:
        ValueError: If a gradient is missing.
    """
    L = sum(1 for key in gradients if key.startswith("dW"))
    names = [f"d{p}{k}" for k in range(1, L + 1) for p in "Wb"]
    missing = [name for name in names if name not in gradients]
    if L == 0 or missing:
        raise ValueError(f"gradients_to_vector: missing {missing or ['dW1']}")
    return np.concatenate([np.reshape(gradients[name], (-1, 1)) for name in names])


def gradient_check_n(
    parameters: Parameters,
    gradients: Parameters,
    X: Array,
    Y: Array,
    epsilon: float = 1e-7,
    hidden: str = "relu",
    print_msg: bool = False,
) -> float:
    """The course's check of backprop against central differences of the cost.

    For each entry θ_i of ``dictionary_to_vector(parameters)``, J(θ ± ε e_i) is computed by
    ``L_model_forward`` and ``compute_cost``, and gradapprox_i = (J(θ + ε e_i) − J(θ − ε e_i))
    / 2ε. The result is the relative difference ‖g − ĝ‖ / (‖g‖ + ‖ĝ‖) between the gradient g
    and the approximation ĝ; the course calls a difference below 2e−7 a pass.

    Args:
        parameters: W1, b1, ..., WL, bL.
        gradients: dW1, db1, ..., dWL, dbL at those parameters.
        X: Inputs of shape (n_x, m).
        Y: Labels of shape (1, m) or (m,).
        epsilon: The step ε.
        hidden: The hidden layers' activation, "relu" or "tanh".
        print_msg: Whether to print the course's verdict with the difference.

    Returns:
        The difference (0.0 when both gradients are exactly zero).

    Raises:
        ValueError: If the gradients do not have the parameters' sizes, or as the forward pass.
    """
    theta, _ = dictionary_to_vector(parameters)
    grad = gradients_to_vector(gradients)
    if grad.shape != theta.shape:
        raise ValueError(f"gradient_check_n: {grad.shape[0]} gradients, {theta.shape[0]} values")
    dims = [parameters["W1"].shape[1]] + [
        parameters[f"W{k}"].shape[0] for k in range(1, len(parameters) // 2 + 1)
    ]
    gradapprox = np.zeros_like(theta)
    for i in range(theta.shape[0]):
        costs = []
        for step in (epsilon, -epsilon):
            shifted = np.copy(theta)
            shifted[i][0] = shifted[i][0] + step
            AL, _ = L_model_forward(X, vector_to_dictionary(shifted, dims), hidden)
            costs.append(compute_cost(AL, Y))
        gradapprox[i] = (costs[0] - costs[1]) / (2 * epsilon)
    numerator = np.linalg.norm(grad - gradapprox)
    denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)
    difference = float(numerator / denominator) if denominator > 0 else 0.0
    if print_msg:
        verdict = "There is a mistake in the backward propagation!"
        if difference <= 2e-7:
            verdict = "Your backward propagation works perfectly fine!"
        print(f"{verdict} difference = {difference}")
    return difference


# ------------------------------------------------------------------------ optimisation


# One legacy RandomState per thread, reseeded on every call (see `random_mini_batches`).
_local = threading.local()


def random_mini_batches(
    X: Array, Y: Array, mini_batch_size: int = 64, seed: int = 0
) -> list[MiniBatch]:
    """The course's mini-batches: shuffle the columns once, then cut them in order.

    With ``order = np.random.RandomState(seed).permutation(m)`` (the course's
    ``np.random.seed(seed); np.random.permutation(m)``), the shuffled X[:, order] and Y[:, order]
    are cut into ⌊m / size⌋ batches of ``mini_batch_size`` columns, then one last batch of the
    m mod size remaining columns if there are any.

    Args:
        X: Inputs of shape (n_x, m).
        Y: Labels of shape (n_y, m).
        mini_batch_size: Columns per batch, >= 1.
        seed: Seed of the shuffle, in [0, 2**32 − 1].

    Returns:
        A list of ``(mini_batch_X, mini_batch_Y)`` of shapes (n_x, size) and (n_y, size).

    Raises:
        ValueError: If X or Y is not 2-D, their column counts differ, or the size or seed is
            out of range.
    """
    func = "random_mini_batches"
    X, Y = np.asarray(X), np.asarray(Y)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"{func}: X {X.shape} and Y {Y.shape} must be 2-D with m columns each")
    size = mini_batch_size
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"{func}: mini_batch_size must be an int >= 1, got {size!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"{func}: seed must be an int in [0, 2**32 - 1], got {seed!r}")
    m = X.shape[1]
    shuffler = getattr(_local, "shuffler", None)
    if shuffler is None:
        shuffler = _local.shuffler = np.random.RandomState()
    shuffler.seed(seed)  # the stream of a new RandomState(seed), at 1/15 of its cost
    order = shuffler.permutation(m)
    shuffled_X, shuffled_Y = X[:, order], Y[:, order]
    return [(shuffled_X[:, k : k + size], shuffled_Y[:, k : k + size]) for k in range(0, m, size)]


def initialize_velocity(parameters: Parameters) -> Parameters:
    """Zero velocities: ``{"dW1": 0, "db1": 0, ...}`` with the parameters' shapes."""
    return {"d" + name: np.zeros_like(value) for name, value in parameters.items()}


def update_parameters_with_momentum(
    parameters: Parameters, grads: Parameters, v: Parameters, beta: float, learning_rate: float
) -> tuple[Parameters, Parameters]:
    """One step of gradient descent with momentum.

    For every parameter θ: v_dθ ← β·v_dθ + (1 − β)·dθ, then θ ← θ − α·v_dθ.

    Args:
        parameters: W1, b1, ..., WL, bL.
        grads: dW1, db1, ..., dWL, dbL.
        v: The velocities, keyed like the gradients.
        beta: The momentum β, in [0, 1).
        learning_rate: The step size α.

    Returns:
        ``(parameters, v)``, both new dicts.

    Raises:
        KeyError: If a gradient or velocity is missing.
    """
    new_v = {key: beta * v[key] + (1 - beta) * grads[key] for key in v}
    new_parameters = {
        name: value - learning_rate * new_v["d" + name] for name, value in parameters.items()
    }
    return new_parameters, new_v


def initialize_adam(parameters: Parameters) -> tuple[Parameters, Parameters]:
    """Zero first and second moment estimates ``(v, s)``, keyed ``dW1, db1, ...``."""
    return initialize_velocity(parameters), initialize_velocity(parameters)


def update_parameters_with_adam(
    parameters: Parameters,
    grads: Parameters,
    v: Parameters,
    s: Parameters,
    t: int,
    learning_rate: float = 0.01,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
) -> tuple[Parameters, Parameters, Parameters]:
    """One Adam step, with bias correction.

    For every parameter θ, at step t (counting from 1): v ← β₁·v + (1 − β₁)·dθ,
    s ← β₂·s + (1 − β₂)·dθ², v̂ = v / (1 − β₁ᵗ), ŝ = s / (1 − β₂ᵗ), and
    θ ← θ − α·v̂ / (√ŝ + ε), as the course writes the update (and as PyTorch's Adam does).

    Args:
        parameters: W1, b1, ..., WL, bL.
        grads: dW1, db1, ..., dWL, dbL.
        v: First moment estimates, keyed like the gradients.
        s: Second moment estimates, keyed like the gradients.
        t: The number of this step, >= 1.
        learning_rate: The step size α.
        beta1: Decay of the first moment, β₁.
        beta2: Decay of the second moment, β₂.
        epsilon: ε, added to √ŝ.

    Returns:
        ``(parameters, v, s)``, new dicts.

    Raises:
        ValueError: If t < 1.
    """
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 1:
        raise ValueError(f"update_parameters_with_adam: t must be an int >= 1, got {t!r}")
    new_v = {key: beta1 * v[key] + (1 - beta1) * grads[key] for key in v}
    new_s = {key: beta2 * s[key] + (1 - beta2) * grads[key] ** 2 for key in s}
    new_parameters = {}
    for name, value in parameters.items():
        v_corrected = new_v["d" + name] / (1 - beta1**t)
        s_corrected = new_s["d" + name] / (1 - beta2**t)
        new_parameters[name] = value - learning_rate * v_corrected / (
            np.sqrt(s_corrected) + epsilon
        )
    return new_parameters, new_v, new_s


def update_lr(learning_rate0: float, epoch_num: int, decay_rate: float) -> float:
    """Inverse-time decay: α = α₀ / (1 + decay_rate·epoch_num)."""
    return learning_rate0 / (1 + decay_rate * epoch_num)


def schedule_lr_decay(
    learning_rate0: float, epoch_num: int, decay_rate: float, time_interval: int = 1000
) -> float:
    """Staircase inverse-time decay: α = α₀ / (1 + decay_rate·⌊epoch_num / time_interval⌋)."""
    return learning_rate0 / (1 + decay_rate * math.floor(epoch_num / time_interval))


def model(
    X: Array,
    Y: Array,
    layer_dims: Sequence[int],
    optimizer: str,
    learning_rate: float = 0.0007,
    mini_batch_size: int = 64,
    beta: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
    num_epochs: int = 10000,
    print_cost: bool = False,
) -> tuple[Parameters, list[float]]:
    """The optimisation notebook's training loop: mini-batch GD, momentum or Adam.

    The weights start from He initialisation after seed 3; epoch e (counting from 1) reshuffles
    with ``random_mini_batches(X, Y, mini_batch_size, seed=10 + e)``; every mini-batch takes one
    step of the chosen optimizer (Adam's step count t runs over all mini-batches).

    Args:
        X: Inputs of shape (n_x, m).
        Y: Labels of shape (1, m), values in {0, 1}.
        layer_dims: [n_x, n_1, ..., n_L] with n_L = 1; ReLU hidden layers, sigmoid output.
        optimizer: "gd", "momentum" or "adam".
        learning_rate: The step size α.
        mini_batch_size: Columns per mini-batch.
        beta: The momentum β.
        beta1: Adam's β₁.
        beta2: Adam's β₂.
        epsilon: Adam's ε.
        num_epochs: Number of passes over the data.
        print_cost: Whether to print ``Cost after epoch e: J`` every 1,000 epochs, J being the
            mean over the epoch's examples of the per-example cost.

    Returns:
        ``(parameters, costs)``: the trained parameters and the mean cost of each epoch.

    Raises:
        ValueError: If the optimizer is unknown, or as the functions it calls.
    """
    if optimizer not in ("gd", "momentum", "adam"):
        raise ValueError(f"model: optimizer must be 'gd', 'momentum' or 'adam', got {optimizer!r}")
    parameters = initialize_parameters_deep(layer_dims, init="he", seed=3)
    v, s = initialize_adam(parameters)
    t = 0
    m = X.shape[1]
    costs: list[float] = []
    for epoch in range(1, num_epochs + 1):
        total = 0.0
        for batch_X, batch_Y in random_mini_batches(X, Y, mini_batch_size, seed=10 + epoch):
            AL, caches = L_model_forward(batch_X, parameters)
            total += compute_cost(AL, batch_Y) * batch_X.shape[1]
            grads = L_model_backward(AL, batch_Y, caches)
            if optimizer == "gd":
                parameters = update_parameters(parameters, grads, learning_rate)
            elif optimizer == "momentum":
                parameters, v = update_parameters_with_momentum(
                    parameters, grads, v, beta, learning_rate
                )
            else:
                t += 1
                parameters, v, s = update_parameters_with_adam(
                    parameters, grads, v, s, t, learning_rate, beta1, beta2, epsilon
                )
        costs.append(total / m)
        if print_cost and (epoch - 1) % 1000 == 0:
            print(f"Cost after epoch {epoch - 1}: {total / m}")
    return parameters, costs


def accuracy(parameters: Parameters, X: Array, Y: Array) -> float:
    """The fraction of examples that ``predict`` classifies right."""
    return float(np.mean(predict(parameters, X) == Y))
