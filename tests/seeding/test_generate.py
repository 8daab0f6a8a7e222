"""The plan of the sales recipe: deterministic, the volumes the template promises, and
values that make sense together (stages by age, close dates, lost reasons, teams)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from seeding_support import ANCHOR

from engine.seeding import Plan, PlannedRecord, RecordRef, SeedSpec, TeamRef, generate_plan
from engine.spec.model import AppSpec

OPEN = {"lead", "contacted", "qualified", "proposal", "negotiation"}


@pytest.fixture(scope="module")
def plan(sales_recipe: SeedSpec, sales_app: AppSpec) -> Plan:
    return generate_plan(sales_recipe, sales_app, anchor=ANCHOR)


def of(plan: Plan, entity: str) -> list[PlannedRecord]:
    return [r for r in plan.records if r.entity == entity]


def test_same_seed_same_plan(plan: Plan, sales_recipe: SeedSpec, sales_app: AppSpec) -> None:
    again = generate_plan(sales_recipe, sales_app, anchor=ANCHOR)
    assert again == plan


def test_another_anchor_shifts_the_dates_only(
    plan: Plan, sales_recipe: SeedSpec, sales_app: AppSpec
) -> None:
    later = generate_plan(sales_recipe, sales_app, anchor=ANCHOR + timedelta(days=10))
    first, moved = of(plan, "deal")[7], of(later, "deal")[7]
    assert moved.values["name"] == first.values["name"]
    assert moved.values["amount"] == first.values["amount"]
    assert moved.state == first.state
    assert first.at is not None and moved.at is not None
    assert moved.at - first.at == timedelta(days=10)


def test_another_seed_another_plan(sales_recipe: SeedSpec, sales_app: AppSpec, plan: Plan) -> None:
    other = generate_plan(dataclasses.replace(sales_recipe, seed=2), sales_app, anchor=ANCHOR)
    names = [r.values["name"] for r in of(plan, "customer")]
    other_names = [r.values["name"] for r in of(other, "customer")]
    assert names != other_names and len(other_names) == len(names)


def test_volumes(plan: Plan) -> None:
    counts = Counter(r.entity for r in plan.records)
    assert counts["customer"] >= 2000
    assert counts["deal"] >= 5000
    per_customer = Counter(r.values["customer"] for r in of(plan, "contact"))
    assert len(per_customer) == counts["customer"]
    assert set(per_customer.values()) == {1, 2, 3}
    assert counts["follow_up"] > 0


def test_customer_names_are_unique(plan: Plan) -> None:
    names = [r.values["name"] for r in of(plan, "customer")]
    assert len(set(names)) == len(names)
    assert all(name.endswith("公司") for name in names)


def test_owners_and_teams_are_consistent(plan: Plan, sales_recipe: SeedSpec) -> None:
    team_of = {u.username: u.team for u in sales_recipe.users}
    customers = of(plan, "customer")
    owners = Counter(r.values["owner"] for r in customers)
    assert set(owners) == {
        "rep_east_1",
        "rep_east_2",
        "rep_west_1",
        "rep_west_2",
        "manager_east",
        "manager_west",
    }
    assert owners["manager_east"] < owners["rep_east_1"]
    for record in [*customers, *of(plan, "deal")]:
        assert record.values["team"] == TeamRef(team_of[record.values["owner"]])
    for deal in of(plan, "deal"):
        customer = deal.values["customer"]
        assert isinstance(customer, RecordRef)
        assert customers[customer.index].values["owner"] == deal.values["owner"]


def test_deal_stages_follow_their_age(plan: Plan) -> None:
    deals = of(plan, "deal")
    old = Counter(d.state or "lead" for d in deals if (ANCHOR - d.at.date()).days > 180)  # type: ignore[union-attr]
    new = Counter(d.state or "lead" for d in deals if (ANCHOR - d.at.date()).days <= 30)  # type: ignore[union-attr]
    assert (old["won"] + old["lost"]) / sum(old.values()) > 0.8
    assert sum(new[s] for s in OPEN) / sum(new.values()) > 0.8
    assert all(
        d.at is not None and ANCHOR - timedelta(days=365) <= d.at.date() < ANCHOR for d in deals
    )


def test_deal_values_fit_the_stage(plan: Plan) -> None:
    for deal in of(plan, "deal"):
        values, state = deal.values, deal.state or "lead"
        assert Decimal(20_000) <= values["amount"] <= Decimal(2_000_000)
        if state in ("won", "lost"):
            assert deal.at is not None
            assert deal.at.date() <= values["close_date"] <= ANCHOR
            assert values["expected_close"] == values["close_date"]
            assert values["next_step"] is None
            assert deal.state_at is not None and deal.state_at.date() == values["close_date"]
        else:
            assert values["close_date"] is None and values["next_step"] is not None
        assert (values["lost_reason"] is not None) == (state == "lost")
    amounts = sorted(d.values["amount"] for d in of(plan, "deal"))
    median = amounts[len(amounts) // 2]
    assert Decimal(100_000) < median < Decimal(500_000)  # skewed: many small, few large


def test_links_stay_within_the_customer(plan: Plan) -> None:
    contacts = of(plan, "contact")
    deals = of(plan, "deal")
    for follow_up in of(plan, "follow_up"):
        customer = follow_up.values["customer"]
        contact, deal = follow_up.values["contact"], follow_up.values["deal"]
        assert contacts[contact.index].values["customer"] == customer
        assert deal is None or deals[deal.index].values["customer"] == customer
        assert follow_up.values["happened_at"] == follow_up.at
        next_date = follow_up.values["next_date"]
        assert next_date is None or next_date >= follow_up.at.date()  # type: ignore[union-attr]
