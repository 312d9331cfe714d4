"""explain: the backward pass autograd derived, as formulas, checked line by line and by value."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from models.two_layer import TwoLayerNet
from tinygrad_lite import Tensor, explain
from tinygrad_lite import functional as F
from tinygrad_lite.datasets import load_planar_dataset
from tinygrad_lite.derivation import Derivation, derive
from tinygrad_lite.registry import REGISTRY

TUTORIAL = [
    "dZ2 = (A2 − Y)/m  (1, 400)",
    "dW2 = dZ2 · A1ᵀ  (1, 4)",
    "db2 = Σ_cols dZ2  (1, 1)",
    "dZ1 = W2ᵀ · dZ2 ⊙ (1 − A1²)  (4, 400)",
    "dW1 = dZ1 · Xᵀ  (4, 2)",
    "db1 = Σ_cols dZ1  (4, 1)",
]


# ------------------------------------------------------------------------------ evaluating


def _operand_end(text: str, start: int) -> int:
    """The end of the operand that starts at `start`: a name, or a bracketed group."""
    if text[start] in "([":
        depth = 0
        for i in range(start, len(text)):
            depth += text[i] in "([" and 1 or 0
            depth -= text[i] in ")]" and 1 or 0
            if depth == 0:
                return i + 1
    m = re.match(r"[\w.′]+", text[start:])
    assert m, f"no operand at {text[start:]!r}"
    return start + m.end()


def to_python(formula: str) -> str:
    """explain's notation as a NumPy expression (for the names bound by `evaluate`)."""
    text = formula
    for sigma, fn in (("Σ_cols ", "sum_cols"), ("Σ_rows ", "sum_rows"), ("Σ ", "sum_all")):
        while sigma in text:
            i = text.index(sigma)
            j = _operand_end(text, i + len(sigma))
            text = f"{text[:i]}{fn}({text[i + len(sigma) : j]}){text[j:]}"
    for a, b in (
        ("·", "@"),
        ("⊙", "*"),
        ("−", "-"),
        ("ᵀ", ".T"),
        ("²", "**2"),
        ("^", "**"),
        ("½", "0.5*"),
        ("σ(", "sigmoid("),
        ("≤", "<="),
        ("≥", ">="),
        ("¬", "~"),
        ("[", "iverson("),
        ("]", ")"),
    ):
        text = text.replace(a, b)
    text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)(?=[A-Za-z(])", r"\1*", text)  # 2A1 → 2*A1
    return re.sub(r"(?<=[^<>=!])=(?!=)", "==", text)  # [x = y] compares


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "np": np,
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "exp": np.exp,
    "log": np.log,
    "sign": np.sign,
    "sin": np.sin,
    "cos": np.cos,
    "relu": lambda x: np.maximum(x, 0),
    "iverson": lambda c: np.asarray(c, dtype=np.float64),
    "sum_cols": lambda x: np.sum(x, axis=1, keepdims=True),
    "sum_rows": lambda x: np.sum(x, axis=0, keepdims=True),
    "sum_all": lambda x: np.sum(x),
}
for _name, _spec in REGISTRY.items():  # unnamed values are written op(args)
    FUNCTIONS.setdefault(_name, _spec.reference)


def evaluate(derivation: Derivation, values: dict[str, np.ndarray]) -> None:
    """Evaluate every line's formula with NumPy and compare it with the gradient it names."""
    env: dict[str, Any] = {**FUNCTIONS, **values, "m": derivation.m}
    for line in derivation.lines:
        got = np.asarray(eval(to_python(line.formula), env), dtype=np.float64)  # noqa: S307
        want = line.gradient
        if got.size == want.size:
            got = got.reshape(want.shape)  # Σ over every axis gives a scalar
        got = np.broadcast_to(got, want.shape)  # a reduction's gradient is broadcast back
        scale = max(float(np.max(np.abs(want))), 1e-300)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12 * scale, err_msg=str(line))
        env[line.name] = want


def test_the_translation_reads_the_notation() -> None:
    assert to_python("W2ᵀ · dZ2 ⊙ (1 − A1²)") == "W2.T @ dZ2 * (1 - A1**2)"
    assert to_python("Σ_cols (x ⊙ y)") == "sum_cols((x * y))"
    assert to_python("g ⊙ ([x > 0] + 0.01[x ≤ 0])") == "g * (iverson(x > 0) + 0.01*iverson(x <= 0))"
    assert to_python("g ⊙ 2x") == "g * 2*x"


