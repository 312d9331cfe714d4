"""The hidden-size sweep: progress as each size finishes, and parallel runs equal serial ones."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models import planar as cli
from models import sweep
from models.training import TrainingDiverged, TrainResult
from tinygrad_lite.datasets import load_planar_dataset


def outcomes(jobs: int, lr: float, sizes: list[int]) -> tuple[list[Any], list[tuple[int, int]]]:
    X, Y = load_planar_dataset()
    reports: list[tuple[int, int]] = []
    results = sweep.run_sweep(
        X,
        Y,
        sizes,
        120,
        lr,
        2,
        "autograd",
        jobs=jobs,
        report=lambda done, n, r: reports.append((done, n)),
    )
    return results, reports


def test_parallel_sweeps_give_the_serial_results() -> None:
    sizes = [1, 3, 4, 7]
    serial, serial_reports = outcomes(1, 1.2, sizes)
    parallel, parallel_reports = outcomes(2, 1.2, sizes)
    assert [n for n, _ in serial] == [n for n, _ in parallel] == sizes
    for (_, a), (_, b) in zip(serial, parallel, strict=True):
        assert isinstance(a, TrainResult) and isinstance(b, TrainResult)
        assert a.costs == b.costs  # every cost, bit for bit
        assert (a.final_cost, a.accuracy, a.engine) == (b.final_cost, b.accuracy, b.engine)
        for name, p in a.model.named_parameters():
            np.testing.assert_array_equal(p.data, getattr(b.model, name).data)
    # One report per size as it finishes: counted 1, 2, 3, 4, each size once.
    assert serial_reports == [(1, 1), (2, 3), (3, 4), (4, 7)]
    assert [d for d, _ in parallel_reports] == [1, 2, 3, 4]
    assert sorted(n for _, n in parallel_reports) == sizes


def test_a_diverged_run_crosses_processes() -> None:
    serial, _ = outcomes(1, 1e6, [2, 3])
    parallel, _ = outcomes(2, 1e6, [2, 3])
    for (_, a), (_, b) in zip(serial, parallel, strict=True):
        assert isinstance(a, TrainingDiverged) and isinstance(b, TrainingDiverged)
        assert (a.iteration, a.reason, a.costs) == (b.iteration, b.reason, b.costs)


def test_the_sweep_reports_each_size_as_it_finishes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["sweep", "--hidden", "1", "3", "--iterations", "50", "--jobs", "1", "--no-plots"]
    assert cli.main([*argv, "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Training 2 networks (50 iterations each) in this process:"
    assert re.fullmatch(
        r"\[1/2\] 1 hidden units: \d+\.\d\d%, final cost 0\.\d{6} \(\d+\.\d s\)", lines[1]
    ), lines[1]
    assert re.fullmatch(r"\[2/2\] 3 hidden units: .*", lines[2]), lines[2]
    assert lines[3].split() == ["hidden", "units", "accuracy", "final", "cost"]
    assert list(tmp_path.iterdir()) == []  # no figure, nothing written


def test_jobs_default_to_the_cores_available(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    used: list[int] = []

    def fake_sweep(X: Any, Y: Any, sizes: list[int], *args: Any, **kw: Any) -> list[Any]:
        used.append(args[4])
        return []

    monkeypatch.setattr(cli, "run_sweep", fake_sweep)
    for cores, sizes, expected in ((6, ["1", "2", "3"], 3), (2, ["1", "2", "3"], 2)):
        monkeypatch.setattr(cli, "default_jobs", lambda cores=cores: cores)
        argv = ["sweep", "--hidden", *sizes, "--no-plots", "--out", str(tmp_path)]
        assert cli.main(argv) == 0
        assert used[-1] == expected
        assert f"in {expected} processes:" in capsys.readouterr().out
    assert sweep.default_jobs() >= 1


def test_ctrl_c_stops_a_parallel_sweep_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.2, os.kill, (os.getpid(), signal.SIGINT))
    argv = ["sweep", "--hidden", "3", "4", "--iterations", "2000000", "--jobs", "2"]
    try:
        timer.start()
        start = time.perf_counter()
        code = cli.main([*argv, "--no-plots", "--out", str(tmp_path)])
        elapsed = time.perf_counter() - start
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert code == 130
    assert elapsed < 10, "the workers were left to finish their 2,000,000 steps"
    assert capsys.readouterr().err == (
        f"python -m models.planar: error: interrupted; {tmp_path} keeps its earlier files\n"
    )
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert multiprocessing.active_children() == []
