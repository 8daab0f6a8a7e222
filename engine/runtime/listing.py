"""Listing records: the filter (an expression, compiled to SQL), the sort, and keyset
pagination with an opaque cursor.

Rows are ordered by the sort keys, NULLs last in either direction, then by `id`, so the
order is total and stable; the next page starts after the last row's keys
(`(k1, …, id) > (v1, …, last id)` in that order) — never OFFSET, so page 1,000 costs what
page 1 does. A cursor is base64 of JSON holding the sort it was made for and the last
row's keys; it is refused (BadRequest) with any other sort.

Whole-number literals (from a filter or a cursor) are bound as 64-bit integers when they do
not fit 32 bits: PostgreSQL's `id`, link and team columns are int4, and a literal bound with
the column's type would be cast to int4 and overflow (a 500) instead of simply comparing.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from engine.errors import BadRequest
from engine.expr import CheckedExpr, line_col
from engine.storage.field_storage import FieldStorage
from engine.storage.shapes import ShapeKind
from engine.storage.tables import EntityTables

__all__ = [
    "MAX_LIMIT",
    "SYSTEM_SORT_KEYS",
    "SortKey",
    "decode_cursor",
    "encode_cursor",
    "expression_problems",
    "keyset_after",
    "keyset_floor",
    "null_tail",
    "order_by",
    "parse_sort",
    "wide_integers",
]

MAX_LIMIT = 500
INT32 = 2**31
INT64 = 2**63
SYSTEM_SORT_KEYS: Mapping[str, str] = {
    "id": "integer",
    "version": "integer",
    "created_at": "datetime",
    "updated_at": "datetime",
    "created_by": "text",
    "updated_by": "text",
}
_KIND_NAMES: Mapping[ShapeKind, str] = {
    ShapeKind.MONEY: "decimal",
    ShapeKind.DECIMAL: "decimal",
    ShapeKind.INTEGER: "integer",
    ShapeKind.TEAM: "integer",
    ShapeKind.LINK: "integer",
    ShapeKind.DATE: "date",
    ShapeKind.DATETIME: "datetime",
    ShapeKind.BOOLEAN: "boolean",
}


@dataclass(frozen=True)
class SortKey:
    """One sort key: a column and its direction, and how its cursor value is read back."""

    field: str
    descending: bool
    kind: str

    @property
    def text(self) -> str:
        """As written: `-amount` for descending."""
        return f"-{self.field}" if self.descending else self.field


def parse_sort(
    tables: EntityTables, sort: Sequence[str], readable: Mapping[str, bool]
) -> tuple[SortKey, ...]:
    """Sort keys from `["-amount", "name"]`; BadRequest for keys that are not sortable."""
    keys = []
    for written in sort:
        descending = written.startswith("-")
        name = written[1:] if descending else written.lstrip("+")
        kind = SYSTEM_SORT_KEYS.get(name) or _field_kind(tables.fields.get(name))
        if kind is None or not readable.get(name, name in SYSTEM_SORT_KEYS):
            choices = sorted(set(SYSTEM_SORT_KEYS) | {n for n, ok in readable.items() if ok})
            raise BadRequest(
                f"cannot sort by '{name}': sort by a field stored in the record's own row "
                f"({', '.join(choices)}), with '-' for descending"
            )
        keys.append(SortKey(name, descending, kind))
        if name == "id":
            break  # ids are unique: keys after `id` could never matter
    return tuple(keys)


def _field_kind(stored: FieldStorage | None) -> str | None:
    if stored is None or not stored.has_column:
        return None
    return _KIND_NAMES.get(stored.shape.kind, "text")


def order_by(table: sa.FromClause, keys: Sequence[SortKey]) -> list[Any]:
    """ORDER BY terms: the keys (NULLs last), then `id` unless a key is `id` already."""
    terms: list[Any] = []
    for key in keys:
        column = table.c[key.field]
        terms.append((column.desc() if key.descending else column.asc()).nulls_last())
    if not any(key.field == "id" for key in keys):
        terms.append(table.c.id.asc())
    return terms


def keyset_after(
    table: sa.FromClause, keys: Sequence[SortKey], values: Sequence[Any], last_id: int
) -> ColumnElement[bool]:
    """Rows strictly after the row whose keys are `values` and id `last_id`."""
    parts: list[tuple[ColumnElement[bool], ColumnElement[bool]]] = []
    for key, value in zip(keys, values, strict=True):
        column = table.c[key.field]
        if value is None:
            parts.append((sa.false(), column.is_(None)))
            continue
        beyond = column < value if key.descending else column > value
        parts.append((sa.or_(beyond, column.is_(None)), column == value))
    if not any(key.field == "id" for key in keys):
        parts.append((table.c.id > last_id, table.c.id == last_id))
    alternatives = []
    for index, (after, _) in enumerate(parts):
        equal_before = [equal for _, equal in parts[:index]]
        alternatives.append(sa.and_(*equal_before, after))
    return sa.or_(*alternatives)


def keyset_floor(
    table: sa.FromClause, keys: Sequence[SortKey], values: Sequence[Any], last_id: int
) -> ColumnElement[bool] | None:
    """A range on the first key that the rows after the cursor's non-NULL first key meet,
    so the database seeks its index instead of scanning from the start: `(k1, id) >
    (v, last id)` for one ascending key (exact, ties included), else `k1 >= v` (`<=`
    descending). None when the first key is NULL or `id`. It leaves out the rows whose first
    key is NULL (they sort last): `null_tail` lists those."""
    if not keys or values[0] is None or keys[0].field == "id":
        return None
    column = table.c[keys[0].field]
    if len(keys) == 1 and not keys[0].descending:
        return sa.tuple_(column, table.c.id) > (values[0], last_id)
    bound = column <= values[0] if keys[0].descending else column >= values[0]
    return cast(ColumnElement[bool], bound)


def null_tail(table: sa.FromClause, keys: Sequence[SortKey]) -> ColumnElement[bool] | None:
    """The rows left out by `keyset_floor`: first key NULL; None when it cannot be NULL."""
    column = table.c[keys[0].field]
    return column.is_(None) if getattr(column, "nullable", True) else None


def encode_cursor(keys: Sequence[SortKey], values: Sequence[Any], last_id: int) -> str:
    """The opaque cursor after a row."""
    data = {"s": [k.text for k in keys], "v": [_plain(v) for v in values], "i": last_id}
    raw = json.dumps(data, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> tuple[list[Any], int]:
    """The keys and id a cursor holds; BadRequest when it is malformed or made for
    another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        written = [str(s) for s in data["s"]]
        values = list(data["v"])
        last_id = _bounded(data["i"])
    except (binascii.Error, ValueError, KeyError, TypeError) as error:
        raise BadRequest("the cursor is not valid: ask for the first page again") from error
    if written != [k.text for k in keys] or len(values) != len(keys):
        raise BadRequest("the cursor was made for another sort: ask for the first page again")
    try:
        return [_read(k.kind, v) for k, v in zip(keys, values, strict=True)], last_id
    except (ValueError, TypeError, InvalidOperation) as error:
        raise BadRequest("the cursor is not valid: ask for the first page again") from error


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _read(kind: str, value: Any) -> Any:
    if value is None:
        return None
    readers: Mapping[str, Any] = {
        "decimal": lambda v: Decimal(str(v)),
        "integer": _bounded,
        "date": date.fromisoformat,
        "datetime": datetime.fromisoformat,
        "boolean": bool,
    }
    reader = readers.get(kind, str)
    return reader(value)


