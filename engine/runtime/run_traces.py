"""Automation run traces (`fw_automation_runs`): one row per run — the trigger as it fired,
each condition's value, each action's result, the error and where in the YAML it happened.

A run claims its row first (`INSERT … ON CONFLICT DO NOTHING` on its dedupe key: a timer
or a change that already fired finds the key taken and stops) and completes it at the end,
in the same transaction. A synchronous run that fails rolls back with the change that
triggered it; its trace is then written again in a transaction of its own (`insert`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from engine.automation import RecordRef
from engine.runtime.record_store import inserted_id
from engine.storage.system_tables import SystemTables

__all__ = ["RunRow", "RunTraceStore", "json_ready"]


def json_ready(value: Any) -> Any:
    """A value as a trace stores it: numbers as text (exact), dates ISO, records by id."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, RecordRef):
        return {"entity": value.entity, "id": value.id}
    if isinstance(value, Mapping):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_ready(item) for item in value]
    return str(value)


@dataclass(frozen=True)
class RunRow:
    """One stored run."""

    id: int
    automation: str
    trigger_index: int | None
    trigger_type: str
    entity: str | None
    record_id: int | None
    status: str
    event: Mapping[str, Any]
    conditions: Sequence[Mapping[str, Any]]
    actions: Sequence[Mapping[str, Any]]
    error: str | None
    error_at: str | None
    depth: int
    actor: str | None
    started_at: datetime
    finished_at: datetime | None
    replay_of: int | None


class RunTraceStore:
    """Reads and writes the run traces of one app."""

    def __init__(self, system: SystemTables, app: str) -> None:
        self.table = system.automation_runs
        self.app = app

    def claim(self, connection: Connection, row: Mapping[str, Any]) -> int | None:
        """Insert a run in status `running`; None when its dedupe key is taken (it ran)."""
        values = {"app": self.app, "status": "running", "conditions": [], "actions": []}
        values |= dict(row)
        if values.get("dedupe_key") is None:
            return inserted_id(connection.execute(self.table.insert().values(**values)))
        insert = sqlite_insert if connection.dialect.name == "sqlite" else postgresql_insert
        statement = (
            insert(self.table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(self.table.c.id)
        )
        found = connection.execute(statement).scalar()
        return int(found) if found is not None else None

    def finish(self, connection: Connection, run_id: int, **values: Any) -> None:
        """Complete a run: status, conditions, actions, error, finished_at."""
        connection.execute(self.table.update().where(self.table.c.id == run_id).values(**values))

    def insert(self, connection: Connection, row: Mapping[str, Any]) -> int:
        """Store a complete run (a failed synchronous run, after its rollback)."""
        values = {"app": self.app} | dict(row)
        values.pop("id", None)
        # The failed run's key stays free: the change it belonged to never happened.
        values["dedupe_key"] = None
        return inserted_id(connection.execute(self.table.insert().values(**values)))

    def list(
        self,
        connection: Connection,
        *,
        status: str | None = None,
        automation: str | None = None,
        entity: str | None = None,
        record_id: int | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[RunRow]:
        """Runs, newest first, optionally filtered."""
        c = self.table.c
        query = sa.select(self.table).where(c.app == self.app)
        if status is not None:
            query = query.where(c.status == status)
        if automation is not None:
            query = query.where(c.automation == automation)
        if entity is not None:
            query = query.where(c.entity == entity)
        if record_id is not None:
            query = query.where(c.record_id == record_id)
        if before is not None:
            query = query.where(c.id < before)
        query = query.order_by(c.id.desc()).limit(limit)
        return [_run(row._mapping) for row in connection.execute(query)]

    def get(self, connection: Connection, run_id: int) -> RunRow | None:
        """One run, or None."""
        c = self.table.c
        query = sa.select(self.table).where(c.app == self.app, c.id == run_id)
        row = connection.execute(query).first()
        return _run(row._mapping) if row is not None else None

    def counts(self, connection: Connection) -> dict[str, int]:
        """How many runs of each status."""
        c = self.table.c
        query = sa.select(c.status, sa.func.count()).where(c.app == self.app).group_by(c.status)
        return {str(status): int(count) for status, count in connection.execute(query)}


def _run(row: Mapping[Any, Any]) -> RunRow:
    return RunRow(
        id=int(row["id"]),
        automation=str(row["automation"]),
        trigger_index=row["trigger_index"],
        trigger_type=str(row["trigger_type"]),
        entity=row["entity"],
        record_id=row["record_id"],
        status=str(row["status"]),
        event=row["event"] or {},
        conditions=row["conditions"] or [],
        actions=row["actions"] or [],
        error=row["error"],
        error_at=row["error_at"],
        depth=int(row["depth"] or 0),
        actor=row["actor"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        replay_of=row["replay_of"],
    )
