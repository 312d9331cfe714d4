"""PyTorch's functions that are Tensor methods here (`tg.round(x)` is `x.round()`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, toplevel_meth
from tinygrad_lite.gradcheck import numerical_grad

# The arguments after the tensor, for the functions that need some (the others take none).
_I = np.array([[1, 0], [0, 2]])
ARGS: dict[str, tuple[Any, ...]] = {
    **dict.fromkeys(("add", "sub", "subtract", "mul", "multiply", "divide", "true_divide"), (2.5,)),
    **dict.fromkeys(("maximum", "minimum", "fmax", "fmin", "nextafter", "ldexp"), ("y",)),
    **dict.fromkeys(("eq", "ne", "not_equal", "ge", "greater_equal", "greater"), (0.5,)),
    **dict.fromkeys(("gt", "le", "less", "less_equal", "lt"), (0.5,)),
    "is_same_size": ("y",),
    **dict.fromkeys(("clip", "clip_", "clamp_"), (0.2, 0.6)),
    **dict.fromkeys(("clamp_max_", "clamp_min_"), (0.5,)),
    "addcdiv": ("y", "y"),
    "addcmul": ("y", "y"),
    "fill_": (3.0,),
    "pow": (2,),
    "float_power": (2,),
    "ldexp_": ("i",),
    "xlogy_": ("y",),
    "gather": (1, Tensor(_I)),
    "index_select": (1, Tensor(np.array([2, 0]))),
    "index_copy": (0, Tensor(np.array([1])), "row"),
    "index_fill": (1, Tensor(np.array([0])), 7.0),
    "index_put": ((Tensor(np.array([0])),), Tensor(np.array(9.0))),
    "index_put_": ((Tensor(np.array([1])),), Tensor(np.array(8.0))),
    "index_reduce": (0, Tensor(np.array([1])), "row", "prod"),
    "masked_fill": ("mask", 0.0),
    "masked_select": ("mask",),
    "masked_scatter": ("mask", "y"),
    "narrow": (1, 1, 2),
    "narrow_copy": (1, 0, 2),
    "select": (1, 2),
    "put": (Tensor(_I[0]), "two"),
    "select_scatter": ("col", 1, 0),
    "slice_scatter": ("y2", 1, 0, 2),
    "diagonal_scatter": ("diag",),
    "nonzero_static": (),
    "kthvalue": (2, 1),
    "mode": (1,),
    "quantile": (0.25,),
    "nanquantile": (0.75,),
    "renorm": (2, 0, 1.0),
    "moveaxis": (0, 1),
    "movedim": (1, 0),
    "swapaxes": (0, 1),
    "swapdims": (1, 0),
    "split_with_sizes": ([1, 2], 1),
    "unsafe_split_with_sizes": ([2, 1], 1),
    "unsafe_split": (2, 1),
    "unsafe_chunk": (2, 1),
    "tensor_split": (2, 1),
    "hsplit": (3,),
    "vsplit": (2,),
    "tile": ((2, 1),),
    "repeat_interleave": (2,),
    "unbind": (1,),
    "addbmm": ("b1", "b2"),
    "addmv": ("m", "v"),
    "addmv_": ("m", "v"),
    "addr": ("v2", "v3"),
    "ger": ("v3",),
    "mv": ("v3",),
    "gcd": ("i",),
    "lcm": ("i",),
    "gcd_": ("i",),
    "lcm_": ("i",),
    "bitwise_and": ("i",),
    "bitwise_or": ("i",),
    "bitwise_xor": ("i",),
    "bitwise_left_shift": ("i",),
    "bitwise_right_shift": ("i",),
    "resize_as_": ("y",),
    "diag_embed": (),
    "dsplit": (1,),
    "mvlgamma": (2,),
}
INTS = {"gcd", "lcm", "gcd_", "lcm_", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"}
INTS |= {"bitwise_left_shift", "bitwise_right_shift"}
ABOVE_ONE = {"acosh_", "arccosh_", "mvlgamma"}
KWARGS: dict[str, dict[str, Any]] = {"nonzero_static": {"size": 3}}
BOOLS = {"is_nonzero"}
THREE_D = {"dsplit"}
RANDOM = {"bernoulli", "multinomial"}
NAMES = sorted(set(toplevel_meth.__all__) | {"all", "any", "pow", "round"})


def _operands(name: str) -> tuple[Tensor, tuple[Any, ...]]:
    rng = np.random.default_rng(len(name))
    if name in INTS:
        x = Tensor(rng.integers(1, 9, size=(2, 3)))
    elif name in BOOLS:
        x = Tensor(np.array([1.5]))
    elif name in THREE_D:
        x = Tensor(rng.random((2, 3, 2)))
    elif name == "addbmm":
        x = Tensor(rng.random((2, 2)))
    else:
        x = Tensor(rng.random((2, 3)) * 0.8 + 0.1 + (name in ABOVE_ONE))
    named = {
        "y": Tensor(rng.random(x.shape) * 0.8 + 0.1),
        "i": Tensor(rng.integers(1, 4, size=(2, 3))),
        "mask": Tensor(rng.random((2, 3)) > 0.5),
        "row": Tensor(rng.random((1, 3))),
        "col": Tensor(rng.random(2)),
        "y2": Tensor(rng.random((2, 2))),
        "diag": Tensor(rng.random(2)),
        "two": Tensor(rng.random(2)),
        "b1": Tensor(rng.random((3, 2, 4))),
        "b2": Tensor(rng.random((3, 4, 2))),
        "m": Tensor(rng.random((2, 4))),
        "v": Tensor(rng.random(4)),
        "v2": Tensor(rng.random(2)),
        "v3": Tensor(rng.random(3)),
    }
    if name in ("addmv", "addmv_", "mv", "ger"):
        x = Tensor(rng.random(2)) if name != "mv" else Tensor(rng.random((2, 3)))
        if name == "ger":
            x = Tensor(rng.random(2))
    args = tuple(named[a] if isinstance(a, str) and a in named else a for a in ARGS.get(name, ()))
    return x, args


def _bits(value: Any) -> Any:
    if isinstance(value, Tensor):
        return (value.dtype.str, value.shape, value.data.tobytes())
    if isinstance(value, (tuple, list)):
        return [_bits(v) for v in value]
    return value


@pytest.mark.parametrize("name", NAMES)
def test_each_function_is_its_method(name: str) -> None:
    x, args = _operands(name)
    y = Tensor(x.data.copy())
    if name in RANDOM:
        tg.manual_seed(3)
        got = getattr(tg, name)(x, *args) if name == "bernoulli" else getattr(tg, name)(x, 2)
        tg.manual_seed(3)
        want = y.bernoulli(*args) if name == "bernoulli" else y.multinomial(2)
    elif name == "polygamma":  # PyTorch's order: polygamma(n, input)
        got, want = tg.polygamma(2, x), y.polygamma(2)
    elif name in ("real", "imag"):  # properties of a Tensor
        if name == "imag":
            with pytest.raises(TypeError, match="imag: not defined for a real tensor"):
                tg.imag(x)
            return
        got, want = tg.real(x), y.real
    else:
        got = getattr(tg, name)(x, *args, **KWARGS.get(name, {}))
        want = getattr(y, name)(*args, **KWARGS.get(name, {}))
    assert _bits(got) == _bits(want)
    if name.endswith("_"):
        assert got is x  # in place: the input itself, changed as the method changes it
        assert x.data.tobytes() == y.data.tobytes()


@pytest.mark.parametrize("name", ["round", "gather", "sign", "abs_", "all", "t"])
def test_a_first_argument_that_is_not_a_tensor_is_refused(name: str) -> None:
    with pytest.raises(TypeError, match=f"{name}: expected a Tensor as the first argument, got"):
        getattr(tg, name)(np.ones((2, 2)))


def test_pow_and_float_power_take_a_number_first_with_its_gradient() -> None:
    e = Tensor([0.5, 1.0, 3.0], requires_grad=True)
    y = tg.pow(2.0, e)
    assert y.tolist() == [2.0**0.5, 2.0, 8.0] and y.dtype == np.float64
    y.sum().backward()
    assert e.grad is not None
    v = e.data.copy()
    want = numerical_grad(lambda: float(np.sum(2.0**v)), v)
    np.testing.assert_allclose(e.grad.data, want, rtol=1e-7)
    i = tg.pow(3, Tensor([1, 2]))
    assert i.tolist() == [3, 9] and i.dtype == np.int64
    f = tg.float_power(2, Tensor(np.array([1.0, 2.0], np.float32)))
    assert f.dtype == np.float64 and f.tolist() == [2.0, 4.0]
    assert tg.pow(Tensor([2.0]), 3).tolist() == [8.0]
    with pytest.raises(TypeError, match="float_power: expected a Tensor or a number, got str"):
        tg.float_power("2", e)


def test_repeat_interleave_alone_repeats_indices() -> None:
    assert tg.repeat_interleave(Tensor([2, 0, 3])).tolist() == [0, 0, 2, 2, 2]
    assert tg.repeat_interleave(Tensor([1, 2]), output_size=3).tolist() == [0, 1, 1]
    assert tg.repeat_interleave(Tensor([1.0, 2.0]), 2).tolist() == [1.0, 1.0, 2.0, 2.0]
    with pytest.raises(ValueError, match=r"the 1-D int tensor of counts, got shape \(2,\)"):
        tg.repeat_interleave(Tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="dim needs repeats"):
        tg.repeat_interleave(Tensor([1, 2]), dim=0)


def test_real_is_the_tensor_and_builtins_are_not_hidden_by_a_star_import() -> None:
    x = Tensor([1.0, 2.0])
    assert tg.real(x).tolist() == [1.0, 2.0]
    namespace: dict[str, Any] = {}
    exec("from tinygrad_lite import *", namespace)  # noqa: S102
    for builtin in ("all", "any", "pow", "round", "abs", "max", "min", "sum"):
        assert builtin not in namespace
    assert "gather" in namespace and "sign" in namespace


def test_the_module_docstring_lists_every_function() -> None:
    doc = toplevel_meth.__doc__ or ""
    for name in NAMES:
        assert f"`{name}`" in doc, name
