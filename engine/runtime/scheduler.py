"""The scheduler: fires `schedule` and `date` triggers from the database, once each, and
applies overdue approval steps.

Every enabled automation's `schedule` trigger is a job `schedule:<automation>:<index>`, every
`date` trigger a job `date:<automation>:<index>` (index: the trigger's position in
`triggers:`). A job's progress lives in `fw_schedule_ticks` (app, job, tick_at): its cursor is
the latest `tick_at`. Whoever INSERTs a tick row (`ON CONFLICT DO NOTHING`, one row written →
it is mine) runs that tick, in the same transaction as the run: a crash rolls both back,
so the tick is run again by the next round, and two workers never both run it (on
PostgreSQL the second INSERT waits for the first transaction, then conflicts).

- First sight of a job (no row yet): a row at `now` (`claimed_by` "start"); nothing fires,
  so a fresh install or a newly added automation does not fire history.
- `schedule`: the cron ticks in (cursor, now] (`engine.automation.cron`, in the trigger's
  `timezone`, default the app's), split by the trigger's `catch_up` policy; each tick to
  fire is claimed and run in a transaction of its own, oldest first; ticks passed over get a
  row (`claimed_by` "skipped") so the cursor moves past them.
- `date`: a sweep of the window (cursor, now truncated to the minute] over the entity's live
  records. A record fires when its fire moment falls in the window: for a date field, the
  date at `at` (default 09:00) in the app's time zone, shifted by `offset` on the wall
  clock (`-3d` at 09:00: 09:00 three days before); for a datetime field, the moment plus
  `offset`. Fire moments grow with the field's value, so the window becomes a range of the
  field's column and the database selects the records (by the column's index). Nothing is
  precomputed: changing the field changes when the record fires, and a fire moment moved
  into a window already swept does not fire. A sweep claims its tick row and runs its
  records in one transaction, 500 records at a time: a batch ends at the fire moment of its
  last record (records firing at the same moment stay together) and claims that moment as a
  sub-tick, so a crash between batches neither repeats nor loses a record. Sweeps of one job
  are serialised (PostgreSQL: an advisory lock per job; SQLite: `BEGIN IMMEDIATE`), and each
  reads its cursor after taking the lock, so two workers whose clocks read different
  minutes still never sweep the same window twice.
- Approvals: `engine.workflows.process_due()` (once per step already).
- Formulas that read the clock (`engine.runtime.clock_formulas`): a job `formulas:<entity>`
  per entity that has some; before anything else, the first round of each app day claims
  the day's row (`tick_at`: the day's local midnight) and recomputes them for the entity's
  live records in that transaction, so the rules fired later in the round see fresh values.

A job that fails (its runner raised) is logged and stops for this round; its tick stays
unclaimed and the next round tries again. Other jobs go on.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from engine.automation.cron import CATCH_UP_POLICIES, CronSchedule, catch_up
from engine.runtime.clock_formulas import Refreshed
from engine.runtime.engine import Engine
from engine.spec.model import AutomationSpec, TriggerSpec
from engine.storage.shapes import ShapeKind

__all__ = [
    "DATE_BATCH",
    "FORMULAS_JOB",
    "SKIPPED",
    "START",
    "Firing",
    "Scheduler",
    "SchedulerReport",
    "TimedRunner",
    "default_worker_id",
]

DATE_BATCH: Final = 500
"""The records a date sweep runs per transaction (more when they fire at the same moment)."""

START: Final = "start"
"""`claimed_by` of the row written when a job is first seen (nothing fired)."""

SKIPPED: Final = "skipped"
"""`claimed_by` of a tick passed over by the catch-up policy."""

CLAIMED_BY_LENGTH: Final = 64
DEFAULT_AT: Final = "09:00"
FORMULAS_JOB: Final = "formulas"
"""The job prefix of the daily refresh of an entity's clock-reading formulas."""

log = logging.getLogger(__name__)

_AT = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


class TimedRunner(Protocol):
    """Runs an automation for a tick or a record's fire moment, on the caller's
    connection (inside the transaction that claimed the tick)."""

    def run_scheduled(
        self, connection: Connection, automation: str, trigger_index: int, tick: datetime
    ) -> None:
        """Run `automation` for its `schedule` trigger `trigger_index` at `tick` (UTC)."""
        ...

    def run_dated(
        self,
        connection: Connection,
        automation: str,
        trigger_index: int,
        entity: str,
        record_id: int,
        fire_at: datetime,
    ) -> None:
        """Run `automation` for its `date` trigger on one record, due at `fire_at` (UTC)."""
        ...


@dataclass(frozen=True)
class Firing:
    """One run the scheduler started: a schedule tick, or a record's date timer."""

    job: str
    automation: str
    trigger_index: int
    at: datetime  # the tick, or the record's fire moment
    entity: str | None = None
    record_id: int | None = None


