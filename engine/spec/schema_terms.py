"""The vocabulary of the app-folder JSON Schema: builders for closed objects, id maps and
discriminated families, and the shared terms every node uses (ids, labels, values,
durations, validation rules, the keys common to every field)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.spec.registry import ID_MAX_LENGTH, ID_PATTERN

__all__ = [
    "FILE_KINDS",
    "SHARED_DEFINITIONS",
    "Schema",
    "common_field_properties",
    "default_for",
    "id_map",
    "list_of",
    "obj",
    "ref",
    "term_definitions",
    "typed_family",
]

Schema = dict[str, Any]

FILE_KINDS: tuple[str, ...] = ("app", "entity", "automation", "table", "dashboard", "suite")
"""File kinds, by the first key of the file; `#/definitions/<kind>_file` validates each."""

SHARED_DEFINITIONS: frozenset[str] = frozenset(
    {
        "id",
        "id_list",
        "id_or_ids",
        "label",
        "expression",
        "value",
        "values",
        "duration",
        "color",
        "username",
        "channel_name",
        "approver",
        "actions",
        "field",
        "subform_field",
        "rule",
    }
)
"""Definitions a plugin's option schemas may `$ref` (`#/definitions/label`, …)."""

LOCALE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
SORT_PATTERN = r"^-?[a-z][a-z0-9_]*$"
COLORS = ["gray", "red", "orange", "yellow", "green", "teal", "blue", "indigo", "purple", "pink"]
AGGREGATES = ["sum", "count", "avg", "min", "max"]
ID_NAMES: Schema = {"pattern": ID_PATTERN, "maxLength": ID_MAX_LENGTH}


def ref(name: str, description: str) -> Schema:
    """A property that is the shared definition `name`."""
    return {"$ref": f"#/definitions/{name}", "description": description}


def obj(
    title: str,
    description: str,
    properties: Mapping[str, Any],
    required: Sequence[str] = (),
) -> Schema:
    """A closed object definition (`additionalProperties: false`)."""
    schema: Schema = {
        "title": title,
        "description": description,
        "type": "object",
        "additionalProperties": False,
        "properties": dict(properties),
    }
    if required:
        schema["required"] = list(required)
    return schema


def list_of(item: Schema, description: str, **constraints: Any) -> Schema:
    """A property holding a list of `item`."""
    return {"type": "array", "items": item, "description": description, **constraints}


def id_map(value: Schema, description: str, **constraints: Any) -> Schema:
    """A property mapping ids to `value` (field ids, role ids, state ids …)."""
    return {
        "type": "object",
        "propertyNames": dict(ID_NAMES),
        "additionalProperties": value,
        "description": description,
        **constraints,
    }


def term_definitions() -> dict[str, Schema]:
    """Small shared shapes used everywhere."""
    return {**_name_terms(), **_value_terms(), "rule": _rule()}


def _name_terms() -> dict[str, Schema]:
    return {
        "id": {
            "title": "Id",
            "description": "A snake_case name: a lowercase letter, then lowercase letters, "
            f"digits or `_`; at most {ID_MAX_LENGTH} characters.",
            "type": "string",
            **ID_NAMES,
        },
        "id_list": {
            "title": "List of ids",
            "description": "A list of ids, each at most once.",
            "type": "array",
            "items": {"$ref": "#/definitions/id"},
            "uniqueItems": True,
        },
        "id_or_ids": {
            "title": "Id or list of ids",
            "description": "One id, or a list of ids.",
            "type": ["string", "array"],
            **ID_NAMES,
            "items": {"$ref": "#/definitions/id"},
            "minItems": 1,
            "uniqueItems": True,
        },
        "label": {
            "title": "Text",
            "description": "A text: one string, or a map of locale → string "
            "(`{en: Contract, zh: 合同}`).",
            "type": ["string", "object"],
            "propertyNames": {"pattern": LOCALE_PATTERN},
            "additionalProperties": {"type": "string"},
            "minProperties": 1,
        },
        "username": {
            "title": "Username",
            "description": "A user's login name.",
            "type": "string",
            "pattern": r"^[A-Za-z0-9_.@-]+$",
            "maxLength": 150,
        },
    }


