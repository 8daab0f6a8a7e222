"""`RecordService`: the only path that changes entity data.

Each mutating call is one transaction: permission check, defaults, parsing, validation,
formulas, references, uniqueness, sequence numbers, the write — guarded by the record's
version (`UPDATE … WHERE version = :expected`; no row → `Conflict`, nothing written) —
child rows, attachments and a history row. Either all of it commits or none of it does.
The `*_in` variants run inside a caller's transaction (the workflow and rules engines use
them to add their own steps to the same transaction).

A user never learns of records outside their read scope: reading, changing or deleting
one is `NotFound`, exactly as for an id that does not exist. A record they can read but
not change is `Forbidden`. Fields they may not read are never returned.
"""

from __future__ import annotations

import builtins
import copy
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from engine.automation import ChangeEvent, EventKind
from engine.errors import AutomationFailed, Conflict, Forbidden, NotFound, ValidationFailed
from engine.runtime.actor import Actor
from engine.runtime.app_runtime import AppRuntime
from engine.runtime.compiled_entity import CompiledEntity
from engine.runtime.deletion import Deletion
from engine.runtime.formulas import compute_formulas
from engine.runtime.history import (
    HistoryEntry,
    HistoryKind,
    diff_values,
    read_history,
    write_history,
)
from engine.runtime.inputs import same_value
from engine.runtime.listing_query import ListQuery
from engine.runtime.messages import Message, render
from engine.runtime.preparation import WriteOptions, prepare_values
from engine.runtime.problems import Problems
from engine.runtime.record import Page, Record
from engine.runtime.record_env import RecordEnv, RelationLoader
from engine.runtime.record_store import STAMP_COLUMNS
from engine.runtime.rollups import Rollups
from engine.runtime.sequences import next_sequence
from engine.runtime.uniqueness import unique_key_of
from engine.storage.database import Database
from engine.storage.shapes import ShapeKind

__all__ = ["ChangeListener", "RecordService", "RowFailed", "WriteOptions"]

DEFAULT_OPTIONS = WriteOptions()
_MAX_KEPT = 1024
"""Per-actor results kept in the store's `kept_statements` before it is emptied."""


class RowFailed(ValidationFailed):
    """A row of `RecordService.create_many_in` was refused: `index` is its position."""

    def __init__(self, index: int, fields: Mapping[str, Sequence[str]]) -> None:
        super().__init__(fields)
        self.index = index


class ChangeListener(Protocol):
    """Who hears of every change inside its transaction: the automation service."""

    def watches(self, kind: EventKind, entity: str) -> bool:
        """True when some trigger watches this kind of change of `entity`."""
        ...

    def handle(
        self, connection: Connection, actor: Actor, events: Sequence[ChangeEvent], cause: Any
    ) -> None:
        """Run what the changes trigger, in the caller's transaction."""
        ...

    def record_failure(self, error: AutomationFailed) -> None:
        """Store the trace of a run that failed (after its transaction rolled back)."""
        ...


