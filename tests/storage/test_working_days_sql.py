"""`working_days(a, b)` compiled to SQL counts as the Python side does, on SQLite and
PostgreSQL: every pair of days around the 2026 Spring Festival (days off, weekend days
worked), reversed spans, NULLs, a datetime taken by its day in Shanghai, and as a filter."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from engine.expr import (
    EvalContext,
    MappingEnv,
    Scope,
    builtin_registry,
    check_expression,
    compile_python,
)
from engine.expr.calendar import WorkCalendar
from engine.storage.sql_expr import compile_sql, compile_sql_condition

SPRING_FESTIVAL = WorkCalendar(
    holidays=tuple(date(2026, 2, 15) + timedelta(days=k) for k in range(9)),
    workdays=(date(2026, 2, 14), date(2026, 2, 28)),
)
FIRST = date(2026, 2, 8)


@pytest.fixture(scope="module")
def calendar_context(context: EvalContext) -> EvalContext:
    return dataclasses.replace(context, calendar=SPRING_FESTIVAL)


def rows() -> list[dict[str, Any]]:
    """Every (d, e) pair over 8 February – 3 March, one NULL row, and datetimes."""
    days = [FIRST + timedelta(days=k) for k in range(24)]
    found: list[dict[str, Any]] = [{"d": start, "e": end} for start in days[::3] for end in days]
    found.append({"d": None, "e": days[0]})
    found.append({"d": days[0], "e": days[5], "ts": datetime(2026, 2, 13, 16, 30, tzinfo=UTC)})
    found.append({"d": days[0], "e": days[5], "ts": datetime(2026, 2, 13, 15, 30, tzinfo=UTC)})
    return [{"id": index + 1, **row} for index, row in enumerate(found)]


def agree(
    database: Any, scope: Scope, context: EvalContext, text: str, data: list[dict[str, Any]]
) -> list[Any]:
    checked = check_expression(text, scope, builtin_registry(), sql=True)
    assert checked.problems == (), checked.problems
    evaluate = compile_python(checked)
    names = ("d", "e", "ts")
    expected = [evaluate(MappingEnv({n: row.get(n) for n in names}, context)) for row in data]
    got = database.select(compile_sql(checked, database, context))
    from_sql = [None if value is None else Decimal(value) for value in got]
    assert from_sql == expected, f"{text} on {database.dialect}"
    return expected


def test_sql_counts_as_python(
    database: Any, item_scope: Scope, calendar_context: EvalContext
) -> None:
    data = rows()
    database.load(data)
    counts = agree(database, item_scope, calendar_context, "working_days(d, e)", data)
    # 8 Feb (Sun) – 3 Mar: 17 weekdays, 6 of them off (16–20, 23 Feb), 2 Saturdays worked
    assert counts[23] == 13
    assert counts[:3] == [0, 1, 2]  # Sun 8, Mon 9, Tue 10 February
    assert counts[-3] is None
    by_day = agree(database, item_scope, calendar_context, "working_days(ts, e)", data)
    # 16:30 UTC on the 13th is the 14th in Shanghai (a Saturday worked); 15:30 is the 13th
    assert by_day[-2:] == [0, 1]


def test_as_a_filter(database: Any, item_scope: Scope, calendar_context: EvalContext) -> None:
    data = rows()
    database.load(data)
    text = "working_days(d, e) == 5"
    checked = check_expression(text, item_scope, builtin_registry(), sql=True)
    evaluate = compile_python(checked)
    wanted = [
        row["id"]
        for row in data
        if evaluate(MappingEnv({"d": row.get("d"), "e": row.get("e")}, calendar_context)) is True
    ]
    assert len(wanted) > 5
    assert database.where(compile_sql_condition(checked, database, calendar_context)) == wanted
