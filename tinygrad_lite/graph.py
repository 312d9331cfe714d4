"""The computation graph behind a Tensor: nodes, edges and a layered layout, as data or DOT text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .autograd import Context
from .engine import walk
from .tensor import Tensor

__all__ = ["Graph", "GraphError", "Node", "build_graph", "to_dot"]

NodeKind = Literal["op", "leaf", "const"]
Names = Mapping[Tensor, str] | Mapping[int, str] | Iterable[tuple[str, Tensor]]


class GraphError(RuntimeError):
    """Raised when a graph cannot be walked: backward has already released it."""


@dataclass(frozen=True)
class Node:
    """One box of the picture: an op's output, a leaf that requires grad, or a constant.

    Attributes:
        index: position in `Graph.nodes` (inputs come before the ops that use them).
        kind: "op" (a tensor made by a Function), "leaf" (a user tensor that requires grad)
            or "const" (a tensor that requires no grad, such as the data X or a scalar).
        label: the Function's class name for an op ("MatMul"), the name given in `names`
            for a leaf or constant, else "leaf", or the value of a one-element constant.
        shape: the tensor's shape.
        dtype: the tensor's dtype, e.g. "float64".
        grad_norm: ‖grad‖ (Frobenius norm): the accumulated `.grad` of a leaf, or for an op
            ‖∂root/∂node‖ when intermediate gradients were asked for; None when unknown.
        layer: the layout row: 0 for the first inputs, the root is on the last row. A node
            sits one row below its lowest input; a leaf sits one row above its first user.
        position: the node's place from left to right within its layer.
        is_root: whether this is the tensor the graph was built from.
    """

    index: int
    kind: NodeKind
    label: str
    shape: tuple[int, ...]
    dtype: str
    grad_norm: float | None
    layer: int
    position: int
    is_root: bool

    def lines(self) -> list[str]:
        """The text of the node's box, one string per line: label, shape, then ‖grad‖."""
        out = [self.label, str(self.shape)]
        if self.grad_norm is not None:
            out.append(f"‖grad‖={self.grad_norm:.4g}")
        return out


@dataclass(frozen=True)
class Graph:
    """The nodes and edges of a computation graph, laid out in topological layers.

    Attributes:
        nodes: every node, inputs before the ops that consume them; `nodes[i].index == i`.
        edges: (source, target) node indices, one per op input: the source feeds the target.
            An op that uses the same tensor twice (x * x) has two equal edges.
    """

    nodes: tuple[Node, ...]
    edges: tuple[tuple[int, int], ...]

    @property
    def root(self) -> Node:
        """The node of the tensor the graph was built from."""
        return next(n for n in self.nodes if n.is_root)

    def layers(self) -> list[list[Node]]:
        """The nodes grouped by layer, each layer ordered by position (left to right)."""
        depth = 1 + max(n.layer for n in self.nodes)
        rows: list[list[Node]] = [[] for _ in range(depth)]
        for n in self.nodes:
            rows[n.layer].append(n)
        for row in rows:
            row.sort(key=lambda n: n.position)
        return rows


_RELEASED = (
    "{func}: the graph behind this tensor has been released by backward(); call "
    "backward(retain_graph=True) to keep it for drawing, or draw before calling backward()"
)


def _name_lookup(names: Names | None) -> dict[int, str]:
    """Turn {Tensor: name}, {id: name} or (name, Tensor) pairs into {id(tensor): name}."""
    if names is None:
        return {}
    out: dict[int, str] = {}
    items: Iterable[tuple[object, object]]
    if isinstance(names, Mapping):
        items = names.items()
    else:
        items = ((t, n) for n, t in names)
    for key, name in items:
        if not isinstance(name, str):
            raise TypeError(f"names: a name must be a str, got {type(name).__name__} {name!r}")
        if isinstance(key, Tensor):
            out[id(key)] = name
        elif isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            out[int(key)] = name
        else:
            raise TypeError(
                f"names: keys must be Tensors or id()s of Tensors, got {type(key).__name__}"
            )
    return out


