"""`EntitySqlScope`: the names of an entity's expressions as SQL, for
`engine.storage.sql_expr.compile_sql` (filters, views, dashboards, rollups).

A field is its column, in the units expressions use: money is divided from minor units to
yuan, numbers and percents are exact decimals, datetimes UTC. A relation path walks links,
users and teams with correlated scalar subqueries: `customer.level` reads the linked
customer's column, `owner.team` the owner's main team, `customer.owner.manager.username`
goes three hops. A path that ends on a relation gives its key (record id, username, team
id), so `customer == this.customer` compares ids.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from engine.storage.field_storage import FieldStorage
from engine.storage.people_paths import team_member, user_member
from engine.storage.shapes import ShapeKind
from engine.storage.sql_functions import ExactNumber, UtcDateTime
from engine.storage.tables import AppTables

__all__ = ["EntitySqlScope"]

Clause = ColumnElement[Any]

# System columns an expression may name, and what they hold.
_SYSTEM = {
    "id": "value",
    "created_at": "datetime",
    "created_by": "user",
    "updated_at": "datetime",
    "updated_by": "user",
    "version": "value",
}


class EntitySqlScope:
    """Implements `SqlScope` for records of one entity (in `table_alias` when given)."""

    def __init__(
        self, tables: AppTables, entity: str, table_alias: sa.FromClause | None = None
    ) -> None:
        self.tables = tables
        self.entity = tables.entity_tables(entity)
        self.source: sa.FromClause = table_alias if table_alias is not None else self.entity.table

    def column(self, path: tuple[str, ...]) -> Clause:
        """The clause for a dotted path (LookupError naming the path when it has none)."""
        if not path:
            raise LookupError("an empty path has no column")
        head, rest = path[0], path[1:]
        if head in _SYSTEM:
            return self._system(head, rest)
        stored = self.entity.fields.get(head)
        if stored is None:
            raise LookupError(f"'{self.entity.spec.name}' has no field '{head}'")
        if not stored.has_column:
            raise LookupError(
                f"'{self.entity.spec.name}.{head}' is a {stored.field_type} field, stored in "
                "other rows: it has no value a database filter can use"
            )
        raw = self.source.c[head]
        if not rest:
            return _value(stored, raw)
        kind = stored.shape.kind
        if kind is ShapeKind.LINK:
            return self._through_link(stored, raw, rest)
        if kind in (ShapeKind.USER, ShapeKind.TEAM):
            return self._people(raw, kind.value, rest)
        raise LookupError(f"'{self.entity.spec.name}.{head}' has no members ('{rest[0]}')")

    def _system(self, head: str, rest: tuple[str, ...]) -> Clause:
        raw = self.source.c[head]
        kind = _SYSTEM[head]
        if kind == "user":
            return self._people(raw, "user", rest)
        if rest:
            raise LookupError(f"'{head}' has no members ('{rest[0]}')")
        return sa.type_coerce(raw, UtcDateTime()) if kind == "datetime" else raw

    def _through_link(self, stored: FieldStorage, key: Clause, rest: tuple[str, ...]) -> Clause:
        target = stored.shape.target
        if target is None or target not in self.tables.entities:
            raise LookupError(f"the link '{stored.name}' points to no known entity")
        linked = self.tables.entity(target).alias()
        inner = EntitySqlScope(self.tables, target, linked).column(rest)
        query = sa.select(inner).where(linked.c.id == key).correlate_except(linked)
        return query.scalar_subquery()

    def _people(self, key: Clause, kind: str, rest: tuple[str, ...]) -> Clause:
        clause = key
        for member in rest:
            if kind == "user":
                clause, kind = user_member(self.tables.system, clause, member)
            elif kind == "team":
                clause, kind = team_member(self.tables.system, clause, member)
            else:
                raise LookupError(f"a plain value has no member '{member}'")
        return clause


def _value(stored: FieldStorage, raw: Clause) -> Clause:
    """A column in the units expressions use."""
    shape = stored.shape
    if shape.kind is ShapeKind.MONEY:
        minor = sa.type_coerce(raw, sa.BigInteger())
        if not shape.scale:
            return sa.type_coerce(minor, ExactNumber())
        divisor = sa.literal(Decimal(10) ** shape.scale, ExactNumber())
        return sa.type_coerce(minor / divisor, ExactNumber())
    if shape.kind is ShapeKind.DECIMAL:
        return sa.type_coerce(raw, ExactNumber())
    if shape.kind is ShapeKind.DATETIME:
        return sa.type_coerce(raw, UtcDateTime())
    return raw
