"""Records for the workflow UI tests (imported by name): contracts and deals of the demo
people of `web_support`, made through the services.

`director_required` is set by a rule (rules/contract_threshold.yaml) that does not run
yet, so `needs_director` sets it with a trusted write of the system actor — the way a rule
writes — rather than through a form, where the field is read-only."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.preparation import WriteOptions
from engine.runtime.record import Record

__all__ = ["needs_director", "new_contract", "new_deal", "record_state", "version_of"]


def new_contract(
    engine: Engine, owner: str = "rep_east_1", amount: str = "300000", title: str | None = None
) -> Record:
    """A draft contract of `owner` for a new customer, ready to submit."""
    actor = engine.actor(owner)
    customer = engine.records.create(
        actor, "customer", {"name": f"Customer of {owner} {amount}", "owner": owner}
    )
    values = {
        "title": title or f"Supply contract {amount}",
        "customer": customer.id,
        "owner": owner,
        "amount": Decimal(amount),
        "signed_on": date(2026, 3, 1),
    }
    return engine.records.create(actor, "contract", values)


def needs_director(engine: Engine, record_id: int) -> Record:
    """Mark the contract as needing the sales director's approval (what the threshold
    rule will do), as a trusted system write."""
    with engine.db.begin() as connection:
        return engine.records.update_in(
            connection, Actor.system(), "contract", record_id, {"director_required": True},
            version=None, options=WriteOptions(trusted=True, comment="threshold"),
        )  # fmt: skip


def new_deal(engine: Engine, owner: str = "rep_east_1", name: str = "Line 3 retrofit") -> Record:
    """A deal of `owner` in the `lead` stage."""
    actor = engine.actor(owner)
    customer = engine.records.create(
        actor, "customer", {"name": f"Customer for {name}", "owner": owner}
    )
    values: dict[str, Any] = {"name": name, "customer": customer.id, "owner": owner}
    values["amount"] = Decimal("80000")
    return engine.records.create(actor, "deal", values)


def record_state(engine: Engine, entity: str, record_id: int) -> str:
    """The record's workflow state, read as the system."""
    spec = engine.app.entities[entity]
    assert spec.workflow is not None
    return str(engine.records.get(Actor.system(), entity, record_id)[spec.workflow.field])


def version_of(html: str) -> int:
    """The record version the record page shows (and its action forms carry)."""
    found = re.search(r"· v(\d+)</p>", html)
    assert found is not None, "no record version on the page"
    return int(found.group(1))
