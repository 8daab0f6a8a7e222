"""The allow-list: which Python `ast` constructs the language accepts, converted to IR.

:class:`Converter` walks one parsed `ast` tree, turns every allowed construct into an IR
node (with provisional types: only literals know theirs) and records a problem for every
construct that is not part of the language, telling the author what to write instead.
"""

from __future__ import annotations

import ast
from collections.abc import Collection
from decimal import Decimal, InvalidOperation

from engine.expr.nodes import (
    ArithOp,
    Binary,
    Call,
    Compare,
    CompareOp,
    Conditional,
    IsNull,
    ListExpr,
    Literal,
    Logical,
    LogicalOp,
    Membership,
    Node,
    Not,
    Path,
    Span,
    UnaryMinus,
)
from engine.expr.problems import ExprProblem
from engine.expr.types import ValueType

__all__ = ["NAME_ALIASES", "Converter"]

NAME_ALIASES: dict[str, tuple[object, ValueType]] = {
    "true": (True, ValueType.BOOLEAN),
    "false": (False, ValueType.BOOLEAN),
    "null": (None, ValueType.NULL),
}
"""Lower-case spellings YAML authors use for the Python constants."""

_ARITH: dict[type[ast.operator], ArithOp] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Mod: "%",
}
_COMPARE: dict[type[ast.cmpop], CompareOp] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
_OPERATOR_HINTS: dict[type[ast.operator], tuple[str, str | None]] = {
    ast.FloorDiv: ("'//' is not supported", "divide with '/' and use round(x, 0)"),
    ast.Pow: ("'**' is not supported", "multiply explicitly: x * x"),
    ast.BitAnd: ("'&' is not supported", "use 'and'"),
    ast.BitOr: ("'|' is not supported", "use 'or'"),
    ast.BitXor: ("'^' is not supported", None),
    ast.LShift: ("'<<' is not supported", None),
    ast.RShift: ("'>>' is not supported", None),
    ast.MatMult: ("'@' is not supported", None),
}
# Python string methods whose function here has another name.
_METHOD_FUNCTIONS = {"strip": "trim"}
_CONSTRUCTS: dict[type[ast.AST], tuple[str, str | None]] = {
    ast.Subscript: ("indexing with [...] is not supported", "use a field name or a function"),
    ast.Lambda: ("lambda is not supported", None),
    ast.ListComp: ("comprehensions are not supported", "use a roll-up or sum()/count()"),
    ast.SetComp: ("comprehensions are not supported", None),
    ast.DictComp: ("comprehensions are not supported", None),
    ast.GeneratorExp: ("comprehensions are not supported", "use a roll-up or sum()/count()"),
    ast.Dict: ("dictionaries are not supported", None),
    ast.Set: ("sets are not supported", "use a list: [a, b]"),
    ast.Starred: ("'*' unpacking is not supported", None),
    ast.NamedExpr: ("':=' is not supported", "compare with '=='"),
    ast.JoinedStr: ("f-strings are not supported", "use concat(a, b) or a + b"),
    ast.Await: ("await is not supported", None),
    ast.Yield: ("yield is not supported", None),
    ast.YieldFrom: ("yield is not supported", None),
    ast.Slice: ("slices are not supported", None),
}


