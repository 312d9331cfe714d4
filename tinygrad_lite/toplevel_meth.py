"""PyTorch's functions that are a Tensor method here: `tg.round(x)` is `x.round()`, and so on.

PyTorch offers most Tensor methods as functions too (`torch.gather(x, 1, index)` for
`x.gather(1, index)`). Each function below takes the tensor first and passes every other
argument to the method of the same name, so it computes what the method computes (values,
dtypes, gradients, errors); the method's documentation is the function's. The first argument
must be a Tensor, as in PyTorch: an array or a number is refused with a message (wrap it with
`tinygrad_lite.tensor`). Where PyTorch's function accepts more than its method, so does this
one: `pow(2, x)` and `float_power(2, x)` take a number first, and `repeat_interleave(repeats)`
alone repeats each index `repeats[i]` times. `tg.all`, `tg.any`, `tg.pow` and `tg.round` are
not in `__all__`, so that `from tinygrad_lite import *` does not hide Python's builtins.

>>> import tinygrad_lite as tg
>>> x = tg.tensor([[1.5, -2.5], [0.25, 4.0]])
>>> tg.round(x).tolist(), tg.gather(x, 1, tg.tensor([[1], [0]])).tolist()
([[2.0, -2.0], [0.0, 4.0]], [[-2.5], [0.25]])
>>> tg.pow(2, tg.tensor([1, 3])).tolist(), tg.repeat_interleave(tg.tensor([2, 0, 1])).tolist()
([2, 8], [0, 0, 2])

The functions, by kind:

**Arithmetic and elementwise math**: `absolute`, `add`, `addcdiv`, `addcmul`, `angle`,
`bitwise_and`, `bitwise_left_shift`, `bitwise_not`, `bitwise_or`, `bitwise_right_shift`,
`bitwise_xor`, `ceil`, `clip`, `conj`, `conj_physical`, `cos`, `divide`, `erf`, `expm1`, `fix`,
`float_power`, `floor`, `fmax`, `fmin`, `frexp`, `gcd`, `imag`, `lcm`, `ldexp`, `log1p`, `maximum`,
`minimum`, `mul`, `multiply`, `neg`, `negative`, `nextafter`, `positive`, `pow`, `real`,
`reciprocal`, `resolve_conj`, `resolve_neg`, `round`, `rsqrt`, `sgn`, `sign`, `sin`, `square`,
`sub`, `subtract`, `true_divide`, `trunc`.

**Comparisons and predicates**: `eq`, `ge`, `get_device`, `greater`, `greater_equal`, `gt`,
`is_complex`, `is_conj`, `is_floating_point`, `is_inference`, `is_neg`, `is_nonzero`,
`is_same_size`, `is_signed`, `isfinite`, `isinf`, `isnan`, `isneginf`, `isposinf`, `isreal`, `le`,
`less`, `less_equal`, `lt`, `ne`, `not_equal`.

**Reductions and statistics**: `all`, `aminmax`, `any`, `kthvalue`, `mode`, `msort`, `nanquantile`,
`quantile`, `renorm`, `trace`.

**Indexing, scattering and selection**: `argwhere`, `diagonal_scatter`, `gather`, `index_copy`,
`index_fill`, `index_put`, `index_reduce`, `index_select`, `masked_fill`, `masked_scatter`,
`masked_select`, `narrow`, `narrow_copy`, `nonzero`, `nonzero_static`, `put`, `select`,
`select_scatter`, `slice_scatter`.

**Shapes and pieces**: `adjoint`, `diag_embed`, `diagflat`, `dsplit`, `fliplr`, `flipud`, `hsplit`,
`moveaxis`, `movedim`, `ravel`, `repeat_interleave`, `split_with_sizes`, `swapaxes`, `swapdims`,
`t`, `tensor_split`, `tile`, `unbind`, `unsafe_chunk`, `unsafe_split`, `unsafe_split_with_sizes`,
`vsplit`.

**Products**: `addbmm`, `addmv`, `addr`, `ger`, `mv`.

**Special functions**: `digamma`, `erfc`, `erfinv`, `i0`, `lgamma`, `mvlgamma`, `polygamma` (as
in PyTorch, `polygamma(n, input)` takes the order first).

**Random draws, copies and autograd**: `bernoulli`, `clone`, `detach`, `multinomial`.

**In place (each returns its input, changed)**: `abs_`, `acos_`, `acosh_`, `addmv_`, `arccos_`,
`arccosh_`, `arcsin_`, `arcsinh_`, `arctan_`, `arctanh_`, `asin_`, `asinh_`, `atan_`, `atanh_`,
`ceil_`, `clamp_`, `clamp_max_`, `clamp_min_`, `clip_`, `conj_physical_`, `cos_`, `cosh_`,
`deg2rad_`, `detach_`, `erf_`, `erfc_`, `exp2_`, `exp_`, `expm1_`, `fill_`, `fix_`, `floor_`,
`frac_`, `gcd_`, `i0_`, `index_put_`, `lcm_`, `ldexp_`, `log10_`, `log1p_`, `log2_`, `log_`,
`logit_`, `nan_to_num_`, `neg_`, `negative_`, `rad2deg_`, `reciprocal_`, `relu_`, `resize_as_`,
`round_`, `rsqrt_`, `sigmoid_`, `sin_`, `sinc_`, `sinh_`, `sqrt_`, `square_`, `tan_`, `tanh_`,
`trunc_`, `xlogy_`, `zero_`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = [
    "abs_", "absolute", "acos_", "acosh_", "add", "addbmm", "addcdiv", "addcmul", "addmv",
    "addmv_", "addr", "adjoint", "aminmax", "angle", "arccos_", "arccosh_", "arcsin_",
    "arcsinh_", "arctan_", "arctanh_", "argwhere", "asin_", "asinh_", "atan_", "atanh_",
    "bernoulli", "bitwise_and", "bitwise_left_shift", "bitwise_not", "bitwise_or",
    "bitwise_right_shift", "bitwise_xor", "ceil", "ceil_", "clamp_", "clamp_max_", "clamp_min_",
    "clip", "clip_", "clone", "conj", "conj_physical", "conj_physical_", "cos", "cos_", "cosh_",
    "deg2rad_", "detach", "detach_", "diag_embed", "diagflat", "diagonal_scatter", "digamma",
    "divide", "dsplit", "eq", "erf", "erf_", "erfc", "erfc_", "erfinv", "exp2_", "exp_",
    "expm1", "expm1_", "fill_", "fix", "fix_", "fliplr", "flipud", "float_power", "floor",
    "floor_", "fmax", "fmin", "frac_", "frexp", "gather", "gcd", "gcd_", "ge", "ger",
    "get_device", "greater", "greater_equal", "gt", "hsplit", "i0", "i0_", "imag", "index_copy",
    "index_fill", "index_put", "index_put_", "index_reduce", "index_select", "is_complex",
    "is_conj", "is_floating_point", "is_inference", "is_neg", "is_nonzero", "is_same_size",
    "is_signed", "isfinite", "isinf", "isnan", "isneginf", "isposinf", "isreal", "kthvalue",
    "lcm", "lcm_", "ldexp", "ldexp_", "le", "less", "less_equal", "lgamma", "log10_", "log1p",
    "log1p_", "log2_", "log_", "logit_", "lt", "masked_fill", "masked_scatter", "masked_select",
    "maximum", "minimum", "mode", "moveaxis", "movedim", "msort", "mul", "multinomial",
    "multiply", "mv", "mvlgamma", "nan_to_num_", "nanquantile", "narrow", "narrow_copy", "ne",
    "neg", "neg_", "negative", "negative_", "nextafter", "nonzero", "nonzero_static",
    "not_equal", "polygamma", "positive", "put", "quantile", "rad2deg_", "ravel", "real",
    "reciprocal", "reciprocal_", "relu_", "renorm", "repeat_interleave", "resize_as_",
    "resolve_conj", "resolve_neg", "round_", "rsqrt", "rsqrt_", "select", "select_scatter",
    "sgn", "sigmoid_", "sign", "sin", "sin_", "sinc_", "sinh_", "slice_scatter",
    "split_with_sizes", "sqrt_", "square", "square_", "sub", "subtract", "swapaxes", "swapdims",
    "t", "tan_", "tanh_", "tensor_split", "tile", "trace", "true_divide", "trunc", "trunc_",
    "unbind", "unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes", "vsplit", "xlogy_",
    "zero_",
]  # fmt: skip


def _tensor(x: Any, fn: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}: expected a Tensor as the first argument, got {type(x).__name__}; wrap arrays "
            "and numbers with tinygrad_lite.tensor(...)"
        )
    return x


def _method(name: str) -> Callable[..., Any]:
    """`name(input, *args, **kwargs)`, calling `input.name(*args, **kwargs)`."""

    def function(input: Tensor, *args: Any, **kwargs: Any) -> Any:
        return getattr(_tensor(input, name), name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"`input.{name}(*args, **kwargs)` (see `Tensor.{name}`)."
    return function


def pow(input: Tensor | float, exponent: Tensor | float) -> Tensor:  # noqa: A001
    """`input ** exponent`; `input` may be a Python number when `exponent` is a Tensor."""
    if not isinstance(input, Tensor) and isinstance(exponent, Tensor):
        return input**exponent
    return _tensor(input, "pow").pow(exponent)


def float_power(input: Tensor | float, exponent: Tensor | float) -> Tensor:
    """`input ** exponent` in float64; `input` may be a number when `exponent` is a Tensor."""
    if not isinstance(input, Tensor) and isinstance(exponent, Tensor):
        if isinstance(input, bool) or not isinstance(input, (int, float)):
            raise TypeError(
                f"float_power: expected a Tensor or a number, got {type(input).__name__}"
            )
        return Tensor(float(input)).float_power(exponent)
    return _tensor(input, "float_power").float_power(exponent)


def repeat_interleave(
    input: Tensor, repeats: Any = None, dim: int | None = None, *, output_size: int | None = None
) -> Tensor:
    """`input.repeat_interleave(repeats, dim)`, or with `input` alone, indices repeated.

    Alone, `input` is a 1-D int tensor of counts, and index `i` is repeated `input[i]` times,
    as in `torch.repeat_interleave(repeats)`.
    """
    _tensor(input, "repeat_interleave")
    if repeats is None:
        if dim is not None:
            raise TypeError(
                "repeat_interleave: dim needs repeats (repeat_interleave(input, repeats, dim))"
            )
        if input.ndim != 1 or input.dtype.kind not in "iu":
            raise ValueError(
                "repeat_interleave: alone, the argument is the 1-D int tensor of counts, got "
                f"shape {input.shape} and dtype {input.dtype}"
            )
        index = Tensor(np.arange(input.shape[0], dtype=np.int64))
        return index.repeat_interleave(input, output_size=output_size)
    return input.repeat_interleave(repeats, dim, output_size=output_size)


def polygamma(n: int, input: Tensor) -> Tensor:
    """ψ⁽ⁿ⁾(input), the n-th derivative of the digamma function: `input.polygamma(n)`."""
    return _tensor(input, "polygamma").polygamma(n)


def real(input: Tensor) -> Tensor:
    """`input.real`: the tensor itself (real tensors only here)."""
    return _tensor(input, "real").real


def imag(input: Tensor) -> Tensor:
    """`input.imag`: refused as for every real tensor (see `Tensor.imag`)."""
    return _tensor(input, "imag").imag


abs_ = _method("abs_")
absolute = _method("absolute")
acos_ = _method("acos_")
acosh_ = _method("acosh_")
add = _method("add")
addbmm = _method("addbmm")
addcdiv = _method("addcdiv")
addcmul = _method("addcmul")
addmv = _method("addmv")
addmv_ = _method("addmv_")
addr = _method("addr")
adjoint = _method("adjoint")
all = _method("all")  # noqa: A001
aminmax = _method("aminmax")
angle = _method("angle")
any = _method("any")  # noqa: A001
arccos_ = _method("arccos_")
arccosh_ = _method("arccosh_")
arcsin_ = _method("arcsin_")
arcsinh_ = _method("arcsinh_")
arctan_ = _method("arctan_")
arctanh_ = _method("arctanh_")
argwhere = _method("argwhere")
asin_ = _method("asin_")
asinh_ = _method("asinh_")
atan_ = _method("atan_")
atanh_ = _method("atanh_")
bernoulli = _method("bernoulli")
bitwise_and = _method("bitwise_and")
bitwise_left_shift = _method("bitwise_left_shift")
bitwise_not = _method("bitwise_not")
bitwise_or = _method("bitwise_or")
bitwise_right_shift = _method("bitwise_right_shift")
bitwise_xor = _method("bitwise_xor")
ceil = _method("ceil")
ceil_ = _method("ceil_")
clamp_ = _method("clamp_")
clamp_max_ = _method("clamp_max_")
clamp_min_ = _method("clamp_min_")
clip = _method("clip")
clip_ = _method("clip_")
clone = _method("clone")
conj = _method("conj")
conj_physical = _method("conj_physical")
conj_physical_ = _method("conj_physical_")
cos = _method("cos")
cos_ = _method("cos_")
cosh_ = _method("cosh_")
deg2rad_ = _method("deg2rad_")
detach = _method("detach")
detach_ = _method("detach_")
diag_embed = _method("diag_embed")
diagflat = _method("diagflat")
diagonal_scatter = _method("diagonal_scatter")
digamma = _method("digamma")
divide = _method("divide")
dsplit = _method("dsplit")
eq = _method("eq")
erf = _method("erf")
erf_ = _method("erf_")
erfc = _method("erfc")
erfc_ = _method("erfc_")
erfinv = _method("erfinv")
exp2_ = _method("exp2_")
exp_ = _method("exp_")
expm1 = _method("expm1")
expm1_ = _method("expm1_")
fill_ = _method("fill_")
fix = _method("fix")
fix_ = _method("fix_")
fliplr = _method("fliplr")
flipud = _method("flipud")
floor = _method("floor")
floor_ = _method("floor_")
fmax = _method("fmax")
fmin = _method("fmin")
frac_ = _method("frac_")
frexp = _method("frexp")
gather = _method("gather")
gcd = _method("gcd")
gcd_ = _method("gcd_")
ge = _method("ge")
ger = _method("ger")
get_device = _method("get_device")
greater = _method("greater")
greater_equal = _method("greater_equal")
gt = _method("gt")
hsplit = _method("hsplit")
i0 = _method("i0")
i0_ = _method("i0_")
index_copy = _method("index_copy")
index_fill = _method("index_fill")
index_put = _method("index_put")
index_put_ = _method("index_put_")
index_reduce = _method("index_reduce")
index_select = _method("index_select")
is_complex = _method("is_complex")
is_conj = _method("is_conj")
is_floating_point = _method("is_floating_point")
is_inference = _method("is_inference")
is_neg = _method("is_neg")
is_nonzero = _method("is_nonzero")
is_same_size = _method("is_same_size")
is_signed = _method("is_signed")
isfinite = _method("isfinite")
isinf = _method("isinf")
isnan = _method("isnan")
isneginf = _method("isneginf")
isposinf = _method("isposinf")
isreal = _method("isreal")
kthvalue = _method("kthvalue")
lcm = _method("lcm")
lcm_ = _method("lcm_")
ldexp = _method("ldexp")
ldexp_ = _method("ldexp_")
le = _method("le")
less = _method("less")
less_equal = _method("less_equal")
lgamma = _method("lgamma")
log10_ = _method("log10_")
log1p = _method("log1p")
log1p_ = _method("log1p_")
log2_ = _method("log2_")
log_ = _method("log_")
logit_ = _method("logit_")
lt = _method("lt")
masked_fill = _method("masked_fill")
masked_scatter = _method("masked_scatter")
masked_select = _method("masked_select")
maximum = _method("maximum")
minimum = _method("minimum")
mode = _method("mode")
moveaxis = _method("moveaxis")
movedim = _method("movedim")
msort = _method("msort")
mul = _method("mul")
multinomial = _method("multinomial")
multiply = _method("multiply")
mv = _method("mv")
mvlgamma = _method("mvlgamma")
nan_to_num_ = _method("nan_to_num_")
nanquantile = _method("nanquantile")
narrow = _method("narrow")
narrow_copy = _method("narrow_copy")
ne = _method("ne")
neg = _method("neg")
neg_ = _method("neg_")
negative = _method("negative")
negative_ = _method("negative_")
nextafter = _method("nextafter")
nonzero = _method("nonzero")
nonzero_static = _method("nonzero_static")
not_equal = _method("not_equal")
positive = _method("positive")
put = _method("put")
quantile = _method("quantile")
rad2deg_ = _method("rad2deg_")
ravel = _method("ravel")
reciprocal = _method("reciprocal")
reciprocal_ = _method("reciprocal_")
relu_ = _method("relu_")
renorm = _method("renorm")
resize_as_ = _method("resize_as_")
resolve_conj = _method("resolve_conj")
resolve_neg = _method("resolve_neg")
round = _method("round")  # noqa: A001
round_ = _method("round_")
rsqrt = _method("rsqrt")
rsqrt_ = _method("rsqrt_")
select = _method("select")
select_scatter = _method("select_scatter")
sgn = _method("sgn")
sigmoid_ = _method("sigmoid_")
sign = _method("sign")
sin = _method("sin")
sin_ = _method("sin_")
sinc_ = _method("sinc_")
sinh_ = _method("sinh_")
slice_scatter = _method("slice_scatter")
split_with_sizes = _method("split_with_sizes")
sqrt_ = _method("sqrt_")
square = _method("square")
square_ = _method("square_")
sub = _method("sub")
subtract = _method("subtract")
swapaxes = _method("swapaxes")
swapdims = _method("swapdims")
t = _method("t")
tan_ = _method("tan_")
tanh_ = _method("tanh_")
tensor_split = _method("tensor_split")
tile = _method("tile")
trace = _method("trace")
true_divide = _method("true_divide")
trunc = _method("trunc")
trunc_ = _method("trunc_")
unbind = _method("unbind")
unsafe_chunk = _method("unsafe_chunk")
unsafe_split = _method("unsafe_split")
unsafe_split_with_sizes = _method("unsafe_split_with_sizes")
vsplit = _method("vsplit")
xlogy_ = _method("xlogy_")
zero_ = _method("zero_")