def _value_terms() -> dict[str, Schema]:
    return {
        "value": {
            "title": "Value",
            "description": "A literal, or an expression when the string starts with `=` "
            '(`"=today()"`); write `"\\\\=text"` for a literal text starting with `=`.',
        },
        "values": {
            "title": "Values",
            "description": "Field → value; each value is a literal or `=expression`.",
            "type": "object",
            "propertyNames": dict(ID_NAMES),
            "additionalProperties": {"$ref": "#/definitions/value"},
        },
        "duration": {
            "title": "Duration",
            "description": "A whole number and a unit (`m`inutes, `h`ours, `d`ays, "
            "`w`eeks), with an optional sign: `30m`, `48h`, `-3d`, `2w`.",
            "type": "string",
            "pattern": r"^[+-]?[0-9]+(m|h|d|w)$",
        },
        "color": {
            "title": "Colour",
            "description": "A colour name, or `#rrggbb`.",
            "anyOf": [
                {"type": "string", "enum": COLORS},
                {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
            ],
        },
    }


def _rule() -> Schema:
    return obj(
        "Validation rule",
        "A rule that must hold, with the message shown when it does not.",
        {
            "rule": ref("expression", "The condition that must be true."),
            "message": ref("label", "The error shown when the rule fails."),
            "fields": ref("id_list", "Fields the error is shown on (default: the form)."),
        },
        ["rule", "message"],
    )


_KIND_SCHEMAS: Mapping[str, Schema] = {
    "text": {"type": "string"},
    "user": {"type": "string"},
    "team": {"type": ["integer", "string"]},
    "link": {"type": ["integer", "string"]},
    "number": {"type": ["number", "string"], "pattern": "^="},
    "money": {"type": ["number", "string"], "pattern": "^="},
    "percent": {"type": ["number", "string"], "pattern": "^="},
    "integer": {"type": ["integer", "string"], "pattern": "^="},
    "boolean": {"type": ["boolean", "string"], "pattern": "^="},
    "date": {"type": "string", "pattern": r"^(=.+|[0-9]{4}-[0-9]{2}-[0-9]{2})$"},
    "datetime": {"type": "string"},
    "list": {"type": ["array", "string"], "items": {"type": "string"}, "pattern": "^="},
}


def default_for(value_kind: str) -> Schema:
    """The `default` key of a field storing `value_kind`: a literal of that kind or `=expr`."""
    return {
        **_KIND_SCHEMAS.get(value_kind, {}),
        "description": 'The initial value: a literal, or `=expression` (`"=me()"`).',
    }


def common_field_properties(value_kind: str) -> Schema:
    """The keys every field has, whatever its type (`default` typed by `value_kind`)."""
    flag = {"type": "boolean", "default": False}
    return {
        "label": ref("label", "The field's label (default: the id, humanised)."),
        "help": ref("label", "Help shown under the input."),
        "placeholder": ref("label", "Hint shown inside an empty input."),
        "required": {**flag, "description": "A value must be given."},
        "required_if": ref("expression", "Required when this expression is true."),
        "visible_if": ref(
            "expression",
            "Shown (and accepted) only when true; checked in the browser and on the server.",
        ),
        "readonly": {**flag, "description": "Forms never edit it (rules and workflow may)."},
        "default": default_for(value_kind),
        "unique": {**flag, "description": "Unique among live records."},
        "index": {**flag, "description": "Add a database index on this field."},
        "renamed_from": ref("id", "Migration: the field's previous id (its data is kept)."),
        "validations": list_of(
            {"$ref": "#/definitions/rule"}, "Rules over the record that must hold."
        ),
    }


def typed_family(
    prefix: str,
    title: str,
    description: str,
    common: Mapping[str, Any],
    variants: Mapping[str, tuple[str, Schema, list[str]]],
) -> dict[str, Schema]:
    """A fixed discriminated family: the `<prefix>` node and one `<prefix>_<type>` each."""
    defs: dict[str, Schema] = {}
    for name, (text, own, required) in variants.items():
        # The type's own keys first, as in every discriminated family (see `schema`).
        properties = {
            "type": {"const": name, "description": f"`{name}`: {text}"},
            **own,
            **{key: value for key, value in common.items() if key not in own},
        }
        defs[f"{prefix}_{name}"] = obj(
            f"{title} type `{name}`", text, properties, ["type", *required]
        )
    names = list(variants)
    defs[prefix] = {
        "title": title,
        "description": f"{description} `type` picks the kind.",
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {
                "type": "string",
                "enum": names,
                "enumDescriptions": [variants[n][0] for n in names],
                "description": f"The {title.lower()} type.",
            }
        },
        "allOf": [
            {
                "if": {"properties": {"type": {"const": n}}, "required": ["type"]},
                "then": {"$ref": f"#/definitions/{prefix}_{n}"},
            }
            for n in names
        ],
    }
    return defs
