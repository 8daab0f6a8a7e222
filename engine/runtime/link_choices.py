"""What a link field may point at, for one actor and the record being edited: the target's
live records the actor may read, narrowed by the link's `filter` (bare names are the
target's fields, `this.` the values of the record being edited) and, for pickers, by a
case-insensitive search of the title text.

The link `filter` is compiled by `engine.runtime.link_filters.link_filter_condition`, the
same clause the record service checks a chosen record against when the record is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from engine.runtime.actor import Actor
from engine.runtime.app_runtime import AppRuntime
from engine.runtime.link_filters import THIS, link_filter_condition
from engine.runtime.record import Record
from engine.runtime.records import RecordService
from engine.runtime.values import InvalidInput, parse_input
from engine.spec.model import FieldSpec

__all__ = ["THIS", "link_filter_condition", "search_link_targets", "this_values_from_input"]

Clause = ColumnElement[Any]


def this_values_from_input(
    runtime: AppRuntime, entity: str, raw: Mapping[str, Any]
) -> dict[str, Any]:
    """The typed values of `raw` (form text by field name) for `this.`; unknown fields are
    left out and a value that does not read (the user is still typing) counts as empty."""
    spec = runtime.app.entities[entity]
    values: dict[str, Any] = {}
    for name, text in raw.items():
        field = spec.fields.get(name)
        if field is None or field.type == "subform":
            continue
        try:
            values[name] = parse_input(field, text, runtime.inputs)
        except InvalidInput:
            values[name] = None
    return values


def search_link_targets(
    service: RecordService,
    actor: Actor,
    entity: str,
    field: FieldSpec,
    text: str,
    this: Mapping[str, Any],
    *,
    limit: int,
) -> list[Record]:
    """Up to `limit` records `entity.field` may point at for `actor`: live, readable, passing
    the link's filter, and whose title (the link's `display` field, else the target's
    title field) contains `text` in any letter case. Ordered by that title."""
    runtime = service.runtime
    target = field.link_target
    if target is None:
        return []
    spec = runtime.app.entities[target]
    table = runtime.tables.entity(target)
    query = sa.select(table).where(
        table.c.deleted_at.is_(None), runtime.permissions.row_filter(actor, target, "read")
    )
    condition = link_filter_condition(runtime, actor, entity, field, this)
    if condition is not None:
        query = query.where(condition)
    shown = field.option("display") or spec.title_field
    if shown and shown in table.c:
        if text:
            # ILIKE on PostgreSQL, lower() LIKE lower() on SQLite; % and _ match themselves.
            query = query.where(table.c[shown].icontains(text, autoescape=True))
        query = query.order_by(table.c[shown], table.c.id)
    else:
        query = query.order_by(table.c.id)
    with service.db.begin(readonly=True) as connection:
        rows = [row._mapping for row in connection.execute(query.limit(limit))]
        return service.records_of(connection, actor, target, rows)
