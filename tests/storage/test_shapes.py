"""Shapes: their text form, their words, and what a change of shape does to values."""

from __future__ import annotations

import pytest

from engine.storage.shapes import Change, Shape, ShapeKind, compare_shapes

STRING_50 = Shape(ShapeKind.STRING, size=50)


@pytest.mark.parametrize(
    "text",
    ["string:200", "text", "integer", "decimal:18:2", "money:0", "link:deal", "user", "choices"],
)
def test_shapes_round_trip_through_text(text: str) -> None:
    assert str(Shape.parse(text)) == text


def test_unknown_text_is_other() -> None:
    assert Shape.parse("blob:9").kind is ShapeKind.OTHER


def test_shapes_in_words() -> None:
    assert STRING_50.describe() == "text of up to 50 characters"
    assert Shape(ShapeKind.MONEY, scale=0).describe() == "money with 0 decimal places"
    assert Shape(ShapeKind.LINK, target="deal").describe() == "link to deal"
    assert Shape(ShapeKind.INTEGER, coarse=True).describe() == "a INTEGER column"
    assert Shape(ShapeKind.DECIMAL, size=9, scale=3, coarse=True).describe() == (
        "a NUMERIC(9, 3) column"
    )


@pytest.mark.parametrize(
    ("old", "new", "change"),
    [
        (STRING_50, Shape(ShapeKind.STRING, size=80), Change.WIDEN),
        (STRING_50, Shape(ShapeKind.TEXT), Change.WIDEN),
        (STRING_50, Shape(ShapeKind.STRING, size=10), Change.CHANGE),
        (Shape(ShapeKind.TEXT), STRING_50, Change.CHANGE),
        (Shape(ShapeKind.MONEY, scale=2), Shape(ShapeKind.INTEGER), Change.CHANGE),
        (Shape(ShapeKind.MONEY, scale=2), Shape(ShapeKind.MONEY, scale=0), Change.CHANGE),
        (Shape(ShapeKind.DATE), Shape(ShapeKind.DATE), Change.SAME),
        (Shape(ShapeKind.LINK, target="a"), Shape(ShapeKind.LINK, target="b"), Change.CHANGE),
    ],
)
def test_known_shapes_compare_exactly(old: Shape, new: Shape, change: Change) -> None:
    assert compare_shapes(old, new) is change


def test_a_link_to_a_renamed_entity_is_the_same_link() -> None:
    old = Shape(ShapeKind.LINK, target="agreement")
    new = Shape(ShapeKind.LINK, target="contract")
    assert compare_shapes(old, new, {"agreement": "contract"}) is Change.SAME


@pytest.mark.parametrize(
    ("old", "new", "change"),
    [
        (Shape(ShapeKind.INTEGER, coarse=True), Shape(ShapeKind.MONEY, scale=2), Change.SAME),
        (Shape(ShapeKind.INTEGER, coarse=True), Shape(ShapeKind.TEXT), Change.CHANGE),
        (Shape(ShapeKind.STRING, size=64, coarse=True), Shape(ShapeKind.USER), Change.SAME),
        (Shape(ShapeKind.STRING, size=20, coarse=True), STRING_50, Change.WIDEN),
        (Shape(ShapeKind.STRING, size=20, coarse=True), Shape(ShapeKind.TEXT), Change.WIDEN),
        (Shape(ShapeKind.STRING, size=90, coarse=True), STRING_50, Change.CHANGE),
        (
            Shape(ShapeKind.DECIMAL, size=18, scale=2, coarse=True),
            Shape(ShapeKind.DECIMAL, size=18, scale=4),
            Change.CHANGE,
        ),
    ],
)
def test_reflected_shapes_compare_by_family(old: Shape, new: Shape, change: Change) -> None:
    assert compare_shapes(old, new) is change
