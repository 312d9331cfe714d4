"""The Tensor's remaining elementwise methods: nan_to_num, copysign, fmax, float_power, bitwise, ...

PyTorch's methods, with its dtypes (integer inputs of a float function give the default float),
its refusals (bitwise functions and gcd take integers, nextafter floats) and its gradients:
copysign's is 0 where the input is 0, nan_to_num's is 0 where a value was replaced, fmax and
fmin give a tie's gradient to self (PyTorch's choice), ldexp and float_power differentiate as
the powers they are. Masks, signs, counts and bit patterns carry no gradient.

>>> from tinygrad_lite import tensor
>>> tensor([1.0, float("nan")]).fmax(tensor([2.0, 3.0])).tolist()
[2.0, 3.0]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .. import dtypes
from .. import ops as F
from ..tensor_shape import array_of, constant_result

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["FrexpResult", "TensorElemMethods"]

_DEGREES_PER_RADIAN = 57.295779513082320876798154814105170332405472466564321549160243861
_RADIANS_PER_DEGREE = 0.017453292519943295769236907684886127134428718885417254560971914


class FrexpResult(NamedTuple):
    """`Tensor.frexp`'s result: x = mantissa·2^exponent, with 0.5 ≤ |mantissa| < 1 (or 0)."""

    mantissa: Tensor
    exponent: Tensor


def _floating(x: Tensor) -> Tensor:
    """X itself if it holds floats, else x converted to the default float (as PyTorch's)."""
    return x if x.dtype.kind == "f" else x.astype(dtypes.DEFAULT_FLOAT)


def _tensor(other: Any, op: str, name: str = "other") -> Tensor:
    """`other`, which PyTorch requires to be a Tensor here (a number is refused, as there)."""
    if not hasattr(other, "_ctx"):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(other).__name__} {other!r}")
    return other


def _integers(op: str, *arrays: np.ndarray, bools: bool = True) -> None:
    kinds = "biu" if bools else "iu"
    for a in arrays:
        if a.dtype.kind not in kinds:
            what = "integer or bool" if bools else "integer"
            raise TypeError(f"{op}: needs {what} tensors, got dtype {a.dtype}")


