"""Ctrl-C at random points: load_state_dict, save and load are all or nothing and leak nothing."""

from __future__ import annotations

import os
import random
import signal
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import nn
from tinygrad_lite.interrupts import deferred_interrupts
from tinygrad_lite.serialize import load, save

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "setitimer") or not os.path.isdir("/proc/self/fd"),
    reason="needs POSIX interval timers and /proc/self/fd to count open files",
)

TRIALS = 1000


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def interrupt_after(delay: float, op: Callable[[], Any]) -> str:
    """Run op with a KeyboardInterrupt due after `delay` seconds: 'interrupted' or 'returned'."""
    outcome = "interrupted"
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, max(delay, 1e-6))  # 0 would disarm the timer
            op()
            outcome = "returned"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            _handlers_run_here()
    except KeyboardInterrupt:
        pass  # a late alarm after op returned leaves "returned"
    return outcome


def _handlers_run_here() -> None:
    """A Python call: a signal that arrived just before the timer was disarmed is handled here."""


def median_seconds(op: Callable[[], Any], reset: Callable[[], Any], n: int = 21) -> float:
    times = []
    for _ in range(n):
        reset()
        start = time.perf_counter()
        op()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def summary(counts: Counter[tuple[str, str]]) -> str:
    return ", ".join(f"{o} with the {s} state: {n}" for (o, s), n in sorted(counts.items()))


# ------------------------------------------------------------------------------ load_state_dict


def test_load_state_dict_is_all_or_nothing_under_random_interrupts(alarm: list[Any]) -> None:
    # Many small parameters: the copies take long enough for interrupts to land among them.
    model = nn.ModuleList([nn.Linear(4, 4, seed=i) for i in range(50)])
    old = {k: np.zeros_like(v) for k, v in model.state_dict().items()}
    new = {k: np.full_like(v, 1.0) for k, v in model.state_dict().items()}

    def state() -> str:
        now = model.state_dict()
        for name, ref in (("old", old), ("new", new)):
            if all(np.array_equal(now[k], ref[k]) for k in ref):
                return name
        return "mixed"  # some parameters loaded, others not

    duration = median_seconds(
        lambda: model.load_state_dict(new), lambda: model.load_state_dict(old)
    )
    rng = random.Random(20240611)
    counts: Counter[tuple[str, str]] = Counter()
    for _ in range(TRIALS):
        model.load_state_dict(old)
        fds = open_fds()
        outcome = interrupt_after(
            rng.uniform(0, 1.5 * duration), lambda: model.load_state_dict(new)
        )
        counts[outcome, state()] += 1
        assert open_fds() == fds
    report = summary(counts)
    print(report)  # shown with pytest -s
    assert all(s in ("old", "new") for _, s in counts), report
    assert counts["returned", "old"] == 0, report
    # The timer really did land inside the call, not only before or after it.
    assert counts["interrupted", "old"] + counts["interrupted", "new"] >= TRIALS // 5, report
    assert not alarm, alarm


# ------------------------------------------------------------------------------ save


