"""Decision-table cells: each form of unary test parses to its test; a cell that is not one
gets its X code at the exact character, with a hint."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engine.expr import CELL_FORMS, UnaryTest, ValueType, literal_type, parse_unary_test

MONEY, TEXT, DATE = ValueType.MONEY, ValueType.TEXT, ValueType.DATE


@pytest.mark.parametrize(
    ("cell", "input_type", "test"),
    [
        ("-", MONEY, UnaryTest("any")),
        (None, MONEY, UnaryTest("any")),
        ("  - ", MONEY, UnaryTest("any")),
        ("< 5", MONEY, UnaryTest("compare", (Decimal(5),), "<")),
        (">= 1.2", ValueType.PERCENT, UnaryTest("compare", (Decimal("1.2"),), ">=")),
        ("<= -3", ValueType.NUMBER, UnaryTest("compare", (Decimal(-3),), "<=")),
        ("[1 .. 5]", ValueType.INTEGER, UnaryTest("range", (Decimal(1), Decimal(5)))),
        (
            "(1 .. 5]",
            ValueType.INTEGER,
            UnaryTest("range", (Decimal(1), Decimal(5)), low_included=False),
        ),
        (
            "[1..5)",
            ValueType.INTEGER,
            UnaryTest("range", (Decimal(1), Decimal(5)), high_included=False),
        ),
        ("in ['a', 'b']", TEXT, UnaryTest("in", ("a", "b"))),
        ("in [1, 2]", MONEY, UnaryTest("in", (Decimal(1), Decimal(2)))),
        ("A", TEXT, UnaryTest("equal", ("A",))),
        ("'A b'", TEXT, UnaryTest("equal", ("A b",))),
        (7, TEXT, UnaryTest("equal", ("7",))),
        (500000, MONEY, UnaryTest("equal", (Decimal(500000),))),
        (True, ValueType.BOOLEAN, UnaryTest("equal", (True,))),
        ("true", ValueType.BOOLEAN, UnaryTest("equal", (True,))),
        (">= 2026-03-01", DATE, UnaryTest("compare", (date(2026, 3, 1),), ">=")),
        ("< '2026-03-01'", DATE, UnaryTest("compare", (date(2026, 3, 1),), "<")),
    ],
)
def test_every_form_of_the_language(cell: object, input_type: ValueType, test: UnaryTest) -> None:
    assert parse_unary_test(cell, input_type) == (test, ())


@pytest.mark.parametrize(
    ("cell", "input_type", "code", "span", "message"),
    [
        (">== 1.5", ValueType.PERCENT, "X101", (2, 7), "after '>=', '= 1.5' is not a value"),
        (">=", MONEY, "X101", (0, 2), "'>=' needs a value after it"),
        ("abc", MONEY, "X101", (0, 3), "'abc' is not a value"),
        ("!= 3", MONEY, "X101", (0, 2), "'!=' is not a unary test"),
        ("[1 .. ", MONEY, "X101", (0, 5), "'[1 ..' is not a range: write [low .. high]"),
        ("in A", TEXT, "X101", (3, 4), "'in' needs a list of values: in ['a', 'b']"),
        ("", MONEY, "X101", (0, 0), "the cell is empty"),
        ("'5'", MONEY, "X106", (0, 3), "the input is money, but this value is text"),
        ("in ['a', 2]", TEXT, "X106", (9, 10), "the input is text, but this value is an integer"),
        ("> true", MONEY, "X106", (2, 6), "the input is money, but this value is true/false"),
        (5, DATE, "X106", (0, 0), "the input is a date, but this value is an integer"),
        (
            "< 2026-02-30",
            DATE,
            "X110",
            (2, 12),
            "'2026-02-30' is not a real date: February 2026 has 28 days",
        ),
    ],
)
def test_a_cell_that_is_not_a_test_says_why_and_where(
    cell: object, input_type: ValueType, code: str, span: tuple[int, int], message: str
) -> None:
    test, (problem,) = parse_unary_test(cell, input_type)
    assert test is None
    assert (problem.code, (problem.offset, problem.end), problem.message) == (code, span, message)


def test_hints_say_what_to_write() -> None:
    assert parse_unary_test("abc", MONEY)[1][0].hint == CELL_FORMS
    assert parse_unary_test("'5'", MONEY)[1][0].hint == "write the number without quotes"
    assert parse_unary_test("< a b", TEXT)[1][0].hint == "write a text in quotes: 'a b'"


@pytest.mark.parametrize(
    ("cell", "empty"),
    [("[5 .. 1]", True), ("(3 .. 3]", True), ("[3 .. 3]", False), ("[1 .. 5]", False)],
)
def test_a_range_that_matches_nothing_is_empty(cell: str, empty: bool) -> None:
    test, problems = parse_unary_test(cell, ValueType.NUMBER)
    assert problems == () and test is not None and test.empty is empty


@pytest.mark.parametrize(
    ("value", "expected", "found"),
    [
        (5, ValueType.MONEY, ValueType.INTEGER),
        (0.05, ValueType.PERCENT, ValueType.NUMBER),
        (5, ValueType.TEXT, ValueType.TEXT),
        ("2026-03-01", ValueType.DATE, ValueType.DATE),
        ("2026-02-30", ValueType.DATE, ValueType.TEXT),
        ("yes", ValueType.BOOLEAN, ValueType.TEXT),
        (None, ValueType.MONEY, ValueType.NULL),
    ],
)
def test_the_type_of_a_literal(value: object, expected: ValueType, found: ValueType) -> None:
    assert literal_type(value, expected) == found
