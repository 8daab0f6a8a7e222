"""`visible_if` in the browser: a field's or section's condition compiled, once, from the
expression IR to a small JSON tree that `static/formwork.js` evaluates live as the user
types.

Only the part of the language a form can answer locally is compiled: literals, the form's
own fields (one-part paths), comparisons, `and`/`or`/`not`, `in [...]`, `is None`,
arithmetic and conditionals. Anything else (relations like `customer.level`, function
calls) compiles to None and the element simply stays shown; the record service enforces
visibility on save either way, so the browser can only be more permissive, never wrong
about what is stored.

Tree forms: `["lit", v]`, `["field", name]`, `["not", x]`, `["and"|"or", x, …]`,
`["cmp", op, a, b]`, `["in", negated, x, [items]]`, `["null", negated, x]`,
`["arith", op, a, b]`, `["neg", x]`, `["if", test, then, else]`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.expr import parse_expression
from engine.expr.nodes import (
    Binary,
    Compare,
    Conditional,
    IsNull,
    Literal,
    Logical,
    Membership,
    Node,
    Not,
    Path,
    UnaryMinus,
)

__all__ = ["compile_browser_condition"]


class _Unsupported(Exception):
    """The expression uses something the browser cannot evaluate."""


def compile_browser_condition(text: str) -> Any | None:
    """The JSON tree of the condition `text`, or None when the browser cannot evaluate it."""
    parsed = parse_expression(text)
    if not parsed.ok or parsed.root is None:
        return None
    try:
        return _compile(parsed.root)
    except _Unsupported:
        return None


def _literal(value: object) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise _Unsupported


def _compile(node: Node) -> Any:
    match node:
        case Literal(value=value):
            return ["lit", _literal(value)]
        case Path(parts=parts):
            if len(parts) != 1:
                raise _Unsupported
            return ["field", parts[0]]
        case Not(operand=operand):
            return ["not", _compile(operand)]
        case UnaryMinus(operand=operand):
            return ["neg", _compile(operand)]
        case Logical(op=op, operands=operands):
            return [op, *(_compile(item) for item in operands)]
        case Compare(op=op, left=left, right=right):
            return ["cmp", op, _compile(left), _compile(right)]
        case Binary(op=op, left=left, right=right):
            return ["arith", op, _compile(left), _compile(right)]
        case Membership(negated=negated, item=item, options=options):
            return ["in", negated, _compile(item), [_compile(i) for i in options.items]]
        case IsNull(negated=negated, operand=operand):
            return ["null", negated, _compile(operand)]
        case Conditional(test=test, then=then, otherwise=otherwise):
            return ["if", _compile(test), _compile(then), _compile(otherwise)]
    raise _Unsupported