# 1,000 real saves, each synced to disk twice: about 2 s alone, up to 7 s on a busy machine.
@pytest.mark.slow
def test_save_is_all_or_nothing_under_random_interrupts(alarm: list[Any], tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    versions = [
        {"w": np.zeros((3, 2)), "b": np.zeros(2), "step": np.int64(0)},
        {"w": np.ones((3, 2)), "b": np.ones(2), "step": np.int64(1)},
    ]

    def on_disk() -> int | None:
        got = load(path)
        assert isinstance(got, dict)
        for i, ref in enumerate(versions):
            if list(got) == list(ref) and all(np.array_equal(got[k], ref[k]) for k in ref):
                return i
        return None

    duration = median_seconds(lambda: save(versions[1], path), lambda: save(versions[0], path))
    save(versions[0], path)
    rng = random.Random(7)
    counts: Counter[tuple[str, str]] = Counter()
    for _ in range(TRIALS):
        before = on_disk()
        assert before is not None
        fds = open_fds()
        # Any exception other than KeyboardInterrupt (zipfile's "Can't close the ZIP file")
        # propagates and fails the test.
        target = versions[1 - before]
        outcome = interrupt_after(rng.uniform(0, 1.5 * duration), lambda t=target: save(t, path))
        after = on_disk()
        counts[outcome, {before: "old", 1 - before: "new"}.get(after, "mixed")] += 1  # type: ignore[arg-type]
        assert open_fds() == fds, f"a file descriptor leaked ({outcome})"
        assert sorted(os.listdir(tmp_path)) == ["model.npz"], f"a file was left ({outcome})"
    report = summary(counts)
    print(report)  # shown with pytest -s
    assert all(s in ("old", "new") for _, s in counts), report
    assert counts["returned", "old"] == 0, report
    assert counts["interrupted", "old"] + counts["interrupted", "new"] >= TRIALS // 5, report
    assert not alarm, alarm


# ------------------------------------------------------------------------------ load


def test_load_leaks_nothing_under_random_interrupts(alarm: list[Any], tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    state = {f"w{i}": np.full((8, 8), float(i)) for i in range(10)}
    save(state, path)
    duration = median_seconds(lambda: load(path), lambda: None)
    rng = random.Random(3)
    counts: Counter[str] = Counter()
    for _ in range(TRIALS):
        fds = open_fds()
        result: list[Any] = []
        delay = rng.uniform(0, 1.5 * duration)
        counts[interrupt_after(delay, lambda r=result: r.append(load(path)))] += 1
        assert open_fds() == fds
        if result:
            assert all(np.array_equal(result[0][k], v) for k, v in state.items())
    print(dict(counts))  # shown with pytest -s
    assert counts["interrupted"] >= TRIALS // 5, counts
    assert not alarm, alarm


# ------------------------------------------------------------------------------ the mechanism


def test_a_held_interrupt_is_raised_at_poll_and_handlers_are_put_back(alarm: list[Any]) -> None:
    handler = signal.getsignal(signal.SIGALRM)
    done = []
    with pytest.raises(KeyboardInterrupt), deferred_interrupts() as poll:
        os.kill(os.getpid(), signal.SIGALRM)
        time.sleep(0.01)  # the signal arrives, and is only recorded
        done.append("after the signal")
        poll()
        done.append("after poll")  # never reached
    assert done == ["after the signal"]
    assert signal.getsignal(signal.SIGALRM) is handler


def test_a_held_interrupt_is_raised_when_the_block_ends(alarm: list[Any]) -> None:
    done = []
    with pytest.raises(KeyboardInterrupt), deferred_interrupts():
        os.kill(os.getpid(), signal.SIGALRM)
        time.sleep(0.01)
        done.append("the whole block ran")
    assert done == ["the whole block ran"]


def test_nested_blocks_and_other_threads_hold_nothing_of_their_own(alarm: list[Any]) -> None:
    import threading

    handler = signal.getsignal(signal.SIGALRM)
    with deferred_interrupts() as outer, deferred_interrupts() as inner:
        assert inner == outer  # the inner block polls the outer one's held signals
    seen: list[Any] = []

    def worker() -> None:
        with deferred_interrupts() as poll:
            poll()
            seen.append(signal.getsignal(signal.SIGALRM))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [handler]  # a worker thread replaces no handler
    assert signal.getsignal(signal.SIGALRM) is handler


def test_what_a_handler_raises_inside_load_passes_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinygrad_lite import serialize

    def handler(signum: int, frame: Any) -> None:
        raise TimeoutError("the caller's own deadline")

    path = tmp_path / "c.npz"
    save({"a": np.ones(2), "b": np.zeros(2)}, path)
    real = serialize._read_entry

    def read_entry(*args: Any) -> np.ndarray:
        os.kill(os.getpid(), signal.SIGALRM)  # held back until load reaches a safe point
        time.sleep(0.01)
        return real(*args)

    monkeypatch.setattr(serialize, "_read_entry", read_entry)
    old = signal.signal(signal.SIGALRM, handler)
    try:
        # An OSError raised by the handler is not mistaken for a corrupt file.
        with pytest.raises(TimeoutError, match="the caller's own deadline"):
            load(path)
    finally:
        signal.signal(signal.SIGALRM, old)
