"""Tests of the computation-graph export: nodes, edges, layout, gradient norms, DOT text."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, functional, no_grad
from tinygrad_lite.autograd import Context
from tinygrad_lite.graph import GraphError, _visit, build_graph, to_dot

NODE = re.compile(r'^\s*n(\d+) \[label="((?:[^"\\]|\\.)*)"(.*)\];$')
EDGE = re.compile(r"^\s*n(\d+) -> n(\d+);$")


def parse_dot(text: str) -> tuple[dict[int, list[str]], list[tuple[int, int]], dict[int, str]]:
    """Node labels (as lines), edges and node attributes from our DOT output."""
    lines = text.strip().splitlines()
    assert lines[0] == "digraph tinygrad_lite {"
    assert lines[-1] == "}"
    labels: dict[int, list[str]] = {}
    attrs: dict[int, str] = {}
    edges: list[tuple[int, int]] = []
    for line in lines[1:-1]:
        if m := NODE.match(line):
            labels[int(m[1])] = m[2].split("\\n")
            attrs[int(m[1])] = m[3]
        elif m := EDGE.match(line):
            edges.append((int(m[1]), int(m[2])))
        else:
            assert line.strip().endswith(";"), line
            assert "->" not in line and "label" not in line, line
    return labels, edges, attrs


def small_graph() -> tuple[Tensor, Tensor, Tensor]:
    """J = sum(tanh(x * y + x)) with x (2, 3) and y (3,) (broadcast)."""
    x = Tensor(np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]), requires_grad=True)
    y = Tensor(np.array([0.7, -0.8, 0.9]), requires_grad=True)
    J = (x * y + x).tanh().sum()
    return J, x, y


def by_label(labels: dict[int, list[str]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, lines in labels.items():
        assert lines[0] not in out, f"label {lines[0]} is not unique"
        out[lines[0]] = i
    return out


def test_dot_has_every_op_edge_and_shape() -> None:
    J, x, y = small_graph()
    labels, edges, _ = parse_dot(to_dot(J, names={x: "x", y: "y"}))
    ids = by_label(labels)
    assert set(ids) == {"x", "y", "Mul", "Add", "Tanh", "Sum"}
    expected = {
        (ids["x"], ids["Mul"]),
        (ids["y"], ids["Mul"]),
        (ids["Mul"], ids["Add"]),
        (ids["x"], ids["Add"]),
        (ids["Add"], ids["Tanh"]),
        (ids["Tanh"], ids["Sum"]),
    }
    assert sorted(edges) == sorted(expected)
    shapes = {name: labels[i][1] for name, i in ids.items()}
    assert shapes == {
        "x": "(2, 3)",
        "y": "(3,)",
        "Mul": "(2, 3)",
        "Add": "(2, 3)",
        "Tanh": "(2, 3)",
        "Sum": "()",
    }


def test_leaf_grad_norms_after_backward_match_hand_derivation() -> None:
    J, x, y = small_graph()
    J.backward(retain_graph=True)
    xd, yd = x.data, y.data
    s = 1.0 - np.tanh(xd * yd + xd) ** 2
    dx = s * (yd + 1.0)  # ∂/∂x tanh(x·y + x)
    dy = (s * xd).sum(axis=0)  # y is broadcast over the rows
    labels, _, _ = parse_dot(to_dot(J, names={x: "x", y: "y"}))
    ids = by_label(labels)
    assert labels[ids["x"]][2] == f"‖grad‖={np.linalg.norm(dx):.4g}"
    assert labels[ids["y"]][2] == f"‖grad‖={np.linalg.norm(dy):.4g}"
    graph = build_graph(J, names={x: "x", y: "y"})
    norms = {n.label: n.grad_norm for n in graph.nodes}
    assert norms["x"] == pytest.approx(np.linalg.norm(dx), rel=1e-12)
    assert norms["y"] == pytest.approx(np.linalg.norm(dy), rel=1e-12)
    # Op nodes: ∂J/∂Sum = 1, ∂J/∂Tanh = ones, ∂J/∂Add = ∂J/∂Mul = 1 − tanh².
    assert norms["Sum"] == pytest.approx(1.0)
    assert norms["Tanh"] == pytest.approx(np.sqrt(6.0))
    assert norms["Add"] == pytest.approx(np.linalg.norm(s), rel=1e-12)
    assert norms["Mul"] == pytest.approx(np.linalg.norm(s), rel=1e-12)


def test_no_grad_norms_before_backward_and_graph_export_changes_nothing() -> None:
    J, x, y = small_graph()
    graph = build_graph(J, names={x: "x", y: "y"}, op_grads=True)
    leaves = [n for n in graph.nodes if n.kind == "leaf"]
    assert len(leaves) == 2 and all(n.grad_norm is None for n in leaves)
    assert x.grad is None and y.grad is None
    plain = build_graph(J, op_grads=False)
    assert all(n.grad_norm is None for n in plain.nodes)
    # The graph still works after being exported twice.
    J.backward()
    assert x.grad is not None and x.grad.shape == x.shape


def test_intermediate_grad_matches_the_tutorials_dZ2() -> None:
    rng = np.random.default_rng(0)
    m = 7
    X = Tensor(rng.standard_normal((2, m)))
    Y = Tensor((rng.random((1, m)) > 0.5).astype(np.float64))
    W1 = Tensor(rng.standard_normal((4, 2)), requires_grad=True)
    b1 = Tensor(np.zeros((4, 1)), requires_grad=True)
    W2 = Tensor(rng.standard_normal((1, 4)), requires_grad=True)
    b2 = Tensor(np.zeros((1, 1)), requires_grad=True)
    Z2 = W2 @ (W1 @ X + b1).tanh() + b2
    A2 = Z2.sigmoid()
    J = functional.binary_cross_entropy(A2, Y)
    J.backward(retain_graph=True)
    names = {W1: "W1", b1: "b1", W2: "W2", b2: "b2", X: "X", Y: "Y"}
    graph = build_graph(J, names=names)
    z2 = next(n for n in graph.nodes if n.kind == "op" and n.label == "Add" and n.shape == (1, m))
    dZ2 = (A2.data - Y.data) / m  # the tutorial's dZ2 = A2 − Y, with the mean's 1/m
    assert z2.grad_norm == pytest.approx(np.linalg.norm(dZ2), rel=1e-9)
    consts = {n.label for n in graph.nodes if n.kind == "const"}
    assert consts == {"X", "Y"}
    b2_node = next(n for n in graph.nodes if n.label == "b2")
    assert b2_node.grad_norm == pytest.approx(abs(dZ2.sum()), rel=1e-9)


def test_released_graph_gives_a_clear_error() -> None:
    J, _, _ = small_graph()
    J.backward()
    with pytest.raises(GraphError, match=r"released.*retain_graph=True"):
        to_dot(J)
    with pytest.raises(GraphError, match="retain_graph=True"):
        build_graph(J, op_grads=False)


def test_names_from_ids_and_pairs_and_bad_names() -> None:
    J, x, y = small_graph()
    a = {n.label for n in build_graph(J, names={id(x): "x", id(y): "y"}).nodes}
    b = {n.label for n in build_graph(J, names=[("x", x), ("y", y)]).nodes}
    assert a == b == {"x", "y", "Mul", "Add", "Tanh", "Sum"}
    unnamed = [n.label for n in build_graph(J).nodes if n.kind == "leaf"]
    assert unnamed == ["leaf", "leaf"]
    with pytest.raises(TypeError, match="names: a name must be a str"):
        build_graph(J, names={x: 3})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="keys must be Tensors"):
        build_graph(J, names={"x": "x"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="expected a Tensor"):
        build_graph(np.ones(3))  # type: ignore[arg-type]


def test_repeated_input_gives_two_edges_and_scalar_constants_show_their_value() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    J = (x * x * 3.0).sum()
    graph = build_graph(J, names={x: "x"})
    (xi,) = [n.index for n in graph.nodes if n.label == "x"]
    muls = [n.index for n in graph.nodes if n.label == "Mul"]
    assert len(muls) == 2
    square = next(i for i in muls if (xi, i) in graph.edges)
    assert graph.edges.count((xi, square)) == 2
    (three,) = [n for n in graph.nodes if n.kind == "const"]
    assert three.label == "3" and three.shape == ()
    assert (three.index, next(i for i in muls if i != square)) in graph.edges


def test_escaping_of_names_in_dot() -> None:
    x = Tensor([1.0], requires_grad=True)
    text = to_dot((x * 2.0).sum(), names={x: 'w"1\\'})
    labels, _, _ = parse_dot(text)
    assert any(lines[0] == 'w\\"1\\\\' for lines in labels.values())


def test_a_leaf_alone_and_a_tensor_made_without_grad() -> None:
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    graph = build_graph(x, names={x: "x"})
    assert len(graph.nodes) == 1 and graph.edges == ()
    assert graph.root.label == "x" and graph.root.layer == 0
    with no_grad():
        y = x * 2.0
    graph = build_graph(y)
    assert [n.kind for n in graph.nodes] == ["const"] and graph.root.label == "const"


def test_deep_chain_is_walked_without_recursion() -> None:
    x = Tensor([0.5], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    J = y.sum()
    graph = build_graph(J, op_grads=True)
    assert len([n for n in graph.nodes if n.kind == "op"]) == 5001
    assert graph.root.layer == max(n.layer for n in graph.nodes)
    # ∂J/∂x through 5000 scalings, to compare with the side pass's value at the first Mul.
    first = next(n for n in graph.nodes if n.kind == "op" and n.layer == 1)
    assert first.grad_norm == pytest.approx(1.0001**4999, rel=1e-9)


# ------------------------------------------------------------------ layout properties

UNARY = ["tanh", "sigmoid", "exp_neg", "scale", "sum_keep"]
BINARY = ["add", "mul", "sub"]


@st.composite
def random_graphs(draw: st.DrawFn) -> tuple[Tensor, list[Tensor]]:
    """A random expression over a few (3,) leaves, each op reading earlier values."""
    n_leaves = draw(st.integers(1, 4))
    leaves = [
        Tensor(np.linspace(-0.5, 0.5, 3) * (k + 1), requires_grad=draw(st.booleans()) or k == 0)
        for k in range(n_leaves)
    ]
    pool: list[Tensor] = list(leaves)
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.booleans()):
            a = draw(st.sampled_from(pool))
            op = draw(st.sampled_from(UNARY))
            out = {
                "tanh": lambda t: t.tanh(),
                "sigmoid": lambda t: t.sigmoid(),
                "exp_neg": lambda t: (-t).exp(),
                "scale": lambda t: t * 0.5,
                "sum_keep": lambda t: t.sum(keepdims=True),
            }[op](a)
        else:
            a, b = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
            op = draw(st.sampled_from(BINARY))
            out = {"add": a + b, "mul": a * b, "sub": a - b}[op]
        pool.append(out)
    total = leaves[0]  # requires grad, so the root does
    for t in pool[n_leaves:]:
        total = total + t
    return total.sum(), leaves


@given(random_graphs())
def test_layout_is_topological_and_positions_are_a_permutation(
    case: tuple[Tensor, list[Tensor]],
) -> None:
    root, _ = case
    graph = build_graph(root)
    assert all(n.index == i for i, n in enumerate(graph.nodes))
    assert graph.root.index == len(graph.nodes) - 1
    for a, b in graph.edges:
        assert a < b, "inputs come before the ops that use them"
        assert graph.nodes[a].layer < graph.nodes[b].layer
    for row in graph.layers():
        assert sorted(n.position for n in row) == list(range(len(row)))
    op_nodes = [n for n in graph.nodes if n.kind == "op"]
    assert all(any(b == n.index for _, b in graph.edges) for n in op_nodes)
    # DOT text agrees with the data: same nodes, same edges.
    labels, edges, _ = parse_dot(to_dot(root))
    assert len(labels) == len(graph.nodes)
    assert sorted(edges) == sorted(graph.edges)


@given(random_graphs())
def test_node_gradients_equal_the_gradients_grad_returns(
    case: tuple[Tensor, list[Tensor]],
) -> None:
    """The gradients that label op nodes are ∂root/∂node, as `tinygrad_lite.grad` gives them."""
    root, _ = case
    order, grads = _visit(root, "test", True)
    nodes = [n for n in order if isinstance(n, Context) and n is not root._ctx]
    if not nodes:
        return
    # grad() finds an intermediate by its node: a tensor standing for each node will do
    handles = [Tensor._make(np.zeros(n.shape, n.dtype), True, n) for n in nodes]
    expected = tg.grad(root, handles, retain_graph=True)
    for n, g in zip(nodes, expected, strict=True):
        assert g is not None
        np.testing.assert_allclose(grads[id(n)], g.data, rtol=1e-12, atol=1e-15)
