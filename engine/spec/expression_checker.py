"""Checking one expression of the spec and placing its problems in the YAML.

Every `ExprProblem` becomes a diagnostic with its X code at the exact character inside the
YAML string (`ExprSpec.offset` + the problem's offset). `lookup('table', input=…)` calls are
checked here too, against the app's decision tables (R107, R108).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping

from engine.diagnostics import did_you_mean
from engine.expr import CheckedExpr, Scope, ValueType, check_expression
from engine.spec.check_context import CheckContext
from engine.spec.expression_scopes import ScopeBuilder
from engine.spec.model import ExprSpec, ValueSpec

__all__ = ["LOOKUP_FUNCTION", "ExpressionChecker"]

LOOKUP_FUNCTION = "lookup"


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
        for problem in checked.problems:
            self.ctx.error(
                problem.code,
                problem.message,
                expr.loc,
                hint=problem.hint,
                offset=expr.offset + problem.offset,
            )
        self._check_lookups(expr)
        return checked

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

    # -- lookup('table', input=value) ------------------------------------------------------

    def _check_lookups(self, expr: ExprSpec) -> None:
        for table_name, name_offset, inputs in _lookup_calls(expr.text):
            table = self.ctx.app.tables.get(table_name)
            if table is None:
                if not self.ctx.app.is_unbuilt("table", table_name):
                    known = set(self.ctx.app.tables) | set(self.ctx.app.unbuilt.get("table", ()))
                    self.ctx.error(
                        "R107",
                        f"unknown decision table '{table_name}'",
                        expr.loc,
                        hint=did_you_mean(table_name, known),
                        offset=expr.offset + name_offset,
                    )
                continue
            for input_name, input_offset in inputs:
                if input_name not in table.input_names:
                    self.ctx.error(
                        "R108",
                        f"unknown input '{input_name}' of decision table '{table_name}'",
                        expr.loc,
                        hint=did_you_mean(input_name, table.input_names),
                        offset=expr.offset + input_offset,
                    )


def _lookup_calls(text: str) -> Iterator[tuple[str, int, list[tuple[str, int]]]]:
    """(table, offset of the table name, [(input, offset)]) of each `lookup('t', …)` call.

    Python's own parser is used (the expression grammar is Python's) so that calls are
    found even where the expression checker reports other problems.
    """
    wrapped = f"({text})"  # allows multi-line text; shifts line 1 by one column
    try:
        tree = ast.parse(wrapped, mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return
    lines = wrapped.splitlines(keepends=True)

    def offset(node: ast.expr | ast.keyword) -> int:
        line = lines[node.lineno - 1]
        before = line.encode("utf-8")[: node.col_offset].decode("utf-8", errors="replace")
        return sum(len(x) for x in lines[: node.lineno - 1]) + len(before) - 1

    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id != LOOKUP_FUNCTION or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        inputs = [(kw.arg, offset(kw)) for kw in node.keywords if kw.arg is not None]
        yield first.value, offset(first) + 1, inputs
