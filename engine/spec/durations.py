"""Durations as written in app YAML (`30m`, `48h`, `3d`, `2w`, `-1d`), parsed to `timedelta`."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["DURATION_PATTERN", "format_duration", "is_duration", "parse_duration"]

DURATION_PATTERN = r"^[+-]?[0-9]+(m|h|d|w)$"

_DURATION = re.compile(r"^([+-]?)([0-9]+)(m|h|d|w)$")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_UNITS["w"] = timedelta(weeks=1)


def is_duration(text: object) -> bool:
    """True when `text` is a duration string this module can parse."""
    return isinstance(text, str) and _DURATION.match(text.strip()) is not None


def parse_duration(text: str) -> timedelta:
    """Parse `[+-]<digits><m|h|d|w>`; raises ValueError with a readable message otherwise."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(
            f"'{text}' is not a duration (write a whole number and a unit: 30m, 48h, 3d, 2w)"
        )
    sign, amount, unit = match.groups()
    delta = _UNITS[unit] * int(amount)
    return -delta if sign == "-" else delta


def format_duration(delta: timedelta) -> str:
    """The shortest YAML spelling of `delta` (whole minutes); inverse of `parse_duration`."""
    minutes, seconds = divmod(int(delta.total_seconds()), 60)
    if seconds:
        raise ValueError(f"{delta} is not a whole number of minutes")
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    for unit, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60)):
        if minutes and minutes % size == 0:
            return f"{sign}{minutes // size}{unit}"
    return f"{sign}{minutes}m"
