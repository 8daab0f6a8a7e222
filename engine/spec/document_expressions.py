"""Expressions of decision tables (unary-test cells, `=` cells with `?`, outputs), dashboards
(widget filters, as SQL) and scenario suites (step values over earlier steps' aliases,
`where`)."""

from __future__ import annotations

from datetime import date
from types import MappingProxyType

from engine.expr import Symbol, ValueType, literal_type, parse_unary_test, value_phrase
from engine.spec.document import Loc
from engine.spec.expression_checker import ExpressionChecker
from engine.spec.expression_scopes import OPEN_SCOPE, merge_scopes
from engine.spec.model import CellSpec, DecisionTableSpec, EntitySpec, ExprSpec, ScenarioSpec

__all__ = [
    "INPUT_PLACEHOLDER",
    "check_document_expressions",
    "check_table",
    "replace_placeholder",
]

INPUT_PLACEHOLDER = "_"
"""What `?` (the cell's input) is checked as: one character, so offsets stay exact."""


def check_document_expressions(checker: ExpressionChecker) -> None:
    """Tables, dashboards and suites."""
    app = checker.ctx.app
    for table in app.tables.values():
        check_table(checker, table)
    for dashboard in app.dashboards.values():
        for widget in dashboard.widgets:
            # An entity that is unknown or failed to build gives the open scope: the
            # filter's syntax and functions are still checked, its names are not.
            entity = app.entities.get(widget.entity or "")
            checker.check(
                widget.filter,
                checker.scopes.scope_of(widget.entity),
                expect=ValueType.BOOLEAN,
                sql=True,
                entity=entity.name if entity is not None else None,
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


def check_table(checker: ExpressionChecker, table: DecisionTableSpec) -> None:
    """A decision table's cells and outputs: unary tests, `=` cells over the inputs with
    `?` (renamed to the placeholder), output values over the inputs."""
    inputs = checker.scopes.table_inputs(table)
    types = {c.name: checker.scopes.value_type_of(c.type) for c in table.outputs}
    for rule in table.rules:
        for name, cell in rule.when.items():
            if name not in inputs:
                continue  # an unknown input: R108
            if cell.expr is None:
                _check_cell(checker, cell, inputs[name].type)
                continue
            placeholder = Symbol(INPUT_PLACEHOLDER, inputs[name].type, description="`?`")
            scope = merge_scopes(inputs, {INPUT_PLACEHOLDER: placeholder})
            expr = ExprSpec(replace_placeholder(cell.expr.text), cell.expr.loc, cell.expr.offset)
            checker.check(expr, scope, expect=ValueType.BOOLEAN)
        checker.values(rule.then, inputs, types)
        for name, value in rule.then.items():
            if value.expr is None and name in types:
                _check_output(checker, value.literal, types[name], value.loc)


def _check_cell(checker: ExpressionChecker, cell: CellSpec, input_type: ValueType) -> None:
    """A unary test: its problems at their exact column; R121 for a range that is empty."""
    test, problems = parse_unary_test(cell.test, input_type)
    text = isinstance(cell.test, str)
    for problem in problems:
        offset = problem.offset if text else None
        checker.ctx.error(problem.code, problem.message, cell.loc, hint=problem.hint, offset=offset)
    if test is not None and test.empty:
        low, high = (_written(value) for value in test.values)
        checker.ctx.error(
            "R121",
            f"the range matches nothing: its lower end {low} is above its upper end {high}",
            cell.loc,
            hint="swap the two ends",
        )


def _check_output(
    checker: ExpressionChecker, literal: object, expected: ValueType, loc: Loc
) -> None:
    """X106 for a literal output of another kind than its column (`rate: '5%'`)."""
    if literal is None:
        return
    written = literal_type(literal, expected)
    if not expected.accepts(written):
        checker.ctx.error(
            "X106",
            f"the output is {value_phrase(expected)}, but this value is {value_phrase(written)}",
            loc,
        )


def _written(value: object) -> str:
    return f"'{value}'" if isinstance(value, str | date) else str(value)


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
        if step.where is not None:
            checker.check(
                step.where,
                checker.scopes.entity_scope(entity) if entity is not None else OPEN_SCOPE,
                expect=ValueType.BOOLEAN,
                sql=True,
                entity=entity.name if entity is not None else None,
            )
        if step.alias is not None:
            entities[step.alias] = entity
            name = entity.name if entity is not None else None
            aliases[step.alias] = checker.scopes.record(
                step.alias, name, "a record of this scenario"
            )
