"""Rich displays: a Tensor as HTML and Markdown, and a Module's summary table."""

from __future__ import annotations

import re

import numpy as np
import pytest

from models.deep import DeepNet
from models.two_layer import TwoLayerNet, make_sequential
from tinygrad_lite import Tensor, nn
from tinygrad_lite.display import summary, tensor_html, tensor_markdown


def test_a_tensor_shows_shape_dtype_grad_fn_values_and_grad() -> None:
    w = Tensor(np.array([[1.5, -2.0, 0.25]]), requires_grad=True)
    y = (w * w).sum()
    y.backward()
    html, md = w._repr_html_(), w._repr_markdown_()
    for text in (html, md):
        assert "(1, 3)" in text and "float64" in text and "requires_grad" in text
        assert "None (a leaf)" in text and "True" in text
        assert "1.5" in text and "-2." in text and "0.25" in text
    # the gradient 2w, computed here independently of the display
    for value in 2 * w.data.ravel():
        assert f"{value:g}" in html.split("<b>grad</b>")[1]
    assert "**grad**" in md and md.count("```text") == 2
    result = y._repr_html_()
    assert "grad_fn <code>Sum</code>" in result and "<b>grad</b>" not in result
    assert "Tensor" in result and y.grad_fn is not None and y.grad_fn.__name__ == "Sum"


def test_a_parameter_says_so_and_an_int_tensor_has_no_grad_section() -> None:
    p = nn.Parameter(np.zeros((2, 2)))
    assert p._repr_html_().startswith('<div class="tinygrad-lite-tensor">\n<b>Parameter</b>')
    md = Tensor(np.arange(6).reshape(2, 3))._repr_markdown_()
    assert "`int64`" in md and "min 0 · mean 2.5 · max 5" in md and "grad**" not in md


def test_big_tensors_are_summarised_as_numpy_prints_them() -> None:
    a = np.arange(1_000_000, dtype=np.float64).reshape(1000, 1000)
    html = tensor_html(Tensor(a))
    assert len(html) < 2000, "the preview must stay small"
    preview = re.search(r"<pre[^>]*>(.*?)</pre>", html, re.S)
    assert preview is not None
    rows = preview.group(1).splitlines()
    assert rows[3].strip() == "...," and len(rows) == 7  # 3 rows, "...", 3 rows
    assert rows[0].startswith("[[0.000e+00, 1.000e+00, 2.000e+00, ..., 9.970e+02")
    assert rows[-1].endswith("1.000e+06]]")
    assert "min 0 · mean 5e+05 · max 1e+06" in html
    # small tensors are shown whole
    assert "..." not in tensor_markdown(Tensor(np.arange(100.0)))
    assert "..." in tensor_markdown(Tensor(np.arange(101.0)))


def test_nan_and_infinity_are_counted_and_html_is_escaped() -> None:
    t = Tensor(np.array([1.0, np.nan, np.inf, -np.inf, 3.0]))
    md = tensor_markdown(t)
    assert "1 NaN" in md and "2 infinite" in md and "min 1 · mean 2 · max 3" in md
    assert "dtype <code>float32</code>" in tensor_html(Tensor(np.ones(2, dtype=np.float32)))


def test_ipython_chooses_the_rich_displays() -> None:
    formatters = pytest.importorskip("IPython.core.formatters")
    data, _ = formatters.DisplayFormatter().format(Tensor([1.0, 2.0], requires_grad=True))
    assert {"text/html", "text/markdown", "text/plain"} <= set(data)
    assert data["text/plain"] == "Tensor([1., 2.], requires_grad=True)"


# ------------------------------------------------------------------------------ summary


