from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from automation_app import add_people, files
from runtime_support import EngineFactory


def test_smoke(make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str) -> None:
    rules = files(
        price_level="""
triggers:
  - {type: record_created, entity: order}
  - {type: record_updated, entity: order, changed: [amount]}
conditions: ["amount > 0"]
actions:
  - {type: lookup, table: prices, inputs: {amount: "=amount"}, as: price}
  - {type: set, values: {level: "=price.level"}}
  - {type: create, entity: task, values: {name: "=concat('check ', title)", order: "=record"}, as: t}
  - type: notify
    to: [{type: user_field, field: owner}]
    title: "New {{ record.title }} at {{ price.level }}"
""",
    )
    engine = make_engine(write_app_folder(rules), database_url)
    add_people(engine)
    ann = engine.actor("ann")
    order = engine.records.create(ann, "order", {"title": "A", "owner": "ann", "amount": Decimal(1500)})
    assert order.values["level"] == "gold"
    runs = engine.automations.runs()
    print(runs)
    assert [r.status for r in runs] == ["done"]
    notes = engine.workflows.inbox(ann).notifications
    assert notes[0].title == "New A at gold"
