"""The names expressions may use, built from the spec: an entity's fields (with relation
members through links, users, teams and subforms), `this.`, `old.`, `record.`, action and
step aliases, decision-table inputs. docs/expression-scopes.md says which scope each place
of the app language gets."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

from engine.expr import (
    MemberWords,
    Scope,
    Symbol,
    TypeKind,
    ValueType,
    record_symbol,
    team_symbol,
    user_symbol,
)
from engine.spec.model import SYSTEM_FIELDS, AppSpec, DecisionTableSpec, EntitySpec, FieldSpec
from engine.spec.registry import Registry

__all__ = ["OPEN_SCOPE", "ScopeBuilder", "merge_scopes"]

_SIMPLE: Mapping[str, ValueType] = {
    "text": ValueType.TEXT,
    "number": ValueType.NUMBER,
    "integer": ValueType.INTEGER,
    "money": ValueType.MONEY,
    "percent": ValueType.PERCENT,
    "boolean": ValueType.BOOLEAN,
    "date": ValueType.DATE,
    "datetime": ValueType.DATETIME,
    "user": ValueType.USER,
    "team": ValueType.TEAM,
}


class _OpenTable(Mapping[str, Symbol]):
    """Members of an entity that could not be built (or is unknown): any name resolves (to
    ANY, or to one of the `known` symbols), so an expression over it reports only what does
    not depend on it — its syntax, its functions — and nothing twice."""

    def __init__(self, known: Mapping[str, Symbol] | None = None) -> None:
        self._known: Mapping[str, Symbol] = MappingProxyType(dict(known or {}))

    def __getitem__(self, name: str) -> Symbol:
        found = self._known.get(name)
        return found if found is not None else Symbol(name, ValueType.ANY, _OpenTable)

    def __contains__(self, name: object) -> bool:
        # Every name resolves, but only the known ones exist: "'x' is a field, not a
        # function" must not be claimed for an unknown function.
        return name in self._known

    def __iter__(self) -> Iterator[str]:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)


OPEN_SCOPE: Scope = _OpenTable()
"""The scope of an entity that could not be built: every name is accepted as ANY."""


def merge_scopes(*scopes: Mapping[str, Symbol]) -> Scope:
    """One scope from several; later ones win on a clash. Open when the first is open."""
    merged: dict[str, Symbol] = {}
    for scope in scopes:
        merged.update(scope)
    if scopes and isinstance(scopes[0], _OpenTable):
        return _OpenTable(merged)
    return MappingProxyType(merged)


class ScopeBuilder:
    """Builds (and caches) the scopes of one app."""

    def __init__(self, app: AppSpec, registry: Registry) -> None:
        self.app = app
        self.registry = registry
        self._entity_scopes: dict[str, Scope] = {}

    @staticmethod
    def value_type_of(type_name: str) -> ValueType:
        """The expression type of a plain type name (decision-table columns, results)."""
        return _SIMPLE.get(type_name, ValueType.ANY)

    def value_type(self, field: FieldSpec) -> ValueType:
        """The expression type of a field's value."""
        declared = self.registry.field_types.get(field.type)
        kind = declared.value_kind if declared is not None else "any"
        if field.type in ("formula", "rollup"):
            return self._computed_type(field)
        if kind == "link":
            target = field.link_target
            # an unknown target is reported once, as R102; ANY keeps it from cascading
            known = target is not None and target in self.app.entities
            return ValueType.record(target) if known and target else ValueType.ANY
        if kind == "list":
            return ValueType.list_of(ValueType.TEXT)
        return _SIMPLE.get(kind, ValueType.ANY)

    def _computed_type(self, field: FieldSpec) -> ValueType:
        result = field.result_type
        if result is not None:
            return _SIMPLE.get(result, ValueType.ANY)
        rollup = field.rollup
        if rollup is not None and rollup.aggregate == "count":
            return ValueType.INTEGER
        return ValueType.ANY

    def field_symbol(self, owner: str, field: FieldSpec) -> Symbol:
        """The symbol of one field: relations get their members; a field of a type the
        schema did not know may be anything (its members too)."""
        value_type = self.value_type(field)
        description = f"field of {owner}"
        if field.type not in self.registry.field_types and field.type != "state":
            return Symbol(field.name, ValueType.ANY, _OpenTable, description)
        if value_type.kind is ValueType.USER.kind:
            return user_symbol(field.name, description=description)
        if value_type.kind is ValueType.TEAM.kind:
            return team_symbol(field.name, description=description)
        if field.type == "link" or field.link_target is not None:
            target = field.link_target
            if target is None or value_type.kind is not TypeKind.RECORD:
                # a link to an unknown (or unbuilt, or unnamed) entity: R102/S101 say so
                return Symbol(field.name, ValueType.ANY, _OpenTable, description)
            return record_symbol(
                field.name, target, lambda: self.members(target), description=description
            )
        if field.type == "subform":
            row = f"{owner}.{field.name}"
            return record_symbol(
                field.name,
                row,
                lambda: self.fields_scope(row, field.subfields),
                many=True,
                description=description,
            )
        return Symbol(field.name, value_type, description=description)

    def fields_scope(self, owner: str, fields: Mapping[str, FieldSpec]) -> Scope:
        """The symbols of a set of fields (a subform row has no system columns)."""
        return MappingProxyType({name: self.field_symbol(owner, f) for name, f in fields.items()})

    def scope_of(self, entity_name: str | None) -> Scope:
        """The scope of the entity `entity_name`; the open scope when it is not built."""
        entity = self.app.entities.get(entity_name or "")
        return self.entity_scope(entity) if entity is not None else OPEN_SCOPE

    def members(self, entity_name: str) -> Mapping[str, Symbol]:
        """What `.name` reaches on a record of `entity_name` (anything when unbuilt)."""
        entity = self.app.entities.get(entity_name)
        if entity is None:
            return _OpenTable()
        return self.entity_scope(entity)

    def entity_scope(self, entity: EntitySpec) -> Scope:
        """The record's fields and system columns, as bare names."""
        cached = self._entity_scopes.get(entity.name)
        if cached is not None:
            return cached
        symbols: dict[str, Symbol] = {}
        for name, kind in SYSTEM_FIELDS.items():
            value_type = _SIMPLE.get(kind, ValueType.ANY)
            if kind == "user":
                symbols[name] = user_symbol(name, description="system column")
            else:
                symbols[name] = Symbol(name, value_type, description="system column")
        for name in entity.unbuilt_fields:
            # declared but broken (the schema said why): any use of it is accepted
            symbols[name] = Symbol(name, ValueType.ANY, _OpenTable, f"field of {entity.name}")
        symbols.update(self.fields_scope(entity.name, entity.fields))
        # no field could be read (the schema says why): any name is accepted, not reported
        scope = MappingProxyType(symbols) if entity.fields_known else _OpenTable(symbols)
        self._entity_scopes[entity.name] = scope
        return scope

    def record(self, name: str, entity_name: str | None, description: str = "") -> Symbol:
        """A name bound to a whole record (`this`, `old`, `record`, an alias)."""
        if entity_name is None or entity_name not in self.app.entities:
            return Symbol(name, ValueType.ANY, _OpenTable, description)
        return record_symbol(
            name, entity_name, lambda: self.members(entity_name), description=description
        )

    def table_result(self, name: str, table: DecisionTableSpec | None) -> Symbol:
        """The alias of a `lookup` action: the table's outputs as members (any name when
        the table has none: the schema reports that)."""
        if table is None or not table.outputs:
            return Symbol(name, ValueType.ANY, _OpenTable)
        outputs = {
            column.name: Symbol(
                column.name,
                self.value_type_of(column.type),
                description=f"output of {table.name}",
            )
            for column in table.outputs
        }
        return Symbol(
            name,
            ValueType.ANY,
            lambda: MappingProxyType(outputs),
            f"outputs of decision table {table.name}",
            MemberWords("output", f"of decision table '{table.name}'"),
        )

    def table_inputs(self, table: DecisionTableSpec) -> Scope:
        """A decision table's inputs by name (any name when it has none)."""
        if not table.inputs:
            return OPEN_SCOPE
        return MappingProxyType(
            {
                column.name: Symbol(
                    column.name,
                    self.value_type_of(column.type),
                    description=f"input of {table.name}",
                )
                for column in table.inputs
            }
        )
