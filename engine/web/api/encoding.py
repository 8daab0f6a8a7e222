"""JSON in and out of the API, exact for decimals.

Money, percent and number values are `Decimal`s; they leave as JSON number literals written
from the decimal itself (`1234.56`, never a float's approximation and never a string), and
numbers in request bodies are read as `Decimal` so nothing is lost on the way in either.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response, request

from engine.runtime.record import Record, record_stamps
from engine.runtime.values import to_json
from engine.spec.model import EntitySpec, FieldSpec

__all__ = ["dumps", "json_response", "read_json_object", "record_payload"]

MIMETYPE = "application/json"


def dumps(value: Any) -> str:
    """JSON text of plain data in which decimals are written as exact number literals."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, parts: list[str]) -> None:
    # Dispatch on the exact type first (one dict lookup for the common values of a
    # record), then fall back to isinstance for subclasses; the text is what
    # `json.dumps(…, ensure_ascii=False)` writes for each value, decimals aside.
    writer = _WRITERS.get(type(value))
    if writer is not None:
        writer(value, parts)
    elif isinstance(value, Decimal):
        parts.append(_decimal_literal(value))
    elif isinstance(value, Mapping):
        _write_mapping(value, parts)
    elif isinstance(value, list | tuple):
        _write_list(value, parts)
    elif isinstance(value, datetime | date):
        parts.append(_string(value.isoformat()))
    else:
        parts.append(json.dumps(value, ensure_ascii=False))


def _write_mapping(value: Mapping[Any, Any], parts: list[str]) -> None:
    append = parts.append
    append("{")
    first = True
    for key, item in value.items():
        if not first:
            append(",")
        first = False
        append(_string(key if type(key) is str else str(key)))
        append(":")
        writer = _WRITERS.get(type(item))
        if writer is not None:
            writer(item, parts)
        else:
            _write(item, parts)
    append("}")


def _write_list(value: list[Any] | tuple[Any, ...], parts: list[str]) -> None:
    parts.append("[")
    for index, item in enumerate(value):
        if index:
            parts.append(",")
        _write(item, parts)
    parts.append("]")


def _decimal_literal(value: Decimal) -> str:
    if not value.is_finite():
        return "null"  # the service never stores these; JSON has no literal for them
    return format(value.normalize(), "f")


# The C string encoder json.dumps itself uses for ensure_ascii=False.
_string: Callable[[str], str] = getattr(json.encoder, "c_encode_basestring", None) or (
    json.encoder.py_encode_basestring
)
_WRITERS: dict[type, Callable[[Any, list[str]], None]] = {
    str: lambda value, parts: parts.append(_string(value)),
    int: lambda value, parts: parts.append(int.__repr__(value)),
    bool: lambda value, parts: parts.append("true" if value else "false"),
    type(None): lambda value, parts: parts.append("null"),
    Decimal: lambda value, parts: parts.append(_decimal_literal(value)),
    dict: _write_mapping,
    list: _write_list,
    tuple: _write_list,
    date: lambda value, parts: parts.append(_string(value.isoformat())),
    datetime: lambda value, parts: parts.append(_string(value.isoformat())),
}


def json_response(data: Any, status: int = 200) -> Response:
    """A response carrying `data` as JSON (decimals exact)."""
    return Response(dumps(data), status=status, mimetype=MIMETYPE)


def read_json_object() -> dict[str, Any] | None:
    """The request body as a JSON object (numbers with a fraction as Decimal); None when
    the body is not JSON or not an object."""
    if not request.is_json:
        return None
    try:
        data = json.loads(request.get_data(cache=True), parse_float=Decimal)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def field_value(field: FieldSpec | None, value: Any) -> Any:
    """A field's typed value in its API form, keeping decimals as `Decimal`."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Mapping):
        subfields = field.subfields if field is not None else {}
        return {key: field_value(subfields.get(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [field_value(field, item) for item in value]
    return to_json(field, value)


_AS_IS = frozenset({str, int, bool, type(None), Decimal})


def record_payload(entity: EntitySpec, record: Record) -> dict[str, Any]:
    """The record as the API returns it: its readable fields plus `id`, `version`,
    `created_at`, `created_by`, `updated_at`, `updated_by` (and `deleted_at` when set)."""
    fields = entity.fields
    data = {
        # Strings, integers, booleans, None and decimals are already in their API form.
        name: v if type(v) in _AS_IS else field_value(fields.get(name), v)
        for name, v in record.values.items()
    }
    data.update(record_stamps(record))
    return data
