"""Everything the record service evaluates for an entity, compiled once at load: defaults,
formulas (in dependency order), `visible_if`, `required_if`, bounds, patterns, field and
record validations — for the record's fields and, the same way, for each subform's rows.

Expressions are checked against the scope of their place (docs/expression-scopes.md: the
record's fields; in a subform row, the row's fields plus `parent`) and compiled to Python
closures here; the service only calls them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from engine.expr import (
    CheckedExpr,
    Env,
    Evaluator,
    Scope,
    ValueType,
    check_expression,
    compile_python,
)
from engine.runtime.values import InputContext, parse_input
from engine.spec.expression_scopes import ScopeBuilder, merge_scopes
from engine.spec.model import AppSpec, EntitySpec, ExprSpec, FieldSpec, Label, ValidationSpec
from engine.spec.registry import Registry
from engine.storage.field_storage import FieldStorage
from engine.storage.tables import AppTables, ChildTable, EntityTables

__all__ = [
    "PARENT",
    "CompiledEntity",
    "CompiledField",
    "CompiledFields",
    "CompiledRule",
    "CompiledValue",
    "compile_entities",
]

PARENT = "parent"
_BOUNDED = frozenset({"number", "integer", "money", "percent", "date", "datetime"})
_PARAMETER_BOUNDS = frozenset({"date", "datetime"})


@dataclass(frozen=True)
class CompiledValue:
    """A literal, or a compiled `=expression`."""

    literal: Any
    evaluate: Evaluator | None

    def value(self, env: Env) -> Any:
        """The value in `env` (the literal when there is no expression)."""
        return self.evaluate(env) if self.evaluate is not None else self.literal


@dataclass(frozen=True)
class CompiledRule:
    """A validation rule: its closure, message, where it is shown and which names it reads."""

    evaluate: Evaluator
    message: Label
    fields: tuple[str, ...]
    reads: frozenset[str]


@dataclass(frozen=True)
class CompiledField:
    """One field with its compiled expressions (and, for a subform, its rows' fields)."""

    spec: FieldSpec
    storage: FieldStorage
    default: CompiledValue | None
    visible_if: Evaluator | None
    required_if: Evaluator | None
    validations: tuple[CompiledRule, ...]
    bounds: Mapping[str, CompiledValue]
    pattern: re.Pattern[str] | None
    formula: Evaluator | None
    rows: CompiledFields | None

    @property
    def name(self) -> str:
        """The field's name."""
        return self.spec.name


@dataclass(frozen=True)
class CompiledFields:
    """A set of fields (an entity's, or a subform row's) and its record-level rules."""

    owner: str
    fields: Mapping[str, CompiledField]
    formula_order: tuple[str, ...]
    validations: tuple[CompiledRule, ...]


@dataclass(frozen=True)
class CompiledEntity:
    """An entity ready for the service: spec, tables, compiled fields and unique keys."""

    spec: EntitySpec
    tables: EntityTables
    fields: CompiledFields
    unique_keys: tuple[tuple[str, ...], ...]

    @property
    def name(self) -> str:
        """The entity's name."""
        return self.spec.name


def compile_entities(
    app: AppSpec, tables: AppTables, registry: Registry, inputs: InputContext
) -> Mapping[str, CompiledEntity]:
    """Every entity of the app, compiled."""
    compiler = _Compiler(app, registry, inputs, ScopeBuilder(app, registry))
    return MappingProxyType(
        {
            name: compiler.entity(entity, tables.entity_tables(name))
            for name, entity in app.entities.items()
        }
    )


@dataclass(frozen=True)
class _Compiler:
    app: AppSpec
    registry: Registry
    inputs: InputContext
    scopes: ScopeBuilder

    def entity(self, entity: EntitySpec, tables: EntityTables) -> CompiledEntity:
        scope = self.scopes.entity_scope(entity)
        fields = self.fields(
            entity.name, entity.fields, tables.fields, tables.children, scope, entity
        )
        rules = tuple(self.rule(v, scope, entity.name) for v in entity.validations)
        fields = CompiledFields(fields.owner, fields.fields, fields.formula_order, rules)
        return CompiledEntity(entity, tables, fields, _unique_keys(entity, tables))

    def fields(
        self,
        owner: str,
        specs: Mapping[str, FieldSpec],
        storage: Mapping[str, FieldStorage],
        children: Mapping[str, ChildTable],
        scope: Scope,
        entity: EntitySpec,
    ) -> CompiledFields:
        compiled: dict[str, CompiledField] = {}
        checked_formulas: dict[str, CheckedExpr] = {}
        for name, spec in specs.items():
            rows = None
            if spec.type == "subform":
                child = children[name]
                row_owner = f"{owner}.{name}"
                row_scope = merge_scopes(
                    self.scopes.fields_scope(row_owner, spec.subfields),
                    {PARENT: self.scopes.record(PARENT, entity.name)},
                )
                rows = self.fields(
                    row_owner, spec.subfields, child.fields, child.children, row_scope, entity
                )
            formula = None
            if spec.formula_expr is not None:
                checked = self.check(spec.formula_expr, scope, owner)
                checked_formulas[name] = checked
                formula = compile_python(checked)
            compiled[name] = CompiledField(
                spec=spec,
                storage=storage[name],
                default=self.value_of(spec, spec.default, scope, owner),
                visible_if=self.condition(spec.visible_if, scope, owner),
                required_if=self.condition(spec.required_if, scope, owner),
                validations=tuple(self.rule(v, scope, owner, name) for v in spec.validations),
                bounds=self.bounds(spec, scope, owner),
                pattern=_pattern(spec),
                formula=formula,
                rows=rows,
            )
        order = _formula_order(checked_formulas)
        return CompiledFields(owner, MappingProxyType(compiled), order, ())

    def check(
        self, expr: ExprSpec, scope: Scope, owner: str, expect: ValueType | None = None
    ) -> CheckedExpr:
        checked = check_expression(
            expr.text, scope, self.registry.functions, expect=expect, entity=owner
        )
        if not checked.ok:
            # `check_app` reported it already; reaching here means the app was not checked.
            problems = "; ".join(str(p) for p in checked.problems)
            raise ValueError(f"{expr.loc.file}{expr.loc.pointer}: {problems}")
        return checked

    def condition(self, expr: ExprSpec | None, scope: Scope, owner: str) -> Evaluator | None:
        if expr is None:
            return None
        return compile_python(self.check(expr, scope, owner, ValueType.BOOLEAN))

    def rule(
        self, spec: ValidationSpec, scope: Scope, owner: str, field: str | None = None
    ) -> CompiledRule:
        checked = self.check(spec.rule, scope, owner, ValueType.BOOLEAN)
        shown = spec.fields or ((field,) if field is not None else ())
        reads = frozenset(path[0] for path in checked.names_used)
        return CompiledRule(compile_python(checked), spec.message, shown, reads)

    def value_of(
        self, field: FieldSpec, value: Any, scope: Scope, owner: str
    ) -> CompiledValue | None:
        if value is None:
            return None
        if value.expr is not None:
            return CompiledValue(None, compile_python(self.check(value.expr, scope, owner)))
        if value.literal is None:
            return None
        literal = value.literal
        if field.type == "multi_select" and isinstance(literal, tuple):
            literal = list(literal)
        return CompiledValue(parse_input(field, literal, self.inputs), None)

    def bounds(self, field: FieldSpec, scope: Scope, owner: str) -> Mapping[str, CompiledValue]:
        if field.type not in _BOUNDED:
            return MappingProxyType({})
        found: dict[str, CompiledValue] = {}
        for key in ("min", "max"):
            if field.type in _PARAMETER_BOUNDS and key in field.parameters:
                compiled = self.value_of(field, field.parameters[key], scope, owner)
                if compiled is not None:
                    found[key] = compiled
            elif field.option(key) is not None and not isinstance(field.option(key), bool):
                found[key] = CompiledValue(Decimal(str(field.option(key))), None)
        return MappingProxyType(found)


def _pattern(field: FieldSpec) -> re.Pattern[str] | None:
    text = field.option("pattern") if field.type != "sequence" else None
    return re.compile(text) if isinstance(text, str) else None


def _formula_order(formulas: Mapping[str, CheckedExpr]) -> tuple[str, ...]:
    """Formulas in an order where each comes after the formulas it reads (no cycles: R118)."""
    order: list[str] = []
    placed: set[str] = set()

    def place(name: str, path: tuple[str, ...]) -> None:
        if name in placed or name in path:
            return
        for used in formulas[name].names_used:
            if used[0] in formulas:
                place(used[0], (*path, name))
        placed.add(name)
        order.append(name)

    for name in formulas:
        place(name, ())
    return tuple(order)


def _unique_keys(entity: EntitySpec, tables: EntityTables) -> tuple[tuple[str, ...], ...]:
    keys: list[tuple[str, ...]] = [(f.name,) for f in entity.fields.values() if f.unique]
    for index in entity.indexes:
        if index.unique and index.fields not in keys:
            keys.append(index.fields)
    return tuple(k for k in keys if all(tables.fields[n].has_column for n in k))
