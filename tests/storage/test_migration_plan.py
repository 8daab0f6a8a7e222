"""`MigrationPlan`: which steps stop it and how it reads."""

from __future__ import annotations

import sqlalchemy as sa

from engine.storage.migration_plan import MigrationPlan
from engine.storage.migration_steps import (
    AddColumn,
    CreateIndex,
    DropIndex,
    SetColumnAside,
    Step,
    StepKind,
)

INDEX = sa.Index("ux_t__a", sa.Table("t", sa.MetaData(), sa.Column("a", sa.Integer)).c.a)
ADD = AddColumn("add column 'b' to t", table="t", column=sa.Column("b", sa.Integer))
RENAME = DropIndex("drop index ix_t__old of entity 't' (no longer declared)", table="t", name="x")
DROP = SetColumnAside("field 'c' of 't' is no longer in the spec", table="t", column="c", aside="d")
BLOCK = CreateIndex("cannot create the unique index ux_t__a", index=INDEX, blocked=True)


def plan(*steps: Step, changed: bool = True) -> MigrationPlan:
    return MigrationPlan("shop", "sqlite", steps, {}, changed, "20240101000000")


def test_kinds_and_prefixes() -> None:
    assert [s.kind for s in (ADD, RENAME, DROP, BLOCK)] == [
        StepKind.ADDITIVE,
        StepKind.RENAME,
        StepKind.DESTRUCTIVE,
        StepKind.BLOCKED,
    ]
    assert [s.line()[0] for s in (ADD, RENAME, DROP, BLOCK)] == ["+", "~", "!", "!"]


def test_destructive_steps_are_refused_unless_allowed_blocked_ones_always() -> None:
    full = plan(ADD, RENAME, DROP, BLOCK)
    assert full.refused() == (DROP, BLOCK)
    assert full.refused(allow_destructive=True) == (BLOCK,)
    assert plan(ADD, DROP).refused(allow_destructive=True) == ()
    assert (full.destructive, full.blocked) == ((DROP,), (BLOCK,))


def test_describe_lists_every_step_and_counts_them() -> None:
    assert plan(ADD, RENAME, DROP, BLOCK).describe().splitlines() == [
        "Migration plan for app 'shop' (sqlite):",
        "+ add column 'b' to t",
        "~ drop index ix_t__old of entity 't' (no longer declared)",
        "! field 'c' of 't' is no longer in the spec",
        "! cannot create the unique index ux_t__a",
        "4 step(s): 1 additive, 1 rename, 1 destructive, 1 blocked.",
    ]


def test_an_empty_plan_says_so() -> None:
    assert plan(changed=False).is_empty
    assert plan(changed=False).describe() == (
        "Migration plan for app 'shop' (sqlite): the database matches the spec; nothing to change."
    )
    assert not plan(changed=True).is_empty
    assert plan(changed=True).describe().endswith("the schema snapshot will be recorded.")
