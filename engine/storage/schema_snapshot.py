"""The schema snapshot: what an app's tables looked like after its last migration, kept as
JSON in `fw_schema_state`.

The live database says which tables and columns exist; the snapshot says what they meant
(a BIGINT column holding money in fen versus whole numbers, a link to which entity) and
which tables belong to the app, so a migration can tell a dropped field from a column it
knows nothing about and a type change from a harmless rename of the field type.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.storage.expected_schema import ExpectedTable
from engine.storage.shapes import Shape

__all__ = ["SNAPSHOT_FORMAT", "Snapshot", "load_snapshot", "snapshot_of", "store_snapshot"]

SNAPSHOT_FORMAT = 1


@dataclass(frozen=True)
class Snapshot:
    """A stored snapshot: `tables` maps a table name to its owner and column shapes."""

    data: Mapping[str, Any]

    @property
    def tables(self) -> Mapping[str, Any]:
        """Table name → {"entity", "field", "kind", "columns": {column → {...}}}."""
        tables = self.data.get("tables", {})
        return tables if isinstance(tables, dict) else {}

    def column_shape(self, table: str, column: str) -> Shape | None:
        """The shape `column` of `table` had, when the snapshot knows it."""
        entry = self.tables.get(table, {}).get("columns", {}).get(column)
        if not isinstance(entry, dict) or not isinstance(entry.get("shape"), str):
            return None
        return Shape.parse(entry["shape"])

    def describe_table(self, table: str) -> str | None:
        """What `table` stored, in words ("entity 'quote'"), when the snapshot knows it."""
        entry = self.tables.get(table)
        if not isinstance(entry, dict):
            return None
        entity, field, kind = entry.get("entity"), entry.get("field"), entry.get("kind")
        if field is None:
            return f"entity '{entity}'"
        return f"{kind} field '{field}' of '{entity}'"

    def field_of(self, table: str, column: str) -> str | None:
        """The field whose column `column` of `table` was."""
        entry = self.tables.get(table, {}).get("columns", {}).get(column)
        return entry.get("field") if isinstance(entry, dict) else None


def snapshot_of(app: str, expected: Iterable[ExpectedTable]) -> dict[str, Any]:
    """The snapshot of the tables the spec wants (what is recorded after migrating)."""
    tables: dict[str, Any] = {}
    for table in expected:
        tables[table.name] = {
            "entity": table.entity,
            "field": table.field,
            "kind": table.kind,
            "columns": {
                name: {
                    "field": column.name,
                    "type": column.storage.field_type,
                    "shape": str(column.storage.shape),
                }
                for name, column in table.columns.items()
            },
        }
    return {"format": SNAPSHOT_FORMAT, "app": app, "tables": tables}


def load_snapshot(connection: Connection, state: sa.Table, app: str) -> Snapshot | None:
    """The app's stored snapshot (None before its first migration)."""
    if not sa.inspect(connection).has_table(state.name):
        return None
    text = connection.execute(
        sa.select(state.c.snapshot).where(state.c.app == app)
    ).scalar_one_or_none()
    if text is None:
        return None
    data = json.loads(text)
    return Snapshot(data if isinstance(data, dict) else {})


def store_snapshot(
    connection: Connection, state: sa.Table, app: str, data: Mapping[str, Any], at: datetime
) -> None:
    """Record `data` as the app's snapshot."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    connection.execute(sa.delete(state).where(state.c.app == app))
    connection.execute(sa.insert(state).values(app=app, snapshot=text, applied_at=at))
