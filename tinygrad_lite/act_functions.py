"""Activations on Tensors: relu, elu, hardtanh, hardswish, mish, selu, celu, the shrinks, ... (`F`).

Each is composed of differentiable ops (`where`, arithmetic, `expm1`, `tanh`, `softplus`,
`sigmoid`), so its derivatives of every order come from theirs. Where PyTorch picks a
subgradient at a kink, the composition picks the same one: the branches are selected with the
comparisons PyTorch's backward uses, so that e.g. hardswish'(−3) = 0 and hardswish'(3) = 1, and
the shrinks have gradient 0 at ±lambd. A branch that is not taken is computed on a safe value
(0) where its gradient could otherwise turn into NaN (∞·0) at infinite inputs.

>>> import numpy as np
>>> from tinygrad_lite import Tensor
>>> x = Tensor(np.array([-4.0, -1.5, 0.0, 1.5, 4.0]), requires_grad=True)
>>> y = hardswish(x)
>>> y.tolist()
[-0.0, -0.375, 0.0, 1.125, 4.0]
>>> y.sum().backward()
>>> x.grad.tolist()
[0.0, 0.0, 0.5, 1.0, 1.0]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .tensor import Tensor
from .tensor_inplace import maybe_in_place
from .tensor_shape import dim_arg

__all__ = [
    "SELU_ALPHA",
    "SELU_SCALE",
    "celu",
    "elu",
    "hardtanh",
    "leaky_relu",
    "relu",
    "relu6",
    "silu",
    "check_alpha",
    "check_lambd",
    "glu",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "mish",
    "prelu",
    "selu",
    "softshrink",
    "softsign",
    "tanhshrink",
]

# SELU's constants (Klambauer et al., 2017), the fixed point of the self-normalising map.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _real(owner: str, name: str, value: Any) -> float:
    """`value` as a float, refusing bools, other types and NaN."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"{owner}: {name} must be a real number, got {type(value).__name__} {value!r}"
        )
    if math.isnan(value):
        raise ValueError(f"{owner}: {name} must be a number, got {value}")
    return float(value)


def check_lambd(owner: str, lambd: Any, allow_negative: bool) -> float:
    """A shrink's `lambd` as a float: a real number, not NaN, and >= 0 unless `allow_negative`.

    Args:
        owner: the function or layer named in the error.
        lambd: the value to check.
        allow_negative: accept a negative lambd (hardshrink's empty interval).

    Returns:
        lambd as a float.

    Raises:
        TypeError: not a real number.
        ValueError: NaN, or negative where it is not allowed.
    """
    value = _real(owner, "lambd", lambd)
    if value < 0 and not allow_negative:
        raise ValueError(f"{owner}: lambd must be >= 0, got {lambd}")
    return value


def check_alpha(owner: str, alpha: Any) -> float:
    """CELU's `alpha` as a float: a real number other than 0 and NaN.

    Args:
        owner: the function or layer named in the error.
        alpha: the value to check.

    Returns:
        alpha as a float.

    Raises:
        TypeError: not a real number.
        ValueError: 0 (the curve is α(e^(x/α) − 1)) or NaN.
    """
    value = _real(owner, "alpha", alpha)
    if value == 0:
        raise ValueError(f"{owner}: alpha must not be 0 (the curve is α(e^(x/α) − 1))")
    return value


def hardswish(input: Tensor | np.ndarray, inplace: bool = False) -> Tensor:
    """Hardswish, x·min(max(x + 3, 0), 6)/6, as PyTorch's `F.hardswish`.

    y = 0 for x ≤ −3, x(x + 3)/6 for −3 < x < 3, and x for x ≥ 3. The derivative is
    x/3 + 1/2 strictly between −3 and 3, 0 at and below −3, and 1 at and above 3 (PyTorch's
    choice at the two kinks); a NaN passes the gradient.

    Args:
        input: a tensor of any shape.
        inplace: write the result into the input tensor.

    Returns:
        A tensor of the input's shape.
    """

    def of(x: Tensor) -> Tensor:
        low = x <= -3.0
        middle = ~low & (x < 3.0)
        xm = x.where(middle, 0.0)
        curve = xm * (xm + 3.0) / 6.0
        return curve.where(middle, x.where(~low, x * 0.0))  # x·0: −0, or NaN at −∞, as PyTorch

    return maybe_in_place(_as_tensor(input), inplace, "hardswish", of)


