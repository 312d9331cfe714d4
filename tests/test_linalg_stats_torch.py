"""Products, einsum, scatters and statistics against PyTorch: values, indices and gradients.

Optional: skipped when torch is not installed. Shapes, equations, indices and values are
drawn; both libraries get the same float64 arrays, and the gradients of a random weighting
of the output are compared. The documented differences are tested at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lite as tg
from tinygrad_lite import Tensor

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow

TOL = {"rtol": 1e-12, "atol": 1e-12}


def _pair(a: np.ndarray, grad: bool) -> tuple[Tensor, Any]:
    ours = Tensor(a.copy(), requires_grad=grad and a.dtype.kind == "f")
    theirs = torch.from_numpy(a.copy()).requires_grad_(grad and a.dtype.kind == "f")
    return ours, theirs


def compare(
    ours_fn: Callable[..., Any],
    torch_fn: Callable[..., Any],
    arrays: list[np.ndarray],
    seed: int = 0,
    grad: bool = True,
    exact: bool = False,
) -> None:
    """The two functions on the same arrays: outputs (values and indices) and gradients."""
    pairs = [_pair(a, grad) for a in arrays]
    ours = ours_fn(*[p[0] for p in pairs])
    theirs = torch_fn(*[p[1] for p in pairs])
    ours_t = ours if isinstance(ours, tuple) else (ours,)
    theirs_t = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours_t) == len(theirs_t)
    for o, t in zip(ours_t, theirs_t, strict=True):
        expected = t.detach().numpy()
        assert o.shape == expected.shape and o.dtype == expected.dtype
        if exact or expected.dtype.kind != "f":
            np.testing.assert_array_equal(o.data, expected)
        else:
            np.testing.assert_allclose(o.data, expected, **TOL)
    out, tout = ours_t[0], theirs_t[0]
    if not grad or not out.requires_grad:
        return
    w = np.random.default_rng(seed).standard_normal(out.shape)
    (out * Tensor(w)).sum().backward()
    (tout * torch.from_numpy(w)).sum().backward()
    for (o, t), a in zip(pairs, arrays, strict=True):
        if a.dtype.kind == "f":
            expected = np.zeros(a.shape) if t.grad is None else t.grad.numpy()
            got = np.zeros(a.shape) if o.grad is None else o.grad.data
            np.testing.assert_allclose(got, expected, **TOL)


def _floats(draw: Any, shape: tuple[int, ...]) -> np.ndarray:
    return draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2, width=32)))


seeds = st.integers(0, 2**32 - 1)

# ---------------------------------------------------------------------------- products


@settings(max_examples=50, deadline=None)
@given(st.data(), seeds)
def test_bmm_baddbmm_addmm(data: st.DataObject, seed: int) -> None:
    b, n, k, p = (data.draw(st.integers(1, 4)) for _ in range(4))
    x, y = _floats(data.draw, (b, n, k)), _floats(data.draw, (b, k, p))
    compare(tg.bmm, torch.bmm, [x, y], seed)
    beta = data.draw(st.sampled_from([1, 0, 0.5, -2.0]))
    alpha = data.draw(st.sampled_from([1, 0, 1.5, -1]))
    shape = data.draw(st.sampled_from([(b, n, p), (n, p), (p,), (1, 1, p), (n, 1), ()]))
    c = _floats(data.draw, shape)
    if beta == 0 and c.size:
        c.flat[0] = np.nan  # ignored, as in PyTorch
    compare(
        lambda i, u, v: tg.baddbmm(i, u, v, beta=beta, alpha=alpha),
        lambda i, u, v: torch.baddbmm(i, u, v, beta=beta, alpha=alpha),
        [c, x, y],
        seed,
    )
    c2 = _floats(data.draw, shape[-2:] if len(shape) != 3 else (n, p))
    compare(
        lambda i, u, v: tg.addmm(i, u, v, beta=beta, alpha=alpha),
        lambda i, u, v: torch.addmm(i, u, v, beta=beta, alpha=alpha),
        [c2, x[0], y[0]],
        seed,
    )


@settings(max_examples=50, deadline=None)
@given(st.data(), seeds)
def test_tensordot_and_kron(data: st.DataObject, seed: int) -> None:
    sa = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    sb = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    a, b = _floats(data.draw, sa), _floats(data.draw, sb)
    compare(tg.kron, torch.kron, [a, b], seed, exact=True)
    k = data.draw(st.integers(0, min(len(sa), len(sb))))
    da = data.draw(st.permutations(range(len(sa))))[:k]
    db = data.draw(st.permutations(range(len(sb))))[:k]
    # paired sizes must match or be 1: make b's fit a's
    shape_b = list(sb)
    for i, j in zip(da, db, strict=True):
        shape_b[j] = sa[i] if data.draw(st.booleans()) or sa[i] == 1 else 1
    b = _floats(data.draw, tuple(shape_b))
    dims = (list(da), [j - len(sb) * data.draw(st.integers(0, 1)) for j in db])
    compare(
        lambda u, v: tg.tensordot(u, v, dims),
        lambda u, v: torch.tensordot(u, v, dims),
        [a, b],
        seed,
    )
    if sa[len(sa) - k :] == tuple(shape_b[:k]):
        compare(lambda u, v: tg.tensordot(u, v, k), lambda u, v: torch.tensordot(u, v, k), [a, b])


@st.composite
def einsum_problems(draw: Any) -> tuple[str, list[tuple[int, ...]]]:
    """An equation in any of PyTorch's forms, and operand shapes that fit it."""
    sizes = {c: draw(st.integers(1, 3)) for c in "abcdA"}
    span = draw(st.integers(0, 2))
    ell_sizes = [draw(st.integers(1, 3)) for _ in range(span)]
    terms, shapes = [], []
    for _ in range(draw(st.integers(1, 3))):
        labels = draw(st.lists(st.sampled_from("abcdA"), max_size=4))  # repeats: diagonals
        shape = [1 if draw(st.integers(0, 4)) == 0 else sizes[c] for c in labels]
        for c in set(labels):  # a repeated label has one size within an operand
            shape = [
                shape[labels.index(c)] if x == c else s for x, s in zip(labels, shape, strict=True)
            ]
        if span and draw(st.booleans()):
            own = draw(st.integers(0, span))
            at = draw(st.integers(0, len(labels)))
            ell = [1 if draw(st.booleans()) else n for n in ell_sizes[span - own :]]
            labels = labels[:at] + ["..."] + labels[at:]
            shape = shape[:at] + ell + shape[at:]
        terms.append("".join(labels))
        shapes.append(tuple(shape))
    equation = ",".join(terms)
    if draw(st.booleans()):
        used = sorted(set(equation) - {",", "."})
        out = draw(st.permutations(used))[: draw(st.integers(0, len(used)))]
        dots = "..." in equation and draw(st.booleans())
        at = draw(st.integers(0, len(out)))
        equation += "->" + "".join(out[:at]) + ("..." if dots else "") + "".join(out[at:])
    return equation, shapes


