"""Field values at the edge: `parse_input` turns what forms and API clients send (strings,
JSON numbers, lists) into the typed Python values the service works with, and `to_json`
turns typed values back into JSON-safe ones.

Typed values: `Decimal` for number, percent (a ratio) and money (in major units, yuan),
`int` for integers, links (record ids) and teams (team ids), `str` for text-like fields and
users (usernames), `date`, aware `datetime`, `bool`, a list of strings for multi_select, a
list of row dicts for a subform, a list of file ids (input) or file dicts (output) for an
attachment. A value that cannot be read raises `InvalidInput` with a message that names the
expected form; nothing is rounded or cut silently.

Record, team and file ids are bounded to 1 … `MAX_ID` here, at the edge: id columns are
32-bit on PostgreSQL (int4) and 64-bit on SQLite, and a larger id must read as "there is no
such record" (a field error) rather than reach the database as an overflow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.runtime.messages import Message
from engine.spec.model import FieldSpec
from engine.storage.currency import minor_digits

__all__ = ["MAX_ID", "InputContext", "InvalidInput", "is_blank", "parse_input", "to_json"]

MAX_ID = 2**31 - 1  # the largest id an int4 column (PostgreSQL) holds

NUMBER_DIGITS = 18
PERCENT_PLACES = 6
_NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# Thousands separators are accepted only where they belong: "1,234,567.89", never "1,5".
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_TEXT_TYPES = frozenset({"text", "long_text", "email", "phone", "url", "select", "state"})
_LIST_TYPES = frozenset({"multi_select", "attachment", "subform"})


class InvalidInput(ValueError):
    """A raw value that does not read as the field's type; carries the message to show."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.key)
        self.message = message


@dataclass(frozen=True)
class InputContext:
    """What reading values needs beyond the field: the app's time zone (for date-times sent
    without an offset) and currency (for money fields that name none)."""

    timezone: tzinfo = UTC
    currency: str | None = None


