"""A catalogue of bad inputs: each raises the documented type with a message naming the values."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, datasets
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradcheck
from tinygrad_lite.serialize import CheckpointError


def _released() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    loss.backward()


def _nonscalar_backward() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    (x * 2.0).backward()


def _grad_wrong_shape() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    (x * 2.0).backward(np.ones((3, 2)))


def _grad_wrong_dtype() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    (x * 2.0).backward(np.ones((2, 3), dtype=np.float32))


def _backward_no_grad() -> None:
    Tensor([1.0, 2.0]).sum().backward()


def _backward_built_under_no_grad() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        y = (x * 3.0).sum()
    y.backward()


def m(*parts: str) -> str:
    """A regex requiring each literal part, in order, anywhere in the message."""
    return ".*".join(re.escape(p) for p in parts)


# (id, call, exception type, regex the message must match)
CORE: list[tuple[str, Callable[[], Any], type[BaseException], str]] = [
    # --- shapes -----------------------------------------------------------------------------
    (
        "matmul-2d-mismatch",
        lambda: Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2))),
        ValueError,
        m("matmul: shapes (3, 4) and (5, 2) do not align (4 != 5)"),
    ),
    (
        "matmul-vectors",
        lambda: Tensor(np.ones(3)) @ Tensor(np.ones(2)),
        ValueError,
        m("matmul", "(3,)", "(2,)", "3 != 2"),
    ),
    (
        "matmul-0d",
        lambda: Tensor(2.0) @ Tensor(np.ones(2)),
        ValueError,
        m("matmul: operands must have at least 1 dimension", "()", "(2,)"),
    ),
    (
        "matmul-batch",
        lambda: Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5))),
        ValueError,
        m("matmul: batch dimensions", "(2, 3, 4)", "(3, 4, 5)", "do not broadcast"),
    ),
    (
        "add-no-broadcast",
        lambda: Tensor(np.ones(3)) + Tensor(np.ones(2)),
        ValueError,
        m("add: shapes (3,) and (2,) do not broadcast"),
    ),
    (
        "sub-no-broadcast",
        lambda: Tensor(np.ones((2, 3))) - np.ones((4,)),
        ValueError,
        m("sub: shapes (2, 3) and (4,) do not broadcast"),
    ),
    (
        "mul-no-broadcast",
        lambda: Tensor(np.ones((4, 1)), requires_grad=True) * Tensor(np.ones((2, 3))),
        ValueError,
        m("mul: shapes (4, 1) and (2, 3) do not broadcast"),
    ),
    (
        "div-no-broadcast",
        lambda: np.ones((2, 2)) / Tensor(np.ones(3)),
        ValueError,
        m("div: shapes (2, 2) and (3,) do not broadcast"),
    ),
    (
        "pow-no-broadcast",
        lambda: Tensor(np.ones(2)) ** Tensor(np.ones(5)),
        ValueError,
        m("pow: shapes (2,) and (5,) do not broadcast"),
    ),
    (
        "reshape-size",
        lambda: Tensor(np.ones((2, 3))).reshape(4, 2),
        ValueError,
        m("reshape: cannot reshape a tensor of shape (2, 3) (6 elements) into shape (4, 2)"),
    ),
    (
        "reshape-two-unknowns",
        lambda: Tensor(np.ones(6)).reshape(-1, -1),
        ValueError,
        m("reshape", "(6,)", "(-1, -1)"),
    ),
    (
        "sum-axis",
        lambda: Tensor(np.ones((2, 3))).sum(axis=2),
        ValueError,
        m("sum: dim 2 is out of range for a tensor with 2 dimension(s)"),
    ),
    (
        "mean-axis-negative",
        lambda: Tensor(np.ones((2, 3))).mean(axis=-3),
        ValueError,
        m("mean: dim -3 is out of range for a tensor with 2 dimension(s)"),
    ),
    (
        "max-axis-in-tuple",
        lambda: Tensor(np.ones((2, 3))).max(axis=(0, 5)),
        ValueError,
        m("max: dim 5 is out of range"),
    ),
    (
        "axis-not-int",
        lambda: Tensor(np.ones((2, 3))).sum(axis=1.0),  # type: ignore[arg-type]
        TypeError,
        m("sum: dim must be an int or a tuple of ints, got 1.0"),
    ),
    (
        "axis-repeated",
        lambda: Tensor(np.ones((2, 3))).sum(axis=(1, -1)),
        ValueError,
        m("sum: repeated dim in (1, -1)"),
    ),
    (
        "permute-repeated",
        lambda: Tensor(np.ones((2, 3))).permute(0, 0),
        ValueError,
        m("permute: dims (0, 0) are not a permutation", "(2, 3)"),
    ),
    (
        "permute-too-many",
        lambda: Tensor(np.ones((2, 3))).permute(0, 1, 2),
        ValueError,
        m("permute: dims (0, 1, 2)", "2 dims", "(2, 3)"),
    ),
    (
        "index-out-of-range",
        lambda: Tensor(np.ones((2, 3)))[5],
        IndexError,
        m("getitem: index 5 is invalid for shape (2, 3)"),
    ),
    (
        "mean-of-nothing",
        lambda: Tensor(np.ones((0, 3))).mean(axis=0),
        ValueError,
        m("mean: cannot take the mean over 0 elements (shape (0, 3))"),
    ),
    (
        "max-over-nothing",
        lambda: Tensor(np.ones((0, 3))).amax(dim=0),
        ValueError,
        m("max: cannot take the max over a dimension of size 0 (shape (0, 3))"),
    ),
    (
        "max-of-empty",
        lambda: Tensor(np.ones((0,))).max(),
        ValueError,
        m("max: cannot take the max over a dimension of size 0 (shape (0,))"),
    ),
    # --- backward ---------------------------------------------------------------------------
    (
        "backward-nonscalar",
        _nonscalar_backward,
        ValueError,
        m("backward: grad can be omitted only for a tensor with one element", "(2, 3)"),
    ),
    (
        "backward-grad-shape",
        _grad_wrong_shape,
        ValueError,
        m("backward: grad has shape (3, 2) but the tensor has shape (2, 3)"),
    ),
    (
        "backward-grad-dtype",
        _grad_wrong_dtype,
        TypeError,
        m("backward: grad has dtype float32 but the tensor has dtype float64"),
    ),
    (
        "backward-released",
        _released,
        RuntimeError,
        m("already been released", "retain_graph=True"),
    ),
    (
        "backward-no-requires-grad",
        _backward_no_grad,
        RuntimeError,
        m("backward: this tensor does not require grad", "requires_grad=True"),
    ),
    (
        "backward-graph-built-under-no-grad",
        _backward_built_under_no_grad,
        RuntimeError,
        m("does not require grad", "no_grad"),
    ),
    # --- construction -----------------------------------------------------------------------
    (
        "tensor-of-strings",
        lambda: Tensor(["a", "b"]),
        TypeError,
        m("Tensor: data of dtype <U1 (list) is not numeric"),
    ),
    (
        "tensor-of-objects",
        lambda: Tensor([object(), object()]),
        TypeError,
        m("Tensor: data of dtype object (list) is not numeric"),
    ),
    ("tensor-of-none", lambda: Tensor(None), TypeError, m("dtype object (NoneType)")),
    (
        "tensor-complex",
        lambda: Tensor(np.array([1j])),
        TypeError,
        m("Tensor: data of dtype complex128", "not numeric"),
    ),
    (
        "tensor-dtype-str",
        lambda: Tensor([1.0], dtype=str),
        TypeError,
        m("Tensor: unsupported dtype <U", "bool, integer or float"),
    ),
    (
        "tensor-strings-with-dtype",
        lambda: Tensor(["1"], dtype=np.float64),
        TypeError,
        m("Tensor: data of dtype <U1 (list) is not numeric"),
    ),
    (
        "tensor-ragged",
        lambda: Tensor([[1.0, 2.0], [3.0]]),
        ValueError,
        m("Tensor: data must be rectangular", "ragged list", "(2,)"),
    ),
    (
        "int-tensor-requires-grad",
        lambda: Tensor(np.array([1, 2]), dtype=np.int64, requires_grad=True),
        TypeError,
        m("only floating-point tensors can require grad, got dtype int64"),
    ),
    (
        "bool-tensor-requires-grad_",
        lambda: Tensor([True, False], dtype=bool).requires_grad_(),
        TypeError,
        m("requires_grad_: only floating-point tensors can require grad, got dtype bool"),
    ),
    (
        "item-many",
        lambda: Tensor(np.ones((2, 2))).item(),
        ValueError,
        m("item: only a tensor with one element", "got shape (2, 2)"),
    ),
    ("float-many", lambda: float(Tensor([1.0, 2.0])), ValueError, m("got shape (2,)")),
    (
        "bool-many",
        lambda: bool(Tensor([1.0, 2.0])),
        ValueError,
        m("truth value of a tensor of shape (2,) is ambiguous"),
    ),
    ("len-0d", lambda: len(Tensor(3.0)), TypeError, m("len() of a 0-d tensor")),
    (
        "zeros-negative",
        lambda: tg.zeros(-1, 2),
        ValueError,
        m("zeros: sizes must be >= 0, got shape (-1, 2)"),
    ),
    (
        "randn-seed",
        lambda: tg.randn(2, seed="a"),  # type: ignore[arg-type]
        TypeError,
        m("seed must be an int", "got str 'a'"),
    ),
    (
        "pow-exponent-str",
        lambda: Tensor([1.0]) ** "2",  # type: ignore[operator]
        TypeError,
        m("pow: exponent must be a number or a Tensor", "str"),
    ),
    ("clamp-no-bounds", lambda: Tensor([1.0]).clamp(), ValueError, m("clamp: give at least one")),
    # --- losses -----------------------------------------------------------------------------
    (
        "bce-targets-outside",
        lambda: F.binary_cross_entropy(Tensor([[0.5, 0.5]]), Tensor([[1.0, 2.0]])),
        ValueError,
        m("binary_cross_entropy: targets must lie in [0, 1], found 1 outside, e.g. 2.0"),
    ),
    (
        "bce-targets-nan",
        lambda: F.binary_cross_entropy(Tensor([[0.5, 0.5]]), Tensor([[np.nan, 1.0]])),
        ValueError,
        m("targets must lie in [0, 1]", "e.g. nan"),
    ),
    (
        "bce-probs-outside",
        lambda: F.binary_cross_entropy(Tensor([[1.5, -0.5, 0.5]]), Tensor([[1.0, 0.0, 1.0]])),
        ValueError,
        m("probabilities must lie in [0, 1], found 2 outside, e.g. 1.5", "with_logits"),
    ),
    (
        "bce-logits-targets-outside",
        lambda: F.binary_cross_entropy_with_logits(Tensor([3.0]), Tensor([-1.0])),
        ValueError,
        m("binary_cross_entropy_with_logits: targets must lie in [0, 1]", "e.g. -1.0"),
    ),
    (
        "bce-labels-wrong-shape",
        lambda: F.binary_cross_entropy(Tensor(np.full((1, 4), 0.5)), Tensor(np.ones((4, 1)))),
        ValueError,
        m("binary_cross_entropy: input shape (1, 4) and target shape (4, 1) differ"),
    ),
    (
        "bce-logits-labels-wrong-shape",
        lambda: F.binary_cross_entropy_with_logits(Tensor(np.zeros((1, 4))), np.ones(4)),
        ValueError,
        m("input shape (1, 4) and target shape (4,) differ"),
    ),
    (
        "bce-empty",
        lambda: F.binary_cross_entropy(Tensor(np.ones((1, 0))), Tensor(np.ones((1, 0)))),
        ValueError,
        m("binary_cross_entropy: empty input (shape (1, 0))"),
    ),
    (
        "mse-wrong-shape",
        lambda: F.mse_loss(Tensor(np.ones(3)), np.ones(4)),
        ValueError,
        m("mse_loss: input shape (3,) and target shape (4,) differ"),
    ),
    # --- gradcheck --------------------------------------------------------------------------
    (
        "gradcheck-nothing-to-check",
        lambda: gradcheck(lambda x: x * 2.0, Tensor([1.0, 2.0])),
        ValueError,
        m("gradcheck: no input requires grad"),
    ),
    (
        "gradcheck-no-inputs",
        lambda: gradcheck(lambda: Tensor(1.0)),
        ValueError,
        m("gradcheck: no input requires grad"),
    ),
    (
        "gradcheck-fn-not-tensor",
        lambda: gradcheck(lambda x: 3.0, Tensor([1.0], requires_grad=True)),  # type: ignore
        TypeError,
        m("gradcheck: fn must return a Tensor, got float"),
    ),
    # --- data sets --------------------------------------------------------------------------
    (
        "dataset-unknown",
        lambda: datasets.load_dataset("flowers"),
        ValueError,
        m("load_dataset: unknown data set 'flowers'", "'flower'"),
    ),
    (
        "dataset-bad-size",
        lambda: datasets.load_planar_dataset(m=0),
        ValueError,
        m("load_planar_dataset: m must be >= 1, got 0"),
    ),
]


@pytest.mark.parametrize(
    ("call", "exc", "pattern"), [c[1:] for c in CORE], ids=[c[0] for c in CORE]
)
def test_core_error(call: Callable[[], Any], exc: type[BaseException], pattern: str) -> None:
    with pytest.raises(exc, match=pattern) as info:
        call()
    # The documented type exactly, not a broader or unrelated subclass surfacing by accident.
    assert type(info.value) is exc


def test_errors_leave_no_partial_state() -> None:
    # A failing op must not leave anything behind that breaks a later, valid backward.
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError):
        w @ Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError):
        w + Tensor(np.ones(4))
    (w * 2.0).sum().backward()
    assert w.grad is not None
    np.testing.assert_array_equal(w.grad.data, np.full((2, 3), 2.0))


def test_failed_backward_argument_check_keeps_graph_usable() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    with pytest.raises(ValueError):
        y.backward(np.ones(3))
    with pytest.raises(TypeError):
        y.backward(np.ones(2, dtype=np.float32))
    y.backward(np.ones(2))  # the graph was not released by the rejected calls
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


def test_backward_into_a_released_subgraph_changes_no_gradient() -> None:
    # The root's own node is fresh; one branch below it was released by an earlier backward.
    # The error must come before any leaf is touched, not after the fresh branch has already
    # added its share (a caller that catches the error would otherwise train on a wrong sum).
    x = Tensor([1.0], requires_grad=True)
    w = Tensor([10.0], requires_grad=True)
    a = x * 2.0
    b = x * 3.0 + w  # created after a, so a heap-ordered engine reaches it first
    root = (a + b).sum()
    a.sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [2.0])
    with pytest.raises(RuntimeError, match="already been released"):
        root.backward()
    np.testing.assert_array_equal(x.grad.data, [2.0])
    assert w.grad is None


# ------------------------------------------------------------------------------ beyond the core
# Cases for nn, optim, serialize and the tutorial network; each call gets a scratch folder.


def _net_state() -> tuple[Any, dict[str, np.ndarray]]:
    from models.two_layer import TwoLayerNet

    net = TwoLayerNet(2, 4, 1, seed=2)
    return net, net.state_dict()


def _load_without(key: str) -> None:
    net, sd = _net_state()
    del sd[key]
    net.load_state_dict(sd)


def _load_with(key: str, value: Any) -> None:
    net, sd = _net_state()
    sd[key] = value
    net.load_state_dict(sd)


def _checkpoint_bytes(tmp: Path) -> bytes:
    from tinygrad_lite.serialize import save

    save(_net_state()[1], tmp / "good.npz")
    return (tmp / "good.npz").read_bytes()


def _load_truncated(tmp: Path) -> None:
    from tinygrad_lite.serialize import load

    blob = _checkpoint_bytes(tmp)
    (tmp / "cut.npz").write_bytes(blob[: len(blob) // 2])
    load(tmp / "cut.npz")


def _load_plain_npz(tmp: Path) -> None:
    from tinygrad_lite.serialize import load

    np.savez(tmp / "plain.npz", W1=np.ones((4, 2)))
    load(tmp / "plain.npz")


def _load_pickled_npz(tmp: Path) -> None:
    from tinygrad_lite.serialize import load

    np.savez(tmp / "objects.npz", W1=np.array([{"a": 1}, None], dtype=object))
    load(tmp / "objects.npz")


def _load_text(tmp: Path) -> None:
    from tinygrad_lite.serialize import load

    (tmp / "notes.npz").write_text("W1 = [[1, 2], [3, 4]]\n")
    load(tmp / "notes.npz")


def _save_objects(tmp: Path) -> None:
    from tinygrad_lite.serialize import save

    save({"W1": np.array([None, 1], dtype=object)}, tmp / "o.npz")


def _w() -> Tensor:
    return Tensor([1.0, 2.0], requires_grad=True)


def _optim(name: str, *args: Any, **kwargs: Any) -> Any:
    from tinygrad_lite import optim

    return getattr(optim, name)(*args, **kwargs)


EXTRA: list[tuple[str, Callable[[Path], Any], type[BaseException], str]] = [
    # --- load_state_dict --------------------------------------------------------------------
    (
        "state-dict-missing",
        lambda tmp: _load_without("b2"),
        ValueError,
        m("load_state_dict: cannot load into TwoLayerNet: missing keys ['b2']"),
    ),
    (
        "state-dict-unexpected",
        lambda tmp: _load_with("W3", np.ones((1, 4))),
        ValueError,
        m("unexpected keys ['W3']"),
    ),
    (
        "state-dict-shape",
        lambda tmp: _load_with("W1", np.ones((2, 4))),
        ValueError,
        m("W1: shape (2, 4) in the state dict, (4, 2) in the model"),
    ),
    (
        "state-dict-dtype",
        lambda tmp: _load_with("W2", np.ones((1, 4), dtype=np.float32)),
        ValueError,
        m("W2: dtype float32 in the state dict, float64 in the model"),
    ),
    (
        "state-dict-type",
        lambda tmp: _load_with("b1", [[0.0]] * 4),
        ValueError,
        m("b1: expected a NumPy array or Tensor, got list"),
    ),
    (
        "state-dict-not-a-mapping",
        lambda tmp: _net_state()[0].load_state_dict([("W1", np.ones((4, 2)))]),
        TypeError,
        m("load_state_dict: expected a mapping of names to arrays, got list"),
    ),
    # --- checkpoints ------------------------------------------------------------------------
    (
        "checkpoint-truncated",
        _load_truncated,
        CheckpointError,
        m("cut.npz is not a tinygrad_lite checkpoint or is truncated"),
    ),
    (
        "checkpoint-plain-npz",
        _load_plain_npz,
        CheckpointError,
        m("plain.npz is a NumPy .npz archive but not a tinygrad_lite checkpoint", "['W1']"),
    ),
    (
        "checkpoint-pickled-objects",
        _load_pickled_npz,
        CheckpointError,
        m("objects.npz", "not a tinygrad_lite checkpoint"),
    ),
    ("checkpoint-text-file", _load_text, CheckpointError, m("notes.npz is not a tinygrad_lite")),
    (
        "checkpoint-missing-file",
        lambda tmp: __import__("tinygrad_lite.serialize").serialize.load(tmp / "none.npz"),
        FileNotFoundError,
        m("none.npz"),
    ),
    (
        "save-object-array",
        _save_objects,
        TypeError,
        m("save: entry 'W1' has dtype object", "pickle"),
    ),
    # --- optimizers -------------------------------------------------------------------------
    (
        "sgd-lr-negative",
        lambda tmp: _optim("SGD", [_w()], lr=-0.1),
        ValueError,
        m("SGD: lr must be > 0, got -0.1"),
    ),
    (
        "adam-lr-zero",
        lambda tmp: _optim("Adam", [_w()], lr=0),
        ValueError,
        m("Adam: lr must be > 0, got 0.0"),
    ),
    (
        "sgd-lr-nan",
        lambda tmp: _optim("SGD", [_w()], lr=float("nan")),
        ValueError,
        m("SGD: lr must be finite, got nan"),
    ),
    (
        "sgd-lr-string",
        lambda tmp: _optim("SGD", [_w()], lr="0.1"),
        TypeError,
        m("SGD: lr must be a number, got str '0.1'"),
    ),
    (
        "sgd-momentum",
        lambda tmp: _optim("SGD", [_w()], lr=0.1, momentum=-0.5),
        ValueError,
        m("SGD: momentum must be >= 0, got -0.5"),
    ),
    (
        "sgd-weight-decay",
        lambda tmp: _optim("SGD", [_w()], lr=0.1, weight_decay=-1e-4),
        ValueError,
        m("SGD: weight_decay must be >= 0, got -0.0001"),
    ),
    (
        "sgd-nesterov-without-momentum",
        lambda tmp: _optim("SGD", [_w()], lr=0.1, nesterov=True),
        ValueError,
        m("SGD: nesterov=True needs momentum > 0, got momentum=0"),
    ),
    (
        "adam-beta2",
        lambda tmp: _optim("Adam", [_w()], betas=(0.9, 1.0)),
        ValueError,
        m("Adam: beta2 must lie in [0, 1), got 1.0"),
    ),
    (
        "adam-beta1",
        lambda tmp: _optim("Adam", [_w()], betas=(-0.1, 0.999)),
        ValueError,
        m("Adam: beta1 must lie in [0, 1), got -0.1"),
    ),
    (
        "adam-eps",
        lambda tmp: _optim("Adam", [_w()], eps=0.0),
        ValueError,
        m("Adam: eps must be > 0, got 0.0"),
    ),
    (
        "optimizer-no-parameters",
        lambda tmp: _optim("SGD", [], lr=0.1),
        ValueError,
        m("SGD: got an empty parameter list"),
    ),
    (
        "optimizer-exhausted-generator",
        lambda tmp: _optim("Adam", iter([])),
        ValueError,
        m("Adam: got an empty parameter list"),
    ),
    (
        "optimizer-non-leaf",
        lambda tmp: _optim("SGD", [_w() * 2.0], lr=0.1),
        ValueError,
        m("SGD: params[0] (shape (2,)) is not a leaf: it was computed by Mul"),
    ),
    (
        "optimizer-no-requires-grad",
        lambda tmp: _optim("Adam", [_w(), Tensor([1.0])]),
        ValueError,
        m("Adam: params[1] (shape (1,)) does not require grad"),
    ),
    (
        "optimizer-single-tensor",
        lambda tmp: _optim("SGD", _w(), lr=0.1),
        TypeError,
        m("SGD: params must be an iterable of tensors, got a single Tensor"),
    ),
    # --- the tutorial network ---------------------------------------------------------------
    (
        "labels-wrong-shape",
        lambda tmp: _net_state()[0].cost(np.zeros((2, 5)), np.zeros((5, 1))),
        ValueError,
        m("TwoLayerNet.cost: Y must have shape (n_y, m) = (1, 5)", "got shape (5, 1)"),
    ),
    (
        "inputs-wrong-rows",
        lambda tmp: _net_state()[0].cost(np.zeros((3, 5)), np.zeros((1, 5))),
        ValueError,
        m("X must have shape (n_x, m) = (2, m)", "got shape (3, 5)"),
    ),
    (
        "labels-outside-unit-interval",
        lambda tmp: _net_state()[0].cost(np.zeros((2, 5)), np.full((1, 5), 2.0)),
        ValueError,
        m("targets must lie in [0, 1], found 5 outside, e.g. 2.0"),
    ),
]


@pytest.mark.parametrize(
    ("call", "exc", "pattern"), [c[1:] for c in EXTRA], ids=[c[0] for c in EXTRA]
)
def test_library_error(
    call: Callable[[Path], Any], exc: type[BaseException], pattern: str, tmp_path: Path
) -> None:
    with pytest.raises(exc, match=pattern) as info:
        call(tmp_path)
    assert type(info.value) is exc


def test_a_text_file_is_not_called_pickled_nor_loaded_unsafely(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError) as info:
        _load_text(tmp_path)
    assert "allow_pickle" not in str(info.value) and "pickled" not in str(info.value)


# ------------------------------------------------------------------------------ the command line


def _npz(tmp: Path, X: np.ndarray, Y: np.ndarray) -> str:
    path = tmp / "data.npz"
    np.savez(path, X=X, Y=Y)
    return str(path)


def _xy(m: int = 6) -> tuple[np.ndarray, np.ndarray]:
    X = np.linspace(-1, 1, 2 * m).reshape(2, m)
    return X, (np.arange(m) % 2).reshape(1, m).astype(np.float64)


def _with_nan(tmp: Path) -> list[str]:
    X, Y = _xy()
    X[1, 3] = np.nan
    return ["train", "--data", _npz(tmp, X, Y), "--iterations", "2", "--out", str(tmp / "o")]


def _with_inf_labels(tmp: Path) -> list[str]:
    X, Y = _xy()
    Y[0, 4] = np.inf
    return ["train", "--data", _npz(tmp, X, Y), "--iterations", "2", "--out", str(tmp / "o")]


def _with_bad_labels(tmp: Path) -> list[str]:
    X, Y = _xy()
    Y[0, 0] = 0.5
    return ["compare", "--data", _npz(tmp, X, Y)]


def _with_wrong_label_shape(tmp: Path) -> list[str]:
    X, Y = _xy()
    return ["compare", "--data", _npz(tmp, X, Y.T)]


CLI: list[tuple[str, Callable[[Path], list[str]], str]] = [
    (
        "cli-nan-in-inputs",
        _with_nan,
        m("X holds 1 NaN or infinite value(s), the first in column 3"),
    ),
    ("cli-inf-in-labels", _with_inf_labels, m("Y holds 1 NaN or infinite value(s)", "column 4")),
    ("cli-labels-not-binary", _with_bad_labels, m("Y must hold only 0 and 1", "0.5")),
    ("cli-labels-wrong-shape", _with_wrong_label_shape, m("Y must have shape (1, 6)", "(6, 1)")),
    (
        "cli-negative-lr",
        lambda tmp: ["train", "--lr", "-1"],
        m("--lr must be a finite number > 0, got -1"),
    ),
    (
        "cli-zero-iterations",
        lambda tmp: ["train", "--iterations", "0"],
        m("--iterations must be >= 1, got 0"),
    ),
    (
        "cli-unknown-dataset",
        lambda tmp: ["train", "--dataset", "flowers"],
        m("unknown data set 'flowers'"),
    ),
    ("cli-unknown-command", lambda tmp: ["fit"], m("unknown command 'fit'")),
    (
        "cli-missing-data-file",
        lambda tmp: ["compare", "--data", str(tmp / "nope.npz")],
        m("nope.npz"),
    ),
]


@pytest.mark.parametrize(("argv", "pattern"), [c[1:] for c in CLI], ids=[c[0] for c in CLI])
def test_command_line_error(
    argv: Callable[[Path], list[str]],
    pattern: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from models.planar import main

    status = main(argv(tmp_path))
    out, err = capsys.readouterr()
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # one line, no traceback
    assert lines[0].startswith("python -m models.planar: error: ")
    assert re.search(pattern, lines[0]), lines[0]
    assert not (tmp_path / "o").exists()  # refused before anything was written


def test_catalogue_ids_are_unique_and_many() -> None:
    ids = [c[0] for c in CORE] + [c[0] for c in EXTRA] + [c[0] for c in CLI]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 30


# ---------------------------------------------------------------- checkpoints and modules


def _archive(tmp: Path, members: list[tuple[str, np.ndarray, int]]) -> Path:
    import io
    import json
    import warnings
    import zipfile

    entries = [{"name": "w", "dtype": "<f8", "shape": list(members[0][1].shape)}]
    head = np.frombuffer(
        json.dumps(
            {
                "format": "tinygrad_lite.checkpoint",
                "version": 1,
                "kind": "state_dict",
                "entries": entries,
            }
        ).encode(),
        np.uint8,
    )
    path = tmp / "odd.npz"
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as zf:
        warnings.simplefilter("ignore")  # the duplicate name is the point
        for name, arr, method in [("__tinygrad_lite__.npy", head, 0), *members]:
            buf = io.BytesIO()
            np.lib.format.write_array(buf, arr)
            zf.writestr(zipfile.ZipInfo(name), buf.getvalue(), compress_type=method)
    return path


def _load_archive(tmp: Path, *members: tuple[str, np.ndarray, int]) -> None:
    from tinygrad_lite.serialize import load

    load(_archive(tmp, list(members)))


def _fifo(tmp: Path) -> Path:
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("needs FIFOs")
    os.mkfifo(tmp / "pipe.npz")
    return tmp / "pipe.npz"


def _symlink_loop(tmp: Path) -> Path:
    (tmp / "a").symlink_to(tmp / "b")
    (tmp / "b").symlink_to(tmp / "a")
    return tmp / "a"


def _save(path: Path) -> None:
    from tinygrad_lite.serialize import save

    save({"w": np.ones(2)}, path)


def _nested_module(name: str, value: Any) -> None:
    from tinygrad_lite import nn

    net = nn.Sequential(nn.Linear(2, 2, seed=0))
    setattr(net, name, value)


RELIABILITY: list[tuple[str, Callable[[Path], Any], type[BaseException], str]] = [
    (
        "module-dotted-parameter-name",
        lambda tmp: _nested_module("0.weight", tg.nn.Parameter(np.zeros((2, 2)))),
        KeyError,
        m("Sequential: cannot register a Parameter under a name that contains a dot: '0.weight'"),
    ),
    (
        "module-empty-module-name",
        lambda tmp: _nested_module("", tg.nn.Tanh()),
        KeyError,
        m("Sequential: cannot register a Module under a name that is empty"),
    ),
    (
        "load-fifo",
        lambda tmp: tg.load(_fifo(tmp)),
        CheckpointError,
        m("pipe.npz is a FIFO (named pipe), not a regular file"),
    ),
    (
        "load-directory",
        lambda tmp: tg.load(tmp),
        CheckpointError,
        m("is a directory, not a regular"),
    ),
    (
        "load-duplicate-member",
        lambda tmp: _load_archive(tmp, ("a0.npy", np.ones(2), 0), ("a0.npy", np.zeros(2), 0)),
        CheckpointError,
        m("odd.npz is corrupt: it holds two members named 'a0.npy'"),
    ),
    (
        "load-member-outside-the-archive",
        lambda tmp: _load_archive(tmp, ("../a0.npy", np.ones(2), 0)),
        CheckpointError,
        m("odd.npz is corrupt: it holds a member named '../a0.npy'"),
    ),
    (
        "load-lzma-member",
        lambda tmp: _load_archive(tmp, ("a0.npy", np.ones(2), 14)),
        CheckpointError,
        m("member 'a0.npy' is compressed with LZMA"),
    ),
    (
        "load-deflate-bomb",
        lambda tmp: _load_archive(tmp, ("a0.npy", np.zeros(1_000_000), 8)),
        CheckpointError,
        m("the deflated member 'a0.npy' would expand from", "more than 100 times"),
    ),
    (
        "save-over-a-fifo",
        lambda tmp: _save(_fifo(tmp)),
        FileExistsError,
        m("save: ", "pipe.npz is a FIFO (named pipe), not a regular file"),
    ),
    ("save-over-a-directory", lambda tmp: _save(tmp), IsADirectoryError, m("is a directory")),
    (
        "save-symlink-loop",
        lambda tmp: _save(_symlink_loop(tmp)),
        OSError,
        m("a loop of symbolic links"),
    ),
]


@pytest.mark.parametrize(
    ("call", "exc", "pattern"), [c[1:] for c in RELIABILITY], ids=[c[0] for c in RELIABILITY]
)
def test_checkpoint_and_module_refusal(
    call: Callable[[Path], Any], exc: type[BaseException], pattern: str, tmp_path: Path
) -> None:
    with pytest.raises(exc, match=pattern) as info:
        call(tmp_path)
    assert type(info.value) is exc
    ids = [c[0] for c in [*CORE, *EXTRA, *CLI, *RELIABILITY]]
    assert len(ids) == len(set(ids))


def test_an_integer_to_a_negative_integer_power_says_so_not_that_shapes_differ() -> None:
    with pytest.raises(ValueError, match="negative integer power.*convert to a float dtype"):
        Tensor([2, 3]) ** Tensor([[-1], [2]])
    with pytest.raises(ValueError, match=r"shapes \(2,\) and \(3,\) do not broadcast"):
        Tensor([2.0, 3.0]) ** Tensor([1.0, 2.0, 3.0])
