"""Runtime semantics of the operators on Python values, NULL (None) behaving as in SQL.

Comparisons and arithmetic with NULL give NULL; `and` / `or` / `not` are Kleene
three-valued; `x in [..]` is NULL when nothing matches and a NULL was involved; division
and modulo by zero give NULL; so does a numeric overflow. The SQL compiler produces
clauses with exactly these results (see `engine/storage/sql_expr.py`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal, DecimalException, localcontext
from typing import Any

__all__ = [
    "ASCII_LOWER",
    "ASCII_UPPER",
    "DIVISION_PLACES",
    "arithmetic",
    "compare",
    "is_true",
    "kleene_and",
    "kleene_not",
    "kleene_or",
    "membership",
    "to_number",
]

ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
"""`lower()` changes A–Z only, as SQLite's lower() and PostgreSQL's under COLLATE "C" do."""
ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def to_number(value: Any) -> Any:
    """Normalise int and float (never bool) to Decimal; other values pass through."""
    if isinstance(value, bool) or value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def is_true(value: Any) -> bool:
    """A condition's verdict: NULL counts as false."""
    return value is True


def kleene_not(value: Any) -> bool | None:
    """`not`: NULL stays NULL."""
    return None if value is None else not value


def kleene_and(values: Iterable[Callable[[], Any]]) -> bool | None:
    """`and` over lazily evaluated operands: false wins, else NULL wins, else true."""
    unknown = False
    for thunk in values:
        value = thunk()
        if value is None:
            unknown = True
        elif not value:
            return False
    return None if unknown else True


def kleene_or(values: Iterable[Callable[[], Any]]) -> bool | None:
    """`or` over lazily evaluated operands: true wins, else NULL wins, else false."""
    unknown = False
    for thunk in values:
        value = thunk()
        if value is None:
            unknown = True
        elif value:
            return True
    return None if unknown else False


def compare(op: str, left: Any, right: Any) -> bool | None:
    """`left op right`, NULL when either side is NULL."""
    if left is None or right is None:
        return None
    return _COMPARE[op](left, right)


def membership(item: Any, options: Iterable[Any]) -> bool | None:
    """`item in options` as SQL's IN: true on a match, NULL if a NULL was involved."""
    values = list(options)
    if not values:
        return False
    if item is None:
        return None
    unknown = False
    for option in values:
        if option is None:
            unknown = True
        elif option == item:
            return True
    return None if unknown else False


DIVISION_PLACES = 20
"""Quotients are rounded to this many decimal places (half away from zero), as in SQL."""
_QUOTIENT = Decimal(1).scaleb(-DIVISION_PLACES)


def _divide(left: Decimal, right: Decimal) -> Decimal | None:
    if right == 0:
        return None
    with localcontext(prec=80):
        quotient = (left / right).quantize(_QUOTIENT, rounding=ROUND_HALF_UP)
        tidy = quotient.normalize()
        exponent = tidy.as_tuple().exponent
        return tidy.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else tidy


def _modulo(left: Decimal, right: Decimal) -> Decimal | None:
    return None if right == 0 else left % right


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _divide,
    "%": _modulo,
    "concat": operator.add,
}


def arithmetic(op: str, left: Any, right: Any) -> Any:
    """`left op right` for numbers (and `concat` for text); NULL in, NULL out."""
    if left is None or right is None:
        return None
    try:
        return _ARITHMETIC[op](left, right)
    except DecimalException:
        return None
