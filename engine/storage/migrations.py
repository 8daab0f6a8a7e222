"""Migrations derived from the spec: `plan_migration` compares what the spec wants with the
live database and the app's stored snapshot; `apply_migration` carries the plan out.

Additive steps (new tables, columns, indexes, longer strings) and declared renames
(`renamed_from:`, `state_map:`) apply. Steps that would lose data (a dropped entity or
field, a changed or narrowed type) are refused unless `allow_destructive=True`, and even
then nothing is dropped: the old table or column is renamed aside as
`_dropped_<name>_<yyyymmddhhmmss>` (UTC). A plan is applied in one transaction on both
databases (SQLite's DDL is transactional once the driver stops managing transactions), so
a failing step leaves the database as it was; the snapshot is recorded last.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import FormworkError
from engine.spec.model import AppSpec
from engine.storage.database import Database
from engine.storage.expected_schema import expected_tables
from engine.storage.live_schema import reflect_schema
from engine.storage.migration_plan import MigrationPlan
from engine.storage.migration_planner import Planner, plan_steps
from engine.storage.migration_steps import MigrationRun, Step
from engine.storage.naming import stamp
from engine.storage.schema_snapshot import load_snapshot, snapshot_of, store_snapshot
from engine.storage.system_tables import build_system_tables
from engine.storage.tables import AppTables

__all__ = [
    "MigrationFailed",
    "MigrationPlan",
    "MigrationRefused",
    "apply_migration",
    "plan_migration",
]


class MigrationRefused(FormworkError):
    """The plan has steps that may not run: destructive ones (unless allowed) or blocked."""

    def __init__(self, plan: MigrationPlan, refused: tuple[Step, ...]) -> None:
        lines = "\n".join(step.line() for step in refused)
        super().__init__(f"{len(refused)} step(s) refused for app '{plan.app}':\n{lines}")
        self.plan = plan
        self.refused = refused


class MigrationFailed(FormworkError):
    """A step failed in the database; the whole migration was rolled back."""

    def __init__(self, step: Step, error: Exception) -> None:
        super().__init__(f"'{step.sentence}' failed, nothing was changed: {error}")
        self.step = step


def plan_migration(
    db: Database, app: AppSpec, tables: AppTables, *, now: datetime | None = None
) -> MigrationPlan:
    """The steps that bring `db` to the tables of `app` (read-only; nothing changes).

    `now` dates the `_dropped_…` names (default: the current UTC time).
    """
    if tables.app is not app:
        raise ValueError("`tables` were built from another app spec")
    moment = now if now is not None else datetime.now(UTC)
    expected = list(expected_tables(tables))
    with db.begin(readonly=True) as connection:
        snapshot = load_snapshot(connection, tables.system.schema_state, app.id)
        wanted = {table.name for table in tables.system.all()}
        for table in expected:
            wanted |= {table.name, *table.old_names}
        if snapshot is not None:
            wanted |= set(snapshot.tables)
        live = reflect_schema(connection, wanted)
        planner = Planner(connection, db.dialect, tables, live, snapshot, stamp(moment))
        steps = plan_steps(planner, expected)
    data = snapshot_of(app.id, expected)
    changed = snapshot is None or dict(snapshot.data) != data
    return MigrationPlan(app.id, db.dialect, tuple(steps), data, changed, stamp(moment))


def apply_migration(
    db: Database,
    plan: MigrationPlan,
    *,
    allow_destructive: bool = False,
    now: datetime | None = None,
) -> tuple[Step, ...]:
    """Carry out `plan` in one transaction and record the snapshot; returns the steps run.

    Raises MigrationRefused (nothing changed) when the plan has destructive steps and
    `allow_destructive` is false, or blocked steps; MigrationFailed when a step fails.
    """
    refused = plan.refused(allow_destructive=allow_destructive)
    if refused:
        raise MigrationRefused(plan, refused)
    if plan.is_empty:
        return ()
    system = build_system_tables(sa.MetaData())
    with db.begin_schema_change() as connection:
        if db.dialect == "postgresql":
            # Two processes migrating the same app at once take turns.
            lock = zlib.crc32(f"formwork-migrate:{plan.app}".encode())
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(lock)))
        context = MigrationContext.configure(connection)
        run = MigrationRun(Operations(context), connection, db.dialect, plan.app, system)
        for step in plan.steps:
            try:
                step.apply(run)
            except SQLAlchemyError as error:
                raise MigrationFailed(step, error) from error
        at = now if now is not None else datetime.now(UTC)
        store_snapshot(connection, system.schema_state, plan.app, plan.snapshot, at)
    return plan.steps
