"""Values convert to a new shape only when nothing is lost."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from engine.storage.shapes import Shape, ShapeKind
from engine.storage.value_conversion import NOT_CONVERTIBLE, KnownKeys, convert_value

KNOWN = KnownKeys(usernames={"ann"}, team_ids={3})
NO = NOT_CONVERTIBLE


@pytest.mark.parametrize(
    ("value", "shape", "expected"),
    [
        (None, Shape(ShapeKind.INTEGER), None),
        ("42", Shape(ShapeKind.INTEGER), 42),
        (" 42 ", Shape(ShapeKind.INTEGER), 42),
        ("42.5", Shape(ShapeKind.INTEGER), NO),
        (Decimal("7.00"), Shape(ShapeKind.INTEGER), 7),
        (True, Shape(ShapeKind.INTEGER), NO),
        ("soon", Shape(ShapeKind.INTEGER), NO),
        (12, Shape(ShapeKind.STRING, size=5), "12"),
        ("toolong", Shape(ShapeKind.STRING, size=5), NO),
        (Decimal("1.50"), Shape(ShapeKind.TEXT), "1.50"),
        (date(2024, 2, 29), Shape(ShapeKind.STRING, size=20), "2024-02-29"),
        (False, Shape(ShapeKind.TEXT), "false"),
        ("1.25", Shape(ShapeKind.DECIMAL, size=18, scale=2), Decimal("1.25")),
        ("1.255", Shape(ShapeKind.DECIMAL, size=18, scale=2), NO),
        (Decimal("123"), Shape(ShapeKind.DECIMAL, size=4, scale=2), NO),
        (Decimal("12.34"), Shape(ShapeKind.MONEY, scale=2), Decimal("12.34")),
        (Decimal("12.34"), Shape(ShapeKind.MONEY, scale=0), NO),
        (5, Shape(ShapeKind.MONEY, scale=0), Decimal(5)),
        ("2024-02-29", Shape(ShapeKind.DATE), date(2024, 2, 29)),
        (datetime(2024, 1, 1, tzinfo=UTC), Shape(ShapeKind.DATE), NO),
        ("2024-01-01T08:00:00+08:00", Shape(ShapeKind.DATETIME), datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01T08:00:00", Shape(ShapeKind.DATETIME), NO),
        (date(2024, 1, 1), Shape(ShapeKind.DATETIME), NO),
        ("TRUE", Shape(ShapeKind.BOOLEAN), True),
        (0, Shape(ShapeKind.BOOLEAN), False),
        ("maybe", Shape(ShapeKind.BOOLEAN), NO),
        ("ann", Shape(ShapeKind.USER), "ann"),
        ("bob", Shape(ShapeKind.USER), NO),
        ("3", Shape(ShapeKind.TEAM), 3),
        (4, Shape(ShapeKind.TEAM), NO),
        (1, Shape(ShapeKind.LINK, target="deal"), NO),
        ("a", Shape(ShapeKind.CHOICES), NO),
    ],
)
def test_convert_value(value: Any, shape: Shape, expected: Any) -> None:
    result = convert_value(value, shape, KNOWN)
    if expected is NO:
        assert result is NO
    else:
        assert (result, type(result)) == (expected, type(expected))
