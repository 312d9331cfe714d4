"""The planted-bug catalogue: check_backward catches every bug and names the right gradient."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings

from models import manual, manual_deep
from models.buggy import CATALOGUE, forward_of, spec_of
from models.buggy.networks import conv_backward, deep_backward, two_layer_backward
from tinygrad_lite import check_backward
from tinygrad_lite.testing import BackwardMismatch, floats

KINDS = {
    "missing 1/m",
    "transposed product",
    "missing sum over the batch axis",
    "wrong activation derivative",
    "sign error",
    "sigmoid + cross-entropy saturation",
    "off-by-one layer index",
    "missing bias gradient",
}

# drawn examples up to the first failing one, per bug (printed at the end under pytest -s)
_examples: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _report_examples() -> Any:
    yield
    if _examples:
        n = settings.default.max_examples
        print(f"\ndrawn examples until the first failure (of at most {n}):")
        for name, n in _examples.items():
            print(f"  {name:28} {n}")


def test_the_catalogue_covers_every_kind_on_both_networks() -> None:
    assert len(CATALOGUE) >= 10
    assert {b.kind for b in CATALOGUE} >= KINDS
    assert {b.network for b in CATALOGUE} == {"two_layer", "deep", "conv"}


@pytest.mark.parametrize(
    ("network", "backward"),
    [
        ("two_layer", manual.backward_propagation),
        ("two_layer", two_layer_backward),
        ("deep", deep_backward),
        ("conv", conv_backward),
    ],
    ids=[
        "manual.backward_propagation",
        "two_layer_backward",
        "manual_deep.L_model_backward",
        "manual_conv.conv_backward",
    ],
)
def test_the_right_backward_passes(network: str, backward: Any) -> None:
    report = check_backward(forward_of(network), backward, **spec_of(network))
    assert report.ok and report.cause is None
    assert report.examples >= 10


def test_the_right_backward_passes_where_the_output_saturates() -> None:
    # the range in which the saturation bug shows: the right backward must still agree
    report = check_backward(
        forward_of("two_layer"),
        two_layer_backward,
        **spec_of("two_layer"),
        elements=floats(-60, 60),
    )
    assert report.ok


@pytest.mark.parametrize("bug", CATALOGUE, ids=lambda b: b.name)
def test_each_planted_bug_is_caught_and_named(bug: Any) -> None:
    # within the active profile's examples (ci: 20), without shrinking (it only takes time)
    options = {} if bug.elements is None else {"elements": floats(-bug.elements, bug.elements)}
    with pytest.raises(BackwardMismatch) as caught:
        check_backward(
            forward_of(bug.network), bug.backward, **spec_of(bug.network), shrink=False, **options
        )
    report = caught.value.report
    assert report.cause in bug.causes, str(caught.value)
    assert report.hint
    _examples[bug.name] = report.examples


def test_a_shrunk_counterexample_is_small() -> None:
    bug = next(b for b in CATALOGUE if b.name == "tanh_derivative")
    with pytest.raises(BackwardMismatch) as caught:
        check_backward(forward_of(bug.network), bug.backward, **spec_of(bug.network))
    report = caught.value.report
    assert report.cause == "dZ1"
    assert "1 − A1²" in report.hint
    values = [abs(v) for a in report.counterexample.values() for v in a.ravel()]
    assert max(values) <= 4 and sum(v != 0 for v in values) <= 12  # mostly zeros after shrinking


def test_the_course_functions_are_what_the_catalogue_copies() -> None:
    # the deep bugs are copies of L_model_backward with one line changed: without the change
    # (the right backward through the same adapter) they agree, see above; and the adapter
    # really calls the course's function
    assert deep_backward.__doc__ == manual_deep.L_model_backward.__doc__
