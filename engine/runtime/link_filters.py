"""The link `filter` of a field compiled into SQL over the target's table — the one compiler
of it, used by the picker (`engine.runtime.link_choices`) and by the record service's
reference check (`engine.runtime.references`), so what a picker offers and what a write
accepts never differ. Bare names are the target's fields, `this.` the values of the record
being edited: `this.x` is the value given for `x` (None when absent); `this.link.field` and
`this.user.member` read through the linked record or user as the list filters do.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from engine.errors import BadRequest
from engine.expr import ValueType, check_expression
from engine.runtime.actor import Actor
from engine.runtime.app_runtime import AppRuntime
from engine.runtime.listing import expression_problems
from engine.spec.expression_scopes import ScopeBuilder, merge_scopes
from engine.spec.model import FieldSpec
from engine.storage.people_paths import team_member, user_member
from engine.storage.shapes import ShapeKind
from engine.storage.sql_expr import compile_sql_condition
from engine.storage.sql_functions import ExactNumber, UtcDateTime
from engine.storage.sql_scope import EntitySqlScope
from engine.storage.tables import AppTables

__all__ = ["THIS", "Clause", "ThisScope", "link_filter_condition", "sql_literal"]

THIS = "this"
Clause = ColumnElement[Any]


def link_filter_condition(
    runtime: AppRuntime,
    actor: Actor,
    entity: str,
    field: FieldSpec,
    this: Mapping[str, Any],
) -> Clause | None:
    """The link `filter` of `entity.field` as a WHERE clause over the target's table, with
    `this.` bound to `this` (None when the link has no filter). BadRequest when the filter
    does not compile (the app checker reports that at load, so it means a bug)."""
    expr = field.link_filter
    target = field.link_target
    if expr is None or target is None:
        return None
    scopes = ScopeBuilder(runtime.app, runtime.registry)
    this_symbol = scopes.record(THIS, entity, "the record being edited")
    checked = check_expression(
        expr.text,
        merge_scopes(scopes.scope_of(target), {THIS: this_symbol}),
        runtime.registry.functions,
        expect=ValueType.BOOLEAN,
        sql=True,
        entity=target,
    )
    if checked.problems:
        raise BadRequest(f"the filter of '{entity}.{field.name}': {expression_problems(checked)}")
    scope = ThisScope(EntitySqlScope(runtime.tables, target), runtime.tables, entity, this)
    return compile_sql_condition(checked, scope, runtime.contexts.for_actor(actor))


class ThisScope:
    """The target's columns, and `this.…` as the given values of the record being edited."""

    def __init__(
        self, base: EntitySqlScope, tables: AppTables, entity: str, this: Mapping[str, Any]
    ) -> None:
        self.base = base
        self.tables = tables
        self.entity = entity
        self.this = this

    def column(self, path: tuple[str, ...]) -> Clause:
        """A target column, or a value of the record being edited."""
        if path[0] != THIS:
            return self.base.column(path)
        if len(path) < 2:
            raise LookupError("'this' alone is a record, not a value a filter can compare")
        name, rest = path[1], path[2:]
        value = self.this.get(name)
        stored = self.tables.entity_tables(self.entity).fields.get(name)
        if not rest:
            return sql_literal(value)
        kind = stored.shape.kind if stored is not None else None
        if kind is ShapeKind.LINK and stored is not None and stored.shape.target is not None:
            linked = self.tables.entity(stored.shape.target).alias()
            inner = EntitySqlScope(self.tables, stored.shape.target, linked).column(rest)
            return sa.select(inner).where(linked.c.id == sql_literal(value)).scalar_subquery()
        if kind in (ShapeKind.USER, ShapeKind.TEAM) or name in ("created_by", "updated_by"):
            clause, member_kind = sql_literal(value), "team" if kind is ShapeKind.TEAM else "user"
            for member in rest:
                step = user_member if member_kind == "user" else team_member
                clause, member_kind = step(self.tables.system, clause, member)
            return clause
        raise LookupError(f"'this.{name}' has no members ('{rest[0]}')")


def sql_literal(value: Any) -> Clause:
    """A value of a record (or of an automation run) as a bound SQL value typed as the
    expression compiler types columns: exact numbers, UTC datetimes, dates, ids, text."""
    if value is None:
        return sa.null()
    if isinstance(value, bool):
        return sa.true() if value else sa.false()
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        return sa.literal(value, ExactNumber())
    if isinstance(value, datetime):
        return sa.literal(value, UtcDateTime())
    if isinstance(value, date):
        return sa.literal(value, sa.Date)
    if isinstance(value, int):
        return sa.literal(value, sa.BigInteger)
    if isinstance(value, list | tuple):
        raise LookupError("a list value cannot be compared in a database filter")
    return sa.literal(value, sa.String)
