"""The Python compiler: a checked expression → a closure evaluated against an `Env`.

The tree is walked once, at compile time; evaluation only calls nested closures, never
`eval`. NULL is `None` and follows the rules in `engine.expr.values`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from engine.expr.checker import CheckedExpr
from engine.expr.context import Env
from engine.expr.function_type import FunctionType
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
from engine.expr.problems import ExpressionError
from engine.expr.types import TypeKind
from engine.expr.values import (
    arithmetic,
    compare,
    is_true,
    kleene_and,
    kleene_not,
    kleene_or,
    membership,
    to_number,
)

__all__ = ["Evaluator", "compile_condition", "compile_python", "evaluate_condition"]

Evaluator = Callable[[Env], Any]
"""A compiled expression: call it with an environment to get the value."""


def compile_python(checked: CheckedExpr) -> Evaluator:
    """Compile a checked expression into a closure; raises ExpressionError if it has problems."""
    if checked.root is None or checked.problems:
        raise ExpressionError(checked.text, checked.problems)
    return _Compiler(checked.functions).compile(checked.root)


def compile_condition(checked: CheckedExpr) -> Callable[[Env], bool]:
    """Compile a condition: the closure answers True only when the value is true (NULL → False)."""
    evaluate = compile_python(checked)
    return lambda env: is_true(evaluate(env))


def evaluate_condition(evaluate: Evaluator, env: Env) -> bool:
    """Run a compiled expression as a condition: NULL (and false) count as false."""
    return is_true(evaluate(env))


class _Compiler:
    def __init__(self, functions: Mapping[str, FunctionType]) -> None:
        self.functions = functions

    def compile(self, node: Node) -> Evaluator:
        match node:
            case Literal(value=value):
                return lambda env: value
            case Path():
                return self._path(node)
            case ListExpr(items=items):
                parts = [self.compile(item) for item in items]
                return lambda env: [part(env) for part in parts]
            case Not(operand=operand):
                inner = self.compile(operand)
                return lambda env: kleene_not(inner(env))
            case UnaryMinus(operand=operand):
                inner = self.compile(operand)
                return lambda env: _negate(inner(env))
            case Binary(op=op, left=left, right=right):
                lhs, rhs = self.compile(left), self.compile(right)
                return lambda env: arithmetic(op, lhs(env), rhs(env))
            case Compare(op=op, left=left, right=right):
                lhs, rhs = self.compile(left), self.compile(right)
                return lambda env: compare(op, lhs(env), rhs(env))
            case Logical():
                return self._logical(node)
            case Membership():
                return self._membership(node)
            case IsNull(negated=negated, operand=operand):
                inner = self.compile(operand)
                return lambda env: (inner(env) is None) != negated
            case Conditional():
                return self._conditional(node)
            case Call():
                return self._call(node)

    def _path(self, node: Path) -> Evaluator:
        parts = node.parts
        value_type = node.type
        if value_type.kind is TypeKind.LIST and value_type.element is not None:
            if value_type.element.is_numeric:
                return lambda env: [to_number(v) for v in env.resolve(parts) or ()]
            return lambda env: list(env.resolve(parts) or ())
        if value_type.is_numeric:
            return lambda env: to_number(env.resolve(parts))
        return lambda env: env.resolve(parts)

    def _logical(self, node: Logical) -> Evaluator:
        parts = [self.compile(operand) for operand in node.operands]
        combine = kleene_and if node.op == "and" else kleene_or
        return lambda env: combine(partial(part, env) for part in parts)

    def _membership(self, node: Membership) -> Evaluator:
        item = self.compile(node.item)
        options = [self.compile(option) for option in node.options.items]
        negated = node.negated

        def evaluate(env: Env) -> bool | None:
            found = membership(item(env), (option(env) for option in options))
            return kleene_not(found) if negated else found

        return evaluate

    def _conditional(self, node: Conditional) -> Evaluator:
        test = self.compile(node.test)
        then = self.compile(node.then)
        otherwise = self.compile(node.otherwise)
        return lambda env: then(env) if test(env) is True else otherwise(env)

    def _call(self, node: Call) -> Evaluator:
        function = self.functions[node.name]
        implementation = function.python
        args = [self.compile(arg) for arg in node.args]
        if not function.null_propagates:
            return lambda env: implementation(env.context, *(arg(env) for arg in args))

        def evaluate(env: Env) -> Any:
            values = [arg(env) for arg in args]
            if any(value is None for value in values):
                return None
            return implementation(env.context, *values)

        return evaluate


def _negate(value: Any) -> Any:
    return None if value is None else -value
