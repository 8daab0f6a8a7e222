"""The scheduler fires schedule ticks and date timers from the database, once each: first
sight fires nothing, missed ticks are caught up by policy, date triggers follow the field's
current value, and a failing run leaves its tick for the next round (SQLite and PostgreSQL,
a fixed clock, a recording runner)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from runtime_support import START, EngineFactory
from scheduler_support import RecordingRunner, planner_files, rule

from engine.diagnostics import Diagnostic
from engine.errors import AppInvalid
from engine.runtime import scheduler as scheduler_module
from engine.runtime.actor import Actor
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.scheduler import Scheduler

AppFactory = Callable[..., Engine]

DAILY = "{type: schedule, cron: '30 9 * * *', timezone: Asia/Shanghai}"
HOURLY = "{type: schedule, cron: '0 * * * *', catch_up: %s}"
DUE = "{type: date, entity: task, field: due, offset: %s, at: '09:00'}"
REMIND = "{type: date, entity: task, field: remind_at, offset: %s}"


@pytest.fixture
def planner(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str
) -> AppFactory:
    """The planner app with the given rules (automation name → trigger)."""

    def make(**rules: str) -> Engine:
        return make_engine(write_app_folder(planner_files(**rules)), database_url)

    return make


def ticks(engine: Engine, job: str) -> list[tuple[datetime, str]]:
    c = engine.tables.system.schedule_ticks.c
    query = sa.select(c.tick_at, c.claimed_by).where(c.job == job).order_by(c.tick_at)
    with engine.db.begin(readonly=True) as connection:
        return [(row[0], row[1]) for row in connection.execute(query)]


def new_task(engine: Engine, **values: object) -> int:
    return engine.records.create(Actor.system(), "task", {"title": "t", **values}).id


def change_task(engine: Engine, record_id: int, **values: object) -> None:
    engine.records.update(Actor.system(), "task", record_id, values, version=None)


def advance(engine: Engine, delta: timedelta) -> None:
    clock = engine.clock
    assert isinstance(clock, FixedClock)
    clock.advance(delta)


# -- schedules ------------------------------------------------------------------------------


def test_first_sight_fires_nothing_and_starts_the_cursor(planner: AppFactory) -> None:
    engine = planner(daily=DAILY, soon=DUE % "0d")
    runner = RecordingRunner()
    scheduler = Scheduler(engine, runner, worker_id="w1")
    assert scheduler.jobs == ("schedule:daily:0", "date:soon:0")
    report = scheduler.run_due()
    assert report.started == ("schedule:daily:0", "date:soon:0")
    assert report.fired == ()
    assert ticks(engine, "schedule:daily:0") == [(START, "start")]
    assert scheduler.run_due().started == ()


def test_a_schedule_fires_once_per_tick(planner: AppFactory) -> None:
    engine = planner(daily=DAILY)
    runner = RecordingRunner()
    first, second = (Scheduler(engine, runner, worker_id=w) for w in ("w1", "w2"))
    first.run_due()
    advance(engine, timedelta(minutes=29))
    assert first.run_due().fired == ()
    advance(engine, timedelta(minutes=1))  # 09:30 in Shanghai
    tick = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    assert [f.at for f in first.run_due().fired] == [tick]
    assert first.run_due().fired == ()
    assert second.run_due().fired == ()
    assert runner.scheduled == [("daily", 0, tick)]
    assert ticks(engine, "schedule:daily:0")[-1] == (tick, "w1")


@pytest.mark.parametrize(("policy", "runs"), [("all", 24), ("latest", 1), ("none", 0)])
def test_a_day_of_downtime_is_caught_up_by_policy(
    planner: AppFactory, policy: str, runs: int
) -> None:
    engine = planner(hourly=HOURLY % policy)
    runner = RecordingRunner()
    scheduler = Scheduler(engine, runner, worker_id="w1")
    scheduler.run_due()
    advance(engine, timedelta(hours=24, minutes=5))
    report = scheduler.run_due()
    hours = [START + timedelta(hours=h) for h in range(1, 25)]
    fired = [tick for _, _, tick in runner.scheduled]
    assert fired == hours[len(hours) - runs :]
    assert [tick for _, tick in report.skipped] == hours[: len(hours) - runs]
    assert [t for t, _ in ticks(engine, "schedule:hourly:0")] == [START, *hours]
    assert scheduler.run_due().fired == ()


def test_policy_none_fires_the_tick_that_is_due_now(planner: AppFactory) -> None:
    engine = planner(hourly=HOURLY % "none")
    runner = RecordingRunner()
    scheduler = Scheduler(engine, runner, worker_id="w1")
    scheduler.run_due()
    advance(engine, timedelta(hours=1, seconds=90))
    assert [f.at for f in scheduler.run_due().fired] == [START + timedelta(hours=1)]


def test_schedules_follow_their_time_zone(planner: AppFactory) -> None:
    engine = planner(
        shanghai=DAILY,
        app_zone="{type: schedule, cron: '30 9 * * *'}",
        utc="{type: schedule, cron: '30 9 * * *', timezone: UTC}",
    )
    runner = RecordingRunner()
    scheduler = Scheduler(engine, runner, worker_id="w1")
    scheduler.run_due()
    advance(engine, timedelta(hours=9))
    scheduler.run_due()
    fired = sorted((name, tick) for name, _, tick in runner.scheduled)
    shanghai = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    assert fired == [
        ("app_zone", shanghai),
        ("shanghai", shanghai),
        ("utc", datetime(2026, 3, 2, 9, 30, tzinfo=UTC)),
    ]


def test_a_failing_run_leaves_its_tick_for_the_next_round(planner: AppFactory) -> None:
    engine = planner(hourly=HOURLY % "all", other=DAILY)
    runner = RecordingRunner(fail_on=2)
    scheduler = Scheduler(engine, runner, worker_id="w1")
    scheduler.run_due()
    advance(engine, timedelta(hours=3))
    report = scheduler.run_due()
    assert [job for job, _ in report.failed] == ["schedule:hourly:0"]
    assert "the runner broke" in report.failed[0][1]
    assert [f.job for f in report.fired] == ["schedule:hourly:0", "schedule:other:0"]
    report = scheduler.run_due()
    hours = [START + timedelta(hours=h) for h in (1, 2, 3)]
    assert [f.at for f in report.fired] == hours[1:]
    assert [t for name, _, t in runner.scheduled if name == "hourly"] == hours


def test_disabled_automations_have_no_jobs(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str
) -> None:
    files = planner_files()
    files["rules/paused.yaml"] = rule("paused", DAILY, enabled=False)
    engine = make_engine(write_app_folder(files), database_url)
    assert Scheduler(engine, RecordingRunner(), worker_id="w1").jobs == ()


def test_a_bad_cron_expression_is_refused_with_its_automation(planner: AppFactory) -> None:
    # `check` refuses it (R122), so an engine with such a rule never loads
    with pytest.raises(AppInvalid) as raised:
        planner(broken="{type: schedule, cron: '75 9 * * *'}")
    [problem] = raised.value.diagnostics
    assert isinstance(problem, Diagnostic)
    assert (problem.code, problem.file, problem.pointer) == (
        "R122",
        "rules/broken.yaml",
        "/triggers/0/cron",
    )
    assert "75 9 * * *" in problem.message


def test_the_worker_id_is_checked(planner: AppFactory) -> None:
    engine = planner()
    with pytest.raises(ValueError, match="worker_id"):
        Scheduler(engine, RecordingRunner(), worker_id="x" * 65)


def test_overdue_approvals_are_applied(
    planner: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = planner()
    monkeypatch.setattr(engine.workflows, "process_due", lambda: ["a", "b"])
    report = Scheduler(engine, RecordingRunner(), worker_id="w1").run_due()
    assert report.approvals == 2
    assert report.handled == 2


# -- date timers ----------------------------------------------------------------------------


def at_utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_date_field_fires_at_its_time_of_day_with_offsets(planner: AppFactory) -> None:
    engine = planner(before=DUE % "-1d", after=DUE % "2d", same=DUE % "0d")
    runner = RecordingRunner()
    scheduler = Scheduler(engine, runner, worker_id="w1")
    scheduler.run_due()
    task = new_task(engine, due=date(2026, 3, 5))
    advance(engine, at_utc(2026, 3, 4, 0, 59) - START)
    assert scheduler.run_due().fired == ()
    advance(engine, timedelta(minutes=1))  # 09:00 on 4 March in Shanghai
    assert [(f.automation, f.record_id) for f in scheduler.run_due().fired] == [("before", task)]
    advance(engine, at_utc(2026, 3, 8, 0, 0) - engine.clock.now())
    scheduler.run_due()
    assert sorted((name, when) for name, _, _, _, when in runner.dated) == [
        ("after", at_utc(2026, 3, 7, 1, 0)),
        ("before", at_utc(2026, 3, 4, 1, 0)),
        ("same", at_utc(2026, 3, 5, 1, 0)),
    ]
    assert {entity for _, _, entity, _, _ in runner.dated} == {"task"}
    assert scheduler.run_due().fired == ()


def test_a_datetime_field_fires_at_its_moment_plus_offset(planner: AppFactory) -> None:
    engine = planner(early=REMIND % "-30m", late=REMIND % "2h")
    runner = RecordingRunner()
    scheduler = Scheduler(engine, runner, worker_id="w1")
    scheduler.run_due()
    moment = START + timedelta(hours=1, minutes=10)
    task = new_task(engine, remind_at=moment)
    advance(engine, timedelta(minutes=39))
    assert scheduler.run_due().fired == ()
    advance(engine, timedelta(minutes=1))
    assert [(f.automation, f.at) for f in scheduler.run_due().fired] == [
        ("early", moment - timedelta(minutes=30))
    ]
    advance(engine, timedelta(hours=3))
    assert [(f.automation, f.record_id, f.at) for f in scheduler.run_due().fired] == [
        ("late", task, moment + timedelta(hours=2))
    ]


def test_changing_the_field_changes_when_it_fires(planner: AppFactory) -> None:
    engine = planner(soon=DUE % "0d")
    runner = RecordingRunner()
    scheduler = Scheduler(engine, runner, worker_id="w1")
    scheduler.run_due()
    moved = new_task(engine, due=date(2026, 3, 3))
    into_past = new_task(engine, due=date(2026, 3, 10))
    change_task(engine, moved, due=date(2026, 3, 4))
    advance(engine, at_utc(2026, 3, 3, 12, 0) - START)
    assert scheduler.run_due().fired == ()  # not on the 3rd any more
    change_task(engine, into_past, due=date(2026, 3, 2))  # its window has been swept
    advance(engine, timedelta(days=1))
    assert [f.record_id for f in scheduler.run_due().fired] == [moved]
    change_task(engine, moved, due=date(2026, 3, 6))  # fired; due again later
    advance(engine, timedelta(days=10))
    fired = scheduler.run_due().fired
    assert [(f.record_id, f.at) for f in fired] == [(moved, at_utc(2026, 3, 6, 1, 0))]


def test_deleted_and_blank_records_do_not_fire(planner: AppFactory) -> None:
    engine = planner(soon=DUE % "0d")
    runner = RecordingRunner()
    scheduler = Scheduler(engine, runner, worker_id="w1")
    scheduler.run_due()
    kept = new_task(engine, due=date(2026, 3, 3))
    gone = new_task(engine, due=date(2026, 3, 3))
    new_task(engine)
    engine.records.delete(Actor.system(), "task", gone)
    advance(engine, timedelta(days=2))
    assert [f.record_id for f in scheduler.run_due().fired] == [kept]


def test_first_sight_of_a_date_trigger_does_not_fire_history(planner: AppFactory) -> None:
    engine = planner(soon=DUE % "0d")
    new_task(engine, due=date(2026, 3, 1))
    runner = RecordingRunner()
    scheduler = Scheduler(engine, runner, worker_id="w1")
    scheduler.run_due()
    advance(engine, timedelta(hours=1))
    assert scheduler.run_due().fired == ()


def test_large_sweeps_run_in_batches_that_keep_ties_together(
    planner: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler_module, "DATE_BATCH", 2)
    engine = planner(remind=REMIND % "0m")
    runner = RecordingRunner(fail_on=4)
    scheduler = Scheduler(engine, runner, worker_id="w1")
    scheduler.run_due()
    minutes = (5, 5, 5, 7, 9)  # three records fire together
    tasks = [new_task(engine, remind_at=START + timedelta(minutes=m)) for m in minutes]
    advance(engine, timedelta(hours=1))
    report = scheduler.run_due()
    assert [f.record_id for f in report.fired] == tasks[:3]  # the second batch failed
    assert [job for job, _ in report.failed] == ["date:remind:0"]
    assert [f.record_id for f in scheduler.run_due().fired] == tasks[3:]
    assert [record for _, _, _, record, _ in runner.dated] == tasks[:3] + tasks[3:]
    assert ticks(engine, "date:remind:0") == [
        (START, "start"),
        (START + timedelta(minutes=5), "w1"),  # the first batch: a sub-tick
        (START + timedelta(hours=1), "w1"),  # the rest, in the next round
    ]


def test_a_sweep_ends_on_the_minute(planner: AppFactory) -> None:
    engine = planner(remind=REMIND % "0m")
    runner = RecordingRunner()
    scheduler = Scheduler(engine, runner, worker_id="w1")
    scheduler.run_due()
    task = new_task(engine, remind_at=START + timedelta(minutes=1, seconds=20))
    advance(engine, timedelta(minutes=1, seconds=40))
    assert scheduler.run_due().fired == ()  # swept up to 01:01:00 only
    advance(engine, timedelta(seconds=20))
    assert [f.record_id for f in scheduler.run_due().fired] == [task]
