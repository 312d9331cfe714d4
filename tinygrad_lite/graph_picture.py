"""The computation graph drawn with matplotlib alone: `draw_graph`, shown as SVG in a notebook."""

from __future__ import annotations

import os
from typing import Any

from .figures import new_figure, save_figure
from .graph import Graph, Names, Node, build_graph
from .tensor import Tensor

__all__ = ["draw_graph"]

Figure = Any
Axes = Any


_FILL = {"op": "#fff2cc", "leaf": "#cfe2f3", "const": "#eeeeee"}
_CHAR_W = 0.085  # inches per character at 10 pt, a little more than Helvetica's average
_LINE_H = 0.19  # inches per line at 10 pt
_PAD = 0.12  # inches of padding inside a box
_GAP_X = 0.3
_GAP_Y = 0.45


def _box_size(node: Node) -> tuple[float, float]:
    lines = node.lines()
    return (
        max(len(s) for s in lines) * _CHAR_W + 2 * _PAD,
        len(lines) * _LINE_H + 2 * _PAD,
    )


def _layout(graph: Graph) -> tuple[dict[int, tuple[float, float, float, float]], float, float]:
    """Box centre and size of every node in inches, and the picture's width and height."""
    rows = graph.layers()
    sizes = {n.index: _box_size(n) for n in graph.nodes}
    row_w = [sum(sizes[n.index][0] for n in row) + _GAP_X * (len(row) - 1) for row in rows]
    row_h = [max((sizes[n.index][1] for n in row), default=0.0) for row in rows]
    width = max(row_w)
    height = sum(row_h) + _GAP_Y * (len(rows) - 1)
    boxes: dict[int, tuple[float, float, float, float]] = {}
    top = height
    for row, rw, rh in zip(rows, row_w, row_h, strict=True):
        x = (width - rw) / 2
        for n in row:
            w, h = sizes[n.index]
            boxes[n.index] = (x + w / 2, top - rh / 2, w, h)
            x += w + _GAP_X
        top -= rh + _GAP_Y
    return boxes, width, height


def draw_graph(
    tensor: Tensor,
    path: str | os.PathLike[str] | None = None,
    ax: Axes | None = None,
    names: Names | None = None,
    op_grads: bool = True,
    dpi: int = 90,
) -> Figure:
    """Draw the computation graph of `tensor` with matplotlib alone (no Graphviz needed).

    Each box is an op (its Function's name), a leaf that requires grad (blue) or a constant
    (grey), with its shape and, where known, ‖grad‖; arrows run from inputs to the op that uses
    them, top to bottom in topological layers. To show the leaves' gradients, call
    `backward(retain_graph=True)` first.

    Args:
        tensor: the result whose graph to draw, e.g. a cost.
        path: if given, the picture is also written there (PNG).
        ax: the axes to draw on; a new figure sized to the graph is made when None.
        names: names for leaves, as for `tinygrad_lite.graph.build_graph`.
        op_grads: also show ‖∂root/∂node‖ on the op boxes.
        dpi: resolution used when writing `path`.

    Returns:
        The matplotlib Figure that holds the drawing. A new one shows once in a notebook, as
        SVG; `fig.savefig("graph.png")` writes a PNG as for any Figure.

    Raises:
        GraphError: backward has released the graph (call it with retain_graph=True).
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    graph = build_graph(tensor, names, op_grads)
    boxes, width, height = _layout(graph)
    margin = 0.2
    if ax is None:
        fig = new_figure((width + 2 * margin, height + 2 * margin), fmt="svg")
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        scale = 1.0
    else:
        fig = ax.figure
        bbox = ax.get_window_extent().transformed(fig.dpi_scale_trans.inverted())
        scale = min(bbox.width / (width + 2 * margin), bbox.height / (height + 2 * margin))
    fontsize = 10.0 * scale
    ax.set_xlim(-margin, width + margin)
    ax.set_ylim(-margin, height + margin)
    ax.set_aspect("equal")
    ax.axis("off")
    for n in graph.nodes:
        cx, cy, w, h = boxes[n.index]
        ax.add_patch(
            FancyBboxPatch(
                (cx - w / 2, cy - h / 2),
                w,
                h,
                boxstyle="round,pad=0,rounding_size=0.06" if n.kind == "op" else "square,pad=0",
                facecolor=_FILL[n.kind],
                edgecolor="black",
                linewidth=2.0 if n.is_root else 0.8,
                zorder=2,
            )
        )
        ax.text(
            cx,
            cy,
            "\n".join(n.lines()),
            ha="center",
            va="center",
            fontsize=fontsize,
            fontweight="bold" if n.kind != "op" else "normal",
            zorder=3,
            linespacing=1.25,
        )
    for a, b in set(graph.edges):
        ax_, ay, _, ah = boxes[a]
        bx, by, _, bh = boxes[b]
        ax.add_patch(
            FancyArrowPatch(
                (ax_, ay - ah / 2),
                (bx, by + bh / 2),
                arrowstyle="-|>",
                mutation_scale=12 * scale,
                color="#444444",
                linewidth=1.0,
                shrinkA=0,
                shrinkB=0,
                zorder=1,
            )
        )
    if path is not None:
        save_figure(fig, path, dpi=dpi)
    return fig
