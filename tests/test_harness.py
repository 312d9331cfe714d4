"""check_backward: a hand-derived backward pass against autograd, its report, forms and CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lite import Tensor, check, check_backward
from tinygrad_lite.testing import BackwardMismatch, backward_test, floats, labels

ROOT = Path(__file__).resolve().parent.parent
INPUTS = {"X": (2, 3), "Y": (1, 3)}
PARAMS = {"W1": (4, 2), "b1": (4, 1), "W2": (1, 4), "b2": (1, 1)}


def forward(X: Any, Y: Any, W1: Any, b1: Any, W2: Any, b2: Any) -> tuple[Any, dict]:
    """The tutorial's forward pass as a learner writes it, cost from the probabilities."""
    Z1 = np.dot(W1, X) + b1
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = 1 / (1 + np.exp(-Z2))
    m = X.shape[1]
    cost = -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m
    return cost, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def backward(X: Any, Y: Any, W2: Any, cache: dict) -> dict:
    """The course's backward pass, with dZ2 and dZ1 (m·∂J/∂Z)."""
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = np.dot(W2.T, dZ2) * (1 - A1**2)
    return {
        "dZ2": dZ2,
        "dW2": np.dot(dZ2, A1.T) / m,
        "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
        "dZ1": dZ1,
        "dW1": np.dot(dZ1, X.T) / m,
        "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
    }


def exact_backward(X: Any, Y: Any, W2: Any, cache: dict) -> dict:
    """The same with dZ2 and dZ1 as ∂J/∂Z (the 1/m taken at once)."""
    grads = backward(X, Y, W2, cache)
    m = X.shape[1]
    return {**grads, "dZ2": grads["dZ2"] / m, "dZ1": grads["dZ1"] / m}


# ------------------------------------------------------------------------------ passing


def test_a_right_backward_passes_and_the_report_says_how() -> None:
    report = check_backward(forward, backward, INPUTS, PARAMS, labels=("Y",), max_examples=40)
    assert report.ok and report.cause is None
    assert [r.key for r in report.rows] == ["dZ2", "dW2", "db2", "dZ1", "dW1", "db1"]
    assert [r.scale for r in report.rows] == ["m", "1", "1", "m", "1", "1"]
    assert all(r.abs_diff <= r.tolerance for r in report.rows)
    text = str(report)
    assert text.startswith("check_backward: ") and "every gradient agrees" in text
    assert "scale m: yours is m·∂J/∂V" in text


def test_the_convention_can_be_insisted_on() -> None:
    spec: dict[str, Any] = {"inputs": INPUTS, "params": PARAMS, "labels": ("Y",)}
    check_backward(forward, exact_backward, **spec, convention="exact", max_examples=10)
    check_backward(forward, backward, **spec, convention="m", max_examples=10)
    with pytest.raises(BackwardMismatch) as caught:
        check_backward(forward, backward, **spec, convention="exact", max_examples=10)
    assert caught.value.report.cause == "dZ2"
    assert "m = 3 times" in caught.value.report.hint


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 5),
    st.integers(1, 6),
    st.floats(0.5, 30.0),
    st.data(),
)
def test_no_false_alarm_on_drawn_networks(
    n_x: int, n_h: int, m: int, scale: float, data: Any
) -> None:
    # inside a test of one's own: arrays, so one example per call
    def values(shape: tuple[int, ...]) -> np.ndarray:
        return data.draw(hnp.arrays(np.float64, shape, elements=floats(-scale, scale)))

    inputs = {"X": values((n_x, m)), "Y": data.draw(labels((1, m)))}
    params = {"W1": values((n_h, n_x)), "b1": values((n_h, 1))}
    params.update(W2=values((1, n_h)), b2=values((1, 1)))
    report = check_backward(forward, backward, inputs, params)
    assert report.ok


def test_a_relu_network_at_its_kinks_is_no_false_alarm() -> None:
    def relu_forward(X: Any, Y: Any, W: Any, b: Any) -> tuple[Any, dict]:
        Z = np.dot(W, X) + b
        A = np.maximum(0, Z)
        return np.sum((A - Y) ** 2) / X.shape[1], {"Z": Z, "A": A}

    def relu_backward(X: Any, Y: Any, W: Any, cache: dict) -> dict:
        m = X.shape[1]
        dA = 2 * (cache["A"] - Y)
        dZ = np.where(cache["Z"] > 0, dA, 0.0)  # the derivative at 0 taken as 0
        return {"dA": dA, "dZ": dZ, "dW": dZ @ X.T / m, "db": dZ.sum(axis=1, keepdims=True) / m}

    report = check_backward(
        relu_forward, relu_backward, {"X": (2, 4), "Y": (1, 4)}, {"W": (1, 2), "b": (1, 1)}
    )
    assert report.ok


