"""The SQL compiler of expressions: each construct agrees with the Python closure, NULLs
included, on SQLite (and PostgreSQL when FORMWORK_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import product
from typing import Any

import pytest
import sqlalchemy as sa

from engine.expr import (
    EvalContext,
    ExpressionError,
    FunctionType,
    Scope,
    Symbol,
    TypeKind,
    ValueType,
    builtin_registry,
    check_expression,
    function_registry,
    record_symbol,
)
from engine.storage.sql_expr import compile_sql, compile_sql_condition

ROWS: list[dict[str, Any]] = [
    {
        "id": 1,
        "s": "Abc",
        "t": "abc",
        "i": 7,
        "j": 2,
        "n": Decimal("2.5"),
        "m": Decimal("1200.50"),
        "b": True,
        "c": False,
        "d": date(2024, 1, 31),
        "e": date(2024, 2, 29),
        "ts": datetime(2024, 5, 16, 17, 0, tzinfo=UTC),  # 2024-05-17 01:00 in Shanghai
        "customer_id": 1,
    },
    {"id": 2},
    {
        "id": 3,
        "s": "",
        "t": "张三 ",
        "i": -3,
        "j": 0,
        "n": Decimal("-0.25"),
        "m": Decimal(0),
        "b": False,
        "c": None,
        "d": date(2024, 3, 31),
        "e": date(2023, 12, 31),
        "ts": datetime(2024, 5, 16, 15, 59, 59, tzinfo=UTC),  # 2024-05-16 23:59:59 local
        "customer_id": 2,
    },
    {"id": 4, "s": "B", "t": "b", "i": 2, "j": 3, "b": None, "c": True, "d": date(2024, 5, 19)},
]

EXPRESSIONS = [
    # arithmetic and text
    "i + j", "i - j * 2", "n * m", "-n", "i / j", "n / 4", "i % j", "-i % 3", "m / 0",
    "s + t", "s + '!'",
    # comparisons
    "i < j", "i == 7", "n >= 2.5", "m != 0", "s < t", "s >= 'B'", "t == '张三 '", "b == c",
    "1 < i < 8", "d < e", "d == '2024-01-31'", "ts < now()",
    # logic
    "b and c", "b or c", "not b", "b and i > 0", "not (i > 0 or c)",
    # membership and NULL tests
    "i in [7, 2]", "i in [7, null]", "i not in [7, null]", "s in ['Abc', 'B']", "s not in ['B']",
    "d in ['2024-01-31', '2024-05-19']", "i is None", "s is not None",
    # conditional
    "i if b else j", "'yes' if i > 0 else 'no'", "d if c else e",
    # functions
    "coalesce(i, j, 0)", "coalesce(s, t)", "len(t)", "lower(s)", "upper(t)", "trim(t)",
    "concat(s, '-', t)", "contains(t, 'b')", "startswith(s, 'A')", "abs(n)", "round(n)",
    "round(m / 3, 2)", "round(n, j)", "min(i, j)", "max(i, j, 5)", "min(s, t)", "max(d, e)",
    "is_blank(s)", "is_blank(i)", "has_role('finance')", "has_role(s)", "me()", "today()",
    "now()", "year(d)", "month(d)", "day(d)", "quarter(e)", "add_days(d, i)",
    "add_months(d, 1)", "add_months(e, -12)", "add_months(d, j)", "days_between(d, e)",
    "start_of_week(d)", "end_of_week(d)", "start_of_month(e)", "end_of_month(d)",
    "start_of_quarter(d)", "end_of_quarter(e)", "start_of_year(d)", "end_of_year(e)",
    # datetimes and their local day
    "date(ts)", "year(ts)", "start_of_month(ts)", "days_between(ts, d)",
    "ts == today()", "ts != today()", "ts < '2024-05-17'", "ts <= '2024-05-16'",
    "ts > add_days(today(), -1)", "ts >= today()", "date(ts) == d", "ts in [today()]",
    # relations through a correlated subquery
    "customer.level == 'A'", "customer.name", "customer.level is None",
]  # fmt: skip


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_sql_agrees_with_python(database: Any, agree: Any, text: str) -> None:
    database.load(ROWS)
    agree(database, text, ROWS)


@pytest.mark.parametrize(("a", "b"), list(product(["true", "false", "null"], repeat=2)))
def test_three_valued_logic_in_sql(database: Any, agree: Any, a: str, b: str) -> None:
    database.load([{"id": 1}])
    for text in (f"{a} and {b}", f"{a} or {b}", f"not {a}"):
        agree(database, text, [{"id": 1}])


def test_values_and_types_come_back_as_in_python(
    database: Any, context: EvalContext, item_scope: Scope
) -> None:
    database.load(ROWS)

    def select(text: str) -> list[Any]:
        checked = check_expression(text, item_scope, builtin_registry(), sql=True)
        values: list[Any] = database.select(compile_sql(checked, database, context))
        return values

    assert select("i / j") == [Decimal("3.5"), None, None, pytest.approx(Decimal(2) / 3)]
    assert select("i > 0") == [True, None, False, True]
    assert select("add_months(d, 1)")[0] == date(2024, 2, 29)
    assert select("now()")[0] == datetime(2024, 5, 17, 2, 30, tzinfo=UTC)
    assert select("s < t") == [True, None, True, True]


def test_where_drops_null_and_false_rows(
    database: Any, context: EvalContext, item_scope: Scope
) -> None:
    database.load(ROWS)
    checked = check_expression("i > 0", item_scope, builtin_registry(), sql=True)
    assert database.where(compile_sql_condition(checked, database, context)) == [1, 4]
    negated = check_expression("not (i > 0)", item_scope, builtin_registry(), sql=True)
    assert database.where(compile_sql_condition(negated, database, context)) == [3]


def test_day_of_datetime_against_a_constant_becomes_a_range(
    database: Any, context: EvalContext, item_scope: Scope
) -> None:
    checked = check_expression("ts >= start_of_month(today())", item_scope, builtin_registry())
    clause = compile_sql_condition(checked, database, context)
    sql = str(clause.compile(database.engine))
    assert "ts >=" in sql and "date(" not in sql.lower() and "timezone(" not in sql.lower()
    database.load(ROWS)
    assert database.where(clause) == [1, 3]


def test_statements_cache_and_rebind_values(
    database: Any, context: EvalContext, item_scope: Scope
) -> None:
    database.load(ROWS[:1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", sa.exc.SAWarning)
        for days, expected in ((30, date(2024, 3, 1)), (31, date(2024, 3, 2))):
            checked = check_expression(f"add_days(d, {days})", item_scope, builtin_registry())
            assert database.select(compile_sql(checked, database, context)) == [expected]


def test_plugin_function_with_sql_form(
    database: Any, context: EvalContext, item_scope: Scope
) -> None:
    double = FunctionType(
        "double",
        1,
        1,
        (frozenset({TypeKind.INTEGER}),),
        ValueType.INTEGER,
        lambda ctx, x: x * 2,
        "twice",
        sql=lambda ctx, x: x * 2,
    )
    functions = function_registry(builtin_registry().values(), [double])
    checked = check_expression("double(i) + 1", item_scope, functions, sql=True)
    database.load(ROWS)
    assert database.select(compile_sql(checked, database, context)) == [15, None, -5, 5]


def test_python_only_functions_refuse_to_compile(context: EvalContext) -> None:
    lines = record_symbol(
        "lines", "line", lambda: {"qty": Symbol("qty", ValueType.INTEGER)}, many=True
    )
    checked = check_expression("sum(lines.qty) > 1", {"lines": lines}, builtin_registry())
    assert checked.ok
    with pytest.raises(ExpressionError, match="X107"):
        compile_sql(checked, _NoColumns(), context)


def test_expressions_with_problems_or_non_boolean_filters_refuse(context: EvalContext) -> None:
    with pytest.raises(ExpressionError, match="X103"):
        compile_sql(check_expression("nope", {}, builtin_registry()), _NoColumns(), context)
    number = check_expression("1 + 1", {}, builtin_registry())
    with pytest.raises(ExpressionError, match="true/false"):
        compile_sql_condition(number, _NoColumns(), context)


class _NoColumns:
    def column(self, path: tuple[str, ...]) -> Any:
        raise AssertionError(f"no column expected, asked for {path}")
