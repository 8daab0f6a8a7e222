"""The steps of a migration: each knows its kind (additive, rename, destructive, blocked),
the sentence that explains it, and how to apply itself with Alembic's operations.

DDL goes through `alembic.operations.Operations` on the migration's connection; SQLite's
missing ALTER COLUMN TYPE is done in batch mode (the table is rebuilt). Nothing here drops
data: a table or column that leaves the spec is renamed aside, after its indexes are
dropped so the names are free for a new table or column of the same name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as attribute
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations, ops
from sqlalchemy.engine import Connection

from engine.storage.system_tables import SystemTables
from engine.storage.value_conversion import NOT_CONVERTIBLE, KnownKeys, convert_value

__all__ = [
    "AddColumn",
    "AddForeignKey",
    "ChangeColumnType",
    "CreateIndex",
    "CreateTable",
    "DropIndex",
    "MapStates",
    "MigrationRun",
    "RenameColumn",
    "RenameFileField",
    "RenameTable",
    "SetColumnAside",
    "SetTableAside",
    "Step",
    "StepKind",
    "WidenColumn",
]


class StepKind(StrEnum):
    """How a step treats stored data; the value is its prefix in a plan."""

    ADDITIVE = "+"
    RENAME = "~"
    DESTRUCTIVE = "!"
    BLOCKED = "x"


@dataclass
class MigrationRun:
    """What a step applies itself with."""

    op: Operations
    connection: Connection
    dialect: str
    app: str
    system: SystemTables

    def drop_indexes(self, table: str, column: str | None = None) -> None:
        """Drop the indexes of `table` (only those on `column` when given)."""
        for index in sa.inspect(self.connection).get_indexes(table):
            name = index["name"]
            if name is not None and (column is None or column in index["column_names"]):
                self.op.drop_index(name, table_name=table)


@dataclass(frozen=True)
class Step(ABC):
    """One change: its kind, its sentence, and whom it concerns."""

    sentence: str
    entity: str | None = attribute(default=None, kw_only=True)
    field: str | None = attribute(default=None, kw_only=True)

    @property
    def kind(self) -> StepKind:
        """Additive unless a subclass says otherwise."""
        return StepKind.ADDITIVE

    @abstractmethod
    def apply(self, run: MigrationRun) -> None:
        """Make the change."""

    def line(self) -> str:
        """The step as a plan line: its prefix, then its sentence."""
        prefix = "!" if self.kind is StepKind.BLOCKED else self.kind.value
        return f"{prefix} {self.sentence}"


@dataclass(frozen=True)
class CreateTable(Step):
    """Create a table with its indexes (foreign keys in `deferred` are added later)."""

    table: sa.Table = attribute(kw_only=True)
    deferred: tuple[sa.ForeignKeyConstraint, ...] = attribute(default=(), kw_only=True)

    def apply(self, run: MigrationRun) -> None:
        later = {element.parent.name for fk in self.deferred for element in fk.elements}
        columns: list[Any] = [_bare(c) if c.name in later else c for c in self.table.c]
        constraints = [
            c
            for c in self.table.constraints
            if not (isinstance(c, sa.ForeignKeyConstraint) and c in self.deferred)
        ]
        create = ops.CreateTableOp(
            self.table.name,
            [*columns, *constraints],
            _namespace_metadata=self.table.metadata,
            _constraints_included=True,
        )
        run.op.invoke(create)
        for index in self.table.indexes:
            run.op.invoke(ops.CreateIndexOp.from_index(index))


def _bare(column: sa.Column[Any]) -> sa.Column[Any]:
    """The column without its foreign key (added by a later step)."""
    return sa.Column(column.name, column.type, nullable=column.nullable)


@dataclass(frozen=True)
class AddForeignKey(Step):
    """Add a foreign key that could not be created with its table (a cycle of links)."""

    constraint: sa.ForeignKeyConstraint = attribute(kw_only=True)

    def apply(self, run: MigrationRun) -> None:
        run.op.invoke(ops.CreateForeignKeyOp.from_constraint(self.constraint))


@dataclass(frozen=True)
class AddColumn(Step):
    """Add a nullable column (a reference is declared inline, which SQLite accepts)."""

    table: str = attribute(kw_only=True)
    column: sa.Column[Any] = attribute(kw_only=True)

    def apply(self, run: MigrationRun) -> None:
        column = self.column._copy()
        column.nullable = True
        run.op.add_column(self.table, column, inline_references=True)


@dataclass(frozen=True)
class WidenColumn(Step):
    """Give a string column more room (SQLite rebuilds the table in batch mode)."""

    table: str = attribute(kw_only=True)
    column: str = attribute(kw_only=True)
    old_type: Any = attribute(kw_only=True)
    new_type: Any = attribute(kw_only=True)

    def apply(self, run: MigrationRun) -> None:
        if run.dialect == "sqlite":
            with run.op.batch_alter_table(self.table, recreate="always") as batch:
                batch.alter_column(self.column, type_=self.new_type, existing_type=self.old_type)
            return
        run.op.alter_column(
            self.table, self.column, type_=self.new_type, existing_type=self.old_type
        )


@dataclass(frozen=True)
class CreateIndex(Step):
    """Create an index; BLOCKED when existing rows would violate a unique index."""

    index: sa.Index = attribute(kw_only=True)
    blocked: bool = attribute(default=False, kw_only=True)

    @property
    def kind(self) -> StepKind:
        return StepKind.BLOCKED if self.blocked else StepKind.ADDITIVE

    def apply(self, run: MigrationRun) -> None:
        run.op.invoke(ops.CreateIndexOp.from_index(self.index))


@dataclass(frozen=True)
class DropIndex(Step):
    """Drop an index the spec no longer wants (no data is stored in an index)."""

    table: str = attribute(kw_only=True)
    name: str = attribute(kw_only=True)

    @property
    def kind(self) -> StepKind:
        return StepKind.RENAME

    def apply(self, run: MigrationRun) -> None:
        run.op.drop_index(self.name, table_name=self.table)


@dataclass(frozen=True)
class RenameTable(Step):
    """Rename a table; for an entity, its history, files and sequences follow it."""

    old: str = attribute(kw_only=True)
    new: str = attribute(kw_only=True)
    entity_rename: tuple[str, str] | None = attribute(default=None, kw_only=True)

    @property
    def kind(self) -> StepKind:
        return StepKind.RENAME

    def apply(self, run: MigrationRun) -> None:
        run.op.rename_table(self.old, self.new)
        if self.entity_rename is not None:
            _rename_entity_rows(run, *self.entity_rename)


def _rename_entity_rows(run: MigrationRun, old: str, new: str) -> None:
    system = run.system
    for table in (system.history, system.files):
        run.connection.execute(
            sa.update(table).where(table.c.app == run.app, table.c.entity == old).values(entity=new)
        )
    sequences = system.sequences
    prefix = f"{old}."
    rows = run.connection.execute(
        sa.select(sequences.c.key).where(
            sequences.c.app == run.app, sequences.c.key.startswith(prefix, autoescape=True)
        )
    ).scalars()
    for key in set(rows):
        run.connection.execute(
            sa.update(sequences)
            .where(sequences.c.app == run.app, sequences.c.key == key)
            .values(key=f"{new}.{key[len(prefix) :]}")
        )


@dataclass(frozen=True)
class RenameColumn(Step):
    """Rename a column (`renamed_from:` on a field); a sequence's counter follows it."""

    table: str = attribute(kw_only=True)
    old: str = attribute(kw_only=True)
    new: str = attribute(kw_only=True)
    sequence_keys: tuple[str, str] | None = attribute(default=None, kw_only=True)

    @property
    def kind(self) -> StepKind:
        return StepKind.RENAME

    def apply(self, run: MigrationRun) -> None:
        run.op.alter_column(self.table, self.old, new_column_name=self.new)
        if self.sequence_keys is not None:
            sequences = run.system.sequences
            old_key, new_key = self.sequence_keys
            run.connection.execute(
                sa.update(sequences)
                .where(sequences.c.app == run.app, sequences.c.key == old_key)
                .values(key=new_key)
            )


