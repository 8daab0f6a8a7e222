"""`formwork recompute APP_DIR` also recomputes the formulas that read the clock: a stale
value (written around the service) is put right as a derived write; an app with neither
roll-ups nor such formulas says so. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from engine.cli.main import main
from engine.runtime.actor import Actor
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine

APP = """
app: started
title: Started
locales: [en]
timezone: Asia/Shanghai
roles:
  staff: {label: Staff}
"""

ITEM = """
entity: item
label: Item
fields:
  opened: {type: date, required: true}
  started: {type: formula, expr: "today() >= opened", result: boolean}
  label: {type: formula, expr: "'yes' if started else 'no'", result: text}
permissions:
  staff: {create: true, read: all, update: all}
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text.lstrip(), encoding="utf-8")
    return folder


def run(*args: str, url: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"DATABASE_URL": url})
    return result.exit_code, result.output


def test_stale_clock_formulas_are_recomputed(tmp_path: Path, database_url: str) -> None:
    app = write(tmp_path / "app", {"app.yaml": APP, "entities/item.yaml": ITEM})
    clock = FixedClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    engine = Engine.load(app, database_url=database_url, clock=clock, project_root=tmp_path)
    try:
        engine.migrate()
        record = engine.records.create(Actor.system(), "item", {"opened": date(2020, 1, 1)})
        assert (record["started"], record["label"]) == (True, "yes")
        table = engine.tables.entity("item")
        with engine.db.begin() as connection:  # stale, as if computed before 2020
            connection.execute(sa.update(table).values(started=False, label="no"))
    finally:
        engine.close()
    expected = (
        "Recomputed 2 formula field(s) that read the clock (item.started, item.label): "
        "{} record(s) changed.\n"
    )
    assert run("recompute", str(app), url=database_url) == (0, expected.format(1))
    assert run("recompute", str(app), "--entity", "item", url=database_url) == (
        0,
        expected.format(0),
    )
    engine = Engine.load(app, database_url=database_url, project_root=tmp_path)
    try:
        fixed = engine.records.get(Actor.system(), "item", record.id)
        assert (fixed["started"], fixed["label"], fixed.version) == (True, "yes", 2)
        history = engine.records.history(Actor.system(), "item", record.id)
        assert [entry.kind for entry in history] == ["created"]
    finally:
        engine.close()


def test_nothing_to_recompute(tmp_path: Path, database_url: str) -> None:
    plain = ITEM.replace("today() >= opened", "opened >= '2020-01-01'")
    app = write(tmp_path / "app", {"app.yaml": APP, "entities/item.yaml": plain})
    engine = Engine.load(app, database_url=database_url, project_root=tmp_path)
    engine.migrate()
    engine.close()
    assert run("recompute", str(app), url=database_url) == (
        0,
        "No roll-up fields or formulas that read the clock to recompute.\n",
    )
