"""The company target dashboard (公司目标总览) over 1,000,000 deals: `DashboardService.compute`
for a director — every widget one statement built from the YAML, with the row scope, the
filter compiled from the expression language and the values read back typed — against the
same numbers from hand-written SQL on the same tables and indexes, in one process.

Both sides are checked to give the same numbers, and EXPLAIN of each deal widget's
statement is recorded beside EXPLAIN of its hand-written twin (same indexes or not).

`python -m bench.bench_dashboard [--pg URL] [--quick]`: SQLite always; PostgreSQL too when
`--pg` or FORMWORK_TEST_DATABASE_URL gives a server (in a schema of its own, dropped after).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.harness import Comparison, bench_database, compare, sales_engine, write_section
from engine.expr.calendar import add_months, end_of_period, start_of_period
from engine.runtime.engine import Engine

DEALS = 1_000_000
QUICK_DEALS = 100_000
TEAMS = 10
REPS_PER_TEAM = 10
BATCH = 50_000
REPETITIONS = 5
QUICK_REPETITIONS = 3
TARGET_RATIO = 1.15
DASHBOARD = "company_targets"
PG_ENV = "FORMWORK_TEST_DATABASE_URL"
STAGES = (("won", 30), ("lost", 15), ("lead", 15), ("contacted", 10), ("qualified", 10),
          ("proposal", 10), ("negotiation", 10))  # fmt: skip
DEAL_WIDGETS = ("year_actual", "won_by_team", "monthly_won")

INTRO = """### Dashboards: the company target dashboard over {deals} deals (issue 9)

