"""Shared fixtures of the expression tests: a deal-like scope, the built-ins, a fixed clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.expr import (
    CheckedExpr,
    EvalContext,
    FunctionType,
    MappingEnv,
    Scope,
    Symbol,
    ValueType,
    builtin_registry,
    check_expression,
    compile_python,
    record_symbol,
    user_symbol,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _customer() -> Mapping[str, Symbol]:
    return {
        "name": Symbol("name", ValueType.TEXT),
        "level": Symbol("level", ValueType.TEXT),
        "owner": user_symbol("owner"),
    }


def _line() -> Mapping[str, Symbol]:
    return {
        "product": Symbol("product", ValueType.TEXT),
        "qty": Symbol("qty", ValueType.INTEGER),
        "price": Symbol("price", ValueType.MONEY),
    }


DEAL_SCOPE: Scope = {
    "name": Symbol("name", ValueType.TEXT),
    "stage": Symbol("stage", ValueType.TEXT),
    "amount": Symbol("amount", ValueType.MONEY),
    "discount": Symbol("discount", ValueType.PERCENT),
    "probability": Symbol("probability", ValueType.NUMBER),
    "seats": Symbol("seats", ValueType.INTEGER),
    "is_key": Symbol("is_key", ValueType.BOOLEAN),
    "phone": Symbol("phone", ValueType.TEXT),
    "close_date": Symbol("close_date", ValueType.DATE),
    "start_date": Symbol("start_date", ValueType.DATE),
    "created_at": Symbol("created_at", ValueType.DATETIME),
    "owner": user_symbol("owner"),
    "customer": record_symbol("customer", "customer", _customer),
    "lines": record_symbol("lines", "deal_line", _line, many=True),
}


@pytest.fixture(scope="session")
def scope() -> Scope:
    return DEAL_SCOPE


@pytest.fixture(scope="session")
def functions() -> Mapping[str, FunctionType]:
    return builtin_registry()


@pytest.fixture(scope="session")
def context() -> EvalContext:
    now = datetime(2024, 5, 17, 10, 30, tzinfo=SHANGHAI)  # a Friday
    return EvalContext(now, SHANGHAI, "rep_east_1", frozenset({"sales_rep"}))


@pytest.fixture(scope="session")
def check(scope: Scope, functions: Mapping[str, FunctionType]) -> Callable[..., CheckedExpr]:
    def run(text: str, **options: Any) -> CheckedExpr:
        return check_expression(text, scope, functions, entity="deal", **options)

    return run


@pytest.fixture(scope="session")
def evaluate(check: Callable[..., CheckedExpr], context: EvalContext) -> Callable[..., Any]:
    """Check (must be clean), compile and evaluate `text` against `values`."""

    def run(text: str, values: Mapping[str, Any] | None = None) -> Any:
        checked = check(text)
        assert checked.problems == (), checked.problems
        return compile_python(checked)(MappingEnv(dict(values or {}), context))

    return run
