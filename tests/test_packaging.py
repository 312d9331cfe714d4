"""What `pip install .` installs, and the everyday commands' configuration."""

from __future__ import annotations

import email
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built by its build backend (hatchling) from this checkout."""
    pytest.importorskip("hatchling")
    from hatchling.builders.wheel import WheelBuilder

    out = tmp_path_factory.mktemp("dist")
    (path,) = WheelBuilder(str(ROOT)).build(directory=str(out), versions=["standard"])
    return Path(path)


def test_the_wheel_installs_no_top_level_models_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        entry_points = z.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
        metadata = email.message_from_bytes(
            z.read(next(n for n in names if n.endswith("METADATA")))
        )
    top = {n.split("/")[0] for n in names}
    dist_info = next(t for t in top if t.endswith(".dist-info"))
    assert top == {"tinygrad_lite", "tinygrad_lite_models", dist_info}
    for module in (ROOT / "models").rglob("*.py"):
        assert f"tinygrad_lite_models/{module.relative_to(ROOT / 'models').as_posix()}" in names
    assert "tinygrad-lite-planar = tinygrad_lite_models.planar:main" in entry_points
    # The library needs numpy and matplotlib only; tqdm is the command line's (extra "cli").
    requires = metadata.get_all("Requires-Dist") or []
    assert sorted(r for r in requires if "extra ==" not in r) == [
        "matplotlib>=3.6",
        "numpy>=1.24",
    ]
    assert "tqdm>=4.60; extra == 'cli'" in requires


def test_the_installed_command_line_runs_without_models_or_tqdm(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    code = f"""
import sys
sys.path.insert(0, {str(site)!r})
sys.modules["tqdm"] = None  # not installed
import importlib, pkgutil
import tinygrad_lite, tinygrad_lite_models
for module in pkgutil.walk_packages(tinygrad_lite_models.__path__, "tinygrad_lite_models."):
    importlib.import_module(module.name)  # each module imports from the installed package
from tinygrad_lite_models.planar import main
status = main(["--iterations", "3", "--no-plots", "--out", "out"])
assert tinygrad_lite.__file__.startswith({str(site)!r}), tinygrad_lite.__file__
assert "models" not in sys.modules, "the repository's models/ was imported"
print("status", status)
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Cost after iteration 0: 0.693048\n"), proc.stdout
    assert proc.stdout.rstrip().endswith("status 0")
    assert (tmp_path / "out" / "model.npz").is_file()


def test_the_test_suite_runs_in_parallel() -> None:
    assert "-n auto" in PYPROJECT["tool"]["pytest"]["ini_options"]["addopts"]
    test_extra = PYPROJECT["project"]["optional-dependencies"]["test"]
    assert any(r.startswith("pytest-xdist") for r in test_extra)
    assert "tqdm" not in " ".join(PYPROJECT["project"]["dependencies"])


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lint_names_what_it_needs(tmp_path: Path) -> None:
    # A Python that has neither ruff nor mypy: the interpreter without its site-packages.
    bare = tmp_path / "python"
    bare.write_text(f'#!/bin/sh\nexec {sys.executable} -S "$@"\n')
    bare.chmod(0o755)
    proc = subprocess.run(
        ["make", "--no-print-directory", "lint", f"PYTHON={bare}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert re.search(r"make lint needs ruff and mypy: pip install -e \"\.\[dev\]\"", proc.stderr)
