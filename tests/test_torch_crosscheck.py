"""Every registered op against PyTorch in float64: values, gradients, and second derivatives.

Optional: skipped when torch is not installed (it is no dependency of the project). Each op's
inputs are drawn from its registry entry, as for the other op tests, and the same values go
through the op here and through PyTorch's function of the same meaning.

The deliberate differences are listed and tested at the end of the file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite import functional as F
from tinygrad_lite.opcases import op_case
from tinygrad_lite.registry import REGISTRY

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow  # 58 ops and random programs, only where torch is installed
TF = torch.nn.functional

TorchOp = Callable[[list[Any], dict[str, Any]], Any]


def _dims(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _prod(x: Any, axis: Any, keepdims: bool) -> Any:
    dims = sorted((d % x.ndim for d in _dims(axis, x.ndim)), reverse=True) if x.ndim else []
    for d in dims:
        x = torch.prod(x, dim=d, keepdim=True)
    if not keepdims and dims:
        x = x.squeeze(dims) if len(dims) > 1 else x.squeeze(dims[0])
    return x


def _argext(fn: Any) -> TorchOp:
    def call(ins: list[Any], p: dict[str, Any]) -> Any:
        (x,) = ins
        if p["axis"] is None or x.ndim == 0:
            out = fn(x)
            return out.reshape((1,) * x.ndim) if p["keepdims"] else out
        return fn(x, dim=p["axis"], keepdim=p["keepdims"])

    return call


def _index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, np.ndarray):
        return torch.from_numpy(index.copy())
    return index


def _index_add(ins: list[Any], p: dict[str, Any]) -> Any:
    """The adjoint of indexing, from PyTorch's own backward of indexing."""
    (x,) = ins
    z = torch.zeros(p["shape"], dtype=x.dtype, requires_grad=True)
    (g,) = torch.autograd.grad(z[_index(p["index"])], z, grad_outputs=x, create_graph=True)
    return g


def _classes(fn: Any) -> TorchOp:
    """PyTorch's class losses want the classes on dim 1 (or an unbatched (C,) input)."""

    def call(ins: list[Any], p: dict[str, Any]) -> Any:
        x, t = ins
        if p["dim"] == 0 and x.ndim == 2:
            x = x.T
            t = t.T if t.dtype.is_floating_point else t
        options = {k: p[k] for k in ("ignore_index", "label_smoothing") if k in p}
        if p.get("weight") is not None:
            options["weight"] = torch.from_numpy(p["weight"])
        return fn(x, t, reduction=p["reduction"], **options)

    return call


def _scatter(ins: list[Any], p: dict[str, Any]) -> Any:
    """PyTorch's scatter from the part of src that the index covers: PyTorch's backward fails
    for a larger src (its gradient has the index's shape); here the rest of src gets zeros."""
    x, src = ins
    index = p["index"]
    return x.scatter(p["dim"], torch.from_numpy(index), src[tuple(map(slice, index.shape))])


def _scatter_reduce(reduce: str) -> TorchOp:
    """PyTorch's scatter_reduce from the part of src that the index covers (as `_scatter`)."""

    def call(ins: list[Any], p: dict[str, Any]) -> Any:
        x, src = ins
        index = p["index"]
        part = src[tuple(map(slice, index.shape))]
        if reduce == "prod":
            # PyTorch's product gradient divides g·y by the factor, which loses digits where
            # g·y underflows (tiny factors); ours multiplies the other factors (see ops)
            factors = torch.cat([x.detach().reshape(-1), part.detach().reshape(-1)]).abs()
            assume(bool(((factors == 0) | (factors >= 1e-150)).all()))
        return x.scatter_reduce(p["dim"], torch.from_numpy(index), part, reduce)

    return call


def _reduce(fn: Any) -> TorchOp:
    return lambda ins, p: fn(ins[0], dim=_dims(p["axis"], ins[0].ndim), keepdim=p["keepdims"])


