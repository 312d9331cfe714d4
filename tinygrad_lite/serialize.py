"""Save and load tensors and state dicts as .npz checkpoints, atomically and without pickle.

A checkpoint is an ordinary NumPy ``.npz`` archive holding a small JSON header (a format
marker, a version, whether a Tensor or a state dict was saved, and each entry's name, dtype
and shape) and one ``.npy`` member per array. Names are kept in the header, not in the member
names, so any string key round-trips. Object arrays are refused when saving and never
unpickled when loading, so loading a file cannot run code.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from typing import IO, Any

import numpy as np

from .files import atomic_write, file_kind
from .interrupts import deferred_interrupts
from .tensor import Tensor

__all__ = ["CheckpointError", "FORMAT", "MAX_EXPANSION", "VERSION", "load", "save"]

FORMAT = "tinygrad_lite.checkpoint"
VERSION = 1
MAX_EXPANSION = 100
"""The most a deflated archive member may expand when read (uncompressed / compressed size).

`save` stores members uncompressed; a deflated member (an archive recompressed by a zip tool,
say) is read only if it expands at most this many times, so a file can never make `load`
allocate more than 100 times its own size (deflate alone can reach 1032 times)."""
_HEADER = "__tinygrad_lite__"
_KINDS = "biufc"  # bool, signed and unsigned int, float, complex
_MEMBER = re.compile(r"a(?:0|[1-9][0-9]*)\.npy")
_CHUNK = 1 << 20  # bytes read from a member at a time
_NPY_HEADER_MAX = 10_000  # NumPy's own limit on the length of a .npy header it parses

PathLike = str | os.PathLike[str]


class CheckpointError(ValueError):
    """A file is not a readable tinygrad_lite checkpoint (wrong format, truncated, corrupt)."""


def _array_for(key: str, value: Any) -> np.ndarray:
    """The array to store for one entry, or a clear error for values that need pickle."""
    if isinstance(value, Tensor):
        arr = value.data
    elif isinstance(value, (np.ndarray, np.generic, bool, int, float)):
        arr = np.asarray(value)
    else:
        raise TypeError(
            f"save: entry {key!r} is a {type(value).__name__}; values must be NumPy arrays, "
            "Tensors or Python numbers"
        )
    if arr.dtype.hasobject or arr.dtype.kind not in _KINDS:
        raise TypeError(
            f"save: entry {key!r} has dtype {arr.dtype}; only bool, integer, float and complex "
            "arrays can be saved (object arrays would need pickle, which checkpoints never use)"
        )
    return arr


def save(obj: Tensor | Mapping[str, Any], path: PathLike) -> None:
    """Write a Tensor or a state dict to `path` as a checkpoint, atomically.

    The data is written to a hidden temporary file beside the destination, flushed and synced
    to disk, then renamed over it: at every moment the destination holds either the old
    checkpoint or the complete new one, whatever fails. On an error or a KeyboardInterrupt
    the temporary file is removed and its file descriptor closed; a Ctrl-C is acted on
    between two arrays, or once the save is complete if it arrives while the new file is put
    in place. The file is written at exactly `path` (no suffix is added).

    A symbolic link is followed, as editors do: its target receives the new checkpoint and
    the link stays a link. A file that is replaced keeps its permission bits (a 0600
    checkpoint stays 0600); a new file gets the mode `open()` would give it.

    Args:
        obj: a Tensor, or a mapping from str names to NumPy arrays, Tensors or Python numbers
            (e.g. `model.state_dict()` or `optimizer.state_dict()`).
        path: where to write.

    Raises:
        TypeError: a key is not a str, or a value is not a numeric or bool array, Tensor or
            number.
        IsADirectoryError: `path` is a directory.
        FileExistsError: `path` is a FIFO, device or socket, which a save never replaces.
        OSError: `path` is a loop of symbolic links, or writing failed (the old file stays).

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from tinygrad_lite import load, save
        >>> path = os.path.join(tempfile.mkdtemp(), "weights.npz")
        >>> save({"W1": np.eye(2)}, path)
        >>> load(path)["W1"]
        array([[1., 0.],
               [0., 1.]])
    """
    if isinstance(obj, Tensor):
        kind = "tensor"
        items: list[tuple[str, np.ndarray]] = [("tensor", _array_for("tensor", obj))]
        extra: dict[str, Any] = {"requires_grad": obj.requires_grad}
    elif isinstance(obj, Mapping):
        kind = "state_dict"
        items = []
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"save: keys must be str, got {type(key).__name__} {key!r}")
            items.append((key, _array_for(key, value)))
        extra = {}
    else:
        raise TypeError(
            f"save: expected a Tensor or a mapping of names to arrays, got {type(obj).__name__}"
        )
    header = {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        **extra,
        "entries": [{"name": k, "dtype": a.dtype.str, "shape": list(a.shape)} for k, a in items],
    }
    # ensure_ascii escapes every non-ASCII character, so any Python str survives the trip.
    blob = np.frombuffer(json.dumps(header, ensure_ascii=True).encode("ascii"), dtype=np.uint8)
    members = {_HEADER: blob, **{f"a{i}": a for i, (_, a) in enumerate(items)}}
    atomic_write(os.fspath(path), _write_members(members), who="save")


def _write_members(
    members: dict[str, np.ndarray],
) -> Callable[[IO[bytes], Callable[[], None]], None]:
    def write(f: IO[bytes], poll: Callable[[], None]) -> None:
        zf = zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        try:
            with zf:
                # The layout of np.savez, with pickling switched off for every member.
                for name, arr in members.items():
                    poll()
                    with zf.open(name + ".npy", "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, arr, allow_pickle=False)
        finally:
            del zf  # freed while a Ctrl-C is held back (see _read_archive)

    return write


# ---------------------------------------------------------------------------------- reading

_READ_ERRORS = (
    ValueError,
    EOFError,
    KeyError,
    IndexError,
    struct.error,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    OverflowError,
    NotImplementedError,
    OSError,  # a seek to a corrupt offset inside the archive
    RuntimeError,  # zipfile: a member flagged as encrypted; json: nesting too deep
)
_METHODS = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}


def _check_members(p: str, zf: zipfile.ZipFile, size: int) -> dict[str, zipfile.ZipInfo]:
    """The members by name, after refusing unknown or repeated names, compressions, sizes."""
    infos = zf.infolist()
    names = [info.filename for info in infos]
    if _HEADER + ".npy" not in names:
        entries = sorted(n.removesuffix(".npy") for n in names)[:10]
        raise CheckpointError(
            f"load: {p} is a NumPy .npz archive but not a tinygrad_lite checkpoint (it has no "
            f"{_HEADER!r} entry; its entries are {entries})"
        )
    by_name: dict[str, zipfile.ZipInfo] = {}
    spans = []
    for info in infos:
        name = info.filename
        if name in by_name:
            raise CheckpointError(
                f"load: {p} is corrupt: it holds two members named {name!r}, and only one of "
                "them could be read"
            )
        if name != _HEADER + ".npy" and not _MEMBER.fullmatch(name):
            raise CheckpointError(
                f"load: {p} is corrupt: it holds a member named {name!r}; a checkpoint holds "
                f"only '{_HEADER}.npy' and NumPy arrays named 'a0.npy', 'a1.npy', ..."
            )
        by_name[name] = info
        if info.compress_type == zipfile.ZIP_STORED:
            if info.file_size != info.compress_size:
                raise CheckpointError(
                    f"load: {p} is corrupt: the uncompressed member {name!r} declares "
                    f"{info.file_size} bytes but occupies {info.compress_size}"
                )
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            if info.file_size > MAX_EXPANSION * max(info.compress_size, 1):
                raise CheckpointError(
                    f"load: {p}: the deflated member {name!r} would expand from "
                    f"{info.compress_size} to {info.file_size} bytes, more than "
                    f"{MAX_EXPANSION} times; such a file is refused as a possible zip bomb "
                    "(a checkpoint written by save is not compressed)"
                )
        else:
            method = _METHODS.get(info.compress_type, f"method {info.compress_type}")
            raise CheckpointError(
                f"load: {p}: member {name!r} is compressed with {method}; a checkpoint's "
                "members are stored uncompressed or deflated"
            )
        # A local header is at least 30 bytes and the name; the data follows it.
        spans.append((info.header_offset, info.header_offset + 30 + len(name), info))
    end = 0
    for start, data_start, info in sorted(spans, key=lambda s: s[0]):
        if start < end:
            raise CheckpointError(
                f"load: {p} is corrupt: member {info.filename!r} overlaps the member before it"
            )
        end = data_start + info.compress_size
    if end > size:
        raise CheckpointError(
            f"load: {p} is truncated or corrupt: its members claim {end} bytes, but the file "
            f"holds {size}"
        )
    return by_name


def _read_exactly(p: str, name: str, fp: IO[bytes], n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = fp.read(min(_CHUNK, n - len(data)))
        if not chunk:
            raise CheckpointError(f"load: {p} is corrupt: member {name!r} ends early")
        data += chunk
    return data


def _read_array(p: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One .npy member, its declared size checked against the archive before allocating."""
    name = info.filename
    with zf.open(info) as fp:
        prefix = _read_exactly(p, name, fp, 10)
        if prefix[:6] != b"\x93NUMPY" or prefix[6] not in (1, 2):
            raise CheckpointError(
                f"load: {p} is corrupt: member {name!r} is not a NumPy array in .npy format "
                f"version 1 or 2 (it starts with {prefix[:8]!r})"
            )
        if prefix[6] == 2:
            prefix += _read_exactly(p, name, fp, 2)
        (length,) = struct.unpack("<H" if prefix[6] == 1 else "<I", prefix[8:])
        if length > _NPY_HEADER_MAX:
            raise CheckpointError(
                f"load: {p} is corrupt: member {name!r} has a {length}-byte .npy header"
            )
        text = io.BytesIO(prefix + _read_exactly(p, name, fp, length))
        np.lib.format.read_magic(text)
        read_header = (
            np.lib.format.read_array_header_1_0
            if prefix[6] == 1
            else np.lib.format.read_array_header_2_0
        )
        shape, fortran, dtype = read_header(text)
        if dtype.hasobject:
            raise CheckpointError(
                f"load: {p} holds Python objects (dtype object) in member {name!r}, which "
                "would need pickle; a checkpoint is never unpickled"
            )
        if dtype.kind not in _KINDS or dtype.itemsize == 0:
            raise CheckpointError(f"load: {p}: member {name!r} has unsupported dtype {dtype}")
        if any(n < 0 for n in shape):
            raise CheckpointError(f"load: {p} is corrupt: member {name!r} has shape {shape}")
        count = math.prod(shape)
        if len(prefix) + length + count * dtype.itemsize != info.file_size:
            raise CheckpointError(
                f"load: {p} is corrupt: member {name!r} declares {count} values of {dtype} "
                f"({count * dtype.itemsize} bytes), but holds "
                f"{info.file_size - len(prefix) - length} bytes of data"
            )
        flat = np.empty(count, dtype)
        view = flat.view(np.uint8).data
        done = 0
        while done < view.nbytes:
            chunk = fp.read(min(_CHUNK, view.nbytes - done))
            if not chunk:
                raise CheckpointError(f"load: {p} is corrupt: member {name!r} ends early")
            view[done : done + len(chunk)] = chunk
            done += len(chunk)
        fp.read(1)  # reaches the member's end, where zipfile compares the CRC-32
    return flat.reshape(shape, order="F" if fortran else "C")


