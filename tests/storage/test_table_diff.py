"""Comparing an existing table with the spec when the snapshot is gone or the database holds
columns nobody declared."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.spec.model import AppSpec
from engine.spec.registry import Registry
from engine.storage.database import Database
from engine.storage.migration_steps import StepKind
from engine.storage.migrations import apply_migration, plan_migration
from engine.storage.table_diff import count_rows
from engine.storage.tables import AppTables, build_tables

NOW = datetime(2024, 1, 1, tzinfo=UTC)
APP = "app: shop\ntitle: Shop\nlocales: [en]\nroles:\n  clerk: {label: Clerk}\n"
NOTE = (
    "entity: note\nlabel: Note\nfields:\n  title: {type: text}\n  amount: {type: money}\n"
    "permissions:\n  clerk: {read: all}\n"
)


@pytest.fixture
def migrated(
    db: Database,
    write_app_folder: Callable[[Mapping[str, str]], Path],
    load_spec: Callable[[Path], AppSpec],
    project_registry: Registry,
) -> tuple[Database, AppTables]:
    app = load_spec(write_app_folder({"app.yaml": APP, "entities/note.yaml": NOTE}))
    tables = build_tables(app, sa.MetaData(), registry=project_registry)
    apply_migration(db, plan_migration(db, app, tables, now=NOW), now=NOW)
    return db, tables


def test_without_a_snapshot_columns_are_compared_by_database_type(
    migrated: tuple[Database, AppTables],
) -> None:
    db, tables = migrated
    with db.begin() as connection:
        connection.execute(sa.delete(tables.system.schema_state))
    plan = plan_migration(db, tables.app, tables, now=NOW)
    assert plan.steps == ()
    assert plan.snapshot_changed


def test_a_column_nobody_declared_is_set_aside_like_a_dropped_field(
    migrated: tuple[Database, AppTables],
) -> None:
    db, tables = migrated
    with db.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE shop__note ADD COLUMN extra VARCHAR(10)")
        connection.exec_driver_sql(
            "INSERT INTO shop__note (created_at, updated_at, version, extra) "
            "VALUES ('2024-01-01 00:00:00', '2024-01-01 00:00:00', 1, 'kept')"
        )
    plan = plan_migration(db, tables.app, tables, now=NOW)
    assert [s.kind for s in plan.steps] == [StepKind.DESTRUCTIVE]
    assert plan.steps[0].sentence.startswith(
        "field 'extra' of 'note' is no longer in the spec: dropping column 'extra'"
    )
    apply_migration(db, plan, allow_destructive=True, now=NOW)
    with db.begin(readonly=True) as connection:
        source = sa.table("shop__note", sa.column("_dropped_extra_20240101000000"))
        assert connection.execute(sa.select(source.c[0])).scalar_one() == "kept"
        assert count_rows(connection, "shop__note") == 1
        assert count_rows(connection, source, source.c[0] == "gone") == 0
