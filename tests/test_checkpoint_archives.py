"""Hostile archives: every malformed member is a CheckpointError, and no size is trusted."""

from __future__ import annotations

import io
import json
import struct
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_lite.serialize import MAX_EXPANSION, CheckpointError, load, save

STORED, DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED


def npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=True)
    return buf.getvalue()


def npy_header(shape: tuple[int, ...], descr: str = "<f8", version: int = 1) -> bytes:
    """A .npy header alone, declaring whatever shape it is told."""
    text = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode("latin1")
    prefix = 8 + (2 if version == 1 else 4)
    text += b" " * ((64 - (prefix + len(text) + 1) % 64) % 64) + b"\n"
    length = struct.pack("<H" if version == 1 else "<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + length + text


def header(*entries: tuple[str, str, list[int]], **fields: Any) -> bytes:
    body = {
        "format": "tinygrad_lite.checkpoint",
        "version": 1,
        "kind": "state_dict",
        "entries": [{"name": n, "dtype": d, "shape": s} for n, d, s in entries],
        **fields,
    }
    return npy(np.frombuffer(json.dumps(body).encode(), dtype=np.uint8))


W = ("w", "<f8", [2])  # the one entry most cases declare


def archive(path: Path, members: list[tuple[str, bytes, int]]) -> Path:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names asked for
        with zipfile.ZipFile(path, "w") as zf:
            for name, data, method in members:
                zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return path


def patched(path: Path, member: str, field: int, value: int) -> Path:
    """Overwrite a 4-byte field of a member's central directory entry (20: compressed size,
    24: uncompressed size, 42: offset of its local header)."""
    blob = bytearray(path.read_bytes())
    at = blob.find(b"PK\x01\x02" + b"\x14")
    while at >= 0:
        (name_len,) = struct.unpack_from("<H", blob, at + 28)
        if blob[at + 46 : at + 46 + name_len] == member.encode():
            struct.pack_into("<I", blob, at + field, value)
            path.write_bytes(bytes(blob))
            return path
        at = blob.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"no central directory entry for {member}")


GOOD = npy(np.array([1.0, 2.0]))


def flipped_after(path: Path, marker: bytes, offset: int) -> Path:
    """Flip the bits of one byte `offset` bytes after the first `marker` (a member's data)."""
    blob = bytearray(path.read_bytes())
    blob[blob.find(marker) + len(marker) + offset] ^= 0xFF
    path.write_bytes(bytes(blob))
    return path


def _lzma_or_bz2(method: int) -> int:
    module = "lzma" if method == zipfile.ZIP_LZMA else "bz2"
    pytest.importorskip(module)
    return method


