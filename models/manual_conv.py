"""The course's convolutional network, built step by step and derived by hand in plain NumPy.

The independent reference for convolutions and pooling: like ``models/manual_deep.py``, it
imports nothing from ``tinygrad_lite``, and it is written as the course writes it, in loops over
examples, output rows, output columns and channels, to be read, not to be fast. The layout is the
course's, channels last: A_prev is (m, n_H_prev, n_W_prev, n_C_prev), a filter bank W is
(f, f, n_C_prev, n_C) and its biases b are (1, 1, 1, n_C). With stride s and padding p, output
position (h, w) reads the f × f window whose top-left corner is row h·s, column w·s of the
zero-padded input, and

    Z[i, h, w, c] = Σ_{u, v, k} A_pad[i, h·s + u, w·s + v, k]·W[u, v, k, c] + b[c],
    n_H = ⌊(n_H_prev + 2p − f) / s⌋ + 1,  n_W = ⌊(n_W_prev + 2p − f) / s⌋ + 1.

Pooling (hyperparameters stride s and window f, no padding) takes the maximum or the mean of each
window, channel by channel. The backward functions return the gradients of a scalar loss L given
the gradient of L with respect to their output (dZ or dA): for L = Σ Z ⊙ G, dZ = G.

The course's functions keep their names, argument orders, caches and order of work, with these
corrections:

- ``conv_backward`` and ``pool_backward`` place output (h, w)'s window at row h·s, column w·s, as
  the forward passes do; the course's backward passes use row h, column w (``vert_start = h``),
  which is only right for stride 1 and sends the gradient to the wrong inputs otherwise.
- ``conv_backward`` crops the padding with explicit ends, ``pad:pad + n_H_prev``; the course's
  ``da_prev_pad[pad:-pad, pad:-pad, :]`` is an empty slice for pad = 0 (``-0`` is 0).
- ``pool_backward`` in max mode sends each window's gradient to the window's first maximum in
  row-major order (as PyTorch's ``max_pool2d`` does). The course's mask ``x == max(x)`` marks
  every tied maximum, so a window with k tied maxima passes on k times its gradient: that is not
  a derivative of the maximum (moving all k tied elements by t moves the maximum by t, not k·t).
  ``create_mask_from_window`` keeps the course's meaning.
- The output sizes use floor division, and a window larger than the (padded) input is refused;
  the course's ``int((n_H_prev - f + 2 * pad) / stride) + 1`` truncates towards zero, so a window
  one row too large gives n_H = 1 and a slice shorter than the filter.
- The filters must be square and the gradients must have the forward output's shape: the course
  unpacks ``(f, f, n_C_prev, n_C) = W.shape`` (the second f silently wins) and
  ``(m, n_H, n_W, n_C) = dZ.shape`` (a dZ of another shape is read without complaint).

The forward passes compute what the course computes, operation for operation, and reproduce the
published numbers of both versions of the notebook. So do the backward passes, the course's
examples having stride 1 or, for ``conv_backward``, means (dA 1.45243777754, dW 1.72699145831)
that are those of the strided windows; the course's own no-stride code gives 0.634770447265 and
1.55726574285 there (``tests/test_manual_conv.py`` checks both).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "conv_backward",
    "conv_forward",
    "conv_single_step",
    "create_mask_from_window",
    "distribute_value",
    "pool_backward",
    "pool_forward",
    "zero_pad",
]

Array = NDArray[np.float64]
HParameters = Mapping[str, int]
ConvCache = tuple[Array, Array, Array, HParameters]
PoolCache = tuple[Array, HParameters]

MODES = ("max", "average")


def _check_int(name: str, value: object, minimum: int, func: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{func}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _hparameters(hparameters: HParameters, keys: Collection[str], func: str) -> list[int]:
    """The values of ``keys``, after checking that they are exactly the keys given."""
    if not isinstance(hparameters, Mapping) or set(hparameters) != set(keys):
        got = sorted(hparameters) if isinstance(hparameters, Mapping) else hparameters
        raise ValueError(f"{func}: hparameters must have the keys {sorted(keys)}, got {got!r}")
    minimum = {"stride": 1, "f": 1, "pad": 0}
    return [_check_int(f"hparameters[{k!r}]", hparameters[k], minimum[k], func) for k in keys]


def _batch(A: object, name: str, func: str) -> Array:
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 4:
        raise ValueError(f"{func}: {name} must be (m, n_H, n_W, n_C), got shape {A.shape}")
    return A


def _output_side(n_prev: int, f: int, pad: int, stride: int, axis: str, func: str) -> int:
    """⌊(n_prev + 2·pad − f) / stride⌋ + 1, after checking that one window fits."""
    if f > n_prev + 2 * pad:
        raise ValueError(
            f"{func}: the window (f = {f}) does not fit in {axis} {n_prev} padded by {pad}"
        )
    return (n_prev + 2 * pad - f) // stride + 1


def _check_mode(mode: object, func: str) -> str:
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"{func}: mode must be one of {list(MODES)}, got {mode!r}")
    return mode


def zero_pad(X: Array, pad: int) -> Array:
    """X with ``pad`` rows and columns of zeros added on every side of each image.

    Args:
        X: A batch of images, shape (m, n_H, n_W, n_C).
        pad: The amount of padding, an int >= 0.

    Returns:
        A new array of shape (m, n_H + 2·pad, n_W + 2·pad, n_C).

    Raises:
        ValueError: If X is not 4-dimensional or pad is not an int >= 0.
    """
    X = _batch(X, "X", "zero_pad")
    pad = _check_int("pad", pad, 0, "zero_pad")
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant")


def conv_single_step(a_slice_prev: Array, W: Array, b: Array) -> float:
    """One filter on one window: z = Σ a_slice_prev ⊙ W + b.

    Args:
        a_slice_prev: A window of the input, shape (f, f, n_C_prev).
        W: One filter, the same shape.
        b: Its bias, one number (the course passes shape (1, 1, 1)).

    Returns:
        z as a Python float.

    Raises:
        ValueError: If the shapes differ or b is not a single number.
    """
    if np.shape(a_slice_prev) != np.shape(W) or np.size(b) != 1:
        raise ValueError(
            f"conv_single_step: a_slice_prev {np.shape(a_slice_prev)} and W {np.shape(W)} "
            f"must have the same shape and b {np.shape(b)} one element"
        )
    s = np.multiply(a_slice_prev, W)
    return float(np.sum(s) + np.asarray(b, dtype=np.float64).item())


def conv_forward(
    A_prev: Array, W: Array, b: Array, hparameters: HParameters
) -> tuple[Array, ConvCache]:
    """The convolution's forward pass (the math is in the module's docstring).

    Args:
        A_prev: Input, shape (m, n_H_prev, n_W_prev, n_C_prev).
        W: Filters, shape (f, f, n_C_prev, n_C).
        b: Biases, shape (1, 1, 1, n_C).
        hparameters: ``{"stride": s, "pad": p}``, s an int >= 1 and p an int >= 0.

    Returns:
        ``(Z, (A_prev, W, b, hparameters))`` with Z of shape (m, n_H, n_W, n_C).

    Raises:
        ValueError: If the shapes do not fit together, a hyperparameter is out of range, or a
            window does not fit in the padded input.
    """
    func = "conv_forward"
    A_prev, W, b = _batch(A_prev, "A_prev", func), _batch(W, "W", func), np.asarray(b, np.float64)
    stride, pad = _hparameters(hparameters, ("stride", "pad"), func)
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f_W, n_C_prev_W, n_C) = W.shape
    if f != f_W or n_C_prev_W != n_C_prev or b.shape != (1, 1, 1, n_C):
        raise ValueError(
            f"{func}: W {W.shape} must be (f, f, {n_C_prev}, n_C) for A_prev {A_prev.shape}, "
            f"and b {b.shape} (1, 1, 1, n_C)"
        )
    n_H = _output_side(n_H_prev, f, pad, stride, "height", func)
    n_W = _output_side(n_W_prev, f, pad, stride, "width", func)
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])
    return Z, (A_prev, W, b, hparameters)


def pool_forward(
    A_prev: Array, hparameters: HParameters, mode: str = "max"
) -> tuple[Array, PoolCache]:
    """Max or average pooling: A[i, h, w, c] = max or mean of A_prev[i, window(h, w), c].

    The window of output (h, w) is rows h·s to h·s + f − 1 and columns w·s to w·s + f − 1;
    n_H = ⌊(n_H_prev − f) / s⌋ + 1 and n_W = ⌊(n_W_prev − f) / s⌋ + 1.

    Args:
        A_prev: Input, shape (m, n_H_prev, n_W_prev, n_C).
        hparameters: ``{"stride": s, "f": f}``, both ints >= 1.
        mode: "max" or "average".

    Returns:
        ``(A, (A_prev, hparameters))`` with A of shape (m, n_H, n_W, n_C).

    Raises:
        ValueError: If A_prev is not 4-dimensional, a hyperparameter is out of range, the window
            does not fit in the input, or the mode is unknown.
    """
    func = "pool_forward"
    A_prev = _batch(A_prev, "A_prev", func)
    stride, f = _hparameters(hparameters, ("stride", "f"), func)
    mode = _check_mode(mode, func)
    (m, n_H_prev, n_W_prev, n_C) = A_prev.shape
    n_H = _output_side(n_H_prev, f, 0, stride, "height", func)
    n_W = _output_side(n_W_prev, f, 0, stride, "width", func)
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    else:
                        A[i, h, w, c] = np.mean(a_prev_slice)
    return A, (A_prev, hparameters)


def _gradient_shape(dZ: object, shape: tuple[int, ...], name: str, func: str) -> Array:
    dZ = np.asarray(dZ, dtype=np.float64)
    if dZ.shape != shape:
        raise ValueError(f"{func}: {name} {dZ.shape} must have the forward output's shape {shape}")
    return dZ


def conv_backward(dZ: Array, cache: ConvCache) -> tuple[Array, Array, Array]:
    """The convolution's backward pass.

    With the window of output (h, w) at row h·s, column w·s of the padded input:

        dA_pad[i, h·s + u, w·s + v, k] += W[u, v, k, c]·dZ[i, h, w, c],
        dW[u, v, k, c] = Σ_{i, h, w} A_pad[i, h·s + u, w·s + v, k]·dZ[i, h, w, c],
        db[c] = Σ_{i, h, w} dZ[i, h, w, c],

    and dA_prev is dA_pad without its padding. These are the gradients of the loss summed over
    the batch (the course divides by no m here).

    Args:
        dZ: The gradient with respect to Z, shape (m, n_H, n_W, n_C).
        cache: ``(A_prev, W, b, hparameters)`` from ``conv_forward``.

    Returns:
        ``(dA_prev, dW, db)`` with the shapes of A_prev, W and b.

    Raises:
        ValueError: If dZ does not have the shape of the forward pass's Z, or the cache is not
            one that ``conv_forward`` accepts.
    """
    func = "conv_backward"
    (A_prev, W, b, hparameters) = cache
    # Recompute and check Z's shape the way the forward pass does; cheap next to the loops.
    stride, pad = _hparameters(hparameters, ("stride", "pad"), func)
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, _, _, n_C) = W.shape
    n_H = _output_side(n_H_prev, f, pad, stride, "height", func)
    n_W = _output_side(n_W_prev, f, pad, stride, "width", func)
    dZ = _gradient_shape(dZ, (m, n_H, n_W, n_C), "dZ", func)
    dA_prev = np.zeros((m, n_H_prev, n_W_prev, n_C_prev))
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += (
                        W[:, :, :, c] * dZ[i, h, w, c]
                    )
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return dA_prev, dW, db


def create_mask_from_window(x: Array) -> NDArray[np.bool_]:
    """The course's mask of the maxima: x == max(x), True at every element equal to the maximum.

    With ties this marks several elements; ``pool_backward`` therefore does not use it, but
    sends a window's gradient to its first maximum only (see the module's docstring).

    Args:
        x: A window, any non-empty shape (the course passes (f, f)).

    Returns:
        A boolean array of x's shape.

    Raises:
        ValueError: If x is empty.
    """
    x = np.asarray(x)
    if x.size == 0:
        raise ValueError(f"create_mask_from_window: x is empty, shape {x.shape}")
    return x == np.max(x)


def _first_maximum_mask(x: Array) -> Array:
    """1.0 at the first maximum of x in row-major order (``np.argmax``'s choice), 0.0 elsewhere."""
    mask = np.zeros(x.shape)
    mask[np.unravel_index(np.argmax(x), x.shape)] = 1.0
    return mask


def distribute_value(dz: float, shape: tuple[int, int]) -> Array:
    """The gradient of a mean spread evenly over its window: every element gets dz / (n_H·n_W).

    Args:
        dz: The gradient of one average-pooling output.
        shape: (n_H, n_W), the window's shape, ints >= 1.

    Returns:
        An array of that shape filled with dz / (n_H·n_W).

    Raises:
        ValueError: If shape is not two ints >= 1.
    """
    if len(shape) != 2:
        raise ValueError(f"distribute_value: shape must be (n_H, n_W), got {shape!r}")
    (n_H, n_W) = (_check_int("shape", n, 1, "distribute_value") for n in shape)
    average = dz / (n_H * n_W)
    return np.ones((n_H, n_W)) * average


def pool_backward(dA: Array, cache: PoolCache, mode: str = "max") -> Array:
    """The pooling layer's backward pass.

    For the window of output (h, w) at row h·s, column w·s: in max mode all of dA[i, h, w, c]
    goes to the window's first maximum (row-major order); in average mode each of the f² inputs
    gets dA[i, h, w, c] / f². Overlapping windows add up.

    Args:
        dA: The gradient with respect to the pooling's output A, shape (m, n_H, n_W, n_C).
        cache: ``(A_prev, hparameters)`` from ``pool_forward``.
        mode: "max" or "average", the forward pass's mode.

    Returns:
        dA_prev, the gradient with respect to A_prev, of A_prev's shape.

    Raises:
        ValueError: If dA does not have the shape of the forward pass's A, the mode is unknown,
            or the cache is not one that ``pool_forward`` accepts.
    """
    func = "pool_backward"
    (A_prev, hparameters) = cache
    stride, f = _hparameters(hparameters, ("stride", "f"), func)
    mode = _check_mode(mode, func)
    (m, n_H_prev, n_W_prev, n_C) = A_prev.shape
    n_H = _output_side(n_H_prev, f, 0, stride, "height", func)
    n_W = _output_side(n_W_prev, f, 0, stride, "width", func)
    dA = _gradient_shape(dA, (m, n_H, n_W, n_C), "dA", func)
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = _first_maximum_mask(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += (
                            mask * dA[i, h, w, c]
                        )
                    else:
                        da = dA[i, h, w, c]
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += (
                            distribute_value(da, (f, f))
                        )
    return dA_prev
