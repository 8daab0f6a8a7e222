"""Roll-up fields kept current (engine/runtime/rollups.py), on SQLite and PostgreSQL: link
roll-ups (count, a sum with `where`, avg, min, a datetime max kept as a local date) after
every kind of write of a source record, `match` roll-ups whose rule reads `this.`, a
formula and threshold rules over a roll-up, bulk creates, writes no roll-up reads,
`recompute`, and the Sales CRM template's customer and target roll-ups."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rollup_app import change, history, item, make_rollup_engine, runs, values, version
from runtime_support import SALES_APP, EngineFactory
from workflow_support import act, add_sales_people

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.record import Record

AppWriter = Callable[[Mapping[str, str]], Path]
SYSTEM = Actor.system()
# 00:30 on 3 March in Shanghai, still 2 March in UTC: the latest item's local day is the 3rd.
LATE = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
EARLY = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)  # 18:00 on 1 March in Shanghai
LINKED = ("item_count", "open_total", "avg_amount", "min_amount", "last_seen")


@pytest.fixture
def engine(make_engine: EngineFactory, write_app_folder: AppWriter, database_url: str) -> Engine:
    return make_rollup_engine(make_engine, write_app_folder, database_url)


def account(engine: Engine, name: str, goal: str | None = None) -> Record:
    fields: dict[str, Any] = {"name": name}
    if goal is not None:
        fields["goal"] = Decimal(goal)
    return engine.records.create(engine.actor("ann"), "account", fields)


def period(engine: Engine, name: str, user: str, start: date, end: date) -> Record:
    fields = {"name": name, "user": user, "start": start, "end": end}
    return engine.records.create(engine.actor("ann"), "period", fields)


def rolled(
    engine: Engine, record: Record | int, names: tuple[str, ...] = LINKED
) -> tuple[Any, ...]:
    """The account's roll-up values, in the order of `names`."""
    found = values(engine, "account", record)
    return tuple(found[name] for name in names)


def money(text: str) -> Decimal:
    return Decimal(text)


# -- link roll-ups ---------------------------------------------------------------------------


def test_link_rollups_follow_every_write_of_their_sources(engine: Engine) -> None:
    first, second = account(engine, "First"), account(engine, "Second")
    one = item(engine, "one", account=first.id, amount=money("300"), seen_at=LATE)
    two = item(engine, "two", account=first.id, amount=money("100"), status="closed",
               seen_at=EARLY)  # fmt: skip
    three = item(engine, "three", account=first.id, amount=money("200"))
    # count, sum of the open ones, avg, min, the latest seen_at as its day in Shanghai
    assert rolled(engine, first) == (3, money("500"), money("200"), money("100"), date(2026, 3, 3))
    change(engine, three, amount=money("500"))  # the summed field
    assert rolled(engine, first) == (3, money("800"), money("300"), money("100"), date(2026, 3, 3))
    change(engine, one, status="closed")  # `where` no longer holds for it
    assert rolled(engine, first) == (3, money("500"), money("300"), money("100"), date(2026, 3, 3))
    change(engine, three, account=second.id)  # moved: both holders change
    assert rolled(engine, first) == (2, money("0"), money("200"), money("100"), date(2026, 3, 3))
    assert rolled(engine, second) == (1, money("500"), money("500"), money("500"), None)
    engine.records.delete(engine.actor("ann"), "item", one.id)
    assert rolled(engine, first) == (1, money("0"), money("100"), money("100"), date(2026, 3, 1))
    engine.records.restore(engine.actor("ann"), "item", one.id)
    assert rolled(engine, first) == (2, money("0"), money("200"), money("100"), date(2026, 3, 3))
    # A source that links nowhere feeds nothing and writes no holder.
    versions = (version(engine, "account", first), version(engine, "account", second))
    loose = item(engine, "loose", amount=money("999"), seen_at=LATE)
    change(engine, loose, amount=money("1"))
    assert (version(engine, "account", first), version(engine, "account", second)) == versions
    # Emptying a link takes the source out; with nothing left: 0 for count and sum, blank
    # for avg, min and max.
    change(engine, three, account=None)
    assert rolled(engine, second) == (0, money("0"), None, None, None)
    change(engine, one, account=second.id)
    change(engine, two, account=second.id)
    assert rolled(engine, first) == (0, money("0"), None, None, None)
    assert rolled(engine, second) == (2, money("0"), money("200"), money("100"), date(2026, 3, 3))


