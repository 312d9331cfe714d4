"""Functions of functions, as in JAX and `torch.func`: grad, vjp, jvp, jacobian, hessian, hvp.

Each transform takes a function of Tensors and returns a function (or values), and they compose:
`grad(grad(f))` is the second derivative. They are built on `tinygrad_lite.grad` with
`create_graph=True` whenever an outer transform may differentiate the result again, so the
backward pass is itself recorded. Forward mode (`jvp`) uses the double-vjp identity: for
u ↦ Jᵀu, which is linear in u, the vjp of that map with cotangent v is Jv.
`functional_call` (written in `func_call`) runs a Module with some of its parameters replaced,
so that a Module can be differentiated (or gradchecked) as a function of its parameters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import numpy as np

from .autograd import enable_grad
from .engine import grad as _grad
from .func_call import functional_call
from .tensor import Tensor

__all__ = [
    "grad",
    "grad_and_value",
    "value_and_grad",
    "vjp",
    "jvp",
    "jacobian",
    "jacrev",
    "jacfwd",
    "hessian",
    "hvp",
    "functional_call",
]

Argnums = int | Sequence[int]
_F = TypeVar("_F", bound=Callable[..., Any])


def _grad_on(fn: _F) -> _F:
    """`fn` with grad mode on: a transform differentiates inside `no_grad` too, as torch.func."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        with enable_grad():
            return fn(*args, **kwargs)

    return cast(_F, call)


def _as_input(x: Any, fn: str = "grad") -> tuple[Tensor, bool]:
    """`x` as a new variable to differentiate with respect to, and whether it depends on others.

    A tensor that already requires grad (a parameter, or an outer transform's variable) is
    stood for by an identity of it: the function is differentiated with respect to that new
    variable alone — not through other uses of `x`, in a closure, say, or as a second argument —
    while an outer transform still differentiates through it to `x`. A float array or number
    becomes a fresh float64 (or float32) leaf. Tuples, lists and dicts of tensors (PyTorch's
    pytrees) and integer or bool values are refused: pass tensors as separate arguments.
    """
    if isinstance(x, Tensor) and x.requires_grad:
        return x.reshape(x.shape), True
    if isinstance(x, (tuple, list, dict)):
        raise TypeError(
            f"{fn}: an argument to differentiate must be a Tensor, got a {type(x).__name__} "
            "(nested arguments are not supported); pass the tensors as separate arguments and "
            "choose them with argnums=(...)"
        )
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if data.dtype.kind != "f":
        raise TypeError(
            f"{fn}: only floating-point tensors can be differentiated, got dtype {data.dtype}"
        )
    return Tensor(data, requires_grad=True), False


def _indices(argnums: Argnums, n: int, fn: str) -> tuple[int, ...]:
    if isinstance(argnums, bool) or not isinstance(argnums, (int, tuple, list)):
        raise TypeError(f"{fn}: argnums must be an int or a tuple of ints, got {argnums!r}")
    idx = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not idx:
        raise ValueError(f"{fn}: argnums must be non-empty")
    for i in idx:
        if isinstance(i, bool) or not isinstance(i, int) or not -n <= i < n:
            raise ValueError(f"{fn}: argnums {argnums!r} is out of range for {n} arguments")
    out = tuple(i % n for i in idx)
    if len(set(out)) != len(out):
        raise ValueError(f"{fn}: argnums must be unique, got {argnums!r}")
    return out


def _zero_if_none(g: Tensor | None, like: Tensor) -> Tensor:
    return Tensor(np.zeros_like(like.data)) if g is None else g


def _detached(value: Any) -> Any:
    """`value` (a Tensor, or tuples, lists and dicts of them) cut from the transform's graph."""
    if isinstance(value, Tensor):
        return value.detach()
    if isinstance(value, (tuple, list)):
        return type(value)(_detached(v) for v in value)
    if isinstance(value, dict):
        return {k: _detached(v) for k, v in value.items()}
    return value