def test_summary_of_a_sequential_matches_running_the_layers_by_hand() -> None:
    net = make_sequential(2, 4, 1, seed=0)
    s = net.summary((400, 2))
    x = np.random.default_rng(1).standard_normal((400, 2))
    shapes = []
    for layer in net:  # the layers run one by one: their output shapes
        x = layer(x).detach().numpy()
        shapes.append(str(x.shape))
    assert [r.output for r in s.rows] == [shapes[-1], *shapes]
    assert [r.name for r in s.rows] == ["", "0", "1", "2", "3"]
    assert [r.kind for r in s.rows] == ["Sequential", "Linear", "Tanh", "Linear", "Sigmoid"]
    sizes = [sum(p.data.size for p in m.parameters()) for m in net]
    assert [r.params for r in s.rows] == [0, *sizes]
    assert s.total == sum(p.data.size for p in net.parameters()) == 17
    assert s.trainable == 17 and s.rows[1].parameters == ("weight (4, 2)", "bias (4,)")
    text = str(s)
    assert text.splitlines()[0] == "Sequential on an input (400, 2)"
    assert "  0 (Linear)   (400, 4)          12         12  weight (4, 2), bias (4,)" in text
    assert text.endswith("Total params: 17\nTrainable params: 17\nNon-trainable params: 0")
    assert repr(s) == text
    html = s._repr_html_()
    assert html.count("<tr>") == 6 and "<th>Output shape</th>" in html


def test_summary_counts_frozen_and_shared_parameters_once() -> None:
    shared = nn.Linear(3, 3, seed=0)
    net = nn.Sequential(shared, nn.Tanh(), shared, nn.Linear(3, 2, seed=1))
    net[3].bias.requires_grad_(False)
    s = net.summary((5, 3))
    assert s.total == 12 + 8 == sum(p.data.size for p in net.parameters())
    assert s.trainable == s.total - 2
    rows = {r.name: r for r in s.rows}
    assert rows["0"].output == "(5, 3) ×2" and rows["0"].params == 12  # called twice
    assert "2" not in rows  # the same module, listed once
    assert "Non-trainable params: 2" in str(s)


def test_summary_of_a_network_that_holds_its_weights_and_of_no_input() -> None:
    net = TwoLayerNet(2, 4, 1)
    s = net.summary(np.ones((2, 7)))
    (row,) = s.rows
    assert row.output == "(1, 7)" and row.params == 17
    assert row.parameters == ("W1 (4, 2)", "b1 (4, 1)", "W2 (1, 4)", "b2 (1, 1)")
    bare = summary(DeepNet([3, 2, 1]))
    assert bare.input == "" and all(r.output == "" for r in bare.rows)
    assert "Output shape" not in str(bare) and "<th>Output shape</th>" not in bare._repr_html_()
    assert [r.name for r in bare.rows] == ["", "dropout"] and bare.total == 3 * 2 + 2 + 2 + 1


def test_summary_leaves_the_model_as_it_was() -> None:
    gen = np.random.default_rng(5)
    net = DeepNet([2, 6, 1], keep_prob=0.5, generator=gen)
    state = gen.bit_generator.state
    before = {k: v.copy() for k, v in net.state_dict().items()}
    s = net.summary((2, 9))
    assert s.rows[1].output == "(6, 9)" and s.rows[0].output == "(1, 9)"
    assert net.training and net.dropout.training  # training mode is back
    assert gen.bit_generator.state == state  # no dropout mask was drawn (eval mode)
    assert all("forward" not in vars(m) for m in net.modules())  # the wrappers are gone
    assert all(np.array_equal(before[k], v) for k, v in net.state_dict().items())
    assert all(p.grad is None for p in net.parameters())
    net.eval()
    net.summary((2, 3))
    assert not net.training and not net.dropout.training


def test_summary_refuses_bad_shapes_and_names_a_failing_forward() -> None:
    net = TwoLayerNet(2, 4, 1)
    with pytest.raises(ValueError, match=r"sizes >= 1, got \(2, 0\)"):
        net.summary((2, 0))
    failed = r"TwoLayerNet's forward pass failed on the input \(3, 5\): ValueError: "
    with pytest.raises(ValueError, match=failed):
        net.summary((3, 5))
    assert "forward" not in vars(net)  # restored after the failure too
