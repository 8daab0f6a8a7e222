"""The built-in automation actions of docs/language.md, declared through
`formwork_action_types`.

Keys listed in `nested_actions` need only a description here: the schema builder makes them
lists of actions.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.builtins.action_runs import ACTION_RUNS
from engine.builtins.hooks import hookimpl
from engine.spec.registry import ActionType

__all__ = ["BUILTIN_ACTION_TYPES", "formwork_action_types"]

Schema = dict[str, Any]


def _ref(definition: str, description: str) -> Schema:
    return {"$ref": f"#/definitions/{definition}", "description": description}


ALIAS = _ref("id", "A name for the result, usable by later actions' expressions.")


def _record_actions() -> list[ActionType]:
    values = _ref("values", "Field → value (a literal, or `=expression`).")
    entity = _ref("id", "The entity acted on.")
    where = _ref("expression", "Which records: an expression over them.")
    return [
        ActionType(
            "set",
            "Set fields of the triggering record.",
            {"values": values},
            required_options=("values",),
            value_options=("values",),
        ),
        ActionType(
            "create",
            "Create a record.",
            {"entity": entity, "values": values, "as": ALIAS},
            required_options=("entity",),
            value_options=("values",),
        ),
        ActionType(
            "update",
            "Update the records that match `where`.",
            {
                "entity": entity,
                "where": where,
                "values": values,
                "upsert": {
                    "type": "boolean",
                    "default": False,
                    "description": "Create the record with `values` when none matches.",
                },
            },
            required_options=("entity", "where", "values"),
            expression_options=("where",),
            value_options=("values",),
        ),
        ActionType(
            "delete",
            "Delete (soft) the records that match `where`.",
            {"entity": entity, "where": where},
            required_options=("entity", "where"),
            expression_options=("where",),
        ),
    ]


def _transition() -> ActionType:
    return ActionType(
        "transition",
        "Take a workflow action on the triggering record.",
        {
            "action": _ref("id", "The workflow action (transition name)."),
            "comment": _ref("label", "The comment recorded with the action."),
        },
        required_options=("action",),
    )


def _flow_actions() -> list[ActionType]:
    return [
        ActionType(
            "for_each",
            "Run actions once for every record that matches `where`.",
            {
                "entity": _ref("id", "The entity iterated."),
                "where": _ref("expression", "Which records: an expression over them."),
                "as": _ref("id", "The name of the current record inside `actions`."),
                "actions": {"description": "The actions run for each record."},
            },
            required_options=("entity", "actions"),
            expression_options=("where",),
            nested_actions=("actions",),
        ),
        ActionType(
            "lookup",
            "Evaluate a decision table and keep its outputs.",
            {
                "table": _ref("id", "The decision table."),
                "inputs": _ref("values", "Table input → value (a literal, or `=expression`)."),
                "as": ALIAS,
            },
            required_options=("table", "as"),
            value_options=("inputs",),
        ),
    ]


def _allocate() -> ActionType:
    return ActionType(
        "allocate",
        "Split a total over matching records, by weight, so the parts sum exactly.",
        {
            "total": {
                "type": ["number", "string"],
                "pattern": "^=.+",
                "description": "The amount split: a number, or `=expression`.",
            },
            "entity": _ref("id", "The entity whose records receive the parts."),
            "where": _ref("expression", "Which records receive a part."),
            "weight": _ref("expression", "Each record's weight (default: equal parts), over it."),
            "field": _ref("id", "The field of each record that receives its part."),
            "unit": {
                "type": "number",
                "exclusiveMinimum": 0,
                "default": 1,
                "description": "The smallest part (parts are multiples of it; the "
                "remainder goes to the largest weights).",
            },
        },
        required_options=("total", "entity", "field"),
        expression_options=("where", "weight"),
        value_options=("total",),
    )


def _notify() -> ActionType:
    return ActionType(
        "notify",
        "Send a notification over a channel (inbox, e-mail, …).",
        {
            "to": {
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/definitions/approver"},
                "description": "The recipients, in the approver-source grammar.",
            },
            "channel": _ref("channel_name", "The channel used."),
            "title": _ref("label", "The subject; a template (`{{ record.name }}`)."),
            "body": _ref("label", "The message; a template."),
        },
        required_options=("to", "title"),
    )


def _webhook() -> ActionType:
    return ActionType(
        "webhook",
        "Call an HTTP endpoint (delivered through the outbox, with retries).",
        {
            "url": {
                "type": "string",
                "pattern": "^(https?://|=).+",
                "description": "The address: `https://…`, or `=expression`.",
            },
            "method": {
                "type": "string",
                "enum": ["GET", "POST", "PUT", "PATCH", "DELETE"],
                "default": "POST",
                "description": "The HTTP method.",
            },
            "headers": {
                "type": "object",
                "propertyNames": {"pattern": "^[A-Za-z0-9-]+$"},
                "additionalProperties": {"type": "string"},
                "description": "Extra request headers (name → template).",
            },
            "body": {
                "type": ["object", "array", "string"],
                "description": "The JSON body; string values are templates.",
            },
        },
        required_options=("url",),
        value_options=("url",),
    )


def _assign_round_robin() -> ActionType:
    return ActionType(
        "assign_round_robin",
        "Assign a user field to the next member of a team, in turn.",
        {
            "field": _ref("id", "The user field assigned."),
            "team": {
                "type": ["integer", "string"],
                "minLength": 1,
                "description": "The team (its id), or `=expression` giving one.",
            },
            "roles": {
                "$ref": "#/definitions/id_list",
                "description": "Only members holding one of these roles (default: every "
                "active member).",
            },
        },
        required_options=("field", "team"),
        value_options=("team",),
    )


BUILTIN_ACTION_TYPES: tuple[ActionType, ...] = tuple(
    replace(declared, run=ACTION_RUNS[declared.name])
    for declared in (
        *_record_actions(),
        _transition(),
        *_flow_actions(),
        _allocate(),
        _notify(),
        _webhook(),
        _assign_round_robin(),
    )
)
"""Every built-in action type, with what it does (engine/builtins/action_runs.py)."""


@hookimpl
def formwork_action_types() -> list[ActionType]:
    """The built-in action types."""
    return list(BUILTIN_ACTION_TYPES)
