"""Two people acting on one record at the same instant: one consistent outcome, never a double
transition (issue 4).

Each person runs in a thread of their own with a connection of their own (the engine's pool
hands each transaction its own), released together by a `threading.Barrier` right before
`engine.workflows.act`. To make the race certain rather than likely, every locking read of
the service is followed by a short pause while the transaction is still open: a service that
did not lock the record before reading it would let both threads read the same state in
that pause and then both write. PostgreSQL runs when FORMWORK_TEST_DATABASE_URL is set (the
`database_url` fixture skips it otherwise, saying so); SQLite (a file database, whose writers
queue on `BEGIN IMMEDIATE`) always runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from runtime_support import SALES_APP, EngineFactory
from workflow_support import act, add_sales_people, new_contract, state

from engine.errors import Conflict, Forbidden
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.history import HistoryEntry
from engine.runtime.preparation import WriteOptions
from engine.runtime.record import Record
from engine.runtime.workflow_service import ActionRequest

PAUSE_S = 0.3  # how long each locking read keeps its transaction open before going on
JOIN_S = 60.0


@pytest.fixture
def sales(make_engine: EngineFactory, database_url: str) -> Engine:
    """The sales template with two directors and two finance users."""
    engine = make_engine(SALES_APP, database_url)
    add_sales_people(engine, directors=2, finance=2)
    return engine


@pytest.fixture
def widened(sales: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The engine whose workflow service pauses after each locking read of a record."""
    service = sales.workflows
    original = service._context

    def slow_context(*args: Any, lock: bool, **kwargs: Any) -> Any:
        context = original(*args, lock=lock, **kwargs)
        if lock:
            time.sleep(PAUSE_S)
        return context

    monkeypatch.setattr(service, "_context", slow_context)
    yield sales


def race(
    engine: Engine, entity: str, record_id: int, calls: list[tuple[str, str]]
) -> list[Record | Exception]:
    """Run each (username, action) in its own thread, all released at once; what each got."""
    actors = [engine.actor(username) for username, _ in calls]  # read before the race
    barrier = threading.Barrier(len(calls))
    results: list[Record | Exception | None] = [None] * len(calls)

    def run(index: int) -> None:
        action = calls[index][1]
        barrier.wait()
        try:
            results[index] = engine.workflows.act(
                actors[index], entity, record_id, action, ActionRequest()
            )
        except Exception as error:  # the test judges every outcome
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_S)
    assert not any(thread.is_alive() for thread in threads), "an action never returned"
    assert all(result is not None for result in results)
    return [result for result in results if result is not None]


def clean_refusal(result: Record | Exception) -> bool:
    """A refusal the API answers with 409/403, not a server error."""
    return isinstance(result, (Conflict, Forbidden))


def transitions(engine: Engine, entity: str, record_id: int) -> list[HistoryEntry]:
    entries = engine.records.history(Actor.system(), entity, record_id)
    return [entry for entry in entries if entry.kind == "transition"]


def large_contract(engine: Engine, owner: str) -> Record:
    """A draft contract that needs the directors (set as the threshold rule would)."""
    actor = engine.actor(owner)
    customer = engine.records.create(actor, "customer", {"name": "Big Co", "owner": owner})
    values = {"title": "Large", "customer": customer.id, "owner": owner,
              "amount": Decimal("900000"), "director_required": True}  # fmt: skip
    with engine.db.begin() as connection:
        options = WriteOptions(trusted=True)
        return engine.records.create_in(connection, actor, "contract", values, options=options)


