"""Clocks: the fixed clock stands still until set or advanced; both give aware times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from engine.runtime.clock import FixedClock, SystemClock


def test_fixed_clock_stands_still_and_advances() -> None:
    clock = FixedClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    assert clock.now() == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert clock.advance(timedelta(hours=49)) == datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    assert clock.now() == datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    shanghai = timezone(timedelta(hours=8))
    clock.set(datetime(2026, 1, 1, 9, 0, tzinfo=shanghai))
    assert clock.now() == datetime(2026, 1, 1, 1, 0, tzinfo=UTC)


def test_fixed_clock_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        FixedClock(datetime(2026, 3, 2, 1, 0))
    clock = FixedClock(datetime(2026, 3, 2, tzinfo=UTC))
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2026, 3, 3))


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
