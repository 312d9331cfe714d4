"""A command's output files, written together: staged in a hidden folder, then moved in at once.

A run writes its files into a staging folder inside ``--out``, and only when all of them are
written moves them into place, in one step during which Ctrl-C is held back. So the files a
command owns in ``--out`` (train's ``data.png``, ``decision_boundary.png``, ``cost.png`` and
``model.npz``, for instance) are always all from one run: an interrupt or a failure at any
earlier point leaves the previous run's files untouched, one during the move takes effect
after it.

The staging folder is inside ``--out`` rather than beside it: a rename is atomic only within
one file system, and ``--out`` (say ``.``) may be writable where its parent is not.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from .console import interrupts_held

__all__ = ["Staging"]


def _remove_abandoned(out: Path, label: str) -> None:
    """Remove staging folders that no running process owns (their writer was killed).

    A folder's name holds the id of the process that made it: one whose process is gone, or
    one of this process from an earlier run that did not finish, is abandoned.
    """
    for folder in out.glob(f".{label}-staging-*-*"):
        try:
            pid = int(folder.name.split("-")[2])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid():
            try:
                os.kill(pid, 0)  # no signal sent: only asks whether the process exists
                continue
            except ProcessLookupError:
                pass
            except (PermissionError, OSError):
                continue  # it exists (another user's), or this platform cannot tell
        shutil.rmtree(folder, ignore_errors=True)


class Staging:
    """A hidden folder in `out` where one run writes its files, moved into `out` by `commit`.

    Args:
        out: the output folder (it must exist and be writable, see `checks.prepare_out`).
        names: every file this command owns in `out`. After `commit`, each of them is either
            from this run or absent: an earlier run's file that this run did not write (a
            figure, after a run with ``--no-plots``) is removed, so that ``out`` never mixes
            runs.
        label: a word for the folder's name (``.train-staging-<process id>-…``).

    Use it as a context manager: on leaving the block without a commit, the staging folder
    and what was written into it are removed and `out` is left as it was. A staging folder
    left by a process that was killed is removed by the next run of the same command.
    """

    def __init__(self, out: Path, names: Sequence[str], label: str) -> None:
        self.out = out
        self.names = tuple(names)
        self.label = label
        self.folder: Path | None = None

    def __enter__(self) -> Staging:
        _remove_abandoned(self.out, self.label)
        try:
            with interrupts_held():  # a folder is never left without an owner to remove it
                self.folder = Path(
                    tempfile.mkdtemp(prefix=f".{self.label}-staging-{os.getpid()}-", dir=self.out)
                )
            return self
        except BaseException:
            self.discard()
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.discard()

    def path(self, name: str) -> Path:
        """Where to write the file `name` (one of `names`) of this run."""
        if name not in self.names:
            raise ValueError(f"Staging.path: {name!r} is not one of {self.names}")
        if self.folder is None:
            raise RuntimeError("Staging.path: the run's files were already moved or discarded")
        return self.folder / name

    def staged(self) -> list[str]:
        """The names written so far, in the order of `names`."""
        if self.folder is None:
            return []
        return [n for n in self.names if (self.folder / n).is_file()]

    def commit(self) -> tuple[list[Path], list[Path]]:
        """Move the staged files into `out` together and remove the owned files not written.

        Ctrl-C is held back until the move is complete. If a move fails (an OSError), the
        files moved so far are put back, so `out` keeps the previous run's files.

        Returns:
            (written, removed): the paths now holding this run's files, and the paths of an
            earlier run's files that were removed.
        """
        if self.folder is None:
            raise RuntimeError("Staging.commit: the run's files were already moved or discarded")
        folder = self.folder
        new = self.staged()
        with interrupts_held():
            previous = folder / ".previous"
            previous.mkdir()
            moved_old: list[str] = []
            moved_new: list[str] = []
            try:
                for name in self.names:
                    target = self.out / name
                    if target.is_file() or target.is_symlink():
                        os.replace(target, previous / name)
                        moved_old.append(name)
                for name in new:
                    os.replace(folder / name, self.out / name)
                    moved_new.append(name)
            except OSError:
                for name in reversed(moved_new):
                    os.replace(self.out / name, folder / name)
                for name in reversed(moved_old):
                    os.replace(previous / name, self.out / name)
                raise
            self.folder = None
            shutil.rmtree(folder, ignore_errors=True)
        written = [self.out / n for n in new]
        removed = [self.out / n for n in moved_old if n not in new]
        return written, removed

    def rescue(self, name: str, target: str) -> Path | None:
        """Move the staged file `name` to ``out/target`` on its own (None if not written).

        For a run that cannot complete: its trained model is kept as a checkpoint beside the
        previous run's files, which stay as they were.
        """
        if self.folder is None or not (self.folder / name).is_file():
            return None
        with interrupts_held():
            os.replace(self.folder / name, self.out / target)
        return self.out / target

    def discard(self) -> None:
        """Remove the staging folder and everything in it; `out` is left as it was."""
        folder = self.folder
        try:
            with interrupts_held():
                self.folder = None
                if folder is not None:
                    shutil.rmtree(folder, ignore_errors=True)
        finally:  # also when Ctrl-C came before it could be held
            if folder is not None and folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
