"""The order of a plan's steps, and entities that link to each other."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from engine.spec.model import AppSpec
from engine.spec.registry import Registry
from engine.storage.database import Database
from engine.storage.migration_planner import PHASES
from engine.storage.migrations import apply_migration, plan_migration
from engine.storage.tables import build_tables

NOW = datetime(2024, 1, 1, tzinfo=UTC)
APP = "app: shop\ntitle: Shop\nlocales: [en]\nroles:\n  clerk: {label: Clerk}\n"


def entity(name: str, fields: str) -> str:
    return f"entity: {name}\nlabel: {name}\nfields:\n{fields}permissions:\n  clerk: {{read: all}}\n"


def test_the_phases_run_renames_before_creates_and_indexes_last() -> None:
    assert PHASES.index("drop_indexes") < PHASES.index("renames") < PHASES.index("asides")
    assert PHASES.index("asides") < PHASES.index("creates") < PHASES.index("columns")
    assert PHASES[-1] == "indexes"


def test_entities_that_link_to_each_other_are_created_on_both_databases(
    db: Database,
    write_app_folder: Callable[[Mapping[str, str]], Path],
    load_spec: Callable[[Path], AppSpec],
    project_registry: Registry,
) -> None:
    folder = write_app_folder(
        {
            "app.yaml": APP,
            "entities/husband.yaml": entity("husband", "  wife: {type: link, to: wife}\n"),
            "entities/wife.yaml": entity("wife", "  husband: {type: link, to: husband}\n"),
        }
    )
    app = load_spec(folder)
    tables = build_tables(app, sa.MetaData(), registry=project_registry)
    plan = plan_migration(db, app, tables, now=NOW)
    deferred = [s.sentence for s in plan.steps if s.sentence.startswith("add the foreign key")]
    if db.dialect == "postgresql":
        assert sorted(deferred) == [
            "add the foreign key of shop__husband (wife) to shop__wife",
            "add the foreign key of shop__wife (husband) to shop__husband",
        ]
    else:
        assert deferred == []
    apply_migration(db, plan, now=NOW)
    with db.begin(readonly=True) as connection:
        inspector = sa.inspect(connection)
        references = {
            (name, fk["constrained_columns"][0], fk["referred_table"])
            for name in ("shop__husband", "shop__wife")
            for fk in inspector.get_foreign_keys(name)
        }
    assert references == {
        ("shop__husband", "wife", "shop__wife"),
        ("shop__wife", "husband", "shop__husband"),
    }
    assert plan_migration(db, app, tables, now=NOW).is_empty
