"""The generated reference: up to date with the schema, complete, and rendered faithfully."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from engine.expr import BUILTIN_FUNCTIONS
from engine.plugins import default_registry
from engine.plugins.export import REFERENCE_PATH, SCHEMA_PATH, reference_text, schema_text
from engine.spec.reference import REFERENCE_COMMAND, allowed_text, render_reference, type_text
from engine.spec.registry import Registry
from engine.spec.schema import build_schema

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "python -m engine.plugins.export all"


@pytest.fixture(scope="module")
def registry() -> Registry:
    reg, problems = default_registry(ROOT)
    assert problems == []
    return reg


@pytest.fixture(scope="module")
def schema(registry: Registry) -> dict[str, Any]:
    return build_schema(registry)


@pytest.fixture(scope="module")
def reference(schema: dict[str, Any]) -> str:
    return render_reference(schema)


def test_the_committed_schema_is_up_to_date(schema: dict[str, Any]) -> None:
    committed = (ROOT / SCHEMA_PATH).read_text(encoding="utf-8")
    assert committed == schema_text(schema), f"{SCHEMA_PATH} is stale: run `{REGENERATE}`"


def test_the_committed_reference_is_up_to_date(schema: dict[str, Any]) -> None:
    committed = (ROOT / REFERENCE_PATH).read_text(encoding="utf-8")
    assert committed == reference_text(schema), f"{REFERENCE_PATH} is stale: run `{REGENERATE}`"


def test_the_schema_file_is_sorted_pretty_json_ending_in_a_newline(schema: dict[str, Any]) -> None:
    text = schema_text(schema)
    assert text.endswith("}\n")
    assert text.splitlines()[1] == '  "$schema": "http://json-schema.org/draft-07/schema#",'


def _section(reference: str, anchor: str) -> str:
    start = reference.index(f'<a id="{anchor}"></a>')
    end = reference.find("<a id=", start + 1)
    return reference[start : end if end != -1 else None]


def test_every_field_trigger_and_action_type_has_a_section(
    registry: Registry, reference: str
) -> None:
    for prefix, names in (
        ("field", registry.field_types),
        ("trigger", registry.trigger_types),
        ("action", registry.action_types),
    ):
        listing = _section(reference, prefix)
        for name in names:
            assert f"| `{name}` |" in listing, (prefix, name)
            assert f'<a id="{prefix}_{name}"></a>' in reference, (prefix, name)


def test_every_option_of_every_type_is_in_its_table(registry: Registry, reference: str) -> None:
    for name, declared in registry.field_types.items():
        section = _section(reference, f"field_{name}")
        for key in declared.options_schema:
            assert f"| `{key}` |" in section, (name, key)


def test_every_channel_and_builtin_function_is_listed(registry: Registry, reference: str) -> None:
    channels = _section(reference, "channel_name")
    for name in registry.channels:
        assert f"| `{name}` |" in channels
    functions = _section(reference, "expression")
    for function in BUILTIN_FUNCTIONS:
        assert f"| `{function.name}()` |" in functions
        assert function.description.split("|")[0].strip()[:20] in functions


def test_every_file_kind_comes_first_in_order(reference: str) -> None:
    anchors = re.findall(r'<a id="([a-z_]+)"></a>', reference)
    assert anchors[:6] == [
        "app_file",
        "entity_file",
        "automation_file",
        "table_file",
        "dashboard_file",
        "suite_file",
    ]
    assert len(anchors) == len(set(anchors))


def test_the_reference_says_how_to_regenerate_it(reference: str) -> None:
    assert f"Regenerate with `{REFERENCE_COMMAND}`" in reference.splitlines()[2]


TINY: dict[str, Any] = {
    "description": "Tiny.",
    "allOf": [{"if": {"required": ["thing"]}, "then": {"$ref": "#/definitions/thing_file"}}],
    "definitions": {
        "thing_file": {
            "title": "Thing file",
            "description": "A thing.",
            "type": "object",
            "required": ["thing"],
            "properties": {
                "thing": {"$ref": "#/definitions/id", "description": "The id."},
                "size": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 4,
                    "default": 2,
                    "description": "How big | really.",
                },
                "tags": {
                    "type": "array",
                    "items": {"type": "string", "enum": ["a", "b"]},
                    "description": "Tags.",
                },
                "opts": {
                    "type": "object",
                    "properties": {"x": {"type": "boolean", "description": "An x."}},
                    "description": "Options.",
                },
            },
        },
        "id": {"title": "Id", "description": "An id.", "type": "string", "pattern": "^[a-z]+$"},
    },
}


def test_a_key_table_row_has_type_required_description_and_allowed_values() -> None:
    text = render_reference(TINY)
    assert "| `thing` | [id](#id) | yes | The id. |  |" in text
    assert "| `size` | integer |  | How big \\| really. | 1–4; default `2` |" in text
    assert "| `tags` | list of string |  | Tags. | each: `a` · `b` |" in text
    assert "Keys of `opts`:" in text
    assert "| `x` | boolean |  | An x. |  |" in text
    assert "Type: string.\n\nAllowed: pattern `^[a-z]+$`." in text


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": ["number", "string"]}, "number or string"),
        (
            {"anyOf": [{"type": "string"}, {"$ref": "#/definitions/id_list"}]},
            "string or [id_list](#id_list)",
        ),
        (
            {
                "type": "object",
                "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
                "additionalProperties": {"type": "string"},
            },
            "map of id → string",
        ),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, "map of key → integer"),
        (
            {
                "if": {"type": "array"},
                "then": {"items": {"$ref": "#/definitions/t"}},
                "else": {"$ref": "#/definitions/t"},
            },
            "[t](#t) or list of [t](#t)",
        ),
        ({"const": "*"}, "`*`"),
        ({}, "any value"),
    ],
)
def test_type_text(schema: dict[str, Any], expected: str) -> None:
    assert type_text(schema) == expected


def test_allowed_text_combines_bounds_patterns_and_defaults() -> None:
    assert allowed_text({"exclusiveMinimum": 0, "default": 1}) == "> 0; default `1`"
    mixed = {"type": ["number", "string"], "pattern": "^="}
    assert allowed_text(mixed) == "pattern `^=` (for text)"
    assert allowed_text({"minLength": 1, "maxLength": 48, "pattern": "^a|b$"}) == (
        "1–48 characters; pattern `^a|b$`"
    )
