"""A year of the Sales CRM, end to end, on SQLite and PostgreSQL (issue 6's "must show").

The director publishes ¥12,000,000 for 2026; the template's rules build the plan (teams,
months, people, weeks, and the summed quarters and weeks of every level), and every level
adds up exactly. Deals are won and contracts approved through the year; actuals,
attainment and the leaderboard match a direct SQL computation; a rep crosses 100 % and gets
exactly one bonus, then 120 % and it is raised; a cancelled contract claws it back; a payout
goes through its approval; a rep behind pace is warned; a rep leaving a team re-splits the
months to come and never the months gone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from incentive_support import bonus_rows, cancel, pay, won_contract
from runtime_support import SALES_APP, EngineFactory
from sales_support import SYSTEM, at_shanghai, get, told
from workflow_support import act, add_sales_people

from engine.automation.allocation import allocate
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.record import Record
from engine.runtime.worker import Worker

YEAR_START, YEAR_END = date(2026, 1, 1), date(2026, 12, 31)
COMPANY_TARGET = Decimal(12_000_000)
REPS = {"East": ["rep_east_1", "rep_east_2"], "West": ["rep_west_1", "rep_west_2"]}


@pytest.fixture
def sales(make_engine: EngineFactory, database_url: str, clock: FixedClock) -> Engine:
    clock.set(datetime(2026, 1, 5, 1, 0, tzinfo=UTC))  # Monday 5 January, 09:00 in Shanghai
    engine = make_engine(SALES_APP, database_url)
    add_sales_people(engine)
    return engine


# -- reading the plan ----------------------------------------------------------------------


def targets(engine: Engine, **where: Any) -> list[Record]:
    """Every target matching the field values, by period then id."""
    found: list[Record] = []
    cursor: str | None = None
    while True:
        page = engine.records.list(
            SYSTEM, "target", sort=["period_start", "id"], limit=500, cursor=cursor
        )
        found.extend(t for t in page.records if all(t[k] == v for k, v in where.items()))
        if (cursor := page.next_cursor) is None:
            return found


def team_id(engine: Engine, name: str) -> int:
    return engine.people.team_by_name(name).id


def working_days(engine: Engine, start: date, end: date) -> int:
    """Mon–Fri in [start, end], minus the app's holidays, plus its moved working days —
    counted here independently of the engine's `working_days()`."""
    calendar = engine.app.calendar
    holidays = {d.day for d in calendar.holidays}
    workdays = {d.day for d in calendar.workdays}
    days = 0
    day = start
    while day <= end:
        if day in workdays or (day.weekday() < 5 and day not in holidays):
            days += 1
        day += timedelta(days=1)
    return days


def publish_company_year(engine: Engine, amount: Decimal = COMPANY_TARGET) -> Record:
    director = engine.actor("director")
    year = engine.records.create(
        director, "target",
        {"name": "2026 公司目标", "scope": "company", "period_type": "year",
         "period_start": YEAR_START, "period_end": YEAR_END, "amount": amount,
         "split": "working_days"},
    )  # fmt: skip
    act(engine, "director", year, "publish", entity="target")
    return get(engine, "target", year)


def check_plan_adds_up(engine: Engine, company: Record) -> None:
    """Every split is exact and within a yuan of proportional; every summed level adds up."""
    team_years = targets(engine, scope="team", period_type="year")
    assert {t["team"] for t in team_years} == {team_id(engine, "East"), team_id(engine, "West")}
    assert sum(t["amount"] for t in team_years) == company["amount"]
    for team_year in team_years:
        months = targets(engine, parent=team_year.id, period_type="month")
        assert len(months) == 12
        assert sum(m["amount"] for m in months) == team_year["amount"]
        weights = [working_days(engine, m["period_start"], m["period_end"]) for m in months]
        assert [m["amount"] for m in months] == allocate(team_year["amount"], weights)
        for month in months:
            people = targets(engine, parent=month.id, scope="user")
            assert sum(p["amount"] for p in people) == month["amount"]
            for person in people:
                weeks = targets(engine, parent=person.id, period_type="week")
                assert sum(w["amount"] for w in weeks) == person["amount"]
                assert weeks[0]["period_start"] == person["period_start"]
                assert weeks[-1]["period_end"] == person["period_end"]
    # The summed levels: each is what the person months (or weeks) inside it add up to.
    person_months = targets(engine, scope="user", period_type="month")
    person_weeks = targets(engine, scope="user", period_type="week")
    for summed in targets(engine):
        if summed["amount"] is not None:
            assert summed["goal"] == summed["amount"]
            continue
        parts = person_weeks if summed["period_type"] == "week" else person_months
        inside = [
            p["amount"] for p in parts
            if summed["period_start"] <= p["period_start"]
            and p["period_end"] <= summed["period_end"]
            and (summed["scope"] == "company"
                 or (summed["scope"] == "team" and p["team"] == summed["team"])
                 or (summed["scope"] == "user" and p["user"] == summed["user"]))
        ]  # fmt: skip
        assert summed["goal"] == sum(inside), summed["name"]
    for period_type in ("quarter", "month", "week"):
        level = targets(engine, scope="company", period_type=period_type)
        assert sum(t["goal"] for t in level) == company["amount"], period_type


