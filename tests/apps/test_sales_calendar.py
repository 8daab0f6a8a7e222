"""The Sales CRM template's working calendar for 2026 (China's public holidays and the
weekend days worked to make them long): it checks, and counts the months as the State
Council's schedule makes them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.expr.calendar import WorkCalendar, end_of_period
from engine.plugins import default_registry
from engine.spec.check import check_app

APP_DIR = Path(__file__).resolve().parent.parent.parent / "apps" / "sales_crm"


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    registry, _ = default_registry(APP_DIR.parent.parent)
    result = check_app(APP_DIR, registry)
    assert result.app is not None
    assert not [d for d in result.diagnostics if d.file == "app.yaml"]
    return result.app.calendar.work_calendar()


def month(calendar: WorkCalendar, number: int) -> int:
    first = date(2026, number, 1)
    return calendar.working_days(first, end_of_period(first, "month"))


def test_the_long_holidays_are_off_and_their_weekend_days_worked(calendar: WorkCalendar) -> None:
    assert not calendar.is_working_day(date(2026, 1, 2))  # 元旦, a Friday
    assert calendar.is_working_day(date(2026, 1, 4))  # a Sunday, worked
    assert [calendar.is_working_day(date(2026, 2, d)) for d in (13, 14, 16, 23, 24, 28)] == [
        True, True, False, False, True, True,
    ]  # fmt: skip
    assert not calendar.is_working_day(date(2026, 10, 7))


def test_months_and_the_year(calendar: WorkCalendar) -> None:
    assert [month(calendar, m) for m in (1, 2, 3, 10)] == [21, 16, 22, 18]
    # 261 weekdays, 13 public holiday days
    assert calendar.working_days(date(2026, 1, 1), date(2026, 12, 31)) == 248