def _bounded(value: Any) -> int:
    """A whole number a 64-bit column can hold (a forged cursor may hold any other)."""
    number = int(value)
    if not -INT64 <= number < INT64:
        raise ValueError(f"{number} does not fit 64 bits")
    return number


def wide_integers(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    """The clause with its integer literals beyond 32 bits bound as BIGINT (see above)."""

    def widen(element: visitors.ExternallyTraversible) -> sa.ClauseElement | None:
        if not isinstance(element, BindParameter) or not isinstance(element.type, sa.Integer):
            return None
        value = element.value
        if isinstance(value, bool) or not isinstance(value, int) or -INT32 <= value < INT32:
            return None
        return sa.literal(value, sa.BigInteger)

    widened = visitors.replacement_traverse(clause, {}, widen)  # type: ignore[call-overload]
    return cast(ColumnElement[bool], widened)


def expression_problems(checked: CheckedExpr) -> str:
    """The problems of a filter as one message: `X103 at 1:5: unknown field …`."""
    lines = []
    for problem in checked.problems:
        line, column = line_col(checked.text, problem.offset)
        hint = f" ({problem.hint})" if problem.hint else ""
        lines.append(f"{problem.code} at {line + 1}:{column + 1}: {problem.message}{hint}")
    return "; ".join(lines)
