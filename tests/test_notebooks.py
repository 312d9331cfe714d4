"""The notebooks run top to bottom in a Jupyter kernel, and every figure shows once in a cell.

Each notebook in docs/notebooks is executed by nbclient in a fresh IPython kernel (ipykernel)
running this interpreter, with the repository first on its path and matplotlib's inline backend,
as Jupyter runs it. A cell that raises fails the test; then the outputs are read back and
checked: the numbers the notebook prints are parsed and must lie in sensible ranges, and the
figures, tables and tensors must be there, each shown once.

The notebooks are stored without outputs (the docs build executes them): a test checks that too.
"""

from __future__ import annotations

import base64
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib_inline")

from ipykernel.kernelspec import write_kernel_spec  # noqa: E402
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "docs" / "notebooks"
TIMEOUT = 120  # seconds per cell: a cell that hangs fails instead of blocking the suite


@pytest.fixture(scope="module")
def kernels(tmp_path_factory: pytest.TempPathFactory) -> KernelSpecManager:
    """A kernel spec named python3 that runs this interpreter, with the repository first.

    A user's own python3 kernel (in ~/.local/share/jupyter) may run another Python: the
    manager looks in this folder only.
    """
    folder = tmp_path_factory.mktemp("kernels")
    env = {"PYTHONPATH": str(ROOT), "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    write_kernel_spec(path=str(folder / "python3"), overrides={"env": env})
    spec = json.loads((folder / "python3" / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    return KernelSpecManager(kernel_dirs=[str(folder)])


def execute(nb: Any, kernels: KernelSpecManager, cwd: Path) -> Any:
    """Run every cell of `nb` in a fresh kernel; a cell that raises fails with its traceback."""
    km = KernelManager(kernel_name="python3", kernel_spec_manager=kernels)
    client = nbclient.NotebookClient(
        nb, km=km, timeout=TIMEOUT, resources={"metadata": {"path": str(cwd)}}
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"a cell raised:\n{e}")
    return nb


def stdout(cell: Any) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def images(cell: Any) -> list[str]:
    """The image MIME types of a cell's outputs, one entry per image shown."""
    return [mime for o in cell.outputs for mime in o.get("data", {}) if mime.startswith("image/")]


def cell_with(nb: Any, text: str) -> Any:
    """The one code cell whose source contains `text`."""
    found = [c for c in nb.cells if c.cell_type == "code" and text in c.source]
    assert len(found) == 1, f"{len(found)} code cells contain {text!r}"
    return found[0]


def number(pattern: str, text: str) -> float:
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not found in:\n{text}"
    return float(m.group(1))


def run_notebook(name: str, kernels: KernelSpecManager) -> Any:
    path = NOTEBOOKS / name
    return execute(nbformat.read(path, as_version=4), kernels, path.parent)


# ------------------------------------------------------------------------------ the notebooks


def test_notebooks_are_stored_without_outputs_and_in_the_site() -> None:
    found = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert found == ["autograd_vs_backprop.ipynb", "deep_networks.ipynb", "planar.ipynb"]
    nav = (ROOT / "mkdocs.yml").read_text()
    for name in found:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(not c.outputs and c.execution_count is None for c in code), name
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert f"notebooks/{name}" in nav, f"{name} is not in the site's nav"


@pytest.mark.slow
def test_planar_notebook(kernels: KernelSpecManager) -> None:
    nb = run_notebook("planar.ipynb", kernels)
    start = number(r"cost at the start: ([\d.]+)", stdout(cell_with(nb, "cost at the start")))
    assert abs(start - 0.693) < 0.005  # log 2: every probability starts near 1/2
    loop = stdout(cell_with(nb, "step = compile(train_step)"))
    costs = [float(c) for c in re.findall(r"Cost after iteration \d+: ([\d.]+)", loop)]
    assert len(costs) == 10 and costs[-1] < 0.3 < costs[0]
    accuracy = number(r"Accuracy: ([\d.]+)%", stdout(cell_with(nb, "accuracy =")))
    assert 85.0 <= accuracy <= 100.0
    summary = cell_with(nb, "net.summary(X)").outputs[0]["data"]["text/html"]
    assert "TwoLayerNet" in summary and "(1, 400)" in summary and "Total params: 17" in summary
    w1 = cell_with(nb, "net.W1").outputs[0]["data"]
    assert "(4, 2)" in w1["text/html"] and "requires_grad" in w1["text/markdown"]
    w2 = cell_with(nb, "net.W2").outputs[0]["data"]["text/html"]
    assert "<b>grad</b>" in w2  # after backward the display shows the gradient
    for source in ["plot.plot_data", "plot.plot_decision_boundary", "plot.plot_cost"]:
        assert images(cell_with(nb, source)) == ["image/png"], source
    shown = cell_with(nb, "animate_training(").outputs[0]["data"]["text/html"]
    gif = re.fullmatch(r'<img src="data:image/gif;base64,([A-Za-z0-9+/=]+)">', shown)
    assert gif, shown[:80]
    from PIL import Image

    frames = Image.open(io.BytesIO(base64.b64decode(gif.group(1))))
    assert frames.n_frames == 11  # iterations 0, 1000, ..., 10000


@pytest.mark.slow
def test_autograd_vs_backprop_notebook(kernels: KernelSpecManager) -> None:
    nb = run_notebook("autograd_vs_backprop.ipynb", kernels)
    table = stdout(cell_with(nb, "by_hand = manual.backward_propagation"))
    assert number(r"largest difference: ([\d.e+-]+)", table) < 1e-12
    assert len(re.findall(r"^d(W1|b1|W2|b2) ", table, re.M)) == 4
    assert images(cell_with(nb, "plot.draw_graph")) == ["image/svg+xml"]
    formulas = stdout(cell_with(nb, "explain("))
    assert "dZ1 = W2ᵀ · dZ2 ⊙ (1 − A1²)" in formulas and "dZ2 = (A2 − Y)/m" in formulas
    deep = stdout(cell_with(nb, "L_model_backward"))
    assert number(r"largest difference: ([\d.e+-]+)", deep) < 1e-12
    assert "every gradient agrees with autograd" in stdout(cell_with(nb, "report = check_backward"))
    slip = stdout(cell_with(nb, "backward_with_a_slip"))
    assert "dZ1 is wrong" in slip and "derivative of tanh" in slip


@pytest.mark.slow
def test_deep_networks_notebook(kernels: KernelSpecManager) -> None:
    nb = run_notebook("deep_networks.ipynb", kernels)
    assert "DeepNet" in cell_with(nb, ".summary(X)").outputs[0]["data"]["text/html"]
    assert number(r"Accuracy: ([\d.]+)%", stdout(cell_with(nb, "deep = runs."))) >= 85.0
    inits = stdout(cell_with(nb, "runs.circles()"))
    train = dict(re.findall(r"(\w+): first cost .*train accuracy ([\d.]+)", inits))
    assert float(train["zeros"]) == 0.5 and float(train["he"]) > 0.9 > float(train["random"])
    flow = stdout(cell_with(nb, "GradientNorms("))
    ratio = dict(re.findall(r"(\w+): after .* ratio ([\d.e+-]+)", flow))
    assert float(ratio["random"]) < 1e-2 < float(ratio["he"]) < 1e2  # saturated vs healthy
    small = re.search(r"small: after 300 iterations ‖dW1‖ = ([\d.e+-]+), ‖dW7‖ = ([\d.e+-]+)", flow)
    assert small and max(float(small[1]), float(small[2])) < 1e-8  # vanished everywhere
    assert images(cell_with(nb, "GradientNorms(")) == ["image/png"]
    check = stdout(cell_with(nb, "run_gradcheck"))
    assert number(r"autograd's gradient: ([\d.e+-]+)", check) < 1e-6
    assert number(r"planted bugs: ([\d.]+)", check) > 0.1


# ------------------------------------------------------------------------------ shown once

SETUP = """
import tempfile
import numpy as np
import matplotlib.pyplot as plt
from pathlib import Path
from tinygrad_lite import Tensor, plot
from tinygrad_lite.animate import animate_training
from tinygrad_lite.datasets import load_planar_dataset
from tinygrad_lite.monitor import TrainingHistory
from models.two_layer import TwoLayerNet

X, Y = load_planar_dataset(m=40)
net = TwoLayerNet(2, 3, 1)
J = net.cost(X, Y)
J.backward(retain_graph=True)
history = TrainingHistory(every=1)
history(0, net)
history(1, {k: v * 2 for k, v in net.state_dict().items()})
disc = lambda p: (p[0] ** 2 + p[1] ** 2 < 4.0).astype(float)
"""

# (source of the cell, image outputs Jupyter must show)
CELLS = {
    "plot_data": ("plot.plot_data(X, Y)", ["image/png"]),
    "plot_decision_boundary": ("plot.plot_decision_boundary(disc, X, Y, step=0.1)", ["image/png"]),
    "plot_decision_regions": (
        "plot.plot_decision_regions(lambda p: (p[0] > 0).astype(float), X, Y, step=0.1)",
        ["image/png"],
    ),
    "plot_cost": ("plot.plot_cost([3.0, 2.0, 1.0])", ["image/png"]),
    "gradient_flow": ("plot.gradient_flow({'W1': [1.0, 0.1], 'W2': [1.0, 0.5]})", ["image/png"]),
    "draw_graph": ("plot.draw_graph(J)", ["image/svg+xml"]),
    "assigned, not the cell's value": ("fig = plot.plot_data(X, Y)", ["image/png"]),
    "asked for again": ("fig", ["image/png"]),
    "pyplot still holds it": (
        "f = plot.plot_cost([3.0, 1.0])\nprint(plt.gcf() is f)\nplt.title('mine')",
        ["image/png"],
    ),
    "animate_training draws nothing in the cell": (
        "animate_training(history, net, X, Y, Path(tempfile.mkdtemp()) / 'a.gif')",
        [],
    ),
    "a tensor": ("J", []),
    "a summary": ("net.summary((2, 5))", []),
    # matplotlib's own figure as the cell's value is shown twice: the count sees doubles
    "plain matplotlib (control)": (
        "g, ax = plt.subplots()\nax.plot([1, 2])\ng",
        ["image/png", "image/png"],
    ),
}


@pytest.mark.slow
def test_every_figure_helper_shows_once_in_a_notebook(
    kernels: KernelSpecManager, tmp_path: Path
) -> None:
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(SETUP)] + [new_code_cell(s) for s, _ in CELLS.values()])
    nb = execute(nb, kernels, ROOT)
    shown = {name: images(cell) for name, cell in zip(CELLS, nb.cells[1:], strict=True)}
    expected = {name: want for name, (_, want) in CELLS.items()}
    assert shown == expected
    cell = nb.cells[1 + list(CELLS).index("pyplot still holds it")]
    assert stdout(cell) == "True\n"
    tensor = nb.cells[1 + list(CELLS).index("a tensor")].outputs[0]["data"]
    assert {"text/html", "text/markdown", "text/plain"} <= set(tensor)
    table = nb.cells[1 + list(CELLS).index("a summary")].outputs[0]["data"]
    assert "<table>" in table["text/html"] and "Total params: 13" in table["text/plain"]