def test_deleting_the_last_source_empties_the_rollups(engine: Engine) -> None:
    holder = account(engine, "Holder")
    only = item(engine, "only", account=holder.id, amount=money("40"), seen_at=EARLY)
    assert rolled(engine, holder) == (1, money("40"), money("40"), money("40"), date(2026, 3, 1))
    engine.records.delete(engine.actor("ann"), "item", only.id)
    assert rolled(engine, holder) == (0, money("0"), None, None, None)


def test_a_new_holder_counts_nothing_as_zero(engine: Engine) -> None:
    fresh = account(engine, "Fresh")
    assert rolled(engine, fresh, ("item_count", "open_total")) == (0, money("0"))


def test_an_average_is_rounded_to_its_result_type(engine: Engine) -> None:
    holder = account(engine, "Thirds")
    for amount in ("100", "100", "101"):
        item(engine, amount, account=holder.id, amount=money(amount))
    assert values(engine, "account", holder)["avg_amount"] == money("100.33")


# -- match roll-ups --------------------------------------------------------------------------


def test_match_rollups_count_a_source_in_every_holder_whose_rule_holds(engine: Engine) -> None:
    march = period(engine, "ann March", "ann", date(2026, 3, 1), date(2026, 3, 31))
    april = period(engine, "ann April", "ann", date(2026, 4, 1), date(2026, 4, 30))
    spring = period(engine, "ann spring", "ann", date(2026, 3, 1), date(2026, 5, 31))
    bobs = period(engine, "bob March", "bob", date(2026, 3, 1), date(2026, 3, 31))

    def totals() -> dict[str, tuple[Any, Any]]:
        return {
            name: (values(engine, "period", record)["total"],
                   values(engine, "period", record)["items"])
            for name, record in (("march", march), ("april", april), ("spring", spring))
        }  # fmt: skip

    sold = item(engine, "sold", owner="ann", day=date(2026, 3, 31), amount=money("100"))
    item(engine, "more", owner="ann", day=date(2026, 3, 1), amount=money("20"))
    bob_version = version(engine, "period", bobs)
    assert totals()["march"] == (money("120"), 2)
    assert totals()["spring"] == (money("120"), 2)
    assert version(engine, "period", bobs) == bob_version  # bob's rule matched neither
    change(engine, sold, day=date(2026, 4, 1))  # moves from March to April, stays in spring
    assert totals() == {
        "march": (money("20"), 1), "april": (money("100"), 1), "spring": (money("120"), 2),
    }  # fmt: skip
    change(engine, sold, owner="bob", day=date(2026, 3, 15))  # now bob's, in March
    assert totals() == {
        "march": (money("20"), 1), "april": (money("0"), 0), "spring": (money("20"), 1),
    }  # fmt: skip
    assert values(engine, "period", bobs)["total"] == money("100")
    change(engine, sold, day=date(2026, 6, 1))  # out of every period
    assert values(engine, "period", bobs)["total"] == money("0")


def test_a_match_holder_created_later_counts_the_sources_already_there(
    engine: Engine,
) -> None:
    item(engine, "early", owner="ann", day=date(2026, 3, 10), amount=money("120"))
    late = period(engine, "ann March", "ann", date(2026, 3, 1), date(2026, 3, 31))
    assert values(engine, "period", late)["total"] == money("120")


