"""`train --animate`: training.gif with the run's snapshots, checked before training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models import planar as cli
from models.training import ManualEngine, fit, train
from tinygrad_lite.datasets import load_planar_dataset
from tinygrad_lite.monitor import TrainingHistory
from tinygrad_lite.serialize import load

QUICK = ["--engine", "manual", "--iterations", "50", "--grid-step", "0.25"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow
def test_animate_writes_one_frame_per_snapshot_with_the_other_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o"
    code, stdout, err = run(capsys, *QUICK, "--animate", "--out", str(out))
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == sorted(cli.TRAIN_FILES)
    gif = Image.open(out / "training.gif")
    schedule = sorted(TrainingHistory.spread(50, cli.ANIMATION_FRAMES).at)
    assert gif.n_frames == len(schedule) and schedule[-1] == 50
    frames = []
    for k in (0, gif.n_frames - 1):
        gif.seek(k)
        frames.append(np.asarray(gif.convert("RGB"), dtype=np.int16))
    assert np.abs(frames[0] - frames[1]).max() > 0, "the first and last frames are the same"
    # the last frame's weights are the saved model's
    X, Y = load_planar_dataset()
    history = TrainingHistory.spread(50, cli.ANIMATION_FRAMES)
    result = train(X, Y, 4, 50, 1.2, 2, "manual", history=history)
    saved = load(out / "model.npz")
    for name, value in history.states[-1].items():
        np.testing.assert_array_equal(value, saved[name])
    assert history.iterations == schedule
    assert result.final_cost == pytest.approx(float(stdout.split("iterations: ")[1].split()[0]))


def test_animate_with_no_plots_is_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o"
    code, stdout, err = run(capsys, *QUICK, "--animate", "--no-plots", "--out", str(out))
    assert code == cli.EXIT_USAGE
    assert "error: --animate draws figures: it cannot go with --no-plots" in err
    assert "Cost after" not in stdout and not out.exists()


@pytest.mark.slow
def test_a_run_without_animate_removes_the_earlier_gif(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o"
    assert run(capsys, *QUICK, "--out", str(out))[0] == 0
    # what an earlier --animate run leaves beside the other outputs (the test above makes one)
    Image.new("P", (4, 4)).save(out / "training.gif")
    code, stdout, _ = run(capsys, *QUICK, "--out", str(out))
    assert code == 0
    assert not (out / "training.gif").exists()
    assert "Removed" in stdout and "training.gif" in stdout


def test_fit_calls_on_step_before_each_step_with_the_weights_it_starts_from() -> None:
    X, Y = load_planar_dataset()
    engine = ManualEngine(X, Y, 4, 1.2, 2)
    seen: list[tuple[int, np.ndarray]] = []
    costs = fit(engine, 5, on_step=lambda i, e: seen.append((i, e.model().W1.data.copy())))
    assert [i for i, _ in seen] == [0, 1, 2, 3, 4] and len(costs) == 5
    # the weights before step i are those after step i - 1: all different, the first the start's
    fresh = ManualEngine(X, Y, 4, 1.2, 2)
    np.testing.assert_array_equal(seen[0][1], fresh.model().W1.data)
    fresh.step()
    np.testing.assert_array_equal(seen[1][1], fresh.model().W1.data)
