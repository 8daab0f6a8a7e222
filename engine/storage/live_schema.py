"""What the database holds right now, read with SQLAlchemy's inspector: tables, their
columns (as coarse shapes: the type family and size the database reports) and indexes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.storage.shapes import Shape, ShapeKind

__all__ = ["LiveIndex", "LiveSchema", "LiveTable", "coarse_shape", "reflect_schema"]


@dataclass(frozen=True)
class LiveIndex:
    """An index as the database reports it."""

    name: str
    columns: tuple[str, ...]
    unique: bool


@dataclass(frozen=True)
class LiveTable:
    """A table as the database reports it: column shapes (in order) and indexes by name."""

    name: str
    columns: Mapping[str, Shape]
    indexes: Mapping[str, LiveIndex]

    def indexes_on(self, column: str) -> tuple[str, ...]:
        """Names of the indexes that include `column`."""
        return tuple(name for name, index in self.indexes.items() if column in index.columns)


@dataclass(frozen=True)
class LiveSchema:
    """The reflected tables, by name; `names` lists every table, reflected or not."""

    tables: Mapping[str, LiveTable]
    names: frozenset[str]

    def get(self, name: str) -> LiveTable | None:
        """The table `name` when it exists."""
        return self.tables.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self.names


def coarse_shape(column_type: Any) -> Shape:
    """The shape family of a reflected column type."""
    if isinstance(column_type, sa.Boolean):
        return Shape(ShapeKind.BOOLEAN, coarse=True)
    if isinstance(column_type, sa.DateTime):
        return Shape(ShapeKind.DATETIME, coarse=True)
    if isinstance(column_type, sa.Date):
        return Shape(ShapeKind.DATE, coarse=True)
    if isinstance(column_type, sa.Integer):
        return Shape(ShapeKind.INTEGER, coarse=True)
    if isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float):
        return Shape(
            ShapeKind.DECIMAL, size=column_type.precision, scale=column_type.scale, coarse=True
        )
    if isinstance(column_type, sa.Text):
        return Shape(ShapeKind.TEXT, coarse=True)
    if isinstance(column_type, sa.String):
        length = column_type.length
        if length is None:
            return Shape(ShapeKind.TEXT, coarse=True)
        return Shape(ShapeKind.STRING, size=length, coarse=True)
    return Shape(ShapeKind.OTHER, coarse=True)


def reflect_schema(connection: Connection, wanted: Iterable[str]) -> LiveSchema:
    """The tables of `wanted` that exist (every existing table's name is listed)."""
    inspector = sa.inspect(connection)
    names = frozenset(inspector.get_table_names())
    tables = {name: _reflect_table(inspector, name) for name in sorted(set(wanted) & names)}
    return LiveSchema(MappingProxyType(tables), names)


def _reflect_table(inspector: sa.Inspector, name: str) -> LiveTable:
    columns = {
        column["name"]: coarse_shape(column["type"]) for column in inspector.get_columns(name)
    }
    indexes = {
        str(index["name"]): LiveIndex(
            str(index["name"]),
            tuple(str(c) for c in index["column_names"] if c is not None),
            bool(index["unique"]),
        )
        for index in inspector.get_indexes(name)
        if index["name"] is not None
    }
    return LiveTable(name, MappingProxyType(columns), MappingProxyType(indexes))
