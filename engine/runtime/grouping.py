"""Counts of an entity's records per value of one field, for boards (kanban columns): the
same records a list shows — live, in the actor's read scope, passing the filter — counted
in one GROUP BY query instead of one listing per column."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.errors import BadRequest, Forbidden
from engine.runtime.actor import Actor
from engine.runtime.listing import wide_integers
from engine.runtime.records import RecordService

__all__ = ["count_by"]


def count_by(
    service: RecordService, actor: Actor, entity: str, field: str, *, filter: str | None
) -> dict[Any, int]:
    """How many records the actor may read (and `filter` keeps) hold each value of `field`
    (None for the empty value). Forbidden when the actor may not list `entity`,
    BadRequest for a filter with problems or a field they may not read."""
    runtime = service.runtime
    permissions = runtime.permissions
    if not permissions.can(actor, entity, "read"):
        raise Forbidden(f"you may not see the records of '{entity}'")
    compiled = runtime.entity(entity)
    if (
        field not in compiled.spec.fields
        or permissions.field_access(actor, entity, field) == "none"
    ):
        raise BadRequest(f"'{entity}' has no field '{field}' you may group by")
    table = compiled.tables.table
    column = table.c[field]
    query = (
        sa.select(column, sa.func.count())
        .where(table.c.deleted_at.is_(None), permissions.row_filter(actor, entity, "read"))
        .group_by(column)
    )
    if filter is not None and filter.strip():
        readable = {
            name: permissions.field_access(actor, entity, name) != "none"
            for name in compiled.spec.fields
        }
        # The list's own filter compiler (checks, field rights, cache): a count agrees
        # with the list it summarises. Private by name only; it has no side effects.
        condition = service.lists._filter(actor, compiled, filter, readable)
        query = query.where(wide_integers(condition))
    with service.db.begin(readonly=True) as connection:
        return {value: int(count) for value, count in connection.execute(query)}