def test_all_mode_both_directors_at_once_move_it_once(widened: Engine) -> None:
    engine = widened
    contract = large_contract(engine, "rep_east_1")
    act(engine, "rep_east_1", contract, "submit")
    act(engine, "manager_east", contract, "approve")
    assert state(engine, contract) == "director"

    results = race(engine, "contract", contract.id, [("director", "approve"),
                                                     ("director_2", "approve")])  # fmt: skip

    assert all(isinstance(result, Record) for result in results), results
    assert state(engine, contract) == "finance"
    trail = engine.workflows.trail(Actor.system(), "contract", contract.id)
    director_steps = [t for t in trail if t.step.state == "director"]
    assert len(director_steps) == 1
    assert director_steps[0].step.status == "approved"
    assert sorted((t.assignee, t.status) for t in director_steps[0].tasks) == [
        ("director", "approved"),
        ("director_2", "approved"),
    ]
    assert len([t for t in trail if t.step.state == "finance"]) == 1
    moves = [(e.details["from"], e.details["to"]) for e in transitions(engine, "contract",
                                                                       contract.id)]  # fmt: skip
    assert moves == [("draft", "review"), ("review", "director"), ("director", "finance")]


def test_any_mode_two_finance_users_at_once_one_wins(widened: Engine) -> None:
    engine = widened
    contract = new_contract(engine, "rep_west_1", "80000")
    act(engine, "rep_west_1", contract, "submit")
    act(engine, "manager_west", contract, "approve")
    assert state(engine, contract) == "finance"

    results = race(engine, "contract", contract.id, [("finance", "approve"),
                                                     ("finance_2", "approve")])  # fmt: skip

    won = [result for result in results if isinstance(result, Record)]
    lost = [result for result in results if not isinstance(result, Record)]
    assert len(won) == 1 and len(lost) == 1, results
    assert clean_refusal(lost[0]), repr(lost[0])
    assert won[0]["status"] == "approved"
    assert state(engine, contract) == "approved"
    trail = engine.workflows.trail(Actor.system(), "contract", contract.id)
    finance_steps = [t for t in trail if t.step.state == "finance"]
    assert len(finance_steps) == 1
    assert finance_steps[0].step.status == "approved"
    assert [t.status for t in finance_steps[0].tasks].count("approved") == 1
    moves = [(e.details["from"], e.details["to"]) for e in transitions(engine, "contract",
                                                                       contract.id)]  # fmt: skip
    assert moves == [("draft", "review"), ("review", "finance"), ("finance", "approved")]


def test_same_plain_transition_at_once_one_succeeds(widened: Engine) -> None:
    engine = widened
    rep = engine.actor("rep_east_1")
    customer = engine.records.create(rep, "customer", {"name": "Race Co", "owner": "rep_east_1"})
    deal = engine.records.create(rep, "deal", {"name": "Race", "customer": customer.id,
                                               "amount": Decimal(1000)})  # fmt: skip

    results = race(engine, "deal", deal.id, [("rep_east_1", "contact"),
                                             ("manager_east", "contact")])  # fmt: skip

    won = [result for result in results if isinstance(result, Record)]
    lost = [result for result in results if not isinstance(result, Record)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], Conflict), repr(lost[0])
    assert state(engine, deal, "deal") == "contacted"
    moves = [(e.details["from"], e.details["to"]) for e in transitions(engine, "deal", deal.id)]
    assert moves == [("lead", "contacted")]
    assert engine.records.get(Actor.system(), "deal", deal.id).version == deal.version + 1


def test_without_the_pause_the_outcome_is_the_same(sales: Engine) -> None:
    """The same race at full speed, several times: still exactly one transition each."""
    engine = sales
    rep = engine.actor("rep_east_1")
    customer = engine.records.create(rep, "customer", {"name": "Fast Co", "owner": "rep_east_1"})
    for round_ in range(5):
        values = {"name": f"Fast {round_}", "customer": customer.id, "amount": Decimal(1)}
        deal = engine.records.create(rep, "deal", values)
        results = race(engine, "deal", deal.id, [("rep_east_1", "contact"),
                                                 ("manager_east", "contact")])  # fmt: skip
        assert sum(isinstance(result, Record) for result in results) == 1, results
        assert all(isinstance(r, (Record, Conflict)) for r in results), results
        assert len(transitions(engine, "deal", deal.id)) == 1
