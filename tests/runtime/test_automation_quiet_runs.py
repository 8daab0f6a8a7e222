"""Runs fired by another automation's change leave no trace when their conditions do not
hold (a plan's publication fires thousands of them); runs fired by a person's change are
traced either way, so "why did my rule not fire?" keeps its answer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from automation_app import AppWriter, Build, builder, runs, statuses, values
from runtime_support import EngineFactory

from engine.runtime.engine import Engine

# On every order: create a task for it. On every task: mark big orders' tasks.
RULES = {
    "make_task": """
        triggers: [{type: record_created, entity: order}]
        actions:
          - {type: create, entity: task, values: {name: "=title", order: "=record"}}
    """,
    "mark_big": """
        triggers: [{type: record_created, entity: task}]
        conditions: ["order.amount >= 1000"]
        actions:
          - {type: set, values: {code: big}}
    """,
}


@pytest.fixture
def build(make_engine: EngineFactory, write_app_folder: AppWriter, database_url: str) -> Build:
    return builder(make_engine, write_app_folder, database_url)


def new(engine: Engine, model: str, **fields: Any) -> int:
    return engine.records.create(engine.actor("ann"), model, fields).id


def test_a_rule_fired_by_a_rule_is_traced_only_when_it_runs(build: Build) -> None:
    engine = build(**RULES)
    new(engine, "order", title="small", amount=Decimal(10))
    assert statuses(engine, "make_task") == ["done"]
    assert runs(engine, "mark_big") == []  # its condition was false: no trace
    new(engine, "order", title="large", amount=Decimal(5000))
    [run] = runs(engine, "mark_big")
    assert run.status == "done"
    assert values(engine, "task", run.record_id or 0)["code"] == "big"


def test_a_rule_fired_by_a_person_is_traced_even_when_skipped(build: Build) -> None:
    engine = build(**RULES)
    order = new(engine, "order", title="small", amount=Decimal(10))
    new(engine, "task", name="by hand", order=order)
    [run] = runs(engine, "mark_big")
    assert run.status == "skipped"
    assert [(c["expr"], c["value"]) for c in run.conditions] == [("order.amount >= 1000", False)]
