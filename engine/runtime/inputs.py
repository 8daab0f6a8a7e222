"""Reading a request's values: every key must be a field of the entity, and every value
must read as its field's type (`engine.runtime.values.parse_input`); subform rows are read
field by field, their problems keyed `lines.2.qty` (rows counted from 0).

A row's `id` and its computed (formula) sub-fields are ignored — rows are replaced as a
whole on every save and formulas are recomputed — so a client may send back the rows it
received.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.runtime.compiled_entity import CompiledField, CompiledFields
from engine.runtime.messages import Message
from engine.runtime.problems import Problems
from engine.runtime.values import InputContext, InvalidInput, is_blank, parse_input

__all__ = ["ROW_IGNORED", "read_values", "same_value"]

ROW_IGNORED = frozenset({"id"})


def read_values(
    compiled: CompiledFields,
    raw: Mapping[str, Any],
    inputs: InputContext,
    problems: Problems,
    prefix: str = "",
) -> dict[str, Any]:
    """The typed values of the keys in `raw`; problems for unknown keys and bad values."""
    parsed: dict[str, Any] = {}
    for key, value in raw.items():
        field = compiled.fields.get(key)
        if field is None:
            params = {"field": key, "entity": compiled.owner}
            problems.add(f"{prefix}{key}", Message("unknown_field", params))
            continue
        if field.rows is not None:
            rows = _read_rows(field, value, inputs, problems, f"{prefix}{key}")
            if rows is not None:
                parsed[key] = rows
            continue
        try:
            parsed[key] = parse_input(field.spec, value, inputs)
        except InvalidInput as error:
            problems.add(f"{prefix}{key}", error.message)
    return parsed


def _read_rows(
    field: CompiledField, raw: Any, inputs: InputContext, problems: Problems, key: str
) -> list[dict[str, Any]] | None:
    assert field.rows is not None
    if is_blank(raw):
        return []
    if not isinstance(raw, list | tuple) or not all(isinstance(r, Mapping) for r in raw):
        problems.add(key, Message("expected_rows"))
        return None
    computed = {name for name, sub in field.rows.fields.items() if sub.formula is not None}
    files = {name for name, sub in field.rows.fields.items() if sub.spec.type == "attachment"}
    rows = []
    for index, item in enumerate(raw):
        kept = {k: v for k, v in item.items() if k not in ROW_IGNORED and k not in computed}
        for name in files & set(kept):
            # Row attachments have no storage yet: refuse them rather than lose them.
            if not is_blank(kept.pop(name)):
                problems.add(f"{key}.{index}.{name}", Message("row_files"))
        rows.append(read_values(field.rows, kept, inputs, problems, f"{key}.{index}."))
    return rows


def same_value(old: Any, new: Any) -> bool:
    """True when two typed values are the same (an empty list and None are; 1.0 == 1)."""
    if isinstance(old, list | tuple) or isinstance(new, list | tuple):
        left, right = list(old or []), list(new or [])
        return len(left) == len(right) and all(map(same_value, left, right))
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        keys = set(old) | set(new)
        return all(same_value(old.get(k), new.get(k)) for k in keys)
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    if isinstance(old, Decimal | int) and isinstance(new, Decimal | int):
        return Decimal(old) == Decimal(new)
    return bool(old == new)