def _signs(vectors: Any, lapack: np.ndarray) -> Any:
    """±1 per column, turning PyTorch's eigen- or singular vectors into NumPy's LAPACK ones."""
    flip = np.where(np.sum(vectors.detach().numpy() * lapack, axis=-2) < 0, -1.0, 1.0)
    return torch.from_numpy(flip).unsqueeze(-2)


def _eigh(ins: list[Any], p: dict[str, Any]) -> Any:
    """The op's packing: λ on row 0, V below; of the symmetric part (A + Aᵀ)/2, as the op."""
    s = (ins[0] + ins[0].mT) / 2
    w, v = torch.linalg.eigh(s)
    v = v * _signs(v, np.linalg.eigh(s.detach().numpy())[1])
    return torch.cat([w.unsqueeze(-2), v], -2)


def _svd(ins: list[Any], p: dict[str, Any]) -> Any:
    """The op's packing of the reduced SVD: U, then S as a row, then V = Vhᵀ."""
    u, s, vh = torch.linalg.svd(ins[0], full_matrices=False)
    flip = _signs(u, np.linalg.svd(ins[0].detach().numpy(), full_matrices=False)[0])
    return torch.cat([u * flip, s.unsqueeze(-2), vh.mT * flip], -2)


def _digamma_accurate_slope(ins: list[Any], p: dict[str, Any]) -> Any:
    """ψ(x), with slope ζ(2, x) = ψ⁽¹⁾(x): torch's trigamma (digamma's gradient) is ~5e-10 off."""
    x = ins[0]
    c = x.detach()
    return torch.digamma(c) + torch.special.zeta(2.0, c) * (x - c)


