"""Checkpoints under faults: killed writers, failing disks, flipped bits and hostile files."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from models.two_layer import TwoLayerNet
from tinygrad_lite import Tensor, optim
from tinygrad_lite.datasets import load_planar_dataset
from tinygrad_lite.serialize import CheckpointError, load, save

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "SIGKILL"), reason="needs POSIX signals to kill a writer"
)

N_ARRAYS = 4
ARRAY_SIZE = 250_000  # 4 × 2 MB per save: long enough to be interrupted mid-write

# A child that rewrites the same checkpoint forever, version k holding the value k everywhere.
# KILL_AT selects a point inside save() where the child SIGKILLs itself, for exact placement.
WRITER = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np
    from tinygrad_lite import serialize

    path, kill_at, n, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    state = {f"layer{i}.weight": np.empty(size) for i in range(n)}

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    real_write, real_replace, real_fsync = np.lib.format.write_array, os.replace, os.fsync
    calls = [0]

    def write_array(fp, arr, *args, **kwargs):
        calls[0] += 1
        if kill_at == "before-member-3" and calls[0] == 3:
            die()
        if kill_at == "inside-member-2" and calls[0] == 2:
            raw = arr.tobytes()
            np.lib.format.write_array_header_1_0(fp, np.lib.format.header_data_from_array_1_0(arr))
            fp.write(raw[: len(raw) // 2])
            fp.flush()
            die()
        real_write(fp, arr, *args, **kwargs)

    def fsync(fd):
        if kill_at == "before-fsync":
            die()
        real_fsync(fd)

    def replace(src, dst):
        if kill_at == "before-rename":
            die()
        real_replace(src, dst)
        if kill_at == "after-rename":
            die()

    if kill_at != "random":
        np.lib.format.write_array = write_array
        os.fsync, os.replace = fsync, replace

    print("ready", flush=True)
    k = 0
    while True:
        k += 1
        for a in state.values():
            a.fill(float(k))
        serialize.save(state, path)
        print(k, flush=True)
    """
)


def version_zero(path: Path) -> None:
    save({f"layer{i}.weight": np.zeros(ARRAY_SIZE) for i in range(N_ARRAYS)}, path)


def run_writer(path: Path, kill_at: str, delay: float = 0.0) -> tuple[int, int]:
    """Start the writer, let it die (or kill it after `delay`); return (status, last version)."""
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), kill_at, str(N_ARRAYS), str(ARRAY_SIZE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
    if kill_at == "random":
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    out, err = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, err[-2000:]
    done = [int(line) for line in out.split()]
    return child.returncode, max(done, default=0)


def assert_one_whole_version(path: Path, allowed: set[int]) -> int:
    state = load(path)
    assert isinstance(state, dict)
    assert list(state) == [f"layer{i}.weight" for i in range(N_ARRAYS)]
    values = set()
    for arr in state.values():
        assert arr.shape == (ARRAY_SIZE,) and arr.dtype == np.float64
        values.update(np.unique(arr).tolist())
    assert len(values) == 1, f"a mix of versions {sorted(values)[:5]}"
    (v,) = values
    assert int(v) in allowed, (v, allowed)
    return int(v)


@pytest.mark.parametrize(
    ("kill_at", "survivor"),
    [
        ("before-member-3", "old"),
        ("inside-member-2", "old"),
        ("before-fsync", "old"),
        ("before-rename", "old"),
        ("after-rename", "new"),
    ],
)
def test_writer_killed_at_an_exact_point(tmp_path: Path, kill_at: str, survivor: str) -> None:
    path = tmp_path / "model.npz"
    version_zero(path)
    _, last = run_writer(path, kill_at)
    assert last == 0  # it died inside its first save
    assert_one_whole_version(path, {0} if survivor == "old" else {1})
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name != "model.npz")
    if survivor == "old":
        # A killed process cannot clean up: its temporary file stays, hidden, beside the
        # checkpoint, and never in its place.
        assert len(leftovers) == 1 and leftovers[0].startswith(".model.npz.")
        assert leftovers[0].endswith(".tmp")
    else:
        assert leftovers == []