@dataclass(frozen=True)
class SchedulerReport:
    """What one `run_due` did."""

    fired: tuple[Firing, ...] = ()
    skipped: tuple[tuple[str, datetime], ...] = ()  # (job, tick) passed over by catch-up
    started: tuple[str, ...] = ()  # jobs seen for the first time
    approvals: int = 0  # overdue approval steps handled
    failed: tuple[tuple[str, str], ...] = ()  # (job, error) — retried next round
    refreshed: tuple[Refreshed, ...] = ()  # the day's refresh of clock-reading formulas

    @property
    def handled(self) -> int:
        """How many items the round handled (runs fired, approval steps, records whose
        clock-reading formulas changed)."""
        return len(self.fired) + self.approvals + sum(r.changed for r in self.refreshed)


def default_worker_id() -> str:
    """`host:pid`, what a worker writes as `claimed_by` unless told otherwise."""
    return f"{socket.gethostname()}:{os.getpid()}"[-CLAIMED_BY_LENGTH:]


@dataclass(frozen=True)
class _ScheduleJob:
    key: str
    automation: str
    index: int
    schedule: CronSchedule
    policy: str


@dataclass(frozen=True)
class _DateJob:
    """A `date` trigger: which column, and how a value maps to its fire moment."""

    key: str
    automation: str
    index: int
    entity: str
    table: sa.Table
    column: sa.Column[Any]
    is_date: bool  # a date field (else datetime)
    offset: timedelta
    at: timedelta  # time of day of a date field, from midnight
    zone: ZoneInfo

    def fire_at(self, value: date | datetime) -> datetime:
        """When a record whose field holds `value` fires (aware UTC)."""
        if self.is_date:
            wall = datetime.combine(value, time()) + self.at + self.offset
            return wall.replace(tzinfo=self.zone).astimezone(UTC)
        assert isinstance(value, datetime)
        return value.astimezone(UTC) + self.offset

    def window(self, after: datetime, until: datetime) -> sa.ColumnElement[bool]:
        """The records whose fire moment is in (after, until], as a range of the column."""
        if not self.is_date:
            return sa.and_(self.column > after - self.offset, self.column <= until - self.offset)
        first, beyond = self._first_date_after(after), self._first_date_after(until)
        return sa.and_(self.column >= first, self.column < beyond)

    def _first_date_after(self, moment: datetime) -> date:
        """The earliest date whose fire moment is after `moment`."""
        local = moment.astimezone(self.zone).replace(tzinfo=None)
        day = (local - self.offset - self.at).date()
        while self.fire_at(day) <= moment:
            day += timedelta(days=1)
        while self.fire_at(day - timedelta(days=1)) > moment:
            day -= timedelta(days=1)
        return day


@dataclass
class _Round:
    fired: list[Firing] = field(default_factory=list)
    skipped: list[tuple[str, datetime]] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    refreshed: list[Refreshed] = field(default_factory=list)

    def report(self, approvals: int) -> SchedulerReport:
        return SchedulerReport(
            tuple(self.fired),
            tuple(self.skipped),
            tuple(self.started),
            approvals,
            tuple(self.failed),
            tuple(self.refreshed),
        )


