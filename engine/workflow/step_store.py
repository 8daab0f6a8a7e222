"""The workflow's rows: approval steps and their tasks, notifications and read grants
(`fw_approval_steps`, `fw_approval_tasks`, `fw_notifications`, `fw_record_grants`).

Plain SQL on the caller's connection: every write happens inside the transaction of the
record-service operation that caused it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from engine.storage.system_tables import SystemTables
from engine.workflow.approval import OPEN_TASK_STATUSES, TaskView

__all__ = ["Notification", "StepRow", "StepStore", "TaskRow"]


@dataclass(frozen=True)
class StepRow:
    """One visit of a record to an approval state."""

    id: int
    entity: str
    record_id: int
    run: int
    state: str
    from_state: str | None
    submitter: str | None
    entered_at: datetime
    due_at: datetime | None
    overdue_done_at: datetime | None
    status: str
    closed_at: datetime | None


@dataclass(frozen=True)
class TaskRow(TaskView):
    """One approver's task in a step."""

    step_id: int
    added_by: str | None
    created_at: datetime
    acted_at: datetime | None
    comment: str | None


@dataclass(frozen=True)
class Notification:
    """An inbox item: copied on a record (cc), a reminder, an outcome."""

    id: int
    entity: str | None
    record_id: int | None
    kind: str
    state: str | None
    by: str | None
    comment: str | None
    created_at: datetime
    read_at: datetime | None
    title: str | None = None  # an automation's message (kind `automation`)
    body: str | None = None


