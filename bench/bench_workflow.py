"""Workflow transitions through `engine.workflows.act` against a one-field update through
`engine.records.update` of the same entity, in the same process; and the Python memory the
engine holds while many records wait in an approval step.

`python -m bench.bench_workflow [--pg URL] [--quick]`: SQLite always; PostgreSQL too when
`--pg` or FORMWORK_TEST_DATABASE_URL gives a server (the run works in a schema of its own
and drops it). `--quick` scales the memory levels down (1k/2.5k/5k instead of 10k/50k/100k).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from bench.harness import Comparison, bench_database, compare, sales_engine, write_section
from engine.runtime.engine import Engine
from engine.runtime.workflow_service import ActionRequest

APP = "sales_crm"
BATCH = 50
REPETITIONS = 7
MEMORY_LEVELS = (10_000, 50_000, 100_000)
QUICK_LEVELS = (1_000, 2_500, 5_000)
MEMORY_CHUNK = 1_000  # records created and submitted per transaction
FLAT_BYTES_PER_RECORD = 16  # what "flat" allows: far below one small object per record
PG_ENV = "FORMWORK_TEST_DATABASE_URL"

INTRO = """### Workflow transitions (issue 4)

Subject: `engine.workflows.act(actor, entity, id, action)` — one transaction that locks the
record (`FOR UPDATE` on PostgreSQL), reads its state and open approval step, lets the entity's
shared `transitions` machine pick the move, checks roles and guard, evaluates the `set`
values, writes the values and the new state through the record service (validation,
formulas, version check, history entry with the action's details), opens or closes approval
steps (tasks, read grants, notifications) and reads the record back. Baseline: a one-field
`engine.records.update` (the same record service, same entity, same actor, no version
check) in the same run. Each timed unit is {batch} calls on {batch} different records;
{reps} interleaved repetitions after one warm-up, medians. Target (issue 4): a transition
≤ 1.3× the plain update — the deal's `contact` below, a transition and nothing else. Entering
or completing an approval step is a transition *plus* the step's own rows (a step, a task
and a read grant per approver, the closed step's tasks, notifications): those rows are
measured too, against the same update, for information — no target applies to them."""


@dataclass(frozen=True)
class MemoryLevel:
    """The live Python memory after `in_flight` records wait in an approval step."""

    in_flight: int
    traced_bytes: int
    gc_objects: int
    seconds: float


# -- the app, its people and records ---------------------------------------------------------


def _engine(url: str, folder: Path) -> Engine:
    engine = sales_engine(url, folder)
    people = engine.people
    people.create_user("director", locale="en")
    sales = people.create_team("Sales", manager="director")
    people.set_team("director", sales.id)
    people.grant_role(APP, "director", "sales_director")
    people.create_user("manager", locale="en")
    east = people.create_team("East", parent_id=sales.id, manager="manager")
    people.set_team("manager", east.id)
    people.grant_role(APP, "manager", "sales_manager")
    people.create_user("rep", locale="en", team_id=east.id)
    people.grant_role(APP, "rep", "sales_rep")
    people.create_user("finance", locale="en")
    people.grant_role(APP, "finance", "finance")
    return engine


def _customer(engine: Engine) -> int:
    actor = engine.actor("rep")
    return engine.records.create(actor, "customer", {"name": "Bench Co", "owner": "rep"}).id


def _deals(engine: Engine, customer: int, count: int) -> list[int]:
    """`count` deals of the rep in `lead`, created in one transaction."""
    rows = [
        {"name": f"Deal {n}", "customer": customer, "amount": Decimal(1000 + n),
         "next_step": "call back"}
        for n in range(count)
    ]  # fmt: skip
    with engine.db.begin() as connection:
        made = engine.records.create_many_in(connection, engine.actor("rep"), "deal", rows)
    return [record.id for record in made]


def _contracts(engine: Engine, customer: int, count: int, *, submit: bool) -> list[int]:
    """`count` draft contracts of the rep (submitted for approval when `submit`), created
    and submitted in one transaction."""
    actor = engine.actor("rep")
    rows = [
        {"title": f"Contract {n}", "customer": customer, "owner": "rep",
         "amount": Decimal(50_000 + n)}
        for n in range(count)
    ]  # fmt: skip
    with engine.db.begin() as connection:
        made = engine.records.create_many_in(connection, actor, "contract", rows)
        ids = [record.id for record in made]
        del made
        if submit:
            for record_id in ids:
                engine.workflows.act_in(connection, actor, "contract", record_id, "submit")
    return ids


# -- time: a transition against a plain update ----------------------------------------------


def _updater(engine: Engine, entity: str, field: str, ids: Sequence[int]) -> Callable[[], None]:
    """A batch of one-field updates through the record service, round the given records."""
    actor = engine.actor("rep")
    cycle = itertools.cycle(ids)
    numbers = itertools.count()

    def update_batch() -> None:
        for _ in range(BATCH):
            value = f"next {next(numbers)}"
            engine.records.update(actor, entity, next(cycle), {field: value}, version=None)

    return update_batch


def _actor_batch(
    engine: Engine, username: str, entity: str, action: str, ids: Sequence[int]
) -> Callable[[], None]:
    """A batch of `action` by `username`, each on a record that has not taken it yet."""
    actor = engine.actor(username)
    fresh = iter(ids)
    request = ActionRequest()

    def act_batch() -> None:
        for _ in range(BATCH):
            engine.workflows.act(actor, entity, next(fresh), action, request)

    return act_batch


def _timings(kind: str, url: str, folder: Path) -> list[Comparison]:
    engine = _engine(url, folder)
    try:
        customer = _customer(engine)
        units = REPETITIONS + 1
        deals = _deals(engine, customer, BATCH * units * 2)
        contracts = _contracts(engine, customer, BATCH * units * 2, submit=False)
        in_review = _contracts(engine, customer, BATCH * units, submit=True)
        plain_deal = _updater(engine, "deal", "next_step", deals[BATCH * units :])
        plain_contract = _updater(engine, "contract", "notes", contracts[BATCH * units :])
        rows = [
            compare(
                f"{kind}: deal `contact` (plain transition, sets probability)",
                "deal: update `next_step`",
                plain_deal,
                _actor_batch(engine, "rep", "deal", "contact", deals[: BATCH * units]),
                repetitions=REPETITIONS,
                target_ratio=1.3,
            ),
            compare(
                f"{kind}: contract `submit` (opens the manager's approval step)",
                "contract: update `notes`",
                plain_contract,
                _actor_batch(engine, "rep", "contract", "submit", contracts[: BATCH * units]),
                repetitions=REPETITIONS,
            ),
            compare(
                f"{kind}: contract `approve` by the manager (completes the step, enters finance)",
                "contract: update `notes`",
                plain_contract,
                _actor_batch(engine, "manager", "contract", "approve", in_review),
                repetitions=REPETITIONS,
            ),
        ]
    finally:
        engine.close()
    return rows


# -- memory: many records in flight ---------------------------------------------------------


def _machine_models(engine: Engine) -> int:
    """How many models the shared machines hold (0: nothing is kept per record)."""
    return sum(
        len(workflow.machine.machine.models) for workflow in engine.workflows.workflows.values()
    )


def _live() -> tuple[int, int]:
    gc.collect()
    return tracemalloc.get_traced_memory()[0], len(gc.get_objects())


def memory(folder: Path, levels: Sequence[int]) -> tuple[int, list[MemoryLevel], int]:
    """Submit contracts in chunks until each level of records waits in the manager's step;
    the traced live memory (after gc) at the start and at each level, and the machines'
    model count at the end."""
    with bench_database("sqlite", folder, None, "workflow") as url:
        engine = _engine(url, folder)
        try:
            customer = _customer(engine)
            # Warm-up: every statement compiled and cached, every lazy structure built.
            _contracts(engine, customer, MEMORY_CHUNK, submit=True)
            tracemalloc.start()
            start, _ = _live()
            found: list[MemoryLevel] = []
            in_flight = MEMORY_CHUNK
            began = time.perf_counter()
            for level in levels:
                while in_flight < level:
                    chunk = min(MEMORY_CHUNK, level - in_flight)
                    _contracts(engine, customer, chunk, submit=True)
                    in_flight += chunk
                traced, objects = _live()
                found.append(MemoryLevel(in_flight, traced, objects, time.perf_counter() - began))
            tracemalloc.stop()
            with engine.db.begin(readonly=True) as connection:
                table = engine.runtime.tables.entity("contract")
                count = sa.select(sa.func.count()).where(table.c.status == "review")
                waiting = connection.execute(count.select_from(table)).scalar_one()
            assert waiting == in_flight, (waiting, in_flight)
            return start, found, _machine_models(engine)
        finally:
            engine.close()


def _memory_text(start: int, levels: list[MemoryLevel], models: int) -> tuple[str, bool]:
    first, last = levels[0], levels[-1]
    per_record = (last.traced_bytes - first.traced_bytes) / (last.in_flight - first.in_flight)
    flat = per_record <= FLAT_BYTES_PER_RECORD and models == 0
    lines = [
        "#### Memory with records in flight",
        "",
        "Contracts created and submitted through the services (one transaction per "
        f"{MEMORY_CHUNK:,}), so each waits in the manager's approval step (an open step and a "
        "task row each). `tracemalloc` traces every Python allocation from after a warm-up "
        "chunk; the figure is what is still alive after `gc.collect()` at each level "
        "(SQLite; the database itself is on disk, not in the process).",
        "",
        "| records in flight | live traced Python memory | since warm-up | live gc objects |",
        "| --- | --- | --- | --- |",
    ]
    for level in levels:
        lines.append(
            f"| {level.in_flight:,} | {level.traced_bytes / 1e6:.2f} MB "
            f"| {(level.traced_bytes - start) / 1e6:+.2f} MB | {level.gc_objects:,} |"
        )
    lines += [
        "",
        f"Growth from {first.in_flight:,} to {last.in_flight:,} records: "
        f"{per_record:.2f} bytes per record (flat means ≤ {FLAT_BYTES_PER_RECORD}; one small "
        f"object kept per record would be ≥ 50). Models held by the shared machines: {models}. "
        f"Verdict: {'flat' if flat else 'GROWS'}. "
        f"Building the {last.in_flight:,} records took {last.seconds:.0f} s.",
    ]
    return "\n".join(lines), flat


# -- the run ----------------------------------------------------------------------------------


def run(pg_url: str | None = None, quick: bool = False) -> list[Comparison]:
    """Time transitions against updates (SQLite, and PostgreSQL when given), then measure
    memory with records in flight, and write the section of docs/performance.md."""
    pg_url = pg_url or os.environ.get(PG_ENV) or None
    folder = Path(tempfile.mkdtemp(prefix="formwork-bench-workflow-"))
    rows: list[Comparison] = []
    kinds = ["sqlite"] + (["postgresql"] if pg_url else [])
    for kind in kinds:
        with bench_database(kind, folder, pg_url, "workflow") as url:
            rows += _timings(kind, url, folder)
    start, levels, models = memory(folder, QUICK_LEVELS if quick else MEMORY_LEVELS)
    text, _ = _memory_text(start, levels, models)
    intro = INTRO.format(batch=BATCH, reps=REPETITIONS)
    if not pg_url:
        intro += f"\n\nPostgreSQL not measured in this run (no `--pg` and no {PG_ENV})."
    print(write_section("workflow", f"{intro}\n\n{text}\n\n#### Time", rows))
    print(text)
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: `python -m bench.bench_workflow [--pg URL] [--quick]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", metavar="URL", help=f"PostgreSQL URL (default: ${PG_ENV})")
    parser.add_argument("--quick", action="store_true", help="memory levels 1k/2.5k/5k")
    args = parser.parse_args(argv)
    run(args.pg, args.quick)


if __name__ == "__main__":
    main()
