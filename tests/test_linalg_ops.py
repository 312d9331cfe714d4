"""bmm, baddbmm, addmm, tensordot, kron and einsum: NumPy references, derivatives, refusals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, ops
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def leaf(*shape: int) -> Tensor:
    return Tensor(RNG.uniform(-1.5, 1.5, shape), requires_grad=True)


def close(t: Tensor, expected: Any) -> None:
    assert t.shape == np.shape(expected)
    np.testing.assert_allclose(t.data, expected, rtol=1e-13, atol=1e-14)


# ---------------------------------------------------------------------------- bmm and friends


def test_bmm_is_the_batch_of_matrix_products() -> None:
    a, b = leaf(2, 3, 4), leaf(2, 4, 2)
    expected = np.stack([a.data[i] @ b.data[i] for i in range(2)])
    close(tg.bmm(a, b), expected)
    close(a.bmm(b), expected)
    assert gradgradcheck(tg.bmm, a, b)


@pytest.mark.parametrize(
    ("sa", "sb", "message"),
    [
        ((3, 4), (4, 2), r"batch1 must be a 3-D tensor, got shape \(3, 4\)"),
        ((2, 3, 4), (4, 2), r"batch2 must be a 3-D tensor"),
        ((2, 3, 4), (1, 4, 2), r"batch2 of shape \(1, 4, 2\) must have shape \(2, 4, p\)"),
        ((2, 3, 4), (2, 3, 2), r"batch2 of shape \(2, 3, 2\) must have shape \(2, 4, p\)"),
    ],
)
def test_bmm_refuses_what_pytorch_refuses(sa: Any, sb: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tg.bmm(tg.ones(*sa), tg.ones(*sb))


@pytest.mark.parametrize(("beta", "alpha"), [(1, 1), (0.5, -2.0), (0, 1.5), (-1, 0)])
def test_addmm_and_baddbmm_are_beta_input_plus_alpha_product(beta: float, alpha: float) -> None:
    c, m1, m2 = leaf(3), leaf(2, 4), leaf(4, 3)
    close(tg.addmm(c, m1, m2, beta=beta, alpha=alpha), beta * c.data + alpha * (m1.data @ m2.data))
    cb, b1, b2 = leaf(2, 1, 3), leaf(2, 2, 4), leaf(2, 4, 3)
    expected = beta * cb.data + alpha * (b1.data @ b2.data)
    close(cb.baddbmm(b1, b2, beta=beta, alpha=alpha), expected)
    assert gradgradcheck(lambda *t: tg.addmm(*t, beta=beta, alpha=alpha), c, m1, m2)


def test_beta_zero_ignores_nan_in_the_input_and_gives_it_a_zero_gradient() -> None:
    c = Tensor([np.nan, np.inf, 1.0], requires_grad=True)
    m1, m2 = leaf(2, 4), leaf(4, 3)
    y = tg.addmm(c, m1, m2, beta=0)
    close(y, m1.data @ m2.data)
    y.sum().backward()
    assert c.grad is not None and c.grad.tolist() == [0.0, 0.0, 0.0]


def test_addmm_refusals_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"shapes cannot be multiplied \(2x4 and 5x3\)"):
        tg.addmm(tg.ones(3), tg.ones(2, 4), tg.ones(5, 3))
    with pytest.raises(ValueError, match=r"mat1 must be a matrix, got shape \(2, 2, 4\)"):
        tg.addmm(tg.ones(3), tg.ones(2, 2, 4), tg.ones(4, 3))
    with pytest.raises(ValueError, match=r"input of shape \(2,\) does not broadcast to .*\(2, 3\)"):
        tg.addmm(tg.ones(2), tg.ones(2, 4), tg.ones(4, 3))
    with pytest.raises(ValueError, match=r"input of shape \(1, 2, 3, 5\) does not broadcast"):
        tg.baddbmm(tg.ones(1, 2, 3, 5), tg.ones(2, 3, 4), tg.ones(2, 4, 5))
    ints = tg.tensor([[1, 2]]), tg.tensor([[3], [4]])
    assert tg.addmm(tg.tensor([1]), *ints, beta=2, alpha=3).tolist() == [[35]]
    with pytest.raises(TypeError, match="beta=0.5 must be an integer for integer tensors"):
        tg.addmm(tg.tensor([1]), *ints, beta=0.5)
    with pytest.raises(TypeError, match="alpha must be a number, got str"):
        tg.addmm(tg.ones(1), tg.ones(1, 1), tg.ones(1, 1), alpha="2")


# ---------------------------------------------------------------------------- tensordot, kron


def test_tensordot_with_a_count_and_with_lists_of_dims() -> None:
    a, b = leaf(2, 3, 4), leaf(3, 4, 2)
    close(tg.tensordot(a, b), np.tensordot(a.data, b.data))
    close(tg.tensordot(a, b, 0), np.multiply.outer(a.data, b.data))
    c = leaf(4, 5, 2)
    expected = np.einsum("ijk,kli->jl", a.data, c.data)  # dims 0, 2 with 2, 0
    close(tg.tensordot(a, c, ([0, -1], [2, 0])), expected)
    close(tg.tensordot(a, c, [[0, 2], [2, 0]]), expected)
    assert gradgradcheck(lambda u, v: tg.tensordot(u, v, ([0, 2], [2, 0])), a, c)


def test_tensordot_broadcasts_a_contracted_dimension_of_size_one() -> None:
    a, b = leaf(1, 3), leaf(4, 3)
    close(tg.tensordot(a, b, ([0], [0])), a.data[0][:, None] * b.data.sum(0)[None, :])
    assert gradcheck(lambda u, v: tg.tensordot(u, v, ([0], [0])), a, b)


@pytest.mark.parametrize(
    ("dims", "error", "message"),
    [
        (-1, ValueError, "dims=-1 must be between 0 and"),
        (3, ValueError, "dims=3 must be between 0 and"),
        (([1], [0, 1]), ValueError, "different lengths"),
        (([0, 0], [0, 1]), ValueError, "dim 0 appears more than once"),
        (([2], [0]), IndexError, "dim 2 is out of range"),
        ((1, 0), TypeError, r"two lists of dims, e.g. \(\[1, 2\], \[0, 1\]\)"),
        (([1], [1]), ValueError, "dim 1 of a has size 3 and dim 1 of b has size 2"),
    ],
)
def test_tensordot_refusals(dims: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        tg.tensordot(tg.ones(2, 3), tg.ones(3, 2), dims)


def test_kron_of_tensors_of_different_dimensions() -> None:
    a, b = leaf(2, 3), leaf(2)
    close(tg.kron(a, b), np.kron(a.data, b.data))
    close(b.kron(a), np.kron(b.data, a.data))
    close(tg.kron(Tensor(2.0), b), 2.0 * b.data)
    assert gradgradcheck(tg.kron, a, b)


# ---------------------------------------------------------------------------- einsum

A, B, V, W = leaf(3, 3), leaf(3, 4), leaf(3), leaf(4)
E = leaf(2, 3, 3)

# (equation, operands, an independent NumPy reference)
EINSUM_CASES: list[tuple[str, tuple[Tensor, ...], Any]] = [
    ("ij,jk->ik", (A, B), lambda: A.data @ B.data),
    ("ij,jk", (A, B), lambda: A.data @ B.data),  # implicit: i, k in alphabetical order
    ("ba,ac", (A, B), lambda: A.data @ B.data),  # implicit output: b, c
    ("ij->ji", (B,), lambda: B.data.T),
    ("ii", (A,), lambda: np.trace(A.data)),
    ("ii->i", (A,), lambda: np.diag(A.data)),
    ("bii->bi", (E,), lambda: np.stack([np.diag(m) for m in E.data])),
    ("i,j->ij", (V, W), lambda: np.outer(V.data, W.data)),
    ("i,i->", (V, V), lambda: V.data @ V.data),
    ("ij->", (B,), lambda: B.data.sum()),
    ("ij,j->i", (B, W), lambda: B.data @ W.data),
    ("...ij,...jk", (E, B), lambda: E.data @ B.data),
    ("...ij,jk->...ik", (E, B), lambda: E.data @ B.data),
    ("i...->...", (E,), lambda: E.data.sum(0)),
    ("b...,b...->b", (E, E), lambda: (E.data * E.data).sum((1, 2))),
    ("ij,kj->ikj", (A, leaf(1, 3)), None),  # a size of 1 broadcasts
    (" i j , j k -> i k ", (A, B), lambda: A.data @ B.data),
    ("iij->j", (leaf(2, 2, 3),), None),
    ("Ab,bC->AC", (A, B), lambda: A.data @ B.data),
]


@pytest.mark.parametrize("k", range(len(EINSUM_CASES)))
def test_einsum_forms(k: int) -> None:
    equation, operands, reference = EINSUM_CASES[k]
    expected = (
        reference() if reference else np.einsum(equation, *[np.asarray(t.data) for t in operands])
    )
    close(tg.einsum(equation, *operands), expected)
    close(tg.einsum(equation, list(operands)), expected)


@pytest.mark.parametrize("equation", ["ii,ij->j", "...ij,jk->...k", "ij,kj->ikj", "iij,j->"])
def test_einsum_first_and_second_derivatives(equation: str) -> None:
    shapes = {
        "ii,ij->j": [(3, 3), (3, 2)],
        "...ij,jk->...k": [(2, 1, 3), (3, 2)],
        "ij,kj->ikj": [(2, 3), (1, 3)],
        "iij,j->": [(2, 2, 3), (3,)],
    }[equation]
    inputs = [leaf(*s) for s in shapes]
    assert gradgradcheck(lambda *t: tg.einsum(equation, *t), *inputs)


def test_einsum_derivatives_of_every_order() -> None:
    x = leaf(3)
    y = tg.einsum("i,i,i->", x, x, x)  # Σ x³
    (g1,) = tg.grad(y, [x], create_graph=True)
    (g2,) = tg.grad(g1.sum(), [x], create_graph=True)
    (g3,) = tg.grad(g2.sum(), [x])
    close(g1, 3 * x.data**2)
    close(g2, 6 * x.data)
    close(g3, np.full(3, 6.0))


@pytest.mark.parametrize(
    ("equation", "shapes", "message"),
    [
        ("ij->ii", [(2, 2)], "output subscript 'i' appears more than once"),
        ("ij->ik", [(2, 2)], "output subscript 'k' does not appear in any operand"),
        ("ij,jk", [(2, 3)], r"subscripts for 2 operand\(s\), but 1 were given"),
        ("ijk", [(2, 3)], r"operand 0 has 2 dimension\(s\) .* but 3 subscript\(s\) 'ijk'"),
        ("ij,jk->ik", [(2, 3), (4, 5)], "subscript 'j' has size 4 in operand 1, which does not"),
        ("ii->i", [(2, 3)], "subscript 'i' is repeated in operand 0 with sizes 2 and 3"),
        ("i2", [(2, 3)], "invalid subscript '2'"),
        ("i->i->i", [(2,)], "more than one '->'"),
        ("......", [(2,)], r"invalid subscript '\.'"),
        ("...i,...i", [(2, 3), (4, 3)], "a dimension under '...' has size 4 in operand 1"),
    ],
)
def test_einsum_refusals(equation: str, shapes: list[tuple[int, ...]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tg.einsum(equation, *[tg.ones(*s) for s in shapes])


def test_einsum_refuses_other_arguments() -> None:
    with pytest.raises(TypeError, match="one or more Tensors"):
        tg.einsum("i", np.ones(2))
    with pytest.raises(TypeError, match="one or more Tensors"):
        tg.einsum("i")
    with pytest.raises(TypeError, match="sublist label must be an int in"):
        tg.einsum(tg.ones(2), [-1])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got a str where a list of labels belongs"):
        tg.einsum(tg.ones(2), "i")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="one or more Tensors"):
        tg.einsum([0], [0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bool operands"):
        tg.einsum("i,i", tg.tensor([True]), tg.tensor([False]))
    assert tg.einsum("i,i", tg.tensor([1, 2]), tg.tensor([3, 4])).tolist() == 11
    with pytest.raises(ValueError, match="the op does not broadcast"):
        ops.Einsum.apply(tg.ones(2), tg.ones(3), equation="i,i->")
    with pytest.raises(ValueError, match="needs an explicit output"):
        ops.Einsum.apply(tg.ones(2), equation="i")
