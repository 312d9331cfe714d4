"""The command line's console: progress on stderr, and Ctrl-C held back until a safe point."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TextIO

__all__ = [
    "CtrlC",
    "PlainProgress",
    "StopNow",
    "ctrl_c_between_steps",
    "interrupts_held",
    "progress",
]


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back while the block runs, and deliver it when the block ends.

    A Ctrl-C during the block raises KeyboardInterrupt just after it (or goes to whatever
    handler was installed before). Outside the main thread, where Python delivers no signals,
    this does nothing.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is None  # a handler installed outside Python
    ):
        yield
        return
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        if previous is signal.default_int_handler:
            raise KeyboardInterrupt
        if callable(previous):
            previous(signal.SIGINT, None)
        elif previous == signal.SIG_DFL:
            signal.raise_signal(signal.SIGINT)


class StopNow(KeyboardInterrupt):
    """A second Ctrl-C: stop at once, even in the middle of a step."""


class CtrlC:
    """Whether a Ctrl-C asked the loop to stop."""

    requested = False


@contextmanager
def ctrl_c_between_steps() -> Iterator[CtrlC]:
    """Turn a first Ctrl-C into a request that the loop honours between two steps.

    A step stopped half-way could leave some weights updated and others not; so the first
    Ctrl-C only sets `requested`, and the loop stops before the next step with the weights of
    a whole number of steps. A second Ctrl-C stops at once. Only in the main thread, and only
    where Ctrl-C raises KeyboardInterrupt as usual (not where it is ignored or handled).
    """
    state = CtrlC()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield state
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if state.requested:
            raise StopNow
        state.requested = True

    signal.signal(signal.SIGINT, handler)
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


class PlainProgress:
    """What the command line shows without tqdm: a line on stderr at every tenth of the run."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.every = total, 0, max(1, total // 10)

    def write(self, line: str, file: TextIO) -> None:
        print(line, file=file, flush=True)

    def update(self, n: int) -> None:
        self.done += n
        if self.done % self.every == 0 or self.done == self.total:
            print(f"  {self.done}/{self.total} iterations", file=sys.stderr, flush=True)

    def close(self) -> None:
        pass


def progress(iterations: int, out: TextIO) -> Any:
    """A progress display on stderr when `out` is a terminal and the run is long, else None.

    A tqdm bar if tqdm is installed (the ``cli`` extra), else plain progress lines.
    """
    isatty = getattr(out, "isatty", None)
    if iterations < 1000 or not (callable(isatty) and isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return PlainProgress(iterations)
    return tqdm(total=iterations, unit="it", leave=False, dynamic_ncols=True)
