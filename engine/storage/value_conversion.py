"""Converting stored values when a field changes shape (text → integer, money in CNY → JPY …).

A value converts only when the new shape holds exactly the same information: `"42"` becomes
42 but `"42.5"` does not become an integer; 12.34 yuan does not become yen; text longer than
the new length is not cut. What does not convert stays in the column the migration set aside.
Users and teams convert only when they exist (they are foreign keys).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.storage.shapes import Shape, ShapeKind

__all__ = ["NOT_CONVERTIBLE", "KnownKeys", "convert_value"]


class _NotConvertible:
    def __repr__(self) -> str:
        return "NOT_CONVERTIBLE"


NOT_CONVERTIBLE: Any = _NotConvertible()
"""Returned by :func:`convert_value` for a value the new shape cannot hold."""


@dataclass(frozen=True)
class KnownKeys:
    """Usernames and team ids that exist (users and teams are foreign keys)."""

    usernames: Collection[str] = field(default_factory=frozenset)
    team_ids: Collection[int] = field(default_factory=frozenset)


def convert_value(value: Any, new: Shape, known: KnownKeys) -> Any:
    """`value` as the Python value of shape `new`, or NOT_CONVERTIBLE."""
    if value is None:
        return None
    converter = _CONVERTERS.get(new.kind)
    if converter is None:
        return NOT_CONVERTIBLE
    try:
        return converter(value, new, known)
    except (ValueError, TypeError, InvalidOperation, OverflowError):
        return NOT_CONVERTIBLE


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _to_string(value: Any, new: Shape, _: KnownKeys) -> Any:
    text = _text(value)
    return text if new.size is None or len(text) <= new.size else NOT_CONVERTIBLE


def _to_text(value: Any, _: Shape, __: KnownKeys) -> Any:
    return _text(value)


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("a yes/no value is not a number")
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, str):
        return Decimal(value.strip())
    raise TypeError(f"{type(value).__name__} is not a number")


def _to_integer(value: Any, _: Shape, __: KnownKeys) -> Any:
    number = _number(value)
    if number != number.to_integral_value():
        return NOT_CONVERTIBLE
    return int(number)


def _to_decimal(value: Any, new: Shape, _: KnownKeys) -> Any:
    number = _number(value)
    scale = new.scale or 0
    exact = number.quantize(Decimal(1).scaleb(-scale))
    if exact != number or len(exact.as_tuple().digits) > (new.size or 18):
        return NOT_CONVERTIBLE
    return exact


def _to_money(value: Any, new: Shape, _: KnownKeys) -> Any:
    number = _number(value)
    minor = number.scaleb(new.scale or 0)
    if minor != minor.to_integral_value() or abs(minor) >= 2**63:
        return NOT_CONVERTIBLE
    return number


def _to_date(value: Any, _: Shape, __: KnownKeys) -> Any:
    if isinstance(value, datetime):
        return NOT_CONVERTIBLE
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def _to_datetime(value: Any, _: Shape, __: KnownKeys) -> Any:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.strip())
    else:
        return NOT_CONVERTIBLE
    return moment if moment.utcoffset() is not None else NOT_CONVERTIBLE


def _to_boolean(value: Any, _: Shape, __: KnownKeys) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    words = {"true": True, "false": False}
    return words.get(str(value).strip().lower(), NOT_CONVERTIBLE)


def _to_user(value: Any, _: Shape, known: KnownKeys) -> Any:
    name = str(value)
    return name if name in known.usernames else NOT_CONVERTIBLE


def _to_team(value: Any, _: Shape, known: KnownKeys) -> Any:
    team = _to_integer(value, Shape(ShapeKind.INTEGER), known)
    return team if team in known.team_ids else NOT_CONVERTIBLE


_CONVERTERS: dict[ShapeKind, Callable[[Any, Shape, KnownKeys], Any]] = {
    ShapeKind.STRING: _to_string,
    ShapeKind.TEXT: _to_text,
    ShapeKind.INTEGER: _to_integer,
    ShapeKind.DECIMAL: _to_decimal,
    ShapeKind.MONEY: _to_money,
    ShapeKind.DATE: _to_date,
    ShapeKind.DATETIME: _to_datetime,
    ShapeKind.BOOLEAN: _to_boolean,
    ShapeKind.USER: _to_user,
    ShapeKind.TEAM: _to_team,
}
