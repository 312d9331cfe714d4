"""Checkpoints: bit-exact round trips, atomic writes, and refusal of anything that is not ours."""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite.serialize import FORMAT, CheckpointError, load, save

DTYPES = [np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_, ">f8"]


def arrays() -> st.SearchStrategy[np.ndarray]:
    # Any values the dtype can hold, NaN payloads and infinities included.
    return st.sampled_from(DTYPES).flatmap(
        lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    )


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def files_in(d: str | Path) -> list[str]:
    return sorted(os.listdir(d))


# ---------------------------------------------------------------------- round trips


@given(st.dictionaries(st.text(max_size=12), arrays(), max_size=6))
def test_state_dict_round_trip_is_bit_exact(sd: dict[str, np.ndarray]) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "ckpt.npz")
        save(sd, path)
        out = load(path)
        assert files_in(d) == ["ckpt.npz"]
    assert isinstance(out, dict)
    assert list(out) == list(sd)  # names and their order
    for name in sd:
        assert same(out[name], sd[name]), name


def test_awkward_names_round_trip() -> None:
    names = [
        "",
        "a.b.c",
        "x/y/../z",
        "/abs",
        "ü∑€ 中文",
        "tab\there",
        "nul\x00byte",
        "nul\x00",
        ".npy",
        "a0",
    ]
    sd = {n: np.array(float(i)) for i, n in enumerate(names)}
    with tempfile.TemporaryDirectory() as d:
        save(sd, os.path.join(d, "c.npz"))
        out = load(os.path.join(d, "c.npz"))
    assert list(out) == names
    assert all(out[n] == sd[n] for n in names)


@given(
    hnp.arrays(st.sampled_from([np.float64, np.float32]), hnp.array_shapes(min_dims=0, min_side=0)),
    st.booleans(),
)
def test_tensor_round_trip(data: np.ndarray, requires_grad: bool) -> None:
    t = Tensor(data, requires_grad=requires_grad)
    with tempfile.TemporaryDirectory() as d:
        save(t, os.path.join(d, "t.npz"))
        out = load(os.path.join(d, "t.npz"))
    assert isinstance(out, Tensor)
    assert same(out.data, data) and out.requires_grad == requires_grad and out.is_leaf


def test_integer_tensor_keeps_its_dtype_and_a_one_entry_dict_stays_a_dict(tmp_path: Path) -> None:
    save(Tensor(np.arange(4), dtype=np.int32), tmp_path / "i.npz")
    out = load(tmp_path / "i.npz")
    assert isinstance(out, Tensor) and out.dtype == np.int32
    save({"tensor": np.ones(2)}, tmp_path / "d.npz")
    assert isinstance(load(tmp_path / "d.npz"), dict)


def test_tensors_and_numbers_in_a_state_dict(tmp_path: Path) -> None:
    save(
        {"t": Tensor([1.0, 2.0]), "lr": 0.1, "n": 3, "flag": True, "x": np.float32(2)},
        tmp_path / "c",
    )
    out = load(tmp_path / "c")
    assert isinstance(out, dict)
    assert same(out["t"], np.array([1.0, 2.0]))
    assert out["lr"].shape == () and out["lr"] == 0.1
    assert out["n"] == 3 and out["n"].dtype.kind == "i"
    assert out["flag"].dtype == np.bool_ and out["flag"]
    assert out["x"].dtype == np.float32
    assert files_in(tmp_path) == ["c"]  # written at exactly the given path: no suffix added


def test_module_checkpoint_restores_the_model(tmp_path: Path) -> None:
    net = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Tanh(), nn.Linear(3, 1, seed=1))
    tg.save(net.state_dict(), tmp_path / "net.npz")
    other = nn.Sequential(nn.Linear(2, 3, seed=5), nn.Tanh(), nn.Linear(3, 1, seed=6))
    sd = tg.load(tmp_path / "net.npz")
    assert isinstance(sd, dict)
    other.load_state_dict(sd)
    x = np.random.default_rng(0).standard_normal((4, 2))
    np.testing.assert_array_equal(other(x).data, net(x).data)