def test_writer_killed_after_random_delays(tmp_path: Path) -> None:
    rng = random.Random(1234)
    path = tmp_path / "model.npz"
    version_zero(path)
    seen = []
    interrupted = 0
    for delay in [0.0, *sorted(rng.uniform(0.01, 0.6) for _ in range(5))]:
        _, last = run_writer(path, "random", delay)
        # The file holds the last completed save, or the one in flight if its rename landed
        # before the kill (the child had no time to say so). Each run starts again at 1.
        v = assert_one_whole_version(path, {seen[-1] if seen else 0, last, last + 1})
        seen.append(v)
        for tmp in tmp_path.glob(".model.npz.*.tmp"):
            interrupted += 1
            tmp.unlink()
    assert max(seen) >= 1  # at least one run completed a save, so the old file was replaced
    assert interrupted >= 1  # and at least one kill landed in the middle of a write


# ------------------------------------------------------------------------------ failing writes


def test_failure_while_writing_the_zip_directory_keeps_the_old_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.npz"
    save({"w": np.arange(4.0)}, path)
    before = path.read_bytes()

    def fail(self: Any) -> None:
        raise OSError("no space left on device (simulated)")

    # The last thing written is the zip's central directory: fail exactly there.
    monkeypatch.setattr(zipfile.ZipFile, "_write_end_record", fail)
    with pytest.raises(OSError, match="simulated"):
        save({"w": np.full(4, 9.0)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]
    np.testing.assert_array_equal(load(path)["w"], np.arange(4.0))  # type: ignore[index]


def test_save_into_a_missing_directory_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        save({"w": np.ones(2)}, tmp_path / "no" / "such" / "c.npz")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------ hostile files


class CreatesFile:
    """Unpickling this object opens (so creates) a file: proof that code ran."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> Any:
        return (open, (self.path, "w"))


def npz_with(path: Path, members: dict[str, np.ndarray]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, arr in members.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, arr, allow_pickle=True)
            zf.writestr(name + ".npy", buf.getvalue())


def header_for(entries: list[dict[str, Any]]) -> np.ndarray:
    text = json.dumps(
        {
            "format": "tinygrad_lite.checkpoint",
            "version": 1,
            "kind": "state_dict",
            "entries": entries,
        }
    )
    return np.frombuffer(text.encode(), dtype=np.uint8)


@pytest.mark.parametrize("where", ["header", "member-claiming-float", "second-member"])
def test_pickle_payloads_are_refused_without_running(tmp_path: Path, where: str) -> None:
    marker = tmp_path / "payload-ran"
    evil = np.array([CreatesFile(str(marker))], dtype=object)
    entries = [{"name": "w", "dtype": "<f8", "shape": [1]}]
    if where == "header":  # the header itself is a pickle
        members = {"__tinygrad_lite__": evil, "a0": np.ones(1)}
    elif where == "member-claiming-float":  # the header lies about the member's dtype
        members = {"__tinygrad_lite__": header_for(entries), "a0": evil}
    else:  # a good first entry, then the payload
        entries.append({"name": "b", "dtype": "<f8", "shape": [1]})
        members = {"__tinygrad_lite__": header_for(entries), "a0": np.ones(1), "a1": evil}
    path = tmp_path / "evil.npz"
    npz_with(path, members)
    with pytest.raises(CheckpointError, match="evil.npz"):
        load(path)
    assert not marker.exists()
    # The payload is live: NumPy with pickling allowed would have run it.
    with np.load(path, allow_pickle=True) as npz:
        for name in npz.files:
            npz[name]
    assert marker.exists()


# ------------------------------------------------------------------------------ bit flips


STATE = {
    "W1": np.linspace(-1.0, 1.0, 8).reshape(4, 2),
    "b1": np.zeros((4, 1), dtype=np.float32),
    "empty": np.zeros((0, 3)),
    "scalar": np.float64(3.5),
}


@pytest.fixture(scope="module")
def good_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("good") / "good.npz"
    save(STATE, path)
    return path.read_bytes()


def load_bytes(blob: bytes, tmp: Path) -> Any:
    path = tmp / "flipped.npz"
    path.write_bytes(blob)
    return load(path)


def flipped(blob: bytes, position: int, bit: int) -> bytes:
    out = bytearray(blob)
    out[position] ^= 1 << bit
    return bytes(out)


@given(position=st.integers(0, 10_000), bit=st.integers(0, 7))
def test_a_flipped_bit_never_loads_as_different_data(
    good_bytes: bytes, tmp_path_factory: pytest.TempPathFactory, position: int, bit: int
) -> None:
    blob = flipped(good_bytes, position % len(good_bytes), bit)
    try:
        out = load_bytes(blob, tmp_path_factory.getbasetemp())
    except Exception:  # which exception is checked below; here only silent damage matters
        return
    # Bits outside the data (a timestamp, say) may flip harmlessly: then the data is intact.
    assert list(out) == list(STATE)
    for k, v in STATE.items():
        assert out[k].dtype == np.asarray(v).dtype and out[k].tobytes() == np.asarray(v).tobytes()


def _zip_fields(blob: bytes) -> tuple[int, int]:
    """Offsets of the end record's 'central directory offset' and a directory entry's flags."""
    eocd = blob.rfind(b"PK\x05\x06")
    central = blob.find(b"PK\x01\x02")
    return eocd + 16, central + 8


def test_corrupt_central_directory_offset_is_a_checkpoint_error(
    good_bytes: bytes, tmp_path: Path
) -> None:
    offset_field, _ = _zip_fields(good_bytes)
    with pytest.raises(CheckpointError):
        load_bytes(flipped(good_bytes, offset_field + 2, 0), tmp_path)


def test_member_marked_encrypted_is_a_checkpoint_error(good_bytes: bytes, tmp_path: Path) -> None:
    _, flags_field = _zip_fields(good_bytes)
    with pytest.raises(CheckpointError):
        load_bytes(flipped(good_bytes, flags_field, 0), tmp_path)


# ------------------------------------------------------------------------------ round trips


names = st.text(min_size=0, max_size=12)
values = st.sampled_from(["<f4", "<f8", ">f8", "<i8", "|b1"]).flatmap(
    lambda dt: hnp.arrays(
        np.dtype(dt),
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
        elements=None if np.dtype(dt).kind != "f" else st.floats(width=8 * np.dtype(dt).itemsize),
    )
)


@given(st.dictionaries(names, values, max_size=6))
def test_any_state_dict_round_trips_bit_for_bit(state: dict[str, np.ndarray]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "sd.npz")
        save(state, path)
        out = load(path)
    assert isinstance(out, dict)
    assert list(out) == list(state)  # names and their order
    for k, v in state.items():
        assert out[k].dtype == v.dtype and out[k].shape == v.shape
        assert out[k].tobytes() == v.tobytes()  # NaN payloads and -0.0 included


def test_training_resumed_from_a_checkpoint_matches_uninterrupted_training(
    tmp_path: Path,
) -> None:
    X, Y = load_planar_dataset(m=120)
    Xt, Yt = Tensor(X), Tensor(Y)

    def run(net: TwoLayerNet, opt: optim.Adam, steps: int) -> list[float]:
        costs = []
        for _ in range(steps):
            opt.zero_grad()
            cost = net.cost(Xt, Yt)
            cost.backward()
            opt.step()
            costs.append(cost.item())
        return costs

    net = TwoLayerNet(2, 4, 1, seed=2)
    opt = optim.Adam(net.parameters(), lr=0.05)
    straight = run(net, opt, 60)
    final = net.state_dict()

    net = TwoLayerNet(2, 4, 1, seed=2)
    opt = optim.Adam(net.parameters(), lr=0.05)
    first = run(net, opt, 25)
    save(net.state_dict(), tmp_path / "model.npz")
    save(opt.state_dict(), tmp_path / "optim.npz")
    del net, opt

    net = TwoLayerNet(2, 4, 1, seed=7)  # different initial weights: all must come from disk
    opt = optim.Adam(net.parameters(), lr=0.5)
    model_state = load(tmp_path / "model.npz")
    optim_state = load(tmp_path / "optim.npz")
    assert isinstance(model_state, dict) and isinstance(optim_state, dict)
    net.load_state_dict(model_state)
    opt.load_state_dict(optim_state)
    resumed = first + run(net, opt, 35)
    assert resumed == straight  # bit for bit
    for k, v in final.items():
        np.testing.assert_array_equal(net.state_dict()[k], v)
