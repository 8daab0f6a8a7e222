"""The built-in computed field types: `sequence`, `formula`, `rollup` and the workflow's
`state` column — fields whose value the engine sets, not the person filling the form."""

from __future__ import annotations

from typing import Any

from engine.spec.registry import FieldType

__all__ = ["COMPUTED_FIELD_TYPES", "RESULT_KINDS"]

Schema = dict[str, Any]

RESULT_KINDS = ["text", "number", "integer", "money", "percent", "date", "boolean"]
"""What a formula or rollup may compute."""

RESULT: Schema = {
    "type": "string",
    "enum": RESULT_KINDS,
    "description": "The type of the computed value.",
}


def _sequence() -> FieldType:
    return FieldType(
        "sequence",
        "A number assigned on create from a pattern (`HT-{yyyy}-{0000}`).",
        "text",
        {
            "pattern": {
                "type": "string",
                "pattern": r"^[^{}]*(\{(yyyy|yy|mm|dd|0+)\}[^{}]*)*$",
                "description": "Literal text with tokens `{yyyy}` `{yy}` `{mm}` `{dd}` "
                "and one zero run such as `{0000}` (the counter, zero-padded).",
            },
            "reset": {
                "type": "string",
                "enum": ["never", "yearly", "monthly"],
                "default": "never",
                "description": "When the counter starts again at 1.",
            },
        },
        required_options=("pattern",),
    )


def _formula() -> FieldType:
    return FieldType(
        "formula",
        "A value computed on save from an expression over the record.",
        "any",
        {
            "expr": {"$ref": "#/definitions/expression", "description": "The formula."},
            "result": RESULT,
        },
        required_options=("expr",),
        expression_options=("expr",),
    )


def _rollup() -> FieldType:
    return FieldType(
        "rollup",
        "A stored aggregate over records of another entity that point here.",
        "any",
        {
            "source": {
                "$ref": "#/definitions/id",
                "description": "The entity whose records are aggregated.",
            },
            "link": {
                "$ref": "#/definitions/id",
                "description": "The source's link field pointing here (or use `match`).",
            },
            "match": {
                "$ref": "#/definitions/expression",
                "description": "Instead of `link`: an expression pairing source records "
                "with this one (bare names are the source's fields, `this.` is this "
                "record).",
            },
            "aggregate": {
                "type": "string",
                "enum": ["sum", "count", "avg", "min", "max"],
                "description": "How the source values are combined.",
            },
            "field": {
                "$ref": "#/definitions/id",
                "description": "The source field aggregated (not for `count`).",
            },
            "where": {
                "$ref": "#/definitions/expression",
                "description": "Only source records for which this holds.",
            },
            "result": RESULT,
        },
        required_options=("source", "aggregate"),
        expression_options=("match", "where"),
    )


COMPUTED_FIELD_TYPES: tuple[FieldType, ...] = (
    _sequence(),
    _formula(),
    _rollup(),
    FieldType(
        "state",
        "The workflow's state column; its values are the workflow's states.",
        "text",
        {},
    ),
)
"""The computed field types, in the order of docs/language.md."""
