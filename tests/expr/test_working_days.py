"""`working_days(a, b)` and the `WorkCalendar` it counts with: Monday to Friday in [a, b],
minus the calendar's holidays, plus its extra working days (调休); 0 when b is before a;
NULL in, NULL out; a datetime counts by its day in the app's time zone."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.expr import (
    EvalContext,
    MappingEnv,
    Symbol,
    ValueType,
    builtin_registry,
    check_expression,
    compile_python,
)
from engine.expr.calendar import WorkCalendar, weekdays_between

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YEAR = WorkCalendar(
    holidays=(date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)),  # Thu, Fri, Sat
    workdays=(date(2026, 1, 4),),  # Sunday
)
DAYS = st.dates(min_value=date(2025, 11, 1), max_value=date(2026, 3, 31))


def brute_force(calendar: WorkCalendar, start: date, end: date) -> int:
    """Day by day: what `working_days` must say."""
    days = [start + timedelta(days=k) for k in range((end - start).days + 1)]
    return sum(calendar.is_working_day(day) for day in days)


@given(start=DAYS, end=DAYS)
def test_counting_agrees_with_day_by_day(start: date, end: date) -> None:
    assert NEW_YEAR.working_days(start, end) == brute_force(NEW_YEAR, start, end)
    plain = sum((start + timedelta(days=k)).weekday() < 5 for k in range((end - start).days + 1))
    assert weekdays_between(start, end) == plain


def test_days_off_and_days_moved() -> None:
    # 1–9 January 2026: Thu 1 and Fri 2 off, Sat 3 off anyway, Sun 4 worked, Mon–Fri worked
    assert NEW_YEAR.working_days(date(2026, 1, 1), date(2026, 1, 9)) == 6
    assert WorkCalendar().working_days(date(2026, 1, 1), date(2026, 1, 9)) == 7
    assert NEW_YEAR.working_days(date(2026, 1, 4), date(2026, 1, 4)) == 1
    assert NEW_YEAR.working_days(date(2026, 1, 9), date(2026, 1, 1)) == 0  # end before start
    assert NEW_YEAR.working_days(date(2026, 1, 3), date(2026, 1, 3)) == 0


def test_only_what_changes_the_count_is_kept() -> None:
    calendar = WorkCalendar(
        holidays=(date(2026, 1, 3), date(2026, 1, 1), date(2026, 1, 1)),  # a Saturday
        workdays=(date(2026, 1, 5), date(2026, 1, 4)),  # a Monday
    )
    assert calendar.holidays == (date(2026, 1, 1),)
    assert calendar.workdays == (date(2026, 1, 4),)


def evaluate(text: str, values: dict[str, object], calendar: WorkCalendar) -> object:
    scope = {
        "start": Symbol("start", ValueType.DATE),
        "end": Symbol("end", ValueType.DATE),
        "at": Symbol("at", ValueType.DATETIME),
    }
    checked = check_expression(text, scope, builtin_registry())
    assert checked.ok, checked.problems
    assert checked.type == ValueType.INTEGER
    context = EvalContext(datetime(2026, 1, 5, 1, 0, tzinfo=UTC), SHANGHAI)
    context = dataclasses.replace(context, calendar=calendar)
    return compile_python(checked)(MappingEnv(values, context))


def test_the_function_uses_the_context_calendar() -> None:
    span = {"start": date(2026, 1, 1), "end": date(2026, 1, 9)}
    assert evaluate("working_days(start, end)", span, NEW_YEAR) == Decimal(6)
    assert evaluate("working_days(start, end)", span, WorkCalendar()) == Decimal(7)
    assert evaluate("working_days(start, end)", {"start": date(2026, 1, 1)}, NEW_YEAR) is None
    # 2 January 17:00 UTC is 3 January 01:00 in Shanghai: counted from Saturday
    late = {"at": datetime(2026, 1, 2, 17, 0, tzinfo=UTC), "end": date(2026, 1, 5)}
    assert evaluate("working_days(at, end)", late, NEW_YEAR) == Decimal(2)
    assert evaluate("working_days(today(), '2026-01-09')", {}, NEW_YEAR) == Decimal(5)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("working_days(start)", "working_days() takes 2 arguments"),
        ("working_days(start, 3)", "argument 2 of working_days() must be a date"),
    ],
)
def test_wrong_calls_are_reported(text: str, problem: str) -> None:
    scope = {"start": Symbol("start", ValueType.DATE)}
    checked = check_expression(text, scope, builtin_registry())
    assert any(problem in p.message for p in checked.problems), checked.problems
