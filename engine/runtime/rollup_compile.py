"""Roll-up fields compiled once per app: their checked expressions, which source and holder
fields they read, and the SQL pieces every refresh reuses — the aggregate over the sources
of one holder (a correlated scalar subquery), and the `match` rule as a condition over the
holders with the source's values as constants or as bind parameters.

Bare names in `match`, `where` and `field` are the source's fields, `this.` the record
holding the roll-up (`engine.runtime.rollups` keeps the values current).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from engine.expr import (
    CheckedExpr,
    EvalContext,
    MappingEnv,
    ValueType,
    check_expression,
    compile_condition,
    compile_python,
)
from engine.runtime.app_runtime import AppRuntime
from engine.runtime.link_filters import THIS, ThisScope
from engine.spec.expression_scopes import ScopeBuilder, merge_scopes
from engine.spec.model import FieldSpec
from engine.spec.model_entity import RollupSpec
from engine.storage.sql_expr import compile_sql, compile_sql_condition
from engine.storage.sql_functions import ExactNumber, UtcDateTime, sql_type
from engine.storage.sql_scope import EntitySqlScope

__all__ = [
    "BoundMirrorScope",
    "CompiledRollup",
    "MirrorScope",
    "PairScope",
    "aggregate_value",
    "compile_rollup",
    "formula_reads",
    "reads_the_clock",
    "source_counts",
    "value_shape",
]

Clause = ColumnElement[Any]
Condition = Callable[[MappingEnv], bool]


@dataclass(frozen=True)
class CompiledRollup:
    """One roll-up field: where it lives, what it aggregates, and which source fields it
    reads (a write changing none of them leaves it alone)."""

    entity: str
    field: str
    spec: RollupSpec
    source: str
    match: CheckedExpr | None
    where: CheckedExpr | None
    value: CheckedExpr | None
    reads: frozenset[str]  # source fields it reads
    holder_reads: frozenset[str]  # the holder's own fields its `match` reads (`this.x`)
    finds_by: tuple[str, ...] = ()
    """The source fields that decide which holders a source belongs to: the `link`, or the
    bare names of `match`."""
    bindable: bool = False
    """True when `match` names only plain source fields (no `customer.level`), so its holder
    lookup can be built once with bind parameters for the source's values."""
    counts: Condition | None = None
    """`where` in Python over a source's own values, when it reads nothing else: a source
    for which it is false feeds no holder, so its write needs no query at all."""
    adds: Callable[[MappingEnv], Any] | None = None
    """What one source adds to a holder's `sum` or `count` (its value, or 1) when Python
    can tell it from the source's own values: the holders then move by the difference a
    write makes instead of being aggregated again."""
    places: int = 0
    """The decimal places the holder's column keeps (0: whole numbers)."""
    clocked: bool = False
    """True when an expression reads the clock or the user: statements holding it are
    built per run, never kept."""


def compile_rollup(
    scopes: ScopeBuilder, runtime: AppRuntime, entity: str, field: FieldSpec, spec: RollupSpec
) -> CompiledRollup:
    """Check the roll-up's expressions against the source (bare names) and the holder
    (`this.`); ValueError with the problems when they do not hold up."""
    source = spec.source
    assert source is not None
    this = scopes.record(THIS, entity, "the record holding the roll-up")
    scope = merge_scopes(scopes.scope_of(source), {THIS: this})
    functions = runtime.registry.functions

    def checked(text: str, expect: ValueType | None) -> CheckedExpr:
        found = check_expression(text, scope, functions, expect=expect, sql=True, entity=source)
        if found.problems:
            problems = "; ".join(str(problem) for problem in found.problems)
            raise ValueError(f"roll-up {entity}.{field.name}: {problems}")
        return found

    match = checked(spec.match.text, ValueType.BOOLEAN) if spec.match is not None else None
    where = checked(spec.where.text, ValueType.BOOLEAN) if spec.where is not None else None
    value = checked(spec.field, None) if spec.field is not None else None
    found = [expr for expr in (match, where, value) if expr is not None]
    reads = {path[0] for expr in found for path in expr.names_used if path[0] != THIS}
    if spec.link is not None:
        reads.add(spec.link)
    holder_reads = {
        path[1] for expr in found for path in expr.names_used if len(path) > 1 and path[0] == THIS
    }
    if match is not None:
        bare = [path for path in match.names_used if path[0] != THIS]
        finds_by = tuple(dict.fromkeys(path[0] for path in bare))
        bindable = all(len(path) == 1 for path in bare)
    else:
        finds_by, bindable = (spec.link,) if spec.link else (), True
    counts = compile_condition(where) if where and _own(runtime, source, where) else None
    column = runtime.tables.entity(entity).c[field.name].type
    places = getattr(column, "digits", None)
    if places is None:
        places = getattr(column, "scale", None)
    return CompiledRollup(
        entity, field.name, spec, source, match, where, value, frozenset(reads),
        frozenset(holder_reads), finds_by, bindable, counts,
        _additive(runtime, spec, where, value), places if isinstance(places, int) else 0,
        reads_the_clock(match, where, value),
    )  # fmt: skip


