"""The Sales CRM's incentives end to end (apps/sales_crm: entities/bonus.yaml, contract.yaml,
rules/bonus_on_attainment.yaml, team_bonus_on_attainment.yaml,
contract_cancelled_loses_deal.yaml, tables/bonus_tiers.yaml, team_bonus_tiers.yaml), on
SQLite and PostgreSQL: real contracts are approved, win their deals and fill the targets'
roll-ups; attainment crossing a tier accrues one bonus per person, period and plan;
cancelling a contract loses its deal and claws the bonus back — recomputed while it accrues,
taken back from approval, or settled by an adjustment once paid; a team's quarter pays its
manager; every payout goes rep → manager → finance → paid.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from incentive_support import (
    APRIL_FIRST,
    MARCH_START,
    Bonus,
    bonus_rows,
    cancel,
    month_target,
    pay,
    won_contract,
)
from runtime_support import SALES_APP, EngineFactory
from workflow_support import act, add_sales_people, state

from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.runtime.actor import Actor
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.record import Record
from engine.runtime.run_traces import RunRow

SYSTEM = Actor.system()
TODAY = date(2026, 3, 2)  # the clock fixture: Monday 2 March, 09:00 in Shanghai
CANCELLED_AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10 March, 10:00 in Shanghai


@pytest.fixture
def sales(make_engine: EngineFactory, database_url: str) -> Engine:
    engine = make_engine(SALES_APP, database_url)
    add_sales_people(engine)
    return engine


def get(engine: Engine, entity: str, record: Record | Bonus | int) -> Record:
    record_id = record if isinstance(record, int) else record.id
    return engine.records.get(SYSTEM, entity, record_id)


def runs(engine: Engine, automation: str) -> list[RunRow]:
    """The automation's runs, oldest first."""
    return engine.automations.runs(automation=automation, limit=500)[::-1]


def told(engine: Engine, username: str) -> list[str]:
    """Titles of the bonus rules' notifications in the user's inbox, oldest first (not the
    "Deal won" news of every contract)."""
    found = engine.workflows.inbox(engine.actor(username)).notifications
    titles = [n.title or "" for n in found if n.kind == "automation"][::-1]
    return [title for title in titles if "bonus" in title]


def kinds(engine: Engine, username: str, entity: str) -> list[str]:
    """Kinds of the workflow notifications about `entity` records in the user's inbox,
    oldest first."""
    found = engine.workflows.inbox(engine.actor(username)).notifications
    return [n.kind for n in found if n.kind != "automation" and n.entity == entity][::-1]


# -- accrual -------------------------------------------------------------------------------


def test_crossing_100_percent_accrues_one_bonus_that_crossing_120_raises(sales: Engine) -> None:
    month = month_target(sales, "rep_east_1", "100000")
    won_contract(sales, "rep_east_1", "60000")
    assert bonus_rows(sales) == [] and runs(sales, "bonus_on_attainment") == []
    won_contract(sales, "rep_east_1", "45000")  # 105 %
    [accrued] = bonus_rows(sales)
    assert accrued[1:] == ("rep_east_1", "personal", None, "achieved", Decimal(3150), "pending")
    won_contract(sales, "rep_east_1", "20000")  # 125 %: 4 % of 125,000
    [raised] = bonus_rows(sales)
    assert raised[1:] == ("rep_east_1", "personal", None, "exceeded", Decimal(5000), "pending")
    assert raised.id == accrued.id
    bonus = get(sales, "bonus", raised)
    assert (bonus["target"], bonus["base"], bonus["rate"], bonus["attainment"]) == (
        month.id, Decimal(125000), Decimal("0.04"), Decimal("1.25"),
    )  # fmt: skip
    assert (bonus["net"], bonus["adjustments"], bonus["owner"]) == (Decimal(5000), 0, "rep_east_1")
    # Between tiers the bonus still follows the month's actual: 4 % of 130,000.
    won_contract(sales, "rep_east_1", "5000")
    assert bonus_rows(sales) == [raised._replace(amount=Decimal(5200))]
    crossings = runs(sales, "bonus_on_attainment")
    assert [(r.status, r.trigger_index, r.record_id) for r in crossings] == [
        ("done", 0, month.id), ("done", 1, month.id),
    ]  # fmt: skip
    assert crossings[1].actions[1]["existing"] == bonus.id  # found, not created again
    history = sales.records.history(sales.actor("admin"), "bonus", bonus.id)
    assert [(h.kind, h.details.get("automation")) for h in history] == [
        ("created", "bonus_on_attainment"),
        ("updated", "bonus_adjustment"),
        ("updated", "bonus_adjustment"),
    ]
    assert [h.changes["amount"] for h in history[1:]] == [[3150, 5000], [5000, 5200]]
    # Every change of the month's attainment is followed (60 %, 105 %, 125 %, 130 %).
    assert len(runs(sales, "bonus_adjustment")) == 4
    titles = ["Target reached, bonus accrued: " + str(month["name"])] * 2
    assert told(sales, "rep_east_1") == titles
    assert told(sales, "manager_east") == titles


