"""Checking one expression of the spec and placing its problems in the YAML.

Every `ExprProblem` becomes a diagnostic with its X code at the exact character inside the
YAML string (`ExprSpec.offset` + the problem's offset). Expressions have no `lookup()`:
decision tables are read by the `lookup` action (see automation_checks).
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.expr import CheckedExpr, Scope, ValueType, check_expression
from engine.spec.check_context import CheckContext
from engine.spec.expression_scopes import ScopeBuilder
from engine.spec.model import ExprSpec, ValueSpec

__all__ = ["ExpressionChecker"]


class ExpressionChecker:
    """Checks expressions of one app against scopes built by a shared `ScopeBuilder`."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx
        self.scopes = ScopeBuilder(ctx.app, ctx.registry)
        self.functions = ctx.registry.functions

    def check(
        self,
        expr: ExprSpec | None,
        scope: Scope,
        *,
        expect: ValueType | None = None,
        sql: bool = False,
        entity: str | None = None,
    ) -> CheckedExpr | None:
        """Check `expr` (nothing when None); its problems become diagnostics."""
        if expr is None:
            return None
        checked = check_expression(
            expr.text, scope, self.functions, expect=expect, sql=sql, entity=entity
        )
        self.checked(expr, checked)
        return checked

    def checked(self, expr: ExprSpec, checked: CheckedExpr) -> None:
        """What becomes of a checked expression: its problems are reported (the runtime's
        collector keeps the expression instead)."""
        for problem in checked.problems:
            self.ctx.error(
                problem.code,
                problem.message,
                expr.loc,
                hint=problem.hint,
                offset=expr.offset + problem.offset,
            )

    def value(
        self,
        value: ValueSpec | None,
        scope: Scope,
        *,
        expect: ValueType | None = None,
        entity: str | None = None,
    ) -> None:
        """Check a value key when it is an `=expression`."""
        if value is not None and value.expr is not None:
            self.check(value.expr, scope, expect=expect, entity=entity)

    def values(
        self,
        values: Mapping[str, ValueSpec],
        scope: Scope,
        types: Mapping[str, ValueType],
        *,
        entity: str | None = None,
    ) -> None:
        """Check a map of values; `types` gives the expected type by key when known."""
        for name, value in values.items():
            self.value(value, scope, expect=types.get(name), entity=entity)