def test_moving_a_holders_own_period_recomputes_its_rollup(engine: Engine) -> None:
    march = period(engine, "ann March", "ann", date(2026, 3, 1), date(2026, 3, 31))
    item(engine, "late", owner="ann", day=date(2026, 3, 20), amount=money("50"))
    assert values(engine, "period", march)["total"] == money("50")
    engine.records.update(engine.actor("ann"), "period", march.id,
                          {"end": date(2026, 3, 10)}, version=None)  # fmt: skip
    assert values(engine, "period", march)["total"] == money("0")


def test_a_restored_holder_counts_what_came_while_it_was_deleted(engine: Engine) -> None:
    march = period(engine, "ann March", "ann", date(2026, 3, 1), date(2026, 3, 31))
    item(engine, "before", owner="ann", day=date(2026, 3, 2), amount=money("5"))
    engine.records.delete(engine.actor("ann"), "period", march.id)
    item(engine, "while deleted", owner="ann", day=date(2026, 3, 3), amount=money("7"))
    engine.records.restore(engine.actor("ann"), "period", march.id)
    assert values(engine, "period", march)["total"] == money("12")


# -- formulas, history, thresholds -----------------------------------------------------------


def test_a_formula_follows_its_rollup_and_thresholds_fire_once(engine: Engine) -> None:
    holder = account(engine, "Goal", goal="2000")
    first = item(engine, "first", account=holder.id, amount=money("600"))
    assert values(engine, "account", holder)["ratio"] == Decimal("0.3")
    assert runs(engine, "over_total") == [] and runs(engine, "over_ratio") == []
    change(engine, first, amount=money("1000"))  # open_total 1000, ratio 0.5: both cross
    assert values(engine, "account", holder)["ratio"] == Decimal("0.5")
    # derived values: the holder's history stays as people left it (the items' tells)
    assert [e.kind for e in history(engine, "account", holder)] == ["created"]
    item(engine, "second", account=holder.id, amount=money("300"))  # higher still
    for name in ("over_total", "over_ratio"):
        [run] = runs(engine, name)
        assert (run.status, run.trigger_type, run.entity, run.record_id) == (
            "done", "threshold", "account", holder.id,
        )  # fmt: skip
    alerts = engine.records.list(SYSTEM, "alert", sort=["id"]).records
    assert sorted(a["name"] for a in alerts) == ["ratio", "total"]
    assert {a["account"] for a in alerts} == {holder.id}
    # Back below and across again: one more run each.
    change(engine, first, status="closed")
    assert values(engine, "account", holder)["ratio"] == Decimal("0.15")
    change(engine, first, status="open")
    assert [len(runs(engine, name)) for name in ("over_total", "over_ratio")] == [2, 2]


def test_a_source_write_moves_its_holders_rollups_in_one_derived_write(engine: Engine) -> None:
    holder = account(engine, "Named")
    before = version(engine, "account", holder)
    item(engine, "x", account=holder.id, amount=money("5"), status="closed")
    # four roll-ups moved (open_total stays 0: the item is closed), in one write
    assert rolled(engine, holder) == (1, Decimal(0), Decimal(5), Decimal(5), None)
    assert version(engine, "account", holder) == before + 1
    assert [e.kind for e in history(engine, "account", holder)] == ["created"]


# -- bulk, untouched fields, recompute --------------------------------------------------------


