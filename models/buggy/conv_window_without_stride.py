"""The convolution notebook's conv_backward as published: each window at (h, w), not (h·s, w·s)."""

import numpy as np

from ..manual_conv import zero_pad
from .networks import conv_backward_from

NETWORK, KIND, CAUSE = "conv", "window without the stride", ("dA_prev", "dW")


def _conv_backward(dZ, cache):
    """dA_prev, dW and db, summed over the windows of the forward pass."""
    (A_prev, W, b, hparameters) = cache
    stride, pad = hparameters["stride"], hparameters["pad"]  # noqa: F841 - read, then forgotten
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros((m, n_H_prev, n_W_prev, n_C_prev))
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            vert_start = h  # BUG: should be h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w  # BUG: should be w * stride
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


backward = conv_backward_from(_conv_backward)
