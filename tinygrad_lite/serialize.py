"""Save and load tensors and state dicts as .npz checkpoints, atomically and without pickle.

A checkpoint is an ordinary NumPy ``.npz`` archive holding a small JSON header (a format
marker, a version, whether a Tensor or a state dict was saved, and each entry's name, dtype
and shape) and one ``.npy`` member per array. Names are kept in the header, not in the member
names, so any string key round-trips. Object arrays are refused when saving and never
unpickled when loading, so loading a file cannot run code.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["CheckpointError", "FORMAT", "VERSION", "load", "save"]

FORMAT = "tinygrad_lite.checkpoint"
VERSION = 1
_HEADER = "__tinygrad_lite__"
_KINDS = "biufc"  # bool, signed and unsigned int, float, complex

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

    The data is written to a temporary file in the same directory, flushed and synced to disk,
    then renamed over `path`. If anything fails, the temporary file is removed and a file
    already at `path` is left as it was. The file is written at exactly `path` (no suffix is
    added).

    Args:
        obj: a Tensor, or a mapping from str names to NumPy arrays, Tensors or Python numbers
            (e.g. `model.state_dict()` or `optimizer.state_dict()`).
        path: where to write.

    Raises:
        TypeError: a key is not a str, or a value is not a numeric or bool array, Tensor or
            number.

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
    _atomic_write(os.fspath(path), members)


def _atomic_write(path: str, members: dict[str, np.ndarray]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(
        directory, f".{os.path.basename(path)}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    )
    # O_EXCL: never clobber another file; mode 0o666 lets the umask decide, as open() does.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            # The layout of np.savez, with pickling switched off for every member.
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
                for name, arr in members.items():
                    with zf.open(name + ".npy", "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, arr, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # Make the rename itself durable (POSIX); not every platform can open a directory.
    with contextlib.suppress(OSError):
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


_READ_ERRORS = (
    ValueError,
    EOFError,
    KeyError,
    zipfile.BadZipFile,
    zlib.error,
    UnicodeDecodeError,
    OverflowError,
    NotImplementedError,
    OSError,  # a seek to a corrupt offset inside the archive
    RuntimeError,  # zipfile: a member flagged as encrypted
)


def _read_header(path: str, npz: Any) -> dict[str, Any]:
    if _HEADER not in npz.files:
        raise CheckpointError(
            f"load: {path} is a NumPy .npz archive but not a tinygrad_lite checkpoint (it has "
            f"no {_HEADER!r} entry; its entries are {sorted(npz.files)[:10]})"
        )
    blob = npz[_HEADER]
    try:
        if blob.dtype != np.uint8 or blob.ndim != 1:
            raise ValueError(f"header has dtype {blob.dtype} and shape {blob.shape}")
        header = json.loads(blob.tobytes().decode("ascii"))
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError("the format marker is missing or wrong")
    except ValueError as e:
        raise CheckpointError(f"load: {path} is not a tinygrad_lite checkpoint ({e})") from e
    version = header.get("version")
    if not isinstance(version, int) or version > VERSION or version < 1:
        raise CheckpointError(
            f"load: {path} has checkpoint format version {version!r}; this version of "
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
        raise CheckpointError(f"load: {path} has a malformed checkpoint header")
    expected = {_HEADER, *(f"a{i}" for i in range(len(entries)))}
    if set(npz.files) != expected:
        raise CheckpointError(
            f"load: {path} is corrupt: the header lists {len(entries)} arrays but the archive "
            f"holds {len(npz.files) - (_HEADER in npz.files)}"
        )
    return header


def load(path: PathLike) -> Tensor | dict[str, np.ndarray]:
    """Read a checkpoint written by `save`, without ever unpickling anything.

    Args:
        path: the checkpoint file.

    Returns:
        What was saved: a Tensor (with its `requires_grad`), or a dict {name: NumPy array} in
        the saved order (Tensors and numbers in a saved state dict come back as arrays).

    Raises:
        CheckpointError: the file is not a checkpoint of this library, is truncated or
            corrupt, or holds object (pickled) arrays. The message names the path.
        FileNotFoundError: there is no file at `path`.
    """
    p = os.fspath(path)
    with open(p, "rb") as f:
        magic = f.read(6)
        f.seek(0)
        if magic[:4] != b"PK\x03\x04" and magic != b"\x93NUMPY":
            raise CheckpointError(
                f"load: {p} is not a tinygrad_lite checkpoint: it is neither an .npz archive nor "
                f"a NumPy file (it starts with {magic!r})"
            )
        try:
            npz = np.load(f, allow_pickle=False)
        except _READ_ERRORS as e:
            raise CheckpointError(
                f"load: {p} is not a tinygrad_lite checkpoint or is truncated ({e})"
            ) from e
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise CheckpointError(
                f"load: {p} is a single NumPy array (.npy), not a tinygrad_lite checkpoint"
            )
        with npz:
            try:
                header = _read_header(p, npz)
                out: dict[str, np.ndarray] = {}
                for i, entry in enumerate(header["entries"]):
                    arr = npz[f"a{i}"]
                    if arr.dtype.kind not in _KINDS or arr.dtype.hasobject:
                        raise CheckpointError(
                            f"load: {p}: entry {entry['name']!r} has unsupported dtype {arr.dtype}"
                        )
                    if arr.dtype.str != entry["dtype"] or list(arr.shape) != entry["shape"]:
                        raise CheckpointError(
                            f"load: {p} is corrupt: entry {entry['name']!r} has dtype "
                            f"{arr.dtype.str} and shape {arr.shape}, but the header says "
                            f"{entry['dtype']} and {tuple(entry['shape'])}"
                        )
                    out[entry["name"]] = arr
            except CheckpointError:
                raise
            except _READ_ERRORS as e:
                raise CheckpointError(
                    f"load: {p} is corrupt or holds data that needs pickle, which is never "
                    f"loaded ({type(e).__name__}: {e})"
                ) from e
    if header["kind"] == "tensor":
        arr = out[header["entries"][0]["name"]]
        try:
            return Tensor(arr, bool(header.get("requires_grad")), dtype=arr.dtype)
        except TypeError as e:
            raise CheckpointError(f"load: {p} holds a tensor that cannot be restored ({e})") from e
    return out
