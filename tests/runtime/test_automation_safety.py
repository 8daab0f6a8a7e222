"""Automations that must not run away or half-happen: loops on one record and across two
records are stopped with a trace, chains stop at the depth limit, the three modes behave
as engine/runtime/automation_service.py says, a change never runs a rule twice, a failing
synchronous action undoes the whole change (and leaves only its `failed` trace, which an
admin can replay once the data is fixed), and bulk creates fire rules per row unless told
not to. SQLite and PostgreSQL, a fixed clock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from automation_app import (
    AppWriter,
    Build,
    at,
    builder,
    history,
    live,
    notes,
    outbox,
    row_counts,
    runs,
    statuses,
    values,
)
from runtime_support import EngineFactory

from engine.automation import ChangeEvent, EventKind
from engine.errors import AutomationFailed, Forbidden, NotFound
from engine.runtime.actor import Actor
from engine.runtime.automation_service import MAX_DEPTH, REPEAT_LIMIT
from engine.runtime.engine import Engine
from engine.runtime.preparation import WriteOptions
from engine.runtime.workflow_service import ActionRequest


@pytest.fixture
def build(make_engine: EngineFactory, write_app_folder: AppWriter, database_url: str) -> Build:
    """The automations app with the rules a test gives."""
    return builder(make_engine, write_app_folder, database_url)


def order(engine: Engine, user: str = "ann", **fields: Any) -> int:
    """Create an order as `user`; its id."""
    return engine.records.create(engine.actor(user), "order", {"title": "A"} | fields).id


def change(engine: Engine, entity: str, record_id: int, **fields: Any) -> None:
    """Update a record as ann."""
    engine.records.update(engine.actor("ann"), entity, record_id, fields, version=None)


def updates(engine: Engine, entity: str, record_id: int) -> int:
    """How many `updated` history entries a record has."""
    return sum(1 for entry in history(engine, entity, record_id) if entry.kind == "updated")


# -- loops ------------------------------------------------------------------------------------


def self_loop(mode: str, guard: str = "count < 50") -> str:
    """A rule that updates the very record it fires on (the guard only keeps a broken
    engine from looping for ever)."""
    return f"""
mode: {mode}
triggers:
  - {{type: record_updated, entity: order}}
conditions:
  - "{guard}"
actions:
  - {{type: set, values: {{count: "=count + 1"}}}}
"""


def test_a_parallel_rule_updating_its_own_record_is_stopped_as_a_loop(build: Build) -> None:
    engine = build(bump=self_loop("parallel"))
    target = order(engine, count=0)
    change(engine, "order", target, note="go")
    assert values(engine, "order", target)["count"] == REPEAT_LIMIT
    assert updates(engine, "order", target) == 1 + REPEAT_LIMIT  # ann's, then the rule's
    found = runs(engine)
    assert [(r.status, r.depth) for r in found] == [
        ("done", 0), ("done", 1), ("done", 2), ("stopped", 3),
    ]  # fmt: skip
    stopped = found[-1]
    path = " → ".join([f"bump on order #{target}"] * 3)
    assert stopped.error == (
        f"stopped: a loop — 'bump' would run a 4th time on order #{target} within one "
        f"change: {path}"
    )
    assert stopped.actions == [] and stopped.conditions == []


def test_a_single_rule_updating_its_own_record_runs_once(build: Build) -> None:
    engine = build(bump=self_loop("single"))
    target = order(engine, count=0)
    change(engine, "order", target, note="go")
    assert values(engine, "order", target)["count"] == 1
    done, stopped = runs(engine)
    assert (done.status, stopped.status, stopped.depth) == ("done", "stopped", 1)
    assert stopped.error == "skipped: it is already running on this record (mode: single)"


def test_a_queued_rule_updating_its_own_record_is_stopped_as_a_loop(build: Build) -> None:
    engine = build(bump=self_loop("queued"))
    target = order(engine, count=0)
    change(engine, "order", target, note="go")
    assert values(engine, "order", target)["count"] <= REPEAT_LIMIT
    assert runs(engine)[-1].status == "stopped"
    assert "a loop" in (runs(engine)[-1].error or "")


def ping_pong(mode: str) -> dict[str, str]:
    """A on an order writes its task; B on the task writes the order back: A → B → A …"""
    a = f"""
