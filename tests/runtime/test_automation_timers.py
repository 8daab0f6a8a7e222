"""Date triggers and schedules run by the worker, end to end: the first round only starts
the jobs, a record fires when its fire moment (date field + `offset` at `at` in the app's
time zone, or datetime field + `offset`) has come, a cron schedule fires per tick in its
time zone and catches up the ticks a stopped worker missed, each once; a worker run that
fails keeps only its trace and its tick counts as done. SQLite and PostgreSQL, a fixed
clock that the tests move."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from automation_app import AppWriter, Build, at, builder, live, notes, runs, statuses, values
from runtime_support import START, EngineFactory

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.worker import Worker


@pytest.fixture
def build(make_engine: EngineFactory, write_app_folder: AppWriter, database_url: str) -> Build:
    """The automations app with the rules a test gives."""
    return builder(make_engine, write_app_folder, database_url)


def order(engine: Engine, **fields: Any) -> int:
    """Create an order as ann; its id."""
    return engine.records.create(engine.actor("ann"), "order", {"title": "A"} | fields).id


def fired(worker: Worker) -> list[tuple[str, datetime, int | None]]:
    """What the worker's last round fired: (automation, moment, record)."""
    assert worker.last is not None and worker.last.schedule is not None
    return [(f.automation, f.at, f.record_id) for f in worker.last.schedule.fired]


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A UTC moment."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- date triggers ----------------------------------------------------------------------------

DUE = """
triggers:
  - {type: date, entity: order, field: due_on, offset: -1d, at: "10:30"}
conditions:
  - "status == 'draft'"
actions:
  - {type: set, values: {note: "=concat('due soon: ', title)"}}
  - {type: notify, to: [{type: user_field, field: owner}], title: "{{ record.title }} is due"}
"""


def test_a_date_trigger_fires_each_record_once_at_its_moment(
    build: Build, clock: FixedClock
) -> None:
    engine = build(due=DUE)
    worker = Worker(engine, worker_id="w1")
    soon = order(engine, title="Soon", owner="bob", due_on=date(2026, 3, 4))
    later = order(engine, title="Later", owner="bob", due_on=date(2026, 3, 5))
    moved = order(engine, title="Moved", owner="bob", due_on=date(2026, 3, 20))
    assert worker.run_once() == 0  # the first round only starts the job
    assert worker.last is not None and worker.last.schedule is not None
    assert worker.last.schedule.started == ("date:due:0",)

    # Soon: 3 March 10:30 in Shanghai = 02:30 UTC
    clock.advance(utc(2026, 3, 3, 2, 29) - START)
    engine.records.update(  # Moved's date changes: it now fires with Soon
        engine.actor("ann"), "order", moved, {"due_on": date(2026, 3, 4)}, version=None
    )
    worker.run_once()
    assert fired(worker) == [] and runs(engine) == []
    clock.advance(timedelta(minutes=1))
    worker.run_once()
    moment = utc(2026, 3, 3, 2, 30)
    assert fired(worker) == [("due", moment, soon), ("due", moment, moved)]
    first, _ = runs(engine)
    assert (first.trigger_type, first.status, first.record_id, first.actor) == (
        "date", "done", soon, None,
    )  # fmt: skip
    assert first.event == {
        "kind": "date", "entity": "order", "record_id": soon, "fire_at": moment.isoformat(),
    }  # fmt: skip
    assert first.conditions[0]["value"] is True
    assert first.actions[0]["at"] == at("due", DUE, "type: set")
    assert values(engine, "order", soon)["note"] == "due soon: Soon"
    assert [n.title for n in notes(engine, "bob")] == ["Soon is due", "Moved is due"]

    worker.run_once()  # the same minute again: nothing twice
    assert fired(worker) == [] and len(runs(engine)) == 2
    engine.workflows.act(engine.actor("ann"), "order", later, "submit")
    clock.advance(timedelta(days=1))
    worker.run_once()  # Later's moment has come, but it is no longer a draft
    assert fired(worker) == [("due", moment + timedelta(days=1), later)]
    assert statuses(engine) == ["done", "done", "skipped"]
    assert runs(engine)[-1].conditions[0]["value"] is False
    assert values(engine, "order", later)["note"] is None


SHIP = """
triggers:
  - {type: date, entity: order, field: ship_at, offset: -30m}
actions:
  - {type: create, entity: task, values: {name: "=concat('ship ', title)", order: "=record"}}
"""


def test_a_datetime_trigger_fires_at_the_moment_plus_offset(
    build: Build, clock: FixedClock
) -> None:
    engine = build(ship=SHIP)
    worker = Worker(engine, worker_id="w1")
    worker.run_once()
    shipped = order(engine, title="Box", ship_at=utc(2026, 3, 2, 5, 0))
    order(engine, title="None")  # no ship_at: never fires
    clock.advance(timedelta(hours=3, minutes=29))  # 04:29
    worker.run_once()
    assert live(engine, "task") == []
    clock.advance(timedelta(minutes=1))  # 04:30
    worker.run_once()
    assert fired(worker) == [("ship", utc(2026, 3, 2, 4, 30), shipped)]
    assert [task["name"] for task in live(engine, "task")] == ["ship Box"]
    clock.advance(timedelta(days=2))
    worker.run_once()
    assert fired(worker) == [] and statuses(engine) == ["done"]


