"""A run's outputs are written together; Ctrl-C and failures leave --out consistent."""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import pytest

from models import outputs
from models import planar as cli
from models.console import interrupts_held
from models.training import ManualEngine
from tinygrad_lite.datasets import load_planar_dataset
from tinygrad_lite.serialize import load

REPO = Path(__file__).resolve().parents[1]
PROG = "python -m models.planar"
OLD = ["--engine", "manual", "--iterations", "3", "--seed", "1", "--grid-step", "0.25"]
NEW = ["--engine", "manual", "--iterations", "4", "--seed", "2", "--grid-step", "0.25"]


@pytest.fixture(autouse=True)
def ctrl_c_raises() -> Iterator[None]:
    """Ctrl-C as in a terminal (a test runner's worker may ignore it)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture
def quick_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Figures replaced by small files that name the run (its final cost)."""

    def write(result: Any, X: Any, Y: Any, stage: outputs.Staging, *rest: Any) -> None:
        for name in ("data.png", "decision_boundary.png", "cost.png"):
            stage.path(name).write_text(f"{name} of the run ending at {result.final_cost!r}")

    monkeypatch.setattr(cli, "_write_figures", write)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def weights(path: Path) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in load(path).items()}


def train(*argv: str) -> cli.TrainResult:
    """What `train` gives for the options `argv` (engine, iterations, seed)."""
    opts = dict(zip(argv[::2], argv[1::2], strict=True))
    X, Y = load_planar_dataset()
    return cli.train(
        X,
        Y,
        iterations=int(opts["--iterations"]),
        seed=int(opts["--seed"]),
        engine=opts["--engine"],
    )


def trained(*argv: str) -> dict[str, Any]:
    """The weights that `train` gives for the options `argv` (engine, iterations, seed)."""
    return dict(train(*argv).model.state_dict())


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir()}


def assert_same_weights(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert sorted(a) == sorted(b)
    for k in a:
        np.testing.assert_array_equal(np.asarray(a[k]), np.asarray(b[k]))


# ------------------------------------------------------------------------------ Ctrl-C, failures


def test_ctrl_c_in_the_loop_saves_a_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, *OLD, "--no-plots", "--out", str(tmp_path))
    assert code == 0, err
    before = snapshot(tmp_path)
    step = ManualEngine.step
    calls = []

    def interrupted_step(self: ManualEngine) -> float:
        calls.append(1)
        if len(calls) == 8:  # the 8th step is interrupted before it changes anything
            raise KeyboardInterrupt
        return step(self)

    monkeypatch.setattr(ManualEngine, "step", interrupted_step)
    argv = ["--engine", "manual", "--iterations", "5000", "--seed", "2", "--no-plots"]
    code, out, err = run(capsys, *argv, "--out", str(tmp_path))
    assert code == 130
    assert err.strip().splitlines() == [
        f"{PROG}: error: interrupted after 7 of 5000 iterations; {tmp_path} keeps its earlier "
        f"files; the model so far is saved in {tmp_path / 'checkpoint.npz'}"
    ]
    assert "Accuracy" not in out
    checkpoint = tmp_path / "checkpoint.npz"
    assert_same_weights(
        weights(checkpoint), trained("--engine", "manual", "--iterations", "7", "--seed", "2")
    )
    after = snapshot(tmp_path)
    del after["checkpoint.npz"]
    assert after == before, "the earlier run's files are untouched"