def formula_reads(
    scopes: ScopeBuilder, runtime: AppRuntime, entity: str
) -> dict[str, frozenset[str]]:
    """Each formula of `entity` → the fields of the record it reads (the first part of
    each name it uses)."""
    scope = scopes.scope_of(entity)
    found: dict[str, frozenset[str]] = {}
    for name, field in runtime.app.entities[entity].fields.items():
        expr = field.formula_expr
        if expr is not None:
            checked = check_expression(expr.text, scope, runtime.registry.functions, entity=entity)
            found[name] = frozenset(path[0] for path in checked.names_used if path)
    return found


def _own(runtime: AppRuntime, source: str, expr: CheckedExpr) -> bool:
    """True when `expr` reads only the source's own fields (and not the clock, which its
    SQL form would read at another moment): Python can tell its value from the values a
    write hands over."""
    own = runtime.app.entities[source].fields
    return not reads_the_clock(expr) and all(
        len(path) == 1 and path[0] in own for path in expr.names_used
    )


def _additive(
    runtime: AppRuntime, spec: RollupSpec, where: CheckedExpr | None, value: CheckedExpr | None
) -> Callable[[MappingEnv], Any] | None:
    """What one source adds to a `sum` or `count`, when Python can tell it (see `adds`)."""
    source = spec.source or ""
    if spec.aggregate not in ("sum", "count") or (where and not _own(runtime, source, where)):
        return None
    if spec.aggregate == "count" or value is None:
        return lambda env: 1
    if not _own(runtime, source, value):
        return None
    evaluate = compile_python(value)
    return lambda env: evaluate(env) or 0  # a blank value adds nothing, as in SQL


def reads_the_clock(*expressions: CheckedExpr | None) -> bool:
    """True when an expression calls a function whose value depends on the moment or the
    user (compiled as a constant, so a statement holding it cannot be kept)."""
    texts = (found.text for found in expressions if found is not None)
    return any(name in text for text in texts for name in ("today(", "now(", "me("))


def source_counts(rollup: CompiledRollup, values: Mapping[str, Any], context: EvalContext) -> bool:
    """False when the source's values cannot feed the roll-up (its `where` is false)."""
    return rollup.counts is None or rollup.counts(MappingEnv(values, context))


# -- the aggregate ---------------------------------------------------------------------------


def aggregate_value(
    runtime: AppRuntime, rollup: CompiledRollup, holder: sa.FromClause, context: EvalContext
) -> Clause:
    """The roll-up's value for the row of `holder` (an alias of the holder's table) it is
    correlated with: a scalar subquery over the matching live sources, typed as read."""
    tables = runtime.tables
    source = tables.entity(rollup.source).alias("source")
    scope = PairScope(
        EntitySqlScope(tables, rollup.source, source),
        EntitySqlScope(tables, rollup.entity, holder),
    )
    conditions: list[Clause] = [source.c.deleted_at.is_(None)]
    if rollup.spec.link is not None:
        conditions.append(source.c[rollup.spec.link] == holder.c.id)
    else:
        assert rollup.match is not None
        conditions.append(compile_sql_condition(rollup.match, scope, context))
    if rollup.where is not None:
        conditions.append(compile_sql_condition(rollup.where, scope, context))
    aggregate = _aggregate(rollup, scope, context)
    subquery = sa.select(aggregate).where(*conditions).scalar_subquery()
    return sa.type_coerce(subquery, _read_as(rollup))


