"""Calendar periods over a date range, for `for_each` with `periods:`.

A plan is laid out over time by iterating the weeks, months, quarters or years that
overlap a range. Each period is clipped to the range, so the periods of one kind partition
it exactly: the weeks of March are March's days split at the week start, the first one
beginning on March 1 even when its week began in February. Targets split over them then
add up to the range's total with no day counted twice or lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from engine.expr.calendar import end_of_period

__all__ = ["MAX_PERIODS", "PERIOD_KINDS", "Period", "calendar_periods"]

PERIOD_KINDS: tuple[str, ...] = ("year", "quarter", "month", "week")
"""The `every:` values, from the longest period to the shortest."""

MAX_PERIODS = 1000
"""More periods than this is a mistake in the range (a start in year 1), not a plan."""


@dataclass(frozen=True)
class Period:
    """One period of a range: its first and last day (inclusive, clipped to the range),
    its 1-based position in the range and its kind."""

    start: date
    end: date
    index: int
    type: str

    def as_mapping(self) -> Mapping[str, Any]:
        """The period as an expression sees it: `p.start`, `p.end`, `p.index`, `p.type`."""
        return MappingProxyType(
            {"start": self.start, "end": self.end, "index": self.index, "type": self.type}
        )


def calendar_periods(start: date, end: date, every: str, first_weekday: int = 0) -> list[Period]:
    """The periods of kind `every` overlapping [start, end], in time order, each clipped to
    the range; none when `end` is before `start`. Weeks begin on `first_weekday`
    (0 = Monday … 6 = Sunday).

    Raises ValueError for an unknown kind or a range of more than `MAX_PERIODS` periods.
    """
    if every not in PERIOD_KINDS:
        raise ValueError(f"unknown period {every!r} (expected one of: {', '.join(PERIOD_KINDS)})")
    found: list[Period] = []
    day = start
    while day <= end:
        if len(found) == MAX_PERIODS:
            raise ValueError(
                f"{start.isoformat()} to {end.isoformat()} has more than {MAX_PERIODS} "
                f"periods of a {every}"
            )
        last = min(end_of_period(day, every, first_weekday), end)
        found.append(Period(day, last, len(found) + 1, every))
        if last == date.max:
            break
        day = last + timedelta(days=1)
    return found
