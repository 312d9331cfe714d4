"""Critical sections that a signal (Ctrl-C's KeyboardInterrupt) cannot split in two."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

__all__ = ["deferred_interrupts"]

_Handler = Callable[[int, FrameType | None], Any]


class _Deferral:
    """The Python signal handlers set aside by one critical section, and the signals held."""

    def __init__(self) -> None:
        self.saved: dict[int, _Handler] = {}
        # Signal number -> the frame it arrived in, in order of arrival; a repeated signal is
        # kept once, as the OS merges it too.
        self.pending: dict[int, FrameType | None] = {}
        self.closed = False

    def record(self, signum: int, frame: FrameType | None) -> None:
        # Kept to a few bytecodes: a signal storm runs it again inside itself.
        if self.closed:  # left installed by a restore that a signal cut short: pass it on
            self.saved[signum](signum, frame)
        else:
            self.pending.setdefault(signum, frame)

    def poll(self) -> None:
        # Removed before it runs: a handler that raises must not run a second time later.
        while self.pending:
            signum = next(iter(self.pending))
            frame = self.pending.pop(signum)
            self.saved[signum](signum, frame)

    def drain(self) -> None:
        """Run every held handler, even after one raised; raise the first exception."""
        first: BaseException | None = None
        while self.pending:
            try:
                self.poll()
            except BaseException as e:  # re-raised below, once the others have run
                first = first or e
        if first is not None:
            raise first


_active: _Deferral | None = None  # only ever set by the main thread
_SIGNALS = tuple(sorted(signal.valid_signals()))  # asking each time costs more than the rest


def _no_poll() -> None:
    return None


def _restore(items: list[tuple[int, _Handler]]) -> None:
    # signal.signal() runs pending handlers before it switches, so a restored handler may
    # raise (a second Ctrl-C) inside it: each restore is retried once and sits in the
    # `finally` of the one before, so the others are put back all the same.
    if not items:
        return
    (signum, handler), rest = items[0], items[1:]
    try:
        signal.signal(signum, handler)
    finally:
        try:
            if signal.getsignal(signum) is not handler:
                signal.signal(signum, handler)
        finally:
            _restore(rest)


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[Callable[[], None]]:
    """Hold back Python signal handlers (KeyboardInterrupt on Ctrl-C) inside a block.

    Python runs a signal handler between any two bytecodes, so a Ctrl-C can split an
    operation that changes several things (copy three arrays, create a file and remember its
    descriptor) and leave half of it done. Inside this block every Python-level handler is
    replaced by one that only records the signal. The block calls the yielded `poll()` at
    points where stopping is safe: the held handlers run there, in arrival order, and a
    KeyboardInterrupt they raise stops the block. The handlers are put back when the block
    ends, and signals still held run then.

    Only the main thread runs Python signal handlers, so in any other thread (and when the
    block is nested in another) this holds nothing back and `poll()` is the outer block's
    or a no-op.

    Yields:
        poll: runs the handlers of the signals held so far.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite.interrupts import deferred_interrupts
        >>> a, b = np.zeros(2), np.zeros(2)
        >>> with deferred_interrupts() as poll:
        ...     poll()  # a Ctrl-C pressed so far stops here, before anything changed
        ...     a[:] = 1.0  # from here on, both arrays change or neither does
        ...     b[:] = 1.0
        >>> print(a, b)
        [1. 1.] [1. 1.]
    """
    global _active
    if threading.current_thread() is not threading.main_thread():
        yield _no_poll
        return
    if _active is not None:
        yield _active.poll
        return
    deferral = _Deferral()
    try:
        _active = deferral
        for signum in _SIGNALS:
            try:
                handler = signal.getsignal(signum)
            except (OSError, ValueError):
                continue
            if callable(handler):
                # Saved before it is replaced, so a signal arriving in between still finds
                # the handler put back below.
                deferral.saved[signum] = handler
                signal.signal(signum, deferral.record)
        yield deferral.poll
    finally:
        try:
            _restore(list(deferral.saved.items()))
        finally:
            deferral.closed = True  # a handler that could not be put back passes signals on
            _active = None
            deferral.drain()