# -- cancellation and claw-back ------------------------------------------------------------


def test_cancelling_a_contract_loses_its_deal_and_zeroes_the_accruing_bonus(
    sales: Engine, clock: FixedClock
) -> None:
    month = month_target(sales, "rep_east_1", "100000")
    won_contract(sales, "rep_east_1", "90000")
    signed, deal = won_contract(sales, "rep_east_1", "40000")  # 130 %: 5,200
    [before] = bonus_rows(sales)
    assert before[4:] == ("exceeded", Decimal(5200), "pending")
    # Only a sales director or finance cancels, and says why.
    with pytest.raises(Forbidden):
        act(sales, "rep_east_1", signed, "cancel", comment="customer withdrew")
    with pytest.raises(Forbidden):
        act(sales, "manager_east", signed, "cancel", comment="customer withdrew")
    with pytest.raises(ValidationFailed) as missing:
        act(sales, "director", signed, "cancel")
    assert "comment" in missing.value.fields
    clock.set(CANCELLED_AT)
    cancelled = act(sales, "finance", signed, "cancel", comment="客户撤单")
    assert (cancelled["status"], cancelled["cancelled_on"]) == ("cancelled", date(2026, 3, 10))
    lost = get(sales, "deal", deal)
    assert (lost["stage"], lost["lost_reason"], lost["probability"], lost["close_date"]) == (
        "lost", "contract_cancelled", 0, date(2026, 3, 10),
    )  # fmt: skip
    history = sales.records.history(sales.actor("admin"), "deal", deal.id)
    assert [(h.kind, h.details.get("automation")) for h in history[-3:]] == [
        ("updated", "contract_cancelled_loses_deal"),
        ("transition", "contract_cancelled_loses_deal"),
        ("updated", "contract_cancelled_loses_deal"),
    ]
    assert history[-2].changes["stage"] == ["won", "lost"]
    assert history[-1].changes["close_date"] == ["2026-03-02", "2026-03-10"]
    after = get(sales, "target", month)
    assert (after["actual"], after["attainment"]) == (Decimal(90000), Decimal("0.9"))
    # The same bonus, recomputed: nothing is earned below 100 %.
    [zeroed] = bonus_rows(sales)
    assert zeroed.id == before.id
    assert zeroed[4:] == ("none", Decimal(0), "pending")
    assert get(sales, "bonus", zeroed)["base"] == Decimal(90000)
    last = runs(sales, "bonus_adjustment")[-1]
    assert last.event["changes"]["attainment"] == ["1.300000", "0.900000"]
    assert [a["type"] for a in last.actions] == [
        "lookup", "lookup", "update", "update", "for_each", "notify",
    ]  # fmt: skip
    assert last.actions[3]["changed"] == [zeroed.id]
    assert told(sales, "rep_east_1")[-1] == f"Attainment fell, bonus adjusted: {month['name']}"
    # The owner hears of the cancellation; finance and the manager are copied.
    assert kinds(sales, "rep_east_1", "contract")[-1] == "outcome:cancelled"
    assert kinds(sales, "manager_east", "contract")[-1] == "cc"
    assert kinds(sales, "finance_2", "contract")[-1] == "cc"
    # Cancelled is final; finance never edits a contract's terms.
    with pytest.raises(Conflict):
        act(sales, "director", signed, "cancel", comment="again")
    with pytest.raises(ValidationFailed):
        sales.records.update(sales.actor("finance"), "contract", signed.id,
                             {"amount": Decimal(1)}, version=None)  # fmt: skip
    sales.records.update(sales.actor("finance"), "contract", signed.id,
                         {"notes": "红字发票已开"}, version=None)  # fmt: skip
    # A bonus that came to nothing cannot be applied for, even after the month.
    clock.set(APRIL_FIRST)
    with pytest.raises(Conflict):
        act(sales, "rep_east_1", zeroed.id, "submit", entity="bonus")


