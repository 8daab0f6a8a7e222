"""A small app with one approval of each kind, for the workflow tests: a panel of named
users completing by percentage with an auto-approving due time, a two-level manager chain
due a day before a date field (sending back when overdue), and a step approved by a user
field and an expression, copying a watcher (抄送)."""

from __future__ import annotations

from engine.runtime.engine import Engine

APP = """
app: approvals
title: Approvals
locales: [en]
timezone: UTC
roles:
  staff: {label: Staff}
  watcher: {label: Watcher}
"""

REQUEST = """
entity: request
label: Request
title_field: title
fields:
  title: {type: text, required: true}
  owner: {type: user, default: "=me()"}
  reviewer: {type: user}
  deadline: {type: date}
  status: {type: state}
permissions:
  staff: {create: true, read: own, update: own}
  watcher: {read: own}
workflow:
  field: status
  states:
    draft: {initial: true}
    panel:
      approval:
        approvers: [{type: users, users: [p1, p2, p3]}]
        mode: percentage
        percent: 60
        due: {after: 1h}
        on_overdue: approve
    chain:
      approval:
        approvers: [{type: manager_chain, levels: 2}]
        due: {field: deadline, offset: -1d}
        on_overdue: send_back
    named:
      approval:
        approvers:
          - {type: user_field, field: reviewer}
          - {type: expression, expr: "owner"}
        mode: all
    done:
      final: true
      cc: [{type: users, users: [w1]}]
  transitions:
    submit: {from: draft, to: panel}
    approve:
      - {from: panel, to: chain}
      - {from: chain, to: named}
      - {from: named, to: done}
    send_back: {from: [chain, named], to: [draft, panel]}
"""

FILES = {"app.yaml": APP, "entities/request.yaml": REQUEST}


def add_people(engine: Engine) -> None:
    """alice (staff) in Desk, headed by m1; Desk under Office, headed by m2; panel p1–p3;
    reviewer r1; watcher w1 (may read only their own requests)."""
    people = engine.people
    people.create_user("m2")
    office = people.create_team("Office", manager="m2")
    people.create_user("m1", team_id=office.id)
    desk = people.create_team("Desk", parent_id=office.id, manager="m1")
    people.create_user("alice", team_id=desk.id)
    for name in ("alice", "p1", "p2", "p3", "r1"):
        if name != "alice":
            people.create_user(name)
        people.grant_role("approvals", name, "staff")
    people.create_user("w1")
    people.grant_role("approvals", "w1", "watcher")
