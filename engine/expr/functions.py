"""The built-in expression functions: signatures, descriptions and Python implementations.

`BUILTIN_FUNCTIONS` is what the plugin layer registers by default; the checker is given a
`Mapping[str, FunctionType]` (see `function_registry`). Every built-in except the subform
aggregates has a SQL form in `engine/storage/sql_functions.py` with the same results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, DecimalException
from typing import Any

from engine.expr import calendar
from engine.expr.context import EvalContext
from engine.expr.function_type import (
    ANY_KINDS,
    DATE_KINDS,
    NUMBER_KINDS,
    ORDERED_KINDS,
    TEXT_KINDS,
    FunctionType,
    common_of_args,
    function_registry,
    same_as_first,
)
from engine.expr.types import TypeKind, ValueType
from engine.expr.values import ASCII_LOWER, ASCII_UPPER

__all__ = ["BUILTIN_FUNCTIONS", "FunctionType", "builtin_registry", "function_registry"]

_INT = frozenset({TypeKind.INTEGER})
_ROUND_PLACES = 10


def _as_date(context: EvalContext, value: date) -> date:
    return context.local_date(value) if isinstance(value, datetime) else value


def _working_days(context: EvalContext, start: date, end: date) -> Decimal:
    first, last = _as_date(context, start), _as_date(context, end)
    return Decimal(context.calendar.working_days(first, last))


def _round(_: EvalContext, value: Decimal, places: Decimal = Decimal(0)) -> Decimal:
    digits = max(0, min(int(places), _ROUND_PLACES))
    try:
        return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    except DecimalException:
        return value


def _add_days(_: EvalContext, day: date, days: Decimal) -> date | None:
    try:
        return day + timedelta(days=int(days))
    except (OverflowError, ValueError):
        return None


def _add_months(_: EvalContext, day: date, months: Decimal) -> date | None:
    try:
        return calendar.add_months(day, int(months))
    except (OverflowError, ValueError):
        return None


def _period(edge: str, period: str) -> FunctionType:
    def implementation(context: EvalContext, day: date) -> date | None:
        local = _as_date(context, day)
        try:
            if edge == "start":
                return calendar.start_of_period(local, period, context.first_weekday)
            return calendar.end_of_period(local, period, context.first_weekday)
        except (OverflowError, ValueError):
            return None

    word = "first" if edge == "start" else "last"
    return FunctionType(
        f"{edge}_of_{period}",
        1,
        1,
        (DATE_KINDS,),
        ValueType.DATE,
        implementation,
        f"the {word} day of the {period} containing the date",
        f"{edge}_of_{period}(today())",
        builtin_sql=True,
    )


def _date_part(name: str, description: str, part: Any) -> FunctionType:
    def implementation(context: EvalContext, day: date) -> Decimal:
        return Decimal(part(_as_date(context, day)))

    return FunctionType(
        name,
        1,
        1,
        (DATE_KINDS,),
        ValueType.INTEGER,
        implementation,
        description,
        f"{name}(close_date)",
        builtin_sql=True,
    )


def _round_type(args: Sequence[ValueType]) -> ValueType:
    return ValueType.INTEGER if len(args) == 1 else same_as_first(args)


def _sum(_: EvalContext, values: Sequence[Any] | None) -> Decimal:
    total = Decimal(0)
    for value in values or ():
        if value is not None:
            total += Decimal(value)
    return total


def _count(_: EvalContext, values: Sequence[Any] | None) -> Decimal:
    return Decimal(sum(1 for value in values or () if value is not None))


def _element_type(args: Sequence[ValueType]) -> ValueType:
    first = args[0] if args else ValueType.ANY
    return first.element if first.element is not None else ValueType.NUMBER


def _min(_: EvalContext, *values: Any) -> Any:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _max(_: EvalContext, *values: Any) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _text_of(value: Any) -> str:
    """`text(value)`: a date as YYYY-MM-DD, anything else as Python writes it."""
    return value.isoformat() if isinstance(value, date) else str(value)


def _fn(
    name: str,
    arity: tuple[int, int | None],
    kinds: tuple[frozenset[TypeKind], ...],
    returns: Any,
    python: Any,
    description: str,
    example: str,
    **options: Any,
) -> FunctionType:
    options.setdefault("builtin_sql", not options.get("aggregate", False))
    low, high = arity
    return FunctionType(name, low, high, kinds, returns, python, description, example, **options)


_TEXT = (TEXT_KINDS,)
_NUM = (NUMBER_KINDS,)
_B, _T, _I, _D = ValueType.BOOLEAN, ValueType.TEXT, ValueType.INTEGER, ValueType.DATE

_GENERAL: tuple[FunctionType, ...] = (
    _fn("today", (0, 0), (), _D, lambda c: c.today, "the current date", "today()"),
    _fn("now", (0, 0), (), ValueType.DATETIME, lambda c: c.now, "the current time", "now()"),
    _fn("me", (0, 0), (), ValueType.USER, lambda c: c.user, "the current user", "owner == me()"),
    _fn(
        "has_role",
        (1, 1),
        _TEXT,
        _B,
        lambda c, r: r is not None and r in c.roles,
        "true when the current user has the role (never NULL)",
        "has_role('finance')",
        null_propagates=False,
    ),
    _fn(
        "coalesce",
        (1, None),
        (ANY_KINDS,),
        common_of_args,
        lambda c, *a: next((v for v in a if v is not None), None),
        "the first argument that is not NULL",
        "coalesce(discount, 0)",
        same_kind_args=True,
        null_propagates=False,
    ),
    _fn(
        "is_blank",
        (1, 1),
        (ANY_KINDS,),
        _B,
        lambda c, v: v is None or v == "",
        "true when the value is NULL or empty text (never NULL)",
        "is_blank(phone)",
        null_propagates=False,
    ),
)

_TEXTUAL: tuple[FunctionType, ...] = (
    _fn(
        "len",
        (1, 1),
        _TEXT,
        _I,
        lambda c, s: Decimal(len(s)),
        "number of characters",
        "len(name) > 3",
    ),
    _fn(
        "lower",
        (1, 1),
        _TEXT,
        _T,
        lambda c, s: s.translate(ASCII_LOWER),
        "A–Z to a–z",
        "lower(stage)",
    ),
    _fn(
        "upper",
        (1, 1),
        _TEXT,
        _T,
        lambda c, s: s.translate(ASCII_UPPER),
        "a–z to A–Z",
        "upper(stage)",
    ),
    _fn(
        "trim",
        (1, 1),
        _TEXT,
        _T,
        lambda c, s: s.strip(" "),
        "without leading and trailing spaces",
        "trim(name)",
    ),
    _fn(
        "concat",
        (1, None),
        _TEXT,
        _T,
        lambda c, *a: "".join(v for v in a if v is not None),
        "the texts joined, NULLs skipped (never NULL)",
        "concat(name, ' / ', stage)",
        null_propagates=False,
    ),
    _fn(
        "text",
        (1, 1),
        (frozenset({TypeKind.TEXT, TypeKind.INTEGER, TypeKind.DATE, TypeKind.USER}),),
        _T,
        lambda c, v: _text_of(v),
        "an integer, a date (YYYY-MM-DD), a user (the username) or a text, as text",
        "concat(text(year(close_date)), '年')",
    ),
    _fn(
        "contains",
        (2, 2),
        _TEXT * 2,
        _B,
        lambda c, s, p: p in s,
        "true when the text contains the part (case-sensitive)",
        "contains(name, 'Ltd')",
    ),
    _fn(
        "startswith",
        (2, 2),
        _TEXT * 2,
        _B,
        lambda c, s, p: s.startswith(p),
        "true when the text starts with the prefix",
        "startswith(name, 'HT-')",
    ),
)

_NUMERIC: tuple[FunctionType, ...] = (
    _fn(
        "abs",
        (1, 1),
        _NUM,
        same_as_first,
        lambda c, x: abs(x),
        "the absolute value",
        "abs(amount)",
    ),
    _fn(
        "round",
        (1, 2),
        (NUMBER_KINDS, _INT),
        _round_type,
        _round,
        "rounded to n (0–10) decimal places (default 0: a whole number), halves away from zero",
        "round(amount * 0.13, 2)",
    ),
    _fn(
        "min",
        (2, None),
        (ORDERED_KINDS,),
        common_of_args,
        _min,
        "the smallest argument, NULLs ignored",
        "min(amount, 10000)",
        same_kind_args=True,
        null_propagates=False,
    ),
    _fn(
        "max",
        (2, None),
        (ORDERED_KINDS,),
        common_of_args,
        _max,
        "the largest argument, NULLs ignored",
        "max(amount, 0)",
        same_kind_args=True,
        null_propagates=False,
    ),
    _fn(
        "sum",
        (1, 1),
        _NUM,
        _element_type,
        _sum,
        "the total of a subform column, NULLs skipped (0 for no rows)",
        "sum(lines.price)",
        aggregate=True,
        null_propagates=False,
    ),
    _fn(
        "count",
        (1, 1),
        (ANY_KINDS | {TypeKind.RECORD},),
        _I,
        _count,
        "the number of subform rows (or non-NULL values of a column)",
        "count(lines)",
        aggregate=True,
        null_propagates=False,
    ),
)

_DATES: tuple[FunctionType, ...] = (
    _fn(
        "date",
        (1, 1),
        (DATE_KINDS,),
        _D,
        lambda c, d: _as_date(c, d),
        "the calendar day of a date-time in the app's time zone",
        "date(created_at) == today()",
    ),
    _date_part("year", "the year of a date", lambda d: d.year),
    _date_part("month", "the month of a date (1–12)", lambda d: d.month),
    _date_part("day", "the day of the month (1–31)", lambda d: d.day),
    _date_part("quarter", "the quarter of a date (1–4)", calendar.quarter_of),
    _fn(
        "add_days",
        (2, 2),
        (frozenset({TypeKind.DATE}), _INT),
        _D,
        _add_days,
        "the date moved by n days",
        "add_days(today(), 30)",
    ),
    _fn(
        "add_months",
        (2, 2),
        (frozenset({TypeKind.DATE}), _INT),
        _D,
        _add_months,
        "the date moved by n months (day clipped to the month's end)",
        "add_months(start_date, 12)",
    ),
    _fn(
        "days_between",
        (2, 2),
        (DATE_KINDS, DATE_KINDS),
        _I,
        lambda c, a, b: Decimal(calendar.days_between(_as_date(c, a), _as_date(c, b))),
        "days from the first date to the second",
        "days_between(today(), close_date) < 7",
    ),
    _fn(
        "working_days",
        (2, 2),
        (DATE_KINDS, DATE_KINDS),
        _I,
        _working_days,
        "working days from the first date to the second, both included (0 when the second "
        "is earlier): Monday to Friday, minus the app calendar's holidays, plus its workdays",
        "working_days(start_of_month(today()), today())",
    ),
    *(_period(edge, period) for edge in ("start", "end") for period in calendar.PERIODS),
)

BUILTIN_FUNCTIONS: tuple[FunctionType, ...] = _GENERAL + _TEXTUAL + _NUMERIC + _DATES
"""Every built-in function, in documentation order."""


def builtin_registry() -> Mapping[str, FunctionType]:
    """The built-ins as a read-only name → FunctionType mapping."""
    return function_registry(BUILTIN_FUNCTIONS)
