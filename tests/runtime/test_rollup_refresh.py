"""The write path of roll-ups (engine/runtime/rollups.py, rollup_holders.py), on SQLite and
PostgreSQL: sums and counts moved by difference stay equal to their aggregate through any
sequence of writes; holders moved in place; blank values and inexact differences
aggregated instead; a source `where` leaves out costs no statement; holder statements built
once per shape of values; `match` rules calling functions on `this.` fields; roll-ups whose
sources are records of the holder's own entity; thresholds over a moved roll-up."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rollup_ledger_app import (
    change,
    make_ledger_engine,
    plan,
    recompute,
    sale,
    values,
    version,
)
from runtime_support import EngineFactory

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.record import Record

AppWriter = Callable[[Mapping[str, str]], Path]
SYSTEM = Actor.system()
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
SPRING = (date(2026, 3, 1), date(2026, 5, 31))


@pytest.fixture
def engine(make_engine: EngineFactory, write_app_folder: AppWriter, database_url: str) -> Engine:
    return make_ledger_engine(make_engine, write_app_folder, database_url)


def bucket(engine: Engine, name: str) -> Record:
    return engine.records.create(engine.actor("ann"), "bucket", {"name": name})


def counted(engine: Engine, record: Record) -> tuple[Any, Any]:
    """A bucket's sale count and open total."""
    found = values(engine, "bucket", record)
    return found["sales"], found["open_total"]


def money(text: str) -> Decimal:
    return Decimal(text)


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine.db.engine, "before_cursor_execute", record)


def test_random_writes_keep_every_rollup_equal_to_its_aggregate(engine: Engine) -> None:
    """Creates, updates of every field a roll-up reads, deletes and restores of sales and
    plans: after each, a full recompute finds nothing to mend."""
    chance = random.Random(20260302)
    buckets = [bucket(engine, f"b{n}").id for n in range(3)]
    for name in ("t0", "t1"):
        engine.records.create(engine.actor("ann"), "thirds", {"name": name, "bucket": buckets[0]})
    plans: list[int] = []
    for owner in ("ann", "bob"):
        for start, end in (MARCH, SPRING, (date(2027, 3, 1), date(2027, 3, 31))):
            kind = "leaf" if end == MARCH[1] else "sum"
            made = plan(engine, f"{owner} {start}", owner=owner, start=start, end=end,
                        amount=money("500"), kind=kind)  # fmt: skip
            plans.append(made.id)
    sales: list[int] = []
    gone: list[int] = []

    def some_sale() -> dict[str, Any]:
        return {
            "bucket": chance.choice([*buckets, None]),
            "amount": chance.choice([money("10.25"), money("3"), money("0.01"), None]),
            "part": chance.choice([Decimal("0.333"), Decimal("1"), None]),
            "status": chance.choice(["open", "closed"]),
            "owner": chance.choice(["ann", "bob", None]),
            "day": date(2026, 2, 20) + timedelta(days=chance.randrange(120)),
        }

    for step in range(45):
        roll = chance.random()
        if roll < 0.3 or not sales:
            sales.append(sale(engine, f"s{step}", **some_sale()).id)
        elif roll < 0.65:
            fields = some_sale()
            keys = chance.sample(sorted(fields), chance.randint(1, 3))
            change(engine, "sale", chance.choice(sales), **{key: fields[key] for key in keys})
        elif roll < 0.75:
            victim = sales.pop(chance.randrange(len(sales)))
            engine.records.delete(engine.actor("ann"), "sale", victim)
            gone.append(victim)
        elif roll < 0.8 and gone:
            back = gone.pop()
            engine.records.restore(engine.actor("ann"), "sale", back)
            sales.append(back)
        elif roll < 0.9:
            start = date(2026, 3, 1) + timedelta(days=chance.randrange(0, 60, 7))
            change(engine, "plan", chance.choice(plans), start=start,
                   end=start + timedelta(days=chance.choice([6, 30, 90])))  # fmt: skip
        else:
            change(engine, "plan", chance.choice(plans),
                   amount=chance.choice([money("100"), None, money("250.50")]),
                   kind=chance.choice(["leaf", "sum"]))  # fmt: skip
        assert recompute(engine) == 0, f"step {step}"
    # the walk did move roll-ups (the check above is not vacuous)
    assert any(values(engine, "plan", p)["sold"] for p in plans)
    assert any(values(engine, "bucket", b)["sales"] for b in buckets)


def test_link_rollups_of_a_plain_entity_move_in_place(engine: Engine) -> None:
    box = bucket(engine, "box")
    other = bucket(engine, "other")
    first = sale(engine, "first", bucket=box.id, amount=money("12.50"))
    sale(engine, "second", bucket=box.id, amount=money("7.50"), status="closed")
    assert counted(engine, box) == (2, money("12.50"))
    before = version(engine, "bucket", box)
    with statements(engine) as seen:
        change(engine, "sale", first, amount=money("20"))
    buckets = [s for s in seen if "ledger__bucket" in s]
    assert len(buckets) == 1 and buckets[0].lstrip().upper().startswith("UPDATE")  # no read
    assert values(engine, "bucket", box)["open_total"] == money("20")
    assert version(engine, "bucket", box) == before + 1
    change(engine, "sale", first, bucket=other.id)  # leaves one holder, joins another
    assert (counted(engine, box), counted(engine, other)) == ((1, money("0")), (1, money("20")))
    assert [e.kind for e in engine.records.history(SYSTEM, "bucket", box.id)] == ["created"]


