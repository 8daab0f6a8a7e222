"""The tables of an app, built from its spec: one per entity, one per subform and
multi_select field, plus the shared system tables.

Every entity table has `id` (integer primary key), `created_at`, `created_by`,
`updated_at`, `updated_by`, `version` (optimistic lock) and `deleted_at` (soft delete), then
one column per stored field. User columns are never NOT NULL in the database: `required`
is the service's rule, so adding a required field to a table with rows is always safe.
Indexes: every link, user, team, state, date and datetime column, `deleted_at`, fields
with `index: true`, and the entity's `indexes:`. Uniqueness (`unique: true`, unique
`indexes:`) holds among live rows: a partial unique index `WHERE deleted_at IS NULL`.

Links, users and teams are foreign keys without ON DELETE actions: records are deleted
softly and the service applies a link's `on_delete`. Child rows (subform lines, chosen
options) belong to their record and go with it (ON DELETE CASCADE). `created_by` and
`updated_by` are plain usernames, not foreign keys: the system actor and imports write
names that need not be users.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as attribute
from types import MappingProxyType

import sqlalchemy as sa

from engine.spec.model import AppSpec, EntitySpec, FieldSpec
from engine.spec.registry import Registry
from engine.storage.column_types import AwareDateTime
from engine.storage.field_storage import (
    CHOICE_LENGTH,
    FieldStorage,
    StorageError,
    field_storage,
    foreign_key_target,
)
from engine.storage.naming import child_table_name, entity_table_name, index_name
from engine.storage.shapes import USERNAME_LENGTH, ShapeKind
from engine.storage.system_tables import SystemTables, build_system_tables

__all__ = [
    "CHILD_COLUMNS",
    "SYSTEM_COLUMNS",
    "AppTables",
    "ChildTable",
    "EntityTables",
    "build_tables",
]

SYSTEM_COLUMNS: tuple[str, ...] = ("id", "created_at", "created_by", "updated_at", "updated_by")
SYSTEM_COLUMNS += ("version", "deleted_at")
"""Columns of every entity table besides its fields."""

CHILD_COLUMNS = ("id", "parent_id", "sort_order")
"""Columns of every child table besides its sub-fields (multi_select adds `value`)."""

_REFERENCES = frozenset({ShapeKind.LINK, ShapeKind.USER, ShapeKind.TEAM})
_INDEXED = _REFERENCES | {ShapeKind.DATE, ShapeKind.DATETIME}


@dataclass(frozen=True)
class ChildTable:
    """The child table of a subform or multi_select field (`shape` says which)."""

    field: FieldSpec
    table: sa.Table
    fields: Mapping[str, FieldStorage] = attribute(default_factory=lambda: MappingProxyType({}))
    children: Mapping[str, ChildTable] = attribute(default_factory=lambda: MappingProxyType({}))

    @property
    def is_choices(self) -> bool:
        """True for a multi_select's table (one `value` row per chosen option)."""
        return self.field.type != "subform"


@dataclass(frozen=True)
class EntityTables:
    """An entity's table, how each field is stored, and its child tables."""

    spec: EntitySpec
    table: sa.Table
    fields: Mapping[str, FieldStorage]
    children: Mapping[str, ChildTable]


@dataclass(frozen=True)
class AppTables:
    """Every table of one app, looked up by entity and field name."""

    app: AppSpec
    metadata: sa.MetaData
    system: SystemTables
    entities: Mapping[str, EntityTables]

    def entity(self, name: str) -> sa.Table:
        """The table of entity `name`."""
        return self.entity_tables(name).table

    def entity_tables(self, name: str) -> EntityTables:
        """Everything stored for entity `name` (KeyError naming it when unknown)."""
        try:
            return self.entities[name]
        except KeyError:
            raise KeyError(f"the app '{self.app.id}' has no entity '{name}'") from None

    def child(self, entity: str, field: str, subfield: str | None = None) -> sa.Table:
        """The child table of a subform / multi_select field (`subfield`: a multi_select
        inside that subform)."""
        child = self.entity_tables(entity).children.get(field)
        if child is not None and subfield is not None:
            child = child.children.get(subfield)
        if child is None:
            where = f"{entity}.{field}" + (f".{subfield}" if subfield else "")
            raise KeyError(f"'{where}' is not a subform or multi_select field")
        return child.table

    def storage(self, entity: str, field: str) -> FieldStorage:
        """How field `field` of `entity` is stored."""
        stored = self.entity_tables(entity).fields.get(field)
        if stored is None:
            raise KeyError(f"entity '{entity}' has no field '{field}'")
        return stored


def build_tables(
    app: AppSpec, metadata: sa.MetaData, *, registry: Registry | None = None
) -> AppTables:
    """The app's tables (and the system tables) in `metadata`; plugin field types need the
    `registry`. Raises StorageError when a field cannot be stored."""
    system = build_system_tables(metadata)
    entities = {
        name: _Builder(app, metadata, registry).entity(entity)
        for name, entity in app.entities.items()
    }
    return AppTables(app, metadata, system, MappingProxyType(entities))


