"""Shared pytest configuration: hypothesis profiles chosen by HYPOTHESIS_PROFILE."""

import os

import numpy as np
from hypothesis import HealthCheck, settings

COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=30, **COMMON)
settings.register_profile("thorough", max_examples=500, **COMMON)
settings.register_profile("dev", max_examples=10, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Warnings from NumPy's floating point are errors in the tests unless a test expects them.
np.seterr(over="raise", invalid="raise", divide="raise")