TORCH: dict[str, TorchOp] = {
    "abs": lambda ins, p: torch.abs(ins[0]),
    "acos": lambda ins, p: torch.acos(ins[0]),
    "acosh": lambda ins, p: torch.acosh(ins[0]),
    "add": lambda ins, p: ins[0] + ins[1],
    "argmax": _argext(torch.argmax),
    "argmin": _argext(torch.argmin),
    "argsort": lambda ins, p: torch.argsort(
        ins[0], dim=p["dim"], descending=p["descending"], stable=True
    ),
    "asin": lambda ins, p: torch.asin(ins[0]),
    "asinh": lambda ins, p: torch.asinh(ins[0]),
    "atan": lambda ins, p: torch.atan(ins[0]),
    "atan2": lambda ins, p: torch.atan2(*ins),
    "atanh": lambda ins, p: torch.atanh(ins[0]),
    "binary_cross_entropy": lambda ins, p: TF.binary_cross_entropy(*ins, reduction=p["reduction"]),
    "binary_cross_entropy_with_logits": lambda ins, p: TF.binary_cross_entropy_with_logits(
        *ins, reduction=p["reduction"]
    ),
    "cast": lambda ins, p: ins[0].to(getattr(torch, np.dtype(p["dtype"]).name)),
    "cat": lambda ins, p: torch.cat(ins, dim=p["dim"]),
    "clamp": lambda ins, p: torch.clamp(ins[0], p["min"], p["max"]),
    "clone": lambda ins, p: torch.clone(ins[0]),
    "cos": lambda ins, p: torch.cos(ins[0]),
    "cosh": lambda ins, p: torch.cosh(ins[0]),
    "cross_entropy": _classes(TF.cross_entropy),
    "cumprod": lambda ins, p: torch.cumprod(ins[0], dim=p["dim"]),
    "cumsum": lambda ins, p: torch.cumsum(ins[0], dim=p["dim"]),
    "div": lambda ins, p: ins[0] / ins[1],
    "einsum": lambda ins, p: torch.einsum(p["equation"], *ins),
    "erf": lambda ins, p: torch.erf(ins[0]),
    "lgamma": lambda ins, p: torch.lgamma(ins[0]),
    "digamma": _digamma_accurate_slope,
    "polygamma": lambda ins, p: torch.special.zeta(2.0, ins[0]),  # n = 1: ψ⁽¹⁾(x) = ζ(2, x)
    "i0": lambda ins, p: torch.special.i0(ins[0]),
    "i0e": lambda ins, p: torch.special.i0e(ins[0]),
    "i1": lambda ins, p: torch.special.i1(ins[0]),
    "i1e": lambda ins, p: torch.special.i1e(ins[0]),
    "erfc": lambda ins, p: torch.special.erfc(ins[0]),
    "erfcx": lambda ins, p: torch.special.erfcx(ins[0]),
    "erfinv": lambda ins, p: torch.special.erfinv(ins[0]),
    "ndtri": lambda ins, p: torch.special.ndtri(ins[0]),
    "entr": lambda ins, p: torch.special.entr(ins[0]),
    "xlog1py": lambda ins, p: torch.special.xlog1py(*ins),
    "exp": lambda ins, p: torch.exp(ins[0]),
    "exp2": lambda ins, p: torch.exp2(ins[0]),
    "expand": lambda ins, p: ins[0].expand(tuple(p["shape"])),
    "expm1": lambda ins, p: torch.expm1(ins[0]),
    "flip": lambda ins, p: torch.flip(ins[0], p["dims"]),
    "fold": lambda ins, p: TF.fold(
        ins[0], p["output_size"], p["kernel_size"], p["dilation"], 0, p["stride"]
    ),
    "gelu": lambda ins, p: TF.gelu(ins[0], approximate="tanh"),
    "gelu_erf": lambda ins, p: TF.gelu(ins[0]),
    "getitem": lambda ins, p: ins[0][_index(p["index"])],
    "inv": lambda ins, p: torch.linalg.inv(ins[0]),
    "det": lambda ins, p: torch.linalg.det(ins[0]),
    "slogdet": lambda ins, p: torch.linalg.slogdet(ins[0]).logabsdet,
    "slogdet_sign": lambda ins, p: torch.linalg.slogdet(ins[0]).sign,
    "cholesky": lambda ins, p: torch.linalg.cholesky((ins[0] + ins[0].mT) / 2),
    "eigh": _eigh,
    "qr": lambda ins, p: torch.cat(
        [(qr := torch.linalg.qr(ins[0], mode=p["mode"])).Q, qr.R.mT], -2
    ),
    "svd": _svd,
    "pinv": lambda ins, p: torch.linalg.pinv(ins[0], **p),
    "solve_triangular": lambda ins, p: torch.linalg.solve_triangular(*ins, **p),
    # the op's B is always a batch of matrices: a leading 1 keeps PyTorch from reading a vector
    "solve": lambda ins, p: torch.linalg.solve(
        ins[0], ins[1].unsqueeze(0) if ins[1].ndim == ins[0].ndim - 1 else ins[1]
    ),
    "hypot": lambda ins, p: torch.hypot(*ins),
    "index_add": _index_add,
    "leaky_relu": lambda ins, p: TF.leaky_relu(ins[0], p["negative_slope"]),
    "lerp": lambda ins, p: torch.lerp(*ins),
    "log": lambda ins, p: torch.log(ins[0]),
    "log10": lambda ins, p: torch.log10(ins[0]),
    "log1p": lambda ins, p: torch.log1p(ins[0]),
    "log2": lambda ins, p: torch.log2(ins[0]),
    "log_sigmoid": lambda ins, p: TF.logsigmoid(ins[0]),
    "log_softmax": lambda ins, p: torch.log_softmax(ins[0], dim=p["dim"]),
    "logaddexp": lambda ins, p: torch.logaddexp(*ins),
    "logaddexp2": lambda ins, p: torch.logaddexp2(*ins),
    "logcumsumexp": lambda ins, p: torch.logcumsumexp(ins[0], p["dim"]),
    "logit": lambda ins, p: torch.logit(ins[0], p["eps"]),
    "logsumexp": lambda ins, p: (
        torch.logsumexp(ins[0], dim=_dims(p["axis"], ins[0].ndim), keepdim=p["keepdims"])
        if ins[0].ndim
        else ins[0] * 1.0
    ),
    "matmul": lambda ins, p: torch.matmul(*ins),
    "max": _reduce(torch.amax),
    "fmod": lambda ins, p: torch.fmod(*ins),
    "maximum": lambda ins, p: torch.maximum(*ins),
    "mean": _reduce(torch.mean),
    "min": _reduce(torch.amin),
    "minimum": lambda ins, p: torch.minimum(*ins),
    "mul": lambda ins, p: ins[0] * ins[1],
    "neg": lambda ins, p: -ins[0],
    "norm": lambda ins, p: torch.linalg.vector_norm(
        ins[0], dim=_dims(p["axis"], ins[0].ndim), keepdim=p["keepdims"]
    ),
    "nll_loss": _classes(TF.nll_loss),
    "pow": lambda ins, p: torch.pow(ins[0], p["exponent"]),
    "pow_tensor": lambda ins, p: torch.pow(*ins),
    "prod": lambda ins, p: _prod(ins[0], p["axis"], p["keepdims"]),
    "pad": lambda ins, p: TF.pad(ins[0], p["pad"], value=p["value"]),
    "relu": lambda ins, p: torch.relu(ins[0]),
    "remainder": lambda ins, p: torch.remainder(*ins),
    "reshape": lambda ins, p: torch.reshape(ins[0], p["shape"]),
    "scatter": _scatter,
    "scatter_amax": _scatter_reduce("amax"),
    "scatter_amin": _scatter_reduce("amin"),
    "scatter_prod": _scatter_reduce("prod"),
    "sigmoid": lambda ins, p: torch.sigmoid(ins[0]),
    "sign": lambda ins, p: torch.sign(ins[0]),
    "sin": lambda ins, p: torch.sin(ins[0]),
    "sinc": lambda ins, p: torch.sinc(ins[0]),
    "sinh": lambda ins, p: torch.sinh(ins[0]),
    "softmax": lambda ins, p: torch.softmax(ins[0], dim=p["dim"]),
    "softplus": lambda ins, p: TF.softplus(ins[0], beta=p["beta"], threshold=p["threshold"]),
    "sqrt": lambda ins, p: torch.sqrt(ins[0]),
    "std": lambda ins, p: torch.std(
        ins[0],
        dim=_dims(p["axis"], ins[0].ndim),
        correction=p["correction"],
        keepdim=p["keepdims"],
    ),
    "sub": lambda ins, p: ins[0] - ins[1],
    "sum": _reduce(torch.sum),
    "tan": lambda ins, p: torch.tan(ins[0]),
    "tanh": lambda ins, p: torch.tanh(ins[0]),
    "transpose": lambda ins, p: ins[0].permute(
        tuple(p["axes"] if p["axes"] is not None else reversed(range(ins[0].ndim)))
    ),
    "unfold": lambda ins, p: TF.unfold(ins[0], p["kernel_size"], p["dilation"], 0, p["stride"]),
    "var": lambda ins, p: torch.var(
        ins[0],
        dim=_dims(p["axis"], ins[0].ndim),
        correction=p["correction"],
        keepdim=p["keepdims"],
    ),
    "where": lambda ins, p: torch.where(*ins),
    "xlogy": lambda ins, p: torch.xlogy(*ins),
}