def is_blank(value: Any) -> bool:
    """True for None, empty or all-space text, and empty lists: "no value"."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return not value
    return False


_COMPUTED_TYPES = frozenset({"formula", "rollup"})


def parse_input(field: FieldSpec, raw: Any, context: InputContext | None = None) -> Any:
    """`raw` as the typed value of `field` (None for blank); InvalidInput when it is not
    one. Subform rows are read field by field by the caller (`engine.runtime.inputs`)."""
    ctx = context or InputContext()
    if is_blank(raw):
        return [] if field.type in _LIST_TYPES else None
    if field.type in _COMPUTED_TYPES:
        # a formula or roll-up value (sent back unchanged, or the roll-up maintainer's):
        # read as its `result` type
        result = _READERS.get(field.result_type or "")
        return result(field, raw, ctx) if result is not None else raw
    reader = _READERS.get(field.type)
    if reader is None:
        return _text(field, raw, ctx)
    return reader(field, raw, ctx)


def _text(field: FieldSpec, raw: Any, _: InputContext) -> Any:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise InvalidInput(Message("expected_text"))
    text = str(raw)
    # Paragraphs keep their layout; one-line values lose stray outer spaces.
    return text if field.type == "long_text" else text.strip()


def _decimal(raw: Any) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, Decimal):
        number = raw
    elif isinstance(raw, int):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(repr(raw))
    elif isinstance(raw, str):
        cleaned = raw.strip()
        if "," in cleaned:
            if not _GROUPED.match(cleaned):
                return None
            cleaned = cleaned.replace(",", "")
        if not _NUMBER_TEXT.match(cleaned):
            return None
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def _places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _fits(number: Decimal, places: int) -> Decimal:
    if _places(number) > places:
        raise InvalidInput(Message("too_many_places", {"digits": places}))
    if abs(number) >= Decimal(10) ** (NUMBER_DIGITS - places):
        raise InvalidInput(Message("too_large"))
    return number


def _number(field: FieldSpec, raw: Any, _: InputContext) -> Decimal:
    number = _decimal(raw)
    if number is None:
        raise InvalidInput(Message("expected_number"))
    precision = field.option("precision", 2)
    return _fits(number, precision if isinstance(precision, int) else 2)


def _percent(field: FieldSpec, raw: Any, _: InputContext) -> Decimal:
    text = raw.strip() if isinstance(raw, str) else None
    if text is not None and text.endswith("%"):
        number = _decimal(text[:-1])
        number = number / 100 if number is not None else None
    else:
        number = _decimal(raw)
    if number is None:
        raise InvalidInput(Message("expected_percent"))
    return _fits(number, PERCENT_PLACES)


def _integer(field: FieldSpec, raw: Any, _: InputContext) -> int:
    number = _decimal(raw)
    if number is None or number != number.to_integral_value():
        raise InvalidInput(Message("expected_integer"))
    if abs(number) >= 2**63:
        raise InvalidInput(Message("too_large"))
    return int(number)


def _money(field: FieldSpec, raw: Any, ctx: InputContext) -> Decimal:
    currency = field.option("currency") or ctx.currency
    digits = minor_digits(currency)
    number = _decimal(raw)
    if number is None:
        example = "1234" if digits == 0 else "1234." + "5".ljust(digits, "0")
        params = {"currency": currency or "", "digits": digits, "example": example}
        raise InvalidInput(Message("expected_money", params))
    return _fits(number, digits)


def _date(field: FieldSpec, raw: Any, _: InputContext) -> date:
    if isinstance(raw, datetime):
        raise InvalidInput(Message("expected_date"))
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and len(raw.strip()) == 10:
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise InvalidInput(Message("expected_date"))


def _datetime(field: FieldSpec, raw: Any, ctx: InputContext) -> datetime:
    moment: datetime | None = raw if isinstance(raw, datetime) else None
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if moment is None:
        raise InvalidInput(Message("expected_datetime"))
    if moment.tzinfo is None or moment.utcoffset() is None:
        # Sent without an offset: a wall-clock time in the app's time zone.
        moment = moment.replace(tzinfo=ctx.timezone)
    return moment.astimezone(UTC)


def _boolean(field: FieldSpec, raw: Any, _: InputContext) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise InvalidInput(Message("expected_boolean"))


def _choices(field: FieldSpec, raw: Any, _: InputContext) -> list[str]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise InvalidInput(Message("expected_list"))
    chosen: list[str] = []
    for item in items:
        if item.strip() and item.strip() not in chosen:
            chosen.append(item.strip())
    return chosen


def _user(field: FieldSpec, raw: Any, _: InputContext) -> str:
    if not isinstance(raw, str):
        raise InvalidInput(Message("expected_user"))
    return raw.strip()


def _key(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, Mapping) and "id" in raw:
        raw = raw["id"]
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None


def _in_range(key: int, missing: Message) -> int:
    """`key` when some row could have it; else the message a missing row gets."""
    if not 1 <= key <= MAX_ID:
        raise InvalidInput(missing)
    return key


def _team(field: FieldSpec, raw: Any, _: InputContext) -> int:
    key = _key(raw)
    if key is None:
        raise InvalidInput(Message("expected_team"))
    return _in_range(key, Message("unknown_team", {"value": key}))


def _link(field: FieldSpec, raw: Any, _: InputContext) -> int:
    entity = field.link_target or ""
    key = _key(raw)
    if key is None:
        raise InvalidInput(Message("expected_link", {"entity": entity}))
    return _in_range(key, Message("unknown_link", {"entity": entity, "value": key}))


def _files(field: FieldSpec, raw: Any, _: InputContext) -> list[int]:
    items = raw if isinstance(raw, list | tuple) else [raw]
    keys = [_key(item) for item in items]
    if any(key is None for key in keys):
        raise InvalidInput(Message("expected_files"))
    found = [key for key in keys if key is not None]
    for key in found:
        _in_range(key, Message("unknown_file", {"value": key}))
    return list(dict.fromkeys(found))


_READERS = {
    "number": _number,
    "percent": _percent,
    "integer": _integer,
    "money": _money,
    "date": _date,
    "datetime": _datetime,
    "boolean": _boolean,
    "multi_select": _choices,
    "user": _user,
    "team": _team,
    "link": _link,
    "attachment": _files,
    **{name: _text for name in _TEXT_TYPES | {"sequence"}},
}


def to_json(field: FieldSpec | None, value: Any) -> Any:
    """A typed value as JSON: numbers as numbers (exact: a decimal that a float cannot
    carry exactly becomes a string), dates and date-times as ISO 8601, rows as objects."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal):
        return _json_number(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        subfields = field.subfields if field is not None else {}
        return {key: to_json(subfields.get(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(field, item) for item in value]
    return value


def _json_number(value: Decimal) -> int | float | str:
    if value == value.to_integral_value() and abs(value) < 2**63:
        return int(value)
    as_float = float(value)
    if Decimal(repr(as_float)) == value:
        return as_float
    return format(value, "f")