@dataclass(frozen=True)
class RenameFileField(Step):
    """Attach the files of a renamed attachment field to its new name."""

    entity_name: str = attribute(kw_only=True)
    old: str = attribute(kw_only=True)
    new: str = attribute(kw_only=True)

    @property
    def kind(self) -> StepKind:
        return StepKind.RENAME

    def apply(self, run: MigrationRun) -> None:
        files = run.system.files
        run.connection.execute(
            sa.update(files)
            .where(
                files.c.app == run.app,
                files.c.entity == self.entity_name,
                files.c.field == self.old,
            )
            .values(field=self.new)
        )


@dataclass(frozen=True)
class SetTableAside(Step):
    """Keep a table the spec dropped under its `_dropped_…` name."""

    table: str = attribute(kw_only=True)
    aside: str = attribute(kw_only=True)

    @property
    def kind(self) -> StepKind:
        return StepKind.DESTRUCTIVE

    def apply(self, run: MigrationRun) -> None:
        run.drop_indexes(self.table)
        run.op.rename_table(self.table, self.aside)


@dataclass(frozen=True)
class SetColumnAside(Step):
    """Keep a column the spec dropped under its `_dropped_…` name."""

    table: str = attribute(kw_only=True)
    column: str = attribute(kw_only=True)
    aside: str = attribute(kw_only=True)

    @property
    def kind(self) -> StepKind:
        return StepKind.DESTRUCTIVE

    def apply(self, run: MigrationRun) -> None:
        run.drop_indexes(self.table, self.column)
        run.op.alter_column(self.table, self.column, new_column_name=self.aside)


