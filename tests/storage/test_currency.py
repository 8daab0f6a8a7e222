"""Minor units per currency."""

from __future__ import annotations

import pytest

from engine.storage.currency import DEFAULT_MINOR_DIGITS, minor_digits


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("CNY", 2), ("USD", 2), ("EUR", 2), ("JPY", 0), ("krw", 0), ("KWD", 3), ("CLF", 4)],
)
def test_minor_digits(currency: str, digits: int) -> None:
    assert minor_digits(currency) == digits


def test_no_currency_counts_hundredths() -> None:
    assert minor_digits(None) == DEFAULT_MINOR_DIGITS == 2