# -- the tests -----------------------------------------------------------------------------


def test_publishing_the_company_year_builds_a_plan_that_adds_up(sales: Engine) -> None:
    company = publish_company_year(sales)
    check_plan_adds_up(sales, company)
    # 1 company year + 4 quarters + 12 months + 53 weeks; the same per team; per person
    # 1 year + 4 quarters + 12 months + the weeks cut at month ends.
    person_weeks = targets(sales, scope="user", user="rep_east_1", period_type="week")
    assert len(person_weeks) == sum(
        len({(d - timedelta(days=d.weekday())) for d in _days(m)}) for m in range(1, 13)
    )
    assert len(targets(sales, scope="company")) == 1 + 4 + 12 + 53
    assert len(targets(sales, scope="team", team=team_id(sales, "East"))) == 1 + 4 + 12 + 53
    assert {t["user"] for t in targets(sales, scope="user")} == {
        rep for reps in REPS.values() for rep in reps
    }
    assert all(t["status"] == "published" for t in targets(sales))
    for rep in ("rep_east_1", "rep_west_2"):
        assert told(sales, rep) == ["Your 2026 sales targets are set"]
    # Publishing again (after a withdrawal) re-shares without duplicating anything.
    count = len(targets(sales))
    act(sales, "director", company, "revise", entity="target", comment="more ambition")
    sales.records.update(sales.actor("director"), "target", company.id,
                         {"amount": Decimal(12_000_001)}, version=None)  # fmt: skip
    act(sales, "director", company, "publish", entity="target")
    assert len(targets(sales)) == count
    check_plan_adds_up(sales, get(sales, "target", company))


def _days(month: int) -> list[date]:
    start = date(2026, month, 1)
    end = date(2026, month + 1, 1) - timedelta(days=1) if month < 12 else YEAR_END
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def test_a_member_leaving_or_joining_re_splits_only_the_months_to_come(
    sales: Engine, clock: FixedClock
) -> None:
    company = publish_company_year(sales)
    clock.set(datetime(2026, 5, 20, 1, 0, tzinfo=UTC))  # Wednesday 20 May
    started = {t.id: t["amount"] for t in targets(sales) if t["period_start"] <= date(2026, 5, 20)}
    west = team_id(sales, "West")

    sales.people.set_team("rep_west_2", None)  # leaves the West team

    after = {t.id: t for t in targets(sales)}
    assert {i: after[i]["amount"] for i in started} == started  # nothing gone is rewritten
    for month in targets(sales, scope="team", team=west, period_type="month"):
        people = {p["user"]: p["amount"] for p in targets(sales, parent=month.id)}
        if month["period_start"] <= date(2026, 5, 20):
            assert people["rep_west_2"] > 0
        else:  # June on: all of it goes to the one who stays
            assert people == {"rep_west_1": month["amount"], "rep_west_2": Decimal(0)}
    june_weeks = targets(sales, scope="user", user="rep_west_2", period_type="week")
    assert all(w["amount"] == 0 for w in june_weeks if w["period_start"] >= date(2026, 6, 1))
    assert (
        told(sales, "rep_west_1")[-1] == "Your team changed: your coming targets were shared again"
    )
    check_plan_adds_up(sales, get(sales, "target", company))

    # A new rep joins (given the role first, then the team): they share the months to come.
    sales.people.create_user("rep_west_3", locale="en")
    sales.people.grant_role(sales.app.id, "rep_west_3", "sales_rep")
    sales.people.set_team("rep_west_3", west)
    for month in targets(sales, scope="team", team=west, period_type="month"):
        people = {p["user"]: p["amount"] for p in targets(sales, parent=month.id)}
        if month["period_start"] > date(2026, 5, 20):
            assert people["rep_west_2"] == 0
            assert people["rep_west_1"] + people["rep_west_3"] == month["amount"]
            assert abs(people["rep_west_1"] - people["rep_west_3"]) <= 1
        else:
            assert "rep_west_3" not in people
    year = targets(sales, scope="user", user="rep_west_3", period_type="year")
    assert len(year) == 1 and year[0]["goal"] > 0
    assert told(sales, "rep_west_3")[0] == "Your 2026 sales targets are set"
    check_plan_adds_up(sales, get(sales, "target", company))


# -- a year of business ---------------------------------------------------------------------


def won_by_sql(engine: Engine, target: Record) -> Decimal:
    """The target's actual, computed straight from the deal table."""
    deals = engine.tables.entity("deal")
    query = sa.select(sa.func.coalesce(sa.func.sum(deals.c.amount), 0)).where(
        deals.c.stage == "won", deals.c.deleted_at.is_(None),
        deals.c.close_date >= target["period_start"], deals.c.close_date <= target["period_end"],
    )  # fmt: skip
    if target["scope"] == "team":
        query = query.where(deals.c.team == target["team"])
    elif target["scope"] == "user":
        query = query.where(deals.c.owner == target["user"])
    with engine.db.begin() as connection:
        return Decimal(connection.scalar(query))


