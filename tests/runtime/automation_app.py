"""A small app whose rules use every trigger and action type, for the automation tests:
orders (with a workflow and an approval), order lines, tasks, a price table; the rules
live in `RULES` and a test writes only the ones it needs (`files(...)`)."""

from __future__ import annotations

from collections.abc import Mapping

from engine.runtime.engine import Engine

APP = """
app: autos
title: Automations
locales: [en]
timezone: Asia/Shanghai
roles:
  staff: {label: Staff}
  lead: {label: Lead}
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
  score: {type: number}
  level: {type: text}
  note: {type: text}
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
    reject: {from: review, to: draft}
    send_back: {from: review, to: draft}
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
  - {when: {amount: "-"}, then: {level: plain}}
"""

BASE: Mapping[str, str] = {
    "app.yaml": APP,
    "entities/order.yaml": ORDER,
    "entities/line.yaml": LINE,
    "entities/task.yaml": TASK,
    "tables/prices.yaml": PRICES,
}


def files(**rules: str) -> dict[str, str]:
    """The app with the given rules (`name` → YAML body of rules/<name>.yaml)."""
    found = dict(BASE)
    for name, text in rules.items():
        found[f"rules/{name}.yaml"] = f"automation: {name}\nlabel: {name}\n" + text
    return found


def add_people(engine: Engine) -> None:
    """boss heads team Sales (id 1) with ann, bob, cy (staff); root is an admin."""
    people = engine.people
    people.create_user("boss")
    team = people.create_team("Sales", manager="boss")
    for name in ("ann", "bob", "cy"):
        people.create_user(name, team_id=team.id, email=f"{name}@example.com")
        people.grant_role(engine.app.id, name, "staff")
    people.create_user("root", is_admin=True)