# ops whose values are one IEEE operation (or a selection) per element: equal to the bit
EXACT = {
    "abs", "add", "argmax", "argmin", "argsort", "cast", "cat", "clamp", "clone", "div",
    "expand", "flip", "fmod", "getitem", "leaky_relu", "max", "maximum", "min", "minimum", "mul",
    "neg", "pad", "relu", "remainder", "reshape", "scatter", "sign", "sub", "transpose", "unfold",
    "where",
    "lerp",  # one fused multiply-add per element, as PyTorch's kernel (see ops.lerp)
}  # fmt: skip
NO_GRADIENT_HERE = {"sign"}  # PyTorch gives zeros; here the result does not require grad


def test_every_registered_op_has_a_torch_counterpart() -> None:
    assert set(TORCH) == set(REGISTRY)


def _torch_inputs(inputs: tuple[Tensor, ...]) -> list[Any]:
    return [torch.from_numpy(t.data.copy()).requires_grad_(t.requires_grad) for t in inputs]


@pytest.mark.parametrize("name", sorted(REGISTRY))
@given(data=st.data())
def test_values_and_gradients_equal_pytorchs(name: str, data: st.DataObject) -> None:
    case = data.draw(op_case(REGISTRY[name]))
    ours = case.call()
    ins = _torch_inputs(case.inputs)
    theirs = TORCH[name](ins, case.params)
    expected = theirs.detach().numpy()
    assert ours.shape == expected.shape
    assert ours.dtype == expected.dtype
    if name in EXACT:
        np.testing.assert_array_equal(ours.data, expected)
    else:
        np.testing.assert_allclose(ours.data, expected, rtol=1e-10, atol=1e-12)
    if not REGISTRY[name].fn.differentiable:
        assert not ours.requires_grad
        if name in NO_GRADIENT_HERE and theirs.requires_grad:
            (g,) = torch.autograd.grad(theirs.sum(), ins[0])
            assert not g.any()  # PyTorch's gradient is zero: no gradient here says the same
        return
    if name == "cumprod" and ours.ndim:
        # PyTorch's cumprod gradient divides Σ g·y by x (when no x is 0), which loses digits
        # where a partial product y underflows (subnormal, or 0 with no x = 0 before it); ours
        # multiplies (its closed form is checked there in test_ops_scan).
        y, x = np.abs(ours.data), case.inputs[0].data
        zero_before = np.cumsum(x == 0, axis=case.params["dim"]) > 0
        assume(np.all((y >= np.finfo(y.dtype).tiny) | ((y == 0) & zero_before)))
    upstream = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).standard_normal(
        ours.shape
    )
    ours.backward(upstream.astype(ours.dtype))
    theirs.backward(torch.from_numpy(upstream.astype(expected.dtype)))
    for ours_in, theirs_in in zip(case.inputs, ins, strict=True):
        if not ours_in.requires_grad:
            continue
        assert ours_in.grad is not None and theirs_in.grad is not None
        np.testing.assert_allclose(
            ours_in.grad.data, theirs_in.grad.numpy(), rtol=1e-10, atol=1e-12
        )


