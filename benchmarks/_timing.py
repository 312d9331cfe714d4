"""Interleaved block timing with medians and spreads, and the number formatting of the tables."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# A step returns its cost (a float or a 0-d tensor); the timer ignores it.
Step = Callable[[], object]


@dataclass(frozen=True)
class Timing:
    """Seconds per step over the timed blocks of one implementation.

    Attributes:
        samples: seconds per step of each block, in the order they ran.
        steps_per_block: how many steps each block ran.
    """

    samples: tuple[float, ...]
    steps_per_block: int

    @property
    def median(self) -> float:
        """The median over blocks of the mean step time in a block."""
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        """The fastest block."""
        return min(self.samples)

    @property
    def high(self) -> float:
        """The slowest block."""
        return max(self.samples)

    @property
    def iqr(self) -> tuple[float, float]:
        """The first and third quartiles over blocks (the extremes when there are < 4)."""
        s = sorted(self.samples)
        if len(s) < 4:
            return s[0], s[-1]
        q = statistics.quantiles(s, n=4, method="inclusive")
        return q[0], q[2]


def time_block(step: Step, n: int) -> float:
    """Run `step` n times and return the mean seconds per step."""
    clock = time.perf_counter
    t0 = clock()
    for _ in range(n):
        step()
    return (clock() - t0) / n


def calibrate(step: Step, target_s: float, max_steps: int = 100_000) -> int:
    """How many steps fill about `target_s` seconds, from a short trial (at least 1)."""
    n = 1
    while True:
        t = time_block(step, n)
        if t * n >= min(target_s / 4, 0.05) or n >= max_steps:
            break
        n *= 4
    return max(1, min(max_steps, round(target_s / max(t, 1e-9))))


def interleaved(
    steps: Mapping[str, Step],
    blocks: int,
    target_block_s: float,
    warmup_s: float,
    on_block: Callable[[int, str, float], None] | None = None,
) -> dict[str, Timing]:
    """Time several steps in turn, block by block, so that drifts in load hit all of them.

    Each implementation first warms up (for about `warmup_s`, at least one step) and gets a
    block length of about `target_block_s` (at least one step). Then `blocks` rounds run; round
    r starts at implementation r (mod k) and goes round, so no implementation always runs
    first or right after the same neighbour.

    Args:
        steps: name -> a zero-argument callable doing one training step.
        blocks: number of timed blocks per implementation.
        target_block_s: about how long one block runs.
        warmup_s: about how long each implementation warms up.
        on_block: called as on_block(round, name, seconds_per_step) after each block.

    Returns:
        name -> Timing, in the order of `steps`.
    """
    if blocks < 1:
        raise ValueError(f"interleaved: blocks must be >= 1, got {blocks}")
    names = list(steps)
    per_block: dict[str, int] = {}
    for name in names:
        step = steps[name]
        step()  # the first call may allocate, import or compile
        n = calibrate(step, target_block_s)
        if warmup_s > 0:
            time_block(step, max(1, round(warmup_s * n / max(target_block_s, 1e-9))))
        per_block[name] = n
    samples: dict[str, list[float]] = {name: [] for name in names}
    k = len(names)
    for r in range(blocks):
        for i in range(k):
            name = names[(r + i) % k]
            t = time_block(steps[name], per_block[name])
            samples[name].append(t)
            if on_block is not None:
                on_block(r, name, t)
    return {name: Timing(tuple(samples[name]), per_block[name]) for name in names}


def format_seconds(s: float) -> str:
    """A duration with 3 significant figures in ns, µs, ms or s."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= scale or unit == "ns":
            v = s / scale
            return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
    raise AssertionError("unreachable")


def format_bytes(n: float | None) -> str:
    """A size in KiB, MiB or GiB (or '—' when unknown)."""
    if n is None:
        return "—"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= scale:
            return f"{n / scale:.3g} {unit}" if n / scale < 100 else f"{n / scale:.0f} {unit}"
    return f"{n:.0f} B"


def markdown_table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    """A GitHub-flavoured Markdown table; `align` gives 'l' or 'r' per column (default r)."""
    align = align.ljust(len(header), "r")
    seps = [":--" if a == "l" else "--:" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(seps) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    """A plain-text table with aligned columns; `align` gives 'l' or 'r' per column."""
    align = align.ljust(len(header), "r")
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]

    def fmt(row: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if a == "l" else c.rjust(w)
            for c, w, a in zip(row, widths, align, strict=True)
        )

    return "\n".join([fmt(header), fmt(["-" * w for w in widths]), *map(fmt, rows)])
