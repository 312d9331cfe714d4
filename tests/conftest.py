"""Shared pytest configuration: hypothesis profiles chosen by HYPOTHESIS_PROFILE."""

import gc
import os
import signal
import sys
import warnings
from collections.abc import Iterator
from typing import Any

# The parallel workers share the machine's cores: a BLAS call that started threads in each
# would have them compete (OpenBLAS's threads spin while they wait for work), so each worker's
# BLAS runs one thread, unless the environment says otherwise. Child processes inherit it.
for _blas_threads in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_blas_threads, "1")

# Hypothesis collects the constants in the source of every local module it sees loaded (here
# the library's ~250 modules: 3 s of parsing) and caches them under its storage directory,
# which is the working directory's `.hypothesis` unless the environment names one. The doc
# pages, notebooks and commands the tests run start in fresh folders: pointing them at the
# checkout's cache spares each one the parsing.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY",
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".hypothesis"),
)

import numpy as np  # noqa: E402 - after the thread settings, which BLAS reads when it loads
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
# The default profile keeps no example database: a failure prints its example and the blob
# that replays it (print_blob), and reading and writing the database on every test cost about
# 7% of the property tests' time (a CI clone starts with an empty one anyway).
settings.register_profile("ci", max_examples=20, database=None, **COMMON)
settings.register_profile("thorough", max_examples=500, **COMMON)
settings.register_profile("dev", max_examples=10, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each worker's share of the tests starts with its share of the slow ones.

    A parallel run (pytest-xdist's worksteal) first hands each worker a contiguous share of
    the list, then moves queued tests from busy workers to idle ones. With the slow tests
    dealt out to the fronts of the shares, every worker starts on long tests and the run ends
    on short ones everywhere, instead of one worker working through all the long tests. Slow
    tests marked `slow(group=name)` share an expensive module fixture: they are dealt to one
    worker together, so that only one worker computes it.
    """
    groups: dict[str, list[pytest.Item]] = {}  # slow tests dealt together (`slow(group=...)`)
    fast: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("slow")
        if marker is None:
            fast.append(item)
        else:
            groups.setdefault(marker.kwargs.get("group", item.nodeid), []).append(item)
    slow = list(groups.values())
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    per = -(-len(fast) // workers)  # the shares' sizes, as the scheduler cuts them
    order: list[pytest.Item] = []
    for w in range(workers):
        order += [item for group in slow[w::workers] for item in group]
        order += fast[w * per : (w + 1) * per]
    items[:] = order


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move what collection built (modules, test items) out of the cyclic collector's sight.

    Those objects live until the session ends; without this, every full collection during the
    tests walks all of them again (about three quarters of the collector's time).
    """
    gc.collect()
    gc.freeze()


# Warnings from NumPy's floating point are errors in the tests unless a test expects them.
np.seterr(over="raise", invalid="raise", divide="raise")


@pytest.fixture
def alarm() -> Iterator[list[Any]]:
    """SIGALRM raises KeyboardInterrupt, as Ctrl-C would; yields what was reported unraisable."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt("simulated Ctrl-C")

    unraisable: list[Any] = []
    old_handler = signal.signal(signal.SIGALRM, handler)
    old_hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    # No cyclic garbage collection during the trials: an interrupt landing in the finalizer
    # of an object that other tests left behind (or in a gc callback) is not what is tested.
    gc.collect()
    gc.disable()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ResourceWarning)  # an unclosed file, as an error
            yield unraisable
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        sys.unraisablehook = old_hook
        gc.enable()
