"""PyTorch's in-place elementwise methods: cos_, clamp_min_, tril_, eq_, pow_, gcd_, bernoulli_, ...

Each `f_` is the out-of-place `f` written into the tensor, with `tensor_inplace`'s rules: not
recorded (grad mode off, or nothing requires grad), the result is written into the tensor's
array, cast to its dtype; a leaf that requires grad refuses while gradients are recorded;
recorded, the tensor takes the result's values and its place in the graph. The result keeps
the tensor's shape and dtype, and a result of a wider kind is refused (a float result into an
integer tensor, anything but bool into a bool one); a comparison writes 1 and 0 into a number
tensor, as PyTorch's `eq_` does. The random fills draw from the library's generator (or
`generator`), like `uniform_` and `normal_`, into float tensors.

>>> from tinygrad_lite import tensor
>>> x = tensor([0.5, -2.0, 3.0])
>>> x.clamp_min_(0.0) is x, x.tolist()
(True, [0.5, 0.0, 3.0])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["TensorUpdateMethods"]


class TensorUpdateMethods:
    """In-place elementwise methods of `Tensor` (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray
        _ctx: Any
        _requires_grad: bool

        def _in_place(
            self, what: str, op: Callable[[Any, Any], Tensor], other: Any, ufunc: Any = None
        ) -> Tensor: ...
        def _fill_random(self, what: str, draw: Callable[..., Any], generator: Any) -> Tensor: ...

    def _unary_(self, what: str, op: Callable[[Any], Tensor]) -> Tensor:
        return self._in_place(what, lambda a, _: op(a), None)

    # ------------------------------------------------------------------ trigonometry

    def cos_(self) -> Tensor:
        """`cos` in place."""
        return self._unary_("cos_", lambda a: a.cos())

    def sin_(self) -> Tensor:
        """`sin` in place."""
        return self._unary_("sin_", lambda a: a.sin())

    def tan_(self) -> Tensor:
        """`tan` in place."""
        return self._unary_("tan_", lambda a: a.tan())

    def acos_(self) -> Tensor:
        """`acos` in place."""
        return self._unary_("acos_", lambda a: a.acos())

    def asin_(self) -> Tensor:
        """`asin` in place."""
        return self._unary_("asin_", lambda a: a.asin())

    def atan_(self) -> Tensor:
        """`atan` in place."""
        return self._unary_("atan_", lambda a: a.atan())

    def cosh_(self) -> Tensor:
        """`cosh` in place."""
        return self._unary_("cosh_", lambda a: a.cosh())

    def sinh_(self) -> Tensor:
        """`sinh` in place."""
        return self._unary_("sinh_", lambda a: a.sinh())

    def acosh_(self) -> Tensor:
        """`acosh` in place."""
        return self._unary_("acosh_", lambda a: a.acosh())

    def asinh_(self) -> Tensor:
        """`asinh` in place."""
        return self._unary_("asinh_", lambda a: a.asinh())

    def atanh_(self) -> Tensor:
        """`atanh` in place."""
        return self._unary_("atanh_", lambda a: a.atanh())

    def arccos_(self) -> Tensor:
        """`acos` in place."""
        return self._unary_("arccos_", lambda a: a.acos())

    def arcsin_(self) -> Tensor:
        """`asin` in place."""
        return self._unary_("arcsin_", lambda a: a.asin())

    def arctan_(self) -> Tensor:
        """`atan` in place."""
        return self._unary_("arctan_", lambda a: a.atan())

    def arccosh_(self) -> Tensor:
        """`acosh` in place."""
        return self._unary_("arccosh_", lambda a: a.acosh())

    def arcsinh_(self) -> Tensor:
        """`asinh` in place."""
        return self._unary_("arcsinh_", lambda a: a.asinh())

    def arctanh_(self) -> Tensor:
        """`atanh` in place."""
        return self._unary_("arctanh_", lambda a: a.atanh())

    def atan2_(self, other: Any) -> Tensor:
        """`atan2` in place."""
        return self._in_place("atan2_", lambda a, b: a.atan2(b), other)

    def arctan2_(self, other: Any) -> Tensor:
        """`atan2` in place."""
        return self._in_place("arctan2_", lambda a, b: a.atan2(b), other)

    def hypot_(self, other: Any) -> Tensor:
        """`hypot` in place."""
        return self._in_place("hypot_", lambda a, b: a.hypot(b), other)

    def sinc_(self) -> Tensor:
        """`sinc` in place."""
        return self._unary_("sinc_", lambda a: a.sinc())

    def deg2rad_(self) -> Tensor:
        """`deg2rad` in place (float tensors: the result is a float)."""
        return self._unary_("deg2rad_", lambda a: a.deg2rad())

    def rad2deg_(self) -> Tensor:
        """`rad2deg` in place (float tensors: the result is a float)."""
        return self._unary_("rad2deg_", lambda a: a.rad2deg())

    # ------------------------------------------------------------------ exponentials, powers

    def exp2_(self) -> Tensor:
        """`exp2` in place."""
        return self._unary_("exp2_", lambda a: a.exp2())

    def expm1_(self) -> Tensor:
        """`expm1` in place."""
        return self._unary_("expm1_", lambda a: a.expm1())

    def log2_(self) -> Tensor:
        """`log2` in place."""
        return self._unary_("log2_", lambda a: a.log2())

    def log10_(self) -> Tensor:
        """`log10` in place."""
        return self._unary_("log10_", lambda a: a.log10())

    def log1p_(self) -> Tensor:
        """`log1p` in place."""
        return self._unary_("log1p_", lambda a: a.log1p())

    def logit_(self, eps: float | None = None) -> Tensor:
        """`logit` in place."""
        return self._unary_("logit_", lambda a: a.logit(eps))

    def erf_(self) -> Tensor:
        """`erf` in place."""
        return self._unary_("erf_", lambda a: a.erf())

    def reciprocal_(self) -> Tensor:
        """`reciprocal` in place (1/x)."""
        return self._unary_("reciprocal_", lambda a: a.reciprocal())

    def rsqrt_(self) -> Tensor:
        """`rsqrt` in place (1/√x)."""
        return self._unary_("rsqrt_", lambda a: a.rsqrt())

    def square_(self) -> Tensor:
        """`square` in place (x²)."""
        return self._unary_("square_", lambda a: a.square())

    def pow_(self, exponent: Any) -> Tensor:
        """`pow` in place: self^exponent."""
        return self._in_place("pow_", lambda a, b: a.pow(b), exponent)

    def float_power_(self, exponent: Any) -> Tensor:
        """`float_power` in place; as in PyTorch, only a float64 tensor can hold the result."""
        if self.data.dtype != np.float64:
            raise TypeError(
                f"float_power_: the result is float64, which a tensor of dtype "
                f"{self.data.dtype} cannot hold in place (PyTorch refuses too); cast it first"
            )
        return self._in_place("float_power_", lambda a, b: a.float_power(b), exponent)

    def ldexp_(self, other: Any) -> Tensor:
        """`ldexp` in place: self·2^other."""
        return self._in_place("ldexp_", lambda a, b: a.ldexp(b), other)

    def xlogy_(self, other: Any) -> Tensor:
        """`xlogy` in place: self·ln(other), 0 where self is 0."""
        return self._in_place("xlogy_", lambda a, b: a.xlogy(b), other)

    # ------------------------------------------------------------------ arithmetic aliases

    def absolute_(self) -> Tensor:
        """`absolute` in place (refused for bool tensors, as in PyTorch)."""
        return self._unary_("absolute_", lambda a: a.absolute())

    def negative_(self) -> Tensor:
        """`neg` in place."""
        return self._unary_("negative_", lambda a: -a)

    def multiply_(self, other: Any) -> Tensor:
        """`mul` in place."""
        return self._in_place("multiply_", lambda a, b: a.mul(b), other, np.multiply)

    def subtract_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """`subtract` in place: self − alpha·other."""
        return self._in_place("subtract_", lambda a, b: a.subtract(b, alpha=alpha), other)

    def true_divide_(self, other: Any) -> Tensor:
        """`div` in place (true division)."""
        return self._in_place("true_divide_", lambda a, b: a.div(b), other, np.divide)

    def divide_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """`div` in place, true division or rounded ("trunc" or "floor")."""
        return self._in_place("divide_", lambda a, b: a.div(b, rounding_mode=rounding_mode), other)

    def floor_divide_(self, other: Any) -> Tensor:
        """`floor_divide` in place (self // other)."""
        return self._in_place("floor_divide_", lambda a, b: a.floor_divide(b), other)

    def copysign_(self, other: Any) -> Tensor:
        """`copysign` in place (float tensors: the result is a float)."""
        return self._in_place("copysign_", lambda a, b: a.copysign(b), other)

    def heaviside_(self, values: Any) -> Tensor:
        """`heaviside` in place."""
        return self._in_place("heaviside_", lambda a, v: a.heaviside(v), values)

    def nan_to_num_(
        self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
    ) -> Tensor:
        """`nan_to_num` in place."""
        return self._unary_("nan_to_num_", lambda a: a.nan_to_num(nan, posinf, neginf))

    def clamp_min_(self, min: Any) -> Tensor:  # noqa: A002 - PyTorch's name
        """`clamp_min` in place: max(self, min)."""
        return self._unary_("clamp_min_", lambda a: a.clamp(min=min))

    def clamp_max_(self, max: Any) -> Tensor:  # noqa: A002 - PyTorch's name
        """`clamp_max` in place: min(self, max)."""
        return self._unary_("clamp_max_", lambda a: a.clamp(max=max))

    def clip_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """`clamp` in place."""
        return self._unary_("clip_", lambda a: a.clamp(min, max))

    # ------------------------------------------------------------------ rounding and signs

    def floor_(self) -> Tensor:
        """`floor` in place."""
        return self._unary_("floor_", lambda a: a.floor())

    def ceil_(self) -> Tensor:
        """`ceil` in place."""
        return self._unary_("ceil_", lambda a: a.ceil())

    def trunc_(self) -> Tensor:
        """`trunc` in place."""
        return self._unary_("trunc_", lambda a: a.trunc())

    def fix_(self) -> Tensor:
        """`trunc` in place."""
        return self._unary_("fix_", lambda a: a.trunc())

    def round_(self, decimals: int = 0) -> Tensor:
        """`round` in place (halves to even)."""
        return self._unary_("round_", lambda a: a.round(decimals))

    def frac_(self) -> Tensor:
        """`frac` in place: self − trunc(self)."""
        return self._unary_("frac_", lambda a: a.frac())

    def sign_(self) -> Tensor:
        """`sign` in place."""
        return self._unary_("sign_", lambda a: a.sign())

    def sgn_(self) -> Tensor:
        """`sgn` in place."""
        return self._unary_("sgn_", lambda a: a.sgn())

    # ------------------------------------------------------------------ comparisons, logic

    def eq_(self, other: Any) -> Tensor:
        """Self == other written in place (1 and 0 in a number tensor)."""
        return self._in_place("eq_", lambda a, b: a == b, other)

    def ne_(self, other: Any) -> Tensor:
        """Self != other written in place."""
        return self._in_place("ne_", lambda a, b: a != b, other)

    def not_equal_(self, other: Any) -> Tensor:
        """Self != other written in place."""
        return self._in_place("not_equal_", lambda a, b: a != b, other)

    def lt_(self, other: Any) -> Tensor:
        """Self < other written in place."""
        return self._in_place("lt_", lambda a, b: a < b, other)

    def less_(self, other: Any) -> Tensor:
        """Self < other written in place."""
        return self._in_place("less_", lambda a, b: a < b, other)

    def le_(self, other: Any) -> Tensor:
        """Self <= other written in place."""
        return self._in_place("le_", lambda a, b: a <= b, other)

    def less_equal_(self, other: Any) -> Tensor:
        """Self <= other written in place."""
        return self._in_place("less_equal_", lambda a, b: a <= b, other)

    def gt_(self, other: Any) -> Tensor:
        """Self > other written in place."""
        return self._in_place("gt_", lambda a, b: a > b, other)

    def greater_(self, other: Any) -> Tensor:
        """Self > other written in place."""
        return self._in_place("greater_", lambda a, b: a > b, other)

    def ge_(self, other: Any) -> Tensor:
        """Self >= other written in place."""
        return self._in_place("ge_", lambda a, b: a >= b, other)

    def greater_equal_(self, other: Any) -> Tensor:
        """Self >= other written in place."""
        return self._in_place("greater_equal_", lambda a, b: a >= b, other)

    def logical_and_(self, other: Any) -> Tensor:
        """`logical_and` written in place."""
        return self._in_place("logical_and_", lambda a, b: a.logical_and(b), other)

    def logical_or_(self, other: Any) -> Tensor:
        """`logical_or` written in place."""
        return self._in_place("logical_or_", lambda a, b: a.logical_or(b), other)

    def logical_xor_(self, other: Any) -> Tensor:
        """`logical_xor` written in place."""
        return self._in_place("logical_xor_", lambda a, b: a.logical_xor(b), other)

    def logical_not_(self) -> Tensor:
        """`logical_not` written in place."""
        return self._unary_("logical_not_", lambda a: a.logical_not())

    def bitwise_and_(self, other: Any) -> Tensor:
        """`bitwise_and` in place."""
        return self._in_place("bitwise_and_", lambda a, b: a.bitwise_and(b), other)

    def bitwise_or_(self, other: Any) -> Tensor:
        """`bitwise_or` in place."""
        return self._in_place("bitwise_or_", lambda a, b: a.bitwise_or(b), other)

    def bitwise_xor_(self, other: Any) -> Tensor:
        """`bitwise_xor` in place."""
        return self._in_place("bitwise_xor_", lambda a, b: a.bitwise_xor(b), other)

    def bitwise_not_(self) -> Tensor:
        """`bitwise_not` in place."""
        return self._unary_("bitwise_not_", lambda a: a.bitwise_not())

    def bitwise_left_shift_(self, other: Any) -> Tensor:
        """`bitwise_left_shift` in place."""
        return self._in_place("bitwise_left_shift_", lambda a, b: a.bitwise_left_shift(b), other)

    def bitwise_right_shift_(self, other: Any) -> Tensor:
        """`bitwise_right_shift` in place."""
        return self._in_place("bitwise_right_shift_", lambda a, b: a.bitwise_right_shift(b), other)

    def gcd_(self, other: Any) -> Tensor:
        """`gcd` in place."""
        return self._in_place("gcd_", lambda a, b: a.gcd(b), other)

    def lcm_(self, other: Any) -> Tensor:
        """`lcm` in place."""
        return self._in_place("lcm_", lambda a, b: a.lcm(b), other)

    def nextafter_(self, other: Any) -> Tensor:
        """`nextafter` in place."""
        return self._in_place("nextafter_", lambda a, b: a.nextafter(b), other)

    # ------------------------------------------------------------------ along a dimension

    def cumsum_(self, dim: int) -> Tensor:
        """`cumsum` in place."""
        return self._unary_("cumsum_", lambda a: a.cumsum(dim))

    def cumprod_(self, dim: int) -> Tensor:
        """`cumprod` in place."""
        return self._unary_("cumprod_", lambda a: a.cumprod(dim))

    def tril_(self, diagonal: int = 0) -> Tensor:
        """`tril` in place: zeros above `diagonal`."""
        return self._unary_("tril_", lambda a: a.tril(diagonal))

    def triu_(self, diagonal: int = 0) -> Tensor:
        """`triu` in place: zeros below `diagonal`."""
        return self._unary_("triu_", lambda a: a.triu(diagonal))