@settings(max_examples=150, deadline=None)
@given(einsum_problems(), st.data(), seeds)
def test_einsum_in_every_form(problem: Any, data: st.DataObject, seed: int) -> None:
    equation, shapes = problem
    arrays = [_floats(data.draw, s) for s in shapes]
    try:
        torch.einsum(equation, *[torch.from_numpy(a) for a in arrays])
    except RuntimeError as e:  # shapes PyTorch refuses: refused here too
        with pytest.raises(ValueError):
            tg.einsum(equation, *[Tensor(a) for a in arrays])
        assert "einsum" in str(e)
        return
    compare(
        lambda *xs: tg.einsum(equation, *xs), lambda *xs: torch.einsum(equation, *xs), arrays, seed
    )


def _sublists(equation: str) -> list[Any]:
    """The equation's terms as PyTorch's sublists (A-Z are 0-25, a-z are 26-51)."""

    def labels(term: str) -> list[Any]:
        head, dots, tail = term.partition("...")
        code = [ord(c) - ord("A") if c.isupper() else ord(c) - ord("a") + 26 for c in head]
        rest = [ord(c) - ord("A") if c.isupper() else ord(c) - ord("a") + 26 for c in tail]
        return code + ([Ellipsis] if dots else []) + rest

    inputs, arrow, output = equation.partition("->")
    return [labels(t) for t in inputs.split(",")] + ([labels(output)] if arrow else [])


