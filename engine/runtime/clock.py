"""Time, as the runtime sees it: a `Clock` gives the current aware datetime.

Everything that depends on the time (defaults such as `=today()`, sequence periods,
`created_at`, history) asks the engine's clock, never `datetime.now()`, so scenario tests
and the test suite can fix and advance time.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    """A source of the current time."""

    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        """The current moment in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until it is set or advanced (tests, scenario suites)."""

    def __init__(self, moment: datetime) -> None:
        self._lock = threading.Lock()
        self._moment = _aware(moment)

    def now(self) -> datetime:
        """The moment the clock is set to."""
        with self._lock:
            return self._moment

    def set(self, moment: datetime) -> None:
        """Move the clock to `moment` (aware)."""
        with self._lock:
            self._moment = _aware(moment)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by `delta` (backwards when negative); returns the new time."""
        with self._lock:
            self._moment = self._moment + delta
            return self._moment


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a clock needs an aware datetime, not {moment.isoformat()}")
    return moment
