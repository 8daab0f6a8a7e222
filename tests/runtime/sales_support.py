"""Helpers of the Sales CRM template's end-to-end tests (tests/runtime/test_sales_*.py):
reading rule runs and inboxes, and making customers, deals, contracts and targets the way
their users would."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from workflow_support import act, state

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.preparation import WriteOptions
from engine.runtime.record import Record
from engine.runtime.run_traces import RunRow

SYSTEM = Actor.system()


def runs(engine: Engine, automation: str) -> list[RunRow]:
    """The automation's runs, oldest first."""
    return engine.automations.runs(automation=automation, limit=500)[::-1]


def told(engine: Engine, username: str) -> list[str]:
    """Titles of the automation notifications in the user's inbox, oldest first."""
    found = engine.workflows.inbox(engine.actor(username)).notifications
    return [n.title or "" for n in found if n.kind == "automation"][::-1]


def bodies(engine: Engine, username: str) -> list[str]:
    """Bodies of the automation notifications in the user's inbox, oldest first."""
    found = engine.workflows.inbox(engine.actor(username)).notifications
    return [n.body or "" for n in found if n.kind == "automation"][::-1]


def get(engine: Engine, entity: str, record: Record | int) -> Record:
    return engine.records.get(SYSTEM, entity, record if isinstance(record, int) else record.id)


def system_update(engine: Engine, entity: str, record_id: int, values: dict[str, Any]) -> None:
    """A trusted write (as a rule or an import would make it)."""
    with engine.db.begin() as connection:
        engine.records.update_in(
            connection, SYSTEM, entity, record_id, values, version=None,
            options=WriteOptions(trusted=True),
        )  # fmt: skip


def customer(engine: Engine, owner: str, name: str, **values: Any) -> Record:
    fields = {"name": name, "owner": owner} | values
    return engine.records.create(engine.actor(owner), "customer", fields)


def deal(engine: Engine, user: str, client: Record, name: str, **values: Any) -> Record:
    fields: dict[str, Any] = {"name": name, "customer": client.id, "amount": Decimal(0)}
    return engine.records.create(engine.actor(user), "deal", fields | values)


def contract(engine: Engine, owner: str, client: Record, amount: str, **values: Any) -> Record:
    fields = {"title": f"Contract {amount}", "customer": client.id, "owner": owner}
    fields |= {"amount": Decimal(amount)} | values
    return engine.records.create(engine.actor(owner), "contract", fields)


def approve_all(engine: Engine, record: Record, manager: str = "manager_east") -> None:
    """Submit the contract and approve it at every step it reaches (`manager` reviews)."""
    owner = str(record["owner"])
    act(engine, owner, record, "submit")
    approvers = {"review": [manager], "director": ["director", "director_2"]}
    approvers["finance"] = ["finance"]
    while (current := state(engine, record)) != "approved":
        for username in approvers[current]:
            act(engine, username, record, "approve")


def target(engine: Engine, by: str, name: str, **values: Any) -> Record:
    fields: dict[str, Any] = {"name": name, "scope": "user", "period_type": "month"}
    fields |= {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}
    return engine.records.create(engine.actor(by), "target", fields | values)


def publish(engine: Engine, by: str, record: Record) -> None:
    act(engine, by, record, "publish", entity="target")


def at_shanghai(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock moment in Shanghai (UTC+8), as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=8)