@dataclass(frozen=True)
class ChangeColumnType(Step):
    """Replace a column by one of the new type: the old one is set aside and every value
    that converts exactly is copied into the new one."""

    table: str = attribute(kw_only=True)
    column: sa.Column[Any] = attribute(kw_only=True)
    aside: str = attribute(kw_only=True)
    old_type: Any = attribute(kw_only=True)
    new_shape: Any = attribute(kw_only=True)

    @property
    def kind(self) -> StepKind:
        return StepKind.DESTRUCTIVE

    def apply(self, run: MigrationRun) -> None:
        name = self.column.name
        SetColumnAside(self.sentence, table=self.table, column=name, aside=self.aside).apply(run)
        AddColumn(self.sentence, table=self.table, column=self.column).apply(run)
        source = sa.table(
            self.table,
            sa.column("id", sa.Integer),
            sa.column(self.aside, self.old_type),
            sa.column(name, self.column.type),
        )
        known = known_keys(run.connection, run.system)
        rows = run.connection.execute(
            sa.select(source.c.id, source.c[self.aside]).where(source.c[self.aside].is_not(None))
        ).all()
        updates = []
        for row in rows:
            value = convert_value(row[1], self.new_shape, known)
            if value is not NOT_CONVERTIBLE:
                updates.append({"row_id": row[0], "value": value})
        if updates:
            statement = (
                sa.update(source)
                .where(source.c.id == sa.bindparam("row_id"))
                .values({name: sa.bindparam("value", type_=self.column.type)})
            )
            run.connection.execute(statement, updates)


def known_keys(connection: Connection, system: SystemTables) -> KnownKeys:
    """The usernames and team ids that exist now."""
    inspector = sa.inspect(connection)
    users: frozenset[str] = frozenset()
    teams: frozenset[int] = frozenset()
    if inspector.has_table(system.users.name):
        users = frozenset(connection.execute(sa.select(system.users.c.username)).scalars())
    if inspector.has_table(system.teams.name):
        teams = frozenset(connection.execute(sa.select(system.teams.c.id)).scalars())
    return KnownKeys(users, teams)


@dataclass(frozen=True)
class MapStates(Step):
    """Move records out of states the workflow no longer has (`state_map:`)."""

    table: str = attribute(kw_only=True)
    column: str = attribute(kw_only=True)
    mapping: Mapping[str, str] = attribute(kw_only=True)

    @property
    def kind(self) -> StepKind:
        return StepKind.RENAME

    def apply(self, run: MigrationRun) -> None:
        target = sa.table(self.table, sa.column(self.column, sa.String))
        for old, new in self.mapping.items():
            run.connection.execute(
                sa.update(target).where(target.c[self.column] == old).values({self.column: new})
            )
