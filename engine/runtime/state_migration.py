"""Records in states the workflow no longer has: found, mapped by `state_map:`, moved.

When the YAML removes or renames a state, records already in it would be stranded. This
module reads which removed states still hold records (`find_stranded`, also used by the
`check` command), turns them into a plan (`plan_state_moves`: a move per mapped state, a
refusal per unmapped one) *before* anything is changed, and carries the moves out
(`apply_state_moves`) through the record service as trusted writes, so each record gets a
`state_migrated` history entry (old → new) and a new version, and an approval step still
open in the removed state is closed with status `left`.

The storage layer's own `MapStates` step (a bare SQL update) is taken out of the schema plan
(`without_state_maps`) so the records are moved once, with history.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.errors import FormworkError
from engine.runtime.actor import Actor
from engine.runtime.history import HistoryKind, write_history
from engine.runtime.preparation import WriteOptions
from engine.runtime.records import RecordService
from engine.spec.model import AppSpec
from engine.storage.database import Database
from engine.storage.migration_plan import MigrationPlan
from engine.storage.migration_steps import MapStates, Step
from engine.storage.migrations import apply_migration
from engine.storage.naming import entity_table_name
from engine.storage.tables import AppTables
from engine.workflow.step_store import StepStore

__all__ = [
    "StateMove",
    "StatePlan",
    "StatesStranded",
    "StrandedState",
    "apply_state_moves",
    "find_stranded",
    "migrate_app",
    "plan_state_moves",
    "without_state_maps",
]

LEFT = "left"
"""The status of an approval step closed because its state was removed."""


@dataclass(frozen=True)
class StrandedState:
    """A state the workflow no longer has that `records` records (deleted ones too) are in."""

    entity: str
    state: str
    records: int
    target: str | None  # the `state_map` target; None when unmapped

    def refusal(self) -> str:
        """Why `migrate` refuses, and the fix, in one sentence."""
        return (
            f"{self.records} '{self.entity}' record(s) are in state '{self.state}', which the "
            f"workflow no longer has: add `state_map: {{{self.state}: <new state>}}` to the "
            f"workflow of '{self.entity}' (or put the state back)"
        )


@dataclass(frozen=True)
class StateMove:
    """Records of `entity` to move from `old` to `new` (from `state_map:`)."""

    entity: str
    field: str
    old: str
    new: str
    records: int

    def line(self) -> str:
        """The move as a plan line (`~`: a reshaping that keeps every value)."""
        return (
            f"  ~ move {self.records} '{self.entity}' record(s) from state '{self.old}' to "
            f"'{self.new}' (state_map; history: state_migrated)"
        )


@dataclass(frozen=True)
class StatePlan:
    """The moves `migrate` makes and the stranded states that stop it."""

    moves: tuple[StateMove, ...]
    stranded: tuple[StrandedState, ...]

    def lines(self) -> list[str]:
        """The moves, one plan line each."""
        return [move.line() for move in self.moves]

    def refusals(self) -> list[str]:
        """One sentence per unmapped state in use."""
        return [state.refusal() for state in self.stranded]


class StatesStranded(FormworkError):
    """Records are in states the workflow no longer has and `state_map` does not map."""

    def __init__(self, app: str, stranded: tuple[StrandedState, ...]) -> None:
        lines = "\n".join(f"  {state.refusal()}" for state in stranded)
        super().__init__(
            f"migration of app '{app}' refused, nothing was changed: records are in states "
            f"the workflow no longer has:\n{lines}"
        )
        self.stranded = stranded


def find_stranded(db: Database, app: AppSpec, tables: AppTables) -> list[StrandedState]:
    """Every removed state that still holds records, as the live database has them.

    The entity's table is looked up under its current name, else its `renamed_from` name
    (the schema may not be migrated yet); an entity without a table or state column has no
    records in any state. Reads only.
    """
    found: list[StrandedState] = []
    with db.begin(readonly=True) as connection:
        inspector = sa.inspect(connection)
        for name, entity in app.entities.items():
            workflow = entity.workflow
            if workflow is None or not workflow.states:
                continue
            table = _live_table(inspector, app, tables, name)
            if table is None:
                continue
            columns = {column["name"] for column in inspector.get_columns(table)}
            if workflow.field not in columns:
                continue
            counts = _state_counts(connection, table, workflow.field)
            for state, count in sorted(counts.items()):
                if state not in workflow.states:
                    target = workflow.state_map.get(state)
                    found.append(StrandedState(name, state, count, target))
    return found


def plan_state_moves(db: Database, app: AppSpec, tables: AppTables) -> StatePlan:
    """The moves `state_map:` asks for, and the stranded states it does not map."""
    moves: list[StateMove] = []
    stranded: list[StrandedState] = []
    for state in find_stranded(db, app, tables):
        workflow = app.entities[state.entity].workflow
        assert workflow is not None
        if state.target is not None and state.target in workflow.states:
            moves.append(
                StateMove(state.entity, workflow.field, state.state, state.target, state.records)
            )
        else:
            stranded.append(state)
    return StatePlan(tuple(moves), tuple(stranded))


def without_state_maps(plan: MigrationPlan) -> MigrationPlan:
    """`plan` without the storage layer's bare `MapStates` steps (moved here instead)."""
    steps = tuple(step for step in plan.steps if not isinstance(step, MapStates))
    return dataclasses.replace(plan, steps=steps)


