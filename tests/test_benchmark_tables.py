"""The benchmark's tables and machine probes: ratios, verdicts and targets are computed right."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from benchmarks import _system, _tables, _timing, planar

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ------------------------------------------------------------------ tables


def _size_result(timings, costs):
    return planar.SizeResult(planar.SIZES["S"], timings, costs, {}, seed=1, order=[])


def test_targets_are_marked_met_or_missed():
    def timing(s):
        return _timing.Timing((s, s), 1, (s, s))

    res = _size_result(
        {
            "tinygrad_lite eager": timing(15e-6),
            "tinygrad_lite compiled": timing(13e-6),
            "numpy tutorial": timing(10e-6),
            "numpy tuned": timing(20e-6),
        },
        {
            "tinygrad_lite eager": [0.5, 0.4],
            "tinygrad_lite compiled": [0.5, 0.45],
            "numpy tutorial": [0.5, 0.4],
            "numpy tuned": [0.5, 0.4 + 1e-11],
        },
    )
    rows = {row[1]: row for row in _tables.timing_rows(res)}
    col = _tables.TIMING_HEADER.index
    assert rows["tinygrad_lite eager"][col("× faster NumPy")] == "1.50×"
    assert rows["tinygrad_lite eager"][col("× faster NumPy (CPU)")] == "1.50×"
    assert rows["tinygrad_lite eager"][col("× tuned")] == "0.75×"
    assert rows["tinygrad_lite eager"][col("target (× faster NumPy)")] == "≤ 1.6×: met"
    assert rows["tinygrad_lite compiled"][col("target (× faster NumPy)")] == "≤ 1.1×: missed"
    assert rows["tinygrad_lite compiled"][col("first costs vs tutorial")] == "DIFFERS at step 2"
    assert rows["numpy tuned"][col("first costs vs tutorial")] == "same"  # within 1e-9


def test_targets_follow_the_goals():
    assert planar.TIME_TARGETS[("tinygrad_lite eager", "M")] == 1.1
    assert planar.TIME_TARGETS[("tinygrad_lite compiled", "S")] == 1.1
    assert planar.TIME_TARGETS[("tinygrad_lite fused", "M")] == 0.45
    assert planar.MEMORY_TARGETS == {
        ("tinygrad_lite eager", "L"): 2.0,
        ("tinygrad_lite compiled", "L"): 1.3,
        ("tinygrad_lite fused", "L"): 1.3,
    }


def _mem(first, steady, rss=1e9):
    return {
        "tracemalloc_first": first,
        "tracemalloc_steady": steady,
        "rss_first": rss,
        "rss_steady": rss,
    }


def test_memory_targets_use_the_steady_state_ratio():
    per_impl = {
        "tinygrad_lite eager": _mem(3e9, 1.9e9),  # over 2x in the first steps, not after
        "tinygrad_lite compiled": _mem(4e9, 1.4e9),
        "numpy tuned": _mem(1e9, 1e9),
        "torch eager": _mem(None, None, 3e9),
    }
    memory = {"mallopt": {"L": per_impl}, "defaults": {"L": dict(per_impl)}}
    header = _tables.memory_header(memory)
    assert header[-2:] == [
        "peak RSS rise, steady (glibc tuned with mallopt)",
        "peak RSS rise, steady (glibc defaults)",
    ]
    rows = {row[1]: row for row in _tables.memory_rows(memory)}
    col = header.index
    assert rows["tinygrad_lite eager"][col("tracemalloc peak, first steps")] == "2.79 GiB"
    assert rows["tinygrad_lite eager"][col("× tuned (steady)")] == "1.90×"
    assert rows["tinygrad_lite eager"][col("target (steady × tuned)")] == "≤ 2×: met"
    assert rows["tinygrad_lite compiled"][col("target (steady × tuned)")] == "≤ 1.3×: missed"
    assert rows["torch eager"][col("steady state")] == "n/a"


def test_targets_table_has_a_row_per_implementation_and_allocator():
    def timing(s):
        return _timing.Timing((s,), 1, (s,))

    def run(allocator, eager):
        res = _size_result(
            {"tinygrad_lite eager": timing(eager), "numpy tuned": timing(1.0)},
            {"tinygrad_lite eager": [1.0], "numpy tuned": [1.0]},
        )
        return planar.Run(allocator, "note", [res], ("0", "0"))

    memory = {"mallopt": {"L": {"tinygrad_lite eager": _mem(3, 3), "numpy tuned": _mem(2, 2)}}}
    results = planar.Results(
        [run("mallopt", 1.5), run("defaults", 1.7)],
        memory,
        {"tinygrad_lite fused": "no numba"},
        {"seed": 1},
        machine={},
    )
    rows = _tables.target_rows(results)
    eager = [r for r in rows if r[0] == "tinygrad_lite eager"]
    assert [r[1] for r in eager] == ["glibc tuned with mallopt", "glibc defaults"]
    assert eager[0][2] == "1.50× (≤ 1.6×: met)" and eager[1][2] == "1.70× (≤ 1.6×: missed)"
    assert eager[0][3] == "not run" and eager[0][5] == "1.50× (≤ 2×: met)"
    fused = [r for r in rows if r[0] == "tinygrad_lite fused"]
    assert fused[0][2:5] == ["unavailable"] * 3


# ------------------------------------------------------------------ system probes


def test_blas_info_reads_and_changes_nothing():
    env = dict(os.environ)
    info = _system.blas_info()
    assert os.environ == env
    assert info["name"] and "env" in info
    machine = _system.machine_info()
    assert int(machine["nproc"]) >= 1 and machine["numpy"] == np.__version__
    for key in ("cpu", "simd", "blas_kernel", "blas_threads", "numba", "threadpools"):
        assert machine[key]


def test_simd_flags_keep_the_vector_extensions():
    flags = ["fpu", "sse4_2", "avx2", "fma", "avx512f", "avx512_vnni", "aes", "sse", "ht"]
    assert _system.simd_flags(flags) == ["avx2", "avx512_vnni", "avx512f", "fma", "sse", "sse4_2"]
    if os.path.exists("/proc/cpuinfo") and _system.cpu_flags():
        assert set(_system.simd_flags(_system.cpu_flags())) <= set(_system.cpu_flags())


def test_allocator_setting_in_a_fresh_process():
    code = (
        "from benchmarks._system import configure_allocator as c; "
        "print(c(False).applied, c(True).applied, c(True).note)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout.split(maxsplit=2)
    assert out[0] == "False"
    if _system._libc() is None:
        assert out[1] == "False" and "not glibc" in out[2]
    else:
        assert out[1] == "True" and "M_MMAP_THRESHOLD" in out[2]
