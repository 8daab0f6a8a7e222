"""Typing rules of the operators: what arithmetic yields and which values may be compared.

Pure functions over :class:`ValueType`; each returns the result type, or a message that the
checker reports as X106 at the operator's span.
"""

from __future__ import annotations

from engine.expr.types import IDENTITY_KINDS, TypeKind, ValueType

__all__ = ["ArithmeticVerdict", "arithmetic_type", "comparison_problem"]

ArithmeticVerdict = tuple[ValueType, str | None, str | None]
"""(result type, problem message or None, hint or None)."""

_ORDERED = frozenset({"<", "<=", ">", ">="})


def _numeric_result(op: str, left: ValueType, right: ValueType) -> ValueType:
    kinds = {left.kind, right.kind}
    if op == "%":
        return ValueType.INTEGER
    if op in ("+", "-", "*") and kinds == {TypeKind.INTEGER}:
        return ValueType.INTEGER
    if op in ("+", "-"):
        if TypeKind.MONEY in kinds:
            return ValueType.MONEY
        return ValueType.PERCENT if kinds == {TypeKind.PERCENT} else ValueType.NUMBER
    if op in ("*", "/") and left.kind is TypeKind.MONEY and right.kind is not TypeKind.MONEY:
        return ValueType.MONEY
    if op == "*" and right.kind is TypeKind.MONEY and left.kind is not TypeKind.MONEY:
        return ValueType.MONEY
    return ValueType.NUMBER


def _known(left: ValueType, right: ValueType) -> ValueType:
    if left.kind is TypeKind.ANY or right.kind is TypeKind.ANY:
        return ValueType.ANY
    return right if left.is_unknown else left


def _date_hint(op: str, left: ValueType, right: ValueType) -> str | None:
    if left.is_temporal and right.is_numeric:
        return "use add_days(date, n) or add_months(date, n)"
    if op == "-" and left.is_temporal and right.is_temporal:
        return "use days_between(start, end)"
    return None


def _with_unknown(op: str, left: ValueType, right: ValueType) -> ArithmeticVerdict:
    other = _known(left, right)
    if other.is_unknown:
        return other, None, None
    if other.is_numeric:
        if op == "%" and other.kind is not TypeKind.INTEGER:
            return ValueType.ANY, f"'%' needs whole numbers (integer), got {other}", None
        return _numeric_result(op, other, other), None, None
    if other.kind is TypeKind.TEXT and op == "+":
        return ValueType.TEXT, None, None
    return ValueType.ANY, f"'{op}' cannot be used with {other}", _date_hint(op, left, right)


def arithmetic_type(op: str, left: ValueType, right: ValueType) -> ArithmeticVerdict:
    """The type of `left op right` (op one of + - * / %); '+' on text means concatenation."""
    if left.is_unknown or right.is_unknown:
        return _with_unknown(op, left, right)
    if left.is_numeric and right.is_numeric:
        if op == "%" and (left.kind, right.kind) != (TypeKind.INTEGER, TypeKind.INTEGER):
            message = f"'%' needs whole numbers (integer), got {left} % {right}"
            return ValueType.ANY, message, "round first: round(x) % 2"
        return _numeric_result(op, left, right), None, None
    if op == "+" and left.kind is TypeKind.TEXT and right.kind is TypeKind.TEXT:
        return ValueType.TEXT, None, None
    hint = _date_hint(op, left, right)
    if hint is None and op == "+" and TypeKind.TEXT in (left.kind, right.kind):
        hint = "'+' joins text only to text; numbers cannot be joined to text"
    return ValueType.ANY, f"'{op}' cannot combine {left} and {right}", hint


def _comparable(left: ValueType, right: ValueType) -> bool:
    if left.is_unknown or right.is_unknown:
        return True
    if left.is_numeric and right.is_numeric:
        return True
    if left.is_temporal and right.is_temporal:
        return True
    if left.kind in IDENTITY_KINDS or right.kind in IDENTITY_KINDS:
        return _identity_comparable(left, right) or _identity_comparable(right, left)
    return left.kind is right.kind


def _identity_comparable(identity: ValueType, other: ValueType) -> bool:
    if identity.kind is TypeKind.USER:
        return other.kind in (TypeKind.USER, TypeKind.TEXT)
    if identity.kind is TypeKind.TEAM:
        return other.kind is TypeKind.TEAM or other.kind is TypeKind.TEXT or other.is_numeric
    if identity.kind is TypeKind.RECORD:
        same_entity = other.kind is TypeKind.RECORD and other.entity == identity.entity
        return same_entity or other.kind is TypeKind.TEXT or other.is_numeric
    return False


def comparison_problem(op: str, left: ValueType, right: ValueType) -> tuple[str, str | None] | None:
    """(message, hint) when `left op right` is not a valid comparison, else None."""
    if not _comparable(left, right):
        # the checker adds "write numbers without quotes" when a quoted number was written
        return f"cannot compare {left} with {right}", None
    if op in _ORDERED:
        for side in (left, right):
            if side.kind is TypeKind.BOOLEAN or side.kind in IDENTITY_KINDS:
                return f"'{op}' cannot order {side} values; use '==' or '!='", None
            if side.kind is TypeKind.LIST:
                return f"'{op}' cannot order lists", None
    return None
