"""Validation of a prepared record: visibility, required and required_if, min/max, length,
pattern, options, item and row counts, e-mail/url/phone shapes, field and record
validations — for the record's fields and each subform row.

Rules: a hidden field (`visible_if` not true) has its value dropped and is not checked; a
field whose value could not be read is not checked again; a blank field is checked only for
being required (and a list for its count); a field's own `validations` run when it has a
value; a record validation runs unless a field it reads already has a problem (one mistake,
one message) and, as everywhere, NULL counts as false. Problems are keyed by field,
`lines.2.qty` in subform rows, or `__all__`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engine.expr import Env, evaluate_condition
from engine.runtime.compiled_entity import CompiledField, CompiledFields
from engine.runtime.messages import Message
from engine.runtime.problems import RECORD_KEY, Problems
from engine.runtime.values import is_blank
from engine.spec.model import ANY_LOCALE
from engine.storage.shapes import ShapeKind

__all__ = ["EnvFactory", "drop_hidden", "hidden_fields", "validate_record"]

EnvFactory = Callable[[Mapping[str, Any]], Env]
"""Makes the environment of a set of values (the record, or one subform row)."""

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{2,30}[0-9]$")
_SHAPES = {"email": (EMAIL, "email"), "url": (URL, "url"), "phone": (PHONE, "phone")}
_NOT_REQUIRABLE = frozenset({"formula", "rollup", "sequence", "state"})
_STRING_KINDS = (ShapeKind.STRING, ShapeKind.TEXT)


def hidden_fields(compiled: CompiledFields, env: Env) -> frozenset[str]:
    """Fields whose `visible_if` is not true in `env`."""
    return frozenset(
        name
        for name, field in compiled.fields.items()
        if field.visible_if is not None and not evaluate_condition(field.visible_if, env)
    )


def drop_hidden(compiled: CompiledFields, values: dict[str, Any], hidden: frozenset[str]) -> None:
    """Clear the values of hidden fields (a list field becomes an empty list)."""
    for name in hidden:
        kind = compiled.fields[name].spec.type
        values[name] = [] if kind in ("subform", "multi_select", "attachment") else None


def validate_record(
    compiled: CompiledFields,
    values: Mapping[str, Any],
    make_env: EnvFactory,
    problems: Problems,
    *,
    hidden: frozenset[str],
    row_envs: Callable[[CompiledField, Mapping[str, Any]], Env],
) -> None:
    """Check every visible field and then the record validations; adds to `problems`."""
    env = make_env(values)
    _check_fields(compiled, values, env, problems, hidden, "", row_envs)
    for rule in compiled.validations:
        if any(problems.has(name) for name in rule.reads):
            continue
        if not evaluate_condition(rule.evaluate, env):
            for key in rule.fields or (RECORD_KEY,):
                problems.add(key, rule.message)


def _check_fields(
    compiled: CompiledFields,
    values: Mapping[str, Any],
    env: Env,
    problems: Problems,
    hidden: frozenset[str],
    prefix: str,
    row_envs: Callable[[CompiledField, Mapping[str, Any]], Env],
) -> None:
    for name, field in compiled.fields.items():
        key = f"{prefix}{name}"
        if name in hidden or problems.has(key):
            continue  # hidden, or already refused (a value that could not be read)
        value = values.get(name)
        if is_blank(value):
            if _is_required(field, env):
                problems.add(key, Message("required"))
            elif isinstance(value, list):
                for problem in _count_problems(field, 0):
                    problems.add(key, problem)
            continue
        for problem in _value_problems(field, value, env):
            problems.add(key, problem)
        for rule in field.validations:
            if not evaluate_condition(rule.evaluate, env):
                for shown in rule.fields:
                    problems.add(f"{prefix}{shown}", rule.message)
        if field.rows is not None:
            _check_rows(field, list(value or ()), problems, key, row_envs)


def _is_required(field: CompiledField, env: Env) -> bool:
    if field.spec.type in _NOT_REQUIRABLE:
        return False
    if field.spec.required:
        return True
    return field.required_if is not None and evaluate_condition(field.required_if, env)


def _check_rows(
    field: CompiledField,
    rows: list[Mapping[str, Any]],
    problems: Problems,
    key: str,
    row_envs: Callable[[CompiledField, Mapping[str, Any]], Env],
) -> None:
    assert field.rows is not None
    for index, row in enumerate(rows):
        env = row_envs(field, row)
        hidden = hidden_fields(field.rows, env)
        _check_fields(field.rows, row, env, problems, hidden, f"{key}.{index}.", row_envs)


def _value_problems(field: CompiledField, value: Any, env: Env) -> list[Message | Any]:
    spec = field.spec
    found: list[Any] = []
    for key, bound in field.bounds.items():
        limit = bound.value(env)
        if limit is None or not isinstance(value, Decimal | int | date | datetime):
            continue
        if (key == "min" and value < limit) or (key == "max" and value > limit):
            found.append(Message(f"{key}_value", {"limit": _shown(limit)}))
    if isinstance(value, str):
        found.extend(_text_problems(field, value))
    if spec.type in ("select", "multi_select"):
        chosen = value if isinstance(value, list) else [value]
        allowed = spec.choice_values
        for item in chosen:
            if item not in allowed:
                found.append(Message("option", {"value": item, "options": ", ".join(allowed)}))
    if isinstance(value, list):
        found.extend(_count_problems(field, len(value)))
    return found


def _text_problems(field: CompiledField, value: str) -> list[Any]:
    spec = field.spec
    found: list[Any] = []
    longest = spec.option("max_length")
    if longest is None and field.storage.shape.kind is ShapeKind.STRING:
        longest = field.storage.shape.size
    shortest = spec.option("min_length")
    if isinstance(shortest, int) and len(value) < shortest:
        found.append(Message("min_length", {"limit": shortest}))
    if isinstance(longest, int) and len(value) > longest:
        found.append(Message("max_length", {"limit": longest}))
    if field.pattern is not None and not field.pattern.fullmatch(value):
        custom = spec.option("pattern_message")
        if isinstance(custom, str):
            custom = {ANY_LOCALE: custom}
        found.append(custom if custom else Message("pattern"))
    shape = _SHAPES.get(spec.type)
    if shape is not None and not shape[0].match(value):
        found.append(Message(shape[1]))
    return found


def _count_problems(field: CompiledField, count: int) -> list[Message]:
    spec = field.spec
    names = ("min_rows", "max_rows") if spec.type == "subform" else ("min_items", "max_items")
    found = []
    fewest, most = spec.option(names[0]), spec.option(names[1])
    if isinstance(fewest, int) and count < fewest:
        found.append(Message(names[0], {"limit": fewest}))
    if isinstance(most, int) and count > most:
        found.append(Message(names[1], {"limit": most}))
    return found


def _shown(limit: Any) -> str:
    if isinstance(limit, Decimal):
        return format(limit.normalize(), "f")
    if isinstance(limit, date | datetime):
        return limit.isoformat()
    return str(limit)
