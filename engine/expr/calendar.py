"""Calendar arithmetic on `datetime.date`: periods (week, month, quarter, year) and shifts.

Months are added with the day clipped to the target month's length (Jan 31 + 1 month =
Feb 28/29), as PostgreSQL does; weeks start on a configurable weekday (0 = Monday).
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import re
from datetime import date, timedelta

__all__ = [
    "add_months",
    "date_problem",
    "days_between",
    "end_of_period",
    "quarter_of",
    "start_of_period",
]

PERIODS = ("week", "month", "quarter", "year")
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
