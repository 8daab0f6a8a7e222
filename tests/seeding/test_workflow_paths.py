"""Workflow paths in a recipe (`workflow: {paths: …}`): their shape and their fit to the
entity's workflow (D107, D117–D119, located), the plan they make (deterministic, later
moments, `within`), and a small seed that takes them through the workflow service — each
step by the user who may take it, back-dated to its moment — and is idempotent."""

from __future__ import annotations

import itertools
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from seeding_support import ANCHOR, NOW, EngineFactory

from engine.diagnostics import Diagnostic
from engine.runtime.engine import Engine
from engine.seeding import (
    DEMO_COMMENT,
    PlannedRecord,
    SeedFailed,
    SeedSpec,
    generate_plan,
    has_demo_records,
    parse_recipe,
    seed_demo,
    validate_recipe,
)
from engine.spec.model import AppSpec

PEOPLE = """
seed: 7
anchor: 2026-03-02
teams:
  - {name: hq, manager: director}
  - {name: east, manager: manager_east, parent: hq}
users:
  - {username: director, roles: [sales_director], team: hq}
  - {username: director_2, roles: [sales_director], team: hq}
  - {username: manager_east, roles: [sales_manager], team: east}
  - {username: rep_east_1, roles: [sales_rep], team: east}
  - {username: finance, roles: [finance], team: hq}
  - {username: finance_2, roles: [finance], team: hq}
pools:
  why: [请补充明细。, 价格需复核。]
"""

CONTRACTS = """
records:
  customer:
    count: 3
    at: {moment: [-200, -150]}
    fields:
      name: {template: "客户{#6}", unique: true}
      level: B
      owner: {owner: [sales_rep]}
      team: {team_of: owner}
  contract:
    count: 14
    at: {moment: [-60, -20]}
    fields:
      customer: {ref: customer}
      owner: {copy: customer.owner}
      title: {template: "合同{#4}"}
      amount: {money: [100000, 900000], round: 1000}
      director_required: {compare: amount, at_least: 500000}
    workflow:
      gap: [1, 5]
      paths:
        - {steps: []}
        - {steps: [submit]}
        - {steps: [submit, approve]}
        - {steps: [submit, approve, approve, approve, approve]}
        - {steps: [submit, {action: reject, comment: "{why}"}]}
        - {steps: [submit, {action: send_back, comment: "{why}"}, submit]}
        - {steps: [submit, recall]}
"""


def parse(text: str) -> SeedSpec:
    spec, diagnostics = parse_recipe(textwrap.dedent(text).lstrip(), "seed/demo.yaml")
    assert spec is not None, [d.to_text() for d in diagnostics]
    return spec


def problems(text: str, app: AppSpec) -> list[Diagnostic]:
    spec, diagnostics = parse_recipe(textwrap.dedent(text).lstrip(), "seed/demo.yaml")
    if spec is None:
        return diagnostics
    return validate_recipe(spec, app)


def where(diagnostics: list[Diagnostic]) -> list[tuple[str, int, int, str]]:
    return [(d.code, d.line, d.col, d.pointer) for d in diagnostics]


def contract_recipe(paths: str, fields: str = "") -> str:
    return (
        "records:\n"
        "  contract:\n"
        "    count: 1\n"
        f"    fields: {{{fields}}}\n"
        "    workflow:\n"
        "      paths:\n" + textwrap.indent(textwrap.dedent(paths).strip(), "        ") + "\n"
    )


# -- the grammar --------------------------------------------------------------------------


def test_bad_weights_gaps_and_within_are_d107(sales_app: AppSpec) -> None:
    text = contract_recipe(
        """
        - {weight: 0, steps: [submit]}
        - {weight: heavy, steps: [submit]}
        - {within: -3, steps: [submit]}
        """
    ).replace("      paths:", "      gap: [-2, 4]\n      paths:")
    found = problems(text, sales_app)
    assert where(found) == [
        ("D107", 6, 12, "/records/contract/workflow/gap"),
        ("D107", 8, 20, "/records/contract/workflow/paths/0/weight"),
        ("D107", 9, 20, "/records/contract/workflow/paths/1/weight"),
        ("D107", 10, 20, "/records/contract/workflow/paths/2/within"),
    ]
    assert "positive number" in found[1].message


def test_unknown_and_impossible_actions_are_located(sales_app: AppSpec) -> None:
    found = problems(
        contract_recipe(
            """
            - {steps: [submit, aprove]}
            - {steps: [approve]}
            - {steps: [submit, submit]}
            - {steps: [submit, {action: send_back, to: finance, comment: x}]}
            - {steps: [submit, recall, approve]}
            """
        ),
        sales_app,
    )
    assert where(found) == [
        ("D117", 7, 28, "/records/contract/workflow/paths/0/steps/1"),
        ("D118", 8, 20, "/records/contract/workflow/paths/1/steps/0"),
        ("D118", 9, 28, "/records/contract/workflow/paths/2/steps/1"),
        ("D118", 10, 37, "/records/contract/workflow/paths/3/steps/1/action"),
        ("D118", 11, 36, "/records/contract/workflow/paths/4/steps/2"),
    ]
    assert found[0].hint == "did you mean 'approve'?"
    assert "(draft)" in found[1].message
    assert "'send_back' to 'finance'" in found[3].message
    assert "(draft)" in found[4].message


def test_a_required_comment_must_be_given(sales_app: AppSpec) -> None:
    found = problems(
        contract_recipe("- {steps: [submit, reject, {action: send_back, comment: x}]}"),
        sales_app,
    )
    assert where(found) == [
        ("D119", 7, 28, "/records/contract/workflow/paths/0/steps/1"),
        ("D118", 7, 45, "/records/contract/workflow/paths/0/steps/2/action"),
    ]
    assert "(rejected)" in found[1].message


def test_paths_need_a_workflow_and_exclude_the_state_field(sales_app: AppSpec) -> None:
    on_customer = contract_recipe("- {steps: [submit]}").replace("contract:", "customer:")
    assert [d.code for d in problems(on_customer, sales_app)] == ["D117"]
    with_state = contract_recipe("- {steps: [submit]}", "status: draft")
    assert where(problems(with_state, sales_app)) == [("D118", 5, 5, "/records/contract/workflow")]


def test_step_shapes_are_checked() -> None:
    spec, found = parse_recipe(
        contract_recipe("- {steps: [{comment: x}, {action: submit, why: 1}], weight: 1}\n- 3"),
        "seed/demo.yaml",
    )
    assert spec is None
    assert [(d.code, d.pointer) for d in found] == [
        ("D103", "/records/contract/workflow/paths/0/steps/0"),
        ("D102", "/records/contract/workflow/paths/0/steps/1/why"),
        ("D101", "/records/contract/workflow/paths/1"),
    ]


# -- the plan -----------------------------------------------------------------------------


def test_the_plan_is_deterministic_with_later_moments(sales_app: AppSpec) -> None:
    spec = parse(PEOPLE + CONTRACTS)
    assert validate_recipe(spec, sales_app) == []
    plan = generate_plan(spec, sales_app, anchor=ANCHOR)
    again = generate_plan(spec, sales_app, anchor=ANCHOR)
    assert plan == again
    contracts = [r for r in plan.records if r.entity == "contract"]
    assert {len(r.steps) for r in contracts} > {0, 1}
    for record in contracts:
        assert record.at is not None and record.state is None
        moments = [record.at, *(step.at for step in record.steps)]
        gaps = [later - earlier for earlier, later in itertools.pairwise(moments)]
        assert all(timedelta(hours=1) <= gap <= timedelta(hours=5) for gap in gaps)
        amount = record.values["amount"]
        assert record.values["director_required"] is (amount >= 500000)
        for step in record.steps:
            assert (step.comment is not None) == (step.action in ("reject", "send_back"))


def test_within_keeps_a_path_for_recent_records(sales_app: AppSpec) -> None:
    text = PEOPLE + CONTRACTS.replace("{steps: [submit]}", "{within: 30, steps: [submit]}")
    text = text.replace("count: 14", "count: 60")
    plan = generate_plan(parse(text), sales_app, anchor=ANCHOR)
    waiting = [
        r
        for r in plan.records
        if r.entity == "contract" and [s.action for s in r.steps] == ["submit"]
    ]
    assert waiting
    assert all(r.at is not None and (ANCHOR - r.at.date()).days <= 30 for r in waiting)


# -- seeding ------------------------------------------------------------------------------


def expected_state(record: PlannedRecord) -> str:
    actions = tuple(step.action for step in record.steps)
    large = bool(record.values["director_required"])
    return {
        (): "draft",
        ("submit",): "review",
        ("submit", "approve"): "director" if large else "finance",
        ("submit", "approve", "approve", "approve", "approve"): "approved",
        ("submit", "reject"): "rejected",
        ("submit", "send_back", "submit"): "review",
        ("submit", "recall"): "draft",
    }[actions]


def rows(engine: Engine, query: Any) -> list[Any]:
    with engine.db.begin(readonly=True) as connection:
        return list(connection.execute(query))


