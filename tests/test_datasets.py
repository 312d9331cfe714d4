"""Tests of tinygrad_lite.datasets: the tutorial's flower and the 2-D toy sets."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite.datasets import (
    DATASETS,
    blobs,
    gaussian_quantiles,
    load_dataset,
    load_planar_dataset,
    make_circles,
    make_moons,
    noisy_circles,
    noisy_moons,
    spiral,
)

Loader = Callable[..., tuple[np.ndarray, np.ndarray]]

NAMES = ["flower", "planar", "noisy_circles", "noisy_moons", "blobs", "gaussian_quantiles"]
SIZED: list[tuple[Loader, str]] = [
    (load_planar_dataset, "m"),
    (noisy_circles, "n"),
    (noisy_moons, "n"),
    (blobs, "n"),
    (gaussian_quantiles, "n"),
]


def _course_flower() -> tuple[np.ndarray, np.ndarray]:
    """The course's load_planar_dataset, written out as it was: global seed, uint8 labels."""
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(1)  # noqa: NPY002
        m = 400
        N = int(m / 2)
        X = np.zeros((m, 2))
        Y = np.zeros((m, 1), dtype="uint8")
        a = 4
        for j in range(2):
            ix = range(N * j, N * (j + 1))
            t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2  # noqa: NPY002
            r = a * np.sin(4 * t) + np.random.randn(N) * 0.2  # noqa: NPY002
            X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
            Y[ix] = j
        return X.T, Y.T
    finally:
        np.random.set_state(state)  # noqa: NPY002


def test_flower_is_the_course_data_exactly() -> None:
    X, Y = load_planar_dataset()
    X_course, Y_course = _course_flower()
    np.testing.assert_array_equal(X[:, :3], X_course[:, :3])
    np.testing.assert_array_equal(X, X_course)
    np.testing.assert_array_equal(Y, Y_course.astype(np.float64))
    np.testing.assert_allclose(
        X[:, :3], [[1.20444229, 0.1587099, 0.0952472], [3.57611415, -1.4821709, -1.27995533]],
        atol=5e-9,
    )  # fmt: skip
    # The summation order of a contiguous and a transposed array may differ in the last bit.
    np.testing.assert_allclose(X.mean(axis=1), X_course.mean(axis=1), rtol=1e-12)
    for j in (0, 1):
        np.testing.assert_allclose(
            X[:, Y[0] == j].mean(axis=1), X_course[:, Y_course[0] == j].mean(axis=1), rtol=1e-12
        )


def test_flower_layout_and_labels() -> None:
    X, Y = load_planar_dataset()
    assert X.shape == (2, 400) and Y.shape == (1, 400)
    assert X.dtype == np.float64 and Y.dtype == np.float64
    assert X.flags.c_contiguous and Y.flags.c_contiguous
    np.testing.assert_array_equal(Y[0, :200], 0.0)
    np.testing.assert_array_equal(Y[0, 200:], 1.0)
    np.testing.assert_array_equal(1 - Y, 1.0 - Y)  # float labels: 1 - Y cannot wrap
    assert np.all((1 - Y) >= 0)


@pytest.mark.parametrize("seed", [0, 1, 2, 123])
def test_flower_points_lie_on_the_rose_curve(seed: int) -> None:
    # A point is (r sin t, r cos t) with r = 4 sin 4t + 0.2 ε. Its polar angle φ = atan2(x, y)
    # equals t modulo π, and |sin 4φ| = |sin 4t|, so ||x|| − |4 sin 4φ| is the radial noise.
    X, _ = load_planar_dataset(seed=seed)
    radius = np.hypot(X[0], X[1])
    phi = np.arctan2(X[0], X[1])
    deviation = np.abs(radius - np.abs(4.0 * np.sin(4.0 * phi)))
    assert np.all(radius <= 4.0 + 5 * 0.2)
    assert np.all(deviation <= 5 * 0.2)
    assert np.mean(deviation) < 0.25  # E|0.2 ε| ≈ 0.16
    # Class 0 fills the angles near [0, 3.12], class 1 those near [3.12, 6.24] (mod π as r
    # may be negative), so the petals of each class are spread all round.
    assert np.mean(radius) > 2.0


def test_flower_sizes_and_seeds() -> None:
    X, Y = load_planar_dataset(m=10, seed=3)
    assert X.shape == (2, 10) and Y.shape == (1, 10)
    np.testing.assert_array_equal(Y, [[0.0] * 5 + [1.0] * 5])
    assert not np.array_equal(load_planar_dataset(seed=2)[0], load_planar_dataset(seed=1)[0])


