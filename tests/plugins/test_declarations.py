"""Checks of what a plugin declares: names, option schemas, key lists, settings schemas."""

from __future__ import annotations

from typing import Any

import pytest

from engine.diagnostics import Diagnostic
from engine.plugins.declarations import Origin, check_declaration, check_plugin_info
from engine.spec.registry import ActionType, ChannelType, FieldType, PluginInfo, TriggerType

ORIGIN = Origin("stars", "plugins/stars.py", 12)
MAX = {"type": "integer", "minimum": 3, "description": "Most stars."}


def field(options: dict[str, Any], **keys: Any) -> FieldType:
    return FieldType("stars", "Stars.", keys.pop("value_kind", "integer"), options, **keys)


def found(problems: list[Diagnostic]) -> list[tuple[str, str, int]]:
    return [(d.code, d.file, d.line) for d in problems]


def test_a_good_declaration_has_no_problems() -> None:
    assert check_declaration(field({"max": MAX}, required_options=("max",)), ORIGIN) == []


@pytest.mark.parametrize("name", ["Stars", "2stars", "star-rating", "s" * 49, ""])
def test_names_must_be_snake_case_ids(name: str) -> None:
    problems = check_declaration(FieldType(name, "X.", "text", {}), ORIGIN)
    assert found(problems) == [("P106", "plugins/stars.py", 12)]
    assert problems[0].message == (
        f"plugin 'stars': field type has the name {name!r}, which is not a snake_case id"
    )


def test_option_keys_must_be_snake_case_ids() -> None:
    problems = check_declaration(field({"maxStars": MAX}), ORIGIN)
    assert [d.code for d in problems] == ["P106"]


def test_an_invalid_json_schema_is_p108_with_where() -> None:
    problems = check_declaration(field({"max": {"type": "integr", "description": "M."}}), ORIGIN)
    assert [d.code for d in problems] == ["P108"]
    assert "at properties/max/type" in problems[0].message


def test_options_must_map_keys_to_schemas() -> None:
    assert [d.code for d in check_declaration(field({"max": 5}), ORIGIN)] == ["P108"]


def test_an_undocumented_key_is_p109() -> None:
    problems = check_declaration(field({"max": {"type": "integer"}}), ORIGIN)
    assert [d.code for d in problems] == ["P109"]
    assert "the key 'max' has no description" in problems[0].message


@pytest.mark.parametrize("attribute", ["required_options", "expression_options", "value_options"])
def test_key_lists_must_name_declared_keys(attribute: str) -> None:
    problems = check_declaration(field({"max": MAX}, **{attribute: ("maxx",)}), ORIGIN)
    assert [d.code for d in problems] == ["P110"]
    assert f"lists 'maxx' in {attribute}" in problems[0].message
    assert problems[0].hint == "did you mean 'max'?"


def test_nested_action_keys_must_be_declared() -> None:
    action = ActionType("repeat", "R.", {}, nested_actions=("then",))
    assert [d.code for d in check_declaration(action, ORIGIN)] == ["P110"]


def test_field_types_cannot_redeclare_common_keys() -> None:
    label = {"type": "string", "description": "Mine."}
    problems = check_declaration(field({"label": label}), ORIGIN)
    assert [d.code for d in problems] == ["P111"]
    trigger = TriggerType("ping", "P.", {"type": label})
    assert [d.code for d in check_declaration(trigger, ORIGIN)] == ["P111"]
    # `label` is fine for a trigger: only `type` is common to every trigger
    assert check_declaration(TriggerType("ping", "P.", {"label": label}), ORIGIN) == []


def test_an_unknown_value_kind_is_p112() -> None:
    problems = check_declaration(field({}, value_kind="decimal"), ORIGIN)
    assert [d.code for d in problems] == ["P112"]


def test_refs_must_point_at_shared_definitions() -> None:
    good = {"$ref": "#/definitions/label", "description": "L."}
    assert check_declaration(field({"caption": good}), ORIGIN) == []
    bad = {"$ref": "#/definitions/lable", "description": "L."}
    problems = check_declaration(field({"caption": bad}), ORIGIN)
    assert [d.code for d in problems] == ["P113"]
    assert problems[0].hint == "did you mean 'label'?"
    external = {"$ref": "https://example.com/x.json", "description": "X."}
    assert [d.code for d in check_declaration(field({"x": external}), ORIGIN)] == ["P113"]


def test_settings_schemas_must_be_documented_object_schemas() -> None:
    assert check_declaration(ChannelType("fax", "F.", {"type": "object"}), ORIGIN) == []
    assert [d.code for d in check_declaration(ChannelType("fax", "F.", {}), ORIGIN)] == ["P108"]
    undocumented = {"type": "object", "properties": {"number": {"type": "string"}}}
    problems = check_plugin_info(PluginInfo("fax", "F.", undocumented, "m"), ORIGIN)
    assert [d.code for d in problems] == ["P109"]


def test_a_plugin_name_must_be_an_id() -> None:
    problems = check_plugin_info(PluginInfo("Fax Plugin", "F.", {"type": "object"}, "m"), ORIGIN)
    assert [d.code for d in problems] == ["P106"]