def cases(tmp: Path) -> dict[str, tuple[Path, str]]:
    """Each hostile file and the message its CheckpointError must carry."""
    head = ("__tinygrad_lite__.npy", header(W), STORED)
    return {
        "duplicate member": (
            archive(
                tmp / "dup.npz",
                [head, ("a0.npy", GOOD, STORED), ("a0.npy", npy(np.zeros(2)), STORED)],
            ),
            "it holds two members named 'a0.npy'",
        ),
        "shadowing member": (
            archive(tmp / "shadow.npz", [head, ("a0.npy", GOOD, STORED), ("a0", GOOD, STORED)]),
            "it holds a member named 'a0';",
        ),
        "member that is not .npy": (
            archive(tmp / "text.npz", [head, ("a0", b"hello, world", STORED)]),
            "it holds a member named 'a0';",
        ),
        "path traversal": (
            archive(tmp / "trav.npz", [head, ("../a0.npy", GOOD, STORED)]),
            "it holds a member named '../a0.npy';",
        ),
        "directory entry": (
            archive(tmp / "dir.npz", [head, ("a0.npy", GOOD, STORED), ("sub/", b"", STORED)]),
            "it holds a member named 'sub/'",
        ),
        "name listed twice": (
            archive(
                tmp / "twice.npz",
                [
                    ("__tinygrad_lite__.npy", header(W, W), STORED),
                    ("a0.npy", GOOD, STORED),
                    ("a1.npy", npy(np.zeros(2)), STORED),
                ],
            ),
            "its header lists the name 'w' more than once",
        ),
        "member not listed": (
            archive(tmp / "extra.npz", [head, ("a0.npy", GOOD, STORED), ("a1.npy", GOOD, STORED)]),
            "lists 1 arrays but the archive holds 2; not listed: ['a1.npy']",
        ),
        "8 TiB declared in a small file": (
            archive(
                tmp / "huge.npz",
                [
                    ("__tinygrad_lite__.npy", header(("w", "<f8", [2**40])), STORED),
                    ("a0.npy", npy_header((2**40,)), STORED),
                ],
            ),
            "member 'a0.npy' declares 1099511627776 values of float64 (8796093022208 bytes), "
            "but holds 0 bytes",
        ),
        "fewer values than declared": (
            archive(tmp / "short.npz", [head, ("a0.npy", npy_header((2,)) + b"\0" * 8, STORED)]),
            "declares 2 values of float64 (16 bytes), but holds 8 bytes",
        ),
        "negative dimensions": (
            archive(tmp / "neg.npz", [head, ("a0.npy", npy_header((-2, -1)) + GOOD[-16:], STORED)]),
            "member 'a0.npy' has shape (-2, -1)",
        ),
        ".npy version 3": (
            archive(tmp / "v3.npz", [head, ("a0.npy", b"\x93NUMPY\x03\x00" + GOOD[8:], STORED)]),
            "is not a NumPy array in .npy format version 1 or 2",
        ),
        "oversized .npy header": (
            archive(
                tmp / "longhead.npz",
                [
                    head,
                    (
                        "a0.npy",
                        npy_header((2,), version=2)[:8] + struct.pack("<I", 2**31) + b" " * 64,
                        STORED,
                    ),
                ],
            ),
            "has a 2147483648-byte .npy header",
        ),
        "not a .npy at all": (
            archive(tmp / "raw.npz", [head, ("a0.npy", b"\x00" * 64, STORED)]),
            "is not a NumPy array in .npy format",
        ),
        "LZMA member": (
            archive(tmp / "lzma.npz", [head, ("a0.npy", GOOD, _lzma_or_bz2(zipfile.ZIP_LZMA))]),
            "member 'a0.npy' is compressed with LZMA",
        ),
        "corrupt LZMA member": (
            flipped_after(
                archive(
                    tmp / "badlzma.npz",
                    [head, ("a0.npy", npy(np.arange(64.0)), _lzma_or_bz2(zipfile.ZIP_LZMA))],
                ),
                b"a0.npy",
                30,
            ),
            "member 'a0.npy' is compressed with LZMA",
        ),
        "bzip2 member": (
            archive(tmp / "bz2.npz", [head, ("a0.npy", GOOD, _lzma_or_bz2(zipfile.ZIP_BZIP2))]),
            "member 'a0.npy' is compressed with bzip2",
        ),
        "deflate bomb": (
            archive(
                tmp / "bomb.npz",
                [
                    ("__tinygrad_lite__.npy", header(("w", "<f8", [2_000_000])), STORED),
                    ("a0.npy", npy(np.zeros(2_000_000)), DEFLATED),
                ],
            ),
            f"would expand from 15640 to 16000128 bytes, more than {MAX_EXPANSION} times",
        ),
        "stored sizes disagree": (
            patched(
                archive(tmp / "sizes.npz", [head, ("a0.npy", GOOD, STORED)]), "a0.npy", 24, 2**31
            ),
            "the uncompressed member 'a0.npy' declares 2147483648 bytes but occupies 144",
        ),
        "member beyond the end of the file": (
            patched(
                patched(
                    archive(tmp / "beyond.npz", [head, ("a0.npy", GOOD, STORED)]),
                    "a0.npy",
                    20,
                    2**30,
                ),
                "a0.npy",
                24,
                2**30,
            ),
            "its members claim",
        ),
        "overlapping members": (
            patched(
                archive(
                    tmp / "overlap.npz", [head, ("a0.npy", GOOD, STORED), ("a1.npy", GOOD, STORED)]
                ),
                "a1.npy",
                42,
                200,  # inside the header member's data
            ),
            "member 'a1.npy' overlaps the member before it",
        ),
        "JSON nested too deep": (
            archive(
                tmp / "deep.npz",
                [("__tinygrad_lite__.npy", npy(np.frombuffer(b"[" * 100_000, np.uint8)), STORED)],
            ),
            "deep.npz is not a tinygrad_lite checkpoint",
        ),
    }


CASE_NAMES = [
    "duplicate member",
    "shadowing member",
    "member that is not .npy",
    "path traversal",
    "directory entry",
    "name listed twice",
    "member not listed",
    "8 TiB declared in a small file",
    "fewer values than declared",
    "negative dimensions",
    ".npy version 3",
    "oversized .npy header",
    "not a .npy at all",
    "LZMA member",
    "corrupt LZMA member",
    "bzip2 member",
    "deflate bomb",
    "stored sizes disagree",
    "member beyond the end of the file",
    "overlapping members",
    "JSON nested too deep",
]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_hostile_archives_are_checkpoint_errors_naming_the_problem(
    tmp_path: Path, case: str
) -> None:
    path, message = cases(tmp_path)[case]
    with pytest.raises(CheckpointError) as info:
        load(path)
    assert str(path) in str(info.value)
    assert message in str(info.value), str(info.value)