@pytest.mark.parametrize(("loader", "size"), SIZED)
@settings(deadline=None, max_examples=15)
@given(n=st.integers(1, 60).map(lambda k: 2 * k), seed=st.integers(0, 2**32 - 1))
def test_layout_dtype_and_balance(loader: Loader, size: str, n: int, seed: int) -> None:
    if loader is blobs:
        n = max(n, 6)
    X, Y = loader(**{size: n, "seed": seed})
    assert X.shape == (2, n) and Y.shape == (1, n)
    assert X.dtype == np.float64 and Y.dtype == np.float64
    assert np.all(np.isfinite(X))
    assert set(np.unique(Y)) == {0.0, 1.0}
    if loader is not blobs or n % 6 == 0:
        assert Y.sum() == n // 2


@pytest.mark.parametrize(("loader", "size"), SIZED)
def test_seeded_determinism(loader: Loader, size: str) -> None:
    X1, Y1 = loader(seed=5)
    X2, Y2 = loader(seed=5)
    X3, _ = loader(seed=6)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)
    assert not np.allclose(X1, X3)


@pytest.mark.parametrize("loader", [noisy_circles, noisy_moons, gaussian_quantiles])
def test_odd_sizes_give_the_extra_example_to_one_class(loader: Loader) -> None:
    X, Y = loader(n=7)
    assert X.shape == (2, 7)
    assert Y.sum() in (3.0, 4.0)


def test_circles_without_noise_lie_on_their_circles() -> None:
    X, Y = noisy_circles(n=100, noise=0.0, factor=0.3)
    radius = np.hypot(X[0], X[1])
    np.testing.assert_allclose(radius[Y[0] == 0], 1.0, rtol=1e-12)
    np.testing.assert_allclose(radius[Y[0] == 1], 0.3, rtol=1e-12)
    X, Y = noisy_circles(n=2000, noise=0.1, seed=3)
    radius = np.hypot(X[0], X[1])
    assert radius[Y[0] == 0].mean() == pytest.approx(1.0, abs=0.05)
    assert radius[Y[0] == 1].mean() == pytest.approx(0.5, abs=0.05)