def test_a_backward_with_tensor_ops_and_the_whole_dicts() -> None:
    def fwd(params: dict, inputs: dict) -> Any:
        W, X = params["W"], inputs["X"]
        return (W @ X).tanh().sum()

    def bwd(params: dict, inputs: dict) -> dict:
        W, X = params["W"], inputs["X"]
        return {"dW": (1 - np.tanh(W @ X) ** 2) @ X.T}

    check_backward(fwd, bwd, {"X": (3, 2)}, {"W": (2, 3)}, max_examples=15)


# ------------------------------------------------------------------------------ failing


def _slip(X: Any, Y: Any, W2: Any, cache: dict) -> dict:
    grads = backward(X, Y, W2, cache)
    m = X.shape[1]
    dZ1 = np.dot(W2.T, grads["dZ2"]) * (1 - cache["A1"])
    return {**grads, "dZ1": dZ1, "dW1": np.dot(dZ1, X.T) / m, "db1": dZ1.sum(1, keepdims=True) / m}


def test_a_failure_names_the_first_wrong_gradient_with_table_hint_and_counterexample() -> None:
    with pytest.raises(BackwardMismatch) as caught:
        check_backward(forward, _slip, INPUTS, PARAMS, labels=("Y",))
    assert isinstance(caught.value, AssertionError)
    report, text = caught.value.report, str(caught.value)
    assert report.cause == "dZ1"
    assert text.startswith("check_backward: dZ1 is wrong (the first wrong gradient")
    assert "hint: dZ1 = dA1 ⊙ (1 − A1), but the derivative of tanh is 1 − A1²" in text
    verdicts = {r.key: r.verdict for r in report.rows}
    assert verdicts["dZ2"] == verdicts["dW2"] == verdicts["db2"] == "OK"
    assert verdicts["dZ1"] == "WRONG"
    for key in verdicts:
        assert re.search(rf"^{key}\s+\(\d, \d\)\s+[1m]\s+\S+\s+\S+\s+(OK|WRONG)$", text, re.M), key
    assert "counterexample:" in text
    assert set(report.counterexample) == set(INPUTS) | set(PARAMS)
    assert report.counterexample["W1"].shape == (4, 2)
    # the shrunk values are written so that they can be pasted back in
    line = next(s for s in text.splitlines() if s.startswith("  W2 (1, 4) = "))
    np.testing.assert_array_equal(np.array(eval(line.split(" = ")[1])), report.counterexample["W2"])  # noqa: S307


def test_the_search_is_seeded() -> None:
    runs = []
    for _ in range(2):
        with pytest.raises(BackwardMismatch) as caught:
            check_backward(forward, _slip, INPUTS, PARAMS, labels=("Y",), shrink=False, seed=5)
        runs.append(str(caught.value))
    assert runs[0] == runs[1]


def test_a_missing_parameter_gradient_is_wrong() -> None:
    def no_db1(X: Any, Y: Any, W2: Any, cache: dict) -> dict:
        grads = backward(X, Y, W2, cache)
        del grads["db1"]
        return grads

    with pytest.raises(BackwardMismatch) as caught:
        check_backward(forward, no_db1, INPUTS, PARAMS, labels=("Y",), max_examples=5)
    assert caught.value.report.cause == "db1"
    assert "missing" in str(caught.value) and "no db1 (a bias gradient)" in str(caught.value)


def test_backward_test_makes_a_test_function() -> None:
    @backward_test(forward, inputs=INPUTS, params=PARAMS, labels=("Y",), max_examples=10)
    def test_mine(X: Any, Y: Any, W2: Any, cache: dict) -> dict:
        """Mine."""
        return backward(X, Y, W2, cache)

    assert test_mine.__name__ == "test_mine" and test_mine.__doc__ == "Mine."
    test_mine()

    wrong = backward_test(
        forward, inputs=INPUTS, params=PARAMS, labels=("Y",), max_examples=10, shrink=False
    )(_slip)
    with pytest.raises(BackwardMismatch):
        wrong()


# ------------------------------------------------------------------------------ misuse


