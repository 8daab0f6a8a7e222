"""How dashboard figures read: money with the app's currency symbol and no cents (¥1,234),
percentages to one decimal (85.3%), counts grouped (1,204), and big numbers shortened where
room is short — chart axes, pie totals, figures of ten million and more — in the reader's
language (¥12.3M in English, ¥1,234.6万 in Chinese, where people count in 万 and 亿).

Aggregates arrive exact (`Decimal` or `int`, percents as fractions: see
engine/runtime/dashboard_results.py); rounding happens only here, for display. Pure: no
Flask, so the chart renderer and its tests use it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = ["NumberFormat", "to_decimal"]

# (threshold, divisor, suffix), largest first.
_SHORT_UNITS: dict[str, tuple[tuple[Decimal, Decimal, str], ...]] = {
    "zh": (
        (Decimal(100_000_000), Decimal(100_000_000), "亿"),
        (Decimal(10_000), Decimal(10_000), "万"),
    ),
    "en": (
        (Decimal(1_000_000_000), Decimal(1_000_000_000), "B"),
        (Decimal(1_000_000), Decimal(1_000_000), "M"),
        (Decimal(1_000), Decimal(1_000), "K"),
    ),
}
CARD_SHORT_FROM = Decimal(10_000_000)
"""Number cards and leaderboards show values from ten million on shortened (the exact
figure as a tooltip): below that the exact figure fits a quarter of the page."""


def to_decimal(value: Any) -> Decimal | None:
    """An aggregate as a `Decimal` (None for no value or something that is not a number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class NumberFormat:
    """Formats the figures of one dashboard for one reader."""

    locale: str
    currency: str = "¥"
    """The currency symbol (or code and a space) money is shown with."""

    def full(self, value: Any, value_type: str | None) -> str:
        """The exact figure as people read it (`—` for no value)."""
        number = to_decimal(value)
        if number is None:
            return "—"
        if value_type == "percent":
            return f"{_fixed(number * 100, 1)}%"
        if value_type == "money":
            return _signed(number, f"{self.currency}{_fixed(abs(number), 0)}")
        if value_type == "integer":
            return _fixed(number, 0)
        return _trimmed(number, 2)

    def short(self, value: Any, value_type: str | None) -> str:
        """The figure shortened to a unit (K/M/B, 万/亿) when it is large; as `full`
        otherwise. Percentages keep their decimal only when it says something (20%, 12.5%)."""
        number = to_decimal(value)
        if number is None:
            return "—"
        if value_type == "percent":
            return f"{_trimmed(number * 100, 1)}%"
        prefix = self.currency if value_type == "money" else ""
        units = _SHORT_UNITS["zh" if self.locale.startswith("zh") else "en"]
        for threshold, divisor, suffix in units:
            if abs(number) >= threshold:
                shortened = _trimmed(abs(number) / divisor, 1)
                return _signed(number, f"{prefix}{shortened}{suffix}")
        return self.full(number, value_type)

    def card(self, value: Any, value_type: str | None) -> str:
        """A number card's big figure: exact below ten million, shortened from there."""
        number = to_decimal(value)
        if number is not None and value_type != "percent" and abs(number) >= CARD_SHORT_FROM:
            return self.short(number, value_type)
        return self.full(value, value_type)


def _signed(number: Decimal, text: str) -> str:
    """`text` (the figure without its sign) with a minus when the number is below zero
    and does not round to nothing."""
    return f"-{text}" if number < 0 and any(c in "123456789" for c in text) else text


def _fixed(number: Decimal, places: int) -> str:
    """Grouped, rounded half up to `places` decimals (1,234.5)."""
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded + 0:,.{places}f}"  # + 0 turns -0.0 into 0.0


def _trimmed(number: Decimal, places: int) -> str:
    """Grouped, at most `places` decimals, without trailing zeros (1.5, 2, 1,234.25)."""
    text = _fixed(number, places)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
