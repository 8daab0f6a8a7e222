"""Decision-table cells: the unary tests of docs/language.md, parsed and checked.

A cell tests the value of one input: `-` (anything), a value (equality), `< 5`, `>= 1.2`,
a range `[1 .. 5]` / `(1 .. 5]` (a round bracket leaves the end out), or `in ['a', 'b']`.
Values are written as in expressions (`'text'`, `12.5`, `true`); a text input also takes an
unquoted text (`A`), a date input an unquoted ISO date (`2026-03-01`). A cell starting with
`=` is an expression with `?` for the input, checked as an expression (not here).

`parse_unary_test` never raises: it returns the parsed test (None when the cell is not one)
and its problems, with offsets into the cell's text, so the caller can place them at the
exact column — X101 not a unary test, X106 a value of the wrong kind for the input, X110 a
date that does not exist. A range that matches nothing parses; `UnaryTest.empty` says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal as TypingLiteral

from engine.expr.calendar import date_problem
from engine.expr.nodes import ListExpr, Literal, Node, UnaryMinus
from engine.expr.operators import comparison_problem
from engine.expr.parser import parse_expression
from engine.expr.problems import ExprProblem
from engine.expr.types import TypeKind, ValueType, value_phrase

__all__ = ["CELL_FORMS", "UnaryTest", "literal_type", "parse_unary_test"]

TestKind = TypingLiteral["any", "equal", "compare", "range", "in"]

CELL_FORMS = (
    "a cell is -, a value, < 5, >= 1.2, [1 .. 5], in ['a', 'b'], "
    "or an =expression with ? for the input"
)
"""The hint of every cell that is not a unary test."""

_OPERATORS = ("<=", ">=", "<", ">")
_RANGE = re.compile(r"^([\[(\]])(.*?)\.\.(.*)([\])\[])$", re.DOTALL)
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # unquoted dates are read as dates


@dataclass(frozen=True, slots=True)
class UnaryTest:
    """A parsed cell: its kind, the operator of a comparison, its values (Decimal, str,
    bool, date or None), and for a range whether each end is included."""

    kind: TestKind
    values: tuple[object, ...] = ()
    op: str | None = None
    low_included: bool = True
    high_included: bool = True

    @property
    def empty(self) -> bool:
        """True for a range that no value is in (`[5 .. 1]`, `(3 .. 3]`)."""
        if self.kind != "range":
            return False
        low, high = self.values
        if _above(low, high):
            return True
        return low == high and not (self.low_included and self.high_included)


def parse_unary_test(
    cell: object, input_type: ValueType
) -> tuple[UnaryTest | None, tuple[ExprProblem, ...]]:
    """The unary test of a cell as YAML read it (text, number, boolean or null)."""
    if cell is None:
        return UnaryTest("any"), ()
    if not isinstance(cell, str):
        value, _ = _yaml_value(cell)
        value_type = literal_type(cell, input_type)
        if value_type.kind is TypeKind.TEXT:
            value = str(cell)  # `code: 7` in a text column is the text 7
        problem = _mismatch("==", input_type, value_type, (0, 0), quoted_number=False)
        if problem is not None:
            return None, (problem,)
        return UnaryTest("equal", (value,)), ()
    parser = _CellParser(cell, input_type)
    test = parser.parse()
    return (test if not parser.problems else None), tuple(parser.problems)


class _CellParser:
    """Parses one cell text, collecting problems with offsets into it."""

    def __init__(self, text: str, input_type: ValueType) -> None:
        self.text = text
        self.input_type = input_type
        self.problems: list[ExprProblem] = []

    def problem(self, code: str, message: str, start: int, end: int, hint: str | None) -> None:
        self.problems.append(ExprProblem(code, message, start, end, hint))

    def parse(self) -> UnaryTest | None:
        start = len(self.text) - len(self.text.lstrip())
        body = self.text.strip()
        if body == "-":
            return UnaryTest("any")
        if not body:
            self.problem("X101", "the cell is empty", 0, len(self.text), "write '-' for anything")
            return None
        if re.match(r"in(\s|\[)", body):
            return self._membership(start + 2, body[2:])
        if body[0] in "[(]":
            return self._range(start, body)
        operator = next((op for op in _OPERATORS if body.startswith(op)), None)
        if operator is not None:
            return self._comparison(start, body, operator)
        if body.startswith("!="):
            hint = "for 'not equal' write an expression: =? != value"
            self.problem("X101", "'!=' is not a unary test", start, start + 2, hint)
            return None
        value = self._value(start, body, allow_bare=True)
        return UnaryTest("equal", (value,)) if not self.problems else None

    def _comparison(self, start: int, body: str, operator: str) -> UnaryTest | None:
        rest = body[len(operator) :]
        offset = start + len(operator) + (len(rest) - len(rest.lstrip()))
        if not rest.strip():
            message = f"'{operator}' needs a value after it"
            self.problem("X101", message, start, start + len(body), f"like {operator} 100")
            return None
        value = self._value(offset, rest.strip(), allow_bare=False, op=operator, after=operator)
        return UnaryTest("compare", (value,), op=operator) if not self.problems else None

    def _range(self, start: int, body: str) -> UnaryTest | None:
        match = _RANGE.match(body)
        if match is None:
            message = f"'{body}' is not a range: write [low .. high]"
            hint = "a round bracket leaves that end out: (1 .. 5] is more than 1, at most 5"
            self.problem("X101", message, start, start + len(body), hint)
            return None
        low_text, high_text = match.group(2), match.group(3)
        low_at = start + 1 + (len(low_text) - len(low_text.lstrip()))
        high_at = start + match.start(3) + (len(high_text) - len(high_text.lstrip()))
        low = self._value(low_at, low_text.strip(), allow_bare=False, op=">=")
        high = self._value(high_at, high_text.strip(), allow_bare=False, op="<=")
        if self.problems:
            return None
        return UnaryTest(
            "range",
            (low, high),
            low_included=match.group(1) == "[",
            high_included=match.group(4) == "]",
        )

    def _membership(self, offset: int, rest: str) -> UnaryTest | None:
        at = offset + (len(rest) - len(rest.lstrip()))
        parsed = parse_expression(rest.strip(), list_ok=True)
        root = parsed.root
        if not isinstance(root, ListExpr):
            message = "'in' needs a list of values: in ['a', 'b']"
            self.problem("X101", message, at, at + len(rest.strip()), CELL_FORMS)
            return None
        values = []
        for item in root.items:
            start, end = item.span
            values.append(self._checked(item, at + start, at + end, rest.strip()[start:end]))
        return UnaryTest("in", tuple(values)) if not self.problems else None

    def _value(
        self,
        offset: int,
        written: str,
        *,
        allow_bare: bool,
        op: str = "==",
        after: str | None = None,
    ) -> object:
        """One value of the cell, type-checked against the input."""
        end = offset + len(written)
        if self.input_type.is_temporal and _ISO_DATE.match(written):
            return self._date(written, offset, end)
        if allow_bare and self.input_type.kind is TypeKind.TEXT and written[0] not in "'\"":
            return written  # an unquoted text: `A`
        parsed = parse_expression(written)
        root = parsed.root
        if isinstance(root, UnaryMinus) and isinstance(root.operand, Literal):
            root = _negated(root.operand)
        if not isinstance(root, Literal):
            hint = CELL_FORMS
            if self.input_type.kind is TypeKind.TEXT:
                hint = f"write a text in quotes: '{written}'"
            where = f"after '{after}', " if after else ""
            self.problem("X101", f"{where}'{written}' is not a value", offset, end, hint)
            return None
        return self._checked(root, offset, end, written, op=op)

    def _checked(self, node: Node, start: int, end: int, written: str, *, op: str = "==") -> object:
        if isinstance(node, UnaryMinus) and isinstance(node.operand, Literal):
            node = _negated(node.operand)
        if not isinstance(node, Literal):
            self.problem("X101", f"'{written}' is not a value", start, end, CELL_FORMS)
            return None
        if self.input_type.is_temporal and isinstance(node.value, str):
            return self._date(node.value, start, end)
        quoted = isinstance(node.value, str) and _is_number(node.value)
        problem = _mismatch(op, self.input_type, node.type, (start, end), quoted_number=quoted)
        if problem is not None:
            self.problems.append(problem)
        return node.value

    def _date(self, written: str, start: int, end: int) -> object:
        problem = date_problem(written)
        if problem is not None:
            self.problem("X110", problem, start, end, None)
            return None
        return date.fromisoformat(written)


def _negated(literal: Literal) -> Literal:
    if isinstance(literal.value, Decimal):
        return Literal(literal.span, literal.type, -literal.value)
    return literal


def _is_number(text: str) -> bool:
    return re.fullmatch(r"\s*[+-]?[0-9]+(\.[0-9]+)?\s*", text) is not None


def _above(low: object, high: object) -> bool:
    try:
        return bool(low > high)  # type: ignore[operator]
    except TypeError:
        return False


def _yaml_value(value: object) -> tuple[object, ValueType]:
    if isinstance(value, bool):
        return value, ValueType.BOOLEAN
    if isinstance(value, int):
        return Decimal(value), ValueType.INTEGER
    if isinstance(value, float):
        return Decimal(str(value)), ValueType.NUMBER
    return value, ValueType.ANY


def literal_type(value: object, expected: ValueType) -> ValueType:
    """The type of a literal as YAML read it (a decision-table output, …); an ISO date text
    is a date where a date is expected, a number is text where text is."""
    if value is None:
        return ValueType.NULL
    if isinstance(value, str):
        if expected.is_temporal and date_problem(value) is None:
            return ValueType.DATE
        return ValueType.TEXT
    found = _yaml_value(value)[1]
    if expected.kind is TypeKind.TEXT and found.is_numeric:
        return ValueType.TEXT  # `code: 7` is the text 7 in a text column
    return found


def _mismatch(
    op: str,
    input_type: ValueType,
    value_type: ValueType,
    span: tuple[int, int],
    *,
    quoted_number: bool,
) -> ExprProblem | None:
    found = comparison_problem(op, input_type, value_type)
    if found is None:
        return None
    wanted, got = value_phrase(input_type), value_phrase(value_type)
    message = f"the input is {wanted}, but this value is {got}"
    if op in _OPERATORS and found[0].startswith("'"):
        message = found[0]
    hint = "write the number without quotes" if quoted_number else None
    return ExprProblem("X106", message, span[0], span[1], hint)
