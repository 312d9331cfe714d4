"""The peers run: each library's step computes the tutorial's step; the harness reports honestly.

The libraries themselves are not dependencies: a peer whose package is not importable here is
skipped. torch.compile is left out (compiling takes tens of seconds); every peers run checks
its first costs against the tutorial's to 1e-9 and marks any disagreement in the table.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from benchmarks import planar
from benchmarks._timing import block_order
from benchmarks.floor import NumpyTuned
from benchmarks.implementations import NAMES, NumpyTutorial
from benchmarks.peers import environment, measure, report, runner
from benchmarks.peers.steps import PEERS
from models import manual


def _problem(n_x: int, m: int, n_h: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    return X, Y, manual.initialize_parameters(n_x, n_h, 1, seed=seed)


@pytest.mark.parametrize("name", [n for n in PEERS if n != "torch.compile"])
def test_peer_steps_train_like_the_tutorial(name):
    cls = PEERS[name]
    reason = cls.unavailable()
    if reason is not None:
        pytest.skip(reason)
    X, Y, params = _problem(3, 30, 4, seed=4)
    params["W1"] *= 3.0  # saturate some tanh units, so that tanh' matters
    lr = 0.7
    reference = NumpyTutorial(X, Y, params, lr)
    peer = cls(X, Y, params, lr)
    for step in range(3):
        cost = peer.step()
        expected = reference.step()
        assert isinstance(cost, float)
        assert cost == pytest.approx(expected, rel=1e-10), f"cost at step {step + 1}"
        got, want = peer.parameters(), reference.parameters()
        for n in NAMES:
            assert got[n].shape == want[n].shape
            np.testing.assert_allclose(got[n], want[n], rtol=1e-10, atol=1e-13, err_msg=n)
        grads = peer.gradients()
        if grads is not None:
            want_g = reference.gradients()
            for n in NAMES:
                np.testing.assert_allclose(grads[n], want_g[n], rtol=1e-10, atol=1e-13)


def test_an_installed_peer_is_never_reported_missing():
    for cls in PEERS.values():
        try:
            __import__(cls.module)
        except ImportError:
            assert "not installed" in (cls.unavailable() or "")
        else:
            assert cls.unavailable() is None


# ------------------------------------------------------------------ the environment


def test_requirements_are_pinned_and_never_the_cuda_torch():
    reqs = environment.requirements()
    assert reqs[0] == f"numpy=={np.__version__}"
    assert "torch==2.13.0" in reqs and "torch" not in reqs
    assert all("==" in r for r in reqs)
    names = {r.split("==")[0] for r in reqs}
    assert {"jax", "jaxlib", "mygrad", "autograd", "micrograd", "torch"} <= names
    cmd = environment.install_command("/tmp/some-venv")
    assert cmd[0] == os.path.join("/tmp/some-venv", "bin", "python")
    assert cmd[1:4] == ["-m", "pip", "install"] and cmd[-len(reqs) :] == reqs


def test_a_missing_environment_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="benchmarks.peers --setup"):
        runner.run_peers(str(tmp_path / "none"), ["S"], 1, True, 0)


def test_the_problem_file_holds_the_data_and_the_tutorials_costs(tmp_path):
    path = tmp_path / "S.npz"
    runner.write_problem(str(path), "S", quick=True)
    X, Y, params = planar.make_problem(planar.SIZES["S"])
    tutorial = NumpyTutorial(X, Y, params, planar.SIZES["S"].lr)
    with np.load(path) as d:
        np.testing.assert_array_equal(d["X"], X)
        np.testing.assert_array_equal(d["W1"], params["W1"])
        assert str(d["size"]) == "S" and float(d["lr"]) == 1.2
        assert list(d["reference_costs"]) == [tutorial.step() for _ in range(3)]
        assert float(d["block_s"]) == planar.QUICK_BLOCK_S


# ------------------------------------------------------------------ measuring and reporting


class _Shifted(NumpyTuned):
    """A step whose costs are off by 1e-6: the table must say so."""

    name = "shifted"

    def step(self) -> float:
        return super().step() + 1e-6


class _Broken(NumpyTuned):
    name = "broken"

    def step(self) -> float:
        raise RuntimeError("boom\nsecond line")


class _Missing(NumpyTuned):
    name = "missing"

    @classmethod
    def unavailable(cls):
        return "missing is not installed here"


class _OnlyAtM(NumpyTuned):
    name = "only at M"
    sizes = ("M",)


def _measured(monkeypatch, tmp_path):
    fakes = {c.name: c for c in (_Shifted, _Broken, _Missing, _OnlyAtM)}
    monkeypatch.setattr(measure, "PEERS", fakes)
    path = tmp_path / "S.npz"
    runner.write_problem(str(path), "S", quick=True)
    with np.load(path) as d:
        problem = {k: d[k] for k in d.files}
    return measure.measure(problem, blocks=2, seed=3, log=lambda _: None)


def test_measure_times_the_floor_with_the_peers_and_reports_each_fate(monkeypatch, tmp_path):
    out = _measured(monkeypatch, tmp_path)
    assert list(out["results"]) == ["numpy tuned", "shifted"]
    assert out["errors"] == {"broken": "RuntimeError: boom"}
    assert out["skipped"] == {
        "missing": "missing is not installed here",
        "only at M": "runs at M only",
    }
    assert out["order"] == block_order(["numpy tuned", "shifted"], 2, seed=3)
    r = out["results"]["shifted"]
    assert len(r["samples"]) == len(r["cpu_samples"]) == 2
    assert out["environment"]["numpy"] == np.__version__


def test_the_peers_table_marks_ratios_disagreement_errors_and_skips(monkeypatch, tmp_path):
    out = _measured(monkeypatch, tmp_path)
    peers = {"venv": "/v", "allocator": "mallopt", "seed": 1, "elapsed_s": 6.0, "sizes": {"S": out}}
    rows = {row[1]: row for row in report.rows(peers)}
    col = report.HEADER.index
    assert rows["numpy tuned"][col("× floor")] == "1.00×"
    assert rows["numpy tuned"][col("first costs vs tutorial")] == "same"
    assert rows["shifted"][col("first costs vs tutorial")].startswith("DIFFERS at step 1")
    assert rows["broken"][col("note")] == "RuntimeError: boom"
    assert rows["only at M"][col("note")] == "runs at M only"
    cells = report.target_cells(peers)
    assert cells["shifted"][0].endswith("(costs differ)") and cells["shifted"][1] == "not run"
    assert cells["broken"][0] == "error"
    doc = report.markdown_section(peers)
    assert "| S | shifted |" in doc and "block-order seeds: S 3" in doc


def test_run_peers_end_to_end_in_a_child_process():
    # This environment stands in for the peers' one: the child imports only NumPy and the
    # benchmark's floor, times it, and says which peer could not run.
    peers = runner.run_peers(
        sys.prefix, ["S"], 1, True, 4, "defaults", ["micrograd"], print, torch_threads=1
    )
    assert peers["torch_threads"] == 1
    s = peers["sizes"]["S"]
    assert s["allocator"] == "defaults" and "numpy tuned" in s["results"]
    assert "micrograd" in s["results"] or "micrograd" in s["skipped"]
    assert s["seed"] == planar.block_seed(4, "S", "peers")