def _read_header(p: str, zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> Any:
    blob = _read_array(p, zf, members[_HEADER + ".npy"])
    try:
        if blob.dtype != np.uint8 or blob.ndim != 1:
            raise ValueError(f"header has dtype {blob.dtype} and shape {blob.shape}")
        header = json.loads(blob.tobytes().decode("ascii"))
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError("the format marker is missing or wrong")
    except (ValueError, RecursionError) as e:
        raise CheckpointError(f"load: {p} is not a tinygrad_lite checkpoint ({e})") from e
    version = header.get("version")
    if not isinstance(version, int) or version > VERSION or version < 1:
        raise CheckpointError(
            f"load: {p} has checkpoint format version {version!r}; this version of "
            f"tinygrad_lite reads versions 1 to {VERSION}"
        )
    entries: Any = header.get("entries")
    kind = header.get("kind")
    ok = (
        kind in ("tensor", "state_dict")
        and isinstance(entries, list)
        and all(
            isinstance(e, dict)
            and isinstance(e.get("name"), str)
            and isinstance(e.get("dtype"), str)
            and isinstance(e.get("shape"), list)
            and all(isinstance(n, int) for n in e["shape"])
            for e in entries
        )
        and (kind != "tensor" or len(entries) == 1)
    )
    if not ok:
        raise CheckpointError(f"load: {p} has a malformed checkpoint header")
    names = [e["name"] for e in entries]
    if len(set(names)) != len(names):
        twice = next(n for i, n in enumerate(names) if n in names[:i])
        raise CheckpointError(
            f"load: {p} is corrupt: its header lists the name {twice!r} more than once"
        )
    expected = {_HEADER + ".npy", *(f"a{i}.npy" for i in range(len(entries)))}
    if set(members) != expected:
        missing, unlisted = sorted(expected - set(members)), sorted(set(members) - expected)
        raise CheckpointError(
            f"load: {p} is corrupt: the header lists {len(entries)} arrays but the archive "
            f"holds {len(members) - 1}"
            + (f"; missing: {missing[:5]}" if missing else "")
            + (f"; not listed: {unlisted[:5]}" if unlisted else "")
        )
    return header


def _guarded(p: str, read: Callable[..., Any], *args: Any) -> Any:
    """Run one read, any low-level failure of which means the file is corrupt."""
    try:
        return read(*args)
    except CheckpointError:
        raise
    except _READ_ERRORS as e:
        raise CheckpointError(f"load: {p} is corrupt ({type(e).__name__}: {e})") from e


def _read_entry(p: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo, entry: Any) -> np.ndarray:
    arr = _read_array(p, zf, info)
    if arr.dtype.str != entry["dtype"] or list(arr.shape) != entry["shape"]:
        raise CheckpointError(
            f"load: {p} is corrupt: entry {entry['name']!r} has dtype {arr.dtype.str} and shape "
            f"{arr.shape}, but the header says {entry['dtype']} and {tuple(entry['shape'])}"
        )
    return arr


def _read_archive(
    p: str, f: IO[bytes], size: int, poll: Callable[[], None]
) -> tuple[Any, dict[str, np.ndarray]]:
    try:
        zf = zipfile.ZipFile(f)
    except _READ_ERRORS as e:
        raise CheckpointError(
            f"load: {p} is not a tinygrad_lite checkpoint or is truncated ({e})"
        ) from e
    try:
        with zf:
            members = _guarded(p, _check_members, p, zf, size)
            header = _guarded(p, _read_header, p, zf, members)
            out: dict[str, np.ndarray] = {}
            for i, entry in enumerate(header["entries"]):
                # Outside _guarded: what a signal handler raises here passes unchanged.
                poll()
                info = members[f"a{i}.npy"]
                out[entry["name"]] = _guarded(p, _read_entry, p, zf, info, entry)
        return header, out
    finally:
        # Freed now, while a Ctrl-C is held back: ZipFile.__del__ runs Python code, and an
        # interrupt raised inside it would be reported as unraisable and lost.
        del zf


def _open_nonblocking(path: str, flags: int) -> int:
    # A FIFO swapped in after the check below would otherwise block open() until a writer came.
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _regular(p: str, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise CheckpointError(
            f"load: {p} is {file_kind(st.st_mode)}, not a regular file, so it cannot be a "
            "checkpoint"
        )


def load(path: PathLike) -> Tensor | dict[str, np.ndarray]:
    """Read a checkpoint written by `save`, without ever unpickling anything.

    Every size the file declares is checked against the file's own size before anything is
    allocated, so a small file cannot ask for a huge array; a deflated member may expand at
    most `MAX_EXPANSION` times. A FIFO, a device or a directory is refused without being
    read, so `load` never blocks waiting for a writer.

    Args:
        path: the checkpoint file.

    Returns:
        What was saved: a Tensor (with its `requires_grad`), or a dict {name: NumPy array} in
        the saved order (Tensors and numbers in a saved state dict come back as arrays).

    Raises:
        CheckpointError: the file is not a regular file or not a checkpoint of this library,
            is truncated or corrupt, holds object (pickled) arrays, members it should not
            (a second member of the same name, a path such as '../a0.npy'), or members
            compressed other than by deflate. The message names the path.
        FileNotFoundError: there is no file at `path`.
    """
    p = os.fspath(path)
    _regular(p, os.stat(p))
    # Held back so that no file descriptor is lost to a Ctrl-C; acted on between chunks.
    with deferred_interrupts() as poll, open(p, "rb", opener=_open_nonblocking) as f:
        st = os.fstat(f.fileno())
        _regular(p, st)  # the name may point elsewhere since it was checked
        magic = f.read(6)
        f.seek(0)
        if magic == b"\x93NUMPY":
            raise CheckpointError(
                f"load: {p} is a single NumPy array (.npy), not a tinygrad_lite checkpoint"
            )
        if magic[:4] != b"PK\x03\x04":
            raise CheckpointError(
                f"load: {p} is not a tinygrad_lite checkpoint: it is neither an .npz archive nor "
                f"a NumPy file (it starts with {magic!r})"
            )
        header, out = _read_archive(p, f, st.st_size, poll)
    if header["kind"] == "tensor":
        arr = out[header["entries"][0]["name"]]
        try:
            return Tensor(arr, bool(header.get("requires_grad")), dtype=arr.dtype)
        except TypeError as e:
            raise CheckpointError(f"load: {p} holds a tensor that cannot be restored ({e})") from e
    return out
