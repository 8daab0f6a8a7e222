"""Planning a migration: the spec's tables compared with the live database and the stored
snapshot, step by step, in the order the steps must run.

Order: stale indexes go first (their names may be needed again), then renames (so every
later step uses the new names), tables and columns set aside, new tables (parents first),
new columns, widened columns, type changes, data moves, and new indexes last. Row counts in
the sentences are read while planning, so a plan says what would be lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.ddl import sort_tables_and_constraints

from engine.storage.expected_schema import ExpectedTable
from engine.storage.live_schema import LiveSchema
from engine.storage.migration_steps import (
    AddColumn,
    AddForeignKey,
    CreateIndex,
    CreateTable,
    MapStates,
    RenameFileField,
    RenameTable,
    SetTableAside,
    Step,
)
from engine.storage.naming import aside_name
from engine.storage.schema_snapshot import Snapshot
from engine.storage.shapes import ShapeKind
from engine.storage.table_diff import TableDiff, count_rows
from engine.storage.tables import AppTables

__all__ = ["PHASES", "Planner", "plan_steps"]

PHASES = (
    "drop_indexes",
    "renames",
    "asides",
    "creates",
    "foreign_keys",
    "columns",
    "widen",
    "convert",
    "data",
    "indexes",
)


@dataclass
class Planner:
    """Collects the steps of one plan, by phase."""

    connection: Connection
    dialect: str
    tables: AppTables
    live: LiveSchema
    snapshot: Snapshot | None
    stamp: str
    phases: dict[str, list[Step]] = field(default_factory=lambda: {p: [] for p in PHASES})
    located: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    def add(self, phase: str, step: Step) -> None:
        """Queue `step` in `phase`."""
        self.phases[phase].append(step)

    def steps(self) -> list[Step]:
        """Every step, in the order they run."""
        return [step for phase in PHASES for step in self.phases[phase]]

    @property
    def renamed_entities(self) -> dict[str, str]:
        """Old entity name → new, from `renamed_from:`."""
        return {
            e.renamed_from: name
            for name, e in self.tables.app.entities.items()
            if e.renamed_from is not None
        }

    def aside(self, name: str, taken: Iterable[str]) -> str:
        """A `_dropped_…` name for `name` that is not in `taken`."""
        used = set(taken)
        candidate = aside_name(name, self.stamp)
        suffix = 2
        while candidate in used:
            candidate = aside_name(f"{name}_{suffix}", self.stamp)
            suffix += 1
        return candidate


def plan_steps(planner: Planner, expected: list[ExpectedTable]) -> list[Step]:
    """Every step that brings the database to `expected` (see the module docstring)."""
    _system_tables(planner)
    expected_names = {table.name for table in expected}
    new_tables: list[ExpectedTable] = []
    for table in expected:
        live_name = _locate(planner, table, expected_names)
        if live_name is None:
            new_tables.append(table)
            continue
        live = planner.live.get(live_name)
        assert live is not None
        if live_name != table.name:
            _rename_table(planner, table, live_name)
        diff = TableDiff(planner, table, live)
        planner.located[table.name] = (live_name, diff.run())
    _create_tables(planner, new_tables)
    _leftover_tables(planner, expected)
    _state_maps(planner)
    _file_fields(planner)
    return planner.steps()


def _locate(planner: Planner, table: ExpectedTable, expected_names: set[str]) -> str | None:
    if table.name in planner.live:
        return table.name
    claimed = {live for live, _ in planner.located.values()}
    for old in table.old_names:
        if old in planner.live and old not in claimed and old not in expected_names:
            return old
    return None


def _system_tables(planner: Planner) -> None:
    for table in planner.tables.system.all():
        live = planner.live.get(table.name)
        if live is None:
            planner.add("creates", CreateTable(f"create system table {table.name}", table=table))
            continue
        for column in table.c:
            if column.name not in live.columns:
                sentence = f"add column '{column.name}' to system table {table.name}"
                planner.add("columns", AddColumn(sentence, table=table.name, column=column))
        for index in table.indexes:
            if index.name not in live.indexes:
                sentence = f"create index {index.name} on system table {table.name}"
                planner.add("indexes", CreateIndex(sentence, index=index))


def _rename_table(planner: Planner, table: ExpectedTable, live_name: str) -> None:
    rows = count_rows(planner.connection, live_name)
    was = planner.snapshot.describe_table(live_name) if planner.snapshot else None
    renames_entity = table.field is None and table.renamed_entity is not None
    if renames_entity:
        sentence = (
            f"rename entity '{table.renamed_entity}' to '{table.entity}': table {live_name} "
            f"becomes {table.name} ({rows} record(s) kept, indexes rebuilt)"
        )
    else:
        sentence = (
            f"rename table {live_name} ({was or 'a former name'}) to {table.name} for "
            f"{table.label} ({rows} row(s) kept, indexes rebuilt)"
        )
    entity_rename = None
    if table.field is None and table.renamed_entity is not None:
        entity_rename = (table.renamed_entity, table.entity)
    step = RenameTable(
        sentence, old=live_name, new=table.name, entity_rename=entity_rename, entity=table.entity
    )
    planner.add("renames", step)


def _create_tables(planner: Planner, new_tables: list[ExpectedTable]) -> None:
    by_table = {table.table: table for table in new_tables}
    ordered = _sorted_tables(list(by_table))
    cyclic = [fk for table, fks in ordered if table is None for fk in fks]
    # SQLite accepts a reference to a table created later; PostgreSQL needs it to exist.
    deferred = cyclic if planner.dialect == "postgresql" else []
    for sa_table, _ in ordered:
        if sa_table is None:
            continue
        table = by_table[sa_table]
        what = f"new {table.label}"
        details = f"{len(table.columns)} field column(s), {len(sa_table.indexes)} index(es)"
        step = CreateTable(
            f"create table {table.name} for {what} ({details})",
            table=sa_table,
            deferred=tuple(fk for fk in deferred if fk.table is sa_table),
            entity=table.entity,
            field=table.field,
        )
        planner.add("creates", step)
    for fk in deferred:
        columns = ", ".join(element.parent.name for element in fk.elements)
        sentence = f"add the foreign key of {fk.table.name} ({columns}) to {fk.referred_table.name}"
        planner.add("foreign_keys", AddForeignKey(sentence, constraint=fk))


def _sorted_tables(
    tables: list[sa.Table],
) -> list[tuple[sa.Table | None, list[sa.ForeignKeyConstraint]]]:
    """Parents before children; the foreign keys of a cycle come last (table None)."""
    ordered: list[tuple[sa.Table | None, list[sa.ForeignKeyConstraint]]]
    ordered = sort_tables_and_constraints(tables)  # type: ignore[no-untyped-call]
    return ordered


def _leftover_tables(planner: Planner, expected: list[ExpectedTable]) -> None:
    claimed = {live for live, _ in planner.located.values()}
    expected_names = {table.name for table in expected}
    ours = {name for table in expected for name in table.old_names}
    if planner.snapshot is not None:
        ours |= set(planner.snapshot.tables)
    leftovers = sorted(
        name for name in ours if name in planner.live and name not in claimed | expected_names
    )
    for name in leftovers:
        _set_table_aside(planner, name, expected)


def _set_table_aside(planner: Planner, name: str, expected: list[ExpectedTable]) -> None:
    rows = count_rows(planner.connection, name)
    aside = planner.aside(name, planner.live.names)
    was = planner.snapshot.describe_table(name) if planner.snapshot else None
    heir = next((t for t in expected if name in t.old_names), None)
    if heir is not None:
        what = (
            f"table {name} ({was or 'the former table of ' + heir.label}) was renamed to "
            f"{heir.name} by `renamed_from:`, but {heir.name} already exists"
        )
    else:
        what = f"{was or 'table ' + name} is no longer in the spec"
    sentence = (
        f"{what}: dropping table {name} would lose its {rows} row(s); "
        f"when allowed it is kept as {aside}"
    )
    planner.add("asides", SetTableAside(sentence, table=name, aside=aside))


def _state_maps(planner: Planner) -> None:
    for name, entity in planner.tables.entities.items():
        workflow = entity.spec.workflow
        located = planner.located.get(entity.table.name)
        if workflow is None or not workflow.state_map or located is None:
            continue
        live_name, current = located
        column = current.get(workflow.field)
        if column is None:
            continue
        target = sa.table(live_name, sa.column(column, sa.String))
        moves: dict[str, str] = {}
        parts = []
        for old, new in workflow.state_map.items():
            rows = count_rows(planner.connection, target, target.c[column] == old)
            if rows:
                moves[old] = new
                parts.append(f"{rows} from '{old}' to '{new}'")
        if moves:
            sentence = f"move records of '{name}' between states (state_map): {', '.join(parts)}"
            step = MapStates(
                sentence, table=entity.table.name, column=workflow.field, mapping=moves
            )
            planner.add("data", step)


def _file_fields(planner: Planner) -> None:
    files = planner.tables.system.files
    if files.name not in planner.live:
        return
    app = planner.tables.app.id
    for name, entity in planner.tables.entities.items():
        names = [name, entity.spec.renamed_from] if entity.spec.renamed_from else [name]
        for stored in entity.fields.values():
            spec = entity.spec.fields[stored.name]
            if stored.shape.kind is not ShapeKind.FILES or spec.renamed_from is None:
                continue
            condition = sa.and_(
                files.c.app == app,
                files.c.entity.in_(names),
                files.c.field == spec.renamed_from,
            )
            rows = count_rows(planner.connection, files, condition)
            if rows:
                sentence = (
                    f"rename attachment field '{spec.renamed_from}' of '{name}' to "
                    f"'{stored.name}' ({rows} file(s) kept)"
                )
                step = RenameFileField(
                    sentence, entity_name=name, old=spec.renamed_from, new=stored.name
                )
                planner.add("data", step)