def hardsigmoid(input: Tensor | np.ndarray, inplace: bool = False) -> Tensor:
    """Hardsigmoid, min(max(x + 3, 0), 6)/6, as PyTorch's `F.hardsigmoid`.

    The derivative is 1/6 strictly between −3 and 3, and 0 elsewhere, at ±3 too (PyTorch's
    choice); a NaN gets gradient 0. PyTorch's CPU backward multiplies by 1/6 rounded to
    float32, 3·10⁻⁸ away from this gradient's g/6, even on float64 tensors.

    Args:
        input: a tensor of any shape.
        inplace: write the result into the input tensor.

    Returns:
        A tensor of the input's shape, with values in [0, 1].
    """

    def of(x: Tensor) -> Tensor:
        inside = (x > -3.0) & (x < 3.0)
        xi = x.where(inside, 0.0)
        flat = ((x + 3.0).clamp(0.0, 6.0) / 6.0).detach()
        return ((xi + 3.0) / 6.0).where(inside, flat)

    return maybe_in_place(_as_tensor(input), inplace, "hardsigmoid", of)


def mish(input: Tensor | np.ndarray, inplace: bool = False) -> Tensor:
    """Mish, x·tanh(softplus(x)) = x·tanh(ln(1 + eˣ)), as PyTorch's `F.mish`.

    dy/dx = tanh(s) + x·σ(x)·(1 − tanh²(s)) with s = softplus(x).

    Args:
        input: a tensor of any shape.
        inplace: write the result into the input tensor.

    Returns:
        A tensor of the input's shape.
    """
    return maybe_in_place(_as_tensor(input), inplace, "mish", lambda x: x * x.softplus().tanh())


def softsign(input: Tensor | np.ndarray) -> Tensor:
    """Softsign, x / (1 + |x|), as PyTorch's `F.softsign`; dy/dx = 1 / (1 + |x|)².

    Args:
        input: a tensor of any shape.

    Returns:
        A tensor of the input's shape, with values in (−1, 1).
    """
    x = _as_tensor(input)
    return x / (x.abs() + 1.0)


def tanhshrink(input: Tensor | np.ndarray) -> Tensor:
    """Tanhshrink, x − tanh(x), as PyTorch's `F.tanhshrink`; dy/dx = tanh²(x).

    Args:
        input: a tensor of any shape.

    Returns:
        A tensor of the input's shape.
    """
    x = _as_tensor(input)
    return x - x.tanh()


def hardshrink(input: Tensor | np.ndarray, lambd: float = 0.5) -> Tensor:
    """Hardshrink: 0 for −lambd ≤ x ≤ lambd, else x, as PyTorch's `F.hardshrink`.

    The gradient is 0 on the closed interval [−lambd, lambd] (at ±lambd too, as PyTorch) and 1
    outside it; a NaN passes the gradient. A negative lambd gives an empty interval (the
    identity), as in PyTorch.

    Args:
        input: a tensor of any shape.
        lambd: the half-width of the interval set to 0.

    Returns:
        A tensor of the input's shape.

    Raises:
        TypeError: lambd is not a real number.
        ValueError: lambd is NaN.
    """
    x = _as_tensor(input)
    lam = check_lambd("hardshrink", lambd, allow_negative=True)
    inside = (x >= -lam) & (x <= lam)
    return x.where(~inside, 0.0)