def leaderboard_by_sql(engine: Engine, start: date) -> list[tuple[str, Decimal]]:
    """Won amount per owner since `start`, best first."""
    deals = engine.tables.entity("deal")
    total = sa.func.sum(deals.c.amount)
    query = (
        sa.select(deals.c.owner, total)
        .where(deals.c.stage == "won", deals.c.deleted_at.is_(None), deals.c.close_date >= start)
        .group_by(deals.c.owner)
        .order_by(total.desc(), deals.c.owner)
    )
    with engine.db.begin() as connection:
        return [(str(owner), Decimal(amount)) for owner, amount in connection.execute(query)]


def march(engine: Engine, user: str) -> Record:
    [month] = [t for t in targets(engine, scope="user", user=user, period_type="month")
               if t["period_start"] == date(2026, 3, 1)]  # fmt: skip
    return month


def test_a_year_of_sales(sales: Engine, clock: FixedClock) -> None:
    company = publish_company_year(sales)
    goal = march(sales, "rep_east_1")["goal"]
    assert goal > 0

    # March: rep_east_1 signs contracts; each approved contract wins its deal.
    clock.set(at_shanghai(date(2026, 3, 2), 10))
    won_contract(sales, "rep_east_1", str(goal), signed_on=date(2026, 3, 2))
    assert march(sales, "rep_east_1")["attainment"] == 1
    [bonus] = bonus_rows(sales)  # exactly one bonus at 100 %
    assert (bonus.user, bonus.tier, bonus.amount) == (
        "rep_east_1",
        "achieved",
        goal * Decimal("0.03"),
    )
    extra, _ = won_contract(sales, "rep_east_1", str(goal / 4), signed_on=date(2026, 3, 3))
    assert march(sales, "rep_east_1")["attainment"] == Decimal("1.25")
    [raised] = bonus_rows(sales)  # the same bonus, raised to the next tier
    assert (raised.id, raised.tier) == (bonus.id, "exceeded")
    assert raised.amount == (goal * Decimal("1.25") * Decimal("0.04")).quantize(Decimal("0.01"))
    won_contract(sales, "rep_west_1", "90000", signed_on=date(2026, 3, 4))

    # Actuals and attainment of every target match SQL over the deals; so does the board.
    for each in targets(sales):
        assert each["actual"] == won_by_sql(sales, each), each["name"]
        if each["goal"]:
            assert each["attainment"] == (each["actual"] / each["goal"]).quantize(
                each["attainment"]
            ), each["name"]
    board = sales.dashboards.compute(sales.actor("director"), "leaderboard", locale="en")
    [won_quarter] = [w for w in board.widgets if w.spec.id == "won_quarter"]
    assert [(p.key, p.value) for p in won_quarter.points] == leaderboard_by_sql(
        sales, date(2026, 1, 1)
    )

    # Monday 16 March, 09:00: whoever is behind pace hears of it, and so does their manager.
    clock.set(at_shanghai(date(2026, 3, 16), 8, 59))
    worker = Worker(sales)
    worker.run_once()
    clock.set(at_shanghai(date(2026, 3, 16), 9, 0))
    worker.run_once()
    # rep_west_2 sold nothing: behind in March and in the quarter. rep_east_1 is ahead in
    # March but sold nothing in January and February: behind in the quarter only.
    behind = "Behind pace: 2026年3月 · rep_west_2", "Behind pace: 2026年第1季度 · rep_west_2"
    assert set(behind) <= set(told(sales, "rep_west_2"))
    assert set(behind) <= set(told(sales, "manager_west"))
    east = [t for t in told(sales, "rep_east_1") if t.startswith("Behind pace")]
    assert east == ["Behind pace: 2026年第1季度 · rep_east_1"]

    # April: the March bonus is applied for and paid (manager, then finance).
    clock.set(at_shanghai(date(2026, 4, 1), 10))
    pay(sales, bonus.id)
    paid = get(sales, "bonus", bonus.id)
    assert (paid["status"], paid["paid_on"]) == ("paid", date(2026, 4, 1))

    # The second contract is cancelled: March falls back to 100 %, the difference is clawed
    # back by one adjustment going through the same approval.
    cancel(sales, extra)
    assert march(sales, "rep_east_1")["attainment"] == 1
    rows = bonus_rows(sales)
    [claw_back] = [row for row in rows if row.adjusts == bonus.id]
    assert claw_back.amount == goal * Decimal("0.03") - raised.amount
    assert claw_back.status == "manager"
    assert len([row for row in rows if row.adjusts is None and row.kind == "personal"]) == 1
    check_plan_adds_up(sales, get(sales, "target", company))
