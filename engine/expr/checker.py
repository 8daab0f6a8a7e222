"""Load-time checking: names against the scope, functions against the registry, types.

`check_expression` parses the text, resolves every dotted path through the declared
relations, infers the type of every node and returns a :class:`CheckedExpr` holding the
typed IR, its type, the paths it reads and every problem found (it never raises for a
user's mistake). A text literal compared with a date becomes a date literal; a datetime
compared with a date is compared by its calendar day (the checker inserts `date(x)`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from types import MappingProxyType

from engine.expr.calendar import date_problem
from engine.expr.function_type import FunctionType
from engine.expr.functions import BUILTIN_FUNCTIONS
from engine.expr.nodes import (
    Binary,
    Call,
    Compare,
    Conditional,
    IsNull,
    ListExpr,
    Literal,
    Logical,
    Membership,
    Node,
    Not,
    Path,
    UnaryMinus,
)
from engine.expr.operators import arithmetic_type, comparison_problem
from engine.expr.parser import parse_expression
from engine.expr.problems import ExprProblem
from engine.expr.resolver import Resolver
from engine.expr.scope import Scope
from engine.expr.types import TypeKind, ValueType, common_type, value_phrase

__all__ = ["CheckedExpr", "check_expression"]

_DATE_FUNCTION = next(f for f in BUILTIN_FUNCTIONS if f.name == "date")


@dataclass(frozen=True, slots=True)
class CheckedExpr:
    """A checked expression: typed IR, result type, paths read, functions used, problems."""

    text: str
    root: Node | None
    type: ValueType
    problems: tuple[ExprProblem, ...]
    names_used: tuple[tuple[str, ...], ...]
    functions: Mapping[str, FunctionType]

    @property
    def ok(self) -> bool:
        """True when there are no problems and the expression can be compiled."""
        return self.root is not None and not self.problems


def check_expression(
    text: str,
    scope: Scope,
    functions: Mapping[str, FunctionType],
    *,
    expect: ValueType | None = None,
    sql: bool = False,
    entity: str | None = None,
) -> CheckedExpr:
    """Parse and check `text`; `expect` is the required result type, `sql` demands a form
    usable as a database filter, `entity` names the scope in messages ("in deal")."""
    parsed = parse_expression(text, functions=functions.keys())
    empty: Mapping[str, FunctionType] = MappingProxyType({})
    if parsed.root is None:
        return CheckedExpr(text, None, ValueType.ANY, parsed.problems, (), empty)
    checker = _Checker(text, Resolver(text, scope, functions, sql=sql, entity=entity))
    root = checker.visit(parsed.root)
    rules = checker.rules
    if expect is not None and not expect.accepts(root.type):
        message = f"expected {_article(expect)}, but the expression gives {_article(root.type)}"
        rules.report("X106", message, root.span)
    problems = tuple(sorted(rules.problems, key=lambda p: (p.offset, p.end, p.code)))
    used = MappingProxyType(dict(rules.functions_used))
    return CheckedExpr(text, root, root.type, problems, tuple(rules.names_used), used)


def _article(value_type: ValueType) -> str:
    """ "money", "text", "a user", "a true/false condition" — as a sentence says it."""
    if value_type.kind is TypeKind.BOOLEAN:
        return "a true/false condition"
    return value_phrase(value_type)


def _quoted_number_hint(written: Node, other: Node) -> str | None:
    """ "write 100 without quotes" when a number in quotes meets a number."""
    value = written.value if isinstance(written, Literal) else None
    if not (isinstance(value, str) and other.type.is_numeric):
        return None
    if re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", value.strip()) is None:
        return None
    return f"write numbers without quotes: {value.strip()}, not '{value}'"


class _Checker:
    """Rebuilds the IR with types, reporting problems through the resolver."""

    def __init__(self, text: str, rules: Resolver) -> None:
        self.text = text
        self.rules = rules

    def visit(self, node: Node, *, list_ok: bool = False) -> Node:
        """The typed copy of `node`."""
        typed = self._dispatch(node)
        if typed.type.kind is TypeKind.LIST and not list_ok:
            self.rules.report_list_misuse(typed)
            return replace(typed, type=ValueType.ANY)
        return typed

    def _dispatch(self, node: Node) -> Node:
        match node:
            case Literal():
                return node
            case Path():
                return self.rules.resolve_path(node)
            case ListExpr():
                self.rules.report("X106", "a list [...] cannot be used here", node.span)
                return replace(node, type=ValueType.ANY)
            case Not(operand=operand):
                return replace(
                    node, type=ValueType.BOOLEAN, operand=self._condition(operand, "not")
                )
            case UnaryMinus():
                return self._minus(node)
            case Binary():
                return self._binary(node)
            case Compare():
                return self._compare(node)
            case Logical(op=op, operands=operands):
                typed = tuple(self._condition(operand, op) for operand in operands)
                return replace(node, type=ValueType.BOOLEAN, operands=typed)
            case Membership():
                return self._membership(node)
            case IsNull(operand=operand):
                return replace(node, operand=self.visit(operand))
            case Conditional():
                return self._conditional(node)
            case Call():
                return self._call(node)

    def _condition(self, node: Node, word: str) -> Node:
        typed = self.visit(node)
        if typed.type.kind not in (TypeKind.BOOLEAN, TypeKind.NULL, TypeKind.ANY):
            message = f"'{word}' needs true/false values, got {_article(typed.type)}"
            hint = "compare the value, e.g. x != '' or x > 0" if word != "if" else None
            self.rules.report("X106", message, typed.span, hint)
        return typed

    def _minus(self, node: UnaryMinus) -> Node:
        operand = self.visit(node.operand)
        if not (operand.type.is_numeric or operand.type.is_unknown):
            self.rules.report("X106", f"'-' needs a number, got {operand.type}", node.span)
            return replace(node, type=ValueType.ANY, operand=operand)
        return replace(node, type=operand.type, operand=operand)

    def _binary(self, node: Binary) -> Node:
        left = self.visit(node.left)
        right = self.visit(node.right)
        result, message, hint = arithmetic_type(node.op, left.type, right.type)
        if message is not None:
            self.rules.report("X106", message, node.span, hint)
        op = "concat" if node.op == "+" and result.kind is TypeKind.TEXT else node.op
        return replace(node, type=result, op=op, left=left, right=right)

    def _compare(self, node: Compare) -> Node:
        left = self.visit(node.left)
        right = self.visit(node.right)
        for side, other in ((left, right), (right, left)):
            if isinstance(side, Literal) and side.value is None and node.op in ("==", "!="):
                written = "is None" if node.op == "==" else "is not None"
                message = f"'{node.op} None' is never true: comparisons with NULL give NULL"
                hint = f"write '{self._text(other)} {written}'"
                self.rules.report("X108", message, node.span, hint)
                return replace(node, type=ValueType.BOOLEAN, left=left, right=right)
        left, right = self._align_dates(left, right)
        problem = comparison_problem(node.op, left.type, right.type)
        if problem is not None:
            quoted = _quoted_number_hint(left, right) or _quoted_number_hint(right, left)
            self.rules.report("X106", problem[0], node.span, problem[1] or quoted)
        return replace(node, type=ValueType.BOOLEAN, left=left, right=right)

    def _text(self, node: Node) -> str:
        return self.text[node.span[0] : node.span[1]]

    def _align_dates(self, left: Node, right: Node) -> tuple[Node, Node]:
        """Text literals next to dates become dates; a datetime next to a date is its day."""
        left = self._date_literal(left, right.type)
        right = self._date_literal(right, left.type)
        kinds = (left.type.kind, right.type.kind)
        if kinds == (TypeKind.DATETIME, TypeKind.DATE):
            left = self._day_of(left)
        elif kinds == (TypeKind.DATE, TypeKind.DATETIME):
            right = self._day_of(right)
        return left, right

    def _date_literal(self, node: Node, other: ValueType) -> Node:
        if not (isinstance(node, Literal) and isinstance(node.value, str) and other.is_temporal):
            return node
        problem = date_problem(node.value)
        if problem is not None:
            self.rules.report("X110", problem, node.span)
            return replace(node, type=ValueType.ANY)
        return Literal(node.span, ValueType.DATE, date.fromisoformat(node.value))

    def _date_argument(self, function: FunctionType, index: int, arg: Node) -> Node:
        """A text literal passed where only a date fits is read as a date."""
        kinds = function.kinds_at(index)
        if TypeKind.DATE in kinds and TypeKind.TEXT not in kinds and not function.aggregate:
            return self._date_literal(arg, ValueType.DATE)
        return arg

    def _day_of(self, node: Node) -> Node:
        function = self.rules.functions.get("date", _DATE_FUNCTION)
        self.rules.functions_used["date"] = function
        return Call(node.span, ValueType.DATE, "date", (node,))

    def _membership(self, node: Membership) -> Node:
        item = self.visit(node.item)
        options = [self.visit(option) for option in node.options.items]
        options = [self._date_literal(option, item.type) for option in options]
        if item.type.kind is TypeKind.DATETIME and any(
            option.type.kind is TypeKind.DATE for option in options
        ):
            item = self._day_of(item)
        if item.type.kind is TypeKind.DATE:
            options = [self._day_of(o) if o.type.kind is TypeKind.DATETIME else o for o in options]
        for option in options:
            problem = comparison_problem("==", item.type, option.type)
            if problem is not None:
                hint = problem[1] or _quoted_number_hint(option, item)
                self.rules.report("X106", problem[0], option.span, hint)
        element = common_type([o.type for o in options]) or ValueType.ANY
        typed = replace(node.options, type=ValueType.list_of(element), items=tuple(options))
        return replace(node, item=item, options=typed)

    def _conditional(self, node: Conditional) -> Node:
        test = self._condition(node.test, "if")
        then = self.visit(node.then)
        otherwise = self.visit(node.otherwise)
        result = common_type([then.type, otherwise.type])
        if result is None:
            kinds = f"{then.type} and {otherwise.type}"
            message = f"both results of 'if … else' must be of one kind, got {kinds}"
            self.rules.report("X106", message, node.span)
            result = ValueType.ANY
        return replace(node, type=result, test=test, then=then, otherwise=otherwise)

    def _call(self, node: Call) -> Node:
        function = self.rules.lookup_function(node)
        list_ok = function is not None and function.aggregate
        args = tuple(self.visit(arg, list_ok=list_ok) for arg in node.args)
        if function is None:
            return replace(node, type=ValueType.ANY, args=args)
        if not function.accepts_count(len(args)):
            message = f"{function.name}() takes {function.arity_text()}, got {len(args)}"
            self.rules.report("X105", message, node.span, f"example: {function.example}")
            return replace(node, type=ValueType.ANY, args=args)
        args = tuple(self._date_argument(function, i, arg) for i, arg in enumerate(args))
        for index, message in function.argument_problems([a.type for a in args]):
            self.rules.report("X106", message, args[index].span)
        return replace(node, type=function.return_type([a.type for a in args]), args=args)