@settings(max_examples=60, deadline=None)
@given(einsum_problems(), st.data(), seeds)
def test_einsum_sublist_form_as_pytorchs(problem: Any, data: st.DataObject, seed: int) -> None:
    equation, shapes = problem
    arrays = [_floats(data.draw, s) for s in shapes]
    lists = _sublists(equation)

    def mine(*xs: Any) -> Any:
        args = [a for pair in zip(xs, lists, strict=False) for a in pair] + lists[len(xs) :]
        return tg.einsum(*args)

    def theirs(*xs: Any) -> Any:
        args = [a for pair in zip(xs, lists, strict=False) for a in pair] + lists[len(xs) :]
        return torch.einsum(*args)

    try:
        theirs(*[torch.from_numpy(a) for a in arrays])
    except RuntimeError:  # shapes PyTorch refuses: refused here too
        with pytest.raises(ValueError):
            mine(*[Tensor(a) for a in arrays])
        return
    compare(mine, theirs, arrays, seed)


def test_einsum_second_derivatives_equal_pytorchs() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 3, 2)), rng.standard_normal((2, 4))
    ta, tb = (torch.from_numpy(v).requires_grad_() for v in (a, b))
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    eq = "iij,jk->ik"
    (g,) = torch.autograd.grad((torch.einsum(eq, ta, tb) ** 2).sum(), [ta], create_graph=True)
    expected = torch.autograd.grad((g * g).sum(), [ta, tb])
    (h,) = tg.grad((tg.einsum(eq, x, y) ** 2).sum(), [x], create_graph=True)
    got = tg.grad((h * h).sum(), [x, y])
    for o, t in zip(got, expected, strict=True):
        np.testing.assert_allclose(o.data, t.numpy(), **TOL)


# ---------------------------------------------------------------------------- scatters


@st.composite
def scatter_problems(draw: Any) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    a = dim % len(shape)
    ishape = tuple(draw(st.integers(0, 4 if d == a else n)) for d, n in enumerate(shape))
    index = draw(hnp.arrays(np.int64, ishape, elements=st.integers(0, shape[a] - 1)))
    return _floats(draw, shape), dim, index, _floats(draw, ishape)


@settings(max_examples=100, deadline=None)
@given(scatter_problems(), seeds)
def test_scatter_family(problem: Any, seed: int) -> None:
    x, dim, index, src = problem
    ti = torch.from_numpy(index)
    # repeated positions: the last write stays in both; the gradients of x agree
    compare(
        lambda u, s: u.scatter(dim, index, s),
        lambda u, s: u.scatter(dim, ti, s),
        [x, src],
        seed,
        exact=True,
        grad=False,
    )
    compare(
        lambda u: u.scatter(dim, index, Tensor(src)),
        lambda u: u.scatter(dim, ti, torch.from_numpy(src)),
        [x],
        seed,
    )
    compare(lambda u: u.scatter(dim, index, 2.5), lambda u: u.scatter(dim, ti, 2.5), [x], seed)
    compare(
        lambda u, s: u.scatter_add(dim, index, s),
        lambda u, s: u.scatter_add(dim, ti, s),
        [x, src],
        seed,
    )
    positions = index.reshape(-1)[: x.shape[dim] + 2]
    source_shape = list(x.shape)
    source_shape[dim] = len(positions)
    source = np.random.default_rng(seed).standard_normal(source_shape)
    tp = torch.from_numpy(positions)
    for alpha in (1, -0.5):
        compare(
            lambda u, s, alpha=alpha: u.index_add(dim, positions, s, alpha=alpha),
            lambda u, s, alpha=alpha: u.index_add(dim, tp, s, alpha=alpha),
            [x, source],
            seed,
        )