class TensorElemMethods:
    """Elementwise methods of `Tensor` (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def _wrap(self, other: Any, op: str) -> Tensor: ...

    # ------------------------------------------------------------------ replacing values

    def nan_to_num(
        self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
    ) -> Tensor:
        """NaN, +∞ and −∞ replaced by `nan`, `posinf` and `neginf`; ints and bools copied.

        posinf and neginf default to the dtype's largest and smallest finite values. The gradient
        passes where the value was finite and is 0 where it was replaced.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([float("inf"), 2.0]).nan_to_num(posinf=9.0).tolist()
            [9.0, 2.0]
        """
        x: Tensor = self  # type: ignore[assignment]
        if x.dtype.kind != "f":
            return x.clone()
        info = np.finfo(x.dtype)
        hi = info.max if posinf is None else posinf
        lo = info.min if neginf is None else neginf
        with np.errstate(over="ignore"):
            fill = np.where(np.isnan(x.data), nan, np.where(x.data > 0, hi, lo)).astype(x.dtype)
        return x.where(x.isfinite(), self._wrap(fill, "nan_to_num"))

    def copysign(self, other: Any) -> Tensor:
        """|self| with the sign (sign bit, so −0.0 and −NaN count as negative) of `other`.

        Integers give the default float. The gradient to self is ±1 (0 where self is 0, as
        PyTorch's); `other` gets none (its derivative is 0 almost everywhere).

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1.0, -2.0, 3.0]).copysign(tensor([-1.0, 1.0, -0.0])).tolist()
            [-1.0, 2.0, -3.0]
        """
        x: Tensor = self  # type: ignore[assignment]
        o = other.data if hasattr(other, "_ctx") else other
        dt = dtypes.result_type(x.data, o)
        if dt.kind != "f":
            dt = dtypes.DEFAULT_FLOAT
        sign = np.where(np.signbit(np.asarray(o)), -1.0, 1.0).astype(dt)
        return x.astype(dt).abs() * self._wrap(sign, "copysign")

    def heaviside(self, values: Tensor) -> Tensor:
        """The step function: 0 where self < 0, `values` where self == 0, 1 where self > 0.

        Self and values must have one dtype (as in PyTorch); NaN gives 0. `values` gets the
        gradient where self is 0 (PyTorch has no derivative here); self gets none.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([-1.0, 0.0, 2.0]).heaviside(tensor([0.5])).tolist()
            [0.0, 0.5, 1.0]
        """
        x: Tensor = self  # type: ignore[assignment]
        v = _tensor(values, "heaviside", "values")
        if x.dtype != v.dtype:
            raise TypeError(
                f"heaviside: input and values must have one dtype, got {x.dtype} and {v.dtype}"
            )
        step = constant_result((x.data > 0).astype(x.dtype))
        return v.where(x.detach() == 0, step)

    # ------------------------------------------------------------------ signs and angles

    def signbit(self) -> Tensor:
        """A bool tensor: where the sign bit is set (negative numbers, −0.0 and −NaN).

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([-0.0, 0.0, -2.0]).signbit().tolist()
            [True, False, True]
        """
        if self.data.dtype.kind == "b":
            return constant_result(np.zeros(self.data.shape, dtype=bool))
        return constant_result(np.signbit(self.data))

    def sgn(self) -> Tensor:
        """The sign −1, 0 or 1 (0 at NaN, as PyTorch's sgn and sign); bools as they are.

        Piecewise constant: no gradient.
        """
        x = self.data
        if x.dtype.kind == "b":
            return constant_result(x.copy())
        with np.errstate(invalid="ignore"):
            s = np.sign(x)
        return constant_result(
            np.where(np.isnan(s), 0, s).astype(x.dtype) if x.dtype.kind == "f" else s
        )

    def angle(self) -> Tensor:
        """The argument of a real number: π where x < 0, 0 where x ≥ 0, NaN at NaN.

        Integers and bools give the default float; no gradient (PyTorch's is 0).
        """
        x = self.data
        dt = x.dtype if x.dtype.kind == "f" else dtypes.DEFAULT_FLOAT
        out = np.where(x < 0, np.pi, 0.0).astype(dt)
        if x.dtype.kind == "f":
            out[np.isnan(x)] = np.nan
        return constant_result(out)

    def rad2deg(self) -> Tensor:
        """Radians to degrees, x·180/π (integers give the default float).

        Example:
            >>> import math
            >>> from tinygrad_lite import tensor
            >>> tensor([math.pi]).rad2deg().tolist()
            [180.0]
        """
        return _floating(self) * _DEGREES_PER_RADIAN  # type: ignore[arg-type]

    def deg2rad(self) -> Tensor:
        """Degrees to radians, x·π/180 (integers give the default float).

        Example:
            >>> from tinygrad_lite import tensor
            >>> round(tensor([180]).deg2rad().item(), 6)
            3.141593
        """
        return _floating(self) * _RADIANS_PER_DEGREE  # type: ignore[arg-type]

    # ------------------------------------------------------------------ tests

    def isposinf(self) -> Tensor:
        """A bool tensor: where the values are +∞."""
        x = self.data
        return constant_result(np.isposinf(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool))

    def isneginf(self) -> Tensor:
        """A bool tensor: where the values are −∞."""
        x = self.data
        return constant_result(np.isneginf(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool))

    def isreal(self) -> Tensor:
        """A bool tensor: where the values are real, which every value of a real tensor is."""
        return constant_result(np.ones(self.data.shape, bool))

    # ------------------------------------------------------------------ extremes and powers

    def _nan_aware(self, other: Any, op: str, prefer: Any) -> Tensor:
        x: Tensor = self  # type: ignore[assignment]
        o = _tensor(other, op)
        a, b = x.data, o.data
        with np.errstate(invalid="ignore"):
            keep = prefer(a, b)
        if b.dtype.kind == "f":
            keep = keep | np.isnan(b)
        return F.Where.apply(constant_result(np.asarray(keep)), x, o)

    def fmax(self, other: Tensor) -> Tensor:
        """The larger of self and other, elementwise, ignoring NaN (NaN only where both are).

        The gradient goes to self where self ≥ other or other is NaN, else to other (ties go
        to self, as PyTorch's). Broadcasts; the dtype is the promoted one.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1.0, float("nan"), 5.0]).fmax(tensor([2.0, 3.0, float("nan")])).tolist()
            [2.0, 3.0, 5.0]
        """
        return self._nan_aware(other, "fmax", np.greater_equal)

    def fmin(self, other: Tensor) -> Tensor:
        """The smaller of self and other, elementwise, ignoring NaN (NaN only where both are).

        The gradient goes to self where self ≤ other or other is NaN, else to other.
        """
        return self._nan_aware(other, "fmin", np.less_equal)

    def float_power(self, exponent: Any) -> Tensor:
        """Self^exponent computed in float64, whatever the dtypes (PyTorch's float_power).

        A number exponent is a constant power (d/dx = p·x^(p−1)); a tensor exponent is
        converted to float64 too and gets the gradient x^y·ln x.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1, 2, 3]).float_power(2).tolist()
            [1.0, 4.0, 9.0]
        """
        x: Tensor = self  # type: ignore[assignment]
        base = x if x.dtype == np.float64 else x.astype(np.float64)
        if isinstance(exponent, (bool, np.bool_)):
            raise TypeError("float_power: exponent must be a number or a Tensor, got a bool")
        if dtypes.is_scalar(exponent):
            return base.pow(float(exponent))
        e = self._wrap(exponent, "float_power")
        return base.pow(e if e.dtype == np.float64 else e.astype(np.float64))

    def ldexp(self, other: Tensor) -> Tensor:
        """Self·2^other, elementwise with broadcasting.

        The dtype is the operands' promoted float (integers give the default float); float32
        self with an integer exponent stays float32. A float exponent's power 2^other is
        rounded in the exponent's dtype, as PyTorch's; a bool exponent is refused, as there.
        The derivatives are 2^other and self·2^other·ln 2.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1.0, 3.0]).ldexp(tensor([3, -1])).tolist()
            [8.0, 1.5]
        """
        x: Tensor = self  # type: ignore[assignment]
        e = _tensor(other, "ldexp")
        if e.dtype.kind == "b":
            raise TypeError("ldexp: the exponent cannot be a bool tensor (PyTorch refuses it too)")
        dt = dtypes.result_type(x.data, e.data) if e.dtype.kind == "f" else x.dtype
        if dt.kind != "f":
            dt = dtypes.DEFAULT_FLOAT
        # 2^other in other's own float dtype, then widened, as PyTorch rounds it
        pt = e.dtype if e.dtype.kind == "f" else dt
        two = self._wrap(np.asarray(2.0, dtype=pt), "ldexp")
        power = F.PowTensor.apply(two, e if e.dtype == pt else e.astype(pt))
        power = power if power.dtype == dt else power.astype(dt)
        return (x if x.dtype == dt else x.astype(dt)) * power

    def frexp(self) -> FrexpResult:
        """(mantissa, exponent) with self = mantissa·2^exponent and 0.5 ≤ |mantissa| < 1.

        Zero gives (0, 0), ±∞ and NaN themselves with exponent 0; exponents are int32, as
        PyTorch's. Floats only. The mantissa's gradient is 2^(−exponent).

        Example:
            >>> from tinygrad_lite import tensor
            >>> m, e = tensor([8.0, -3.5]).frexp()
            >>> m.tolist(), e.tolist()
            ([0.5, -0.875], [4, 2])
        """
        x: Tensor = self  # type: ignore[assignment]
        if x.dtype.kind != "f":
            raise TypeError(f"frexp: needs a float tensor, got dtype {x.dtype}")
        _, exponent = np.frexp(x.data)
        # x·2^(−e) in two exact steps: 2^(−e) alone overflows for subnormal x
        half = -exponent // 2
        one = np.ones((), x.dtype)
        s1, s2 = (self._wrap(np.ldexp(one, k), "frexp") for k in (half, -exponent - half))
        return FrexpResult(x * s1 * s2, constant_result(exponent.astype(np.int32)))

    def nextafter(self, other: Tensor) -> Tensor:
        """The next float after self toward other, elementwise (floats only).

        The gradient is PyTorch's: 1 to self (the step to the next float is a constant; none
        where self is infinite or NaN), 0 to other.

        Example:
            >>> from tinygrad_lite import tensor
            >>> (tensor([1.0]).nextafter(tensor([2.0])) - 1.0).item() == 2.0**-52
            True
        """
        x: Tensor = self  # type: ignore[assignment]
        o = _tensor(other, "nextafter")
        a, b = x.data, o.data
        if a.dtype.kind != "f" or b.dtype.kind != "f":
            raise TypeError(f"nextafter: needs float tensors, got dtypes {a.dtype} and {b.dtype}")
        after = np.nextafter(a, b)
        finite = np.isfinite(a)
        with np.errstate(invalid="ignore"):
            step = np.where(finite, after - a, 0).astype(after.dtype)  # exact: one ulp or 0
        base = x if x.dtype == after.dtype else x.astype(after.dtype)
        stepped = base + self._wrap(step, "nextafter")
        return F.Where.apply(constant_result(finite), stepped, self._wrap(after, "nextafter"))

    # ------------------------------------------------------------------ integers and bits

    def gcd(self, other: Tensor) -> Tensor:
        """The greatest common divisor of self and other, elementwise (≥ 0; 0 for two zeros).

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([-4, 6, 0]).gcd(tensor([6, -4, 5])).tolist()
            [2, 2, 5]
        """
        b = array_of(_tensor(other, "gcd"))
        _integers("gcd", self.data, b, bools=False)
        return constant_result(np.gcd(self.data, b))

    def lcm(self, other: Tensor) -> Tensor:
        """The least common multiple of self and other, elementwise (≥ 0; 0 if either is 0).

        As in PyTorch, a result beyond the dtype's range wraps around.
        """
        b = array_of(_tensor(other, "lcm"))
        _integers("lcm", self.data, b, bools=False)
        return constant_result(np.lcm(self.data, b))

    def _bitwise(self, other: Any, op: str, fn: Any, bools: bool = True) -> Tensor:
        b = self._wrap(other, op).data
        _integers(op, self.data, b, bools=bools)
        return constant_result(fn(self.data, b))

    def bitwise_and(self, other: Any) -> Tensor:
        """Self & other bit by bit (integers or bools; a number is weak), with broadcasting."""
        return self._bitwise(other, "bitwise_and", np.bitwise_and)

    def bitwise_or(self, other: Any) -> Tensor:
        """Self | other bit by bit (integers or bools)."""
        return self._bitwise(other, "bitwise_or", np.bitwise_or)

    def bitwise_xor(self, other: Any) -> Tensor:
        """Self ^ other bit by bit (integers or bools)."""
        return self._bitwise(other, "bitwise_xor", np.bitwise_xor)

    def bitwise_not(self) -> Tensor:
        """~self bit by bit: −x − 1 for signed integers, not for bools."""
        _integers("bitwise_not", self.data)
        return constant_result(np.invert(self.data))

    def bitwise_left_shift(self, other: Any) -> Tensor:
        """Self·2^other as bits shifted left (integers only); bits shifted out are lost.

        A shift that is negative or at least the width gives 0, as PyTorch's.
        """
        return self._bitwise(other, "bitwise_left_shift", np.left_shift, bools=False)

    def bitwise_right_shift(self, other: Any) -> Tensor:
        """Self shifted right by other bits (arithmetic: the sign is kept), integers only.

        A shift that is negative or beyond the width gives 0, or −1 for negative signed
        values, as PyTorch's.
        """
        return self._bitwise(other, "bitwise_right_shift", np.right_shift, bools=False)
