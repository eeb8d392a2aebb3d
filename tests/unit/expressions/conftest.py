"""Shared fixed clock for the expression tests (never the wall clock)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

# Wednesday 2026-03-04 10:00 UTC: before the 2026 spring-forward days in the US, UK and
# after Sydney's summer; fixed so nothing depends on when the tests run.
NOW = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW
