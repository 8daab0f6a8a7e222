"""What automations cost a change they do not concern: `RecordService.create` of a plain
entity in an app with 200 rules on another entity, against the same create in the same app
without rules, in the same process; and, for information, a create that fires one rule.

`python -m bench.bench_automation [--pg URL] [--quick]`: SQLite always; PostgreSQL too when
`--pg` or FORMWORK_TEST_DATABASE_URL gives a server (the run works in schemas of its own and
drops them). `--quick` uses 3 repetitions of 20 creates instead of 15 of 50.
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

from bench.harness import ROOT, Comparison, bench_database, compare, write_section
from engine.plugins import default_registry
from engine.runtime.engine import Engine

RULES = 200
BATCH = 50
REPETITIONS = 15
QUICK_BATCH = 20
QUICK_REPETITIONS = 3
TARGET_RATIO = 1.1
PG_ENV = "FORMWORK_TEST_DATABASE_URL"
USER = "clerk_1"

APP_YAML = """\
    app: busy
    title: Busy
    locales: [en]
    timezone: Asia/Shanghai
    roles:
      clerk: {label: Clerk}
    """
NOTE_YAML = """\
    entity: note
    label: Note
    title_field: title
    fields:
      title: {type: text, required: true}
      amount: {type: money}
    permissions:
      clerk: {create: true, read: all, update: all}
    """
ORDER_YAML = """\
    entity: order
    label: Order
    title_field: title
    fields:
      title: {type: text, required: true}
      amount: {type: money}
      score: {type: number}
      level: {type: text}
      due_on: {type: date}
      status: {type: state}
    permissions:
      clerk: {create: true, read: all, update: all, delete: all}
    workflow:
      field: status
      states:
        draft: {initial: true}
        open: {}
        done: {final: true}
      transitions:
        open: {from: draft, to: open}
        finish: {from: open, to: done}
    """
TAGGED_YAML = """\
    entity: tagged
    label: Tagged
    title_field: title
    fields:
      title: {type: text, required: true}
      amount: {type: money}
      level: {type: text}
    permissions:
      clerk: {create: true, read: all, update: all}
    """
TAG_RULE = """\
    automation: tag_on_create
    label: Tag on create
    triggers:
      - {type: record_created, entity: tagged}
    actions:
      - type: set
        values: {level: "=concat('level ', title)"}
    """
TRIGGERS = (
    "{type: record_created, entity: order}",
    "{type: record_updated, entity: order, changed: [amount]}",
    "{type: record_deleted, entity: order}",
    "{type: transitioned, entity: order, to: open}",
    "{type: threshold, entity: order, field: score, value: 10, direction: up}",
    "{type: date, entity: order, field: due_on, offset: -1d, at: '09:00'}",
    "{type: schedule, cron: '0 9 * * 1'}",
    "{type: manual, entity: order, label: Run}",
)
"""One trigger of each kind over `order`; rule n uses TRIGGERS[n % 8]."""

INTRO = """### Automation overhead (issue 5)