def test_a_corrupt_deflated_member_is_a_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    save({"w": np.linspace(0.0, 1.0, 500)}, path)
    recompressed = recompress(path, tmp_path / "z.npz")
    blob = bytearray(recompressed.read_bytes())
    start = blob.find(b"a0.npy") + len("a0.npy")  # the member's data follows its local header
    for offset in (40, 400, 2000):
        bad = bytearray(blob)
        bad[start + offset] ^= 0x55
        (tmp_path / "bad.npz").write_bytes(bytes(bad))
        with pytest.raises(CheckpointError, match="bad.npz"):
            load(tmp_path / "bad.npz")


def recompress(src: Path, dst: Path) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
    return dst


def test_a_deflated_checkpoint_within_the_bound_loads_exactly(tmp_path: Path) -> None:
    state = {"w": np.random.default_rng(0).standard_normal((40, 30)), "b": np.zeros(3)}
    save(state, tmp_path / "c.npz")
    out = load(recompress(tmp_path / "c.npz", tmp_path / "z.npz"))
    assert isinstance(out, dict) and list(out) == ["w", "b"]
    assert all(out[k].tobytes() == v.tobytes() for k, v in state.items())


def test_declared_sizes_are_checked_before_anything_is_allocated(tmp_path: Path) -> None:
    n = 32 * 2**20  # 256 MiB of float64 declared in a file of a few hundred bytes
    path = archive(
        tmp_path / "liar.npz",
        [
            ("__tinygrad_lite__.npy", header(("w", "<f8", [n])), STORED),
            ("a0.npy", npy_header((n,)) + b"\0" * 64, STORED),
        ],
    )
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match="declares 33554432 values"):
            load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, f"{peak} bytes were allocated for a {path.stat().st_size}-byte file"


@pytest.mark.parametrize("order", ["F", "strided"])
def test_fortran_ordered_and_strided_arrays_round_trip(tmp_path: Path, order: str) -> None:
    base = np.arange(24.0).reshape(4, 6)
    arr = np.asfortranarray(base) if order == "F" else base[::2, ::3]
    save({"a": arr}, tmp_path / "c.npz")
    out = load(tmp_path / "c.npz")
    assert isinstance(out, dict)
    np.testing.assert_array_equal(out["a"], arr)
    assert out["a"].flags.writeable


# A pool of members, good and hostile; any archive built from them either loads exactly
# {"w": [1, 2]} (the header and one good a0.npy, nothing else) or is a CheckpointError.
POOL: list[tuple[str, bytes]] = [
    ("a0.npy", GOOD),
    ("a0.npy", npy(np.array([1.0, 2.0], dtype=np.float32))),
    ("a0.npy", GOOD[:-3]),
    ("a0.npy", npy_header((2**40,))),
    ("a0.npy", npy(np.array([object()], dtype=object))),
    ("a0.npy", b"\x93NUMPY\x01\x00\xff\xff" + b"{" * 64),
    ("a1.npy", GOOD),
    ("a0", GOOD),
    ("../a0.npy", GOOD),
    ("/abs/a0.npy", GOOD),
    ("A0.npy", GOOD),
    ("a00.npy", GOOD),
    ("__tinygrad_lite__.npy", header(W)),
    ("__tinygrad_lite__.npy", header(W, kind="tensor", requires_grad=True)),
    ("__tinygrad_lite__.npy", header(("w", "<f8", [3]))),
    ("__tinygrad_lite__.npy", GOOD),
]


@given(
    st.lists(
        st.tuples(st.sampled_from(range(len(POOL))), st.sampled_from([STORED, DEFLATED])),
        max_size=4,
    )
)
def test_any_mix_of_good_and_hostile_members_loads_exactly_or_is_refused(
    picks: list[tuple[int, int]],
) -> None:
    import tempfile

    members = [(POOL[i][0], POOL[i][1], method) for i, method in picks]
    with tempfile.TemporaryDirectory() as d:
        path = archive(
            Path(d) / "mix.npz", [("__tinygrad_lite__.npy", header(W), STORED), *members]
        )
        try:
            out = load(path)
        except CheckpointError:
            return
    assert [(name, data) for name, data, _ in members] == [("a0.npy", GOOD)]
    assert isinstance(out, dict) and list(out) == ["w"]
    assert out["w"].tobytes() == np.array([1.0, 2.0]).tobytes()
