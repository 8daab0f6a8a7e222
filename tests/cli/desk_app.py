"""The desk app of the CLI state-map tests (`check` and `migrate` over records in a state the
YAML removes): ticket versions with and without `pending`, and a database holding tickets."""

from __future__ import annotations

from pathlib import Path

from engine.runtime.engine import Engine
from engine.runtime.workflow_service import ActionRequest
from engine.spec.registry import Registry

APP = "app: desk\ntitle: Desk\nlocales: [en]\nroles:\n  agent: {label: Agent}\n"
TICKET = """\
entity: ticket
label: Ticket
fields:
  title: {type: text, required: true}
permissions:
  agent: {create: true, read: all, update: all}
workflow:
  field: status
  states:
    open: {initial: true}
%s    closed: {final: true}
  transitions:
    close: {from: "*", to: closed}
%s%s"""
WITH_PENDING = TICKET % ("    pending: {}\n", "    wait: {from: open, to: pending}\n", "")
WITHOUT_PENDING = TICKET % ("", "", "")
MAPPED = TICKET % ("", "", "  state_map: {pending: open}\n")


def fill(folder: Path, url: str, registry: Registry, root: Path) -> None:
    """Migrate the app in `folder` into `url`: one open and two pending tickets."""
    engine = Engine.load(folder, database_url=url, project_root=root, registry=registry)
    try:
        engine.migrate()
        engine.people.create_user("ann", locale="en")
        engine.people.grant_role("desk", "ann", "agent")
        ann = engine.actor("ann")
        engine.records.create(ann, "ticket", {"title": "open"})
        for title in ("first", "second"):
            record = engine.records.create(ann, "ticket", {"title": title})
            engine.workflows.act(ann, "ticket", record.id, "wait", ActionRequest())
    finally:
        engine.close()