mode: {mode}
triggers:
  - {{type: record_updated, entity: order, changed: [score]}}
actions:
  - {{type: update, entity: task, where: "order == record", values: {{hits: "=record.score + 1"}}}}
"""
    b = f"""
mode: {mode}
triggers:
  - {{type: record_updated, entity: task, changed: [hits]}}
actions:
  - type: update
    entity: order
    where: "id == record.order"
    values: {{score: "=record.hits + 1"}}
"""
    return {"ping": a, "pong": b}


@pytest.mark.parametrize(
    ("mode", "score", "hits", "trail"),
    [
        ("parallel", 7, 6, [("ping", 0), ("pong", 1), ("ping", 2), ("pong", 3), ("ping", 4),
                            ("pong", 5), ("ping", 6)]),
        # each queued ping runs after the pong that re-triggered it, on the values it left
        ("queued", 7, 6, [("ping", 0), ("pong", 1), ("ping", 0), ("pong", 1), ("ping", 0),
                          ("pong", 1), ("ping", 2)]),
        ("single", 3, 2, [("ping", 0), ("pong", 1), ("ping", 2)]),
    ],
)  # fmt: skip
def test_a_loop_across_two_records_is_stopped(
    build: Build, mode: str, score: int, hits: int, trail: list[tuple[str, int]]
) -> None:
    engine = build(**ping_pong(mode))
    target = order(engine, score=0)
    task = engine.records.create(engine.actor("ann"), "task", {"name": "t", "order": target}).id
    change(engine, "order", target, score=1)

    assert values(engine, "order", target)["score"] == score
    assert values(engine, "task", task)["hits"] == hits
    found = runs(engine)
    assert [(r.automation, r.depth) for r in found] == trail
    assert [r.status for r in found] == ["done"] * (len(trail) - 1) + ["stopped"]
    error = found[-1].error or ""
    if mode == "single":
        assert error == "skipped: it is already running on this record (mode: single)"
    else:
        assert "stopped: a loop" in error and "4th time" in error
    if mode == "parallel":
        assert error.endswith(f"ping on order #{target} → pong on task #{task} → " * 2
                              + f"ping on order #{target} → pong on task #{task}")  # fmt: skip


SPAWN = """
mode: parallel
triggers:
  - {type: record_created, entity: task}
actions:
  - {type: create, entity: task, values: {name: "=concat(name, '+')"}}
"""


def test_a_chain_deeper_than_the_limit_is_stopped(build: Build) -> None:
    engine = build(spawn=SPAWN)
    first = engine.records.create(engine.actor("ann"), "task", {"name": "t"}).id
    names = [task["name"] for task in live(engine, "task")]
    assert names == ["t" + "+" * n for n in range(MAX_DEPTH + 1)]  # every run made one
    found = runs(engine)
    assert [r.depth for r in found] == list(range(MAX_DEPTH + 1))
    assert [r.status for r in found] == ["done"] * MAX_DEPTH + ["stopped"]
    path = " → ".join(f"spawn on task #{first + n}" for n in range(MAX_DEPTH))
    assert found[-1].error == (
        f"stopped: {MAX_DEPTH} automations deep (the limit is {MAX_DEPTH}): {path}"
    )


# -- modes ------------------------------------------------------------------------------------


def counting(mode: str) -> str:
    """A rule that bumps `count` while it is below 3 — so it fires itself twice more."""
    return f"""
mode: {mode}
triggers:
  - {{type: record_updated, entity: order, changed: [count]}}
conditions:
  - "count < 3"
actions:
  - {{type: set, values: {{count: "=count + 1"}}}}
  - {{type: create, entity: task, values: {{name: step, hits: "=count", order: "=record"}}}}
