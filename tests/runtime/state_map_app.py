"""A small ticket app for the state-map tests: version 1 has a `pending` state and a
`review` approval step; later versions remove them, with or without `state_map:`."""

from __future__ import annotations

APP = """
app: desk
title: Desk
locales: [en]
roles:
  agent: {label: Agent}
"""

TICKET = """
entity: ticket
label: Ticket
fields:
  title: {type: text, required: true}
permissions:
  agent: {create: true, read: all, update: all, delete: all}
workflow:
  field: status
  states:
    open: {initial: true, label: Open}
%(states)s
    closed: {final: true, label: Closed}
  transitions:
    close: {from: "*", to: closed}
%(transitions)s
%(state_map)s
"""

V1_STATES = """\
    pending: {label: Pending}
    review:
      label: Review
      approval:
        approvers: [{type: role, role: agent}]
        mode: any"""
V1_TRANSITIONS = """\
    wait: {from: open, to: pending}
    submit: {from: open, to: review}
    approve: {from: review, to: closed}"""


def ticket(*, removed: bool, state_map: str = "") -> str:
    """The ticket entity: version 1, or without `pending` and `review` (with `state_map`)."""
    if not removed:
        return TICKET % {"states": V1_STATES, "transitions": V1_TRANSITIONS, "state_map": ""}
    mapping = f"  state_map: {state_map}" if state_map else ""
    return TICKET % {"states": "", "transitions": "", "state_map": mapping}


def files(*, removed: bool, state_map: str = "") -> dict[str, str]:
    """The app folder's files."""
    return {"app.yaml": APP, "entities/ticket.yaml": ticket(removed=removed, state_map=state_map)}