def test_create_many_in_one_transaction_gives_the_right_totals(engine: Engine) -> None:
    holders = [account(engine, f"Bulk {n}") for n in range(3)]
    march = period(engine, "ann March", "ann", date(2026, 3, 1), date(2026, 3, 31))
    rows = [
        {
            "name": f"row {n}", "account": holders[n % 3].id, "amount": Decimal(n),
            "owner": "ann", "day": date(2026, 3, 1 + n % 31),
            "status": "open" if n % 2 == 0 else "closed",
        }
        for n in range(150)
    ]  # fmt: skip
    with engine.db.begin() as connection:
        made = engine.records.create_many_in(connection, engine.actor("ann"), "item", rows)
    assert len(made) == 150
    for index, holder in enumerate(holders):
        mine = [n for n in range(150) if n % 3 == index]
        expected = (
            50, Decimal(sum(n for n in mine if n % 2 == 0)), Decimal(sum(mine)) / 50,
            Decimal(min(mine)), None,
        )  # fmt: skip
        assert rolled(engine, holder) == expected
    found = values(engine, "period", march)
    assert (found["total"], found["items"]) == (Decimal(sum(range(150))), 150)


def test_a_write_no_rollup_reads_leaves_the_holders_alone(engine: Engine) -> None:
    holder = account(engine, "Quiet", goal="100")
    march = period(engine, "ann March", "ann", date(2026, 3, 1), date(2026, 3, 31))
    quiet = item(engine, "quiet", account=holder.id, amount=money("10"), owner="ann",
                 day=date(2026, 3, 3), seen_at=LATE)  # fmt: skip
    before = (version(engine, "account", holder), version(engine, "period", march))
    entries = len(history(engine, "account", holder))
    change(engine, quiet, note="just a note", name="renamed")
    assert (version(engine, "account", holder), version(engine, "period", march)) == before
    assert len(history(engine, "account", holder)) == entries
    # The same amount again is no change either.
    change(engine, quiet, amount=money("10.00"))
    assert version(engine, "account", holder) == before[0]


def test_recompute_mends_values_written_around_the_service(engine: Engine) -> None:
    holder = account(engine, "Mended", goal="1000")
    march = period(engine, "ann March", "ann", date(2026, 3, 1), date(2026, 3, 31))
    item(engine, "a", account=holder.id, amount=money("250"), owner="ann", day=date(2026, 3, 9),
         seen_at=EARLY)  # fmt: skip
    with engine.db.begin() as connection:
        assert engine.records.rollups.recompute(connection, engine.records) == 0  # all current
    accounts, periods = engine.tables.entity("account"), engine.tables.entity("period")
    with engine.db.begin() as connection:
        connection.execute(accounts.update().where(accounts.c.id == holder.id)
                           .values(open_total=Decimal(999), item_count=7))  # fmt: skip
        connection.execute(periods.update().where(periods.c.id == march.id).values(total=1))
    assert values(engine, "account", holder)["open_total"] == money("999")
    with engine.db.begin() as connection:
        changed = engine.records.rollups.recompute(connection, engine.records)
    assert changed == 2  # the account (both its roll-ups in one write) and the period
    found = values(engine, "account", holder)
    assert (found["open_total"], found["item_count"], found["ratio"]) == (
        money("250"),
        1,
        Decimal("0.25"),
    )  # fmt: skip  (the formula follows)
    assert values(engine, "period", march)["total"] == money("250")
    with engine.db.begin() as connection:
        assert engine.records.rollups.recompute(connection, engine.records) == 0


# -- the sales template ----------------------------------------------------------------------


@pytest.fixture
def sales(make_engine: EngineFactory, database_url: str) -> Engine:
    engine = make_engine(SALES_APP, database_url)
    add_sales_people(engine)
    return engine


def sales_target(engine: Engine, by: str, name: str, scope: str, start: date, end: date,
                 period_type: str, **values: Any) -> Record:  # fmt: skip
    fields: dict[str, Any] = {"name": name, "scope": scope, "period_type": period_type}
    fields |= {"period_start": start, "period_end": end, "amount": Decimal(100000)}
    return engine.records.create(engine.actor(by), "target", fields | values)


