"""Every change trigger end to end: a rule fires on exactly the changes its trigger and
filters describe (record created / updated with `changed`, `from`, `to` / deleted,
workflow transitions, approval events, threshold crossings, manual buttons), its
conditions read the record, `old`, relations, `me()` and `today()`, and each run leaves a
trace (status, event, conditions with their values, actions with their YAML place).
SQLite and PostgreSQL, a fixed clock."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from automation_app import AppWriter, Build, at, builder, history, live, notes, runs, values
from runtime_support import EngineFactory

from engine.errors import Forbidden, NotFound
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.spec.model_values import label_text


@pytest.fixture
def build(make_engine: EngineFactory, write_app_folder: AppWriter, database_url: str) -> Build:
    """The automations app with the rules a test gives."""
    return builder(make_engine, write_app_folder, database_url)


def new_order(engine: Engine, user: str = "ann", **fields: Any) -> int:
    """Create an order as `user`; its id."""
    return engine.records.create(engine.actor(user), "order", {"title": "A", **fields}).id


def change(engine: Engine, record_id: int, user: str = "ann", **fields: Any) -> None:
    """Update an order as `user`."""
    engine.records.update(engine.actor(user), "order", record_id, fields, version=None)


def numbers(texts: list[str]) -> list[Decimal]:
    """A trace's numbers (exact text) as Decimals."""
    return [Decimal(text) for text in texts]


def act(engine: Engine, user: str, record_id: int, action: str, comment: str = "") -> None:
    """Take a workflow action on an order."""
    from engine.runtime.workflow_service import ActionRequest

    request = ActionRequest(comment=comment or None)
    engine.workflows.act(engine.actor(user), "order", record_id, action, request)


# -- record_created -------------------------------------------------------------------------

CREATED = """
triggers:
  - {type: record_created, entity: order}
actions:
  - {type: set, values: {note: "=concat('new ', title)"}}
"""


def test_record_created_fires_once_per_created_record_and_traces_it(build: Build) -> None:
    engine = build(created=CREATED)
    order = new_order(engine, title="Alpha")
    engine.records.create(engine.actor("ann"), "task", {"name": "not an order"})

    assert values(engine, "order", order)["note"] == "new Alpha"
    [run] = runs(engine)
    assert (run.automation, run.status, run.trigger_type, run.trigger_index) == (
        "created", "done", "record_created", 0,
    )  # fmt: skip
    assert (run.entity, run.record_id, run.actor, run.depth) == ("order", order, "ann", 0)
    assert run.event["kind"] == "created" and run.event["record_id"] == order
    assert run.conditions == []
    assert run.actions == [
        {
            "type": "set",
            "at": at("created", CREATED, "type: set"),
            "pointer": "/actions/0",
            "set": {"note": "new Alpha"},
        }
    ]
    assert run.error is None and run.error_at is None and run.finished_at is not None
    # the rule's write is in the history, naming the rule and whose change fired it
    [_, by_rule] = history(engine, "order", order)
    assert by_rule.changes["note"] == [None, "new Alpha"]
    assert by_rule.details["automation"] == "created" and by_rule.details["for"] == "ann"


# -- record_updated -------------------------------------------------------------------------

CHANGED = """
triggers:
  - {type: record_updated, entity: order, changed: [amount, score]}
actions:
  - {type: set, values: {limit: "=old.amount", note: changed}}
"""


def test_record_updated_fires_only_when_a_watched_field_really_changes(build: Build) -> None:
    engine = build(changed=CHANGED)
    order = new_order(engine, amount=Decimal(10))
    assert runs(engine) == []  # a create is not an update

    change(engine, order, title="renamed")  # a field it does not watch
    change(engine, order, amount=Decimal(10))  # an unchanged save writes nothing
    assert runs(engine) == []

    change(engine, order, amount=Decimal(25))
    [run] = runs(engine)
    assert run.status == "done" and run.trigger_type == "record_updated"
    assert run.event["changed"] == ["amount"]
    assert numbers(run.event["changes"]["amount"]) == [10, 25]
    assert run.actions[0]["set"]["note"] == "changed"
    assert Decimal(run.actions[0]["set"]["limit"]) == 10
    assert values(engine, "order", order)["limit"] == Decimal(10)
    # the rule's own `set` of `note` is an update too, but not of a watched field
    change(engine, order, amount=Decimal(25), title="again")
    assert len(runs(engine)) == 1


