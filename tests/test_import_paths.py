"""PyTorch's import paths: `torch.nn.functional`, `torch.nn.init`, `torch.utils.data`, ..."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import tinygrad_lite as tg

# (path as PyTorch code imports it, the module it must be here, a name it must hold)
PATHS = [
    ("tinygrad_lite.nn.functional", tg.functional, "binary_cross_entropy_with_logits"),
    ("tinygrad_lite.nn.init", tg.init, "kaiming_uniform_"),
    ("tinygrad_lite.nn.utils", tg.nn_utils, "clip_grad_norm_"),
    ("tinygrad_lite.nn.utils.rnn", tg.nn_utils.rnn, "pad_sequence"),
    ("tinygrad_lite.nn.utils.parametrize", tg.nn_utils.parametrize, "register_parametrization"),
    ("tinygrad_lite.utils.data", tg.utils.data, "TensorDataset"),
    ("tinygrad_lite.optim.lr_scheduler", tg.optim.lr_scheduler, "StepLR"),
]


@pytest.mark.parametrize(("path", "module", "name"), PATHS)
def test_each_path_imports_the_module_that_holds_the_name(
    path: str, module: object, name: str
) -> None:
    assert importlib.import_module(path) is module
    assert hasattr(module, name)


def test_a_fresh_process_imports_them_first_thing() -> None:
    # Before anything else of the package was imported (the registration runs on import).
    code = "; ".join(
        [f"from {path} import {name}" for path, _, name in PATHS]
        + ["import tinygrad_lite.nn.functional as F", "print(F.relu.__module__)"]
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("tinygrad_lite.")


def test_nn_exposes_functional_and_init_as_attributes() -> None:
    assert tg.nn.functional is tg.functional and tg.nn.init is tg.init
    assert "functional" in tg.nn.__all__ and "init" in tg.nn.__all__
