"""Two transactions feeding one roll-up holder at the same instant: both sources count (no
lost update). Each writer is a thread with its own connection, released together; every
read a refresh makes — the holders' rows with their stored values, an aggregate — is
followed by a pause while its transaction is open, so a maintainer that did not lock the
holders first would let both start from the same value (or the same sources) and the
second write would drop the first one's deal. A customer's deal count is moved in place
(`SET deal_count = deal_count + 1`: the UPDATE's own row lock orders the writers); a
target's won amount is read, moved by the deal's amount and written back, under the lock
of the holder read. PostgreSQL runs when FORMWORK_TEST_DATABASE_URL is set; SQLite
(writers queue on `BEGIN IMMEDIATE`) always runs.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from runtime_support import SALES_APP, EngineFactory
from workflow_support import add_sales_people

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.preparation import WriteOptions

PAUSE_S = 0.3
JOIN_S = 60.0


@pytest.fixture
def sales(make_engine: EngineFactory, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    engine = make_engine(SALES_APP, database_url)
    add_sales_people(engine)
    rollups = engine.records.rollups
    for owner, name in ((rollups, "values_of"), (rollups.holders, "read")):
        monkeypatch.setattr(owner, name, _slow(getattr(owner, name)))
    return engine


def _slow(read: Any) -> Any:
    def slow(*args: Any, **kwargs: Any) -> Any:
        found = read(*args, **kwargs)
        time.sleep(PAUSE_S)  # read; its transaction stays open a while
        return found

    return slow


def _race(*writes: Any) -> list[Exception]:
    """Run the writes in threads released together; the errors they raised."""
    barrier = threading.Barrier(len(writes))
    errors: list[Exception] = []

    def run(write: Any) -> None:
        barrier.wait()
        try:
            write()
        except Exception as error:  # judged by the caller
            errors.append(error)

    threads = [threading.Thread(target=run, args=(write,)) for write in writes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_S)
    return errors


def test_two_deals_won_at_once_both_count_for_their_customer(sales: Engine) -> None:
    rep = sales.actor("rep_east_1")
    customer = sales.records.create(rep, "customer", {"name": "Race Co"})

    def deal(amount: int) -> Any:
        values = {"name": f"Deal {amount}", "customer": customer.id, "owner": "rep_east_1",
                  "amount": Decimal(amount)}  # fmt: skip
        return lambda: sales.records.create(rep, "deal", values)

    assert _race(deal(1000), deal(2000)) == []
    found = sales.records.get(Actor.system(), "customer", customer.id)
    assert found["deal_count"] == 2  # both deals counted, whichever committed first


def test_two_deals_won_at_once_both_count_in_the_reps_target(sales: Engine) -> None:
    director = sales.actor("director")
    target = sales.records.create(director, "target", {
        "name": "R1 March", "scope": "user", "user": "rep_east_1", "period_type": "month",
        "period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31),
        "amount": Decimal(10000),
    })  # fmt: skip
    team = sales.people.team_by_name("East").id
    won = WriteOptions(trusted=True, allow_state=True)

    def deal(amount: int) -> Any:
        # a customer each: the writers meet at the target only
        customer = sales.records.create(director, "customer", {"name": f"Race {amount}"})
        values = {"name": f"Won {amount}", "customer": customer.id, "owner": "rep_east_1",
                  "team": team, "amount": Decimal(amount), "stage": "won",
                  "close_date": date(2026, 3, 2)}  # fmt: skip

        def write() -> None:
            with sales.records.transaction() as connection:
                sales.records.create_in(connection, Actor.system(), "deal", values, options=won)

        return write

    assert _race(deal(1000), deal(2000)) == []
    found = sales.records.get(Actor.system(), "target", target.id)
    assert found["actual"] == Decimal(3000)  # both deals counted, whichever committed first
    assert found["attainment"] == Decimal("0.3")
