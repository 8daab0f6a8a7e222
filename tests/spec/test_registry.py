"""The registry's declarations: frozen values with the documented defaults, and the check of
an app's `plugins:` list."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pytest

from engine.spec.registry import (
    BUILTIN_PLUGIN,
    VALUE_KINDS,
    ActionType,
    ChannelType,
    FieldType,
    PluginInfo,
    Registry,
    TriggerType,
    validate_app_plugins,
)

RATING = PluginInfo("rating", "Stars.", {"type": "object"}, "formwork_plugins.rating")


def test_declarations_default_to_the_builtin_plugin_and_no_extra_keys() -> None:
    field = FieldType("text", "One line.", "text", {})
    trigger = TriggerType("manual", "A button.", {})
    action = ActionType("set", "Set fields.", {})
    assert (field.plugin, trigger.plugin, action.plugin) == (BUILTIN_PLUGIN,) * 3
    assert field.required_options == field.expression_options == field.value_options == ()
    assert action.nested_actions == ()
    assert ChannelType("inbox", "In-app.", {}).plugin == "builtin"


def test_declarations_are_frozen() -> None:
    field = FieldType("text", "One line.", "text", {})
    with pytest.raises(dataclasses.FrozenInstanceError):
        field.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Registry().field_types = {}  # type: ignore[misc]


def test_the_constructor_order_is_the_published_one() -> None:
    names = [f.name for f in dataclasses.fields(ActionType)]
    assert names[:7] == [
        "name",
        "description",
        "options_schema",
        "required_options",
        "expression_options",
        "plugin",
        "nested_actions",
    ]
    assert [f.name for f in dataclasses.fields(Registry)] == [
        "field_types",
        "trigger_types",
        "action_types",
        "channels",
        "functions",
        "plugins",
    ]
    assert [f.name for f in dataclasses.fields(PluginInfo)] == [
        "name",
        "description",
        "settings_schema",
        "module",
    ]


def test_an_empty_registry_has_empty_read_only_tables() -> None:
    registry = Registry()
    assert len(registry.field_types) == len(registry.functions) == len(registry.plugins) == 0
    assert isinstance(registry.channels, MappingProxyType)


def test_the_value_kinds_are_the_documented_ones() -> None:
    assert sorted(VALUE_KINDS) == sorted(
        [
            "text",
            "number",
            "integer",
            "money",
            "percent",
            "boolean",
            "date",
            "datetime",
            "user",
            "team",
            "link",
            "list",
            "subform",
            "attachment",
            "any",
        ]
    )


def test_installed_plugins_an_app_needs_are_fine() -> None:
    registry = Registry(plugins=MappingProxyType({"rating": RATING}))
    assert validate_app_plugins(["rating"], registry) == []


def test_a_missing_plugin_is_p130_at_its_list_position_with_a_hint() -> None:
    registry = Registry(plugins=MappingProxyType({"rating": RATING}))
    found = validate_app_plugins(["rating", "ratings", "dingtalk"], registry, file="app.yaml")
    assert [(d.code, d.file, d.pointer) for d in found] == [
        ("P130", "app.yaml", "/plugins/1"),
        ("P130", "app.yaml", "/plugins/2"),
    ]
    assert found[0].hint == "did you mean 'rating'?"
    assert (
        found[1].hint == "put dingtalk.py in the project's plugins/ folder or install its package"
    )
    assert found[1].message == (
        "this app needs the plugin 'dingtalk', which is not installed (installed: rating)"
    )


def test_the_builtin_plugin_is_never_offered_as_installable() -> None:
    builtin = PluginInfo("builtin", "Formwork itself.", {}, "engine.builtins")
    registry = Registry(plugins=MappingProxyType({"builtin": builtin, "rating": RATING}))
    (found,) = validate_app_plugins(["builtn"], registry)
    assert found.message == (
        "this app needs the plugin 'builtn', which is not installed (installed: rating)"
    )
    assert found.hint == "put builtn.py in the project's plugins/ folder or install its package"
    only_builtin = Registry(plugins=MappingProxyType({"builtin": builtin}))
    assert "(installed: none)" in validate_app_plugins(["x"], only_builtin)[0].message
