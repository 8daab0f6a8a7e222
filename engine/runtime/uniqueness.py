"""Uniqueness among live records: `unique: true` fields and unique `indexes:`.

The service checks first (a clear message on the field), and the database enforces it
(a partial unique index over live rows) against a concurrent writer that slipped past the
check; `unique_key_of` recognises such a violation so it becomes the same field message.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from engine.runtime.compiled_entity import CompiledEntity
from engine.runtime.messages import Message
from engine.runtime.problems import Problems
from engine.runtime.record_store import RecordStore
from engine.storage.naming import index_name

__all__ = ["check_unique", "unique_key_of"]


def check_unique(
    connection: Connection,
    store: RecordStore,
    compiled: CompiledEntity,
    values: Mapping[str, Any],
    changed: Collection[str],
    record_id: int | None,
    problems: Problems,
) -> None:
    """A problem on the first field of every unique key whose values another live record
    already has (keys with an empty part are not checked, as in the database)."""
    for key in compiled.unique_keys:
        if not set(key) & set(changed):
            continue
        params = {f"key_{i}": values.get(name) for i, name in enumerate(key)}
        if any(part is None for part in params.values()):
            continue
        excluding = record_id is not None
        query = store.unique_query(compiled.name, key, excluding=excluding)
        if excluding:
            params["self_id"] = record_id
        if connection.execute(query, params).first() is not None:
            problems.add(key[0], Message("unique", {"entity": compiled.spec.label}))


def unique_key_of(error: IntegrityError, compiled: CompiledEntity) -> tuple[str, ...] | None:
    """The unique key a database error is about, when it is one of the entity's."""
    text = str(error.orig) if error.orig is not None else str(error)
    table = compiled.tables.table.name
    for key in compiled.unique_keys:
        named = index_name(table, list(key), unique=True)
        columns = ", ".join(f"{table}.{name}" for name in key)
        if named in text or f"UNIQUE constraint failed: {columns}" in text:
            return key
    return None