Subject: `engine.dashboards.compute(director, "company_targets")` — the 8 widgets of
`apps/sales_crm/dashboards/company_targets.yaml`, each one SQL statement built from the
YAML (row scope, the `filter` expression compiled to SQL with `today()`, group keys, month
buckets computed in SQL, labels joined after aggregating) and read back typed (money as
exact `Decimal` yuan). Baseline: hand-written SQL for the same numbers (the same
aggregates, filters with the dates computed in Python, team names joined after grouping),
run on the same connection pool, tables and indexes. {deals} deals ({won} % won, close
dates over two years, {teams} teams, {reps} reps) and {targets} targets, bulk-inserted
(executemany on SQLite, COPY on PostgreSQL; not through the record service). Both sides are
checked to give the same numbers. {reps_timed} interleaved repetitions, medians; the first
row per database is the whole dashboard (target ≤ {target}×), the others its deal widgets
alone (for information)."""


@dataclass(frozen=True)
class Setup:
    """What was generated, and how long the load took."""

    deals: int
    targets: int
    load_s: float


# -- data --------------------------------------------------------------------------------


def _people(engine: Engine) -> tuple[list[int], list[tuple[str, int]]]:
    """A director heading HQ; TEAMS teams below it of REPS_PER_TEAM reps each."""
    people = engine.people
    people.create_user("director", name="Director")
    hq = people.create_team("HQ", manager="director")
    people.set_team("director", hq.id)
    people.grant_role(engine.app.id, "director", "sales_director")
    teams, reps = [], []
    for number in range(TEAMS):
        team = people.create_team(f"Team {number:02d}", parent_id=hq.id)
        teams.append(team.id)
        for rep in range(REPS_PER_TEAM):
            username = f"rep_{number:02d}_{rep:02d}"
            people.create_user(username, team_id=team.id)
            people.grant_role(engine.app.id, username, "sales_rep")
            reps.append((username, team.id))
    return teams, reps


def _today(engine: Engine) -> date:
    return engine.runtime.contexts.for_actor(engine.actor("director")).today


class _Stored:
    """Values as each database stores them (SQLite: ISO text dates, floats for decimals)."""

    def __init__(self, engine: Engine) -> None:
        self.sqlite = engine.db.dialect == "sqlite"
        stamp = datetime(2024, 1, 1, tzinfo=UTC)
        self.stamp: Any = stamp.replace(tzinfo=None).isoformat(sep=" ") if self.sqlite else stamp

    def day(self, value: date | None) -> Any:
        return value.isoformat() if self.sqlite and value is not None else value

    def number(self, value: Decimal) -> Any:
        return float(value) if self.sqlite else value


DEAL_COLUMNS = ("created_at", "updated_at", "created_by", "updated_by", "version", "customer",
                "name", "owner", "team", "amount", "probability", "weighted", "stage",
                "close_date", "expected_close")  # fmt: skip
TARGET_COLUMNS = ("created_at", "updated_at", "created_by", "updated_by", "version", "name",
                  "scope", "team", "user", "period_type", "period_start", "period_end",
                  "amount", "weight", "actual", "attainment", "owner", "status")  # fmt: skip


def _deal_rows(
    engine: Engine, count: int, reps: list[tuple[str, int]], customer: int
) -> Iterator[tuple[Any, ...]]:
    """Deals as stored (money in fen), closed over the two years before today."""
    rng = random.Random(20260302)
    today = _today(engine)
    stored = _Stored(engine)
    stages = [name for name, weight in STAGES for _ in range(weight)]
    for n in range(count):
        owner, team = reps[n % len(reps)]
        stage = stages[rng.randrange(len(stages))]
        amount = rng.randrange(1_000, 2_000_000) * 100
        probability = {"won": Decimal(1), "lost": Decimal(0)}.get(stage, Decimal("0.5"))
        closed = stage in ("won", "lost")
        close = today - timedelta(days=rng.randrange(730)) if closed else None
        expected = None if closed else today + timedelta(days=rng.randrange(180))
        yield (stored.stamp, stored.stamp, "director", "director", 1, customer, f"Deal {n}",
               owner, team, amount, stored.number(probability), int(amount * probability),
               stage, stored.day(close), stored.day(expected))  # fmt: skip


def _target_rows(
    engine: Engine, teams: list[int], reps: list[tuple[str, int]]
) -> list[tuple[Any, ...]]:
    """Company and team targets for every year, quarter and month of this year and last,
    and each rep's months; published, with an actual and an attainment."""
    rng = random.Random(7)
    today = _today(engine)
    stored = _Stored(engine)
    rows = []
    for year in (today.year - 1, today.year):
        periods = [("year", date(year, 1, 1))]
        periods += [("quarter", date(year, m, 1)) for m in (1, 4, 7, 10)]
        periods += [("month", date(year, m, 1)) for m in range(1, 13)]
        for kind, start in periods:
            holders: list[tuple[str, int | None, str | None]] = [("company", None, None)]
            holders += [("team", team, None) for team in teams]
            if kind == "month":
                holders += [("user", team, user) for user, team in reps]
            for scope, team, user in holders:
                amount = rng.randrange(1_000_000, 50_000_000) * 100
                actual = rng.randrange(0, amount)
                attainment = (Decimal(actual) / amount).quantize(Decimal("0.000001"))
                rows.append((stored.stamp, stored.stamp, "director", "director", 1,
                             f"{scope} {kind} {start}", scope, team, user, kind,
                             stored.day(start), stored.day(end_of_period(start, kind)),
                             amount, 1, actual, stored.number(attainment), "director",
                             "published"))  # fmt: skip
    return rows