def _visit(root: Tensor, func: str, with_grads: bool) -> tuple[list[Any], dict[int, Any]]:
    """Every node behind `root`, inputs before the ops that use them, and ∂(Σ root)/∂node.

    A node is an op's Context or an input Tensor that no op made (a leaf or a constant). The
    engine's own backward walk visits the op nodes (with the graph retained, hooks off and
    nothing written to `.grad`).
    """
    ctx = root._ctx
    if ctx is None:
        return [root], {}
    if ctx.saved is None or ctx.inputs is None:
        raise GraphError(_RELEASED.format(func=func))
    ops_seen: list[Context] = []
    grads: dict[int, Any] = {}

    def on_node(node: Context, g: Any, flowed: tuple[Any, ...]) -> None:
        ops_seen.append(node)
        grads[id(node)] = g

    try:
        walk([root], [np.ones_like(root.data)], True, False, on_node=on_node, run_hooks=False)
    except RuntimeError as e:
        if "released" in str(e):
            raise GraphError(_RELEASED.format(func=func)) from None
        raise
    order: list[Any] = []
    seen: set[int] = set()
    for node in reversed(ops_seen):  # creation order: inputs first
        for p in node.inputs or ():
            if p.__class__ is not Context and id(p) not in seen:
                seen.add(id(p))
                order.append(p)
        seen.add(id(node))
        order.append(node)
    return order, (grads if with_grads else {})


def _const_label(t: Tensor) -> str:
    if t.data.size == 1 and t.data.dtype.kind in "biuf":
        return f"{t.data.item():.4g}"
    return "const"


def _norm(a: np.ndarray) -> float:
    return float(np.sqrt(np.sum(np.square(a, dtype=np.float64))))


def build_graph(tensor: Tensor, names: Names | None = None, op_grads: bool = True) -> Graph:
    """Collect the graph that produced `tensor`, with a layered layout for drawing.

    The walk follows each op's inputs iteratively, so deep graphs work. Leaves show their
    accumulated `.grad` norm after backward; with `op_grads`, op nodes show
    ‖∂root/∂node‖ too (of root.sum() when the root has more than one element), obtained
    by replaying the ops' backward on the graph's saved values, which changes no `.grad`.
    After `backward()` the graph is gone unless it ran with `retain_graph=True`.

    Args:
        tensor: the result whose history to collect, e.g. a cost.
        names: names for leaves and constants: a mapping from Tensor (or its `id`) to name,
            or (name, Tensor) pairs such as a model's `named_parameters()`.
        op_grads: also compute the gradient norm of every op node when the root requires
            grad.

    Returns:
        The Graph: nodes (inputs first, root last) and edges, each node with its layer and
        position.

    Raises:
        GraphError: backward has released the graph (call it with retain_graph=True).
        TypeError: `tensor` is not a Tensor, or `names` holds something else than names of
            Tensors.
    """
    func = "build_graph"
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{func}: expected a Tensor, got {type(tensor).__name__}")
    lookup = _name_lookup(names)
    order, grads = _visit(tensor, func, op_grads)
    root = tensor._ctx if tensor._ctx is not None else tensor
    index = {id(t): i for i, t in enumerate(order)}

    edges: list[tuple[int, int]] = []
    inputs: list[list[int]] = [[] for _ in order]
    users: list[list[int]] = [[] for _ in order]
    for i, t in enumerate(order):
        if t.__class__ is Context:
            for p in t.inputs or ():
                j = index[id(p)]
                edges.append((j, i))
                inputs[i].append(j)
                users[j].append(i)

    # Ops sit one row below their lowest input; leaves then move down next to their first user.
    layer = [0] * len(order)
    for i in range(len(order)):
        if inputs[i]:
            layer[i] = 1 + max(layer[j] for j in inputs[i])
    for i in range(len(order)):
        if not inputs[i] and users[i]:
            layer[i] = min(layer[k] for k in users[i]) - 1
    position = _order_layers(layer, inputs, users)

    nodes = []
    for i, t in enumerate(order):
        kind: NodeKind
        norm: float | None = None
        if t.__class__ is Context:
            kind, label = "op", t.fn.__name__
            if id(t) in grads:
                norm = _norm(grads[id(t)])
            shape, dtype = t.shape, t.dtype
        else:
            kind = "leaf" if t.requires_grad else "const"
            label = lookup.get(id(t)) or ("leaf" if t.requires_grad else _const_label(t))
            if t.grad is not None:
                norm = _norm(t.grad.data)
            shape, dtype = t.data.shape, t.data.dtype
        nodes.append(
            Node(
                index=i,
                kind=kind,
                label=label,
                shape=tuple(shape),
                dtype=str(dtype),
                grad_norm=norm,
                layer=layer[i],
                position=position[i],
                is_root=t is root,
            )
        )
    return Graph(nodes=tuple(nodes), edges=tuple(edges))


