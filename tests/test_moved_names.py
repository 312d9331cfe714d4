"""Names moved into modules of their own stay importable, as the same objects, where they were."""

from __future__ import annotations

import importlib

import pytest

import tinygrad_lite
from tinygrad_lite.tensor import Tensor

MOVED = {  # (old module, new module): names defined in the new one, reached from the old one
    ("functional", "fn_losses"): [
        "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "mse_loss",
        "nll_loss",
    ],
    ("tensor_shape", "tensor_args"): [
        "array_of", "constant_result", "copy_for_view", "dim_arg", "index_arg", "shape_arg",
    ],
    ("datasets", "row_datasets"): ["make_circles", "make_moons", "spiral"],
    ("gradcheck", "finite_diff"): ["GradcheckError", "GradcheckWarning", "numerical_grad"],
    ("gradcheck", "module_check"): [
        "gradcheck_module", "gradient_difference", "relative_difference",
    ],
    ("conv_layers", "pool_layers"): [
        "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "MaxPool1d",
        "MaxPool2d",
    ],
    ("optim.lr_scheduler", "optim.sched_base"): ["LRScheduler", "_resume_check"],
    ("toplevel", "toplevel_math"): [
        "acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2",
        "arctanh", "asin", "asinh", "atan", "atan2", "atanh", "cosh", "exp2", "hypot", "lerp",
        "log10", "log2", "logaddexp", "logaddexp2", "logit", "sinc", "sinh", "tan", "xlogy",
    ],
    ("ops.arithmetic", "ops.powers"): ["Pow", "PowTensor", "power_gradient"],
    ("ops", "ops.powers"): ["Pow", "PowTensor", "power_gradient"],
}  # fmt: skip

CASES = [(old, new, name) for (old, new), names in MOVED.items() for name in names]


def _module(name: str) -> object:
    return importlib.import_module(f"tinygrad_lite.{name}")


@pytest.mark.parametrize(("old", "new", "name"), CASES)
def test_the_old_module_gives_the_same_object(old: str, new: str, name: str) -> None:
    moved = getattr(_module(new), name)
    assert getattr(_module(old), name) is moved
    if not name.startswith("_") and hasattr(moved, "__module__"):
        assert moved.__module__ == f"tinygrad_lite.{new}"


@pytest.mark.parametrize(
    "name",
    sorted({m for pair in MOVED for m in pair} | {"tensor_methods", "tensor_compare", "ops"}),
)
def test_every_name_in_all_exists(name: str) -> None:
    module = _module(name)
    missing = [n for n in getattr(module, "__all__", []) if not hasattr(module, n)]
    assert not missing, f"tinygrad_lite.{name}.__all__ names missing attributes: {missing}"


def test_the_old_all_lists_keep_their_public_names() -> None:
    for (old, _), names in MOVED.items():
        listed = getattr(_module(old), "__all__", None)
        if listed is None or old == "tensor_shape":
            continue  # tensor_shape's list leaves out copy_for_view, as before
        assert {n for n in names if not n.startswith("_")} <= set(listed), old


def test_the_package_names_are_the_moved_functions() -> None:
    from tinygrad_lite import toplevel_math

    assert tinygrad_lite.tan is toplevel_math.tan
    assert tinygrad_lite.nn.MaxPool2d is _module("pool_layers").MaxPool2d


def test_tensor_operators_come_from_the_compare_base_first() -> None:
    from tinygrad_lite.tensor_compare import TensorCompareMethods
    from tinygrad_lite.tensor_methods import TensorMethods

    mro = Tensor.__mro__
    assert mro[1] is TensorMethods and mro[2] is TensorCompareMethods
    operators = "eq ne lt le gt ge and or xor invert lshift rshift rlshift rrshift".split()
    for op in operators:
        owner = next(c for c in mro if f"__{op}__" in vars(c))
        assert owner is TensorCompareMethods, (op, owner)
    x = tinygrad_lite.tensor([1, 2, 3])
    assert (x == 2).tolist() == [False, True, False]
    assert (x & 1).tolist() == [1, 0, 1] and (1 << x).tolist() == [2, 4, 8]
    assert isinstance(hash(x), int)  # tensors stay hashable (Tensor sets __hash__)
