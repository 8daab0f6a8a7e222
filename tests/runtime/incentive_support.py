"""Helpers of the sales incentive tests (tests/runtime/test_sales_incentives.py): the business
as people do it through the services — a manager publishes a rep's monthly target, a rep
signs a contract that goes through approval and wins its deal, a director cancels one, a
bonus is applied for and paid — and a compact view of the bonus records.

The people are those of `workflow_support.add_sales_people`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import NamedTuple

from workflow_support import act, state

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.record import Record

MARCH_START = date(2026, 3, 1)
MARCH_END = date(2026, 3, 31)
APRIL_FIRST = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)  # 09:00 on 1 April in Shanghai
SIGNED = date(2026, 3, 2)  # the day the test clock starts on


class Bonus(NamedTuple):
    """One bonus record, as the tests compare them."""

    id: int
    user: str
    kind: str
    adjusts: int | None
    tier: str | None
    amount: Decimal
    status: str


def manager_of(username: str) -> str:
    """The rep's manager in the test company (East and West teams)."""
    return "manager_east" if "east" in username else "manager_west"


def bonus_rows(engine: Engine) -> list[Bonus]:
    """Every live bonus record, by id."""
    page = engine.records.list(Actor.system(), "bonus", sort=["id"], limit=100)
    return [_row(record) for record in page.records]


def _row(record: Record) -> Bonus:
    values = (record["user"], record["kind"], record["adjusts"], record["tier"])
    user, kind, adjusts, tier = values
    return Bonus(record.id, user, kind, adjusts, tier, record["amount"], str(record["status"]))


def month_target(engine: Engine, user: str, amount: str) -> Record:
    """The rep's March target, set and published by their manager."""
    manager = manager_of(user)
    target = engine.records.create(
        engine.actor(manager), "target",
        {"name": f"{user} March", "scope": "user", "user": user, "period_type": "month",
         "period_start": MARCH_START, "period_end": MARCH_END, "amount": Decimal(amount)},
    )  # fmt: skip
    act(engine, manager, target, "publish", entity="target")
    return target


def won_contract(
    engine: Engine, owner: str, amount: str, *, signed_on: date = SIGNED
) -> tuple[Record, Record]:
    """A new customer's deal and its contract, approved at every step: the deal is won at
    the contract's amount on the signing date (rules/contract_approved_wins_deal.yaml)."""
    actor = engine.actor(owner)
    number = engine.records.list(Actor.system(), "customer", limit=500).records
    customer = engine.records.create(
        actor, "customer", {"name": f"Customer {len(number) + 1}", "owner": owner}
    )
    deal = engine.records.create(
        actor, "deal", {"name": f"Deal {amount}", "customer": customer.id, "amount": Decimal(0)}
    )
    contract = engine.records.create(
        actor, "contract",
        {"title": f"Contract {amount}", "customer": customer.id, "deal": deal.id,
         "owner": owner, "amount": Decimal(amount), "signed_on": signed_on},
    )  # fmt: skip
    act(engine, owner, contract, "submit")
    approvers = {"review": [manager_of(owner)], "director": ["director", "director_2"]}
    approvers["finance"] = ["finance"]
    while (current := state(engine, contract)) != "approved":
        for username in approvers[current]:
            act(engine, username, contract, "approve")
    return engine.records.get(Actor.system(), "contract", contract.id), deal


def cancel(engine: Engine, contract: Record, by: str = "director") -> Record:
    """The contract is cancelled (合同作废), with a reason."""
    return act(engine, by, contract, "cancel", comment="客户撤单")


def pay(engine: Engine, bonus_id: int) -> None:
    """The bonus's person applies; their manager and then finance approve (paid)."""
    user = str(engine.records.get(Actor.system(), "bonus", bonus_id)["user"])
    act(engine, user, bonus_id, "submit", entity="bonus")
    act(engine, manager_of(user), bonus_id, "approve", entity="bonus")
    act(engine, "finance", bonus_id, "approve", entity="bonus")