def test_a_draft_contract_cannot_be_cancelled_and_an_approved_one_keeps_its_terms(
    sales: Engine,
) -> None:
    signed, _ = won_contract(sales, "rep_east_1", "50000")
    rep = sales.actor("rep_east_1")
    with pytest.raises(ValidationFailed):  # in force: only the signed copy and notes
        sales.records.update(rep, "contract", signed.id, {"amount": Decimal(1)}, version=None)
    updated = sales.records.update(rep, "contract", signed.id, {"notes": "原件已归档"},
                                   version=None)  # fmt: skip
    assert updated["notes"] == "原件已归档"
    values = {"title": "Draft", "customer": signed["customer"], "amount": Decimal(10)}
    draft = sales.records.create(rep, "contract", values | {"owner": "rep_east_1"})
    with pytest.raises(Conflict):
        act(sales, "director", draft, "cancel", comment="not signed")
    assert [a.name for a in sales.workflows.actions(sales.actor("director"), "contract",
                                                    signed.id)] == ["cancel"]  # fmt: skip
    assert [a.name for a in sales.workflows.actions(rep, "contract", signed.id)] == []


def test_a_bonus_under_approval_goes_back_to_accruing_and_is_recomputed(
    sales: Engine, clock: FixedClock
) -> None:
    month = month_target(sales, "rep_east_1", "100000")
    won_contract(sales, "rep_east_1", "100000")
    signed, _ = won_contract(sales, "rep_east_1", "30000")  # 130 %: 5,200
    [bonus] = bonus_rows(sales)
    clock.set(APRIL_FIRST)
    act(sales, "rep_east_1", bonus.id, "submit", entity="bonus")
    assert sales.workflows.pending_count(sales.actor("manager_east")) == 1
    cancel(sales, signed)  # back to 100 %: 3 % of 100,000
    [recomputed] = bonus_rows(sales)
    assert recomputed[0] == bonus.id
    assert recomputed[4:] == ("achieved", Decimal(3000), "pending")
    # The manager's task went with the step it belonged to.
    assert sales.workflows.pending_count(sales.actor("manager_east")) == 0
    trail = sales.workflows.trail(sales.actor("admin"), "bonus", bonus.id)
    assert [(t.step.state, t.step.status, [x.status for x in t.tasks]) for t in trail] == [
        ("manager", "left", ["cancelled"]),
    ]
    history = sales.records.history(sales.actor("admin"), "bonus", bonus.id)
    moved = [h for h in history if h.kind == "transition"][-1]
    assert moved.changes["status"] == ["manager", "pending"]
    assert (moved.details["action"], moved.details["automation"]) == (None, "bonus_adjustment")
    # The rep applies again, for the new amount.
    act(sales, "rep_east_1", bonus.id, "submit", entity="bonus")
    assert state(sales, bonus.id, "bonus") == "manager"
    assert get(sales, "target", month)["attainment"] == Decimal(1)


def test_a_paid_bonus_is_clawed_back_by_one_adjustment_through_the_same_approval(
    sales: Engine, clock: FixedClock
) -> None:
    month_target(sales, "rep_east_1", "100000")
    won_contract(sales, "rep_east_1", "90000")
    signed, _ = won_contract(sales, "rep_east_1", "40000")  # 130 %: 5,200
    [bonus] = bonus_rows(sales)
    clock.set(APRIL_FIRST)
    pay(sales, bonus.id)
    paid = get(sales, "bonus", bonus)
    assert (paid["status"], paid["paid_on"], paid["amount"]) == (
        "paid", date(2026, 4, 1), Decimal(5200),
    )  # fmt: skip
    cancel(sales, signed)  # 90 %: nothing is earned, 5,200 was paid
    main, clawback = bonus_rows(sales)
    assert main == bonus._replace(status="paid")  # the paid bonus is never rewritten
    assert get(sales, "bonus", bonus).version == paid.version
    assert clawback[1:] == ("rep_east_1", "personal", bonus.id, "none", Decimal(-5200), "manager")
    assert get(sales, "bonus", clawback)["target"] == paid["target"]
    # It waits for the rep's manager like any payout; the rep cannot approve it.
    with pytest.raises(Forbidden):
        act(sales, "rep_east_1", clawback.id, "approve", entity="bonus")
    assert sales.workflows.pending_count(sales.actor("manager_east")) == 1
    # A late contract signed in March brings the month back to 105 %: the open claw-back is
    # taken back, recomputed (3,150 due − 5,200 paid) and submitted again — still one.
    won_contract(sales, "rep_east_1", "15000", signed_on=date(2026, 3, 20))
    main, clawback_again = bonus_rows(sales)
    assert clawback_again.id == clawback.id
    assert clawback_again[3:] == (bonus.id, "achieved", Decimal(-2050), "manager")
    trail = sales.workflows.trail(sales.actor("admin"), "bonus", clawback.id)
    assert [t.step.status for t in trail] == ["left", "open"]
    act(sales, "manager_east", clawback.id, "approve", entity="bonus")
    act(sales, "finance", clawback.id, "approve", entity="bonus")
    settled = get(sales, "bonus", bonus)
    assert (settled["status"], settled["amount"], settled["adjustments"], settled["net"]) == (
        "paid", Decimal(5200), Decimal(-2050), Decimal(3150),
    )  # fmt: skip
    assert get(sales, "bonus", clawback)["paid_on"] == date(2026, 4, 1)
    # Going up again after that settles the rest: 135 % is 5,400 due, 3,150 net paid.
    won_contract(sales, "rep_east_1", "30000", signed_on=date(2026, 3, 25))
    rows = bonus_rows(sales)
    assert [row[3:] for row in rows] == [
        (None, "exceeded", Decimal(5200), "paid"),
        (bonus.id, "achieved", Decimal(-2050), "paid"),
        (bonus.id, "exceeded", Decimal(2250), "manager"),
    ]
    assert {row.kind for row in rows} == {"personal"}


