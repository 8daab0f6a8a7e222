"""The tables an app's spec wants, with what a migration needs to know about each: which
entity or field it stores, the column of every field, and the names the table and its
columns may still have in the database (`renamed_from:` on the entity or field).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import product
from types import MappingProxyType

import sqlalchemy as sa

from engine.spec.model import FieldSpec
from engine.storage.field_storage import FieldStorage
from engine.storage.naming import child_table_name, entity_table_name
from engine.storage.tables import CHILD_COLUMNS, SYSTEM_COLUMNS, AppTables, ChildTable

__all__ = ["ExpectedColumn", "ExpectedTable", "expected_tables"]


@dataclass(frozen=True)
class ExpectedColumn:
    """A field's column: its storage and the name it had before a `renamed_from:`."""

    storage: FieldStorage
    renamed_from: str | None
    label: str

    @property
    def name(self) -> str:
        """The column name (the field name)."""
        return self.storage.name


@dataclass(frozen=True)
class ExpectedTable:
    """A table the spec wants: what it stores, its field columns, its former names."""

    table: sa.Table
    entity: str
    field: str | None
    kind: str
    old_names: tuple[str, ...]
    columns: Mapping[str, ExpectedColumn]
    fixed: tuple[str, ...]
    renamed_entity: str | None = None

    @property
    def name(self) -> str:
        """The table name."""
        return self.table.name

    @property
    def label(self) -> str:
        """What the table stores, in words."""
        if self.field is None:
            return f"entity '{self.entity}'"
        return f"{self.kind} field '{self.field}' of '{self.entity}'"


def _names(current: str, old: str | None) -> tuple[str, ...]:
    return (current,) if old is None else (current, old)


def _field_columns(
    owner: str, fields: Mapping[str, FieldStorage], specs: Mapping[str, FieldSpec]
) -> Mapping[str, ExpectedColumn]:
    columns = {
        name: ExpectedColumn(stored, specs[name].renamed_from, f"field '{name}' of '{owner}'")
        for name, stored in fields.items()
        if stored.has_column
    }
    return MappingProxyType(columns)


def expected_tables(tables: AppTables) -> Iterator[ExpectedTable]:
    """Every app table the spec wants, entity tables first, each followed by its children."""
    app = tables.app.id
    for name, entity in tables.entities.items():
        spec = entity.spec
        old = spec.renamed_from
        yield ExpectedTable(
            entity.table,
            name,
            None,
            "entity",
            (entity_table_name(app, old),) if old else (),
            _field_columns(name, entity.fields, spec.fields),
            SYSTEM_COLUMNS,
            renamed_entity=old,
        )
        for child in entity.children.values():
            yield from _child_tables(app, _names(name, old), child, ())


def _child_tables(
    app: str, entity_names: tuple[str, ...], child: ChildTable, outer: tuple[ChildTable, ...]
) -> Iterator[ExpectedTable]:
    """A child table and, for a subform, its multi_select grandchildren."""
    path = (*outer, child)
    name_sets = [_names(part.field.name, part.field.renamed_from) for part in path]
    old_names = []
    for entity, *fields in product(entity_names, *name_sets):
        candidate = child_table_name(app, entity, fields[0], fields[1] if len(fields) > 1 else None)
        if candidate != child.table.name and candidate not in old_names:
            old_names.append(candidate)
    owner = f"{entity_names[0]}.{'.'.join(part.field.name for part in path)}"
    columns = _field_columns(owner, child.fields, child.field.subfields)
    fixed = (*CHILD_COLUMNS, "value") if child.is_choices else CHILD_COLUMNS
    yield ExpectedTable(
        child.table,
        entity_names[0],
        ".".join(part.field.name for part in path),
        "multi_select" if child.is_choices else "subform",
        tuple(old_names),
        columns,
        fixed,
    )
    for grandchild in child.children.values():
        yield from _child_tables(app, entity_names, grandchild, path)
