"""Hypothesis strategies that draw an op's inputs and parameters from its registry entry.

`op_case(spec)` reads an `OpSpec` (arity, domain of each input, kind) and draws a `Case`: the
input Tensors, the parameters, and how to call the op and its reference. The property tests of
the package run every registered op through these, so registering an op is all it takes to have
it tested; a new `kind` needs one more drawing rule here. Needs hypothesis (the `test` extra).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .ops.window import out_size
from .registry import OpSpec
from .tensor import Tensor

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as e:  # pragma: no cover - exercised only without the test extra
    raise ImportError(
        "tinygrad_lite.opcases needs hypothesis: pip install 'tinygrad-lite[test]'"
    ) from e

__all__ = ["Case", "op_case", "DOMAINS"]


@dataclass
class Case:
    """One drawn application of an op.

    Attributes:
        spec: the op's registry entry.
        inputs: the input tensors (float ones require grad).
        params: keyword parameters of the op (and of its reference).
        smooth: whether the op is differentiable to second order at these inputs.
    """

    spec: OpSpec
    inputs: tuple[Tensor, ...]
    params: dict[str, Any] = field(default_factory=dict)
    smooth: bool = True

    def call(self, *inputs: Tensor) -> Tensor:
        """The op on `inputs` (the case's own by default) with the case's parameters."""
        return self.spec.fn.apply(*(inputs or self.inputs), **self.params)

    def reference(self) -> Any:
        """The reference formula on the inputs' arrays."""
        return self.spec.reference(*[t.data for t in self.inputs], **self.params)

    def differentiable_inputs(self) -> list[int]:
        """Indices of the inputs that require grad."""
        return [i for i, t in enumerate(self.inputs) if t.requires_grad]


def _grid(lo: int, hi: int, scale: float, offset: float = 0.0) -> st.SearchStrategy[float]:
    return st.integers(lo, hi).map(lambda i: i / scale + offset)


def _signed(lo: float, hi: float) -> st.SearchStrategy[float]:
    mag = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    return st.tuples(st.booleans(), mag).map(lambda t: t[1] if t[0] else -t[1])


# Element strategies per domain: kept away from kinks and poles by more than gradcheck's step.
DOMAINS: dict[str, st.SearchStrategy[Any]] = {
    "real": st.floats(-3, 3),
    "positive": st.floats(0.2, 5),
    "nonzero": _signed(0.5, 3),
    "unit": st.floats(0.05, 0.95),
    "away_from_0": _signed(0.05, 3),
    "moderate": st.floats(-3, 2),
    "above_minus_1": st.floats(-0.5, 3),
    "distinct": _grid(-300, 300, 100),
    "distinct_offset": _grid(-300, 300, 100, 0.005),  # never equal to a "distinct" value
    "away_from_bounds": _grid(-30, 29, 10, 0.05),  # x.x5: never within 0.05 of ±0.5, ±1
    "log_probs": st.floats(-5, 0),
    # x/y never within 1/64 of a whole number: remainder and fmod are smooth around them
    "dividend": _grid(-40, 40, 8, 1 / 16),
    "divisor": st.sampled_from([-4.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 4.0]),
    "ties": _grid(-2, 2, 1),  # whole numbers from -2 to 2: repeated values in all but tiny draws
    "inside_half_pi": st.floats(-1.4, 1.4),  # tan's poles are at ±π/2 ≈ ±1.571
    "inside_unit": st.floats(-0.95, 0.95),  # asin, acos, atanh: singular at ±1
    "above_1": st.floats(1.05, 5),  # acosh: singular at 1
    # 0.xx5 from 0.055 to 0.945: never within 0.005 of logit's clamps (eps, 1 − eps)
    "unit_offset": _grid(5, 94, 100, 0.005),
    # the entries E of matrices c·I + E, c = ±1.5 or ±2 (see `_matrices`); "spd": c = 1.5 or 2
    "well_conditioned": st.floats(-0.4, 0.4),
    "spd": st.floats(-0.4, 0.4),
    # the entries E of matrices D + E, D's diagonal distinct magnitudes (see `_matrices`)
    "separated": st.floats(0.02, 0.1),
}


def _array(draw: Any, domain: str, shape: tuple[int, ...], dtype: Any = np.float64) -> Any:
    if domain == "condition":
        return draw(hnp.arrays(np.bool_, shape))
    unique = domain.startswith("distinct")
    return draw(hnp.arrays(np.dtype(dtype), shape, elements=DOMAINS[domain], unique=unique))


def _tensor(draw: Any, domain: str, shape: tuple[int, ...]) -> Tensor:
    a = _array(draw, domain, shape)
    return Tensor(a, requires_grad=a.dtype.kind == "f")


def _shape(draw: Any, min_dims: int = 0, max_dims: int = 3, max_side: int = 4) -> tuple[int, ...]:
    return draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, max_side=max_side))


