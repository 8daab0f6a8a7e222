"""Several workers on one PostgreSQL database fire each tick and each date timer exactly once.

Each run writes a row into a test table in the transaction that claimed it, so only
committed runs count: a worker that lost a race rolled its row back with its claim.
PostgreSQL only (SQLite's writers queue on one lock; `test_scheduler.py` covers it).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from runtime_support import START, EngineFactory
from scheduler_support import RUNS, TableRunner, planner_files, worker_process
from sqlalchemy.engine import Connection

from engine.runtime.actor import Actor
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.scheduler import Scheduler

WORKERS = 3
WAIT_S = 60.0

RULES = {
    "hourly": "{type: schedule, cron: '0 * * * *'}",
    "remind": "{type: date, entity: task, field: remind_at, offset: 0m}",
    "due_soon": "{type: date, entity: task, field: due, offset: -1d, at: '08:30'}",
}


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("two workers racing is a PostgreSQL test")
    return database_url


@pytest.fixture
def app_dir(write_app_folder: Callable[..., Path]) -> Path:
    return write_app_folder(planner_files(**RULES))


@pytest.fixture
def planner(make_engine: EngineFactory, app_dir: Path, postgres_url: str) -> Iterator[Engine]:
    """The planner app with a runs table, every job seen once at START."""
    engine = make_engine(app_dir, postgres_url)
    with engine.db.begin() as connection:
        RUNS.create(connection)
    Scheduler(engine, TableRunner("setup"), worker_id="setup").run_due()
    yield engine


def runs(engine: Engine) -> list[tuple[str, int | None, datetime]]:
    c = RUNS.c
    with engine.db.begin(readonly=True) as connection:
        rows = connection.execute(sa.select(c.automation, c.record_id, c.at)).all()
    return [(row[0], row[1], row[2]) for row in rows]


def test_worker_processes_fire_each_tick_and_timer_once(
    planner: Engine, app_dir: Path, postgres_url: str
) -> None:
    system = Actor.system()
    tasks = []
    for n in range(40):
        values = {"title": f"t{n}", "remind_at": START + timedelta(minutes=35 * n + 1)}
        values["due"] = date(2026, 3, 4) + timedelta(days=n % 3)  # fires 3 to 5 March
        tasks.append(planner.records.create(system, "task", values).id)
    moment = START + timedelta(days=3, minutes=5)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    results = context.Queue()
    processes = [
        context.Process(
            target=worker_process,
            # clocks a minute apart: the sweeps' windows differ, the lock keeps them apart
            args=(str(app_dir), postgres_url, (moment + timedelta(minutes=i)).isoformat()),
            kwargs={"worker": f"w{i}", "barrier": barrier, "results": results},
        )
        for i in range(WORKERS)
    ]
    for process in processes:
        process.start()
    reports = [results.get(timeout=WAIT_S * 2) for _ in processes]
    for process in processes:
        process.join(WAIT_S)
    assert [failed for _, _, failed in reports] == [[]] * WORKERS
    done = runs(planner)
    assert sum(fired for _, fired, _ in reports) == len(done)
    counts = Counter(done)
    assert max(counts.values()) == 1, [run for run, n in counts.items() if n > 1]
    hourly = sorted(at for name, _, at in done if name == "hourly")
    assert hourly == [START + timedelta(hours=h) for h in range(1, 73)]
    assert sorted(record for name, record, _ in done if name == "remind") == tasks
    assert sorted(record for name, record, _ in done if name == "due_soon") == sorted(tasks)


class BlockingRunner(TableRunner):
    """Writes its row, then holds the transaction open until released."""

    def __init__(self, worker: str) -> None:
        super().__init__(worker)
        self.inside = threading.Event()
        self.release = threading.Event()

    def run_scheduled(
        self, connection: Connection, automation: str, trigger_index: int, tick: datetime
    ) -> None:
        super().run_scheduled(connection, automation, trigger_index, tick)
        self.inside.set()
        assert self.release.wait(WAIT_S)


def lock_waiters(engine: Engine) -> int:
    """Backends waiting on a lock while inserting a tick row."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND query ILIKE '%fw_schedule_ticks%'"
    )
    with engine.db.begin(readonly=True) as connection:
        return int(connection.execute(query).scalar_one())


def test_the_second_claim_waits_for_the_first_then_skips(
    planner: Engine, make_engine: EngineFactory, app_dir: Path, postgres_url: str
) -> None:
    other = make_engine(app_dir, postgres_url)  # a pool of its own, as another process
    clock = planner.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(hours=1))
    first_runner, second_runner = BlockingRunner("a"), TableRunner("b")
    first = Scheduler(planner, first_runner, worker_id="a")
    second = Scheduler(other, second_runner, worker_id="b")
    reports: dict[str, int] = {}

    def run(name: str, scheduler: Scheduler) -> None:
        report = scheduler.run_due()
        reports[name] = len([f for f in report.fired if f.automation == "hourly"])

    holder = threading.Thread(target=run, args=("a", first))
    holder.start()
    assert first_runner.inside.wait(WAIT_S)
    waiter = threading.Thread(target=run, args=("b", second))
    waiter.start()
    deadline = time.monotonic() + WAIT_S
    while lock_waiters(planner) == 0:
        assert time.monotonic() < deadline, "the second INSERT never waited"
        time.sleep(0.05)
    assert waiter.is_alive()
    first_runner.release.set()
    holder.join(WAIT_S)
    waiter.join(WAIT_S)
    assert reports == {"a": 1, "b": 0}
    assert [(name, at) for name, _, at in runs(planner)] == [("hourly", START + timedelta(hours=1))]
