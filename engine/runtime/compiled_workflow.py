"""A workflow's expressions compiled once at load: transition guards (`if`), `set` values
and approver/CC `expr` sources — all over the record's fields (docs/expression-scopes.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from engine.expr import Evaluator, ValueType, check_expression, compile_python
from engine.runtime.compiled_entity import CompiledValue
from engine.runtime.values import InputContext, parse_input
from engine.spec.expression_scopes import ScopeBuilder
from engine.spec.model import AppSpec, EntitySpec
from engine.spec.model_action import ApproverSpec
from engine.spec.model_values import ExprSpec
from engine.spec.registry import Registry
from engine.workflow import WorkflowMachine, build_machines

__all__ = ["CompiledWorkflow", "compile_workflows"]


@dataclass(frozen=True)
class CompiledWorkflow:
    """The machine of one entity's workflow and its compiled expressions."""

    machine: WorkflowMachine
    guards: Mapping[tuple[str, int], Evaluator]
    sets: Mapping[tuple[str, int], Mapping[str, CompiledValue]]
    expressions: Mapping[str, Evaluator]  # approver/cc `expr` by its text

    def evaluator(self, expr: ExprSpec) -> Evaluator:
        """The compiled closure of an approver or CC expression."""
        return self.expressions[expr.text]


def compile_workflows(
    app: AppSpec, registry: Registry, inputs: InputContext
) -> Mapping[str, CompiledWorkflow]:
    """Every entity's workflow, with one shared machine per definition."""
    machines = build_machines(app)
    scopes = ScopeBuilder(app, registry)
    found: dict[str, CompiledWorkflow] = {}
    for name, machine in machines.items():
        found[name] = _compile(app.entities[name], machine, scopes, registry, inputs)
    return MappingProxyType(found)


def _compile(
    entity: EntitySpec,
    machine: WorkflowMachine,
    scopes: ScopeBuilder,
    registry: Registry,
    inputs: InputContext,
) -> CompiledWorkflow:
    scope = scopes.entity_scope(entity)

    def compiled(expr: ExprSpec, expect: ValueType | None = None) -> Evaluator:
        checked = check_expression(
            expr.text, scope, registry.functions, expect=expect, entity=entity.name
        )
        if not checked.ok:
            problems = "; ".join(str(p) for p in checked.problems)
            raise ValueError(f"{expr.loc.file}{expr.loc.pointer}: {problems}")
        return compile_python(checked)

    guards: dict[tuple[str, int], Evaluator] = {}
    sets: dict[tuple[str, int], Mapping[str, CompiledValue]] = {}
    for transition in machine.spec.all_transitions():
        key = (transition.name, transition.index)
        if transition.guard is not None:
            guards[key] = compiled(transition.guard, ValueType.BOOLEAN)
        values: dict[str, CompiledValue] = {}
        for field_name, value in transition.set.items():
            field = entity.fields.get(field_name)
            if field is None:
                continue
            if value.expr is not None:
                values[field_name] = CompiledValue(None, compiled(value.expr))
            else:
                literal: Any = parse_input(field, value.literal, inputs)
                values[field_name] = CompiledValue(literal, None)
        sets[key] = MappingProxyType(values)
    expressions: dict[str, Evaluator] = {}
    for state in machine.spec.states.values():
        sources: list[ApproverSpec] = list(state.cc)
        if state.approval is not None:
            sources.extend(state.approval.approvers)
        for source in sources:
            if source.expr is not None and source.expr.text not in expressions:
                expressions[source.expr.text] = compiled(source.expr)
    return CompiledWorkflow(
        machine, MappingProxyType(guards), MappingProxyType(sets), MappingProxyType(expressions)
    )
