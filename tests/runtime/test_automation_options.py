"""Rule options beyond triggers and actions: decision tables with `=` cells and computed
outputs (the `lookup` action evaluates them over the table's inputs), and `on_import`."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from automation_app import add_people, files
from runtime_support import EngineFactory

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine

TIERS = """
table: tiers
label: Tiers
hit_policy: first
inputs:
  - {name: amount, type: money}
  - {name: level, type: text}
outputs:
  - {name: rate, type: percent}
  - {name: bonus, type: money}
rules:
  - when: {amount: "=? >= 1000 and level == 'gold'", level: "-"}
    then: {rate: 0.1, bonus: "=amount * 0.1"}
  - {when: {amount: "-", level: "-"}, then: {rate: 0.01, bonus: "=amount / 100"}}
"""

RATE = """
triggers:
  - {type: record_created, entity: order}
actions:
  - {type: lookup, table: tiers, inputs: {amount: "=amount", level: "=level"}, as: tier}
  - {type: set, values: {score: "=tier.bonus", big: "=tier.rate > 0.05"}}
"""


def _engine(
    make_engine: EngineFactory,
    write_app_folder: Callable[..., Path],
    database_url: str,
    **rules: str,
) -> Engine:
    app = files(**rules) | {"tables/tiers.yaml": TIERS}
    engine = make_engine(write_app_folder(app), database_url)
    add_people(engine)
    return engine


def test_expression_cells_and_outputs_are_evaluated(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str
) -> None:
    engine = _engine(make_engine, write_app_folder, database_url, rate=RATE)
    ann = engine.actor("ann")
    gold = engine.records.create(
        ann, "order", {"title": "G", "amount": Decimal(2000), "level": "gold"}
    )
    plain = engine.records.create(
        ann, "order", {"title": "P", "amount": Decimal(2000), "level": "plain"}
    )
    assert (gold.values["score"], gold.values["big"]) == (Decimal(200), True)
    assert (plain.values["score"], plain.values["big"]) == (Decimal(20), False)
    lookup = engine.automations.runs(record_id=gold.id, entity="order")[0].actions[0]
    assert lookup["type"] == "lookup"
    assert {k: Decimal(v) for k, v in lookup["outputs"].items()} == {
        "rate": Decimal("0.1"),
        "bonus": Decimal(200),
    }


def test_on_import_false_skips_bulk_creates_only(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str
) -> None:
    rule = """
on_import: false
triggers:
  - {type: record_created, entity: order}
actions:
  - {type: set, values: {note: "one at a time"}}
"""
    engine = _engine(make_engine, write_app_folder, database_url, single=rule)
    ann = engine.actor("ann")
    one = engine.records.create(ann, "order", {"title": "One"})
    with engine.db.begin() as connection:
        bulk = engine.records.create_many_in(
            connection, Actor.system(), "order", [{"title": "A"}, {"title": "B"}]
        )
    assert one.values["note"] == "one at a time"
    for record in bulk:
        assert engine.records.get(Actor.system(), "order", record.id).values["note"] is None
    assert [run.record_id for run in engine.automations.runs()] == [one.id]


ON_ENTER_ORDER = """
entity: order
label: Order
title_field: title
fields:
  title: {type: text, required: true}
  owner: {type: user}
  note: {type: text}
  status: {type: state}
permissions:
  staff: {create: true, read: all, update: all}
workflow:
  field: status
  states:
    draft: {initial: true}
    open:
      on_enter:
        - {type: set, values: {owner: "=me()", note: opened}}
        - {type: create, entity: task, values: {name: "=concat('ship ', title)", order: "=record"}}
    done: {final: true}
  transitions:
    start: {from: draft, to: open}
    finish: {from: open, to: done}
"""


def test_a_state_runs_its_on_enter_actions_in_the_transition(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str
) -> None:
    app = files() | {"entities/order.yaml": ON_ENTER_ORDER}
    engine = make_engine(write_app_folder(app), database_url)
    add_people(engine)
    ann = engine.actor("ann")
    order = engine.records.create(ann, "order", {"title": "Kit"})
    moved = engine.workflows.act(ann, "order", order.id, "start")
    assert moved.values["status"] == "open"
    assert (moved.values["note"], moved.values["owner"]) == ("opened", "ann")
    tasks = engine.records.list(ann, "task").records
    assert [(t.values["name"], t.values["order"]) for t in tasks] == [("ship Kit", order.id)]
    (run,) = engine.automations.runs()
    assert (run.automation, run.trigger_type, run.status) == (
        "on_enter:order.open",
        "on_enter",
        "done",
    )
    assert [action["type"] for action in run.actions] == ["set", "create"]
    assert run.actions[0]["at"].startswith("entities/order.yaml:")
