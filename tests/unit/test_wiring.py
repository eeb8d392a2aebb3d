"""The wiring serves each port by its real module unless a test swaps it, and names
every port exactly once."""

from __future__ import annotations

from dataclasses import fields

import pytest

from jobscheduler import wiring
from tests.fakes.adapters import FakeRunLedger, wired_fakes


def test_every_port_has_one_real_module() -> None:
    assert sorted(wiring.REAL_MODULES) == sorted(f.name for f in fields(wiring.Adapters))
    real = wiring.adapters()
    assert real.runs.__name__ == "jobscheduler.dal.runs"  # type: ignore[attr-defined]


def test_a_swap_lasts_for_its_block_only() -> None:
    with wired_fakes() as fakes:
        assert wiring.adapter("runs") is fakes.runs
        assert isinstance(wiring.adapters().runs, FakeRunLedger)
        with wiring.use(runs="inner"):
            assert wiring.adapter("runs") == "inner"
        assert wiring.adapter("runs") is fakes.runs
    assert wiring.adapter("runs").__name__ == "jobscheduler.dal.runs"


def test_an_unknown_port_is_refused() -> None:
    with pytest.raises(TypeError, match="no such port"), wiring.use(ledger=object()):
        pass
