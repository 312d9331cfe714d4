"""Rich displays for notebooks: a Tensor as HTML or Markdown, and a Module's summary table."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .autograd import no_grad

if TYPE_CHECKING:
    from .module import Module
    from .tensor import Tensor

__all__ = [
    "ModelSummary",
    "SummaryRow",
    "module_repr",
    "summary",
    "tensor_html",
    "tensor_markdown",
]

PREVIEW_THRESHOLD = 100  # more elements than this are summarised with "..." (NumPy's rule)
PREVIEW_EDGEITEMS = 3
PREVIEW_PRECISION = 4
_HEAD = ("Layer (type)", "Output shape", "Params", "Trainable", "Parameters")


# ------------------------------------------------------------------------------ tensors


def preview(a: np.ndarray) -> str:
    """The values of `a` as NumPy prints them, compact: 4 digits, "..." past 100 elements.

    Args:
        a: the array.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite.display import preview
        >>> preview(np.arange(1000.0))
        '[  0.,   1.,   2., ..., 997., 998., 999.]'
    """
    return np.array2string(
        np.asarray(a),
        separator=", ",
        threshold=PREVIEW_THRESHOLD,
        edgeitems=PREVIEW_EDGEITEMS,
        precision=PREVIEW_PRECISION,
    )


def _facts(t: Tensor) -> list[tuple[str, str]]:
    """(label, value) pairs of a tensor's header: shape, dtype, grad_fn, requires_grad."""
    fn = t.grad_fn
    return [
        ("shape", str(tuple(t.data.shape))),
        ("dtype", str(t.data.dtype)),
        ("grad_fn", "None (a leaf)" if fn is None else fn.__name__),
        ("requires_grad", str(bool(t.requires_grad))),
    ]


def _stats(a: np.ndarray) -> str:
    """min, mean, max of a float or int array with more than one element; NaN/inf counts."""
    if a.size < 2 or a.dtype.kind not in "iuf":
        return ""
    finite = np.isfinite(a) if a.dtype.kind == "f" else np.ones(a.shape, dtype=bool)
    parts = []
    if finite.any():
        v = a[finite].astype(np.float64)
        parts.append(f"min {v.min():.4g} · mean {v.mean():.4g} · max {v.max():.4g}")
    nan, inf = int(np.isnan(a).sum()) if a.dtype.kind == "f" else 0, int((~finite).sum())
    if nan:
        parts.append(f"{nan} NaN")
    if inf - nan:
        parts.append(f"{inf - nan} infinite")
    return " · ".join(parts)


def tensor_html(t: Tensor) -> str:
    """A tensor as HTML for a notebook (`Tensor._repr_html_`).

    A header with the class (Tensor or Parameter), shape, dtype, grad_fn and requires_grad;
    min, mean and max (and how many values are NaN or infinite); the values as NumPy prints
    them, summarised with "..." past 100 elements; and the gradient, when there is one.

    Args:
        t: the tensor.
    """
    header = " · ".join(f"{k} <code>{html.escape(v)}</code>" for k, v in _facts(t))
    out = [
        '<div class="tinygrad-lite-tensor">',
        f"<b>{html.escape(type(t).__name__)}</b> · {header}",
    ]
    stats = _stats(t.data)
    if stats:
        out.append(f"<br><small>{html.escape(stats)}</small>")
    out.append(f'<pre style="margin: 0.3em 0">{html.escape(preview(t.data))}</pre>')
    if t.grad is not None:
        g = t.grad.data
        gstats = _stats(g)
        out.append(
            "<b>grad</b>"
            + (f" <small>{html.escape(gstats)}</small>" if gstats else "")
            + f'<pre style="margin: 0.3em 0">{html.escape(preview(g))}</pre>'
        )
    out.append("</div>")
    return "\n".join(out)


def tensor_markdown(t: Tensor) -> str:
    """A tensor as Markdown (`Tensor._repr_markdown_`): the same content as `tensor_html`.

    Args:
        t: the tensor.
    """
    header = " · ".join(f"{k} `{v}`" for k, v in _facts(t))
    out = [f"**{type(t).__name__}** · {header}", ""]
    stats = _stats(t.data)
    if stats:
        out += [stats, ""]
    out += ["```text", preview(t.data), "```"]
    if t.grad is not None:
        gstats = _stats(t.grad.data)
        out += ["", "**grad**" + (f" · {gstats}" if gstats else ""), ""]
        out += ["```text", preview(t.grad.data), "```"]
    return "\n".join(out)


# ------------------------------------------------------------------------------ modules


