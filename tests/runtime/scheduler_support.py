"""Helpers of the scheduler tests: a small app with schedules and date timers, runners that
record what the scheduler fires (in memory, or as rows of a test table written in the
claiming transaction, so only committed runs count), and the body of a worker process."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from runtime_support import ROOT, TEST_ITERATIONS
from sqlalchemy.engine import Connection

from engine.plugins import default_registry
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.scheduler import Scheduler
from engine.storage.column_types import AwareDateTime

APP = """
app: planner
title: Planner
locales: [en]
timezone: Asia/Shanghai
includes: [entities/*.yaml, rules/*.yaml]
roles:
  planner: {label: Planner}
"""

TASK = """
entity: task
label: Task
fields:
  title: {type: text, required: true}
  due: {type: date}
  remind_at: {type: datetime}
permissions:
  planner: {create: true, read: all, update: all, delete: all}
"""


def rule(name: str, trigger: str, *, enabled: bool = True) -> str:
    """An automation with one trigger (a YAML flow mapping) that calls a webhook."""
    return (
        f"automation: {name}\n"
        f"label: {name}\n"
        f"enabled: {'true' if enabled else 'false'}\n"
        f"triggers:\n  - {trigger}\n"
        "actions:\n  - {type: webhook, url: 'https://example.com/hook'}\n"
    )


def planner_files(**rules: str) -> dict[str, str]:
    """The planner app with `rules` (automation name → trigger flow mapping)."""
    files = {"app.yaml": APP, "entities/task.yaml": TASK}
    for name, trigger in rules.items():
        files[f"rules/{name}.yaml"] = rule(name, trigger)
    return files


@dataclass
class RecordingRunner:
    """Remembers every call; `fail_on` (a call number, from 1) raises instead."""

    scheduled: list[tuple[str, int, datetime]] = field(default_factory=list)
    dated: list[tuple[str, int, str, int, datetime]] = field(default_factory=list)
    fail_on: int | None = None
    calls: int = 0

    def _call(self) -> None:
        self.calls += 1
        if self.fail_on == self.calls:
            raise RuntimeError("the runner broke")

    def run_scheduled(
        self, connection: Connection, automation: str, trigger_index: int, tick: datetime
    ) -> None:
        self._call()
        self.scheduled.append((automation, trigger_index, tick))

    def run_dated(
        self,
        connection: Connection,
        automation: str,
        trigger_index: int,
        entity: str,
        record_id: int,
        fire_at: datetime,
    ) -> None:
        self._call()
        self.dated.append((automation, trigger_index, entity, record_id, fire_at))


RUNS = sa.Table(
    "test_scheduler_runs",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("automation", sa.String(64), nullable=False),
    sa.Column("trigger_index", sa.Integer, nullable=False),
    sa.Column("record_id", sa.Integer),
    sa.Column("at", AwareDateTime(), nullable=False),
    sa.Column("worker", sa.String(64), nullable=False),
)
"""One row per run, written by `TableRunner` in the transaction that claimed it."""


@dataclass
class TableRunner:
    """Writes a row of RUNS per call on the claiming connection (rolled back with it)."""

    worker: str
    pause: float = 0.0  # seconds to hold the transaction open after writing

    def _write(self, connection: Connection, row: Mapping[str, Any]) -> None:
        connection.execute(RUNS.insert().values(worker=self.worker, **row))
        if self.pause:
            connection.exec_driver_sql(f"SELECT pg_sleep({self.pause})")

    def run_scheduled(
        self, connection: Connection, automation: str, trigger_index: int, tick: datetime
    ) -> None:
        self._write(
            connection, {"automation": automation, "trigger_index": trigger_index, "at": tick}
        )

    def run_dated(
        self,
        connection: Connection,
        automation: str,
        trigger_index: int,
        entity: str,
        record_id: int,
        fire_at: datetime,
    ) -> None:
        row = {"automation": automation, "trigger_index": trigger_index, "at": fire_at}
        self._write(connection, {**row, "record_id": record_id})


def load_engine(app_dir: Path, url: str, moment: datetime, root: Path) -> Engine:
    """An engine on an already migrated database, its clock standing at `moment`."""
    registry, problems = default_registry(ROOT)
    assert problems == [], problems
    return Engine.load(
        app_dir,
        database_url=url,
        clock=FixedClock(moment),
        project_root=root,
        registry=registry,
        password_iterations=TEST_ITERATIONS,
    )


def worker_process(
    app_dir: str, url: str, moment: str, *, worker: str, barrier: Any, results: Any
) -> None:
    """A worker process: load the app, wait for the others, run one round, report how many
    runs it fired (or the error)."""
    try:
        engine = load_engine(Path(app_dir), url, datetime.fromisoformat(moment), Path(app_dir))
        scheduler = Scheduler(engine, TableRunner(worker, pause=0.01), worker_id=worker)
        barrier.wait(timeout=60)
        report = scheduler.run_due()
        results.put((worker, len(report.fired), list(report.failed)))
        engine.close()
    except Exception as error:  # the parent judges it
        results.put((worker, -1, [("process", repr(error))]))