def test_the_file_is_an_ordinary_npz_with_a_marker(tmp_path: Path) -> None:
    save({"w": np.ones(2)}, tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as npz:
        header = json.loads(npz["__tinygrad_lite__"].tobytes())
        assert (
            header["format"] == FORMAT and header["version"] == 1 and header["kind"] == "state_dict"
        )
        assert header["entries"] == [{"name": "w", "dtype": "<f8", "shape": [2]}]
        np.testing.assert_array_equal(npz["a0"], np.ones(2))


def test_permissions_are_those_of_an_ordinary_new_file(tmp_path: Path) -> None:
    save({"w": np.ones(1)}, tmp_path / "c.npz")
    (tmp_path / "plain").write_bytes(b"")
    mode = stat.S_IMODE(os.stat(tmp_path / "c.npz").st_mode)
    assert mode == stat.S_IMODE(os.stat(tmp_path / "plain").st_mode)


# ---------------------------------------------------------------------- what save refuses


def test_object_arrays_are_refused_at_save_time(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    save({"w": np.ones(2)}, path)
    before = path.read_bytes()
    obj = np.array([{"a": 1}, None], dtype=object)
    with pytest.raises(TypeError, match=r"entry 'bad' has dtype object.*pickle"):
        save({"w": np.zeros(2), "bad": obj}, path)
    with pytest.raises(TypeError, match="entry 's' has dtype <U3"):
        save({"s": np.array(["abc"])}, path)
    with pytest.raises(TypeError, match="entry 'l' is a list"):
        save({"l": [1.0, 2.0]}, path)
    with pytest.raises(TypeError, match="keys must be str, got int 3"):
        save({3: np.ones(1)}, path)  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="expected a Tensor or a mapping"):
        save([np.ones(1)], path)  # type: ignore[arg-type]
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["c.npz"]


# ---------------------------------------------------------------------- atomic writes


def failing_write_array(after: int) -> Any:
    """A stand-in for np.lib.format.write_array that writes part of a member, then fails."""
    real = np.lib.format.write_array
    calls = [0]

    def write_array(fp: Any, arr: np.ndarray, *args: Any, **kwargs: Any) -> None:
        calls[0] += 1
        if calls[0] > after:
            fp.write(b"\x93NUMPY partial")
            raise OSError("disk full (simulated)")
        real(fp, arr, *args, **kwargs)

    return write_array


@pytest.mark.parametrize(
    "target",
    ["write_array", "fsync", "replace", "interrupt"],
)
def test_a_failed_save_leaves_the_old_checkpoint_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    path = tmp_path / "model.npz"
    old = {"w": np.arange(3.0), "b": np.ones(1)}
    save(old, path)
    before = path.read_bytes()
    new = {"w": np.full(3, 7.0), "b": np.zeros(1), "c": np.ones((50, 50))}
    if target == "write_array":  # fail midway through the second array
        monkeypatch.setattr(np.lib.format, "write_array", failing_write_array(after=2))
        expected: type[BaseException] = OSError
    elif target == "fsync":
        monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("fsync failed")))
        expected = OSError
    elif target == "replace":
        monkeypatch.setattr(
            os, "replace", lambda a, b: (_ for _ in ()).throw(OSError("rename failed"))
        )
        expected = OSError
    else:
        monkeypatch.setattr(
            np.lib.format, "write_array", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt())
        )
        expected = KeyboardInterrupt
    with pytest.raises(expected):
        save(new, path)
    monkeypatch.undo()
    assert files_in(tmp_path) == ["model.npz"]
    assert path.read_bytes() == before
    out = load(path)
    assert isinstance(out, dict) and all(same(out[k], old[k]) for k in old)


def test_a_failed_first_save_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(np.lib.format, "write_array", failing_write_array(after=1))
    with pytest.raises(OSError, match="simulated"):
        save({"w": np.ones(3)}, tmp_path / "new.npz")
    assert files_in(tmp_path) == []


def test_save_replaces_an_existing_checkpoint(tmp_path: Path) -> None:
    save({"w": np.ones(2)}, tmp_path / "c.npz")
    save({"v": np.zeros(3)}, tmp_path / "c.npz")
    out = load(tmp_path / "c.npz")
    assert list(out) == ["v"]  # type: ignore[arg-type]
    assert files_in(tmp_path) == ["c.npz"]


# ---------------------------------------------------------------------- what load refuses


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    path = tmp_path / "good.npz"
    save({"weight": np.linspace(-1, 1, 64).reshape(8, 8), "bias": np.arange(8.0)}, path)
    return path


