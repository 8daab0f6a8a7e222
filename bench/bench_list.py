"""A 50-row list page deep in 1,000,000 deals: the record service's keyset page at row
500,000 against its first page, and the raw keyset query against the raw OFFSET query (the
baseline of TESTING.md), all in one process over one SQLite file."""

from __future__ import annotations

import itertools
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.harness import Comparison, compare, sales_engine, write_section
from engine.runtime.engine import Engine
from engine.runtime.listing import SortKey, encode_cursor

ROWS = 1_000_000
DEEP = 500_000
LIMIT = 50
BATCH = 50_000
OWNERS = ("rep_1", "rep_2", "rep_3", "rep_4")
DAYS = 3 * 365  # expected closings spread over three years: many ties, broken by id
NULL_EVERY = 50  # every 50th deal has no expected close (sorted last)

INTRO = """### A list page deep in 1,000,000 deals (issue 3)

Subject: `RecordService.list(director, "deal", sort=["expected_close"], limit=50)` — the
deal table's default view sort, ties broken by `id`, NULLs last — on SQLite (WAL) holding
1,000,000 deals, at row 500,000 reached by its keyset cursor; baseline: the same call for the
first page. Both include the row scope, the cursor check and turning rows into records. The
second row is the raw floor of TESTING.md on the same table: the keyset query against
`LIMIT 50 OFFSET 500000`, both through stdlib `sqlite3`. Target: the deep page costs
≤ 2× the first page (keyset pagination: page 10,000 costs what page 1 does)."""


def _engine(folder: Path) -> Engine:
    engine = sales_engine(f"sqlite:///{(folder / 'list.db').as_posix()}", folder)
    engine.people.create_user("director")
    engine.people.grant_role(engine.app.id, "director", "sales_director")
    for owner in OWNERS:
        engine.people.create_user(owner)
        engine.people.grant_role(engine.app.id, owner, "sales_rep")
    return engine


VARYING = ("name", "owner", "amount", "weighted", "expected_close")


