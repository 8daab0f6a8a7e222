"""Calendar arithmetic on `datetime.date`: periods (week, month, quarter, year), shifts and
working days.

Months are added with the day clipped to the target month's length (Jan 31 + 1 month =
Feb 28/29), as PostgreSQL does; weeks start on a configurable weekday (0 = Monday). A
`WorkCalendar` is the app's `calendar:` — Monday to Friday are worked, minus its holidays,
plus its extra working days (weekend days moved to make a long holiday: China's 调休).
"""

from __future__ import annotations

import bisect
import calendar as _stdlib_calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "WEEKEND",
    "WEEK_STARTS",
    "WorkCalendar",
    "add_months",
    "date_problem",
    "days_between",
    "end_of_period",
    "quarter_of",
    "start_of_period",
    "weekdays_between",
]

PERIODS = ("week", "month", "quarter", "year")
WEEK_STARTS = {"monday": 0, "sunday": 6}
"""The first weekday (Python's numbering) of each app `week_start`."""
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def date_problem(written: str) -> str | None:
    """Why `written` is not a date ('YYYY-MM-DD' that exists); None when it is one."""
    if not _ISO_DATE.match(written):
        return f"'{written}' is not a date (write it as 'YYYY-MM-DD')"
    year, month, day = (int(part) for part in written.split("-"))
    if not 1 <= month <= 12:
        return f"'{written}' is not a real date: there is no month {month}"
    if year < 1:
        return f"'{written}' is not a real date: there is no year 0"
    days = _stdlib_calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        name = _stdlib_calendar.month_name[month]
        return f"'{written}' is not a real date: {name} {year} has {days} days"
    return None


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, the day of month clipped to the target month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    last = _stdlib_calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def days_between(start: date, end: date) -> int:
    """Whole days from `start` to `end` (negative when `end` is earlier)."""
    return (end - start).days


def quarter_of(day: date) -> int:
    """1 … 4."""
    return (day.month - 1) // 3 + 1


def start_of_period(day: date, period: str, first_weekday: int = 0) -> date:
    """The first day of the week / month / quarter / year containing `day`."""
    if period == "week":
        return day - timedelta(days=(day.weekday() - first_weekday) % 7)
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return date(day.year, (quarter_of(day) - 1) * 3 + 1, 1)
    if period == "year":
        return date(day.year, 1, 1)
    raise ValueError(f"unknown period {period!r}")


def end_of_period(day: date, period: str, first_weekday: int = 0) -> date:
    """The last day of the week / month / quarter / year containing `day`."""
    start = start_of_period(day, period, first_weekday)
    if period == "week":
        return start + timedelta(days=6)
    last_month = start.month + {"month": 0, "quarter": 2, "year": 11}[period]
    return date(start.year, last_month, _stdlib_calendar.monthrange(start.year, last_month)[1])


WEEKEND = frozenset({5, 6})
"""Saturday and Sunday (`date.weekday()`)."""


def weekdays_between(start: date, end: date) -> int:
    """Monday–Friday days in [start, end] (0 when `end` is before `start`)."""
    days = (end - start).days + 1
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    first = start.weekday()
    # the `rest` days after the whole weeks start on the same weekday as `start`
    return weeks * 5 + max(0, min(first + rest, 5) - first) + max(0, first + rest - 7)


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Which days are worked: Monday–Friday, except `holidays`, plus `workdays`.

    Only what changes the count is kept: holidays that fall on a weekday and working days
    that fall on a weekend (a holiday listed on a Saturday changes nothing)."""

    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        off = sorted({day for day in self.holidays if day.weekday() not in WEEKEND})
        on = sorted({day for day in self.workdays if day.weekday() in WEEKEND})
        object.__setattr__(self, "holidays", tuple(off))
        object.__setattr__(self, "workdays", tuple(on))

    def is_working_day(self, day: date) -> bool:
        """True when `day` is worked."""
        if day.weekday() in WEEKEND:
            return _among(self.workdays, day)
        return not _among(self.holidays, day)

    def working_days(self, start: date, end: date) -> int:
        """Worked days in [start, end], both included (0 when `end` is before `start`)."""
        if end < start:
            return 0
        return (
            weekdays_between(start, end)
            - _count_within(self.holidays, start, end)
            + _count_within(self.workdays, start, end)
        )


def _among(days: tuple[date, ...], day: date) -> bool:
    index = bisect.bisect_left(days, day)
    return index < len(days) and days[index] == day


def _count_within(days: tuple[date, ...], start: date, end: date) -> int:
    return bisect.bisect_right(days, end) - bisect.bisect_left(days, start)