# ---------------------------------------------------------------------------- second order

# Steps of random programs, written once with the operators and methods that Tensor and
# torch.Tensor share; arguments stay of shape (3, 4).
SHARED: list[Callable[[Any, Any], Any]] = [
    lambda u, v: u * v,
    lambda u, v: u + v,
    lambda u, v: u - v * 0.5,
    lambda u, v: u / (v * v + 1.0),
    lambda u, v: u.tanh(),
    lambda u, v: (u * v).sigmoid(),
    lambda u, v: (u * 0.5).exp(),
    lambda u, v: (u * u + 0.5).log(),
    lambda u, v: (v * v + 1.0).sqrt() * u,
    lambda u, v: u.sin() * v.cos(),
    lambda u, v: (u * u + 1.0) ** v,
    lambda u, v: u**3,
    lambda u, v: (u + v).softmax(-1),
    lambda u, v: u.log_softmax(0) * v,
    lambda u, v: u.logsumexp(1, keepdim=True) * v,
    lambda u, v: u @ v.mT @ u * 0.1,
    lambda u, v: u.maximum(v * 0.5),
    lambda u, v: u.var(1, keepdim=True) + v,
    lambda u, v: u.mean(0, keepdim=True) * v,
    lambda u, v: (u * v).sum(1, keepdim=True) * u,
    lambda u, v: (u * u).log1p() + v.expm1(),
    lambda u, v: u.prod(1, keepdim=True) * v,
    lambda u, v: (u.reshape(4, 3) * v.reshape(4, 3)).reshape(3, 4),
    lambda u, v: u[[0, 0, 2]] * v,
    lambda u, v: u.transpose(0, 1).transpose(1, 0) * v.abs(),
]
# and the functions that have different homes: (ours, PyTorch's)
PAIRED: list[tuple[Callable[[Any, Any], Any], Callable[[Any, Any], Any]]] = [
    (lambda u, v: F.gelu(u) * v, lambda u, v: TF.gelu(u) * v),
    (lambda u, v: F.gelu(u, "tanh") * v, lambda u, v: TF.gelu(u, approximate="tanh") * v),
    (lambda u, v: F.softplus(u * 2.0), lambda u, v: TF.softplus(u * 2.0)),
    (lambda u, v: F.leaky_relu(u, 0.2) * v, lambda u, v: TF.leaky_relu(u, 0.2) * v),
    (lambda u, v: F.log_sigmoid(u) + v, lambda u, v: TF.logsigmoid(u) + v),
    (
        lambda u, v: F.cross_entropy(u, v.softmax(1), reduction="none").reshape(3, 1) * v,
        lambda u, v: TF.cross_entropy(u, v.softmax(1), reduction="none").reshape(3, 1) * v,
    ),
    (
        lambda u, v: F.binary_cross_entropy_with_logits(u, v.sigmoid(), reduction="none"),
        lambda u, v: TF.binary_cross_entropy_with_logits(u, v.sigmoid(), reduction="none"),
    ),
    (
        lambda u, v: tg.where(u > 0, u * v, v.exp()),
        lambda u, v: torch.where(u > 0, u * v, v.exp()),
    ),
    (lambda u, v: tg.cat([u[:1], v[1:]], dim=0), lambda u, v: torch.cat([u[:1], v[1:]], dim=0)),
    (lambda u, v: u.clamp(-0.5, 0.5) * v, lambda u, v: u.clamp(-0.5, 0.5) * v),
]
STEPS = [(f, f) for f in SHARED] + PAIRED


