"""The course's notebooks as commands (python -m models.course): every published number."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from models import course, manual_deep, manual_optim
from models import course_runs as runs

plt = pytest.importorskip("matplotlib.pyplot")
from matplotlib.image import imread  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = course.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def values(lines: list[str], pattern: str) -> list[str]:
    """The first group of `pattern` in every line that matches it, in order."""
    found = [re.fullmatch(pattern, line) for line in lines]
    return [m.group(1) for m in found if m]


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    image = imread(path)
    assert image.ndim == 3 and min(image.shape[:2]) >= 100
    assert image[..., :3].std() > 0.01, f"{path} is blank"


# ------------------------------------------------------------------ the published numbers


def test_gradcheck_prints_the_published_differences(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "gradcheck", "--no-plots")
    assert code == 0 and err == ""
    ok = values(out, r"Your backward propagation works perfectly fine! difference = (\S+)")
    bad = values(out, r"There is a mistake in the backward propagation! difference = (\S+)")
    assert len(ok) == 1 and len(bad) == 1
    assert abs(float(ok[0]) - 1.1890913e-07) <= 1e-15  # the course prints 1.1890913e-07
    assert abs(float(ok[0]) - 1.1890913024229996e-07) <= 1e-15  # its full value
    assert abs(float(bad[0]) - 0.2850931567761624) <= 1e-15
    assert "gradcheck_module, element by element (eps 1e-6, atol 1e-5, rtol 1e-3): passed" in out


@pytest.mark.slow
def test_deep_forward_check_and_the_flower(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "deep", "--engine", "compiled", "--no-plots")
    assert code == 0
    assert "AL = [[0.03921668 0.70498921 0.19734387 0.04728177]]" in out
    deep, two = values(out, r"Accuracy: (\S+)%")
    assert two == "90.75"  # the tutorial's 2-layer network
    assert deep == "92.50"  # the deeper ReLU network does better on the flower
    costs = [float(c) for c in values(out, r"Cost after iteration \d+: (\S+)")]
    assert len(costs) == 10 and costs[-1] < costs[0] / 4


@pytest.mark.slow
def test_init_reproduces_the_published_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "init", "--engine", "compiled", "--no-plots")
    assert code == 0
    train = [float(v) for v in values(out, r"On the train set: Accuracy: (\S+)")]
    test = [float(v) for v in values(out, r"On the test set: Accuracy: (\S+)")]
    assert train == [0.5, 0.83, pytest.approx(0.99333, abs=5e-6)]  # zeros, random, He
    assert test == [0.5, 0.86, 0.96]
    he = [float(c) for c in values(out, r"Cost after iteration \d+: (\S+)")][-15:]
    published = [0.8830537463419761, 0.6879825919728063, 0.07357895962677366]
    np.testing.assert_allclose([he[0], he[1], he[14]], published, rtol=0, atol=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("optimizer", "published"), [("gd", "79.7"), ("momentum", "79.7"), ("adam", "94.0")]
)
def test_optimize_reproduces_the_published_accuracies(optimizer: str, published: str) -> None:
    # The command's own run (10000 epochs), one optimizer per test so that they run in parallel.
    X, Y = runs.moons()
    result = runs.train_mini_batches(optimizer, X, Y, 10000, "compiled")
    assert f"{result.accuracy * 100:.1f}" == published


def test_optimize_prints_each_runs_accuracy_and_the_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "optimize", "--engine", "compiled", "--no-plots", "--epochs", "20")
    assert code == 0
    X, Y = runs.moons()
    expected = [runs.train_mini_batches(o, X, Y, 20).accuracy for o in ("gd", "momentum", "adam")]
    assert [float(v) for v in values(out, r"Accuracy: (\S+)")] == expected
    assert values(out, r"  (\w+) +\S+ +(\S+)")[-3:] == ["gd", "momentum", "adam"]


@pytest.mark.slow
def test_spiral_linear_then_network(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "spiral", "--engine", "compiled", "--no-plots")
    assert code == 0
    linear, network = (float(v) for v in values(out, r"training accuracy: (\S+)"))
    assert 0.45 <= linear <= 0.55  # about half: a straight boundary cannot follow a spiral
    assert network >= 0.97


# ------------------------------------------------------------------ against the references


def test_he_run_matches_the_hand_derived_reference() -> None:
    train_X, train_Y, _, _ = runs.circles()
    ours = runs.train_full_batch([2, 10, 5, 1], train_X, train_Y, 0.01, 200, "he")
    params, costs = manual_deep.L_layer_model(train_X, train_Y, [2, 10, 5, 1], 0.01, 200, init="he")
    np.testing.assert_allclose(ours.costs, costs, rtol=1e-14, atol=0)
    for name, value in params.items():
        np.testing.assert_allclose(ours.parameters()[name], value, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_mini_batch_runs_match_the_courses_loop(optimizer: str) -> None:
    X, Y = runs.moons()
    ours = runs.train_mini_batches(optimizer, X, Y, epochs=20)
    params, costs = manual_optim.model(X, Y, [2, 5, 2, 1], optimizer, num_epochs=20)
    np.testing.assert_allclose(ours.costs, costs, rtol=1e-13, atol=0)
    for name, value in params.items():
        np.testing.assert_allclose(ours.parameters()[name], value, rtol=1e-11, atol=1e-15)


def test_the_data_is_the_courses() -> None:
    train_X, train_Y, test_X, test_Y = runs.circles()
    assert train_X.shape == (2, 300) and train_Y.shape == (1, 300)
    assert test_X.shape == (2, 100) and test_Y.shape == (1, 100)
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(1)  # noqa: NPY002  (the course's own calls, on the global state)
        X, y = runs.datasets.make_circles(300, noise=0.05)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    np.testing.assert_array_equal(train_X, X.T)
    np.testing.assert_array_equal(train_Y, y.reshape(1, -1))
    X, y, _ = runs.spiral()
    assert X.shape == (300, 2) and np.bincount(y).tolist() == [100, 100, 100]


# ------------------------------------------------------------------ eager and compiled


def test_compiled_full_batch_equals_eager_bit_for_bit() -> None:
    X, Y, _, _ = runs.circles()
    eager = runs.train_full_batch([2, 10, 5, 1], X, Y, 0.01, 300, "he", "eager")
    compiled = runs.train_full_batch([2, 10, 5, 1], X, Y, 0.01, 300, "he", "compiled")
    assert eager.costs == compiled.costs
    for name, value in eager.parameters().items():
        np.testing.assert_array_equal(compiled.parameters()[name], value)


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_compiled_mini_batches_equal_eager_bit_for_bit(optimizer: str) -> None:
    X, Y = runs.moons()
    eager = runs.train_mini_batches(optimizer, X, Y, 5, "eager")
    compiled = runs.train_mini_batches(optimizer, X, Y, 5, "compiled")
    assert eager.costs == compiled.costs
    for name, value in eager.parameters().items():
        np.testing.assert_array_equal(compiled.parameters()[name], value)


def test_compiled_spiral_equals_eager_bit_for_bit() -> None:
    results = []
    for engine in runs.ENGINES:
        X, y, rs = runs.spiral()
        results.append(runs.train_spiral([2, 100, 3], X, y, rs, 30, engine))
    eager, compiled = results
    assert eager.costs == compiled.costs
    for name, value in eager.parameters().items():
        np.testing.assert_array_equal(compiled.parameters()[name], value)


def test_the_command_prints_the_same_with_either_engine(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outputs = []
    for engine in runs.ENGINES:
        code, out, _ = run(capsys, "init", "--engine", engine, "--iterations", "1001", "--no-plots")
        assert code == 0
        outputs.append(out)
    assert outputs[0] == outputs[1]
    assert "Cost after iteration 1000: 0.6879825919728063" in outputs[0]  # the course's, to 1e-16


# ------------------------------------------------------------------ figures and the command line


def test_figures_are_written(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    expected = {
        "gradcheck": ["difference.png"],
        "init": ["decision_boundaries.png", "costs.png"],
        "spiral": ["linear.png", "network.png"],
        "optimize": ["decision_boundaries.png", "costs.png"],
        "deep": ["decision_boundary.png", "cost.png"],
    }
    short = {
        "init": ["--iterations", "20", "--grid-step", "0.1"],
        "spiral": ["--iterations", "20", "--grid-step", "0.1"],
        "optimize": ["--epochs", "2", "--grid-step", "0.1"],
        "deep": ["--iterations", "20", "--grid-step", "0.25"],
        "gradcheck": [],
    }
    for exercise, names in expected.items():
        out = tmp_path / exercise
        code, lines, err = run(capsys, exercise, "--out", str(out), *short[exercise])
        assert code == 0, err
        assert lines[-1] == "Wrote " + ", ".join(str(out / n) for n in names)
        for name in names:
            assert_png(out / name)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], r"choose an exercise: deep, init, gradcheck, optimize, spiral"),
        (["dep"], r"unknown exercise 'dep'; choose from deep, init"),
        (["init", "--engine", "fast"], r"argument --engine: invalid choice: 'fast'"),
        (["init", "--iterations", "0"], r"--iterations must be >= 1, got 0"),
        (["optimize", "--epochs", "many"], r"--epochs must be an integer, got 'many'"),
        (["deep", "--lr", "-1"], r"--lr must be > 0.0, got -1"),
        (["spiral", "--grid-step", "nan"], r"--grid-step must be > 0.0, got nan"),
        (["gradcheck", "--engine", "compiled"], r"gradcheck trains nothing, so it takes no --"),
        (["gradcheck", "--epsilon", "0"], r"--epsilon must be > 0.0, got 0"),
        (["init", "--bogus"], r"unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_are_one_clear_error_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == []
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("python -m models.course: error: ")
    assert re.search(message, lines[0]), lines[0]


def test_an_unwritable_output_folder_is_refused_before_any_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, out, err = run(capsys, "gradcheck", "--out", str(blocker / "sub"))
    assert code == 2 and out == []
    assert "error: --out" in err and "cannot be written" in err


def test_help_as_a_module() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "models.course", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    for name in course.EXERCISES:
        assert name in proc.stdout
