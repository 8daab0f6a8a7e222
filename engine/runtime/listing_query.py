"""`ListQuery`: one page of an entity's records for an actor — the row scope, the filter
expression (checked against the entity's fields, compiled to SQL), the sort and the keyset
cursor (`engine.runtime.listing`).

A filter may not name a field the actor cannot read (it would tell them its values); its
problems come back as `BadRequest` with the expression codes (`X103 at 1:5: …`). Checked
filters are kept (per entity and text, a bounded number) so a list page that is reloaded
is not parsed again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from engine.errors import BadRequest
from engine.expr import CheckedExpr, ValueType, check_expression
from engine.runtime.actor import Actor
from engine.runtime.app_runtime import AppRuntime
from engine.runtime.compiled_entity import CompiledEntity
from engine.runtime.listing import (
    MAX_LIMIT,
    SortKey,
    decode_cursor,
    encode_cursor,
    expression_problems,
    keyset_after,
    keyset_floor,
    null_tail,
    order_by,
    parse_sort,
    wide_integers,
)
from engine.spec.expression_scopes import ScopeBuilder
from engine.spec.model import SYSTEM_FIELDS
from engine.storage.sql_expr import compile_sql_condition
from engine.storage.sql_scope import EntitySqlScope

__all__ = ["CACHED_FILTERS", "ListQuery"]

CACHED_FILTERS = 256


class ListQuery:
    """Builds and runs list queries of one app."""

    def __init__(self, runtime: AppRuntime) -> None:
        self.runtime = runtime
        self.scopes = ScopeBuilder(runtime.app, runtime.registry)
        self._filters: OrderedDict[tuple[str, str], CheckedExpr] = OrderedDict()
        self._lock = threading.Lock()

    def page(
        self,
        connection: Connection,
        actor: Actor,
        compiled: CompiledEntity,
        *,
        filter: str | None,
        sort: Sequence[str],
        limit: int,
        cursor: str | None,
    ) -> tuple[list[RowMapping], str | None]:
        """Up to `limit` rows after `cursor`, and the cursor after the last one (None when
        there are no more)."""
        if limit < 1 or limit > MAX_LIMIT:
            raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        entity = compiled.name
        table = compiled.tables.table
        permissions = self.runtime.permissions
        readable = {
            name: permissions.field_access(actor, entity, name) != "none"
            for name in compiled.spec.fields
        }
        keys = parse_sort(compiled.tables, sort, readable)
        query = sa.select(table).where(
            table.c.deleted_at.is_(None), permissions.row_filter(actor, entity, "read")
        )
        if filter is not None and filter.strip():
            query = query.where(wide_integers(self._filter(actor, compiled, filter, readable)))
        order = order_by(table, keys)
        if cursor is None:
            rows = self._rows(connection, query.order_by(*order).limit(limit + 1))
        else:
            rows = self._after(connection, query, table, keys, cursor, limit + 1)
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        last = rows[-1]
        return rows, encode_cursor(keys, [last[k.field] for k in keys], int(last["id"]))

    def _after(
        self,
        connection: Connection,
        query: sa.Select[Any],
        table: sa.Table,
        keys: Sequence[SortKey],
        cursor: str,
        wanted: int,
    ) -> list[RowMapping]:
        """Up to `wanted` rows after the cursor. With a non-NULL first key the rows are
        read in two index seeks — the rest of the non-NULL keys, then (only when those run
        out) the NULLs that sort after them — because one OR of both makes the database
        scan the index from its start: a page at row 500,000 then costs 500,000 rows."""
        values, last_id = decode_cursor(cursor, keys)
        order = order_by(table, keys)
        after = wide_integers(keyset_after(table, keys, values, last_id))
        floor = keyset_floor(table, keys, values, last_id)
        if floor is None:
            return self._rows(connection, query.where(after).order_by(*order).limit(wanted))
        seek = query.where(wide_integers(floor), after).order_by(*order).limit(wanted)
        rows = self._rows(connection, seek)
        tail = null_tail(table, keys)
        if len(rows) < wanted and tail is not None:
            nulls = query.where(tail).order_by(*order).limit(wanted - len(rows))
            rows.extend(self._rows(connection, nulls))
        return rows

    @staticmethod
    def _rows(connection: Connection, query: sa.Select[Any]) -> list[RowMapping]:
        return [row._mapping for row in connection.execute(query)]

    def _filter(
        self, actor: Actor, compiled: CompiledEntity, text: str, readable: dict[str, bool]
    ) -> Any:
        checked = self._checked(compiled, text)
        if checked.problems:
            raise BadRequest(f"the filter has problems: {expression_problems(checked)}")
        hidden = sorted(
            {
                ".".join(path)
                for path in checked.names_used
                if not self._may_read(actor, compiled.name, path)
            }
        )
        if hidden:
            raise BadRequest(f"you may not filter by {', '.join(repr(h) for h in hidden)}")
        scope = EntitySqlScope(self.runtime.tables, compiled.name)
        return compile_sql_condition(checked, scope, self.runtime.contexts.for_actor(actor))

    def _may_read(self, actor: Actor, entity: str, path: tuple[str, ...]) -> bool:
        """True when every field the path goes through is readable by the actor."""
        permissions = self.runtime.permissions
        current: str | None = entity
        for part in path:
            if current is None or part in SYSTEM_FIELDS:
                return True
            spec = self.runtime.app.entities[current].fields.get(part)
            if spec is None:
                return True  # a subform row's field: its subform was checked one step before
            if permissions.field_access(actor, current, part) == "none":
                return False
            current = spec.link_target
        return True

    def _checked(self, compiled: CompiledEntity, text: str) -> CheckedExpr:
        key = (compiled.name, text)
        with self._lock:
            found = self._filters.get(key)
            if found is not None:
                self._filters.move_to_end(key)
                return found
        checked = check_expression(
            text,
            self.scopes.entity_scope(compiled.spec),
            self.runtime.registry.functions,
            expect=ValueType.BOOLEAN,
            sql=True,
            entity=compiled.name,
        )
        with self._lock:
            self._filters[key] = checked
            while len(self._filters) > CACHED_FILTERS:
                self._filters.popitem(last=False)
        return checked
