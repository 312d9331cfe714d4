"""Files replaced atomically: written beside, synced, renamed; links followed, modes kept."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from typing import IO

from .interrupts import deferred_interrupts

__all__ = ["atomic_write", "file_kind"]


def file_kind(mode: int) -> str:
    """Name the kind of file an `os.stat` mode describes: 'a regular file', 'a directory', ...

    Args:
        mode: `st_mode` from `os.stat` or `os.lstat`.

    Example:
        >>> import os
        >>> from tinygrad_lite.files import file_kind
        >>> file_kind(os.stat(".").st_mode)
        'a directory'
    """
    kinds = [
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _destination(who: str, path: str) -> tuple[str, int | None]:
    """The file a write to `path` replaces (links followed), and its permission bits if any."""
    target = os.path.realpath(path)
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return target, None
    if stat.S_ISLNK(st.st_mode):  # realpath stops at a loop
        raise OSError(f"{who}: {path} is a loop of symbolic links")
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"{who}: {path} is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise FileExistsError(
            f"{who}: {path} is {file_kind(st.st_mode)}, not a regular file; only a regular "
            "file is ever replaced"
        )
    return target, stat.S_IMODE(st.st_mode)


def _temporary_name(target: str) -> str:
    """A fresh hidden name beside `target` that fits the file system's limit on name length."""
    directory, name = os.path.split(target)
    try:
        limit = os.pathconf(directory, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # no pathconf, or no such directory
        limit = 255
    limit = limit if limit > 0 else 255
    token = secrets.token_hex(8)
    stem = name
    while stem and len(os.fsencode(f".{stem}.{token}.tmp")) > limit:
        stem = stem[:-1]
    return os.path.join(directory, f".{stem}.{token}.tmp")


def atomic_write(
    path: str, write: Callable[[IO[bytes], Callable[[], None]], None], who: str = "write"
) -> None:
    """Replace the file at `path` with what `write` writes, all or nothing.

    `write(f, poll)` writes into a hidden temporary file beside the destination; the file is
    then flushed, synced to disk and renamed over the destination, and the rename is synced
    too. At every moment the destination holds the old content or the complete new one. If
    `write` or anything after it fails, or a KeyboardInterrupt arrives, the temporary file is
    removed and its descriptor closed. A Ctrl-C is held back (see
    `tinygrad_lite.interrupts.deferred_interrupts`) and acted on where `write` calls `poll()`,
    just before the rename, or after the rename when it arrives during it.

    A symbolic link is followed, as editors do: its target gets the new content and the link
    stays. A replaced file keeps its permission bits; a new one gets the mode `open()` would
    give it. A long file name works: the temporary name is shortened to fit the file system.

    Args:
        path: the destination.
        write: writes the content to a binary file object; calls `poll()` between pieces.
        who: the name that error messages begin with.

    Raises:
        IsADirectoryError: `path` is a directory.
        FileExistsError: `path` is a FIFO, device or socket, which is never replaced.
        OSError: `path` is a loop of symbolic links, or writing failed (the old file stays).
    """
    target, mode = _destination(who, path)
    tmp = _temporary_name(target)
    # Inside this block a Ctrl-C waits for poll(): the descriptor is never lost between open()
    # and the name that holds it, and the rename is never half recorded.
    with deferred_interrupts() as poll:
        f: IO[bytes] | None = None
        renamed = False
        try:
            # "x" is O_EXCL: never another's file; a new file's mode is left to the umask.
            f = open(tmp, "xb")  # closed in the finally below
            if mode is not None:
                os.chmod(tmp, mode)
            write(f, poll)
            f.flush()
            os.fsync(f.fileno())
            f.close()
            poll()
            os.replace(tmp, target)
            renamed = True
        finally:
            if f is not None:
                with contextlib.suppress(OSError):
                    f.close()
                if not renamed:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
        _sync_directory(os.path.dirname(target))


def _sync_directory(directory: str) -> None:
    # Makes the rename itself durable (POSIX); not every platform can open a directory.
    with contextlib.suppress(OSError):
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