@dataclass(frozen=True)
class SummaryRow:
    """One module of a `ModelSummary`.

    Attributes:
        name: the dotted name ("" for the model itself).
        kind: the module's class name.
        depth: how deep it sits (0 for the model).
        output: its output shape(s) for the example input, "not called" when the forward
            pass did not call it, "" without an input.
        params: the number of elements of the Parameters it holds itself (not its children's;
            a Parameter shared with an earlier module is counted there).
        trainable: how many of those require grad.
        parameters: its own Parameters as "name (shape)".
    """

    name: str
    kind: str
    depth: int
    output: str
    params: int
    trainable: int
    parameters: tuple[str, ...]


@dataclass(frozen=True)
class ModelSummary:
    """A model's layers, output shapes and parameter counts, as text or as an HTML table.

    `str()` (and `print`) gives the text table; a notebook shows the HTML one.

    Attributes:
        model: the model's class name.
        input: what the forward pass ran on ("" when no input was given).
        rows: one per module, pre-order (the model first).
    """

    model: str
    input: str
    rows: tuple[SummaryRow, ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        """Number of parameter elements (a shared Parameter counted once)."""
        return sum(r.params for r in self.rows)

    @property
    def trainable(self) -> int:
        """Number of parameter elements that require grad."""
        return sum(r.trainable for r in self.rows)

    def _cells(self) -> Iterator[tuple[str, str, str, str, str]]:
        for r in self.rows:
            label = r.kind if not r.name else f"{r.name.split('.')[-1]} ({r.kind})"
            yield (
                "  " * r.depth + label,
                r.output,
                f"{r.params:,}",
                f"{r.trainable:,}",
                ", ".join(r.parameters),
            )

    def _totals(self) -> list[str]:
        return [
            f"Total params: {self.total:,}",
            f"Trainable params: {self.trainable:,}",
            f"Non-trainable params: {self.total - self.trainable:,}",
        ]

    def _keep(self) -> list[int]:
        """The columns shown: without an input there are no output shapes."""
        return [i for i in range(len(_HEAD)) if self.input or i != 1]

    def __str__(self) -> str:
        keep = self._keep()
        cells = [[row[i] for i in keep] for row in [_HEAD, *self._cells()]]
        widths = [max(len(c[j]) for c in cells) for j in range(len(keep))]
        lines = [
            "  ".join(
                c.rjust(w) if keep[j] in (2, 3) else c.ljust(w)
                for j, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
            for row in cells
        ]
        rule = "-" * max(len(s) for s in lines)
        return "\n".join([self._title(), rule, lines[0], rule, *lines[1:], rule, *self._totals()])

    def _title(self) -> str:
        return self.model + (f" on an input {self.input}" if self.input else "")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        keep = self._keep()
        th = "".join(f"<th>{_HEAD[i]}</th>" for i in keep)
        rows = []
        for cells in self._cells():
            tds = []
            for i in keep:
                text = html.escape(cells[i].strip() if i == 0 else cells[i])
                if i == 0:
                    depth = (len(cells[0]) - len(cells[0].lstrip())) // 2
                    text = "&nbsp;" * (3 * depth) + text
                align = ' style="text-align: right"' if i in (2, 3) else ""
                tds.append(f"<td{align}>{text}</td>")
            rows.append("<tr>" + "".join(tds) + "</tr>")
        title = html.escape(self._title())
        totals = "<br>".join(html.escape(t) for t in self._totals())
        return (
            f"<div><b>{title}</b><table><thead><tr>{th}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table><small>{totals}</small></div>"
        )


def _shape_text(out: Any) -> str:
    """The shape of a forward's output: (m, n) for an array or Tensor, [...] for sequences."""
    if hasattr(out, "shape"):
        return str(tuple(out.shape))
    if isinstance(out, (tuple, list)):
        return "[" + ", ".join(_shape_text(o) for o in out) + "]"
    if isinstance(out, dict):
        return "{" + ", ".join(f"{k}: {_shape_text(v)}" for k, v in out.items()) + "}"
    return type(out).__name__


def _example(example: Any) -> tuple[Any, str]:
    """The input to run the forward pass on, and its description."""
    if isinstance(example, tuple) and all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in example
    ):
        if not example or any(n < 1 for n in example):
            raise ValueError(
                f"summary: an input shape must be a non-empty tuple of sizes >= 1, got {example}"
            )
        # Deterministic values, not zeros: a forward may divide by a spread or take a log.
        x = np.random.default_rng(0).standard_normal(tuple(int(n) for n in example))
        return x, str(tuple(int(n) for n in example))
    if hasattr(example, "shape"):
        return example, str(tuple(example.shape))
    return example, f"of type {type(example).__name__}"


def _record_outputs(model: Module, x: Any) -> dict[int, list[str]]:
    """Run `model(x)` in eval mode under no_grad, recording each module's output shapes.

    Each module's forward is wrapped for the run (an instance attribute that shadows the
    class's method, as a forward hook would), then everything is restored: the wrappers,
    each module's training flag, and grad mode.
    """
    outputs: dict[int, list[str]] = {}
    modules = [m for _, m in model.named_modules()]
    modes = [m.training for m in modules]
    saved: list[tuple[Module, Any]] = []
    missing = object()

    def wrap(key: int, forward: Any) -> Any:
        def recording(*args: Any, **kwargs: Any) -> Any:
            out = forward(*args, **kwargs)
            outputs.setdefault(key, []).append(_shape_text(out))
            return out

        return recording

    try:
        for m in modules:
            saved.append((m, m.__dict__.get("forward", missing)))
            m.__dict__["forward"] = wrap(id(m), m.forward)
        model.eval()
        with no_grad():
            model(x)
    finally:
        for m, previous in saved:
            if previous is missing:
                del m.__dict__["forward"]
            else:
                m.__dict__["forward"] = previous
        for m, mode in zip(modules, modes, strict=True):
            m.training = mode
    return outputs


def summary(model: Module, example: Any = None) -> ModelSummary:
    """Summarise `model`: each module, its output shape for `example`, its parameter counts.

    The forward pass runs once on `example`, under `no_grad` and in eval mode (dropout off,
    nothing drawn from the model's generators); each module's output is recorded as the call
    returns, as a forward hook would see it. The model is left as it was.

    Args:
        model: the Module.
        example: an input (a Tensor or array, passed to the model as it is), or an input
            shape as a tuple of ints (the forward runs on deterministic standard-normal
            float64 values of that shape), or None to list the parameters only.

    Returns:
        The `ModelSummary`: `print()` it for the text table; a notebook shows it as HTML.

    Raises:
        ValueError: a shape with a size < 1, or the forward pass failed on the input (the
            message says on what, and why).

    Example:
        >>> from tinygrad_lite import nn
        >>> net = nn.Sequential(nn.Linear(2, 4, seed=0), nn.Tanh(), nn.Linear(4, 1, seed=1))
        >>> s = summary(net, (5, 2))
        >>> [(r.name, r.output, r.params) for r in s.rows]
        [('', '(5, 1)', 0), ('0', '(5, 4)', 12), ('1', '(5, 4)', 0), ('2', '(5, 1)', 5)]
        >>> s.total, s.trainable
        (17, 17)
    """
    outputs: dict[int, list[str]] = {}
    text = ""
    if example is not None:
        x, text = _example(example)
        try:
            outputs = _record_outputs(model, x)
        except Exception as e:
            raise ValueError(
                f"summary: {type(model).__name__}'s forward pass failed on the input {text}: "
                f"{type(e).__name__}: {e}"
            ) from e
    counted: set[int] = set()
    rows = []
    for name, m in model.named_modules():
        own = [(n, p) for n, p in m.named_parameters() if "." not in n]
        new = [(n, p) for n, p in own if id(p) not in counted]
        counted.update(id(p) for _, p in new)
        shapes = outputs.get(id(m), [])
        if example is None:
            out = ""
        elif not shapes:
            out = "not called"
        elif len(set(shapes)) == 1:
            out = shapes[0] + (f" ×{len(shapes)}" if len(shapes) > 1 else "")
        else:
            out = ", ".join(shapes)
        rows.append(
            SummaryRow(
                name=name,
                kind=type(m).__name__,
                depth=name.count(".") + 1 if name else 0,
                output=out,
                params=sum(p.data.size for _, p in new),
                trainable=sum(p.data.size for _, p in new if p.requires_grad),
                parameters=tuple(f"{n} {tuple(p.data.shape)}" for n, p in own),
            )
        )
    return ModelSummary(model=type(model).__name__, input=text, rows=tuple(rows))


# ------------------------------------------------------------------------------ module repr

_repr_in_progress = threading.local()  # ids of the modules whose repr is being built


def module_repr(module: Module) -> str:
    """A Module's repr: its class, its `extra_repr()`, and each sub-Module's repr, indented.

    A module that contains itself (a cycle of submodules) is shown once, then named.
    """
    active: set[int] = _repr_in_progress.__dict__.setdefault("ids", set())
    if id(module) in active:
        return f"<cycle: the {type(module).__name__} shown above>"
    active.add(id(module))
    children = dict(module.named_children())
    try:
        lines = []
        extra = module.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, mod in children.items():
            lines.append(f"({name}): " + repr(mod).replace("\n", "\n  "))
    finally:
        active.discard(id(module))
    head = type(module).__name__
    if not children:
        return f"{head}({extra})"
    return head + "(\n  " + "\n  ".join(lines) + "\n)"