FROM_TO = """
triggers:
  - type: record_updated
    entity: order
    from: {level: low}
    to: {level: high}
actions:
  - {type: set, values: {count: "=count + 1"}}
"""


def test_record_updated_from_and_to_need_both_values(build: Build) -> None:
    engine = build(escalated=FROM_TO)
    order = new_order(engine, level="low", count=0)
    for level in ("mid", "high", "low"):  # low→mid: no; mid→high: from fails; high→low: to fails
        change(engine, order, level=level)
    assert runs(engine) == []
    change(engine, order, level="high")  # low → high
    [run] = runs(engine)
    assert run.status == "done" and run.event["changes"] == {"level": ["low", "high"]}
    assert values(engine, "order", order)["count"] == 1
    change(engine, order, note="touched")  # still high, but `level` did not move
    assert len(runs(engine)) == 1


# -- record_deleted -------------------------------------------------------------------------

DELETED = """
triggers:
  - {type: record_deleted, entity: order}
actions:
  - {type: create, entity: task, values: {name: "=concat('gone: ', title)"}}
"""


def test_record_deleted_fires_with_the_last_values(build: Build) -> None:
    engine = build(deleted=DELETED)
    order = new_order(engine, title="Doomed")
    change(engine, order, note="x")
    assert runs(engine) == []
    engine.records.delete(engine.actor("ann"), "order", order)
    [run] = runs(engine)
    assert (run.status, run.trigger_type, run.event["kind"]) == (
        "done",
        "record_deleted",
        "deleted",
    )
    [task] = live(engine, "task")
    assert task["name"] == "gone: Doomed"
    assert run.actions[0]["created"] == {"entity": "task", "id": task["id"]}


# -- transitioned ---------------------------------------------------------------------------

ON_SUBMIT = """
triggers:
  - {type: transitioned, entity: order, action: submit}
actions:
  - {type: create, entity: task, values: {name: "submitted", order: "=record"}}
"""
LEAVING_REVIEW = """
triggers:
  - {type: transitioned, entity: order, from: review}
actions:
  - {type: create, entity: task, values: {name: "left review", order: "=record"}}
"""
INTO_OPEN_OR_DONE = """
triggers:
  - {type: transitioned, entity: order, to: [open, done]}
actions:
  - {type: create, entity: task, values: {name: "=concat('now ', status)", order: "=record"}}
"""


def test_transitioned_filters_by_action_from_and_to(build: Build) -> None:
    engine = build(on_submit=ON_SUBMIT, leaving=LEAVING_REVIEW, arriving=INTO_OPEN_OR_DONE)
    order = new_order(engine)
    act(engine, "ann", order, "submit")
    act(engine, "boss", order, "approve")
    act(engine, "ann", order, "finish")

    names = [task["name"] for task in live(engine, "task")]
    assert names == ["submitted", "now open", "left review", "now done"]  # rules by name
    found = [(r.automation, r.event["action"], r.event["from_state"], r.event["to_state"])
             for r in runs(engine)]  # fmt: skip
    assert found == [
        ("on_submit", "submit", "draft", "review"),
        ("arriving", "approve", "review", "open"),
        ("leaving", "approve", "review", "open"),
        ("arriving", "finish", "open", "done"),
    ]
    assert all(r.status == "done" and r.trigger_type == "transitioned" for r in runs(engine))


# -- approval events ------------------------------------------------------------------------


def approval_rule(event: str) -> str:
    """A rule that records the approval event as a task."""
    return f"""
triggers:
  - {{type: approval, entity: order, event: {event}, state: review}}
actions:
  - {{type: create, entity: task, values: {{name: "{event}", order: "=record"}}}}
"""


EVENTS = ("submitted", "approved", "rejected", "sent_back", "overdue")