def _bulk(
    engine: Engine, table: sa.Table, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Insert rows as stored: executemany on SQLite, COPY on PostgreSQL; the indexes are
    built once after the load (faster than keeping them up to date row by row, and the
    same indexes afterwards), then ANALYZE."""
    with engine.db.begin() as connection:
        for index in table.indexes:
            index.drop(connection)
        if engine.db.dialect == "postgresql":
            raw: Any = connection.connection.driver_connection
            names = ", ".join(f'"{column}"' for column in columns)
            statement = f"COPY {table.name} ({names}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            plain = sa.table(table.name, *(sa.column(name) for name in columns))
            insert = str(plain.insert().compile(dialect=engine.db.engine.dialect))
            iterator = iter(rows)
            while batch := list(itertools.islice(iterator, BATCH)):
                connection.exec_driver_sql(insert, batch)
        if engine.db.dialect == "postgresql":  # sort in memory while building the indexes
            connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        for index in table.indexes:
            index.create(connection)
        connection.exec_driver_sql(f"ANALYZE {table.name}")


def _load(engine: Engine, deals: int) -> Setup:
    teams, reps = _people(engine)
    director = engine.actor("director")
    customer = engine.records.create(director, "customer", {"name": "Bench Co"}).id
    started = time.perf_counter()
    targets = _target_rows(engine, teams, reps)
    _bulk(engine, engine.tables.entity("deal"), DEAL_COLUMNS,
          _deal_rows(engine, deals, reps, customer))  # fmt: skip
    _bulk(engine, engine.tables.entity("target"), TARGET_COLUMNS, targets)
    return Setup(deals, len(targets), time.perf_counter() - started)


# -- the hand-written SQL ----------------------------------------------------------------


@dataclass(frozen=True)
class Handwritten:
    """One widget's numbers in plain SQL, and how its rows become the service's numbers."""

    sql: str
    parameters: dict[str, Any]
    read: Callable[[list[Any]], Any]


def _yuan(value: Any) -> Decimal:
    return Decimal(int(value)).scaleb(-2) if value is not None else Decimal("0.00")


def _ratio(value: Any) -> Decimal | None:
    if value is None:
        return None
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return number.quantize(Decimal("0.000001"))


def _month(value: Any) -> date:
    if isinstance(value, str):  # SQLite: 'YYYY-MM'
        return date(int(value[:4]), int(value[5:7]), 1)
    return value.date() if isinstance(value, datetime) else value  # PostgreSQL: a timestamp


def handwritten(engine: Engine) -> dict[str, Handwritten]:
    """The SQL a developer would write for each widget of the company target dashboard."""
    today = _today(engine)
    deal = engine.tables.entity("deal").name
    target = engine.tables.entity("target").name
    teams = engine.tables.system.teams.name
    sqlite = engine.db.dialect == "sqlite"
    month = "strftime('%Y-%m', close_date)" if sqlite else "date_trunc('month', close_date)"
    current = "deleted_at IS NULL AND period_start <= :today AND period_end >= :today"
    won = "deleted_at IS NULL AND stage = 'won' AND close_date >= :since"
    year = {"since": start_of_period(today, "year")}
    months = {"since": add_months(start_of_period(today, "month"), -11)}
    now = {"today": today}

    def company(period: str, aggregate: str) -> str:
        return (f"SELECT {aggregate} FROM {target} WHERE {current} "
                f"AND scope = 'company' AND period_type = '{period}'")  # fmt: skip

    def by_team(aggregate: str, source: str, where: str, order: str) -> str:
        return (f"SELECT g.team, t.name, g.value FROM (SELECT team, {aggregate} AS value "
                f"FROM {source} WHERE {where} GROUP BY team) AS g "
                f"LEFT JOIN {teams} AS t ON t.id = g.team ORDER BY {order}")  # fmt: skip

    def pairs(convert: Callable[[Any], Any]) -> Callable[[list[Any]], Any]:
        return lambda rows: {row[0]: convert(row[-1]) for row in rows}

    return {
        "year_target": Handwritten(company("year", "SUM(amount)"), now,
                                   lambda rows: _yuan(rows[0][0])),
        "year_actual": Handwritten(f"SELECT SUM(amount) FROM {deal} WHERE {won}", year,
                                   lambda rows: _yuan(rows[0][0])),
        "year_attainment": Handwritten(company("year", "MAX(attainment)"), now,
                                       lambda rows: _ratio(rows[0][0])),
        "quarter_attainment": Handwritten(company("quarter", "MAX(attainment)"), now,
                                          lambda rows: _ratio(rows[0][0])),
        "team_attainment": Handwritten(
            by_team("MAX(attainment)", target,
                    f"{current} AND scope = 'team' AND period_type = 'quarter'",
                    "g.value DESC NULLS LAST"), now, pairs(_ratio)),
        "won_by_team": Handwritten(by_team("SUM(amount)", deal, won, "t.name"), year,
                                   pairs(_yuan)),
        "monthly_won": Handwritten(
            f"SELECT {month} AS month, SUM(amount) FROM {deal} WHERE {won} "
            "GROUP BY 1 ORDER BY 1", months,
            lambda rows: {_month(row[0]): _yuan(row[1]) for row in rows}),
        "team_targets": Handwritten(
            f"SELECT id, name, team, period_type, amount, actual, attainment FROM {target} "
            f"WHERE {current} AND scope = 'team' AND status = 'published' "
            "ORDER BY attainment DESC NULLS LAST, id LIMIT 20", now,
            lambda rows: [row[0] for row in rows]),
    }  # fmt: skip


def service_numbers(engine: Engine) -> dict[str, Any]:
    """The service's numbers in the shapes the hand-written readers give."""
    result = engine.dashboards.compute(engine.actor("director"), DASHBOARD)
    found: dict[str, Any] = {}
    for widget in result.widgets:
        assert widget.error is None, (widget.spec.id, widget.error)
        if widget.spec.type in ("number", "gauge"):
            found[widget.spec.id] = widget.value
        elif widget.spec.type == "table":
            found[widget.spec.id] = [row.record_id for row in widget.rows]
        else:
            found[widget.spec.id] = {point.key: point.value for point in widget.points}
    return found


def _runner(engine: Engine, queries: Sequence[Handwritten]) -> Callable[[], list[Any]]:
    statements = [(sa.text(q.sql), q.parameters, q.read) for q in queries]

    def run() -> list[Any]:
        with engine.db.engine.connect() as connection:
            return [read(connection.execute(sql, params).all()) for sql, params, read in statements]

    return run


# -- query plans -------------------------------------------------------------------------


def _captured(engine: Engine, run: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The SELECT statements `run` sends, with their parameters."""
    found: list[tuple[str, Any]] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            found.append((statement, parameters))

    sa.event.listen(engine.db.engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        sa.event.remove(engine.db.engine, "before_cursor_execute", note)
    return found


_COSTS = re.compile(r"\s*\((cost|actual)=[^)]*\)")
_INDEX = re.compile(r"(?:INDEX|using|Index Scan on) (\w+)")


def _plan(engine: Engine, statement: str, parameters: Any) -> list[str]:
    """EXPLAIN of a statement: SQLite's plan lines, PostgreSQL's nodes without costs."""
    with engine.db.engine.connect() as connection:
        if engine.db.dialect == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return [str(row[-1]) for row in rows]
        rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return [_COSTS.sub("", str(row[0])).strip() for row in rows]


def _normal(plan: list[str]) -> list[str]:
    """The plan's lines with subquery and alias names (which differ) made alike."""
    lines = []
    for line in plan:
        line = re.sub(r"\b(grouped|g|anon_\d+|named_team|t|linked)\b", "_", line)
        lines.append(re.sub(r"(SCAN|SEARCH) _\b", r"\1 (subquery)", line).lstrip("->").strip())
    return lines


def _shape(plan: list[str]) -> list[str]:
    """The plan's access steps: which tables it scans, through which indexes."""
    words = ("SCAN", "SEARCH", "Scan", "INDEX", "Index")
    return [line for line in _normal(plan) if any(word in line for word in words)]


def _verdict(mine: list[str], raw: list[str]) -> str:
    if _normal(mine) == _normal(raw):
        return "identical plans"
    return "same access paths" if _shape(mine) == _shape(raw) else "DIFFERENT access paths"


def plans(engine: Engine, queries: dict[str, Handwritten]) -> list[str]:
    """One line per deal widget: the indexes each side uses, and whether the access paths
    of the two plans are the same."""
    director = engine.actor("director")
    lines = []
    for widget in DEAL_WIDGETS:
        ours = _captured(
            engine, lambda w=widget: engine.dashboards.compute_widget(director, DASHBOARD, w)
        )
        theirs = _captured(engine, _runner(engine, [queries[widget]]))
        assert len(ours) == 1 and len(theirs) == 1, (widget, ours, theirs)
        mine, raw = _plan(engine, *ours[0]), _plan(engine, *theirs[0])
        used = sorted({m for line in mine for m in _INDEX.findall(line)})
        raw_used = sorted({m for line in raw for m in _INDEX.findall(line)})
        same = _verdict(mine, raw)
        lines.append(
            f"`{widget}`: service uses {', '.join(used) or 'a table scan'}; hand-written "
            f"uses {', '.join(raw_used) or 'a table scan'} — {same} "
            f"(service: `{' / '.join(_shape(mine))}`; hand-written: `{' / '.join(_shape(raw))}`)"
        )
    return lines


# -- the run -----------------------------------------------------------------------------


def _timings(
    kind: str, folder: Path, pg_url: str | None, deals: int, reps: int
) -> tuple[list[Comparison], Setup, list[str]]:
    with bench_database(kind, folder, pg_url, "dashboard") as url:
        engine = sales_engine(url, folder)
        try:
            setup = _load(engine, deals)
            queries = handwritten(engine)
            widgets = [w.id for w in engine.app.dashboards[DASHBOARD].widgets]
            assert widgets == list(queries), f"the dashboard changed: {widgets}"
            numbers = service_numbers(engine)
            raw = dict(zip(queries, _runner(engine, list(queries.values()))(), strict=True))
            assert numbers == raw, {k: (numbers[k], raw[k]) for k in raw if numbers[k] != raw[k]}
            director = engine.actor("director")
            rows = [
                compare(
                    f"{kind}: the whole dashboard (8 widgets)",
                    f"{kind}: hand-written SQL, 8 statements",
                    _runner(engine, list(queries.values())),
                    lambda: engine.dashboards.compute(director, DASHBOARD),
                    repetitions=reps,
                    target_ratio=TARGET_RATIO,
                )
            ]
            for widget in DEAL_WIDGETS:
                rows.append(
                    compare(
                        f"{kind}: widget `{widget}`",
                        f"{kind}: its hand-written SQL",
                        _runner(engine, [queries[widget]]),
                        lambda w=widget: engine.dashboards.compute_widget(director, DASHBOARD, w),
                        repetitions=reps,
                    )
                )
            return rows, setup, plans(engine, queries)
        finally:
            engine.close()


def run(pg_url: str | None = None, quick: bool = False) -> list[Comparison]:
    """Measure (SQLite, and PostgreSQL when given) and write the section of
    docs/performance.md."""
    pg_url = pg_url or os.environ.get(PG_ENV) or None
    deals, reps = (QUICK_DEALS, QUICK_REPETITIONS) if quick else (DEALS, REPETITIONS)
    rows: list[Comparison] = []
    notes: list[str] = []
    targets = 0
    for kind in ["sqlite"] + (["postgresql"] if pg_url else []):
        folder = Path(tempfile.mkdtemp(prefix=f"formwork-bench-dashboard-{kind}-"))
        try:
            found, setup, lines = _timings(kind, folder, pg_url, deals, reps)
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # a million deals take ~200 MB
        rows += found
        targets = setup.targets
        notes.append(
            f"- {kind}: {setup.deals:,} deals and {setup.targets:,} targets loaded in "
            f"{setup.load_s:.1f} s. Query plans (EXPLAIN): " + "; ".join(lines)
        )
    won = dict(STAGES)["won"]
    intro = INTRO.format(deals=f"{deals:,}", won=won, teams=TEAMS, reps=TEAMS * REPS_PER_TEAM,
                         targets=f"{targets:,}", reps_timed=reps, target=TARGET_RATIO)  # fmt: skip
    intro += "\n\n" + "\n".join(notes)
    if not pg_url:
        intro += f"\n\nPostgreSQL not measured in this run (no `--pg` and no {PG_ENV})."
    print(write_section("dashboards", intro, rows))
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: `python -m bench.bench_dashboard [--pg URL] [--quick]`."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pg", metavar="URL", help=f"PostgreSQL URL (default: ${PG_ENV})")
    parser.add_argument("--quick", action="store_true", help="100,000 deals, fewer repetitions")
    args = parser.parse_args(argv)
    run(args.pg, args.quick)


if __name__ == "__main__":
    main()