"""


@pytest.mark.parametrize(
    ("mode", "count", "trail", "hits"),
    [
        ("single", 2, [("done", 0), ("stopped", 1)], [2]),
        ("queued", 3, [("done", 0), ("done", 0)], [2, 3]),
        ("parallel", 3, [("done", 0), ("done", 1)], [3, 3]),
    ],
)
def test_modes_skip_queue_or_nest_a_rerun_on_the_same_record(
    build: Build, mode: str, count: int, trail: list[tuple[str, int]], hits: list[int]
) -> None:
    """single: the rerun is skipped; queued: it runs after the current run, which has
    finished its actions (its task sees count 2); parallel: it runs at once, nested, so the
    outer run's later task already sees the inner run's count."""
    engine = build(counter=counting(mode))
    target = order(engine, count=0)
    change(engine, "order", target, count=1)
    assert values(engine, "order", target)["count"] == count
    assert [(r.status, r.depth) for r in runs(engine)] == trail
    assert sorted(task["hits"] for task in live(engine, "task")) == hits


# -- once -------------------------------------------------------------------------------------

BUMP_ON_AMOUNT = """
triggers:
  - {type: record_updated, entity: order, changed: [amount]}
actions:
  - {type: set, values: {count: "=count + 1"}}
"""


def test_the_same_change_handed_over_again_does_not_run_the_rule_again(build: Build) -> None:
    engine = build(once=BUMP_ON_AMOUNT)
    target = order(engine, amount=Decimal(1), count=0)
    change(engine, "order", target, amount=Decimal(2))
    [run] = runs(engine)
    version = run.event["version"]
    again = ChangeEvent(
        EventKind.UPDATED, "order", target, version, "ann",
        new=values(engine, "order", target) | {"id": target}, old={"amount": Decimal(1)},
        changed=frozenset({"amount"}),
    )  # fmt: skip
    with engine.db.begin() as connection:  # e.g. a retried delivery of the same event
        engine.automations.handle(connection, engine.actor("ann"), [again], None)
    assert len(runs(engine)) == 1
    assert values(engine, "order", target)["count"] == 1


BOTH_WAYS = """
triggers:
  - {type: record_updated, entity: order, changed: [status]}
  - {type: transitioned, entity: order, action: submit}
actions:
  - {type: set, values: {count: "=count + 1"}}
"""


def test_a_rule_watching_a_transition_two_ways_runs_once(build: Build) -> None:
    engine = build(twice=BOTH_WAYS)
    target = order(engine, count=0)
    engine.workflows.act(engine.actor("ann"), "order", target, "submit", ActionRequest())
    assert len(runs(engine)) == 1
    assert values(engine, "order", target)["count"] == 1


def adder(step: int) -> str:
    """A rule that adds `step` to the count of each new order."""
    return f"""
triggers:
  - {{type: record_created, entity: order}}
actions:
  - {{type: set, values: {{count: "=count + {step}"}}}}
"""


def test_two_rules_on_one_change_see_each_others_writes(build: Build) -> None:
    engine = build(add_one=adder(1), add_ten=adder(10))
    target = order(engine, count=0)
    assert statuses(engine) == ["done", "done"]
    assert values(engine, "order", target)["count"] == 11


# -- failure ----------------------------------------------------------------------------------

BROKEN_CREATE = """
triggers:
  - {type: record_created, entity: order}
actions:
  - {type: set, values: {note: touched}}
  - {type: create, entity: task, values: {name: fine, order: "=record"}}
  - {type: notify, to: [{type: users, users: [bob]}], title: "hello"}
  - {type: webhook, url: "https://api.example.com/x"}
  - {type: create, entity: line, values: {order: "=record"}}
