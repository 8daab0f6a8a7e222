"""Value types: what accepts what, and how types mix."""

from __future__ import annotations

import pytest

from engine.expr import ValueType
from engine.expr.types import common_type, value_phrase

V = ValueType


@pytest.mark.parametrize(
    ("expected", "given", "ok"),
    [
        (V.NUMBER, V.MONEY, True),
        (V.MONEY, V.INTEGER, True),
        (V.BOOLEAN, V.NULL, True),
        (V.TEXT, V.ANY, True),
        (V.DATE, V.DATETIME, True),
        (V.DATETIME, V.DATE, False),
        (V.TEXT, V.NUMBER, False),
        (V.record("a"), V.record("b"), False),
        (V.list_of(V.NUMBER), V.list_of(V.MONEY), True),
    ],
)
def test_accepts(expected: ValueType, given: ValueType, ok: bool) -> None:
    assert expected.accepts(given) is ok


@pytest.mark.parametrize(
    ("types", "result"),
    [
        ([V.INTEGER, V.INTEGER], V.INTEGER),
        ([V.INTEGER, V.MONEY], V.MONEY),
        ([V.INTEGER, V.PERCENT], V.NUMBER),
        ([V.NULL, V.TEXT], V.TEXT),
        ([V.NULL, V.NULL], V.NULL),
        ([V.ANY, V.NULL], V.ANY),
        ([V.DATE, V.DATETIME], None),
        ([V.TEXT, V.NUMBER], None),
    ],
)
def test_common_type(types: list[ValueType], result: ValueType | None) -> None:
    assert common_type(types) == result


def test_readable_names() -> None:
    assert str(V.record("customer")) == "link to customer"
    assert str(V.list_of(V.MONEY)) == "list of money"
    assert str(V.BOOLEAN) == "true/false"
    assert str(V.NULL) == "None"


@pytest.mark.parametrize(
    ("value_type", "phrase"),
    [
        (ValueType.TEXT, "text"),
        (ValueType.MONEY, "money"),
        (ValueType.NUMBER, "a number"),
        (ValueType.INTEGER, "an integer"),
        (ValueType.PERCENT, "a percentage"),
        (ValueType.USER, "a user"),
        (ValueType.DATE, "a date"),
        (ValueType.record("customer"), "a link to customer"),
        (ValueType.list_of(ValueType.MONEY), "a list of money"),
    ],
)
def test_types_are_named_as_a_sentence_says_them(value_type: ValueType, phrase: str) -> None:
    assert value_phrase(value_type) == phrase
