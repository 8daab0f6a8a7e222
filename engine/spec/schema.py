"""The JSON Schema (draft-07) of app folders, built from the grammar and a :class:`Registry`.

`build_schema` returns one document with a definition per node of docs/language.md and one
`<kind>_file` definition per file kind; the root validates any file by its first key.
Polymorphic nodes are explicit discriminators (`type` enum + `if/then` per type), never a
bare `oneOf`, so validation errors name the branch that failed. The fixed grammar lives in
`schema_terms`, `schema_entity`, `schema_workflow`, `schema_files` and `schema_suite`; this
module adds what the registry contributes and assembles the document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from engine.spec.registry import ActionType, FieldType, Registry, TriggerType
from engine.spec.schema_entity import entity_definitions
from engine.spec.schema_files import file_definitions
from engine.spec.schema_terms import (
    FILE_KINDS,
    SHARED_DEFINITIONS,
    Schema,
    common_field_properties,
    obj,
    term_definitions,
)
from engine.spec.schema_workflow import workflow_definitions

__all__ = [
    "FILE_KINDS",
    "SHARED_DEFINITIONS",
    "build_schema",
    "common_field_keys",
    "discriminator",
]

DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def common_field_keys() -> frozenset[str]:
    """The keys every field type has (a field type's own keys must not reuse them)."""
    return frozenset(common_field_properties("any"))


def discriminator(
    title: str,
    description: str,
    prefix: str,
    variants: Mapping[str, str],
    *,
    type_description: str,
) -> Schema:
    """A node discriminated by `type`: the enum of `variants`, one `if/then` per variant.

    `variants` maps each type name to its one-line description; branch `X` is the
    definition `<prefix>_X`, which has `additionalProperties: false` itself.
    """
    names = list(variants)
    return {
        "title": title,
        "description": description,
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {
                "type": "string",
                "enum": names,
                "enumDescriptions": [variants[n] for n in names],
                "description": type_description,
            }
        },
        "allOf": [
            {
                "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                "then": {"$ref": f"#/definitions/{prefix}_{name}"},
            }
            for name in names
        ],
    }


def _variant(
    prefix: str,
    name: str,
    description: str,
    own: Mapping[str, Any],
    required: Sequence[str],
    common: Mapping[str, Any] | None = None,
) -> Schema:
    """Definition `<prefix>_<name>`: `type` const, the common keys, the type's own keys."""
    # The type's own keys first: "allowed keys" hints and the reference list them first.
    properties: Schema = {
        "type": {"const": name, "description": f"`{name}`: {description}"},
        **own,
        **{key: value for key, value in (common or {}).items() if key not in own},
    }
    title = f"{prefix.capitalize()} type `{name}`"
    return obj(title, description, properties, ["type", *required])


def _plugin_note(plugin: str) -> str:
    return "" if plugin == "builtin" else f" (plugin `{plugin}`)"


def _field_definitions(registry: Registry) -> dict[str, Schema]:
    defs: dict[str, Schema] = {}
    for name, declared in registry.field_types.items():
        defs[f"field_{name}"] = _field_variant(declared)
    variants = {
        name: declared.description + _plugin_note(declared.plugin)
        for name, declared in registry.field_types.items()
    }
    defs["field"] = discriminator(
        "Field",
        "A field of an entity: `type` picks the field type; the keys common to every type "
        "plus the type's own keys are allowed.",
        "field",
        variants,
        type_description="The field type.",
    )
    nested = {n: d for n, d in variants.items() if n not in ("subform", "rollup")}
    defs["subform_field"] = discriminator(
        "Subform field",
        "A field of a subform row: the field grammar without `subform` and `rollup`.",
        "field",
        nested,
        type_description="The field type (no subform or rollup inside a subform).",
    )
    return defs


def _field_variant(declared: FieldType) -> Schema:
    common = common_field_properties(declared.value_kind)
    description = declared.description + _plugin_note(declared.plugin)
    return _variant(
        "field",
        declared.name,
        description,
        dict(declared.options_schema),
        declared.required_options,
        common,
    )


def _own_keys(declared: ActionType | TriggerType) -> dict[str, Any]:
    own = dict(declared.options_schema)
    for key in getattr(declared, "nested_actions", ()):
        text = own.get(key, {}).get("description", "Nested actions.")
        own[key] = {"$ref": "#/definitions/actions", "description": text}
    return own


