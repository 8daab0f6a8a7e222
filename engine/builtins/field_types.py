"""The built-in field types of docs/language.md, declared through `formwork_field_types`.

Each declaration lists only the type's own keys (the keys common to every field live in the
schema builder); `$ref`s point at the shared definitions of the app schema.
"""

from __future__ import annotations

from typing import Any

from engine.builtins.computed_fields import COMPUTED_FIELD_TYPES
from engine.builtins.hooks import hookimpl
from engine.spec.registry import ID_MAX_LENGTH, ID_PATTERN, FieldType

__all__ = ["BUILTIN_FIELD_TYPES", "formwork_field_types"]

Schema = dict[str, Any]

ISO_DATE_OR_EXPR = r"^(=.+|[0-9]{4}-[0-9]{2}-[0-9]{2})$"
ISO_DATETIME_OR_EXPR = r"^(=.+|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?.*)$"


def _bound(kind: str, which: str, number: str = "number") -> Schema:
    side = "smallest" if which == "min" else "largest"
    return {"type": number, "description": f"The {side} {kind} accepted."}


def _length(which: str, default: int | None = None) -> Schema:
    side = "Fewest" if which == "min" else "Most"
    schema: Schema = {
        "type": "integer",
        "minimum": 0 if which == "min" else 1,
        "description": f"{side} characters accepted.",
    }
    if default is not None:
        schema["default"] = default
    return schema


def _precision(default: int | None) -> Schema:
    schema: Schema = {
        "type": "integer",
        "minimum": 0,
        "maximum": 10,
        "description": "Decimal places kept and shown.",
    }
    if default is not None:
        schema["default"] = default
    return schema


UNIT: Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": 16,
    "description": "A unit shown after the number (`kg`, `pcs`, `h`).",
}

OPTIONS: Schema = {
    "type": "array",
    "minItems": 1,
    "description": "The choices: plain strings, or `{value, label, color}` objects.",
    "items": {
        "type": ["string", "object"],
        "minLength": 1,
        "required": ["value"],
        "additionalProperties": False,
        "properties": {
            "value": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "description": "The stored value (what expressions compare against).",
            },
            "label": {"$ref": "#/definitions/label", "description": "The text shown."},
            "color": {"$ref": "#/definitions/color", "description": "A badge colour."},
        },
    },
}


def _text_types() -> list[FieldType]:
    max_length: Schema = {**_length("max"), "maximum": 100000}
    return [
        FieldType(
            "text",
            "One line of text.",
            "text",
            {
                "min_length": _length("min"),
                "max_length": {**_length("max", 200), "maximum": 10000},
                "pattern": {
                    "type": "string",
                    "format": "regex",
                    "minLength": 1,
                    "description": "A regular expression the whole text must match.",
                },
                "pattern_message": {
                    "$ref": "#/definitions/label",
                    "description": "The error shown when `pattern` does not match.",
                },
            },
        ),
        FieldType(
            "long_text",
            "Several lines of text, optionally with basic formatting.",
            "text",
            {
                "max_length": max_length,
                "rich": {
                    "type": "boolean",
                    "default": False,
                    "description": "Allow basic formatting (bold, lists, links).",
                },
            },
        ),
        FieldType("email", "An e-mail address.", "text", {"max_length": max_length}),
        FieldType("phone", "A phone number.", "text", {"max_length": max_length}),
        FieldType("url", "A web address (http or https).", "text", {"max_length": max_length}),
    ]


def _number_types() -> list[FieldType]:
    return [
        FieldType(
            "number",
            "A decimal number (exact, never a float).",
            "number",
            {
                "min": _bound("number", "min"),
                "max": _bound("number", "max"),
                "precision": _precision(2),
                "unit": UNIT,
            },
        ),
        FieldType(
            "integer",
            "A whole number.",
            "integer",
            {
                "min": _bound("number", "min", "integer"),
                "max": _bound("number", "max", "integer"),
                "unit": UNIT,
            },
        ),
        FieldType(
            "money",
            "An amount of money, stored exactly in integer minor units.",
            "money",
            {
                "min": _bound("amount (in major units)", "min"),
                "max": _bound("amount (in major units)", "max"),
                "currency": {
                    "type": "string",
                    "pattern": "^[A-Z]{3}$",
                    "description": "ISO 4217 currency code; default: the app's `currency`.",
                },
            },
        ),
        FieldType(
            "percent",
            "A ratio shown as a percentage (1.0 = 100 %).",
            "percent",
            {
                "min": _bound("ratio (1.0 = 100 %)", "min"),
                "max": _bound("ratio (1.0 = 100 %)", "max"),
                "precision": _precision(None),
            },
        ),
    ]


