"""Name resolution for the checker: dotted paths through the scope, functions in the registry.

The :class:`Resolver` also collects what checking learns along the way: problems, the paths
read (so the spec layer can find a formula's dependencies) and the functions called.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from engine.diagnostics import did_you_mean
from engine.expr.function_type import FunctionType
from engine.expr.nodes import Call, Node, Path, Span
from engine.expr.problems import ExprProblem
from engine.expr.scope import MemberWords, Scope, Symbol
from engine.expr.types import TypeKind, ValueType

__all__ = ["Resolver"]

_LISTED_NAMES = 12


def _owner_label(symbol: Symbol) -> str:
    value_type = symbol.type
    if value_type.kind is TypeKind.LIST and value_type.element is not None:
        value_type = value_type.element
    if value_type.kind is TypeKind.RECORD and value_type.entity:
        return value_type.entity
    if value_type.kind in (TypeKind.USER, TypeKind.TEAM):
        return value_type.kind.value
    return symbol.name


class Resolver:
    """Resolves names and functions for one expression and records problems."""

    def __init__(
        self,
        text: str,
        scope: Scope,
        functions: Mapping[str, FunctionType],
        *,
        sql: bool,
        entity: str | None,
    ) -> None:
        self.text = text
        self.scope = scope
        self.functions = functions
        self.sql = sql
        self.entity = entity
        self.problems: list[ExprProblem] = []
        self.names_used: list[tuple[str, ...]] = []
        self.functions_used: dict[str, FunctionType] = {}

    def report(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        """Record one problem."""
        self.problems.append(ExprProblem(code, message, span[0], span[1], hint))

    def report_list_misuse(self, node: Node) -> None:
        """A subform (a list of rows) used where one value is needed."""
        written = self.text[node.span[0] : node.span[1]]
        message = f"'{written}' holds one value per subform row and cannot be used as one value"
        element = node.type.element
        if element is not None and element.kind is TypeKind.RECORD:
            hint = f"count the rows: count({written})"
        else:
            hint = f"aggregate it: sum({written}) or count({written})"
        self.report("X106", message, node.span, hint)

    def _part_spans(self, node: Path) -> list[Span]:
        start, end = node.span
        written = self.text[start:end]
        spans: list[Span] = []
        position = 0
        for part in node.parts:
            found = written.find(part, position)
            if found < 0:
                spans.append((start, end))
                continue
            spans.append((start + found, start + found + len(part)))
            position = found + len(part)
        return spans

    def resolve_path(self, node: Path) -> Node:
        """The path typed by the symbol it reaches (ANY after reporting a problem)."""
        spans = self._part_spans(node)
        table: Mapping[str, Symbol] = self.scope
        owner = self.entity
        symbol: Symbol | None = None
        words: MemberWords | None = None
        through_list = False
        for index, part in enumerate(node.parts):
            if symbol is not None:
                if symbol.members is None:
                    walked = ".".join(node.parts[:index])
                    message = f"'{walked}' is a {symbol.type} value and has no fields"
                    if symbol.type.is_unknown:
                        message = f"'{walked}' has no fields"
                    self.report("X103", message, (node.span[0], spans[index][1]))
                    return replace(node, type=ValueType.ANY)
                through_list = through_list or symbol.type.kind is TypeKind.LIST
                table = symbol.member_table()
                owner = _owner_label(symbol)
                words = symbol.member_words
            found = table.get(part)
            if found is None:
                self._unknown_name(part, index, table, owner, spans[index], words)
                return replace(node, type=ValueType.ANY)
            symbol = found
        assert symbol is not None
        result = symbol.type
        if through_list and result.kind is not TypeKind.LIST:
            result = ValueType.list_of(result)
        if node.parts not in self.names_used:
            self.names_used.append(node.parts)
        return replace(node, type=result)

    def _unknown_name(
        self,
        part: str,
        index: int,
        table: Mapping[str, Symbol],
        owner: str | None,
        span: Span,
        words: MemberWords | None = None,
    ) -> None:
        if words is not None:
            message = f"unknown {words.noun} '{part}' {words.owner}"
        elif index == 0 and owner is None:
            message = f"unknown name '{part}'"
        else:
            message = f"unknown field '{part}' in {owner}"
        hint = did_you_mean(part, table)
        if index == 0 and part in self.functions:
            hint = f"'{part}' is a function: write {part}()"
        elif hint is None and table:
            names = sorted(table)
            listed = ", ".join(names[:_LISTED_NAMES]) + (
                ", …" if len(names) > _LISTED_NAMES else ""
            )
            hint = f"known names: {listed}"
        self.report("X103", message, span, hint)

    def lookup_function(self, node: Call) -> FunctionType | None:
        """The function a call names (None after reporting X104); X107 when SQL can't do it."""
        function = self.functions.get(node.name)
        name_span = (node.span[0], node.span[0] + len(node.name))
        if function is None:
            hint = did_you_mean(node.name, self.functions)
            if node.name in self.scope:
                hint = f"'{node.name}' is a field, not a function"
            message = f"unknown function '{node.name}()'"
            self.report("X104", message, name_span, hint)
            return None
        self.functions_used[node.name] = function
        if self.sql and not function.usable_in_sql:
            message = f"{node.name}() cannot be used in a database filter"
            hint = (
                "it works on subform rows in forms and formulas; filter on a roll-up field"
                if function.aggregate
                else "this function has no SQL form"
            )
            self.report("X107", message, name_span, hint)
        return function