def _axis(draw: Any, ndim: int) -> tuple[Any, bool]:
    keepdims = draw(st.booleans())
    if ndim == 0 or draw(st.booleans()):
        return None, keepdims
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    if len(axes) == 1 and draw(st.booleans()):
        return axes[0] - ndim * draw(st.integers(0, 1)), keepdims
    return tuple(axes), keepdims


def _count(shape: tuple[int, ...], axis: Any) -> int:
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes]))


def _index(draw: Any, shape: tuple[int, ...]) -> Any:
    n = shape[0]
    kind = draw(
        st.sampled_from(["int", "slice", "array", "pair", "ellipsis", "mask", "none", "rows"])
    )
    if kind == "int":
        return draw(st.integers(-n, n - 1))
    if kind == "slice":
        return slice(draw(st.integers(0, n)), draw(st.integers(0, n)), draw(st.integers(1, 2)))
    if kind == "array":  # repeated indices must accumulate
        return np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6)))
    if kind == "pair" and len(shape) >= 2:
        return (slice(None), draw(st.integers(0, shape[1] - 1)))
    if kind == "mask":
        return draw(hnp.arrays(np.bool_, (n,)))
    if kind == "none":
        return (None, Ellipsis)
    if kind == "rows" and len(shape) >= 2:  # one integer array per dim, with repeats
        k = draw(st.integers(1, 5))
        rows = np.array(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)))
        cols = np.array(draw(st.lists(st.integers(0, shape[1] - 1), min_size=k, max_size=k)))
        return (rows, cols)
    return (Ellipsis, 0)


