"""The automations' expressions compiled once at load, by the same walk `check` uses.

`check` proves every expression of every automation (and of workflow `on_enter` actions)
against its scope: the triggering record's fields as bare names, `record.`, `old.`, the
names earlier actions bind, the target's fields inside `where` and `weight`. Here that walk
runs again with a collector in place of the diagnostics, so the runtime evaluates exactly
the typed expressions `check` accepted: a Python closure for values and conditions, the
checked expression for `where` clauses (compiled to SQL when a run needs it, with the
triggering record's values as constants).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.expr import CheckedExpr, Evaluator, compile_python
from engine.spec.automation_expressions import (
    check_automation,
    check_on_enter,
    watched_entities,
)
from engine.spec.check_context import CheckContext
from engine.spec.document import SourceIndex
from engine.spec.document_expressions import check_table
from engine.spec.event_scope import automation_variants
from engine.spec.expression_checker import ExpressionChecker
from engine.spec.model import AppSpec
from engine.spec.model_values import ExprSpec
from engine.spec.registry import Registry

__all__ = ["CompiledAutomations", "compile_automations", "table_variant"]


def table_variant(table: str) -> str:
    """The key under which a decision table's expressions are kept."""
    return f"table:{table}"


Key = tuple[str | None, ExprSpec]


class _Collector(ExpressionChecker):
    """An `ExpressionChecker` that keeps every checked expression under the triggering
    entity being walked, instead of reporting problems (the app passed `check`)."""

    def __init__(self, app: AppSpec, registry: Registry) -> None:
        super().__init__(CheckContext(app, registry, SourceIndex()))
        self.found: dict[Key, CheckedExpr] = {}
        self.current: str | None = None

    def checked(self, expr: ExprSpec, checked: CheckedExpr) -> None:
        self.found[(self.current, expr)] = checked


class CompiledAutomations:
    """Checked and compiled expressions by (triggering entity, expression)."""

    def __init__(self, checked: Mapping[Key, CheckedExpr]) -> None:
        self._checked = MappingProxyType(dict(checked))
        self._compiled: dict[Key, Evaluator] = {}

    def checked(self, entity: str | None, expr: ExprSpec) -> CheckedExpr:
        """The checked expression (KeyError when `check` never saw it there)."""
        found = self._checked.get((entity, expr))
        if found is None:
            found = self._checked[(None, expr)]
        if found.problems:
            problems = "; ".join(str(problem) for problem in found.problems)
            raise ValueError(f"{expr.loc.file}{expr.loc.pointer}: {problems}")
        return found

    def evaluator(self, entity: str | None, expr: ExprSpec) -> Evaluator:
        """The Python closure of the expression."""
        key = (entity, expr)
        found = self._compiled.get(key)
        if found is None:
            found = compile_python(self.checked(entity, expr))
            self._compiled[key] = found
        return found


def compile_automations(app: AppSpec, registry: Registry) -> CompiledAutomations:
    """Every automation's expressions, once per entity its triggers watch, every workflow
    state's `on_enter` actions, and the decision tables' `=` cells and outputs."""
    collector = _Collector(app, registry)
    for automation in app.automations.values():
        for entity in automation_variants(automation, watched_entities(automation)):
            collector.current = entity
            check_automation(collector, automation, entity)
    for spec in app.entities.values():
        if spec.workflow is None:
            continue
        collector.current = spec.name
        for state in spec.workflow.states.values():
            if state.on_enter:
                check_on_enter(collector, spec, state.on_enter)
    for table in app.tables.values():
        collector.current = table_variant(table.name)
        check_table(collector, table)
    return CompiledAutomations(collector.found)
