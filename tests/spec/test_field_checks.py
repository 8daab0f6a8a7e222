"""Field values the schema cannot check: reserved names (R119), select defaults (R111),
bounds (R121) and the keys a rollup needs (S101/S110)."""

from __future__ import annotations

from typing import Any

import pytest
from minimal_app import references, where

from engine.spec.model import RESERVED_FIELD_NAMES, RESERVED_ROW_NAMES
from engine.storage.tables import CHILD_COLUMNS, SYSTEM_COLUMNS


def entity(fields: str, extra: str = "") -> dict[str, str]:
    """A `thing` entity whose fields start on line 4."""
    text = "entity: thing\nlabel: Thing\nfields:\n" + fields + extra
    return {"entities/thing.yaml": text}


def found(make_app: Any, registry: Any, files: dict[str, str]) -> set[tuple[str, str, str]]:
    return where(references(make_app(files), registry))


def test_the_reserved_names_are_the_columns_storage_adds() -> None:
    assert set(RESERVED_FIELD_NAMES) == set(SYSTEM_COLUMNS)
    assert set(RESERVED_ROW_NAMES) == set(CHILD_COLUMNS)


@pytest.mark.parametrize("name", ["id", "created_at", "version", "deleted_at", "updated_by"])
def test_a_field_named_like_a_system_column_is_r119_at_its_key(
    make_app: Any, registry: Any, name: str
) -> None:
    files = entity(f"  title: {{type: text}}\n  {name}: {{type: integer}}\n")
    assert found(make_app, registry, files) == {
        ("R119", f"/fields/{name}", "entities/thing.yaml:5:3")
    }


def test_subform_rows_reserve_their_own_columns(make_app: Any, registry: Any) -> None:
    lines = (
        "  lines:\n    type: subform\n    fields:\n"
        "      sort_order: {type: integer}\n      version: {type: text}\n"
    )
    result = references(make_app(entity(lines)), registry)
    # `version` is free in a row: rows have no version column
    assert where(result) == {("R119", "/fields/lines/fields/sort_order", "entities/thing.yaml:7:7")}
    assert result[0].message.startswith("'sort_order' is a column every subform row already has")


def test_a_workflow_field_cannot_be_a_system_column(make_app: Any, registry: Any) -> None:
    workflow = (
        "workflow:\n  field: version\n  states:\n    a: {initial: true}\n    b: {final: true}\n"
        "  transitions:\n    go: {from: a, to: b}\n"
    )
    files = entity("  title: {type: text}\n", workflow)
    assert found(make_app, registry, files) == {
        ("R119", "/workflow/field", "entities/thing.yaml:6:10")
    }


def test_a_select_default_must_be_an_option(make_app: Any, registry: Any) -> None:
    fields = (
        "  level: {type: select, options: [A, B, {value: C}], default: c}\n"
        "  tags: {type: multi_select, options: [x, y], default: [x, z]}\n"
        "  ok: {type: select, options: [A], default: '=coalesce(level, \"A\")'}\n"
    )
    result = references(make_app(entity(fields)), registry)
    assert where(result) == {
        ("R111", "/fields/level/default", "entities/thing.yaml:4:63"),
        ("R111", "/fields/tags/default/1", "entities/thing.yaml:5:60"),
    }
    level = next(d for d in result if d.pointer == "/fields/level/default")
    assert level.message == "the default 'c' is not one of the options of 'level' (A, B, C)"
    assert level.hint == "did you mean 'C'?"


@pytest.mark.parametrize(
    ("field", "pointer", "message"),
    [
        ("{type: number, min: 10, max: 1.5}", "/fields/f/max", "max 1.5 is less than min 10"),
        ("{type: integer, min: 3, max: -3}", "/fields/f/max", "max -3 is less than min 3"),
        (
            "{type: date, min: '2026-05-01', max: '2026-04-01'}",
            "/fields/f/max",
            "max '2026-04-01' is less than min '2026-05-01'",
        ),
        (
            "{type: text, min_length: 9, max_length: 3}",
            "/fields/f/max_length",
            "max_length 3 is less than min_length 9",
        ),
        (
            "{type: multi_select, options: [a], min_items: 2, max_items: 1}",
            "/fields/f/max_items",
            "max_items 1 is less than min_items 2",
        ),
        (
            "{type: subform, fields: {a: {type: text}}, min_rows: 5, max_rows: 2}",
            "/fields/f/max_rows",
            "max_rows 2 is less than min_rows 5",
        ),
        (
            "{type: text, min_length: 300}",
            "/fields/f/min_length",
            "min_length 300 is more than 200, the default max_length of a text field",
        ),
    ],
)
def test_a_lower_bound_above_the_upper_one_is_r121(
    make_app: Any, registry: Any, field: str, pointer: str, message: str
) -> None:
    (problem,) = references(make_app(entity(f"  f: {field}\n")), registry)
    assert (problem.code, problem.pointer) == ("R121", pointer)
    assert problem.message.startswith(message)


@pytest.mark.parametrize(
    "field",
    [
        "{type: number, min: 1, max: 1}",
        "{type: date, min: '=today()', max: '2026-01-01'}",
        "{type: long_text, min_length: 300}",
        "{type: text, min_length: 300, max_length: 400}",
    ],
)
def test_bounds_that_can_be_met_say_nothing(make_app: Any, registry: Any, field: str) -> None:
    assert found(make_app, registry, entity(f"  f: {field}\n")) == set()


def test_a_rollup_needs_link_or_match_and_a_field_to_sum(make_app: Any, registry: Any) -> None:
    rollups = (
        "  a: {type: rollup, source: order, aggregate: count}\n"
        "  b: {type: rollup, source: order, link: customer, match: 'this.id == customer', "
        "aggregate: count}\n"
        "  c: {type: rollup, source: order, link: customer, aggregate: sum}\n"
        "  d: {type: rollup, source: order, link: customer, aggregate: count, field: amount}\n"
    )
    result = references(make_app(entity(rollups)), registry)
    assert where(result) >= {
        ("S101", "/fields/a", "entities/thing.yaml:4:6"),
        ("S110", "/fields/b/link", "entities/thing.yaml:5:36"),
        ("S101", "/fields/c", "entities/thing.yaml:6:6"),
        ("S110", "/fields/d/field", "entities/thing.yaml:7:70"),
    }
    messages = {d.pointer: d.message for d in result}
    assert messages["/fields/c"] == (
        "missing required key 'field' for aggregate 'sum': which field of the source records?"
    )
