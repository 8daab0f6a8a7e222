"""A small app for the tests of the roll-up write path (engine/runtime/rollup_holders.py and
`Rollups.refresh`): sales feed buckets (link roll-ups on an entity with no formula and no
automation: moved in place), thirds (a sum of thousandths kept to the cent: a difference
is not exact, so it is aggregated) and plans (`match` roll-ups with `where`, one reading
`add_months(this.start, -12)`, one whose sources are plans themselves, formulas over them
(share = actual / goal, goal = amount or planned) and a threshold rule on share).

Helpers the tests import by name: `make_ledger_engine`, `sale`, `plan`, `change`,
`values`, `version`, `recompute`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from runtime_support import EngineFactory

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.record import Record

__all__ = ["change", "make_ledger_engine", "plan", "recompute", "sale", "values", "version"]

APP = """
app: ledger
title: Ledger
locales: [en]
timezone: Asia/Shanghai
roles:
  staff: {label: Staff}
"""

SALE = """
entity: sale
label: Sale
title_field: name
fields:
  name: {type: text, required: true}
  bucket: {type: link, to: bucket}
  amount: {type: money}
  status:
    type: select
    default: open
    options: [{value: open, label: Open}, {value: closed, label: Closed}]
  owner: {type: user}
  day: {type: date}
  part: {type: number, precision: 3}
  note: {type: text}
permissions:
  staff: {create: true, read: all, update: all, delete: all}
"""

BUCKET = """
entity: bucket
label: Bucket
title_field: name
fields:
  name: {type: text, required: true}
  sales: {type: rollup, source: sale, link: bucket, aggregate: count, result: integer}
  open_total:
    type: rollup
    source: sale
    link: bucket
    aggregate: sum
    field: amount
    where: "status == 'open'"
    result: money
permissions:
  staff: {create: true, read: all, update: all, delete: all}
"""

THIRDS = """
entity: thirds
label: Thirds
title_field: name
fields:
  name: {type: text, required: true}
  bucket: {type: link, to: bucket}
  thirds:
    type: rollup
    source: sale
    match: "bucket == this.bucket"
    aggregate: sum
    field: part
    result: money
permissions:
  staff: {create: true, read: all, update: all, delete: all}
"""

PLAN = """
entity: plan
label: Plan
title_field: name
fields:
  name: {type: text, required: true}
  owner: {type: user}
  start: {type: date, required: true}
  end: {type: date, required: true}
  kind:
    type: select
    default: leaf
    options: [{value: leaf, label: Leaf}, {value: sum, label: Sum}]
  amount: {type: money}
  actual:
    type: rollup
    source: sale
    match: "day >= this.start and day <= this.end and owner == this.owner"
    where: "status == 'open'"
    aggregate: sum
    field: amount
    result: money
  sold:
    type: rollup
    source: sale
    match: "day >= this.start and day <= this.end and owner == this.owner"
    aggregate: count
    result: integer
  last_year:
    type: rollup
    source: sale
    match: >-
      day >= add_months(this.start, -12) and day <= add_months(this.end, -12)
      and owner == this.owner
    where: "status == 'open'"
    aggregate: sum
    field: amount
    result: money
  planned:
    type: rollup
    source: plan
    match: "kind == 'leaf' and start >= this.start and end <= this.end and owner == this.owner"
    where: "not is_blank(amount)"
    aggregate: sum
    field: amount
    result: money
  goal: {type: formula, expr: "amount if not is_blank(amount) else planned", result: money}
  share: {type: formula, expr: "actual / goal if goal > 0 else None", result: percent}
permissions:
  staff: {create: true, read: all, update: all, delete: all}
"""

ALERT = """
entity: alert
label: Alert
title_field: name
fields:
  name: {type: text, required: true}
  plan: {type: link, to: plan}
permissions:
  staff: {create: true, read: all, update: all, delete: all}
"""

HALF = """
automation: half
label: Half the plan sold
triggers:
  - {type: threshold, entity: plan, field: share, value: 0.5}
actions:
  - {type: create, entity: alert, values: {name: half, plan: "=record"}}
"""

FILES: Mapping[str, str] = {
    "app.yaml": APP,
    "entities/sale.yaml": SALE,
    "entities/bucket.yaml": BUCKET,
    "entities/thirds.yaml": THIRDS,
    "entities/plan.yaml": PLAN,
    "entities/alert.yaml": ALERT,
    "rules/half.yaml": HALF,
}

AppWriter = Callable[[Mapping[str, str]], Path]
SYSTEM = Actor.system()


def make_ledger_engine(
    make_engine: EngineFactory, write_app_folder: AppWriter, database_url: str
) -> Engine:
    """The engine over the app, with ann and bob (staff)."""
    engine = make_engine(write_app_folder(FILES), database_url)
    for name in ("ann", "bob"):
        engine.people.create_user(name, locale="en")
        engine.people.grant_role(engine.app.id, name, "staff")
    return engine


def sale(engine: Engine, name: str, **fields: Any) -> Record:
    """A new sale, created by ann."""
    return engine.records.create(engine.actor("ann"), "sale", {"name": name} | fields)


def plan(engine: Engine, name: str, **fields: Any) -> Record:
    """A new plan, created by ann."""
    return engine.records.create(engine.actor("ann"), "plan", {"name": name} | fields)


def change(engine: Engine, entity: str, record: Record | int, **fields: Any) -> Record:
    """ann's update of a record."""
    record_id = record if isinstance(record, int) else record.id
    return engine.records.update(engine.actor("ann"), entity, record_id, fields, version=None)


def values(engine: Engine, entity: str, record: Record | int) -> dict[str, Any]:
    """A record's current values, read as the system."""
    record_id = record if isinstance(record, int) else record.id
    return dict(engine.records.get(SYSTEM, entity, record_id).values)


def version(engine: Engine, entity: str, record: Record | int) -> int:
    """A record's current version."""
    record_id = record if isinstance(record, int) else record.id
    return engine.records.get(SYSTEM, entity, record_id).version


def recompute(engine: Engine) -> int:
    """How many records a full recompute of every roll-up changes (0: all were current)."""
    with engine.db.begin() as connection:
        return engine.records.rollups.recompute(connection, engine.records)
