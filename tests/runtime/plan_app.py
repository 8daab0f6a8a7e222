"""A tiny planning app for the tests of actions that generate plans (`for_each` over
periods, members and teams; `create` with `where`): a `plan` (a team, a date range, an
amount, how to split it; a workflow draft → published → closed) and its `slot`s (one per
period, member or team).

Helpers the tests import by name: `plan_files` (the app folder with the given rules),
`add_staff` (a small team tree with people) and `plan_builder` (an engine over the app).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from runtime_support import EngineFactory

from engine.errors import AppInvalid
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine

APP = """
app: plans
title: Plans
locales: [en]
timezone: Asia/Shanghai
week_start: {week_start}
roles:
  rep: {{label: Rep}}
  manager: {{label: Manager}}
"""

PLAN = """
entity: plan
label: Plan
title_field: name
fields:
  name: {type: text, required: true}
  team: {type: team}
  start: {type: date}
  end: {type: date}
  split: {type: text}
  amount: {type: money}
  note: {type: text}
  status: {type: state}
permissions:
  rep: {create: true, read: all, update: all, delete: all}
workflow:
  field: status
  states:
    draft: {initial: true}
    published: {}
    closed: {final: true}
  transitions:
    publish: {from: draft, to: published}
    close: {from: published, to: closed}
"""

SLOT = """
entity: slot
label: Slot
title_field: name
fields:
  name: {type: text, required: true}
  plan: {type: link, to: plan}
  start: {type: date}
  end: {type: date}
  idx: {type: integer}
  kind: {type: text}
  user: {type: user}
  boss: {type: user}
  team: {type: team}
  weight: {type: number}
  share: {type: money}
permissions:
  rep: {create: true, read: all, update: all, delete: all}
"""

HEADER = "automation: {name}\nlabel: {name}\n"


def plan_files(week_start: str = "monday", **rules: str) -> dict[str, str]:
    """The app folder (path → YAML) with these rules (`name` → body of rules/<name>.yaml)."""
    found = {
        "app.yaml": APP.format(week_start=week_start),
        "entities/plan.yaml": PLAN,
        "entities/slot.yaml": SLOT,
    }
    for name, body in rules.items():
        found[f"rules/{name}.yaml"] = HEADER.format(name=name) + textwrap.dedent(body).lstrip()
    return found


def add_staff(engine: Engine) -> dict[str, int]:
    """Company (head: ceo) ⊃ East (head: eve; reps bob, ann, and cat who left; dan with no
    role) ⊃ East North (rep: nia); Company ⊃ West (head: wes; rep: will); Annex (no one).
    Team ids by name."""
    people, app = engine.people, engine.app.id
    for name in ("ceo", "eve", "wes"):
        people.create_user(name, name=name.upper())
    company = people.create_team("Company", manager="ceo")
    west = people.create_team("West", parent_id=company.id, manager="wes")
    east = people.create_team("East", parent_id=company.id, manager="eve")
    north = people.create_team("East North", parent_id=east.id)
    annex = people.create_team("Annex", parent_id=company.id)
    people.set_team("eve", east.id)
    people.grant_role(app, "eve", "manager")
    for name, team in (("bob", east), ("ann", east), ("cat", east), ("nia", north)):
        people.create_user(name, name=name.title(), team_id=team.id)
        people.grant_role(app, name, "rep")
    people.create_user("will", name="Will", team_id=west.id)
    people.grant_role(app, "will", "rep")
    people.create_user("dan", team_id=east.id)
    people.deactivate("cat")
    teams = (company, west, east, north, annex)
    return {team.name: team.id for team in teams}


Build = Callable[..., Engine]
AppWriter = Callable[[Mapping[str, str]], Path]


def plan_builder(make_engine: EngineFactory, write_app_folder: AppWriter, url: str) -> Build:
    """`build(week_start="monday", **rules)`: the engine over the plan app, staffed."""

    def build(week_start: str = "monday", **rules: str) -> Engine:
        try:
            engine = make_engine(write_app_folder(plan_files(week_start, **rules)), url)
        except AppInvalid as error:  # show what `check` says about the rules
            problems = "\n".join(str(d) for d in error.diagnostics if "ERROR" in str(d))
            raise AssertionError(f"the rules do not check:\n{problems}") from None
        add_staff(engine)
        return engine

    return build


def rows(engine: Engine, entity: str) -> list[dict[str, Any]]:
    """Every live record of `entity` (values with `id`), by id, read as the system."""
    page = engine.records.list(Actor.system(), entity, sort=["id"], limit=500)
    return [dict(record.values) | {"id": record.id} for record in page.records]