def test_a_small_seed_takes_the_paths(make_engine: EngineFactory, database_url: str) -> None:
    engine = make_engine(database_url)
    spec = parse(PEOPLE + CONTRACTS)
    run = seed_demo(engine, spec)
    planned = [r for r in run.plan.records if r.entity == "contract"]
    assert run.report.records == {"customer": 3, "contract": 14}
    table = engine.tables.entity("contract")
    found = {row.id: row for row in rows(engine, sa.select(table).order_by(table.c.id))}
    assert len(found) == len(planned)
    states = set()
    for record, row in zip(planned, found.values(), strict=True):
        assert row.status == expected_state(record), record.steps
        assert row.created_at == record.at
        assert (row.approved_on is not None) == (row.status == "approved")
        states.add(row.status)
    assert {"draft", "review", "approved", "rejected"} <= states
    _assert_history(engine, planned, list(found))
    _assert_inboxes(engine, found)
    assert engine.clock.now() == NOW


def _assert_history(engine: Engine, planned: list[PlannedRecord], ids: list[int]) -> None:
    """Every step is in the record's history, by who took it, at the step's moment."""
    history = engine.tables.system.history
    query = (
        sa.select(history)
        .where(history.c.entity == "contract", history.c.kind != "created")
        .order_by(history.c.id)
    )
    taken: dict[int, list[Any]] = {}
    for row in rows(engine, query):
        taken.setdefault(row.record_id, []).append(row)
    for record, record_id in zip(planned, ids, strict=True):
        entries = taken.get(record_id, [])
        owner = record.values["owner"]
        moments = {step.at for step in record.steps}
        assert all(entry.at in moments for entry in entries)
        for entry in entries:
            action = (entry.details or {}).get("action")
            if action in ("submit", "recall"):
                assert entry.by == owner
            elif action in ("approve", "reject", "send_back"):
                assert entry.by not in (owner, None)
        comments = {e.comment for e in entries if e.comment}
        expected = {s.comment for s in record.steps if s.comment}
        assert comments == expected


def _assert_inboxes(engine: Engine, found: dict[int, Any]) -> None:
    """Who the seed left waiting: the owner's manager for review, the directors for the
    director step (会签: both), one finance user for finance (或签: either)."""
    waiting: dict[str, set[int]] = {}
    for username in ("manager_east", "director", "director_2", "finance", "finance_2"):
        inbox = engine.workflows.inbox(engine.actor(username))
        waiting[username] = {item.record_id for item in inbox.pending}
    by_state: dict[str, set[int]] = {}
    for record_id, row in found.items():
        by_state.setdefault(row.status, set()).add(record_id)
    assert waiting["manager_east"] == by_state.get("review", set())
    assert waiting["director"] == waiting["director_2"] == by_state.get("director", set())
    assert waiting["finance"] | waiting["finance_2"] == by_state.get("finance", set())


def test_a_second_seed_changes_nothing(make_engine: EngineFactory, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{(tmp_path / 'again.db').as_posix()}")
    spec = parse(PEOPLE + CONTRACTS)
    seed_demo(engine, spec)
    history = engine.tables.system.history
    before = rows(engine, sa.select(sa.func.count()).select_from(history))
    steps = rows(
        engine, sa.select(sa.func.count()).select_from(engine.tables.system.approval_steps)
    )
    again = seed_demo(engine, spec)
    assert not again.report.changed and again.report.records_present
    assert rows(engine, sa.select(sa.func.count()).select_from(history)) == before
    assert steps == rows(
        engine, sa.select(sa.func.count()).select_from(engine.tables.system.approval_steps)
    )
    created = rows(
        engine,
        sa.select(history.c.comment).where(history.c.kind == "created").distinct(),
    )
    assert [row.comment for row in created] == [DEMO_COMMENT]


def test_a_refused_step_is_located_and_writes_nothing(
    make_engine: EngineFactory, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{(tmp_path / 'refused.db').as_posix()}")
    # `submit` requires `signed_on`: blank here, so the workflow service refuses the step.
    text = (PEOPLE + CONTRACTS).replace(
        "      director_required:", "      signed_on: null\n      director_required:"
    )
    spec = parse(text)
    with pytest.raises(SeedFailed) as caught:
        seed_demo(engine, spec)
    assert caught.value.record.pointer.startswith("/records/contract/workflow/paths/")
    assert caught.value.record.pointer.endswith("/steps/0")
    assert list(caught.value.problems) == ["signed_on"]
    assert (
        rows(engine, sa.select(sa.func.count()).select_from(engine.tables.entity("contract")))[0][0]
        == 0
    )
    assert not has_demo_records(engine)
    assert engine.clock.now() == NOW