def test_every_truncation_is_detected(checkpoint: Path, tmp_path: Path) -> None:
    data = checkpoint.read_bytes()
    cut = tmp_path / "cut.npz"
    for n in range(0, len(data), 7):
        cut.write_bytes(data[:n])
        with pytest.raises(CheckpointError, match=str(cut).replace("\\", "\\\\")):
            load(cut)
    cut.write_bytes(data[:-1])
    with pytest.raises(CheckpointError):
        load(cut)


def test_corrupted_array_bytes_are_detected(checkpoint: Path, tmp_path: Path) -> None:
    data = bytearray(checkpoint.read_bytes())
    start = bytes(data).find(np.linspace(-1, 1, 64).tobytes()[:16])
    assert start > 0
    for offset in (0, 100, 300):
        bad = bytearray(data)
        bad[start + offset] ^= 0x40
        path = tmp_path / f"bad{offset}.npz"
        path.write_bytes(bytes(bad))
        with pytest.raises(CheckpointError, match="corrupt"):
            load(path)


@given(st.one_of(st.binary(max_size=300), st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b)))
def test_random_bytes_are_not_a_checkpoint(blob: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "junk.npz")
        with open(path, "wb") as f:
            f.write(blob)
        with pytest.raises(CheckpointError, match="junk.npz"):
            load(path)


def test_a_plain_npz_or_npy_is_not_a_checkpoint(tmp_path: Path) -> None:
    np.savez(tmp_path / "plain.npz", w=np.ones(2))
    with pytest.raises(
        CheckpointError, match=r"plain.npz is a NumPy .npz archive but not a tinygrad_lite"
    ):
        load(tmp_path / "plain.npz")
    np.save(tmp_path / "one.npy", np.ones(2))
    with pytest.raises(CheckpointError, match="one.npy is a single NumPy array"):
        load(tmp_path / "one.npy")


def write_npz(path: Path, members: dict[str, np.ndarray], allow_pickle: bool = False) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, arr in members.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, arr, allow_pickle=allow_pickle)
            zf.writestr(name + ".npy", buf.getvalue())


def header(**fields: Any) -> np.ndarray:
    base = {"format": FORMAT, "version": 1, "kind": "state_dict", "entries": []}
    base.update(fields)
    return np.frombuffer(json.dumps(base).encode(), dtype=np.uint8)


