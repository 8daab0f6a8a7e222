"""Currencies: how many minor units (decimal places) an amount of each one has.

Money is stored as an integer count of minor units, so the minor unit is part of the
column's meaning: fen for CNY (2 places), cents for USD (2), none for JPY (0), fils for
KWD (3). The table lists the ISO 4217 currencies whose exponent is not 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["DEFAULT_MINOR_DIGITS", "minor_digits"]

DEFAULT_MINOR_DIGITS = 2
"""Most currencies, and an app that names none, count hundredths."""

_ZERO: tuple[str, ...] = (
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "ISK",
    "JPY",
    "KMF",
    "KRW",
    "PYG",
    "RWF",
    "UGX",
    "UYI",
)
_ZERO += ("VND", "VUV", "XAF", "XOF", "XPF")
_THREE = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")
_FOUR = ("CLF", "UYW")

_EXPONENTS: Mapping[str, int] = MappingProxyType(
    {**dict.fromkeys(_ZERO, 0), **dict.fromkeys(_THREE, 3), **dict.fromkeys(_FOUR, 4)}
)


def minor_digits(currency: str | None) -> int:
    """Decimal places of `currency` (ISO 4217 code); 2 when unknown or not given."""
    if currency is None:
        return DEFAULT_MINOR_DIGITS
    return _EXPONENTS.get(currency.upper(), DEFAULT_MINOR_DIGITS)