class Scheduler:
    """Fires the app's schedules and date timers that fell due, once across all workers.

    `runner` defaults to the engine's automation service (`engine.automations`);
    `worker_id` (at most 64 characters) is written as `claimed_by` of the ticks it runs.
    ValueError when a trigger cannot be scheduled (bad cron, time zone, field or `at`)."""

    def __init__(
        self, engine: Engine, runner: TimedRunner | None = None, *, worker_id: str
    ) -> None:
        if not worker_id or len(worker_id) > CLAIMED_BY_LENGTH:
            raise ValueError(
                f"worker_id must be 1 to {CLAIMED_BY_LENGTH} characters, not {worker_id!r}"
            )
        self.engine = engine
        self.runner: TimedRunner = runner if runner is not None else engine.automations
        self.worker_id = worker_id
        self.ticks = engine.tables.system.schedule_ticks
        self.schedule_jobs: tuple[_ScheduleJob, ...] = ()
        self.date_jobs: tuple[_DateJob, ...] = ()
        self._build_jobs()

    @property
    def jobs(self) -> tuple[str, ...]:
        """The keys of every job: schedules, date timers, then formula refreshes."""
        keys = [job.key for job in self.schedule_jobs]
        keys += [job.key for job in self.date_jobs]
        return (*keys, *(_formulas_job(entity) for entity in self._formula_entities))

    @property
    def _formula_entities(self) -> tuple[str, ...]:
        return tuple(self.engine.clock_formulas.fields)

    def run_due(self) -> SchedulerReport:
        """Fire what fell due by the engine's clock: the day's refresh of clock-reading
        formulas, schedule ticks, date timers, then overdue approval steps."""
        now = self.engine.clock.now().astimezone(UTC)
        done = _Round()
        for entity in self._formula_entities:
            with _guard(done, _formulas_job(entity)):
                self._refresh(entity, now, done)
        for schedule_job in self.schedule_jobs:
            with _guard(done, schedule_job.key):
                self._run_schedule(schedule_job, now, done)
        for date_job in self.date_jobs:
            with _guard(done, date_job.key):
                self._sweep(date_job, now, done)
        approvals = 0
        with _guard(done, "approvals"):
            approvals = len(self.engine.workflows.process_due())
        return done.report(approvals)

    # -- schedules ----------------------------------------------------------------------------

    def _run_schedule(self, job: _ScheduleJob, now: datetime, done: _Round) -> None:
        with self.engine.db.begin(readonly=True) as connection:
            cursor = self._cursor(connection, job.key)
        if cursor is None:
            with self.engine.db.begin() as connection:
                if self._claim(connection, job.key, now, START):
                    done.started.append(job.key)
            return
        ticks = job.schedule.ticks_between(cursor, now)
        plan = catch_up(ticks, job.policy, now=now)
        if plan.skip:
            with self.engine.db.begin() as connection:
                self._claim_all(connection, job.key, plan.skip, SKIPPED)
            done.skipped.extend((job.key, tick) for tick in plan.skip)
        for tick in plan.fire:
            with self.engine.db.begin() as connection:
                if not self._claim(connection, job.key, tick, self.worker_id):
                    continue  # another worker has run it (or is running it)
                self.runner.run_scheduled(connection, job.automation, job.index, tick)
            done.fired.append(Firing(job.key, job.automation, job.index, tick))

    # -- clock-reading formulas ---------------------------------------------------------------

    def _refresh(self, entity: str, now: datetime, done: _Round) -> None:
        """Once per app day: claim the day (its local midnight) and refresh the entity."""
        zone = ZoneInfo(self._app_zone())
        day = now.astimezone(zone).date()
        midnight = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
        with self.engine.db.begin() as connection:
            if not self._claim(connection, _formulas_job(entity), midnight, self.worker_id):
                return  # done today (by this worker or another)
            refreshed = self.engine.clock_formulas.refresh_in(connection, entity)
        done.refreshed.append(refreshed)

    # -- date timers --------------------------------------------------------------------------

    def _sweep(self, job: _DateJob, now: datetime, done: _Round) -> None:
        until = now.replace(second=0, microsecond=0)
        while True:
            fired: list[Firing] = []
            with self.engine.db.begin() as connection:
                self._lock(connection, job.key)
                cursor = self._cursor(connection, job.key)
                if cursor is None:
                    if self._claim(connection, job.key, now, START):
                        done.started.append(job.key)
                    return
                if until <= cursor:
                    return
                records, end = self._batch(connection, job, cursor, until)
                if not self._claim(connection, job.key, end, self.worker_id):
                    return  # cannot happen under the lock; never run a window twice
                for record_id, fire_at in records:
                    self.runner.run_dated(
                        connection, job.automation, job.index, job.entity, record_id, fire_at
                    )
                    fired.append(
                        Firing(job.key, job.automation, job.index, fire_at, job.entity, record_id)
                    )
            done.fired.extend(fired)
            if end >= until:
                return

    def _batch(
        self, connection: Connection, job: _DateJob, cursor: datetime, until: datetime
    ) -> tuple[list[tuple[int, datetime]], datetime]:
        """The next records to fire in (cursor, until], oldest fire moment first, and the
        moment the batch runs to (`until`, or its last record's fire moment)."""
        table, column = job.table, job.column
        query = (
            sa.select(table.c.id, column)
            .where(job.window(cursor, until), table.c.deleted_at.is_(None))
            .order_by(column, table.c.id)
        )
        rows = connection.execute(query.limit(DATE_BATCH + 1)).all()
        end = until
        if len(rows) > DATE_BATCH:
            end = job.fire_at(rows[DATE_BATCH - 1][1])
            ties = query.where(job.window(cursor, end))
            rows = connection.execute(ties).all()
        return [(int(row[0]), job.fire_at(row[1])) for row in rows], end

    # -- tick rows ----------------------------------------------------------------------------

    def _cursor(self, connection: Connection, job: str) -> datetime | None:
        c = self.ticks.c
        query = sa.select(sa.func.max(c.tick_at)).where(c.app == self.engine.app.id, c.job == job)
        found: datetime | None = connection.execute(query).scalar_one_or_none()
        return found

    def _lock(self, connection: Connection, job: str) -> None:
        """Serialise the sweeps of `job` until the transaction ends (PostgreSQL; SQLite's
        writers are serialised already)."""
        if connection.dialect.name != "postgresql":
            return
        name = f"{self.engine.app.id}\0{job}".encode()
        key = int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))

    def _row(self, job: str, tick: datetime, claimed_by: str) -> dict[str, Any]:
        return {
            "app": self.engine.app.id,
            "job": job,
            "tick_at": tick,
            "claimed_by": claimed_by,
            "claimed_at": self.engine.clock.now(),
        }

    def _claim(self, connection: Connection, job: str, tick: datetime, claimed_by: str) -> bool:
        """Insert the tick row; True when this transaction wrote it (the tick is mine)."""
        insert = sqlite_insert if connection.dialect.name == "sqlite" else postgresql_insert
        values = insert(self.ticks).values(**self._row(job, tick, claimed_by))
        # RETURNING, not rowcount: psycopg reports -1 rows for an INSERT that returns keys
        statement = values.on_conflict_do_nothing().returning(self.ticks.c.tick_at)
        return connection.execute(statement).first() is not None

    def _claim_all(
        self, connection: Connection, job: str, ticks: Sequence[datetime], claimed_by: str
    ) -> None:
        insert = sqlite_insert if connection.dialect.name == "sqlite" else postgresql_insert
        rows = [self._row(job, tick, claimed_by) for tick in ticks]
        connection.execute(insert(self.ticks).on_conflict_do_nothing(), rows)

    # -- jobs ---------------------------------------------------------------------------------

    def _build_jobs(self) -> None:
        schedules: list[_ScheduleJob] = []
        dates: list[_DateJob] = []
        for automation in self.engine.app.automations.values():
            if not automation.enabled:
                continue
            for index, trigger in enumerate(automation.triggers):
                try:
                    if trigger.type == "schedule":
                        schedules.append(self._schedule_job(automation, index, trigger))
                    elif trigger.type == "date":
                        dates.append(self._date_job(automation, index, trigger))
                except ValueError as error:
                    where = f"{automation.file}, trigger {index}"
                    raise ValueError(
                        f"automation '{automation.name}' ({where}) cannot be scheduled: {error}"
                    ) from None
        self.schedule_jobs, self.date_jobs = tuple(schedules), tuple(dates)

    def _app_zone(self) -> str:
        return self.engine.app.timezone or "UTC"

    def _schedule_job(
        self, automation: AutomationSpec, index: int, trigger: TriggerSpec
    ) -> _ScheduleJob:
        zone = trigger.option("timezone") or self._app_zone()
        schedule = CronSchedule(str(trigger.option("cron", "")), str(zone))
        policy = trigger.option("catch_up", CATCH_UP_POLICIES[0])
        if policy not in CATCH_UP_POLICIES:
            choices = ", ".join(CATCH_UP_POLICIES)
            raise ValueError(f"catch_up is {policy!r}, not one of {choices}")
        key = f"schedule:{automation.name}:{index}"
        return _ScheduleJob(key, automation.name, index, schedule, str(policy))

    def _date_job(self, automation: AutomationSpec, index: int, trigger: TriggerSpec) -> _DateJob:
        entity, name = trigger.entity, trigger.option("field")
        if entity is None or not isinstance(name, str):
            raise ValueError("a date trigger needs `entity` and `field`")
        try:
            storage = self.engine.tables.storage(entity, name)
        except KeyError as error:
            raise ValueError(str(error.args[0])) from None
        kind = storage.shape.kind
        if kind not in (ShapeKind.DATE, ShapeKind.DATETIME) or not storage.has_column:
            raise ValueError(f"'{entity}.{name}' is not a stored date or datetime field")
        at = str(trigger.option("at", DEFAULT_AT))
        match = _AT.match(at)
        if match is None:
            raise ValueError(f"at is {at!r}: write a time of day as HH:MM, e.g. '09:00'")
        table = self.engine.tables.entity(entity)
        return _DateJob(
            key=f"date:{automation.name}:{index}",
            automation=automation.name,
            index=index,
            entity=entity,
            table=table,
            column=table.c[name],
            is_date=kind is ShapeKind.DATE,
            offset=trigger.offset or timedelta(0),
            at=timedelta(hours=int(match.group(1)), minutes=int(match.group(2))),
            zone=ZoneInfo(self._app_zone()),
        )


def _formulas_job(entity: str) -> str:
    return f"{FORMULAS_JOB}:{entity}"


@contextmanager
def _guard(done: _Round, job: str) -> Iterator[None]:
    """Log a failing job and note it in the round; the other jobs go on."""
    try:
        yield
    except Exception as error:  # one bad job must not stop the others
        log.exception("the scheduler's job %s failed; it runs again next round", job)
        done.failed.append((job, f"{type(error).__name__}: {error}"))
