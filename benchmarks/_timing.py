"""Interleaved block timing with medians and spreads, and the number formatting of the tables."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

# A step returns its cost (a float or a 0-d tensor); the timer ignores it.
Step = Callable[[], object]


@dataclass(frozen=True)
class Timing:
    """Seconds per step over the timed blocks of one implementation, wall clock and CPU.

    Attributes:
        samples: wall-clock seconds per step of each block, in the order the blocks ran.
        steps_per_block: how many steps each block ran.
        cpu_samples: CPU seconds per step of each block (``time.process_time``: every thread
            of the process, so a BLAS that runs on two cores counts twice); empty if not taken.
    """

    samples: tuple[float, ...]
    steps_per_block: int
    cpu_samples: tuple[float, ...] = ()

    @property
    def median(self) -> float:
        """The median over blocks of the mean wall-clock step time in a block."""
        return statistics.median(self.samples)

    @property
    def cpu_median(self) -> float | None:
        """The median over blocks of the mean CPU time per step (None when not measured)."""
        return statistics.median(self.cpu_samples) if self.cpu_samples else None

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


def ratio_of_rounds(a: Timing, b: Timing, cpu: bool = False) -> float | None:
    """The median over rounds of a's block time ÷ b's block time in the same round.

    Blocks of one round run close together, so a change of load between rounds cancels out of
    each round's ratio. None when either has no samples of that kind.
    """
    xs, ys = (a.cpu_samples, b.cpu_samples) if cpu else (a.samples, b.samples)
    if not xs or not ys or len(xs) != len(ys):
        return None
    if any(y <= 0 for y in ys):
        return None
    return statistics.median(x / y for x, y in zip(xs, ys, strict=True))


def time_block(step: Step, n: int) -> tuple[float, float]:
    """Run `step` n times; return the mean wall-clock and CPU seconds per step."""
    clock, cpu = time.perf_counter, time.process_time
    c0, t0 = cpu(), clock()
    for _ in range(n):
        step()
    t1, c1 = clock(), cpu()
    return (t1 - t0) / n, (c1 - c0) / n


def calibrate(step: Step, target_s: float, max_steps: int = 100_000) -> int:
    """How many steps fill about `target_s` seconds, from a short trial (at least 1)."""
    n = 1
    while True:
        t = time_block(step, n)[0]
        if t * n >= min(target_s / 4, 0.05) or n >= max_steps:
            break
        n *= 4
    return max(1, min(max_steps, round(target_s / max(t, 1e-9))))


def block_order(names: Sequence[str], blocks: int, seed: int) -> list[list[str]]:
    """The order of the implementations in each round: a fresh random permutation per round.

    Seeded, so that a run's order can be recorded as one number and replayed.
    """
    rng = random.Random(seed)
    rounds = []
    for _ in range(blocks):
        order = list(names)
        rng.shuffle(order)
        rounds.append(order)
    return rounds


def interleaved(
    steps: Mapping[str, Step],
    blocks: int,
    target_block_s: float,
    warmup_s: float,
    on_block: Callable[[int, str, float], None] | None = None,
    seed: int = 0,
    pause_s: float = 0.0,
) -> dict[str, Timing]:
    """Time several steps in turn, block by block, so that drifts in load hit all of them.

    Each implementation first warms up (for about `warmup_s`, at least one step) and gets a
    block length of about `target_block_s` (at least one step). Then `blocks` rounds run, each
    in the order `block_order(names, blocks, seed)` gives: a random permutation per round, so
    that no implementation systematically runs first, last or after the same neighbour.

    Args:
        steps: name -> a zero-argument callable doing one training step.
        blocks: number of timed blocks per implementation.
        target_block_s: about how long one block runs.
        warmup_s: about how long each implementation warms up.
        on_block: called as on_block(round, name, seconds_per_step) after each block.
        seed: seeds the order of the blocks within each round.
        pause_s: sleep this long before each block, so that worker threads another library
            left spinning (OpenMP, BLAS) have gone idle and take neither a core nor CPU time
            from the next block.

    Returns:
        name -> Timing (wall clock and CPU time), in the order of `steps`.
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
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for r, order in enumerate(block_order(names, blocks, seed)):
        for name in order:
            if pause_s > 0:
                time.sleep(pause_s)
            t, c = time_block(steps[name], per_block[name])
            wall[name].append(t)
            cpu[name].append(c)
            if on_block is not None:
                on_block(r, name, t)
    return {name: Timing(tuple(wall[name]), per_block[name], tuple(cpu[name])) for name in names}


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