def test_moons_without_noise_lie_on_their_half_circles() -> None:
    X, Y = noisy_moons(n=50, noise=0.0)
    outer, inner = X[:, Y[0] == 0], X[:, Y[0] == 1]
    np.testing.assert_allclose(np.hypot(outer[0], outer[1]), 1.0, rtol=1e-12)
    assert np.all(outer[1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(inner[0] - 1.0, inner[1] - 0.5), 1.0, rtol=1e-12)
    assert np.all(inner[1] <= 0.5 + 1e-12)


def test_blobs_are_labelled_by_centre_parity() -> None:
    X, Y = blobs(n=600, centers=6, seed=5, cluster_std=0.0)
    centres, index = np.unique(X, axis=1, return_inverse=True)
    assert centres.shape == (2, 6)
    assert np.all(np.abs(centres) <= 10.0)
    # Each centre's points share one label, and the six centres alternate between the classes.
    labels = [set(Y[0, index.ravel() == k].tolist()) for k in range(6)]
    assert all(len(label) == 1 for label in labels)
    assert sorted(label.pop() for label in labels) == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    assert Y.sum() == 300
    X, _ = blobs(n=600, centers=6, seed=5, cluster_std=1.0)
    assert 0.5 < np.std(X - centres[:, index.ravel()]) < 1.5


def test_blobs_with_other_centre_counts() -> None:
    X, Y = blobs(n=9, centers=3, seed=0)
    assert X.shape == (2, 9)
    assert Y.sum() == 3  # centres 0 and 2 are class 0, centre 1 class 1


def test_gaussian_quantiles_split_at_the_median_radius() -> None:
    X, Y = gaussian_quantiles(n=500, seed=1)
    radius = np.hypot(X[0], X[1])
    assert radius[Y[0] == 0].max() <= radius[Y[0] == 1].min()
    assert Y.sum() == 250
    assert np.std(X) == pytest.approx(1.0, abs=0.1)


def test_dataset_names() -> None:
    assert sorted(DATASETS) == sorted(NAMES)
    for name in NAMES:
        X, Y = load_dataset(name)
        assert X.shape[0] == 2 and Y.shape == (1, X.shape[1])
    np.testing.assert_array_equal(load_dataset("planar")[0], load_dataset("flower")[0])
    np.testing.assert_array_equal(load_dataset("flower")[0], load_planar_dataset()[0])
    X, _ = load_dataset("noisy_moons", n=30, noise=0.1, seed=2)
    np.testing.assert_array_equal(X, noisy_moons(n=30, noise=0.1, seed=2)[0])
    assert load_dataset("flower", m=20)[0].shape == (2, 20)


def test_unknown_name_lists_the_valid_names() -> None:
    with pytest.raises(ValueError, match="'moons'") as info:
        load_dataset("moons")
    for name in NAMES:
        assert repr(name) in str(info.value)
    with pytest.raises(ValueError, match="valid names"):
        load_dataset(3)  # type: ignore[arg-type]


def test_unknown_keyword_lists_the_parameters() -> None:
    with pytest.raises(TypeError, match=re.escape("takes no argument(s) n; its parameters are m")):
        load_dataset("flower", n=10)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: load_planar_dataset(m=401), ValueError, "m must be even, got 401"),
        (lambda: load_planar_dataset(m=0), ValueError, "m must be >= 1, got 0"),
        (lambda: load_planar_dataset(m=-4), ValueError, "m must be >= 1, got -4"),
        (lambda: load_planar_dataset(m=400.0), TypeError, "m must be an int, got float"),
        (lambda: load_planar_dataset(seed=-1), ValueError, "seed must be >= 0, got -1"),
        (lambda: noisy_circles(n=1), ValueError, "n must be >= 2, got 1"),
        (lambda: noisy_circles(noise=-0.1), ValueError, "noise must be finite and >= 0, got -0.1"),
        (lambda: noisy_circles(factor=1.0), ValueError, "factor must be in (0, 1), got 1.0"),
        (lambda: noisy_moons(noise=float("nan")), ValueError, "noise must be finite"),
        (lambda: noisy_moons(noise="0.2"), TypeError, "noise must be a real number"),
        (lambda: noisy_moons(n=True), TypeError, "n must be an int, got bool"),
        (lambda: blobs(centers=1), ValueError, "centers must be >= 2, got 1"),
        (lambda: blobs(n=4, centers=6), ValueError, "n must be >= centers"),
        (lambda: blobs(cluster_std=-1.0), ValueError, "cluster_std must be finite and >= 0"),
        (lambda: gaussian_quantiles(n=0), ValueError, "n must be >= 2, got 0"),
    ],
)
def test_bad_arguments(call: Callable[[], object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call()


# ------------------------------------------------------------------ scikit-learn-style generators

Generator = Callable[..., tuple[np.ndarray, np.ndarray]]
SKLEARN_STYLE: list[tuple[str, Generator]] = [
    ("make_circles", make_circles),
    ("make_moons", make_moons),
]
counts = st.one_of(st.integers(1, 300), st.tuples(st.integers(0, 40), st.integers(0, 40)))


@pytest.fixture
def global_state() -> Iterator[None]:
    """Leave NumPy's global legacy random state as the test found it."""
    state = np.random.get_state()  # noqa: NPY002
    yield
    np.random.set_state(state)  # noqa: NPY002


def _split_counts(n_samples: int | tuple[int, int]) -> tuple[int, int]:
    return (
        n_samples if isinstance(n_samples, tuple) else (n_samples // 2, n_samples - n_samples // 2)
    )


@pytest.mark.parametrize(("name", "make"), SKLEARN_STYLE)
@settings(deadline=None, max_examples=25)
@given(
    n_samples=counts.filter(lambda c: c != (0, 0)),
    shuffle=st.booleans(),
    noise=st.one_of(st.none(), st.floats(0.0, 2.0)),
    seed=st.integers(0, 2**32 - 1),
)
def test_row_layout_labels_and_determinism(
    name: str,
    make: Generator,
    n_samples: int | tuple[int, int],
    shuffle: bool,
    noise: float | None,
    seed: int,
) -> None:
    X, y = make(n_samples, shuffle=shuffle, noise=noise, random_state=seed)
    outer, inner = _split_counts(n_samples)
    n = outer + inner
    assert X.shape == (n, 2) and y.shape == (n,)
    assert X.dtype == np.float64 and y.dtype == np.intp
    assert X.flags.c_contiguous and np.all(np.isfinite(X))
    assert int(np.sum(y == 0)) == outer and int(np.sum(y == 1)) == inner
    if not shuffle:
        np.testing.assert_array_equal(y, [0] * outer + [1] * inner)
    X2, y2 = make(n_samples, shuffle=shuffle, noise=noise, random_state=np.random.RandomState(seed))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


@pytest.mark.parametrize(("name", "make"), SKLEARN_STYLE)
def test_none_draws_from_the_global_legacy_state(
    name: str, make: Generator, global_state: None
) -> None:
    np.random.seed(1)  # noqa: NPY002
    X, y = make(300, noise=0.05)
    after = np.random.rand()  # noqa: NPY002
    X_seeded, y_seeded = make(300, noise=0.05, random_state=1)
    np.testing.assert_array_equal(X, X_seeded)
    np.testing.assert_array_equal(y, y_seeded)
    # The global state advanced exactly as a RandomState(1) does: one permutation, one normal draw.
    rs = np.random.RandomState(1)
    rs.permutation(300)
    rs.normal(size=(300, 2))
    assert after == rs.rand()
    np.random.seed(2)  # noqa: NPY002
    assert not np.array_equal(make(300, noise=0.05)[0], X)


@pytest.mark.parametrize(("name", "make"), SKLEARN_STYLE)
@pytest.mark.parametrize("noise", [0.0, 0.05, 0.3])
def test_rows_are_shuffled_first_and_noise_added_after(
    name: str, make: Generator, noise: float
) -> None:
    X0, y0 = make(37, shuffle=False, random_state=4)
    X, y = make(37, noise=noise, random_state=4)
    rs = np.random.RandomState(4)
    order = rs.permutation(37)
    epsilon = rs.normal(scale=noise, size=(37, 2))
    np.testing.assert_array_equal(y, y0[order])
    np.testing.assert_array_equal(X, X0[order] + epsilon)
    # Noise 0 draws (and adds zeros), noise None draws nothing: the shapes are the same.
    np.testing.assert_array_equal(make(37, noise=None, random_state=4)[0], X0[order])


def test_circles_lie_on_their_two_circles_evenly_spaced() -> None:
    for factor in (0.8, 0.5, 0.0):
        X, y = make_circles((12, 7), shuffle=False, factor=factor)
        radius = np.hypot(X[:, 0], X[:, 1])
        np.testing.assert_allclose(radius[y == 0], 1.0, rtol=1e-15)
        np.testing.assert_allclose(radius[y == 1], factor, rtol=1e-15, atol=1e-300)
        angle = np.arctan2(X[:12, 1], X[:12, 0]) % (2 * np.pi)
        np.testing.assert_allclose(angle, 2 * np.pi * np.arange(12) / 12, atol=1e-14)
    X, y = make_circles(4000, noise=0.05, random_state=0, factor=0.5)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius[y == 0].mean() == pytest.approx(1.0, abs=0.01)
    assert radius[y == 1].mean() == pytest.approx(0.5, abs=0.01)


def test_moons_lie_on_their_half_circles() -> None:
    X, y = make_moons((25, 30), shuffle=False)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, rtol=1e-15)
    assert np.all(upper[:, 1] >= 0.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, rtol=1e-15)
    assert np.all(lower[:, 1] <= 0.5)
    # Both ends of [0, π] are included: the upper moon runs from (1, 0) to (−1, 0).
    np.testing.assert_allclose(upper[[0, -1]], [[1.0, 0.0], [-1.0, 0.0]], atol=1e-15)
    np.testing.assert_allclose(lower[[0, -1]], [[0.0, 0.5], [2.0, 0.5]], atol=1e-15)


def test_scikit_learn_gives_the_same_bits() -> None:
    skd = pytest.importorskip("sklearn.datasets")
    cases: list[tuple[Generator, Generator, dict[str, object]]] = []
    for n in (1, 2, 7, 100, 300, (3, 9)):
        for noise in (None, 0.0, 0.2):
            cases.append((make_moons, skd.make_moons, {"n_samples": n, "noise": noise}))
            for factor in (0.8, 0.3):
                kwargs = {"n_samples": n, "noise": noise, "factor": factor}
                cases.append((make_circles, skd.make_circles, kwargs))
    state = np.random.get_state()  # noqa: NPY002
    try:
        for ours, theirs, kwargs in cases:
            for shuffle in (True, False):
                for seed in (0, 1, 2, 3):
                    runs = []
                    for make in (ours, theirs):
                        np.random.seed(seed)  # noqa: NPY002
                        X, y = make(shuffle=shuffle, **kwargs)
                        runs.append((X, y, np.random.rand()))  # noqa: NPY002
                    (X, y, after), (X_sk, y_sk, after_sk) = runs
                    assert X.dtype == X_sk.dtype and y.dtype == y_sk.dtype
                    np.testing.assert_array_equal(X.view(np.uint64), X_sk.view(np.uint64))
                    np.testing.assert_array_equal(y, y_sk)
                    assert after == after_sk
    finally:
        np.random.set_state(state)  # noqa: NPY002


def _case_study_spiral(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The minimal neural network case study's spiral, written out as it was: global state."""
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(seed)  # noqa: NPY002
        N, D, K = 100, 2, 3
        X = np.zeros((N * K, D))
        y = np.zeros(N * K, dtype="uint8")
        for j in range(K):
            ix = range(N * j, N * (j + 1))
            r = np.linspace(0.0, 1, N)
            t = np.linspace(j * 4, (j + 1) * 4, N) + np.random.randn(N) * 0.2  # noqa: NPY002
            X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
            y[ix] = j
        return X, y
    finally:
        np.random.set_state(state)  # noqa: NPY002


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_spiral_is_the_case_study_data(seed: int, global_state: None) -> None:
    X, y = spiral(seed=seed)
    X_ref, y_ref = _case_study_spiral(seed)
    assert X.shape == (300, 2) and y.shape == (300,)
    assert X.dtype == np.float64 and y.dtype == np.intp
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)
    np.random.seed(seed)  # noqa: NPY002
    np.testing.assert_array_equal(spiral(seed=None)[0], X)
    np.testing.assert_array_equal(spiral(seed=np.random.RandomState(seed))[0], X)


def test_spiral_geometry_and_sizes() -> None:
    X, y = spiral(points_per_class=50, classes=4, seed=3)
    assert X.shape == (200, 2)
    np.testing.assert_array_equal(y, np.repeat(np.arange(4), 50))
    for j in range(4):
        arm = X[y == j]
        # The radius of the k-th point of every arm is k / (N − 1), whatever the angle's noise.
        np.testing.assert_allclose(
            np.hypot(arm[:, 0], arm[:, 1]), np.linspace(0, 1, 50), atol=1e-15
        )
    assert not np.array_equal(spiral(seed=3)[0], spiral(seed=4)[0])
    np.testing.assert_array_equal(spiral(seed=3)[0], spiral(seed=3)[0])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: make_circles(0), ValueError, "make_circles: n_samples must be >= 1, got 0"),
        (lambda: make_moons(-3), ValueError, "make_moons: n_samples must be >= 1, got -3"),
        (lambda: make_moons(True), TypeError, "n_samples must be an int, got bool"),
        (lambda: make_moons(10.0), TypeError, "n_samples must be an int, got float"),
        (lambda: make_circles((1, 2, 3)), ValueError, "must be (n_outer, n_inner), got (1, 2, 3)"),
        (lambda: make_circles((0, 0)), ValueError, "at least one sample, got (0, 0)"),
        (lambda: make_circles((2, -1)), ValueError, "n_samples[1] must be >= 0, got -1"),
        (lambda: make_circles(noise=-0.1), ValueError, "noise must be finite and >= 0, got -0.1"),
        (lambda: make_moons(noise=float("inf")), ValueError, "noise must be finite and >= 0"),
        (lambda: make_circles(factor=1.0), ValueError, "factor must be in [0, 1), got 1.0"),
        (lambda: make_circles(factor=-0.5), ValueError, "factor must be finite and >= 0"),
        (lambda: make_moons(shuffle=1), TypeError, "shuffle must be a bool, got int"),
        (lambda: make_moons(random_state=-1), ValueError, "random_state must be in [0, 2**32 - 1]"),
        (lambda: make_moons(random_state=2**32), ValueError, "got 4294967296"),
        (
            lambda: make_circles(random_state=np.random.default_rng(0)),
            TypeError,
            "random_state must be None, an int or a np.random.RandomState, got Generator",
        ),
        (lambda: spiral(points_per_class=0), ValueError, "points_per_class must be >= 1, got 0"),
        (lambda: spiral(classes=2.0), TypeError, "classes must be an int, got float"),
        (lambda: spiral(seed="1"), TypeError, "spiral: seed must be None, an int or"),
    ],
)
def test_generator_bad_arguments(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call()
