"""A small app of roll-up fields, for the roll-up tests: accounts hold link roll-ups over
their items (count, a sum with `where`, avg, min, a datetime max as a local date) and a
formula over one of them; periods hold `match` roll-ups over the items of one user between
two dates; two threshold rules watch an account's roll-up and its formula.

Helpers the tests import by name: `make_rollup_engine` (the engine over the app with ann
and bob as staff), `item` / `change` (writes of items as ann), `values`, `version`,
`history`, `runs`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from runtime_support import EngineFactory

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.history import HistoryEntry
from engine.runtime.record import Record
from engine.runtime.run_traces import RunRow

__all__ = [
    "FILES",
    "change",
    "history",
    "item",
    "make_rollup_engine",
    "runs",
    "values",
    "version",
]

APP = """
app: rolls
title: Roll-ups
locales: [en]
timezone: Asia/Shanghai
roles:
  staff: {label: Staff}
"""

ACCOUNT = """
entity: account
label: Account
title_field: name
fields:
  name: {type: text, required: true}
  goal: {type: money}
  item_count: {type: rollup, source: item, link: account, aggregate: count, result: integer}
  open_total:
    type: rollup
    source: item
    link: account
    aggregate: sum
    field: amount
    where: "status == 'open'"
    result: money
  avg_amount:
    {type: rollup, source: item, link: account, aggregate: avg, field: amount, result: money}
  min_amount:
    {type: rollup, source: item, link: account, aggregate: min, field: amount, result: money}
  last_seen:
    {type: rollup, source: item, link: account, aggregate: max, field: seen_at, result: date}
  ratio: {type: formula, expr: "open_total / goal if goal > 0 else None", result: percent}
permissions:
  staff: {create: true, read: all, update: all, delete: all}
"""

ITEM = """
entity: item
label: Item
title_field: name
fields:
  name: {type: text, required: true}
  account: {type: link, to: account}
  amount: {type: money}
  status:
    type: select
    default: open
    options: [{value: open, label: Open}, {value: closed, label: Closed}]
  seen_at: {type: datetime}
  day: {type: date}
  owner: {type: user}
  note: {type: text}
permissions:
  staff: {create: true, read: all, update: all, delete: all}
"""

PERIOD = """
entity: period
label: Period
title_field: name
fields:
  name: {type: text, required: true}
  user: {type: user}
  start: {type: date, required: true}
  end: {type: date, required: true}
  total:
    type: rollup
    source: item
    match: "day >= this.start and day <= this.end and owner == this.user"
    aggregate: sum
    field: amount
    result: money
  items:
    type: rollup
    source: item
    match: "day >= this.start and day <= this.end and owner == this.user"
    aggregate: count
    result: integer
permissions:
  staff: {create: true, read: all, update: all, delete: all}
"""

ALERT = """
entity: alert
label: Alert
title_field: name
fields:
  name: {type: text, required: true}
  account: {type: link, to: account}
permissions:
  staff: {create: true, read: all, update: all, delete: all}
"""

OVER_TOTAL = """
automation: over_total
label: Open total over 1000
triggers:
  - {type: threshold, entity: account, field: open_total, value: 1000}
actions:
  - {type: create, entity: alert, values: {name: total, account: "=record"}}
"""

OVER_RATIO = """
automation: over_ratio
label: Half the goal
triggers:
  - {type: threshold, entity: account, field: ratio, value: 0.5}
actions:
  - {type: create, entity: alert, values: {name: ratio, account: "=record"}}
"""

FILES: Mapping[str, str] = {
    "app.yaml": APP,
    "entities/account.yaml": ACCOUNT,
    "entities/item.yaml": ITEM,
    "entities/period.yaml": PERIOD,
    "entities/alert.yaml": ALERT,
    "rules/over_total.yaml": OVER_TOTAL,
    "rules/over_ratio.yaml": OVER_RATIO,
}

AppWriter = Callable[[Mapping[str, str]], Path]
SYSTEM = Actor.system()


def make_rollup_engine(
    make_engine: EngineFactory, write_app_folder: AppWriter, database_url: str
) -> Engine:
    """The engine over the app, with ann and bob (staff)."""
    engine = make_engine(write_app_folder(FILES), database_url)
    for name in ("ann", "bob"):
        engine.people.create_user(name, locale="en")
        engine.people.grant_role(engine.app.id, name, "staff")
    return engine


def item(engine: Engine, name: str, **fields: Any) -> Record:
    """A new item, created by ann."""
    return engine.records.create(engine.actor("ann"), "item", {"name": name} | fields)


def change(engine: Engine, record: Record | int, **fields: Any) -> Record:
    """ann's update of an item."""
    record_id = record if isinstance(record, int) else record.id
    return engine.records.update(engine.actor("ann"), "item", record_id, fields, version=None)


def values(engine: Engine, entity: str, record: Record | int) -> dict[str, Any]:
    """A record's current values, read as the system."""
    record_id = record if isinstance(record, int) else record.id
    return dict(engine.records.get(SYSTEM, entity, record_id).values)


def version(engine: Engine, entity: str, record: Record | int) -> int:
    """A record's current version."""
    record_id = record if isinstance(record, int) else record.id
    return engine.records.get(SYSTEM, entity, record_id).version


def history(engine: Engine, entity: str, record: Record | int) -> list[HistoryEntry]:
    """A record's history, oldest first."""
    record_id = record if isinstance(record, int) else record.id
    return engine.records.history(SYSTEM, entity, record_id)


def runs(engine: Engine, automation: str) -> list[RunRow]:
    """The automation's runs, oldest first."""
    return engine.automations.runs(automation=automation, limit=500)[::-1]