def _time_types() -> list[FieldType]:
    def bound(which: str, what: str, pattern: str) -> Schema:
        side = "Earliest" if which == "min" else "Latest"
        return {
            "type": "string",
            "pattern": pattern,
            "description": f"{side} {what} accepted: ISO 8601, or `=expression`.",
        }

    return [
        FieldType(
            "date",
            "A calendar date.",
            "date",
            {
                "min": bound("min", "date", ISO_DATE_OR_EXPR),
                "max": bound("max", "date", ISO_DATE_OR_EXPR),
            },
            value_options=("min", "max"),
        ),
        FieldType(
            "datetime",
            "A moment in time (stored timezone-aware).",
            "datetime",
            {
                "min": bound("min", "moment", ISO_DATETIME_OR_EXPR),
                "max": bound("max", "moment", ISO_DATETIME_OR_EXPR),
            },
            value_options=("min", "max"),
        ),
        FieldType("boolean", "Yes or no.", "boolean", {}),
    ]


def _choice_types() -> list[FieldType]:
    count = "integer"
    return [
        FieldType(
            "select",
            "One choice from a fixed list.",
            "text",
            {
                "options": OPTIONS,
                "display": {
                    "type": "string",
                    "enum": ["dropdown", "radio", "segmented"],
                    "default": "dropdown",
                    "description": "How the form shows the choices.",
                },
            },
            required_options=("options",),
        ),
        FieldType(
            "multi_select",
            "Several choices from a fixed list (stored as child rows).",
            "list",
            {
                "options": OPTIONS,
                "min_items": {"type": count, "minimum": 0, "description": "Fewest choices."},
                "max_items": {"type": count, "minimum": 1, "description": "Most choices."},
            },
            required_options=("options",),
        ),
    ]


def _people_types() -> list[FieldType]:
    return [
        FieldType(
            "user",
            "A user of the system (stored as the username).",
            "user",
            {
                "roles": {
                    "$ref": "#/definitions/id_list",
                    "description": "Offer only users who have one of these roles.",
                },
                "team_of": {
                    "$ref": "#/definitions/id",
                    "description": "A team field of this record: offer only that team's users.",
                },
            },
        ),
        FieldType("team", "A team of the organisation (stored as the team id).", "team", {}),
    ]


def _relation_types() -> list[FieldType]:
    return [_link(), _subform(), _attachment()]


def _link() -> FieldType:
    return FieldType(
        "link",
        "A reference to a record of another entity (a foreign key).",
        "link",
        {
            "to": {"$ref": "#/definitions/id", "description": "The entity linked to."},
            "on_delete": {
                "type": "string",
                "enum": ["restrict", "set_null", "cascade"],
                "default": "restrict",
                "description": "What deleting the linked record does to this one.",
            },
            "filter": {
                "$ref": "#/definitions/expression",
                "description": "Limits the picker: an expression over the target record "
                "(`this.` is this record).",
            },
            "display": {
                "$ref": "#/definitions/id",
                "description": "The target's field shown (default: its `title_field`).",
            },
        },
        required_options=("to",),
        expression_options=("filter",),
    )


def _subform() -> FieldType:
    return FieldType(
        "subform",
        "Rows of sub-fields stored in a child table (order lines, contacts …).",
        "subform",
        {
            "fields": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": ID_PATTERN, "maxLength": ID_MAX_LENGTH},
                "additionalProperties": {"$ref": "#/definitions/subform_field"},
                "description": "The row's fields: the same field grammar, without "
                "subform and rollup.",
            },
            "min_rows": {"type": "integer", "minimum": 0, "description": "Fewest rows."},
            "max_rows": {"type": "integer", "minimum": 1, "description": "Most rows."},
        },
        required_options=("fields",),
    )


def _attachment() -> FieldType:
    return FieldType(
        "attachment",
        "Uploaded files.",
        "attachment",
        {
            "accept": {
                "type": "array",
                "uniqueItems": True,
                "items": {"type": "string", "pattern": r"^(\.[A-Za-z0-9]+|[a-z]+/[\w.+*-]+)$"},
                "description": "Accepted extensions (`.pdf`) or MIME types (`image/*`).",
            },
            "max_size_mb": {
                "type": "number",
                "exclusiveMinimum": 0,
                "description": "Largest file accepted, in megabytes.",
            },
            "multiple": {
                "type": "boolean",
                "default": False,
                "description": "Accept several files.",
            },
        },
    )


BUILTIN_FIELD_TYPES: tuple[FieldType, ...] = (
    *_text_types(),
    *_number_types(),
    *_time_types(),
    *_choice_types(),
    *_people_types(),
    *_relation_types(),
    *COMPUTED_FIELD_TYPES,
)
"""Every built-in field type, in the order of docs/language.md's families."""


@hookimpl
def formwork_field_types() -> list[FieldType]:
    """The built-in field types."""
    return list(BUILTIN_FIELD_TYPES)
