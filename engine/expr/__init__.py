"""The expression language: parse, check and compile expressions written in app YAML.

Pure (no SQLAlchemy, no Flask). One text is parsed once with Python's `ast`, checked
against a scope of names and a function registry (problems with X1xx codes, never raised),
and compiled to a Python closure here or to a SQL clause by `engine.storage.sql_expr`.
The names below are the public API; `docs/expressions.md` is the author's reference.
"""

from __future__ import annotations

from engine.expr.checker import CheckedExpr, check_expression
from engine.expr.context import Env, EvalContext, MappingEnv
from engine.expr.evaluation import (
    Evaluator,
    compile_condition,
    compile_python,
    evaluate_condition,
)
from engine.expr.function_type import FunctionType
from engine.expr.functions import BUILTIN_FUNCTIONS, builtin_registry, function_registry
from engine.expr.nodes import Node
from engine.expr.parser import ParsedExpr, parse_expression
from engine.expr.problems import CODES, ExpressionError, ExprProblem, line_col
from engine.expr.scope import (
    MemberWords,
    Scope,
    Symbol,
    record_symbol,
    team_members,
    team_symbol,
    user_members,
    user_symbol,
)
from engine.expr.types import TypeKind, ValueType, value_phrase
from engine.expr.unary_tests import CELL_FORMS, UnaryTest, literal_type, parse_unary_test

__all__ = [
    "BUILTIN_FUNCTIONS",
    "CELL_FORMS",
    "CODES",
    "CheckedExpr",
    "Env",
    "EvalContext",
    "Evaluator",
    "ExprProblem",
    "ExpressionError",
    "FunctionType",
    "MappingEnv",
    "MemberWords",
    "Node",
    "ParsedExpr",
    "Scope",
    "Symbol",
    "TypeKind",
    "UnaryTest",
    "ValueType",
    "builtin_registry",
    "check_expression",
    "compile_condition",
    "compile_python",
    "evaluate_condition",
    "function_registry",
    "line_col",
    "literal_type",
    "parse_expression",
    "parse_unary_test",
    "record_symbol",
    "team_members",
    "team_symbol",
    "user_members",
    "user_symbol",
    "value_phrase",
]
