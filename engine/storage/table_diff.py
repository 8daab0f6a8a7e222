"""Comparing one existing table with the table the spec wants: columns to add, rename,
widen, convert or set aside, and indexes to drop or create.

A column's old shape comes from the snapshot when it knows the column (it knows money
from whole numbers), otherwise from the type the database reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.storage.expected_schema import ExpectedColumn, ExpectedTable
from engine.storage.field_storage import column_type
from engine.storage.live_schema import LiveTable
from engine.storage.migration_steps import (
    AddColumn,
    ChangeColumnType,
    CreateIndex,
    DropIndex,
    RenameColumn,
    SetColumnAside,
    WidenColumn,
    known_keys,
)
from engine.storage.naming import is_aside, sequence_key
from engine.storage.shapes import Change, Shape, compare_shapes
from engine.storage.value_conversion import NOT_CONVERTIBLE, KnownKeys, convert_value

if TYPE_CHECKING:
    from engine.storage.migration_planner import Planner

__all__ = ["TableDiff", "count_rows"]


def count_rows(connection: Connection, source: str | sa.FromClause, condition: Any = None) -> int:
    """How many rows of `source` (a table name or clause) match `condition`."""
    from_clause = sa.table(source) if isinstance(source, str) else source
    query = sa.select(sa.func.count()).select_from(from_clause)
    if condition is not None:
        query = query.where(condition)
    return int(connection.execute(query).scalar_one())


class TableDiff:
    """The column and index steps for one expected table that exists as `live`."""

    def __init__(self, planner: Planner, table: ExpectedTable, live: LiveTable) -> None:
        self.planner = planner
        self.table = table
        self.live = live
        self.current: dict[str, str] = {}
        self.removed: set[str] = set()
        self.added: list[str] = []
        self._known: KnownKeys | None = None

    def run(self) -> dict[str, str]:
        """Plan the steps; returns expected column → its name in the database now."""
        for name in self.table.fixed:
            if name in self.live.columns:
                self.current[name] = name
            else:
                sentence = f"add column '{name}' to {self.table.name} ({self.table.label})"
                system = self.table.table.c[name]
                self.planner.add(
                    "columns", AddColumn(sentence, table=self.table.name, column=system)
                )
        for column in self.table.columns.values():
            self.column(column)
        self.leftover_columns()
        self.indexes()
        return self.current

    def _where(self, column: ExpectedColumn) -> dict[str, str | None]:
        return {"entity": self.table.entity, "field": column.name}

    def column(self, column: ExpectedColumn) -> None:
        live_name = self.find(column)
        shape = column.storage.shape
        if live_name is None:
            self.added.append(column.name)
            sentence = (
                f"add column '{column.name}' to {self.table.name} for new {column.label} "
                f"({shape.describe()})"
            )
            add = AddColumn(
                sentence,
                table=self.table.name,
                column=self.table.table.c[column.name],
                **self._where(column),
            )
            self.planner.add("columns", add)
            return
        self.current[column.name] = live_name
        if live_name != column.name:
            self.rename(column, live_name)
        old = self.old_shape(live_name)
        change = compare_shapes(old, shape, self.planner.renamed_entities)
        if change is Change.WIDEN:
            sentence = f"widen {column.label} from {old.describe()} to {shape.describe()}"
            step = WidenColumn(
                sentence,
                table=self.table.name,
                column=column.name,
                old_type=column_type(old),
                new_type=column.storage.column_type(),
                **self._where(column),
            )
            self.planner.add("widen", step)
        elif change is Change.CHANGE:
            self.change_type(column, live_name, old)

    def find(self, column: ExpectedColumn) -> str | None:
        if column.name in self.live.columns:
            return column.name
        old = column.renamed_from
        if old is not None and old in self.live.columns and old not in self.table.columns:
            return old
        return None

    def rename(self, column: ExpectedColumn, live_name: str) -> None:
        values = self.non_null(live_name)
        sentence = (
            f"rename {column.label} from '{live_name}' ({values} stored value(s) kept, "
            "indexes rebuilt)"
        )
        keys = None
        if column.storage.field_type == "sequence" and self.table.field is None:
            entity = self.table.entity
            keys = (sequence_key(entity, live_name), sequence_key(entity, column.name))
        step = RenameColumn(
            sentence,
            table=self.table.name,
            old=live_name,
            new=column.name,
            sequence_keys=keys,
            **self._where(column),
        )
        self.planner.add("renames", step)

    def old_shape(self, live_name: str) -> Shape:
        snapshot = self.planner.snapshot
        known = snapshot.column_shape(self.live.name, live_name) if snapshot else None
        return known if known is not None else self.live.columns[live_name]

    def change_type(self, column: ExpectedColumn, live_name: str, old: Shape) -> None:
        new = column.storage.shape
        old_type = column_type(old)
        values = self.values(live_name, old_type)
        lost = sum(1 for v in values if convert_value(v, new, self.known()) is NOT_CONVERTIBLE)
        aside = self.planner.aside(column.name, self.live.columns)
        if lost:
            effect = (
                f"{lost} of {len(values)} stored value(s) cannot be converted and would be lost"
            )
        elif values:
            effect = f"all {len(values)} stored value(s) convert, but the column is replaced"
        else:
            effect = "the column holds no values yet, but it is replaced"
        sentence = (
            f"{column.label} changes from {old.describe()} to {new.describe()}: {effect}; "
            f"when allowed the old column is kept as {aside} and the values that convert "
            "are copied"
        )
        step = ChangeColumnType(
            sentence,
            table=self.table.name,
            column=self.table.table.c[column.name],
            aside=aside,
            old_type=old_type,
            new_shape=new,
            **self._where(column),
        )
        self.planner.add("convert", step)
        self.removed.add(live_name)

    def leftover_columns(self) -> None:
        kept = set(self.current.values())
        for name in self.live.columns:
            if name in kept or is_aside(name):
                continue
            self.removed.add(name)
            self.set_aside(name)

    def set_aside(self, name: str) -> None:
        snapshot = self.planner.snapshot
        field = (snapshot.field_of(self.live.name, name) if snapshot else None) or name
        where = self.table.label if self.table.field is None else f"the {self.table.label}"
        what = f"field '{field}' of {where.removeprefix('entity ')}"
        aside = self.planner.aside(name, self.live.columns)
        sentence = (
            f"{what} is no longer in the spec: dropping column '{name}' of {self.table.name} "
            f"would lose its {self.non_null(name)} stored value(s); when allowed it is kept "
            f"as {aside}"
        )
        if self.added:
            names = " or ".join(f"'{added}'" for added in self.added)
            sentence += f"; if it was renamed, add `renamed_from: {name}` to field {names}"
        step = SetColumnAside(
            sentence,
            table=self.table.name,
            column=name,
            aside=aside,
            entity=self.table.entity,
            field=field,
        )
        self.planner.add("asides", step)

    def indexes(self) -> None:
        wanted = {index.name: index for index in self.table.table.indexes if index.name}
        gone = {
            name for name, index in self.live.indexes.items() if set(index.columns) & self.removed
        }
        renamed = self.live.name != self.table.name
        for name in self.live.indexes:
            if name in wanted or name in gone:
                continue
            reason = "rebuilt after the rename" if renamed else "no longer declared"
            sentence = f"drop index {name} of {self.table.label} ({reason})"
            self.planner.add("drop_indexes", DropIndex(sentence, table=self.live.name, name=name))
        kept = {name for name in self.live.indexes if name in wanted and name not in gone}
        for name, index in wanted.items():
            if name not in kept:
                self.planner.add("indexes", self.create_index(index))

    def create_index(self, index: sa.Index) -> CreateIndex:
        columns = [column.name for column in index.columns]
        shown = ", ".join(columns)
        sentence = f"create index {index.name} on {self.table.name} ({shown})"
        duplicates = self.duplicates(columns) if index.unique else 0
        if duplicates:
            sentence = (
                f"cannot create the unique index {index.name} on {self.table.label} ({shown}): "
                f"{duplicates} value(s) are used by more than one live record; make them "
                "unique, then migrate again"
            )
        return CreateIndex(sentence, index=index, blocked=bool(duplicates))

    def duplicates(self, columns: list[str]) -> int:
        current = [self.current.get(name) for name in columns]
        if any(name is None or name in self.removed for name in current):
            return 0
        names = [name for name in current if name is not None]
        live_rows = "deleted_at" in self.live.columns and "deleted_at" not in names
        extra: list[sa.ColumnClause[Any]] = [sa.column("deleted_at")] if live_rows else []
        source = sa.table(self.live.name, *(sa.column(n) for n in names), *extra)
        conditions = [source.c[n].is_not(None) for n in names]
        if live_rows:
            conditions.append(source.c.deleted_at.is_(None))
        groups = (
            sa.select(*(source.c[n] for n in names))
            .where(*conditions)
            .group_by(*(source.c[n] for n in names))
            .having(sa.func.count() > 1)
            .subquery()
        )
        return count_rows(self.planner.connection, groups)

    def non_null(self, column: str) -> int:
        source = sa.table(self.live.name, sa.column(column))
        return count_rows(self.planner.connection, source, source.c[column].is_not(None))

    def values(self, column: str, read_as: Any) -> list[Any]:
        source = sa.table(self.live.name, sa.column(column, read_as))
        query = sa.select(source.c[column]).where(source.c[column].is_not(None))
        return list(self.planner.connection.execute(query).scalars())

    def known(self) -> KnownKeys:
        if self._known is None:
            self._known = known_keys(self.planner.connection, self.planner.tables.system)
        return self._known