def test_a_claw_back_that_comes_to_nothing_is_removed(sales: Engine, clock: FixedClock) -> None:
    month_target(sales, "rep_east_1", "100000")
    won_contract(sales, "rep_east_1", "100000")
    signed, _ = won_contract(sales, "rep_east_1", "10000")  # 110 %: 3,300
    [bonus] = bonus_rows(sales)
    clock.set(APRIL_FIRST)
    pay(sales, bonus.id)
    cancel(sales, signed)  # 100 %, no tier crossed: 3,000 due, −300
    [_, clawback] = bonus_rows(sales)
    assert clawback[4:] == ("achieved", Decimal(-300), "manager")
    # Another March contract: 110 % again — nothing left to settle.
    won_contract(sales, "rep_east_1", "10000", signed_on=date(2026, 3, 30))
    assert [row.id for row in bonus_rows(sales)] == [bonus.id]
    removed = sales.records.history(sales.actor("admin"), "bonus", clawback.id)[-1]
    assert (removed.kind, removed.comment) == ("deleted", "automation bonus_adjustment")


# -- team bonus ----------------------------------------------------------------------------


def test_a_teams_quarter_over_target_pays_its_manager_a_team_bonus(
    sales: Engine, clock: FixedClock
) -> None:
    east = sales.people.team_by_name("East").id
    quarter = sales.records.create(
        sales.actor("director"), "target",
        {"name": "East Q1", "scope": "team", "team": east, "period_type": "quarter",
         "period_start": date(2026, 1, 1), "period_end": date(2026, 3, 31),
         "amount": Decimal(200000)},
    )  # fmt: skip
    act(sales, "director", quarter, "publish", entity="target")
    won_contract(sales, "rep_east_1", "120000")
    won_contract(sales, "rep_west_1", "300000")  # another team's sale counts nowhere here
    assert bonus_rows(sales) == []
    won_contract(sales, "rep_east_2", "90000")  # 210,000: 105 %
    [team_bonus] = bonus_rows(sales)
    assert team_bonus[1:] == ("manager_east", "team", None, "achieved", Decimal(1050), "pending")
    assert get(sales, "bonus", team_bonus)["target"] == quarter.id
    won_contract(sales, "rep_east_2", "40000")  # 250,000: 125 %, 0.8 %
    [raised] = bonus_rows(sales)
    assert (raised.id, raised.tier, raised.amount) == (team_bonus.id, "exceeded", Decimal(2000))
    title = "Team target reached, team bonus accrued: East Q1"
    assert told(sales, "manager_east")[-1] == title and told(sales, "director")[-1] == title
    assert [r.trigger_index for r in runs(sales, "team_bonus_on_attainment")] == [0, 1]
    # The manager applies after the quarter; their own manager approves, then finance.
    with pytest.raises(Conflict):
        act(sales, "manager_east", raised.id, "submit", entity="bonus")
    clock.set(APRIL_FIRST)
    act(sales, "manager_east", raised.id, "submit", entity="bonus")
    with pytest.raises(Forbidden):
        act(sales, "manager_east", raised.id, "approve", entity="bonus")
    act(sales, "director", raised.id, "approve", entity="bonus")
    act(sales, "finance", raised.id, "approve", entity="bonus")
    assert get(sales, "bonus", raised)["status"] == "paid"