def test_every_approval_event_fires_its_rule(build: Build, clock: FixedClock) -> None:
    engine = build(**{f"on_{event}": approval_rule(event) for event in EVENTS})
    approved, rejected, sent_back, late = (new_order(engine, title=t) for t in "ABCD")
    for order in (approved, rejected, sent_back, late):
        act(engine, "ann", order, "submit")
    act(engine, "boss", approved, "approve")
    act(engine, "boss", rejected, "reject", "no")
    act(engine, "boss", sent_back, "send_back", "fix it")
    assert engine.workflows.process_due() == []
    clock.advance(timedelta(hours=2))
    assert len(engine.workflows.process_due()) == 1  # only D's step is still open
    assert engine.workflows.process_due() == []  # overdue once

    tasks = {(task["order"], task["name"]) for task in live(engine, "task")}
    assert tasks == {
        (approved, "submitted"), (rejected, "submitted"), (sent_back, "submitted"),
        (late, "submitted"), (approved, "approved"), (rejected, "rejected"),
        (sent_back, "sent_back"), (late, "overdue"),
    }  # fmt: skip
    for run in runs(engine):
        assert run.status == "done" and run.trigger_type == "approval"
        assert run.event["approval"] == run.automation.removeprefix("on_")
        assert run.event["state"] == "review"
    assert len(runs(engine)) == 8


# -- threshold ------------------------------------------------------------------------------

UP = """
triggers:
  - {type: threshold, entity: order, field: score, value: 100}
actions:
  - {type: create, entity: task, values: {name: up, hits: "=score", order: "=record"}}
"""
DOWN = """
triggers:
  - {type: threshold, entity: order, field: score, value: 100, direction: down}
actions:
  - {type: create, entity: task, values: {name: down, hits: "=score", order: "=record"}}
"""


def test_threshold_fires_once_per_crossing_in_its_direction(build: Build) -> None:
    engine = build(up=UP, down=DOWN)
    order = new_order(engine, score=50)
    assert runs(engine) == []  # a create crosses nothing
    for score in (150, 170, 100, 90, 95, 100, 120):
        change(engine, order, score=score)
    found = [(task["name"], task["hits"]) for task in live(engine, "task")]
    assert found == [("up", 150), ("down", 90), ("up", 100)]
    assert [(r.automation, numbers(r.event["changes"]["score"])) for r in runs(engine)] == [
        ("up", [Decimal(50), Decimal(150)]),
        ("down", [Decimal(100), Decimal(90)]),
        ("up", [Decimal(95), Decimal(100)]),
    ]


EXPRESSION_LIMIT = """
triggers:
  - {type: threshold, entity: order, field: amount, value: "=limit"}
actions:
  - {type: set, values: {big: true}}
"""


def test_threshold_value_may_be_an_expression_over_the_record(build: Build) -> None:
    engine = build(over_limit=EXPRESSION_LIMIT)
    order = new_order(engine, amount=Decimal(10), limit=Decimal(500))
    change(engine, order, amount=Decimal(499))
    assert runs(engine) == [] and values(engine, "order", order)["big"] is not True
    change(engine, order, amount=Decimal(500))
    [run] = runs(engine)
    assert run.status == "done" and run.trigger_type == "threshold"
    assert values(engine, "order", order)["big"] is True
    change(engine, order, amount=Decimal(900))  # still above: no second run
    assert len(runs(engine)) == 1


# -- manual ---------------------------------------------------------------------------------

MANUAL = """
triggers:
  - {type: manual, entity: order, label: Escalate, roles: [lead]}
actions:
  - {type: set, values: {level: escalated}}
"""
MANUAL_ANYONE = """
triggers:
  - {type: manual, entity: order}
actions:
  - {type: set, values: {count: "=count + 1"}}
"""


def test_manual_runs_for_the_roles_it_names_and_refuses_others(build: Build) -> None:
    engine = build(escalate=MANUAL, bump=MANUAL_ANYONE)
    order = new_order(engine, count=0)
    ann, cy = engine.actor("ann"), engine.actor("cy")
    assert [b.automation for b in engine.automations.manual_buttons(ann, "order")] == ["bump"]
    buttons = engine.automations.manual_buttons(cy, "order")
    assert [b.automation for b in buttons] == ["bump", "escalate"]
    with pytest.raises(Forbidden):
        engine.automations.run_manual(ann, "order", order, "escalate")
    assert runs(engine) == [] and values(engine, "order", order)["level"] is None

    outcome = engine.automations.run_manual(cy, "order", order, "escalate")
    assert outcome.status == "done"
    assert values(engine, "order", order)["level"] == "escalated"
    [run] = runs(engine)
    assert (run.id, run.trigger_type, run.actor, run.event["kind"]) == (
        outcome.run_id, "manual", "cy", "manual",
    )  # fmt: skip
    # a manual run is not deduplicated: pressing twice runs twice
    engine.automations.run_manual(ann, "order", order, "bump")
    engine.automations.run_manual(ann, "order", order, "bump")
    assert values(engine, "order", order)["count"] == 2
    with pytest.raises(NotFound):
        engine.automations.run_manual(cy, "order", order, "nope")


