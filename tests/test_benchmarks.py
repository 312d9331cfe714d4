"""The benchmark's own code: its implementations train exactly like the tutorial, its harness runs.

Nothing here measures speed; these tests check that what the benchmark times is the right
computation and that its tables are built correctly.
"""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import _memory, _timing, floor, implementations, ops, planar
from benchmarks.floor import NumpyTuned
from benchmarks.implementations import IMPLEMENTATIONS, NAMES, NumpyTutorial
from models import manual

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _problem(n_x: int, m: int, n_h: int, seed: int, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    params = manual.initialize_parameters(n_x, n_h, 1, seed=seed)
    params["W1"] *= scale
    params["W2"] *= scale
    return X, Y, params


def _reference_run(X, Y, params, lr, steps):
    """Costs, gradients and parameters after each step, from models.manual directly."""
    out = []
    p = {k: v.copy() for k, v in params.items()}
    for _ in range(steps):
        A2, cache = manual.forward_propagation(X, p)
        cost = manual.compute_cost(A2, Y)
        grads = manual.backward_propagation(p, cache, X, Y)
        p = manual.update_parameters(p, grads, lr)
        out.append((cost, {n: grads["d" + n] for n in NAMES}, {n: p[n].copy() for n in NAMES}))
    return out


def _assert_trains_like_reference(impl, reference, rtol, atol, check_grads=True):
    for i, (cost, grads, params) in enumerate(reference):
        c = impl.step()
        assert isinstance(c, float)
        assert c == pytest.approx(cost, rel=rtol, abs=atol), f"cost at step {i + 1}"
        got = impl.parameters()
        for n in NAMES:
            np.testing.assert_allclose(
                got[n], params[n], rtol=rtol, atol=atol, err_msg=f"{n} after step {i + 1}"
            )
        g = impl.gradients()
        if check_grads and g is not None:
            for n in NAMES:
                np.testing.assert_allclose(
                    g[n], grads[n], rtol=rtol, atol=atol, err_msg=f"d{n} at step {i + 1}"
                )


# ------------------------------------------------------------------ the implementations


@given(
    n_x=st.integers(1, 5),
    m=st.integers(1, 60),
    n_h=st.integers(1, 8),
    lr=st.floats(0.01, 2.0),
    seed=st.integers(0, 2**16),
    scale=st.sampled_from([1.0, 30.0]),
)
def test_tuned_step_matches_the_tutorial_to_1e_12(n_x, m, n_h, lr, seed, scale):
    # scale 30 pushes Z2 far from 0 on both sides, so both branches of the sigmoid are used.
    X, Y, params = _problem(n_x, m, n_h, seed, scale)
    reference = _reference_run(X, Y, params, lr, steps=3)
    tuned = NumpyTuned(X, Y, params, lr)
    _assert_trains_like_reference(tuned, reference, rtol=1e-12, atol=1e-15)


def test_the_floor_lives_in_one_place():
    # The benchmark's table, the peers' processes and these tests all time the same class.
    from benchmarks.peers import measure

    assert implementations.NumpyTuned is floor.NumpyTuned
    assert IMPLEMENTATIONS["numpy tuned"] is floor.NumpyTuned
    assert measure.FLOOR == "numpy tuned" and measure.NumpyTuned is floor.NumpyTuned


def test_tuned_step_leaves_its_inputs_alone():
    X, Y, params = _problem(3, 20, 4, seed=1)
    before = (X.copy(), Y.copy(), {k: v.copy() for k, v in params.items()})
    NumpyTuned(X, Y, params, 0.5).step()
    np.testing.assert_array_equal(X, before[0])
    np.testing.assert_array_equal(Y, before[1])
    for k in params:
        np.testing.assert_array_equal(params[k], before[2][k])


def test_tuned_step_rejects_more_than_one_output():
    X = np.zeros((2, 5))
    params = manual.initialize_parameters(2, 3, 2)
    with pytest.raises(ValueError, match="one output unit"):
        NumpyTuned(X, np.zeros((2, 5)), params, 0.1)


@pytest.mark.parametrize("name", list(IMPLEMENTATIONS))
def test_every_implementation_trains_like_the_tutorial(name):
    cls = IMPLEMENTATIONS[name]
    reason = cls.unavailable()
    if reason is not None:
        pytest.skip(reason)
    X, Y, params = planar.make_problem(planar.SIZES["S"])
    reference = _reference_run(X, Y, params, 1.2, steps=4)  # a compiled step replays from 2 on
    _assert_trains_like_reference(cls(X, Y, params, 1.2), reference, rtol=1e-10, atol=1e-13)


def test_tutorial_wrapper_is_models_manual():
    X, Y, params = _problem(2, 30, 3, seed=5)
    reference = _reference_run(X, Y, params, 1.2, steps=2)
    _assert_trains_like_reference(NumpyTutorial(X, Y, params, 1.2), reference, 0.0, 0.0)


def test_the_comparison_can_fail():
    # A tuned step with the wrong tanh derivative (1 − A1 instead of 1 − A1²) must be caught.
    class Wrong(NumpyTuned):
        def step(self) -> float:
            A1 = self.A1
            real_multiply = np.multiply

            def multiply(a, b, out=None, **kw):
                if a is A1 and b is A1:  # skip the square: leaves 1 − A1 for tanh'
                    return a
                return real_multiply(a, b, out=out, **kw)

            np.multiply = multiply
            try:
                return super().step()
            finally:
                np.multiply = real_multiply

    X, Y, params = _problem(2, 40, 4, seed=3, scale=30.0)
    reference = _reference_run(X, Y, params, 1.0, steps=2)
    with pytest.raises(AssertionError):
        _assert_trains_like_reference(Wrong(X, Y, params, 1.0), reference, 1e-10, 1e-13)


# ------------------------------------------------------------------ the problems


def test_problem_sizes_and_labels():
    for name in ("S", "M"):
        size = planar.SIZES[name]
        X, Y, params = planar.make_problem(size)
        assert X.shape == (size.n_x, size.m) and Y.shape == (1, size.m)
        assert params["W1"].shape == (size.n_h, size.n_x)
    small = planar.Size("T", 8, 2000, 16, 0.01, 0.0, 0.0, "teacher")
    X, Y, _ = planar.make_problem(small)
    X2, Y2, _ = planar.make_problem(small)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(Y, Y2)
    assert set(np.unique(Y)) == {0.0, 1.0}
    assert 0.2 < Y.mean() < 0.8  # the teacher's labels are not all one class


# ------------------------------------------------------------------ timing helpers


def test_timing_statistics():
    t = _timing.Timing((5.0, 1.0, 3.0, 2.0, 4.0), steps_per_block=10, cpu_samples=(1, 9, 2, 8, 3))
    assert t.median == 3.0 and t.low == 1.0 and t.high == 5.0
    assert t.iqr == (2.0, 4.0)
    assert t.cpu_median == 3
    assert _timing.Timing((2.0, 1.0), 1).iqr == (1.0, 2.0)
    assert _timing.Timing((2.0, 1.0), 1).cpu_median is None


def test_ratio_of_rounds_pairs_blocks_of_the_same_round():
    a = _timing.Timing((2.0, 40.0, 3.0), 1, (1.0, 1.0, 1.0))
    b = _timing.Timing((1.0, 10.0, 3.0), 1, (2.0, 2.0, 4.0))
    # per round: 2, 4, 1 -> median 2 (a ratio of medians would give 3 / 3 = 1)
    assert _timing.ratio_of_rounds(a, b) == 2.0
    assert _timing.ratio_of_rounds(a, b, cpu=True) == 0.5
    assert _timing.ratio_of_rounds(a, _timing.Timing((1.0,), 1)) is None


def test_block_order_is_a_seeded_random_permutation_per_round():
    names = ["a", "b", "c", "d"]
    rounds = _timing.block_order(names, 40, seed=7)
    assert all(sorted(r) == names for r in rounds)
    assert rounds == _timing.block_order(names, 40, seed=7)
    assert rounds != _timing.block_order(names, 40, seed=8)
    # not a rotation: every implementation is sometimes first and sometimes last
    assert {r[0] for r in rounds} == set(names) and {r[-1] for r in rounds} == set(names)
    assert len({tuple(r) for r in rounds}) > 4


def test_interleaved_follows_the_seeded_order_and_takes_cpu_time():
    calls = {"a": 0, "b": 0, "c": 0}
    order = []

    def make(k):
        def step():
            calls[k] += 1
            sum(range(200))  # some CPU work, so that CPU time is measurable

        return step

    res = _timing.interleaved(
        {k: make(k) for k in calls},
        blocks=4,
        target_block_s=0.002,
        warmup_s=0.0,
        on_block=lambda r, name, t: order.append((r, name)),
        seed=11,
    )
    expected = _timing.block_order(list(calls), 4, seed=11)
    assert [n for _, n in order] == [n for r in expected for n in r]
    assert [r for r, _ in order] == [r for r in range(4) for _ in calls]
    for k, t in res.items():
        assert len(t.samples) == 4 and len(t.cpu_samples) == 4 and t.steps_per_block >= 1
        assert all(s > 0 for s in t.samples) and all(c >= 0 for c in t.cpu_samples)
        assert calls[k] >= 1 + 4 * t.steps_per_block
    with pytest.raises(ValueError, match="blocks must be >= 1"):
        _timing.interleaved({"a": make("a")}, blocks=0, target_block_s=0.001, warmup_s=0)


def test_cpu_time_counts_work_not_waiting():
    import time

    wall, cpu = _timing.time_block(lambda: time.sleep(0.01), 3)
    assert wall >= 0.009 and cpu < wall / 2


def test_formatting():
    assert _timing.format_seconds(0.000123) == "123 µs"
    assert _timing.format_seconds(1.5) == "1.5 s"
    assert _timing.format_seconds(2.5e-8) == "25 ns"
    assert _timing.format_bytes(3 * 2**20) == "3 MiB"
    assert _timing.format_bytes(None) == "—"
    table = _timing.markdown_table(["a", "b"], [["x", "1"]], "l")
    assert table.splitlines() == ["| a | b |", "| :-- | --: |", "| x | 1 |"]


# ------------------------------------------------------------------ memory


def test_memory_child_counts_the_tuned_buffers():
    result = _memory.memory_child("numpy tuned", "S", first=2, steady=2)
    size = planar.SIZES["S"]
    buffers = 8 * size.n_h * size.m  # the (n_h, m) buffer alone
    assert result["tracemalloc_first"] >= buffers and result["tracemalloc_steady"] >= buffers
    if result["rss_steady"] is not None:
        assert result["rss_steady"] >= 0


def test_steady_state_leaves_out_what_only_the_first_steps_allocate(monkeypatch):
    # A step that needs 8 MB the first time only (as a compiled step traces on its first
    # call): the first-steps peak sees it, the steady-state peak does not.
    class WarmsUp(NumpyTuned):
        calls = 0

        def step(self):
            WarmsUp.calls += 1
            if WarmsUp.calls == 1:
                np.ones(1_000_000).sum()
            return super().step()

    monkeypatch.setitem(IMPLEMENTATIONS, "numpy tuned", WarmsUp)
    result = _memory.memory_child("numpy tuned", "S", first=2, steady=2)
    assert result["tracemalloc_first"] >= 8e6
    assert result["tracemalloc_steady"] < 1e6


def test_memory_subprocess_returns_numbers():
    log = []
    mem = _memory.measure_memory(["numpy tuned"], ["S"], ["defaults"], log.append)
    assert mem["defaults"]["S"]["numpy tuned"]["tracemalloc_steady"] > 0
    assert log == ["  memory S numpy tuned (defaults)"]


# ------------------------------------------------------------------ the harness end to end


def test_quick_run_end_to_end(capsys):
    argv = ["--quick", "--sizes", "S", "--blocks", "1", "--allocator", "defaults", "--seed", "3"]
    assert planar.main(argv) == 0
    out = capsys.readouterr().out
    names, skipped = planar.available_implementations()
    for name in names:
        assert name in out
    tuned_row = next(line for line in out.splitlines() if line.startswith("S     numpy tuned"))
    assert tuned_row.count("1.00×") == 3 and "same" in tuned_row
    for name in skipped:
        assert f"skipped {name}" in out
    assert "block-order seed: 3" in out and "SIMD:" in out and "glibc defaults" in out


def test_markdown_and_json(tmp_path, capsys):
    path = tmp_path / "r.json"
    argv = ["--quick", "--sizes", "S", "--blocks", "2", "--markdown", "--json", str(path)]
    argv += ["--allocator", "defaults", "--seed", "5"]
    assert planar.main([*argv, "--only", "numpy tuned", "numpy tutorial"]) == 0
    doc = capsys.readouterr().out
    assert doc.startswith("# Benchmark results")
    assert "| S | numpy tuned |" in doc and "## Machine" in doc and "## Targets" in doc
    assert "| SIMD flags |" in doc and "benchmarks/floor.py" in doc and "seed is 5" in doc
    data = json.loads(path.read_text())
    for key in ("cpu", "simd", "cpu_flags", "blas", "blas_kernel", "blas_threads", "numba"):
        assert key in data["machine"]
    assert data["settings"]["seed"] == 5
    (run,) = data["runs"]
    assert run["allocator"] == "defaults"
    s = run["sizes"]["S"]
    assert s["seed"] == planar.block_seed(5, "S", "defaults")
    assert s["order"] == _timing.block_order(["numpy tutorial", "numpy tuned"], 2, s["seed"])
    t = s["timings"]["numpy tuned"]
    assert len(t["samples"]) == 2 and len(t["cpu_samples"]) == 2 and t["median"] > 0
    assert t["first_costs"] == pytest.approx(s["timings"]["numpy tutorial"]["first_costs"])
    (back,) = planar.runs_from_json(data)
    assert back.sizes[0].timings["numpy tuned"].samples == tuple(t["samples"])


def test_both_allocator_settings_run_every_implementation_in_fresh_processes(capsys):
    results = planar.run(
        ["S"], 1, quick=True, memory=False, only=["numpy tuned"], seed=9, log=lambda _: None
    )
    assert [r.allocator for r in results.runs] == ["mallopt", "defaults"]
    notes = [r.note for r in results.runs]
    assert "mallopt not called" in notes[1]
    for r in results.runs:
        assert list(r.sizes[0].timings) == ["numpy tuned"]
        assert r.sizes[0].seed == planar.block_seed(9, "S", r.allocator)
    from benchmarks._report import markdown_report

    doc = markdown_report(results, [], None, 1.0)
    assert "### glibc tuned with mallopt" in doc and "### glibc defaults" in doc


def test_bad_arguments():
    with pytest.raises(SystemExit):
        planar.main(["--sizes", "XL"])
    with pytest.raises(SystemExit):
        planar.main(["--blocks", "0", "--quick"])
    with pytest.raises(SystemExit, match="--torch-threads must be >= 1"):
        planar.main(["--torch-threads", "0", "--quick"])
    with pytest.raises(SystemExit, match="contradicts"):
        planar.main(["--no-mallopt", "--allocator", "mallopt", "--quick"])
    with pytest.raises(SystemExit, match="benchmarks.peers --setup"):
        planar.main(["--quick", "--peers", "/nonexistent/peers-venv"])
    with pytest.raises(ValueError, match="unknown size"):
        planar.run(["Q"], 1, memory=False)
    with pytest.raises(ValueError, match="allocator must be .both. or one of"):
        planar.run(["S"], 1, allocator="jemalloc", memory=False)


# ------------------------------------------------------------------ per-op benchmark


def test_ops_hand_derived_expression_matches_autograd():
    cases = ops.make_cases((3, 5))
    s_np, *grads_np = cases.numpy["fwd+bwd"]()
    s = cases.graph["fwd+bwd"]()
    assert float(s.item()) == pytest.approx(float(s_np), rel=1e-12)
    for leaf, g in zip(cases.leaves, grads_np, strict=True):
        np.testing.assert_allclose(leaf.grad.data, g, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(cases.tensor["x @ w"]().data, cases.numpy["x @ w"](), rtol=1e-15)
    np.testing.assert_allclose(cases.tensor["x + y"]().data, cases.numpy["x + y"](), rtol=0)
    np.testing.assert_allclose(cases.tensor["x.tanh()"]().data, cases.numpy["x.tanh()"](), rtol=0)


def test_ops_run_and_table():
    results = ops.run((2, 3), blocks=1, block_s=0.001)
    assert [r.op for r in results] == list(ops.OP_LABELS)
    assert all(r.numpy > 0 for r in results)
    table = ops.markdown_table_of(results)
    assert table.count("\n") == len(results) + 1


@pytest.mark.slow
def test_profile_tables_cover_every_phase_and_both_steps() -> None:
    from benchmarks import breakdown

    phases = breakdown.phase_times("S", steps=20)
    assert set(phases) == {"forward ops", "loss", "backward", "optimizer step", "zero_grad"}
    assert all(t > 0 for t in phases.values())
    doc = breakdown.markdown("S", steps=20, calls=50)  # the tables' structure, not timings
    assert "| backward |" in doc and "in the compiled step" in doc
    # The ops themselves show up by name in the eager table (which op ranks first depends on
    # the CPU: np.tanh leads where NumPy has no vectorised tanh, the products elsewhere).
    eager_table = doc.split("in the compiled step")[0]
    assert re.search(r"`\w+\.py \w+\.(forward|backward)`", eager_table)