Subject: `engine.records.create(actor, "note", …)` of a plain entity (two fields, no workflow)
in an app that also defines **{rules} rules on another entity** (`order`), one trigger of
each kind in turn — created, updated, deleted, transitioned, threshold, date, schedule,
manual — with a condition and a `set` or `webhook` action each. Baseline: the same create in
the same app without any rule, over the same database, in the same run. The change
concerns no rule, so all it may cost is asking the rule index whether anything watches a
`note` (a set lookup per event kind). Each timed unit is {batch} creates (one transaction
each); {reps} interleaved repetitions after one warm-up, medians. Target: ≤ {target}×.
For information: a create of an entity one rule watches (`record_created` → `set`: the run
claims its dedupe key, evaluates the value, rewrites the record with a history entry and
stores its trace), against the same plain baseline."""


def rule_yaml(number: int) -> str:
    """Rule `number` over `order`, its trigger chosen in turn."""
    trigger = TRIGGERS[number % len(TRIGGERS)]
    if "schedule" in trigger:
        action = "  - {type: webhook, url: 'https://example.com/hook'}\n"
        condition = ""
    else:
        action = f"  - type: set\n    values: {{level: 'rule {number}'}}\n"
        condition = f'conditions:\n  - "coalesce(amount, 0) >= {number}"\n'
    return (
        f"automation: rule_{number:03d}\nlabel: Rule {number}\n"
        f"triggers:\n  - {trigger}\n{condition}actions:\n{action}"
    )


def write_app(folder: Path, *, rules: int, tagged: bool) -> Path:
    """An app folder: note, order and tagged, `rules` rules on order, and (with `tagged`)
    one rule on tagged that sets a field on create. Both variants have the same tables, so
    they share one database."""
    (folder / "entities").mkdir(parents=True)
    (folder / "rules").mkdir()
    texts = {
        "app.yaml": APP_YAML, "entities/note.yaml": NOTE_YAML,
        "entities/order.yaml": ORDER_YAML,
        "entities/tagged.yaml": TAGGED_YAML,
    }  # fmt: skip
    if tagged:
        texts["rules/tag_on_create.yaml"] = TAG_RULE
    for name, text in texts.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    for number in range(rules):
        (folder / "rules" / f"rule_{number:03d}.yaml").write_text(
            rule_yaml(number), encoding="utf-8"
        )
    return folder


def _engine(app: Path, url: str, folder: Path, *, people: bool = True) -> Engine:
    registry, problems = default_registry(ROOT)
    assert not problems, problems
    engine = Engine.load(
        app, database_url=url, project_root=folder, registry=registry, password_iterations=1_000
    )
    engine.migrate()
    if people:
        engine.people.create_user(USER)
        engine.people.grant_role(engine.app.id, USER, "clerk")
    return engine


def _creates(engine: Engine, entity: str, batch: int) -> Callable[[], None]:
    """Each call creates `batch` records of `entity`, one transaction each."""
    actor = engine.actor(USER)
    numbers = itertools.count()

    def create_batch() -> None:
        for _ in range(batch):
            n = next(numbers)
            engine.records.create(actor, entity, {"title": f"n{n}", "amount": Decimal(n)})

    return create_batch


def _timings(
    kind: str, folder: Path, pg_url: str | None, batch: int, reps: int
) -> list[Comparison]:
    plain_app = write_app(folder / f"{kind}-plain", rules=0, tagged=False)
    busy_app = write_app(folder / f"{kind}-busy", rules=RULES, tagged=True)
    with ExitStack() as stack:
        # One database for both apps: the same tables, files and caches, so the only
        # difference measured is the rules.
        url = stack.enter_context(bench_database(kind, folder, pg_url, "auto"))
        busy = _engine(busy_app, url, folder)
        stack.callback(busy.close)
        plain = _engine(plain_app, url, folder, people=False)
        stack.callback(plain.close)
        assert len(busy.app.automations) == RULES + 1
        baseline = _creates(plain, "note", batch)
        rows = [
            compare(
                f"{kind}: create a note, {RULES} rules on another entity",
                f"{kind}: create a note, no rules",
                baseline,
                _creates(busy, "note", batch),
                repetitions=reps,
                target_ratio=TARGET_RATIO,
            ),
            compare(
                f"{kind}: create a record one `set` rule watches",
                f"{kind}: create a note, no rules",
                baseline,
                _creates(busy, "tagged", batch),
                repetitions=reps,
            ),
        ]
        assert not busy.automations.runs(automation="rule_000", limit=1)
        tagged = busy.automations.runs(automation="tag_on_create", limit=1)
        assert tagged and tagged[0].status == "done", tagged
        return rows


def run(pg_url: str | None = None, quick: bool = False) -> list[Comparison]:
    """Time creates with and without rules (SQLite, and PostgreSQL when given) and write the
    section of docs/performance.md."""
    pg_url = pg_url or os.environ.get(PG_ENV) or None
    batch, reps = (QUICK_BATCH, QUICK_REPETITIONS) if quick else (BATCH, REPETITIONS)
    folder = Path(tempfile.mkdtemp(prefix="formwork-bench-automation-"))
    rows: list[Comparison] = []
    for kind in ["sqlite"] + (["postgresql"] if pg_url else []):
        rows.extend(_timings(kind, folder, pg_url, batch, reps))
    intro = INTRO.format(rules=RULES, batch=batch, reps=reps, target=TARGET_RATIO)
    if not pg_url:
        intro += f"\n\nPostgreSQL not measured in this run (no `--pg` and no {PG_ENV})."
    print(write_section("automation", intro, rows))
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: `python -m bench.bench_automation [--pg URL] [--quick]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", metavar="URL", help=f"PostgreSQL URL (default: ${PG_ENV})")
    parser.add_argument("--quick", action="store_true", help="3 repetitions of 20 creates")
    args = parser.parse_args(argv)
    run(args.pg, args.quick)


if __name__ == "__main__":
    main()