def test_a_manual_button_carries_its_label(build: Build) -> None:
    engine = build(escalate=MANUAL, bump=MANUAL_ANYONE)
    buttons = engine.automations.manual_buttons(engine.actor("cy"), "order")
    assert [(b.automation, label_text(b.label, "en")) for b in buttons] == [
        ("bump", "bump"), ("escalate", "Escalate"),
    ]  # fmt: skip


# -- conditions -----------------------------------------------------------------------------

CONDITIONS = """
triggers:
  - {type: record_updated, entity: order, changed: [amount]}
conditions:
  - "amount > old.amount"
  - "owner.team.name == 'Sales'"
  - "owner == me()"
  - "due_on <= today()"
actions:
  - {type: set, values: {note: passed}}
"""


def test_conditions_read_old_values_relations_the_user_and_the_clock(
    build: Build, clock: FixedClock
) -> None:
    engine = build(guarded=CONDITIONS)
    today = date(2026, 3, 2)  # 09:00 in Shanghai
    order = new_order(engine, owner="ann", amount=Decimal(100), due_on=today)
    where = [at("guarded", CONDITIONS, line) for line in (
        "amount > old", "owner.team", "owner == me", "due_on <=")]  # fmt: skip

    change(engine, order, amount=Decimal(50))  # down: the first condition fails
    change(engine, order, "bob", amount=Decimal(60))  # bob is not the owner
    change(engine, order, "ann", due_on=today + timedelta(days=1))  # not yet due
    change(engine, order, "ann", amount=Decimal(70))
    clock.advance(timedelta(days=1))
    change(engine, order, "ann", amount=Decimal(80))

    first, second, third, fourth = runs(engine)
    assert [r.status for r in (first, second, third, fourth)] == [
        "skipped", "skipped", "skipped", "done",
    ]  # fmt: skip
    assert first.conditions == [
        {"expr": "amount > old.amount", "at": where[0], "pointer": "/conditions/0", "value": False}
    ]
    assert [c["value"] for c in second.conditions] == [True, True, False]
    assert second.conditions[2]["at"] == where[2] and second.actor == "bob"
    assert [c["value"] for c in third.conditions] == [True, True, True, False]
    assert third.conditions[3]["expr"] == "due_on <= today()"
    assert [c["value"] for c in fourth.conditions] == [True, True, True, True]
    assert first.actions == second.actions == third.actions == []
    assert values(engine, "order", order)["note"] == "passed"


LINKED = """
triggers:
  - {type: record_created, entity: line}
conditions:
  - "order.amount >= 1000"
actions:
  - {type: set, values: {name: "=concat(name, ' of ', order.title)"}}
"""


def test_a_condition_follows_a_link_field(build: Build) -> None:
    engine = build(linked=LINKED)
    big, small = (
        new_order(engine, title="Big", amount=Decimal(1000)),
        new_order(engine, amount=Decimal(999)),
    )
    staff = engine.actor("ann")
    first = engine.records.create(staff, "line", {"name": "l1", "order": big})
    second = engine.records.create(staff, "line", {"name": "l2", "order": small})
    assert first["name"] == "l1 of Big" and second["name"] == "l2"
    assert [(r.record_id, r.status) for r in runs(engine)] == [
        (first.id, "done"), (second.id, "skipped"),
    ]  # fmt: skip
    assert runs(engine)[1].conditions[0]["value"] is False


def test_a_rule_with_two_triggers_runs_once_per_change(build: Build) -> None:
    rule = """
    triggers:
      - {type: record_updated, entity: order, changed: [score]}
      - {type: threshold, entity: order, field: score, value: 10}
    actions:
      - {type: set, values: {count: "=count + 1"}}
    """
    engine = build(twice=rule)
    order = new_order(engine, score=1, count=0)
    change(engine, order, score=20)  # both triggers match the same change
    assert values(engine, "order", order)["count"] == 1
    [run] = runs(engine)
    assert run.trigger_index == 0


def test_a_disabled_rule_never_fires(build: Build) -> None:
    engine = build(disabled_rule="enabled: false\n" + CREATED)
    new_order(engine)
    assert runs(engine) == []
    assert notes(engine, "ann") == []
