"""Every expression of an app, checked against the scope of its place (docs/expression-scopes.md):
entities (fields, validations, permissions, forms, views, workflow) here; automations,
tables, dashboards and suites in sibling modules; formula cycles last."""

from __future__ import annotations

from collections.abc import Mapping

from engine.expr import CheckedExpr, Scope, ValueType
from engine.spec.automation_expressions import check_automation_expressions, check_on_enter
from engine.spec.check_context import CheckContext
from engine.spec.document_expressions import check_document_expressions
from engine.spec.expression_checker import ExpressionChecker
from engine.spec.expression_scopes import merge_scopes
from engine.spec.formula_cycles import check_formula_cycles
from engine.spec.model import EntitySpec, FieldSpec, ScopeKind, WorkflowSpec

__all__ = ["check_expressions"]

THIS = "this"
PARENT = "parent"
_ROW_FILTERS = ("filter", "match", "where")


def check_expressions(ctx: CheckContext) -> None:
    """Check every expression of the app; then formula cycles (R118)."""
    checker = ExpressionChecker(ctx)
    for entity in ctx.app.entities.values():
        formulas = _check_entity(checker, entity)
        check_formula_cycles(ctx, entity, formulas)
    check_automation_expressions(checker)
    check_document_expressions(checker)


def _check_entity(checker: ExpressionChecker, entity: EntitySpec) -> dict[str, CheckedExpr]:
    scope = checker.scopes.entity_scope(entity)
    formulas: dict[str, CheckedExpr] = {}
    for field in entity.fields.values():
        checked = _check_field(checker, entity.name, field, scope, scope)
        if checked is not None:
            formulas[field.name] = checked
    boolean = ValueType.BOOLEAN
    for validation in entity.validations:
        checker.check(validation.rule, scope, expect=boolean, entity=entity.name)
    for permission in entity.permissions.roles.values():
        for action in ("read", "update", "delete", "export"):
            row_scope = getattr(permission, action)
            if row_scope.kind is ScopeKind.EXPRESSION:
                checker.check(row_scope.expr, scope, expect=boolean, sql=True, entity=entity.name)
    for form in entity.forms.values():
        for section in form.sections:
            checker.check(section.visible_if, scope, expect=boolean, entity=entity.name)
    for view in entity.views.values():
        checker.check(view.filter, scope, expect=boolean, sql=True, entity=entity.name)
    if entity.workflow is not None:
        _check_workflow(checker, entity, entity.workflow, scope)
    return formulas


def _check_field(
    checker: ExpressionChecker, owner: str, field: FieldSpec, scope: Scope, record: Scope
) -> CheckedExpr | None:
    """A field's own expressions; the formula's checked `expr` is returned for cycles.

    `scope` is where the field lives (the record, or a subform row), `record` the record.
    """
    boolean = ValueType.BOOLEAN
    own_type = checker.scopes.value_type(field)
    checker.value(field.default, scope, expect=own_type, entity=owner)
    checker.check(field.visible_if, scope, expect=boolean, entity=owner)
    checker.check(field.required_if, scope, expect=boolean, entity=owner)
    for validation in field.validations:
        checker.check(validation.rule, scope, expect=boolean, entity=owner)
    for value in field.parameters.values():
        checker.value(value, scope, expect=own_type, entity=owner)
    formula: CheckedExpr | None = None
    for key, expr in field.expressions.items():
        if field.type == "formula" and key == "expr":
            expect = own_type if field.result_type is not None else None
            formula = checker.check(expr, scope, expect=expect, entity=owner)
        elif key in _ROW_FILTERS and field.type in ("link", "rollup"):
            _check_row_filter(checker, owner, field, expr_key=key, record=record)
        else:
            checker.check(expr, scope, entity=owner)
    if field.subfields:
        row_owner = f"{owner}.{field.name}"
        parent = checker.scopes.record(PARENT, owner.split(".")[0], "the record of this row")
        row = merge_scopes(
            checker.scopes.fields_scope(row_owner, field.subfields), {PARENT: parent}
        )
        for sub in field.subfields.values():
            _check_field(checker, row_owner, sub, row, record)
    return formula


def _check_row_filter(
    checker: ExpressionChecker, owner: str, field: FieldSpec, *, expr_key: str, record: Scope
) -> None:
    """Link `filter` and rollup `match`/`where`: bare names are the other entity's fields,
    `this.` is this record; they run as SQL."""
    other = (
        field.link_target
        if field.type == "link"
        else (field.rollup.source if field.rollup is not None else None)
    )
    if other is None:
        return
    target = checker.ctx.app.entities.get(other)
    this = checker.scopes.record(THIS, owner.split(".")[0], "the record being edited")
    # an unknown or unbuilt target gives the open scope (its R102 is reported once)
    scope = merge_scopes(checker.scopes.scope_of(other), {THIS: this})
    checker.check(
        field.expressions[expr_key],
        scope,
        expect=ValueType.BOOLEAN,
        sql=True,
        entity=target.name if target is not None else None,
    )


def _check_workflow(
    checker: ExpressionChecker, entity: EntitySpec, workflow: WorkflowSpec, scope: Scope
) -> None:
    types = _field_types(checker, entity.fields)
    for transition in workflow.all_transitions():
        checker.check(transition.guard, scope, expect=ValueType.BOOLEAN, entity=entity.name)
        checker.values(transition.set, scope, types, entity=entity.name)
    for state in workflow.states.values():
        approvers = state.approval.approvers if state.approval is not None else ()
        for approver in (*approvers, *state.cc):
            checker.check(approver.expr, scope, entity=entity.name)
        check_on_enter(checker, entity, state.on_enter)


def _field_types(
    checker: ExpressionChecker, fields: Mapping[str, FieldSpec]
) -> dict[str, ValueType]:
    return {name: checker.scopes.value_type(field) for name, field in fields.items()}
