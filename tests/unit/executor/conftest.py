"""Fixtures of the executor's tests on fakes (helpers in on_fakes.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobscheduler.logic import executor
from tests.fakes.adapters import FakeAdapters, wired_fakes
from tests.unit.executor.on_fakes import Task_


@pytest.fixture
def fakes() -> Iterator[FakeAdapters]:
    with wired_fakes() as wired:
        yield wired


@pytest.fixture
def task(monkeypatch: pytest.MonkeyPatch) -> Task_:
    fake = Task_()
    monkeypatch.setattr(executor, "run_task", fake)
    return fake
