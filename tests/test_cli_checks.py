"""The command line checks every argument before training, and reports errors in one line."""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from models import checks
from models import planar as cli
from models.training import ENGINES, fit, format_cost
from tinygrad_lite.datasets import load_planar_dataset
from tinygrad_lite.plot import decision_grid

PROG = "python -m models.planar"
GiB = 1 << 30


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_refused(code: int, out: str, err: str, pattern: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{PROG}: error: "), lines[0]
    assert re.search(pattern, lines[0]), lines[0]
    assert out == "", "nothing may be trained or printed before the check"
    return lines[0]


@pytest.fixture(scope="module")
def flower() -> tuple[np.ndarray, np.ndarray]:
    return load_planar_dataset()


# ------------------------------------------------------------------------------ the grid


@pytest.mark.parametrize(
    ("step", "size"),
    [
        ("0.001", r"10,291 x 10,073 = 103,661,243 points"),
        ("1e-300", r"1\.03e\+301 x 1\.01e\+301 points"),
        ("1e-320", r"more than 1e308 x more than 1e308 points"),  # the ratio overflows
    ],
)
@pytest.mark.parametrize("command", ["train", "sweep"])
def test_a_too_fine_grid_is_refused_before_training(
    command: str, step: str, size: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, command, "--grid-step", step, "--out", str(tmp_path / "o"))
    assert_refused(
        code,
        out,
        err,
        rf"--grid-step {step} gives a decision-boundary grid of {size}, more than the "
        r"20,000,000 allowed; use --grid-step 0\.0023 or larger, or --no-plots",
    )
    assert not (tmp_path / "o").exists()


def test_no_plots_needs_no_grid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--grid-step", "1e-300", "--no-plots", "--iterations", "2", "--out", str(tmp_path)]
    code, _, err = run(capsys, *argv)
    assert code == 0, err


@pytest.mark.parametrize("step", [0.25, 0.1, 0.037, 0.5, 3.0, 40.0])
def test_grid_size_is_the_plots_grid(step: float, flower) -> None:
    X, _ = flower
    xs, ys, Z = decision_grid(lambda p: np.zeros(p.shape[1]), X, step=step, margin=1.0)
    assert checks.grid_size(X, step) == (xs.size, ys.size)
    assert checks.check_grid(X, step) == Z.size


def test_the_grid_limit_is_the_plots_and_the_advice_fits(flower) -> None:
    X, _ = flower
    with pytest.raises(checks.UsageError, match="use --grid-step 0.0023 or larger") as info:
        checks.check_grid(X, 0.002)
    # decision_grid refuses the same grid, with the same count (before evaluating anything).
    nx, ny = checks.grid_size(X, 0.002)
    assert f"= {int(nx * ny):,} points" in str(info.value)
    with pytest.raises(ValueError, match=rf"= {int(nx * ny)} points"):
        decision_grid(lambda p: np.zeros(p.shape[1]), X, step=0.002)
    # The advised step is the smallest of two significant digits that fits.
    assert checks.check_grid(X, 0.0023) <= checks.MAX_GRID_POINTS
    with pytest.raises(checks.UsageError):
        checks.check_grid(X, 0.0022)


# ------------------------------------------------------------------------------ memory


def test_a_hidden_layer_too_large_for_memory_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checks, "available_memory", lambda: 8 * GiB)
    out_dir = str(tmp_path / "o")
    code, out, err = run(capsys, "--hidden", "10000000", "--out", out_dir)
    assert_refused(
        code,
        out,
        err,
        r"not enough memory: the run needs about 14\.3 TiB \(389 GiB to train the network of "
        r"10,000,000 hidden units on 400 examples, .* 14\.3 TiB for the decision-boundary plot\), "
        r"8 GiB is available; to fit, use a smaller --hidden than 10000000, --no-plots$",
    )
    code, out, err = run(capsys, "--hidden", "10000000", "--no-plots", "--out", out_dir)
    assert_refused(code, out, err, r"about 389 GiB .* use a smaller --hidden than 10000000$")
    code, out, err = run(capsys, "--iterations", "10000000000", "--no-plots", "--out", out_dir)
    assert_refused(code, out, err, r"298 GiB for the costs of 10,000,000,000 iterations")
    assert err.rstrip().endswith("to fit, use fewer --iterations")
    for argv in (["compare", "--hidden", "10000000"], ["graph", "--hidden", "10000000"]):
        code, out, err = run(capsys, *argv, *(["--out", out_dir] if argv[0] == "graph" else []))
        # the library op by op (compare's and graph's one step) needs less than the compiled step
        assert_refused(
            code,
            out,
            err,
            r"needs about 90\.9 GiB \(90\.9 GiB to train the network .* examples\), 8 GiB",
        )
    assert not (tmp_path / "o").exists()


def test_memory_is_checked_on_this_machine_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--hidden", str(10**12), "--no-plots", "--out", "unused")
    assert_refused(code, out, err, r"not enough memory: the run needs about [\d.]+ PiB")


def test_parallel_sweeps_count_every_network_at_once() -> None:
    sizes = [1_000_000, 2_000_000]
    need_one = checks.check_memory(2, 400, sizes, 10, jobs=1, available=10**15)
    need_two = checks.check_memory(2, 400, sizes, 10, jobs=2, available=10**15)
    assert need_two > need_one
    with pytest.raises(checks.UsageError, match=r"to train 2 networks at once .* fewer --jobs$"):
        checks.check_memory(2, 400, sizes, 10, jobs=2, available=need_one)
    assert checks.check_memory(2, 400, sizes, 10, jobs=1, available=need_one) == need_one


@pytest.mark.parametrize("hidden", [4, 300])
@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_the_memory_estimate_bounds_what_training_uses(engine: str, hidden: int, flower) -> None:
    X, Y = flower
    tracemalloc.start()
    try:
        runner = ENGINES[engine](X, Y, hidden, 1.2, 2)
        fit(runner, 3)
        runner.model().predict(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = checks.memory_needed(2, 400, hidden, 3, engine=engine)["training"]
    assert peak <= estimate, (peak, estimate)
    if hidden >= 300:  # where the arrays dominate the fixed part, the estimate is close
        assert estimate <= 2 * peak, (peak, estimate)


def test_the_memory_estimate_bounds_what_the_plot_uses(flower) -> None:
    X, Y = flower
    net = cli.train(X, Y, hidden=120, iterations=1, engine="manual").model
    points = checks.check_grid(X, 0.02)
    tracemalloc.start()
    try:
        decision_grid(net.predict, X, step=0.02)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = checks.memory_needed(2, 400, 120, 1, points)["plot"]
    assert peak <= estimate <= 3 * peak, (peak, estimate)


def test_format_bytes() -> None:
    assert checks.format_bytes(512) == "512 B"
    assert checks.format_bytes(1536) == "1.5 KiB"
    assert checks.format_bytes(180 * GiB) == "180 GiB"
    assert checks.format_bytes(3 * 1024**6) == "3.07e+03 PiB"


# ------------------------------------------------------------------------------ --out, --data


def test_bad_output_folders_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--out", "")
    assert_refused(code, out, err, r"--out is empty; give the output folder, e.g. --out out")
    with pytest.raises(checks.UsageError, match="--out is empty"):
        checks.prepare_out("")
    a_file = tmp_path / "results.txt"
    a_file.write_text("keep me")
    for command in ("train", "sweep", "graph"):
        code, out, err = run(capsys, command, "--out", str(a_file))
        assert_refused(code, out, err, r"--out '.*results\.txt' is a file, not a folder")
    assert a_file.read_text() == "keep me"
    (tmp_path / "o" / "model.npz").mkdir(parents=True)
    code, out, err = run(capsys, "--out", str(tmp_path / "o"))
    assert_refused(code, out, err, r"--out '.*o' holds a folder named model\.npz; move it away")


@pytest.mark.skipif(
    not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
    reason="root may write anywhere",
)
def test_a_read_only_output_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        code, out, err = run(capsys, "--out", str(locked))
        assert_refused(code, out, err, r"--out '.*locked' cannot be written: Permission denied")
    finally:
        locked.chmod(0o755)


def test_dataset_and_data_together_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    X, Y = load_planar_dataset(m=20)
    np.savez(tmp_path / "mine.npz", X=X, Y=Y)
    data = str(tmp_path / "mine.npz")
    for argv in (
        ["--dataset", "blobs", "--data", data, "--out", str(tmp_path / "o")],
        ["--data", data, "--dataset", "flower", "--out", str(tmp_path / "o")],
        ["compare", "--dataset", "noisy_moons", "--data", data],
    ):
        code, out, err = run(capsys, *argv)
        assert_refused(code, out, err, r"--dataset \w+ and --data .*mine\.npz both name the data")
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------------------ messages


@pytest.mark.parametrize("engine", ["autograd", "manual"])
def test_divergence_is_an_error_line_with_a_bounded_cost(
    engine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--lr", "1e308", "--no-plots", "--engine", engine, "--out", str(tmp_path)]
    code, out, err = run(capsys, *argv)
    assert code == 1
    (line,) = err.strip().splitlines()
    assert line.startswith(f"{PROG}: error: training diverged at iteration 1: "), line
    assert "(--lr 1e+308 is probably too large); nothing was written to" in line
    assert len(line) < 300 and not re.search(r"\d{10}", line), line
    assert out == "Cost after iteration 0: 0.693048\n"


def test_format_cost_has_a_bounded_width() -> None:
    assert format_cost(0.69304802) == "0.693048"
    assert format_cost(999999.25) == "999999.250000"
    assert format_cost(3.918243617523672e305) == "3.91824e+305"
    for value in (0.0, 1e-300, 5e5, -5e5, 1e6, 1e308, -1e308, np.inf, np.nan, 123456789.0):
        assert len(format_cost(float(value))) <= 14, value


def test_sweep_prints_bounded_costs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from models import sweep

    huge = cli.TrainResult(cli.TwoLayerNet(2, 1, 1), [1.0], 3.5e300, 50.0, "manual", 0.0)
    monkeypatch.setattr(sweep, "_outcome", lambda data: huge)
    argv = ["sweep", "--hidden", "1", "--iterations", "2", "--no-plots", "--out", str(tmp_path)]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "1 hidden units: 50.00%, final cost 3.5e+300 (0.0 s)" in out
    assert re.search(r"^\s+1\s+50\.00%\s+3\.5e\+300$", out, flags=re.M), out


def test_top_level_help_lists_the_common_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for option in (
        "--dataset",
        "--data",
        "--seed",
        "--out",
        "--hidden",
        "--iterations",
        "--lr",
        "--engine",
        "--no-plots",
        "--grid-step",
        "--print-every",
    ):
        assert re.search(rf"^\s+{option}\b", out, flags=re.M), option
    assert "options of train, the default command" in out
    code, out, _ = run(capsys, "sweep", "--help")
    assert code == 0 and "--jobs N" in out