def _run(program: list[tuple[int, int, int]], a: Any, b: Any, which: int) -> Any:
    values = [a, b]
    for step, i, j in program:
        values.append(STEPS[step][which](values[i], values[j]))
    return values[-1]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 4))
def test_second_derivatives_of_random_programs_equal_pytorchs(seed: int, length: int) -> None:
    rng = np.random.default_rng(seed)
    program = []
    for k in range(length):
        step = int(rng.integers(len(STEPS)))
        program.append((step, int(rng.integers(k + 2)), int(rng.integers(k + 2))))
    a0, b0 = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 4))
    w, va, vb = (rng.standard_normal((3, 4)) for _ in range(3))

    a, b = Tensor(a0, requires_grad=True), Tensor(b0, requires_grad=True)
    out = _run(program, a, b, 0)
    ga, gb = tg.grad((out * Tensor(w)).sum(), [a, b], create_graph=True, allow_unused=True)
    assert ga is not None or gb is not None
    second = sum(
        (
            (g * Tensor(v)).sum()
            for g, v in ((ga, va), (gb, vb))
            if g is not None and g.requires_grad
        ),
        start=Tensor(0.0),
    )
    hessians = tg.grad(second, [a, b], allow_unused=True) if second.requires_grad else (None, None)

    ta = torch.from_numpy(a0.copy()).requires_grad_()
    tb = torch.from_numpy(b0.copy()).requires_grad_()
    tout = _run(program, ta, tb, 1)
    tga, tgb = torch.autograd.grad(
        (tout * torch.from_numpy(w)).sum(), [ta, tb], create_graph=True, allow_unused=True
    )
    tsecond = sum(
        (g * torch.from_numpy(v)).sum()
        for g, v in ((tga, va), (tgb, vb))
        if g is not None and g.requires_grad
    )
    thessians = (
        torch.autograd.grad(tsecond, [ta, tb], allow_unused=True)
        if isinstance(tsecond, torch.Tensor)
        else (None, None)
    )
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours, theirs in list(zip((ga, gb), (tga, tgb), strict=True)) + list(
        zip(hessians, thessians, strict=True)
    ):
        o = np.zeros((3, 4)) if ours is None else ours.data
        t = np.zeros((3, 4)) if theirs is None else theirs.detach().numpy()
        scale = max(np.abs(t).max(), 1.0)
        np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-12 * scale)


# ---------------------------------------------------------------------------- differences