@settings(max_examples=100, deadline=None)
@given(st.data(), seeds)
def test_take_take_along_dim_diagonal_unflatten(data: st.DataObject, seed: int) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    x = _floats(data.draw, shape)
    n = x.size
    flat = data.draw(hnp.arrays(np.int64, data.draw(hnp.array_shapes(min_dims=0, max_dims=2))))
    flat = np.asarray(flat % (2 * n) - n)  # negative positions too
    compare(lambda u: u.take(flat), lambda u: u.take(torch.from_numpy(flat)), [x], seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    a = dim % len(shape)
    ishape = [1 if data.draw(st.booleans()) else s for s in shape]
    ishape[a] = data.draw(st.integers(0, 4))
    if data.draw(st.booleans()):  # broadcast x instead of the index
        shape_x = [1 if d != a and data.draw(st.booleans()) else s for d, s in enumerate(shape)]
        x = _floats(data.draw, tuple(shape_x))
        ishape = [s if d == a else shape[d] for d, s in enumerate(ishape)]
    idx = data.draw(hnp.arrays(np.int64, tuple(ishape), elements=st.integers(0, 7)))
    idx = np.asarray(idx % (2 * x.shape[a]) - x.shape[a])
    ti = torch.from_numpy(idx)
    compare(lambda u: u.take_along_dim(idx, dim), lambda u: u.take_along_dim(ti, dim), [x], seed)
    ok = np.abs(idx) % x.size  # without dim, negative positions are refused
    compare(lambda u: u.take_along_dim(ok), lambda u: u.take_along_dim(torch.from_numpy(ok)), [x])
    if x.ndim >= 2:
        d1, d2 = data.draw(st.permutations(range(x.ndim)))[:2]
        offset = data.draw(st.integers(-4, 4))
        compare(
            lambda u: u.diagonal(offset, d1, d2), lambda u: u.diagonal(offset, d1, d2), [x], seed
        )
    sizes = (1, x.shape[a], 1) if data.draw(st.booleans()) else (-1, 1)
    compare(lambda u: u.unflatten(dim, sizes), lambda u: u.unflatten(dim, sizes), [x], seed)


# ---------------------------------------------------------------------------- statistics

ties = st.integers(-2, 2).map(float)


@settings(max_examples=100, deadline=None)
@given(st.data(), seeds)
def test_median_and_running_extremes_with_ties_and_nan(data: st.DataObject, seed: int) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=5))
    x = data.draw(hnp.arrays(np.float64, shape, elements=ties))
    if x.size and data.draw(st.integers(0, 3)) == 0:
        x.flat[data.draw(st.integers(0, x.size - 1))] = np.nan
    dim = data.draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    if x.size:
        compare(lambda u: u.median(), lambda u: u.median(), [x], seed)
    empty_dim = x.ndim and x.shape[dim] == 0
    if not empty_dim:
        for keep in (False, True):
            compare(
                lambda u, keep=keep: tuple(u.median(dim, keep)),
                lambda u, keep=keep: tuple(u.median(dim, keep)),
                [x],
                seed,
            )
    compare(lambda u: tuple(u.cummax(dim)), lambda u: tuple(u.cummax(dim)), [x], seed)
    compare(lambda u: tuple(u.cummin(dim)), lambda u: tuple(u.cummin(dim)), [x], seed)
    ints = np.asarray(np.nan_to_num(x).astype(np.int64))
    compare(lambda u: tuple(u.cummax(dim)), lambda u: tuple(u.cummax(dim)), [ints], seed)
    if not empty_dim:
        compare(lambda u: tuple(u.median(dim)), lambda u: tuple(u.median(dim)), [ints], seed)


@settings(max_examples=100, deadline=None)
@given(st.data(), seeds)
def test_nan_reductions_logcumsumexp_diff_var_mean(data: st.DataObject, seed: int) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    x = _floats(data.draw, shape) * data.draw(st.sampled_from([1.0, 300.0]))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    compare(lambda u: u.logcumsumexp(dim), lambda u: u.logcumsumexp(dim), [x], seed)
    keep = data.draw(st.booleans())
    for c in (0, 1):
        if x.shape[dim] > c:
            compare(
                lambda u, c=c: tg.var_mean(u, dim, correction=c, keepdim=keep),
                lambda u, c=c: torch.var_mean(u, dim, correction=c, keepdim=keep),
                [x],
                seed,
            )
            compare(
                lambda u, c=c: tg.std_mean(u, dim, bool(c), keep),
                lambda u, c=c: torch.std_mean(u, dim, bool(c), keep),
                [x],
                seed,
            )
    x[np.random.default_rng(seed).random(shape) < 0.3] = np.nan
    compare(lambda u: u.nansum(dim, keep), lambda u: u.nansum(dim, keep), [x], seed)
    compare(lambda u: u.nansum(), lambda u: u.nansum(), [x], seed)
    if not np.isnan(x).all():
        compare(lambda u: u.nanmean(), lambda u: u.nanmean(), [x], seed)
    counts = (~np.isnan(x)).sum(dim)
    if counts.all():  # PyTorch's gradient is NaN where every value is NaN (0 here)
        compare(lambda u: u.nanmean(dim, keep), lambda u: u.nanmean(dim, keep), [x], seed)
    y = np.nan_to_num(x)
    n = data.draw(st.integers(0, 3))
    pre = _floats(data.draw, tuple(2 if d == dim % len(shape) else s for d, s in enumerate(shape)))
    compare(
        lambda u, p: u.diff(n, dim, prepend=p, append=p),
        lambda u, p: u.diff(n, dim, prepend=p, append=p),
        [y, pre],
        seed,
    )
    compare(lambda u: u.diff(n, dim), lambda u: u.diff(n, dim), [y], seed)
    b = y > 0
    compare(lambda u: u.diff(n, dim), lambda u: u.diff(n, dim), [b], seed)