def test_a_blank_rollup_is_aggregated_not_moved(engine: Engine) -> None:
    box = bucket(engine, "box")
    march = plan(engine, "march", owner="ann", start=MARCH[0], end=MARCH[1])
    first = sale(engine, "first", bucket=box.id, amount=money("5"), owner="ann", day=MARCH[0])
    sale(engine, "second", bucket=box.id, amount=money("6"), owner="ann", day=MARCH[1])
    buckets, plans = engine.tables.entity("bucket"), engine.tables.entity("plan")
    with engine.db.begin() as connection:  # values lost around the service
        connection.execute(buckets.update().values(open_total=None, sales=None))
        connection.execute(plans.update().values(actual=None, sold=None))
    sale(engine, "third", bucket=box.id, amount=money("7"), owner="ann", day=MARCH[0])
    found = values(engine, "bucket", box)
    assert (found["sales"], found["open_total"]) == (3, money("18"))
    found = values(engine, "plan", march)
    assert (found["sold"], found["actual"]) == (3, money("18"))
    change(engine, "sale", first, amount=money("1"))  # moved from the mended values
    assert values(engine, "plan", march)["actual"] == money("14")
    assert recompute(engine) == 0


def test_a_difference_not_exact_to_the_cent_is_aggregated(engine: Engine) -> None:
    box = bucket(engine, "box")
    thirds = engine.records.create(engine.actor("ann"), "thirds", {"name": "t", "bucket": box.id})
    one = sale(engine, "one", bucket=box.id, part=Decimal("0.333"))
    sale(engine, "two", bucket=box.id, part=Decimal("0.333"))
    # 0.666 kept to the cent is 0.67; adding 0.333 kept to the cent twice would give 0.66
    assert values(engine, "thirds", thirds)["thirds"] == money("0.67")
    change(engine, "sale", one, part=Decimal("0.334"))
    assert values(engine, "thirds", thirds)["thirds"] == money("0.67")
    change(engine, "sale", one, part=Decimal("0.338"))
    assert values(engine, "thirds", thirds)["thirds"] == money("0.67")
    change(engine, "sale", one, part=Decimal("0.343"))
    assert values(engine, "thirds", thirds)["thirds"] == money("0.68")
    assert recompute(engine) == 0


def test_a_write_its_where_leaves_out_costs_no_statement(engine: Engine) -> None:
    march = plan(engine, "march", owner="ann", start=MARCH[0], end=MARCH[1])
    closed = sale(engine, "closed", owner="ann", day=date(2026, 3, 3), amount=money("40"),
                  status="closed")  # fmt: skip
    found = values(engine, "plan", march)
    assert (found["actual"], found["sold"]) == (money("0"), 1)
    before = version(engine, "plan", march)
    with statements(engine) as seen:
        change(engine, "sale", closed, amount=money("50"))  # `actual` counts open sales only
    assert not [s for s in seen if "ledger__plan" in s]
    assert version(engine, "plan", march) == before
    assert values(engine, "plan", march)["actual"] == money("0")
    change(engine, "sale", closed, status="open")  # now it counts
    assert values(engine, "plan", march)["actual"] == money("50")


def test_holder_statements_are_built_once_per_shape_of_values(engine: Engine) -> None:
    march = plan(engine, "march", owner="ann", start=MARCH[0], end=MARCH[1])
    bobs = plan(engine, "bob march", owner="bob", start=MARCH[0], end=MARCH[1])
    kept = engine.records.rollups.holders
    one = sale(engine, "one", owner="ann", day=date(2026, 3, 5), amount=money("1"))
    change(engine, "sale", one, amount=money("2"))
    shapes = kept.kept
    for amount in ("3", "4", "5"):
        change(engine, "sale", one, amount=money(amount))
    two = sale(engine, "two", owner="bob", day=date(2026, 3, 9), amount=money("9"))
    change(engine, "sale", two, amount=money("10"))
    assert kept.kept == shapes  # same shapes (a user, a date, an amount): no new statement
    assert (values(engine, "plan", march)["actual"], values(engine, "plan", bobs)["actual"]) == (
        money("5"), money("10"),
    )  # fmt: skip
    # A blank owner is another shape (NULL matches no plan, not even one without owner).
    nobody = plan(engine, "nobody", start=MARCH[0], end=MARCH[1])
    change(engine, "sale", two, owner=None)
    assert kept.kept > shapes
    assert values(engine, "plan", bobs)["actual"] == money("0")
    assert values(engine, "plan", nobody)["actual"] == money("0")


