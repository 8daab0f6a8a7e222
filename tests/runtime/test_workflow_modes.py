"""Approval modes and sources beyond the sales template: percentage, manager chains, user
fields and expressions, CC read grants, and both overdue actions with a controlled clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from approvals_app import FILES, add_people
from runtime_support import EngineFactory

from engine.errors import Forbidden, NotFound
from engine.runtime.actor import Actor
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.workflow_service import ActionRequest


@pytest.fixture
def app(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str
) -> Engine:
    engine = make_engine(write_app_folder(FILES), database_url)
    add_people(engine)
    return engine


def new_request(engine: Engine, **values: object) -> int:
    record = engine.records.create(
        engine.actor("alice"), "request", {"title": "Laptop", "reviewer": "r1"} | values
    )
    return record.id


def act(engine: Engine, user: str, record_id: int, action: str, **request: object) -> None:
    engine.workflows.act(
        engine.actor(user),
        "request",
        record_id,
        action,
        ActionRequest(**request),  # type: ignore[arg-type]
    )


def status(engine: Engine, record_id: int) -> str:
    return str(engine.records.get(Actor.system(), "request", record_id)["status"])


def open_tasks(engine: Engine, record_id: int) -> list[tuple[str, str]]:
    trail = engine.workflows.trail(Actor.system(), "request", record_id)
    return [
        (t.assignee, t.status) for s in trail if s.step.status == "open" for t in s.tasks if t.open
    ]


def test_percentage_chain_and_named_approvers(app: Engine) -> None:
    record_id = new_request(app)
    act(app, "alice", record_id, "submit")
    act(app, "p1", record_id, "approve")
    assert status(app, record_id) == "panel"  # 60 % of three is two
    act(app, "p2", record_id, "approve")
    assert status(app, record_id) == "chain"
    assert open_tasks(app, record_id) == [("m1", "pending"), ("m2", "waiting")]
    with pytest.raises(Forbidden):  # the second level waits for the first
        act(app, "m2", record_id, "approve")
    act(app, "m1", record_id, "approve")
    assert open_tasks(app, record_id) == [("m2", "pending")]
    act(app, "m2", record_id, "approve")
    assert status(app, record_id) == "named"
    # The expression names the owner, who submitted it: no self-approval, so only r1.
    assert open_tasks(app, record_id) == [("r1", "pending")]
    with pytest.raises(NotFound):  # the watcher may read only their own requests …
        app.records.get(app.actor("w1"), "request", record_id)
    act(app, "r1", record_id, "approve")
    assert status(app, record_id) == "done"
    # … until they are copied (抄送) on it.
    assert app.records.get(app.actor("w1"), "request", record_id).id == record_id
    assert [n.kind for n in app.workflows.inbox(app.actor("w1")).notifications] == ["cc"]


def test_overdue_steps_approve_or_send_back_by_the_clock(app: Engine) -> None:
    clock = app.clock
    assert isinstance(clock, FixedClock)
    today = clock.now().date()
    record_id = new_request(app, deadline=today + timedelta(days=3))
    act(app, "alice", record_id, "submit")
    clock.advance(timedelta(minutes=59))
    assert app.workflows.process_due() == []
    clock.advance(timedelta(minutes=2))
    assert [outcome for _, outcome in app.workflows.process_due()] == ["approve"]
    assert status(app, record_id) == "chain"
    # Due at the end of the day before the deadline (the deadline is a date).
    step = app.workflows.trail(Actor.system(), "request", record_id)[-1].step
    assert step.due_at is not None
    assert step.due_at.date() == today + timedelta(days=3)
    clock.advance(timedelta(days=3))
    assert [outcome for _, outcome in app.workflows.process_due()] == ["send_back"]
    assert status(app, record_id) == "panel"  # the previous step looks again
    history = app.records.history(Actor.system(), "request", record_id)
    assert [(h.by, h.details.get("action")) for h in history[1:]] == [
        ("alice", "submit"),
        (None, "approve"),
        (None, "send_back"),
    ]
    assert isinstance(today, date)