class RecordService:
    """Create, read, update, delete, restore and list the records of one app."""

    def __init__(self, db: Database, runtime: AppRuntime) -> None:
        self.db = db
        self.runtime = runtime
        self.deletion = Deletion(self)
        self.lists = ListQuery(runtime)
        # Set by the Engine once the automation service exists.
        self.listener: ChangeListener | None = None
        self.rollups = Rollups(runtime)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction whose failed automation run leaves its trace (written in a
        transaction of its own after the rollback)."""
        try:
            with self.db.begin() as connection:
                yield connection
        except AutomationFailed as error:
            if self.listener is not None:
                self.listener.record_failure(error)
            raise

    def watched(self, kind: EventKind, entity: str, options: WriteOptions) -> bool:
        """True when a change of this kind fires some rule (and the write lets it)."""
        listener = self.listener
        return listener is not None and options.automations and listener.watches(kind, entity)

    def emit(
        self,
        connection: Connection,
        actor: Actor,
        events: Sequence[ChangeEvent],
        options: WriteOptions,
    ) -> None:
        """Hand changes to the automations: now, or into the caller's batch."""
        if not events or self.listener is None or not options.automations:
            return
        if options.batch is not None:
            options.batch.extend(events)
            return
        self.listener.handle(connection, actor, events, options.cause)

    # -- public API: one transaction each ---------------------------------------------------

    def create(
        self, actor: Actor, entity: str, values: Mapping[str, Any], *, comment: str | None = None
    ) -> Record:
        """Create a record; ValidationFailed lists every problem, Forbidden when the actor
        may not create `entity`."""
        with self.transaction() as connection:
            options = WriteOptions(comment=comment)
            return self.create_in(connection, actor, entity, values, options=options)

    def update(
        self,
        actor: Actor,
        entity: str,
        record_id: int,
        values: Mapping[str, Any],
        *,
        version: int | None,
        comment: str | None = None,
    ) -> Record:
        """Change a record that is at `version` (Conflict, with the current version, when it
        is not; None skips the check); unchanged values write nothing."""
        with self.transaction() as connection:
            options = WriteOptions(comment=comment)
            return self.update_in(
                connection, actor, entity, record_id, values, version=version, options=options
            )

    def delete(
        self,
        actor: Actor,
        entity: str,
        record_id: int,
        *,
        version: int | None = None,
        comment: str | None = None,
    ) -> None:
        """Soft-delete a record (restorable), applying its inbound links' `on_delete`."""
        with self.transaction() as connection:
            self.deletion.delete_in(connection, actor, entity, record_id, version, comment)

    def restore(
        self, actor: Actor, entity: str, record_id: int, *, comment: str | None = None
    ) -> Record:
        """Bring a deleted record back (needs delete rights on it)."""
        with self.transaction() as connection:
            self.deletion.restore_in(connection, actor, entity, record_id, comment)
            return self.read_in(connection, actor, entity, record_id)

    def recompute_rollups(self, entity: str | None = None) -> int:
        """Recompute every roll-up field (of `entity`, or of all) from the database, in one
        transaction; how many records changed (after a new or changed roll-up definition,
        or data written around the service)."""
        if entity is not None:
            self.runtime.entity(entity)
        with self.transaction() as connection:
            return self.rollups.recompute(connection, self, entity)

    def get(self, actor: Actor, entity: str, record_id: int) -> Record:
        """A live record the actor may read (NotFound otherwise)."""
        with self.db.begin(readonly=True) as connection:
            self.require_row(connection, actor, entity, record_id, "read")
            return self.read_in(connection, actor, entity, record_id)

    def list(
        self,
        actor: Actor,
        entity: str,
        *,
        filter: str | None = None,
        sort: Sequence[str] = (),
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page:
        """A page of the live records the actor may read, filtered (an expression), sorted
        (`-field` descending), after `cursor`."""
        compiled = self.runtime.entity(entity)
        if not self.runtime.permissions.can(actor, entity, "read"):
            raise Forbidden(f"you may not see the records of '{entity}'")
        with self.db.begin(readonly=True) as connection:
            rows, next_cursor = self.lists.page(
                connection, actor, compiled, filter=filter, sort=sort, limit=limit, cursor=cursor
            )
            records = self.records_of(connection, actor, entity, rows)
        return Page(tuple(records), next_cursor)

    def history(self, actor: Actor, entity: str, record_id: int) -> builtins.list[HistoryEntry]:
        """Every change of a record the actor may read (deleted ones too), oldest first."""
        self.runtime.entity(entity)
        permissions = self.runtime.permissions
        with self.db.begin(readonly=True) as connection:
            self.require_row(connection, actor, entity, record_id, "read", deleted=None)
            return read_history(
                connection,
                self.runtime.tables.system,
                app=self.runtime.app.id,
                entity=entity,
                record_id=record_id,
                readable=lambda name: permissions.field_access(actor, entity, name) != "none",
            )

    # -- inside a caller's transaction ------------------------------------------------------

    def create_in(
        self,
        connection: Connection,
        actor: Actor,
        entity: str,
        values: Mapping[str, Any],
        *,
        options: WriteOptions = DEFAULT_OPTIONS,
    ) -> Record:
        """`create` inside the caller's transaction."""
        compiled = self._creatable(actor, entity, options)
        new, stamps = self._prepare_new(connection, actor, compiled, values, options, None)
        store = self.runtime.store
        try:
            # The row comes back as stored (RETURNING): no read-back SELECT.
            row = store.insert_returning(connection, entity, new, stamps)
            store.write_children(connection, entity, int(row["id"]), new)
        except IntegrityError as error:
            raise self._integrity(error, compiled, actor) from error
        at = stamps["created_at"]
        self._after_insert(connection, actor, compiled, int(row["id"]), new, options, at)
        self.roll(connection, entity, [(None, dict(new) | {"id": int(row["id"])})], options)
        if self.rollups.holds(entity):  # its own roll-ups: what is already there counts
            ids = [int(row["id"])]
            self.rollups.refresh_holders(connection, self, entity, ids, options, created=True)
        if self.watched(EventKind.CREATED, entity, options):
            event = _created(entity, actor, int(row["id"]), new, stamps)
            self.emit(connection, actor, [event], options)
            if options.batch is None:  # rules ran and may have changed it
                return self.read_in(connection, actor, entity, int(row["id"]))
        return self.records_of(connection, actor, entity, [row])[0]

    def create_many_in(
        self,
        connection: Connection,
        actor: Actor,
        entity: str,
        rows: Sequence[Mapping[str, Any]],
        options: WriteOptions = DEFAULT_OPTIONS,
        *,
        moments: Sequence[datetime] | None = None,
    ) -> builtins.list[Record]:
        """Create several records of `entity` inside the caller's transaction, with every
        guarantee of `create_in` (permission, defaults, formulas, validation, references,
        uniqueness — also among the rows themselves —, sequence numbers, children, history)
        but one multi-row INSERT. The rows are prepared before any is written, so a row
        cannot link to another of the same call. `RowFailed` (a ValidationFailed naming the
        row) on the first refused row; the caller's transaction should then roll back.
        `moments` (trusted writes only, one per row) back-date each record: its stamps,
        history and what `now()` gives its expressions (the seeder's believable past)."""
        compiled = self._creatable(actor, entity, options)
        if moments is not None and (not options.trusted or len(moments) != len(rows)):
            raise ValueError("moments need a trusted write and exactly one moment per row")
        prepared: builtins.list[tuple[dict[str, Any], dict[str, Any]]] = []
        seen: dict[tuple[str, ...], set[tuple[Any, ...]]] = {}
        for index, values in enumerate(rows):
            moment = moments[index] if moments is not None else None
            try:
                new, stamps = self._prepare_new(
                    connection, actor, compiled, values, options, moment
                )
                self._unique_among(actor, compiled, new, seen)
            except ValidationFailed as error:
                raise RowFailed(index, error.fields) from error
            prepared.append((new, stamps))
        store = self.runtime.store
        try:
            stored = store.insert_many_returning(connection, entity, prepared)
            for row, (new, _) in zip(stored, prepared, strict=True):
                store.write_children(connection, entity, int(row["id"]), new)
        except IntegrityError as error:
            raise self._integrity(error, compiled, actor) from error
        for row, (new, stamps) in zip(stored, prepared, strict=True):
            record_id = int(row["id"])
            self._after_insert(
                connection, actor, compiled, record_id, new, options, stamps["created_at"]
            )
        made = [
            (None, dict(new) | {"id": int(row["id"])})
            for row, (new, _) in zip(stored, prepared, strict=True)
        ]
        self.roll(connection, entity, made, options)
        if self.rollups.holds(entity):
            ids = [int(row["id"]) for row in stored]
            self.rollups.refresh_holders(connection, self, entity, ids, options, created=True)
        if self.watched(EventKind.CREATED, entity, options):
            # Imports fire rules too: the whole batch's events in one call.
            events = [
                replace(_created(entity, actor, int(row["id"]), new, stamps), bulk=True)
                for row, (new, stamps) in zip(stored, prepared, strict=True)
            ]
            self.emit(connection, actor, events, options)
        return self.records_of(connection, actor, entity, stored)

    def _creatable(self, actor: Actor, entity: str, options: WriteOptions) -> CompiledEntity:
        compiled = self.runtime.entity(entity)
        if not options.trusted and not self.runtime.permissions.can_create(actor, entity):
            raise Forbidden(f"you may not create records of '{entity}'")
        return compiled

    def _prepare_new(
        self,
        connection: Connection,
        actor: Actor,
        compiled: CompiledEntity,
        values: Mapping[str, Any],
        options: WriteOptions,
        moment: datetime | None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new record's complete values (sequence numbers taken) and its stamps."""
        prepared = prepare_values(
            self.runtime, connection, actor, compiled.name, values,
            current=None, record_id=None, options=options, now=moment,
        )  # fmt: skip
        new = prepared.values
        now = moment if moment is not None else self.runtime.clock.now()
        self._number(connection, compiled, new, now)
        stamps = {"created_at": now, "created_by": actor.username, "version": 1}
        stamps |= {"updated_at": now, "updated_by": actor.username}
        return new, stamps

    def _unique_among(
        self,
        actor: Actor,
        compiled: CompiledEntity,
        new: Mapping[str, Any],
        seen: dict[tuple[str, ...], set[tuple[Any, ...]]],
    ) -> None:
        """ValidationFailed when `new` repeats a unique key of a row earlier in the batch
        (the database check before the write cannot see those)."""
        for key in compiled.unique_keys:
            parts = tuple(new.get(name) for name in key)
            if any(part is None for part in parts):
                continue
            taken = seen.setdefault(key, set())
            if parts in taken:
                message = Message("unique", {"entity": compiled.spec.label})
                text = render(message, self.runtime.locale_of(actor.locale))
                raise ValidationFailed({key[0]: [text]})
            taken.add(parts)

    def _after_insert(
        self,
        connection: Connection,
        actor: Actor,
        compiled: CompiledEntity,
        record_id: int,
        new: Mapping[str, Any],
        options: WriteOptions,
        at: datetime,
    ) -> None:
        """Attachments and the `created` history row of a record just inserted (with the
        write's details: the automation that made it)."""
        self._attach(connection, compiled, record_id, new, frozenset(new))
        write_history(
            connection,
            self.runtime.tables.system,
            app=self.runtime.app.id,
            entity=compiled.name,
            record_id=record_id,
            at=at,
            by=actor.username,
            kind=HistoryKind.CREATED,
            changes=diff_values(compiled.spec, {}, new),
            comment=options.comment,
            details=options.details,
        )

    def update_in(
        self,
        connection: Connection,
        actor: Actor,
        entity: str,
        record_id: int,
        values: Mapping[str, Any],
        *,
        version: int | None,
        options: WriteOptions = DEFAULT_OPTIONS,
        loaded: tuple[RowMapping, Mapping[str, Any]] | None = None,
    ) -> Record:
        """`update` inside the caller's transaction. `loaded` — the row and its current
        values as the caller read them in this transaction (trusted callers only, e.g. the
        workflow, which already checked access) — saves reading them again."""
        compiled = self.runtime.entity(entity)
        if loaded is not None and options.trusted:
            row, current = loaded[0], dict(loaded[1])
        else:
            row = self.require_row(connection, actor, entity, record_id, "read")
            if not options.trusted:
                self.require_action(connection, actor, entity, record_id, "update")
            current = self.current_values(connection, entity, row)
        current_version = int(row["version"])
        if version is not None and version != current_version:
            raise Conflict(current_version)
        prepared = prepare_values(
            self.runtime, connection, actor, entity, values,
            current=current, record_id=record_id, options=options,
        )  # fmt: skip
        if prepared.changed:
            self._write_update(connection, actor, compiled, record_id, current, prepared.values,
                               prepared.changed, current_version, options)  # fmt: skip
        elif options.history_kind is not None:
            self.touch_in(connection, actor, entity, record_id, current_version, options)
        return self.read_in(connection, actor, entity, record_id)

    def touch_in(
        self,
        connection: Connection,
        actor: Actor,
        entity: str,
        record_id: int,
        expected_version: int,
        options: WriteOptions,
    ) -> None:
        """Bump the record's version and write a history entry without changing a field
        (workflow actions that change no value: an approval that does not yet complete its
        step, a transfer, an added approver). Conflict when the record moved on."""
        stamps = {"updated_at": self.runtime.clock.now(), "updated_by": actor.username}
        written = self.runtime.store.update(
            connection, entity, record_id, {}, stamps, expected_version=expected_version
        )
        if not written:
            raise Conflict(self.version_of(connection, entity, record_id))
        self.write_history(
            connection, actor, entity, record_id, options.history_kind or HistoryKind.UPDATED,
            {}, options.comment, options.details,
        )  # fmt: skip

    def _write_update(
        self,
        connection: Connection,
        actor: Actor,
        compiled: CompiledEntity,
        record_id: int,
        current: Mapping[str, Any],
        new: Mapping[str, Any],
        changed: frozenset[str],
        expected_version: int,
        options: WriteOptions,
    ) -> None:
        entity = compiled.name
        stamps = {"updated_at": self.runtime.clock.now(), "updated_by": actor.username}
        store = self.runtime.store
        columns = {name: new[name] for name in changed}
        try:
            written = store.update(
                connection, entity, record_id, columns, stamps, expected_version=expected_version
            )
            if written:
                store.write_children(connection, entity, record_id, columns)
        except IntegrityError as error:
            raise self._integrity(error, compiled, actor) from error
        if not written:
            raise Conflict(self.version_of(connection, entity, record_id))
        self._attach(connection, compiled, record_id, new, changed)
        self.write_history(
            connection, actor, entity, record_id, options.history_kind or HistoryKind.UPDATED,
            diff_values(compiled.spec, current, new), options.comment, options.details,
        )  # fmt: skip
        self.roll(connection, entity, [(current, dict(new) | {"id": record_id})], options)
        if self.rollups.holds(entity):  # a target moved to another period or person
            self.rollups.refresh_holders(connection, self, entity, [record_id], options, changed)
        self._emit_update(connection, actor, entity, record_id, current, new, changed,
                          expected_version + 1, stamps, options)  # fmt: skip

    def derive_in(
        self,
        connection: Connection,
        entity: str,
        updates: Mapping[int, Mapping[str, Any]],
        options: WriteOptions,
        *,
        created: bool = False,
    ) -> int:
        """Write derived values — roll-ups — of live records of `entity`: their formulas
        are recomputed, the changed columns written (version + 1; no stamps and no history
        entry: nobody edited the record, and the source record's history says what moved),
        then roll-ups fed by them and automations watching them follow. Records `created` in
        this very write keep version 1 and fire no update. How many records changed."""
        if not updates:
            return 0
        table = self.runtime.tables.entity(entity)
        query = sa.select(table).where(
            table.c.id.in_(sorted(updates)), table.c.deleted_at.is_(None)
        )
        rows = {int(row.id): row._mapping for row in connection.execute(query)}
        return self.derive_rows(connection, entity, rows, updates, options, created=created)

    def derive_rows(
        self,
        connection: Connection,
        entity: str,
        rows: Mapping[int, Mapping[Any, Any]],
        updates: Mapping[int, Mapping[str, Any]],
        options: WriteOptions,
        *,
        created: bool = False,
        formulas: Sequence[str] | None = None,
    ) -> int:
        """`derive_in` over the live rows (by id) the caller read — and on PostgreSQL
        locked — in this transaction: the roll-ups read them with their holders.
        `formulas`: the only formulas the updates can move (in the order they are
        computed; None: all of them)."""
        updates = {record_id: updates[record_id] for record_id in rows if record_id in updates}
        if not updates:
            return 0
        compiled = self.runtime.entity(entity)
        computed = compiled.fields
        if formulas is not None:
            computed = replace(computed, formula_order=tuple(formulas))
        store = self.runtime.store
        children = store.children_of(connection, entity, sorted(updates))
        context = self.runtime.contexts.for_actor(Actor.system())
        loader = RelationLoader(connection, store)
        fields = compiled.spec.fields
        writes: list[tuple[int, dict[str, Any]]] = []
        changes: list[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]] = []
        events: list[ChangeEvent] = []
        columns = self._column_names(entity)
        watched = not created and self.watched(EventKind.UPDATED, entity, options)
        for record_id in updates:
            row = rows[record_id]
            current = {name: row[name] for name in columns} | children[record_id]
            # rows of subforms are copied (formulas write into them); values are immutable
            new = current | {k: copy.deepcopy(v) for k, v in children[record_id].items()}
            new |= updates[record_id]
            env = RecordEnv(new, fields, context, loader, entity=entity)

            def rows_env(field: Any, values: Mapping[str, Any], parent: RecordEnv = env) -> Any:
                return RecordEnv(values, field.spec.subfields, context, loader, parent=parent)

            compute_formulas(computed, new, env, rows_env, Problems())
            # only the roll-ups given and the formulas can have moved
            candidates = (*updates[record_id], *computed.formula_order)
            changed = frozenset(
                name
                for name in candidates
                if compiled.tables.fields[name].has_column
                and not same_value(current.get(name), new.get(name))
            )
            if not changed:
                continue
            writes.append((record_id, {name: new[name] for name in changed}))
            version = int(row["version"]) + (0 if created else 1)
            after = new | {"version": version}  # `id` is among the columns
            changes.append((current, after))
            if watched:
                events.append(
                    ChangeEvent(
                        EventKind.UPDATED,
                        entity,
                        record_id,
                        version,
                        "system",
                        after,
                        old=current,
                        changed=changed,
                    )
                )
        store.derive(connection, entity, writes, bump=not created)
        moved = {name for _, values in writes for name in values}
        if self.rollups.reads_any(entity, moved):  # a roll-up fed by what moved follows
            self.roll(connection, entity, changes, options)
        if events:
            self.emit(connection, Actor.system(), events, options)
        return len(writes)

    def _column_names(self, entity: str) -> tuple[str, ...]:
        """The names `RecordStore.column_values` reads from a row, kept per entity (a
        roll-up's holders are read on every write of its sources)."""
        kept = self.runtime.store.kept_statements
        key = ("column_names", entity)
        found = kept.get(key)
        if found is None:
            tables = self.runtime.store.entity(entity)
            found = kept[key] = STAMP_COLUMNS + tuple(
                name for name, stored in tables.fields.items() if stored.has_column
            )
        return cast(tuple[str, ...], found)

    def roll(
        self,
        connection: Connection,
        entity: str,
        changes: Sequence[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]],
        options: WriteOptions,
    ) -> None:
        """Keep the roll-ups fed by these writes of `entity` current (engine/runtime/rollups)."""
        if self.rollups.watches(entity):
            self.rollups.refresh(connection, self, entity, changes, options)

    def _emit_update(
        self,
        connection: Connection,
        actor: Actor,
        entity: str,
        record_id: int,
        current: Mapping[str, Any],
        new: Mapping[str, Any],
        changed: frozenset[str],
        version: int,
        stamps: Mapping[str, Any],
        options: WriteOptions,
    ) -> None:
        """The `updated` event of a write, and `transitioned` when the workflow made it."""
        transition = options.history_kind == HistoryKind.TRANSITION and options.details
        if not self.watched(EventKind.UPDATED, entity, options) and not (
            transition and self.watched(EventKind.TRANSITIONED, entity, options)
        ):
            return
        after = dict(current) | dict(new) | dict(stamps) | {"id": record_id, "version": version}
        common: dict[str, Any] = {"entity": entity, "record_id": record_id, "version": version}
        common |= {"actor": actor.label, "new": after, "old": dict(current), "changed": changed}
        events = [ChangeEvent(EventKind.UPDATED, **common)]
        if transition and options.details is not None:
            details = options.details
            moved = replace(events[0], kind=EventKind.TRANSITIONED, action=details.get("action"))
            events.append(
                replace(moved, from_state=details.get("from"), to_state=details.get("to"))
            )
        self.emit(connection, actor, events, options)

    def read_in(self, connection: Connection, actor: Actor, entity: str, record_id: int) -> Record:
        """The record as the actor may see it (no permission check: the caller did it)."""
        row = self.runtime.store.select_row(connection, entity, record_id, deleted=None)
        if row is None:
            raise NotFound(f"there is no {entity} with id {record_id}")
        return self.records_of(connection, actor, entity, [row])[0]

    # -- helpers shared with deletion and listing -------------------------------------------

    def require_row(
        self,
        connection: Connection,
        actor: Actor,
        entity: str,
        record_id: int,
        action: str,
        *,
        deleted: bool | None = False,
    ) -> RowMapping:
        """The record's row when it exists and the actor may `action` it; NotFound when it
        is missing or outside the actor's read scope (it must not learn that it exists)."""
        self.runtime.entity(entity)
        where = self.runtime.permissions.row_filter(actor, entity, "read")
        row = self.runtime.store.select_row(
            connection, entity, record_id, where=where, deleted=deleted
        )
        if row is None:
            raise NotFound(f"there is no {entity} with id {record_id}")
        if action != "read":
            self.require_action(connection, actor, entity, record_id, action)
        return row

    def require_action(
        self, connection: Connection, actor: Actor, entity: str, record_id: int, action: str
    ) -> None:
        """Forbidden unless the (readable) record is in the actor's `action` scope."""
        table = self.runtime.tables.entity(entity)
        where = self.runtime.permissions.row_filter(actor, entity, action)
        query = sa.select(table.c.id).where(table.c.id == record_id, where)
        if connection.execute(query).first() is None:
            raise Forbidden(f"you may not {action} this {entity}")

    def current_values(
        self, connection: Connection, entity: str, row: RowMapping
    ) -> dict[str, Any]:
        """Every field's value as the service works with it (attachments as file ids)."""
        store = self.runtime.store
        values = store.column_values(entity, row)
        record_id = int(row["id"])
        children = store.children_of(connection, entity, [record_id])[record_id]
        for name, value in children.items():
            if store.entity(entity).fields[name].shape.kind is ShapeKind.FILES:
                value = [item["id"] for item in value]
            values[name] = value
        return values

    def records_of(
        self, connection: Connection, actor: Actor, entity: str, rows: Sequence[RowMapping]
    ) -> builtins.list[Record]:
        """Records for rows, with their child values, showing only readable fields."""
        store = self.runtime.store
        ids = [int(row["id"]) for row in rows]
        children = store.children_of(connection, entity, ids)
        visible = self._visible_fields(actor, entity)
        records: builtins.list[Record] = []
        for row in rows:
            record_id = int(row["id"])
            values = store.column_values(entity, row) | children[record_id]
            records.append(
                Record(
                    entity=entity,
                    id=record_id,
                    version=int(row["version"]),
                    values={name: values[name] for name in values if name in visible},
                    created_at=row["created_at"],
                    created_by=row["created_by"],
                    updated_at=row["updated_at"],
                    updated_by=row["updated_by"],
                    deleted_at=row["deleted_at"],
                )
            )
        return records

    def _visible_fields(self, actor: Actor, entity: str) -> frozenset[str]:
        """The fields of `entity` the actor may read; kept per (entity, actor), as field
        rights follow from the spec and the actor's roles alone."""
        kept = self.runtime.store.kept_statements
        key = ("visible_fields", entity, actor)
        found = kept.get(key)
        if found is None:
            permissions = self.runtime.permissions
            found = frozenset(
                name
                for name in self.runtime.store.entity(entity).fields
                if permissions.field_access(actor, entity, name) != "none"
            )
            if len(kept) >= _MAX_KEPT:
                kept.clear()
            kept[key] = found
        return cast(frozenset[str], found)

    def version_of(self, connection: Connection, entity: str, record_id: int) -> int:
        """The record's current version (0 when it is gone)."""
        table = self.runtime.tables.entity(entity)
        value = connection.scalar(sa.select(table.c.version).where(table.c.id == record_id))
        return int(value) if value is not None else 0

    def write_history(
        self,
        connection: Connection,
        actor: Actor,
        entity: str,
        record_id: int,
        kind: str,
        changes: Mapping[str, builtins.list[Any]] | None,
        comment: str | None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Add a history row for the record, stamped with the actor and the clock."""
        write_history(
            connection,
            self.runtime.tables.system,
            app=self.runtime.app.id,
            entity=entity,
            record_id=record_id,
            at=self.runtime.clock.now(),
            by=actor.username,
            kind=kind,
            changes=changes,
            comment=comment,
            details=details,
        )

    # -- private ----------------------------------------------------------------------------

    def _number(
        self, connection: Connection, compiled: CompiledEntity, values: dict[str, Any], now: Any
    ) -> None:
        day = now.astimezone(self.runtime.contexts.timezone).date()
        sequences = self.runtime.tables.system.sequences
        for name, field in compiled.spec.fields.items():
            if field.type == "sequence":
                values[name] = next_sequence(
                    connection, sequences, self.runtime.app.id, compiled.name, field, day
                )

    def _attach(
        self,
        connection: Connection,
        compiled: CompiledEntity,
        record_id: int,
        values: Mapping[str, Any],
        changed: frozenset[str],
    ) -> None:
        for name, stored in compiled.tables.fields.items():
            if stored.shape.kind is ShapeKind.FILES and name in changed:
                self.runtime.store.attach_files(
                    connection, compiled.name, record_id, name, values.get(name) or []
                )

    def _integrity(
        self, error: IntegrityError, compiled: CompiledEntity, actor: Actor
    ) -> Exception:
        key = unique_key_of(error, compiled)
        if key is None:
            return error
        message = Message("unique", {"entity": compiled.spec.label})
        return ValidationFailed({key[0]: [render(message, self.runtime.locale_of(actor.locale))]})


def _created(
    entity: str, actor: Actor, record_id: int, new: Mapping[str, Any], stamps: Mapping[str, Any]
) -> ChangeEvent:
    values = dict(new) | dict(stamps) | {"id": record_id}
    return ChangeEvent(
        EventKind.CREATED, entity, record_id, int(stamps["version"]), actor.label, values,
        changed=frozenset(new),
    )  # fmt: skip