def test_team_bonus_needs_a_published_quarter_of_a_team(sales: Engine) -> None:
    east = sales.people.team_by_name("East").id
    values: dict[str, Any] = {"scope": "team", "team": east, "amount": Decimal(100000)}
    month = sales.records.create(
        sales.actor("director"), "target",
        {"name": "East March", "period_type": "month", "period_start": MARCH_START,
         "period_end": date(2026, 3, 31)} | values,
    )  # fmt: skip
    act(sales, "director", month, "publish", entity="target")
    draft = sales.records.create(
        sales.actor("director"), "target",
        {"name": "East Q1 draft", "period_type": "quarter", "period_start": date(2026, 1, 1),
         "period_end": date(2026, 3, 31)} | values,
    )  # fmt: skip
    won_contract(sales, "rep_east_1", "150000")
    assert bonus_rows(sales) == []
    # Both crossed 100 % through the rules (the approved contract won the deal), so the
    # skipped runs leave no trace (docs/automation.md): the rule never ran.
    assert runs(sales, "team_bonus_on_attainment") == []
    assert get(sales, "target", month)["attainment"] > 1
    assert get(sales, "target", draft)["attainment"] > 1


# -- payout approval -----------------------------------------------------------------------


def test_a_bonus_is_paid_after_the_month_through_manager_and_finance(
    sales: Engine, clock: FixedClock
) -> None:
    month_target(sales, "rep_east_1", "100000")
    won_contract(sales, "rep_east_1", "130000")
    [bonus] = bonus_rows(sales)
    rep, manager = sales.actor("rep_east_1"), sales.actor("manager_east")
    # Nobody sets the amount by hand but a director or finance; the rep may add a note.
    for who in (rep, manager):
        with pytest.raises(ValidationFailed) as refused:
            sales.records.update(who, "bonus", bonus.id, {"amount": Decimal(99999)},
                                 version=None)  # fmt: skip
        assert "amount" in refused.value.fields
    sales.records.update(rep, "bonus", bonus.id, {"notes": "3月业绩"}, version=None)
    with pytest.raises(Conflict):  # the month has not closed yet
        act(sales, "rep_east_1", bonus.id, "submit", entity="bonus")
    clock.set(APRIL_FIRST)
    act(sales, "rep_east_1", bonus.id, "submit", entity="bonus")
    with pytest.raises(Forbidden):  # no self-approval: the rep holds no task
        act(sales, "rep_east_1", bonus.id, "approve", entity="bonus")
    with pytest.raises(NotFound):  # another team's manager does not even see it
        act(sales, "manager_west", bonus.id, "approve", entity="bonus")
    with pytest.raises(ValidationFailed):  # 退回 says why
        act(sales, "manager_east", bonus.id, "send_back", entity="bonus")
    act(sales, "manager_east", bonus.id, "send_back", entity="bonus", comment="请附合同清单")
    assert state(sales, bonus.id, "bonus") == "pending"
    act(sales, "rep_east_1", bonus.id, "submit", entity="bonus")
    act(sales, "manager_east", bonus.id, "approve", entity="bonus")
    assert state(sales, bonus.id, "bonus") == "finance"
    act(sales, "finance", bonus.id, "send_back", entity="bonus", comment="核对", to_state="manager")
    act(sales, "manager_east", bonus.id, "approve", entity="bonus")
    paid = act(sales, "finance_2", bonus.id, "approve", entity="bonus")
    assert (paid["status"], paid["paid_on"], paid["amount"]) == (
        "paid", date(2026, 4, 1), Decimal(5200),
    )  # fmt: skip
    assert kinds(sales, "rep_east_1", "bonus") == ["sent_back", "outcome:paid"]


def test_a_rejected_bonus_stays_the_only_one_of_its_month(sales: Engine, clock: FixedClock) -> None:
    month_target(sales, "rep_east_2", "100000")
    won_contract(sales, "rep_east_2", "110000")
    [bonus] = bonus_rows(sales)
    clock.set(APRIL_FIRST)
    act(sales, "rep_east_2", bonus.id, "submit", entity="bonus")
    with pytest.raises(ValidationFailed):
        act(sales, "manager_east", bonus.id, "reject", entity="bonus")
    act(sales, "manager_east", bonus.id, "reject", entity="bonus", comment="合同回款未到")
    assert state(sales, bonus.id, "bonus") == "rejected"
    won_contract(sales, "rep_east_2", "20000", signed_on=date(2026, 3, 31))  # 130 %
    [still] = bonus_rows(sales)
    assert still == bonus._replace(status="rejected")