def _reshape_target(draw: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    size = int(np.prod(shape))
    return draw(
        st.sampled_from(
            [(size,), (-1,), tuple(reversed(shape)), (1, *shape), (*shape, 1), (size, 1)]
        )
    )


def _matmul_shapes(draw: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    n, k, p = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    bx, by = batch.input_shapes
    kind = draw(st.sampled_from(["2d", "vv", "v2", "2v", "batched", "vb", "bv"]))
    return {
        "2d": ((n, k), (k, p)),
        "vv": ((k,), (k,)),
        "v2": ((k,), (k, p)),
        "2v": ((n, k), (k,)),
        "batched": ((*bx, n, k), (*by, k, p)),
        "vb": ((k,), (*by, k, p)),
        "bv": ((*bx, n, k), (k,)),
    }[kind]


def _classify(draw: Any, spec: OpSpec) -> Case:
    layout = draw(st.sampled_from(["rows", "columns", "spatial", "vector"]))
    n, c, d = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    shape, dim = {
        "rows": ((n, c), 1),
        "columns": ((c, n), 0),
        "spatial": ((n, c, d), 1),
        "vector": ((c,), 0),
    }[layout]
    x = _tensor(draw, spec.domain[0], shape)
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    params: dict[str, Any] = {"reduction": reduction, "dim": dim}
    if draw(st.booleans()):
        params["weight"] = _array(draw, "positive", (c,))
    if spec.name == "cross_entropy" and draw(st.booleans()):
        params["label_smoothing"] = draw(st.sampled_from([0.1, 0.5, 1.0]))
    if spec.name == "cross_entropy" and draw(st.booleans()):
        return Case(spec, (x, Tensor(_array(draw, "unit", shape), requires_grad=True)), params)
    tshape = shape[:dim] + shape[dim + 1 :]
    t = draw(hnp.arrays(np.int64, tshape, elements=st.integers(0, c - 1)))
    # ignored targets: the default -100 or -1 planted, or the last class's index
    ignore = params["ignore_index"] = draw(st.sampled_from([-100, -1, c - 1]))
    if ignore < 0:
        t = np.where(draw(hnp.arrays(np.bool_, tshape)), ignore, t)
    if reduction == "mean" and np.all(t == ignore):  # the mean would be 0/0: count one target
        if ignore == 0:  # one class, every target is it
            params["ignore_index"] = -100
        else:
            t.flat[0] = 0
    return Case(spec, (x, Tensor(t)), params)


def _window_case(draw: Any, spec: OpSpec) -> Case:
    """An (N, C, H, W) input and windows that fit, for unfold; its columns, for fold."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    spans = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
    size = (spans[0] + draw(st.integers(0, 2)), spans[1] + draw(st.integers(0, 2)))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    params: dict[str, Any] = {"kernel_size": kernel, "stride": stride, "dilation": dilation}
    if spec.kind == "unfold":
        return Case(spec, (_tensor(draw, spec.domain[0], (n, c, *size)),), params)
    windows = math.prod(out_size(*a) for a in zip(size, kernel, stride, dilation, strict=True))
    cols = _tensor(draw, spec.domain[0], (n, c * kernel[0] * kernel[1], windows))
    return Case(spec, (cols,), {"output_size": size, **params})


def _einsum_case(draw: Any, spec: OpSpec) -> Case:
    """One to three operands naming some of the labels a-d, and an output among their labels.

    Each label has one size; the labels of an operand and of the output are distinct.
    """
    sizes = {c: draw(st.integers(1, 3)) for c in "abcd"}

    def labels(pool: str) -> str:
        chosen = draw(st.sets(st.sampled_from(pool), max_size=3)) if pool else set()
        return "".join(draw(st.permutations(sorted(chosen))))

    terms = [labels("abcd") for _ in range(draw(st.integers(1, 3)))]
    out = labels("".join(sorted(set("".join(terms)))))
    inputs = tuple(_tensor(draw, spec.domain[0], tuple(sizes[c] for c in t)) for t in terms)
    return Case(spec, inputs, {"equation": ",".join(terms) + "->" + out})


def _scatter_case(draw: Any, spec: OpSpec) -> Case:
    """An input, a dim, a source no smaller than the index, and an index without repeats.

    A repeated position is left out: there PyTorch's gradient is not the derivative (see
    `Scatter`), and the tests compare with it.
    """
    shape = _shape(draw, min_dims=1)
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    a = dim % len(shape)
    index_shape = tuple(draw(st.integers(0 if d == a else 1, n)) for d, n in enumerate(shape))
    src_shape = tuple(k + draw(st.integers(0, 1)) for k in index_shape)
    keys = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).random(
        index_shape[:a] + (shape[a],) + index_shape[a + 1 :]
    )
    index = np.argsort(keys, axis=a)[(slice(None),) * a + (slice(0, index_shape[a]),)]
    x, src = _tensor(draw, spec.domain[0], shape), _tensor(draw, spec.domain[1], src_shape)
    return Case(spec, (x, src), {"dim": dim, "index": index.astype(np.int64)})


_GENERIC = np.sqrt([[2.0, 3.0, 5.0], [7.0, 11.0, 13.0], [17.0, 19.0, 23.0]]) / 100


def _square_matrices(draw: Any, domain: str, batch: tuple[int, ...], n: int) -> Tensor:
    """A batch of n×n matrices (see `_matrices`)."""
    return _matrices(draw, domain, batch, n, n)


def _matrices(draw: Any, domain: str, batch: tuple[int, ...], m: int, n: int) -> Tensor:
    """A batch of m×n matrices; "well_conditioned" ones are c·I + E with c = ±1.5 or ±2.

    With |E_ij| ≤ 0.4 and m, n ≤ 3, Gershgorin's discs keep every eigenvalue (and singular
    value) at least 0.3 from 0, so inverses stay small and finite differences accurate; c's
    sign varies det's sign. "spd": c = 1.5 or 2, so (A + Aᵀ)/2 is positive-definite.
    "separated": D + E + G, D's diagonal ±1, ±2.5, ±4 in some order, 0.02 ≤ E_ij ≤ 0.1 and G
    fixed irrational entries √p/100 (p prime): the eigenvalues of (A + Aᵀ)/2, and the singular
    values, stay apart (gaps over 0.6) and from 0, and no two entries are equal and none is 0
    (at such ties LAPACK's choice of the vectors' signs may jump).
    """
    a = _array(draw, domain, (*batch, m, n))
    if domain in ("well_conditioned", "spd"):
        scales = [1.5, 2.0] if domain == "spd" else [-2.0, -1.5, 1.5, 2.0]
        c = draw(hnp.arrays(np.float64, batch, elements=st.sampled_from(scales)))
        a = a + c[..., None, None] * np.eye(m, n)
    elif domain == "separated":
        k = min(m, n)
        d = np.array(draw(st.permutations([1.0, 2.5, 4.0]))[:k])
        a[..., range(k), range(k)] += d * draw(hnp.arrays(np.float64, k, elements=_signed(1, 1)))
        a = a + _GENERIC[:m, :n]
    return Tensor(a, requires_grad=True)


def _decomp_case(draw: Any, spec: OpSpec) -> Case:
    """An m×n matrix (m, n ≤ 3, one batch dim of up to 2 or none) and the op's parameters.

    For a triangular solve: a square A and B (..., n, k), or (..., k, n) for X·A = B.
    """
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    params: dict[str, Any] = {}
    if spec.kind == "triangular":
        shapes = draw(
            hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=1, max_side=2)
        )
        (ba, bb), left = shapes.input_shapes, draw(st.booleans())
        a = _matrices(draw, spec.domain[0], ba, n, n)
        side = (n, m) if left else (m, n)
        params = {"upper": draw(st.booleans()), "left": left, "unitriangular": draw(st.booleans())}
        return Case(spec, (a, _tensor(draw, spec.domain[1], (*bb, *side))), params)
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=1, max_side=2))
    if spec.kind == "qr":  # a complete QR of a tall matrix has no derivative
        params["mode"] = draw(st.sampled_from(["reduced", "complete"] if m <= n else ["reduced"]))
    elif spec.kind == "pinv":  # tolerances below every singular value
        params = dict(draw(st.sampled_from([{}, {"rtol": 0.01}, {"atol": 1e-8, "rtol": None}])))
    return Case(spec, (_matrices(draw, spec.domain[0], batch, m, n),), params)


def _linalg_case(draw: Any, spec: OpSpec) -> Case:
    """Square matrices (n ≤ 3, at most one batch dim of up to 2); for solve, B (..., n, k)."""
    n = draw(st.integers(1, 3))
    if spec.kind == "square":
        batch = draw(hnp.array_shapes(min_dims=0, max_dims=1, max_side=2))
        return Case(spec, (_square_matrices(draw, spec.domain[0], batch, n),))
    shapes = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=1, max_side=2)
    )
    ba, bb = shapes.input_shapes
    a = _square_matrices(draw, spec.domain[0], ba, n)
    return Case(spec, (a, _tensor(draw, spec.domain[1], (*bb, n, draw(st.integers(1, 2))))))


def _draw_case(draw: Any, spec: OpSpec) -> Case:
    kind, dom = spec.kind, spec.domain
    if kind == "elementwise":
        return Case(spec, (_tensor(draw, dom[0], _shape(draw)),))
    if kind == "broadcast":
        shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=spec.arity, max_side=4))
        return Case(
            spec, tuple(_tensor(draw, d, s) for d, s in zip(dom, shapes.input_shapes, strict=True))
        )
    if kind == "matmul":
        sx, sy = _matmul_shapes(draw)
        return Case(spec, (_tensor(draw, dom[0], sx), _tensor(draw, dom[1], sy)))
    if kind == "loss":
        shape = _shape(draw, min_dims=1)
        reduction = draw(st.sampled_from(["mean", "sum", "none"]))
        ins = tuple(_tensor(draw, d, shape) for d in dom)
        return Case(spec, ins, {"reduction": reduction})
    if kind == "classify":
        return _classify(draw, spec)
    if kind == "cat":
        shape = _shape(draw, min_dims=1)
        dim = draw(st.integers(-len(shape), len(shape) - 1))
        parts = []
        for _ in range(draw(st.integers(1, 3))):
            s = list(shape)
            s[dim] = draw(st.integers(1, 3))
            parts.append(_tensor(draw, dom[0], tuple(s)))
        return Case(spec, tuple(parts), {"dim": dim})
    if kind == "index_add":
        shape = _shape(draw, min_dims=1)
        index = _index(draw, shape)
        source = _tensor(draw, dom[0], np.zeros(shape)[index].shape)
        return Case(spec, (source,), {"shape": shape, "index": index})
    if kind in ("unfold", "fold"):
        return _window_case(draw, spec)
    if kind == "einsum":
        return _einsum_case(draw, spec)
    if kind == "scatter":
        return _scatter_case(draw, spec)
    if kind in ("square", "solve"):
        return _linalg_case(draw, spec)
    if kind in ("qr", "svd", "pinv", "triangular"):
        return _decomp_case(draw, spec)
    # the rest: one input and the parameters of its kind
    shape = _shape(draw, min_dims=1 if kind in ("getitem", "softmax") else 0)
    x = _tensor(draw, dom[0], shape)
    params: dict[str, Any] = {}
    smooth = True
    if kind in ("reduce", "arg", "var"):
        axis, keepdims = _axis(draw, len(shape))
        if kind == "arg" and isinstance(axis, tuple):
            axis = axis[0]
        params = {"axis": axis, "keepdims": keepdims}
        if kind == "var":
            n = _count(shape, axis)
            params["correction"] = draw(st.sampled_from([0, 1])) if n > 1 else 0
        smooth = spec.name not in ("max", "min")
    elif kind == "pow":
        params = {"exponent": draw(st.sampled_from([2, 3, 0.5, -1.0, 1, -0.5, 1.7, 0]))}
    elif kind == "leaky_relu":
        params = {"negative_slope": draw(st.sampled_from([0.01, 0.2, 1.5]))}
    elif kind == "softplus":
        params = {"beta": draw(st.sampled_from([0.5, 1.0, 2.0])), "threshold": 20.0}
    elif kind == "logit":  # eps clamps at multiples of 0.01, away from "unit_offset" values
        params = {"eps": draw(st.sampled_from([None, 0.01, 0.1, 0.25]))}
    elif kind == "clamp":
        lo, hi = draw(st.sampled_from([(-1.0, 1.0), (None, 0.5), (-0.5, None)]))
        params = {"min": lo, "max": hi}
    elif kind == "cast":
        params = {"dtype": draw(st.sampled_from([np.float64, np.float32]))}
    elif kind == "reshape":
        params = {"shape": _reshape_target(draw, shape)}
    elif kind == "permute":
        perm = None if draw(st.booleans()) else tuple(draw(st.permutations(range(len(shape)))))
        params = {"axes": perm}
    elif kind == "expand":
        lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
        stretched = tuple(draw(st.integers(1, 3)) if n == 1 else n for n in shape)
        params = {"shape": lead + stretched}
    elif kind == "getitem":
        params = {"index": _index(draw, shape)}
    elif kind == "softmax":
        params = {"dim": draw(st.integers(-len(shape), len(shape) - 1))}
    elif kind in ("scan", "sort"):  # one dim (0 or -1 of a 0-d tensor)
        n = max(len(shape), 1)
        params = {"dim": draw(st.integers(-n, n - 1))}
        if kind == "sort":
            params["descending"] = draw(st.booleans())
    elif kind == "pad":  # (left, right) widths, last dim first; negative ones crop
        n = draw(st.integers(0, len(shape)))
        pad: list[int] = []
        for k in range(n):
            size = shape[len(shape) - 1 - k]
            left = draw(st.integers(-size, 2))
            pad += [left, draw(st.integers(-(size + min(left, 0)), 2))]
        params = {"pad": tuple(pad), "value": draw(st.sampled_from([0.0, -1.5]))}
    elif kind == "flip":  # distinct dims, each maybe counted from the end
        n = max(len(shape), 1)
        dims = draw(st.lists(st.integers(0, n - 1), max_size=n, unique=True))
        params = {"dims": tuple(d - n * draw(st.integers(0, 1)) for d in dims)}
    else:
        raise ValueError(f"op {spec.name!r}: no drawing rule for kind {kind!r}")
    return Case(spec, (x,), params, smooth)


@functools.cache
def op_case(spec: OpSpec) -> st.SearchStrategy[Case]:
    """A strategy of `Case`s for the op `spec` (see the module docstring).

    One strategy per op, built once: hypothesis reads the source of a composite's function
    each time one is made, which cost more than drawing a case.
    """
    return st.composite(lambda draw: _draw_case(draw, spec))()
