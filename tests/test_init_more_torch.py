"""nn.init's newer initialisers against PyTorch's: exact where deterministic, else the same law."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tinygrad_lite import nn  # noqa: E402
from tinygrad_lite.nn import init  # noqa: E402


def empty(*shape: int) -> nn.Parameter:
    return nn.Parameter(np.full(shape, np.nan))


@pytest.mark.parametrize("shape", [(2, 3), (3, 2), (1, 1)])
def test_eye_equals_torch(shape: tuple[int, int]) -> None:
    expected = torch.nn.init.eye_(torch.empty(shape, dtype=torch.float64)).numpy()
    np.testing.assert_array_equal(init.eye_(empty(*shape)).data, expected)


@pytest.mark.parametrize(
    "shape, groups",
    [((3, 2, 3), 1), ((4, 3, 2, 4), 2), ((6, 2, 3, 3, 3), 3), ((2, 5, 1, 2), 1)],
)
def test_dirac_equals_torch(shape: tuple[int, ...], groups: int) -> None:
    expected = torch.nn.init.dirac_(torch.empty(shape, dtype=torch.float64), groups).numpy()
    np.testing.assert_array_equal(init.dirac_(empty(*shape), groups).data, expected)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 2)])
def test_orthogonal_follows_torch_steps_on_the_same_draw(shape: tuple[int, ...]) -> None:
    # PyTorch's steps (QR, then the columns times sign(diag R)) on our normal draw.
    rows = shape[0]
    A = torch.from_numpy(np.random.default_rng(4).standard_normal((rows, math.prod(shape) // rows)))
    wide = rows < A.shape[1]
    q, r = torch.linalg.qr(A.t() if wide else A)
    q = q * torch.diag(r, 0).sign()
    expected = (q.t() if wide else q).reshape(shape) * 1.5
    np.testing.assert_allclose(
        init.orthogonal_(empty(*shape), 1.5, seed=4).data, expected, atol=1e-13
    )


def test_sparse_zero_counts_equal_torch() -> None:
    t = torch.nn.init.sparse_(torch.empty(7, 5, dtype=torch.float64), sparsity=0.4)
    ours = init.sparse_(empty(7, 5), sparsity=0.4, seed=0).data
    np.testing.assert_array_equal((ours == 0).sum(0), (t == 0).sum(0).numpy())


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.0, 1.0, 1.5, 3.0)])
def test_trunc_normal_has_torch_law(mean: float, std: float, a: float, b: float) -> None:
    n = 20000
    torch.manual_seed(0)
    t = torch.nn.init.trunc_normal_(torch.empty(n, dtype=torch.float64), mean, std, a, b).numpy()
    ours = init.trunc_normal_(empty(n), mean, std, a, b, seed=0).data
    se = math.sqrt(t.var() / n)
    assert abs(ours.mean() - t.mean()) < 6 * se
    assert abs(ours.std() / t.std() - 1) < 0.05
    assert ours.min() >= a and ours.max() <= b


def test_same_refusals_as_torch() -> None:
    cases = [
        (lambda m: m.nn.init.orthogonal_, (5,)),
        (lambda m: m.nn.init.eye_, (2, 2, 2)),
        (lambda m: m.nn.init.dirac_, (2, 2)),
        (lambda m: m.nn.init.sparse_, (4,)),
    ]
    for get, shape in cases:
        args = (0.5,) if get(torch).__name__ == "sparse_" else ()
        with pytest.raises(ValueError):
            get(torch)(torch.empty(shape), *args)
        fn = getattr(init, get(torch).__name__)
        with pytest.raises(ValueError, match="only tensors with"):
            fn(empty(*shape), *args)


def test_the_old_names_are_torch_old_names() -> None:
    old = [n for n in dir(torch.nn.init) if n + "_" in dir(torch.nn.init)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exposing them does not warn; calling them does
        missing = [n for n in old if not callable(getattr(init, n, None))]
    assert old and not missing
