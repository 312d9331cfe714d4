"""The dtype rules: what a Tensor may hold and the one promotion rule for mixed operands.

The rule is NumPy 2's (NEP 50), which for Python scalars is also PyTorch's: a Python number is
"weak" — it takes the tensor's dtype when it fits that dtype's family and never truncates:

- `float32 tensor * 0.5` is float32; `int tensor * 0.5` and `bool tensor * 0.5` are float64
  (the default float); `int32 tensor + 1` stays int32; `bool tensor + 1` is int64.
- two tensors (or a tensor and a NumPy array) promote by `numpy.result_type`: int × float gives
  a float wide enough for both (float64 for int32/int64 beside float32 — PyTorch would keep
  float32 there; NumPy's choice is kept so that every result equals NumPy's).
- comparisons give bool tensors.
- a float16 tensor times, divided by or dividing a Python number (`*`, `/`, `//`, `lerp`'s
  weight) is computed as PyTorch's float16 kernels compute it: in float32 with the number
  rounded to float32 only, the result rounded to float16 once ("opmath", see
  `opmath_operand`), so `float16 tensor * 65536.0` is finite where the product fits. For +, −,
  `**`, `%`, fmod, comparisons and clamp's bounds PyTorch rounds the number to float16 first,
  as NumPy does (add's alpha too, but the sum is then computed in float32).
- ops whose result is floating (exp, log, tanh, sigmoid, sqrt, sin, softmax, ...) compute on
  integer and bool inputs converted to the default float first, as PyTorch (NumPy would give
  float16 for int8, uint8 and bool, float32 for int16).
- sums and products of unsigned integers narrower than 64 bits are int64, as PyTorch (NumPy
  gives uint64); of bool and signed integers int64, as both.
- a cast to an integer or bool dtype gives a tensor that does not require grad.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_FLOAT",
    "HALF",
    "OPMATH",
    "check_fits",
    "check_supported",
    "result_type",
    "scalar_operand",
    "checked_fill",
    "opmath_operand",
    "is_scalar",
]

DEFAULT_FLOAT = np.dtype(np.float64)
HALF = np.dtype(np.float16)
OPMATH = np.dtype(np.float32)  # the dtype PyTorch computes float16 elementwise ops in
_HALF_MAX = 65504.0

# bool, signed and unsigned integers, floats
_KINDS = "biuf"


def is_scalar(value: Any) -> bool:
    """Whether `value` is a Python or NumPy number (weak only if it is a Python number)."""
    return isinstance(value, (bool, int, float, np.number, np.bool_))


def check_supported(dtype: np.dtype[Any], what: str) -> np.dtype[Any]:
    """Return `dtype` if a Tensor can hold it (bool, int, uint, float), else raise TypeError."""
    if dtype.kind not in _KINDS:
        raise TypeError(
            f"{what}: unsupported dtype {dtype}; a Tensor holds bool, integer or float data"
        )
    return dtype


def result_type(*operands: Any) -> np.dtype[Any]:
    """The dtype of an op's result: NumPy's `result_type`, Python scalars weak (NEP 50)."""
    return np.result_type(*operands)


def scalar_operand(value: Any, dtype: np.dtype[Any], op: str) -> np.ndarray:
    """A number beside a tensor of `dtype`, as a 0-d array of the promoted dtype.

    A Python number is weak (it adopts `dtype` when it fits that family); a NumPy scalar is a
    0-d array like any other. The result's dtype is the dtype the op will produce, so the
    operand never truncates the number and never changes the result's dtype.

    Raises:
        TypeError: complex numbers or other unsupported values.
        OverflowError: a Python integer that does not fit an integer tensor's dtype.
    """
    if getattr(type(value), "is_traced_scalar", False):  # a float argument of a compiled step
        dt = np.result_type(dtype, value.value)  # a float's promotion never depends on its value
        check_supported(dt, op)
        return value.operand(dt)
    if isinstance(value, np.generic):
        arr = np.asarray(value)
        check_supported(arr.dtype, op)
        return arr
    dt = np.result_type(dtype, value)
    check_supported(dt, op)
    try:
        return np.asarray(value, dtype=dt)
    except OverflowError:
        if op == "div" and dtype.kind in "biu":  # true division gives a float: no truncation
            return np.asarray(float(value))
        raise OverflowError(
            f"{op}: the Python integer {value} does not fit the tensor's dtype {dtype}"
        ) from None


def opmath_operand(value: Any, op: str) -> np.ndarray | None:
    """A Python number beside a float16 tensor in `*`, `/` or `//`, as PyTorch takes it: float32.

    PyTorch's float16 kernels multiply and divide by a number in float32, the number rounded to
    float32 only, and round the result to float16 once; NumPy's float16 loop would round the
    number to float16 first (65536.0 to inf, 1e-8 to 0, 0.1 one float16 ulp off). Returns None
    where float16 holds the number exactly, since then both give the same bits; a number of a
    compiled step (its value may change on replay) always gets the float32 operand.
    """
    if type(value) is float or type(value) is int:  # a compiled step's number reports `float`
        # NaN and ±inf are held exactly; a finite number beyond the float16 range is not
        if value != value or abs(value) == math.inf:
            return None
        if abs(value) <= _HALF_MAX and float(HALF.type(value)) == value:
            return None
    try:
        return scalar_operand(value, OPMATH, op)
    except OverflowError:  # an integer beyond any float: the error names the tensor's dtype
        return scalar_operand(value, HALF, op)


def check_fits(arr: np.ndarray, dt: np.dtype[Any], what: str) -> None:
    """Refuse values that an integer dtype cannot hold (NaN, ±∞, out of range) before a cast.

    NumPy's cast would wrap them around silently; PyTorch refuses most of them, as here.
    """
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{what}: NaN or infinity cannot be converted to dtype {dt}")
    if arr.dtype.kind == "b":
        return
    info = np.iinfo(dt)
    lo, hi = arr.min(), arr.max()
    lo, hi = (int(np.trunc(lo)), int(np.trunc(hi))) if arr.dtype.kind == "f" else (int(lo), int(hi))
    if lo < info.min or hi > info.max:
        raise ValueError(
            f"{what}: values from {lo} to {hi} do not fit dtype {dt} "
            f"(range {info.min} to {info.max})"
        )


_FLOAT_MAX = {np.dtype(t): float(np.finfo(t).max) for t in (np.float16, np.float32)}
_INT_RANGE = {
    np.dtype(t): (int(np.iinfo(t).min), int(np.iinfo(t).max))
    for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
}


def checked_fill(value: Any, dtype: np.dtype[Any], what: str) -> np.ndarray:
    """`value` (a number, or an array of them) as an array of `dtype` to fill a tensor with.

    PyTorch's checked conversion of a fill value, where NumPy's cast would give garbage: into
    an integer dtype a float is truncated (2.7 gives 2) but NaN, ±∞ and numbers beyond the
    range are refused, the range compared before truncating (127.5 does not fit int8); into a
    float16 or float32 dtype a finite number beyond its largest is refused (70000 into
    float16); a bool dtype takes any number's truth. A negative number into an unsigned dtype
    is refused, as `Tensor([-1], dtype=np.uint8)` is, where PyTorch wraps -1 to 255.

    Raises:
        OverflowError: a Python int that the integer dtype cannot hold.
        ValueError: any other number that the dtype cannot hold.
    """
    try:  # a Python int: NumPy's own refusal of one out of bounds
        v = np.asarray(value, dtype) if type(value) is int and dtype.kind in "iu" else value
        v = np.asarray(v)
    except OverflowError as e:
        raise OverflowError(f"{what}: {e}") from None
    if v.dtype == dtype or dtype.kind == "b" or v.dtype.kind not in "biuf" or not v.size:
        return v.astype(dtype, copy=False)
    if dtype.kind in "iu" and v.dtype.kind != "b":
        low, high = _INT_RANGE[dtype.newbyteorder("=")]
        if v.ndim == 0 and low <= v.item() <= high:  # Python compares a float and an int exactly
            return v.astype(dtype)
        check_fits(v, dtype, what)  # NaN, ±∞, and beyond the range once truncated
        if v.dtype.kind == "f" and (v.min() < low or v.max() > high):
            raise ValueError(
                f"{what}: {value!r} is beyond the range of dtype {dtype} ({low} to {high})"
            )
        return v.astype(dtype)
    largest = _FLOAT_MAX.get(dtype.newbyteorder("="))
    if largest is not None:  # compared before rounding, as PyTorch: 65505 overflows float16
        if v.ndim:
            beyond = bool(np.any((np.abs(v) > largest) & np.isfinite(v)))
        else:
            beyond = largest < abs(v.item()) < math.inf  # not NaN nor ±∞
        if beyond:
            raise ValueError(f"{what}: {value!r} overflows dtype {dtype} (largest {largest})")
    return v.astype(dtype)