def test_a_match_calling_a_function_on_this_finds_last_years_holders(engine: Engine) -> None:
    this_march = plan(engine, "march 2026", owner="ann", start=MARCH[0], end=MARCH[1])
    next_march = plan(engine, "march 2027", owner="ann", start=date(2027, 3, 1),
                      end=date(2027, 3, 31))  # fmt: skip
    old = sale(engine, "old", owner="ann", day=date(2026, 3, 31), amount=money("30"))
    assert values(engine, "plan", next_march)["last_year"] == money("30")
    assert values(engine, "plan", this_march)["last_year"] == money("0")
    change(engine, "sale", old, day=date(2025, 3, 15), amount=money("31"))
    assert values(engine, "plan", this_march)["last_year"] == money("31")
    assert values(engine, "plan", next_march)["last_year"] == money("0")
    assert recompute(engine) == 0


def test_a_rollup_over_records_of_its_own_entity(engine: Engine) -> None:
    year = plan(engine, "spring", owner="ann", start=SPRING[0], end=SPRING[1], kind="sum")
    march = plan(engine, "march", owner="ann", start=MARCH[0], end=MARCH[1], amount=money("100"))
    april = plan(engine, "april", owner="ann", start=date(2026, 4, 1), end=date(2026, 4, 30),
                 amount=money("50"))  # fmt: skip
    assert values(engine, "plan", year)["planned"] == money("150")
    assert values(engine, "plan", march)["planned"] == money("100")  # a leaf holds itself
    change(engine, "plan", march, amount=money("120"))
    assert values(engine, "plan", year)["planned"] == money("170")
    assert values(engine, "plan", march)["planned"] == money("120")
    before = version(engine, "plan", april)
    change(engine, "plan", april, start=date(2026, 6, 1), end=date(2026, 6, 30))  # out of spring
    assert values(engine, "plan", year)["planned"] == money("120")
    assert values(engine, "plan", april)["planned"] == money("50")
    # its own `planned` never passed through a wrong value: the user's write only
    assert version(engine, "plan", april) == before + 1
    # the sum plan has no amount: its goal is what it plans, and its share follows
    sale(engine, "sold", owner="ann", day=date(2026, 3, 9), amount=money("60"))
    assert (values(engine, "plan", year)["goal"], values(engine, "plan", year)["share"]) == (
        money("120"), Decimal("0.5"),
    )  # fmt: skip
    change(engine, "plan", march, amount=money("240"))  # planned → goal → share
    assert (values(engine, "plan", year)["goal"], values(engine, "plan", year)["share"]) == (
        money("240"), Decimal("0.25"),
    )  # fmt: skip
    change(engine, "plan", march, amount=None)  # `where` leaves it out now
    assert values(engine, "plan", year)["planned"] == money("0")
    assert values(engine, "plan", year)["share"] is None  # a goal of 0
    assert values(engine, "plan", march)["planned"] == money("0")
    assert recompute(engine) == 0


def test_a_moved_rollup_fires_its_formulas_threshold_once(engine: Engine) -> None:
    march = plan(engine, "march", owner="ann", start=MARCH[0], end=MARCH[1], amount=money("100"))
    first = sale(engine, "first", owner="ann", day=date(2026, 3, 2), amount=money("30"))
    assert values(engine, "plan", march)["share"] == Decimal("0.3")
    assert engine.records.list(SYSTEM, "alert").records == ()
    change(engine, "sale", first, amount=money("60"))  # 0.3 → 0.6 crosses 0.5
    assert values(engine, "plan", march)["share"] == Decimal("0.6")
    sale(engine, "second", owner="ann", day=date(2026, 3, 3), amount=money("10"))  # higher still
    [alert] = engine.records.list(SYSTEM, "alert").records
    assert (alert["name"], alert["plan"]) == ("half", march.id)
    [run] = engine.automations.runs(automation="half", limit=10)
    assert (run.trigger_type, run.record_id) == ("threshold", march.id)
    assert [e.kind for e in engine.records.history(SYSTEM, "plan", march.id)] == ["created"]


def test_a_bulk_create_moves_every_holder_once(engine: Engine) -> None:
    boxes = [bucket(engine, f"b{n}") for n in range(2)]
    march = plan(engine, "march", owner="ann", start=MARCH[0], end=MARCH[1], amount=money("90"))
    before = version(engine, "plan", march)
    rows = [
        {"name": f"row {n}", "bucket": boxes[n % 2].id, "amount": Decimal(n), "owner": "ann",
         "day": date(2026, 3, 1 + n % 31), "status": "open" if n % 3 else "closed"}
        for n in range(60)
    ]  # fmt: skip
    with engine.db.begin() as connection:
        engine.records.create_many_in(connection, engine.actor("ann"), "sale", rows)
    assert counted(engine, boxes[0]) == (30, Decimal(sum(n for n in range(0, 60, 2) if n % 3)))
    found = values(engine, "plan", march)
    assert (found["sold"], found["actual"]) == (60, Decimal(sum(n for n in range(60) if n % 3)))
    assert version(engine, "plan", march) == before + 1  # one derived write for the batch
    assert recompute(engine) == 0