def test_misuse_is_named() -> None:
    spec: dict[str, Any] = {"inputs": INPUTS, "params": PARAMS}
    with pytest.raises(ValueError, match="convention must be one of"):
        check_backward(forward, backward, **spec, convention="course")
    with pytest.raises(ValueError, match=r"labels \['Z'\] are not among the inputs"):
        check_backward(forward, backward, **spec, labels=("Z",))

    def returns_a_number(X: Any, Y: Any, W1: Any, b1: Any, W2: Any, b2: Any) -> float:
        return 1.0

    with pytest.raises(TypeError, match="forward must return the cost"):
        check_backward(returns_a_number, backward, **spec, max_examples=2)

    def unknown_name(X: Any, Y: Any, W2: Any, cache: dict) -> dict:
        return {**backward(X, Y, W2, cache), "dQ": 0.0}

    with pytest.raises(ValueError, match="forward names no value 'Q'"):
        check_backward(forward, unknown_name, **spec, labels=("Y",), max_examples=2)

    def takes_what_is_not_there(X: Any, Z: Any) -> dict:
        return {}

    with pytest.raises(TypeError, match="takes an argument 'Z'"):
        check_backward(forward, takes_what_is_not_there, **spec, labels=("Y",), max_examples=2)


def test_an_example_on_a_kink_cannot_be_judged_outside_hypothesis() -> None:
    def fwd(X: Any, W: Any, b: Any) -> tuple[Any, dict]:
        Z = np.dot(W, X) + b
        return np.sum(np.maximum(0, Z)), {"Z": Z}

    def bwd(X: Any, cache: dict) -> dict:
        dZ = (cache["Z"] > 0) * 1.0  # relu' at 0 taken as 0; np.maximum's ties take 1/2
        return {"dZ": dZ, "dW": dZ @ X.T, "db": dZ.sum(axis=1, keepdims=True)}

    inputs, params = {"X": np.zeros((2, 3))}, {"W": np.ones((1, 2)), "b": np.zeros((1, 1))}
    with pytest.raises(ValueError, match="cannot judge this example: .* kink"):
        check_backward(fwd, bwd, inputs, params)
    # drawn by hypothesis, such examples are skipped instead
    check_backward(fwd, bwd, {"X": (2, 3)}, {"W": (1, 2), "b": (1, 1)}, max_examples=20)


# ------------------------------------------------------------------------------ the command


def _docs_learner_file(tmp_path: Path) -> Path:
    """The learner's file shown on docs/checking.md (its first python block)."""
    page = (ROOT / "docs" / "checking.md").read_text()
    block = re.search(r"```python\n(.*?)```", page, re.S)
    assert block is not None
    path = tmp_path / "my_backprop.py"
    path.write_text(block.group(1))
    return path


def _check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cwd: Path, *args: str
) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    code = check.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_on_the_docs_file_prints_what_the_page_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_docs import output_matches, parse_blocks

    path = _docs_learner_file(tmp_path)
    code, out, err = _check(capsys, monkeypatch, tmp_path, path.name)
    assert code == 0, out + err
    blocks = parse_blocks((ROOT / "docs" / "checking.md").read_text())
    i = next(k for k, b in enumerate(blocks) if "tinygrad_lite.check my_backprop.py" in b.code)
    assert output_matches(blocks[i + 1].code, out), out


def test_the_command_reports_a_wrong_backward_and_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _docs_learner_file(tmp_path)
    path.write_text(path.read_text().replace("(1 - np.power(A1, 2))", "(1 - A1)"))
    code, out, _ = _check(capsys, monkeypatch, tmp_path, path.name, "--examples", "30")
    assert code == 1
    assert out.startswith("check_backward: dZ1 is wrong")
    code, _, err = _check(capsys, monkeypatch, tmp_path, "nowhere.py")
    assert code == 2 and "nowhere.py: no such file" in err
    (tmp_path / "bare.py").write_text(
        "def forward(X):\n    return X\n\n\ndef backward(X):\n    return {}\n"
    )
    code, _, err = _check(capsys, monkeypatch, tmp_path, "bare.py")
    assert code == 2 and "define INPUTS" in err
    code, _, err = _check(capsys, monkeypatch, tmp_path, path.name, "--backward", "nothing")
    assert code == 2 and "no function 'nothing'" in err


def test_python_dash_m_runs_the_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tinygrad_lite.check", "nowhere.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "python -m tinygrad_lite.check: error: nowhere.py: no such file"


def test_tensors_in_the_specs_are_used_as_they_are() -> None:
    X = Tensor(np.array([[1.0, 2.0], [0.5, -1.0]]))
    W = Tensor(np.array([[0.3, -0.2]]))

    def fwd(X: Any, W: Any) -> Any:
        return np.sum(np.tanh(np.dot(W, X)))

    def bwd(X: Any, W: Any) -> dict:
        return {"dW": (1 - np.tanh(W @ X) ** 2) @ X.T}

    report = check_backward(fwd, bwd, {"X": X}, {"W": W})
    assert report.examples == 1 and report.ok