def _aggregate(rollup: CompiledRollup, scope: PairScope, context: EvalContext) -> Clause:
    kind = rollup.spec.aggregate
    if kind == "count" or rollup.value is None:
        return sa.func.count()
    value = compile_sql(rollup.value, scope, context)
    if kind == "sum":
        return sa.func.sum(value)
    if kind == "avg":
        return sa.func.avg(value)
    return sa.func.min(value) if kind == "min" else sa.func.max(value)


def _read_as(rollup: CompiledRollup) -> Any:
    """The SQL type the aggregate is read as: a count is an integer, an average an exact
    number, a sum / min / max the type of the value expression (money in yuan, exact
    numbers, UTC datetimes, as every compiled expression)."""
    if rollup.spec.aggregate == "count" or rollup.spec.field is None:
        return sa.Integer()
    if rollup.spec.aggregate == "avg" or rollup.value is None:
        return ExactNumber()
    return sql_type(rollup.value.type)


# -- scopes ----------------------------------------------------------------------------------


class PairScope:
    """Bare names are the source's columns, `this.` the holder's (the correlated record)."""

    def __init__(self, source: EntitySqlScope, holder: EntitySqlScope) -> None:
        self.source = source
        self.holder = holder

    def column(self, path: tuple[str, ...]) -> Clause:
        if path[0] == THIS:
            return self.holder.column(path[1:] or ("id",))
        return self.source.column(path)


class MirrorScope:
    """`this.` is the holder's columns, bare names the given source values (constants)."""

    def __init__(
        self, holder: EntitySqlScope, tables: Any, source: str, values: Mapping[str, Any]
    ) -> None:
        self.holder = holder
        self.values = ThisScope(holder, tables, source, values)

    def column(self, path: tuple[str, ...]) -> Clause:
        if path[0] == THIS:
            return self.holder.column(path[1:] or ("id",))
        return self.values.column((THIS, *path))


class BoundMirrorScope:
    """`this.` is the holder's columns, a bare name a bind parameter `<prefix><name>` of
    the shape the source's value has (`value_shape`): the clause `MirrorScope` gives for
    those values, built once and run with any values of the same shapes."""

    def __init__(self, holder: EntitySqlScope, prefix: str, shapes: Mapping[str, Hashable]) -> None:
        self.holder = holder
        self.prefix = prefix
        self.shapes = shapes

    def column(self, path: tuple[str, ...]) -> Clause:
        if path[0] == THIS:
            return self.holder.column(path[1:] or ("id",))
        if len(path) != 1:
            raise LookupError(f"'{'.'.join(path)}' cannot be a bind parameter")
        shape = self.shapes[path[0]]
        if shape is None:
            return sa.null()
        if isinstance(shape, bool):
            return sa.true() if shape else sa.false()
        return sa.bindparam(f"{self.prefix}{path[0]}", type_=_BIND_TYPES[str(shape)]())


_BIND_TYPES: dict[str, Callable[[], Any]] = {
    "number": ExactNumber,
    "datetime": UtcDateTime,
    "date": sa.Date,
    "integer": sa.BigInteger,
    "text": sa.String,
}


def value_shape(value: Any) -> tuple[Hashable, Any]:
    """How `link_filters.sql_literal` would render a source value — None (NULL), a bool
    (TRUE / FALSE) or the name of a bind type — and the value to bind. LookupError for a
    list, which no database condition compares."""
    if value is None or isinstance(value, bool):
        return value, None
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        return "number", value
    if isinstance(value, datetime):
        return "datetime", value
    if isinstance(value, date):
        return "date", value
    if isinstance(value, int):
        return "integer", value
    if isinstance(value, list | tuple):
        raise LookupError("a list value cannot be compared in a database filter")
    return "text", value