def _typed_definitions(
    kind: str,
    declarations: Iterable[ActionType | TriggerType],
    title: str,
    description: str,
) -> dict[str, Schema]:
    defs: dict[str, Schema] = {}
    variants: dict[str, str] = {}
    for declared in declarations:
        text = declared.description + _plugin_note(declared.plugin)
        variants[declared.name] = text
        defs[f"{kind}_{declared.name}"] = _variant(
            kind, declared.name, text, _own_keys(declared), declared.required_options
        )
    defs[kind] = discriminator(
        title, description, kind, variants, type_description=f"The {kind} type."
    )
    return defs


def _channel_definition(registry: Registry) -> Schema:
    names = list(registry.channels)
    return {
        "title": "Channel",
        "description": "A notification channel.",
        "type": "string",
        "enum": names,
        "enumDescriptions": [
            registry.channels[n].description + _plugin_note(registry.channels[n].plugin)
            for n in names
        ],
        "default": "inbox",
    }


def _has_settings(schema: Mapping[str, Any]) -> bool:
    return bool(schema.get("properties"))


def _settings_definition(registry: Registry) -> Schema:
    """`settings` of app.yaml: one key per plugin (and per channel) that has settings."""
    properties: Schema = {}
    for name, channel in registry.channels.items():
        if _has_settings(channel.settings_schema):
            properties[name] = {
                # Closed unless the declaration says otherwise: a typo must not pass.
                "additionalProperties": False,
                **channel.settings_schema,
                "description": f"Settings of the `{name}` channel: {channel.description}",
            }
    for name, info in registry.plugins.items():
        if _has_settings(info.settings_schema):
            properties[name] = {
                "additionalProperties": False,
                **info.settings_schema,
                "description": f"Settings of the plugin `{name}`: {info.description}",
            }
    return obj(
        "Settings",
        "Settings by plugin or channel name; each is checked by the schema its plugin declares.",
        properties,
    )


def _expression_definition(registry: Registry) -> Schema:
    functions = [
        {
            "name": name,
            "arguments": function.arity_text(),
            "description": function.description,
            "example": function.example,
        }
        for name, function in sorted(registry.functions.items())
    ]
    return {
        "title": "Expression",
        "description": "An expression of the Formwork expression language "
        "(docs/expressions.md), written without a leading `=`.",
        "type": "string",
        "minLength": 1,
        "x-functions": functions,
    }


def _root(kinds: Iterable[str]) -> Schema:
    kinds = list(kinds)
    any_kind = [{"required": [kind]} for kind in kinds]
    return {
        "$schema": DRAFT_07,
        "title": "Formwork app file",
        "description": "Any file of a Formwork app folder; its first key names its kind: "
        + ", ".join(f"`{k}`" for k in kinds)
        + ".",
        "type": "object",
        "allOf": [
            *(
                {"if": {"required": [kind]}, "then": {"$ref": f"#/definitions/{kind}_file"}}
                for kind in kinds
            ),
            # A file with no kind key: report every kind key as missing, so the author
            # (and the editor) sees which first keys exist.
            {"if": {"not": {"anyOf": any_kind}}, "then": {"required": kinds}},
        ],
    }


def build_schema(registry: Registry) -> dict[str, Any]:
    """The draft-07 JSON Schema of every file of an app folder, for `registry`."""
    definitions: dict[str, Schema] = {
        **term_definitions(),
        **entity_definitions(),
        **workflow_definitions(),
        **file_definitions(),
    }
    definitions.update(_field_definitions(registry))
    definitions.update(
        _typed_definitions(
            "trigger",
            registry.trigger_types.values(),
            "Trigger",
            "What starts an automation: `type` picks the trigger type.",
        )
    )
    definitions.update(
        _typed_definitions(
            "action",
            registry.action_types.values(),
            "Action",
            "One step an automation (or a state's `on_enter`) runs: `type` picks the action.",
        )
    )
    definitions["actions"] = {
        "title": "Actions",
        "description": "A list of actions, run in order.",
        "type": "array",
        "items": {"$ref": "#/definitions/action"},
    }
    definitions["channel_name"] = _channel_definition(registry)
    definitions["settings"] = _settings_definition(registry)
    definitions["expression"] = _expression_definition(registry)
    schema = _root(FILE_KINDS)
    schema["definitions"] = definitions
    return schema