def _order_layers(layer: list[int], inputs: list[list[int]], users: list[list[int]]) -> list[int]:
    """Order each layer left to right so that edges cross rarely (two barycentre sweeps)."""
    depth = 1 + max(layer)
    rows: list[list[int]] = [[] for _ in range(depth)]
    for i, k in enumerate(layer):
        rows[k].append(i)
    pos = [0.0] * len(layer)
    for row in rows:
        for p, i in enumerate(row):
            pos[i] = float(p)

    def sweep(row_ids: Iterable[int], neighbours: list[list[int]]) -> None:
        for k in row_ids:
            row = rows[k]
            key = {
                i: (
                    sum(pos[j] for j in neighbours[i]) / len(neighbours[i])
                    if neighbours[i]
                    else pos[i]
                )
                for i in row
            }
            row.sort(key=lambda i: (key[i], i))
            for p, i in enumerate(row):
                pos[i] = float(p)

    # Top-down by inputs places ops under what they consume; bottom-up by users places leaves
    # above the op that reads them.
    sweep(range(1, depth), inputs)
    sweep(range(depth - 2, -1, -1), users)
    return [int(p) for p in pos]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_STYLE = {
    "op": 'shape=box, style="rounded,filled", fillcolor="#fff2cc"',
    "leaf": 'shape=box, style=filled, fillcolor="#cfe2f3"',
    "const": 'shape=box, style=filled, fillcolor="#eeeeee"',
}


def to_dot(tensor: Tensor, names: Names | None = None, op_grads: bool = True) -> str:
    """The computation graph of `tensor` as Graphviz DOT text (render it with `dot -Tpng`).

    Op nodes are labelled with the Function's name and output shape, leaves and constants
    with their name (from `names`), shape and, after backward, ‖grad‖; edges run from each
    input to the op that uses it, so data flows from top to bottom.

    Example:
        >>> from tinygrad_lite import Tensor
        >>> from tinygrad_lite.graph import to_dot
        >>> w = Tensor([[1.0, 2.0]], requires_grad=True)
        >>> print(to_dot((w * 3).sum(), names={w: "w"}).splitlines()[0])
        digraph tinygrad_lite {

    Args:
        tensor: the result whose graph to export, e.g. a cost.
        names: names for leaves: a mapping from Tensor (or its `id`) to name, or (name,
            Tensor) pairs such as a model's `named_parameters()`.
        op_grads: label op nodes with ‖∂root/∂node‖ as well (see `build_graph`).

    Returns:
        The DOT source, one node statement `n<i> [...]` per node and one edge `n<i> -> n<j>`
        per op input.

    Raises:
        GraphError: backward has released the graph (call it with retain_graph=True).
    """
    graph = build_graph(tensor, names, op_grads)
    out = [
        "digraph tinygrad_lite {",
        "  rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=11];',
    ]
    for n in graph.nodes:
        style = _STYLE[n.kind] + (", penwidth=2" if n.is_root else "")
        out.append(f"  n{n.index} [label={_quote(chr(10).join(n.lines()))}, {style}];")
    for a, b in graph.edges:
        out.append(f"  n{a} -> n{b};")
    out.append("}")
    return "\n".join(out) + "\n"