# ---------------------------------------------------------------------------- differences


def test_the_documented_differences_from_pytorch() -> None:
    """Each difference with both answers, so that the list stays true."""
    # 1. scatter with a repeated position: both keep the last write; PyTorch gives every src
    #    element the gradient of the element it wrote, here the overwritten ones get 0 (the
    #    derivative of what is computed).
    index = np.array([1, 1, 1, 2, 2])
    s = Tensor(np.ones(5), requires_grad=True)
    ts = torch.ones(5, dtype=torch.float64, requires_grad=True)
    y = tg.zeros(5).scatter(0, index, s)
    ty = torch.zeros(5, dtype=torch.float64).scatter(0, torch.from_numpy(index), ts)
    w = np.arange(5.0)
    (y * Tensor(w)).sum().backward()
    (ty * torch.from_numpy(w)).sum().backward()
    assert s.grad is not None and ts.grad is not None
    assert s.grad.tolist() == [0.0, 0.0, 1.0, 0.0, 2.0]
    assert ts.grad.tolist() == [1.0, 1.0, 1.0, 2.0, 2.0]
    # 2. scatter from a src larger than the index: PyTorch's backward fails, here the rest of
    #    src gets 0.
    big = Tensor(np.ones(4), requires_grad=True)
    tg.zeros(3).scatter(0, np.array([2]), big).sum().backward()
    assert big.grad is not None and big.grad.tolist() == [1.0, 0.0, 0.0, 0.0]
    tbig = torch.ones(4, dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="invalid gradient"):
        torch.zeros(3, dtype=torch.float64).scatter(0, torch.tensor([2]), tbig).sum().backward()
    # 3. take_along_dim with a position out of range: an IndexError here; PyTorch's CPU kernel
    #    reads whatever lies there.
    with pytest.raises(IndexError, match="index 3 is out of range for dimension 1 of size 3"):
        tg.arange(6.0).reshape(2, 3).take_along_dim(tg.tensor([[3], [0]]), 1)
    torch.arange(6.0).reshape(2, 3).take_along_dim(torch.tensor([[3], [0]]), 1)  # no error
    # 4. nanmean where every value is NaN: gradient 0 here, NaN in PyTorch.
    x = Tensor([np.nan, np.nan], requires_grad=True)
    x.nanmean().backward()
    assert x.grad is not None and x.grad.tolist() == [0.0, 0.0]
    tx = torch.tensor([np.nan, np.nan], dtype=torch.float64, requires_grad=True)
    tx.nanmean().backward()
    assert torch.isnan(tx.grad).all()
    # 5. Mixed float dtypes: promoted here (as matmul), refused by PyTorch.
    f32 = np.ones((1, 2, 2), np.float32)
    assert tg.bmm(Tensor(f32), Tensor(np.ones((1, 2, 2)))).dtype == np.float64
    with pytest.raises(RuntimeError):
        torch.bmm(torch.from_numpy(f32), torch.ones(1, 2, 2, dtype=torch.float64))
    # 6. A float alpha for integer tensors: refused here, rounded toward zero by PyTorch.
    with pytest.raises(TypeError, match="alpha=0.5 must be an integer"):
        tg.addmm(tg.tensor([1]), tg.tensor([[1]]), tg.tensor([[4]]), alpha=0.5)
    assert torch.addmm(torch.tensor([1]), torch.tensor([[1]]), torch.tensor([[4]]), alpha=0.5) == 1
