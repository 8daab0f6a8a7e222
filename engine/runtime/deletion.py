"""Soft delete and restore, with what deleting does to the records that link here.

A delete sets `deleted_at` (the row, its child rows and its history stay), after the
record's inbound links are honoured: `restrict` refuses while a live record links to it
(`DeleteRestricted`, naming what links), `cascade` deletes the linking records too (each
with its own history row, and their own links honoured in turn), `set_null` empties the
link on the linking records (a history row each). Restoring brings back the one record
(not what was cascaded with it), unless a unique value of it is now taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.automation import ChangeEvent, EventKind
from engine.errors import Conflict, DeleteRestricted
from engine.runtime.actor import Actor
from engine.runtime.history import HistoryKind, diff_values
from engine.runtime.links import InboundLink, inbound_links
from engine.runtime.messages import Message, render
from engine.runtime.preparation import WriteOptions
from engine.runtime.problems import Problems
from engine.runtime.uniqueness import check_unique

if TYPE_CHECKING:
    from engine.runtime.records import RecordService

__all__ = ["Deletion"]

_CASCADE_LIMIT = 10_000


class Deletion:
    """Deletes and restores records for a `RecordService`."""

    def __init__(self, service: RecordService) -> None:
        self.service = service
        self.runtime = service.runtime
        self.links: Mapping[str, tuple[InboundLink, ...]] = inbound_links(self.runtime.app)

    def delete_in(
        self,
        connection: Connection,
        actor: Actor,
        entity: str,
        record_id: int,
        version: int | None,
        comment: str | None,
        options: WriteOptions | None = None,
    ) -> None:
        """Soft-delete one record the actor may delete, inside the caller's transaction
        (`options`: the automation chain of a rule's delete)."""
        row = self.service.require_row(connection, actor, entity, record_id, "delete")
        current_version = int(row["version"])
        if version is not None and version != current_version:
            raise Conflict(current_version)
        self._delete(
            connection, actor, entity, record_id, current_version, comment, set(),
            options or WriteOptions(),
        )  # fmt: skip

    def _delete(
        self,
        connection: Connection,
        actor: Actor,
        entity: str,
        record_id: int,
        version: int,
        comment: str | None,
        seen: set[tuple[str, int]],
        options: WriteOptions,
    ) -> None:
        seen.add((entity, record_id))
        watched = self.service.watched(EventKind.DELETED, entity, options)
        rolled = self.service.rollups.watches(entity)
        last = self._values(connection, entity, record_id) if watched or rolled else None
        self._refuse_if_restricted(connection, actor, entity, record_id, version)
        for link in self.links[entity]:
            if link.on_delete == "cascade" and link.subform is None:
                self._cascade(connection, actor, entity, record_id, link, seen, options)
            elif link.on_delete in ("set_null", "cascade"):
                self._clear(connection, actor, entity, record_id, link)
        stamps = {"updated_at": self.runtime.clock.now(), "updated_by": actor.username}
        if not self.runtime.store.set_deleted(
            connection, entity, record_id, stamps, deleted=True, expected_version=version
        ):
            raise Conflict(self.service.version_of(connection, entity, record_id))
        self.service.write_history(
            connection, actor, entity, record_id, HistoryKind.DELETED, None, comment
        )
        if rolled and last is not None:
            self.service.roll(connection, entity, [(last | {"id": record_id}, None)], options)
        if watched and last is not None:
            event = ChangeEvent(
                EventKind.DELETED, entity, record_id, version + 1, actor.label, last, old=last
            )
            self.service.emit(connection, actor, [event], options)

    def _values(self, connection: Connection, entity: str, record_id: int) -> dict[str, Any] | None:
        """The record's last values, for the `deleted` event."""
        row = self.runtime.store.select_row(connection, entity, record_id, deleted=None)
        return self.service.current_values(connection, entity, row) if row is not None else None

    def _linking(self, link: InboundLink, record_id: int) -> sa.Select[tuple[Any, ...]]:
        """Live records of `link.source` whose link (or a subform row's) points here."""
        source = self.runtime.tables.entity(link.source)
        if link.subform is None:
            where = source.c[link.field] == record_id
        else:
            rows = self.runtime.tables.child(link.source, link.subform)
            where = source.c.id.in_(
                sa.select(rows.c.parent_id).where(rows.c[link.field] == record_id)
            )
        return sa.select(source.c.id, source.c.version).where(where, source.c.deleted_at.is_(None))

    def _refuse_if_restricted(
        self, connection: Connection, actor: Actor, entity: str, record_id: int, version: int
    ) -> None:
        blockers: dict[str, int] = {}
        for link in self.links[entity]:
            if link.on_delete != "restrict":
                continue
            query = self._linking(link, record_id).subquery()
            count = int(connection.scalar(sa.select(sa.func.count()).select_from(query)) or 0)
            if count:
                blockers[link.name] = count
        if not blockers:
            return
        locale = self.runtime.locale_of(actor.locale)
        app = self.runtime.app
        listed = ", ".join(
            f"{count} × {app.label(app.entities[name.split('.')[0]].label, locale)}"
            f" ({name.split('.')[-1]})"
            for name, count in blockers.items()
        )
        label = app.entities[entity].label
        message = render(
            Message("delete_restricted", {"entity": label, "blockers": listed}), locale
        )
        raise DeleteRestricted(version, message, blockers)

    def _cascade(
        self,
        connection: Connection,
        actor: Actor,
        entity: str,
        record_id: int,
        link: InboundLink,
        seen: set[tuple[str, int]],
        options: WriteOptions,
    ) -> None:
        note = f"deleted with {entity} #{record_id}"
        for row in connection.execute(self._linking(link, record_id)).all():
            key = (link.source, int(row.id))
            if key in seen or len(seen) > _CASCADE_LIMIT:
                continue
            self._delete(
                connection, actor, link.source, int(row.id), int(row.version), note, seen, options
            )

    def _clear(
        self, connection: Connection, actor: Actor, entity: str, record_id: int, link: InboundLink
    ) -> None:
        """Empty the link on every live record pointing here (a subform's rows included)."""
        service = self.service
        store = self.runtime.store
        spec = self.runtime.app.entities[link.source]
        for row in connection.execute(self._linking(link, record_id)).all():
            source_row = store.select_row(connection, link.source, int(row.id))
            assert source_row is not None
            before = service.current_values(connection, link.source, source_row)
            after = dict(before)
            if link.subform is None:
                after[link.field] = None
            else:
                after[link.subform] = [
                    {**r, link.field: None} if r.get(link.field) == record_id else r
                    for r in before[link.subform]
                ]
            changed = {link.subform or link.field: after[link.subform or link.field]}
            stamps = {"updated_at": self.runtime.clock.now(), "updated_by": actor.username}
            if not store.update(
                connection,
                link.source,
                int(row.id),
                changed,
                stamps,
                expected_version=int(row.version),
            ):
                raise Conflict(service.version_of(connection, link.source, int(row.id)))
            store.write_children(connection, link.source, int(row.id), changed)
            service.write_history(
                connection, actor, link.source, int(row.id), HistoryKind.UPDATED,
                diff_values(spec, before, after), f"{entity} #{record_id} was deleted",
            )  # fmt: skip

    def restore_in(
        self,
        connection: Connection,
        actor: Actor,
        entity: str,
        record_id: int,
        comment: str | None,
    ) -> None:
        """Bring back a deleted record the actor may delete, inside the caller's transaction."""
        row = self.service.require_row(connection, actor, entity, record_id, "delete", deleted=True)
        compiled = self.runtime.entity(entity)
        values = self.runtime.store.column_values(entity, row)
        problems = Problems()
        store = self.runtime.store
        check_unique(connection, store, compiled, values, frozenset(values), record_id, problems)
        problems.raise_if_any(self.runtime.locale_of(actor.locale))
        stamps = {"updated_at": self.runtime.clock.now(), "updated_by": actor.username}
        if not self.runtime.store.set_deleted(
            connection,
            entity,
            record_id,
            stamps,
            deleted=False,
            expected_version=int(row["version"]),
        ):
            raise Conflict(self.service.version_of(connection, entity, record_id))
        self.service.write_history(
            connection, actor, entity, record_id, HistoryKind.RESTORED, None, comment
        )
        rollups = self.service.rollups
        if rollups.watches(entity):
            restored = self.service.current_values(connection, entity, row) | {"id": record_id}
            self.service.roll(connection, entity, [(None, restored)], WriteOptions())
        if rollups.holds(entity):  # what came while it was deleted counts again
            rollups.refresh_holders(connection, self.service, entity, [record_id], WriteOptions())
