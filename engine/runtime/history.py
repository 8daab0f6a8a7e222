"""The change history of records (`fw_history`): one row per change — created, updated,
deleted, restored, workflow transitions and approval actions — with who, when, a comment,
`changes`, a JSON object `{field: [old, new]}` in the API's JSON forms, and for workflow
entries `details` (the action, the step, who a task went to).

What a reader sees is filtered by their field access: a field they may not read is left
out of every entry.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.runtime.inputs import same_value
from engine.runtime.values import to_json
from engine.spec.model import EntitySpec
from engine.storage.system_tables import SystemTables

__all__ = ["HistoryEntry", "HistoryKind", "diff_values", "read_history", "write_history"]


class HistoryKind:
    """The kinds of change the record service writes."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    RESTORED = "restored"
    TRANSITION = "transition"
    APPROVAL = "approval"
    STATE_MIGRATED = "state_migrated"


@dataclass(frozen=True)
class HistoryEntry:
    """One change of one record."""

    id: int
    kind: str
    at: datetime
    by: str | None
    changes: Mapping[str, list[Any]]
    comment: str | None
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def diff_values(
    entity: EntitySpec, before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, list[Any]]:
    """`{field: [old, new]}` (JSON forms) for every field whose value differs."""
    changes: dict[str, list[Any]] = {}
    for name, field in entity.fields.items():
        old, new = before.get(name), after.get(name)
        if not same_value(old, new):
            changes[name] = [to_json(field, old), to_json(field, new)]
    return changes


def write_history(
    connection: Connection,
    system: SystemTables,
    *,
    app: str,
    entity: str,
    record_id: int,
    at: datetime,
    by: str | None,
    kind: str,
    changes: Mapping[str, list[Any]] | None = None,
    comment: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Add one history row."""
    row = {"app": app, "entity": entity, "record_id": record_id, "at": at, "by": by}
    row |= {"kind": kind, "changes": dict(changes or {}), "comment": comment}
    row["details"] = dict(details) if details else None
    connection.execute(_insert_into(system.history), row)


@functools.lru_cache(maxsize=16)
def _insert_into(table: sa.Table) -> sa.Insert:
    """The plain INSERT of `table`, built once per table: SQLAlchemy caches its compiled
    form by the statement's cache key, and reusing the same construct also spares building
    the construct and its key on every write. The statement holds no values (they travel as
    parameters), so reusing it can never carry one write's data into another."""
    return table.insert()


def read_history(
    connection: Connection,
    system: SystemTables,
    *,
    app: str,
    entity: str,
    record_id: int,
    readable: Callable[[str], bool],
) -> list[HistoryEntry]:
    """Every entry of the record, oldest first, without the fields `readable` refuses."""
    history = system.history
    query = (
        sa.select(history)
        .where(history.c.app == app, history.c.entity == entity, history.c.record_id == record_id)
        .order_by(history.c.at, history.c.id)
    )
    entries = []
    for row in connection.execute(query):
        changes = {name: list(pair) for name, pair in (row.changes or {}).items() if readable(name)}
        details = MappingProxyType(dict(row.details or {}))
        entries.append(
            HistoryEntry(int(row.id), str(row.kind), row.at, row.by, changes, row.comment, details)
        )
    return entries