def apply_state_moves(db: Database, records: RecordService, plan: StatePlan) -> int:
    """Move the records of every planned move, in one transaction; the number moved.

    Live records are written through the record service (trusted, state allowed) with a
    `state_migrated` history entry; deleted ones (the service does not write them) get the
    same state, version bump and history entry directly, so a restore finds a valid state.
    """
    if plan.stranded:
        raise StatesStranded(records.runtime.app.id, plan.stranded)
    moved = 0
    actor = Actor.system()
    steps = StepStore(records.runtime.tables.system, records.runtime.app.id)
    with db.begin() as connection:
        for move in plan.moves:
            details = {"from": move.old, "to": move.new, "reason": "state_map"}
            options = WriteOptions(
                trusted=True, allow_state=True, history_kind=HistoryKind.STATE_MIGRATED,
                details=details,
            )  # fmt: skip
            table = records.runtime.tables.entity(move.entity)
            query = sa.select(table.c.id, table.c.deleted_at).where(table.c[move.field] == move.old)
            for row in connection.execute(query.order_by(table.c.id)).all():
                record_id = int(row.id)
                _close_open_step(connection, records, steps, move, record_id)
                if row.deleted_at is None:
                    records.update_in(
                        connection, actor, move.entity, record_id, {move.field: move.new},
                        version=None, options=options,
                    )  # fmt: skip
                else:
                    _move_deleted(connection, records, move, record_id, details)
                moved += 1
    return moved


def _live_table(inspector: Any, app: AppSpec, tables: AppTables, entity: str) -> str | None:
    current = tables.entity(entity).name
    if inspector.has_table(current):
        return current
    renamed_from = app.entities[entity].renamed_from
    if renamed_from is not None:
        old = entity_table_name(app.id, renamed_from)
        if inspector.has_table(old):
            return old
    return None


def _state_counts(connection: Connection, table: str, column: str) -> dict[str, int]:
    target = sa.table(table, sa.column(column, sa.String))
    state = target.c[column]
    query = sa.select(state, sa.func.count()).where(state.is_not(None)).group_by(state)
    return {str(value): int(count) for value, count in connection.execute(query)}


def _close_open_step(
    connection: Connection,
    records: RecordService,
    steps: StepStore,
    move: StateMove,
    record_id: int,
) -> None:
    step = steps.open_step(connection, move.entity, record_id)
    if step is not None and step.state == move.old:
        steps.close_step(connection, step.id, LEFT, records.runtime.clock.now())


def _move_deleted(
    connection: Connection,
    records: RecordService,
    move: StateMove,
    record_id: int,
    details: Mapping[str, Any],
) -> None:
    runtime = records.runtime
    table = runtime.tables.entity(move.entity)
    now = runtime.clock.now()
    connection.execute(
        table.update()
        .where(table.c.id == record_id)
        .values({move.field: move.new, "version": table.c.version + 1})
    )
    write_history(
        connection, runtime.tables.system, app=runtime.app.id, entity=move.entity,
        record_id=record_id, at=now, by=None, kind=HistoryKind.STATE_MIGRATED,
        changes={move.field: [move.old, move.new]}, details=details,
    )  # fmt: skip


def migrate_app(
    db: Database,
    records: RecordService,
    plan: MigrationPlan,
    *,
    allow_destructive: bool = False,
    now: datetime | None = None,
) -> tuple[Step, ...]:
    """`Engine.migrate`: refuse stranded states first (nothing changed), apply the schema
    plan without its bare `MapStates` steps, then move the mapped records with history.
    Returns the steps carried out (the `MapStates` steps stand for the moves)."""
    runtime = records.runtime
    states = plan_state_moves(db, runtime.app, runtime.tables)
    if states.stranded:
        raise StatesStranded(runtime.app.id, states.stranded)
    applied = apply_migration(
        db, without_state_maps(plan), allow_destructive=allow_destructive, now=now
    )
    if states.moves:
        apply_state_moves(db, records, states)
    mapped = tuple(step for step in plan.steps if isinstance(step, MapStates))
    return (*applied, *mapped)
