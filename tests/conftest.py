"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest
from problems import Problem, seed000, seed001


@pytest.fixture
def p000() -> Problem:
    return seed000()


@pytest.fixture
def p001() -> Problem:
    return seed001()


# ---- hypothesis profiles (issue 6: randomized differential testing) -----------------------
# "ci" (the default) is derandomized, so CI runs the same few hundred generated expressions
# every time; "long" (pytest --hypothesis-profile=long) scales every count in
# tests/test_random_exprs.py by 100 and explores new examples on each run. No deadline:
# SymPy-exact checks carry their own per-example time limit (matcalc.testing.time_limit).
import os  # noqa: E402

from hypothesis import HealthCheck, settings  # noqa: E402

_RELAXED = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True,
                          suppress_health_check=_RELAXED, print_blob=True)
settings.register_profile("long", max_examples=10_000, deadline=None,
                          suppress_health_check=_RELAXED, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
