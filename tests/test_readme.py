"""The README's Python examples run as written, and its set-up commands match .ci/run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_python_blocks_run_in_order(capsys, monkeypatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert len(blocks) >= 4
    namespace: dict[str, object] = {}
    for block in blocks:
        # The training loop is shortened; everything else runs exactly as shown.
        code = block.replace("range(10_000)", "range(20)")
        exec(compile(code, "README.md", "exec"), namespace)
    assert capsys.readouterr().out.strip().splitlines()[0] == "True"
    namespace["test_my_function"]()  # the hypothesis example in the README
    assert namespace["step"].traces == 1  # the compiled step was traced once, then replayed


def test_readme_test_command_is_what_ci_runs() -> None:
    command = re.search(r"^(pip install \"\.\[test\]\" && python -m pytest)", README, flags=re.M)
    assert command is not None
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert command.group(1) in ci


def test_readme_counts_the_differentiable_ops_of_the_registry() -> None:
    from tinygrad_lite.registry import REGISTRY

    count = sum(getattr(spec.fn, "differentiable", True) for spec in REGISTRY.values())
    assert f"`Tensor`: {count} differentiable ops" in README