def _split_aux(out: Any, has_aux: bool, fn: str) -> tuple[Any, Any]:
    """(output, aux) of a function that returns `(output, aux)` when `has_aux`."""
    if not has_aux:
        return out, None
    if not isinstance(out, tuple) or len(out) != 2:
        raise TypeError(
            f"{fn}: with has_aux=True the function must return a tuple (output, aux), got "
            f"{type(out).__name__}"
        )
    return out


def _scalar(out: Any, fn: str) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"{fn}: the function must return a Tensor, got {type(out).__name__}")
    if out.size != 1:
        raise ValueError(
            f"{fn}: the function must return one number (a tensor with one element), got shape "
            f"{out.shape}; use vjp or jacobian for functions with several outputs"
        )
    return out


def value_and_grad(
    f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False
) -> Callable[..., tuple[Any, Any]]:
    """Return a function computing (f(*args), ∂f/∂args[argnums]) for a scalar-valued `f`.

    With `has_aux`, f returns (value, aux) and the result is ((value, aux), gradient).

    Example:
        >>> from tinygrad_lite import Tensor
        >>> from tinygrad_lite.func import value_and_grad
        >>> value, g = value_and_grad(lambda x: (x * x).sum())(Tensor([1.0, 2.0]))
        >>> value.item(), g
        (5.0, Tensor([2., 4.]))
    """

    @_grad_on
    def call(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        idx = _indices(argnums, len(args), "grad")
        xs = list(args)
        nested = False
        for i in idx:
            xs[i], outer = _as_input(args[i], "grad")
            nested = nested or outer
        raw, aux = _split_aux(f(*xs, **kwargs), has_aux, "grad")
        out = _scalar(raw, "grad")
        targets = [xs[i] for i in idx]
        if not out.requires_grad:  # f does not depend on the inputs at all
            gs: tuple[Tensor | None, ...] = (None,) * len(targets)
        else:
            gs = _grad(out, targets, create_graph=nested, retain_graph=nested, allow_unused=True)
        results = [_zero_if_none(g, t) for g, t in zip(gs, targets, strict=True)]
        value = out if nested else out.detach()
        g = results[0] if isinstance(argnums, int) else tuple(results)
        if has_aux:
            return (value, aux if nested else _detached(aux)), g
        return value, g

    return call


def grad_and_value(
    f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False
) -> Callable[..., tuple[Any, Any]]:
    """`torch.func.grad_and_value`: a function computing (∂f/∂args[argnums], f(*args)).

    With `has_aux`, f returns (value, aux) and the result is (gradient, (value, aux)).
    """
    vg = value_and_grad(f, argnums, has_aux)

    def call(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        value, g = vg(*args, **kwargs)
        return g, value

    return call


def grad(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """Return a function computing ∂f/∂args[argnums] for a scalar-valued `f`.

    The result has the argument's shape (a tuple of them when `argnums` is a tuple).
    With `has_aux`, f returns (value, aux) and the result is (gradient, aux).
    `grad(grad(f))` differentiates again.

    Example:
        >>> from tinygrad_lite import Tensor
        >>> from tinygrad_lite.func import grad
        >>> d2 = grad(grad(lambda x: (x * x * x).sum()))  # 6x
        >>> d2(Tensor(2.0))
        Tensor(12.)
    """
    vg = value_and_grad(f, argnums, has_aux)

    def call(*args: Any, **kwargs: Any) -> Any:
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return call


@_grad_on
def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """Evaluate `f` at `primals`; return its output and the map v ↦ vᵀJ (one result per primal).

    With `has_aux`, f returns (output, aux) and the result is (output, pullback, aux).

    Example:
        >>> from tinygrad_lite import Tensor
        >>> from tinygrad_lite.func import vjp
        >>> out, pullback = vjp(lambda x: x * 3.0, Tensor([1.0, 2.0]))
        >>> pullback(Tensor([1.0, 10.0]))
        (Tensor([ 3., 30.]),)
    """
    xs, nested = [], False
    for p in primals:
        x, outer = _as_input(p, "vjp")
        xs.append(x)
        nested = nested or outer
    out, aux = _split_aux(f(*xs), has_aux, "vjp")
    if not isinstance(out, Tensor):
        raise TypeError(f"vjp: the function must return a Tensor, got {type(out).__name__}")

    @_grad_on
    def pullback(v: Any, create_graph: bool | None = None) -> tuple[Tensor, ...]:
        cot = v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=out.dtype))
        if cot.shape != out.shape:
            raise ValueError(
                f"vjp: cotangent shape {cot.shape} differs from the output's {out.shape}"
            )
        record = nested or cot.requires_grad if create_graph is None else create_graph
        if not out.requires_grad:
            return tuple(Tensor(np.zeros_like(x.data)) for x in xs)
        gs = _grad(
            out, xs, grad_outputs=cot, retain_graph=True, create_graph=record, allow_unused=True
        )
        return tuple(_zero_if_none(g, x) for g, x in zip(gs, xs, strict=True))

    value = out if nested else out.detach()
    if has_aux:
        return value, pullback, (aux if nested else _detached(aux))
    return value, pullback


@_grad_on
def jvp(
    f: Callable[..., Any],
    primals: Sequence[Any],
    tangents: Sequence[Any],
    *,
    has_aux: bool = False,
) -> tuple[Any, ...]:
    """Evaluate `f` at `primals`; return its output and J·tangents (forward mode).

    Computed as a vjp of a vjp: u ↦ Jᵀu is linear in u, and its own vjp with cotangent v
    (the tangents) is Jv. Two reverse passes instead of dual numbers, so every op that has a
    second-order backward has a jvp. With `has_aux`, f returns (output, aux) and the result
    is (output, J·tangents, aux).

    Example:
        >>> from tinygrad_lite import Tensor
        >>> from tinygrad_lite.func import jvp
        >>> out, tangent = jvp(lambda x: x * x, [Tensor([1.0, 3.0])], [Tensor([1.0, 0.0])])
        >>> tangent
        Tensor([2., 0.])
    """
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    vs = []
    for i, (p, t) in enumerate(zip(primals, tangents, strict=True)):
        pt = p if isinstance(p, Tensor) else Tensor(np.asarray(p))
        vt = t if isinstance(t, Tensor) else Tensor(np.asarray(t, dtype=pt.dtype))
        if vt.shape != pt.shape or vt.dtype != pt.dtype:
            raise ValueError(
                f"jvp: tangent {i} has shape {vt.shape} and dtype {vt.dtype}, its primal shape "
                f"{pt.shape} and dtype {pt.dtype}"
            )
        vs.append(vt)
    found = vjp(f, *primals, has_aux=has_aux)
    out, pullback = found[0], found[1]
    u = Tensor(np.zeros_like(out.data), requires_grad=True)
    jt_u = pullback(u, create_graph=True)  # Jᵀu, linear in u
    total = sum(((g * v).sum() for g, v in zip(jt_u, vs, strict=True)), Tensor(0.0))
    if not total.requires_grad:
        jv = Tensor(np.zeros_like(out.data))
    else:
        (g,) = _grad(total, [u], allow_unused=True)
        jv = _zero_if_none(g, u)
    return (out, jv, found[2]) if has_aux else (out, jv)


def jacobian(
    f: Callable[..., Any], argnums: Argnums = 0, *, has_aux: bool = False
) -> Callable[..., Any]:
    """Return a function computing the Jacobian of `f`: shape out.shape + arg.shape.

    One vjp per output element (reverse mode); a tuple of Jacobians when `argnums` is a
    tuple. With `has_aux`, f returns (output, aux) and the result is (Jacobian, aux).

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import Tensor
        >>> from tinygrad_lite.func import jacobian
        >>> jacobian(lambda x: x * x)(Tensor([1.0, 2.0]))
        Tensor([[2., 0.],
                [0., 4.]])
    """

    @_grad_on
    def call(*args: Any) -> Any:
        idx = _indices(argnums, len(args), "jacobian")
        xs = list(args)
        for i in idx:
            xs[i], _ = _as_input(args[i], "jacobian")
        found = vjp(lambda *ts: f(*_merge(xs, idx, ts)), *[xs[i] for i in idx], has_aux=has_aux)
        out, pullback = found[0], found[1]
        rows: list[list[np.ndarray]] = [[] for _ in idx]
        for k in range(out.size):
            e = np.zeros(out.size, dtype=out.dtype)
            e[k] = 1.0
            for r, g in zip(rows, pullback(e.reshape(out.shape), create_graph=False), strict=True):
                r.append(g.data)
        jacs = [
            Tensor(
                np.stack(r).reshape(out.shape + xs[i].shape)
                if r
                else np.zeros(out.shape + xs[i].shape, dtype=np.result_type(out.dtype, xs[i].dtype))
            )
            for r, i in zip(rows, idx, strict=True)
        ]
        result = jacs[0] if isinstance(argnums, int) else tuple(jacs)
        return (result, found[2]) if has_aux else result

    return call


def jacrev(
    f: Callable[..., Any], argnums: Argnums = 0, *, has_aux: bool = False
) -> Callable[..., Any]:
    """`torch.func.jacrev`: the Jacobian by reverse mode (see `jacobian`)."""
    return jacobian(f, argnums, has_aux=has_aux)


def jacfwd(
    f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """`torch.func.jacfwd`: the same Jacobian, computed here by reverse mode (see `jacobian`)."""
    return jacobian(f, argnums, has_aux=has_aux)


def _merge(xs: list[Any], idx: tuple[int, ...], ts: tuple[Any, ...]) -> list[Any]:
    out = list(xs)
    for i, t in zip(idx, ts, strict=True):
        out[i] = t
    return out


def hessian(f: Callable[..., Tensor], argnums: int = 0) -> Callable[..., Tensor]:
    """Return a function computing the Hessian of a scalar `f`: the Jacobian of its gradient.

    `argnums` is one int (a tuple, PyTorch's nested Hessian blocks, is refused).

    Example:
        >>> from tinygrad_lite import Tensor
        >>> from tinygrad_lite.func import hessian
        >>> hessian(lambda x: (x[0] * x[0] * x[1]))(Tensor([1.0, 2.0]))
        Tensor([[4., 2.],
                [2., 0.]])
    """
    if isinstance(argnums, bool) or not isinstance(argnums, int):
        raise TypeError(
            f"hessian: argnums must be one int, got {argnums!r}; call it once per argument"
        )
    return jacobian(grad(f, argnums), argnums)


@_grad_on
def hvp(f: Callable[..., Tensor], inputs: Any, v: Any) -> tuple[Tensor, Tensor]:
    """f(inputs) and the Hessian-vector product H·v, without forming the Hessian.

    Reverse over reverse: the gradient g(x) is computed with its graph, and H·v is the
    gradient of g(x)·v.

    Example:
        >>> from tinygrad_lite import Tensor
        >>> from tinygrad_lite.func import hvp
        >>> value, hv = hvp(lambda x: (x * x * x).sum(), Tensor([1.0, 2.0]), Tensor([1.0, 1.0]))
        >>> hv
        Tensor([ 6., 12.])
    """
    x, _ = _as_input(inputs, "hvp")
    out = _scalar(f(x), "hvp")
    vt = v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=x.dtype))
    if vt.shape != x.shape:
        raise ValueError(f"hvp: v has shape {vt.shape} but the input has shape {x.shape}")
    if not out.requires_grad:
        return out.detach(), Tensor(np.zeros_like(x.data))
    (g,) = _grad(out, [x], create_graph=True, allow_unused=True)
    if g is None or not g.requires_grad:
        return out.detach(), Tensor(np.zeros_like(x.data))
    (hv,) = _grad((g * vt).sum(), [x], allow_unused=True)
    return out.detach(), _zero_if_none(hv, x)