# ------------------------------------------------------------------------------ the tutorial


@pytest.fixture(scope="module")
def tutorial() -> tuple[Derivation, dict[str, np.ndarray], str]:
    X, Y = load_planar_dataset()
    net = TwoLayerNet(2, 4, 1)
    net.b1.data[:] = 0.1  # non-zero biases: a formula that dropped b would show
    Xt, Yt = Tensor(X), Tensor(Y)
    names = {"X": Xt, "Y": Yt, **dict(net.named_parameters())}
    cost = net.cost(Xt, Yt)
    out = io.StringIO()
    explain(cost, names, file=out)
    W = {k: v.data for k, v in net.named_parameters()}
    A1 = np.tanh(W["W1"] @ X + W["b1"])
    A2 = _sigmoid(W["W2"] @ A1 + W["b2"])
    values = {"X": X, "Y": Y, **W, "A1": A1, "A2": A2}
    return derive(cost, names), values, out.getvalue()


def test_two_layer_net_gives_the_tutorials_six_formulas(tutorial: Any) -> None:
    derivation, _, printed = tutorial
    assert [str(line) for line in derivation.lines] == TUTORIAL
    lines = printed.splitlines()
    assert lines[0] == "Backward pass of the cost J, as autograd derived it (m = 400), where"
    assert lines[1] == "  Z1 = W1 · X + b1,  A1 = tanh(Z1),  Z2 = W2 · A1 + b2,  A2 = σ(Z2):"
    assert lines[2:8] == TUTORIAL
    # where the 1/m sits is stated
    assert lines[8].startswith("Each dV is ∂J/∂V, so the 1/m of the mean sits in dZ2")


def test_every_tutorial_line_is_the_gradient_it_names(tutorial: Any) -> None:
    derivation, values, _ = tutorial
    evaluate(derivation, values)


def test_a_wrong_formula_would_be_caught(tutorial: Any) -> None:
    derivation, values, _ = tutorial
    wrong = derivation.lines[3]
    bad = Derivation(
        (
            derivation.lines[0],
            type(wrong)(wrong.name, "W2ᵀ · dZ2 ⊙ (1 − A1)", wrong.shape, wrong.gradient),
        ),
        derivation.where,
        derivation.m,
        derivation.note,
    )
    with pytest.raises(AssertionError, match="dZ1"):
        evaluate(bad, values)


def test_explain_leaves_grads_and_the_graph_alone() -> None:
    X, Y = load_planar_dataset(m=20)
    net = TwoLayerNet(2, 3, 1)
    cost = net.cost(X, Y)
    explain(cost, dict(net.named_parameters()), file=io.StringIO())
    assert all(p.grad is None for p in net.parameters())
    cost.backward()  # the graph is still there
    assert net.W1.grad is not None


# ------------------------------------------------------------------------------ L layers


def deep_graph(hidden: str) -> tuple[Tensor, dict[str, Tensor], dict[str, np.ndarray]]:
    """The course's L-layer network (two hidden layers), built with Tensor ops."""
    rs = np.random.RandomState(3)
    dims = [3, 5, 4, 1]
    X, Y = Tensor(rs.randn(3, 7)), Tensor((rs.rand(1, 7) > 0.5).astype(np.float64))
    names: dict[str, Tensor] = {"X": X, "Y": Y}
    A, zs = X, {}
    for k in range(1, 4):
        names[f"W{k}"] = Tensor(rs.randn(dims[k], dims[k - 1]), requires_grad=True)
        names[f"b{k}"] = Tensor(rs.randn(dims[k], 1), requires_grad=True)
        Z = names[f"W{k}"] @ A + names[f"b{k}"]
        zs[f"Z{k}"] = Z.data
        if k < 3:
            A = Z.relu() if hidden == "relu" else Z.tanh()
            names[f"A{k}"] = A
    cost = F.binary_cross_entropy_with_logits(Z, Y)
    values = {**{k: v.data for k, v in names.items()}, **zs, "A3": _sigmoid(Z.data)}
    return cost, names, values