@dataclass(frozen=True)
class _Builder:
    app: AppSpec
    metadata: sa.MetaData
    registry: Registry | None

    def entity(self, entity: EntitySpec) -> EntityTables:
        name = entity_table_name(self.app.id, entity.name)
        stored = {
            f.name: field_storage(self.app, entity, f, self.registry)
            for f in entity.fields.values()
        }
        _check_reserved(entity.name, stored, SYSTEM_COLUMNS)
        columns = [self.column(s) for s in stored.values() if s.has_column]
        table = sa.Table(name, self.metadata, *_system_columns(), *columns)
        for spec in entity.indexes:
            self.declared_index(table, entity.name, spec.fields, stored, unique=spec.unique)
        for f in entity.fields.values():
            if f.unique:
                self.declared_index(table, entity.name, (f.name,), stored, unique=True)
        self.index_columns(table, entity.name, stored.values())
        _plain_index(table, "deleted_at")
        children = {
            f.name: self.child(entity, f, table)
            for f in entity.fields.values()
            if stored[f.name].shape.kind in (ShapeKind.SUBFORM, ShapeKind.CHOICES)
        }
        return EntityTables(entity, table, MappingProxyType(stored), MappingProxyType(children))

    def column(self, stored: FieldStorage) -> sa.Column[object]:
        target = foreign_key_target(stored.shape, self.app.id)
        extra = [sa.ForeignKey(target)] if target is not None else []
        return sa.Column(stored.name, stored.column_type(), *extra, nullable=True)

    def index_columns(self, table: sa.Table, entity: str, stored: Iterable[FieldStorage]) -> None:
        # A column that already leads a declared index needs no index of its own.
        leading = {next(iter(index.columns)).name for index in table.indexes}
        for item in stored:
            wanted = item.shape.kind in _INDEXED or item.field_type == "state"
            spec = _field_spec(self.app, entity, item.name)
            declared = spec is not None and spec.index
            if (wanted or declared) and item.has_column and item.name not in leading:
                _plain_index(table, item.name)

    def declared_index(
        self,
        table: sa.Table,
        entity: str,
        fields: tuple[str, ...],
        stored: Mapping[str, FieldStorage],
        *,
        unique: bool,
    ) -> None:
        for name in fields:
            item = stored.get(name)
            if name not in table.c or (item is not None and not item.has_column):
                raise StorageError(
                    f"an index of '{entity}' lists '{name}', which is not a column "
                    "(subform, multi_select and attachment fields cannot be indexed)"
                )
        index = index_name(table.name, list(fields), unique=unique)
        if any(existing.name == index for existing in table.indexes):
            return
        live = table.c.deleted_at.is_(None)
        columns = [table.c[name] for name in fields]
        if unique:
            sa.Index(index, *columns, unique=True, sqlite_where=live, postgresql_where=live)
        else:
            sa.Index(index, *columns)

    def child(self, entity: EntitySpec, spec: FieldSpec, parent: sa.Table) -> ChildTable:
        name = child_table_name(self.app.id, entity.name, spec.name)
        if spec.type != "subform":
            return ChildTable(spec, _choices_table(name, parent, self.metadata))
        stored = {
            sub.name: field_storage(self.app, entity, sub, self.registry, subform=spec)
            for sub in spec.subfields.values()
        }
        _check_reserved(f"{entity.name}.{spec.name}", stored, CHILD_COLUMNS)
        columns = [self.column(s) for s in stored.values() if s.has_column]
        table = sa.Table(name, self.metadata, *_child_columns(parent), *columns)
        _plain_index(table, "parent_id")
        indexed = [s for s in stored.values() if s.shape.kind in _REFERENCES]
        for item in indexed:
            _plain_index(table, item.name)
        grandchildren = {
            sub.name: ChildTable(
                sub,
                _choices_table(
                    child_table_name(self.app.id, entity.name, spec.name, sub.name),
                    table,
                    self.metadata,
                ),
            )
            for sub in spec.subfields.values()
            if stored[sub.name].shape.kind is ShapeKind.CHOICES
        }
        return ChildTable(spec, table, MappingProxyType(stored), MappingProxyType(grandchildren))


def _plain_index(table: sa.Table, column: str) -> None:
    sa.Index(index_name(table.name, [column], unique=False), table.c[column])


def _field_spec(app: AppSpec, entity: str, name: str) -> FieldSpec | None:
    return app.entities[entity].fields.get(name)


def _check_reserved(
    owner: str, stored: Mapping[str, FieldStorage], reserved: Iterable[str]
) -> None:
    clashes = sorted(set(stored) & set(reserved))
    if clashes:
        names = ", ".join(f"'{name}'" for name in clashes)
        raise StorageError(
            f"'{owner}' declares the field {names}, a column name the engine reserves "
            f"({', '.join(reserved)}); rename the field"
        )


def _system_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("created_by", sa.String(USERNAME_LENGTH)),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(USERNAME_LENGTH)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("deleted_at", AwareDateTime()),
    ]


def _child_columns(parent: sa.Table) -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "parent_id",
            sa.Integer,
            sa.ForeignKey(f"{parent.name}.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("sort_order", sa.Integer, nullable=False),
    ]


def _choices_table(name: str, parent: sa.Table, metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        *_child_columns(parent),
        sa.Column("value", sa.String(CHOICE_LENGTH), nullable=False),
        sa.Index(
            index_name(name, ["parent_id", "value"], unique=True), "parent_id", "value", unique=True
        ),
    )