def _deal_rows(fixed: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """Rows as stored (money in fen): `fixed`, then the VARYING columns."""
    start = date(2026, 1, 1)
    for n in range(ROWS):
        close = None if n % NULL_EVERY == 0 else start + timedelta(days=(n * 7919) % DAYS)
        yield (*fixed, f"Deal {n}", OWNERS[n % len(OWNERS)], 100 * (1_000 + n),
               5 * (1_000 + n), close and close.isoformat())  # fmt: skip


def _stored(engine: Engine, table: sa.Table, values: dict[str, Any]) -> dict[str, Any]:
    """`values` as the deal table's column types store them (run once, not per row)."""
    dialect = engine.db.engine.dialect
    stored = {}
    for name, value in values.items():
        process = table.c[name].type.bind_processor(dialect)
        stored[name] = process(value) if process else value
    return stored


def _fill(engine: Engine) -> float:
    """Insert ROWS deals; returns the seconds it took.

    Benchmark set-up, not app data: the rows go straight into the deal table with SQLAlchemy
    Core executemany (one transaction, batches of BATCH), bypassing the record service —
    a million service creates would take most of an hour and measure something else. The
    statement names the columns untyped and gets values already in their stored form, so
    no type conversion runs per row, and passes tuples through `exec_driver_sql` (the
    same executemany, without building a parameter dict per row: 5× faster here)."""
    director = engine.actor("director")
    customer = engine.records.create(director, "customer", {"name": "Bench Co"}).id
    table = engine.tables.entity("deal")
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    constants = _stored(engine, table, {
        "created_at": stamp, "updated_at": stamp, "created_by": "director",
        "updated_by": "director", "version": 1, "customer": customer,
        "probability": Decimal("0.05"), "stage": "lead",
    })  # fmt: skip
    plain = sa.table(table.name, *(sa.column(name) for name in (*constants, *VARYING)))
    insert = str(plain.insert().compile(dialect=engine.db.engine.dialect))
    fixed = tuple(constants.values())
    started = time.perf_counter()
    rows = _deal_rows(fixed)
    with engine.db.begin() as connection:
        # Building the indexes once after the load is several times faster than keeping
        # eight of them up to date row by row; they are the same indexes afterwards.
        for index in table.indexes:
            index.drop(connection)
        while batch := list(itertools.islice(rows, BATCH)):
            connection.exec_driver_sql(insert, batch)
        for index in table.indexes:
            index.create(connection)
        connection.execute(sa.text("ANALYZE"))
    return time.perf_counter() - started


def _raw_queries(path: Path, table: str) -> tuple[str, str, tuple[Any, ...]]:
    """The keyset and OFFSET statements of the raw baseline, and the keyset's parameters
    (the keys of row DEEP, found once with OFFSET)."""
    order = "ORDER BY expected_close, id"
    live = "deleted_at IS NULL AND expected_close IS NOT NULL"
    with sqlite3.connect(path) as connection:
        close, last_id = connection.execute(
            f"SELECT expected_close, id FROM {table} WHERE {live} {order} LIMIT 1 OFFSET {DEEP - 1}"
        ).fetchone()
    keyset = (
        f"SELECT * FROM {table} WHERE {live} AND (expected_close, id) > (?, ?) "
        f"{order} LIMIT {LIMIT}"
    )
    offset = f"SELECT * FROM {table} WHERE {live} {order} LIMIT {LIMIT} OFFSET {DEEP}"
    return keyset, offset, (close, last_id)


def _raw_runner(path: Path, statement: str, parameters: tuple[Any, ...]) -> Callable[[], Any]:
    connection = sqlite3.connect(path, check_same_thread=False)

    def run() -> None:
        rows = connection.execute(statement, parameters).fetchall()
        assert len(rows) == LIMIT

    return run


def _plan(path: Path, statement: str, parameters: tuple[Any, ...]) -> str:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
    return "; ".join(str(row[-1]) for row in rows)


def _service_plan(engine: Engine, cursor: str) -> str:
    """The plan SQLite chooses for the service's own deep-page statement."""
    statements: list[tuple[str, Any]] = []

    def note(conn: Any, cur: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "ORDER BY" in statement and not statements:
            statements.append((statement, parameters))

    sa.event.listen(engine.db.engine, "before_cursor_execute", note)
    try:
        engine.records.list(engine.actor("director"), "deal", sort=["expected_close"],
                            limit=LIMIT, cursor=cursor)  # fmt: skip
    finally:
        sa.event.remove(engine.db.engine, "before_cursor_execute", note)
    statement, parameters = statements[0]
    with engine.db.engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "; ".join(str(row[-1]) for row in rows)


def _deep_cursor(engine: Engine) -> tuple[str, list[int]]:
    """The cursor after row DEEP, built the way listing builds it (the sort and the last
    row's keys), and the ids of the 50 rows that must follow it (read with OFFSET)."""
    table = engine.tables.entity("deal")
    order = (table.c.expected_close.asc().nulls_last(), table.c.id.asc())
    query = sa.select(table.c.id, table.c.expected_close).where(table.c.deleted_at.is_(None))
    with engine.db.begin() as connection:
        rows = connection.execute(query.order_by(*order).offset(DEEP - 1).limit(LIMIT + 1)).all()
    last_id, close = rows[0]
    cursor = encode_cursor((SortKey("expected_close", False, "date"),), [close], last_id)
    return cursor, [row[0] for row in rows[1:]]


def _pager(engine: Engine, cursor: str | None, expected: list[int] | None) -> Callable[[], Any]:
    director = engine.actor("director")

    def page() -> None:
        got = engine.records.list(director, "deal", sort=["expected_close"], limit=LIMIT,
                                  cursor=cursor)  # fmt: skip
        assert len(got.records) == LIMIT
        assert expected is None or [r.id for r in got.records] == expected

    return page


def run() -> list[Comparison]:
    """Measure the deep keyset page against the first page, and keyset against OFFSET."""
    folder = Path(tempfile.mkdtemp(prefix="formwork-bench-list-"))
    engine = _engine(folder)
    fill_s = _fill(engine)
    path = folder / "list.db"
    cursor, expected = _deep_cursor(engine)
    pages = compare(
        f"list page at row {DEEP:,} (keyset cursor)",
        "list page 1 (same call, no cursor)",
        _pager(engine, None, None),
        _pager(engine, cursor, expected),
        repetitions=7,
        inner=20,
        target_ratio=2.0,
    )
    keyset, offset, parameters = _raw_queries(path, engine.tables.entity("deal").name)
    raw = compare(
        f"raw page at row {DEEP:,}: LIMIT {LIMIT} OFFSET {DEEP}",
        "raw keyset query (stdlib sqlite3)",
        _raw_runner(path, keyset, parameters),
        _raw_runner(path, offset, ()),
        repetitions=5,
        inner=5,
    )
    intro = (
        f"{INTRO}\n\nSet-up: {ROWS:,} deals inserted in {fill_s:.1f} s "
        f"({ROWS / fill_s:,.0f} rows/s, Core executemany). Query plan of the service's "
        f"deep page (EXPLAIN QUERY PLAN): `{_service_plan(engine, cursor)}`; of the raw "
        f"keyset query: `{_plan(path, keyset, parameters)}`."
    )
    print(write_section("list", intro, [pages, raw]))
    engine.close()
    return [pages, raw]


if __name__ == "__main__":
    run()
