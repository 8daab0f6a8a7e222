"""How dashboard figures read (engine/web/ui/number_format.py): exact figures, short ones
with K/M/B or 万/亿, number cards, signs and rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.web.ui.number_format import NumberFormat, to_decimal

EN, ZH = NumberFormat("en", "¥"), NumberFormat("zh", "¥")


@pytest.mark.parametrize(
    ("value", "value_type", "expected"),
    [
        (Decimal("1234.5"), "money", "¥1,235"),  # no cents, half up
        (Decimal("1234.49"), "money", "¥1,234"),
        (Decimal("-1234.5"), "money", "-¥1,235"),
        (Decimal("-0.4"), "money", "¥0"),  # no minus on nothing
        (Decimal("0.8534"), "percent", "85.3%"),
        (Decimal("1.2"), "percent", "120.0%"),
        (Decimal("-0.00001"), "percent", "0.0%"),
        (1204, "integer", "1,204"),
        (Decimal("1234.50"), "number", "1,234.5"),
        (Decimal("7"), "number", "7"),
        (None, "money", "—"),
        ("not a number", "money", "—"),
    ],
)
def test_full_figures(value: object, value_type: str, expected: str) -> None:
    assert EN.full(value, value_type) == expected
    assert ZH.full(value, value_type) == expected  # exact figures read the same


@pytest.mark.parametrize(
    ("value", "value_type", "english", "chinese"),
    [
        (Decimal(999), "money", "¥999", "¥999"),
        (Decimal(1500), "money", "¥1.5K", "¥1,500"),
        (Decimal(12345), "money", "¥12.3K", "¥1.2万"),
        (Decimal(12345678), "money", "¥12.3M", "¥1,234.6万"),
        (Decimal(-2500000), "money", "-¥2.5M", "-¥250万"),
        (Decimal(123456789012), "money", "¥123.5B", "¥1,234.6亿"),
        (Decimal(2000000), "integer", "2M", "200万"),
        (Decimal("0.25"), "percent", "25%", "25%"),
        (Decimal("0.125"), "percent", "12.5%", "12.5%"),
    ],
)
def test_short_figures(value: Decimal, value_type: str, english: str, chinese: str) -> None:
    assert EN.short(value, value_type) == english
    assert ZH.short(value, value_type) == chinese


def test_number_cards_shorten_from_ten_million() -> None:
    assert EN.card(Decimal(9999999), "money") == "¥9,999,999"
    assert EN.card(Decimal(12500000), "money") == "¥12.5M"
    assert ZH.card(Decimal(12500000), "money") == "¥1,250万"
    assert EN.card(Decimal("12.5"), "percent") == "1,250.0%"  # percents stay exact
    assert EN.card(None, "money") == "—"


def test_the_currency_is_the_apps() -> None:
    assert NumberFormat("en", "$").full(Decimal(5), "money") == "$5"
    assert NumberFormat("en", "CHF ").short(Decimal(5000), "money") == "CHF 5K"


def test_to_decimal_reads_numbers_only() -> None:
    assert to_decimal(3) == Decimal(3) and to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(True) is None and to_decimal(None) is None and to_decimal("x") is None
