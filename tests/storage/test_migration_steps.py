"""Steps that touch rows besides the DDL: files of a renamed attachment field, the values a
type change copies into users (which must exist), and the keys of existing people."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.spec.model import AppSpec
from engine.spec.registry import Registry
from engine.storage.database import Database
from engine.storage.migration_steps import StepKind, known_keys
from engine.storage.migrations import MigrationPlan, apply_migration, plan_migration
from engine.storage.tables import AppTables, build_tables

NOW = datetime(2024, 1, 1, tzinfo=UTC)
APP = "app: shop\ntitle: Shop\nlocales: [en]\nroles:\n  clerk: {label: Clerk}\n"


def note(fields: str) -> str:
    return f"entity: note\nlabel: Note\nfields:\n{fields}permissions:\n  clerk: {{read: all}}\n"


class Notes:
    def __init__(self, db: Database, write: Callable[[Mapping[str, str]], Path],
                 load: Callable[[Path], AppSpec], registry: Registry) -> None:  # fmt: skip
        self.db, self.write, self.load, self.registry = db, write, load, registry

    def tables(self, fields: str) -> AppTables:
        app = self.load(self.write({"app.yaml": APP, "entities/note.yaml": note(fields)}))
        return build_tables(app, sa.MetaData(), registry=self.registry)

    def plan(self, fields: str) -> MigrationPlan:
        tables = self.tables(fields)
        return plan_migration(self.db, tables.app, tables, now=NOW)


@pytest.fixture
def notes(
    db: Database,
    write_app_folder: Callable[[Mapping[str, str]], Path],
    load_spec: Callable[[Path], AppSpec],
    project_registry: Registry,
) -> Notes:
    return Notes(db, write_app_folder, load_spec, project_registry)


def test_the_files_of_a_renamed_attachment_field_follow_it(notes: Notes) -> None:
    tables = notes.tables("  scan: {type: attachment}\n")
    apply_migration(notes.db, notes.plan("  scan: {type: attachment}\n"), now=NOW)
    files = tables.system.files
    row = {"name": "a.pdf", "size": 1, "app": "shop", "entity": "note", "record_id": 1}
    with notes.db.begin() as connection:
        connection.execute(files.insert().values(row | {"storage_key": "k1", "field": "scan"}))
        connection.execute(
            files.insert().values(row | {"storage_key": "k2", "field": "scan", "app": "crm"})
        )
    renamed = "  copy: {type: attachment, renamed_from: scan}\n"
    plan = notes.plan(renamed)
    assert [s.line() for s in plan.steps] == [
        "~ rename attachment field 'scan' of 'note' to 'copy' (1 file(s) kept)"
    ]
    apply_migration(notes.db, plan, now=NOW)
    with notes.db.begin(readonly=True) as connection:
        fields = connection.execute(
            sa.select(files.c.app, files.c.field).order_by(files.c.storage_key)
        ).all()
    assert [tuple(r) for r in fields] == [("shop", "copy"), ("crm", "scan")]
    assert notes.plan(renamed).is_empty


def test_a_change_to_a_user_field_copies_only_existing_usernames(notes: Notes) -> None:
    tables = notes.tables("  who: {type: text}\n")
    apply_migration(notes.db, notes.plan("  who: {type: text}\n"), now=NOW)
    with notes.db.begin() as connection:
        connection.execute(tables.system.users.insert().values(username="ann"))
        for who in ("ann", "bob"):
            connection.execute(
                tables.entity("note")
                .insert()
                .values(created_at=NOW, updated_at=NOW, version=1, who=who)
            )
        assert known_keys(connection, tables.system).usernames == {"ann"}
    plan = notes.plan("  who: {type: user}\n")
    assert [s.kind for s in plan.steps] == [StepKind.DESTRUCTIVE, StepKind.ADDITIVE]
    assert "1 of 2 stored value(s) cannot be converted" in plan.steps[0].sentence
    apply_migration(notes.db, plan, allow_destructive=True, now=NOW)
    source = sa.table("shop__note", sa.column("id"), sa.column("who"))
    aside = sa.column("_dropped_who_20240101000000")
    with notes.db.begin(readonly=True) as connection:
        rows = connection.execute(
            sa.select(source.c.who, aside).select_from(source).order_by(source.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [("ann", "ann"), (None, "bob")]