def softshrink(input: Tensor | np.ndarray, lambd: float = 0.5) -> Tensor:
    """Softshrink: x − lambd above lambd, x + lambd below −lambd, else 0 (`F.softshrink`).

    The gradient is 0 on the closed interval [−lambd, lambd] (at ±lambd too, as PyTorch) and 1
    outside it; a NaN stays NaN and passes the gradient.

    Args:
        input: a tensor of any shape.
        lambd: the shrinkage, >= 0.

    Returns:
        A tensor of the input's shape.

    Raises:
        TypeError: lambd is not a real number.
        ValueError: lambd is negative or NaN (PyTorch refuses a negative one too).
    """
    x = _as_tensor(input)
    lam = check_lambd("softshrink", lambd, allow_negative=False)
    inside = (x >= -lam) & (x <= lam)
    return (x + lam).where(x < -lam, x - lam).where(~inside, 0.0)


def _elu_family(x: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    """scale·x for x > 0, else alpha·scale·(e^(input_scale·x) − 1) (PyTorch's elu kernel).

    The exponential is taken of x where x ≤ 0 and of 0 elsewhere, so that large positive x
    does not overflow in the branch that is not used; a NaN takes the x branch.
    """
    negative = x <= 0
    xn = x.where(negative, 0.0)
    if input_scale != 1.0:
        xn = xn * input_scale
    curve = xn.expm1() * (alpha * scale)
    return curve.where(negative, x if scale == 1.0 else x * scale)


def celu(input: Tensor | np.ndarray, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """CELU, max(0, x) + min(0, α(e^(x/α) − 1)), as PyTorch's `F.celu`.

    dy/dx = 1 for x > 0 and e^(x/α) at and below 0 (so 1 at 0: CELU is C¹ for any α).
    PyTorch's CPU backward takes 1/α rounded to float32, so where 1/α is not a float32
    (α = 0.7, say) its gradient is about 10⁻⁸ away from this one; the values agree.

    Args:
        input: a tensor of any shape.
        alpha: α ≠ 0; the output tends to −α as x → −∞.
        inplace: write the result into the input tensor.

    Returns:
        A tensor of the input's shape.

    Raises:
        TypeError: alpha is not a real number.
        ValueError: alpha is 0 or NaN (PyTorch refuses 0: x/α is undefined).
    """
    a = check_alpha("celu", alpha)
    return maybe_in_place(
        _as_tensor(input), inplace, "celu", lambda x: _elu_family(x, a, 1.0, 1.0 / a)
    )


def selu(input: Tensor | np.ndarray, inplace: bool = False) -> Tensor:
    """SELU, λ·x for x > 0 and λα(eˣ − 1) at and below 0, as PyTorch's `F.selu`.

    λ = `SELU_SCALE` ≈ 1.0507 and α = `SELU_ALPHA` ≈ 1.6733 keep the mean 0 and the variance 1
    of standard-normal inputs through the layers. dy/dx = λ for x > 0 and λαeˣ at and below 0
    (so λα ≈ 1.7581 at 0, as PyTorch).

    Args:
        input: a tensor of any shape.
        inplace: write the result into the input tensor.

    Returns:
        A tensor of the input's shape.
    """
    return maybe_in_place(
        _as_tensor(input), inplace, "selu", lambda x: _elu_family(x, SELU_ALPHA, SELU_SCALE, 1.0)
    )


def glu(input: Tensor | np.ndarray, dim: int = -1) -> Tensor:
    """Gated linear unit, a ⊗ σ(b), where a and b are the two halves of x along `dim`.

    As PyTorch's `F.glu`: the output has half the input's size along `dim`.

    Args:
        input: a tensor whose size along `dim` is even.
        dim: the dimension to halve (negative counts from the end).

    Returns:
        The first half times the sigmoid of the second half.

    Raises:
        ValueError: a 0-d input, or an odd size along `dim`.
        IndexError: dim out of range.
        TypeError: dim is not an int.
    """
    x = _as_tensor(input)
    if x.ndim == 0:
        raise ValueError("glu: a 0-d input has no dimension to halve")
    d = dim_arg(dim, x.ndim, "glu")
    n = x.shape[d]
    if n % 2:
        raise ValueError(
            f"glu: the dimension to halve must have an even size, but dim {dim} of the input of "
            f"shape {x.shape} has size {n}"
        )
    half = n // 2
    return x.narrow(d, 0, half) * x.narrow(d, half, half).sigmoid()


def prelu(input: Tensor | np.ndarray, weight: Tensor) -> Tensor:
    """Parametric ReLU, x for x > 0, else a·x with a learned slope a, as PyTorch's `F.prelu`.

    `weight` holds one slope for every channel (dim 1 of the input), or a single one for all.
    dy/dx = 1 for x > 0 and a at and below 0 (so a at 0, as PyTorch); dy/da = x at and below
    0, else 0. A NaN takes the a·x branch, as in PyTorch. The mixed second derivative
    d(dy/dx)/da is 1 at and below 0, consistently with dy/dx = a there (PyTorch's is 0 at
    x = 0 itself).

    Args:
        input: a tensor of any shape (at least 2-D for one slope per channel).
        weight: a 0-d or 1-D tensor of 1 or C elements (C = input.shape[1]).

    Returns:
        A tensor of the input's shape.

    Raises:
        ValueError: a weight of 2 or more dimensions, or a number of slopes that is neither 1
            nor the number of channels.
    """
    x = _as_tensor(input)
    w = _as_tensor(weight)
    if w.ndim > 1:
        raise ValueError(f"prelu: weight must be 0-d or 1-D, got shape {w.shape}")
    if w.size == 1:
        w = w.reshape(())
    else:
        if x.ndim == 0:
            raise ValueError(f"prelu: a 0-d input needs a single slope, got {w.size} slopes")
        channels = x.shape[1] if x.ndim > 1 else 1
        if channels != w.size:
            raise ValueError(
                f"prelu: {w.size} slopes do not match the input's {channels} channel(s) (dim 1 "
                f"of shape {x.shape}); give one slope per channel or a single one"
            )
        w = w.reshape((1, channels) + (1,) * (x.ndim - 2))
    positive = x > 0
    return x.where(positive, w * x.where(~positive, 0.0))


# The basic activations of `F`, with PyTorch's `inplace=`.


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """Elementwise max(x, 0)."""
    return maybe_in_place(x, inplace, "relu", Tensor.relu)


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """X where x > 0, else negative_slope·x."""
    return maybe_in_place(x, inplace, "leaky_relu", lambda a: a.leaky_relu(negative_slope))


def silu(x: Tensor, inplace: bool = False) -> Tensor:
    """SiLU (swish), x·σ(x)."""
    return maybe_in_place(x, inplace, "silu", lambda a: a * a.sigmoid())


def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """ELU: x where x > 0, else α(eˣ − 1); dy/dx = αeˣ at and below 0.

    The exponential is taken of x where x ≤ 0 and of 0 elsewhere, so that large positive x does
    not overflow in the branch that is not used; a NaN takes the x branch (as in PyTorch).
    """

    def elu_of(a: Tensor) -> Tensor:
        negative = a <= 0
        return (alpha * a.where(negative, 0.0).expm1()).where(negative, a)

    return maybe_in_place(x, inplace, "elu", elu_of)


def hardtanh(
    x: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """The input limited to [min_val, max_val]; the gradient is 1 strictly between them, else 0.

    At the bounds themselves the gradient is 0 (PyTorch's hardtanh), where `clamp` passes it;
    a NaN passes the gradient, as in PyTorch.
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} is greater than max_val {max_val}")

    def limited(a: Tensor) -> Tensor:
        if a.dtype.kind in "iu":  # PyTorch's integer kernel: the bounds truncated to integers
            return a.clamp(int(min_val), int(max_val))
        inside = ~((a <= min_val) | (a >= max_val))
        return a.where(inside, a.clamp(min_val, max_val).detach())

    return maybe_in_place(x, inplace, "hardtanh", limited)


def relu6(x: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): `hardtanh(x, 0, 6)`."""
    return hardtanh(x, 0.0, 6.0, inplace)
