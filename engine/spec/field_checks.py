"""Checks of each field's own values that the JSON Schema cannot express: names the engine
reserves for its own columns (R119), a select default that is not one of the options
(R111), a lower bound above the upper one (R121), and which keys a rollup needs for its
`aggregate` and its pairing (`link` or `match`; reported as S101/S110 like the schema's
other key rules)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from engine.diagnostics import did_you_mean
from engine.spec.check_context import CheckContext
from engine.spec.model import RESERVED_FIELD_NAMES, RESERVED_ROW_NAMES, EntitySpec, FieldSpec
from engine.spec.model_values import child_loc

__all__ = ["BOUNDS", "check_field_values"]

BOUNDS: tuple[tuple[str, str], ...] = (
    ("min", "max"),
    ("min_length", "max_length"),
    ("min_rows", "max_rows"),
    ("min_items", "max_items"),
)
"""Pairs of keys where the first must not exceed the second."""

_DEFAULT_MAX_LENGTH = {"text": 200}
_AGGREGATES_OF_A_FIELD = ("sum", "avg", "min", "max")


def check_field_values(ctx: CheckContext) -> None:
    """Reserved names, defaults, bounds and rollup keys of every field of every entity."""
    for entity in ctx.app.entities.values():
        _check_names(ctx, entity)
        for spec in _all_fields(entity.fields):
            _check_default(ctx, spec)
            _check_bounds(ctx, spec)
            if spec.type == "rollup":
                _check_rollup_keys(ctx, spec)


def _all_fields(fields: Mapping[str, FieldSpec]) -> Iterator[FieldSpec]:
    for spec in fields.values():
        if not spec.implicit:
            yield spec
            yield from _all_fields(spec.subfields)


def _check_names(ctx: CheckContext, entity: EntitySpec) -> None:
    """R119: a field named like a column every record (or subform row) already has."""
    for spec in entity.fields.values():
        if spec.name in RESERVED_FIELD_NAMES and not spec.implicit:
            _reserved(ctx, spec.name, "every record", RESERVED_FIELD_NAMES, spec)
        for sub in spec.subfields.values():
            if sub.name in RESERVED_ROW_NAMES:
                _reserved(ctx, sub.name, "every subform row", RESERVED_ROW_NAMES, sub)
    workflow = entity.workflow
    if workflow is not None and workflow.field in RESERVED_FIELD_NAMES:
        ctx.error(
            "R119",
            f"the workflow's field cannot be '{workflow.field}': every record has a column "
            "of that name, which the engine fills",
            child_loc(workflow.loc, "field"),
            hint="leave `field:` out (the state column is then `status`) or name another",
        )


def _reserved(
    ctx: CheckContext, name: str, owner: str, reserved: tuple[str, ...], spec: FieldSpec
) -> None:
    ctx.error(
        "R119",
        f"'{name}' is a column {owner} already has, filled by the engine; a field cannot be "
        f"named so (reserved: {', '.join(reserved)})",
        spec.loc,
        key=True,
        hint="give the field another name",
    )


def _check_default(ctx: CheckContext, spec: FieldSpec) -> None:
    """R111: a literal default of a select (multi_select) that is not among its options."""
    default = spec.default
    if default is None or default.is_expression or default.literal is None or not spec.choices:
        return
    options = spec.choice_values
    listed = ", ".join(options)
    if spec.type == "select" and isinstance(default.literal, str):
        if default.literal not in options:
            ctx.error(
                "R111",
                f"the default '{default.literal}' is not one of the options of '{spec.name}' "
                f"({listed})",
                default.loc,
                hint=did_you_mean(default.literal, options),
            )
    elif spec.type == "multi_select" and isinstance(default.literal, tuple):
        for index, value in enumerate(default.literal):
            if isinstance(value, str) and value not in options:
                ctx.error(
                    "R111",
                    f"the default '{value}' is not one of the options of '{spec.name}' ({listed})",
                    ctx.item(default.loc, index),
                    hint=did_you_mean(value, options),
                )


def _check_bounds(ctx: CheckContext, spec: FieldSpec) -> None:
    """R121: `min` above `max` (and the same for lengths, rows and items)."""
    for low_key, high_key in BOUNDS:
        low = _comparable(spec.option(low_key))
        if low is None:
            continue
        written = spec.option(high_key)
        high = _comparable(written)
        if high_key == "max_length" and written is None:
            default = _DEFAULT_MAX_LENGTH.get(spec.type)
            if default is not None and isinstance(low, float) and low > default:
                shown = _shown(spec.option(low_key))
                ctx.error(
                    "R121",
                    f"min_length {shown} is more than {default}, the default max_length of a "
                    f"{spec.type} field: no text could be accepted",
                    child_loc(spec.loc, low_key),
                    hint=f"add `max_length:` of at least {shown}, or lower `min_length`",
                )
            continue
        if high is None or type(low) is not type(high):
            continue  # absent, an `=expression`, or not comparable: nothing to say
        if _above(low, high):
            ctx.error(
                "R121",
                f"{high_key} {_shown(written)} is less than {low_key} "
                f"{_shown(spec.option(low_key))}: no value could be accepted",
                child_loc(spec.loc, high_key),
                hint=f"swap them, or correct `{low_key}` or `{high_key}`",
            )


def _comparable(value: Any) -> float | date | datetime | None:
    """A bound as a comparable value: a number, or an ISO date / date-time literal."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)  # 0 and 1.5 compare; the message shows them as written
    if not isinstance(value, str) or value.startswith("="):
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        return None


def _above(low: Any, high: Any) -> bool:
    try:
        return bool(low > high)
    except TypeError:  # an aware and a naive date-time: their order depends on the zone
        return False


def _shown(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _check_rollup_keys(ctx: CheckContext, spec: FieldSpec) -> None:
    """A rollup pairs its source records by `link` or by `match` (one of them), and sums
    (averages, …) a `field` — except `count`, which counts records."""
    has_link, has_match = spec.option("link") is not None, spec.option("match") is not None
    if has_link and has_match:
        ctx.error(
            "S110",
            "'link' cannot be used together with 'match': a rollup finds its source records "
            "by one of the two",
            child_loc(spec.loc, "link"),
            key=True,
            hint="keep `link` (a link field of the source pointing here) or `match` (an "
            "expression), not both",
        )
    elif not has_link and not has_match:
        ctx.error(
            "S101",
            "missing required key 'link' or 'match' for type 'rollup': which source records "
            "belong to this one?",
            spec.loc,
            hint="`link: <a link field of the source pointing here>`, or `match: <expression>`",
        )
    aggregate = spec.option("aggregate")
    if aggregate in _AGGREGATES_OF_A_FIELD and spec.option("field") is None:
        ctx.error(
            "S101",
            f"missing required key 'field' for aggregate '{aggregate}': which field of the "
            "source records?",
            spec.loc,
        )
    elif aggregate == "count" and spec.option("field") is not None:
        ctx.error(
            "S110",
            "'field' cannot be used with aggregate 'count': it counts the source records",
            child_loc(spec.loc, "field"),
            key=True,
            hint="remove 'field', or use another aggregate (sum, avg, min, max)",
        )
