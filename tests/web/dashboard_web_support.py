"""Data the dashboard tests show, on the people of `web_support.add_demo_people`, dated from
the engine's today (the page tests' clock stands at Monday 2 March 2026 in Shanghai; the
browser tests' engine runs on the real clock).

Targets (drafts, set by the director): the company's year (¥1,000,000), East's and West's
quarter (¥300,000 / ¥200,000) and each planned rep's month (¥100,000). Won today through
the deal workflow (rules off, so nobody's inbox fills up): rep_east_1 ¥60,000 and ¥25,000,
rep_east_2 ¥40,000, rep_west_1 ¥10,000 — rep_east_1 stands at 85 % of the month. Open:
rep_east_1 has a deal in proposal (¥120,000, 50 %) and a lead (¥30,000, 5 %) with
Prospect Co, a customer that should have been called ten days ago; rep_west_2 (who reads
Chinese) has a lead of ¥250,000.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from engine.runtime.engine import Engine
from engine.runtime.record import Record
from engine.runtime.workflow_service import ActionRequest

__all__ = ["PLANS", "DashboardData", "RepPlan", "add_dashboard_data", "engine_today"]


@dataclass(frozen=True)
class RepPlan:
    """One rep's part: a month target (or none), deals won today, open deals."""

    target: str | None = "100000"
    won: tuple[str, ...] = ()
    open: tuple[tuple[str, str, str], ...] = ()  # name, amount, stage (lead or proposal)
    customer: str | None = None
    overdue: bool = False  # the open deals' customer should have been called


PLANS = {
    "rep_east_1": RepPlan(
        won=("60000", "25000"),
        open=(("Big proposal", "120000", "proposal"), ("Fresh lead", "30000", "lead")),
        customer="Prospect Co",
        overdue=True,
    ),
    "rep_east_2": RepPlan(won=("40000",)),
    "rep_west_1": RepPlan(won=("10000",)),
    "rep_west_2": RepPlan(target=None, open=(("新线索", "250000", "lead"),), customer="华西制造"),
}


@dataclass(frozen=True)
class DashboardData:
    """What the tests open and compare: today, and each rep's month target by username."""

    today: date
    month_targets: dict[str, int] = field(default_factory=dict)


def engine_today(engine: Engine) -> date:
    """Today in the app's time zone, by the engine's clock."""
    return engine.clock.now().astimezone(ZoneInfo(engine.app.timezone or "UTC")).date()


def add_dashboard_data(engine: Engine, reps: Iterable[str] = tuple(PLANS)) -> DashboardData:
    """Create the targets and deals of the module docstring, for the reps named."""
    today = engine_today(engine)
    month, quarter, year = _periods(today)
    east = engine.people.team_by_name("East").id
    west = engine.people.team_by_name("West").id
    _target(engine, "Company target", "company", year, "year", "1000000")
    _target(engine, "East quarter", "team", quarter, "quarter", "300000", team=east)
    _target(engine, "West quarter", "team", quarter, "quarter", "200000", team=west)
    data = DashboardData(today)
    for rep in reps:
        plan = PLANS[rep]
        if plan.target is not None:
            name = f"{rep} {month[0]:%Y-%m}"
            made = _target(engine, name, "user", month, "month", plan.target, user=rep)
            data.month_targets[rep] = made.id
        if plan.won:
            customer = _customer(engine, rep, f"Customer of {rep}")
            for amount in plan.won:
                deal = _deal(engine, rep, customer, f"Won {amount}", amount, month[1])
                for action in ("qualify", "propose", "win"):
                    _act(engine, rep, deal.id, action)
        if plan.open:
            called = {"next_follow_up": today - timedelta(days=10)} if plan.overdue else {}
            customer = _customer(engine, rep, plan.customer or f"Prospect of {rep}", **called)
            for name, amount, stage in plan.open:
                deal = _deal(engine, rep, customer, name, amount, month[1])
                if stage == "proposal":
                    for action in ("qualify", "propose"):
                        _act(engine, rep, deal.id, action)
    return data


def _periods(today: date) -> tuple[tuple[date, date], ...]:
    """This month, quarter and year, first and last day."""
    month_start = today.replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    quarter_start = month_start.replace(month=(today.month - 1) // 3 * 3 + 1)
    after = quarter_start.replace(day=28) + timedelta(days=70)  # in the next quarter's month
    quarter_end = after.replace(day=1) - timedelta(days=1)
    year = (date(today.year, 1, 1), date(today.year, 12, 31))
    return (month_start, month_end), (quarter_start, quarter_end), year


def _target(
    engine: Engine, name: str, scope: str, period: tuple[date, date], kind: str, amount: str,
    **values: Any,
) -> Record:  # fmt: skip
    fields = {"name": name, "scope": scope, "period_type": kind, "period_start": period[0],
              "period_end": period[1], "amount": Decimal(amount)}  # fmt: skip
    return engine.records.create(engine.actor("director"), "target", fields | values)


def _customer(engine: Engine, owner: str, name: str, **values: Any) -> Record:
    fields = {"name": name, "level": "B"} | values
    return engine.records.create(engine.actor(owner), "customer", fields)


def _deal(
    engine: Engine, owner: str, customer: Record, name: str, amount: str, closes: date
) -> Record:
    fields = {"name": name, "customer": customer.id, "amount": Decimal(amount),
              "expected_close": closes}  # fmt: skip
    return engine.records.create(engine.actor(owner), "deal", fields)


def _act(engine: Engine, username: str, record_id: int, action: str) -> None:
    request = ActionRequest(automations=False)
    engine.workflows.act(engine.actor(username), "deal", record_id, action, request)
