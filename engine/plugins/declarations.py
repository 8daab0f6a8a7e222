"""Checking what a plugin declares before it enters the registry.

Each check returns P diagnostics located at the hook that made the declaration; a declaration
with an error is left out of the registry (so one bad type never breaks the schema), the
rest of the plugin still loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from engine.diagnostics import Diagnostic, did_you_mean
from engine.expr import FunctionType
from engine.spec.registry import (
    ID_MAX_LENGTH,
    ID_PATTERN,
    VALUE_KINDS,
    ActionType,
    ChannelType,
    FieldType,
    PluginInfo,
    TriggerType,
)
from engine.spec.schema import SHARED_DEFINITIONS, common_field_keys

__all__ = ["Declaration", "Origin", "check_declaration", "check_name", "check_plugin_info"]

Declaration = FieldType | TriggerType | ActionType | ChannelType | FunctionType

_ID = re.compile(ID_PATTERN)
_REF = re.compile(r"^#/definitions/([A-Za-z0-9_]+)$")


@dataclass(frozen=True)
class Origin:
    """Where a declaration comes from: the plugin, its file and the hook's line."""

    plugin: str
    file: str
    line: int = 0

    def problem(self, code: str, message: str, hint: str | None = None) -> Diagnostic:
        """A diagnostic at this origin."""
        return Diagnostic(
            code=code,
            message=f"plugin '{self.plugin}': {message}",
            file=self.file,
            line=self.line,
            col=1 if self.line else 0,
            hint=hint,
        )


def _what(item: Declaration) -> str:
    kinds = {
        FieldType: "field type",
        TriggerType: "trigger type",
        ActionType: "action type",
        ChannelType: "channel",
        FunctionType: "function",
    }
    return f"{kinds[type(item)]} '{item.name}'"


def check_name(name: object, what: str, origin: Origin) -> list[Diagnostic]:
    """P106 unless `name` is a snake_case id."""
    if isinstance(name, str) and _ID.match(name) and len(name) <= ID_MAX_LENGTH:
        return []
    return [
        origin.problem(
            "P106",
            f"{what} has the name {name!r}, which is not a snake_case id",
            f"use lowercase letters, digits and _ (at most {ID_MAX_LENGTH} characters), "
            "starting with a letter",
        )
    ]


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, Mapping):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(schema, list | tuple):
        for value in schema:
            yield from _refs(value)


def _check_refs(schema: Any, what: str, origin: Origin) -> list[Diagnostic]:
    problems = []
    for target in _refs(schema):
        match = _REF.match(target)
        if match and match.group(1) in SHARED_DEFINITIONS:
            continue
        name = match.group(1) if match else target
        problems.append(
            origin.problem(
                "P113",
                f"{what} refers to '{target}', which is not a shared definition of the app schema",
                did_you_mean(name, SHARED_DEFINITIONS)
                or "shared definitions: " + ", ".join(sorted(SHARED_DEFINITIONS)),
            )
        )
    return problems


def _check_json_schema(schema: Any, what: str, origin: Origin) -> list[Diagnostic]:
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.SchemaError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "the top"
        return [
            origin.problem(
                "P108",
                f"{what} is not a valid JSON Schema (draft-07) at {where}: {error.message}",
                "fix the schema; see https://json-schema.org/draft-07",
            )
        ]
    return []


def _check_descriptions(
    properties: Mapping[str, Any], what: str, origin: Origin
) -> list[Diagnostic]:
    return [
        origin.problem(
            "P109",
            f"{what}: the key '{key}' has no description",
            "add a one-line `description`: the reference docs and editors show it",
        )
        for key, schema in properties.items()
        if not (isinstance(schema, Mapping) and isinstance(schema.get("description"), str))
        or not schema["description"].strip()
    ]


def check_options(
    options: object, what: str, origin: Origin, reserved: frozenset[str]
) -> list[Diagnostic]:
    """P106/P108/P109/P111/P113 for an options schema (a `properties` mapping)."""
    if not isinstance(options, Mapping) or not all(
        isinstance(v, Mapping) for v in options.values()
    ):
        return [
            origin.problem(
                "P108",
                f"the options_schema of {what} must map each key to a JSON Schema",
                "write {'key': {'type': ..., 'description': ...}, ...}",
            )
        ]
    problems = _check_json_schema({"type": "object", "properties": dict(options)}, what, origin)
    for key in options:
        problems.extend(check_name(key, f"{what}: the key", origin))
        if key in reserved:
            problems.append(
                origin.problem(
                    "P111",
                    f"{what} declares the key '{key}', which every node of its kind already has",
                    "rename the key; reserved: " + ", ".join(sorted(reserved)),
                )
            )
    problems.extend(_check_descriptions(options, what, origin))
    problems.extend(_check_refs(options, what, origin))
    return problems


def _check_key_lists(
    item: FieldType | TriggerType | ActionType, origin: Origin
) -> list[Diagnostic]:
    lists = {
        "required_options": item.required_options,
        "expression_options": item.expression_options,
        "value_options": item.value_options,
        "nested_actions": getattr(item, "nested_actions", ()),
    }
    return [
        origin.problem(
            "P110",
            f"{_what(item)} lists '{key}' in {attribute}, but its options_schema has no such key",
            did_you_mean(str(key), item.options_schema) or "add the key to options_schema",
        )
        for attribute, keys in lists.items()
        for key in keys
        if key not in item.options_schema
    ]


def check_settings(schema: object, what: str, origin: Origin) -> list[Diagnostic]:
    """P108/P109/P113 for a settings schema (an object schema for `settings.<name>`)."""
    if not isinstance(schema, Mapping) or schema.get("type") != "object":
        return [
            origin.problem(
                "P108",
                f"the settings schema of {what} must be a JSON Schema with `type: object`",
                "write {'type': 'object', 'properties': {...}, 'additionalProperties': False}",
            )
        ]
    problems = _check_json_schema(dict(schema), f"the settings schema of {what}", origin)
    properties = schema.get("properties", {})
    if isinstance(properties, Mapping):
        problems.extend(_check_descriptions(properties, f"the settings of {what}", origin))
    problems.extend(_check_refs(schema, f"the settings schema of {what}", origin))
    return problems


def check_declaration(item: Declaration, origin: Origin) -> list[Diagnostic]:
    """Every problem of one declared type, channel or function."""
    problems = check_name(item.name, _what(item).split(" '")[0], origin)
    if isinstance(item, FunctionType):
        return problems
    if isinstance(item, ChannelType):
        return problems + check_settings(item.settings_schema, _what(item), origin)
    reserved = frozenset({"type"})
    if isinstance(item, FieldType):
        reserved = common_field_keys() | reserved
        if item.value_kind not in VALUE_KINDS:
            problems.append(
                origin.problem(
                    "P112",
                    f"{_what(item)} has the value_kind '{item.value_kind}', which is unknown",
                    did_you_mean(item.value_kind, VALUE_KINDS)
                    or "one of: " + ", ".join(sorted(VALUE_KINDS)),
                )
            )
    problems.extend(check_options(item.options_schema, _what(item), origin, reserved))
    if isinstance(item.options_schema, Mapping):
        problems.extend(_check_key_lists(item, origin))
    return problems


def check_plugin_info(info: PluginInfo, origin: Origin) -> list[Diagnostic]:
    """Every problem of a plugin's own description."""
    problems = check_name(info.name, "the plugin", origin)
    problems.extend(check_settings(info.settings_schema, f"the plugin '{info.name}'", origin))
    return problems