"""


def test_a_failing_action_undoes_the_whole_change_and_keeps_a_failed_trace(
    build: Build,
) -> None:
    engine = build(broken=BROKEN_CREATE)
    before = row_counts(engine)
    with pytest.raises(AutomationFailed) as raised:
        order(engine, title="Never")
    error = raised.value
    where = at("broken", BROKEN_CREATE, "type: create, entity: line")
    assert (error.automation, error.where) == ("broken", where)
    assert str(error).startswith(f"the automation 'broken' failed at {where}: ")
    assert error.reason == "validation failed (name: This field is required.)"

    # nothing of the change: no order, task, line, history, inbox note or outbox message
    assert row_counts(engine) == before
    assert live(engine, "order") == [] and notes(engine, "bob") == [] and outbox(engine) == []

    [run] = runs(engine)
    assert (run.status, run.automation, run.error_at) == ("failed", "broken", where)
    assert run.error == error.reason and run.finished_at is not None
    assert [a["type"] for a in run.actions] == ["set", "create", "notify", "webhook", "create"]
    assert run.actions[-1]["error"] == error.reason and run.actions[-1]["at"] == where
    assert "error" not in run.actions[0]


PRICED = """
triggers:
  - {type: record_updated, entity: order, changed: [amount]}
actions:
  - {type: set, values: {note: priced}}
  - {type: lookup, table: prices, inputs: {amount: "=limit"}, as: price}
  - {type: set, values: {level: "=price.level"}}
"""


def test_a_lookup_without_a_match_fails_the_change_and_replay_succeeds_once_fixed(
    build: Build,
) -> None:
    engine = build(priced=PRICED)
    target = order(engine, amount=Decimal(1), limit=Decimal(-5))
    before = row_counts(engine)
    with pytest.raises(AutomationFailed) as raised:
        change(engine, "order", target, amount=Decimal(2))
    where = at("priced", PRICED, "type: lookup")
    assert raised.value.where == where
    assert "no row of the decision table 'prices' matches" in raised.value.reason
    assert row_counts(engine) == before
    kept = values(engine, "order", target)
    assert (kept["amount"], kept["note"], kept["level"]) == (Decimal(1), None, None)
    [failed] = runs(engine)
    assert (failed.status, failed.error_at) == ("failed", where)
    assert failed.actions[0]["set"] == {"note": "priced"}  # what it did before it failed

    root = engine.actor("root")
    with pytest.raises(Forbidden):
        engine.automations.replay(engine.actor("ann"), failed.id)
    with pytest.raises(NotFound):
        engine.automations.replay(root, failed.id + 100)
    with pytest.raises(AutomationFailed):  # the data is still wrong: fails again, traced
        engine.automations.replay(root, failed.id)
    assert statuses(engine) == ["failed", "failed"]

    change(engine, "order", target, limit=Decimal(5))  # fix the data (no rule watches it)
    outcome = engine.automations.replay(root, failed.id)
    assert outcome.status == "done"
    replayed = engine.automations.run(outcome.run_id or 0)
    assert (replayed.replay_of, replayed.status, replayed.error) == (failed.id, "done", None)
    assert replayed.event["replay_of"] == failed.id
    assert values(engine, "order", target)["level"] == "plain"
    assert values(engine, "order", target)["note"] == "priced"


# -- bulk -------------------------------------------------------------------------------------

STAMP = """
triggers:
  - {type: record_created, entity: order}
actions:
  - {type: set, values: {note: "=concat('seen ', title)"}}
"""


def test_bulk_creates_fire_rules_for_every_row_unless_told_not_to(build: Build) -> None:
    engine = build(stamp=STAMP)
    with engine.db.begin() as connection:
        made = engine.records.create_many_in(
            connection, engine.actor("ann"), "order", [{"title": t} for t in ("a", "b", "c")]
        )
    with engine.db.begin() as connection:
        quiet = engine.records.create_many_in(
            connection, Actor.system(), "order", [{"title": t} for t in ("x", "y")],
            WriteOptions(automations=False),
        )  # fmt: skip
    notes_by_id = {o["id"]: o["note"] for o in live(engine, "order")}
    assert notes_by_id == {
        made[0].id: "seen a", made[1].id: "seen b", made[2].id: "seen c",
        quiet[0].id: None, quiet[1].id: None,
    }  # fmt: skip
    assert [(r.record_id, r.status) for r in runs(engine)] == [(r.id, "done") for r in made]
