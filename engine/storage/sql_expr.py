"""The SQL compiler of expressions: a checked expression → a SQLAlchemy clause.

It walks the same typed IR as the Python compiler and yields clauses whose values agree
with the Python closure on every row, NULLs included, on SQLite and PostgreSQL: `and` /
`or` / `not` are SQL's three-valued logic already, division is true division with NULL
for a zero divisor, text is ordered by code point, and calendar functions are rendered per
dialect (`engine.storage.sql_functions`). A comparison of a datetime's day with a constant
date becomes a range on the datetime, so the column's index can be used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from engine.expr import (
    BUILTIN_FUNCTIONS,
    CheckedExpr,
    EvalContext,
    ExpressionError,
    ExprProblem,
    TypeKind,
    ValueType,
    compile_python,
)
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
    children,
)
from engine.storage.sql_functions import (
    BUILTIN_SQL,
    ExactNumber,
    SqlCall,
    portable,
    sql_type,
    text_key,
)

__all__ = ["SqlScope", "compile_sql", "compile_sql_condition"]

Clause = ColumnElement[Any]

_BUILTINS = {function.name: function for function in BUILTIN_FUNCTIONS}
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_INT64 = 2**63


class SqlScope(Protocol):
    """Gives the clause for a dotted path (a column, or a correlated scalar subquery).

    Columns hold numbers in display units (money in yuan), dates as dates and datetimes in
    UTC (see `engine.storage.sql_functions` for how they are stored on SQLite).
    """

    def column(self, path: tuple[str, ...]) -> ColumnElement[Any]:
        """The clause for `path`, e.g. ("owner", "team") → users.team_id via the owner."""
        ...


def compile_sql(checked: CheckedExpr, scope: SqlScope, context: EvalContext) -> Clause:
    """The expression as a SQL value (for SELECT), typed so results come back as in Python."""
    clause = _SqlCompiler(checked, scope, context).compile(_root(checked))
    if checked.type.is_unknown:
        return clause
    return sa.type_coerce(clause, sql_type(checked.type))


def compile_sql_condition(checked: CheckedExpr, scope: SqlScope, context: EvalContext) -> Clause:
    """The expression as a WHERE clause: rows where it is NULL or false are left out."""
    if checked.type.kind not in (TypeKind.BOOLEAN, TypeKind.NULL):
        problem = ExprProblem("X106", f"a filter must be true/false, not {checked.type}", 0, 0)
        raise ExpressionError(checked.text, [problem])
    return _SqlCompiler(checked, scope, context).compile(_root(checked))


def _root(checked: CheckedExpr) -> Node:
    if checked.root is None or checked.problems:
        raise ExpressionError(checked.text, checked.problems)
    return checked.root


@dataclass(frozen=True, slots=True)
class _ConstantEnv:
    """The environment of a constant sub-expression: a context and no names."""

    context: EvalContext

    def resolve(self, path: tuple[str, ...]) -> Any:
        raise LookupError(f"a constant expression has no names, asked for {path}")


def _null(value_type: ValueType | None) -> Clause:
    if value_type is None or value_type.is_unknown or value_type.kind is TypeKind.LIST:
        return sa.null()
    return sa.cast(sa.null(), sql_type(value_type))


def _literal(node: Literal, hint: ValueType | None) -> Clause:
    value = node.value
    if value is None:
        return _null(hint)
    if isinstance(value, bool):
        return sa.true() if value else sa.false()
    if isinstance(value, Decimal) and node.type.kind is TypeKind.INTEGER and abs(value) < _INT64:
        return sa.literal(int(value), sa.Integer)
    if node.type.is_numeric:
        return sa.literal(value, ExactNumber())
    if isinstance(value, date):
        return sa.literal(value, sa.Date)
    return sa.literal(value, sa.String)


class _SqlCompiler:
    def __init__(self, checked: CheckedExpr, scope: SqlScope, context: EvalContext) -> None:
        self.checked = checked
        self.scope = scope
        self.context = context

    def compile(self, node: Node, hint: ValueType | None = None) -> Clause:
        match node:
            case Literal():
                return _literal(node, hint)
            case Path(parts=parts):
                return self.scope.column(parts)
            case ListExpr():  # only inside Membership, which compiles its items itself
                problem = ExprProblem("X106", "a list cannot be a value", *node.span)
                raise ExpressionError(self.checked.text, [problem])
            case Not(operand=operand):
                return sa.not_(self.compile(operand, ValueType.BOOLEAN))
            case UnaryMinus(operand=operand):
                return -self.compile(operand, node.type)
            case Binary():
                return self._binary(node)
            case Compare():
                return self._compare(node)
            case Logical(op=op, operands=operands):
                clauses = [self.compile(o, ValueType.BOOLEAN) for o in operands]
                return sa.and_(*clauses) if op == "and" else sa.or_(*clauses)
            case Membership():
                return self._membership(node)
            case IsNull(negated=negated, operand=operand):
                inner = self.compile(operand)
                return inner.is_not(None) if negated else inner.is_(None)
            case Conditional():
                return self._conditional(node)
            case Call():
                return self._call(node)

    def _binary(self, node: Binary) -> Clause:
        left = self.compile(node.left, node.right.type)
        right = self.compile(node.right, node.left.type)
        if node.op == "concat":
            return left.concat(right)
        if node.op == "/":
            return portable("divide", left, right, type_=ExactNumber())
        if node.op == "%":
            return left % sa.func.nullif(right, 0)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.type.kind is TypeKind.INTEGER:
            left = sa.cast(left, sa.BigInteger)  # int4 * int4 overflows on PostgreSQL
        return left * right

    def _compare(self, node: Compare) -> Clause:
        ranged = self._day_range(node)
        if ranged is not None:
            return ranged
        left = self.compile(node.left, node.right.type)
        right = self.compile(node.right, node.left.type)
        textual = {node.left.type.kind, node.right.type.kind} & {TypeKind.TEXT, TypeKind.USER}
        if textual and node.op not in ("==", "!="):
            left, right = text_key(left), text_key(right)
        return _apply(node.op, left, right)

    def _membership(self, node: Membership) -> Clause:
        if not node.options.items:
            return sa.true() if node.negated else sa.false()
        element = node.options.type.element
        item = self.compile(node.item, element)
        options = [self.compile(option, node.item.type) for option in node.options.items]
        return item.not_in(options) if node.negated else item.in_(options)

    def _conditional(self, node: Conditional) -> Clause:
        test = self.compile(node.test, ValueType.BOOLEAN)
        then = self.compile(node.then, node.type)
        otherwise = self.compile(node.otherwise, node.type)
        clause = sa.case((test, then), else_=otherwise)
        return clause if node.type.is_unknown else sa.type_coerce(clause, sql_type(node.type))

    def _call(self, node: Call) -> Clause:
        function = self.checked.functions[node.name]
        if not function.usable_in_sql:
            problem = ExprProblem("X107", f"{node.name}() has no SQL form", *node.span)
            raise ExpressionError(self.checked.text, [problem])
        if function.null_propagates and any(
            isinstance(a, Literal) and a.value is None for a in node.args
        ):
            return _null(node.type)
        args = [self.compile(arg) for arg in node.args]
        if function.sql is not None:
            clause: Clause = function.sql(self.context, *args)
            return clause
        call = SqlCall(self.context, tuple(a.type for a in node.args), node.type)
        return BUILTIN_SQL[node.name](call, args)

    def _day_range(self, node: Compare) -> Clause | None:
        """`date(t) op <constant date>` as a range on t (index-friendly, exact time zone)."""
        op: str = node.op
        day_side, other = node.left, node.right
        if not _is_day_of_datetime(day_side):
            op, day_side, other = _MIRRORED[op], node.right, node.left
        if not _is_day_of_datetime(day_side) or not self._is_constant(other):
            return None
        value = self._evaluate(other)
        if value is None:
            return _null(ValueType.BOOLEAN)
        if not isinstance(value, date) or value >= date.max:
            return None
        assert isinstance(day_side, Call)
        moment = self.compile(day_side.args[0])
        start, end = self._midnight(value), self._midnight(value + timedelta(days=1))
        ranges = {
            "==": lambda: sa.and_(moment >= start, moment < end),
            "!=": lambda: sa.or_(moment < start, moment >= end),
            "<": lambda: moment < start,
            "<=": lambda: moment < end,
            ">": lambda: moment >= end,
            ">=": lambda: moment >= start,
        }
        return ranges[op]()

    def _midnight(self, day: date) -> Clause:
        moment = datetime.combine(day, time(0), tzinfo=self.context.timezone)
        return sa.literal(moment, sql_type(ValueType.DATETIME))

    def _is_constant(self, node: Node) -> bool:
        if isinstance(node, Path):
            return False
        if isinstance(node, Call):
            function = self.checked.functions.get(node.name)
            if function is None or function is not _BUILTINS.get(node.name):
                return False
        return all(self._is_constant(child) for child in children(node))

    def _evaluate(self, node: Node) -> Any:
        constant = CheckedExpr(self.checked.text, node, node.type, (), (), self.checked.functions)
        return compile_python(constant)(_ConstantEnv(self.context))


def _is_day_of_datetime(node: Node) -> bool:
    return (
        isinstance(node, Call)
        and node.name == "date"
        and len(node.args) == 1
        and node.args[0].type.kind is TypeKind.DATETIME
    )


def _apply(op: str, left: Clause, right: Clause) -> Clause:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right
