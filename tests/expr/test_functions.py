"""The built-in functions: metadata, Python semantics, calendar edge cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.expr import BUILTIN_FUNCTIONS, CheckedExpr, EvalContext
from engine.expr.calendar import add_months, end_of_period, start_of_period

Evaluate = Callable[..., Any]


def test_every_builtin_is_described_with_an_example_that_checks(
    check: Callable[..., CheckedExpr],
) -> None:
    names = [f.name for f in BUILTIN_FUNCTIONS]
    assert len(names) == len(set(names))
    for function in BUILTIN_FUNCTIONS:
        assert function.description, function.name
        assert function.example.count(f"{function.name}(") >= 1, function.name
        assert check(function.example).problems == (), function.example


def test_every_builtin_but_the_aggregates_has_a_sql_form() -> None:
    python_only = {f.name for f in BUILTIN_FUNCTIONS if not f.usable_in_sql}
    assert python_only == {"sum", "count"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("len('张三abc')", Decimal(5)),
        ("lower('ÀBC')", "Àbc"),
        ("upper('àbc')", "àBC"),
        ("trim('  a b  ')", "a b"),
        ("trim('\ta ')", "\ta"),
        ("concat('a', null, 'b')", "ab"),
        ("concat(null)", ""),
        ("contains('ACME Ltd', 'Ltd')", True),
        ("contains('ACME Ltd', 'ltd')", False),
        ("contains('abc', '')", True),
        ("startswith('HT-2024', 'HT-')", True),
        ("startswith('HT', 'HT-')", False),
        ("abs(-2.5)", Decimal("2.5")),
        ("round(2.5)", Decimal(3)),
        ("round(-2.5)", Decimal(-3)),
        ("round(1.005, 2)", Decimal("1.01")),
        ("round(1.23456, -1)", Decimal(1)),
        ("round(1.23456789012345, 20)", Decimal("1.2345678901")),
        ("round(1.5, null)", None),
        ("min(3, null, 1)", Decimal(1)),
        ("max(3, null, 1)", Decimal(3)),
        ("max(null, null)", None),
        ("min('b', 'B')", "B"),
        ("coalesce(null, null, 2)", Decimal(2)),
        ("coalesce(null)", None),
        ("is_blank('')", True),
        ("is_blank(' ')", False),
        ("is_blank(null)", True),
        ("has_role(null)", False),
        ("lower(null)", None),
        ("year('2024-02-29')", Decimal(2024)),
        ("month('2024-02-29')", Decimal(2)),
        ("day('2024-02-29')", Decimal(29)),
        ("quarter('2024-10-01')", Decimal(4)),
        ("add_days('2024-02-28', 2)", date(2024, 3, 1)),
        ("add_days('2024-02-28', -59)", date(2023, 12, 31)),
        ("add_months('2024-01-31', 1)", date(2024, 2, 29)),
        ("add_months('2024-03-31', -1)", date(2024, 2, 29)),
        ("add_months('2023-01-31', 13)", date(2024, 2, 29)),
        ("add_months('9999-12-01', 1)", None),
        ("add_days('0001-01-01', -1)", None),
        ("days_between('2024-01-01', '2024-03-01')", Decimal(60)),
        ("days_between('2024-03-01', '2024-01-01')", Decimal(-60)),
        ("start_of_week('2024-05-19')", date(2024, 5, 13)),
        ("end_of_week('2024-05-13')", date(2024, 5, 19)),
        ("start_of_month('2024-05-19')", date(2024, 5, 1)),
        ("end_of_month('2024-02-10')", date(2024, 2, 29)),
        ("start_of_quarter('2024-05-19')", date(2024, 4, 1)),
        ("end_of_quarter('2024-05-19')", date(2024, 6, 30)),
        ("start_of_year('2024-05-19')", date(2024, 1, 1)),
        ("end_of_year('2024-05-19')", date(2024, 12, 31)),
        ("end_of_year('9999-05-19')", date(9999, 12, 31)),
    ],
)
def test_builtin_values(evaluate: Evaluate, text: str, expected: Any) -> None:
    assert evaluate(text) == expected


def test_datetime_arguments_use_the_local_day(evaluate: Evaluate) -> None:
    late = {"created_at": datetime.fromisoformat("2024-03-31T16:30:00+00:00")}  # Apr 1, 00:30
    assert evaluate("month(created_at)", late) == Decimal(4)
    assert evaluate("start_of_quarter(created_at)", late) == date(2024, 4, 1)
    assert evaluate("days_between(created_at, today())", late) == Decimal(46)
    assert evaluate("date(created_at)", late) == date(2024, 4, 1)


def test_weeks_can_start_on_sunday(check: Callable[..., CheckedExpr], context: EvalContext) -> None:
    from dataclasses import replace

    from engine.expr import MappingEnv, compile_python

    sunday_first = replace(context, first_weekday=6)
    evaluate = compile_python(check("start_of_week('2024-05-17')"))
    assert evaluate(MappingEnv({}, sunday_first)) == date(2024, 5, 12)


@given(st.dates(), st.integers(-1200, 1200))
def test_add_months_clips_to_the_month_end(day: date, months: int) -> None:
    try:
        moved = add_months(day, months)
    except OverflowError:
        return
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == day.day or (moved.day < day.day and (moved + timedelta(1)).day == 1)


@given(
    st.dates(min_value=date(2, 1, 8), max_value=date(9998, 12, 1)),
    st.sampled_from(["week", "month", "quarter", "year"]),
    st.integers(0, 6),
)
def test_periods_contain_the_day_and_tile_the_calendar(day: date, period: str, first: int) -> None:
    start = start_of_period(day, period, first)
    end = end_of_period(day, period, first)
    assert start <= day <= end
    assert start_of_period(end + timedelta(1), period, first) == end + timedelta(1)
    assert end_of_period(start - timedelta(1), period, first) == start - timedelta(1)
    if period == "week":
        assert start.weekday() == first and (end - start).days == 6