class CreatesFile:
    """Unpickling this object opens (and so creates) a file: code runs on load."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> Any:
        return (open, (self.path, "w"))


def test_a_pickled_object_array_is_refused_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = np.array([CreatesFile(str(marker))], dtype=object)
    entries = [{"name": "w", "dtype": "|O", "shape": [1]}]
    path = tmp_path / "evil.npz"
    write_npz(
        path, {"__tinygrad_lite__": header(entries=entries), "a0": payload}, allow_pickle=True
    )
    assert not marker.exists()
    with pytest.raises(CheckpointError, match=r"evil.npz .*pickle"):
        load(path)
    assert not marker.exists()
    # The file really is dangerous: NumPy with pickling allowed runs the payload.
    with np.load(path, allow_pickle=True) as npz:
        npz["a0"]
    assert marker.exists()


def test_a_pickle_file_is_refused_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(CreatesFile(str(marker))))
    with pytest.raises(CheckpointError, match="evil.npz"):
        load(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("members", "match"),
    [
        ({"__tinygrad_lite__": header(version=2)}, "format version 2"),
        ({"__tinygrad_lite__": header(format="other")}, "format marker"),
        (
            {"__tinygrad_lite__": np.frombuffer(b"{not json", np.uint8)},
            "not a tinygrad_lite checkpoint",
        ),
        ({"__tinygrad_lite__": np.zeros(3)}, "header has dtype float64"),
        ({"__tinygrad_lite__": header(kind="pickle")}, "malformed checkpoint header"),
        (
            {"__tinygrad_lite__": header(entries=[{"name": "w", "dtype": "<f8", "shape": [2]}])},
            "lists 1 arrays but the archive holds 0",
        ),
        (
            {
                "__tinygrad_lite__": header(entries=[{"name": "w", "dtype": "<f8", "shape": [2]}]),
                "a0": np.ones(3),
            },
            r"entry 'w' has dtype <f8 and shape \(3,\), but the header says <f8 and \(2,\)",
        ),
        (
            {
                "__tinygrad_lite__": header(entries=[{"name": "w", "dtype": "<U1", "shape": [1]}]),
                "a0": np.array(["x"]),
            },
            "unsupported dtype",
        ),
    ],
)
def test_malformed_checkpoints_are_named(
    tmp_path: Path, members: dict[str, np.ndarray], match: str
) -> None:
    path = tmp_path / "odd.npz"
    write_npz(path, members)
    with pytest.raises(CheckpointError, match=match) as info:
        load(path)
    assert "odd.npz" in str(info.value)


def test_a_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.npz")


def test_checkpoint_error_is_a_value_error() -> None:
    assert issubclass(CheckpointError, ValueError)


# ---------------------------------------------------------------------- links, modes, names


def test_save_through_a_symlink_writes_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real.npz"
    link = tmp_path / "latest.npz"
    save({"w": np.zeros(2)}, target)
    link.symlink_to(target.name)  # a relative link, as `ln -s real.npz latest.npz` makes
    save({"w": np.ones(2)}, link)
    assert link.is_symlink() and os.readlink(link) == "real.npz"
    assert same(load(target)["w"], np.ones(2))  # type: ignore[index]
    assert files_in(tmp_path) == ["latest.npz", "real.npz"]
    # A link whose target does not exist yet creates the target, as an editor would.
    dangling = tmp_path / "next.npz"
    dangling.symlink_to(tmp_path / "sub" / "made.npz")
    (tmp_path / "sub").mkdir()
    save({"w": np.full(2, 2.0)}, dangling)
    assert dangling.is_symlink() and same(load(dangling)["w"], np.full(2, 2.0))  # type: ignore[index]
    assert files_in(tmp_path / "sub") == ["made.npz"]


def test_a_loop_of_symlinks_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(OSError, match="is a loop of symbolic links"):
        save({"w": np.ones(1)}, tmp_path / "a")
    assert files_in(tmp_path) == ["a", "b"] and (tmp_path / "a").is_symlink()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_re_saving_keeps_the_files_mode(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "secret.npz"
    save({"w": np.ones(1)}, path)
    os.chmod(path, mode)
    save({"w": np.zeros(1)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert same(load(path)["w"], np.zeros(1))  # type: ignore[index]


@pytest.mark.parametrize("name", ["x" * 244, "y" * 255, "é" * 125 + ".npz"])
def test_the_longest_legal_file_names_save(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    assert len(os.fsencode(name)) <= 255
    save({"w": np.arange(3.0)}, path)
    save({"w": np.arange(4.0)}, path)  # and replace
    assert same(load(path)["w"], np.arange(4.0))  # type: ignore[index]
    assert files_in(tmp_path) == [name]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_or_a_directory_is_never_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(FileExistsError, match=r"pipe.npz is a FIFO \(named pipe\), not a regular"):
        save({"w": np.ones(1)}, fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(IsADirectoryError, match="d.npz is a directory"):
        save({"w": np.ones(1)}, tmp_path / "d.npz")
    assert files_in(tmp_path) == ["d.npz", "pipe.npz"]


@pytest.fixture
def no_hang() -> Any:
    """Fail, rather than hang, a call that blocks for more than 5 s (SIGALRM)."""
    if not hasattr(signal, "setitimer"):
        pytest.skip("needs interval timers")

    def timeout(signum: int, frame: Any) -> None:
        raise TimeoutError("the call blocked for 5 s")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, 5.0)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, old)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_loading_a_fifo_is_refused_without_blocking(tmp_path: Path, no_hang: Any) -> None:
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)  # no writer will ever come: opening it to read would block forever
    with pytest.raises(CheckpointError, match=r"pipe.npz is a FIFO \(named pipe\), not a regular"):
        load(fifo)
    link = tmp_path / "link.npz"
    link.symlink_to(fifo)
    with pytest.raises(CheckpointError, match="link.npz is a FIFO"):
        load(link)


def test_loading_a_directory_or_a_device_is_refused(tmp_path: Path, no_hang: Any) -> None:
    with pytest.raises(CheckpointError, match="is a directory, not a regular file"):
        load(tmp_path)
    if os.path.exists("/dev/zero"):  # endless zeros: reading it would never finish
        with pytest.raises(CheckpointError, match="/dev/zero is a character device"):
            load("/dev/zero")