@pytest.mark.parametrize(
    ("hidden", "derivative"), [("relu", "dA{k} ⊙ [Z{k} > 0]"), ("tanh", "dA{k} ⊙ (1 − A{k}²)")]
)
def test_deep_network_gives_the_l_layer_formulas(hidden: str, derivative: str) -> None:
    cost, names, values = deep_graph(hidden)
    derivation = derive(cost, names)
    expected = ["dZ3 = (A3 − Y)/m  (1, 7)"]
    shapes = {3: (1, 4), 2: (4, 5), 1: (5, 3)}
    for k in (3, 2, 1):
        prev = f"A{k - 1}" if k > 1 else "X"
        if k < 3:
            expected.append(f"dZ{k} = {derivative.format(k=k)}  {(shapes[k][0], 7)}")
        expected += [
            f"dW{k} = dZ{k} · {prev}ᵀ  {shapes[k]}",
            f"db{k} = Σ_cols dZ{k}  {(shapes[k][0], 1)}",
        ]
        if k > 1:
            expected.append(f"dA{k - 1} = W{k}ᵀ · dZ{k}  {(shapes[k][1], 7)}")
    assert [str(line) for line in derivation.lines] == expected
    evaluate(derivation, values)


# ------------------------------------------------------------------------------ every op


def test_every_differentiable_op_has_a_formula_for_each_input() -> None:
    missing = [
        name
        for name, spec in REGISTRY.items()
        if spec.fn.differentiable and getattr(spec.fn, "formula", None) is None
    ]
    assert not missing, f"ops without a formula for explain: {missing}"
    for spec in REGISTRY.values():
        f = getattr(spec.fn, "formula", None)
        if f is not None and not callable(f):
            assert len(f) == spec.arity, spec.name


def _x(*shape: int, lo: float = -2.0, hi: float = 2.0, seed: int = 0) -> Tensor:
    rs = np.random.RandomState(seed)
    return Tensor(rs.uniform(lo, hi, size=shape), requires_grad=True)


CASES: dict[str, Callable[[dict[str, Tensor]], Tensor]] = {
    "add": lambda t: t["x"] + t["y"],
    "sub": lambda t: t["x"] - t["y"],
    "mul": lambda t: t["x"] * t["y"],
    "div": lambda t: t["x"] / t["p"],
    "neg": lambda t: -t["x"],
    "pow2": lambda t: t["x"] ** 2,
    "pow3": lambda t: t["p"] ** 3.0,
    "pow_tensor": lambda t: t["p"] ** t["x"],
    "matmul": lambda t: t["x"] @ t["w"],
    "maximum": lambda t: t["x"].maximum(t["y"]),
    "minimum": lambda t: t["x"].minimum(t["y"]),
    "tanh": lambda t: t["x"].tanh(),
    "sigmoid": lambda t: t["x"].sigmoid(),
    "relu": lambda t: t["x"].relu(),
    "leaky_relu": lambda t: F.leaky_relu(t["x"], 0.1),
    "exp": lambda t: t["x"].exp(),
    "expm1": lambda t: t["x"].expm1(),
    "log": lambda t: t["p"].log(),
    "log1p": lambda t: t["p"].log1p(),
    "sqrt": lambda t: t["p"].sqrt(),
    "abs": lambda t: t["x"].abs(),
    "sin": lambda t: t["x"].sin(),
    "cos": lambda t: t["x"].cos(),
    "sum": lambda t: t["x"].sum(axis=0, keepdims=True),
    "mean": lambda t: t["x"].mean(axis=1, keepdims=True),
    "prod": lambda t: t["p"].prod(axis=1, keepdims=True),
    "logsumexp": lambda t: t["x"].logsumexp(axis=1, keepdims=True),
    "bias": lambda t: t["x"] + t["b"],
    "bce_logits": lambda t: F.binary_cross_entropy_with_logits(t["x"], t["u"]),
    "bce": lambda t: F.binary_cross_entropy(t["u"], t["v"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_ops_formula_is_the_gradient(case: str) -> None:
    tensors = {
        "x": _x(2, 3, seed=1),
        "y": _x(2, 3, seed=2),
        "p": _x(2, 3, lo=0.5, hi=2.0, seed=3),
        "w": _x(3, 4, seed=4),
        "b": _x(2, 1, seed=5),
        "u": _x(2, 3, lo=0.1, hi=0.9, seed=6),
        "v": Tensor(np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])),
    }
    out = CASES[case](tensors)
    weights = Tensor(np.random.RandomState(7).uniform(-1, 1, size=out.shape))
    cost = (out * weights).sum()
    names = {**tensors, "G": weights, "out": out}
    derivation = derive(cost, names)
    assert [line.name for line in derivation.lines][0] == "dout", case
    evaluate(derivation, {k: t.data for k, t in names.items()})


def test_explain_refuses_a_cost_with_more_than_one_element() -> None:
    with pytest.raises(ValueError, match="one number"):
        explain(_x(2, 2) * 2)