# -- schedules --------------------------------------------------------------------------------

DAILY = """
triggers:
  - {type: schedule, cron: "0 9 * * *", timezone: Europe/London}
actions:
  - {type: create, entity: task, values: {name: daily}}
  - type: for_each
    entity: order
    where: "status == 'draft'"
    as: o
    actions:
      - {type: update, entity: order, where: "id == o", values: {count: "=o.count + 1"}}
"""


def test_a_schedule_fires_per_tick_in_its_time_zone_and_catches_up(
    build: Build, clock: FixedClock
) -> None:
    engine = build(daily=DAILY)
    worker = Worker(engine, worker_id="w1")
    draft = order(engine, count=0)
    worker.run_once()  # 2 March 01:00 UTC: the job starts
    assert runs(engine) == []
    clock.advance(timedelta(hours=7, minutes=59))  # 08:59 London (GMT)
    worker.run_once()
    assert runs(engine) == []
    clock.advance(timedelta(minutes=1))
    worker.run_once()
    assert fired(worker) == [("daily", utc(2026, 3, 2, 9, 0), None)]
    [run] = runs(engine)
    assert (run.trigger_type, run.status, run.entity, run.record_id) == (
        "schedule", "done", None, None,
    )  # fmt: skip
    assert run.event == {"kind": "schedule", "tick": "2026-03-02T09:00:00+00:00"}
    assert run.actions[1]["records"] == 1 and values(engine, "order", draft)["count"] == 1

    clock.advance(timedelta(days=3, hours=2))  # the worker was down for three ticks
    worker.run_once()
    ticks = [utc(2026, 3, day, 9, 0) for day in (3, 4, 5)]
    assert fired(worker) == [("daily", tick, None) for tick in ticks]  # oldest first
    assert [r.event["tick"] for r in runs(engine)][1:] == [t.isoformat() for t in ticks]
    assert len(live(engine, "task")) == 4 and values(engine, "order", draft)["count"] == 4
    worker.run_once()
    assert fired(worker) == [] and len(runs(engine)) == 4


LATEST = """
triggers:
  - {type: schedule, cron: "0 * * * *", catch_up: latest}
actions:
  - {type: create, entity: task, values: {name: hourly}}
"""


def test_a_schedule_that_catches_up_only_the_latest_tick(build: Build, clock: FixedClock) -> None:
    engine = build(hourly=LATEST)
    worker = Worker(engine, worker_id="w1")
    worker.run_once()
    clock.advance(timedelta(hours=5, minutes=10))  # ticks 02:00 … 06:00 UTC missed
    worker.run_once()
    assert fired(worker) == [("hourly", utc(2026, 3, 2, 6, 0), None)]
    assert worker.last is not None and worker.last.schedule is not None
    assert len(worker.last.schedule.skipped) == 4
    assert len(live(engine, "task")) == 1 and statuses(engine) == ["done"]


BROKEN = """
triggers:
  - {type: schedule, cron: "0 * * * *"}
actions:
  - {type: create, entity: task, values: {name: made}}
  - {type: create, entity: line, values: {weight: 1}}
"""


def test_a_failing_worker_run_keeps_only_its_trace_and_its_tick_is_done(
    build: Build, clock: FixedClock
) -> None:
    engine = build(broken=BROKEN)
    worker = Worker(engine, worker_id="w1")
    worker.run_once()
    clock.advance(timedelta(hours=1))
    worker.run_once()  # no exception: the worker goes on
    tick = utc(2026, 3, 2, 2, 0)
    assert fired(worker) == [("broken", tick, None)]
    assert worker.last is not None and worker.last.schedule is not None
    assert worker.last.schedule.failed == ()
    assert live(engine, "task") == [] and live(engine, "line") == []  # its writes undone
    [run] = runs(engine)
    where = at("broken", BROKEN, "entity: line")
    assert (run.status, run.error_at, run.trigger_type) == ("failed", where, "schedule")
    assert [a["type"] for a in run.actions] == ["create", "create"]
    assert run.error == "validation failed (name: This field is required.)"
    assert run.actions[1]["error"] == run.error and "error" not in run.actions[0]

    c = engine.tables.system.schedule_ticks.c
    query = sa.select(c.tick_at, c.claimed_by).where(c.job == "schedule:broken:0")
    with engine.db.begin(readonly=True) as connection:
        claimed = {row.tick_at: row.claimed_by for row in connection.execute(query)}
    assert claimed[tick] == "w1"  # the tick counts as done …
    worker.run_once()
    assert fired(worker) == [] and len(runs(engine)) == 1  # … and is not run again


def test_a_timer_moment_runs_once_even_when_handed_over_twice(build: Build) -> None:
    engine = build(daily=DAILY, due=DUE)
    target = order(engine, due_on=date(2026, 3, 4))
    tick, moment = utc(2026, 3, 2, 9, 0), utc(2026, 3, 3, 2, 30)
    for _ in range(2):
        with engine.db.begin() as connection:
            engine.automations.run_scheduled(connection, "daily", 0, tick)
            engine.automations.run_dated(connection, "due", 0, "order", target, moment)
    assert statuses(engine) == ["done", "done"]
    assert len(live(engine, "task")) == 1
