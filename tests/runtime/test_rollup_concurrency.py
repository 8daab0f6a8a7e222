"""Two transactions feeding one roll-up holder at the same instant: both sources count (no
lost update). Each writer is a thread with its own connection, released together; the
roll-up's aggregate read is followed by a pause while its transaction is open, so a
maintainer that did not lock the holder first would let both compute from the same
sources and the second write would drop the first one's deal. PostgreSQL runs when
FORMWORK_TEST_DATABASE_URL is set; SQLite (writers queue on `BEGIN IMMEDIATE`) always runs.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from runtime_support import SALES_APP, EngineFactory
from workflow_support import add_sales_people

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine

PAUSE_S = 0.3
JOIN_S = 60.0


@pytest.fixture
def sales(make_engine: EngineFactory, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    engine = make_engine(SALES_APP, database_url)
    add_sales_people(engine)
    rollups = engine.records.rollups
    original = rollups.values_of

    def slow_values_of(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        time.sleep(PAUSE_S)  # the aggregate is read; its transaction stays open a while
        return found

    monkeypatch.setattr(rollups, "values_of", slow_values_of)
    return engine


def test_two_deals_won_at_once_both_count_for_their_customer(sales: Engine) -> None:
    rep = sales.actor("rep_east_1")
    customer = sales.records.create(rep, "customer", {"name": "Race Co"})
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def win(amount: int) -> None:
        values = {"name": f"Deal {amount}", "customer": customer.id, "owner": "rep_east_1",
                  "amount": Decimal(amount)}  # fmt: skip
        barrier.wait()
        try:
            sales.records.create(rep, "deal", values)
        except Exception as error:  # judged below
            errors.append(error)

    threads = [threading.Thread(target=win, args=(amount,)) for amount in (1000, 2000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_S)
    assert errors == []
    found = sales.records.get(Actor.system(), "customer", customer.id)
    assert found["deal_count"] == 2  # both deals counted, whichever committed first