class Converter:
    """Converts one `ast` tree to IR, collecting problems instead of raising."""

    def __init__(
        self,
        source: str,
        shift: int,
        max_depth: int,
        functions: Collection[str] | None = None,
    ) -> None:
        self.source = source
        self.shift = shift
        self.max_depth = max_depth
        self.functions = functions
        self.problems: list[ExprProblem] = []
        self._depth = 0
        self._char_of_byte = self._byte_table(source)

    @staticmethod
    def _byte_table(source: str) -> list[int]:
        table: list[int] = []
        for index, char in enumerate(source):
            table.extend([index] * len(char.encode("utf-8")))
        table.append(len(source))
        return table

    def span(self, node: ast.AST) -> Span:
        """Character span of an ast node in the original text."""
        start = self._char_of_byte[getattr(node, "col_offset", 0)]
        end_byte = getattr(node, "end_col_offset", None)
        end = self._char_of_byte[end_byte] if end_byte is not None else start
        return start + self.shift, end + self.shift

    def problem(
        self, code: str, message: str, node: ast.AST | Span, hint: str | None = None
    ) -> None:
        """Record a problem at an ast node (or explicit span)."""
        start, end = node if isinstance(node, tuple) else self.span(node)
        self.problems.append(ExprProblem(code, message, start, end, hint))

    def convert(self, node: ast.expr, *, list_ok: bool = False) -> Node | None:
        """Convert one expression node (None when it or a child is not allowed)."""
        if self._depth >= self.max_depth:
            if not any(p.code == "X109" for p in self.problems):
                self.problem("X109", "the expression is nested too deeply", node)
            return None
        self._depth += 1
        try:
            return self._dispatch(node, list_ok)
        finally:
            self._depth -= 1

    def _dispatch(self, node: ast.expr, list_ok: bool) -> Node | None:
        match node:
            case ast.Constant():
                return self._constant(node)
            case ast.Name():
                return self._name(node)
            case ast.Attribute():
                return self._attribute(node)
            case ast.Call():
                return self._call(node)
            case ast.BinOp():
                return self._binop(node)
            case ast.UnaryOp():
                return self._unary(node)
            case ast.BoolOp():
                return self._boolop(node)
            case ast.Compare():
                return self._compare(node)
            case ast.IfExp():
                return self._ifexp(node)
            case ast.List() | ast.Tuple() if list_ok:
                return self._list(node)
            case ast.List() | ast.Tuple():
                message = "a list [...] may only follow 'in' or be a function argument"
                self.problem("X102", message, node)
                return None
        self._unsupported(node)
        return None

    def _unsupported(self, node: ast.expr) -> None:
        message, hint = _CONSTRUCTS.get(type(node), ("this construct is not supported", None))
        self.problem("X102", message, node, hint)

    def _constant(self, node: ast.Constant) -> Node | None:
        value = node.value
        span = self.span(node)
        if value is None:
            return Literal(span, ValueType.NULL, None)
        if isinstance(value, bool):
            return Literal(span, ValueType.BOOLEAN, value)
        if isinstance(value, str):
            return Literal(span, ValueType.TEXT, value)
        if isinstance(value, int):
            return Literal(span, ValueType.INTEGER, Decimal(value))
        if isinstance(value, float):
            return self._decimal(node, span)
        self.problem("X102", f"{type(value).__name__} values are not supported", node)
        return None

    def _decimal(self, node: ast.Constant, span: Span) -> Node | None:
        written = self.source[span[0] - self.shift : span[1] - self.shift]
        try:
            number = Decimal(written)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            self.problem("X110", f"'{written}' is not a number this language can hold", node)
            return None
        return Literal(span, ValueType.NUMBER, number)

    def _name(self, node: ast.Name) -> Node | None:
        if node.id in NAME_ALIASES:
            value, value_type = NAME_ALIASES[node.id]
            return Literal(self.span(node), value_type, value)
        if node.id.startswith("__"):
            self.problem("X102", f"names starting with '__' are not allowed: '{node.id}'", node)
            return None
        return Path(self.span(node), ValueType.ANY, (node.id,))

    def _attribute(self, node: ast.Attribute) -> Node | None:
        parts: list[str] = []
        current: ast.expr = node
        while isinstance(current, ast.Attribute):
            if current.attr.startswith("__"):
                message = f"names starting with '__' are not allowed: '{current.attr}'"
                self.problem("X102", message, current)
                return None
            parts.append(current.attr)
            current = current.value
        if not isinstance(current, ast.Name) or current.id in NAME_ALIASES:
            message = "'.' may only follow a field or relation name (a.b.c)"
            self.problem("X102", message, node, "fields of a computed value cannot be read")
            return None
        base = self._name(current)
        if base is None:
            return None
        parts.append(current.id)
        return Path(self.span(node), ValueType.ANY, tuple(reversed(parts)))

    def _call(self, node: ast.Call) -> Node | None:
        if isinstance(node.func, ast.Attribute):
            self.problem("X102", "methods cannot be called", node, self._method_hint(node))
            return None
        if not isinstance(node.func, ast.Name):
            self.problem("X102", "only named functions can be called", node)
            return None
        if node.keywords:
            keyword = node.keywords[0]
            name = keyword.arg or "**"
            message = f"keyword arguments are not supported ('{name}=')"
            self.problem("X102", message, keyword, "pass every argument by position")
            return None
        args = [self.convert(arg, list_ok=True) for arg in node.args]
        converted = [a for a in args if a is not None]
        if len(converted) != len(args):
            return None
        return Call(self.span(node), ValueType.ANY, node.func.id, tuple(converted))

    def _method_hint(self, node: ast.Call) -> str:
        """`name.lower()` → write lower(name) (`strip` → trim); a method with no function of
        its name is said so, never rewritten into a call that would fail too. Without the
        function names (`functions` None) the call is rewritten as written."""
        assert isinstance(node.func, ast.Attribute)
        method = node.func.attr
        function = _METHOD_FUNCTIONS.get(method, method)
        written = [self._text(node.func.value), *(self._text(arg) for arg in node.args)]
        if self.functions is not None and function not in self.functions:
            return f"there is no function {method}(): see docs/expressions.md for the functions"
        return f"write {function}({', '.join(written)}) instead of {self._text(node)}"

    def _text(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.source[start - self.shift : end - self.shift]

    def _binop(self, node: ast.BinOp) -> Node | None:
        op = _ARITH.get(type(node.op))
        left = self.convert(node.left)
        right = self.convert(node.right)
        if op is None:
            message, hint = _OPERATOR_HINTS.get(type(node.op), ("operator not supported", None))
            self.problem("X102", message, node, hint)
            return None
        if left is None or right is None:
            return None
        return Binary(self.span(node), ValueType.ANY, op, left, right)

    def _unary(self, node: ast.UnaryOp) -> Node | None:
        operand = self.convert(node.operand)
        if isinstance(node.op, ast.Invert):
            self.problem("X102", "'~' is not supported", node, "use 'not'")
            return None
        if operand is None:
            return None
        if isinstance(node.op, ast.Not):
            return Not(self.span(node), ValueType.ANY, operand)
        if isinstance(node.op, ast.USub):
            return UnaryMinus(self.span(node), ValueType.ANY, operand)
        return operand

    def _boolop(self, node: ast.BoolOp) -> Node | None:
        operands = [self.convert(value) for value in node.values]
        kept = tuple(o for o in operands if o is not None)
        if len(kept) != len(operands):
            return None
        op: LogicalOp = "and" if isinstance(node.op, ast.And) else "or"
        return Logical(self.span(node), ValueType.ANY, op, kept)

    def _ifexp(self, node: ast.IfExp) -> Node | None:
        test = self.convert(node.test)
        then = self.convert(node.body)
        otherwise = self.convert(node.orelse)
        if test is None or then is None or otherwise is None:
            return None
        return Conditional(self.span(node), ValueType.ANY, test, then, otherwise)

    def _list(self, node: ast.List | ast.Tuple) -> ListExpr | None:
        items = [self.convert(item) for item in node.elts]
        kept = tuple(i for i in items if i is not None)
        if len(kept) != len(items):
            return None
        return ListExpr(self.span(node), ValueType.ANY, kept)

    def _compare(self, node: ast.Compare) -> Node | None:
        values = [node.left, *node.comparators]
        before: list[ast.cmpop | None] = [None, *node.ops]
        operands = [self._operand(v, op) for v, op in zip(values, before, strict=True)]
        if any(o is None for o in operands):
            return None
        links: list[Node] = []
        for index, op in enumerate(node.ops):
            span = (self.span(values[index])[0], self.span(values[index + 1])[1])
            link = self._link(op, operands[index], operands[index + 1], span)
            if link is None:
                return None
            links.append(link)
        if len(links) == 1:
            return links[0]
        return Logical(self.span(node), ValueType.ANY, "and", tuple(links))

    def _operand(self, value: ast.expr, op: ast.cmpop | None) -> Node | None:
        if isinstance(op, ast.In | ast.NotIn):
            if isinstance(value, ast.List | ast.Tuple):
                return self._list(value)
            message = "the right side of 'in' must be a list: x in ['a', 'b']"
            self.problem("X102", message, value, "for text, use contains(text, part)")
            return None
        if isinstance(op, ast.Is | ast.IsNot) and not _is_none(value):
            message = "'is' can only be used with None ('x is None', 'x is not None')"
            self.problem("X102", message, value, "compare values with '=='")
            return None
        return self.convert(value)

    def _link(
        self, op: ast.cmpop, left: Node | None, right: Node | None, span: Span
    ) -> Node | None:
        if left is None or right is None:
            return None
        if isinstance(left, ListExpr):
            self.problem("X102", "a list cannot be compared; 'in' cannot be chained", span)
            return None
        if isinstance(op, ast.In | ast.NotIn):
            assert isinstance(right, ListExpr)
            return Membership(span, ValueType.BOOLEAN, isinstance(op, ast.NotIn), left, right)
        if isinstance(op, ast.Is | ast.IsNot):
            return IsNull(span, ValueType.BOOLEAN, isinstance(op, ast.IsNot), left)
        return Compare(span, ValueType.ANY, _COMPARE[type(op)], left, right)


def _is_none(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value is None
    return isinstance(node, ast.Name) and node.id == "null"
