"""The embedded worker applies overdue approval steps, once, and survives a bad round."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from runtime_support import SALES_APP, EngineFactory
from workflow_support import act, add_sales_people, new_contract

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.worker import Worker


@pytest.fixture
def sales(make_engine: EngineFactory, database_url: str) -> Engine:
    engine = make_engine(SALES_APP, database_url)
    add_sales_people(engine)
    return engine


def test_a_round_reminds_overdue_approvers_once(sales: Engine) -> None:
    clock = sales.clock
    assert isinstance(clock, FixedClock)
    act(sales, "rep_east_1", new_contract(sales, "rep_east_1"), "submit")
    worker = Worker(sales, interval=0.01)
    assert worker.run_once() == 0
    clock.advance(timedelta(hours=49))
    worker.run_once()
    assert worker.last is not None and worker.last.schedule is not None
    assert worker.last.schedule.approvals == 1
    # the daily 09:30 (Shanghai) schedule of rules/stale_customers.yaml fired its 3 ticks
    assert len(worker.last.schedule.fired) == 3
    assert worker.run_once() == 0
    notes = sales.workflows.inbox(sales.actor("manager_east")).notifications
    # the step's own reminder, and rules/contract_approval_overdue.yaml's escalation
    assert sorted(n.kind for n in notes) == ["automation", "reminder"]
    (escalation,) = [n for n in notes if n.kind == "automation"]
    assert escalation.title is not None and "overdue" in escalation.title.lower()


def test_the_thread_runs_rounds_until_stopped(sales: Engine) -> None:
    clock = sales.clock
    assert isinstance(clock, FixedClock)
    act(sales, "rep_east_1", new_contract(sales, "rep_east_1"), "submit")
    clock.advance(timedelta(hours=49))
    worker = Worker(sales, interval=0.01)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not sales.workflows.inbox(sales.actor("manager_east")).notifications:
            assert time.monotonic() < deadline, "the worker never ran"
            time.sleep(0.02)
    finally:
        worker.stop()
    assert worker._thread is None


def test_a_failing_round_is_logged_not_fatal(
    sales: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> list[object]:
        raise RuntimeError("database went away")

    monkeypatch.setattr(sales.workflows, "process_due", broken)
    assert Worker(sales).run_once() == 0
    assert "job approvals failed" in caplog.text
