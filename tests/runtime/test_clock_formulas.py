"""Formulas that read the clock are refreshed once per app day by the worker: found at load
(directly or through another formula), recomputed for the live records as derived writes
(version + 1, no history entry), once per day even with two workers, threshold rules fire,
a failing rule keeps its record as it was and leaves a trace. SQLite and PostgreSQL, with
the fixed clock moved past midnight (Asia/Shanghai)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from runtime_support import EngineFactory

from engine.errors import AutomationFailed
from engine.runtime.actor import Actor
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.scheduler import Scheduler

APP = """
app: ageing
title: Ageing
locales: [en]
timezone: Asia/Shanghai
roles:
  staff: {label: Staff}
"""

ITEM = """
entity: item
label: Item
fields:
  title: {type: text, required: true}
  opened: {type: date, required: true}
  n: {type: number}
  age: {type: formula, expr: "days_between(opened, today())", result: integer}
  late: {type: formula, expr: "age > 3", result: boolean}
  double: {type: formula, expr: "n * 2", result: number}
  note: {type: text}
permissions:
  staff: {create: true, read: all, update: all}
"""

OLD_AT_FIVE = """
automation: old_at_five
label: Old at five days
triggers:
  - {type: threshold, entity: item, field: age, value: 5}
actions:
  - {type: lookup, table: notes, inputs: {title: "=title"}, as: found}
  - {type: set, values: {note: "=found.note"}}
"""

NOTES = """
table: notes
label: Notes
hit_policy: first
inputs:
  - {name: title, type: text}
outputs:
  - {name: note, type: text}
rules:
  - {when: {title: "=? != 'bad'"}, then: {note: old}}
"""

Build = Callable[[], Engine]


@pytest.fixture
def app_dir(write_app_folder: Callable[..., Path]) -> Path:
    return write_app_folder(
        {
            "app.yaml": APP,
            "entities/item.yaml": ITEM,
            "rules/old_at_five.yaml": OLD_AT_FIVE,
            "tables/notes.yaml": NOTES,
        }
    )


@pytest.fixture
def engine(make_engine: EngineFactory, app_dir: Path, database_url: str) -> Engine:
    return make_engine(app_dir, database_url)


def add(engine: Engine, title: str, opened: date, n: int = 1) -> int:
    values = {"title": title, "opened": opened, "n": n}
    return engine.records.create(Actor.system(), "item", values).id


def item(engine: Engine, record_id: int) -> dict[str, Any]:
    record = engine.records.get(Actor.system(), "item", record_id)
    return dict(record.values) | {"version": record.version}


def next_day(engine: Engine, hours: int = 24) -> None:
    clock = engine.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(hours=hours))


# START is 09:00 on Monday 2 March 2026 in Shanghai.


def test_the_formulas_reading_the_clock_are_found(engine: Engine) -> None:
    assert dict(engine.clock_formulas.fields) == {"item": ("age", "late")}
    assert Scheduler(engine, worker_id="w").jobs == ("formulas:item",)


def test_a_new_day_refreshes_them_once(engine: Engine) -> None:
    first = add(engine, "a", date(2026, 2, 27))  # 3 days old: not late
    gone = add(engine, "gone", date(2026, 2, 1))
    engine.records.delete(Actor.system(), "item", gone)
    assert (item(engine, first)["age"], item(engine, first)["late"]) == (3, False)
    scheduler = Scheduler(engine, worker_id="w")
    report = scheduler.run_due()  # the first round of the day: nothing is stale yet
    assert [(r.entity, r.changed, r.failed) for r in report.refreshed] == [("item", 0, 0)]
    next_day(engine, hours=14)  # 23:00 the same day: still 2 March
    assert scheduler.run_due().refreshed == ()
    next_day(engine, hours=1)  # midnight: 3 March
    report = scheduler.run_due()
    assert [(r.entity, r.changed) for r in report.refreshed] == [("item", 1)]
    assert report.handled == 1
    after = item(engine, first)
    assert (after["age"], after["late"], after["version"]) == (4, True, 2)
    history = engine.records.history(Actor.system(), "item", first)
    assert [entry.kind for entry in history] == ["created"]  # a derived write
    assert scheduler.run_due().refreshed == ()  # once per day
    assert item(engine, first)["version"] == 2


def test_threshold_rules_fire_and_a_failing_rule_keeps_its_record(engine: Engine) -> None:
    good = add(engine, "good", date(2026, 2, 26))  # 4 days old
    bad = add(engine, "bad", date(2026, 2, 26))
    other = add(engine, "other", date(2026, 3, 1))
    Scheduler(engine, worker_id="w").run_due()
    next_day(engine)
    report = Scheduler(engine, worker_id="w").run_due()
    assert [(r.changed, r.failed) for r in report.refreshed] == [(2, 1)]
    assert (item(engine, good)["age"], item(engine, good)["note"]) == (5, "old")
    assert (item(engine, bad)["age"], item(engine, bad)["version"]) == (4, 1)  # kept
    assert item(engine, other)["age"] == 2
    failed = [run for run in engine.automations.runs() if run.status == "failed"]
    assert [(run.automation, run.record_id) for run in failed] == [("old_at_five", bad)]
    # the worker does not try again today; `recompute` does (and fails the same way)
    assert [(r.changed, r.failed) for r in engine.clock_formulas.refresh("item")] == [(0, 1)]
    assert item(engine, bad)["version"] == 1
    with pytest.raises(AutomationFailed):  # a save of it runs the rule in the save
        engine.records.update(Actor.system(), "item", bad, {"n": 2}, version=None)


def test_two_workers_refresh_a_day_once(
    engine: Engine, make_engine: EngineFactory, app_dir: Path, database_url: str
) -> None:
    other = make_engine(app_dir, database_url)  # its own pool, as another process
    record_id = add(engine, "a", date(2026, 2, 27))
    next_day(engine)
    schedulers = [Scheduler(engine, worker_id="a"), Scheduler(other, worker_id="b")]
    refreshed: list[int] = []
    lock = threading.Lock()

    def run(scheduler: Scheduler) -> None:
        report = scheduler.run_due()
        with lock:
            refreshed.extend(r.changed for r in report.refreshed)

    threads = [threading.Thread(target=run, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(refreshed) == [1]  # one worker refreshed, the other found the day taken
    assert (item(engine, record_id)["age"], item(engine, record_id)["version"]) == (4, 2)
