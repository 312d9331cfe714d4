"""Buffers of Modules: register_buffer, named_buffers, state dicts, checkpoints and compile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn, tracing


class Scaler(nn.Module):
    """y = (x - shift) · w, with a persistent buffer `shift` and a non-persistent `cache`."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(np.array([2.0, 3.0]))
        self.register_buffer("shift", Tensor(np.array([1.0, -1.0])))
        self.register_buffer("cache", Tensor(np.zeros(2)), persistent=False)
        self.register_buffer("unused", None)

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.shift) * self.w


class Outer(nn.Module):
    """A module with a buffer of its own and a child with buffers (PyTorch's key order)."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = Scaler()
        self.register_buffer("count", Tensor(np.array(0, np.int64)))
        self.bias = nn.Parameter(np.zeros(2))

    def forward(self, x: Tensor) -> Tensor:
        return self.inner(x) + self.bias


def test_a_buffer_is_an_attribute_listed_apart_from_the_parameters() -> None:
    m = Scaler()
    assert isinstance(m.shift, Tensor) and m.shift.data.tolist() == [1.0, -1.0]
    assert [n for n, _ in m.named_parameters()] == ["w"]
    assert [n for n, _ in m.named_buffers()] == ["shift", "cache"]  # None is left out
    assert [b.data.tolist() for b in m.buffers()] == [[1.0, -1.0], [0.0, 0.0]]
    assert m.unused is None
    np.testing.assert_array_equal(m(Tensor(np.array([1.0, 1.0]))).data, [0.0, 6.0])


def test_state_dict_holds_persistent_buffers_after_each_modules_parameters() -> None:
    outer = Outer()
    # PyTorch's order: a module's parameters, then its buffers, then its children's.
    assert list(outer.state_dict()) == ["bias", "count", "inner.w", "inner.shift"]
    assert [n for n, _ in outer.named_buffers()] == ["count", "inner.shift", "inner.cache"]
    state = outer.state_dict()
    assert state["count"].dtype == np.int64
    state["inner.shift"][0] = 99.0  # a copy: the module keeps its value
    assert outer.inner.shift.data[0] == 1.0


def test_load_state_dict_copies_into_the_buffers_in_place_all_or_nothing() -> None:
    src, dst = Outer(), Outer()
    src.inner.shift.data = np.array([5.0, 6.0])
    src.count.data = np.array(7, np.int64)
    shift = dst.inner.shift
    dst.load_state_dict(src.state_dict())
    assert dst.inner.shift is shift and shift.data.tolist() == [5.0, 6.0]
    assert dst.count.data == 7
    state = src.state_dict()
    del state["inner.shift"]
    with pytest.raises(ValueError, match=r"missing keys \['inner.shift'\]"):
        dst.load_state_dict({**state, "count": np.array(8, np.int64)})
    assert dst.count.data == 7  # nothing was loaded
    bad = {**src.state_dict(), "count": np.array(1.0)}
    with pytest.raises(ValueError, match="count: dtype float64 in the state dict, int64"):
        dst.load_state_dict(bad)
    missing, unexpected = dst.load_state_dict(state, strict=False)
    assert missing == ["inner.shift"] and unexpected == []


def test_buffers_round_trip_through_a_checkpoint(tmp_path: Path) -> None:
    src, dst = Outer(), Outer()
    src.inner.shift.data = np.array([0.25, -4.0])
    src.count.data = np.array(3, np.int64)
    src.bias.data[:] = [1.0, 2.0]
    tg.save(src.state_dict(), tmp_path / "outer.npz")
    loaded = tg.load(tmp_path / "outer.npz")
    assert isinstance(loaded, dict) and list(loaded) == list(src.state_dict())
    dst.load_state_dict(loaded)
    for (name, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items(), strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name


def test_assigning_to_a_buffer_name_replaces_the_buffer() -> None:
    m = Scaler()
    m.shift = Tensor(np.array([0.0, 0.0]))
    assert [b.data.tolist() for _, b in m.named_buffers()][0] == [0.0, 0.0]
    m.shift = None
    assert "shift" not in m.state_dict() and m.shift is None
    m.shift = Tensor(np.array([1.0, 1.0]))
    assert m.state_dict()["shift"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="cannot assign ndarray to buffer 'shift' of Scaler"):
        m.shift = np.zeros(2)
    m.shift = nn.Parameter(np.zeros(2))  # a Parameter takes the name over, as in PyTorch
    assert [n for n, _ in m.named_parameters()] == ["w", "shift"]
    assert [n for n, _ in m.named_buffers()] == ["cache"]
    del m.cache
    assert [n for n, _ in m.named_buffers()] == [] and not hasattr(m, "cache")


def test_register_buffer_refuses_bad_names_and_values() -> None:
    m = Scaler()
    with pytest.raises(KeyError, match="cannot register a buffer under a name that contains a dot"):
        m.register_buffer("a.b", Tensor(1.0))
    with pytest.raises(KeyError, match="cannot register a buffer under a name that is empty"):
        m.register_buffer("", Tensor(1.0))
    with pytest.raises(KeyError, match="attribute 'w' already exists"):
        m.register_buffer("w", Tensor(1.0))
    m.plain = 3
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.register_buffer("plain", Tensor(1.0))
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        m.register_buffer("forward", Tensor(1.0))
    with pytest.raises(TypeError, match="must be a Tensor or None, got ndarray"):
        m.register_buffer("x", np.zeros(2))
    with pytest.raises(TypeError, match="got Parameter; assign a Parameter to register it"):
        m.register_buffer("x", nn.Parameter(np.zeros(2)))
    with pytest.raises(TypeError, match="name must be a str"):
        m.register_buffer(3, Tensor(1.0))  # type: ignore[arg-type]
    m.register_buffer("shift", Tensor(np.zeros(2)), persistent=False)  # re-registered
    assert "shift" not in m.state_dict()


def test_registering_or_replacing_a_buffer_marks_compiled_steps_stale() -> None:
    m = Scaler()
    before = tracing.state_version
    m.register_buffer("extra", Tensor(1.0))
    assert tracing.state_version > before
    before = tracing.state_version
    m.extra = Tensor(2.0)
    assert tracing.state_version > before
    before = tracing.state_version
    m.extra.data = np.array(3.0)  # a new array for the same buffer: read afresh on replay
    assert tracing.state_version == before


def test_a_compiled_step_follows_buffers_replaced_or_loaded_between_calls() -> None:
    m = Scaler()
    fast = tg.compile(lambda x: m(x).sum())
    x = Tensor(np.array([2.0, 2.0]))
    assert fast(x).item() == 2.0 + 9.0
    m.shift = Tensor(np.array([0.0, 0.0]))  # a new buffer object: traced again
    assert fast(x).item() == 4.0 + 6.0 and fast.traces == 2
    m.load_state_dict({"w": np.array([1.0, 1.0]), "shift": np.array([1.0, 1.0])})
    assert fast(x).item() == 2.0 and fast.traces == 2  # copied in place: the same plan
