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