@pytest.mark.parametrize("presses", [1, 2])
def test_a_real_ctrl_c_stops_between_two_steps(
    presses: int,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C in the middle of a (compiled, in-place) step: the step is completed first."""
    from models.training import AutogradEngine

    step = AutogradEngine.step
    calls = []

    def step_with_ctrl_c(self: AutogradEngine) -> float:
        calls.append(1)
        if len(calls) == 5:
            for _ in range(presses):
                signal.raise_signal(signal.SIGINT)
        return step(self)

    monkeypatch.setattr(AutogradEngine, "step", step_with_ctrl_c)
    code, _, err = run(capsys, "--iterations", "100", "--no-plots", "--out", str(tmp_path))
    assert code == 130
    if presses == 2:  # the second stops at once, with no checkpoint of a half-done step
        assert err.strip().splitlines() == [f"{PROG}: error: interrupted"]
        assert not (tmp_path / "checkpoint.npz").exists()
        return
    assert "interrupted after 5 of 100 iterations" in err
    assert_same_weights(
        weights(tmp_path / "checkpoint.npz"),
        trained("--engine", "autograd", "--iterations", "5", "--seed", "2"),
    )


def test_ctrl_c_before_the_first_step_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_step(self: ManualEngine) -> float:
        raise KeyboardInterrupt

    monkeypatch.setattr(ManualEngine, "step", no_step)
    code, _, err = run(capsys, *NEW, "--out", str(tmp_path))
    assert code == 130
    assert "interrupted before the first step; nothing was written" in err
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_in_a_terminal_process_saves_a_checkpoint(tmp_path: Path) -> None:
    code = (
        "import signal, runpy; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "runpy.run_module('models.planar', run_name='__main__')"
    )
    argv = [
        "--engine",
        "manual",
        "--iterations",
        "10000000",
        "--print-every",
        "500",
        "--no-plots",
        "--out",
        str(tmp_path),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until training is under way
        if line.startswith("Cost after iteration 500:"):
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    m = re.fullmatch(
        rf"{PROG}: error: interrupted after (\d+) of 10000000 iterations; {tmp_path} keeps its "
        rf"earlier files; the model so far is saved in {tmp_path / 'checkpoint.npz'}\n",
        err,
    )
    assert m, err
    steps = int(m[1])
    assert steps > 500
    expected = trained("--engine", "manual", "--iterations", str(steps), "--seed", "2")
    assert_same_weights(weights(tmp_path / "checkpoint.npz"), expected)


def test_failed_figures_leave_the_earlier_files_and_keep_the_model(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    quick_figures: None,
) -> None:
    code, _, err = run(capsys, *OLD, "--out", str(tmp_path))
    assert code == 0, err
    before = snapshot(tmp_path)

    def broken(result: Any, X: Any, Y: Any, stage: outputs.Staging, *rest: Any) -> None:
        stage.path("data.png").write_text("half of the figures")
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(cli, "_write_figures", broken)
    code, out, err = run(capsys, *NEW, "--out", str(tmp_path))
    assert code == 1
    assert err.strip().splitlines() == [
        f"{PROG}: error: writing the figures failed (RuntimeError: the disk is full); "
        f"{tmp_path} keeps its earlier files; the trained model is saved in "
        f"{tmp_path / 'checkpoint.npz'}"
    ]
    assert "Accuracy: " in out
    after = snapshot(tmp_path)
    assert_same_weights(weights(tmp_path / "checkpoint.npz"), trained(*NEW[:6]))
    del after["checkpoint.npz"]
    assert after == before


def test_the_model_is_saved_before_the_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def figures(result: Any, X: Any, Y: Any, stage: outputs.Staging, *rest: Any) -> None:
        seen.extend(stage.staged())

    monkeypatch.setattr(cli, "_write_figures", figures)
    code, _, err = run(capsys, *NEW, "--out", str(tmp_path))
    assert code == 0, err
    assert seen == ["model.npz"]


def test_a_run_without_plots_removes_the_earlier_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], quick_figures: None
) -> None:
    code, _, err = run(capsys, *OLD, "--out", str(tmp_path))
    assert code == 0, err
    (tmp_path / "notes.txt").write_text("the user's own file")
    code, out, err = run(capsys, *NEW, "--no-plots", "--out", str(tmp_path))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz", "notes.txt"]
    assert f"Wrote {tmp_path / 'model.npz'}\n" in out
    assert f"Removed {tmp_path / 'data.png'}, " in out
    assert (tmp_path / "notes.txt").read_text() == "the user's own file"


# ------------------------------------------------------------------------------ interrupts anywhere


def interrupt_at(k: int, seen: list[str]) -> Callable[..., Any]:
    """A trace function that presses Ctrl-C at the k-th line executed in models/ (k < 0: never).

    It runs what Python runs for a Ctrl-C, at that line: the SIGINT handler installed then.
    Python's own handler raises KeyboardInterrupt (raised by a trace function, it is raised in
    the traced frame, at that line); a handler that holds Ctrl-C back records it. `seen`
    receives the file and line number of each line executed.
    """
    roots = (str(REPO / "models"), str(REPO / "tinygrad_lite" / "serialize.py"))

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        if not frame.f_code.co_filename.startswith(roots):
            return None
        if event == "line":
            if len(seen) == k:
                handler = signal.getsignal(signal.SIGINT)
                if handler is signal.default_int_handler:
                    raise KeyboardInterrupt
                assert callable(handler), handler
                handler(signal.SIGINT, frame)
            seen.append(f"{frame.f_code.co_filename}:{frame.f_lineno} ({frame.f_code.co_name})")
        return trace

    return trace


# An interrupt inside np.savez makes zipfile complain, when collected, about its closed file.
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_interrupt_anywhere_leaves_all_old_or_all_new_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], quick_figures: None
) -> None:
    pristine = tmp_path / "pristine"
    code, _, err = run(capsys, *OLD, "--out", str(pristine))
    assert code == 0, err
    old = snapshot(pristine)
    new = train(*NEW[:6])
    names = set(cli.TRAIN_FILES) - {"training.gif"}  # what a run without --animate writes
    figures = names - {"model.npz"}

    def state(out: Path, where: str = "") -> str:
        files = {p.name for p in out.iterdir()}
        assert not [f for f in files if f.startswith(".")], f"left behind: {files} {where}"
        assert files - names <= {"checkpoint.npz"}, files
        assert files >= names, f"files missing: {names - files}"
        now = {n: (out / n).read_bytes() for n in names}
        if now == {n: old[n] for n in names}:
            return "old"
        assert_same_weights(weights(out / "model.npz"), dict(new.model.state_dict()))
        for n in figures:
            assert now[n] == f"{n} of the run ending at {new.final_cost!r}".encode(), n
        return "new"

    # List the lines a whole run executes; interrupt runs at 60 random ones among them, and at
    # every line from the move into place to the end.
    seen: list[str] = []
    out = tmp_path / "count"
    shutil.copytree(pristine, out)
    sys.settrace(interrupt_at(-1, seen))
    try:
        code = cli.main([*NEW, "--out", str(out)])
    finally:
        sys.settrace(None)
    assert code == 0 and state(out) == "new"
    commit = next(k for k, line in enumerate(seen) if line.endswith("(commit)"))
    points = sorted({*range(commit, len(seen)), *random.Random(14).sample(range(commit), 60)})
    outcomes = {"old": 0, "new": 0}
    for trial, k in enumerate(points):
        out = tmp_path / f"t{trial}"
        shutil.copytree(pristine, out)
        sys.settrace(interrupt_at(k, []))
        try:
            code = cli.main([*NEW, "--out", str(out)])
        except KeyboardInterrupt:
            code = -1  # delivered as main returned, after its last line: as in a terminal
        finally:
            sys.settrace(None)
        assert code in (0, 130, -1), (k, code)
        outcomes[state(out, f"(Ctrl-C at {seen[k]})")] += 1
    capsys.readouterr()
    assert outcomes["old"] > 10 and outcomes["new"] > 1, outcomes


# ------------------------------------------------------------------------------ the pieces


def test_interrupts_held_delivers_ctrl_c_after_the_block() -> None:
    done = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts_held():
            signal.raise_signal(signal.SIGINT)
            done.append("the rest of the block ran")
    assert done == ["the rest of the block ran"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_failed_move_puts_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ("a.txt", "b.txt", "c.txt")
    for n in names:
        (tmp_path / n).write_text(f"old {n}")
    real_replace = os.replace
    moves = []

    def failing_replace(src: Any, dst: Any) -> None:
        if Path(dst) == tmp_path / "b.txt" and not moves:  # the second new file's move
            moves.append(dst)
            raise OSError("no space left on device")
        real_replace(src, dst)

    with outputs.Staging(tmp_path, names, "test") as stage:
        for n in names:
            stage.path(n).write_text(f"new {n}")
        monkeypatch.setattr(os, "replace", failing_replace)
        with pytest.raises(OSError, match="no space left"):
            stage.commit()
        monkeypatch.setattr(os, "replace", real_replace)
    assert sorted(p.name for p in tmp_path.iterdir()) == list(names)
    for n in names:
        assert (tmp_path / n).read_text() == f"old {n}"
    with pytest.raises(ValueError, match="'d.txt' is not one of"):
        outputs.Staging(tmp_path, names, "test").__enter__().path("d.txt")


def test_plain_progress_without_tqdm(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm fails
    X, Y = load_planar_dataset()
    out = Terminal()
    from models.training import fit

    costs = fit(ManualEngine(X, Y, 4, 1.2, 2), 1000, print_every=400, out=out)
    assert out.getvalue().splitlines() == [
        f"Cost after iteration {i}: {costs[i]:.6f}" for i in (0, 400, 800)
    ]
    err = capsys.readouterr().err.splitlines()
    assert err == [f"  {k}/1000 iterations" for k in range(100, 1001, 100)]


def test_staging_folders_of_killed_runs_are_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    folders = {
        "killed": tmp_path / f".train-staging-{int(dead.stdout)}-abc",  # its process is gone
        "this process, earlier": tmp_path / f".train-staging-{os.getpid()}-def",
        "running": tmp_path / f".train-staging-{os.getppid()}-ghi",  # a live process's
        "another command's": tmp_path / f".sweep-staging-{int(dead.stdout)}-jkl",
    }
    for folder in folders.values():
        folder.mkdir()
        (folder / "model.npz").write_text("half-written")
    code, _, err = run(capsys, *NEW, "--no-plots", "--out", str(tmp_path))
    assert code == 0, err
    left = {name for name, folder in folders.items() if folder.exists()}
    assert left == {"running", "another command's"}
