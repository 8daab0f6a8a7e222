"""SQL forms of the built-in expression functions and of the dialect-specific operators.

Everything here yields the same values as the Python implementations in
`engine.expr.functions` on SQLite and PostgreSQL. Where the two databases need different
SQL (calendar arithmetic, true division, byte-order text comparison) a :class:`Portable`
element is built and rendered per dialect at compile time; it takes part in SQLAlchemy's
statement cache like any function.

Assumptions about stored values, shared with the storage layer: on SQLite dates are
`YYYY-MM-DD` text and datetimes UTC text as SQLAlchemy writes them; on PostgreSQL they are
`date` and `timestamptz`. On SQLite the app's time zone is applied with its UTC offset at
`context.now` (exact for zones without daylight saving time, such as Asia/Shanghai).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal

from engine.expr import EvalContext, TypeKind, ValueType
from engine.expr.values import DIVISION_PLACES

__all__ = [
    "BUILTIN_SQL",
    "ExactNumber",
    "Portable",
    "SqlBuilder",
    "SqlCall",
    "UtcDateTime",
    "local_date",
    "portable",
    "sql_type",
    "text_key",
]

Clause = ColumnElement[Any]
Renderer = Callable[[list[Clause]], Clause]


class ExactNumber(sa.types.TypeDecorator[Decimal]):
    """Numbers bound and read as Decimal; on SQLite (no decimal type) bound as float."""

    impl = sa.Numeric
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return float(value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Aware datetimes: bound as UTC (naive on SQLite), read back aware in UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class Portable(FunctionElement[Any]):
    """An operation rendered differently per dialect (see SQLITE_SQL / POSTGRES_SQL)."""

    inherit_cache = True
    # A plain class attribute like SQLAlchemy's own declarations (read by the cache key).
    _traverse_internals = [  # noqa: RUF012
        ("operation", InternalTraversal.dp_string),
        *FunctionElement._traverse_internals,
    ]

    def __init__(self, op: str, *args: Clause, type_: TypeEngine[Any]) -> None:
        self.operation = op
        self.type = type_
        super().__init__(*args)


def portable(op: str, *args: Clause, type_: TypeEngine[Any]) -> Clause:
    """A :class:`Portable` operation over `args` with result type `type_`."""
    return Portable(op, *args, type_=type_)


def _text(constant: str) -> Clause:
    """A constant SQL string literal (our own constants only, never user text)."""
    return sa.literal_column("'" + constant.replace("'", "''") + "'", sa.String)


def _int(clause: Clause) -> Clause:
    return sa.cast(clause, sa.Integer)


def _modifier(amount: Clause, unit: str) -> Clause:
    """SQLite date modifier text: '<amount> <unit>' (NULL amount → NULL modifier)."""
    return sa.cast(_int(amount), sa.String).concat(_text(f" {unit}"))


def _sqlite_part(fmt: str, day: Clause) -> Clause:
    return _int(sa.func.strftime(_text(fmt), day))


def _sqlite_date(day: Clause, *modifiers: Clause | str) -> Clause:
    parts = [_text(m) if isinstance(m, str) else m for m in modifiers]
    return sa.func.date(day, *parts)


def _sqlite_add_months(a: list[Clause]) -> Clause:
    day, months = a[0], a[1]
    shift = _modifier(months, "months")
    last_day = _sqlite_part("%d", _sqlite_date(day, "start of month", shift, "+1 month", "-1 day"))
    keep = sa.func.min(_sqlite_part("%d", day), last_day) - 1
    return _sqlite_date(_sqlite_date(day, "start of month", shift), _modifier(keep, "days"))


def _sqlite_start_of_week(a: list[Clause]) -> Clause:
    day, first = a[0], a[1]
    back = (_sqlite_part("%w", day) + 6 - first) % 7
    return _sqlite_date(day, _modifier(-back, "days"))


def _sqlite_start_of_quarter(a: list[Clause]) -> Clause:
    back = (_sqlite_part("%m", a[0]) - 1) % 3
    return _sqlite_date(a[0], "start of month", _modifier(-back, "months"))


SQLITE_CALENDAR: dict[str, Renderer] = {
    "quarter": lambda a: (_sqlite_part("%m", a[0]) + 2) // 3,
    "add_days": lambda a: _sqlite_date(a[0], _modifier(a[1], "days")),
    "add_months": _sqlite_add_months,
    "days_between": lambda a: _int(sa.func.julianday(a[1]) - sa.func.julianday(a[0])),
    "weekday": lambda a: ((_sqlite_part("%w", a[0]) + 6) % 7).self_group(),
    "start_of_week": _sqlite_start_of_week,
    "end_of_week": lambda a: _sqlite_date(_sqlite_start_of_week(a), "+6 days"),
    "start_of_month": lambda a: _sqlite_date(a[0], "start of month"),
    "end_of_month": lambda a: _sqlite_date(a[0], "start of month", "+1 month", "-1 day"),
    "start_of_quarter": _sqlite_start_of_quarter,
    "end_of_quarter": lambda a: _sqlite_date(_sqlite_start_of_quarter(a), "+3 months", "-1 day"),
    "start_of_year": lambda a: _sqlite_date(a[0], "start of year"),
    "end_of_year": lambda a: _sqlite_date(a[0], "start of year", "+1 year", "-1 day"),
}


def _interval(text: str) -> Clause:
    return sa.literal_column(f"INTERVAL '{text}'", sa.Interval)


def _pg_trunc(unit: str, day: Clause) -> Clause:
    return sa.func.date_trunc(_text(unit), sa.cast(day, sa.DateTime), type_=sa.DateTime)


def _pg_start(unit: str) -> Renderer:
    return lambda a: sa.cast(_pg_trunc(unit, a[0]), sa.Date)


def _pg_end(unit: str, length: str) -> Renderer:
    return lambda a: sa.cast(
        _pg_trunc(unit, a[0]) + _interval(length) - _interval("1 day"), sa.Date
    )


def _pg_start_of_week(a: list[Clause]) -> Clause:
    weekday = _int(sa.extract("isodow", a[0]))
    back = sa.func.mod(weekday + 6 - a[1], 7, type_=sa.Integer)
    return sa.cast(a[0] - _int(back), sa.Date)


def _pg_add_months(a: list[Clause]) -> Clause:
    shift = _int(a[1]).op("*")(_interval("1 month"))
    return sa.cast(a[0].op("+")(shift), sa.Date)


POSTGRES_CALENDAR: dict[str, Renderer] = {
    "quarter": lambda a: _int(sa.extract("quarter", a[0])),
    "add_days": lambda a: sa.cast(a[0].op("+")(_int(a[1])), sa.Date),
    "add_months": _pg_add_months,
    "days_between": lambda a: _int(a[1].op("-")(a[0])),
    "weekday": lambda a: (_int(sa.extract("isodow", a[0])) - 1).self_group(),
    "start_of_week": _pg_start_of_week,
    "end_of_week": lambda a: sa.cast(_pg_start_of_week(a).op("+")(6), sa.Date),
    "start_of_month": _pg_start("month"),
    "end_of_month": _pg_end("month", "1 month"),
    "start_of_quarter": _pg_start("quarter"),
    "end_of_quarter": _pg_end("quarter", "3 months"),
    "start_of_year": _pg_start("year"),
    "end_of_year": _pg_end("year", "1 year"),
}


def _postgres_divide(args: list[Clause]) -> Clause:
    # A dividend with 30 decimal places makes PostgreSQL compute the quotient to at least
    # 30 places; rounded to DIVISION_PLACES it matches the Python side digit for digit.
    dividend = sa.cast(args[0], sa.Numeric(1000, 30))
    quotient = dividend / sa.func.nullif(sa.cast(args[1], sa.Numeric), 0)
    return sa.func.round(quotient, DIVISION_PLACES)


def _sqlite_local_date(args: list[Clause]) -> Clause:
    # SQLite rounds fractional seconds to milliseconds (23:59:59.9999 would become the next
    # day): cut the stored text to whole seconds first.
    seconds = sa.func.substr(args[0], 1, 19)
    return sa.func.date(seconds, sa.cast(args[1], sa.String).concat(_text(" minutes")))


def _instr(args: list[Clause]) -> Clause:
    return sa.func.instr(args[0], args[1]) > 0


def _strpos(args: list[Clause]) -> Clause:
    return sa.func.strpos(args[0], args[1]) > 0


def _sqlite_extreme(name: str) -> Renderer:
    def render(args: list[Clause]) -> Clause:
        # SQLite's scalar max()/min() return NULL if any argument is NULL; substituting each
        # NULL with another argument makes them skip NULLs like GREATEST/LEAST.
        rotated = [sa.func.coalesce(*args[i:], *args[:i]) for i in range(len(args))]
        extreme: Clause = getattr(sa.func, name)(*rotated)
        return extreme

    return render


SQLITE_SQL: dict[str, Renderer] = {
    "divide": lambda a: sa.cast(a[0], sa.Float) / sa.func.nullif(a[1], 0),
    "text_key": lambda a: a[0],
    "lower": lambda a: sa.func.lower(a[0]),
    "upper": lambda a: sa.func.upper(a[0]),
    "contains": _instr,
    "round": lambda a: sa.func.round(*a),
    "greatest": _sqlite_extreme("max"),
    "least": _sqlite_extreme("min"),
    "local_date": _sqlite_local_date,
    **SQLITE_CALENDAR,
}

POSTGRES_SQL: dict[str, Renderer] = {
    "divide": _postgres_divide,
    "text_key": lambda a: sa.collate(a[0], "C"),
    "lower": lambda a: sa.func.lower(sa.collate(a[0], "C")),
    "upper": lambda a: sa.func.upper(sa.collate(a[0], "C")),
    "contains": _strpos,
    "round": lambda a: sa.func.round(sa.cast(a[0], sa.Numeric), *a[1:]),
    "greatest": lambda a: sa.func.greatest(*a),
    "least": lambda a: sa.func.least(*a),
    "local_date": lambda a: sa.cast(sa.func.timezone(a[2], a[0]), sa.Date),
    **POSTGRES_CALENDAR,
}


@compiles(Portable)
def _render_default(element: Portable, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(SQLITE_SQL[element.operation](list(element.clauses)), **kw))


@compiles(Portable, "postgresql")
def _render_postgres(element: Portable, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(POSTGRES_SQL[element.operation](list(element.clauses)), **kw))


_SQL_TYPES: dict[TypeKind, Callable[[], TypeEngine[Any]]] = {
    TypeKind.TEXT: sa.String,
    TypeKind.USER: sa.String,
    TypeKind.INTEGER: sa.Integer,
    TypeKind.NUMBER: ExactNumber,
    TypeKind.MONEY: ExactNumber,
    TypeKind.PERCENT: ExactNumber,
    TypeKind.BOOLEAN: sa.Boolean,
    TypeKind.DATE: sa.Date,
    TypeKind.DATETIME: UtcDateTime,
}


def sql_type(value_type: ValueType) -> TypeEngine[Any]:
    """The SQLAlchemy type used for literals and results of this value type."""
    factory = _SQL_TYPES.get(value_type.kind)
    return factory() if factory is not None else sa.types.NullType()


def text_key(clause: Clause) -> Clause:
    """Text as compared by code point (PostgreSQL's collation would order otherwise)."""
    return portable("text_key", clause, type_=sa.String())


def local_date(clause: Clause, context: EvalContext) -> Clause:
    """The calendar day of a UTC datetime clause in the app's time zone."""
    offset = context.now.astimezone(context.timezone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    zone = str(context.timezone)
    return portable(
        "local_date",
        clause,
        sa.literal(minutes, sa.Integer),
        sa.literal(zone, sa.String),
        type_=sa.Date(),
    )


@dataclass(frozen=True, slots=True)
class SqlCall:
    """What a builder of a built-in function's SQL is told besides the argument clauses."""

    context: EvalContext
    arg_types: tuple[ValueType, ...]
    result_type: ValueType

    def day(self, args: list[Clause], index: int) -> Clause:
        """Argument `index` as a date (a datetime argument becomes its local day)."""
        if self.arg_types[index].kind is TypeKind.DATETIME:
            return local_date(args[index], self.context)
        return args[index]


SqlBuilder = Callable[[SqlCall, list[Clause]], Clause]


def _has_role(call: SqlCall, args: list[Clause]) -> Clause:
    roles = sorted(call.context.roles)
    if not roles:
        return sa.false()
    options = [sa.literal(role, sa.String) for role in roles]
    return sa.func.coalesce(args[0].in_(options), sa.false())


def _is_blank(call: SqlCall, args: list[Clause]) -> Clause:
    if call.arg_types[0].kind is TypeKind.TEXT:
        return sa.or_(args[0].is_(None), args[0] == "")
    return args[0].is_(None)


def _concat(_: SqlCall, args: list[Clause]) -> Clause:
    parts = [sa.func.coalesce(arg, "", type_=sa.String) for arg in args]
    result: Clause = parts[0]
    for part in parts[1:]:
        result = result.concat(part)
    return result


def _extreme(op: str) -> SqlBuilder:
    def build(call: SqlCall, args: list[Clause]) -> Clause:
        if call.result_type.kind is TypeKind.TEXT:
            args = [text_key(arg) for arg in args]
        return portable(op, *args, type_=sql_type(call.result_type))

    return build


def _round(call: SqlCall, args: list[Clause]) -> Clause:
    if len(args) == 1:
        return portable("round", args[0], type_=sql_type(call.result_type))
    places = sa.cast(
        sa.case((args[1] < 0, 0), (args[1] > 10, 10), else_=args[1]),
        sa.Integer,
    )
    return portable("round", args[0], places, type_=sql_type(call.result_type))


def _calendar(op: str) -> SqlBuilder:
    def build(call: SqlCall, args: list[Clause]) -> Clause:
        days = [
            call.day(args, i) if t.is_temporal else args[i] for i, t in enumerate(call.arg_types)
        ]
        if op.endswith("_week"):
            days.append(sa.literal_column(str(int(call.context.first_weekday)), sa.Integer))
        return portable(op, *days, type_=sql_type(call.result_type))

    return build


def _positive(value: Clause) -> Clause:
    return sa.case((value > 0, value), else_=0)


def _working_days(call: SqlCall, args: list[Clause]) -> Clause:
    """`working_days(a, b)` as `engine.expr.calendar.WorkCalendar.working_days` counts:
    Monday–Friday in [a, b] by arithmetic on the day count and the first weekday, minus
    the calendar's weekday holidays in range, plus its weekend workdays in range (one
    `CASE` per listed day: a calendar lists a few dozen a year)."""
    start, end = call.day(args, 0), call.day(args, 1)
    days = portable("days_between", start, end, type_=sa.Integer()) + 1
    first = portable("weekday", start, type_=sa.Integer())
    last = first + days % 7  # the weekday after the whole weeks, counted on from `first`
    counted = (
        (days // 7) * 5
        + _positive(sa.case((last < 5, last), else_=5) - first)
        + _positive(last - 7)
    )
    calendar = call.context.calendar
    for listed, sign in ((calendar.holidays, -1), (calendar.workdays, 1)):
        for day in listed:
            constant = sa.literal(day, sa.Date)
            within = sa.and_(start <= constant, end >= constant)
            counted = counted + sa.case((within, sign), else_=0)
    return sa.case((days <= 0, 0), else_=counted)


def _date_part(part: str) -> SqlBuilder:
    def build(call: SqlCall, args: list[Clause]) -> Clause:
        return sa.cast(sa.extract(part, call.day(args, 0)), sa.Integer)

    return build


def _now(call: SqlCall, _: list[Clause]) -> Clause:
    return sa.literal(call.context.now, UtcDateTime())


def _me(call: SqlCall, _: list[Clause]) -> Clause:
    user = call.context.user
    return sa.literal(user, sa.String) if user is not None else sa.cast(sa.null(), sa.String)


_BUILDERS: dict[str, SqlBuilder] = {
    "today": lambda call, _: sa.literal(call.context.today, sa.Date),
    "now": _now,
    "me": _me,
    "has_role": _has_role,
    "coalesce": lambda call, a: sa.func.coalesce(*a, type_=sql_type(call.result_type)),
    "is_blank": _is_blank,
    "len": lambda call, a: sa.func.length(a[0], type_=sa.Integer),
    "lower": lambda call, a: portable("lower", a[0], type_=sa.String()),
    "upper": lambda call, a: portable("upper", a[0], type_=sa.String()),
    "trim": lambda call, a: sa.func.trim(a[0], type_=sa.String),
    "concat": _concat,
    "text": lambda call, a: sa.cast(a[0], sa.String),
    "contains": lambda call, a: portable("contains", *a, type_=sa.Boolean()),
    "startswith": lambda call, a: sa.func.substr(a[0], 1, sa.func.length(a[1])) == a[1],
    "abs": lambda call, a: sa.func.abs(a[0], type_=sql_type(call.result_type)),
    "round": _round,
    "min": _extreme("least"),
    "max": _extreme("greatest"),
    "date": lambda call, a: call.day(a, 0),
    "year": _date_part("year"),
    "month": _date_part("month"),
    "day": _date_part("day"),
    "quarter": _calendar("quarter"),
    "add_days": _calendar("add_days"),
    "add_months": _calendar("add_months"),
    "days_between": _calendar("days_between"),
    "working_days": _working_days,
    **{
        f"{edge}_of_{period}": _calendar(f"{edge}_of_{period}")
        for edge in ("start", "end")
        for period in ("week", "month", "quarter", "year")
    },
}

BUILTIN_SQL: Mapping[str, SqlBuilder] = MappingProxyType(_BUILDERS)
"""Built-in function name → SQL builder."""
