"""References a changed record makes must exist: users (active), teams, linked records
(live — and readable by the actor, so a link never reveals a record they cannot see) and
uploaded files (of this field, not attached elsewhere, uploaded by the actor).

Only fields whose value changes are checked: a record whose linked customer was deleted
later can still be edited, as long as the link itself is not touched.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement, True_

from engine.errors import BadRequest
from engine.runtime.actor import Actor
from engine.runtime.compiled_entity import CompiledFields
from engine.runtime.messages import Message
from engine.runtime.permissions import Permissions
from engine.runtime.problems import Problems
from engine.runtime.record_store import RecordStore
from engine.spec.model import AppSpec, FieldSpec
from engine.spec.model_entity import ScopeKind
from engine.storage.tables import AppTables

__all__ = ["LinkVisibility", "ReadFilter", "ReferenceChecker"]

_MAX_KEPT = 1024


@dataclass(frozen=True)
class LinkVisibility:
    """The records an actor may link to: the live ones in their read scope. The query is
    kept per (entity, actor) when the scope depends on the actor alone — no `=expression`
    scope, whose SQL may hold the clock (`today()`) — since building it and its cache key
    cost more than running it."""

    permissions: Permissions
    actor: Actor

    def live_id_query(self, store: RecordStore, entity: str) -> sa.Select[Any]:
        """`SELECT id` of the live record `:record_id` of `entity` the actor may read."""
        scopes = self.permissions.grant(self.actor, entity).scopes["read"]
        kept = store.kept_statements
        key = ("visible_live_id", entity, self.actor)
        stable = all(scope.kind is not ScopeKind.EXPRESSION for scope in scopes)
        if stable and key in kept:
            found: sa.Select[Any] = kept[key]
            return found
        query = store.live_id_query(entity)
        visible = self.permissions.row_filter(self.actor, entity, "read")
        # An unrestricted scope adds nothing: keep the pre-built (cached) statement.
        if not isinstance(visible, True_):
            query = query.where(visible)
        if stable:
            if len(kept) >= _MAX_KEPT:
                kept.clear()
            kept[key] = query
        return query


ReadFilter = LinkVisibility | None
"""What the acting user may link to (None: a trusted write, no restriction)."""
LinkCondition = Callable[[FieldSpec, Mapping[str, Any]], ColumnElement[Any] | None] | None
"""A link field's `filter` as a clause over its target, for the record's values."""


@dataclass
class ReferenceChecker:
    """Checks the references of one record being written, inside its transaction."""

    connection: Connection
    app: AppSpec
    tables: AppTables
    store: RecordStore
    actor: Actor
    read_filter: ReadFilter
    record_id: int | None
    entity: str
    # The link's `filter` as a clause over its target, given the record's values (None: the
    # link has none). Checked for the record's own links, not for links inside subform rows.
    link_condition: LinkCondition = None

    def check(
        self,
        compiled: CompiledFields,
        values: Mapping[str, Any],
        changed: Collection[str],
        problems: Problems,
        prefix: str = "",
    ) -> None:
        """Add a problem for every reference in the changed fields that does not resolve."""
        for name in changed:
            field = compiled.fields.get(name)
            value = values.get(name)
            if field is None or value is None or value == []:
                continue
            key = f"{prefix}{name}"
            kind = field.spec.type
            if kind == "user" and not self._user(str(value)):
                problems.add(key, Message("unknown_user", {"value": value}))
            elif kind == "team" and not self._team(int(value)):
                problems.add(key, Message("unknown_team", {"value": value}))
            elif kind == "link" and field.spec.link_target is not None:
                target = field.spec.link_target
                label = self.app.entities[target].label
                if not self._record(target, int(value)):
                    problems.add(key, Message("unknown_link", {"entity": label, "value": value}))
                elif not prefix and not self._fits(field.spec, target, int(value), values):
                    params = {"entity": label, "value": value}
                    problems.add(key, Message("link_not_allowed", params))
            elif kind == "attachment":
                self._files(name, value, field.spec.option("multiple", False), problems, key)
            elif field.rows is not None:
                for index, row in enumerate(value):
                    self.check(field.rows, row, list(row), problems, f"{key}.{index}.")

    def _user(self, username: str) -> bool:
        if username == self.actor.username and not self.actor.is_system:
            return True  # the acting user is active: they were just authenticated
        query = self.store.active_user_query
        return self.connection.execute(query, {"username": username}).first() is not None

    def _team(self, team_id: int) -> bool:
        query = self.store.team_query
        return self.connection.execute(query, {"team_id": team_id}).first() is not None

    def _record(self, entity: str, record_id: int) -> bool:
        if self.read_filter is None:
            query = self.store.live_id_query(entity)
        else:
            query = self.read_filter.live_id_query(self.store, entity)
        return self.connection.execute(query, {"record_id": record_id}).first() is not None

    def _fits(
        self, field: FieldSpec, target: str, record_id: int, values: Mapping[str, Any]
    ) -> bool:
        """True when the linked record passes the link's `filter` (or it has none)."""
        if self.link_condition is None or field.link_filter is None:
            return True
        try:
            condition = self.link_condition(field, values)
        except (LookupError, BadRequest):
            return False  # `this.` holds something the filter cannot compare
        if condition is None:
            return True
        table = self.tables.entity(target)
        query = sa.select(table.c.id).where(table.c.id == record_id, condition)
        return self.connection.execute(query).first() is not None

    def _files(
        self, field: str, ids: list[int], multiple: bool, problems: Problems, key: str
    ) -> None:
        if len(ids) > 1 and not multiple:
            problems.add(key, Message("single_file"))
        files = self.tables.system.files
        mine = files.c.record_id == self.record_id if self.record_id is not None else sa.false()
        uploaded: ColumnElement[bool] = files.c.record_id.is_(None)
        if not (self.actor.is_system or self.actor.is_admin):
            uploaded = sa.and_(uploaded, files.c.created_by == self.actor.username)
        query = sa.select(files.c.id).where(
            files.c.app == self.app.id,
            files.c.entity == self.entity,
            files.c.field == field,
            files.c.id.in_(ids),
            sa.or_(mine, uploaded),
        )
        found = set(self.connection.scalars(query))
        for file_id in ids:
            if file_id not in found:
                problems.add(key, Message("unknown_file", {"value": file_id}))
