"""The deal pipeline of the sales template: stages move only by their transitions, each
sets the win probability, `propose` needs an amount and a date, losing needs a reason,
winning sets the close date, reopening is for managers with a comment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from runtime_support import SALES_APP, EngineFactory
from workflow_support import act, add_sales_people, state

from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.runtime.engine import Engine
from engine.runtime.record import Record


@pytest.fixture
def sales(make_engine: EngineFactory, database_url: str) -> Engine:
    engine = make_engine(SALES_APP, database_url)
    add_sales_people(engine)
    return engine


def new_deal(engine: Engine, owner: str = "rep_east_1") -> Record:
    actor = engine.actor(owner)
    customer = engine.records.create(actor, "customer", {"name": f"ACME {owner}"})
    return engine.records.create(
        actor, "deal", {"name": "MES phase 2", "customer": customer.id, "amount": Decimal("5e5")}
    )


def deal_act(engine: Engine, user: str, deal: Record, action: str, **request: object) -> Record:
    return act(engine, user, deal, action, entity="deal", **request)


def test_the_pipeline_to_won(sales: Engine) -> None:
    deal = new_deal(sales)
    assert deal["stage"] == "lead"
    names = [a.name for a in sales.workflows.actions(sales.actor("rep_east_1"), "deal", deal.id)]
    assert names == ["contact", "qualify", "lose"]
    deal = deal_act(sales, "rep_east_1", deal, "contact")
    assert (deal["stage"], deal["probability"]) == ("contacted", Decimal("0.1"))
    deal = deal_act(sales, "rep_east_1", deal, "qualify")
    with pytest.raises(ValidationFailed) as missing:
        deal_act(sales, "rep_east_1", deal, "propose")
    assert list(missing.value.fields) == ["expected_close"]
    close = sales.clock.now().date() + timedelta(days=30)
    with pytest.raises(ValidationFailed) as bad_date:
        deal_act(sales, "rep_east_1", deal, "propose", values={"expected_close": "soon"})
    assert list(bad_date.value.fields) == ["expected_close"]
    # Values come as the API sends them and are read like any other input.
    iso = close.isoformat()
    deal = deal_act(sales, "rep_east_1", deal, "propose", values={"expected_close": iso})
    assert (deal["stage"], deal["expected_close"]) == ("proposal", close)
    with pytest.raises(ValidationFailed) as direct:
        sales.records.update(
            sales.actor("rep_east_1"), "deal", deal.id, {"stage": "won"}, version=deal.version
        )
    assert "stage" in direct.value.fields  # stages change only through actions
    deal = deal_act(sales, "rep_east_1", deal, "win")
    today = sales.clock.now().astimezone(sales.runtime.contexts.timezone).date()
    assert (deal["stage"], deal["probability"], deal["close_date"]) == ("won", 1, today)
    assert [a.name for a in sales.workflows.actions(sales.actor("admin"), "deal", deal.id)] == []
    with pytest.raises(ValidationFailed):  # won is closed business: only the description
        sales.records.update(
            sales.actor("rep_east_1"), "deal", deal.id, {"amount": 1}, version=deal.version
        )


def test_losing_needs_a_reason_and_reopening_a_manager(sales: Engine) -> None:
    deal = new_deal(sales)
    with pytest.raises(ValidationFailed) as no_reason:
        deal_act(sales, "rep_east_1", deal, "lose")
    assert list(no_reason.value.fields) == ["lost_reason"]
    with pytest.raises(ValidationFailed) as not_settable:
        deal_act(sales, "rep_east_1", deal, "lose", values={"lost_reason": "price", "stage": "x"})
    assert list(not_settable.value.fields) == ["stage"]
    deal = deal_act(sales, "rep_east_1", deal, "lose", values={"lost_reason": "price"})
    assert (deal["stage"], deal["lost_reason"], deal["probability"]) == ("lost", "price", 0)
    with pytest.raises(Forbidden):
        deal_act(sales, "rep_east_1", deal, "reopen", comment="they called back")
    with pytest.raises(ValidationFailed):
        deal_act(sales, "manager_east", deal, "reopen")
    deal = deal_act(sales, "manager_east", deal, "reopen", comment="they called back")
    assert (deal["stage"], deal["lost_reason"], deal["close_date"]) == ("qualified", None, None)
    with pytest.raises(Conflict):
        deal_act(sales, "manager_east", deal, "reopen", comment="again")
    with pytest.raises(NotFound):
        deal_act(sales, "rep_west_1", deal, "propose")
    history = sales.records.history(sales.actor("admin"), "deal", deal.id)
    assert [(h.kind, h.details.get("action"), h.comment) for h in history] == [
        ("created", None, None),
        ("updated", None, None),  # rules/deal_team_default.yaml gave it its customer's team
        ("transition", "lose", None),
        ("transition", "reopen", "they called back"),
    ]
    assert state(sales, deal, "deal") == "qualified"
