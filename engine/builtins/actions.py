"""The built-in automation actions of docs/language.md, declared through
`formwork_action_types`.

Keys listed in `nested_actions` need only a description here: the schema builder makes them
lists of actions.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.automation.periods import PERIOD_KINDS
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
            "Create a record (with `where`: only when none matches, create if missing).",
            {
                "entity": entity,
                "values": values,
                "where": _ref(
                    "expression",
                    "Create only when no record of `entity` matches this (over its records; "
                    "the triggering record is `record.`); when one does, nothing is created "
                    "and `as:` names the first match by id. Rules that build a plan can so "
                    "run again without duplicating it.",
                ),
                "as": ALIAS,
            },
            required_options=("entity",),
            expression_options=("where",),
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


_TEAM_VALUE: Schema = {
    "type": ["integer", "string"],
    "pattern": "^=.+",
    "minimum": 1,
}
_ROLES = {
    "$ref": "#/definitions/id_list",
    "description": "Only people holding one of these roles in this app (default: anyone).",
}


def _for_each_sources() -> dict[str, Schema]:
    """The item sources of `for_each` besides `entity` (exactly one per `for_each`)."""
    day = {"type": "string", "pattern": r"^(=.+|[0-9]{4}-[0-9]{2}-[0-9]{2})$"}
    periods = {
        "type": "object",
        "additionalProperties": False,
        "required": ["start", "end", "every"],
        "description": "Iterate the calendar periods overlapping `start`…`end` (inclusive), "
        "in time order, each clipped to the range (so they partition it exactly). The "
        "name is the period: `p.start`, `p.end` (dates), `p.index` (1, 2, …), `p.type`.",
        "properties": {
            "start": {**day, "description": "The first day: `=expression` or `YYYY-MM-DD`."},
            "end": {**day, "description": "The last day: `=expression` or `YYYY-MM-DD`."},
            "every": {
                "type": "string",
                "enum": list(PERIOD_KINDS),
                "description": "The kind of period (weeks start on the app's `week_start`).",
            },
        },
    }
    members = {
        "type": "object",
        "additionalProperties": False,
        "required": ["team"],
        "description": "Iterate the active users whose main team is `team`, by username. "
        'The name is the user (`values: {owner: "=m"}`, `m.manager`).',
        "properties": {
            "team": {**_TEAM_VALUE, "description": "The team: its id, or `=expression`."},
            "roles": _ROLES,
        },
    }
    teams = {
        "type": "object",
        "additionalProperties": False,
        "description": "Iterate the teams with at least one active member, by name. The "
        "name is the team (`t.name`, `t.manager`).",
        "properties": {
            "roles": {
                **_ROLES,
                "description": "Only teams with an active member holding one of these "
                "roles in this app.",
            },
            "under": {
                **_TEAM_VALUE,
                "description": "Only this team and the teams below it (its id, or "
                "`=expression`; default: every team).",
            },
        },
    }
    return {"periods": periods, "members": members, "teams": teams}


def _flow_actions() -> list[ActionType]:
    return [
        ActionType(
            "for_each",
            "Run actions once per item of one source: the records of `entity` that match "
            "`where`, calendar `periods`, the `members` of a team, or `teams`.",
            {
                "entity": _ref("id", "Iterate records of this entity (those `where` selects)."),
                "where": _ref(
                    "expression", "Which records (with `entity`): an expression over them."
                ),
                **_for_each_sources(),
                "as": _ref("id", "The name of the current item inside `actions`."),
                "actions": {"description": "The actions run for each item."},
            },
            required_options=("actions",),
            expression_options=("where",),
            value_options=("periods", "members", "teams"),
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
