"""The expression IR: small frozen nodes converted once from Python's `ast`.

The parser builds these nodes with provisional types; the checker rebuilds them with the
inferred type of every node. Both compilers (Python closures, SQL clauses) and any later
one (the browser) walk only this IR, never `ast`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as TypingLiteral
from typing import TypeAlias

from engine.expr.types import ValueType

__all__ = [
    "ArithOp",
    "Binary",
    "Call",
    "Compare",
    "CompareOp",
    "Conditional",
    "IsNull",
    "ListExpr",
    "Literal",
    "Logical",
    "LogicalOp",
    "Membership",
    "Node",
    "Not",
    "Path",
    "Span",
    "UnaryMinus",
    "children",
]

Span: TypeAlias = tuple[int, int]
"""[start, end) character offsets into the expression text."""

ArithOp = TypingLiteral["+", "-", "*", "/", "%", "concat"]
CompareOp = TypingLiteral["==", "!=", "<", "<=", ">", ">="]
LogicalOp = TypingLiteral["and", "or"]


@dataclass(frozen=True, slots=True)
class Literal:
    """A constant: Decimal, str, bool, None, or (after checking) a date."""

    span: Span
    type: ValueType
    value: object


@dataclass(frozen=True, slots=True)
class Path:
    """A name or dotted path through declared relations: `owner.team.name`."""

    span: Span
    type: ValueType
    parts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ListExpr:
    """A list literal `[a, b, c]` (right side of `in`, or a function argument)."""

    span: Span
    type: ValueType
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """`not x`, three-valued."""

    span: Span
    type: ValueType
    operand: Node


@dataclass(frozen=True, slots=True)
class UnaryMinus:
    """`-x`."""

    span: Span
    type: ValueType
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    """Arithmetic; the checker turns `+` on text into `concat`."""

    span: Span
    type: ValueType
    op: ArithOp
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Compare:
    """One comparison; chains `a < b < c` become `a < b and b < c`."""

    span: Span
    type: ValueType
    op: CompareOp
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Logical:
    """`and` / `or` over two or more operands, three-valued."""

    span: Span
    type: ValueType
    op: LogicalOp
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Membership:
    """`x in [..]` / `x not in [..]`."""

    span: Span
    type: ValueType
    negated: bool
    item: Node
    options: ListExpr


@dataclass(frozen=True, slots=True)
class IsNull:
    """`x is None` / `x is not None`; never NULL itself."""

    span: Span
    type: ValueType
    negated: bool
    operand: Node


@dataclass(frozen=True, slots=True)
class Conditional:
    """`then if test else otherwise`; a NULL test takes the `otherwise` branch."""

    span: Span
    type: ValueType
    test: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Call:
    """A call of a registered function with positional arguments."""

    span: Span
    type: ValueType
    name: str
    args: tuple[Node, ...]


Node: TypeAlias = (
    Literal
    | Path
    | ListExpr
    | Not
    | UnaryMinus
    | Binary
    | Compare
    | Logical
    | Membership
    | IsNull
    | Conditional
    | Call
)


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of `node`, left to right."""
    match node:
        case Literal() | Path():
            return ()
        case ListExpr(items=items) | Call(args=items) | Logical(operands=items):
            return items
        case Not(operand=operand) | UnaryMinus(operand=operand) | IsNull(operand=operand):
            return (operand,)
        case Binary(left=left, right=right) | Compare(left=left, right=right):
            return (left, right)
        case Membership(item=item, options=options):
            return (item, options)
        case Conditional(test=test, then=then, otherwise=otherwise):
            return (test, then, otherwise)
    raise TypeError(f"not an expression node: {node!r}")