def win_deal(engine: Engine, rep: str, client: Record, amount: str) -> Record:
    """A deal of `rep` taken to proposal and won today (2 March 2026 in Shanghai)."""
    actor = engine.actor(rep)
    fields = {"name": f"Deal {amount}", "customer": client.id, "amount": Decimal(amount),
              "expected_close": date(2026, 3, 31)}  # fmt: skip
    deal = engine.records.create(actor, "deal", fields)
    act(engine, rep, deal, "qualify", entity="deal")
    act(engine, rep, deal, "propose", entity="deal")
    return act(engine, rep, deal, "win", entity="deal")


def test_a_won_deal_feeds_the_customer_and_the_targets_of_its_period(sales: Engine) -> None:
    east = sales.people.team_by_name("East").id
    west = sales.people.team_by_name("West").id
    march, april = (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 4, 30))
    q1 = (date(2026, 1, 1), date(2026, 3, 31))
    week = (date(2026, 3, 2), date(2026, 3, 8))
    targets = {
        "company March": sales_target(sales, "director", "Co March", "company", *march, "month"),
        "company Q1": sales_target(sales, "director", "Co Q1", "company", *q1, "quarter"),
        "East March": sales_target(sales, "director", "East March", "team", *march, "month",
                                   team=east),
        "West March": sales_target(sales, "director", "West March", "team", *march, "month",
                                   team=west),
        "rep March": sales_target(sales, "manager_east", "R1 March", "user", *march, "month",
                                  user="rep_east_1"),
        "rep week": sales_target(sales, "manager_east", "R1 week", "user", *week, "week",
                                 user="rep_east_1"),
        "rep April": sales_target(sales, "manager_east", "R1 April", "user", *april, "month",
                                  user="rep_east_1"),
        "other rep March": sales_target(sales, "manager_east", "R2 March", "user", *march,
                                        "month", user="rep_east_2"),
    }  # fmt: skip
    client = sales.records.create(sales.actor("rep_east_1"), "customer",
                                  {"name": "Won Co", "owner": "rep_east_1"})  # fmt: skip
    won = win_deal(sales, "rep_east_1", client, "60000")
    assert (won["stage"], won["close_date"], won["team"]) == ("won", date(2026, 3, 2), east)
    found = sales.records.get(SYSTEM, "customer", client.id)
    assert (found["deal_count"], found["won_amount"]) == (1, Decimal(60000))

    def actual() -> dict[str, Any]:
        return {
            name: sales.records.get(SYSTEM, "target", record.id)["actual"]
            for name, record in targets.items()
        }

    counted = ("company March", "company Q1", "East March", "rep March", "rep week")
    assert {name for name, value in actual().items() if value == Decimal(60000)} == set(counted)
    assert {name: value for name, value in actual().items() if name not in counted} == {
        "West March": Decimal(0),
        "rep April": Decimal(0),
        "other rep March": Decimal(0),
    }  # fmt: skip  (a sum over no deal: 0, from the moment the target exists)
    rep_march = sales.records.get(SYSTEM, "target", targets["rep March"].id)
    assert rep_march["attainment"] == Decimal("0.6")
    # A second deal, still open, counts for the customer but not in any target.
    sales.records.create(sales.actor("rep_east_1"), "deal",
                         {"name": "Open", "customer": client.id, "amount": Decimal(5)})  # fmt: skip
    found = sales.records.get(SYSTEM, "customer", client.id)
    assert (found["deal_count"], found["won_amount"]) == (2, Decimal(60000))
    assert actual()["company March"] == Decimal(60000)
    # A West deal adds to the company and West targets only.
    west_client = sales.records.create(sales.actor("rep_west_1"), "customer",
                                       {"name": "West Co", "owner": "rep_west_1"})  # fmt: skip
    win_deal(sales, "rep_west_1", west_client, "40000")
    now = actual()
    assert (now["company March"], now["company Q1"], now["West March"]) == (
        Decimal(100000), Decimal(100000), Decimal(40000),
    )  # fmt: skip
    assert (now["East March"], now["rep March"]) == (Decimal(60000), Decimal(60000))