def _new_id(result: sa.CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every table here has an integer key
        raise RuntimeError("the insert returned no primary key")
    return int(key[0])


class StepStore:
    """Reads and writes the workflow rows of one app."""

    def __init__(self, system: SystemTables, app: str) -> None:
        self.app = app
        self.steps = system.approval_steps
        self.tasks = system.approval_tasks
        self.notifications = system.notifications
        self.grants = system.record_grants

    # -- steps ------------------------------------------------------------------------------

    def _step(self, row: sa.Row[tuple[object, ...]]) -> StepRow:
        m = row._mapping
        return StepRow(
            int(m["id"]), str(m["entity"]), int(m["record_id"]), int(m["run"]), str(m["state"]),
            m["from_state"], m["submitter"], m["entered_at"], m["due_at"],
            m["overdue_done_at"], str(m["status"]), m["closed_at"],
        )  # fmt: skip

    def _of_record(self, entity: str, record_id: int) -> sa.ColumnElement[bool]:
        c = self.steps.c
        return sa.and_(c.app == self.app, c.entity == entity, c.record_id == record_id)

    def open_step(self, connection: Connection, entity: str, record_id: int) -> StepRow | None:
        """The record's open step (the approval it waits for now), if any."""
        query = (
            sa.select(self.steps)
            .where(self._of_record(entity, record_id), self.steps.c.status == "open")
            .order_by(self.steps.c.id.desc())
            .limit(1)
        )
        row = connection.execute(query).first()
        return self._step(row) if row is not None else None

    def open_steps(
        self, connection: Connection, entity: str, record_ids: Iterable[int]
    ) -> dict[int, StepRow]:
        """The open step of each of several records (those that have one)."""
        ids = list(record_ids)
        if not ids:
            return {}
        c = self.steps.c
        query = (
            sa.select(self.steps)
            .where(c.app == self.app, c.entity == entity, c.record_id.in_(ids))
            .where(c.status == "open")
            .order_by(c.id)
        )
        return {step.record_id: step for step in map(self._step, connection.execute(query))}

    def steps_of(self, connection: Connection, entity: str, record_id: int) -> list[StepRow]:
        """Every step of the record, oldest first."""
        query = sa.select(self.steps).where(self._of_record(entity, record_id))
        return [self._step(r) for r in connection.execute(query.order_by(self.steps.c.id))]

    def get_step(self, connection: Connection, step_id: int) -> StepRow:
        """One step by id."""
        row = connection.execute(sa.select(self.steps).where(self.steps.c.id == step_id)).one()
        return self._step(row)

    def last_run(self, connection: Connection, entity: str, record_id: int) -> int:
        """The record's latest run number (0 before its first submission)."""
        query = sa.select(sa.func.max(self.steps.c.run)).where(self._of_record(entity, record_id))
        return int(connection.scalar(query) or 0)

    def create_step(
        self,
        connection: Connection,
        *,
        entity: str,
        record_id: int,
        run: int,
        state: str,
        from_state: str | None,
        submitter: str | None,
        entered_at: datetime,
        due_at: datetime | None,
        status: str = "open",
    ) -> int:
        """Add a step; its id."""
        values = {"app": self.app, "entity": entity, "record_id": record_id, "run": run}
        values |= {"state": state, "from_state": from_state, "submitter": submitter}
        values |= {"entered_at": entered_at, "due_at": due_at, "status": status}
        if status != "open":
            values["closed_at"] = entered_at
        result = connection.execute(self.steps.insert().values(**values))
        return _new_id(result)

    def close_step(self, connection: Connection, step_id: int, status: str, at: datetime) -> None:
        """End a step; tasks still open are cancelled."""
        connection.execute(
            self.steps.update()
            .where(self.steps.c.id == step_id, self.steps.c.status == "open")
            .values(status=status, closed_at=at)
        )
        connection.execute(
            self.tasks.update()
            .where(self.tasks.c.step_id == step_id, self.tasks.c.status.in_(OPEN_TASK_STATUSES))
            .values(status="cancelled", acted_at=at)
        )

    def set_overdue_done(self, connection: Connection, step_id: int, at: datetime) -> None:
        """Remember that the step's overdue action ran."""
        connection.execute(
            self.steps.update().where(self.steps.c.id == step_id).values(overdue_done_at=at)
        )

    def overdue(self, connection: Connection, now: datetime) -> list[StepRow]:
        """Open steps past their due time whose overdue action has not run."""
        c = self.steps.c
        query = (
            sa.select(self.steps)
            .where(
                c.app == self.app,
                c.status == "open",
                c.due_at.is_not(None),
                c.due_at <= now,
                c.overdue_done_at.is_(None),
            )
            .order_by(c.due_at, c.id)
        )
        return [self._step(row) for row in connection.execute(query)]

    def approved_in_run(
        self, connection: Connection, entity: str, record_id: int, run: int
    ) -> frozenset[str]:
        """Users who approved a step of the record in `run`."""
        query = (
            sa.select(self.tasks.c.assignee)
            .join(self.steps, self.steps.c.id == self.tasks.c.step_id)
            .where(
                self._of_record(entity, record_id),
                self.steps.c.run == run,
                self.tasks.c.status == "approved",
            )
        )
        return frozenset(str(name) for name in connection.scalars(query))

    # -- tasks ------------------------------------------------------------------------------

    def _task(self, row: sa.Row[tuple[object, ...]]) -> TaskRow:
        m = row._mapping
        return TaskRow(
            id=int(m["id"]), assignee=str(m["assignee"]), seq=int(m["seq"]),
            origin=str(m["origin"]), status=str(m["status"]), step_id=int(m["step_id"]),
            added_by=m["added_by"], created_at=m["created_at"], acted_at=m["acted_at"],
            comment=m["comment"],
        )  # fmt: skip

    def tasks_of(self, connection: Connection, step_ids: Iterable[int]) -> list[TaskRow]:
        """The tasks of the steps, in acting order."""
        ids = list(step_ids)
        if not ids:
            return []
        c = self.tasks.c
        query = sa.select(self.tasks).where(c.step_id.in_(ids)).order_by(c.seq, c.id)
        return [self._task(row) for row in connection.execute(query)]

    def add_task(
        self,
        connection: Connection,
        *,
        step_id: int,
        assignee: str,
        seq: int,
        origin: str,
        status: str,
        at: datetime,
        added_by: str | None = None,
    ) -> int:
        """Add a task; its id."""
        values = {"step_id": step_id, "assignee": assignee, "seq": seq, "origin": origin}
        values |= {"status": status, "created_at": at, "added_by": added_by}
        result = connection.execute(self.tasks.insert().values(**values))
        return _new_id(result)

    def set_task(
        self,
        connection: Connection,
        task_id: int,
        status: str,
        *,
        at: datetime | None = None,
        comment: str | None = None,
        expect: Iterable[str] = OPEN_TASK_STATUSES,
    ) -> bool:
        """Move a task to `status` if it is still in one of `expect`; False when it was not."""
        c = self.tasks.c
        values: dict[str, object] = {"status": status}
        if at is not None:
            values |= {"acted_at": at, "comment": comment}
        result = connection.execute(
            self.tasks.update().where(c.id == task_id, c.status.in_(list(expect))).values(**values)
        )
        return result.rowcount == 1

    def pending_for(self, connection: Connection, username: str) -> list[tuple[StepRow, TaskRow]]:
        """The user's tasks that may act now, with their steps, oldest first."""
        query = (
            sa.select(self.steps, self.tasks.c.id.label("task_id"))
            .join(self.tasks, self.tasks.c.step_id == self.steps.c.id)
            .where(
                self.steps.c.app == self.app,
                self.steps.c.status == "open",
                self.tasks.c.assignee == username,
                self.tasks.c.status == "pending",
            )
            .order_by(self.steps.c.entered_at, self.steps.c.id, self.tasks.c.id)
        )
        rows = [(self._step(row), int(row.task_id)) for row in connection.execute(query)]
        tasks = {task.id: task for task in self.tasks_of(connection, {s.id for s, _ in rows})}
        return [(step, tasks[task_id]) for step, task_id in rows]

    def pending_count(self, connection: Connection, username: str) -> int:
        """How many tasks wait for the user now (one query: the navigation's badge)."""
        query = (
            sa.select(sa.func.count())
            .select_from(self.tasks.join(self.steps, self.steps.c.id == self.tasks.c.step_id))
            .where(
                self.steps.c.app == self.app,
                self.steps.c.status == "open",
                self.tasks.c.assignee == username,
                self.tasks.c.status == "pending",
            )
        )
        return int(connection.scalar(query) or 0)

    def unread_count(self, connection: Connection, username: str) -> int:
        """How many of the user's notifications are unread (the inbox badge)."""
        c = self.notifications.c
        query = sa.select(sa.func.count()).where(
            c.app == self.app, c.username == username, c.read_at.is_(None)
        )
        return int(connection.scalar(query) or 0)

    def submitted_by(
        self, connection: Connection, username: str, *, limit: int = 100
    ) -> list[StepRow]:
        """The latest step of each record the user submitted, newest first."""
        c = self.steps.c
        latest = (
            sa.select(sa.func.max(c.id))
            .where(c.app == self.app, c.submitter == username)
            .group_by(c.entity, c.record_id)
        )
        query = sa.select(self.steps).where(c.id.in_(latest)).order_by(c.id.desc()).limit(limit)
        return [self._step(row) for row in connection.execute(query)]

    # -- notifications and grants -----------------------------------------------------------

    def notify(
        self,
        connection: Connection,
        *,
        username: str,
        entity: str | None,
        record_id: int | None,
        kind: str,
        at: datetime,
        state: str | None = None,
        by: str | None = None,
        comment: str | None = None,
        title: str | None = None,
        body: str | None = None,
    ) -> None:
        """Put an item in a user's inbox (`title`/`body`: an automation's message)."""
        values: dict[str, object] = {"app": self.app, "username": username, "entity": entity}
        values |= {"record_id": record_id, "kind": kind, "state": state, "by": by}
        values |= {"comment": comment, "created_at": at, "title": title, "body": body}
        connection.execute(self.notifications.insert().values(**values))

    def notifications_for(
        self, connection: Connection, username: str, *, limit: int = 100
    ) -> list[Notification]:
        """The user's notifications, newest first."""
        c = self.notifications.c
        query = (
            sa.select(self.notifications)
            .where(c.app == self.app, c.username == username)
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(limit)
        )
        return [
            Notification(
                int(r.id),
                r.entity,
                r.record_id,
                str(r.kind),
                r.state,
                r.by,
                r.comment,
                r.created_at,
                r.read_at,
                r.title,
                r.body,
            )
            for r in connection.execute(query)
        ]

    def mark_read(self, connection: Connection, username: str, at: datetime) -> int:
        """Mark every unread notification of the user read; how many."""
        c = self.notifications.c
        result = connection.execute(
            self.notifications.update()
            .where(c.app == self.app, c.username == username, c.read_at.is_(None))
            .values(read_at=at)
        )
        return int(result.rowcount or 0)

    def mark_read_before(self, connection: Connection, before: datetime, at: datetime) -> int:
        """Mark every user's notifications created before `before` read (demo data: an
        inbox shows the last days' news, not a year of it); how many."""
        c = self.notifications.c
        result = connection.execute(
            self.notifications.update()
            .where(c.app == self.app, c.created_at < before, c.read_at.is_(None))
            .values(read_at=at)
        )
        return int(result.rowcount or 0)

    def grant(
        self, connection: Connection, entity: str, record_id: int, username: str, reason: str
    ) -> None:
        """Let `username` read the record (approvers, CC recipients); kept once (one
        `INSERT … ON CONFLICT DO NOTHING` on SQLite and PostgreSQL)."""
        row = {"app": self.app, "entity": entity, "record_id": record_id}
        row |= {"username": username, "reason": reason}
        dialect = connection.dialect.name
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        statement = insert(self.grants).values(**row).on_conflict_do_nothing()
        connection.execute(statement)

    def granted_ids(self, entity: str, username: str) -> sa.Select[tuple[int]]:
        """A subquery of the record ids of `entity` granted to `username`."""
        c = self.grants.c
        return sa.select(c.record_id).where(
            c.app == self.app, c.entity == entity, c.username == username
        )
