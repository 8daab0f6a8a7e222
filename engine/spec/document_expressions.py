"""Expressions of decision tables (`=` cells with `?`, `=` outputs), dashboards (widget
filters, as SQL) and scenario suites (step values over earlier steps' aliases, `where`)."""

from __future__ import annotations

from types import MappingProxyType

from engine.expr import Symbol, ValueType
from engine.spec.expression_checker import ExpressionChecker
from engine.spec.expression_scopes import merge_scopes
from engine.spec.model import DecisionTableSpec, EntitySpec, ExprSpec, ScenarioSpec

__all__ = ["INPUT_PLACEHOLDER", "check_document_expressions", "replace_placeholder"]

INPUT_PLACEHOLDER = "_"
"""What `?` (the cell's input) is checked as: one character, so offsets stay exact."""


def check_document_expressions(checker: ExpressionChecker) -> None:
    """Tables, dashboards and suites."""
    app = checker.ctx.app
    for table in app.tables.values():
        _check_table(checker, table)
    for dashboard in app.dashboards.values():
        for widget in dashboard.widgets:
            entity = app.entities.get(widget.entity or "")
            if entity is not None:
                checker.check(
                    widget.filter,
                    checker.scopes.entity_scope(entity),
                    expect=ValueType.BOOLEAN,
                    sql=True,
                    entity=entity.name,
                )
    for suite in app.suites.values():
        for scenario in suite.scenarios:
            _check_scenario(checker, scenario)


def replace_placeholder(text: str) -> str:
    """`text` with each `?` outside string literals replaced by the placeholder name."""
    out: list[str] = []
    quote: str | None = None
    escaped = False
    for char in text:
        if quote is not None:
            escaped = char == "\\" and not escaped
            if char == quote and not escaped:
                quote = None
            out.append(char)
        elif char in ("'", '"'):
            quote = char
            out.append(char)
        else:
            out.append(INPUT_PLACEHOLDER if char == "?" else char)
    return "".join(out)


def _check_table(checker: ExpressionChecker, table: DecisionTableSpec) -> None:
    inputs = checker.scopes.table_inputs(table)
    for rule in table.rules:
        for name, cell in rule.when.items():
            if cell.expr is None or name not in inputs:
                continue
            placeholder = Symbol(INPUT_PLACEHOLDER, inputs[name].type, description="`?`")
            scope = merge_scopes(inputs, {INPUT_PLACEHOLDER: placeholder})
            expr = ExprSpec(replace_placeholder(cell.expr.text), cell.expr.loc, cell.expr.offset)
            checker.check(expr, scope, expect=ValueType.BOOLEAN)
        types = {c.name: checker.scopes.value_type_of(c.type) for c in table.outputs}
        checker.values(rule.then, inputs, types)


def _check_scenario(checker: ExpressionChecker, scenario: ScenarioSpec) -> None:
    app = checker.ctx.app
    aliases: dict[str, Symbol] = {}
    entities: dict[str, EntitySpec | None] = {}
    for step in scenario.steps:
        entity: EntitySpec | None = None
        if step.record is not None:
            entity = entities.get(step.record)
        elif step.entity is not None:
            entity = app.entities.get(step.entity)
        scope = MappingProxyType(dict(aliases))
        types = (
            {n: checker.scopes.value_type(f) for n, f in entity.fields.items()} if entity else {}
        )
        checker.values(step.values, scope, types)
        if entity is not None and step.where is not None:
            checker.check(
                step.where,
                checker.scopes.entity_scope(entity),
                expect=ValueType.BOOLEAN,
                sql=True,
                entity=entity.name,
            )
        if step.alias is not None:
            entities[step.alias] = entity
            name = entity.name if entity is not None else None
            aliases[step.alias] = checker.scopes.record(
                step.alias, name, "a record of this scenario"
            )
