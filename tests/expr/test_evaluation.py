"""The Python compiler: values of every construct, NULL as in SQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from itertools import product
from typing import Any

import pytest

from engine.expr import (
    CheckedExpr,
    EvalContext,
    ExpressionError,
    MappingEnv,
    compile_condition,
    compile_python,
    evaluate_condition,
)

Evaluate = Callable[..., Any]
TRUTH = [True, False, None]


def literal(value: bool | None) -> str:
    return {True: "true", False: "false", None: "null"}[value]


def kleene_and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def kleene_or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


@pytest.mark.parametrize(("a", "b"), list(product(TRUTH, TRUTH)))
def test_and_or_truth_tables(evaluate: Evaluate, a: bool | None, b: bool | None) -> None:
    assert evaluate(f"{literal(a)} and {literal(b)}") is kleene_and(a, b)
    assert evaluate(f"{literal(a)} or {literal(b)}") is kleene_or(a, b)


@pytest.mark.parametrize("a", TRUTH)
def test_not_truth_table(evaluate: Evaluate, a: bool | None) -> None:
    assert evaluate(f"not {literal(a)}") is (None if a is None else not a)


def test_and_or_short_circuit_left_to_right(evaluate: Evaluate) -> None:
    assert evaluate("false and amount / 0 > 1") is False
    assert evaluate("true or amount > 1") is True


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_comparisons_with_null_are_null(evaluate: Evaluate, op: str) -> None:
    assert evaluate(f"amount {op} 5", {"amount": None}) is None
    assert evaluate(f"5 {op} amount", {"amount": None}) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("amount + 1", None),
        ("amount - 1", None),
        ("amount * 2", None),
        ("amount / 2", None),
        ("-amount", None),
        ("name + 'x'", None),
        ("amount is None", True),
        ("amount is not None", False),
        ("amount in [1, 2]", None),
        ("amount not in [1, 2]", None),
        ("1 if amount > 0 else 2", Decimal(2)),
        ("coalesce(amount, 7)", Decimal(7)),
    ],
)
def test_null_propagation(evaluate: Evaluate, text: str, expected: Any) -> None:
    assert evaluate(text, {"amount": None, "name": None}) == expected


def test_in_with_null_in_the_list(evaluate: Evaluate) -> None:
    assert evaluate("seats in [1, null]", {"seats": 1}) is True
    assert evaluate("seats in [2, null]", {"seats": 1}) is None
    assert evaluate("seats not in [2, null]", {"seats": 1}) is None
    assert evaluate("seats not in [2, 3]", {"seats": 1}) is True


def test_arithmetic_is_exact_decimal(evaluate: Evaluate) -> None:
    assert evaluate("0.1 + 0.2 == 0.3") is True
    assert evaluate("7 / 2") == Decimal("3.5")
    assert evaluate("seats / 4", {"seats": 3}) == Decimal("0.75")
    assert evaluate("-7 % 3") == Decimal(-1)
    result = evaluate("amount * 1.13", {"amount": 100})
    assert result == Decimal("113.00") and isinstance(result, Decimal)


def test_division_and_modulo_by_zero_are_null(evaluate: Evaluate) -> None:
    assert evaluate("amount / 0", {"amount": 5}) is None
    assert evaluate("seats % 0", {"seats": 5}) is None
    assert evaluate("0 / 0") is None


def test_overflow_is_null(evaluate: Evaluate) -> None:
    assert evaluate("1e999999 * 1e999999") is None


def test_values_from_the_env_are_normalised_to_decimal(evaluate: Evaluate) -> None:
    assert evaluate("amount", {"amount": 12}) == Decimal(12)
    assert isinstance(evaluate("amount", {"amount": 0.5}), Decimal)
    assert evaluate("is_key", {"is_key": True}) is True


def test_text(evaluate: Evaluate) -> None:
    assert evaluate("name + '-' + stage", {"name": "ACME", "stage": "won"}) == "ACME-won"
    assert evaluate("name < 'b'", {"name": "B"}) is True  # code-point order: 'B' < 'b'
    assert evaluate("name in ['张三', '李四']", {"name": "李四"}) is True


def test_conditional(evaluate: Evaluate) -> None:
    assert evaluate("'big' if amount > 5 else 'small'", {"amount": 6}) == "big"
    assert evaluate("'big' if amount > 5 else 'small'", {"amount": None}) == "small"


def test_chained_comparison(evaluate: Evaluate) -> None:
    assert evaluate("1 < seats < 5", {"seats": 3}) is True
    assert evaluate("1 < seats < 5", {"seats": 5}) is False
    assert evaluate("1 < seats < 5", {"seats": None}) is None


def test_dates_and_datetimes(evaluate: Evaluate) -> None:
    values = {
        "close_date": date(2024, 5, 17),
        # 2024-05-16 17:00 UTC is 2024-05-17 01:00 in Shanghai: "today" there.
        "created_at": datetime.fromisoformat("2024-05-16T17:00:00+00:00"),
    }
    assert evaluate("close_date == today()", values) is True
    assert evaluate("created_at == today()", values) is True
    assert evaluate("created_at < '2024-05-17'", values) is False
    assert evaluate("created_at < now()", values) is True
    assert evaluate("close_date > '2024-05-01'", values) is True


def test_relations_and_subforms(evaluate: Evaluate) -> None:
    values = {
        "owner": {"username": "rep_east_1", "manager": {"username": "manager_east"}},
        "lines": [{"price": 10, "qty": 1}, {"price": None, "qty": 2}, {"price": "2.5"}],
    }
    assert evaluate("owner.manager.username", values) == "manager_east"
    assert evaluate("sum(lines.price)", values) == Decimal("12.5")
    assert evaluate("count(lines)", values) == Decimal(3)
    assert evaluate("count(lines.qty)", values) == Decimal(2)
    assert evaluate("sum(lines.price)", {"lines": []}) == Decimal(0)
    assert evaluate("customer.owner.name", {}) is None


def test_context_functions(evaluate: Evaluate) -> None:
    assert evaluate("me()") == "rep_east_1"
    assert evaluate("has_role('sales_rep')") is True
    assert evaluate("has_role('finance')") is False
    assert evaluate("now()").isoformat() == "2024-05-17T10:30:00+08:00"


def test_conditions_map_null_to_false(
    check: Callable[..., CheckedExpr], context: EvalContext
) -> None:
    checked = check("amount > 5")
    condition = compile_condition(checked)
    assert condition(MappingEnv({"amount": 6}, context)) is True
    assert condition(MappingEnv({"amount": None}, context)) is False
    evaluate = compile_python(checked)
    assert evaluate_condition(evaluate, MappingEnv({"amount": None}, context)) is False


def test_compiling_an_expression_with_problems_raises(check: Callable[..., CheckedExpr]) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_python(check("amout > 5"))
    assert caught.value.problems[0].code == "X103"
    assert "amout" in str(caught.value)


def test_context_requires_an_aware_clock() -> None:
    from zoneinfo import ZoneInfo

    with pytest.raises(ValueError, match="aware"):
        EvalContext(datetime(2024, 1, 1), ZoneInfo("UTC"))
