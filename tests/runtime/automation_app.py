"""A small app whose rules use every trigger and action type, for the automation tests:
orders (with a workflow and an approval), order lines, tasks, a price table; the rules
live in the test and a test writes only the ones it needs (`files(...)`).

Helpers the tests import by name: `builder` (an engine over the app with the given rules
and people), `at` (where a line of a rule is: `rules/x.yaml:LINE`, as traces name it) and
readers of what a run left — traces oldest first, outbox rows, inbox notes, history, live
records.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from runtime_support import EngineFactory

from engine.errors import AppInvalid
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.history import HistoryEntry
from engine.runtime.outbox import OutboxRow, OutboxStore
from engine.runtime.run_traces import RunRow
from engine.workflow.step_store import Notification

APP = """
app: autos
title: Automations
locales: [en, zh]
timezone: Asia/Shanghai
roles:
  staff: {label: Staff}
  lead: {label: Lead}
settings:
  webhook: {url: "https://hooks.example.com/notify"}
"""

ORDER = """
entity: order
label: Order
title_field: title
fields:
  title: {type: text, required: true}
  owner: {type: user}
  team: {type: team}
  amount: {type: money}
  limit: {type: money}
  score: {type: number}
  level: {type: text}
  note: {type: text}
  count: {type: number}
  due_on: {type: date}
  ship_at: {type: datetime}
  big: {type: boolean}
  status: {type: state}
permissions:
  staff: {create: true, read: all, update: all, delete: all}
workflow:
  field: status
  states:
    draft: {initial: true}
    review:
      approval:
        approvers: [{type: users, users: [boss]}]
        due: {after: 1h}
        on_overdue: remind
    open: {}
    done: {final: true}
  transitions:
    submit: {from: draft, to: review}
    approve: {from: review, to: open}
    reject: {from: review, to: draft, comment: required}
    send_back: {from: review, to: draft, comment: required}
    finish: {from: open, to: done}
"""

LINE = """
entity: line
label: Line
title_field: name
fields:
  name: {type: text, required: true}
  order: {type: link, to: order}
  weight: {type: number}
  share: {type: money}
  qty: {type: number}
permissions:
  staff: {create: true, read: all, update: all, delete: all}
"""

TASK = """
entity: task
label: Task
title_field: name
fields:
  name: {type: text, required: true}
  order: {type: link, to: order}
  assignee: {type: user}
  code: {type: text}
  hits: {type: number}
permissions:
  staff: {create: true, read: all, update: all, delete: all}
"""

PRICES = """
table: prices
label: Prices
hit_policy: first
inputs:
  - {name: amount, type: money}
outputs:
  - {name: level, type: text}
rules:
  - {when: {amount: ">= 1000"}, then: {level: gold}}
  - {when: {amount: ">= 0"}, then: {level: plain}}
"""

BASE: Mapping[str, str] = {
    "app.yaml": APP,
    "entities/order.yaml": ORDER,
    "entities/line.yaml": LINE,
    "entities/task.yaml": TASK,
    "tables/prices.yaml": PRICES,
}

HEADER = "automation: {name}\nlabel: {name}\n"
"""What `files` writes before a rule's body (two lines)."""

AppWriter = Callable[[Mapping[str, str]], Path]
Build = Callable[..., Engine]
"""`build(**rules)`: the engine over the app with these rules, with `add_people` done."""


def rule_file(name: str, body: str) -> str:
    """The text of rules/<name>.yaml for a rule body (dedented, leading blank lines cut)."""
    return HEADER.format(name=name) + textwrap.dedent(body).lstrip("\n")


def files(**rules: str) -> dict[str, str]:
    """The app with the given rules (`name` → YAML body of rules/<name>.yaml)."""
    found = dict(BASE)
    for name, body in rules.items():
        found[f"rules/{name}.yaml"] = rule_file(name, body)
    return found


def at(name: str, body: str, needle: str) -> str:
    """`rules/<name>.yaml:LINE` of the first line of the rule that contains `needle`."""
    lines = rule_file(name, body).splitlines()
    found = [number for number, text in enumerate(lines, start=1) if needle in text]
    assert found, f"{needle!r} is not in the rule {name}"
    return f"rules/{name}.yaml:{found[0]}"


def add_people(engine: Engine) -> None:
    """boss heads team Sales (id 1) with ann, bob, cy (staff, ann in zh); root is an admin."""
    people = engine.people
    people.create_user("boss")
    team = people.create_team("Sales", manager="boss")
    for name in ("ann", "bob", "cy"):
        locale = "zh" if name == "ann" else "en"
        people.create_user(name, team_id=team.id, email=f"{name}@example.com", locale=locale)
        people.grant_role(engine.app.id, name, "staff")
    people.grant_role(engine.app.id, "cy", "lead")
    people.create_user("root", is_admin=True)


def builder(make_engine: EngineFactory, write_app_folder: AppWriter, database_url: str) -> Build:
    """A `Build` over one database (each call rewrites the rules it is given)."""

    def build(**rules: str) -> Engine:
        try:
            engine = make_engine(write_app_folder(files(**rules)), database_url)
        except AppInvalid as error:  # show what `check` says about the rules
            problems = "\n".join(str(d) for d in error.diagnostics if "ERROR" in str(d))
            raise AssertionError(f"the rules do not check:\n{problems}") from None
        add_people(engine)
        return engine

    return build


# -- what runs leave ------------------------------------------------------------------------


def runs(engine: Engine, automation: str | None = None) -> list[RunRow]:
    """The stored runs (of one automation), oldest first."""
    return list(reversed(engine.automations.runs(automation=automation, limit=1000)))


def statuses(engine: Engine, automation: str | None = None) -> list[str]:
    """The statuses of the stored runs, oldest first."""
    return [run.status for run in runs(engine, automation)]


def outbox(engine: Engine) -> list[OutboxRow]:
    """Every outbox message of the app, oldest first."""
    store = OutboxStore(engine.tables.system, engine.app.id)
    with engine.db.begin(readonly=True) as connection:
        return list(reversed(store.list_messages(connection, limit=1000)))


def notes(engine: Engine, username: str, kind: str | None = "automation") -> list[Notification]:
    """A user's inbox notifications (of one kind), oldest first."""
    found = engine.workflows.inbox(engine.actor(username)).notifications
    chosen = [note for note in found if kind is None or note.kind == kind]
    return sorted(chosen, key=lambda note: note.id)


def history(engine: Engine, entity: str, record_id: int) -> list[HistoryEntry]:
    """A record's history, oldest first (read as the system)."""
    return engine.records.history(Actor.system(), entity, record_id)


def live(engine: Engine, entity: str, filter: str | None = None) -> list[dict[str, Any]]:
    """The live records of an entity (values with `id`), by id."""
    page = engine.records.list(Actor.system(), entity, filter=filter, sort=["id"], limit=500)
    return [dict(record.values) | {"id": record.id} for record in page.records]


def values(engine: Engine, entity: str, record_id: int) -> dict[str, Any]:
    """A record's current values."""
    return dict(engine.records.get(Actor.system(), entity, record_id).values)


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows (deleted ones too) of every entity table and of the tables a change writes
    besides them: history, inbox notifications, outbox, approval steps, sequences."""
    system = engine.tables.system
    tables = {name: engine.tables.entity(name) for name in ("order", "line", "task")}
    tables |= {
        "history": system.history,
        "notifications": system.notifications,
        "outbox": system.outbox,
        "steps": system.approval_steps,
        "sequences": system.sequences,
    }
    with engine.db.begin(readonly=True) as connection:
        return {
            name: int(connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
            for name, table in tables.items()
        }