def test_the_deliberate_differences_from_pytorch() -> None:
    """Each difference, with both answers, so that the list stays true."""
    # 1. sign: PyTorch's gradient is zero everywhere; here the result carries no gradient.
    x = Tensor([1.5, -2.0], requires_grad=True)
    assert not x.sign().requires_grad
    tx = torch.tensor([1.5, -2.0], dtype=torch.float64, requires_grad=True)
    assert torch.sign(tx).requires_grad
    # 2. A Python float beside an int tensor gives the default float: float64 here (NumPy's
    #    and the tutorial's), float32 in PyTorch. Two tensors int32 × float32: NumPy's float64.
    assert (Tensor([1, 2]) * 0.5).dtype == np.float64
    assert (torch.tensor([1, 2]) * 0.5).dtype == torch.float32
    mixed = Tensor(np.array([1], np.int32)) * Tensor(np.array([0.5], np.float32))
    assert mixed.dtype == np.float64
    assert (torch.tensor([1], dtype=torch.int32) * torch.tensor([0.5])).dtype == torch.float32
    # 3. An integer that does not fit the tensor's dtype: refused here, wrapped by PyTorch.
    with pytest.raises(OverflowError, match="300 does not fit"):
        Tensor(np.array([1], np.int8)) + 300
    assert (torch.tensor([1], dtype=torch.int8) + 300).item() == 45
    # 4. A bool exponent: refused here (a mask used by mistake), 1 or 0 in PyTorch.
    with pytest.raises(TypeError, match="got a bool"):
        Tensor([2.0]) ** True
    assert (torch.tensor([2.0]) ** True).item() == 2.0
    # 5. (An int index beside an index array split by a slice is read as PyTorch reads it,
    #    the int first, where NumPy moves the advanced dims to the front.)
    a = np.arange(24.0).reshape(2, 3, 4)
    assert Tensor(a)[0, :, [0, 1]].shape == torch.from_numpy(a)[0, :, [0, 1]].shape == (3, 2)
    assert a[0, :, [0, 1]].shape == (2, 3)
    # 6. NumPy's axis= spelling of max gives the values (NumPy's meaning); dim= gives values
    #    and indices (PyTorch's). PyTorch takes axis= as dim=.
    assert isinstance(Tensor(a).max(axis=1), Tensor)
    assert isinstance(torch.from_numpy(a).max(axis=1), tuple)
    # 7. (GELU's default is the exact form, PyTorch's, since the error function exists here.)
    gelu = tg.nn.GELU()(Tensor([1.0])).item()
    assert gelu == pytest.approx(TF.gelu(torch.tensor([1.0], dtype=torch.float64)).item(), 1e-15)
    # 8. Softmax without dim: refused here; PyTorch guesses one (deprecated).
    with pytest.raises(TypeError, match="give dim"):
        tg.nn.Softmax()
    # 9. The second derivative through a product with a zero factor: refused here.
    t = Tensor([0.0, 1.0, 2.0], requires_grad=True)
    (g,) = tg.grad(t.prod(), [t])  # the first derivative is fine
    np.testing.assert_array_equal(g.data, [2.0, 0.0, 0.0])
    with pytest.raises(NotImplementedError, match="product with zero factors"):
        tg.grad(t.prod(), [t], create_graph=True)
    # 10. A recorded in-place op (gradients recorded, an operand requires grad) gives the
    #     tensor a new array: a view taken before keeps the old values. PyTorch writes into
    #     the shared memory (and rebases the view's graph).
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = w * 1.0
    view = y[0:1]
    y += 1.0
    assert view.tolist() == [1.0] and y.tolist() == [2.0, 3.0]
    tw = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    ty = tw * 1.0
    tview = ty[0:1]
    ty += 1.0
    assert tview.tolist() == [2.0]
    # 11. Subtracting a bool tensor: NumPy's subtraction (True counts 1) here; PyTorch refuses.
    assert (Tensor([3, 4]) - Tensor([True, False])).tolist() == [2, 4]
    with pytest.raises(RuntimeError, match="Subtraction"):
        torch.tensor([3, 4]) - torch.tensor([True, False])
